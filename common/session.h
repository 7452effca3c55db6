/* Open-session records under /run/delegate/sessions/ (root-only), one JSON
 * file per session, shared by the PAM module and `delegatectl sessions`. */
#ifndef DLG_SESSION_H
#define DLG_SESSION_H

#include <stdint.h>
#include <sys/types.h>

struct dlg_session {
    char *jti, *actor, *principal, *service, *user, *tty, *rhost, *iss, *kid;
    pid_t pid;                  /* session leader */
    int64_t start, expires;
    char *key;                  /* the ticket's cnf fingerprint, NULL if unbound */
};

/* Record name: "<service>-<pid>.json".  Creates dir 0700 if missing. */
int dlg_session_write(const char *dir, const struct dlg_session *s);
int dlg_session_remove(const char *dir, const char *service, pid_t pid);
/* All records (sorted by start). Returns count or -1. */
int dlg_session_list(const char *dir, struct dlg_session **out);
void dlg_session_list_free(struct dlg_session *list, int n);

#endif
