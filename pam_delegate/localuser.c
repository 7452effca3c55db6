/* Is a user "not ours" when the config is unusable?  Root, every user of
 * /etc/passwd (read directly), and every user that some NSS source other
 * than nss_delegate resolves (LDAP, SSSD, extrausers, ...).
 *
 * How "other than nss_delegate" is told apart without asking glibc which
 * module answered (it cannot say): nss_delegate answers UNAVAIL while its
 * config is unusable, and it is the same loaded object (same soname, same
 * cache) that getpwnam_r goes through in this process.  So we ask it
 * directly, through its own _nss_delegate_getpwnam_r, before and after the
 * getpwnam_r: a user that it resolves is ours (an actor: fail closed), even
 * if our own load of the config failed (another config= path, or an NSS
 * cache of a config whose trust changed since); a user that getpwnam_r
 * finds while nss_delegate has no entry for it, both times, came from
 * another source.  If libnss_delegate.so.2 is not installed, no lookup
 * could have reached it.  Never through nscd: a cache daemon in front of
 * NSS would answer from another process (pam_delegate(8) says to turn it
 * off for the delegate maps). */
#include <dlfcn.h>
#include <errno.h>
#include <nss.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pam_delegate.h"

#define PD_PWBUF_MAX (1024 * 1024)
#define PD_NSS_SO "libnss_delegate.so.2"

typedef enum nss_status (*pd_getpwnam_fn)(const char *, struct passwd *, char *, size_t, int *);

static bool in_etc_passwd(const char *user)
{
    bool found = false;
    FILE *f = NULL;
    struct passwd pw, *res = NULL;
    size_t len = 4096;
    char *buf = NULL;
    int rc;

    f = fopen("/etc/passwd", "re");
    if (f == NULL)
        goto out;
    buf = malloc(len);
    if (buf == NULL)
        goto out;
    for (;;) {
        rc = fgetpwent_r(f, &pw, buf, len, &res);
        if (rc == ERANGE && len < PD_PWBUF_MAX) {
            /* glibc rewinds to the start of the entry: retry it bigger */
            char *nbuf = realloc(buf, len * 2);
            if (nbuf == NULL)
                goto out;
            buf = nbuf;
            len *= 2;
            continue;
        }
        if (rc != 0 || res == NULL)
            break;
        if (strcmp(pw.pw_name, user) == 0) {
            found = true;
            break;
        }
    }
out:
    free(buf);
    if (f != NULL)
        fclose(f);
    return found;
}

/* Does nss_delegate itself resolve user right now?  true also when it
 * cannot tell (out of memory): the caller then treats the user as ours. */
static bool nss_delegate_has(const char *user)
{
    pd_getpwnam_fn fn;
    struct passwd pw;
    enum nss_status st;
    size_t len = 4096;
    char *buf = NULL;
    void *h;
    int err = 0;

    /* Kept loaded, as glibc keeps every NSS module it loads. */
    h = dlopen(PD_NSS_SO, RTLD_NOW | RTLD_LOCAL);
    if (h == NULL)
        return false;           /* not installed: no lookup reaches it */
    fn = (pd_getpwnam_fn)dlsym(h, "_nss_delegate_getpwnam_r");
    if (fn == NULL)
        return true;
    for (;;) {
        char *nbuf = realloc(buf, len);
        if (nbuf == NULL) {
            free(buf);
            return true;
        }
        buf = nbuf;
        err = 0;
        st = fn(user, &pw, buf, len, &err);
        if (st == NSS_STATUS_TRYAGAIN && err == ERANGE && len < PD_PWBUF_MAX) {
            len *= 2;
            continue;
        }
        break;
    }
    free(buf);
    /* SUCCESS: ours.  NOTFOUND: a usable config without this actor.
     * UNAVAIL: no usable config, so it answered nobody.  TRYAGAIN (a
     * transient failure): it might have answered a moment ago. */
    return st == NSS_STATUS_SUCCESS || st == NSS_STATUS_TRYAGAIN;
}

/* Some NSS source resolves user (getpwnam_r through nsswitch.conf). */
static bool resolves(const char *user)
{
    struct passwd pw, *res = NULL;
    size_t len = 4096;
    char *buf = NULL;
    int rc;

    for (;;) {
        char *nbuf = realloc(buf, len);
        if (nbuf == NULL)
            break;
        buf = nbuf;
        res = NULL;
        rc = getpwnam_r(user, &pw, buf, len, &res);
        if (rc == ERANGE && len < PD_PWBUF_MAX) {
            len *= 2;
            continue;
        }
        break;
    }
    free(buf);
    return res != NULL;
}

bool pd_is_local_user(const char *user)
{
    if (user == NULL || user[0] == '\0')
        return false;
    if (strcmp(user, "root") == 0)
        return true;
    if (in_etc_passwd(user))
        return true;
    /* another NSS source: only when nss_delegate has no entry for it,
     * before and after the lookup (a config that turned usable in
     * between is caught by the second look) */
    if (nss_delegate_has(user))
        return false;
    if (!resolves(user))
        return false;
    return !nss_delegate_has(user);
}
