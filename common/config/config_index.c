/* The sorted tables and indexes of a valid config (actors by name and uid,
 * groups by name and gid, issuers by id): what config_lookup.c searches. */
#include "config/config_int.h"

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
