/* Writer of the compiled policy snapshot: see compiled.h. */
#include "config/compiled.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* The compiled form must carry every field of the config that a reader
 * uses: a field added to one of these structs and not serialized would be
 * silently dropped by every reader of the compiled form (for example
 * key_binding = "required" would stop being enforced).  So a change of
 * their size stops the build here: serialize the new field (compiled.h
 * reserves DLG_CPL_ACTOR_KEY_REQUIRED for issue 12), read it back in compiled_read.c, extend
 * tests/unit/test_compiled.c's dump(), then update the size.  (x86_64.) */
#if defined(__x86_64__)
_Static_assert(sizeof(struct dlg_actor) == 152, "struct dlg_actor changed: see above");
_Static_assert(sizeof(struct dlg_config) == 344, "struct dlg_config changed: see above");
_Static_assert(sizeof(struct dlg_feed) == 80, "struct dlg_feed changed: see above");
_Static_assert(sizeof(struct dlg_file_id) == 72, "struct dlg_file_id changed: see above");
_Static_assert(sizeof(struct dlg_issuer) == 64, "struct dlg_issuer changed: see above");
_Static_assert(sizeof(struct dlg_key) == 32, "struct dlg_key changed: see above");
_Static_assert(sizeof(struct dlg_group) == 32, "struct dlg_group changed: see above");
#endif

/* How long the writer waits at most for the sources to stop being racily
 * clean (a coarse file system's 2 s tick plus margin). */
#define WRITE_WAIT_MAX_NS (INT64_C(3) * 1000 * 1000 * 1000)

struct buf {
    unsigned char *p;
    size_t n, cap;
    bool oom;
};

static void *buf_add(struct buf *b, const void *data, size_t len)
{
    if (b->oom)
        return NULL;
    if (len > b->cap - b->n) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap - b->n < len) {
            if (cap > SIZE_MAX / 2) {
                b->oom = true;
                return NULL;
            }
            cap *= 2;
        }
        unsigned char *np = realloc(b->p, cap);
        if (np == NULL) {
            b->oom = true;
            return NULL;
        }
        b->p = np;
        b->cap = cap;
    }
    void *at = b->p + b->n;
    if (data != NULL)
        memcpy(at, data, len);
    else
        memset(at, 0, len);
    b->n += len;
    return at;
}

/* The string pool interns: a string used by many actors (a shell, a
 * service, a principal, a group name) is stored once.  Open addressing on
 * the pool offsets, grown at half load. */
struct wr {
    struct buf sec[DLG_CPL_NSECTIONS + 1];
    uint32_t *slots;            /* offset + 1, 0 = empty */
    size_t nslots, nused;
    bool oom;
};

static uint64_t str_hash(const char *s)
{
    uint64_t h = UINT64_C(14695981039346656037);
    while (*s)
        h = (h ^ (unsigned char)*s++) * UINT64_C(1099511628211);
    return h;
}

static bool intern_grow(struct wr *w)
{
    size_t n = w->nslots ? w->nslots * 2 : 1024;
    uint32_t *ns = calloc(n, sizeof(*ns));
    const char *pool = (const char *)w->sec[DLG_CPL_SEC_STRINGS].p;

    if (ns == NULL)
        return false;
    for (size_t i = 0; i < w->nslots; i++) {
        if (w->slots[i] == 0)
            continue;
        size_t k = str_hash(pool + w->slots[i] - 1) & (n - 1);
        while (ns[k] != 0)
            k = (k + 1) & (n - 1);
        ns[k] = w->slots[i];
    }
    free(w->slots);
    w->slots = ns;
    w->nslots = n;
    return true;
}

static uint32_t str(struct wr *w, const char *s)
{
    struct buf *pool = &w->sec[DLG_CPL_SEC_STRINGS];
    size_t off = pool->n, k;

    if (s == NULL)
        return DLG_CPL_NONE;
    if ((w->nused + 1) * 2 > w->nslots && !intern_grow(w)) {
        w->oom = true;
        return DLG_CPL_NONE;
    }
    for (k = str_hash(s) & (w->nslots - 1); w->slots[k] != 0; k = (k + 1) & (w->nslots - 1))
        if (pool->p != NULL && strcmp((const char *)pool->p + w->slots[k] - 1, s) == 0)
            return w->slots[k] - 1;
    if (off >= DLG_CPL_NONE - 1) {
        w->oom = true;
        return DLG_CPL_NONE;
    }
    if (buf_add(pool, s, strlen(s) + 1) == NULL) {
        w->oom = true;
        return DLG_CPL_NONE;
    }
    w->slots[k] = (uint32_t)off + 1;
    w->nused++;
    return (uint32_t)off;
}

static struct dlg_cpl_list list(struct wr *w, const struct dlg_strv *sv)
{
    struct dlg_cpl_list l = {(uint32_t)(w->sec[DLG_CPL_SEC_LISTS].n / sizeof(uint32_t)),
                             (uint32_t)sv->n};
    for (size_t i = 0; i < sv->n; i++) {
        uint32_t o = str(w, sv->v[i]);
        buf_add(&w->sec[DLG_CPL_SEC_LISTS], &o, sizeof(o));
    }
    return l;
}

static uint32_t count(const struct wr *w, int id, size_t rs)
{
    return (uint32_t)(w->sec[id].n / rs);
}

static void ser_global(struct wr *w, const struct dlg_config *cfg)
{
    struct dlg_cpl_global g;

    memset(&g, 0, sizeof(g));
    g.version = cfg->version;
    g.path = str(w, cfg->path);
    g.host_name = str(w, cfg->host_name);
    g.prompt = str(w, cfg->prompt);
    g.acc_group = str(w, cfg->acc_group);
    g.acc_home = str(w, cfg->acc_home);
    g.acc_shell = str(w, cfg->acc_shell);
    g.audit_file = str(w, cfg->audit_file);
    g.revoke_file = str(w, cfg->revoke_file);
    g.acc_gid = cfg->acc_gid;
    g.uid_min = cfg->uid_min;
    g.uid_max = cfg->uid_max;
    g.audit_syslog = cfg->audit_syslog;
    g.has_issued_before = cfg->has_issued_before;
    g.host_aliases = list(w, &cfg->host_aliases);
    g.revoked_actors = list(w, &cfg->revoked_actors);
    g.revoked_principals = list(w, &cfg->revoked_principals);
    g.revoked_issuers = list(w, &cfg->revoked_issuers);
    g.revoked_keys = list(w, &cfg->revoked_keys);
    g.clock_skew = cfg->clock_skew;
    g.max_lifetime = cfg->max_lifetime;
    g.issued_before = cfg->issued_before;
    g.session_grace = cfg->session_grace;
    buf_add(&w->sec[DLG_CPL_SEC_GLOBAL], &g, sizeof(g));
}

static void ser_sources(struct wr *w, const struct dlg_config *cfg)
{
    for (size_t i = 0; i < cfg->nfiles; i++) {
        const struct dlg_file_id *f = &cfg->files[i];
        struct dlg_cpl_source s;
        memset(&s, 0, sizeof(s));
        s.path = str(w, f->path);
        s.flags = f->absent ? DLG_CPL_SOURCE_ABSENT : 0;
        s.dev = (uint64_t)f->dev;
        s.ino = (uint64_t)f->ino;
        s.size = (int64_t)f->size;
        s.mtime_sec = (int64_t)f->mtime.tv_sec;
        s.mtime_nsec = f->mtime.tv_nsec;
        s.ctime_sec = (int64_t)f->ctime.tv_sec;
        s.ctime_nsec = f->ctime.tv_nsec;
        buf_add(&w->sec[DLG_CPL_SEC_SOURCES], &s, sizeof(s));
    }
}

static void ser_issuers(struct wr *w, const struct dlg_config *cfg)
{
    for (size_t i = 0; i < cfg->nissuers; i++) {
        const struct dlg_issuer *is = &cfg->issuers[i];
        struct dlg_cpl_issuer s;
        memset(&s, 0, sizeof(s));
        s.id = str(w, is->id);
        s.typ = str(w, is->typ);
        s.algorithms = list(w, &is->algorithms);
        s.principals = list(w, &is->principals);
        s.key_first = count(w, DLG_CPL_SEC_KEYS, sizeof(struct dlg_cpl_key));
        s.nkeys = (uint32_t)is->nkeys;
        for (size_t k = 0; k < is->nkeys; k++) {
            struct dlg_cpl_key ck = {str(w, is->keys[k].kid), str(w, is->keys[k].file),
                                     str(w, is->keys[k].src_file), is->keys[k].line};
            buf_add(&w->sec[DLG_CPL_SEC_KEYS], &ck, sizeof(ck));
        }
        buf_add(&w->sec[DLG_CPL_SEC_ISSUERS], &s, sizeof(s));
    }
}

static void ser_actors(struct wr *w, const struct dlg_config *cfg)
{
    for (size_t i = 0; i < cfg->nactors; i++) {
        const struct dlg_actor *a = &cfg->actors[i];
        struct dlg_cpl_actor s;
        memset(&s, 0, sizeof(s));
        s.name = str(w, a->name);
        s.comment = str(w, a->comment);
        s.home = str(w, a->home);
        s.shell = str(w, a->shell);
        s.uid = a->uid;
        s.flags = (a->has_sources ? DLG_CPL_ACTOR_HAS_SOURCES : 0) |
                  (a->has_runas ? DLG_CPL_ACTOR_HAS_RUNAS : 0) |
                  (a->revoked ? DLG_CPL_ACTOR_REVOKED : 0) |
                  (a->key_required ? DLG_CPL_ACTOR_KEY_REQUIRED : 0);
        s.groups = list(w, &a->groups);
        s.principals = list(w, &a->principals);
        s.services = list(w, &a->services);
        s.runas = list(w, &a->runas);
        s.cidr_first = count(w, DLG_CPL_SEC_CIDRS, sizeof(struct dlg_cpl_cidr));
        s.ncidrs = (uint32_t)a->nsources;
        for (size_t k = 0; k < a->nsources; k++) {
            struct dlg_cpl_cidr cc;
            memset(&cc, 0, sizeof(cc));
            cc.family = (uint32_t)a->sources[k].family;
            cc.prefix = a->sources[k].prefix;
            memcpy(cc.addr, a->sources[k].addr, sizeof(cc.addr));
            buf_add(&w->sec[DLG_CPL_SEC_CIDRS], &cc, sizeof(cc));
        }
        s.max_lifetime = a->max_lifetime;
        s.approvals = a->approvals;
        buf_add(&w->sec[DLG_CPL_SEC_ACTORS], &s, sizeof(s));
    }
    for (size_t i = 0; i < cfg->nactors; i++) {
        uint32_t ix = (uint32_t)(cfg->actors_by_uid[i] - cfg->actors);
        buf_add(&w->sec[DLG_CPL_SEC_ACTORS_BY_UID], &ix, sizeof(ix));
    }
}

static void ser_groups(struct wr *w, const struct dlg_config *cfg)
{
    for (size_t i = 0; i < cfg->ngroups; i++) {
        const struct dlg_group *g = &cfg->groups[i];
        struct dlg_cpl_group s;
        memset(&s, 0, sizeof(s));
        s.name = str(w, g->name);
        s.gid = g->gid;
        s.members = list(w, &g->members);
        buf_add(&w->sec[DLG_CPL_SEC_GROUPS], &s, sizeof(s));
    }
    for (size_t i = 0; i < cfg->ngroups; i++) {
        uint32_t ix = (uint32_t)(cfg->groups_by_gid[i] - cfg->groups);
        buf_add(&w->sec[DLG_CPL_SEC_GROUPS_BY_GID], &ix, sizeof(ix));
    }
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static void ser_revoked(struct wr *w, const struct dlg_config *cfg)
{
    struct buf *b = &w->sec[DLG_CPL_SEC_REVOKED];

    for (size_t i = 0; i < cfg->nrevoked_tickets; i++) {
        uint64_t h = dlg_cpl_id_hash(cfg->revoked_tickets[i].id);
        buf_add(b, &h, sizeof(h));
    }
    if (!b->oom && b->n > 0)
        qsort(b->p, b->n / sizeof(uint64_t), sizeof(uint64_t), cmp_u64);
}

static void ser_feeds(struct wr *w, const struct dlg_config *cfg)
{
    for (size_t i = 0; i < cfg->nfeeds; i++) {
        const struct dlg_feed *f = &cfg->feeds[i];
        struct dlg_cpl_feed s;
        memset(&s, 0, sizeof(s));
        s.id = str(w, f->id);
        s.key = str(w, f->key);
        s.url = str(w, f->url);
        s.file = str(w, f->file);
        s.ca = str(w, f->ca);
        s.flags = (f->on_stale_end ? DLG_CPL_FEED_ON_STALE_END : 0) |
                  (f->fetched ? DLG_CPL_FEED_FETCHED : 0);
        s.refresh = f->refresh;
        s.ver = f->ver;
        s.iat = f->iat;
        s.exp = f->exp;
        buf_add(&w->sec[DLG_CPL_SEC_FEEDS], &s, sizeof(s));
    }
}

/* The whole file in memory; *out is malloc'd. */
static int serialize(const struct dlg_config *cfg, int64_t at, unsigned char **out, size_t *outlen)
{
    struct wr w;
    struct dlg_cpl_header h;
    struct dlg_cpl_section tab[DLG_CPL_NSECTIONS];
    struct buf file = {0};
    int rc = -1;

    memset(&w, 0, sizeof(w));
    ser_global(&w, cfg);
    ser_sources(&w, cfg);
    ser_issuers(&w, cfg);
    ser_actors(&w, cfg);
    ser_groups(&w, cfg);
    ser_revoked(&w, cfg);
    ser_feeds(&w, cfg);
    /* Terminated pools even when empty. */
    buf_add(&w.sec[DLG_CPL_SEC_STRINGS], "", 1);

    memset(&h, 0, sizeof(h));
    memcpy(h.magic, DLG_CPL_MAGIC, sizeof(h.magic));
    h.version = DLG_CPL_VERSION;
    h.header_size = sizeof(h);
    h.compiled_at_ns = at;
    h.nsections = DLG_CPL_NSECTIONS;
    h.trusted = 1;

    size_t off = sizeof(h) + sizeof(tab);
    if (w.oom)
        goto out;
    for (int id = 1; id <= DLG_CPL_NSECTIONS; id++) {
        struct buf *b = &w.sec[id];
        if (b->oom)
            goto out;
        off = (off + 7) & ~(size_t)7;
        tab[id - 1].id = (uint32_t)id;
        tab[id - 1].offset = off;
        tab[id - 1].hash = dlg_cpl_hash(b->p, b->n);
        off += b->n;
    }
    static const uint32_t rs[DLG_CPL_NSECTIONS + 1] = {
        [DLG_CPL_SEC_STRINGS] = 1, [DLG_CPL_SEC_LISTS] = sizeof(uint32_t),
        [DLG_CPL_SEC_GLOBAL] = sizeof(struct dlg_cpl_global),
        [DLG_CPL_SEC_SOURCES] = sizeof(struct dlg_cpl_source),
        [DLG_CPL_SEC_ISSUERS] = sizeof(struct dlg_cpl_issuer),
        [DLG_CPL_SEC_KEYS] = sizeof(struct dlg_cpl_key),
        [DLG_CPL_SEC_ACTORS] = sizeof(struct dlg_cpl_actor),
        [DLG_CPL_SEC_ACTORS_BY_UID] = sizeof(uint32_t),
        [DLG_CPL_SEC_CIDRS] = sizeof(struct dlg_cpl_cidr),
        [DLG_CPL_SEC_GROUPS] = sizeof(struct dlg_cpl_group),
        [DLG_CPL_SEC_GROUPS_BY_GID] = sizeof(uint32_t),
        [DLG_CPL_SEC_REVOKED] = sizeof(uint64_t),
        [DLG_CPL_SEC_FEEDS] = sizeof(struct dlg_cpl_feed),
    };
    for (int id = 1; id <= DLG_CPL_NSECTIONS; id++) {
        tab[id - 1].record_size = rs[id];
        tab[id - 1].count = w.sec[id].n / rs[id];
    }
    h.file_size = off;
    h.table_hash = dlg_cpl_hash(tab, sizeof(tab));
    h.header_hash = 0;
    h.header_hash = dlg_cpl_hash(&h, sizeof(h));

    buf_add(&file, &h, sizeof(h));
    buf_add(&file, tab, sizeof(tab));
    for (int id = 1; id <= DLG_CPL_NSECTIONS; id++) {
        size_t pad = (size_t)tab[id - 1].offset - file.n;
        buf_add(&file, NULL, pad);
        if (w.sec[id].n > 0)
            buf_add(&file, w.sec[id].p, w.sec[id].n);
    }
    if (file.oom || file.n != off)
        goto out;
    *out = file.p;
    *outlen = file.n;
    file.p = NULL;
    rc = 0;
out:
    for (int id = 1; id <= DLG_CPL_NSECTIONS; id++)
        free(w.sec[id].p);
    free(w.slots);
    free(file.p);
    return rc;
}

static int64_t now_ns(void)
{
    struct timespec ts;

    if (clock_gettime(CLOCK_REALTIME, &ts) != 0)
        return 0;
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int64_t t_ns(const struct timespec *t)
{
    return (int64_t)t->tv_sec * 1000000000 + t->tv_nsec;
}

static int64_t gran_of(const struct stat *st)
{
    return (st->st_mtim.tv_nsec == 0 && st->st_ctim.tv_nsec == 0) ? DLG_CPL_GRAN_COARSE_NS
                                                                  : DLG_CPL_GRAN_FINE_NS;
}

/* 1 when every source still has its recorded identity and none is racily
 * clean relative to at; 0 otherwise, with *until_ns the time after which a
 * new load would not be racy. */
static int settled(const struct dlg_config *cfg, int64_t at, int64_t *until_ns)
{
    /* A config made by the reader is never serialized again: it holds its
     * revoked ids only as hashes, and a lazy one no actors at all. */
    int ok = at > 0 && cfg->compiled == NULL;

    *until_ns = 0;
    for (size_t i = 0; i < cfg->nfiles; i++) {
        const struct dlg_file_id *f = &cfg->files[i];
        struct stat st;
        if (f->absent) {            /* must still not exist */
            if (lstat(f->path, &st) == 0 || (errno != ENOENT && errno != ENOTDIR))
                ok = 0;
            continue;
        }
        if (lstat(f->path, &st) != 0) {
            ok = 0;
            continue;
        }
        int64_t g = gran_of(&st);
        int64_t last = t_ns(&st.st_mtim) > t_ns(&st.st_ctim) ? t_ns(&st.st_mtim) : t_ns(&st.st_ctim);
        if (last + g + 1 > *until_ns)
            *until_ns = last + g + 1;
        /* changed since the load, or racily clean relative to it */
        if (f->dev != st.st_dev || f->ino != st.st_ino || f->size != st.st_size ||
            t_ns(&f->mtime) != t_ns(&st.st_mtim) || t_ns(&f->ctime) != t_ns(&st.st_ctim) ||
            t_ns(&f->mtime) >= at - g || t_ns(&f->ctime) >= at - g)
            ok = 0;
    }
    return ok;
}

struct dlg_config *dlg_config_load_stamped(const char *path, struct dlg_diag *diag)
{
    int64_t at = now_ns();
    struct dlg_config *cfg = dlg_config_load(path, diag);

    if (cfg != NULL)
        cfg->load_started_ns = at;
    return cfg;
}

static int write_atomic(const char *path, const unsigned char *data, size_t len,
                        struct dlg_diag *diag)
{
    char *dir = NULL, *tmp = NULL, err[256];
    const char *slash = strrchr(path, '/');
    int fd = -1, dfd = -1, rc = -1;

    if (slash == NULL || path[0] != '/') {
        dlg_diag_error(diag, path, 0, "the compiled form needs an absolute path");
        return -1;
    }
    dir = strndup(path, slash == path ? 1 : (size_t)(slash - path));
    if (dir == NULL || asprintf(&tmp, "%s/.%s.XXXXXX", slash == path ? "" : dir, slash + 1) < 0) {
        tmp = NULL;
        dlg_diag_error(diag, path, 0, "out of memory");
        goto out;
    }
    /* /run/delegate (tmpfiles.d: 0755 root) may not exist yet after a boot
     * without systemd-tmpfiles: create it readable, the NSS module of
     * unprivileged processes reads the compiled form. */
    if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
        dlg_diag_error(diag, dir, 0, "mkdir: %s", strerror(errno));
        goto out;
    }
    if (dlg_check_trusted_dir(dir, err, sizeof(err)) != 0) {
        dlg_diag_error(diag, dir, 0, "%s", err);
        goto out;
    }
    fd = mkostemp(tmp, O_CLOEXEC);
    if (fd < 0) {
        dlg_diag_error(diag, tmp, 0, "%s", strerror(errno));
        goto out;
    }
    if (fchmod(fd, 0644) != 0) {
        dlg_diag_error(diag, tmp, 0, "fchmod: %s", strerror(errno));
        goto out;
    }
    for (size_t done = 0; done < len;) {
        ssize_t n = write(fd, data + done, len - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            dlg_diag_error(diag, tmp, 0, "write: %s", n < 0 ? strerror(errno) : "short write");
            goto out;
        }
        done += (size_t)n;
    }
    if (fsync(fd) != 0 || close(fd) != 0) {
        fd = -1;
        dlg_diag_error(diag, tmp, 0, "fsync: %s", strerror(errno));
        goto out;
    }
    fd = -1;
    if (rename(tmp, path) != 0) {
        dlg_diag_error(diag, path, 0, "rename: %s", strerror(errno));
        goto out;
    }
    free(tmp);
    tmp = NULL;
    dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        (void)fsync(dfd);
        close(dfd);
    }
    rc = 0;
out:
    if (fd >= 0)
        close(fd);
    if (tmp != NULL)
        unlink(tmp);
    free(tmp);
    free(dir);
    return rc;
}

int dlg_compiled_write_opt(const struct dlg_config *cfg, const char *path, unsigned flags,
                           struct dlg_diag *diag)
{
    struct dlg_config *own = NULL;
    unsigned char *data = NULL;
    size_t len = 0;
    int64_t at, until;
    int rc = -1;

    if (cfg == NULL || path == NULL) {
        dlg_diag_error(diag, path, 0, "nothing to compile");
        return -1;
    }
    if (geteuid() != 0) {
        dlg_diag_error(diag, path, 0, "only root writes the compiled form");
        return -1;
    }
    at = cfg->load_started_ns;
    if (!settled(cfg, at, &until)) {
        /* The identities cfg recorded might not pin its content: wait out
         * the time-stamp granularity, then load the text again. */
        if (flags & DLG_CPL_WRITE_NOWAIT)
            return 1;
        for (int tries = 0; tries < 3; tries++) {
            int64_t now = now_ns(), wait = until - now;
            if (wait > WRITE_WAIT_MAX_NS)
                wait = WRITE_WAIT_MAX_NS;
            if (wait > 0) {
                struct timespec d = {wait / 1000000000, wait % 1000000000};
                while (nanosleep(&d, &d) != 0 && errno == EINTR)
                    ;
            }
            dlg_config_free(own);
            own = dlg_config_load_stamped(cfg->path, diag);
            if (own == NULL)
                goto out;
            if (settled(own, own->load_started_ns, &until))
                break;
            dlg_config_free(own);
            own = NULL;
        }
        if (own == NULL) {
            dlg_diag_error(diag, cfg->path, 0, "keeps changing; compiled form not written");
            goto out;
        }
        cfg = own;
        at = own->load_started_ns;
    }
    if (serialize(cfg, at, &data, &len) != 0) {
        dlg_diag_error(diag, path, 0, "out of memory");
        goto out;
    }
    rc = write_atomic(path, data, len, diag);
out:
    free(data);
    dlg_config_free(own);
    return rc;
}

int dlg_compiled_write(const struct dlg_config *cfg, const char *path, struct dlg_diag *diag)
{
    return dlg_compiled_write_opt(cfg, path, 0, diag);
}

int dlg_compiled_remove(const char *path)
{
    if (unlink(path) != 0 && errno != ENOENT)
        return -1;
    return 0;
}
