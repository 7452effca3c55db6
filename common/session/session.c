/* Open-session records (see session.h).  One JSON file per session, written
 * to a temp file and renamed into place; the directory must be root-only
 * since `delegatectl revoke --terminate` acts on the pids recorded here. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "session/contain/contain.h"
#include "session/session.h"
#include "util/util.h"

#define SESSION_FILE_MAX 65536
#define SESSION_MAX      100000

/* "<service>-<pid><suffix>": the record (".json") or its ending mark. */
static int session_file(char *buf, size_t len, const char *service, pid_t pid, const char *suffix)
{
    int n;

    if (!dlg_valid_service(service) || pid <= 0)
        return -1;
    n = snprintf(buf, len, "%s-%ld%s", service, (long)pid, suffix);
    return n > 0 && (size_t)n < len ? 0 : -1;
}

static int record_name(char *buf, size_t len, const char *service, pid_t pid)
{
    return session_file(buf, len, service, pid, ".json");
}


/* The directory opened without following a symlink, root-owned and not
 * writable by group/others; -1 otherwise. */
static int open_safe_dir(const char *dir)
{
    struct stat st;
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

    if (dfd < 0)
        return -1;
    if (fstat(dfd, &st) != 0 || (st.st_uid != 0 && st.st_uid != geteuid()) ||
        (st.st_mode & 022)) {
        close(dfd);
        errno = EPERM;
        return -1;
    }
    return dfd;
}

static int set_text(json_t *o, const char *key, const char *val)
{
    return json_object_set_new(o, key, val ? json_string(val) : json_null());
}

static int set_list(json_t *o, const char *key, const struct dlg_strv *sv)
{
    json_t *a = json_array();
    size_t i;

    if (!a)
        return -1;
    for (i = 0; i < sv->n; i++)
        if (json_array_append_new(a, json_string(sv->v[i])) != 0) {
            json_decref(a);
            return -1;
        }
    return json_object_set_new(o, key, a);
}

int dlg_session_write(const char *dir, const struct dlg_session *s)
{
    char name[128], *tmp = NULL, *text = NULL;
    json_t *o = NULL;
    size_t len;
    int dfd = -1, fd = -1, rc = -1;

    if (!dir || !s || record_name(name, sizeof(name), s->service, s->pid) != 0) {
        errno = EINVAL;
        return -1;
    }
    o = json_object();
    if (!o || set_text(o, "jti", s->jti) || set_text(o, "actor", s->actor) ||
        set_text(o, "principal", s->principal) || set_text(o, "service", s->service) ||
        set_text(o, "user", s->user) || set_text(o, "tty", s->tty) ||
        set_text(o, "rhost", s->rhost) || set_text(o, "iss", s->iss) || set_text(o, "kid", s->kid) ||
        json_object_set_new(o, "pid", json_integer(s->pid)) ||
        json_object_set_new(o, "start", json_integer(s->start)) ||
        json_object_set_new(o, "expires", json_integer(s->expires)) ||
        set_text(o, "cgroup", s->cgroup) ||
        json_object_set_new(o, "start_ticks", json_integer((json_int_t)s->start_ticks)) ||
        set_text(o, "key", s->key) ||
        json_object_set_new(o, "iat", json_integer(s->iat)) ||
        set_list(o, "proved", &s->proved) ||
        set_text(o, "cell", s->cell) || set_text(o, "unit", s->unit) ||
        set_text(o, "logind", s->logind) || set_text(o, "outer", s->outer)) {
        errno = EINVAL;
        goto out;
    }
    text = json_dumps(o, JSON_COMPACT);
    if (!text || dlg_mkdir_private(dir) != 0)
        goto out;
    dfd = open_safe_dir(dir);
    if (dfd < 0)
        goto out;
    if (asprintf(&tmp, "%s/.%s.XXXXXX", dir, name) < 0) {
        tmp = NULL;
        goto out;
    }
    fd = mkostemp(tmp, O_CLOEXEC);
    if (fd < 0)
        goto out;
    len = strlen(text);
    text[len] = '\n';      /* json_dumps' NUL is replaced, the length says where to stop */
    if (fchmod(fd, 0600) != 0 || write(fd, text, len + 1) != (ssize_t)(len + 1) || fsync(fd) != 0 ||
        renameat(AT_FDCWD, tmp, dfd, name) != 0) {
        unlink(tmp);
        goto out;
    }
    rc = 0;
out:
    if (fd >= 0)
        close(fd);
    if (dfd >= 0)
        close(dfd);
    free(tmp);
    free(text);
    json_decref(o);
    return rc;
}

int dlg_session_take(const char *dir, const char *service, pid_t pid)
{
    char name[128];
    int dfd, rc = 1;

    if (!dir || record_name(name, sizeof(name), service, pid) != 0) {
        errno = EINVAL;
        return -1;
    }
    dfd = open_safe_dir(dir);
    if (dfd < 0)
        return errno == ENOENT ? 0 : -1;
    if (unlinkat(dfd, name, 0) != 0)
        rc = errno == ENOENT ? 0 : -1;
    close(dfd);
    return rc;
}

int dlg_session_remove(const char *dir, const char *service, pid_t pid)
{
    return dlg_session_take(dir, service, pid) < 0 ? -1 : 0;
}

static char *opt_text(json_t *o, const char *key, bool *bad)
{
    json_t *v = json_object_get(o, key);
    char *s;

    if (!v || json_is_null(v))
        return NULL;
    if (!json_is_string(v)) {
        *bad = true;
        return NULL;
    }
    s = strdup(json_string_value(v));
    if (!s)
        *bad = true;
    return s;
}

static int64_t opt_int(json_t *o, const char *key, bool *bad)
{
    json_t *v = json_object_get(o, key);

    if (!json_is_integer(v)) {
        *bad = true;
        return 0;
    }
    return (int64_t)json_integer_value(v);
}

/* An optional integer (absent or null: 0), never negative. */
static int64_t opt_int0(json_t *o, const char *key, bool *bad)
{
    json_t *v = json_object_get(o, key);

    if (!v || json_is_null(v))
        return 0;
    if (!json_is_integer(v) || json_integer_value(v) < 0) {
        *bad = true;
        return 0;
    }
    return (int64_t)json_integer_value(v);
}

/* An optional array of strings (absent or null: empty). */
static void opt_list(json_t *o, const char *key, struct dlg_strv *out, bool *bad)
{
    json_t *v = json_object_get(o, key), *e;
    size_t i;

    if (!v || json_is_null(v))
        return;
    if (!json_is_array(v)) {
        *bad = true;
        return;
    }
    json_array_foreach(v, i, e) {
        if (!json_is_string(e) || dlg_strv_push(out, json_string_value(e)) != 0) {
            *bad = true;
            return;
        }
    }
}

static void session_clear(struct dlg_session *s)
{
    free(s->jti);
    free(s->actor);
    free(s->principal);
    free(s->service);
    free(s->user);
    free(s->tty);
    free(s->rhost);
    free(s->iss);
    free(s->kid);
    free(s->cgroup);
    free(s->key);
    dlg_strv_free(&s->proved);
    free(s->cell);
    free(s->unit);
    free(s->logind);
    free(s->outer);
    memset(s, 0, sizeof(*s));
}

/* The record names a cell this module made or was given (contain.h) and, if
 * it runs inside another session, that session's record name. */
static bool cell_ok(const struct dlg_session *s)
{
    struct dlg_cell cell;

    if (s->outer && (strlen(s->outer) > 96 || strchr(s->outer, '/') || s->outer[0] == '.'))
        return false;
    return dlg_session_cell(s, &cell) == 0;
}

/* One record file; 0 with *s filled, -1 to skip it. */
static int read_record(int dfd, const char *name, struct dlg_session *s)
{
    struct stat st;
    char *buf = NULL;
    json_t *o = NULL;
    ssize_t n;
    bool bad = false;
    int fd, rc = -1;

    memset(s, 0, sizeof(*s));
    fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0)
        return -1;
    /* written 0600 by root (issue 18 item 14): anything else is not ours */
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || (st.st_uid != 0 && st.st_uid != geteuid()) ||
        (st.st_mode & 077) || st.st_nlink != 1 || st.st_size <= 0 || st.st_size > SESSION_FILE_MAX)
        goto out;
    buf = malloc((size_t)st.st_size);
    if (!buf)
        goto out;
    n = read(fd, buf, (size_t)st.st_size);
    if (n <= 0)
        goto out;
    o = json_loadb(buf, (size_t)n, JSON_REJECT_DUPLICATES, NULL);
    if (!json_is_object(o))
        goto out;
    s->jti = opt_text(o, "jti", &bad);
    s->actor = opt_text(o, "actor", &bad);
    s->principal = opt_text(o, "principal", &bad);
    s->service = opt_text(o, "service", &bad);
    s->user = opt_text(o, "user", &bad);
    s->tty = opt_text(o, "tty", &bad);
    s->rhost = opt_text(o, "rhost", &bad);
    s->iss = opt_text(o, "iss", &bad);
    s->kid = opt_text(o, "kid", &bad);
    s->pid = (pid_t)opt_int(o, "pid", &bad);
    s->start = opt_int(o, "start", &bad);
    s->expires = opt_int(o, "expires", &bad);
    s->cgroup = opt_text(o, "cgroup", &bad);
    s->start_ticks = (uint64_t)opt_int0(o, "start_ticks", &bad);
    s->key = opt_text(o, "key", &bad);
    s->iat = opt_int0(o, "iat", &bad);
    opt_list(o, "proved", &s->proved, &bad);
    s->cell = opt_text(o, "cell", &bad);
    s->unit = opt_text(o, "unit", &bad);
    s->logind = opt_text(o, "logind", &bad);
    s->outer = opt_text(o, "outer", &bad);
    if (!bad && !cell_ok(s))
        bad = true;
    if (bad)
        session_clear(s);
    else
        rc = 0;
out:
    json_decref(o);
    free(buf);
    close(fd);
    return rc;
}

int dlg_session_cell(const struct dlg_session *s, struct dlg_cell *cell)
{
    memset(cell, 0, sizeof(*cell));
    cell->kind = s->cell ? dlg_cell_kind_parse(s->cell) : s->cgroup ? DLG_CELL_CGROUP : DLG_CELL_NONE;
    if (s->cell && cell->kind == DLG_CELL_NONE)
        return -1;
    if (cell->kind == DLG_CELL_NONE)
        return s->unit || s->logind ? -1 : 0;
    if ((size_t)snprintf(cell->cgroup, sizeof(cell->cgroup), "%s", s->cgroup ? s->cgroup : "") >= sizeof(cell->cgroup) ||
        (size_t)snprintf(cell->unit, sizeof(cell->unit), "%s", s->unit ? s->unit : "") >= sizeof(cell->unit) ||
        (size_t)snprintf(cell->logind, sizeof(cell->logind), "%s", s->logind ? s->logind : "") >= sizeof(cell->logind))
        return -1;
    if (cell->cgroup[0] && !dlg_cg_valid_path(cell->cgroup))
        return -1;
    return 0;
}

static int set_opt(char **dst, const char *v)
{
    char *copy = v && v[0] ? strdup(v) : NULL;

    if (v && v[0] && !copy)
        return -1;
    free(*dst);
    *dst = copy;
    return 0;
}

int dlg_session_set_cell(struct dlg_session *s, const struct dlg_cell *cell)
{
    if (set_opt(&s->cell, dlg_cell_kind_str(cell->kind)) != 0 || set_opt(&s->cgroup, cell->cgroup) != 0 ||
        set_opt(&s->unit, cell->unit) != 0 || set_opt(&s->logind, cell->logind) != 0)
        return -1;
    return 0;
}

int dlg_session_resolve(const char *dir, struct dlg_session *s)
{
    struct dlg_cell cell;
    int r;

    if (dlg_session_cell(s, &cell) != 0 || cell.kind != DLG_CELL_LOGIND || cell.logind[0])
        return 0;
    r = dlg_cell_resolve(&cell, s->pid, s->start_ticks);
    if (r != 1)
        return r;
    if (dlg_session_set_cell(s, &cell) != 0)
        return 0;
    if (dir)
        (void)dlg_session_write(dir, s);
    return 1;
}

static int mark_name(char *buf, size_t len, const char *service, pid_t pid)
{
    return session_file(buf, len, service, pid, ".ending");
}

int dlg_session_mark_ending(const char *dir, const char *service, pid_t pid)
{
    char name[128];
    int dfd, fd, rc = 0;

    if (!dir || mark_name(name, sizeof(name), service, pid) != 0 || (dfd = open_safe_dir(dir)) < 0)
        return -1;
    fd = openat(dfd, name, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0)
        rc = -1;
    else
        close(fd);
    close(dfd);
    return rc;
}

bool dlg_session_is_ending(const char *dir, const char *service, pid_t pid)
{
    char name[128];
    struct stat st;
    bool marked;
    int dfd;

    if (!dir || mark_name(name, sizeof(name), service, pid) != 0 || (dfd = open_safe_dir(dir)) < 0)
        return false;
    marked = fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0;
    close(dfd);
    return marked;
}

void dlg_session_unmark_ending(const char *dir, const char *service, pid_t pid)
{
    char name[128];
    int dfd;

    if (!dir || mark_name(name, sizeof(name), service, pid) != 0 || (dfd = open_safe_dir(dir)) < 0)
        return;
    (void)unlinkat(dfd, name, 0);
    close(dfd);
}

int dlg_session_read(const char *dir, const char *service, pid_t pid, struct dlg_session *out)
{
    char name[128];
    int dfd, rc;

    memset(out, 0, sizeof(*out));
    if (!dir || record_name(name, sizeof(name), service, pid) != 0)
        return -1;
    dfd = open_safe_dir(dir);
    if (dfd < 0)
        return -1;
    rc = read_record(dfd, name, out);
    close(dfd);
    return rc;
}

static int by_start(const void *a, const void *b)
{
    const struct dlg_session *x = a, *y = b;

    if (x->start != y->start)
        return x->start < y->start ? -1 : 1;
    return (x->pid > y->pid) - (x->pid < y->pid);
}

static bool is_record_name(const char *name)
{
    size_t len = strlen(name);

    return name[0] != '.' && len > 5 && strcmp(name + len - 5, ".json") == 0;
}

int dlg_session_list(const char *dir, struct dlg_session **out)
{
    struct dlg_session *list = NULL, *grown;
    size_t n = 0, cap = 0;
    struct dirent *de;
    DIR *d = NULL;
    int dfd;

    *out = NULL;
    if (!dir)
        return -1;
    dfd = open_safe_dir(dir);
    if (dfd < 0)
        return errno == ENOENT ? 0 : -1;
    d = fdopendir(dfd);
    if (!d) {
        close(dfd);
        return -1;
    }
    while ((de = readdir(d)) && n < SESSION_MAX) {
        if (!is_record_name(de->d_name))
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 16;
            grown = realloc(list, cap * sizeof(*list));
            if (!grown) {
                dlg_session_list_free(list, (int)n);
                closedir(d);
                return -1;
            }
            list = grown;
        }
        if (read_record(dirfd(d), de->d_name, &list[n]) == 0)
            n++;
    }
    closedir(d);
    if (n)
        qsort(list, n, sizeof(*list), by_start);
    *out = list;
    if (!n) {
        free(list);
        *out = NULL;
    }
    return (int)n;
}

void dlg_session_list_free(struct dlg_session *list, int n)
{
    int i;

    if (!list)
        return;
    for (i = 0; i < n; i++)
        session_clear(&list[i]);
    free(list);
}

void dlg_session_free(struct dlg_session *s)
{
    if (s)
        session_clear(s);
}

int dlg_session_find_by_pid(const char *dir, pid_t pid, struct dlg_session *out)
{
    char cur[DLG_CG_PATH_MAX];
    struct dlg_session *list = NULL, *best = NULL;
    int n, i, rc = -1;

    if (!out)
        return -1;
    memset(out, 0, sizeof(*out));
    if (!dir || dlg_cg_of_pid(pid, cur, sizeof(cur)) != 0)
        return -1;
    n = dlg_session_list(dir, &list);
    if (n <= 0)
        return -1;
    for (i = 0; i < n; i++) {
        /* a logind cell pam_systemd has made since the record was written */
        (void)dlg_session_resolve(NULL, &list[i]);
        /* pid is inside that group, so the group is live */
        if (!list[i].cgroup || !dlg_cg_is_within(cur, list[i].cgroup))
            continue;
        if (!best || strlen(list[i].cgroup) > strlen(best->cgroup))
            best = &list[i];
    }
    if (best) {
        *out = *best;
        memset(best, 0, sizeof(*best));
        rc = 0;
    }
    dlg_session_list_free(list, n);
    return rc;
}

int dlg_session_dir_usable(const char *dir)
{
    char *tmp = NULL;
    int dfd = -1, fd = -1, rc = -1;

    if (!dir || dlg_mkdir_private(dir) != 0)
        return -1;
    dfd = open_safe_dir(dir);
    if (dfd < 0)
        return -1;
    if (asprintf(&tmp, "%s/.probe.XXXXXX", dir) < 0) {
        tmp = NULL;
        goto out;
    }
    fd = mkostemp(tmp, O_CLOEXEC);
    if (fd < 0)
        goto out;
    (void)unlink(tmp);
    rc = 0;
out:
    if (fd >= 0)
        close(fd);
    close(dfd);
    free(tmp);
    return rc;
}
