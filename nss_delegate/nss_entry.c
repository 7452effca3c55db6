/* Entries into caller buffers: see nss_entry.h.  Everything is packed from
 * the start of the buffer: a group's member array first (aligned for
 * char *, so an aligned buffer needs no padding), then the strings. */
#include <errno.h>
#include <stdalign.h>
#include <stdint.h>
#include <string.h>

#include "nss_entry.h"

struct packer {
    char *buf;
    size_t len;
    size_t used;
};

static void packer_init(struct packer *p, char *buf, size_t len)
{
    p->buf = buf;
    p->len = buf != NULL ? len : 0;
    p->used = 0;
}

static char *pack_str(struct packer *p, const char *s)
{
    size_t n = strlen(s) + 1;
    char *d;

    if (n > p->len - p->used)
        return NULL;
    d = p->buf + p->used;
    memcpy(d, s, n);
    p->used += n;
    return d;
}

static char **pack_ptrs(struct packer *p, size_t count)
{
    uintptr_t at;
    size_t pad;
    char **d;

    if (p->buf == NULL)
        return NULL;
    at = (uintptr_t)(p->buf + p->used);
    pad = (alignof(char *) - at % alignof(char *)) % alignof(char *);
    if (pad > p->len - p->used)
        return NULL;
    if (count > (p->len - p->used - pad) / sizeof(char *))
        return NULL;
    d = (char **)(void *)(p->buf + p->used + pad);
    p->used += pad + count * sizeof(char *);
    return d;
}

const struct dlg_actor *nss_live_actor(const struct dlg_config *cfg, const char *name)
{
    const struct dlg_actor *a = dlg_config_actor(cfg, name);

    return a != NULL && !a->revoked ? a : NULL;
}

const struct dlg_actor *nss_live_actor_by_uid(const struct dlg_config *cfg, uid_t uid)
{
    const struct dlg_actor *a = dlg_config_actor_by_uid(cfg, uid);

    return a != NULL && !a->revoked ? a : NULL;
}

int nss_fill_passwd(const struct dlg_config *cfg, const struct dlg_actor *a,
                    struct passwd *pw, char *buf, size_t len)
{
    struct packer p;
    struct passwd e;

    packer_init(&p, buf, len);
    e.pw_uid = a->uid;
    e.pw_gid = cfg->acc_gid;
    if ((e.pw_name = pack_str(&p, a->name)) == NULL ||
        (e.pw_passwd = pack_str(&p, "x")) == NULL ||
        (e.pw_gecos = pack_str(&p, a->comment != NULL ? a->comment : "")) == NULL ||
        (e.pw_dir = pack_str(&p, a->home)) == NULL ||
        (e.pw_shell = pack_str(&p, a->shell)) == NULL)
        return ERANGE;
    *pw = e;
    return 0;
}

int nss_fill_shadow(const struct dlg_actor *a, struct spwd *sp, char *buf, size_t len)
{
    struct packer p;
    struct spwd e;

    packer_init(&p, buf, len);
    /* Locked, and no last-change date: with 0 pam_unix would demand a new
     * password (DESIGN.md §5); -1 is printed as an empty field. */
    e.sp_lstchg = -1;
    e.sp_min = -1;
    e.sp_max = -1;
    e.sp_warn = -1;
    e.sp_inact = -1;
    e.sp_expire = -1;
    e.sp_flag = ~0UL;
    if ((e.sp_namp = pack_str(&p, a->name)) == NULL ||
        (e.sp_pwdp = pack_str(&p, "!")) == NULL)
        return ERANGE;
    *sp = e;
    return 0;
}

/* A group's members, walked twice (count, then pack) so no temporary array
 * is needed: member(ctx, i) gives the i-th name, or NULL to leave it out. */
struct members {
    size_t n;
    const char *(*member)(const struct dlg_config *cfg, const void *ctx, size_t i);
    const void *ctx;
};

static int fill_group(const struct dlg_config *cfg, const char *name, gid_t gid,
                      const struct members *m, struct group *gr, char *buf, size_t len)
{
    struct packer p;
    struct group e;
    const char *s;
    size_t i, live = 0, k = 0;

    for (i = 0; i < m->n; i++)
        if (m->member(cfg, m->ctx, i) != NULL)
            live++;
    packer_init(&p, buf, len);
    e.gr_gid = gid;
    if ((e.gr_mem = pack_ptrs(&p, live + 1)) == NULL ||
        (e.gr_name = pack_str(&p, name)) == NULL ||
        (e.gr_passwd = pack_str(&p, "x")) == NULL)
        return ERANGE;
    for (i = 0; i < m->n; i++) {
        if ((s = m->member(cfg, m->ctx, i)) == NULL)
            continue;
        if ((e.gr_mem[k++] = pack_str(&p, s)) == NULL)
            return ERANGE;
    }
    e.gr_mem[k] = NULL;
    *gr = e;
    return 0;
}

static const char *accounts_member(const struct dlg_config *cfg, const void *ctx, size_t i)
{
    (void)ctx;
    return cfg->actors[i].revoked ? NULL : cfg->actors[i].name;
}

/* In name order, like the accounts group, whatever order the config lists. */
static const char *group_member(const struct dlg_config *cfg, const void *ctx, size_t i)
{
    const struct dlg_group *g = ctx;
    const struct dlg_actor *a = &cfg->actors[i];

    return !a->revoked && dlg_strv_contains(&a->groups, g->name) ? a->name : NULL;
}

int nss_fill_accounts_group(const struct dlg_config *cfg, struct group *gr,
                            char *buf, size_t len)
{
    struct members m = { cfg->nactors, accounts_member, NULL };

    return fill_group(cfg, cfg->acc_group, cfg->acc_gid, &m, gr, buf, len);
}

int nss_fill_group(const struct dlg_config *cfg, const struct dlg_group *g,
                   struct group *gr, char *buf, size_t len)
{
    struct members m = { cfg->nactors, group_member, g };

    return fill_group(cfg, g->name, g->gid, &m, gr, buf, len);
}
