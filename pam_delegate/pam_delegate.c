/* pam_delegate: admit a delegated actor only with a valid delegation ticket
 * (DESIGN.md §4).  The entry points are thin, one file per phase (auth.c,
 * account.c with setcred, session.c); the decision is dlg_decide_lazy /
 * dlg_recheck / dlg_check_runas of the shared core.  This file: what every
 * phase shares, the call's context, its log lines and its audit events. */
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

const char *pd_item_str(pam_handle_t *pamh, int type)
{
    const void *v = NULL;

    if (pam_get_item(pamh, type, &v) != PAM_SUCCESS || v == NULL ||
        ((const char *)v)[0] == '\0')
        return NULL;
    return v;
}

void pd_ctx_init(struct pd_ctx *c, pam_handle_t *pamh, int argc, const char **argv)
{
    memset(c, 0, sizeof(*c));
    c->pamh = pamh;
    pd_parse_args(pamh, argc, argv, &c->args);
    c->user = pd_item_str(pamh, PAM_USER);
    c->ruser = pd_item_str(pamh, PAM_RUSER);
    c->service = pd_item_str(pamh, PAM_SERVICE);
    c->rhost = pd_item_str(pamh, PAM_RHOST);
    c->tty = pd_item_str(pamh, PAM_TTY);
    c->now = (int64_t)time(NULL);
    if (!c->args.config_invalid)
        c->cfg = pd_config_get_compiled(pamh, c->args.config, c->args.compiled, &c->diag,
                                        &c->cfg_owned);
}

void pd_ctx_free(struct pd_ctx *c)
{
    if (c->cfg_owned)
        dlg_config_free(c->cfg);
    dlg_diag_free(&c->diag);
}

/* A user name for a log line: PAM_USER can be anything a client sent, so
 * every byte outside printable ASCII becomes '?' (DESIGN §8: nothing raw). */
const char *pd_loggable(const char *s, char *buf, size_t len)
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
void pd_log_config_error(struct pd_ctx *c)
{
    const char *why = c->args.config_invalid ? "config= must be an absolute path"
                      : c->diag.errors.n > 0 ? c->diag.errors.v[0] : "cannot load";
    char ub[80];

    pam_syslog(c->pamh, LOG_ERR, "unusable config %s (%s): delegation denied for %s",
               c->args.config, why, pd_loggable(c->user, ub, sizeof(ub)));
}

/* Returns -1 when the audit file could not be written: an admission that
 * leaves no trace is refused by the callers (fail closed for actors). */
int pd_audit(struct pd_ctx *c, const char *event, const struct dlg_verdict *v, const char *runas,
             enum dlg_reason reason)
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
                   pd_loggable(c->user, ub, sizeof(ub)), c->service ? c->service : "",
                   ev.reason ? " reason=" : "", ev.reason ? ev.reason : "");
    }
    return rc;
}

/* A deny before any ticket was looked at. */
void pd_audit_deny(struct pd_ctx *c, enum dlg_reason reason)
{
    (void)pd_audit(c, "deny", NULL, NULL, reason);
}

/* The config is unusable, so nobody can tell who is an actor: root,
 * /etc/passwd users and users of other NSS sources are never blocked
 * (PAM_IGNORE, see pd_is_local_user); anyone else is refused
 * with deny_code, one log line and a config_error audit event. */
int pd_unusable_config(struct pd_ctx *c, const struct dlg_verdict *v, int deny_code)
{
    if (pd_is_local_user(c->user))
        return PAM_IGNORE;
    pd_log_config_error(c);
    (void)pd_audit(c, "deny", v, NULL, DLG_CONFIG_ERROR);
    return deny_code;
}

/* Whether name is an actor: 1 yes, 0 no, -1 the config could not say (an
 * internal error).  -1 is never "not an actor": callers treat the user as
 * under an unusable config (local users pass, anyone else is denied with
 * config_error; DESIGN §3 fail closed for actors). */
int pd_actor_state(struct pd_ctx *c, const char *name)
{
    const struct dlg_actor *a;
    int k = dlg_config_find_actor(c->cfg, name, &a);

    if (k < 0)
        dlg_diag_error(&c->diag, c->args.config, 0, "internal error looking up a user");
    return k;
}

/* Someone who proved who they are some other way switches into an actor
 * account (root's "sudo -u ACTOR", a sudoers grant): not ours to block. */
bool pd_switched_in_by_other(struct pd_ctx *c)
{
    return c->ruser != NULL && strcmp(c->ruser, c->user) != 0 && pd_actor_state(c, c->ruser) == 0;
}
