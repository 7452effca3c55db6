/* The cgroup2 backend (no systemd as PID 1): a group of our own under
 * /delegate, made and filled here (see contain.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "session/contain/backend.h"

int dlg_cg2_usable(char *err, size_t errlen)
{
    char fs[DLG_CG_PATH_MAX + 256];

    if (dlg_cg_fs_path(fs, sizeof(fs), DLG_CG_BASE, NULL) != 0) {
        dlg_set_err(err, errlen, "no cgroup2 hierarchy is mounted");
        return -1;
    }
    if (mkdir(fs, 0755) != 0 && errno != EEXIST) {
        dlg_set_err(err, errlen, "cannot create %s: %s", fs, strerror(errno));
        return -1;
    }
    if (dlg_cg_fs_path(fs, sizeof(fs), DLG_CG_BASE, "cgroup.procs") != 0 || faccessat(AT_FDCWD, fs, W_OK, AT_EACCESS) != 0) {
        dlg_set_err(err, errlen, "cannot write %s: %s", fs, strerror(errno));
        return -1;
    }
    return 0;
}

static bool ends_with(const char *s, const char *tail)
{
    size_t n = strlen(s), m = strlen(tail);

    return n >= m && strcmp(s + n - m, tail) == 0;
}

/* The last component of cur is a session group led by pid: "...-PID-TICKS". */
static bool led_by(const char *cur, pid_t pid)
{
    char tail[64];
    const char *last = strrchr(cur, '/');
    uint64_t ticks;

    if (!last || last[1] == '\0' || dlg_proc_start_ticks(pid, &ticks) != 0)
        return false;
    snprintf(tail, sizeof(tail), "-%ld-%llu", (long)pid, (unsigned long long)ticks);
    return ends_with(last + 1, tail);
}

/* Step 1: where the leader is now.  A second session of a process that
 * already leads one (same name: that very group; else a sibling of it). */
static int current_group(pid_t pid, const char *name, char *cur, size_t len, bool *same)
{
    char *slash;

    *same = false;
    if (dlg_cg_of_pid(pid, cur, len) != 0)
        return -1;
    if (led_by(cur, pid)) {
        slash = strrchr(cur, '/');
        if (strcmp(slash + 1, name) == 0) {
            *same = true;
            return 0;
        }
        *slash = '\0';
        if (!cur[0])
            snprintf(cur, len, "/");
    }
    return 0;
}

/* Step 2: the parent directory of the new group: the group of the session
 * the leader runs in (sudo inside a delegated session), else /delegate. */
static const char *parent_dir(const struct dlg_contain_req *req, const char *cur)
{
    const char *outer = req->outer && req->outer->kind == DLG_CELL_CGROUP ? req->outer->cgroup : NULL;

    if ((outer && dlg_cg_valid_path(outer) && dlg_cg_is_within(cur, outer)) ||
        (strncmp(cur, DLG_CG_BASE "/", sizeof(DLG_CG_BASE)) == 0 && dlg_cg_valid_path(cur)))
        return cur;
    return DLG_CG_BASE;
}

/* Step 3: pids for the groups below /delegate (root and /delegate enable
 * it in subtree_control when the kernel offers it on cgroup2). */
static void enable_pids_below_base(void)
{
    char fs[DLG_CG_PATH_MAX + 256], data[512];

    if (dlg_cg_fs_path(fs, sizeof(fs), DLG_CG_BASE, "cgroup.controllers") != 0 ||
        dlg_cg_read_small(fs, data, sizeof(data)) < 0 || !strstr(data, "pids")) {
        /* /delegate gets pids only when the root passes it on */
        if (dlg_cg_fs_path(fs, sizeof(fs), "/", "cgroup.subtree_control") == 0)
            (void)dlg_cg_write_text(fs, "+pids");
    }
    if (dlg_cg_fs_path(fs, sizeof(fs), DLG_CG_BASE, "cgroup.subtree_control") == 0 &&
        dlg_cg_read_small(fs, data, sizeof(data)) >= 0 && !strstr(data, "pids"))
        (void)dlg_cg_write_text(fs, "+pids");
}

/* Step 4: make the group (its name holds pid and start time: an existing
 * group of that name was made for this very process). */
static int make_group(const char *dir, const char *name, char *group, size_t len, char *err,
                      size_t errlen)
{
    char fs[DLG_CG_PATH_MAX + 256];
    int n;

    if (strcmp(dir, DLG_CG_BASE) == 0) {
        if (dlg_cg_fs_path(fs, sizeof(fs), dir, NULL) != 0 || (mkdir(fs, 0755) != 0 && errno != EEXIST)) {
            dlg_set_err(err, errlen, "cannot create the cgroup %s: %s", dir, strerror(errno));
            return -1;
        }
        enable_pids_below_base();
    }
    n = snprintf(group, len, "%s/%s", strcmp(dir, "/") == 0 ? "" : dir, name);
    if (n < 0 || (size_t)n >= len || !dlg_cg_valid_path(group)) {
        dlg_set_err(err, errlen, "cgroup path too long");
        return -1;
    }
    if (dlg_cg_fs_path(fs, sizeof(fs), group, NULL) != 0 || (mkdir(fs, 0755) != 0 && errno != EEXIST)) {
        dlg_set_err(err, errlen, "cannot create the cgroup %s: %s", group, strerror(errno));
        return -1;
    }
    return 0;
}

/* Step 5: the task limit of the group, where the pids controller is there. */
static void limit_tasks(const char *group, uint64_t max)
{
    char fs[DLG_CG_PATH_MAX + 256], text[32];

    if (max == 0 || dlg_cg_fs_path(fs, sizeof(fs), group, "pids.max") != 0 || faccessat(AT_FDCWD, fs, W_OK, AT_EACCESS) != 0)
        return;
    snprintf(text, sizeof(text), "%llu", (unsigned long long)max);
    (void)dlg_cg_write_text(fs, text);
}

/* Step 6: move the leader in and check it arrived. */
static int move_leader(pid_t pid, const char *group, char *err, size_t errlen)
{
    char fs[DLG_CG_PATH_MAX + 256], pidtxt[24], now[DLG_CG_PATH_MAX];

    snprintf(pidtxt, sizeof(pidtxt), "%ld\n", (long)pid);
    if (dlg_cg_fs_path(fs, sizeof(fs), group, "cgroup.procs") != 0 || dlg_cg_write_text(fs, pidtxt) != 0) {
        dlg_set_err(err, errlen, "cannot move pid %ld into %s: %s", (long)pid, group, strerror(errno));
        if (dlg_cg_fs_path(fs, sizeof(fs), group, NULL) == 0)
            (void)rmdir(fs);
        return -1;
    }
    if (dlg_cg_of_pid(pid, now, sizeof(now)) != 0 || strcmp(now, group) != 0) {
        dlg_set_err(err, errlen, "pid %ld is not in %s after the move", (long)pid, group);
        return -1;
    }
    return 0;
}

int dlg_cg2_open(const struct dlg_contain_req *req, struct dlg_cell *cell, char *err, size_t errlen)
{
    char cur[DLG_CG_PATH_MAX];
    bool same;

    memset(cell, 0, sizeof(*cell));
    cell->kind = DLG_CELL_CGROUP;
    if (current_group(req->pid, req->name, cur, sizeof(cur), &same) != 0) {
        dlg_set_err(err, errlen, "cannot read the cgroup of pid %ld", (long)req->pid);
        return -1;
    }
    if (same)
        return dlg_copy_str(cell->cgroup, sizeof(cell->cgroup), cur);
    if (make_group(parent_dir(req, cur), req->name, cell->cgroup, sizeof(cell->cgroup), err, errlen) != 0)
        return -1;
    limit_tasks(cell->cgroup, req->tasks_max);
    return move_leader(req->pid, cell->cgroup, err, errlen);
}

/* "SERVICE-PID-TICKS", as pam_delegate names its groups. */
bool dlg_cg2_group_name_ok(const char *name, size_t n)
{
    size_t i, dashes = 0, digits = 0;

    if (n == 0 || name[0] == '.' || name[0] == '-')
        return false;
    for (i = n; i-- > 0;) {
        char c = name[i];
        if (c >= '0' && c <= '9') {
            digits++;
            continue;
        }
        if (c != '-' || digits == 0)
            break;
        digits = 0;
        if (++dashes == 2)
            break;
    }
    if (dashes != 2 || i == 0)
        return false;
    for (i = 0; i < n; i++) {
        char c = name[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-'))
            return false;
    }
    return true;
}

bool dlg_cg2_owned(const struct dlg_cell *cell)
{
    const char *c, *p;

    if (cell->unit[0] || cell->logind[0] || !dlg_cg_valid_path(cell->cgroup) ||
        strncmp(cell->cgroup, DLG_CG_BASE "/", sizeof(DLG_CG_BASE)) != 0)
        return false;
    /* every component below /delegate is one of our session groups */
    for (c = cell->cgroup + sizeof(DLG_CG_BASE);; c = p + 1) {
        p = strchr(c, '/');
        if (!dlg_cg2_group_name_ok(c, p ? (size_t)(p - c) : strlen(c)))
            return false;
        if (!p)
            return true;
    }
}
