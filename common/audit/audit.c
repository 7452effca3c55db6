/* The audit trail (DESIGN.md §8).  Every event is one JSON object on one
 * line, appended with a single write(2) so that concurrent writers never
 * interleave, plus the same facts as key=value to syslog LOG_AUTHPRIV.
 *
 * Every line has every field: strings that are not known are null; pid is a
 * number; reason is present only on "deny" events.  Strings that are not
 * valid UTF-8 are written with each non-ASCII byte replaced by '?'.
 *
 * No control or line-separator character (U+0000..U+001F, U+007F, U+0085,
 * U+2028, U+2029) ever reaches the file or syslog raw, whatever field it is
 * in (also unverified ones such as iss): the JSON line is pure ASCII (every
 * non-ASCII character and DEL as a \uXXXX escape), and syslog values write
 * every byte outside printable ASCII as \xNN. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include <jansson.h>

#include "audit/audit.h"

struct field {
    const char *name;
    const char *value;
};

static json_t *json_text(const char *s)
{
    json_t *j;
    char *copy;
    size_t i;

    if (!s)
        return json_null();
    j = json_string(s);
    if (j)
        return j;
    copy = strdup(s);
    if (!copy)
        return NULL;
    for (i = 0; copy[i]; i++)
        if ((unsigned char)copy[i] >= 0x80)
            copy[i] = '?';
    j = json_string(copy);
    free(copy);
    return j;
}

static size_t event_fields(const struct dlg_audit_event *ev, struct field *f)
{
    size_t n = 0;

    f[n++] = (struct field){ "event", ev->event };
    f[n++] = (struct field){ "service", ev->service };
    f[n++] = (struct field){ "user", ev->user };
    f[n++] = (struct field){ "actor", ev->actor };
    f[n++] = (struct field){ "principal", ev->principal };
    f[n++] = (struct field){ "runas", ev->runas };
    f[n++] = (struct field){ "jti", ev->jti };
    f[n++] = (struct field){ "iss", ev->iss };
    f[n++] = (struct field){ "kid", ev->kid };
    f[n++] = (struct field){ "rhost", ev->rhost };
    f[n++] = (struct field){ "tty", ev->tty };
    return n;
}

/* The events that carry a reason: deny, session_end. */
static bool is_deny(const struct dlg_audit_event *ev)
{
    return ev->event && (strcmp(ev->event, "deny") == 0 || strcmp(ev->event, "session_end") == 0);
}

/* jansson leaves DEL (U+007F) raw even with JSON_ENSURE_ASCII; inside a
 * JSON text it can only be in a string, where \u007f means the same. */
static char *escape_del(char *line)
{
    size_t n = 0, len = strlen(line), i, j;
    char *out;

    for (i = 0; i < len; i++)
        if (line[i] == 0x7f)
            n++;
    if (n == 0)
        return line;
    out = malloc(len + 5 * n + 1);
    if (out) {
        for (i = j = 0; i < len; i++) {
            if (line[i] == 0x7f) {
                memcpy(out + j, "\\u007f", 6);
                j += 6;
            } else {
                out[j++] = line[i];
            }
        }
        out[j] = '\0';
    }
    free(line);
    return out;
}

char *dlg_audit_json(const struct dlg_audit_event *ev)
{
    struct field f[16];
    json_t *o = json_object();
    char ts[40];
    char *line = NULL;
    size_t n, i;

    if (!o || !ev)
        goto out;
    dlg_format_time(ev->ts, ts, sizeof(ts));
    if (json_object_set_new(o, "ts", json_string(ts)) != 0)
        goto out;
    n = event_fields(ev, f);
    for (i = 0; i < n; i++)
        if (json_object_set_new(o, f[i].name, json_text(f[i].value)) != 0)
            goto out;
    if (json_object_set_new(o, "pid", json_integer((json_int_t)ev->pid)) != 0)
        goto out;
    if (json_object_set_new(o, "key", json_text(ev->key)) != 0)
        goto out;
    if (is_deny(ev) && json_object_set_new(o, "reason", json_text(ev->reason)) != 0)
        goto out;
    line = json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII);
    if (line)
        line = escape_del(line);
out:
    json_decref(o);
    return line;
}

/* key=value with the value quoted when it holds anything but plain
 * characters; every byte outside printable ASCII (controls, DEL, and all of
 * UTF-8, so U+0085, U+2028 and U+2029 too) is written as \xNN. */
static void kv_append(char *buf, size_t cap, size_t *len, const char *key, const char *val)
{
    bool quote = val[0] == '\0';
    const char *p;

    for (p = val; *p && !quote; p++)
        if (*p == ' ' || *p == '"' || *p == '=' || *p == '\\' || (unsigned char)*p < 0x20 ||
            (unsigned char)*p >= 0x7f)
            quote = true;
    if (*len + strlen(key) + 2 >= cap)
        return;
    *len += (size_t)snprintf(buf + *len, cap - *len, "%s%s=", *len ? " " : "", key);
    if (quote && *len + 1 < cap)
        buf[(*len)++] = '"';
    for (p = val; *p && *len + 6 < cap; p++) {
        unsigned char c = (unsigned char)*p;
        if (c < 0x20 || c >= 0x7f) {
            *len += (size_t)snprintf(buf + *len, cap - *len, "\\x%02x", c);
            continue;
        }
        if (c == '"' || c == '\\')
            buf[(*len)++] = '\\';
        buf[(*len)++] = (char)c;
    }
    if (quote && *len + 1 < cap)
        buf[(*len)++] = '"';
    buf[*len] = '\0';
}

static void audit_syslog(const struct dlg_audit_event *ev)
{
    struct field f[16];
    char buf[2048], num[32];
    size_t len = 0, n, i;

    buf[0] = '\0';
    n = event_fields(ev, f);
    for (i = 0; i < n; i++)
        if (f[i].value)
            kv_append(buf, sizeof(buf), &len, f[i].name, f[i].value);
    snprintf(num, sizeof(num), "%ld", (long)ev->pid);
    kv_append(buf, sizeof(buf), &len, "pid", num);
    if (ev->key)
        kv_append(buf, sizeof(buf), &len, "key", ev->key);
    if (is_deny(ev))
        kv_append(buf, sizeof(buf), &len, "reason", ev->reason ? ev->reason : "");
    syslog(LOG_AUTHPRIV | LOG_INFO, "delegate: %s", buf);
}

/* Create the log directory (only the last level, 0700) when missing. */
static int make_parent(const char *path)
{
    char *copy = strdup(path), *dir;
    int rc = -1;

    if (!copy)
        return -1;
    dir = dirname(copy);
    if (mkdir(dir, 0700) == 0 || errno == EEXIST)
        rc = 0;
    free(copy);
    return rc;
}

/* The audit file is used only when it is a regular file owned by root
 * with one link and no group or other permission bits: a file someone else
 * owns, can read or write, or reaches through a second name could be read,
 * truncated or swapped behind the trail.  Sets *why (static) when not. */
static bool audit_file_trusted(const struct stat *st, const char **why)
{
    if (!S_ISREG(st->st_mode))
        *why = "not a regular file";
    else if (st->st_uid != 0)
        *why = "not owned by root";
    else if (st->st_nlink != 1)
        *why = "has more than one link";
    else if ((st->st_mode & 077) != 0)
        *why = "has group or other permission bits";
    else
        return true;
    return false;
}

static int append_line(const char *path, const char *line, const char **refused)
{
    size_t len = strlen(line);
    char *buf = malloc(len + 2);
    struct stat st;
    ssize_t n;
    int fd = -1, rc = -1, saved = 0;

    if (!buf) {
        saved = ENOMEM;
        goto out;
    }
    memcpy(buf, line, len);
    buf[len++] = '\n';
    buf[len] = '\0';
    if (path[0] != '/') {
        saved = EINVAL;
        goto out;
    }
    if (make_parent(path) != 0) {
        saved = errno;
        goto out;
    }
    /* O_NONBLOCK: a FIFO in its place must not hang the login */
    fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK,
              0600);
    if (fd < 0) {
        saved = errno;
        goto out;
    }
    if (fstat(fd, &st) != 0) {
        saved = errno;
        goto out;
    }
    if (!audit_file_trusted(&st, refused)) {
        saved = EPERM;
        goto out;
    }
    do
        n = write(fd, buf, len);
    while (n < 0 && errno == EINTR);
    if (n != (ssize_t)len) {
        saved = n < 0 ? errno : ENOSPC;
        goto out;
    }
    rc = 0;
out:
    if (fd >= 0)
        close(fd);
    free(buf);
    errno = saved;
    return rc;
}

int dlg_audit(const struct dlg_config *cfg, const struct dlg_audit_event *ev)
{
    const char *refused = NULL;
    char *line;
    int rc = 0;

    if (!ev)
        return -1;
    if (!cfg || cfg->audit_syslog)
        audit_syslog(ev);
    if (!cfg || !cfg->audit_file)
        return 0;
    line = dlg_audit_json(ev);
    if (!line) {
        syslog(LOG_AUTHPRIV | LOG_ERR, "delegate: cannot write audit file %s: %s",
               cfg->audit_file, "cannot encode event");
        rc = -1;
    } else if (append_line(cfg->audit_file, line, &refused) != 0) {
        if (refused)
            syslog(LOG_AUTHPRIV | LOG_ERR,
                   "delegate: audit file %s refused: %s (it must be a regular file owned by "
                   "root, with one link and mode 0600 or stricter); admissions are refused",
                   cfg->audit_file, refused);
        else
            syslog(LOG_AUTHPRIV | LOG_ERR, "delegate: cannot write audit file %s: %s",
                   cfg->audit_file, strerror(errno));
        rc = -1;
    }
    free(line);
    return rc;
}

int dlg_audit_writable(const struct dlg_config *cfg)
{
    struct stat st;
    int fd, rc = -1;

    if (!cfg || !cfg->audit_file)
        return 0;
    if (cfg->audit_file[0] != '/' || make_parent(cfg->audit_file) != 0)
        return -1;
    fd = open(cfg->audit_file, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY,
              0600);
    if (fd < 0)
        return -1;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode))
        rc = 0;
    close(fd);
    return rc;
}
