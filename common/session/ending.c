/* Ending contained sessions (see ending.h). */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audit/audit.h"
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
    v.cnf_ssh = s->key;         /* the ticket's cnf: key_binding = "required" */
    r = dlg_recheck(cfg, &v, s->service, now);
    if (r == DLG_ADMIT || r == DLG_EXPIRED)   /* expiry: by exp alone, above */
        return NULL;
    /* a stale revocation feed refuses new logins; it ends a live session
     * only under on_stale = "end" (DESIGN.md §6a) */
    if (r == DLG_FEED_STALE && dlg_config_feed_stale(cfg, now, true) == NULL)
        return NULL;
    return dlg_reason_str(r);
}

bool dlg_end_live(const struct dlg_session *s)
{
    struct dlg_cell cell;
    uint64_t ticks;

    if (dlg_session_cell(s, &cell) == 0 && cell.cgroup[0] && dlg_cell_empty(&cell) == 0)
        return true;
    return s->start_ticks && dlg_proc_start_ticks(s->pid, &ticks) == 0 && ticks == s->start_ticks;
}

bool dlg_end_nested(const struct dlg_session *inner, const struct dlg_session *outer)
{
    char name[128];

    if (inner == outer || !outer->service)
        return false;
    snprintf(name, sizeof(name), "%s-%ld", outer->service, (long)outer->pid);
    if (inner->outer && strcmp(inner->outer, name) == 0)
        return true;
    return inner->cgroup && outer->cgroup && dlg_cg_is_within(inner->cgroup, outer->cgroup);
}

void dlg_end_begin(struct dlg_ending *e, struct dlg_session *s, const char *dir, const char *reason,
                   int64_t now_ms)
{
    memset(e, 0, sizeof(*e));
    e->s = *s;
    memset(s, 0, sizeof(*s));
    snprintf(e->reason, sizeof(e->reason), "%s", reason ? reason : "revoked");
    e->begun = true;
    e->begun_ms = now_ms;
    /* before the SIGHUP: the leader's PAM close leaves the record to us */
    if (e->s.service)
        (void)dlg_session_mark_ending(dir, e->s.service, e->s.pid);
    (void)dlg_session_resolve(NULL, &e->s);
    if (dlg_session_cell(&e->s, &e->cell) != 0 || !e->cell.cgroup[0] || !dlg_cell_owned(&e->cell))
        e->cell.kind = DLG_CELL_NONE;
    if (e->cell.kind != DLG_CELL_NONE)
        (void)dlg_cell_signal(&e->cell, SIGHUP);
}

bool dlg_end_step(struct dlg_ending *e, int64_t grace_ms, int64_t now_ms)
{
    int empty;

    if (e->done)
        return true;
    if (e->cell.kind == DLG_CELL_NONE) {
        e->done = true;
        return true;
    }
    empty = dlg_cell_empty(&e->cell);
    if (empty == 1) {
        e->done = e->empty = true;
        return true;
    }
    if (now_ms - e->begun_ms >= grace_ms && now_ms - e->kill_ms >= KILL_REPEAT_MS) {
        /* a process forked after the SIGHUP sweep, or one that ignores it */
        if (dlg_cell_kill(&e->cell) == 0) {
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
    if (e->cell.kind != DLG_CELL_NONE && dlg_cell_release(&e->cell) != 0)
        rc = -1;
    /* watch and `revoke --terminate` may end the same session at once: the
     * one that removes the record writes session_end */
    if (s->service) {
        if (dlg_session_take(dir, s->service, s->pid) == 1)
            (void)dlg_audit(cfg, &ev);
        dlg_session_unmark_ending(dir, s->service, s->pid);
    }
    return rc;
}

void dlg_end_gone(struct dlg_session *s, const char *dir, const struct dlg_config *cfg, int64_t now)
{
    struct dlg_ending e;

    memset(&e, 0, sizeof(e));
    e.s = *s;
    memset(s, 0, sizeof(*s));
    snprintf(e.reason, sizeof(e.reason), "expired");
    if (dlg_session_cell(&e.s, &e.cell) != 0 || !dlg_cell_owned(&e.cell) ||
        e.cell.kind != DLG_CELL_CGROUP)
        e.cell.kind = DLG_CELL_NONE;        /* systemd collects its own scopes */
    e.done = e.empty = true;
    if (now >= e.s.expires) {
        (void)dlg_end_finish(&e, dir, cfg, now);
    } else {
        if (e.cell.kind != DLG_CELL_NONE)
            (void)dlg_cell_release(&e.cell);
        (void)dlg_session_remove(dir, e.s.service, e.s.pid);
    }
    dlg_end_free(&e);
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
