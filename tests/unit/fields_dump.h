/* A dump of a config made from its field lists (config_record.h), for the
 * round-trip tests: every carried field of every record, so a field that a
 * loader drops shows as a difference.  Also a check that the test config
 * gives every carried field of a record a value that is not zero/empty (a
 * dropped field reads as zero), so that a field added to a list fails the
 * round trip until the test config sets it.  Header-only. */
#ifndef FIELDS_DUMP_H
#define FIELDS_DUMP_H

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config_record.h"

struct fd_buf {
    char *p;
    size_t n, cap;
};

static void fd_printf(struct fd_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fd_printf(struct fd_buf *b, const char *fmt, ...)
{
    va_list ap;
    int k;

    va_start(ap, fmt);
    k = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (k < 0)
        abort();
    if (b->n + (size_t)k + 1 > b->cap) {
        b->cap = (b->n + (size_t)k + 1) * 2;
        b->p = realloc(b->p, b->cap);
        if (b->p == NULL)
            abort();
    }
    va_start(ap, fmt);
    vsnprintf(b->p + b->n, b->cap - b->n, fmt, ap);
    va_end(ap);
    b->n += (size_t)k;
}

static void fd_record(struct fd_buf *b, const struct dlg_record_type *rt, const void *obj, int depth);

static void fd_field(struct fd_buf *b, const struct dlg_field *f, const unsigned char *base, int depth)
{
    const void *m = base + f->off;
    size_t cnt = f->count_off ? *(const size_t *)(const void *)(base + f->count_off) : 0;

    fd_printf(b, "%*s%s=", depth * 2, "", f->name);
    switch (f->kind) {
    case DLG_FK_STR: case DLG_FK_OSTR: case DLG_FK_PATH: case DLG_FK_CSTR: {
        const char *s = *(const char *const *)m;
        fd_printf(b, "%s\n", s != NULL ? s : "(null)");
        return;
    }
    case DLG_FK_STRV: {
        const struct dlg_strv *sv = m;
        for (size_t i = 0; i < sv->n; i++)
            fd_printf(b, "%s,", sv->v[i]);
        fd_printf(b, "\n");
        return;
    }
    case DLG_FK_BOOL: fd_printf(b, "%d\n", *(const bool *)m); return;
    case DLG_FK_U32: fd_printf(b, "%" PRIu32 "\n", *(const uint32_t *)m); return;
    case DLG_FK_I32: fd_printf(b, "%d\n", *(const int *)m); return;
    case DLG_FK_I64: fd_printf(b, "%" PRId64 "\n", *(const int64_t *)m); return;
    case DLG_FK_U64: fd_printf(b, "%" PRIu64 "\n", *(const uint64_t *)m); return;
    case DLG_FK_TS: {
        const struct timespec *t = m;
        fd_printf(b, "%jd.%09ld\n", (intmax_t)t->tv_sec, t->tv_nsec);
        return;
    }
    case DLG_FK_CIDRS: {
        const struct dlg_cidr *c = *(const struct dlg_cidr *const *)m;
        for (size_t i = 0; i < cnt; i++) {
            fd_printf(b, "%d/%u:", c[i].family, c[i].prefix);
            for (size_t j = 0; j < 16; j++)
                fd_printf(b, "%02x", c[i].addr[j]);
            fd_printf(b, ",");
        }
        fd_printf(b, "\n");
        return;
    }
    case DLG_FK_KEYS: {
        const struct dlg_key *k = *(const struct dlg_key *const *)m;
        fd_printf(b, "%zu\n", cnt);
        for (size_t i = 0; i < cnt; i++)
            fd_record(b, &dlg_rt_key, &k[i], depth + 1);
        return;
    }
    default:
        fd_printf(b, "(not carried)\n");
        return;
    }
}

static void fd_record(struct fd_buf *b, const struct dlg_record_type *rt, const void *obj, int depth)
{
    for (size_t i = 0; i < rt->nfields; i++)
        if (dlg_field_carried(rt->fields[i].kind))
            fd_field(b, &rt->fields[i], obj, depth);
}

/* Every carried field of every table, in table order; revoked ids with
 * their until when tickets. */
static char *fd_dump(const struct dlg_config *c, bool actors, bool tickets)
{
    struct fd_buf b = { 0 };

    fd_record(&b, &dlg_rt_config, c, 0);
    fd_printf(&b, "host_name=%s\n", c->host_name);
    for (size_t i = 0; i < c->nfiles; i++)
        fd_record(&b, &dlg_rt_file, &c->files[i], 1);
    for (size_t i = 0; i < c->nissuers; i++)
        fd_record(&b, &dlg_rt_issuer, &c->issuers[i], 1);
    for (size_t i = 0; actors && i < c->nactors; i++)
        fd_record(&b, &dlg_rt_actor, &c->actors[i], 1);
    for (size_t i = 0; actors && i < c->nactors; i++)
        fd_printf(&b, "by-uid %s\n", c->actors_by_uid[i]->name);
    for (size_t i = 0; i < c->ngroups; i++)
        fd_record(&b, &dlg_rt_group, &c->groups[i], 1);
    for (size_t i = 0; i < c->ngroups; i++)
        fd_printf(&b, "by-gid %s\n", c->groups_by_gid[i]->name);
    for (size_t i = 0; i < c->nfeeds; i++)
        fd_record(&b, &dlg_rt_feed, &c->feeds[i], 1);
    for (size_t i = 0; tickets && i < c->revoked_tickets.n; i++)
        fd_printf(&b, "revoked %s %" PRId64 "\n", dlg_revoked_id(&c->revoked_tickets, i),
                  c->revoked_tickets.v[i].until);
    return b.p;
}

/* Whether the carried field f of the record at base is set: not zero, NULL
 * or empty (CSTR and OSTR included). */
static inline bool fd_field_set(const struct dlg_field *f, const unsigned char *base)
{
    const unsigned char *m = base + f->off;
    bool set = false;

    switch (f->kind) {
    case DLG_FK_STR: case DLG_FK_OSTR: case DLG_FK_PATH: case DLG_FK_CSTR:
        set = *(const char *const *)(const void *)m != NULL && **(const char *const *)(const void *)m != '\0';
        break;
    case DLG_FK_STRV:
        set = ((const struct dlg_strv *)(const void *)m)->n > 0;
        break;
    case DLG_FK_CIDRS: case DLG_FK_KEYS:
        set = *(const size_t *)(const void *)(base + f->count_off) > 0;
        break;
    default:
        for (size_t k = 0; k < f->size; k++)
            set = set || m[k] != 0;
        break;
    }
    return set;
}

/* The name of the first carried field of obj that is not set, or NULL when
 * every one is. */
static inline const char *fd_first_unset(const struct dlg_record_type *rt, const void *obj)
{
    for (size_t i = 0; i < rt->nfields; i++)
        if (dlg_field_carried(rt->fields[i].kind) && !fd_field_set(&rt->fields[i], obj))
            return rt->fields[i].name;
    return NULL;
}

/* The first carried field that none of the n records (stride bytes apart)
 * sets, or NULL: for tables whose records each set only some fields (a
 * file read as absent, a feed with a url or a file). */
static inline const char *fd_unset_in_all(const struct dlg_record_type *rt, const void *first, size_t n,
                                   size_t stride)
{
    for (size_t i = 0; i < rt->nfields; i++) {
        bool set = false;
        if (!dlg_field_carried(rt->fields[i].kind))
            continue;
        for (size_t k = 0; k < n && !set; k++)
            set = fd_field_set(&rt->fields[i], (const unsigned char *)first + k * stride);
        if (!set)
            return rt->fields[i].name;
    }
    return NULL;
}

#endif

