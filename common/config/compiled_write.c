/* Writer of the compiled policy snapshot: see compiled.h.  Records are
 * written from the field lists (config_record.h), so every carried field of
 * the config reaches the file. */
#include "config/compiled.h"
#include "config/config_record.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* How long the writer waits at most for the sources to stop being racily
 * clean (a coarse file system's 2 s tick plus margin). */
#define WRITE_WAIT_MAX_NS (INT64_C(3) * 1000 * 1000 * 1000)
/* A temp name older than this is a killed writer's: swept.  A live writer
 * holds its name for the microseconds between linkat and rename. */
#define STALE_TEMP_SECONDS 60

struct buf {
    unsigned char *p;
    size_t n, cap;
    bool oom;
};

static void *buf_add(struct buf *b, const void *data, size_t len)
{
    if (b->oom)
        return NULL;
    if (b->p == NULL || len > b->cap - b->n) {
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

static uint32_t count(const struct wr *w, int id)
{
    return (uint32_t)(w->sec[id].n / dlg_cpl_record_size((unsigned)id));
}

static uint64_t pair(uint32_t first, size_t n)
{
    return (uint64_t)first | (uint64_t)n << 32;
}

static uint64_t ser_strv(struct wr *w, const struct dlg_strv *sv)
{
    uint32_t first = count(w, DLG_CPL_SEC_LISTS);

    for (size_t i = 0; i < sv->n; i++) {
        uint32_t o = str(w, sv->v[i]);
        buf_add(&w->sec[DLG_CPL_SEC_LISTS], &o, sizeof(o));
    }
    return pair(first, sv->n);
}

static uint64_t ser_cidrs(struct wr *w, const struct dlg_cidr *c, size_t n)
{
    uint32_t first = count(w, DLG_CPL_SEC_CIDRS);

    for (size_t k = 0; k < n; k++) {
        struct dlg_cpl_cidr cc;
        memset(&cc, 0, sizeof(cc));
        cc.family = (uint32_t)c[k].family;
        cc.prefix = c[k].prefix;
        memcpy(cc.addr, c[k].addr, sizeof(cc.addr));
        buf_add(&w->sec[DLG_CPL_SEC_CIDRS], &cc, sizeof(cc));
    }
    return pair(first, n);
}

static void ser_record(struct wr *w, const struct dlg_record_type *rt, const void *obj, int section);

static uint64_t ser_keys(struct wr *w, const struct dlg_key *keys, size_t n)
{
    uint32_t first = count(w, DLG_CPL_SEC_KEYS);

    for (size_t k = 0; k < n; k++)
        ser_record(w, &dlg_rt_key, &keys[k], DLG_CPL_SEC_KEYS);
    return pair(first, n);
}

/* The 8-byte slot of one carried field. */
static uint64_t ser_field(struct wr *w, const struct dlg_field *f, const unsigned char *base)
{
    const void *m = base + f->off;
    size_t cnt = f->count_off != 0 ? *(const size_t *)(const void *)(base + f->count_off) : 0;
    uint64_t v = 0;

    switch (f->kind) {
    case DLG_FK_STR:
    case DLG_FK_OSTR:
    case DLG_FK_PATH:
    case DLG_FK_CSTR:
        return str(w, *(const char *const *)m);
    case DLG_FK_STRV:
        return ser_strv(w, m);
    case DLG_FK_CIDRS:
        return ser_cidrs(w, *(const struct dlg_cidr *const *)m, cnt);
    case DLG_FK_KEYS:
        return ser_keys(w, *(const struct dlg_key *const *)m, cnt);
    case DLG_FK_BOOL:
        return *(const bool *)m ? 1 : 0;
    case DLG_FK_U32: {
        uint32_t u;
        memcpy(&u, m, sizeof(u));
        return u;
    }
    case DLG_FK_I32: {
        int i;
        memcpy(&i, m, sizeof(i));
        return (uint64_t)(int64_t)i;
    }
    case DLG_FK_I64:
    case DLG_FK_U64:
        memcpy(&v, m, sizeof(v));
        return v;
    case DLG_FK_TS: {
        const struct timespec *t = m;
        return (uint64_t)((int64_t)t->tv_sec * 1000000000 + t->tv_nsec);
    }
    default:
        return 0;
    }
}

/* One record of obj's carried fields, appended to section.  Nested arrays
 * are written to their sections first, so the record is assembled apart. */
static void ser_record(struct wr *w, const struct dlg_record_type *rt, const void *obj, int section)
{
    uint64_t slots[64];
    size_t k = 0;

    if (rt->nslots > sizeof(slots) / sizeof(slots[0])) {
        w->oom = true;
        return;
    }
    for (size_t i = 0; i < rt->nfields; i++)
        if (dlg_field_carried(rt->fields[i].kind))
            slots[k++] = ser_field(w, &rt->fields[i], obj);
    buf_add(&w->sec[section], slots, k * sizeof(slots[0]));
}

/* ---- the steps of serialize ---------------------------------------------- */

static void ser_tables(struct wr *w, const struct dlg_config *cfg)
{
    ser_record(w, &dlg_rt_config, cfg, DLG_CPL_SEC_GLOBAL);
    for (size_t i = 0; i < cfg->nfiles; i++)
        ser_record(w, &dlg_rt_file, &cfg->files[i], DLG_CPL_SEC_SOURCES);
    for (size_t i = 0; i < cfg->nissuers; i++)
        ser_record(w, &dlg_rt_issuer, &cfg->issuers[i], DLG_CPL_SEC_ISSUERS);
    for (size_t i = 0; i < cfg->nactors; i++)
        ser_record(w, &dlg_rt_actor, &cfg->actors[i], DLG_CPL_SEC_ACTORS);
    for (size_t i = 0; i < cfg->nactors; i++) {
        uint32_t ix = (uint32_t)(cfg->actors_by_uid[i] - cfg->actors);
        buf_add(&w->sec[DLG_CPL_SEC_ACTORS_BY_UID], &ix, sizeof(ix));
    }
    for (size_t i = 0; i < cfg->ngroups; i++)
        ser_record(w, &dlg_rt_group, &cfg->groups[i], DLG_CPL_SEC_GROUPS);
    for (size_t i = 0; i < cfg->ngroups; i++) {
        uint32_t ix = (uint32_t)(cfg->groups_by_gid[i] - cfg->groups);
        buf_add(&w->sec[DLG_CPL_SEC_GROUPS_BY_GID], &ix, sizeof(ix));
    }
    for (size_t i = 0; i < cfg->nfeeds; i++)
        ser_record(w, &dlg_rt_feed, &cfg->feeds[i], DLG_CPL_SEC_FEEDS);
    /* the set as it is in memory: records and their pool */
    const struct dlg_revoked_set *s = &cfg->revoked_tickets;
    if (s->n > 0) {
        buf_add(&w->sec[DLG_CPL_SEC_REVOKED], s->v, s->n * sizeof(*s->v));
        buf_add(&w->sec[DLG_CPL_SEC_REVOKED_IDS], s->pool, s->pool_len);
    }
    /* Terminated pools even when empty. */
    buf_add(&w->sec[DLG_CPL_SEC_STRINGS], "", 1);
}

/* The header and section table for the sections in w; the file size. */
static size_t lay_out(struct wr *w, int64_t at, struct dlg_cpl_header *h,
                      struct dlg_cpl_section tab[DLG_CPL_NSECTIONS])
{
    size_t off = sizeof(*h) + DLG_CPL_NSECTIONS * sizeof(tab[0]);

    for (int id = 1; id <= DLG_CPL_NSECTIONS; id++) {
        struct buf *b = &w->sec[id];
        off = (off + 7) & ~(size_t)7;
        tab[id - 1].id = (uint32_t)id;
        tab[id - 1].record_size = dlg_cpl_record_size((unsigned)id);
        tab[id - 1].offset = off;
        tab[id - 1].count = b->n / tab[id - 1].record_size;
        tab[id - 1].hash = dlg_cpl_hash(b->p, b->n);
        off += b->n;
    }
    memset(h, 0, sizeof(*h));
    memcpy(h->magic, DLG_CPL_MAGIC, sizeof(h->magic));
    h->version = DLG_CPL_VERSION;
    h->header_size = sizeof(*h);
    h->compiled_at_ns = at;
    h->nsections = DLG_CPL_NSECTIONS;
    h->trusted = 1;
    h->shape = dlg_fields_shape();
    h->file_size = off;
    h->table_hash = dlg_cpl_hash(tab, DLG_CPL_NSECTIONS * sizeof(tab[0]));
    h->header_hash = 0;
    h->header_hash = dlg_cpl_hash(h, sizeof(*h));
    return off;
}

int dlg_compiled_serialize(const struct dlg_config *cfg, int64_t at, unsigned char **out,
                           size_t *outlen)
{
    struct wr w;
    struct dlg_cpl_header h;
    struct dlg_cpl_section tab[DLG_CPL_NSECTIONS];
    struct buf file = {0};
    size_t size;
    int rc = -1;

    memset(&w, 0, sizeof(w));
    ser_tables(&w, cfg);
    for (int id = 1; id <= DLG_CPL_NSECTIONS; id++)
        w.oom = w.oom || w.sec[id].oom;
    if (w.oom)
        goto out;
    size = lay_out(&w, at, &h, tab);
    buf_add(&file, &h, sizeof(h));
    buf_add(&file, tab, sizeof(tab));
    for (int id = 1; id <= DLG_CPL_NSECTIONS; id++) {
        buf_add(&file, NULL, (size_t)tab[id - 1].offset - file.n);
        if (w.sec[id].n > 0)
            buf_add(&file, w.sec[id].p, w.sec[id].n);
    }
    if (file.oom || file.n != size)
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

/* ---- when to write ------------------------------------------------------- */

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
    /* Only a config just read from the text is serialized: one made by the
     * compiled reader carries no load time (a lazy one holds no actors). */
    int ok = at > 0;

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
        if (!dlg_file_id_same(f, &st) || t_ns(&f->mtime) >= at - g || t_ns(&f->ctime) >= at - g)
            ok = 0;
    }
    return ok;
}

/* cfg, or a config loaded again once its sources settled (*own). */
static const struct dlg_config *settle(const struct dlg_config *cfg, unsigned flags,
                                       struct dlg_config **own, int *rc, struct dlg_diag *diag)
{
    int64_t until;

    *own = NULL;
    if (settled(cfg, cfg->load_started_ns, &until))
        return cfg;
    /* The identities cfg recorded might not pin its content: wait out the
     * time-stamp granularity, then load the text again. */
    if (flags & DLG_CPL_WRITE_NOWAIT) {
        *rc = 1;
        return NULL;
    }
    for (int tries = 0; tries < 3; tries++) {
        int64_t wait = until - now_ns();
        if (wait > WRITE_WAIT_MAX_NS)
            wait = WRITE_WAIT_MAX_NS;
        if (wait > 0) {
            struct timespec d = {wait / 1000000000, wait % 1000000000};
            while (nanosleep(&d, &d) != 0 && errno == EINTR)
                ;
        }
        *own = dlg_config_load_stamped(cfg->path, diag);
        if (*own == NULL)
            return NULL;
        if (settled(*own, (*own)->load_started_ns, &until))
            return *own;
        dlg_config_free(*own);
        *own = NULL;
    }
    dlg_diag_error(diag, cfg->path, 0, "keeps changing; compiled form not written");
    return NULL;
}

bool dlg_compiled_usable_for(const struct dlg_config *cfg, struct dlg_diag *diag)
{
    for (size_t i = 0; i < cfg->nfiles; i++) {
        char buf[32];
        const char *name;
        if (cfg->files[i].absent)   /* its file system is judged once it appears */
            continue;
        if (!dlg_cpl_fs_trusted(cfg->files[i].fs_type, buf, sizeof(buf), &name)) {
            dlg_diag_error(diag, cfg->files[i].path, 0,
                           "on %s, a file system whose change time is not kept by the kernel "
                           "alone: no compiled form is used for it (readers read the text)", name);
            return false;
        }
    }
    return true;
}

/* ---- the atomic write ------------------------------------------------------ */

/* Remove the temp names (".NAME.XXXXXX") that killed writers left in dir,
 * older than STALE_TEMP_SECONDS. */
static void sweep_temps(int dfd, const char *name)
{
    size_t nl = strlen(name);
    int fd = dup(dfd);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    struct dirent *e;
    time_t now = time(NULL);

    if (d == NULL) {
        if (fd >= 0)
            close(fd);
        return;
    }
    while ((e = readdir(d)) != NULL) {
        struct stat st;
        const char *n = e->d_name;
        if (n[0] != '.' || strncmp(n + 1, name, nl) != 0 || n[1 + nl] != '.' ||
            strlen(n + 2 + nl) != 6)
            continue;
        if (fstatat(dfd, n, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode) &&
            st.st_uid == 0 && now - st.st_mtime > STALE_TEMP_SECONDS)
            (void)unlinkat(dfd, n, 0);
    }
    closedir(d);
}

/* An unnamed file in dir (O_TMPFILE): a writer killed before the link leaves
 * nothing behind.  Where the file system has no O_TMPFILE, a named temp file
 * (*tmpname set; the sweep catches what a killed writer left). */
static int open_unnamed(int dfd, const char *dir, const char *tmpl, char **tmpname)
{
    int fd = openat(dfd, ".", O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600);

    *tmpname = NULL;
    if (fd >= 0 || (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL))
        return fd;
    if (asprintf(tmpname, "%s/%s", dir, tmpl) < 0) {
        *tmpname = NULL;
        errno = ENOMEM;
        return -1;
    }
    fd = mkostemp(*tmpname, O_CLOEXEC);
    if (fd < 0) {
        free(*tmpname);
        *tmpname = NULL;
    }
    return fd;
}

static int write_all(int fd, const unsigned char *data, size_t len)
{
    for (size_t done = 0; done < len;) {
        ssize_t n = write(fd, data + done, len - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            if (n == 0)
                errno = EIO;
            return -1;
        }
        done += (size_t)n;
    }
    return 0;
}

/* Give the unnamed file fd a temp name in dfd (linkat), then rename it over
 * name: readers see the old file or the new one, never a part. */
static int link_into_place(int fd, int dfd, const char *name, const char *tmpl)
{
    char tmp[256], proc[64];

    for (int tries = 0; tries < 16; tries++) {
        unsigned long r = (unsigned long)now_ns() ^ ((unsigned long)getpid() << 20) ^
                          (unsigned long)tries * 2654435761u;
        static const char digits[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        size_t tl = strlen(tmpl) - 6;
        if (tl + 7 > sizeof(tmp))
            return -1;
        memcpy(tmp, tmpl, tl);
        for (int i = 0; i < 6; i++, r /= 62)
            tmp[tl + (size_t)i] = digits[r % 62];
        tmp[tl + 6] = '\0';
        int rc = linkat(fd, "", dfd, tmp, AT_EMPTY_PATH);
        if (rc != 0 && errno != EEXIST) {
            /* without CAP_DAC_READ_SEARCH: the same through /proc */
            snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
            rc = linkat(AT_FDCWD, proc, dfd, tmp, AT_SYMLINK_FOLLOW);
        }
        if (rc != 0 && errno == EEXIST)
            continue;
        if (rc != 0)
            return -1;
        if (renameat(dfd, tmp, dfd, name) != 0) {
            int e = errno;
            (void)unlinkat(dfd, tmp, 0);
            errno = e;
            return -1;
        }
        return 0;
    }
    errno = EEXIST;
    return -1;
}

static int write_atomic(const char *path, const unsigned char *data, size_t len,
                        struct dlg_diag *diag)
{
    char *dir = NULL, *tmpl = NULL, *tmpname = NULL, err[256];
    const char *slash = strrchr(path, '/'), *name;
    int fd = -1, dfd = -1, rc = -1;

    if (slash == NULL || path[0] != '/' || slash[1] == '\0') {
        dlg_diag_error(diag, path, 0, "the compiled form needs an absolute path");
        return -1;
    }
    name = slash + 1;
    dir = strndup(path, slash == path ? 1 : (size_t)(slash - path));
    if (dir == NULL || asprintf(&tmpl, ".%s.XXXXXX", name) < 0) {
        tmpl = NULL;
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
    dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0) {
        dlg_diag_error(diag, dir, 0, "%s", strerror(errno));
        goto out;
    }
    sweep_temps(dfd, name);
    fd = open_unnamed(dfd, dir, tmpl, &tmpname);
    if (fd < 0) {
        dlg_diag_error(diag, dir, 0, "temp file: %s", strerror(errno));
        goto out;
    }
    if (fchmod(fd, 0644) != 0 || write_all(fd, data, len) != 0 || fsync(fd) != 0) {
        dlg_diag_error(diag, path, 0, "write: %s", strerror(errno));
        goto out;
    }
    if (tmpname != NULL ? rename(tmpname, path) : link_into_place(fd, dfd, name, tmpl)) {
        dlg_diag_error(diag, path, 0, "rename: %s", strerror(errno));
        goto out;
    }
    free(tmpname);
    tmpname = NULL;
    (void)fsync(dfd);
    rc = 0;
out:
    if (fd >= 0)
        close(fd);
    if (dfd >= 0)
        close(dfd);
    if (tmpname != NULL)
        unlink(tmpname);
    free(tmpname);
    free(tmpl);
    free(dir);
    return rc;
}

int dlg_compiled_write_opt(const struct dlg_config *cfg, const char *path, unsigned flags,
                           struct dlg_diag *diag)
{
    struct dlg_config *own = NULL;
    const struct dlg_config *use;
    unsigned char *data = NULL;
    size_t len = 0;
    int rc = -1;

    if (cfg == NULL || path == NULL) {
        dlg_diag_error(diag, path, 0, "nothing to compile");
        return -1;
    }
    if (geteuid() != 0) {
        dlg_diag_error(diag, path, 0, "only root writes the compiled form");
        return -1;
    }
    use = settle(cfg, flags, &own, &rc, diag);
    if (use == NULL)
        goto out;
    rc = -1;
    if (!dlg_compiled_usable_for(use, diag)) {
        (void)dlg_compiled_remove(path);    /* an older form must not outlive this */
        goto out;
    }
    if (dlg_compiled_serialize(use, use->load_started_ns, &data, &len) != 0) {
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
