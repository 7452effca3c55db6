/* Walks over a group and its descendants: signal, kill, count, remove (see
 * cgroup.h).  Each walk reads cgroup.procs of every group below the named one
 * and visits each process listed there. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "session/contain/cgroup.h"

#define CG_MAX_DEPTH 32
#define FREEZE_WAIT_MS 1000

static bool no_kill_file;

void dlg_cg_pretend_no_kill_file(bool on)
{
    no_kill_file = on;
}

typedef int (*proc_fn)(pid_t pid, void *ctx);

/* fn for every process listed in sub and in every group below it; the sum
 * of what fn returned (each >= 0), or -1 when sub cannot be read. */
static int visit_tree(const char *sub, int depth, proc_fn fn, void *ctx)
{
    char fs[DLG_CG_PATH_MAX + 256], child[DLG_CG_PATH_MAX], line[32];
    struct dirent *de;
    FILE *fp;
    DIR *d;
    long pid;
    int count = 0, n;

    if (depth > CG_MAX_DEPTH || dlg_cg_fs_path(fs, sizeof(fs), sub, "cgroup.procs") != 0)
        return -1;
    fp = fopen(fs, "re");
    if (!fp)
        return errno == ENOENT ? 0 : -1;
    while (fgets(line, sizeof(line), fp))
        if (sscanf(line, "%ld", &pid) == 1 && pid > 1)
            count += fn((pid_t)pid, ctx);
    fclose(fp);
    if (dlg_cg_fs_path(fs, sizeof(fs), sub, NULL) != 0 || !(d = opendir(fs)))
        return count;
    while ((de = readdir(d))) {
        if (de->d_type != DT_DIR || de->d_name[0] == '.')
            continue;
        if ((size_t)snprintf(child, sizeof(child), "%s/%s", sub, de->d_name) >= sizeof(child))
            continue;
        n = visit_tree(child, depth + 1, fn, ctx);
        if (n > 0)
            count += n;
    }
    closedir(d);
    return count;
}

/* ---- signals ---- */

struct sig_ctx {
    const char *group;
    int sig;
};

/* The pidfd pins this very process: a pid reused after the check cannot
 * receive the signal.  1 when signalled. */
static int signal_checked(pid_t pid, void *ctx)
{
    const struct sig_ctx *c = ctx;
    char cur[DLG_CG_PATH_MAX];
    int fd, rc = 0;

    fd = (int)syscall(SYS_pidfd_open, pid, 0);
    if (fd < 0)
        return 0;
    if (dlg_cg_of_pid(pid, cur, sizeof(cur)) == 0 && dlg_cg_is_within(cur, c->group) &&
        syscall(SYS_pidfd_send_signal, fd, c->sig, NULL, 0) == 0)
        rc = 1;
    close(fd);
    return rc;
}

int dlg_cg_signal(const char *path, int sig)
{
    struct sig_ctx c = { path, sig };

    if (!dlg_cg_valid_path(path)) {
        errno = EINVAL;
        return -1;
    }
    return visit_tree(path, 0, signal_checked, &c);
}

/* ---- kill: cgroup.kill, else freeze and sweep ---- */

static int set_frozen(const char *path, bool on)
{
    char fs[DLG_CG_PATH_MAX + 256], data[256];
    struct timespec tick = { 0, 10L * 1000 * 1000 };
    int i;

    if (dlg_cg_fs_path(fs, sizeof(fs), path, "cgroup.freeze") != 0 ||
        dlg_cg_write_text(fs, on ? "1" : "0") != 0)
        return -1;
    if (!on || dlg_cg_fs_path(fs, sizeof(fs), path, "cgroup.events") != 0)
        return 0;
    /* frozen: every task of the subtree stopped (a fatal signal still kills) */
    for (i = 0; i < FREEZE_WAIT_MS / 10; i++) {
        if (dlg_cg_read_small(fs, data, sizeof(data)) > 0 && strstr(data, "frozen 1"))
            return 0;
        nanosleep(&tick, NULL);
    }
    return 0;
}

static int kill_by_file(const char *path)
{
    char fs[DLG_CG_PATH_MAX + 256];

    if (no_kill_file) {
        errno = ENOENT;
        return -1;
    }
    if (dlg_cg_fs_path(fs, sizeof(fs), path, "cgroup.kill") != 0)
        return -1;
    return dlg_cg_write_text(fs, "1");
}

/* No cgroup.kill (Linux < 5.14): frozen, nothing in the subtree can fork
 * between the reading of cgroup.procs and the signal, so one sweep reaches
 * every process; the callers repeat it until the group is empty. */
static int kill_by_sweep(const char *path)
{
    bool frozen = set_frozen(path, true) == 0;
    int n = dlg_cg_signal(path, SIGKILL);

    if (frozen)
        (void)set_frozen(path, false);
    return n < 0 ? -1 : 0;
}

int dlg_cg_kill(const char *path)
{
    if (!dlg_cg_valid_path(path)) {
        errno = EINVAL;
        return -1;
    }
    if (kill_by_file(path) == 0)
        return 0;
    if (errno != ENOENT)
        return -1;
    if (!dlg_cg_exists(path))
        return 0;
    return kill_by_sweep(path);
}

/* ---- counting ---- */

static int not_self_or_child(pid_t pid, void *ctx)
{
    pid_t self = *(const pid_t *)ctx;

    return pid != self && dlg_proc_parent(pid) != self;
}

int dlg_cg_others(const char *path, pid_t self)
{
    char fs[DLG_CG_PATH_MAX + 256];

    if (!dlg_cg_valid_path(path) || dlg_cg_fs_path(fs, sizeof(fs), path, "cgroup.procs") != 0 ||
        faccessat(AT_FDCWD, fs, R_OK, AT_EACCESS) != 0) {
        errno = EINVAL;
        return -1;
    }
    return visit_tree(path, 0, not_self_or_child, &self);
}

/* ---- removal ---- */

static int remove_tree(const char *sub, int depth)
{
    char fs[DLG_CG_PATH_MAX + 256], child[DLG_CG_PATH_MAX];
    struct dirent *de;
    DIR *d;
    int rc = 0;

    if (depth > CG_MAX_DEPTH || dlg_cg_fs_path(fs, sizeof(fs), sub, NULL) != 0)
        return -1;
    d = opendir(fs);
    if (!d)
        return errno == ENOENT ? 0 : -1;
    while ((de = readdir(d))) {
        if (de->d_type != DT_DIR || de->d_name[0] == '.')
            continue;
        if ((size_t)snprintf(child, sizeof(child), "%s/%s", sub, de->d_name) >= sizeof(child) ||
            remove_tree(child, depth + 1) != 0)
            rc = -1;
    }
    closedir(d);
    /* systemd collects its own (empty) scope */
    if (dlg_cg_systemd() && dlg_cg_scope_kind(sub) != 0)
        return rc;
    if (rmdir(fs) != 0 && errno != ENOENT)
        rc = -1;
    return rc;
}

int dlg_cg_remove(const char *path)
{
    if (!dlg_cg_valid_path(path)) {
        errno = EINVAL;
        return -1;
    }
    return remove_tree(path, 0);
}
