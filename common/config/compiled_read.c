/* Reader of the compiled policy snapshot: see compiled.h.
 *
 * libc only (the NSS module links this): no libconfig, no output, no NSS
 * calls, no static mutable state; it depends on the config value
 * (config.h, config_record.h) and never on the text loader.  Every offset,
 * length, count, index, order and string reference read from the file is
 * checked before it is used.  The config it makes points into the mapping
 * for its strings and ids, and holds its arrays in one allocation (the
 * arena) sized from the section counts before anything is read, so that a
 * lookup never allocates. */
#include "config/compiled.h"
#include "config/config_record.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

/* The sections of one form, and the arena's mirror arrays: a list, a CIDR
 * or a key of the file is materialized at the index it has in its section,
 * so no record needs space of its own and a lazy lookup can fill any. */
struct rd {
    const unsigned char *base;
    size_t len;
    const unsigned char *sec[DLG_CPL_NSECTIONS + 1];
    size_t cnt[DLG_CPL_NSECTIONS + 1];
    const char *str;            /* STRINGS */
    size_t nstr;
    char **ptrs;                /* mirror of LISTS */
    struct dlg_cidr *cidrs;     /* mirror of CIDRS */
    struct dlg_key *keys;       /* mirror of KEYS */
    char *why;
    size_t whylen;
};

/* cfg->impl of a config made here. */
struct hold {
    void *map;                  /* NULL for dlg_compiled_parse on a caller's buffer */
    size_t maplen;
    void *arena;
    /* DLG_CPL_LAZY_ACTORS: the records, and a slot for each actor, built by
     * the first lookup that finds it */
    bool lazy;
    struct rd rd;
    char why[64];
    struct dlg_actor *slots;
    unsigned char *built;
    pthread_mutex_t lock;
};

static void why_set(char *why, size_t whylen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void why_set(char *why, size_t whylen, const char *fmt, ...)
{
    va_list ap;

    if (why == NULL || whylen == 0)
        return;
    va_start(ap, fmt);
    vsnprintf(why, whylen, fmt, ap);
    va_end(ap);
}

#define FAIL(...) do { why_set(r->why, r->whylen, __VA_ARGS__); return -1; } while (0)

/* ---- one record, from its field list ------------------------------------ */

static uint64_t slot_at(const unsigned char *rec, size_t i)
{
    uint64_t v;

    memcpy(&v, rec + i * DLG_SLOT, sizeof(v));
    return v;
}

static void put(void *obj, const struct dlg_field *f, const void *v, size_t n)
{
    if (obj != NULL)
        memcpy((unsigned char *)obj + f->off, v, n);
}

/* A range {first = low half, count = high half} of a section of n records. */
static int range(struct rd *r, const struct dlg_field *f, uint64_t v, size_t n, uint32_t *first,
                 uint32_t *count)
{
    *first = (uint32_t)v;
    *count = (uint32_t)(v >> 32);
    if (*count > 0 && (*first > n || *count > n - *first))
        FAIL("%s: range out of bounds", f->name);
    return 0;
}

static int load_string(struct rd *r, const struct dlg_field *f, uint64_t v, void *obj)
{
    const char *s = NULL;

    if (v >> 32 != 0)
        FAIL("%s: bad string reference", f->name);
    if ((uint32_t)v == DLG_CPL_NONE) {
        if (f->kind != DLG_FK_OSTR && f->kind != DLG_FK_CSTR)
            FAIL("%s: a required string is missing", f->name);
    } else if ((uint32_t)v >= r->nstr) {
        FAIL("%s: string offset out of range", f->name);
    } else {
        s = r->str + (uint32_t)v;
        if (f->kind == DLG_FK_PATH && s[0] != '/')
            FAIL("%s: not an absolute path", f->name);
    }
    put(obj, f, &s, sizeof(s));    /* the mapping's const: nothing writes through it */
    return 0;
}

static int load_strv(struct rd *r, const struct dlg_field *f, uint64_t v, void *obj)
{
    struct dlg_strv sv = { NULL, 0 };
    uint32_t first, count;

    if (range(r, f, v, r->cnt[DLG_CPL_SEC_LISTS], &first, &count) != 0)
        return -1;
    for (uint32_t i = 0; i < count; i++) {
        uint32_t so;
        memcpy(&so, r->sec[DLG_CPL_SEC_LISTS] + ((size_t)first + i) * sizeof(so), sizeof(so));
        if (so >= r->nstr)
            FAIL("%s: string offset out of range", f->name);
        if (obj != NULL)
            r->ptrs[first + i] = (char *)(uintptr_t)(r->str + so);
    }
    if (count > 0) {
        sv.v = r->ptrs + first;
        sv.n = count;
    }
    put(obj, f, &sv, sizeof(sv));
    return 0;
}

static int load_number(struct rd *r, const struct dlg_field *f, uint64_t v, void *obj)
{
    int64_t s = (int64_t)v;

    switch (f->kind) {
    case DLG_FK_BOOL: {
        bool b = v == 1;
        if (v > 1)
            FAIL("%s: not a bool", f->name);
        put(obj, f, &b, sizeof(b));
        return 0;
    }
    case DLG_FK_U32: {
        uint32_t u = (uint32_t)v;
        if (v > UINT32_MAX || (int64_t)v < f->min || (int64_t)v > f->max)
            FAIL("%s: out of range", f->name);
        put(obj, f, &u, sizeof(u));
        return 0;
    }
    case DLG_FK_I32: {
        int i = (int)s;
        if (s < f->min || s > f->max || s < INT_MIN || s > INT_MAX)
            FAIL("%s: out of range", f->name);
        put(obj, f, &i, sizeof(i));
        return 0;
    }
    case DLG_FK_I64:
        if (s < f->min || s > f->max)
            FAIL("%s: out of range", f->name);
        put(obj, f, &s, sizeof(s));
        return 0;
    case DLG_FK_U64:
        put(obj, f, &v, sizeof(v));
        return 0;
    case DLG_FK_TS: {
        struct timespec ts = { (time_t)(s / 1000000000), (long)(s % 1000000000) };
        if (ts.tv_nsec < 0) {
            ts.tv_sec -= 1;
            ts.tv_nsec += 1000000000;
        }
        put(obj, f, &ts, sizeof(ts));
        return 0;
    }
    default:
        FAIL("%s: not a number", f->name);
    }
}

static int load_cidrs(struct rd *r, const struct dlg_field *f, uint64_t v, void *obj)
{
    struct dlg_cidr *arr = NULL;
    uint32_t first, count;

    if (range(r, f, v, r->cnt[DLG_CPL_SEC_CIDRS], &first, &count) != 0)
        return -1;
    for (uint32_t k = 0; k < count; k++) {
        struct dlg_cpl_cidr cc;
        memcpy(&cc, r->sec[DLG_CPL_SEC_CIDRS] + ((size_t)first + k) * sizeof(cc), sizeof(cc));
        if ((cc.family != 2 /* AF_INET */ || cc.prefix > 32) &&
            (cc.family != 10 /* AF_INET6 */ || cc.prefix > 128))
            FAIL("%s: bad cidr", f->name);
        if (obj != NULL) {
            struct dlg_cidr *c = &r->cidrs[first + k];
            c->family = (int)cc.family;
            c->prefix = cc.prefix;
            memcpy(c->addr, cc.addr, sizeof(c->addr));
        }
    }
    if (count > 0)
        arr = r->cidrs + first;
    put(obj, f, &arr, sizeof(arr));
    if (obj != NULL)
        *(size_t *)(void *)((unsigned char *)obj + f->count_off) = count;
    return 0;
}

static int load_record(struct rd *r, const struct dlg_record_type *rt, const unsigned char *rec,
                       void *obj);

static int load_keys(struct rd *r, const struct dlg_field *f, uint64_t v, void *obj)
{
    struct dlg_key *arr = NULL;
    uint32_t first, count;
    size_t rs = dlg_rt_key.nslots * DLG_SLOT;

    if (range(r, f, v, r->cnt[DLG_CPL_SEC_KEYS], &first, &count) != 0)
        return -1;
    for (uint32_t k = 0; k < count; k++)
        if (load_record(r, &dlg_rt_key, r->sec[DLG_CPL_SEC_KEYS] + ((size_t)first + k) * rs,
                        obj != NULL ? &r->keys[first + k] : NULL) != 0)
            return -1;
    if (count > 0)
        arr = r->keys + first;
    put(obj, f, &arr, sizeof(arr));
    if (obj != NULL)
        *(size_t *)(void *)((unsigned char *)obj + f->count_off) = count;
    return 0;
}

/* Every carried field of rec into obj (of type rt), or only checked when obj
 * is NULL. */
static int load_record(struct rd *r, const struct dlg_record_type *rt, const unsigned char *rec,
                       void *obj)
{
    size_t k = 0;

    for (size_t i = 0; i < rt->nfields; i++) {
        const struct dlg_field *f = &rt->fields[i];
        int rc;

        if (!dlg_field_carried(f->kind))
            continue;
        uint64_t v = slot_at(rec, k++);
        switch (f->kind) {
        case DLG_FK_STR:
        case DLG_FK_OSTR:
        case DLG_FK_PATH:
        case DLG_FK_CSTR:
            rc = load_string(r, f, v, obj);
            break;
        case DLG_FK_STRV:
            rc = load_strv(r, f, v, obj);
            break;
        case DLG_FK_CIDRS:
            rc = load_cidrs(r, f, v, obj);
            break;
        case DLG_FK_KEYS:
            rc = load_keys(r, f, v, obj);
            break;
        default:
            rc = load_number(r, f, v, obj);
            break;
        }
        if (rc != 0)
            return -1;
    }
    return 0;
}

/* The slot of the carried field at offset off of rt (a key: name, uid, id). */
static uint64_t field_of(const struct dlg_record_type *rt, const unsigned char *rec, size_t off)
{
    size_t k = 0;

    for (size_t i = 0; i < rt->nfields; i++) {
        if (!dlg_field_carried(rt->fields[i].kind))
            continue;
        if (rt->fields[i].off == off)
            return slot_at(rec, k);
        k++;
    }
    return DLG_CPL_NONE;
}

/* The string a checked record's field names (its key). */
static const char *key_str(const struct rd *r, const struct dlg_record_type *rt,
                           const unsigned char *rec, size_t off)
{
    return r->str + (uint32_t)field_of(rt, rec, off);
}

static const unsigned char *rec_at(const struct rd *r, int id, size_t i)
{
    return r->sec[id] + i * dlg_cpl_record_size((unsigned)id);
}

/* ---- the steps of a parse ----------------------------------------------- */

static int check_header(struct rd *r, struct dlg_cpl_header *h)
{
    uint64_t want;

    if (r->base == NULL || r->len < sizeof(*h))
        FAIL("truncated header");
    if (r->len > DLG_CPL_MAX_BYTES)
        FAIL("too large");
    if ((uintptr_t)r->base % 8 != 0)
        FAIL("buffer not 8-byte aligned");
    memcpy(h, r->base, sizeof(*h));
    want = h->header_hash;
    h->header_hash = 0;
    if (memcmp(h->magic, DLG_CPL_MAGIC, sizeof(h->magic)) != 0 || h->version != DLG_CPL_VERSION ||
        h->header_size != sizeof(*h))
        FAIL("not a compiled policy of version %u", DLG_CPL_VERSION);
    if (dlg_cpl_hash(h, sizeof(*h)) != want)
        FAIL("header checksum mismatch");
    if (h->file_size != r->len)
        FAIL("size %zu, header says %llu", r->len, (unsigned long long)h->file_size);
    if (h->shape != dlg_fields_shape())
        FAIL("written by a build with other config fields");
    if (h->trusted != 1)
        FAIL("sources not recorded as trusted");
    return 0;
}

static bool is_ticket_section(unsigned id)
{
    return id == DLG_CPL_SEC_REVOKED || id == DLG_CPL_SEC_REVOKED_IDS;
}

static int check_sections(struct rd *r, const struct dlg_cpl_header *h, unsigned flags)
{
    size_t table_off = sizeof(*h), table_len;

    if (h->nsections != DLG_CPL_NSECTIONS)
        FAIL("wrong number of sections");
    table_len = (size_t)h->nsections * sizeof(struct dlg_cpl_section);
    if (r->len - table_off < table_len)
        FAIL("truncated section table");
    if (dlg_cpl_hash(r->base + table_off, table_len) != h->table_hash)
        FAIL("section table checksum mismatch");
    for (uint32_t i = 0; i < h->nsections; i++) {
        struct dlg_cpl_section s;
        uint32_t id = i + 1;
        memcpy(&s, r->base + table_off + i * sizeof(s), sizeof(s));
        if (s.id != id || s.record_size != dlg_cpl_record_size(id))
            FAIL("section %u: wrong id or record size", id);
        if (s.offset % 8 != 0 || s.offset < table_off + table_len || s.offset > r->len)
            FAIL("section %u: bad offset", id);
        if (s.count > (r->len - s.offset) / s.record_size)
            FAIL("section %u: runs past the end of the file", id);
        size_t bytes = (size_t)s.count * s.record_size;
        bool skip = (flags & DLG_CPL_NO_TICKETS) && is_ticket_section(id);
        if (!skip && dlg_cpl_hash(r->base + s.offset, bytes) != s.hash)
            FAIL("section %u: checksum mismatch", id);
        r->sec[id] = r->base + s.offset;
        r->cnt[id] = (size_t)s.count;
    }
    if (r->cnt[DLG_CPL_SEC_STRINGS] == 0 ||
        r->sec[DLG_CPL_SEC_STRINGS][r->cnt[DLG_CPL_SEC_STRINGS] - 1] != '\0')
        FAIL("string pool not terminated");
    if (r->cnt[DLG_CPL_SEC_GLOBAL] != 1)
        FAIL("no global record");
    r->str = (const char *)r->sec[DLG_CPL_SEC_STRINGS];
    r->nstr = r->cnt[DLG_CPL_SEC_STRINGS];
    return 0;
}

/* The arena: every array the config can need, sized from the counts (each
 * bounded by the file's size, so no sum overflows), zeroed. */
struct layout {
    size_t ptrs, cidrs, keys, issuers, actors, by_uid, built, groups, by_gid, files, feeds, host, total;
};

static size_t take(size_t *at, size_t n, size_t size)
{
    size_t off = *at;

    *at += (n * size + 15) & ~(size_t)15;
    return off;
}

static void plan(const struct rd *r, struct layout *l)
{
    size_t at = 0, na = r->cnt[DLG_CPL_SEC_ACTORS], ng = r->cnt[DLG_CPL_SEC_GROUPS];

    l->ptrs = take(&at, r->cnt[DLG_CPL_SEC_LISTS], sizeof(char *));
    l->cidrs = take(&at, r->cnt[DLG_CPL_SEC_CIDRS], sizeof(struct dlg_cidr));
    l->keys = take(&at, r->cnt[DLG_CPL_SEC_KEYS], sizeof(struct dlg_key));
    l->issuers = take(&at, r->cnt[DLG_CPL_SEC_ISSUERS], sizeof(struct dlg_issuer));
    l->actors = take(&at, na, sizeof(struct dlg_actor));
    l->by_uid = take(&at, na, sizeof(struct dlg_actor *));
    l->built = take(&at, na, 1);
    l->groups = take(&at, ng, sizeof(struct dlg_group));
    l->by_gid = take(&at, ng, sizeof(struct dlg_group *));
    l->files = take(&at, r->cnt[DLG_CPL_SEC_SOURCES], sizeof(struct dlg_file_id));
    l->feeds = take(&at, r->cnt[DLG_CPL_SEC_FEEDS], sizeof(struct dlg_feed));
    l->host = take(&at, 256, 1);
    l->total = at;
}

static int compiled_actor(const struct dlg_config *cfg, const char *name,
                          const struct dlg_actor **out);
static int compiled_actor_by_uid(const struct dlg_config *cfg, uid_t uid,
                                 const struct dlg_actor **out);
static void compiled_release(struct dlg_config *cfg);

static const struct dlg_config_ops full_ops = {
    .actor = dlg_config_table_actor,
    .actor_by_uid = dlg_config_table_actor_by_uid,
    .release = compiled_release,
};

static const struct dlg_config_ops lazy_ops = {
    .actor = compiled_actor,
    .actor_by_uid = compiled_actor_by_uid,
    .release = compiled_release,
};

static struct dlg_config *new_config(struct rd *r, unsigned flags, struct layout *l)
{
    struct dlg_config *cfg = calloc(1, sizeof(*cfg));
    struct hold *hold = calloc(1, sizeof(*hold));
    unsigned char *arena;

    plan(r, l);
    arena = calloc(1, l->total);
    if (cfg == NULL || hold == NULL || arena == NULL) {
        why_set(r->why, r->whylen, "out of memory");
        free(cfg);
        free(hold);
        free(arena);
        return NULL;
    }
    r->ptrs = (char **)(void *)(arena + l->ptrs);
    r->cidrs = (struct dlg_cidr *)(void *)(arena + l->cidrs);
    r->keys = (struct dlg_key *)(void *)(arena + l->keys);
    hold->arena = arena;
    hold->lazy = (flags & DLG_CPL_LAZY_ACTORS) != 0;
    pthread_mutex_init(&hold->lock, NULL);
    cfg->impl = hold;
    cfg->ops = hold->lazy ? &lazy_ops : &full_ops;
    return cfg;
}

static unsigned char *arena_of(const struct dlg_config *cfg)
{
    return ((struct hold *)cfg->impl)->arena;
}

static int load_global(struct rd *r, struct dlg_config *cfg, const struct layout *l)
{
    char *host = (char *)arena_of(cfg) + l->host;

    if (load_record(r, &dlg_rt_config, r->sec[DLG_CPL_SEC_GLOBAL], cfg) != 0)
        return -1;
    if (cfg->uid_min > cfg->uid_max)
        FAIL("uid_min above uid_max");
    /* host.name unset: the system's name now, as the text loader would */
    if (cfg->host_conf != NULL)
        cfg->host_name = cfg->host_conf;
    else if (dlg_system_host_name(host, 256) == 0)
        cfg->host_name = host;
    else
        FAIL("host.name is not set and gethostname failed");
    return 0;
}

static int load_sources(struct rd *r, struct dlg_config *cfg, const struct layout *l)
{
    size_t n = r->cnt[DLG_CPL_SEC_SOURCES];

    if (n == 0)
        FAIL("no source files recorded");
    cfg->files = (struct dlg_file_id *)(void *)(arena_of(cfg) + l->files);
    for (size_t i = 0; i < n; i++)
        if (load_record(r, &dlg_rt_file, rec_at(r, DLG_CPL_SEC_SOURCES, i), &cfg->files[i]) != 0)
            return -1;
    cfg->nfiles = n;
    if (cfg->files[0].path == NULL || cfg->path == NULL || strcmp(cfg->files[0].path, cfg->path) != 0 ||
        cfg->files[0].absent)
        FAIL("first source is not the main config");
    return 0;
}

static int load_issuers(struct rd *r, struct dlg_config *cfg, const struct layout *l)
{
    size_t n = r->cnt[DLG_CPL_SEC_ISSUERS];

    cfg->issuers = (struct dlg_issuer *)(void *)(arena_of(cfg) + l->issuers);
    for (size_t i = 0; i < n; i++) {
        if (load_record(r, &dlg_rt_issuer, rec_at(r, DLG_CPL_SEC_ISSUERS, i), &cfg->issuers[i]) != 0)
            return -1;
        if (i > 0 && strcmp(cfg->issuers[i - 1].id, cfg->issuers[i].id) >= 0)
            FAIL("issuers not sorted");
    }
    cfg->nissuers = n;
    return 0;
}

/* Actors: every record checked, in name order, and the uid index checked;
 * built too unless lazy (then each lookup builds the one it finds). */
static int load_actors(struct rd *r, struct dlg_config *cfg, const struct layout *l)
{
    struct hold *hold = cfg->impl;
    size_t n = r->cnt[DLG_CPL_SEC_ACTORS];
    struct dlg_actor *slots = (struct dlg_actor *)(void *)(arena_of(cfg) + l->actors);
    struct dlg_actor **by_uid = (struct dlg_actor **)(void *)(arena_of(cfg) + l->by_uid);
    const size_t name = offsetof(struct dlg_actor, name), uid = offsetof(struct dlg_actor, uid);
    uint64_t prev_uid = 0;

    if (r->cnt[DLG_CPL_SEC_ACTORS_BY_UID] != n)
        FAIL("uid index size mismatch");
    for (size_t i = 0; i < n; i++) {
        const unsigned char *rec = rec_at(r, DLG_CPL_SEC_ACTORS, i);
        if (load_record(r, &dlg_rt_actor, rec, hold->lazy ? NULL : &slots[i]) != 0)
            return -1;
        if (i > 0 && strcmp(key_str(r, &dlg_rt_actor, rec_at(r, DLG_CPL_SEC_ACTORS, i - 1), name),
                            key_str(r, &dlg_rt_actor, rec, name)) >= 0)
            FAIL("actors not sorted");
    }
    for (size_t i = 0; i < n; i++) {
        uint32_t ix;
        memcpy(&ix, rec_at(r, DLG_CPL_SEC_ACTORS_BY_UID, i), sizeof(ix));
        if (ix >= n)
            FAIL("uid index out of range");
        uint64_t u = field_of(&dlg_rt_actor, rec_at(r, DLG_CPL_SEC_ACTORS, ix), uid);
        if (i > 0 && u <= prev_uid)
            FAIL("uid index not sorted");
        prev_uid = u;
        by_uid[i] = &slots[ix];
    }
    if (hold->lazy) {
        hold->slots = slots;
        hold->built = arena_of(cfg) + l->built;
        return 0;
    }
    cfg->actors = slots;
    cfg->actors_by_uid = n > 0 ? by_uid : NULL;
    cfg->nactors = n;
    return 0;
}

static int load_groups(struct rd *r, struct dlg_config *cfg, const struct layout *l)
{
    size_t n = r->cnt[DLG_CPL_SEC_GROUPS];
    struct dlg_group **by_gid = (struct dlg_group **)(void *)(arena_of(cfg) + l->by_gid);

    if (r->cnt[DLG_CPL_SEC_GROUPS_BY_GID] != n)
        FAIL("gid index size mismatch");
    cfg->groups = (struct dlg_group *)(void *)(arena_of(cfg) + l->groups);
    for (size_t i = 0; i < n; i++) {
        if (load_record(r, &dlg_rt_group, rec_at(r, DLG_CPL_SEC_GROUPS, i), &cfg->groups[i]) != 0)
            return -1;
        if (i > 0 && strcmp(cfg->groups[i - 1].name, cfg->groups[i].name) >= 0)
            FAIL("groups not sorted");
    }
    for (size_t i = 0; i < n; i++) {
        uint32_t ix;
        memcpy(&ix, rec_at(r, DLG_CPL_SEC_GROUPS_BY_GID, i), sizeof(ix));
        if (ix >= n)
            FAIL("gid index out of range");
        by_gid[i] = &cfg->groups[ix];
        if (i > 0 && by_gid[i - 1]->gid >= by_gid[i]->gid)
            FAIL("gid index not sorted");
    }
    cfg->ngroups = n;
    cfg->groups_by_gid = n > 0 ? by_gid : NULL;
    return 0;
}

/* The feeds, in config order; what is known of a version only when fetched. */
static int load_feeds(struct rd *r, struct dlg_config *cfg, const struct layout *l)
{
    size_t n = r->cnt[DLG_CPL_SEC_FEEDS];

    cfg->feeds = (struct dlg_feed *)(void *)(arena_of(cfg) + l->feeds);
    for (size_t i = 0; i < n; i++) {
        struct dlg_feed *f = &cfg->feeds[i];
        if (load_record(r, &dlg_rt_feed, rec_at(r, DLG_CPL_SEC_FEEDS, i), f) != 0)
            return -1;
        if ((f->url == NULL) == (f->file == NULL) || (f->ca != NULL && f->url == NULL))
            FAIL("bad feed source");
        if (f->fetched ? (f->ver < 1 || f->exp <= f->iat) : (f->ver != 0 || f->iat != 0 || f->exp != 0))
            FAIL("bad feed version");
    }
    cfg->nfeeds = n;
    return 0;
}

/* The revoked ids, mapped as they are (NSS: not at all). */
static int load_revoked(struct rd *r, struct dlg_config *cfg, unsigned flags)
{
    struct dlg_revoked_set *s = &cfg->revoked_tickets;

    if (flags & DLG_CPL_NO_TICKETS)
        return 0;
    s->v = (const struct dlg_revoked_rec *)(const void *)r->sec[DLG_CPL_SEC_REVOKED];
    s->n = r->cnt[DLG_CPL_SEC_REVOKED];
    s->pool = (const char *)r->sec[DLG_CPL_SEC_REVOKED_IDS];
    s->pool_len = r->cnt[DLG_CPL_SEC_REVOKED_IDS];
    if (!dlg_revoked_set_valid(s))
        FAIL("revoked ids not sorted, or out of range");
    return 0;
}

struct dlg_config *dlg_compiled_parse(const void *buf, size_t len, unsigned flags,
                                      int64_t *compiled_at_ns, char *why, size_t whylen)
{
    struct rd rd = {.base = buf, .len = len, .why = why, .whylen = whylen}, *r = &rd;
    struct dlg_cpl_header h;
    struct dlg_config *cfg;
    struct layout l;

    why_set(why, whylen, "unknown error");
    if (check_header(r, &h) != 0 || check_sections(r, &h, flags) != 0)
        return NULL;
    cfg = new_config(r, flags, &l);
    if (cfg == NULL)
        return NULL;
    if (load_global(r, cfg, &l) != 0 || load_sources(r, cfg, &l) != 0 ||
        load_issuers(r, cfg, &l) != 0 || load_actors(r, cfg, &l) != 0 ||
        load_groups(r, cfg, &l) != 0 || load_feeds(r, cfg, &l) != 0 ||
        load_revoked(r, cfg, flags) != 0) {
        compiled_release(cfg);
        return NULL;
    }
    if (((struct hold *)cfg->impl)->lazy) {
        struct hold *hold = cfg->impl;
        hold->rd = rd;
        hold->rd.why = hold->why;
        hold->rd.whylen = sizeof(hold->why);
    }
    if (compiled_at_ns != NULL)
        *compiled_at_ns = h.compiled_at_ns;
    return cfg;
}

static void compiled_release(struct dlg_config *cfg)
{
    struct hold *hold = cfg->impl;

    pthread_mutex_destroy(&hold->lock);
    if (hold->map != NULL)
        munmap(hold->map, hold->maplen);
    free(hold->arena);
    free(hold);
    free(cfg);
}

bool dlg_compiled_lazy(const struct dlg_config *cfg)
{
    return cfg != NULL && cfg->ops == &lazy_ops;
}

/* ---- lazy lookups -------------------------------------------------------- */

/* The actor of record index, built into its slot on first use: no
 * allocation; the record was checked at load, so only a mapping changed
 * under us (the file rewritten in place) can make this fail: -1. */
static int lazy_build(const struct dlg_config *cfg, size_t index, const struct dlg_actor **out)
{
    struct hold *hold = cfg->impl;
    int rc = 1;

    pthread_mutex_lock(&hold->lock);
    if (!hold->built[index]) {
        if (load_record(&hold->rd, &dlg_rt_actor, rec_at(&hold->rd, DLG_CPL_SEC_ACTORS, index),
                        &hold->slots[index]) == 0)
            hold->built[index] = 1;
        else
            rc = -1;
    }
    pthread_mutex_unlock(&hold->lock);
    *out = rc == 1 ? &hold->slots[index] : NULL;
    return rc;
}

static int compiled_actor(const struct dlg_config *cfg, const char *name,
                          const struct dlg_actor **out)
{
    const struct hold *hold = cfg->impl;
    const struct rd *r = &hold->rd;
    size_t lo = 0, hi = r->cnt[DLG_CPL_SEC_ACTORS];

    *out = NULL;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(name, key_str(r, &dlg_rt_actor, rec_at(r, DLG_CPL_SEC_ACTORS, mid),
                                     offsetof(struct dlg_actor, name)));
        if (c == 0)
            return lazy_build(cfg, mid, out);
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return 0;
}

static int compiled_actor_by_uid(const struct dlg_config *cfg, uid_t uid,
                                 const struct dlg_actor **out)
{
    const struct hold *hold = cfg->impl;
    const struct rd *r = &hold->rd;
    size_t lo = 0, hi = r->cnt[DLG_CPL_SEC_ACTORS_BY_UID];

    *out = NULL;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        uint32_t ix;
        memcpy(&ix, rec_at(r, DLG_CPL_SEC_ACTORS_BY_UID, mid), sizeof(ix));
        uint64_t u = field_of(&dlg_rt_actor, rec_at(r, DLG_CPL_SEC_ACTORS, ix),
                              offsetof(struct dlg_actor, uid));
        if (u == uid)
            return lazy_build(cfg, ix, out);
        if (uid < u)
            hi = mid;
        else
            lo = mid + 1;
    }
    return 0;
}

/* ---- freshness ------------------------------------------------------------ */

static int64_t ts_ns(const struct timespec *t)
{
    return (int64_t)t->tv_sec * 1000000000 + t->tv_nsec;
}

static bool racy(const struct dlg_file_id *f, int64_t at)
{
    int64_t gran = (f->mtime.tv_nsec == 0 && f->ctime.tv_nsec == 0) ? DLG_CPL_GRAN_COARSE_NS
                                                                     : DLG_CPL_GRAN_FINE_NS;
    return ts_ns(&f->mtime) >= at - gran || ts_ns(&f->ctime) >= at - gran;
}

/* Both when compiled and now, f lies on a file system whose ctime is real. */
static bool on_trusted_fs(const struct dlg_file_id *f, char *why, size_t whylen)
{
    struct statfs sf;
    char buf[32];
    const char *name;

    if (!dlg_cpl_fs_trusted(f->fs_type, buf, sizeof(buf), &name)) {
        why_set(why, whylen, "%s: compiled on %s, a file system whose change time is not kept "
                "by the kernel alone", f->path, name);
        return false;
    }
    if (statfs(f->path, &sf) != 0 || (uint64_t)sf.f_type != f->fs_type) {
        why_set(why, whylen, "%s: its file system changed since it was compiled", f->path);
        return false;
    }
    return true;
}

/* The steps of freshness: compiled from config_path, and every source not
 * racily clean, on a trusted file system, trusted as the loader trusts it,
 * with exactly the recorded identity. */
static bool fresh(const struct dlg_config *cfg, const char *config_path, int64_t at, char *why,
                  size_t whylen)
{
    char err[256];
    struct stat st;

    if (strcmp(cfg->path, config_path) != 0) {
        why_set(why, whylen, "compiled from %s, not %s", cfg->path, config_path);
        return false;
    }
    for (size_t i = 0; i < cfg->nfiles; i++) {
        const struct dlg_file_id *f = &cfg->files[i];

        if (f->absent) {
            /* read as absent (a feed never fetched): fresh while it is */
            if (lstat(f->path, &st) == 0 || (errno != ENOENT && errno != ENOTDIR)) {
                why_set(why, whylen, "%s: appeared since it was compiled", f->path);
                return false;
            }
            continue;
        }
        if (racy(f, at)) {
            why_set(why, whylen, "%s: changed too close to the compile time (racily clean)", f->path);
            return false;
        }
        if (!on_trusted_fs(f, why, whylen))
            return false;
        if (dlg_stat_trusted(f->path, &st, err, sizeof(err)) != 0) {
            why_set(why, whylen, "%s", err);
            return false;
        }
        if (!dlg_file_id_same(f, &st)) {
            why_set(why, whylen, "%s: changed since it was compiled", f->path);
            return false;
        }
    }
    return true;
}

/* cpath, trust-checked, mapped: the mapping or MAP_FAILED. */
static void *map_trusted(const char *cpath, unsigned flags, size_t *len, char *why, size_t whylen)
{
    char err[256];
    struct stat st;
    void *map;
    int fd = dlg_open_trusted(cpath, &st, err, sizeof(err));

    if (fd < 0) {
        why_set(why, whylen, "%s", err);
        return MAP_FAILED;
    }
    if (st.st_size < (off_t)sizeof(struct dlg_cpl_header) || (size_t)st.st_size > DLG_CPL_MAX_BYTES) {
        why_set(why, whylen, "%s: bad size", cpath);
        close(fd);
        return MAP_FAILED;
    }
    *len = (size_t)st.st_size;
    map = mmap(NULL, *len, PROT_READ,
               MAP_PRIVATE | ((flags & DLG_CPL_NO_TICKETS) ? 0 : MAP_POPULATE), fd, 0);
    close(fd);
    if (map == MAP_FAILED)
        why_set(why, whylen, "%s: mmap: %s", cpath, strerror(errno));
    return map;
}

struct dlg_config *dlg_compiled_load(const char *cpath, const char *config_path, unsigned flags,
                                     char *why, size_t whylen)
{
    struct dlg_config *cfg;
    struct hold *hold;
    size_t len = 0;
    int64_t at = 0;
    void *map;

    if (cpath == NULL || config_path == NULL) {
        why_set(why, whylen, "no path");
        return NULL;
    }
    map = map_trusted(cpath, flags, &len, why, whylen);
    if (map == MAP_FAILED)
        return NULL;
    cfg = dlg_compiled_parse(map, len, flags, &at, why, whylen);
    if (cfg == NULL) {
        munmap(map, len);
        return NULL;
    }
    hold = cfg->impl;
    hold->map = map;
    hold->maplen = len;
    if (!fresh(cfg, config_path, at, why, whylen)) {
        dlg_config_free(cfg);
        return NULL;
    }
    return cfg;
}
