/* passwd database: each live actor as a constrained local account. */
#include "nss_cache.h"
#include "nss_delegate.h"
#include "nss_entry.h"

static enum nss_status answer(const struct dlg_config *cfg, const struct dlg_actor *a,
                              struct passwd *pw, char *buf, size_t len, int *errnop)
{
    if (a == NULL)
        return nss_notfound(errnop);
    return nss_filled(nss_fill_passwd(cfg, a, pw, buf, len), errnop);
}

static enum nss_status getpwnam_r_impl(const char *name, struct passwd *pw,
                                       char *buf, size_t len, int *errnop)
{
    struct nss_snap *s;
    const struct dlg_config *cfg;
    enum nss_status status;

    /* Also turns away PAM's probe "pam_unix_non_existent:" without a read. */
    if (name == NULL || !dlg_valid_username(name))
        return nss_notfound(errnop);
    status = nss_snap_get(&s, errnop);
    if (status != NSS_STATUS_SUCCESS)
        return status;
    cfg = nss_snap_config(s);
    status = answer(cfg, nss_live_actor(cfg, name), pw, buf, len, errnop);
    nss_snap_put(s);
    return status;
}

static enum nss_status getpwuid_r_impl(uid_t uid, struct passwd *pw,
                                       char *buf, size_t len, int *errnop)
{
    struct nss_snap *s;
    const struct dlg_config *cfg;
    enum nss_status status;

    if (uid < DLG_NSS_MIN_ID || uid == (uid_t)-1)
        return nss_notfound(errnop);
    status = nss_snap_get(&s, errnop);
    if (status != NSS_STATUS_SUCCESS)
        return status;
    cfg = nss_snap_config(s);
    if (uid < cfg->uid_min || uid > cfg->uid_max)
        status = nss_notfound(errnop);
    else
        status = answer(cfg, nss_live_actor_by_uid(cfg, uid), pw, buf, len, errnop);
    nss_snap_put(s);
    return status;
}

static enum nss_status setpwent_impl(int stayopen)
{
    (void)stayopen;
    return nss_cursor_rewind(&nss_pw_cursor);
}

static enum nss_status getpwent_r_impl(struct passwd *pw, char *buf, size_t len,
                                       int *errnop)
{
    const struct dlg_actor *a;
    enum nss_status status;

    status = nss_cursor_lock(&nss_pw_cursor, errnop);
    if (status != NSS_STATUS_SUCCESS)
        return status;
    a = nss_cursor_actor(&nss_pw_cursor);
    status = answer(nss_snap_config(nss_pw_cursor.snap), a, pw, buf, len, errnop);
    if (status == NSS_STATUS_SUCCESS)
        nss_pw_cursor.next++;
    nss_cursor_unlock(&nss_pw_cursor);
    return status;
}

static enum nss_status endpwent_impl(void)
{
    nss_cursor_close(&nss_pw_cursor);
    return NSS_STATUS_SUCCESS;
}

/* The entry points: never cancellable while the module may hold a lock
 * (a thread cancelled inside a lookup would leave it held for every later
 * lookup and fork of the process); the caller's state is restored. */

enum nss_status _nss_delegate_getpwnam_r(const char *name, struct passwd *pw,
                                         char *buf, size_t len, int *errnop)
{
    int cs = nss_cancel_off();
    enum nss_status status = getpwnam_r_impl(name, pw, buf, len, errnop);

    nss_cancel_restore(cs);
    return status;
}

enum nss_status _nss_delegate_getpwuid_r(uid_t uid, struct passwd *pw,
                                         char *buf, size_t len, int *errnop)
{
    int cs = nss_cancel_off();
    enum nss_status status = getpwuid_r_impl(uid, pw, buf, len, errnop);

    nss_cancel_restore(cs);
    return status;
}

enum nss_status _nss_delegate_setpwent(int stayopen)
{
    int cs = nss_cancel_off();
    enum nss_status status = setpwent_impl(stayopen);

    nss_cancel_restore(cs);
    return status;
}

enum nss_status _nss_delegate_getpwent_r(struct passwd *pw, char *buf, size_t len,
                                         int *errnop)
{
    int cs = nss_cancel_off();
    enum nss_status status = getpwent_r_impl(pw, buf, len, errnop);

    nss_cancel_restore(cs);
    return status;
}

enum nss_status _nss_delegate_endpwent(void)
{
    int cs = nss_cancel_off();
    enum nss_status status = endpwent_impl();

    nss_cancel_restore(cs);
    return status;
}
