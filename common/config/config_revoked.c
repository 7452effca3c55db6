/* Sets of revoked ticket ids (config.h, struct dlg_revoked_set). */
#include "config/config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* FNV-1a, 64 bits: only orders the table (hits are confirmed by the id). */
uint64_t dlg_revoked_hash(const char *id)
{
    uint64_t h = UINT64_C(14695981039346656037);

    for (const unsigned char *p = (const unsigned char *)id; *p != '\0'; p++)
        h = (h ^ *p) * UINT64_C(1099511628211);
    return h;
}

const char *dlg_revoked_id(const struct dlg_revoked_set *s, size_t i)
{
    return s->pool + s->v[i].id;
}

static int cmp_rec(const struct dlg_revoked_set *s, const struct dlg_revoked_rec *a,
                   const struct dlg_revoked_rec *b)
{
    if (a->hash != b->hash)
        return a->hash < b->hash ? -1 : 1;
    return strcmp(s->pool + a->id, s->pool + b->id);
}

const struct dlg_revoked_rec *dlg_revoked_find(const struct dlg_revoked_set *s, const char *id)
{
    uint64_t h;
    size_t lo = 0, hi;

    if (s == NULL || id == NULL || s->n == 0)
        return NULL;
    h = dlg_revoked_hash(id);
    hi = s->n;
    /* the first record with this hash, then every record that shares it */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (s->v[mid].hash < h)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (; lo < s->n && s->v[lo].hash == h; lo++)
        if (strcmp(s->pool + s->v[lo].id, id) == 0)
            return &s->v[lo];
    return NULL;
}

bool dlg_revoked_set_valid(const struct dlg_revoked_set *s)
{
    if (s->n == 0)
        return true;
    if (s->pool == NULL || s->pool_len == 0 || s->pool[s->pool_len - 1] != '\0')
        return false;
    for (size_t i = 0; i < s->n; i++) {
        if (s->v[i].id >= s->pool_len || s->v[i].reserved != 0)
            return false;
        /* equal hashes are rare: only then are the ids compared */
        if (i > 0 && (s->v[i - 1].hash > s->v[i].hash ||
                      (s->v[i - 1].hash == s->v[i].hash && cmp_rec(s, &s->v[i - 1], &s->v[i]) >= 0)))
            return false;
    }
    return true;
}

struct build {
    const char *id;
    uint64_t hash;
    int64_t until;
};

static int cmp_build(const void *a, const void *b)
{
    const struct build *x = a, *y = b;

    if (x->hash != y->hash)
        return x->hash < y->hash ? -1 : 1;
    return strcmp(x->id, y->id);
}

int dlg_revoked_set_build(struct dlg_revoked_set *s, void **mem, const char *const *ids,
                          const int64_t *untils, size_t n)
{
    struct build *b = NULL;
    struct dlg_revoked_rec *recs;
    size_t pool_len = 0, w = 0, off = 0;
    char *pool;

    memset(s, 0, sizeof(*s));
    *mem = NULL;
    if (n == 0)
        return 0;
    b = calloc(n, sizeof(*b));
    if (b == NULL)
        return -1;
    for (size_t i = 0; i < n; i++) {
        b[i].id = ids[i];
        b[i].hash = dlg_revoked_hash(ids[i]);
        b[i].until = untils != NULL ? untils[i] : 0;
    }
    qsort(b, n, sizeof(*b), cmp_build);
    /* the same id twice is harmless: keep one, with the later until (none
     * given, 0, beats any) */
    for (size_t r = 0; r < n; r++) {
        if (w > 0 && strcmp(b[w - 1].id, b[r].id) == 0) {
            if (b[w - 1].until != 0 && (b[r].until == 0 || b[r].until > b[w - 1].until))
                b[w - 1].until = b[r].until;
            continue;
        }
        b[w++] = b[r];
    }
    for (size_t i = 0; i < w; i++)
        pool_len += strlen(b[i].id) + 1;
    if (pool_len > UINT32_MAX) {
        free(b);
        errno = E2BIG;
        return -1;
    }
    recs = malloc(w * sizeof(*recs) + pool_len);
    if (recs == NULL) {
        free(b);
        return -1;
    }
    pool = (char *)(recs + w);
    for (size_t i = 0; i < w; i++) {
        size_t l = strlen(b[i].id) + 1;
        recs[i] = (struct dlg_revoked_rec){ b[i].hash, (uint32_t)off, 0, b[i].until };
        memcpy(pool + off, b[i].id, l);
        off += l;
    }
    free(b);
    s->v = recs;
    s->n = w;
    s->pool = pool;
    s->pool_len = pool_len;
    *mem = recs;
    return 0;
}
