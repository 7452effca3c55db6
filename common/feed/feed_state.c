/* The host's record of a feed (feed.h): DLG_FEEDS_DIR/ID.state, a small
 * JSON object (jansson, strict) rewritten atomically, and the file helpers
 * the feed code shares. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "feed/feed.h"

#define STATE_MAX_BYTES 65536
#define ETAG_MAX        512
#define TEXT_MAX        1024

void dlg_feed_state_free(struct dlg_feed_state *s)
{
    free(s->etag);
    free(s->source);
    free(s->error);
    memset(s, 0, sizeof(*s));
}

int dlg_feed_read_file(const char *path, size_t max, char **out, size_t *len, char *err,
                       size_t errlen)
{
    struct stat st;
    size_t n = 0;
    char *buf;
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);

    *out = NULL;
    *len = 0;
    if (fd < 0) {
        if (errno == ENOENT)
            return 1;
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "%s: not a regular file", path);
        close(fd);
        return -1;
    }
    if (st.st_size < 0 || (size_t)st.st_size > max) {
        snprintf(err, errlen, "%s: oversized: larger than %zu bytes", path, max);
        close(fd);
        return -1;
    }
    buf = malloc((size_t)st.st_size + 1);
    if (buf == NULL) {
        snprintf(err, errlen, "out of memory");
        close(fd);
        return -1;
    }
    /* read to the end, but never past max: a file growing meanwhile */
    for (;;) {
        ssize_t r;
        if (n == (size_t)st.st_size) {
            char probe;
            r = read(fd, &probe, 1);
            if (r == 0)
                break;
            if (r < 0 && errno == EINTR)
                continue;
            snprintf(err, errlen, "%s: changed while being read", path);
            free(buf);
            close(fd);
            return -1;
        }
        r = read(fd, buf + n, (size_t)st.st_size - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            snprintf(err, errlen, "%s: %s", path, r < 0 ? strerror(errno) : "changed while being read");
            free(buf);
            close(fd);
            return -1;
        }
        n += (size_t)r;
    }
    close(fd);
    buf[n] = '\0';
    *out = buf;
    *len = n;
    return 0;
}

int dlg_feed_write_atomic(const char *path, const void *data, size_t len, unsigned mode,
                          char *err, size_t errlen)
{
    char dir[4096], tmp[4200], terr[256];
    const char *slash = strrchr(path, '/');
    int fd = -1, dfd, rc = -1;
    size_t done = 0;

    if (slash == NULL || slash == path || (size_t)(slash - path) >= sizeof(dir)) {
        snprintf(err, errlen, "%s: not an absolute path", path);
        return -1;
    }
    memcpy(dir, path, (size_t)(slash - path));
    dir[slash - path] = '\0';
    if (dlg_check_trusted_dir(dir, terr, sizeof(terr)) != 0) {
        snprintf(err, errlen, "%s: %s", dir, terr);
        return -1;
    }
    snprintf(tmp, sizeof(tmp), "%s/.%s.XXXXXX", dir, slash + 1);
    fd = mkostemp(tmp, O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, errlen, "%s: cannot create a temp file: %s", dir, strerror(errno));
        return -1;
    }
    if (fchmod(fd, (mode_t)mode) != 0) {
        snprintf(err, errlen, "%s: fchmod: %s", tmp, strerror(errno));
        goto out;
    }
    while (done < len) {
        ssize_t n = write(fd, (const char *)data + done, len - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            snprintf(err, errlen, "%s: write: %s", tmp, n < 0 ? strerror(errno) : "short write");
            goto out;
        }
        done += (size_t)n;
    }
    if (fsync(fd) != 0) {
        snprintf(err, errlen, "%s: fsync: %s", tmp, strerror(errno));
        goto out;
    }
    if (close(fd) != 0) {
        fd = -1;
        snprintf(err, errlen, "%s: close: %s", tmp, strerror(errno));
        goto out;
    }
    fd = -1;
    if (rename(tmp, path) != 0) {
        snprintf(err, errlen, "%s: rename: %s", path, strerror(errno));
        goto out;
    }
    tmp[0] = '\0';
    dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        (void)fsync(dfd);
        close(dfd);
    }
    rc = 0;
out:
    if (fd >= 0)
        close(fd);
    if (tmp[0] != '\0')
        unlink(tmp);
    return rc;
}

static char *state_path(const char *dir, const char *id)
{
    char *p = NULL;

    if (asprintf(&p, "%s/%s.state", dir, id) < 0)
        return NULL;
    return p;
}

/* A string member, or null when absent_ok; n bytes at most. */
static int get_str(json_t *v, size_t max, bool null_ok, char **out)
{
    *out = NULL;
    if (json_is_null(v) && null_ok)
        return 0;
    if (!json_is_string(v) || json_string_length(v) > max ||
        strlen(json_string_value(v)) != json_string_length(v))
        return -1;
    *out = strdup(json_string_value(v));
    return *out ? 0 : -1;
}

static int get_fixed(json_t *v, char *out, size_t outlen)
{
    if (!json_is_string(v) || json_string_length(v) >= outlen)
        return -1;
    snprintf(out, outlen, "%s", json_string_value(v));
    return 0;
}

static int get_int(json_t *v, int64_t *out)
{
    if (!json_is_integer(v) || json_integer_value(v) < 0)
        return -1;
    *out = (int64_t)json_integer_value(v);
    return 0;
}

static int parse_state(json_t *o, struct dlg_feed_state *s)
{
    const char *k;
    json_t *v;
    int bad = 0;

    if (!json_is_object(o))
        return -1;
    json_object_foreach(o, k, v) {
        if (strcmp(k, "ver") == 0)
            bad |= get_int(v, &s->ver);
        else if (strcmp(k, "iat") == 0)
            bad |= get_int(v, &s->iat);
        else if (strcmp(k, "exp") == 0)
            bad |= get_int(v, &s->exp);
        else if (strcmp(k, "sha256") == 0)
            bad |= get_fixed(v, s->sha256, sizeof(s->sha256));
        else if (strcmp(k, "key") == 0)
            bad |= get_fixed(v, s->key, sizeof(s->key));
        else if (strcmp(k, "etag") == 0)
            bad |= get_str(v, ETAG_MAX, true, &s->etag);
        else if (strcmp(k, "source") == 0)
            bad |= get_str(v, TEXT_MAX * 4, true, &s->source);
        else if (strcmp(k, "accepted") == 0)
            bad |= get_int(v, &s->accepted);
        else if (strcmp(k, "error") == 0)
            bad |= get_str(v, TEXT_MAX, true, &s->error);
        else if (strcmp(k, "error_at") == 0)
            bad |= get_int(v, &s->error_at);
        else
            bad = -1;
    }
    if (s->ver > 0 && strlen(s->sha256) != 64)
        bad = -1;
    return bad ? -1 : 0;
}

int dlg_feed_state_read(const char *dir, const char *id, struct dlg_feed_state *s, char *err,
                        size_t errlen)
{
    char *path = state_path(dir, id), *text = NULL;
    size_t len = 0;
    json_error_t jerr;
    json_t *o = NULL;
    int rc = -1, r;

    memset(s, 0, sizeof(*s));
    if (path == NULL) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    r = dlg_feed_read_file(path, STATE_MAX_BYTES, &text, &len, err, errlen);
    if (r == 1) {
        rc = 0;
        goto out;
    }
    if (r != 0)
        goto out;
    o = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    if (o == NULL || parse_state(o, s) != 0) {
        dlg_feed_state_free(s);
        snprintf(err, errlen, "%s is corrupt: the stored version cannot be trusted "
                 "(see 'delegatectl feed fetch --reset')", path);
        goto out;
    }
    rc = 0;
out:
    json_decref(o);
    free(text);
    free(path);
    return rc;
}

static json_t *str_or_null(const char *s)
{
    return s != NULL ? json_string(s) : json_null();
}

int dlg_feed_state_write(const char *dir, const char *id, const struct dlg_feed_state *s,
                         char *err, size_t errlen)
{
    char *path = state_path(dir, id), *text = NULL;
    json_t *o = json_object();
    int rc = -1;

    if (path == NULL || o == NULL ||
        json_object_set_new(o, "ver", json_integer(s->ver)) != 0 ||
        json_object_set_new(o, "iat", json_integer(s->iat)) != 0 ||
        json_object_set_new(o, "exp", json_integer(s->exp)) != 0 ||
        json_object_set_new(o, "sha256", json_string(s->sha256)) != 0 ||
        json_object_set_new(o, "key", json_string(s->key)) != 0 ||
        json_object_set_new(o, "etag", str_or_null(s->etag)) != 0 ||
        json_object_set_new(o, "source", str_or_null(s->source)) != 0 ||
        json_object_set_new(o, "accepted", json_integer(s->accepted)) != 0 ||
        json_object_set_new(o, "error", str_or_null(s->error)) != 0 ||
        json_object_set_new(o, "error_at", json_integer(s->error_at)) != 0) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    text = json_dumps(o, JSON_INDENT(2) | JSON_ENSURE_ASCII);
    if (text == NULL) {
        snprintf(err, errlen, "cannot encode the state");
        goto out;
    }
    rc = dlg_feed_write_atomic(path, text, strlen(text), 0600, err, errlen);
out:
    free(text);
    free(path);
    json_decref(o);
    return rc;
}
