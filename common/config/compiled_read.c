/* Reader of the compiled policy snapshot: see compiled.h.
 *
 * libc only (the NSS module links this): no libconfig, no output, no NSS
 * calls, no static mutable state.  Every offset, length, count, index and
 * string reference read from the file is checked before it is used; the
 * materialized config points into the mapping for its strings and holds its
 * arrays in one allocation. */
#include "config/compiled.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

struct lazy_actor {
    struct lazy_actor *next;
    size_t index;               /* into ACTORS */
    struct dlg_actor a;
    void *arena;
};

struct dlg_cpl_hold {
    void *map;                  /* NULL for dlg_compiled_parse on a caller's buffer */
    size_t maplen;
    void *arena;
    const unsigned char *rev;   /* REVOKED: nrev u64 hashes, ascending */
    size_t nrev;
    /* DLG_CPL_LAZY_ACTORS: the sections, for lookups that materialize one
     * actor at a time (kept in lazy, for the config's lifetime) */
    bool lazy;
    const unsigned char *sec[DLG_CPL_NSECTIONS + 1];
    size_t cnt[DLG_CPL_NSECTIONS + 1];
    pthread_mutex_t lock;
    struct lazy_actor *cache;
};

/* ---- hash -------------------------------------------------------------- */

#define H_P1 UINT64_C(0x9E3779B185EBCA87)
#define H_P2 UINT64_C(0xC2B2AE3D27D4EB4F)
#define H_P3 UINT64_C(0x165667B19E3779F9)

static inline uint64_t rotl64(uint64_t x, int r)
{
    return (x << r) | (x >> (64 - r));
}

static inline uint64_t rd64(const unsigned char *p)
{
    uint64_t v;
    memcpy(&v, p, sizeof(v));
    return v;
}

/* One multiply per 8-byte word, eight independent lanes (so the multiplies
 * overlap): each step (acc ^ w) * odd, rotated, is a bijection of acc for a
 * given w and of w for a given acc, so any change of one word changes its
 * lane's final value, and so the sum of the lanes; the final steps mix. */
static inline uint64_t h_step(uint64_t acc, uint64_t w)
{
    return rotl64((acc ^ w) * H_P1, 29);
}

uint64_t dlg_cpl_hash(const void *data, size_t len)
{
    const unsigned char *p = data, *end = p + len;
    uint64_t v0 = H_P1, v1 = H_P2, v2 = H_P3, v3 = H_P1 + H_P2, v4 = H_P2 + H_P3,
             v5 = H_P1 ^ H_P3, v6 = (uint64_t)len, v7 = ~H_P2;
    uint64_t h = (uint64_t)len * H_P3;

    while (end - p >= 64) {
        v0 = h_step(v0, rd64(p));
        v1 = h_step(v1, rd64(p + 8));
        v2 = h_step(v2, rd64(p + 16));
        v3 = h_step(v3, rd64(p + 24));
        v4 = h_step(v4, rd64(p + 32));
        v5 = h_step(v5, rd64(p + 40));
        v6 = h_step(v6, rd64(p + 48));
        v7 = h_step(v7, rd64(p + 56));
        p += 64;
    }
    h += rotl64(v0 * H_P2, 1) + rotl64(v1 * H_P2, 8) + rotl64(v2 * H_P2, 15) +
         rotl64(v3 * H_P2, 22) + rotl64(v4 * H_P2, 29) + rotl64(v5 * H_P2, 36) +
         rotl64(v6 * H_P2, 43) + rotl64(v7 * H_P2, 50);
    while (end - p >= 8) {
        h = h_step(h ^ rd64(p), H_P2) + H_P3;
        p += 8;
    }
    while (p < end) {
        h ^= (uint64_t)(*p++) * H_P3;
        h = rotl64(h, 11) * H_P1;
    }
    h ^= h >> 33;
    h *= H_P2;
    h ^= h >> 29;
    h *= H_P3;
    h ^= h >> 32;
    return h;
}

/* ---- parsing ----------------------------------------------------------- */

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

static const uint32_t record_sizes[DLG_CPL_NSECTIONS + 1] = {
    [DLG_CPL_SEC_STRINGS] = 1,
    [DLG_CPL_SEC_LISTS] = sizeof(uint32_t),
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

struct rd {
    const unsigned char *base;
    size_t len;
    const unsigned char *sec[DLG_CPL_NSECTIONS + 1];
    size_t cnt[DLG_CPL_NSECTIONS + 1];
    const char *str;            /* STRINGS */
    size_t nstr;
    const uint32_t *lists;      /* may be unaligned-safe: sections are 8-aligned */
    size_t nlists;
    size_t lists_used;          /* every list owns its range: sum <= nlists */
    size_t keys_used, cidrs_used;
    /* arena */
    unsigned char *arena;
    size_t arena_len, arena_off;
    char *why;
    size_t whylen;
};

#define FAIL(...) do { why_set(r->why, r->whylen, __VA_ARGS__); return -1; } while (0)

static void *carve(struct rd *r, size_t n, size_t size)
{
    size_t bytes = n * size, off = (r->arena_off + 7) & ~(size_t)7;

    if (n == 0)
        return NULL;
    if (off > r->arena_len || bytes > r->arena_len - off)
        return NULL;            /* cannot happen: the arena was sized first */
    r->arena_off = off + bytes;
    memset(r->arena + off, 0, bytes);
    return r->arena + off;
}

static int get_str(struct rd *r, uint32_t off, bool nullable, const char **out)
{
    if (off == DLG_CPL_NONE) {
        if (!nullable)
            FAIL("a required string is missing");
        *out = NULL;
        return 0;
    }
    if (off >= r->nstr)
        FAIL("string offset %u out of range", off);
    *out = r->str + off;
    return 0;
}

/* A string the config owns as char *: the const is the mapping's (read-only
 * pages; nothing writes through these pointers, dlg_config_free does not free
 * them). */
static int get_mstr(struct rd *r, uint32_t off, bool nullable, char **out)
{
    const char *s;

    if (get_str(r, off, nullable, &s) != 0)
        return -1;
    *out = (char *)(uintptr_t)s;
    return 0;
}

static int get_list(struct rd *r, const struct dlg_cpl_list *l, struct dlg_strv *out)
{
    out->v = NULL;
    out->n = 0;
    if (l->count == 0)
        return 0;
    if (l->first > r->nlists || l->count > r->nlists - l->first)
        FAIL("list out of range");
    if (l->count > r->nlists - r->lists_used)
        FAIL("lists overlap");
    r->lists_used += l->count;
    out->v = carve(r, l->count, sizeof(char *));
    if (out->v == NULL)
        FAIL("internal: arena");
    for (uint32_t i = 0; i < l->count; i++) {
        uint32_t so;
        memcpy(&so, r->lists + l->first + i, sizeof(so));
        if (get_mstr(r, so, false, &out->v[i]) != 0)
            return -1;
    }
    out->n = l->count;
    return 0;
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
        if (s.id != id || s.record_size != record_sizes[id])
            FAIL("section %u: wrong id or record size", id);
        if (s.offset % 8 != 0 || s.offset < table_off + table_len || s.offset > r->len)
            FAIL("section %u: bad offset", id);
        if (s.count > (r->len - s.offset) / s.record_size)
            FAIL("section %u: runs past the end of the file", id);
        size_t bytes = (size_t)s.count * s.record_size;
        bool skip = (flags & DLG_CPL_NO_TICKETS) && id == DLG_CPL_SEC_REVOKED;
        if (!skip && dlg_cpl_hash(r->base + s.offset, bytes) != s.hash)
            FAIL("section %u: checksum mismatch", id);
        r->sec[id] = r->base + s.offset;
        r->cnt[id] = (size_t)s.count;
    }
    if (r->cnt[DLG_CPL_SEC_STRINGS] == 0 || r->sec[DLG_CPL_SEC_STRINGS][r->cnt[DLG_CPL_SEC_STRINGS] - 1] != '\0')
        FAIL("string pool not terminated");
    if (r->cnt[DLG_CPL_SEC_GLOBAL] != 1)
        FAIL("no global record");
    r->str = (const char *)r->sec[DLG_CPL_SEC_STRINGS];
    r->nstr = r->cnt[DLG_CPL_SEC_STRINGS];
    r->lists = (const uint32_t *)(const void *)r->sec[DLG_CPL_SEC_LISTS];
    r->nlists = r->cnt[DLG_CPL_SEC_LISTS];
    return 0;
}

/* Bytes the materialized arrays need (upper bound; all counts are bounded
 * by the file's size, so this cannot overflow a 64-bit size_t). */
static size_t add_bytes(size_t n, size_t count, size_t size)
{
    return n + ((count * size + 7) & ~(size_t)7);
}

static size_t arena_size(const struct rd *r)
{
    size_t n = 0;

    n = add_bytes(n, r->nlists + 1, sizeof(char *));        /* every list, once */
    n = add_bytes(n, r->cnt[DLG_CPL_SEC_ISSUERS], sizeof(struct dlg_issuer));
    n = add_bytes(n, r->cnt[DLG_CPL_SEC_KEYS], sizeof(struct dlg_key));
    n = add_bytes(n, r->cnt[DLG_CPL_SEC_ACTORS], sizeof(struct dlg_actor));
    n = add_bytes(n, r->cnt[DLG_CPL_SEC_ACTORS], sizeof(struct dlg_actor *));
    n = add_bytes(n, r->cnt[DLG_CPL_SEC_CIDRS], sizeof(struct dlg_cidr));
    n = add_bytes(n, r->cnt[DLG_CPL_SEC_GROUPS], sizeof(struct dlg_group));
    n = add_bytes(n, r->cnt[DLG_CPL_SEC_GROUPS], sizeof(struct dlg_group *));
    n = add_bytes(n, r->cnt[DLG_CPL_SEC_SOURCES], sizeof(struct dlg_file_id));
    n = add_bytes(n, r->cnt[DLG_CPL_SEC_FEEDS], sizeof(struct dlg_feed));
    return n + 64;
}

static int load_global(struct rd *r, struct dlg_config *cfg)
{
    struct dlg_cpl_global g;

    memcpy(&g, r->sec[DLG_CPL_SEC_GLOBAL], sizeof(g));
    cfg->version = g.version;
    if (get_mstr(r, g.path, false, &cfg->path) != 0 || cfg->path[0] != '/' ||
        get_mstr(r, g.host_name, false, &cfg->host_name) != 0 ||
        get_mstr(r, g.prompt, false, &cfg->prompt) != 0 ||
        get_mstr(r, g.acc_group, false, &cfg->acc_group) != 0 ||
        get_mstr(r, g.acc_home, false, &cfg->acc_home) != 0 ||
        get_mstr(r, g.acc_shell, false, &cfg->acc_shell) != 0 ||
        get_mstr(r, g.audit_file, true, &cfg->audit_file) != 0 ||
        get_mstr(r, g.revoke_file, true, &cfg->revoke_file) != 0)
        FAIL("bad global strings");
    if (g.audit_syslog > 1 || g.has_issued_before > 1)
        FAIL("bad global flags");
    if (g.clock_skew < 0 || g.max_lifetime < 0 || g.uid_min > g.uid_max ||
        g.session_grace < 0 || g.session_grace > 3600)
        FAIL("bad global values");
    cfg->acc_gid = g.acc_gid;
    cfg->uid_min = g.uid_min;
    cfg->uid_max = g.uid_max;
    cfg->audit_syslog = g.audit_syslog != 0;
    cfg->has_issued_before = g.has_issued_before != 0;
    cfg->clock_skew = g.clock_skew;
    cfg->max_lifetime = g.max_lifetime;
    cfg->issued_before = g.issued_before;
    cfg->session_grace = g.session_grace;
    if (get_list(r, &g.host_aliases, &cfg->host_aliases) != 0 ||
        get_list(r, &g.revoked_actors, &cfg->revoked_actors) != 0 ||
        get_list(r, &g.revoked_principals, &cfg->revoked_principals) != 0 ||
        get_list(r, &g.revoked_issuers, &cfg->revoked_issuers) != 0 ||
        get_list(r, &g.revoked_keys, &cfg->revoked_keys) != 0)
        return -1;
    return 0;
}

static int load_sources(struct rd *r, struct dlg_config *cfg)
{
    size_t n = r->cnt[DLG_CPL_SEC_SOURCES];

    if (n == 0)
        FAIL("no source files recorded");
    cfg->files = carve(r, n, sizeof(*cfg->files));
    for (size_t i = 0; i < n; i++) {
        struct dlg_cpl_source s;
        struct dlg_file_id *f = &cfg->files[i];
        memcpy(&s, r->sec[DLG_CPL_SEC_SOURCES] + i * sizeof(s), sizeof(s));
        if (get_mstr(r, s.path, false, &f->path) != 0 || f->path[0] != '/')
            FAIL("bad source path");
        if ((s.flags & ~DLG_CPL_SOURCE_ABSENT) != 0 || (i == 0 && s.flags != 0))
            FAIL("bad source flags");
        f->absent = (s.flags & DLG_CPL_SOURCE_ABSENT) != 0;
        if (s.size < 0 || s.mtime_nsec < 0 || s.mtime_nsec > 999999999 || s.ctime_nsec < 0 ||
            s.ctime_nsec > 999999999)
            FAIL("bad source identity");
        f->dev = (dev_t)s.dev;
        f->ino = (ino_t)s.ino;
        f->size = (off_t)s.size;
        f->mtime.tv_sec = (time_t)s.mtime_sec;
        f->mtime.tv_nsec = (long)s.mtime_nsec;
        f->ctime.tv_sec = (time_t)s.ctime_sec;
        f->ctime.tv_nsec = (long)s.ctime_nsec;
    }
    cfg->nfiles = n;
    if (strcmp(cfg->files[0].path, cfg->path) != 0)
        FAIL("first source is not the main config");
    return 0;
}

static int load_issuers(struct rd *r, struct dlg_config *cfg)
{
    size_t n = r->cnt[DLG_CPL_SEC_ISSUERS], nk = r->cnt[DLG_CPL_SEC_KEYS];

    cfg->issuers = carve(r, n, sizeof(*cfg->issuers));
    for (size_t i = 0; i < n; i++) {
        struct dlg_cpl_issuer s;
        struct dlg_issuer *is = &cfg->issuers[i];
        memcpy(&s, r->sec[DLG_CPL_SEC_ISSUERS] + i * sizeof(s), sizeof(s));
        if (get_mstr(r, s.id, false, &is->id) != 0 || get_mstr(r, s.typ, false, &is->typ) != 0)
            return -1;
        if (i > 0 && strcmp(cfg->issuers[i - 1].id, is->id) >= 0)
            FAIL("issuers not sorted");
        if (get_list(r, &s.algorithms, &is->algorithms) != 0 ||
            get_list(r, &s.principals, &is->principals) != 0)
            return -1;
        if (s.nkeys == 0 || s.key_first > nk || s.nkeys > nk - s.key_first ||
            s.nkeys > nk - r->keys_used)
            FAIL("issuer keys out of range");
        r->keys_used += s.nkeys;
        is->keys = carve(r, s.nkeys, sizeof(*is->keys));
        for (uint32_t k = 0; k < s.nkeys; k++) {
            struct dlg_cpl_key ck;
            struct dlg_key *key = &is->keys[k];
            memcpy(&ck, r->sec[DLG_CPL_SEC_KEYS] + ((size_t)s.key_first + k) * sizeof(ck), sizeof(ck));
            if (get_mstr(r, ck.kid, true, &key->kid) != 0 ||
                get_mstr(r, ck.file, false, &key->file) != 0 || key->file[0] != '/' ||
                get_str(r, ck.src_file, true, &key->src_file) != 0)
                FAIL("bad key record");
            key->line = ck.line;
        }
        is->nkeys = s.nkeys;
    }
    cfg->nissuers = n;
    return 0;
}

/* One actor record into *a (lists and sources carved from r's arena).
 * check_overlap: count its lists against the whole LISTS section (a full
 * load, where every list must own its range); a single lazy lookup needs no
 * such global bound (its arena is sized for this actor alone). */
static int load_one_actor(struct rd *r, const struct dlg_cpl_actor *s, struct dlg_actor *a)
{
    size_t nc = r->cnt[DLG_CPL_SEC_CIDRS];

    if (get_mstr(r, s->name, false, &a->name) != 0 ||
        get_mstr(r, s->comment, false, &a->comment) != 0 ||
        get_mstr(r, s->home, false, &a->home) != 0 ||
        get_mstr(r, s->shell, false, &a->shell) != 0)
        return -1;
    if (s->flags & ~(uint32_t)(DLG_CPL_ACTOR_HAS_SOURCES | DLG_CPL_ACTOR_HAS_RUNAS |
                               DLG_CPL_ACTOR_REVOKED | DLG_CPL_ACTOR_KEY_REQUIRED))
        FAIL("unknown actor flags");
    if (s->max_lifetime < 0 || s->approvals < 0)
        FAIL("bad actor values");
    a->uid = s->uid;
    a->has_sources = (s->flags & DLG_CPL_ACTOR_HAS_SOURCES) != 0;
    a->has_runas = (s->flags & DLG_CPL_ACTOR_HAS_RUNAS) != 0;
    a->revoked = (s->flags & DLG_CPL_ACTOR_REVOKED) != 0;
    a->key_required = (s->flags & DLG_CPL_ACTOR_KEY_REQUIRED) != 0;
    a->max_lifetime = s->max_lifetime;
    a->approvals = s->approvals;
    if (get_list(r, &s->groups, &a->groups) != 0 ||
        get_list(r, &s->principals, &a->principals) != 0 ||
        get_list(r, &s->services, &a->services) != 0 ||
        get_list(r, &s->runas, &a->runas) != 0)
        return -1;
    if (s->cidr_first > nc || s->ncidrs > nc - s->cidr_first || s->ncidrs > nc - r->cidrs_used)
        FAIL("actor sources out of range");
    r->cidrs_used += s->ncidrs;
    a->sources = carve(r, s->ncidrs, sizeof(*a->sources));
    for (uint32_t k = 0; k < s->ncidrs; k++) {
        struct dlg_cpl_cidr cc;
        memcpy(&cc, r->sec[DLG_CPL_SEC_CIDRS] + ((size_t)s->cidr_first + k) * sizeof(cc),
               sizeof(cc));
        if ((cc.family != 2 /* AF_INET */ || cc.prefix > 32) &&
            (cc.family != 10 /* AF_INET6 */ || cc.prefix > 128))
            FAIL("bad cidr");
        a->sources[k].family = (int)cc.family;
        a->sources[k].prefix = cc.prefix;
        memcpy(a->sources[k].addr, cc.addr, sizeof(cc.addr));
    }
    a->nsources = s->ncidrs;
    return 0;
}

static void actor_rec(const struct rd *r, size_t i, struct dlg_cpl_actor *s)
{
    memcpy(s, r->sec[DLG_CPL_SEC_ACTORS] + i * sizeof(*s), sizeof(*s));
}

static int load_actors(struct rd *r, struct dlg_config *cfg)
{
    size_t n = r->cnt[DLG_CPL_SEC_ACTORS];

    if (r->cnt[DLG_CPL_SEC_ACTORS_BY_UID] != n)
        FAIL("uid index size mismatch");
    cfg->actors = carve(r, n, sizeof(*cfg->actors));
    for (size_t i = 0; i < n; i++) {
        struct dlg_cpl_actor s;
        actor_rec(r, i, &s);
        if (load_one_actor(r, &s, &cfg->actors[i]) != 0)
            return -1;
        if (i > 0 && strcmp(cfg->actors[i - 1].name, cfg->actors[i].name) >= 0)
            FAIL("actors not sorted");
    }
    cfg->nactors = n;
    if (n > 0) {
        cfg->actors_by_uid = carve(r, n, sizeof(*cfg->actors_by_uid));
        for (size_t i = 0; i < n; i++) {
            uint32_t ix;
            memcpy(&ix, r->sec[DLG_CPL_SEC_ACTORS_BY_UID] + i * sizeof(ix), sizeof(ix));
            if (ix >= n)
                FAIL("uid index out of range");
            cfg->actors_by_uid[i] = &cfg->actors[ix];
            if (i > 0 && cfg->actors_by_uid[i - 1]->uid >= cfg->actors_by_uid[i]->uid)
                FAIL("uid index not sorted");
        }
    }
    return 0;
}

/* DLG_CPL_LAZY_ACTORS: every actor record checked (offsets, lists, sources,
 * flags, the uid index) without materializing any, so that a later lookup
 * cannot meet a bad record.  The name order, like the revoked ids', is the
 * writer's, covered by the section's checksum. */
static int check_actors(struct rd *r)
{
    size_t n = r->cnt[DLG_CPL_SEC_ACTORS], nc = r->cnt[DLG_CPL_SEC_CIDRS];
    const struct dlg_cpl_list *ls[4];
    struct dlg_cpl_actor s;
    uint32_t prev_uid = 0;

    if (r->cnt[DLG_CPL_SEC_ACTORS_BY_UID] != n)
        FAIL("uid index size mismatch");
    for (size_t i = 0; i < n; i++) {
        actor_rec(r, i, &s);
        if (s.name >= r->nstr || s.comment >= r->nstr || s.home >= r->nstr || s.shell >= r->nstr)
            FAIL("actor string offset out of range");
        if (s.flags & ~(uint32_t)(DLG_CPL_ACTOR_HAS_SOURCES | DLG_CPL_ACTOR_HAS_RUNAS |
                                  DLG_CPL_ACTOR_REVOKED | DLG_CPL_ACTOR_KEY_REQUIRED))
            FAIL("unknown actor flags");
        if (s.max_lifetime < 0 || s.approvals < 0)
            FAIL("bad actor values");
        ls[0] = &s.groups;
        ls[1] = &s.principals;
        ls[2] = &s.services;
        ls[3] = &s.runas;
        if ((size_t)ls[0]->count + ls[1]->count + ls[2]->count + ls[3]->count > r->nlists)
            FAIL("actor lists larger than the list table");
        for (int k = 0; k < 4; k++) {
            if (ls[k]->count == 0)
                continue;       /* as get_list: an empty list's first is not used */
            if (ls[k]->first > r->nlists || ls[k]->count > r->nlists - ls[k]->first)
                FAIL("list out of range");
            for (uint32_t j = 0; j < ls[k]->count; j++) {
                uint32_t so;
                memcpy(&so, r->lists + ls[k]->first + j, sizeof(so));
                if (so >= r->nstr)
                    FAIL("string offset %u out of range", so);
            }
        }
        if (s.cidr_first > nc || s.ncidrs > nc - s.cidr_first)
            FAIL("actor sources out of range");
        for (uint32_t k = 0; k < s.ncidrs; k++) {
            struct dlg_cpl_cidr cc;
            memcpy(&cc, r->sec[DLG_CPL_SEC_CIDRS] + ((size_t)s.cidr_first + k) * sizeof(cc),
                   sizeof(cc));
            if ((cc.family != 2 || cc.prefix > 32) && (cc.family != 10 || cc.prefix > 128))
                FAIL("bad cidr");
        }
    }
    for (size_t i = 0; i < n; i++) {
        uint32_t ix;
        memcpy(&ix, r->sec[DLG_CPL_SEC_ACTORS_BY_UID] + i * sizeof(ix), sizeof(ix));
        if (ix >= n)
            FAIL("uid index out of range");
        actor_rec(r, ix, &s);
        if (i > 0 && s.uid <= prev_uid)
            FAIL("uid index not sorted");
        prev_uid = s.uid;
    }
    return 0;
}

/* The materialized actor of record index (cached), or NULL (no memory). */
static const struct dlg_actor *lazy_get(struct dlg_cpl_hold *hold, size_t index)
{
    struct lazy_actor *la;
    struct dlg_cpl_actor s;
    struct rd rd;
    char why[8];

    pthread_mutex_lock(&hold->lock);
    for (la = hold->cache; la != NULL; la = la->next)
        if (la->index == index)
            goto out;
    memset(&rd, 0, sizeof(rd));
    memcpy(rd.sec, hold->sec, sizeof(rd.sec));
    memcpy(rd.cnt, hold->cnt, sizeof(rd.cnt));
    rd.str = (const char *)rd.sec[DLG_CPL_SEC_STRINGS];
    rd.nstr = rd.cnt[DLG_CPL_SEC_STRINGS];
    rd.lists = (const uint32_t *)(const void *)rd.sec[DLG_CPL_SEC_LISTS];
    rd.nlists = rd.cnt[DLG_CPL_SEC_LISTS];
    rd.why = why;
    rd.whylen = sizeof(why);
    actor_rec(&rd, index, &s);
    rd.arena_len = ((size_t)s.groups.count + s.principals.count + s.services.count +
                    s.runas.count) * sizeof(char *) + (size_t)s.ncidrs * sizeof(struct dlg_cidr) + 64;
    la = calloc(1, sizeof(*la));
    rd.arena = malloc(rd.arena_len);
    if (la == NULL || rd.arena == NULL || load_one_actor(&rd, &s, &la->a) != 0) {
        free(rd.arena);
        free(la);
        la = NULL;
        goto out;
    }
    la->index = index;
    la->arena = rd.arena;
    la->next = hold->cache;
    hold->cache = la;
out:
    pthread_mutex_unlock(&hold->lock);
    return la != NULL ? &la->a : NULL;
}

bool dlg_compiled_lazy(const struct dlg_config *cfg)
{
    return cfg != NULL && cfg->compiled != NULL && ((const struct dlg_cpl_hold *)cfg->compiled)->lazy;
}

const struct dlg_actor *dlg_compiled_actor(const struct dlg_config *cfg, const char *name)
{
    struct dlg_cpl_hold *hold;
    size_t lo = 0, hi;
    const char *pool;

    if (!dlg_compiled_lazy(cfg) || name == NULL)
        return NULL;
    hold = cfg->compiled;
    pool = (const char *)hold->sec[DLG_CPL_SEC_STRINGS];
    hi = hold->cnt[DLG_CPL_SEC_ACTORS];
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        struct dlg_cpl_actor s;
        memcpy(&s, hold->sec[DLG_CPL_SEC_ACTORS] + mid * sizeof(s), sizeof(s));
        int c = strcmp(name, pool + s.name);     /* s.name checked by check_actors */
        if (c == 0)
            return lazy_get(hold, mid);
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return NULL;
}

const struct dlg_actor *dlg_compiled_actor_by_uid(const struct dlg_config *cfg, uid_t uid)
{
    struct dlg_cpl_hold *hold;
    size_t lo = 0, hi;

    if (!dlg_compiled_lazy(cfg))
        return NULL;
    hold = cfg->compiled;
    hi = hold->cnt[DLG_CPL_SEC_ACTORS_BY_UID];
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        uint32_t ix;
        struct dlg_cpl_actor s;
        memcpy(&ix, hold->sec[DLG_CPL_SEC_ACTORS_BY_UID] + mid * sizeof(ix), sizeof(ix));
        memcpy(&s, hold->sec[DLG_CPL_SEC_ACTORS] + (size_t)ix * sizeof(s), sizeof(s));
        if (s.uid == uid)
            return lazy_get(hold, ix);
        if (uid < s.uid)
            hi = mid;
        else
            lo = mid + 1;
    }
    return NULL;
}

static int load_groups(struct rd *r, struct dlg_config *cfg)
{
    size_t n = r->cnt[DLG_CPL_SEC_GROUPS];

    if (r->cnt[DLG_CPL_SEC_GROUPS_BY_GID] != n)
        FAIL("gid index size mismatch");
    cfg->groups = carve(r, n, sizeof(*cfg->groups));
    for (size_t i = 0; i < n; i++) {
        struct dlg_cpl_group s;
        struct dlg_group *g = &cfg->groups[i];
        memcpy(&s, r->sec[DLG_CPL_SEC_GROUPS] + i * sizeof(s), sizeof(s));
        if (get_mstr(r, s.name, false, &g->name) != 0)
            return -1;
        if (i > 0 && strcmp(cfg->groups[i - 1].name, g->name) >= 0)
            FAIL("groups not sorted");
        g->gid = s.gid;
        if (get_list(r, &s.members, &g->members) != 0)
            return -1;
    }
    cfg->ngroups = n;
    if (n > 0) {
        cfg->groups_by_gid = carve(r, n, sizeof(*cfg->groups_by_gid));
        for (size_t i = 0; i < n; i++) {
            uint32_t ix;
            memcpy(&ix, r->sec[DLG_CPL_SEC_GROUPS_BY_GID] + i * sizeof(ix), sizeof(ix));
            if (ix >= n)
                FAIL("gid index out of range");
            cfg->groups_by_gid[i] = &cfg->groups[ix];
            if (i > 0 && cfg->groups_by_gid[i - 1]->gid >= cfg->groups_by_gid[i]->gid)
                FAIL("gid index not sorted");
        }
    }
    return 0;
}

static int load_feeds(struct rd *r, struct dlg_config *cfg)
{
    size_t n = r->cnt[DLG_CPL_SEC_FEEDS];

    cfg->feeds = carve(r, n, sizeof(*cfg->feeds));
    for (size_t i = 0; i < n; i++) {
        struct dlg_cpl_feed s;
        struct dlg_feed *f = &cfg->feeds[i];
        memcpy(&s, r->sec[DLG_CPL_SEC_FEEDS] + i * sizeof(s), sizeof(s));
        if (get_mstr(r, s.id, false, &f->id) != 0 || get_mstr(r, s.key, false, &f->key) != 0 ||
            get_mstr(r, s.url, true, &f->url) != 0 || get_mstr(r, s.file, true, &f->file) != 0 ||
            get_mstr(r, s.ca, true, &f->ca) != 0)
            FAIL("bad feed strings");
        if ((f->url == NULL) == (f->file == NULL) || f->key[0] != '/')
            FAIL("bad feed source");
        if ((s.flags & ~(DLG_CPL_FEED_ON_STALE_END | DLG_CPL_FEED_FETCHED)) != 0 ||
            s.refresh < 1 || s.ver < 0 || s.iat < 0 ||
            ((s.flags & DLG_CPL_FEED_FETCHED) ? (s.ver < 1 || s.exp <= s.iat)
                                              : (s.ver != 0 || s.iat != 0 || s.exp != 0)))
            FAIL("bad feed values");
        f->refresh = s.refresh;
        f->on_stale_end = (s.flags & DLG_CPL_FEED_ON_STALE_END) != 0;
        f->fetched = (s.flags & DLG_CPL_FEED_FETCHED) != 0;
        f->ver = s.ver;
        f->iat = s.iat;
        f->exp = s.exp;
    }
    cfg->nfeeds = n;
    return 0;
}

static uint64_t rd_u64(const unsigned char *p)
{
    uint64_t v;
    memcpy(&v, p, sizeof(v));
    return v;
}

/* The table is sorted (the binary search's premise): checked here, one
 * compare an id. */
static int load_revoked(struct rd *r, struct dlg_cpl_hold *hold)
{
    size_t n = r->cnt[DLG_CPL_SEC_REVOKED];
    const unsigned char *p = r->sec[DLG_CPL_SEC_REVOKED];

    for (size_t i = 1; i < n; i++)
        if (rd_u64(p + (i - 1) * 8) > rd_u64(p + i * 8))
            FAIL("revoked ids not sorted");
    hold->rev = p;
    hold->nrev = n;
    return 0;
}

uint64_t dlg_cpl_id_hash(const char *id)
{
    return dlg_cpl_hash(id, strlen(id));
}

bool dlg_compiled_ticket_revoked(const struct dlg_config *cfg, const char *jti)
{
    const struct dlg_cpl_hold *hold;
    uint64_t h;
    size_t lo = 0, hi;

    if (cfg == NULL || jti == NULL || cfg->compiled == NULL)
        return false;
    hold = cfg->compiled;
    h = dlg_cpl_id_hash(jti);
    hi = hold->nrev;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        uint64_t v = rd_u64(hold->rev + mid * 8);
        if (v == h)
            return true;
        if (v < h)
            lo = mid + 1;
        else
            hi = mid;
    }
    return false;
}

size_t dlg_compiled_nrevoked(const struct dlg_config *cfg)
{
    return cfg != NULL && cfg->compiled != NULL ? ((const struct dlg_cpl_hold *)cfg->compiled)->nrev
                                                : 0;
}

struct dlg_config *dlg_compiled_parse(const void *buf, size_t len, unsigned flags,
                                      int64_t *compiled_at_ns, char *why, size_t whylen)
{
    struct rd rd = {.base = buf, .len = len, .why = why, .whylen = whylen}, *r = &rd;
    struct dlg_cpl_header h;
    struct dlg_config *cfg = NULL;
    struct dlg_cpl_hold *hold = NULL;
    uint64_t want;

    why_set(why, whylen, "unknown error");
    if (buf == NULL || len < sizeof(h)) {
        why_set(why, whylen, "truncated header");
        return NULL;
    }
    if (len > DLG_CPL_MAX_BYTES) {
        why_set(why, whylen, "too large");
        return NULL;
    }
    memcpy(&h, buf, sizeof(h));
    want = h.header_hash;
    h.header_hash = 0;
    if (memcmp(h.magic, DLG_CPL_MAGIC, sizeof(h.magic)) != 0 || h.version != DLG_CPL_VERSION ||
        h.header_size != sizeof(h)) {
        why_set(why, whylen, "not a compiled policy of version %u", DLG_CPL_VERSION);
        return NULL;
    }
    if (dlg_cpl_hash(&h, sizeof(h)) != want) {
        why_set(why, whylen, "header checksum mismatch");
        return NULL;
    }
    if (h.file_size != len) {
        why_set(why, whylen, "size %zu, header says %llu", len, (unsigned long long)h.file_size);
        return NULL;
    }
    if (h.trusted != 1) {
        why_set(why, whylen, "sources not recorded as trusted");
        return NULL;
    }
    if (check_sections(r, &h, flags) != 0)
        return NULL;

    cfg = calloc(1, sizeof(*cfg));
    hold = calloc(1, sizeof(*hold));
    r->arena_len = arena_size(r);
    r->arena = malloc(r->arena_len);
    if (cfg == NULL || hold == NULL || r->arena == NULL) {
        why_set(why, whylen, "out of memory");
        goto fail;
    }
    hold->arena = r->arena;
    pthread_mutex_init(&hold->lock, NULL);
    if (flags & DLG_CPL_LAZY_ACTORS) {
        hold->lazy = true;
        memcpy(hold->sec, r->sec, sizeof(hold->sec));
        memcpy(hold->cnt, r->cnt, sizeof(hold->cnt));
    }
    cfg->compiled = hold;
    if (load_global(r, cfg) != 0 || load_sources(r, cfg) != 0 || load_issuers(r, cfg) != 0 ||
        ((flags & DLG_CPL_LAZY_ACTORS) ? check_actors(r) : load_actors(r, cfg)) != 0 ||
        load_groups(r, cfg) != 0 || load_feeds(r, cfg) != 0 ||
        (!(flags & DLG_CPL_NO_TICKETS) && load_revoked(r, hold) != 0))
        goto fail;
    if (compiled_at_ns != NULL)
        *compiled_at_ns = h.compiled_at_ns;
    return cfg;
fail:
    free(r->arena);
    free(hold);
    free(cfg);
    return NULL;
}

void dlg_compiled_release(struct dlg_config *cfg)
{
    struct dlg_cpl_hold *hold;

    if (cfg == NULL)
        return;
    hold = cfg->compiled;
    if (hold != NULL) {
        while (hold->cache != NULL) {
            struct lazy_actor *la = hold->cache;
            hold->cache = la->next;
            free(la->arena);
            free(la);
        }
        pthread_mutex_destroy(&hold->lock);
        if (hold->map != NULL)
            munmap(hold->map, hold->maplen);
        free(hold->arena);
        free(hold);
    }
    free(cfg);
}

/* ---- freshness --------------------------------------------------------- */

static int64_t ts_ns(const struct timespec *t)
{
    return (int64_t)t->tv_sec * 1000000000 + t->tv_nsec;
}

static bool same_id(const struct dlg_file_id *f, const struct stat *st)
{
    return f->dev == st->st_dev && f->ino == st->st_ino && f->size == st->st_size &&
           f->mtime.tv_sec == st->st_mtim.tv_sec && f->mtime.tv_nsec == st->st_mtim.tv_nsec &&
           f->ctime.tv_sec == st->st_ctim.tv_sec && f->ctime.tv_nsec == st->st_ctim.tv_nsec;
}

static bool racy(const struct dlg_file_id *f, int64_t at)
{
    int64_t gran = (f->mtime.tv_nsec == 0 && f->ctime.tv_nsec == 0) ? DLG_CPL_GRAN_COARSE_NS
                                                                     : DLG_CPL_GRAN_FINE_NS;
    return ts_ns(&f->mtime) >= at - gran || ts_ns(&f->ctime) >= at - gran;
}

struct dlg_config *dlg_compiled_load(const char *cpath, const char *config_path, unsigned flags,
                                     char *why, size_t whylen)
{
    char err[256];
    struct stat st;
    struct dlg_config *cfg = NULL;
    void *map = MAP_FAILED;
    size_t len = 0;
    int64_t at = 0;
    int fd;

    if (cpath == NULL || config_path == NULL) {
        why_set(why, whylen, "no path");
        return NULL;
    }
    fd = dlg_open_trusted(cpath, &st, err, sizeof(err));
    if (fd < 0) {
        why_set(why, whylen, "%s", err);
        return NULL;
    }
    if (st.st_size < (off_t)sizeof(struct dlg_cpl_header) || (size_t)st.st_size > DLG_CPL_MAX_BYTES) {
        why_set(why, whylen, "%s: bad size", cpath);
        close(fd);
        return NULL;
    }
    len = (size_t)st.st_size;
    map = mmap(NULL, len, PROT_READ, MAP_PRIVATE | ((flags & DLG_CPL_NO_TICKETS) ? 0 : MAP_POPULATE),
               fd, 0);
    close(fd);
    if (map == MAP_FAILED) {
        why_set(why, whylen, "%s: mmap: %s", cpath, strerror(errno));
        return NULL;
    }
    cfg = dlg_compiled_parse(map, len, flags, &at, why, whylen);
    if (cfg == NULL) {
        munmap(map, len);
        return NULL;
    }
    ((struct dlg_cpl_hold *)cfg->compiled)->map = map;
    ((struct dlg_cpl_hold *)cfg->compiled)->maplen = len;
    if (strcmp(cfg->path, config_path) != 0) {
        why_set(why, whylen, "compiled from %s, not %s", cfg->path, config_path);
        goto stale;
    }
    for (size_t i = 0; i < cfg->nfiles; i++) {
        const struct dlg_file_id *f = &cfg->files[i];

        if (f->absent) {
            /* read as absent (a feed never fetched): fresh while it is */
            if (lstat(f->path, &st) == 0 || (errno != ENOENT && errno != ENOTDIR)) {
                why_set(why, whylen, "%s: appeared since it was compiled", f->path);
                goto stale;
            }
            continue;
        }
        if (racy(f, at)) {
            why_set(why, whylen, "%s: changed too close to the compile time (racily clean)", f->path);
            goto stale;
        }
        /* The trust walk of the text loader (without the open), then the
         * identity. */
        if (dlg_stat_trusted(f->path, &st, err, sizeof(err)) != 0) {
            why_set(why, whylen, "%s", err);
            goto stale;
        }
        if (!same_id(f, &st)) {
            why_set(why, whylen, "%s: changed since it was compiled", f->path);
            goto stale;
        }
    }
    return cfg;
stale:
    dlg_config_free(cfg);
    return NULL;
}
