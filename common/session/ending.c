/* Ending contained sessions (see ending.h). */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audit/audit.h"
#include "session/cgroup.h"
#include "session/ending.h"
#include "decision/policy.h"
#include "ticket/reason.h"

/* After the SIGKILL, how long to wait for the group to empty (a process in
 * uninterruptible sleep) before giving up on it for now. */
#define KILL_WAIT_MS 10000
#define KILL_REPEAT_MS 200

int64_t dlg_mono_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

const char *dlg_end_reason(const struct dlg_session *s, const struct dlg_config *cfg, int64_t now)
{
    struct dlg_verdict v;
    enum dlg_reason r;

    if (now >= s->expires)
        return "expired";
    if (!cfg)
        return NULL;
    memset(&v, 0, sizeof(v));
    v.reason = DLG_ADMIT;
    v.iss = s->iss;
    v.kid = s->kid;
    v.sub = s->principal;
    v.actor = s->actor;
    v.jti = s->jti;
    v.iat = s->iat;
    v.exp = s->expires;
    r = dlg_recheck(cfg, &v, s->service, now);
    if (r == DLG_ADMIT || r == DLG_EXPIRED)   /* expiry: by exp alone, above */
        return NULL;
    /* a stale revocation feed refuses new logins; it ends a live session
     * only under on_stale = "end" (DESIGN.md §6a) */
    if (r == DLG_FEED_STALE && dlg_config_feed_stale(cfg, now, true) == NULL)
        return NULL;
    return dlg_reason_str(r);
}

void dlg_end_begin(struct dlg_ending *e, struct dlg_session *s, const char *reason, int64_t now_ms)
{
    memset(e, 0, sizeof(*e));
    e->s = *s;
    memset(s, 0, sizeof(*s));
    snprintf(e->reason, sizeof(e->reason), "%s", reason ? reason : "revoked");
    e->begun = true;
    e->begun_ms = now_ms;
    if (e->s.cgroup) {
        char eff[DLG_CG_PATH_MAX];

        /* systemd: follow the leader into the logind scope pam_systemd
         * moved it to (cgroup.h); the record then names that scope */
        if (dlg_cg_effective(e->s.cgroup, e->s.pid, e->s.start_ticks, eff, sizeof(eff)) == 0 &&
            strcmp(eff, e->s.cgroup) != 0) {
            char *copy = strdup(eff);
            if (copy) {
                free(e->s.cgroup);
                e->s.cgroup = copy;
            }
        }
        (void)dlg_cg_signal(e->s.cgroup, SIGHUP);
    }
}

bool dlg_end_step(struct dlg_ending *e, int64_t grace_ms, int64_t now_ms)
{
    int empty;

    if (e->done)
        return true;
    if (!e->s.cgroup) {
        e->done = true;
        return true;
    }
    empty = dlg_cg_empty(e->s.cgroup);
    if (empty == 1) {
        e->done = e->empty = true;
        return true;
    }
    if (now_ms - e->begun_ms >= grace_ms && now_ms - e->kill_ms >= KILL_REPEAT_MS) {
        /* a process forked after the SIGHUP sweep, or one that ignores it */
        if (dlg_cg_kill(e->s.cgroup) == 0) {
            if (!e->killed)
                e->kill_ms = now_ms;
            e->killed = true;
        }
        e->kill_ms = now_ms;
    }
    if (e->killed && now_ms - e->begun_ms >= grace_ms + KILL_WAIT_MS) {
        e->done = true;         /* not empty: reported by the caller */
        return true;
    }
    return false;
}

int dlg_end_finish(struct dlg_ending *e, const char *dir, const struct dlg_config *cfg, int64_t now)
{
    const struct dlg_session *s = &e->s;
    int rc = 0;
    struct dlg_audit_event ev = {
        .ts = now,
        .event = "session_end",
        .service = s->service,
        .user = s->user,
        .actor = s->actor,
        .principal = s->principal,
        .runas = s->user && s->actor && strcmp(s->user, s->actor) != 0 ? s->user : NULL,
        .jti = s->jti,
        .iss = s->iss,
        .kid = s->kid,
        .rhost = s->rhost,
        .tty = s->tty,
        .pid = s->pid,
        .reason = e->reason,
        .key = s->key,
    };

    if (!e->empty)
        return -1;
    if (s->cgroup && dlg_cg_remove(s->cgroup) != 0)
        rc = -1;
    if (s->service)
        (void)dlg_session_remove(dir, s->service, s->pid);
    (void)dlg_audit(cfg, &ev);
    return rc;
}

void dlg_end_free(struct dlg_ending *e)
{
    if (e) {
        dlg_session_free(&e->s);
        memset(e, 0, sizeof(*e));
    }
}

int dlg_end_all(struct dlg_ending *list, int n, const char *dir, const struct dlg_config *cfg,
                int64_t grace_s)
{
    struct timespec tick = { 0, 50L * 1000 * 1000 };
    int i, pending, ok = 0;

    for (;;) {
        pending = 0;
        for (i = 0; i < n; i++)
            if (!dlg_end_step(&list[i], grace_s * 1000, dlg_mono_ms()))
                pending++;
        if (!pending)
            break;
        nanosleep(&tick, NULL);
    }
    for (i = 0; i < n; i++) {
        if (list[i].empty) {
            (void)dlg_end_finish(&list[i], dir, cfg, (int64_t)time(NULL));
            ok++;
        }
    }
    return ok;
}
