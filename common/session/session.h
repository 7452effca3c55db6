/* Open-session records under /run/delegate/sessions/ (root-only), one JSON
 * file per session, shared by the PAM module and `delegatectl sessions`.
 * A record is read only when it is a regular root-owned file with one link
 * and no group or other permission bits, and its cell fields are well formed;
 * its cell is acted on only when it is one the module made or was given
 * (dlg_cell_owned). */
#ifndef DLG_SESSION_H
#define DLG_SESSION_H

#include <stdbool.h>
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
    /* issue 17: the cell (contain.h): its kind, systemd unit, logind session */
    char *cell;                 /* "cgroup", "scope", "logind"; NULL: cgroup2 (older records) */
    char *unit;                 /* "session-N.scope", "delegate-....scope"; NULL */
    char *logind;               /* logind session id; NULL (or pending) */
    char *outer;                /* "SERVICE-PID" of the session this one runs in; NULL */
};

struct dlg_cell;
/* The record's cell (NONE for records without containment).  0, or -1 when
 * the fields are malformed.  Whether the module may act on it is
 * dlg_cell_owned's question (asked again before every signal). */
int dlg_session_cell(const struct dlg_session *s, struct dlg_cell *cell);
/* Copy a cell into the record's fields.  0 or -1 (ENOMEM). */
int dlg_session_set_cell(struct dlg_session *s, const struct dlg_cell *cell);
/* A pending logind cell resolved from its leader: the record rewritten in dir
 * so that it names the session and its scope.  1 resolved (and written),
 * 0 nothing to do or still pending, -1 the leader is gone while pending. */
int dlg_session_resolve(const char *dir, struct dlg_session *s);

/* Record name: "<service>-<pid>.json".  Creates dir 0700 if missing. */
int dlg_session_write(const char *dir, const struct dlg_session *s);
int dlg_session_remove(const char *dir, const char *service, pid_t pid);
/* The same, telling who removed it: 1 this call did, 0 it was already gone
 * (another process ended the session first), -1 error. */
int dlg_session_take(const char *dir, const char *service, pid_t pid);
/* An ending in progress ("<service>-<pid>.ending"): watch and `revoke
 * --terminate` mark a session before they signal it, so that its leader's PAM
 * close (the leader gets the SIGHUP too) leaves the record to them; whoever
 * then removes the record (dlg_session_take) writes session_end, once. */
int dlg_session_mark_ending(const char *dir, const char *service, pid_t pid);
bool dlg_session_is_ending(const char *dir, const char *service, pid_t pid);
void dlg_session_unmark_ending(const char *dir, const char *service, pid_t pid);
/* The record "<service>-<pid>.json": 0 with *out filled (free with
 * dlg_session_free), -1 when there is none usable. */
int dlg_session_read(const char *dir, const char *service, pid_t pid, struct dlg_session *out);
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
