/* Containment of an admitted session (issue 10, issue 17) and the checks that
 * make sure, already in account and setcred, that the session phase will be
 * able to contain, record and audit it: sshd ignores a failing session phase
 * but stops a login whose account or setcred phase fails. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <security/pam_ext.h>

#include "audit/audit.h"
#include "pam_delegate.h"
#include "session/contain/contain.h"
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
    if (dlg_contain_usable(err, sizeof(err)) != 0) {
        pam_syslog(pamh, LOG_ERR, "the session cannot be contained (%s): delegation denied for %s",
                   err, user ? user : "(no user)");
        return PAM_PERM_DENIED;
    }
    return PAM_SUCCESS;
}

static void free_string(pam_handle_t *pamh, void *data, int error_status)
{
    (void)pamh;
    (void)error_status;
    free(data);
}

/* A PAM data item for pam_systemd, which reads it when it creates the
 * session's scope (systemd >= 244). */
static int set_systemd_item(pam_handle_t *pamh, const char *name, unsigned long long value)
{
    char *text = NULL;

    if (asprintf(&text, "%llu", value) < 0)
        return -1;
    if (pam_set_data(pamh, name, text, free_string) != PAM_SUCCESS) {
        free(text);
        return -1;
    }
    return 0;
}

/* Step: the request.  The cell is logind's when pam_systemd comes next in
 * this service's stack and logind runs: pam_systemd then registers the
 * session and bounds its scope itself, RuntimeMaxSec = the ticket's remaining
 * lifetime, TasksMax = sessions.tasks_max (the PAM data items set here). */
static int plan(pam_handle_t *pamh, const struct pd_contain_in *in, struct dlg_contain_req *req)
{
    int64_t left = in->exp - in->now;

    req->pid = getpid();
    req->runtime_usec = (uint64_t)(left > 1 ? left : 1) * 1000000ULL;
    req->tasks_max = in->tasks_max > 0 ? (uint64_t)in->tasks_max : 0;
    req->grace_usec = (uint64_t)(in->grace > 0 ? in->grace : 1) * 1000000ULL;
    req->logind = dlg_contain_systemd() && pd_stack_runs_pam_systemd(in->service) &&
                  dlg_contain_logind_running();
    if (!req->logind)
        return 0;
    if (set_systemd_item(pamh, "systemd.runtime_max_sec", req->runtime_usec / 1000000ULL) != 0 ||
        (req->tasks_max && set_systemd_item(pamh, "systemd.tasks_max", req->tasks_max) != 0)) {
        pam_syslog(pamh, LOG_ERR, "cannot set the PAM data items for pam_systemd");
        return -1;
    }
    return 0;
}

/* Step: where the kernel offers no pids controller on cgroup2, the task
 * limit falls back to RLIMIT_NPROC (tasks.c). */
static void limit_tasks(pam_handle_t *pamh, uint64_t max)
{
    if (max && !dlg_contain_tasks_enforced() && dlg_contain_limit_nproc(max) != 0)
        pam_syslog(pamh, LOG_WARNING, "cannot set RLIMIT_NPROC to %llu", (unsigned long long)max);
}

int pd_contain(pam_handle_t *pamh, const struct pd_contain_in *in, struct pd_contain_out *out)
{
    struct dlg_session outer;
    struct dlg_contain_req req;
    struct dlg_cell outer_cell;
    char name[160], err[256];
    int rc = -1;

    memset(out, 0, sizeof(*out));
    memset(&req, 0, sizeof(req));
    memset(&outer, 0, sizeof(outer));
    if (dlg_proc_start_ticks(getpid(), &out->ticks) != 0) {
        pam_syslog(pamh, LOG_ERR, "cannot read the start time of pid %ld", (long)getpid());
        return -1;
    }
    /* sudo inside a delegated session: inside it, or bound to it */
    if (dlg_session_find_by_pid(DLG_SESSIONS_DIR, getpid(), &outer) == 0 &&
        dlg_session_cell(&outer, &outer_cell) == 0 && outer_cell.kind != DLG_CELL_NONE) {
        req.outer = &outer_cell;
        snprintf(out->outer, sizeof(out->outer), "%s-%ld", outer.service, (long)outer.pid);
    }
    snprintf(name, sizeof(name), "%s-%ld-%llu", in->service, (long)getpid(),
             (unsigned long long)out->ticks);
    req.name = name;
    if (plan(pamh, in, &req) != 0)
        goto out;
    err[0] = '\0';
    rc = dlg_contain_open(&req, &out->cell, err, sizeof(err));
    if (rc != 0) {
        pam_syslog(pamh, LOG_ERR, "the session cannot be contained: %s", err);
        goto out;
    }
    limit_tasks(pamh, req.tasks_max);
out:
    dlg_session_free(&outer);
    return rc;
}

bool pd_session_lingers(pam_handle_t *pamh, const char *service, pid_t leader)
{
    struct dlg_session s;
    struct dlg_cell cell;
    bool lingers = false;

    (void)pamh;
    if (leader != getpid() || dlg_session_read(DLG_SESSIONS_DIR, service, leader, &s) != 0)
        return false;
    /* systemd: pam_systemd has put this process into logind's scope since
     * the open; the record names it from now on */
    (void)dlg_session_resolve(DLG_SESSIONS_DIR, &s);
    if (dlg_session_cell(&s, &cell) == 0 && cell.kind != DLG_CELL_NONE && cell.cgroup[0])
        lingers = dlg_cell_others(&cell, leader) > 0;
    dlg_session_free(&s);
    return lingers;
}
