/* The systemd backend (systemd as PID 1; see contain.h).  The cgroup tree is
 * systemd's: it is read here, never written.  A session that pam_systemd
 * registers is contained by logind's session scope (bounded by the PAM data
 * items pam_delegate sets for pam_systemd); any other gets a transient scope
 * of its own over D-Bus. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <systemd/sd-login.h>

#include "session/contain/backend.h"

#define LOGIND "org.freedesktop.login1"
#define SYSTEMD "org.freedesktop.systemd1"

int dlg_sd_usable(char *err, size_t errlen)
{
    struct sd_bus *bus = dlg_bus_open(err, errlen);
    int rc;

    if (!bus)
        return -1;
    rc = dlg_bus_ping(bus, SYSTEMD, err, errlen);
    dlg_bus_close(bus);
    return rc;
}

bool dlg_contain_logind_running(void)
{
    return faccessat(AT_FDCWD, "/run/systemd/seats/", F_OK, AT_EACCESS) == 0;
}

static bool in_logind_session(pid_t pid)
{
    char *sid = NULL;
    bool in = sd_pid_get_session(pid, &sid) >= 0;

    free(sid);
    return in;
}

/* The last component of a group path. */
static const char *last_part(const char *path)
{
    const char *s = strrchr(path, '/');

    return s ? s + 1 : path;
}

/* A logind session: pam_systemd registers it right after the module's
 * session phase.  Only logind's answer is checked here (no answer: the
 * session would run outside any scope, so it is refused). */
static int open_logind(struct dlg_cell *cell, char *err, size_t errlen)
{
    struct sd_bus *bus = dlg_bus_open(err, errlen);
    int rc;

    if (!bus)
        return -1;
    rc = dlg_bus_ping(bus, LOGIND, err, errlen);
    dlg_bus_close(bus);
    if (rc == 0)
        cell->kind = DLG_CELL_LOGIND;       /* pending: resolved from the leader */
    return rc;
}

/* A transient scope of its own, bound to the session it runs in. */
static int open_scope(const struct dlg_contain_req *req, struct dlg_cell *cell, char *err,
                      size_t errlen)
{
    char cur[DLG_CG_PATH_MAX];
    const char *binds_to = NULL;
    struct sd_bus *bus;
    int rc;

    cell->kind = DLG_CELL_SCOPE;
    if ((size_t)snprintf(cell->unit, sizeof(cell->unit), "delegate-%s.scope", req->name) >= sizeof(cell->unit)) {
        dlg_set_err(err, errlen, "unit name too long");
        return -1;
    }
    /* a second session of the same process: its scope already */
    if (dlg_cg_of_pid(req->pid, cur, sizeof(cur)) == 0 && strcmp(last_part(cur), cell->unit) == 0)
        return dlg_copy_str(cell->cgroup, sizeof(cell->cgroup), cur);
    if (req->outer && req->outer->unit[0] && dlg_sd_owned(req->outer))
        binds_to = req->outer->unit;
    bus = dlg_bus_open(err, errlen);
    if (!bus)
        return -1;
    rc = dlg_bus_start_scope(bus, cell->unit, req, binds_to, err, errlen);
    dlg_bus_close(bus);
    if (rc != 0)
        return -1;
    if (dlg_cg_of_pid(req->pid, cur, sizeof(cur)) != 0 || strcmp(last_part(cur), cell->unit) != 0) {
        dlg_set_err(err, errlen, "pid %ld is not in %s after its job", (long)req->pid, cell->unit);
        return -1;
    }
    return dlg_copy_str(cell->cgroup, sizeof(cell->cgroup), cur);
}

int dlg_sd_open(const struct dlg_contain_req *req, struct dlg_cell *cell, char *err, size_t errlen)
{
    if (!req->logind)
        return open_scope(req, cell, err, errlen);
    /* pam_systemd registers no session for a process that already runs in
     * one (sudo -i, su -l from a login): it would stay in the caller's scope.
     * A scope of its own first, so that the session pam_systemd registers
     * next is this one's, not the caller's. */
    if (in_logind_session(req->pid) && open_scope(req, cell, err, errlen) != 0)
        return -1;
    memset(cell, 0, sizeof(*cell));
    return open_logind(cell, err, errlen);
}

static bool session_id_ok(const char *id)
{
    const char *p;

    if (!id[0] || strlen(id) >= DLG_LOGIND_ID_MAX)
        return false;
    for (p = id; *p; p++)
        if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9')))
            return false;
    return true;
}

int dlg_cell_resolve(struct dlg_cell *cell, pid_t leader, uint64_t start_ticks)
{
    char cur[DLG_CG_PATH_MAX], id[DLG_LOGIND_ID_MAX];
    const char *last;
    uint64_t ticks;
    uid_t uid;
    size_t n;

    if (cell->kind != DLG_CELL_LOGIND || cell->logind[0])
        return 1;
    if (start_ticks == 0 || dlg_proc_start_ticks(leader, &ticks) != 0 || ticks != start_ticks)
        return -1;
    if (dlg_cg_of_pid(leader, cur, sizeof(cur)) != 0 || dlg_cg_scope_kind(cur) != 1)
        return 0;
    last = last_part(cur);
    n = strlen(last) - strlen("session-") - strlen(".scope");
    if (n == 0 || n >= sizeof(id))
        return 0;
    memcpy(id, last + strlen("session-"), n);
    id[n] = '\0';
    /* logind knows it (the leader, a root process the actor cannot move,
     * runs in it: pam_systemd put it there) */
    if (!session_id_ok(id) || sd_session_get_uid(id, &uid) < 0)
        return 0;
    if (dlg_copy_str(cell->cgroup, sizeof(cell->cgroup), cur) != 0 ||
        dlg_copy_str(cell->unit, sizeof(cell->unit), last) != 0 ||
        dlg_copy_str(cell->logind, sizeof(cell->logind), id) != 0) {
        memset(cell->cgroup, 0, sizeof(cell->cgroup));
        cell->unit[0] = cell->logind[0] = '\0';
        return 0;
    }
    return 1;
}

bool dlg_sd_owned(const struct dlg_cell *cell)
{
    char want[DLG_UNIT_MAX];
    size_t n = strlen(cell->unit);

    if (cell->kind == DLG_CELL_LOGIND) {
        if (!cell->logind[0])       /* pending: nothing to act on yet */
            return !cell->unit[0] && !cell->cgroup[0];
        snprintf(want, sizeof(want), "session-%s.scope", cell->logind);
        return session_id_ok(cell->logind) && strcmp(cell->unit, want) == 0 &&
               dlg_cg_valid_path(cell->cgroup) && strcmp(last_part(cell->cgroup), cell->unit) == 0;
    }
    if (cell->kind != DLG_CELL_SCOPE || cell->logind[0] || n <= 15 ||
        strncmp(cell->unit, "delegate-", 9) != 0 || strcmp(cell->unit + n - 6, ".scope") != 0 ||
        !dlg_cg2_group_name_ok(cell->unit + 9, n - 15))
        return false;
    return dlg_cg_valid_path(cell->cgroup) && strcmp(last_part(cell->cgroup), cell->unit) == 0;
}

int dlg_sd_signal(const struct dlg_cell *cell, int sig)
{
    char err[256];
    struct sd_bus *bus = dlg_bus_open(err, sizeof(err));
    int rc;

    if (!bus)
        return -1;
    rc = dlg_bus_kill_unit(bus, cell->unit, sig, err, sizeof(err));
    dlg_bus_close(bus);
    return rc;
}

int dlg_sd_terminate(const struct dlg_cell *cell)
{
    char err[256];
    struct sd_bus *bus = dlg_bus_open(err, sizeof(err));
    int rc;

    if (!bus)
        return -1;
    rc = dlg_bus_terminate_session(bus, cell->logind, err, sizeof(err));
    dlg_bus_close(bus);
    return rc;
}
