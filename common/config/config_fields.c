/* The descriptors of config_fields.h's lists (see config_record.h). */
#include "config/config_record.h"

#include <stddef.h>
#include <stdlib.h>

#define FIELD(S, K, N, CNT, MIN, MAX)                                                          \
    { #N, DLG_FK_##K, offsetof(S, N), sizeof(((S *)0)->N), CNT, (int64_t)(MIN), (int64_t)(MAX) },

/* Per kind: the count member's offset (arrays) and the range (numbers). */
#define D_STR(S, T, N, A, B)     FIELD(S, STR, N, 0, 0, 0)
#define D_OSTR(S, T, N, A, B)    FIELD(S, OSTR, N, 0, 0, 0)
#define D_PATH(S, T, N, A, B)    FIELD(S, PATH, N, 0, 0, 0)
#define D_CSTR(S, T, N, A, B)    FIELD(S, CSTR, N, 0, 0, 0)
#define D_STRV(S, T, N, A, B)    FIELD(S, STRV, N, 0, 0, 0)
#define D_BOOL(S, T, N, A, B)    FIELD(S, BOOL, N, 0, 0, 1)
#define D_U32(S, T, N, A, B)     FIELD(S, U32, N, 0, A, B)
#define D_U64(S, T, N, A, B)     FIELD(S, U64, N, 0, 0, 0)
#define D_I32(S, T, N, A, B)     FIELD(S, I32, N, 0, A, B)
#define D_I64(S, T, N, A, B)     FIELD(S, I64, N, 0, A, B)
#define D_TS(S, T, N, A, B)      FIELD(S, TS, N, 0, 0, 0)
#define D_CIDRS(S, T, N, A, B)   FIELD(S, CIDRS, N, offsetof(S, A), 0, 0)
#define D_KEYS(S, T, N, A, B)    FIELD(S, KEYS, N, offsetof(S, A), 0, 0)
#define D_TABLE(S, T, N, A, B)   FIELD(S, TABLE, N, offsetof(S, A), 0, 0)
#define D_IDSET(S, T, N, A, B)   FIELD(S, IDSET, N, 0, 0, 0)
#define D_DERIVED(S, T, N, A, B) FIELD(S, DERIVED, N, 0, 0, 0)
#define D_RUNTIME(S, T, N, A, B) FIELD(S, RUNTIME, N, 0, 0, 0)

#define D_KEY(K, T, N, A, B)    D_##K(struct dlg_key, T, N, A, B)
#define D_ISSUER(K, T, N, A, B) D_##K(struct dlg_issuer, T, N, A, B)
#define D_ACTOR(K, T, N, A, B)  D_##K(struct dlg_actor, T, N, A, B)
#define D_GROUP(K, T, N, A, B)  D_##K(struct dlg_group, T, N, A, B)
#define D_FILE(K, T, N, A, B)   D_##K(struct dlg_file_id, T, N, A, B)
#define D_FEED(K, T, N, A, B)   D_##K(struct dlg_feed, T, N, A, B)
#define D_CONFIG(K, T, N, A, B) D_##K(struct dlg_config, T, N, A, B)

/* Carried fields, counted at compile time. */
#define CARRIED_STR 1u
#define CARRIED_OSTR 1u
#define CARRIED_PATH 1u
#define CARRIED_CSTR 1u
#define CARRIED_STRV 1u
#define CARRIED_BOOL 1u
#define CARRIED_U32 1u
#define CARRIED_U64 1u
#define CARRIED_I32 1u
#define CARRIED_I64 1u
#define CARRIED_TS 1u
#define CARRIED_CIDRS 1u
#define CARRIED_KEYS 1u
#define CARRIED_TABLE 0u
#define CARRIED_IDSET 0u
#define CARRIED_DERIVED 0u
#define CARRIED_RUNTIME 0u
#define C_ONE(K, T, N, A, B) +CARRIED_##K

static const struct dlg_field key_fields[] = { DLG_KEY_FIELDS(D_KEY) };
static const struct dlg_field issuer_fields[] = { DLG_ISSUER_FIELDS(D_ISSUER) };
static const struct dlg_field actor_fields[] = { DLG_ACTOR_FIELDS(D_ACTOR) };
static const struct dlg_field group_fields[] = { DLG_GROUP_FIELDS(D_GROUP) };
static const struct dlg_field file_fields[] = { DLG_FILE_FIELDS(D_FILE) };
static const struct dlg_field feed_fields[] = { DLG_FEED_FIELDS(D_FEED) };
static const struct dlg_field config_fields[] = { DLG_CONFIG_FIELDS(D_CONFIG) };

/* The kinds' sizes as the reader and writer assume them. */
_Static_assert(sizeof(uid_t) == 4 && sizeof(gid_t) == 4, "U32 fields are 4 bytes");
_Static_assert(sizeof(dev_t) == 8 && sizeof(ino_t) == 8 && sizeof(off_t) == 8,
               "U64 and I64 fields are 8 bytes");

#define RT(NAME, ARR, LIST)                                                                    \
    const struct dlg_record_type NAME = { #LIST, ARR, sizeof(ARR) / sizeof((ARR)[0]),            \
                                          0 LIST(C_ONE) };

RT(dlg_rt_key, key_fields, DLG_KEY_FIELDS)
RT(dlg_rt_issuer, issuer_fields, DLG_ISSUER_FIELDS)
RT(dlg_rt_actor, actor_fields, DLG_ACTOR_FIELDS)
RT(dlg_rt_group, group_fields, DLG_GROUP_FIELDS)
RT(dlg_rt_file, file_fields, DLG_FILE_FIELDS)
RT(dlg_rt_feed, feed_fields, DLG_FEED_FIELDS)
RT(dlg_rt_config, config_fields, DLG_CONFIG_FIELDS)


static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
    const unsigned char *b = p;

    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * UINT64_C(1099511628211);
    return h;
}

uint64_t dlg_fields_shape(void)
{
    static const struct dlg_record_type *const all[] = {
        &dlg_rt_key, &dlg_rt_issuer, &dlg_rt_actor, &dlg_rt_group, &dlg_rt_file, &dlg_rt_feed, &dlg_rt_config,
    };
    uint64_t h = UINT64_C(14695981039346656037);

    for (size_t t = 0; t < sizeof(all) / sizeof(all[0]); t++) {
        const struct dlg_record_type *rt = all[t];
        h = fnv(h, rt->name, __builtin_strlen(rt->name) + 1);
        for (size_t i = 0; i < rt->nfields; i++) {
            const struct dlg_field *f = &rt->fields[i];
            uint32_t k = (uint32_t)f->kind, sz = (uint32_t)f->size;
            h = fnv(h, f->name, __builtin_strlen(f->name) + 1);
            h = fnv(h, &k, sizeof(k));
            h = fnv(h, &sz, sizeof(sz));
            h = fnv(h, &f->min, sizeof(f->min));
            h = fnv(h, &f->max, sizeof(f->max));
        }
    }
    return h;
}

void dlg_fields_free(const struct dlg_record_type *rt, void *obj)
{
    unsigned char *base = obj;

    for (size_t i = 0; i < rt->nfields; i++) {
        const struct dlg_field *f = &rt->fields[i];
        void *m = base + f->off;
        switch (f->kind) {
        case DLG_FK_STR:
        case DLG_FK_OSTR:
        case DLG_FK_PATH:
            free(*(char **)m);
            break;
        case DLG_FK_STRV:
            dlg_strv_free(m);
            break;
        case DLG_FK_CIDRS:
            free(*(void **)m);
            break;
        case DLG_FK_KEYS: {
            struct dlg_key *keys = *(struct dlg_key **)m;
            size_t n = *(size_t *)(void *)(base + f->count_off);
            for (size_t k = 0; keys != NULL && k < n; k++)
                dlg_fields_free(&dlg_rt_key, &keys[k]);
            free(keys);
            break;
        }
        default:
            break;
        }
    }
}
