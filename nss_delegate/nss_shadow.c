/* shadow database: a locked entry for each live actor, so no password ever
 * works for one. */
#include "nss_cache.h"
#include "nss_delegate.h"
#include "nss_entry.h"

static enum nss_status answer(const struct dlg_actor *a, struct spwd *sp,
                              char *buf, size_t len, int *errnop)
{
    if (a == NULL)
        return nss_notfound(errnop);
    return nss_filled(nss_fill_shadow(a, sp, buf, len), errnop);
}

static enum nss_status getspnam_r_impl(const char *name, struct spwd *sp,
                                       char *buf, size_t len, int *errnop)
{
    struct nss_snap *s;
    enum nss_status status;

    if (name == NULL || !dlg_valid_username(name))
        return nss_notfound(errnop);
    status = nss_snap_get(&s, errnop);
    if (status != NSS_STATUS_SUCCESS)
        return status;
    status = answer(nss_live_actor(nss_snap_config(s), name), sp, buf, len, errnop);
    nss_snap_put(s);
    return status;
}

static enum nss_status setspent_impl(int stayopen)
{
    (void)stayopen;
    return nss_cursor_rewind(&nss_sp_cursor);
}

static enum nss_status getspent_r_impl(struct spwd *sp, char *buf, size_t len,
                                       int *errnop)
{
    const struct dlg_actor *a;
    enum nss_status status;

    status = nss_cursor_lock(&nss_sp_cursor, errnop);
    if (status != NSS_STATUS_SUCCESS)
        return status;
    a = nss_cursor_actor(&nss_sp_cursor);
    status = answer(a, sp, buf, len, errnop);
    if (status == NSS_STATUS_SUCCESS)
        nss_sp_cursor.next++;
    nss_cursor_unlock(&nss_sp_cursor);
    return status;
}

static enum nss_status endspent_impl(void)
{
    nss_cursor_close(&nss_sp_cursor);
    return NSS_STATUS_SUCCESS;
}

/* The entry points: never cancellable while the module may hold a lock
 * (a thread cancelled inside a lookup would leave it held for every later
 * lookup and fork of the process); the caller's state is restored. */

enum nss_status _nss_delegate_getspnam_r(const char *name, struct spwd *sp,
                                         char *buf, size_t len, int *errnop)
{
    int cs = nss_cancel_off();
    enum nss_status status = getspnam_r_impl(name, sp, buf, len, errnop);

    nss_cancel_restore(cs);
    return status;
}

enum nss_status _nss_delegate_setspent(int stayopen)
{
    int cs = nss_cancel_off();
    enum nss_status status = setspent_impl(stayopen);

    nss_cancel_restore(cs);
    return status;
}

enum nss_status _nss_delegate_getspent_r(struct spwd *sp, char *buf, size_t len,
                                         int *errnop)
{
    int cs = nss_cancel_off();
    enum nss_status status = getspent_r_impl(sp, buf, len, errnop);

    nss_cancel_restore(cs);
    return status;
}

enum nss_status _nss_delegate_endspent(void)
{
    int cs = nss_cancel_off();
    enum nss_status status = endspent_impl();

    nss_cancel_restore(cs);
    return status;
}
