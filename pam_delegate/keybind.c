/* Key binding (DESIGN.md §3 rule 10): which ssh key did the actor prove in
 * this connection?
 *
 * - sshd (any service but the local ones below): sshd puts the methods that
 *   already succeeded into the PAM environment as SSH_AUTH_INFO_0 before it
 *   runs the PAM auth stack for keyboard-interactive (and password): one
 *   line per method, "publickey TYPE BASE64" for a key whose signature sshd
 *   verified.  OpenSSH 9.2p1 sets it whether or not ExposeAuthInfo is on
 *   (that option only writes the SSH_USER_AUTH file for the session).  The
 *   client cannot set it: client environment reaches only the session.
 * - sudo, sudo-i, su, su-l: run by a local process, whose PAM environment
 *   proves nothing.  The key is the one of the delegated session the
 *   caller runs in (session containment, issue 10): see session_key(). */
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include <security/pam_ext.h>
#include <security/pam_modules.h>

#include "pam_delegate.h"
#include "decision/service.h"
#include "session/session.h"
#include "ticket/sshkey.h"

/* sudo, sudo-i, su, su-l */
static bool local_service(const char *service)
{
    const char *canon = dlg_service_canonical(service);

    return strcmp(canon, "sudo") == 0 || strcmp(canon, "su") == 0;
}

/* The key of the delegated session that the calling process (pid) runs
 * in, admitted for the same actor.  0 with fp filled, -1 when there is no
 * such session or it is not bound to a key.
 *
 * The session is found through containment (dlg_session_find_by_pid,
 * issue 10): the caller (sudo itself at auth, else its parent) runs inside
 * the cgroup of a live recorded session, which no unprivileged process can
 * leave.  The record is root-only and names the key its ticket was bound
 * to, verified at that session's own admission.  No such session, another
 * actor's, or an unbound one: no key, so a bound ticket is key_mismatch. */
static int session_key(const char *actor, pid_t pid, char fp[DLG_SSH_FP_LEN])
{
    struct dlg_session s;
    pid_t who[2] = { pid, getppid() };
    int rc = -1;
    size_t i;

    for (i = 0; i < 2; i++) {
        if (who[i] <= 1 || dlg_session_find_by_pid(DLG_SESSIONS_DIR, who[i], &s) != 0)
            continue;
        /* the innermost session the caller runs in: the actor's own, bound */
        if (s.actor && strcmp(s.actor, actor) == 0 && s.key && dlg_ssh_fp_valid(s.key)) {
            memcpy(fp, s.key, strlen(s.key) + 1);
            rc = 0;
        }
        dlg_session_free(&s);
        break;
    }
    return rc;
}

const char *pd_ssh_key(pam_handle_t *pamh, const char *service, const char *user, char *fp)
{
    const char *info;

    if (service == NULL || user == NULL)
        return NULL;
    if (local_service(service))
        return session_key(user, getpid(), fp) == 0 ? fp : NULL;
    info = pam_getenv(pamh, "SSH_AUTH_INFO_0");
    /* no publickey step (0), or one we cannot read (-1): no key proven */
    return dlg_ssh_auth_info_fp(info, fp) == 1 ? fp : NULL;
}
