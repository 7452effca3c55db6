/* Ending contained sessions (DESIGN.md §4 "Sessions end when their authority
 * ends"), shared by `delegatectl watch` and `revoke --terminate`: SIGHUP to
 * every process of the session's group, SIGKILL (cgroup.kill) after the
 * grace, the group verified empty and removed, the record removed, and an
 * audit event `session_end` with the reason. */
#ifndef DLG_ENDING_H
#define DLG_ENDING_H

#include <stdbool.h>
#include <stdint.h>

#include "config/config.h"
#include "session/contain/contain.h"
#include "session/session.h"

struct dlg_ending {
    struct dlg_session s;       /* owned copy of the record */
    struct dlg_cell cell;       /* its cell (kind NONE: nothing to act on) */
    char reason[48];            /* "expired" or a revocation reason */
    int64_t begun_ms;           /* monotonic ms of the SIGHUP */
    int64_t kill_ms;            /* last SIGKILL, 0 if none */
    bool begun, killed, done;
    bool empty;                 /* done: the group was verified empty */
};

int64_t dlg_mono_ms(void);

/* Why the session's authority is gone at now (wall clock seconds): "expired"
 * once now >= expires; with cfg (NULL: the config is unusable, only expiry
 * counts) the reason dlg_recheck gives (revoked_ticket, unknown_actor,
 * principal_not_allowed, ..., feed_stale only for a feed with on_stale =
 * "end").  NULL: the session may go on. */
const char *dlg_end_reason(const struct dlg_session *s, const struct dlg_config *cfg, int64_t now);

/* Is the session still there?  Its cell holds a process, or its leader still
 * runs (same pid, same start time: a logind cell not yet resolved). */
bool dlg_end_live(const struct dlg_session *s);
/* inner runs inside outer (sudo from a delegated ssh session): its group is
 * below outer's, or its record names outer as its outer session. */
bool dlg_end_nested(const struct dlg_session *inner, const struct dlg_session *outer);

/* A session found with no process left (its leader gone without its PAM
 * close, or systemd stopped its cell at exp): its record removed, its cell
 * released, and, once exp has passed, session_end "expired" audited. */
void dlg_end_gone(struct dlg_session *s, const char *dir, const struct dlg_config *cfg, int64_t now);

/* Take over s (moved: *s is zeroed) and send SIGHUP to its cell (a pending
 * logind cell is resolved from its leader first). */
void dlg_end_begin(struct dlg_ending *e, struct dlg_session *s, const char *dir, const char *reason,
                   int64_t now_ms);
/* One step: true once the ending is over (e->empty says how). */
bool dlg_end_step(struct dlg_ending *e, int64_t grace_ms, int64_t now_ms);
/* The group is empty: remove it and the record, audit session_end.  cfg
 * may be NULL (syslog only).  0, or -1 when the group could not be removed. */
int dlg_end_finish(struct dlg_ending *e, const char *dir, const struct dlg_config *cfg, int64_t now);
void dlg_end_free(struct dlg_ending *e);

/* End a set of sessions at once and wait (grace + 10 s at most).  Returns
 * how many were verified empty; each item's done/empty tell which. */
int dlg_end_all(struct dlg_ending *list, int n, const char *dir, const struct dlg_config *cfg,
                int64_t grace_s);

#endif
