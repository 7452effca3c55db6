/* Key binding (DESIGN.md §3 rule 10): which ssh keys did the actor prove?
 *
 * - sshd's services only ("sshd", or "sshd-NAME" for a renamed copy:
 *   dlg_service_is_sshd): sshd puts the methods that already succeeded into
 *   the PAM environment as SSH_AUTH_INFO_0 before it runs the PAM auth
 *   stack for keyboard-interactive or password, one line per method,
 *   "publickey TYPE BASE64" for each key whose signature its monitor
 *   verified.  Every such line counts (publickey,publickey,... proves
 *   several).  OpenSSH 9.2p1 sets it whether or not ExposeAuthInfo is on;
 *   the client cannot set it (client environment reaches only the
 *   session).  With the shipped AuthenticationMethods a password login
 *   follows no publickey step, so it proves no key.
 * - sudo, sudo-i, su, su-l: run by a local process, whose PAM environment
 *   proves nothing.  The keys are those the delegated session the caller
 *   runs in vouches for: the session whose cgroup holds this very process
 *   (never its parent's: issue 18 item 10), of the same actor and running
 *   as the actor; for su the caller (the real uid of the setuid su) must be
 *   the actor.  sudo's caller is the actor already: sudo sets PAM_USER from
 *   its real uid, and the decision checks it against act.sub.
 * - any other service (login, cron, ...): none.  A console login could
 *   otherwise carry SSH_AUTH_INFO_0 from pam_env or ~/.pam_environment. */
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include <security/pam_ext.h>
#include <security/pam_modules.h>

#include "pam_delegate.h"
#include "decision/service.h"
#include "session/session.h"
#include "ticket/sshkey.h"

/* The keys of the session the calling process runs in (see above). */
static int session_keys(const struct dlg_config *cfg, const char *service, const char *actor,
                        struct dlg_strv *out)
{
    const struct dlg_actor *a = dlg_config_actor(cfg, actor);
    struct dlg_session s;
    int rc;

    if (a == NULL)
        return 0;
    if (strcmp(dlg_service_canonical(service), "su") == 0 && getuid() != a->uid)
        return 0;               /* su by someone else: root, or a user sudo made */
    if (dlg_session_find_by_pid(DLG_SESSIONS_DIR, getpid(), &s) != 0)
        return 0;               /* outside every delegated session */
    rc = 0;
    /* the innermost session: the actor's own, running as the actor (not a
     * sudo of it to another user) */
    if (s.actor && s.user && strcmp(s.actor, actor) == 0 && strcmp(s.user, actor) == 0)
        rc = pd_keytrust_vouched(&s, out);
    dlg_session_free(&s);
    return rc;
}

int pd_ssh_keys(pam_handle_t *pamh, const struct dlg_config *cfg, const char *service,
                const char *user, struct dlg_strv *out)
{
    int rc = 0;

    if (cfg == NULL || service == NULL || user == NULL)
        return 0;
    if (dlg_service_is_sshd(service))
        rc = dlg_ssh_auth_info_fps(pam_getenv(pamh, "SSH_AUTH_INFO_0"), out);
    else if (dlg_service_is_local(service))
        rc = session_keys(cfg, service, user, out);
    if (rc < 0) {
        dlg_strv_free(out);
        return -1;
    }
    return (int)out->n;
}
