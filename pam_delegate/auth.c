/* The auth phase (DESIGN.md §4): take the ticket (PAM_AUTHTOK or the
 * conversation), decide, audit, and keep the verdict for the later phases
 * (and, in sshd, for the monitor: carry.c). */
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
        authtok = pd_item_str(c->pamh, PAM_AUTHTOK);
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
        pd_log_config_error(c);
    if (r != DLG_ADMIT) {
        if (c->args.debug)
            pam_syslog(c->pamh, LOG_DEBUG, "ticket refused: %s", v->detail);
        (void)pd_audit(c, "deny", v, NULL, r);
        return -1;
    }
    if (pd_audit(c, "admit", v, NULL, DLG_ADMIT) != 0) {
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
    pd_ctx_init(&c, pamh, argc, argv);
    if (c.user == NULL && pam_get_user(pamh, &c.user, NULL) != PAM_SUCCESS) {
        ret = PAM_USER_UNKNOWN;
        goto out;
    }
    if (c.user == NULL || c.user[0] == '\0' || c.service == NULL) {
        ret = PAM_USER_UNKNOWN;
        goto out;
    }

    if (c.cfg == NULL || (is_actor = pd_actor_state(&c, c.user)) < 0) {
        ret = pd_unusable_config(&c, NULL, PAM_AUTH_ERR);
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
    pd_ctx_free(&c);
    return ret;
}
