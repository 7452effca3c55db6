/* The lookups of the config value, whichever loader made it (config.h). */
#include "config/config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

int dlg_config_table_actor(const struct dlg_config *cfg, const char *name,
                           const struct dlg_actor **out)
{
    *out = NULL;
    if (cfg->nactors > 0)
        *out = bsearch(name, cfg->actors, cfg->nactors, sizeof(*cfg->actors), key_actor_name);
    return *out != NULL;
}

int dlg_config_table_actor_by_uid(const struct dlg_config *cfg, uid_t uid,
                                  const struct dlg_actor **out)
{
    struct dlg_actor *const *p = NULL;

    if (cfg->nactors > 0 && cfg->actors_by_uid != NULL)
        p = bsearch(&uid, cfg->actors_by_uid, cfg->nactors, sizeof(*cfg->actors_by_uid),
                    key_actor_uid);
    *out = p != NULL ? *p : NULL;
    return *out != NULL;
}

int dlg_config_find_actor(const struct dlg_config *cfg, const char *name,
                          const struct dlg_actor **out)
{
    *out = NULL;
    if (cfg == NULL || cfg->ops == NULL)
        return -1;
    if (name == NULL)
        return 0;
    return cfg->ops->actor(cfg, name, out);
}

int dlg_config_find_actor_by_uid(const struct dlg_config *cfg, uid_t uid,
                                 const struct dlg_actor **out)
{
    *out = NULL;
    if (cfg == NULL || cfg->ops == NULL)
        return -1;
    return cfg->ops->actor_by_uid(cfg, uid, out);
}

const struct dlg_actor *dlg_config_actor(const struct dlg_config *cfg, const char *name)
{
    const struct dlg_actor *a;

    return dlg_config_find_actor(cfg, name, &a) == 1 ? a : NULL;
}

const struct dlg_actor *dlg_config_actor_by_uid(const struct dlg_config *cfg, uid_t uid)
{
    const struct dlg_actor *a;

    return dlg_config_find_actor_by_uid(cfg, uid, &a) == 1 ? a : NULL;
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
    return cfg != NULL && jti != NULL && dlg_revoked_find(&cfg->revoked_tickets, jti) != NULL;
}

void dlg_config_free(struct dlg_config *cfg)
{
    if (cfg != NULL && cfg->ops != NULL)
        cfg->ops->release(cfg);
}

bool dlg_file_id_same(const struct dlg_file_id *f, const struct stat *st)
{
    return f->dev == st->st_dev && f->ino == st->st_ino && f->size == st->st_size &&
           f->mtime.tv_sec == st->st_mtim.tv_sec && f->mtime.tv_nsec == st->st_mtim.tv_nsec &&
           f->ctime.tv_sec == st->st_ctim.tv_sec && f->ctime.tv_nsec == st->st_ctim.tv_nsec;
}

bool dlg_config_unchanged(const struct dlg_config *cfg)
{
    struct stat st;

    if (cfg == NULL)
        return false;
    for (size_t i = 0; i < cfg->nfiles; i++) {
        if (cfg->files[i].absent) {     /* a feed never fetched: until it appears */
            if (lstat(cfg->files[i].path, &st) == 0 || (errno != ENOENT && errno != ENOTDIR))
                return false;
            continue;
        }
        if (lstat(cfg->files[i].path, &st) != 0 || !dlg_file_id_same(&cfg->files[i], &st))
            return false;
    }
    return true;
}

int dlg_system_host_name(char *buf, size_t len)
{
    if (len < 2 || gethostname(buf, len) != 0)
        return -1;
    buf[len - 1] = '\0';
    return 0;
}
