/* Each CI token is exchanged once: its (issuer, jti) is recorded in the
 * state directory until the token's exp + skew, as one file named by the
 * SHA-256 of the pair, created with O_EXCL (atomic, also between threads
 * and processes) and fsync'ed with its directory before a ticket is
 * handed out, so a restart or a crash never forgets it.  This store is
 * local: several replicas need a shared store with an atomic
 * create-if-absent and expiry (README, "Several replicas"). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "xchg.h"

#define PREFIX "jti-"

static pthread_mutex_t prune_mu = PTHREAD_MUTEX_INITIALIZER;
static int64_t last_prune = INT64_MIN;

int x_replay_open(const char *state, char *why, size_t whylen)
{
    struct stat st;

    if (dlg_mkdir_private(state) != 0 && errno != EEXIST) {
        snprintf(why, whylen, "%s: %s", state, strerror(errno));
        return -1;
    }
    if (lstat(state, &st) != 0) {
        snprintf(why, whylen, "%s: %s", state, strerror(errno));
        return -1;
    }
    if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 0022)) {
        snprintf(why, whylen, "%s: must be a directory of this user (uid %u), not writable by "
                              "group or others", state, (unsigned)geteuid());
        return -1;
    }
    return 0;
}

static int record_name(const char *iss, const char *jti, char name[sizeof(PREFIX) + 64])
{
    unsigned char md[32];
    unsigned int mdlen = 0;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    int ok = ctx && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1 &&
             EVP_DigestUpdate(ctx, iss, strlen(iss) + 1) == 1 &&     /* the NUL separates them */
             EVP_DigestUpdate(ctx, jti, strlen(jti)) == 1 &&
             EVP_DigestFinal_ex(ctx, md, &mdlen) == 1 && mdlen == sizeof(md);

    EVP_MD_CTX_free(ctx);
    if (!ok)
        return -1;
    memcpy(name, PREFIX, sizeof(PREFIX) - 1);
    for (size_t i = 0; i < sizeof(md); i++)
        snprintf(name + sizeof(PREFIX) - 1 + 2 * i, 3, "%02x", md[i]);
    return 0;
}

int x_replay_claim(const char *state, const char *iss, const char *jti, int64_t exp, int64_t now)
{
    char name[sizeof(PREFIX) + 64], until[32];
    int dfd, fd, rc = -1, n;
    bool due;

    pthread_mutex_lock(&prune_mu);
    due = last_prune == INT64_MIN || dlg_time_sub(now, last_prune) >= 60;
    if (due)
        last_prune = now;
    pthread_mutex_unlock(&prune_mu);
    if (due)
        x_replay_prune(state, now);

    if (record_name(iss, jti, name) != 0)
        return -1;
    dfd = open(state, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
    if (dfd < 0)
        return -1;
    fd = openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) {
        rc = errno == EEXIST ? 1 : -1;
        goto out;
    }
    n = snprintf(until, sizeof(until), "%lld\n", (long long)dlg_time_add(exp, X_SKEW));
    if (write(fd, until, (size_t)n) != n || fsync(fd) != 0 || fsync(dfd) != 0) {
        /* not durable: take it back and refuse (the job may retry) */
        unlinkat(dfd, name, 0);
        close(fd);
        goto out;
    }
    close(fd);
    rc = 0;
out:
    close(dfd);
    return rc;
}

long x_replay_prune(const char *state, int64_t now)
{
    int dfd = open(state, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
    DIR *d = dfd >= 0 ? fdopendir(dfd) : NULL;
    struct dirent *e;
    long removed = 0;

    if (!d) {
        if (dfd >= 0)
            close(dfd);
        return 0;
    }
    while ((e = readdir(d)) != NULL) {
        char buf[32] = "", *end;
        long long until;
        ssize_t n;
        int fd;

        if (strncmp(e->d_name, PREFIX, sizeof(PREFIX) - 1) != 0)
            continue;
        fd = openat(dfd, e->d_name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
            continue;
        n = read(fd, buf, sizeof(buf) - 1);
        close(fd);
        if (n <= 0)
            continue;       /* being written right now, or damaged: kept */
        buf[n] = '\0';
        until = strtoll(buf, &end, 10);
        if (end != buf && *end == '\n' && until < now && unlinkat(dfd, e->d_name, 0) == 0)
            removed++;
    }
    closedir(d);
    return removed;
}
