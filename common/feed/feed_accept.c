/* Accepting a fetched feed (feed.h): the anti-rollback rules of DESIGN.md
 * §6a, under an exclusive lock of the state directory (`feed fetch` by hand
 * and watch may run at once).
 *
 *   no stored version       the first feed that verifies
 *   ver > stored            a new version
 *   ver == stored           the identical file only (SHA-256); another file
 *                           of the same version is refused, loudly: the
 *                           publisher signed twice, or someone replays
 *   ver < stored            refused: rollback
 *   reset                   any version that verifies (the administrator
 *                           starts over after a key rotation)
 *
 * A refused file changes nothing but the state's last error.  A new version
 * is stored in this order: ID.jws, ID.conf (the revocations every reader
 * takes), ID.state (the version anchor); a crash in between leaves an older
 * anchor, so the same file is accepted again at the next round, and
 * dlg_feed_restore repairs a missing or older ID.conf from ID.jws. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "feed/feed.h"

static void set_msg(char *msg, size_t msglen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void set_msg(char *msg, size_t msglen, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, msglen, fmt, ap);
    va_end(ap);
    /* messages may quote what a server sent: printable ASCII only */
    for (char *p = msg; *p; p++)
        if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f)
            *p = '?';
}

/* The state directory, created root 0700 if missing, trust-checked and
 * locked (flock, exclusive).  fd, or -1 (msg). */
static int lock_dirs(const struct dlg_feed_dirs *dirs, char *msg, size_t msglen)
{
    char err[256];
    int fd;

    if (dlg_mkdir_private(dirs->state) != 0) {
        set_msg(msg, msglen, "cannot create %s: %s", dirs->state, strerror(errno));
        return -1;
    }
    if (mkdir(dirs->revoked, 0755) != 0 && errno != EEXIST) {
        set_msg(msg, msglen, "cannot create %s: %s", dirs->revoked, strerror(errno));
        return -1;
    }
    if (dlg_check_trusted_dir(dirs->state, err, sizeof(err)) != 0 ||
        dlg_check_trusted_dir(dirs->revoked, err, sizeof(err)) != 0) {
        set_msg(msg, msglen, "%s", err);
        return -1;
    }
    fd = open(dirs->state, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0 || flock(fd, LOCK_EX) != 0) {
        set_msg(msg, msglen, "cannot lock %s: %s", dirs->state, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    return fd;
}

static int replace_str(char **dst, const char *src)
{
    char *copy = src != NULL ? strdup(src) : NULL;

    if (src != NULL && copy == NULL)
        return -1;
    free(*dst);
    *dst = copy;
    return 0;
}

/* An ETag worth sending back: printable ASCII, bounded. */
static const char *usable_etag(const char *etag)
{
    if (etag == NULL || etag[0] == '\0' || strlen(etag) > 256)
        return NULL;
    for (const char *p = etag; *p; p++)
        if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f)
            return NULL;
    return etag;
}

/* The state's error becomes why (NULL: none); written only on a change. */
static void note_error(const struct dlg_feed *f, const struct dlg_feed_dirs *dirs,
                       struct dlg_feed_state *st, const char *source, const char *why, int64_t now)
{
    char err[256];

    if ((why == NULL && st->error == NULL) ||
        (why != NULL && st->error != NULL && strcmp(why, st->error) == 0))
        return;
    if (replace_str(&st->error, why) != 0 || (source != NULL && replace_str(&st->source, source) != 0))
        return;
    st->error_at = why != NULL ? now : 0;
    (void)dlg_feed_state_write(dirs->state, f->id, st, err, sizeof(err));
}

/* The version in ID.conf's feed group (written first, in its first lines):
 * 0 and 1 when the file is missing, -1 when unreadable. */
static int revfile_ver(const struct dlg_feed_dirs *dirs, const char *id, int64_t *ver)
{
    char path[4200], head[4096];
    const char *p;
    ssize_t n;
    int fd;

    *ver = 0;
    snprintf(path, sizeof(path), "%s/%s.conf", dirs->revoked, id);
    fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? 1 : -1;
    n = read(fd, head, sizeof(head) - 1);
    close(fd);
    if (n <= 0)
        return -1;
    head[n] = '\0';
    p = strstr(head, "\n  ver = ");
    if (p == NULL)
        return -1;
    *ver = strtoll(p + 9, NULL, 10);
    return 0;
}

/* Store a verified new version: ID.jws, ID.conf, ID.state. */
static int store(const struct dlg_feed *f, const struct dlg_feed_dirs *dirs,
                 const struct dlg_feed_doc *d, const char *text, size_t len, const char *etag,
                 const char *source, const char *keyfp, int64_t now, struct dlg_feed_state *st,
                 char *msg, size_t msglen)
{
    char path[4200], err[512];

    snprintf(path, sizeof(path), "%s/%s.jws", dirs->state, f->id);
    if (dlg_feed_write_atomic(path, text, len, 0600, err, sizeof(err)) != 0 ||
        dlg_feed_revfile_write(dirs->revoked, d, err, sizeof(err)) != 0) {
        set_msg(msg, msglen, "cannot store version %lld: %s", (long long)d->ver, err);
        return -1;
    }
    st->ver = d->ver;
    st->iat = d->iat;
    st->exp = d->exp;
    snprintf(st->sha256, sizeof(st->sha256), "%s", d->sha256);
    snprintf(st->key, sizeof(st->key), "%s", keyfp);
    st->accepted = now;
    free(st->error);
    st->error = NULL;
    st->error_at = 0;
    if (replace_str(&st->etag, usable_etag(etag)) != 0 || replace_str(&st->source, source) != 0 ||
        dlg_feed_state_write(dirs->state, f->id, st, err, sizeof(err)) != 0) {
        set_msg(msg, msglen, "cannot store version %lld: %s", (long long)d->ver, err);
        return -1;
    }
    return 0;
}

static void count_line(const struct dlg_feed_doc *d, char *buf, size_t len)
{
    const struct dlg_feed_revs *r = &d->revs;

    snprintf(buf, len, "%zu ticket%s, %zu actor%s, %zu principal%s, %zu issuer%s, %zu key%s%s",
             r->ntickets, r->ntickets == 1 ? "" : "s", r->actors.n, r->actors.n == 1 ? "" : "s",
             r->principals.n, r->principals.n == 1 ? "" : "s", r->issuers.n,
             r->issuers.n == 1 ? "" : "s", r->keys.n, r->keys.n == 1 ? "" : "s",
             r->has_issued_before ? ", issued_before" : "");
}

/* The stored version and the new document: which outcome. */
static enum dlg_feed_outcome judge(const struct dlg_feed_state *st, const struct dlg_feed_doc *d,
                                   const char *keyfp, bool reset, char *msg, size_t msglen)
{
    const char *rotated = st->key[0] != '\0' && strcmp(st->key, keyfp) != 0
                              ? "; the configured key differs from the one that verified the "
                                "stored version: after a key rotation, sign the next version "
                                "above it, or start over with 'delegatectl feed fetch --reset'"
                              : "";

    if (reset || st->ver == 0)
        return DLG_FEED_NEW;
    if (d->ver > st->ver)
        return DLG_FEED_NEW;
    if (d->ver == st->ver) {
        if (strcmp(d->sha256, st->sha256) == 0)
            return DLG_FEED_UNCHANGED;
        set_msg(msg, msglen, "REFUSED, REPLAY OR CONFLICT: version %lld with other content than "
                "the stored version %lld (sha256 %.12s..., stored %.12s...): the publisher signed "
                "two different feeds with one version, or someone serves a forged or replayed "
                "file%s", (long long)d->ver, (long long)st->ver, d->sha256, st->sha256, rotated);
        return DLG_FEED_REFUSED;
    }
    set_msg(msg, msglen, "refused: rollback: version %lld is older than the stored version %lld%s",
            (long long)d->ver, (long long)st->ver, rotated);
    return DLG_FEED_REFUSED;
}

enum dlg_feed_outcome dlg_feed_accept(const struct dlg_feed *f, const struct dlg_feed_dirs *dirs,
                                      const char *text, size_t len, const char *etag,
                                      const char *source, int64_t now, bool reset,
                                      char *msg, size_t msglen)
{
    struct dlg_feed_state st;
    struct dlg_feed_doc d;
    char err[512], keyfp[64] = "", counts[200];
    EVP_PKEY *key = NULL;
    enum dlg_feed_outcome out = DLG_FEED_REFUSED;
    int lockfd, have_doc = 0;
    int64_t rver;

    memset(&d, 0, sizeof(d));
    msg[0] = '\0';
    lockfd = lock_dirs(dirs, msg, msglen);
    if (lockfd < 0)
        return DLG_FEED_REFUSED;
    if (dlg_feed_state_read(dirs->state, f->id, &st, err, sizeof(err)) != 0 && !reset) {
        set_msg(msg, msglen, "refused: %s", err);
        goto out_unlocked_state;
    }
    if (text == NULL) {
        /* 304 Not Modified for the ETag of the stored version */
        if (st.ver > 0 && st.exp <= now) {
            set_msg(msg, msglen, "refused: expired: the server still serves version %lld, which "
                    "expired %lld s ago", (long long)st.ver, (long long)(now - st.exp));
            note_error(f, dirs, &st, source, msg, now);
        } else if (st.ver > 0) {
            out = DLG_FEED_UNCHANGED;
            set_msg(msg, msglen, "version %lld unchanged (not modified)", (long long)st.ver);
            note_error(f, dirs, &st, source, NULL, now);
        } else {
            set_msg(msg, msglen, "refused: the server said not modified, but no version is stored");
            note_error(f, dirs, &st, source, msg, now);
        }
        goto out;
    }
    key = dlg_feed_key_load(f->key, keyfp, sizeof(keyfp), err, sizeof(err));
    if (key == NULL) {
        set_msg(msg, msglen, "refused: cannot verify: %s", err);
        note_error(f, dirs, &st, source, msg, now);
        goto out;
    }
    if (dlg_feed_verify(text, len, f->id, key, now, &d, err, sizeof(err)) != 0) {
        set_msg(msg, msglen, "refused: %s", err);
        note_error(f, dirs, &st, source, msg, now);
        goto out;
    }
    have_doc = 1;
    out = judge(&st, &d, keyfp, reset, msg, msglen);
    if (out == DLG_FEED_REFUSED) {
        note_error(f, dirs, &st, source, msg, now);
        goto out;
    }
    count_line(&d, counts, sizeof(counts));
    if (out == DLG_FEED_UNCHANGED) {
        /* repair a missing or older revocation file */
        if (revfile_ver(dirs, f->id, &rver) != 0 || rver < d.ver)
            (void)dlg_feed_revfile_write(dirs->revoked, &d, err, sizeof(err));
        if (usable_etag(etag) != NULL && (st.etag == NULL || strcmp(st.etag, etag) != 0)) {
            (void)replace_str(&st.etag, etag);
            (void)dlg_feed_state_write(dirs->state, f->id, &st, err, sizeof(err));
        }
        note_error(f, dirs, &st, source, NULL, now);
        set_msg(msg, msglen, "version %lld unchanged", (long long)d.ver);
        goto out;
    }
    if (store(f, dirs, &d, text, len, etag, source, keyfp, now, &st, msg, msglen) != 0) {
        out = DLG_FEED_REFUSED;
        note_error(f, dirs, &st, source, msg, now);
        goto out;
    }
    set_msg(msg, msglen, "version %lld accepted%s (%s; expires in %lld s)", (long long)d.ver,
            reset ? " by --reset, whatever the stored version" : "", counts,
            (long long)(d.exp - now));
out:
    dlg_feed_state_free(&st);
out_unlocked_state:
    if (have_doc)
        dlg_feed_doc_free(&d);
    EVP_PKEY_free(key);
    close(lockfd);
    return out;
}

void dlg_feed_note_error(const struct dlg_feed *f, const struct dlg_feed_dirs *dirs,
                               const char *source, const char *why, int64_t now)
{
    struct dlg_feed_state st;
    char msg[256], err[256], clean[512];
    int lockfd = lock_dirs(dirs, msg, sizeof(msg));

    if (lockfd < 0)
        return;
    set_msg(clean, sizeof(clean), "%s", why);
    if (dlg_feed_state_read(dirs->state, f->id, &st, err, sizeof(err)) == 0) {
        note_error(f, dirs, &st, source, clean, now);
        dlg_feed_state_free(&st);
    }
    close(lockfd);
}

int dlg_feed_restore(const struct dlg_feed *f, const struct dlg_feed_dirs *dirs, char *msg,
                     size_t msglen)
{
    struct dlg_feed_state st;
    struct dlg_feed_doc d;
    char path[4200], err[512];
    char *text = NULL;
    size_t len = 0;
    EVP_PKEY *key = NULL;
    int64_t rver = 0;
    int lockfd, rc = -1, r;

    msg[0] = '\0';
    lockfd = lock_dirs(dirs, msg, msglen);
    if (lockfd < 0)
        return -1;
    if (dlg_feed_state_read(dirs->state, f->id, &st, err, sizeof(err)) != 0) {
        set_msg(msg, msglen, "%s", err);
        goto out;
    }
    if (st.ver == 0 || (revfile_ver(dirs, f->id, &rver) == 0 && rver >= st.ver)) {
        rc = 0;             /* nothing stored, or already in place */
        goto out;
    }
    snprintf(path, sizeof(path), "%s/%s.jws", dirs->state, f->id);
    r = dlg_feed_read_file(path, DLG_FEED_MAX_BYTES + 2, &text, &len, err, sizeof(err));
    if (r != 0) {
        set_msg(msg, msglen, "cannot restore the revocations of version %lld: %s",
                (long long)st.ver, r == 1 ? "the stored feed is missing" : err);
        goto out;
    }
    key = dlg_feed_key_load(f->key, NULL, 0, err, sizeof(err));
    if (key == NULL || dlg_feed_verify(text, len, f->id, key, -1, &d, err, sizeof(err)) != 0) {
        set_msg(msg, msglen, "cannot restore the revocations of version %lld: %s",
                (long long)st.ver, err);
        goto out;
    }
    if (d.ver != st.ver || strcmp(d.sha256, st.sha256) != 0) {
        set_msg(msg, msglen, "cannot restore: the stored feed is not version %lld",
                (long long)st.ver);
    } else if (dlg_feed_revfile_write(dirs->revoked, &d, err, sizeof(err)) != 0) {
        set_msg(msg, msglen, "cannot restore the revocations: %s", err);
    } else {
        set_msg(msg, msglen, "revocations of version %lld restored from the stored feed",
                (long long)st.ver);
        rc = 0;
    }
    dlg_feed_doc_free(&d);
out:
    dlg_feed_state_free(&st);
    EVP_PKEY_free(key);
    free(text);
    close(lockfd);
    return rc;
}
