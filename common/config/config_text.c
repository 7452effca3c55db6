/* The value a text load makes: a config that owns everything it points to,
 * with the table lookups and its release (the ops of config.h).  Every
 * config the text loader builds, the main one or a revoke or feed file read
 * on its own (config_feed.c), is made here. */
#include "config/config_int.h"
#include "config/config_record.h"

#include <stdint.h>
#include <stdlib.h>

/* Everything a text config owns: what its field lists own (config_fields.c),
 * its tables, the derived indexes and the revoked id set. */
static void text_release(struct dlg_config *cfg)
{
    for (size_t i = 0; i < cfg->nissuers; i++)
        dlg_fields_free(&dlg_rt_issuer, &cfg->issuers[i]);
    for (size_t i = 0; i < cfg->nactors; i++)
        dlg_fields_free(&dlg_rt_actor, &cfg->actors[i]);
    for (size_t i = 0; i < cfg->ngroups; i++)
        dlg_fields_free(&dlg_rt_group, &cfg->groups[i]);
    for (size_t i = 0; i < cfg->nfiles; i++)
        dlg_fields_free(&dlg_rt_file, &cfg->files[i]);
    for (size_t i = 0; i < cfg->nfeeds; i++)
        dlg_fields_free(&dlg_rt_feed, &cfg->feeds[i]);
    free(cfg->feeds);
    free(cfg->issuers);
    free(cfg->actors);
    free(cfg->groups);
    free(cfg->files);
    free(cfg->actors_by_uid);
    free(cfg->groups_by_gid);
    free(cfg->host_name);
    free((void *)(uintptr_t)cfg->revoked_tickets.v);   /* one allocation: records and pool */
    dlg_fields_free(&dlg_rt_config, cfg);
    free(cfg);
}

static const struct dlg_config_ops text_ops = {
    .actor = dlg_config_table_actor,
    .actor_by_uid = dlg_config_table_actor_by_uid,
    .release = text_release,
};

struct dlg_config *new_text_config(void)
{
    struct dlg_config *cfg = calloc(1, sizeof(*cfg));

    if (cfg != NULL)
        cfg->ops = &text_ops;
    return cfg;
}

