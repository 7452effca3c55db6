/* The session phase (DESIGN.md §4): recheck, the DELEGATE_* environment,
 * containment and the session record, the audit events of open and close. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <security/pam_ext.h>
#include <security/pam_modules.h>

#include "audit/audit.h"
#include "config/config.h"
#include "decision/keys.h"
#include "decision/policy.h"
#include "pam_delegate.h"
#include "session/session.h"
#include "util/util.h"

static int put_env(pam_handle_t *pamh, const char *name, const char *value)
{
    char buf[512];
    int n = snprintf(buf, sizeof(buf), "%s=%s", name, value ? value : "");

    if (n < 0 || (size_t)n >= sizeof(buf))
        return PAM_BUF_ERR;
    return pam_putenv(pamh, buf);
}

/* sudo: PAM_USER is now the target user, the actor is PAM_RUSER.  The
 * target, or NULL when the session is the actor's own. */
static const char *runas_target(const struct pd_ctx *c, const struct pd_state *st)
{
    return c->user != NULL && strcmp(c->user, st->v.actor) != 0 ? c->user : NULL;
}

/* The state auth left in this handle or, for sshd keyboard-interactive, in a
 * carry record of our child; *stp is NULL when there is none. */
static int session_state(struct pd_ctx *c, struct pd_state **stp)
{
    struct pd_state *found;

    *stp = pd_state_get(c->pamh);
    if (*stp != NULL)
        return PAM_SUCCESS;
    /* sshd keyboard-interactive: auth and account ran in our child */
    found = pd_carry_find(c->pamh, c->user, c->ruser, c->service, c->now, true);
    if (found == NULL)
        return PAM_SUCCESS;
    if (pd_state_set(c->pamh, found) != PAM_SUCCESS)     /* frees found */
        return PAM_BUF_ERR;
    *stp = found;
    return PAM_SUCCESS;
}

/* No ticket was admitted in this transaction. */
static int session_without_ticket(struct pd_ctx *c)
{
    int is_actor;

    if (c->cfg == NULL || (is_actor = pd_actor_state(c, c->user)) < 0)
        return pd_unusable_config(c, NULL, PAM_PERM_DENIED);
    if (!is_actor || pd_switched_in_by_other(c))
        return PAM_IGNORE;
    pd_audit_deny(c, DLG_NO_TICKET);
    return PAM_PERM_DENIED;
}

/* The ticket is judged again at the session's start (and, for sudo, the
 * target user). */
static int session_recheck(struct pd_ctx *c, const struct pd_state *st, const char *target)
{
    enum dlg_reason r;

    if (c->cfg == NULL) {
        pd_log_config_error(c);
        r = DLG_CONFIG_ERROR;
    } else if (strcmp(st->service, c->service) != 0) {
        r = DLG_SERVICE_NOT_ALLOWED;
    } else {
        r = dlg_recheck(c->cfg, &st->v, c->service, c->now);
        if (r == DLG_ADMIT && target != NULL)
            r = dlg_check_runas(c->cfg, &st->v, target);
    }
    if (r != DLG_ADMIT) {
        (void)pd_audit(c, "deny", &st->v, target, r);
        pd_state_drop(c->pamh);
        return PAM_PERM_DENIED;
    }
    return PAM_SUCCESS;
}

static int session_set_env(pam_handle_t *pamh, const struct pd_state *st)
{
    char expires[40];

    dlg_format_time(st->v.exp, expires, sizeof(expires));
    if (put_env(pamh, "DELEGATE_ACTOR", st->v.actor) != PAM_SUCCESS ||
        put_env(pamh, "DELEGATE_PRINCIPAL", st->v.sub) != PAM_SUCCESS ||
        put_env(pamh, "DELEGATE_TICKET_ID", st->v.jti) != PAM_SUCCESS ||
        put_env(pamh, "DELEGATE_EXPIRES", expires) != PAM_SUCCESS) {
        pam_syslog(pamh, LOG_ERR, "cannot set the DELEGATE_* environment");
        return PAM_BUF_ERR;
    }
    return PAM_SUCCESS;
}

/* Contain the session in its cell and record it. */
static int session_contain_record(struct pd_ctx *c, struct pd_state *st)
{
    struct pd_contain_in in = {
        .service = c->service, .now = c->now, .exp = st->v.exp,
        .tasks_max = c->cfg ? c->cfg->session_tasks_max : DLG_DEFAULT_TASKS_MAX,
        .grace = c->cfg ? c->cfg->session_grace : 5,
    };
    struct pd_contain_out out;
    struct dlg_session s = {
        .jti = st->v.jti, .actor = st->v.actor, .principal = st->v.sub,
        .service = (char *)c->service, .user = (char *)c->user,
        .tty = (char *)c->tty, .rhost = (char *)c->rhost,
        .iss = st->v.iss, .kid = st->v.kid,
        .pid = getpid(), .start = c->now, .expires = st->v.exp,
        .key = st->v.cnf_ssh, .iat = st->v.iat,
        .proved = st->proved,       /* borrowed: the record keeps the keys proven */
    };
    int rc;

    if (st->session_open) {
        (void)dlg_session_remove(DLG_SESSIONS_DIR, st->service, st->session_pid);
        pd_keytrust_forget(st->service, st->session_pid, st->session_ticks);
    }
    /* contained before it is recorded: a record always names a live cell */
    if (pd_contain(c->pamh, &in, &out) != 0)
        return PAM_PERM_DENIED;
    s.start_ticks = out.ticks;
    s.outer = out.outer[0] ? out.outer : NULL;
    rc = dlg_session_set_cell(&s, &out.cell) == 0 ? dlg_session_write(DLG_SESSIONS_DIR, &s) : -1;
    if (rc != 0) {
        /* fail closed: an unrecorded session cannot be listed or ended */
        pam_syslog(c->pamh, LOG_ERR, "cannot record the session under %s", DLG_SESSIONS_DIR);
    } else if (pd_keytrust_note(c->pamh, &s) != 0) {
        /* recorded first, then compared with the actor's other sessions,
         * so that of two sessions opening at once one sees the other */
        (void)dlg_session_remove(DLG_SESSIONS_DIR, c->service, s.pid);
        pd_keytrust_forget(c->service, s.pid, out.ticks);
        rc = -2;
    }
    free(s.cell);
    free(s.cgroup);
    free(s.unit);
    free(s.logind);
    if (rc != 0)
        return rc == -2 ? PAM_PERM_DENIED : PAM_SYSTEM_ERR;
    st->session_open = true;
    st->session_pid = getpid();
    st->session_ticks = out.ticks;
    /* The carry record (sudo: the one written for our parent) is spent. */
    if (st->carry_name[0] != '\0') {
        pd_carry_remove(st->carry_name);
        st->carry_name[0] = '\0';
    }
    /* the actor's own session: its home from the first login on */
    if (strcmp(c->user, st->v.actor) == 0)
        pd_actor_home(c->pamh, c->cfg, st->v.actor);
    return PAM_SUCCESS;
}

static int session_audit_open(struct pd_ctx *c, struct pd_state *st, const char *target)
{
    if (pd_audit(c, "session_open", &st->v, target, DLG_ADMIT) != 0) {
        pam_syslog(c->pamh, LOG_ERR, "audit trail cannot be written: session refused for %s",
                   c->user);
        (void)dlg_session_remove(DLG_SESSIONS_DIR, st->service, st->session_pid);
        pd_keytrust_forget(st->service, st->session_pid, st->session_ticks);
        st->session_open = false;
        return PAM_PERM_DENIED;
    }
    return PAM_SUCCESS;
}

PD_EXPORT int pam_sm_open_session(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
    struct pd_ctx c;
    struct pd_state *st = NULL;
    const char *target;
    int ret;

    (void)flags;
    pd_ctx_init(&c, pamh, argc, argv);
    if (c.user == NULL || c.service == NULL) {
        ret = PAM_USER_UNKNOWN;
        goto out;
    }
    ret = session_state(&c, &st);
    if (ret != PAM_SUCCESS)
        goto out;
    if (st == NULL) {
        ret = session_without_ticket(&c);
        goto out;
    }
    target = runas_target(&c, st);
    ret = session_recheck(&c, st, target);
    if (ret == PAM_SUCCESS)
        ret = session_set_env(pamh, st);
    if (ret == PAM_SUCCESS)
        ret = session_contain_record(&c, st);
    if (ret == PAM_SUCCESS)
        ret = session_audit_open(&c, st, target);
out:
    pd_ctx_free(&c);
    return ret;
}

PD_EXPORT int pam_sm_close_session(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
    struct pd_ctx c;
    struct pd_state *st;
    const char *target;
    bool took = false;
    int ret = PAM_IGNORE;

    (void)flags;
    pd_ctx_init(&c, pamh, argc, argv);
    st = pd_state_get(pamh);
    if (st == NULL || !st->session_open)
        goto out;
    target = runas_target(&c, st);
    /* Processes left in the session's group (a setsid or nohup child)
     * still hold the ticket's authority: the record stays, so that
     * `delegatectl watch` ends them at exp or at a revocation (and drops
     * the record once the group is empty). */
    if (pd_session_lingers(pamh, st->service, st->session_pid)) {
        pam_syslog(pamh, LOG_INFO, "session closed with processes left in its cgroup: "
                   "they end with the ticket's authority");
    } else if (!dlg_session_is_ending(DLG_SESSIONS_DIR, st->service, st->session_pid)) {
        took = dlg_session_take(DLG_SESSIONS_DIR, st->service, st->session_pid) == 1;
        if (took)
            pd_keytrust_forget(st->service, st->session_pid, st->session_ticks);
    }
    st->session_open = false;
    (void)pd_audit(&c, "session_close", &st->v, target, DLG_ADMIT);
    /* systemd ended the cell at exp (RuntimeMaxSec) and the leader closes:
     * the end of the session's authority, audited once (a session that watch
     * or --terminate are ending is theirs to remove and audit) */
    if (took && c.now >= st->v.exp)
        (void)pd_audit(&c, "session_end", &st->v, target, DLG_EXPIRED);
    ret = PAM_SUCCESS;
out:
    pd_ctx_free(&c);
    return ret;
}
