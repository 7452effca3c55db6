/* Small helpers shared by the modules and the CLI.  libc only: the NSS module
 * links this file, so no stdio output, no NSS calls, no static mutable state. */
#include "util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- string lists ------------------------------------------------------ */

void dlg_strv_free(struct dlg_strv *sv)
{
    if (sv == NULL)
        return;
    for (size_t i = 0; i < sv->n; i++)
        free(sv->v[i]);
    free(sv->v);
    sv->v = NULL;
    sv->n = 0;
}

int dlg_strv_push(struct dlg_strv *sv, const char *s)
{
    char *copy = strdup(s);
    if (copy == NULL)
        return -1;
    char **nv = realloc(sv->v, (sv->n + 1) * sizeof(*nv));
    if (nv == NULL) {
        free(copy);
        return -1;
    }
    nv[sv->n++] = copy;
    sv->v = nv;
    return 0;
}

bool dlg_strv_contains(const struct dlg_strv *sv, const char *s)
{
    if (sv == NULL || s == NULL)
        return false;
    for (size_t i = 0; i < sv->n; i++)
        if (strcmp(sv->v[i], s) == 0)
            return true;
    return false;
}

/* ASCII only: host and user names, independent of the locale. */
static int ascii_casecmp(const char *a, const char *b)
{
    for (;; a++, b++) {
        unsigned char ca = (unsigned char)*a, cb = (unsigned char)*b;
        if (ca >= 'A' && ca <= 'Z')
            ca = (unsigned char)(ca - 'A' + 'a');
        if (cb >= 'A' && cb <= 'Z')
            cb = (unsigned char)(cb - 'A' + 'a');
        if (ca != cb || ca == '\0')
            return (int)ca - (int)cb;
    }
}

bool dlg_strv_contains_icase(const struct dlg_strv *sv, const char *s)
{
    if (sv == NULL || s == NULL)
        return false;
    for (size_t i = 0; i < sv->n; i++)
        if (ascii_casecmp(sv->v[i], s) == 0)
            return true;
    return false;
}

/* ---- diagnostics ------------------------------------------------------- */

void dlg_diag_free(struct dlg_diag *d)
{
    if (d == NULL)
        return;
    dlg_strv_free(&d->errors);
    dlg_strv_free(&d->warnings);
}

static void diag_add(struct dlg_strv *sv, const char *file, int line,
                     const char *fmt, va_list ap) __attribute__((format(printf, 4, 0)));
static void diag_add(struct dlg_strv *sv, const char *file, int line,
                     const char *fmt, va_list ap)
{
    char msg[1024];
    char *full = NULL;
    int r;

    vsnprintf(msg, sizeof(msg), fmt, ap);
    if (file == NULL)
        r = asprintf(&full, "%s", msg);
    else if (line <= 0)
        r = asprintf(&full, "%s: %s", file, msg);
    else
        r = asprintf(&full, "%s:%d: %s", file, line, msg);
    if (r < 0)
        return;
    char **nv = realloc(sv->v, (sv->n + 1) * sizeof(*nv));
    if (nv == NULL) {
        free(full);
        return;
    }
    nv[sv->n++] = full;
    sv->v = nv;
}

void dlg_diag_error(struct dlg_diag *d, const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    if (d == NULL)
        return;
    va_start(ap, fmt);
    diag_add(&d->errors, file, line, fmt, ap);
    va_end(ap);
}

void dlg_diag_warn(struct dlg_diag *d, const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    if (d == NULL)
        return;
    va_start(ap, fmt);
    diag_add(&d->warnings, file, line, fmt, ap);
    va_end(ap);
}

/* ---- file trust -------------------------------------------------------- */

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

/* One directory of the path: root-owned, and not writable by group or
 * others unless it is a sticky directory (/tmp). */
static int check_dir_entry(const char *what, const char *dir, char *err, size_t errlen)
{
    struct stat st;
    char eb[128];

    if (lstat(dir, &st) != 0) {
        set_err(err, errlen, "%s: directory %s: %s", what, dir, errno_str(errno, eb, sizeof(eb)));
        return -1;
    }
    if (!S_ISDIR(st.st_mode)) {
        set_err(err, errlen, "%s: %s is not a directory", what, dir);
        return -1;
    }
    if (st.st_uid != 0) {
        set_err(err, errlen, "%s: directory %s is owned by uid %lu, not root",
                what, dir, (unsigned long)st.st_uid);
        return -1;
    }
    if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0 && (st.st_mode & S_ISVTX) == 0) {
        set_err(err, errlen, "%s: directory %s (mode %04o) is writable by group or others",
                what, dir, (unsigned)(st.st_mode & 07777));
        return -1;
    }
    return 0;
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
        if (strlen(dir) >= cap)
            goto toolong;
        strcpy(rest, dir);
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
    strcpy(cur, "/");
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
                strcpy(cur, "/");
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
                strcpy(cur, "/");
            continue;
        }
        if (check_dir_entry(what, cand, err, errlen) != 0)
            goto fail;
        strcpy(cur, cand);
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

/* ---- times ------------------------------------------------------------- */

/* Latest accepted time: 9999-12-31T23:59:59Z. */
#define DLG_TIME_MAX INT64_C(253402300799)

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
 * civil calendar algorithm), no TZ or locale involved. */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = (unsigned)(y - era * 400);
    const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const unsigned doe = (unsigned)(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static bool is_leap(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static unsigned days_in_month(int64_t y, unsigned m)
{
    static const unsigned char mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : mdays[m - 1];
}

/* Exactly n decimal digits. */
static bool take_digits(const char **p, int n, unsigned *out)
{
    unsigned v = 0;
    for (int i = 0; i < n; i++) {
        char c = (*p)[i];
        if (c < '0' || c > '9')
            return false;
        v = v * 10 + (unsigned)(c - '0');
    }
    *p += n;
    *out = v;
    return true;
}

static bool take_char(const char **p, char c)
{
    if (**p != c)
        return false;
    (*p)++;
    return true;
}

/* Unsigned decimal without sign, leading '+' or spaces; no overflow. */
static int parse_u64(const char *s, const char **end, uint64_t *out)
{
    uint64_t v = 0;
    const char *p = s;
    if (*p < '0' || *p > '9')
        return -1;
    for (; *p >= '0' && *p <= '9'; p++) {
        unsigned dgt = (unsigned)(*p - '0');
        if (v > (UINT64_MAX - dgt) / 10)
            return -1;
        v = v * 10 + dgt;
    }
    *end = p;
    *out = v;
    return 0;
}

int dlg_parse_time(const char *s, int64_t *out)
{
    const char *p = s;
    unsigned year, mon, day, hh, mm, ss, oh = 0, om = 0;
    int sign = 0;

    if (s == NULL)
        return -1;
    if (*p == '@') {
        uint64_t v;
        const char *end;
        if (parse_u64(p + 1, &end, &v) != 0 || *end != '\0' || v > (uint64_t)DLG_TIME_MAX)
            return -1;
        *out = (int64_t)v;
        return 0;
    }
    if (!take_digits(&p, 4, &year) || !take_char(&p, '-') || !take_digits(&p, 2, &mon) ||
        !take_char(&p, '-') || !take_digits(&p, 2, &day))
        return -1;
    if (*p != 'T' && *p != 't' && *p != ' ')
        return -1;
    p++;
    if (!take_digits(&p, 2, &hh) || !take_char(&p, ':') || !take_digits(&p, 2, &mm) ||
        !take_char(&p, ':') || !take_digits(&p, 2, &ss))
        return -1;
    if (*p == '.') {                    /* fraction: allowed, truncated */
        p++;
        if (*p < '0' || *p > '9')
            return -1;
        while (*p >= '0' && *p <= '9')
            p++;
    }
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        sign = *p == '+' ? 1 : -1;
        p++;
        if (!take_digits(&p, 2, &oh) || !take_char(&p, ':') || !take_digits(&p, 2, &om))
            return -1;
        if (oh > 23 || om > 59)
            return -1;
    } else {
        return -1;
    }
    if (*p != '\0')
        return -1;
    if (mon < 1 || mon > 12 || day < 1 || day > days_in_month(year, mon) ||
        hh > 23 || mm > 59 || ss > 59)
        return -1;
    int64_t t = days_from_civil(year, mon, day) * 86400 + (int64_t)hh * 3600 + (int64_t)mm * 60 + ss;
    t -= (int64_t)sign * ((int64_t)oh * 3600 + (int64_t)om * 60);
    if (t < 0 || t > DLG_TIME_MAX)
        return -1;
    *out = t;
    return 0;
}

int dlg_parse_duration(const char *s, int64_t *out)
{
    uint64_t v, mult = 1;
    const char *end;

    if (s == NULL || parse_u64(s, &end, &v) != 0)
        return -1;
    switch (*end) {
    case '\0':
        break;
    case 's': mult = 1; end++; break;
    case 'm': mult = 60; end++; break;
    case 'h': mult = 3600; end++; break;
    case 'd': mult = 86400; end++; break;
    default:
        return -1;
    }
    if (*end != '\0')
        return -1;
    if (v > (uint64_t)DLG_TIME_MAX / mult)
        return -1;
    *out = (int64_t)(v * mult);
    return 0;
}

void dlg_format_time(int64_t t, char *buf, size_t len)
{
    int64_t days = t / 86400, secs = t % 86400, y;
    unsigned m, d;

    if (buf == NULL || len == 0)
        return;
    if (secs < 0) {
        secs += 86400;
        days--;
    }
    civil_from_days(days, &y, &m, &d);
    snprintf(buf, len, "%04lld-%02u-%02uT%02u:%02u:%02uZ", (long long)y, m, d,
             (unsigned)(secs / 3600), (unsigned)(secs / 60 % 60), (unsigned)(secs % 60));
}

/* ---- CIDRs ------------------------------------------------------------- */

int dlg_cidr_parse(const char *s, struct dlg_cidr *out)
{
    char addr[INET6_ADDRSTRLEN + 1];
    const char *slash;
    size_t alen;
    unsigned maxbits, prefix;
    struct dlg_cidr c;

    if (s == NULL)
        return -1;
    memset(&c, 0, sizeof(c));
    slash = strchr(s, '/');
    alen = slash != NULL ? (size_t)(slash - s) : strlen(s);
    if (alen == 0 || alen >= sizeof(addr))
        return -1;
    memcpy(addr, s, alen);
    addr[alen] = '\0';
    if (inet_pton(AF_INET, addr, c.addr) == 1) {
        c.family = AF_INET;
        maxbits = 32;
    } else if (inet_pton(AF_INET6, addr, c.addr) == 1) {
        c.family = AF_INET6;
        maxbits = 128;
    } else {
        return -1;
    }
    if (slash == NULL) {
        prefix = maxbits;
    } else {
        const char *p = slash + 1;
        uint64_t v;
        const char *end;
        /* Decimal, no sign, no leading zeros ("0" itself is fine). */
        if (p[0] == '0' && p[1] != '\0')
            return -1;
        if (parse_u64(p, &end, &v) != 0 || *end != '\0' || v > maxbits)
            return -1;
        prefix = (unsigned)v;
    }
    /* Host bits must be zero: "10.0.0.1/8" is a typo, not a network. */
    for (unsigned bit = prefix; bit < maxbits; bit++) {
        if (c.addr[bit / 8] & (0x80u >> (bit % 8)))
            return -1;
    }
    c.prefix = prefix;
    *out = c;
    return 0;
}

static bool prefix_equal(const unsigned char *a, const unsigned char *b, unsigned prefix)
{
    unsigned full = prefix / 8, rest = prefix % 8;
    if (memcmp(a, b, full) != 0)
        return false;
    if (rest == 0)
        return true;
    unsigned char mask = (unsigned char)(0xffu << (8 - rest));
    return (a[full] & mask) == (b[full] & mask);
}

static const unsigned char v4mapped_prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

bool dlg_cidr_match(const struct dlg_cidr *c, const char *rhost)
{
    unsigned char a[16];

    if (c == NULL || rhost == NULL || *rhost == '\0')
        return false;
    if (inet_pton(AF_INET, rhost, a) == 1) {
        if (c->family == AF_INET)
            return prefix_equal(a, c->addr, c->prefix);
        /* An IPv4 peer against a v4-mapped IPv6 network. */
        unsigned char m[16];
        memcpy(m, v4mapped_prefix, 12);
        memcpy(m + 12, a, 4);
        return c->family == AF_INET6 && prefix_equal(m, c->addr, c->prefix);
    }
    if (inet_pton(AF_INET6, rhost, a) == 1) {
        if (c->family == AF_INET6)
            return prefix_equal(a, c->addr, c->prefix);
        /* "::ffff:10.1.2.3" (a dual-stack socket) against an IPv4 network. */
        if (c->family == AF_INET && memcmp(a, v4mapped_prefix, 12) == 0)
            return prefix_equal(a + 12, c->addr, c->prefix);
    }
    return false;
}

/* ---- names ------------------------------------------------------------- */

bool dlg_valid_username(const char *s)
{
    size_t n;

    if (s == NULL)
        return false;
    n = strlen(s);
    if (n == 0 || n > 32)
        return false;
    if (!((s[0] >= 'a' && s[0] <= 'z') || s[0] == '_'))
        return false;
    for (size_t i = 1; i < n; i++) {
        char c = s[i];
        if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-')
            continue;
        if (c == '$' && i == n - 1)
            continue;
        return false;
    }
    return true;
}

bool dlg_valid_jti(const char *s)
{
    size_t n;

    if (s == NULL)
        return false;
    n = strlen(s);
    if (n == 0 || n > 64)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-'))
            return false;
    }
    return true;
}

bool dlg_valid_service(const char *s)
{
    return dlg_valid_jti(s) && s[0] != '.';
}

bool dlg_valid_name_token(const char *s)
{
    size_t n;

    if (s == NULL)
        return false;
    n = strlen(s);
    if (n == 0 || n > 128)
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c <= 0x20 || c >= 0x7f || c == '"')
            return false;
    }
    return true;
}

bool dlg_valid_name(const char *s)
{
    size_t n;

    if (s == NULL)
        return false;
    n = strlen(s);
    if (n == 0 || n > 64 || s[0] == '-')
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '@' || c == '+' || c == '-'))
            return false;
    }
    return true;
}

/* ---- time arithmetic ---------------------------------------------------- */

int64_t dlg_time_add(int64_t a, int64_t b)
{
    int64_t r;

    if (__builtin_add_overflow(a, b, &r))
        return b > 0 ? INT64_MAX : INT64_MIN;
    return r;
}

int64_t dlg_time_sub(int64_t a, int64_t b)
{
    int64_t r;

    if (__builtin_sub_overflow(a, b, &r))
        return b < 0 ? INT64_MAX : INT64_MIN;
    return r;
}
