/* pam_delegate: admit a delegated actor only with a valid delegation ticket
 * (DESIGN.md §4).  The entry points are thin: the decision is dlg_decide_lazy /
 * dlg_recheck / dlg_check_runas of the shared core. */
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
#include "pam_delegate.h"
#include "decision/policy.h"
#include "session/session.h"
#include "util/util.h"

/* The entry points: the only symbols the module exports (with the version
 * script; everything else is built with hidden visibility). */
#define PD_EXPORT __attribute__((visibility("default")))

/* Everything one call of an entry point needs; no static mutable state. */
struct pd_ctx {
    pam_handle_t *pamh;
    struct pd_args args;
    const char *user, *ruser, *service, *rhost, *tty;
    struct dlg_config *cfg;     /* NULL: unusable config */
    bool cfg_owned;             /* else kept with the handle (pd_config_get) */
    struct dlg_diag diag;
    int64_t now;
};

static const char *item_str(pam_handle_t *pamh, int type)
{
    const void *v = NULL;

    if (pam_get_item(pamh, type, &v) != PAM_SUCCESS || v == NULL ||
        ((const char *)v)[0] == '\0')
        return NULL;
    return v;
}

static void ctx_init(struct pd_ctx *c, pam_handle_t *pamh, int argc, const char **argv)
{
    memset(c, 0, sizeof(*c));
    c->pamh = pamh;
    pd_parse_args(pamh, argc, argv, &c->args);
    c->user = item_str(pamh, PAM_USER);
    c->ruser = item_str(pamh, PAM_RUSER);
    c->service = item_str(pamh, PAM_SERVICE);
    c->rhost = item_str(pamh, PAM_RHOST);
    c->tty = item_str(pamh, PAM_TTY);
    c->now = (int64_t)time(NULL);
    if (!c->args.config_invalid)
        c->cfg = pd_config_get_compiled(pamh, c->args.config, c->args.compiled, &c->diag,
                                        &c->cfg_owned);
}

static void ctx_free(struct pd_ctx *c)
{
    if (c->cfg_owned)
        dlg_config_free(c->cfg);
    dlg_diag_free(&c->diag);
}

/* A user name for a log line: PAM_USER can be anything a client sent, so
 * every byte outside printable ASCII becomes '?' (DESIGN §8: nothing raw). */
static const char *loggable(const char *s, char *buf, size_t len)
{
    size_t i;

    if (s == NULL)
        return "(no user)";
    for (i = 0; s[i] != '\0' && i + 1 < len; i++)
        buf[i] = (s[i] > 0x20 && s[i] < 0x7f) ? s[i] : '?';
    buf[i] = '\0';
    return buf;
}

/* The one clear log line of an unusable config. */
static void log_config_error(struct pd_ctx *c)
{
    const char *why = c->args.config_invalid ? "config= must be an absolute path"
                      : c->diag.errors.n > 0 ? c->diag.errors.v[0] : "cannot load";
    char ub[80];

    pam_syslog(c->pamh, LOG_ERR, "unusable config %s (%s): delegation denied for %s",
               c->args.config, why, loggable(c->user, ub, sizeof(ub)));
}

/* Returns -1 when the audit file could not be written: an admission that
 * leaves no trace is refused by the callers (fail closed for actors). */
static int audit(struct pd_ctx *c, const char *event, const struct dlg_verdict *v,
                 const char *runas, enum dlg_reason reason)
{
    struct dlg_audit_event ev = {
        .ts = c->now,
        .event = event,
        .service = c->service,
        .user = c->user,
        .actor = v ? v->actor : NULL,
        .principal = v ? v->sub : NULL,
        .runas = runas,
        .jti = v ? v->jti : NULL,
        .iss = v ? v->iss : NULL,
        .kid = v ? v->kid : NULL,
        .rhost = c->rhost,
        .tty = c->tty,
        .pid = getpid(),
        .reason = strcmp(event, "deny") == 0 || strcmp(event, "session_end") == 0
                      ? dlg_reason_str(reason) : NULL,
        .key = v ? v->cnf_ssh : NULL,
    };

    int rc = dlg_audit(c->cfg, &ev);

    if (rc != 0)
        pam_syslog(c->pamh, LOG_ERR, "cannot write the audit file");
    if (c->args.debug) {
        char ub[80];
        pam_syslog(c->pamh, LOG_DEBUG, "%s user=%s service=%s%s%s", event,
                   loggable(c->user, ub, sizeof(ub)), c->service ? c->service : "",
                   ev.reason ? " reason=" : "", ev.reason ? ev.reason : "");
    }
    return rc;
}

/* A deny before any ticket was looked at. */
static void audit_deny(struct pd_ctx *c, enum dlg_reason reason)
{
    (void)audit(c, "deny", NULL, NULL, reason);
}

/* The config is unusable, so nobody can tell who is an actor: root,
 * /etc/passwd users and users of other NSS sources are never blocked
 * (PAM_IGNORE, see pd_is_local_user); anyone else is refused
 * with deny_code, one log line and a config_error audit event. */
static int unusable_config(struct pd_ctx *c, const struct dlg_verdict *v, int deny_code)
{
    if (pd_is_local_user(c->user))
        return PAM_IGNORE;
    log_config_error(c);
    (void)audit(c, "deny", v, NULL, DLG_CONFIG_ERROR);
    return deny_code;
}

/* Whether name is an actor: 1 yes, 0 no, -1 the config could not say (an
 * internal error).  -1 is never "not an actor": callers treat the user as
 * under an unusable config (local users pass, anyone else is denied with
 * config_error; DESIGN §3 fail closed for actors). */
static int actor_state(struct pd_ctx *c, const char *name)
{
    const struct dlg_actor *a;
    int k = dlg_config_find_actor(c->cfg, name, &a);

    if (k < 0)
        dlg_diag_error(&c->diag, c->args.config, 0, "internal error looking up a user");
    return k;
}

/* ---- auth ----------------------------------------------------------------- */

/* Ask through the conversation, echo off.  Not pam_get_authtok: that would
 * store the ticket as PAM_AUTHTOK for every later module to see.  Returns
 * the heap reply (caller wipes and frees) or NULL. */
static char *prompt_ticket(struct pd_ctx *c, const char *prompt)
{
    const struct pam_conv *conv = NULL;
    struct pam_message msg = { .msg_style = PAM_PROMPT_ECHO_OFF, .msg = prompt };
    const struct pam_message *pmsg = &msg;
    struct pam_response *resp = NULL;
    char *answer = NULL;
    int rc;

    if (pam_get_item(c->pamh, PAM_CONV, (const void **)&conv) != PAM_SUCCESS ||
        conv == NULL || conv->conv == NULL)
        return NULL;
    rc = conv->conv(1, &pmsg, &resp, conv->appdata_ptr);
    if (resp != NULL) {
        answer = resp[0].resp;
        free(resp);
    }
    if (rc != PAM_SUCCESS && answer != NULL) {
        explicit_bzero(answer, strlen(answer));
        free(answer);
        answer = NULL;
    }
    return answer;
}

static void wipe_free(char *s)
{
    if (s != NULL) {
        explicit_bzero(s, strlen(s));
        free(s);
    }
}

/* Only the issuer key the ticket selects is read (dlg_decide_lazy): an
 * unusable key file of another issuer does not stop this one.  keys: the
 * ssh keys proven in this transaction (pd_ssh_keys). */
static enum dlg_reason decide(struct pd_ctx *c, const char *ticket, const struct dlg_strv *keys,
                              struct dlg_verdict *v)
{
    struct dlg_request req = {
        .user = c->user,
        .service = c->service,
        .rhost = c->rhost,
        .runas = NULL,
        .now = c->now,
        .once_dir = DLG_ONCE_DIR,
        .consume_once = true,
        .ssh_keys = keys,
    };
    size_t len;

    memset(v, 0, sizeof(*v));
    if (ticket == NULL)
        ticket = "";
    len = strlen(ticket);
    /* a reply ended by a newline (a pasted line) is the same ticket */
    if (len > 0 && ticket[len - 1] == '\n')
        len--;
    if (len > 0 && ticket[len - 1] == '\r')
        len--;
    return dlg_decide_lazy(c->cfg, ticket, len, &req, v, &c->diag);
}

static struct pd_state *state_from_verdict(struct pd_ctx *c, struct dlg_verdict *v,
                                           struct dlg_strv *keys)
{
    struct pd_state *st = calloc(1, sizeof(*st));

    if (st == NULL)
        return NULL;
    st->v = *v;                 /* takes ownership */
    memset(v, 0, sizeof(*v));
    st->proved = *keys;         /* and of the keys */
    memset(keys, 0, sizeof(*keys));
    st->user = strdup(c->user);
    st->service = strdup(c->service);
    st->rhost = c->rhost ? strdup(c->rhost) : NULL;
    st->created = c->now;
    if (st->user == NULL || st->service == NULL || (c->rhost && st->rhost == NULL)) {
        pd_state_free(st);
        return NULL;
    }
    return st;
}

/* Read the ticket (the stacked token or a prompt, per the arguments) and
 * judge it with the ssh keys proven in this transaction (*keys, filled). */
static enum dlg_reason auth_decide(struct pd_ctx *c, struct dlg_strv *keys, struct dlg_verdict *v)
{
    const char *authtok = NULL;
    char *answer = NULL;
    enum dlg_reason r;

    /* -1 leaves keys empty: a bound ticket is then key_mismatch */
    (void)pd_ssh_keys(c->pamh, c->cfg, c->service, c->user, keys);
    if (c->args.use_first_pass || c->args.try_first_pass)
        authtok = item_str(c->pamh, PAM_AUTHTOK);
    if (authtok != NULL) {
        r = decide(c, authtok, keys, v);
        /* try_first_pass: the stacked token may have been meant for
         * another module; ask once more. */
        if (r != DLG_ADMIT && c->args.try_first_pass) {
            answer = prompt_ticket(c, c->cfg->prompt);
            if (answer != NULL && answer[0] != '\0') {
                dlg_verdict_free(v);
                r = decide(c, answer, keys, v);
            }
        }
    } else if (!c->args.use_first_pass) {
        answer = prompt_ticket(c, c->cfg->prompt);
        r = decide(c, answer, keys, v);
    } else {
        r = decide(c, NULL, keys, v);     /* no_ticket, from the core */
    }
    wipe_free(answer);
    return r;
}

/* Log and audit the verdict; 0 when the ticket is admitted and the audit
 * line is written. */
static int auth_audit(struct pd_ctx *c, const struct dlg_verdict *v, enum dlg_reason r)
{
    /* the key file the ticket selects is unusable */
    if (r == DLG_CONFIG_ERROR && c->diag.errors.n > 0)
        log_config_error(c);
    if (r != DLG_ADMIT) {
        if (c->args.debug)
            pam_syslog(c->pamh, LOG_DEBUG, "ticket refused: %s", v->detail);
        (void)audit(c, "deny", v, NULL, r);
        return -1;
    }
    if (audit(c, "admit", v, NULL, DLG_ADMIT) != 0) {
        pam_syslog(c->pamh, LOG_ERR, "audit trail cannot be written: delegation denied for %s",
                   c->user);
        return -1;
    }
    return 0;
}

/* Keep the admitted verdict and the keys proven (taken from *v and *keys)
 * for account and session. */
static int auth_keep(struct pd_ctx *c, struct dlg_verdict *v, struct dlg_strv *keys)
{
    struct pd_state *st = state_from_verdict(c, v, keys);

    if (st == NULL)
        return PAM_BUF_ERR;
    /* For sshd keyboard-interactive: the session runs in our parent. */
    (void)pd_carry_write(c->pamh, st, getppid(), c->now);
    return pd_state_set(c->pamh, st) == PAM_SUCCESS ? PAM_SUCCESS : PAM_BUF_ERR;  /* frees st on failure */
}

PD_EXPORT int pam_sm_authenticate(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
    struct pd_ctx c;
    struct dlg_verdict v = { 0 };
    struct dlg_strv keys = { 0 };
    int ret = PAM_AUTH_ERR, is_actor = 0;

    (void)flags;
    ctx_init(&c, pamh, argc, argv);
    if (c.user == NULL && pam_get_user(pamh, &c.user, NULL) != PAM_SUCCESS) {
        ret = PAM_USER_UNKNOWN;
        goto out;
    }
    if (c.user == NULL || c.user[0] == '\0' || c.service == NULL) {
        ret = PAM_USER_UNKNOWN;
        goto out;
    }

    if (c.cfg == NULL || (is_actor = actor_state(&c, c.user)) < 0) {
        ret = unusable_config(&c, NULL, PAM_AUTH_ERR);
        goto out;
    }
    if (!is_actor) {
        ret = PAM_IGNORE;
        goto out;
    }

    /* a new authentication replaces whatever an earlier one proved */
    pd_state_drop(pamh);
    if (auth_audit(&c, &v, auth_decide(&c, &keys, &v)) == 0)
        ret = auth_keep(&c, &v, &keys);
out:
    dlg_verdict_free(&v);
    dlg_strv_free(&keys);
    ctx_free(&c);
    return ret;
}

/* ---- account -------------------------------------------------------------- */

PD_EXPORT int pam_sm_acct_mgmt(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
    struct pd_ctx c;
    struct pd_state *st;
    enum dlg_reason r;
    int ret = PAM_PERM_DENIED, is_actor = 0;

    (void)flags;
    ctx_init(&c, pamh, argc, argv);
    st = pd_state_get(pamh);
    if (c.user == NULL || c.service == NULL) {
        ret = PAM_USER_UNKNOWN;
        goto out;
    }
    if (c.cfg == NULL || (is_actor = actor_state(&c, c.user)) < 0) {
        ret = unusable_config(&c, st ? &st->v : NULL, PAM_PERM_DENIED);
        if (ret != PAM_IGNORE)
            pd_state_drop(pamh);
        goto out;
    }
    /* An actor dropped from the config since auth is still judged (and
     * refused) by the recheck. */
    if (!is_actor && (st == NULL || strcmp(st->user, c.user) != 0)) {
        ret = PAM_IGNORE;
        goto out;
    }
    if (st == NULL) {
        /* admitted by something else: an ssh key, sudo's cached timestamp */
        audit_deny(&c, DLG_NO_TICKET);
        goto out;
    }
    if (strcmp(st->user, c.user) != 0) {
        r = DLG_ACTOR_MISMATCH;
    } else if (strcmp(st->service, c.service) != 0) {
        r = DLG_SERVICE_NOT_ALLOWED;
    } else {
        r = dlg_recheck(c.cfg, &st->v, c.service, c.now);
    }
    if (r != DLG_ADMIT) {
        (void)audit(&c, "deny", &st->v, NULL, r);
        pd_state_drop(pamh);
        goto out;
    }
    /* sshd goes on after a failing session phase: refuse here what the
     * session phase could not do (audit, record, containment) */
    ret = pd_session_preflight(pamh, c.cfg, c.user);
    if (ret != PAM_SUCCESS) {
        pd_state_drop(pamh);
        goto out;
    }
out:
    ctx_free(&c);
    return ret;
}

/* ---- setcred -------------------------------------------------------------- */

/* Someone who proved who they are some other way switches into an actor
 * account (root's "sudo -u ACTOR", a sudoers grant): not ours to block. */
static bool switched_in_by_other(struct pd_ctx *c)
{
    return c->ruser != NULL && strcmp(c->ruser, c->user) != 0 && actor_state(c, c->ruser) == 0;
}

PD_EXPORT int pam_sm_setcred(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
    struct pd_ctx c;
    struct pd_state *found = NULL;
    int ret = PAM_CRED_ERR, is_actor = 0;

    (void)flags;
    ctx_init(&c, pamh, argc, argv);
    if (c.user == NULL || c.service == NULL) {
        ret = PAM_USER_UNKNOWN;
        goto out;
    }
    /* an admitted actor: sshd makes a failing setcred fatal, so refuse here
     * a session that could not be contained, recorded or audited */
    if (pd_state_get(pamh) != NULL) {
        ret = pd_session_preflight(pamh, c.cfg, c.user) == PAM_SUCCESS ? PAM_SUCCESS : PAM_CRED_ERR;
        goto out;
    }
    /* sshd keyboard-interactive: auth ran in a child of this process */
    found = pd_carry_find(pamh, c.user, c.ruser, c.service, c.now, false);
    if (found != NULL) {
        ret = pd_session_preflight(pamh, c.cfg, c.user) == PAM_SUCCESS ? PAM_SUCCESS : PAM_CRED_ERR;
        goto out;
    }
    if (c.cfg == NULL || (is_actor = actor_state(&c, c.user)) < 0) {
        ret = pd_is_local_user(c.user) ? PAM_IGNORE : PAM_CRED_ERR;
        goto out;
    }
    if (!is_actor || switched_in_by_other(&c))
        ret = PAM_IGNORE;
out:
    pd_state_free(found);
    ctx_free(&c);
    return ret;
}

/* ---- session -------------------------------------------------------------- */

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

    if (c->cfg == NULL || (is_actor = actor_state(c, c->user)) < 0)
        return unusable_config(c, NULL, PAM_PERM_DENIED);
    if (!is_actor || switched_in_by_other(c))
        return PAM_IGNORE;
    audit_deny(c, DLG_NO_TICKET);
    return PAM_PERM_DENIED;
}

/* The ticket is judged again at the session's start (and, for sudo, the
 * target user). */
static int session_recheck(struct pd_ctx *c, const struct pd_state *st, const char *target)
{
    enum dlg_reason r;

    if (c->cfg == NULL) {
        log_config_error(c);
        r = DLG_CONFIG_ERROR;
    } else if (strcmp(st->service, c->service) != 0) {
        r = DLG_SERVICE_NOT_ALLOWED;
    } else {
        r = dlg_recheck(c->cfg, &st->v, c->service, c->now);
        if (r == DLG_ADMIT && target != NULL)
            r = dlg_check_runas(c->cfg, &st->v, target);
    }
    if (r != DLG_ADMIT) {
        (void)audit(c, "deny", &st->v, target, r);
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
    if (audit(c, "session_open", &st->v, target, DLG_ADMIT) != 0) {
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
    ctx_init(&c, pamh, argc, argv);
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
    ctx_free(&c);
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
    ctx_init(&c, pamh, argc, argv);
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
    (void)audit(&c, "session_close", &st->v, target, DLG_ADMIT);
    /* systemd ended the cell at exp (RuntimeMaxSec) and the leader closes:
     * the end of the session's authority, audited once (a session that watch
     * or --terminate are ending is theirs to remove and audit) */
    if (took && c.now >= st->v.exp)
        (void)audit(&c, "session_end", &st->v, target, DLG_EXPIRED);
    ret = PAM_SUCCESS;
out:
    ctx_free(&c);
    return ret;
}
