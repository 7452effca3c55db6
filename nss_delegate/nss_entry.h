/* Building passwd, group and shadow entries from the config into the
 * caller's buffer.  Each returns 0, or ERANGE when buf (which may be NULL)
 * is too small; the result struct is written only on success. */
#ifndef DLG_NSS_ENTRY_H
#define DLG_NSS_ENTRY_H

#include <errno.h>
#include <grp.h>
#include <nss.h>
#include <pthread.h>
#include <pwd.h>
#include <shadow.h>
#include <stddef.h>

#include "config/config.h"

/* The actor as an account: NULL when absent or revoked. */
const struct dlg_actor *nss_live_actor(const struct dlg_config *cfg, const char *name);
const struct dlg_actor *nss_live_actor_by_uid(const struct dlg_config *cfg, uid_t uid);

int nss_fill_passwd(const struct dlg_config *cfg, const struct dlg_actor *a,
                    struct passwd *pw, char *buf, size_t len);
int nss_fill_shadow(const struct dlg_actor *a, struct spwd *sp, char *buf, size_t len);
/* The accounts group: members are all actors that are not revoked. */
int nss_fill_accounts_group(const struct dlg_config *cfg, struct group *gr,
                            char *buf, size_t len);
/* A groups = (...) entry: members are the live actors that list it. */
int nss_fill_group(const struct dlg_config *cfg, const struct dlg_group *g,
                   struct group *gr, char *buf, size_t len);



/* Every entry point runs with thread cancellation disabled (as SSSD's
 * client does): a cancellation acted on at a cancellation point inside a
 * lookup (open, read, syslog...) would leave the module's locks held, and
 * every later reload and fork() of the process would deadlock. */
static inline int nss_cancel_off(void)
{
    int old = PTHREAD_CANCEL_ENABLE;

    (void)pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &old);
    return old;
}

static inline void nss_cancel_restore(int old)
{
    int ignored;

    (void)pthread_setcancelstate(old, &ignored);
}

static inline enum nss_status nss_notfound(int *errnop)
{
    *errnop = ENOENT;
    return NSS_STATUS_NOTFOUND;
}

/* The status for a fill result: SUCCESS, or TRYAGAIN + ERANGE so that glibc
 * retries with a bigger buffer. */
static inline enum nss_status nss_filled(int rc, int *errnop)
{
    if (rc == 0)
        return NSS_STATUS_SUCCESS;
    *errnop = rc;
    return NSS_STATUS_TRYAGAIN;
}

#endif
