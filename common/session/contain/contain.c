/* One interface, two backends (see contain.h): which backend serves the
 * host, and the operations on a cell whatever its kind. */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "session/contain/backend.h"

void dlg_set_err(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;

    if (!err || errlen == 0)
        return;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

int dlg_copy_str(char *buf, size_t len, const char *s)
{
    if ((size_t)snprintf(buf, len, "%s", s ? s : "") >= len) {
        errno = ENAMETOOLONG;
        return -1;
    }
    return 0;
}

const char *dlg_cell_kind_str(enum dlg_cell_kind k)
{
    switch (k) {
    case DLG_CELL_CGROUP: return "cgroup";
    case DLG_CELL_SCOPE: return "scope";
    case DLG_CELL_LOGIND: return "logind";
    case DLG_CELL_NONE: break;
    }
    return NULL;
}

enum dlg_cell_kind dlg_cell_kind_parse(const char *s)
{
    if (!s)
        return DLG_CELL_NONE;
    if (strcmp(s, "cgroup") == 0)
        return DLG_CELL_CGROUP;
    if (strcmp(s, "scope") == 0)
        return DLG_CELL_SCOPE;
    if (strcmp(s, "logind") == 0)
        return DLG_CELL_LOGIND;
    return DLG_CELL_NONE;
}

bool dlg_contain_systemd(void)
{
    return dlg_cg_systemd();
}

int dlg_contain_usable(char *err, size_t errlen)
{
    char mnt[256];

    if (dlg_cg_mount(mnt, sizeof(mnt)) != 0) {
        dlg_set_err(err, errlen, "no cgroup2 hierarchy is mounted");
        return -1;
    }
    return dlg_contain_systemd() ? dlg_sd_usable(err, errlen) : dlg_cg2_usable(err, errlen);
}

int dlg_contain_open(const struct dlg_contain_req *req, struct dlg_cell *cell, char *err,
                     size_t errlen)
{
    const char *p;

    memset(cell, 0, sizeof(*cell));
    if (req->pid <= 0 || !req->name || !req->name[0] || req->name[0] == '.' || strlen(req->name) > 128) {
        dlg_set_err(err, errlen, "invalid session name");
        return -1;
    }
    for (p = req->name; *p; p++)
        if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
              *p == '.' || *p == '_' || *p == '-')) {
            dlg_set_err(err, errlen, "invalid session name");
            return -1;
        }
    return dlg_contain_systemd() ? dlg_sd_open(req, cell, err, errlen)
                                 : dlg_cg2_open(req, cell, err, errlen);
}

bool dlg_cell_owned(const struct dlg_cell *cell)
{
    switch (cell->kind) {
    case DLG_CELL_CGROUP: return dlg_cg2_owned(cell);
    case DLG_CELL_SCOPE:
    case DLG_CELL_LOGIND: return dlg_sd_owned(cell);
    case DLG_CELL_NONE: break;
    }
    return false;
}

/* a cell the ending code may act on: owned and resolved */
static bool actionable(const struct dlg_cell *cell)
{
    if (!dlg_cell_owned(cell) || !cell->cgroup[0]) {
        errno = EINVAL;
        return false;
    }
    return true;
}

int dlg_cell_signal(const struct dlg_cell *cell, int sig)
{
    int n;

    if (!actionable(cell))
        return -1;
    if (cell->kind == DLG_CELL_CGROUP)
        return dlg_cg_signal(cell->cgroup, sig);
    /* systemd: KillUnit; without an answer, the same signal process by
     * process (reading systemd's tree is fine, writing it is not) */
    n = dlg_sd_signal(cell, sig);
    return n >= 0 ? n : dlg_cg_signal(cell->cgroup, sig);
}

int dlg_cell_kill(const struct dlg_cell *cell)
{
    if (!actionable(cell))
        return -1;
    if (cell->kind == DLG_CELL_CGROUP)
        return dlg_cg_kill(cell->cgroup);
    if (dlg_sd_signal(cell, SIGKILL) >= 0)
        return 0;
    return dlg_cg_signal(cell->cgroup, SIGKILL) < 0 ? -1 : 0;
}

int dlg_cell_empty(const struct dlg_cell *cell)
{
    if (!actionable(cell))
        return -1;
    return dlg_cg_empty(cell->cgroup);
}

int dlg_cell_release(const struct dlg_cell *cell)
{
    if (!actionable(cell))
        return -1;
    if (cell->kind == DLG_CELL_CGROUP)
        return dlg_cg_remove(cell->cgroup);
    /* systemd collects an empty scope; logind forgets the session */
    if (cell->kind == DLG_CELL_LOGIND)
        (void)dlg_sd_terminate(cell);
    return 0;
}

int dlg_cell_others(const struct dlg_cell *cell, pid_t self)
{
    if (!actionable(cell))
        return -1;
    return dlg_cg_others(cell->cgroup, self);
}
