/* Containment of an admitted session (issue 10) and the checks that make
 * sure, already in account and setcred, that the session phase will be able
 * to contain, record and audit it: sshd ignores a failing session phase but
 * stops a login whose account or setcred phase fails. */
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <security/pam_ext.h>

#include "audit/audit.h"
#include "session/cgroup.h"
#include "pam_delegate.h"
#include "session/session.h"

int pd_session_preflight(pam_handle_t *pamh, const struct dlg_config *cfg, const char *user)
{
    char err[256];

    if (dlg_audit_writable(cfg) != 0) {
        pam_syslog(pamh, LOG_ERR, "audit trail cannot be written: delegation denied for %s",
                   user ? user : "(no user)");
        return PAM_PERM_DENIED;
    }
    if (dlg_session_dir_usable(DLG_SESSIONS_DIR) != 0) {
        pam_syslog(pamh, LOG_ERR, "session records cannot be written under %s: delegation denied for %s",
                   DLG_SESSIONS_DIR, user ? user : "(no user)");
        return PAM_PERM_DENIED;
    }
    err[0] = '\0';
    if (dlg_cg_usable(err, sizeof(err)) != 0) {
        pam_syslog(pamh, LOG_ERR, "the session cannot be contained (%s): delegation denied for %s",
                   err, user ? user : "(no user)");
        return PAM_PERM_DENIED;
    }
    return PAM_SUCCESS;
}

int pd_contain(pam_handle_t *pamh, const char *service, char *path, size_t len, uint64_t *ticks)
{
    struct dlg_session outer;
    char name[160], err[256];
    const char *parent = NULL;
    pid_t self = getpid();
    int rc;

    if (dlg_proc_start_ticks(self, ticks) != 0) {
        pam_syslog(pamh, LOG_ERR, "cannot read the start time of pid %ld", (long)self);
        return -1;
    }
    /* sudo inside a delegated session: nest inside that session's group */
    memset(&outer, 0, sizeof(outer));
    if (dlg_session_find_by_pid(DLG_SESSIONS_DIR, self, &outer) == 0)
        parent = outer.cgroup;
    snprintf(name, sizeof(name), "%s-%ld-%llu", service, (long)self, (unsigned long long)*ticks);
    err[0] = '\0';
    rc = dlg_cg_contain(self, name, parent, path, len, err, sizeof(err));
    if (rc != 0)
        pam_syslog(pamh, LOG_ERR, "the session cannot be contained: %s", err);
    dlg_session_free(&outer);
    return rc;
}

bool pd_session_lingers(pam_handle_t *pamh, pid_t leader, const char *group)
{
    char cur[DLG_CG_PATH_MAX];
    pid_t self = getpid();
    const char *g = group;

    (void)pamh;
    if (leader != self || !dlg_cg_valid_path(group))
        return false;
    /* systemd: pam_systemd may have moved this process into a logind
     * session scope after the open; that scope is the session's now */
    if (dlg_cg_systemd() && dlg_cg_of_pid(self, cur, sizeof(cur)) == 0 && dlg_cg_scope_kind(cur) != 0)
        g = cur;
    return dlg_cg_others(g, self) > 0;
}
