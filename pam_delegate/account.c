/* The account and setcred phases (DESIGN.md §4): an actor passes only with
 * a ticket verified in this transaction that the config as it is now still
 * grants, and only where its session can be contained, recorded and
 * audited (sshd stops a login here, not in the session phase). */
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

PD_EXPORT int pam_sm_acct_mgmt(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
    struct pd_ctx c;
    struct pd_state *st;
    enum dlg_reason r;
    int ret = PAM_PERM_DENIED, is_actor = 0;

    (void)flags;
    pd_ctx_init(&c, pamh, argc, argv);
    st = pd_state_get(pamh);
    if (c.user == NULL || c.service == NULL) {
        ret = PAM_USER_UNKNOWN;
        goto out;
    }
    if (c.cfg == NULL || (is_actor = pd_actor_state(&c, c.user)) < 0) {
        ret = pd_unusable_config(&c, st ? &st->v : NULL, PAM_PERM_DENIED);
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
        pd_audit_deny(&c, DLG_NO_TICKET);
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
        (void)pd_audit(&c, "deny", &st->v, NULL, r);
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
    pd_ctx_free(&c);
    return ret;
}

/* ---- setcred -------------------------------------------------------------- */

PD_EXPORT int pam_sm_setcred(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
    struct pd_ctx c;
    struct pd_state *found = NULL;
    int ret = PAM_CRED_ERR, is_actor = 0;

    (void)flags;
    pd_ctx_init(&c, pamh, argc, argv);
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
    if (c.cfg == NULL || (is_actor = pd_actor_state(&c, c.user)) < 0) {
        ret = pd_is_local_user(c.user) ? PAM_IGNORE : PAM_CRED_ERR;
        goto out;
    }
    if (!is_actor || pd_switched_in_by_other(&c))
        ret = PAM_IGNORE;
out:
    pd_state_free(found);
    pd_ctx_free(&c);
    return ret;
}
