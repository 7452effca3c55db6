/* Indexes built once a config is valid (actors by name and uid, groups by
 * name and gid, issuers by id) and the bsearch lookups over them; a
 * compiled form (compiled.h) answers the lookups it holds itself. */
#include "config/config_int.h"
#include "config/compiled.h"

#include <stdlib.h>
#include <string.h>

static int cmp_actor_name(const void *a, const void *b)
{
    const struct dlg_actor *x = a, *y = b;
    return strcmp(x->name, y->name);
}

static int cmp_actor_uid(const void *a, const void *b)
{
    const struct dlg_actor *const *x = a, *const *y = b;
    return (*x)->uid < (*y)->uid ? -1 : (*x)->uid > (*y)->uid;
}

static int cmp_group_name(const void *a, const void *b)
{
    const struct dlg_group *x = a, *y = b;
    return strcmp(x->name, y->name);
}

static int cmp_group_gid(const void *a, const void *b)
{
    const struct dlg_group *const *x = a, *const *y = b;
    return (*x)->gid < (*y)->gid ? -1 : (*x)->gid > (*y)->gid;
}

static int cmp_issuer_id(const void *a, const void *b)
{
    const struct dlg_issuer *x = a, *y = b;
    return strcmp(x->id, y->id);
}

/* Only called on a config without errors: every name is set. */
int build_indexes(struct loader *L)
{
    struct dlg_config *cfg = L->cfg;

    if (cfg->nactors > 0)
        qsort(cfg->actors, cfg->nactors, sizeof(*cfg->actors), cmp_actor_name);
    if (cfg->ngroups > 0)
        qsort(cfg->groups, cfg->ngroups, sizeof(*cfg->groups), cmp_group_name);
    if (cfg->nissuers > 0)
        qsort(cfg->issuers, cfg->nissuers, sizeof(*cfg->issuers), cmp_issuer_id);
    if (cfg->nactors > 0) {
        cfg->actors_by_uid = calloc(cfg->nactors, sizeof(*cfg->actors_by_uid));
        if (cfg->actors_by_uid == NULL)
            goto nomem;
        for (size_t i = 0; i < cfg->nactors; i++)
            cfg->actors_by_uid[i] = &cfg->actors[i];
        qsort(cfg->actors_by_uid, cfg->nactors, sizeof(*cfg->actors_by_uid), cmp_actor_uid);
    }
    if (cfg->ngroups > 0) {
        cfg->groups_by_gid = calloc(cfg->ngroups, sizeof(*cfg->groups_by_gid));
        if (cfg->groups_by_gid == NULL)
            goto nomem;
        for (size_t i = 0; i < cfg->ngroups; i++)
            cfg->groups_by_gid[i] = &cfg->groups[i];
        qsort(cfg->groups_by_gid, cfg->ngroups, sizeof(*cfg->groups_by_gid), cmp_group_gid);
    }
    /* Members, in actor name order; revoked actors do not resolve. */
    for (size_t i = 0; i < cfg->nactors; i++) {
        const struct dlg_actor *a = &cfg->actors[i];
        if (a->revoked)
            continue;
        for (size_t k = 0; k < a->groups.n; k++) {
            struct dlg_group *g = (struct dlg_group *)dlg_config_group(cfg, a->groups.v[k]);
            if (g != NULL && dlg_strv_push(&g->members, a->name) != 0)
                goto nomem;
        }
    }
    return 0;
nomem:
    oom(L);
    return -1;
}

/* ---- lookups ----------------------------------------------------------- */

static int key_actor_name(const void *k, const void *e)
{
    return strcmp(k, ((const struct dlg_actor *)e)->name);
}

static int key_actor_uid(const void *k, const void *e)
{
    uid_t u = *(const uid_t *)k, v = (*(const struct dlg_actor *const *)e)->uid;
    return u < v ? -1 : u > v;
}

static int key_group_name(const void *k, const void *e)
{
    return strcmp(k, ((const struct dlg_group *)e)->name);
}

static int key_group_gid(const void *k, const void *e)
{
    gid_t u = *(const gid_t *)k, v = (*(const struct dlg_group *const *)e)->gid;
    return u < v ? -1 : u > v;
}

static int key_issuer_id(const void *k, const void *e)
{
    return strcmp(k, ((const struct dlg_issuer *)e)->id);
}

static int key_revoked(const void *k, const void *e)
{
    return strcmp(k, ((const struct dlg_revoked_ticket *)e)->id);
}

const struct dlg_actor *dlg_config_actor(const struct dlg_config *cfg, const char *name)
{
    if (dlg_compiled_lazy(cfg))
        return dlg_compiled_actor(cfg, name);      /* compiled.h */
    if (cfg == NULL || name == NULL || cfg->nactors == 0)
        return NULL;
    return bsearch(name, cfg->actors, cfg->nactors, sizeof(*cfg->actors), key_actor_name);
}

const struct dlg_actor *dlg_config_actor_by_uid(const struct dlg_config *cfg, uid_t uid)
{
    if (dlg_compiled_lazy(cfg))
        return dlg_compiled_actor_by_uid(cfg, uid); /* compiled.h */
    if (cfg == NULL || cfg->actors_by_uid == NULL)
        return NULL;
    struct dlg_actor *const *p = bsearch(&uid, cfg->actors_by_uid, cfg->nactors,
                                         sizeof(*cfg->actors_by_uid), key_actor_uid);
    return p != NULL ? *p : NULL;
}

const struct dlg_group *dlg_config_group(const struct dlg_config *cfg, const char *name)
{
    if (cfg == NULL || name == NULL || cfg->ngroups == 0)
        return NULL;
    return bsearch(name, cfg->groups, cfg->ngroups, sizeof(*cfg->groups), key_group_name);
}

const struct dlg_group *dlg_config_group_by_gid(const struct dlg_config *cfg, gid_t gid)
{
    if (cfg == NULL || cfg->groups_by_gid == NULL)
        return NULL;
    struct dlg_group *const *p = bsearch(&gid, cfg->groups_by_gid, cfg->ngroups,
                                         sizeof(*cfg->groups_by_gid), key_group_gid);
    return p != NULL ? *p : NULL;
}

const struct dlg_issuer *dlg_config_issuer(const struct dlg_config *cfg, const char *id)
{
    if (cfg == NULL || id == NULL || cfg->nissuers == 0)
        return NULL;
    return bsearch(id, cfg->issuers, cfg->nissuers, sizeof(*cfg->issuers), key_issuer_id);
}

bool dlg_config_ticket_revoked(const struct dlg_config *cfg, const char *jti)
{
    if (cfg != NULL && cfg->compiled != NULL)
        return dlg_compiled_ticket_revoked(cfg, jti);  /* compiled.h */
    if (cfg == NULL || jti == NULL || cfg->nrevoked_tickets == 0)
        return false;
    return bsearch(jti, cfg->revoked_tickets, cfg->nrevoked_tickets,
                   sizeof(*cfg->revoked_tickets), key_revoked) != NULL;
}
