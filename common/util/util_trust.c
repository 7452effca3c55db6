/* File trust (DESIGN.md §3): the walk of every directory up to "/", and
 * opening, stat-ing and reading a file only after it passed.  libc only
 * (the NSS module links this file). */
#include "util/util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void set_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    if (err == NULL || errlen == 0)
        return;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

static const char *errno_str(int e, char *buf, size_t len)
{
    /* GNU strerror_r (we build with _GNU_SOURCE): thread-safe, may return a
     * static string instead of filling buf. */
    return strerror_r(e, buf, len);
}

/* One directory of the path, st its lstat: root-owned, and not writable by
 * group or others unless it is a sticky directory (/tmp). */
static int check_dir_stat(const char *what, const char *dir, const struct stat *st,
                          char *err, size_t errlen)
{
    if (!S_ISDIR(st->st_mode)) {
        set_err(err, errlen, "%s: %s is not a directory", what, dir);
        return -1;
    }
    if (st->st_uid != 0) {
        set_err(err, errlen, "%s: directory %s is owned by uid %lu, not root",
                what, dir, (unsigned long)st->st_uid);
        return -1;
    }
    if ((st->st_mode & (S_IWGRP | S_IWOTH)) != 0 && (st->st_mode & S_ISVTX) == 0) {
        set_err(err, errlen, "%s: directory %s (mode %04o) is writable by group or others",
                what, dir, (unsigned)(st->st_mode & 07777));
        return -1;
    }
    return 0;
}

static int check_dir_entry(const char *what, const char *dir, char *err, size_t errlen)
{
    struct stat st;
    char eb[128];

    if (lstat(dir, &st) != 0) {
        set_err(err, errlen, "%s: directory %s: %s", what, dir, errno_str(errno, eb, sizeof(eb)));
        return -1;
    }
    return check_dir_stat(what, dir, &st, err, errlen);
}

/* Resolve dir component by component as it is written, from "/" down:
 * every directory reached must pass check_dir_entry and every symbolic link
 * met on the way (on the path itself or inside a link's target) must be
 * owned by root (a link's own mode means nothing; the directory holding it
 * was checked before it).  So a user's link can never point the host at a
 * file of its choice, even a root-owned one.  Returns the resolved absolute
 * directory (heap) or NULL with err set. */
#define RESOLVE_MAX_LINKS 40
static char *resolve_trusted(const char *what, const char *dir, char *err, size_t errlen)
{
    char eb[128];
    char *cur = NULL, *rest = NULL, *cand = NULL, *target = NULL;
    size_t cap = 2 * PATH_MAX + 2;
    int links = 0;
    struct stat st;

    cur = malloc(cap);
    rest = malloc(cap);
    cand = malloc(cap);
    target = malloc(PATH_MAX + 1);
    if (cur == NULL || rest == NULL || cand == NULL || target == NULL) {
        set_err(err, errlen, "%s: out of memory", what);
        goto fail;
    }
    if (dir[0] == '/') {
        size_t dl = strlen(dir);
        if (dl >= cap)
            goto toolong;
        memcpy(rest, dir, dl + 1);
    } else {
        if (getcwd(cur, PATH_MAX) == NULL) {
            set_err(err, errlen, "%s: %s", what, errno_str(errno, eb, sizeof(eb)));
            goto fail;
        }
        if (strlen(cur) + 1 + strlen(dir) >= cap)
            goto toolong;
        size_t cl = strlen(cur);
        memcpy(rest, cur, cl);
        rest[cl] = '/';
        memcpy(rest + cl + 1, dir, strlen(dir) + 1);
    }
    memcpy(cur, "/", 2);
    if (check_dir_entry(what, "/", err, errlen) != 0)
        goto fail;
    for (;;) {
        char *p = rest, *comp, *slash;
        size_t clen;

        while (*p == '/')
            p++;
        if (*p == '\0')
            break;
        comp = p;
        slash = strchr(comp, '/');
        clen = slash != NULL ? (size_t)(slash - comp) : strlen(comp);
        /* rest keeps what follows this component */
        memmove(rest, comp, strlen(comp) + 1);
        comp = rest;
        if (clen == 1 && comp[0] == '.') {
            memmove(rest, rest + 1, strlen(rest + 1) + 1);
            continue;
        }
        if (clen == 2 && comp[0] == '.' && comp[1] == '.') {
            char *last = strrchr(cur, '/');
            if (last != NULL && last != cur)
                *last = '\0';
            else
                memcpy(cur, "/", 2);
            memmove(rest, rest + 2, strlen(rest + 2) + 1);
            continue;
        }
        if (strlen(cur) + 1 + clen >= cap)
            goto toolong;
        {
            size_t cl = strcmp(cur, "/") == 0 ? 0 : strlen(cur);
            memcpy(cand, cur, cl);
            cand[cl] = '/';
            memcpy(cand + cl + 1, comp, clen);
            cand[cl + 1 + clen] = '\0';
        }
        memmove(rest, rest + clen, strlen(rest + clen) + 1);
        if (lstat(cand, &st) != 0) {
            set_err(err, errlen, "%s: %s: %s", what, cand, errno_str(errno, eb, sizeof(eb)));
            goto fail;
        }
        if (S_ISLNK(st.st_mode)) {
            ssize_t n;
            if (st.st_uid != 0) {
                set_err(err, errlen, "%s: %s is a symbolic link owned by uid %lu, not root "
                        "(refused)", what, cand, (unsigned long)st.st_uid);
                goto fail;
            }
            if (++links > RESOLVE_MAX_LINKS) {
                set_err(err, errlen, "%s: too many symbolic links", what);
                goto fail;
            }
            n = readlink(cand, target, PATH_MAX);
            if (n < 0 || n >= PATH_MAX) {
                set_err(err, errlen, "%s: %s: cannot read the link", what, cand);
                goto fail;
            }
            target[n] = '\0';
            if ((size_t)n + 1 + strlen(rest) >= cap)
                goto toolong;
            /* the target, then what followed the link */
            memmove(rest + n, rest, strlen(rest) + 1);
            memcpy(rest, target, (size_t)n);
            if (target[0] == '/')
                memcpy(cur, "/", 2);
            continue;
        }
        if (check_dir_stat(what, cand, &st, err, errlen) != 0)
            goto fail;
        memcpy(cur, cand, strlen(cand) + 1);   /* cand is shorter than cap */
    }
    free(rest);
    free(cand);
    free(target);
    return cur;
toolong:
    set_err(err, errlen, "%s: path too long", what);
fail:
    free(cur);
    free(rest);
    free(cand);
    free(target);
    return NULL;
}

int dlg_check_trusted_dir(const char *dir, char *err, size_t errlen)
{
    char *resolved = resolve_trusted(dir, dir, err, errlen);

    if (resolved == NULL)
        return -1;
    free(resolved);
    return 0;
}

static int check_file_stat(const char *path, const struct stat *st, char *err, size_t errlen)
{
    if (S_ISLNK(st->st_mode)) {
        set_err(err, errlen, "%s: is a symbolic link (refused)", path);
        return -1;
    }
    if (S_ISDIR(st->st_mode)) {
        set_err(err, errlen, "%s: is a directory, not a regular file", path);
        return -1;
    }
    if (!S_ISREG(st->st_mode)) {
        set_err(err, errlen, "%s: not a regular file", path);
        return -1;
    }
    if (st->st_uid != 0) {
        set_err(err, errlen, "%s: owned by uid %lu, not root", path, (unsigned long)st->st_uid);
        return -1;
    }
    if ((st->st_mode & (S_IWGRP | S_IWOTH)) != 0) {
        set_err(err, errlen, "%s: mode %04o is writable by group or others", path,
                (unsigned)(st->st_mode & 07777));
        return -1;
    }
    return 0;
}

/* The trust walk shared by dlg_open_trusted and dlg_stat_trusted: every
 * directory and link of the path as written (resolve_trusted), then lstat of
 * the final component in the resolved directory, which must be a regular,
 * root-owned file not writable by group or others.  Returns the resolved
 * full path (heap) with *lst, or NULL with err set. */
static char *trusted_lstat(const char *path, struct stat *lst, char *err, size_t errlen)
{
    char eb[128];
    char *dircopy = NULL, *resolved = NULL, *full = NULL;
    const char *base;

    if (path == NULL || *path == '\0') {
        set_err(err, errlen, "empty path");
        return NULL;
    }
    dircopy = strdup(path);
    if (dircopy == NULL) {
        set_err(err, errlen, "%s: out of memory", path);
        goto out;
    }
    char *slash = strrchr(dircopy, '/');
    if (slash == NULL) {
        base = path;
        free(dircopy);
        dircopy = strdup(".");
        if (dircopy == NULL) {
            set_err(err, errlen, "%s: out of memory", path);
            goto out;
        }
    } else {
        base = path + (slash - dircopy) + 1;
        if (slash == dircopy)
            slash[1] = '\0';
        else
            *slash = '\0';
    }
    if (*base == '\0' || strcmp(base, ".") == 0 || strcmp(base, "..") == 0) {
        set_err(err, errlen, "%s: not a file name", path);
        goto out;
    }
    /* The path as written: every directory and every link on it. */
    resolved = resolve_trusted(path, dircopy, err, errlen);
    if (resolved == NULL)
        goto out;
    /* From here on use the resolved directory, so a symlinked directory on
     * the given path is followed once (checked) and cannot be swapped. */
    if (asprintf(&full, "%s/%s", strcmp(resolved, "/") == 0 ? "" : resolved, base) < 0) {
        full = NULL;
        set_err(err, errlen, "%s: out of memory", path);
        goto out;
    }
    /* Refuse symlinks, FIFOs, devices and directories before any open(2),
     * so a FIFO can never block us. */
    if (lstat(full, lst) != 0) {
        set_err(err, errlen, "%s: %s", path, errno_str(errno, eb, sizeof(eb)));
        free(full);
        full = NULL;
    } else if (check_file_stat(path, lst, err, errlen) != 0) {
        free(full);
        full = NULL;
    }
out:
    free(dircopy);
    free(resolved);
    return full;
}

int dlg_open_trusted(const char *path, struct stat *st, char *err, size_t errlen)
{
    char eb[128];
    char *full;
    struct stat lst, fst;
    int fd = -1, flags;
    bool raced = false;         /* replaced between lstat and open: EAGAIN */

    full = trusted_lstat(path, &lst, err, errlen);
    if (full == NULL)
        goto fail;
    fd = open(full, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    if (fd < 0) {
        set_err(err, errlen, "%s: %s", path, errno_str(errno, eb, sizeof(eb)));
        goto fail;
    }
    if (fstat(fd, &fst) != 0) {
        set_err(err, errlen, "%s: %s", path, errno_str(errno, eb, sizeof(eb)));
        goto fail;
    }
    if (fst.st_dev != lst.st_dev || fst.st_ino != lst.st_ino) {
        set_err(err, errlen, "%s: changed while being opened", path);
        raced = true;
        goto fail;
    }
    if (check_file_stat(path, &fst, err, errlen) != 0)
        goto fail;
    flags = fcntl(fd, F_GETFL);
    if (flags < 0 || fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) < 0) {
        set_err(err, errlen, "%s: %s", path, errno_str(errno, eb, sizeof(eb)));
        goto fail;
    }
    if (st != NULL)
        *st = fst;
    free(full);
    return fd;

fail:
    if (fd >= 0)
        close(fd);
    free(full);
    errno = raced ? EAGAIN : EACCES;
    return -1;
}

/* The trust walk of dlg_open_trusted without opening the file (issue 13: the
 * sources of the compiled form, whose identity alone is compared; lstat of
 * the final component is atomic, so no open is needed to know what it
 * names).  0 with *st, or -1 with err. */
int dlg_stat_trusted(const char *path, struct stat *st, char *err, size_t errlen)
{
    struct stat lst;
    char *full;

    if (path == NULL || path[0] != '/') {
        set_err(err, errlen, "%s: not an absolute path", path != NULL ? path : "(null)");
        return -1;
    }
    full = trusted_lstat(path, &lst, err, errlen);
    if (full == NULL)
        return -1;
    free(full);
    if (st != NULL)
        *st = lst;
    return 0;
}

int dlg_read_trusted(const char *path, size_t max, char **out, size_t *outlen,
                     struct stat *st, char *err, size_t errlen)
{
    char eb[128];
    struct stat fst;
    char *buf = NULL;
    size_t len = 0;
    int rc = -1;
    bool raced = false;         /* grew while read: EAGAIN */

    *out = NULL;
    if (outlen != NULL)
        *outlen = 0;
    int fd = dlg_open_trusted(path, &fst, err, errlen);
    if (fd < 0)
        return -1;
    if (fst.st_size < 0 || (uintmax_t)fst.st_size > (uintmax_t)max) {
        set_err(err, errlen, "%s: too large (%jd bytes, limit %zu)", path,
                (intmax_t)fst.st_size, max);
        goto out;
    }
    /* Size the buffer by the file, and read one byte more to notice a
     * file that grew since fstat. */
    size_t want = (size_t)fst.st_size;
    buf = malloc(want + 2);
    if (buf == NULL) {
        set_err(err, errlen, "%s: out of memory", path);
        goto out;
    }
    while (len <= want) {
        ssize_t r = read(fd, buf + len, want + 1 - len);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            set_err(err, errlen, "%s: %s", path, errno_str(errno, eb, sizeof(eb)));
            goto out;
        }
        if (r == 0)
            break;
        len += (size_t)r;
    }
    if (len > want) {
        set_err(err, errlen, "%s: changed while being read", path);
        raced = true;
        goto out;
    }
    buf[len] = '\0';
    *out = buf;
    buf = NULL;
    if (outlen != NULL)
        *outlen = len;
    if (st != NULL)
        *st = fst;
    rc = 0;
out:
    free(buf);
    close(fd);
    if (rc != 0)
        errno = raced ? EAGAIN : EACCES;
    return rc;
}

int dlg_mkdir_private(const char *dir)
{
    char *copy, *p;
    int rc = 0;

    if (mkdir(dir, 0700) == 0 || errno == EEXIST)
        return 0;
    if (errno != ENOENT)
        return -1;
    copy = strdup(dir);
    if (!copy)
        return -1;
    for (p = copy + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(copy, 0755) != 0 && errno != EEXIST) {
            rc = -1;
            break;
        }
        *p = '/';
    }
    free(copy);
    if (rc == 0 && mkdir(dir, 0700) != 0 && errno != EEXIST)
        rc = -1;
    return rc;
}
