/* group database: the accounts group (members: every live actor) and the
 * config's groups (members: the live actors that list them), and the
 * supplementary groups of an actor for initgroups. */
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nss_cache.h"
#include "nss_delegate.h"
#include "nss_entry.h"

static enum nss_status getgrnam_r_impl(const char *name, struct group *gr,
                                       char *buf, size_t len, int *errnop)
{
    struct nss_snap *s;
    const struct dlg_config *cfg;
    const struct dlg_group *g;
    enum nss_status status;

    if (name == NULL || !dlg_valid_username(name))
        return nss_notfound(errnop);
    status = nss_snap_get(&s, errnop);
    if (status != NSS_STATUS_SUCCESS)
        return status;
    cfg = nss_snap_config(s);
    if (strcmp(name, cfg->acc_group) == 0)
        status = nss_filled(nss_fill_accounts_group(cfg, gr, buf, len), errnop);
    else if ((g = dlg_config_group(cfg, name)) != NULL)
        status = nss_filled(nss_fill_group(cfg, g, gr, buf, len), errnop);
    else
        status = nss_notfound(errnop);
    nss_snap_put(s);
    return status;
}

static enum nss_status getgrgid_r_impl(gid_t gid, struct group *gr,
                                       char *buf, size_t len, int *errnop)
{
    struct nss_snap *s;
    const struct dlg_config *cfg;
    const struct dlg_group *g;
    enum nss_status status;

    if (gid < DLG_NSS_MIN_ID || gid == (gid_t)-1)
        return nss_notfound(errnop);
    status = nss_snap_get(&s, errnop);
    if (status != NSS_STATUS_SUCCESS)
        return status;
    cfg = nss_snap_config(s);
    if (gid == cfg->acc_gid)
        status = nss_filled(nss_fill_accounts_group(cfg, gr, buf, len), errnop);
    else if ((g = dlg_config_group_by_gid(cfg, gid)) != NULL)
        status = nss_filled(nss_fill_group(cfg, g, gr, buf, len), errnop);
    else
        status = nss_notfound(errnop);
    nss_snap_put(s);
    return status;
}

static enum nss_status setgrent_impl(int stayopen)
{
    (void)stayopen;
    return nss_cursor_rewind(&nss_gr_cursor);
}

/* Position 0 is the accounts group, position i > 0 is cfg->groups[i - 1]. */
static enum nss_status getgrent_r_impl(struct group *gr, char *buf, size_t len,
                                       int *errnop)
{
    const struct dlg_config *cfg;
    enum nss_status status;
    size_t at;

    status = nss_cursor_lock(&nss_gr_cursor, errnop);
    if (status != NSS_STATUS_SUCCESS)
        return status;
    cfg = nss_snap_config(nss_gr_cursor.snap);
    at = nss_gr_cursor.next;
    if (at > cfg->ngroups)
        status = nss_notfound(errnop);
    else if (at == 0)
        status = nss_filled(nss_fill_accounts_group(cfg, gr, buf, len), errnop);
    else
        status = nss_filled(nss_fill_group(cfg, &cfg->groups[at - 1], gr, buf, len), errnop);
    if (status == NSS_STATUS_SUCCESS)
        nss_gr_cursor.next++;
    nss_cursor_unlock(&nss_gr_cursor);
    return status;
}

static enum nss_status endgrent_impl(void)
{
    nss_cursor_close(&nss_gr_cursor);
    return NSS_STATUS_SUCCESS;
}

/* Append gid to the caller's array unless it is skip or already there,
 * growing the array up to limit (limit <= 0: no limit).  0, or ENOMEM. */
static int add_gid(gid_t gid, gid_t skip, long int *start, long int *size,
                   gid_t **groupsp, long int limit)
{
    gid_t *groups = *groupsp;
    long int i, newsize;

    if (gid == skip)
        return 0;
    for (i = 0; i < *start; i++)
        if (groups[i] == gid)
            return 0;
    if (limit > 0 && *start >= limit)
        return 0;
    if (*start >= *size) {
        newsize = *size > 0 ? *size : 8;
        if (newsize > LONG_MAX / 2 || (size_t)newsize > SIZE_MAX / sizeof(gid_t) / 2)
            return ENOMEM;
        newsize *= 2;
        if (limit > 0 && newsize > limit)
            newsize = limit;
        groups = realloc(groups, (size_t)newsize * sizeof(gid_t));
        if (groups == NULL)
            return ENOMEM;
        *groupsp = groups;
        *size = newsize;
    }
    groups[(*start)++] = gid;
    return 0;
}

static enum nss_status initgroups_dyn_impl(const char *user, gid_t skipgroup,
                                           long int *start, long int *size,
                                           gid_t **groupsp, long int limit, int *errnop)
{
    struct nss_snap *s;
    const struct dlg_config *cfg;
    const struct dlg_actor *a;
    const struct dlg_group *g;
    enum nss_status status;
    size_t i;
    int rc;

    if (user == NULL || !dlg_valid_username(user))
        return nss_notfound(errnop);
    /* glibc passes the primary gid of the passwd entry that won as
     * skipgroup: our accounts group for our own account.  A same-named user
     * of a higher-priority source (files) has another one, and must not get
     * an actor's groups; (gid_t)-1 means the caller did not say. */
    if (skipgroup != (gid_t)-1 && skipgroup < DLG_NSS_MIN_ID)
        return nss_notfound(errnop);
    status = nss_snap_get(&s, errnop);
    if (status != NSS_STATUS_SUCCESS)
        return status;
    cfg = nss_snap_config(s);
    a = nss_live_actor(cfg, user);
    if (a == NULL || (skipgroup != (gid_t)-1 && skipgroup != cfg->acc_gid)) {
        status = nss_notfound(errnop);
        goto out;
    }
    rc = add_gid(cfg->acc_gid, skipgroup, start, size, groupsp, limit);
    for (i = 0; rc == 0 && i < a->groups.n; i++) {
        g = dlg_config_group(cfg, a->groups.v[i]);
        if (g != NULL)
            rc = add_gid(g->gid, skipgroup, start, size, groupsp, limit);
    }
    if (rc != 0) {
        *errnop = rc;
        status = NSS_STATUS_TRYAGAIN;
    }
out:
    nss_snap_put(s);
    return status;
}

/* The entry points: never cancellable while the module may hold a lock
 * (a thread cancelled inside a lookup would leave it held for every later
 * lookup and fork of the process); the caller's state is restored. */

enum nss_status _nss_delegate_getgrnam_r(const char *name, struct group *gr,
                                         char *buf, size_t len, int *errnop)
{
    int cs = nss_cancel_off();
    enum nss_status status = getgrnam_r_impl(name, gr, buf, len, errnop);

    nss_cancel_restore(cs);
    return status;
}

enum nss_status _nss_delegate_getgrgid_r(gid_t gid, struct group *gr,
                                         char *buf, size_t len, int *errnop)
{
    int cs = nss_cancel_off();
    enum nss_status status = getgrgid_r_impl(gid, gr, buf, len, errnop);

    nss_cancel_restore(cs);
    return status;
}

enum nss_status _nss_delegate_setgrent(int stayopen)
{
    int cs = nss_cancel_off();
    enum nss_status status = setgrent_impl(stayopen);

    nss_cancel_restore(cs);
    return status;
}

enum nss_status _nss_delegate_getgrent_r(struct group *gr, char *buf, size_t len,
                                         int *errnop)
{
    int cs = nss_cancel_off();
    enum nss_status status = getgrent_r_impl(gr, buf, len, errnop);

    nss_cancel_restore(cs);
    return status;
}

enum nss_status _nss_delegate_endgrent(void)
{
    int cs = nss_cancel_off();
    enum nss_status status = endgrent_impl();

    nss_cancel_restore(cs);
    return status;
}

enum nss_status _nss_delegate_initgroups_dyn(const char *user, gid_t skipgroup,
                                             long int *start, long int *size,
                                             gid_t **groupsp, long int limit, int *errnop)
{
    int cs = nss_cancel_off();
    enum nss_status status = initgroups_dyn_impl(user, skipgroup, start, size, groupsp, limit,
                                                 errnop);

    nss_cancel_restore(cs);
    return status;
}
