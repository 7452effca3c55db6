/* Session containment with cgroup v2 (see cgroup.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "session/cgroup.h"

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

#define CG_MAX_DEPTH 32

static void set_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;

    if (!err || errlen == 0)
        return;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

static bool is_cgroup2(const char *dir)
{
    struct statfs sf;

    return statfs(dir, &sf) == 0 && (unsigned long)sf.f_type == (unsigned long)CGROUP2_SUPER_MAGIC;
}

int dlg_cg_mount(char *buf, size_t len)
{
    static const char *const cand[] = { "/sys/fs/cgroup", "/sys/fs/cgroup/unified" };
    char line[4096], *sep, *f[6], *save = NULL;
    FILE *fp;
    size_t i;
    int rc = -1, k;

    for (i = 0; i < sizeof(cand) / sizeof(cand[0]); i++) {
        if (is_cgroup2(cand[i])) {
            if ((size_t)snprintf(buf, len, "%s", cand[i]) >= len) {
                errno = ENAMETOOLONG;
                return -1;
            }
            return 0;
        }
    }
    /* mountinfo: "ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTS ... - FSTYPE SRC OPTS" */
    fp = fopen("/proc/self/mountinfo", "re");
    if (!fp)
        return -1;
    while (rc != 0 && fgets(line, sizeof(line), fp)) {
        sep = strstr(line, " - ");
        if (!sep || strncmp(sep + 3, "cgroup2 ", 8) != 0)
            continue;
        *sep = '\0';
        f[0] = strtok_r(line, " ", &save);
        for (k = 0; k < 4 && f[k]; k++)
            f[k + 1] = strtok_r(NULL, " ", &save);
        /* only a plain path (mountinfo escapes spaces as \040) */
        if (k == 4 && f[4] && f[4][0] == '/' && !strchr(f[4], '\\') && is_cgroup2(f[4]) &&
            (size_t)snprintf(buf, len, "%s", f[4]) < len)
            rc = 0;
    }
    fclose(fp);
    if (rc != 0)
        errno = ENOENT;
    return rc;
}

bool dlg_cg_systemd(void)
{
    struct stat st;

    return lstat("/run/systemd/system", &st) == 0 && S_ISDIR(st.st_mode);
}

/* Read a small file into buf (NUL-terminated).  Bytes read or -1. */
static ssize_t read_small(const char *path, char *buf, size_t len)
{
    ssize_t n, total = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

    if (fd < 0)
        return -1;
    while ((size_t)total + 1 < len) {
        n = read(fd, buf + total, len - 1 - (size_t)total);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        total += n;
    }
    close(fd);
    buf[total] = '\0';
    return total;
}

int dlg_cg_of_pid(pid_t pid, char *buf, size_t len)
{
    char path[64], data[4096], *line, *save = NULL;

    if (pid <= 0)
        return -1;
    snprintf(path, sizeof(path), "/proc/%ld/cgroup", (long)pid);
    if (read_small(path, data, sizeof(data)) <= 0)
        return -1;
    for (line = strtok_r(data, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        if (strncmp(line, "0::", 3) != 0)
            continue;
        if (line[3] != '/' || (size_t)snprintf(buf, len, "%s", line + 3) >= len)
            return -1;
        return 0;
    }
    errno = ENOENT;
    return -1;
}

int dlg_proc_start_ticks(pid_t pid, uint64_t *out)
{
    char path[64], data[2048], *p, *tok, *save = NULL, *end;
    int field;

    if (pid <= 0)
        return -1;
    snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
    if (read_small(path, data, sizeof(data)) <= 0)
        return -1;
    /* "pid (comm) state ...": comm may hold spaces and parentheses */
    p = strrchr(data, ')');
    if (!p)
        return -1;
    for (field = 3, tok = strtok_r(p + 1, " ", &save); tok; tok = strtok_r(NULL, " ", &save), field++) {
        if (field == 22) {
            errno = 0;
            *out = strtoull(tok, &end, 10);
            return errno == 0 && end != tok && (*end == '\0' || *end == ' ') ? 0 : -1;
        }
    }
    return -1;
}

bool dlg_cg_valid_path(const char *path)
{
    const char *p, *c;
    size_t n;

    if (!path || path[0] != '/' || path[1] == '\0' || strlen(path) >= DLG_CG_PATH_MAX)
        return false;
    for (p = path; *p; p++)
        if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f)
            return false;
    /* every component non-empty, neither "." nor ".." */
    for (c = path + 1;; c = p + 1) {
        p = strchr(c, '/');
        n = p ? (size_t)(p - c) : strlen(c);
        if (n == 0 || (n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.'))
            return false;
        if (!p)
            return true;
    }
}

bool dlg_cg_is_within(const char *path, const char *group)
{
    size_t n;

    if (!path || !group)
        return false;
    n = strlen(group);
    if (strncmp(path, group, n) != 0)
        return false;
    return path[n] == '\0' || path[n] == '/' || (n == 1 && group[0] == '/');
}

/* mount + group + "/" + file */
static int fs_path(char *buf, size_t len, const char *group, const char *file)
{
    char mnt[256];
    int n;

    if (dlg_cg_mount(mnt, sizeof(mnt)) != 0)
        return -1;
    n = snprintf(buf, len, "%s%s%s%s", mnt, strcmp(group, "/") == 0 ? "" : group,
                 file ? "/" : "", file ? file : "");
    if (n < 0 || (size_t)n >= len) {
        errno = ENAMETOOLONG;
        return -1;
    }
    return 0;
}

static int write_text(const char *path, const char *text)
{
    size_t len = strlen(text);
    ssize_t n;
    int fd = open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW), saved;

    if (fd < 0)
        return -1;
    do
        n = write(fd, text, len);
    while (n < 0 && errno == EINTR);
    saved = errno;
    close(fd);
    errno = saved;
    return n == (ssize_t)len ? 0 : -1;
}

bool dlg_cg_exists(const char *path)
{
    char fs[DLG_CG_PATH_MAX + 256];
    struct stat st;

    return dlg_cg_valid_path(path) && fs_path(fs, sizeof(fs), path, NULL) == 0 &&
           lstat(fs, &st) == 0 && S_ISDIR(st.st_mode);
}

/* ---- systemd: a transient scope over D-Bus ---------------------------- */

static const char *busctl_path(void)
{
    static const char *const cand[] = { "/usr/bin/busctl", "/bin/busctl" };
    size_t i;

    for (i = 0; i < sizeof(cand) / sizeof(cand[0]); i++)
        if (access(cand[i], X_OK) == 0)
            return cand[i];
    return NULL;
}

/* Run argv with no shell, stdio on /dev/null, a fixed environment.  The exit
 * status, or -1.  A SIGCHLD handler of the host program may reap the child
 * first (ECHILD): then 0 is assumed and the caller checks the effect. */
static int run_quiet(char *const argv[])
{
    static char *const envp[] = { "PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C", NULL };
    int status, fd;
    pid_t child = fork();

    if (child < 0)
        return -1;
    if (child == 0) {
        fd = open("/dev/null", O_RDWR);
        if (fd >= 0) {
            dup2(fd, 0);
            dup2(fd, 1);
            dup2(fd, 2);
        }
        execve(argv[0], argv, envp);
        _exit(127);
    }
    while (waitpid(child, &status, 0) < 0) {
        if (errno == EINTR)
            continue;
        return errno == ECHILD ? 0 : -1;
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* busctl with the address of systemd's own private socket when there is
 * one (works with no D-Bus daemon, root only), else the system bus. */
static int systemd_call(char **args, size_t nargs)
{
    char *argv[32];
    const char *bc = busctl_path();
    size_t n = 0, i;

    if (!bc || nargs + 4 >= sizeof(argv) / sizeof(argv[0]))
        return -1;
    argv[n++] = (char *)bc;
    if (access("/run/systemd/private", F_OK) == 0)
        argv[n++] = "--address=unix:path=/run/systemd/private";
    else
        argv[n++] = "--system";
    argv[n++] = "--quiet";
    for (i = 0; i < nargs; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    return run_quiet(argv);
}

static int contain_systemd(pid_t pid, const char *name, char *path, size_t len, char *err,
                           size_t errlen)
{
    char unit[160], pidtxt[24], cur[DLG_CG_PATH_MAX];
    const char *last;
    struct timespec tick = { 0, 20L * 1000 * 1000 };
    int i, rc;

    snprintf(unit, sizeof(unit), "delegate-%s.scope", name);
    snprintf(pidtxt, sizeof(pidtxt), "%ld", (long)pid);
    {
        char *args[] = {
            "call", "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
            "org.freedesktop.systemd1.Manager", "StartTransientUnit", "ssa(sv)a(sa(sv))",
            unit, "fail", "4",
            "PIDs", "au", "1", pidtxt,
            "Delegate", "b", "true",
            "CollectMode", "s", "inactive-or-failed",
            "Description", "s", "delegate: delegated session",
            "0",
        };
        rc = systemd_call(args, sizeof(args) / sizeof(args[0]));
    }
    if (rc != 0) {
        set_err(err, errlen, "systemd refused the transient scope %s (busctl exit %d)", unit, rc);
        return -1;
    }
    /* the job runs asynchronously: wait (5 s at most) for the move */
    for (i = 0; i < 250; i++) {
        if (dlg_cg_of_pid(pid, cur, sizeof(cur)) == 0) {
            last = strrchr(cur, '/');
            if (last && strcmp(last + 1, unit) == 0) {
                if ((size_t)snprintf(path, len, "%s", cur) >= len)
                    break;
                return 0;
            }
        }
        nanosleep(&tick, NULL);
    }
    set_err(err, errlen, "pid %ld did not arrive in the scope %s", (long)pid, unit);
    return -1;
}

/* ---- containment -------------------------------------------------------- */

static bool valid_name(const char *name)
{
    const char *p;

    if (!name || !name[0] || name[0] == '.' || strlen(name) > 128)
        return false;
    for (p = name; *p; p++)
        if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
              *p == '.' || *p == '_' || *p == '-'))
            return false;
    return true;
}

int dlg_cg_usable(char *err, size_t errlen)
{
    char mnt[256], fs[512];
    int fd;

    if (dlg_cg_mount(mnt, sizeof(mnt)) != 0) {
        set_err(err, errlen, "no cgroup2 hierarchy is mounted");
        return -1;
    }
    if (dlg_cg_systemd()) {
        if (!busctl_path()) {
            set_err(err, errlen, "systemd manages the cgroups but busctl is missing");
            return -1;
        }
        return 0;
    }
    snprintf(fs, sizeof(fs), "%s%s", mnt, DLG_CG_BASE);
    if (mkdir(fs, 0755) != 0 && errno != EEXIST) {
        set_err(err, errlen, "cannot create %s: %s", fs, strerror(errno));
        return -1;
    }
    snprintf(fs, sizeof(fs), "%s%s/cgroup.procs", mnt, DLG_CG_BASE);
    fd = open(fs, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) {
        set_err(err, errlen, "cannot write %s: %s", fs, strerror(errno));
        return -1;
    }
    close(fd);
    return 0;
}

int dlg_cg_scope_kind(const char *path)
{
    const char *last = path ? strrchr(path, '/') : NULL;
    size_t n;

    if (!last || !dlg_cg_valid_path(path))
        return 0;
    last++;
    n = strlen(last);
    if (n <= 6 || strcmp(last + n - 6, ".scope") != 0)
        return 0;
    if (strncmp(last, "session-", 8) == 0)
        return 1;
    if (strncmp(last, "delegate-", 9) == 0)
        return 2;
    return 0;
}

/* path is one of our scopes (delegate-*.scope, Delegate=yes) or below one. */
static bool within_own_scope(const char *path)
{
    char copy[DLG_CG_PATH_MAX], *slash;

    if ((size_t)snprintf(copy, sizeof(copy), "%s", path) >= sizeof(copy))
        return false;
    while (copy[0]) {
        if (dlg_cg_scope_kind(copy) == 2)
            return true;
        slash = strrchr(copy, '/');
        if (!slash || slash == copy)
            break;
        *slash = '\0';
    }
    return false;
}

static bool ends_with(const char *s, const char *tail)
{
    size_t n = strlen(s), m = strlen(tail);

    return n >= m && strcmp(s + n - m, tail) == 0;
}

/* The last component of cur is a session group led by pid:
 * "...-PID-TICKS" or "...-PID-TICKS.scope". */
static bool led_by(const char *cur, pid_t pid, const char *name)
{
    char tail[64], scope[72];
    const char *last = strrchr(cur, '/');
    uint64_t ticks;

    (void)name;
    if (!last || last == cur + strlen(cur) - 1 || dlg_proc_start_ticks(pid, &ticks) != 0)
        return false;
    snprintf(tail, sizeof(tail), "-%ld-%llu", (long)pid, (unsigned long long)ticks);
    snprintf(scope, sizeof(scope), "%s.scope", tail);
    return ends_with(last + 1, tail) || ends_with(last + 1, scope);
}

static bool same_group_name(const char *cur, const char *name)
{
    char scope[200];
    const char *last = strrchr(cur, '/') + 1;

    snprintf(scope, sizeof(scope), "delegate-%s.scope", name);
    return strcmp(last, name) == 0 || strcmp(last, scope) == 0;
}

int dlg_cg_contain(pid_t pid, const char *name, const char *parent, char *path, size_t len,
                   char *err, size_t errlen)
{
    char cur[DLG_CG_PATH_MAX], group[DLG_CG_PATH_MAX], fs[DLG_CG_PATH_MAX + 256], now[DLG_CG_PATH_MAX];
    char pidtxt[24];
    const char *dir;
    bool nested;
    int n;

    if (pid <= 0 || !valid_name(name)) {
        set_err(err, errlen, "invalid session name");
        return -1;
    }
    if (dlg_cg_mount(fs, sizeof(fs)) != 0) {
        set_err(err, errlen, "no cgroup2 hierarchy is mounted");
        return -1;
    }
    if (dlg_cg_of_pid(pid, cur, sizeof(cur)) != 0) {
        set_err(err, errlen, "cannot read the cgroup of pid %ld", (long)pid);
        return -1;
    }
    /* pid already leads a session group (a second session of the same
     * process): the same name is that group; another one is a sibling */
    if (led_by(cur, pid, name)) {
        if (same_group_name(cur, name))
            return (size_t)snprintf(path, len, "%s", cur) < len ? 0 : -1;
        *strrchr(cur, '/') = '\0';
        if (!cur[0])
            snprintf(cur, sizeof(cur), "/");
    }
    nested = (parent && dlg_cg_valid_path(parent) && dlg_cg_is_within(cur, parent)) ||
             (strncmp(cur, DLG_CG_BASE "/", sizeof(DLG_CG_BASE)) == 0 && dlg_cg_valid_path(cur));
    if (dlg_cg_systemd()) {
        /* systemd owns the tree: never create groups in its part of it.
         * A logind session scope (pam_systemd ran first) is the session's
         * group; a group inside one of our own scopes (Delegate=yes) is
         * ours to make; inside any other scope (a logind one) a nested
         * session shares it; else a transient scope of our own. */
        if (dlg_cg_scope_kind(cur) == 1 && !nested)
            return (size_t)snprintf(path, len, "%s", cur) < len ? 0 : -1;
        if (nested && !within_own_scope(cur))
            return (size_t)snprintf(path, len, "%s", cur) < len ? 0 : -1;
        if (!nested)
            return contain_systemd(pid, name, path, len, err, errlen);
    }
    if (nested) {
        dir = cur;
    } else {
        dir = DLG_CG_BASE;
        if (fs_path(fs, sizeof(fs), dir, NULL) != 0 || (mkdir(fs, 0755) != 0 && errno != EEXIST)) {
            set_err(err, errlen, "cannot create the cgroup %s: %s", dir, strerror(errno));
            return -1;
        }
    }
    n = snprintf(group, sizeof(group), "%s/%s", strcmp(dir, "/") == 0 ? "" : dir, name);
    if (n < 0 || (size_t)n >= sizeof(group) || (size_t)n >= len || !dlg_cg_valid_path(group)) {
        set_err(err, errlen, "cgroup path too long");
        return -1;
    }
    /* the name holds pid and start time: an existing group of that name
     * was made for this very process (an earlier session of it) */
    if (fs_path(fs, sizeof(fs), group, NULL) != 0 || (mkdir(fs, 0755) != 0 && errno != EEXIST)) {
        set_err(err, errlen, "cannot create the cgroup %s: %s", group, strerror(errno));
        return -1;
    }
    snprintf(pidtxt, sizeof(pidtxt), "%ld\n", (long)pid);
    if (fs_path(fs, sizeof(fs), group, "cgroup.procs") != 0 || write_text(fs, pidtxt) != 0) {
        set_err(err, errlen, "cannot move pid %ld into %s: %s", (long)pid, group, strerror(errno));
        if (fs_path(fs, sizeof(fs), group, NULL) == 0)
            (void)rmdir(fs);
        return -1;
    }
    if (dlg_cg_of_pid(pid, now, sizeof(now)) != 0 || strcmp(now, group) != 0) {
        set_err(err, errlen, "pid %ld is not in %s after the move", (long)pid, group);
        return -1;
    }
    snprintf(path, len, "%s", group);
    return 0;
}

/* ---- termination ---------------------------------------------------------- */

static int signal_checked(pid_t pid, const char *group, int sig)
{
    char cur[DLG_CG_PATH_MAX];
    int fd, rc = 0;

    fd = (int)syscall(SYS_pidfd_open, pid, 0);
    if (fd < 0)
        return 0;
    /* the pidfd pins this very process: a pid reused after the check
     * cannot receive the signal */
    if (dlg_cg_of_pid(pid, cur, sizeof(cur)) == 0 && dlg_cg_is_within(cur, group) &&
        syscall(SYS_pidfd_send_signal, fd, sig, NULL, 0) == 0)
        rc = 1;
    close(fd);
    return rc;
}

static int signal_tree(const char *group, const char *sub, int sig, int depth)
{
    char fs[DLG_CG_PATH_MAX + 256], child[DLG_CG_PATH_MAX], line[32];
    struct dirent *de;
    FILE *fp;
    DIR *d;
    long pid;
    int count = 0, n;

    if (depth > CG_MAX_DEPTH)
        return 0;
    if (fs_path(fs, sizeof(fs), sub, "cgroup.procs") != 0)
        return -1;
    fp = fopen(fs, "re");
    if (!fp)
        return errno == ENOENT && depth > 0 ? 0 : (errno == ENOENT ? 0 : -1);
    while (fgets(line, sizeof(line), fp))
        if (sscanf(line, "%ld", &pid) == 1 && pid > 1)
            count += signal_checked((pid_t)pid, group, sig);
    fclose(fp);
    if (fs_path(fs, sizeof(fs), sub, NULL) != 0)
        return count;
    d = opendir(fs);
    if (!d)
        return count;
    while ((de = readdir(d))) {
        if (de->d_type != DT_DIR || de->d_name[0] == '.')
            continue;
        if ((size_t)snprintf(child, sizeof(child), "%s/%s", sub, de->d_name) >= sizeof(child))
            continue;
        n = signal_tree(group, child, sig, depth + 1);
        if (n > 0)
            count += n;
    }
    closedir(d);
    return count;
}

int dlg_cg_signal(const char *path, int sig)
{
    if (!dlg_cg_valid_path(path)) {
        errno = EINVAL;
        return -1;
    }
    return signal_tree(path, path, sig, 0);
}

int dlg_cg_kill(const char *path)
{
    char fs[DLG_CG_PATH_MAX + 256];

    if (!dlg_cg_valid_path(path)) {
        errno = EINVAL;
        return -1;
    }
    if (fs_path(fs, sizeof(fs), path, "cgroup.kill") != 0)
        return -1;
    if (write_text(fs, "1") == 0)
        return 0;
    if (errno != ENOENT)
        return -1;
    if (!dlg_cg_exists(path))
        return 0;
    /* no cgroup.kill (kernel < 5.14): a sweep, repeated by the callers */
    return dlg_cg_signal(path, SIGKILL) < 0 ? -1 : 0;
}

int dlg_cg_empty(const char *path)
{
    char fs[DLG_CG_PATH_MAX + 256], data[256], *p;

    if (!dlg_cg_valid_path(path))
        return -1;
    if (fs_path(fs, sizeof(fs), path, "cgroup.events") != 0)
        return -1;
    if (read_small(fs, data, sizeof(data)) < 0)
        return errno == ENOENT ? 1 : -1;
    p = strstr(data, "populated ");
    if (!p)
        return -1;
    return p[10] == '0' ? 1 : 0;
}

static int remove_tree(const char *sub, int depth)
{
    char fs[DLG_CG_PATH_MAX + 256], child[DLG_CG_PATH_MAX];
    struct dirent *de;
    const char *last;
    DIR *d;
    int rc = 0;

    if (depth > CG_MAX_DEPTH || fs_path(fs, sizeof(fs), sub, NULL) != 0)
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
    last = strrchr(sub, '/');
    /* systemd collects its own (empty) scope */
    if (dlg_cg_systemd() && last && strlen(last) > 6 && strcmp(last + strlen(last) - 6, ".scope") == 0)
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

static pid_t parent_of(pid_t pid)
{
    char path[64], data[1024], *p;
    long ppid;

    snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
    if (read_small(path, data, sizeof(data)) <= 0)
        return -1;
    p = strrchr(data, ')');
    if (!p || sscanf(p + 1, " %*c %ld", &ppid) != 1)
        return -1;
    return (pid_t)ppid;
}

static int count_tree(const char *sub, pid_t self, int depth)
{
    char fs[DLG_CG_PATH_MAX + 256], child[DLG_CG_PATH_MAX], line[32];
    struct dirent *de;
    FILE *fp;
    DIR *d;
    long pid;
    int count = 0, n;

    if (depth > CG_MAX_DEPTH || fs_path(fs, sizeof(fs), sub, "cgroup.procs") != 0)
        return -1;
    fp = fopen(fs, "re");
    if (!fp)
        return -1;
    while (fgets(line, sizeof(line), fp))
        if (sscanf(line, "%ld", &pid) == 1 && pid != (long)self && parent_of((pid_t)pid) != self)
            count++;
    fclose(fp);
    if (fs_path(fs, sizeof(fs), sub, NULL) != 0)
        return count;
    d = opendir(fs);
    if (!d)
        return count;
    while ((de = readdir(d))) {
        if (de->d_type != DT_DIR || de->d_name[0] == '.')
            continue;
        if ((size_t)snprintf(child, sizeof(child), "%s/%s", sub, de->d_name) >= sizeof(child))
            continue;
        n = count_tree(child, self, depth + 1);
        if (n > 0)
            count += n;
    }
    closedir(d);
    return count;
}

int dlg_cg_others(const char *path, pid_t self)
{
    if (!dlg_cg_valid_path(path)) {
        errno = EINVAL;
        return -1;
    }
    return count_tree(path, self, 0);
}

int dlg_cg_effective(const char *recorded, pid_t leader, uint64_t start_ticks, char *buf,
                     size_t len)
{
    char cur[DLG_CG_PATH_MAX];
    uint64_t ticks;

    if (!dlg_cg_valid_path(recorded) || (size_t)snprintf(buf, len, "%s", recorded) >= len)
        return -1;
    if (!dlg_cg_systemd() || start_ticks == 0 || dlg_proc_start_ticks(leader, &ticks) != 0 ||
        ticks != start_ticks || dlg_cg_of_pid(leader, cur, sizeof(cur)) != 0 ||
        strcmp(cur, recorded) == 0 || dlg_cg_is_within(cur, recorded) || dlg_cg_scope_kind(cur) == 0)
        return 0;
    return (size_t)snprintf(buf, len, "%s", cur) < len ? 0 : -1;
}
