/* Open-session records under /run/delegate/sessions/ (root-only), one JSON
 * file per session, shared by the PAM module and `delegatectl sessions`. */
#ifndef DLG_SESSION_H
#define DLG_SESSION_H

#include <stdint.h>
#include <sys/types.h>

#include "util/util.h"

struct dlg_session {
    char *jti, *actor, *principal, *service, *user, *tty, *rhost, *iss, *kid;
    pid_t pid;                  /* session leader */
    int64_t start, expires;
    /* issue 10: containment (cgroup.h) */
    char *cgroup;               /* group path relative to the cgroup2 root, NULL: none */
    uint64_t start_ticks;       /* leader start time, /proc/PID/stat field 22; 0: unknown */
    char *key;                  /* cnf fingerprint "SHA256:...", NULL if none (issue 12) */
    int64_t iat;                /* the ticket's iat (revoke.issued_before); 0: unknown */
    /* the ssh keys the session proved, "SHA256:..." (issue 18 item 10:
     * sshd's publickey steps, whatever the ticket's cnf; a sudo or su: the
     * keys of the session it ran in); "proved" in the record, [] if none */
    struct dlg_strv proved;
};

/* Record name: "<service>-<pid>.json".  Creates dir 0700 if missing. */
int dlg_session_write(const char *dir, const struct dlg_session *s);
int dlg_session_remove(const char *dir, const char *service, pid_t pid);
/* All records (sorted by start). Returns count or -1. */
int dlg_session_list(const char *dir, struct dlg_session **out);
void dlg_session_list_free(struct dlg_session *list, int n);

/* The live recorded session whose cgroup holds pid (the innermost one when
 * sessions nest).  0 with *out filled (free with dlg_session_free), -1 when
 * pid runs in no recorded session's group. */
int dlg_session_find_by_pid(const char *dir, pid_t pid, struct dlg_session *out);
void dlg_session_free(struct dlg_session *s);

/* Can a record be written in dir now (created if missing, root-only, a
 * file can be created in it)?  0 or -1 (errno). */
int dlg_session_dir_usable(const char *dir);

#endif
