/* The cgroup v2 tree as files (see cgroup.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "session/contain/cgroup.h"

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

static bool is_cgroup2(const char *dir)
{
    struct statfs sf;

    return statfs(dir, &sf) == 0 && (unsigned long)sf.f_type == (unsigned long)CGROUP2_SUPER_MAGIC;
}

static int copy_out(char *buf, size_t len, const char *s)
{
    if ((size_t)snprintf(buf, len, "%s", s) >= len) {
        errno = ENAMETOOLONG;
        return -1;
    }
    return 0;
}

/* mountinfo: "ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTS ... - FSTYPE SRC OPTS";
 * the first cgroup2 mount with a plain path (mountinfo escapes spaces). */
static int mount_from_mountinfo(char *buf, size_t len)
{
    char line[4096], *sep, *f[6], *save = NULL;
    FILE *fp = fopen("/proc/self/mountinfo", "re");
    int rc = -1, k;

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
        if (k == 4 && f[4] && f[4][0] == '/' && !strchr(f[4], '\\') && is_cgroup2(f[4]) &&
            copy_out(buf, len, f[4]) == 0)
            rc = 0;
    }
    fclose(fp);
    if (rc != 0)
        errno = ENOENT;
    return rc;
}

int dlg_cg_mount(char *buf, size_t len)
{
    static const char *const cand[] = { "/sys/fs/cgroup", "/sys/fs/cgroup/unified" };
    size_t i;

    for (i = 0; i < sizeof(cand) / sizeof(cand[0]); i++)
        if (is_cgroup2(cand[i]))
            return copy_out(buf, len, cand[i]);
    return mount_from_mountinfo(buf, len);
}

bool dlg_cg_systemd(void)
{
    struct stat st;

    return lstat("/run/systemd/system", &st) == 0 && S_ISDIR(st.st_mode);
}

ssize_t dlg_cg_read_small(const char *path, char *buf, size_t len)
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

int dlg_cg_write_text(const char *path, const char *text)
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

int dlg_cg_of_pid(pid_t pid, char *buf, size_t len)
{
    char path[64], data[4096], *line, *save = NULL;

    if (pid <= 0)
        return -1;
    snprintf(path, sizeof(path), "/proc/%ld/cgroup", (long)pid);
    if (dlg_cg_read_small(path, data, sizeof(data)) <= 0)
        return -1;
    for (line = strtok_r(data, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        if (strncmp(line, "0::", 3) != 0)
            continue;
        if (line[3] != '/')
            return -1;
        return copy_out(buf, len, line + 3);
    }
    errno = ENOENT;
    return -1;
}

/* Field n (3..) of /proc/PID/stat as text in out; comm may hold spaces and
 * parentheses, so fields are counted after the last ')'. */
static int stat_field(pid_t pid, int n, char *out, size_t len)
{
    char path[64], data[2048], *p, *tok, *save = NULL;
    int field;

    if (pid <= 0)
        return -1;
    snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
    if (dlg_cg_read_small(path, data, sizeof(data)) <= 0)
        return -1;
    p = strrchr(data, ')');
    if (!p)
        return -1;
    for (field = 3, tok = strtok_r(p + 1, " ", &save); tok; tok = strtok_r(NULL, " ", &save), field++)
        if (field == n)
            return copy_out(out, len, tok);
    return -1;
}

int dlg_proc_start_ticks(pid_t pid, uint64_t *out)
{
    char tok[32], *end;

    if (stat_field(pid, 22, tok, sizeof(tok)) != 0)
        return -1;
    errno = 0;
    *out = strtoull(tok, &end, 10);
    return errno == 0 && end != tok && *end == '\0' ? 0 : -1;
}

pid_t dlg_proc_parent(pid_t pid)
{
    char tok[32], *end;
    long ppid;

    if (stat_field(pid, 4, tok, sizeof(tok)) != 0)
        return -1;
    errno = 0;
    ppid = strtol(tok, &end, 10);
    return errno == 0 && end != tok && *end == '\0' ? (pid_t)ppid : -1;
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

int dlg_cg_fs_path(char *buf, size_t len, const char *group, const char *file)
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

bool dlg_cg_exists(const char *path)
{
    char fs[DLG_CG_PATH_MAX + 256];
    struct stat st;

    return dlg_cg_valid_path(path) && dlg_cg_fs_path(fs, sizeof(fs), path, NULL) == 0 &&
           lstat(fs, &st) == 0 && S_ISDIR(st.st_mode);
}

int dlg_cg_empty(const char *path)
{
    char fs[DLG_CG_PATH_MAX + 256], data[256], *p;

    if (!dlg_cg_valid_path(path))
        return -1;
    if (dlg_cg_fs_path(fs, sizeof(fs), path, "cgroup.events") != 0)
        return -1;
    if (dlg_cg_read_small(fs, data, sizeof(data)) < 0)
        return errno == ENOENT ? 1 : -1;
    p = strstr(data, "populated ");
    if (!p)
        return -1;
    return p[10] == '0' ? 1 : 0;
}
