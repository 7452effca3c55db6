/* Single-use ticket markers (see once.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "config/config.h"
#include "decision/once.h"
#include "util/util.h"

#define ONCE_NAME_LEN 64

int dlg_once_name(const char *iss, const char *jti, char name[65])
{
    static const char hex[] = "0123456789abcdef";
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0, i;
    EVP_MD_CTX *ctx;
    int ok;

    if (!iss || !jti)
        return -1;
    ctx = EVP_MD_CTX_new();
    if (!ctx)
        return -1;
    /* The NUL keeps ("ab","c") and ("a","bc") apart. */
    ok = EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1 &&
         EVP_DigestUpdate(ctx, iss, strlen(iss) + 1) == 1 &&
         EVP_DigestUpdate(ctx, jti, strlen(jti)) == 1 &&
         EVP_DigestFinal_ex(ctx, md, &mdlen) == 1 && mdlen == 32;
    EVP_MD_CTX_free(ctx);
    if (!ok)
        return -1;
    for (i = 0; i < mdlen; i++) {
        name[2 * i] = hex[md[i] >> 4];
        name[2 * i + 1] = hex[md[i] & 0x0f];
    }
    name[ONCE_NAME_LEN] = '\0';
    return 0;
}

static bool safe_dir(int dfd, const char *dir, char *err, size_t errlen)
{
    struct stat st;

    if (fstat(dfd, &st) != 0 || !S_ISDIR(st.st_mode)) {
        snprintf(err, errlen, "%s: not a directory", dir);
        return false;
    }
    if ((st.st_uid != 0 && st.st_uid != geteuid()) || (st.st_mode & 022)) {
        snprintf(err, errlen, "%s: not owned by root or writable by group/others", dir);
        return false;
    }
    return true;
}

/* The marker directory's parents, from the nearest one that exists up to
 * "/", must be trusted like the config's (root-owned, not writable by
 * others, links root-owned): else whoever may write there could rename the
 * used markers away and replay a single-use ticket. */
static bool parents_trusted(const char *dir, char *err, size_t errlen)
{
    char *copy = strdup(dir), *slash;
    struct stat st;
    bool ok = false;

    if (!copy) {
        snprintf(err, errlen, "%s: out of memory", dir);
        return false;
    }
    for (;;) {
        slash = strrchr(copy, '/');
        if (!slash) {
            snprintf(err, errlen, "%s: not an absolute path", dir);
            break;
        }
        if (slash == copy)
            slash[1] = '\0';
        else
            *slash = '\0';
        if (lstat(copy, &st) == 0 || errno != ENOENT || strcmp(copy, "/") == 0) {
            ok = dlg_check_trusted_dir(copy, err, errlen) == 0;
            break;
        }
    }
    free(copy);
    return ok;
}

static bool is_marker_name(const char *s)
{
    size_t i;

    for (i = 0; i < ONCE_NAME_LEN; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return false;
    return s[ONCE_NAME_LEN] == '\0';
}

/* Drop markers of tickets that can no longer be valid under any allowed
 * clock_skew: exp + DLG_ONCE_PRUNE_MARGIN < now.  The margin is fixed, not
 * the current skew, so raising clock_skew later never revives a ticket
 * whose marker is gone. */
static void prune(int dfd, int64_t now)
{
    DIR *d;
    struct dirent *de;
    int fd2 = dup(dfd);

    if (fd2 < 0)
        return;
    d = fdopendir(fd2);
    if (!d) {
        close(fd2);
        return;
    }
    rewinddir(d);
    while ((de = readdir(d))) {
        char buf[32];
        ssize_t n;
        int64_t exp;
        char *end;
        int fd;

        if (!is_marker_name(de->d_name))
            continue;
        fd = openat(dfd, de->d_name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
        if (fd < 0)
            continue;
        n = read(fd, buf, sizeof(buf) - 1);
        close(fd);
        if (n <= 0)
            continue;
        buf[n] = '\0';
        errno = 0;
        exp = strtoll(buf, &end, 10);
        if (errno || end == buf || (*end != '\n' && *end != '\0'))
            continue;
        if (exp < dlg_time_sub(now, DLG_ONCE_PRUNE_MARGIN))
            unlinkat(dfd, de->d_name, 0);
    }
    closedir(d);
}

enum dlg_once_result dlg_once_consume(const char *dir, const char *iss, const char *jti,
                                      int64_t exp, int64_t now, int64_t skew,
                                      char *err, size_t errlen)
{
    char name[ONCE_NAME_LEN + 1], line[32];
    enum dlg_once_result res = DLG_ONCE_ERROR;
    int dfd = -1, fd = -1, len;

    (void)skew;                 /* pruning uses a fixed margin */
    if (!dir || dlg_once_name(iss, jti, name) != 0) {
        snprintf(err, errlen, "cannot name the single-use marker");
        return DLG_ONCE_ERROR;
    }
    if (!parents_trusted(dir, err, errlen))
        return DLG_ONCE_ERROR;
    if (dlg_mkdir_private(dir) != 0) {
        snprintf(err, errlen, "%s: cannot create: %s", dir, strerror(errno));
        return DLG_ONCE_ERROR;
    }
    if (!parents_trusted(dir, err, errlen))
        return DLG_ONCE_ERROR;
    dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (dfd < 0) {
        snprintf(err, errlen, "%s: %s", dir, strerror(errno));
        goto out;
    }
    if (!safe_dir(dfd, dir, err, errlen))
        goto out;
    fd = openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) {
        if (errno == EEXIST) {
            res = DLG_ONCE_USED;
        } else {
            snprintf(err, errlen, "%s: cannot create marker: %s", dir, strerror(errno));
        }
        goto out;
    }
    /* From here the ticket counts as used, whatever happens to its content. */
    res = DLG_ONCE_FRESH;
    len = snprintf(line, sizeof(line), "%" PRId64 "\n", exp);
    if (write(fd, line, (size_t)len) != len)
        snprintf(err, errlen, "%s: cannot write marker: %s", dir, strerror(errno));
    else
        (void)fsync(fd);
    prune(dfd, now);
out:
    if (fd >= 0)
        close(fd);
    if (dfd >= 0)
        close(dfd);
    return res;
}

enum dlg_once_result dlg_once_check(const char *dir, const char *iss, const char *jti,
                                    char *err, size_t errlen)
{
    char name[ONCE_NAME_LEN + 1];
    enum dlg_once_result res = DLG_ONCE_ERROR;
    struct stat st;
    int dfd;

    if (!dir || dlg_once_name(iss, jti, name) != 0) {
        snprintf(err, errlen, "cannot name the single-use marker");
        return DLG_ONCE_ERROR;
    }
    /* a missing (or swapped) marker dir proves nothing unless only root
     * could have removed it */
    if (!parents_trusted(dir, err, errlen))
        return DLG_ONCE_ERROR;
    dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (dfd < 0) {
        if (errno == ENOENT)
            return DLG_ONCE_FRESH;
        snprintf(err, errlen, "%s: %s", dir, strerror(errno));
        return DLG_ONCE_ERROR;
    }
    if (!safe_dir(dfd, dir, err, errlen))
        goto out;
    if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0)
        res = DLG_ONCE_USED;
    else if (errno == ENOENT)
        res = DLG_ONCE_FRESH;
    else
        snprintf(err, errlen, "%s: %s", dir, strerror(errno));
out:
    close(dfd);
    return res;
}
