/* Config cache of the NSS module: see nss_cache.h.
 *
 * Two locks: cache_lock guards only the pointer to the current snapshot (and
 * the config path) and is held for a few instructions; load_lock lets one
 * thread at a time parse a changed config while the others wait for its
 * result instead of parsing the same file again.  Point lookups take no other
 * lock; each enumeration cursor has its own. */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>

#include "config/compiled.h"
#include "nss_cache.h"

struct nss_snap {
    struct dlg_config *cfg;
    atomic_uint refs;
};

static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static struct nss_snap *cache_cur;                      /* under cache_lock */
static char config_path[PATH_MAX] = DLG_DEFAULT_CONFIG; /* under cache_lock */
static char compiled_path[PATH_MAX] = DLG_COMPILED_PATH; /* under cache_lock; "" = none */
static atomic_ulong compiled_count;

static pthread_mutex_t load_lock = PTHREAD_MUTEX_INITIALIZER;
static bool load_failing;                               /* under load_lock */
static time_t load_failed_logged;                       /* under load_lock */
static atomic_ulong load_count;

/* One syslog line per failure episode, then at most one every this many
 * seconds while the config stays unusable. */
#define DLG_NSS_LOG_INTERVAL 300
/* While the config is unusable, parse it again at once only when the main
 * file changed, else at most once per this many seconds (a fix in an
 * included file is seen within it).  Each lookup re-parsing a broken file
 * would cost a parse per lookup, and libconfig 1.5 leaks on some parse
 * errors (tests/fuzz/lsan.supp): a long-running process must not. */
#define DLG_NSS_RETRY_INTERVAL 1

static bool fail_cached;                                /* under load_lock */
static uint64_t fail_fp;                                /* under load_lock */
static time_t fail_at;                                  /* under load_lock */
static int fail_errno;                                  /* under load_lock */

struct nss_cursor nss_pw_cursor = NSS_CURSOR_INIT;
struct nss_cursor nss_gr_cursor = NSS_CURSOR_INIT;
struct nss_cursor nss_sp_cursor = NSS_CURSOR_INIT;

/* fork() in a threaded process while another thread holds one of these
 * locks would leave the child's copy locked forever: take them all around
 * fork (in the order the code nests them: cursor, load, cache). */
static void atfork_prepare(void)
{
    pthread_mutex_lock(&nss_pw_cursor.lock);
    pthread_mutex_lock(&nss_gr_cursor.lock);
    pthread_mutex_lock(&nss_sp_cursor.lock);
    pthread_mutex_lock(&load_lock);
    pthread_mutex_lock(&cache_lock);
}

static void atfork_release(void)
{
    pthread_mutex_unlock(&cache_lock);
    pthread_mutex_unlock(&load_lock);
    pthread_mutex_unlock(&nss_sp_cursor.lock);
    pthread_mutex_unlock(&nss_gr_cursor.lock);
    pthread_mutex_unlock(&nss_pw_cursor.lock);
}

__attribute__((constructor)) static void nss_cache_init(void)
{
    pthread_atfork(atfork_prepare, atfork_release, atfork_release);
}

const struct dlg_config *nss_snap_config(const struct nss_snap *s)
{
    return s->cfg;
}

void nss_snap_put(struct nss_snap *s)
{
    if (s == NULL)
        return;
    if (atomic_fetch_sub_explicit(&s->refs, 1, memory_order_acq_rel) == 1) {
        dlg_config_free(s->cfg);
        free(s);
    }
}

static struct nss_snap *current_ref(void)
{
    struct nss_snap *s;

    pthread_mutex_lock(&cache_lock);
    s = cache_cur;
    if (s != NULL)
        atomic_fetch_add_explicit(&s->refs, 1, memory_order_relaxed);
    pthread_mutex_unlock(&cache_lock);
    return s;
}

/* Make n (whose cache reference the caller already counted) current. */
static void install(struct nss_snap *n)
{
    struct nss_snap *old;

    pthread_mutex_lock(&cache_lock);
    old = cache_cur;
    cache_cur = n;
    pthread_mutex_unlock(&cache_lock);
    nss_snap_put(old);
}

static time_t monotonic_now(void)
{
    struct timespec ts;

    if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
        return 0;
    return ts.tv_sec;
}

/* Called with load_lock held: whether this failure is worth a log line. */
static bool log_due(void)
{
    time_t now = monotonic_now();

    if (load_failing && now - load_failed_logged < DLG_NSS_LOG_INTERVAL)
        return false;
    load_failing = true;
    load_failed_logged = now;
    return true;
}

/* The identity (dev, inode, size, times) of the main config file as one
 * number: an unusable config is parsed again at once when it changes. */
static uint64_t main_file_identity(const char *path)
{
    uint64_t h = UINT64_C(14695981039346656037);
    struct stat st;

    if (lstat(path, &st) != 0)
        memset(&st, 0, sizeof(st));
    const uint64_t v[] = { st.st_dev, st.st_ino, (uint64_t)st.st_size,
                           (uint64_t)st.st_mtim.tv_sec, (uint64_t)st.st_mtim.tv_nsec,
                           (uint64_t)st.st_ctim.tv_sec, (uint64_t)st.st_ctim.tv_nsec };
    for (size_t k = 0; k < sizeof(v) / sizeof(v[0]); k++)
        h = (h ^ v[k]) * UINT64_C(1099511628211);
    return h;
}

enum nss_status nss_snap_get(struct nss_snap **out, int *errnop)
{
    struct nss_snap *seen, *now, *n;
    struct dlg_config *cfg = NULL;
    struct dlg_diag diag = { 0 };
    char path[PATH_MAX], cpath[PATH_MAX];
    struct stat st;
    enum nss_status status = NSS_STATUS_UNAVAIL;
    bool log_now = false;
    uint64_t fp;

    seen = current_ref();
    if (seen != NULL && dlg_config_unchanged(seen->cfg)) {
        *out = seen;
        return NSS_STATUS_SUCCESS;
    }

    pthread_mutex_lock(&load_lock);
    /* Another thread may have reloaded while we waited. */
    now = current_ref();
    if (now != NULL && now != seen && dlg_config_unchanged(now->cfg)) {
        *out = now;
        now = NULL;
        status = NSS_STATUS_SUCCESS;
        goto out;
    }

    pthread_mutex_lock(&cache_lock);
    memcpy(path, config_path, sizeof(path));
    memcpy(cpath, compiled_path, sizeof(cpath));
    pthread_mutex_unlock(&cache_lock);

    /* The compiled form, while it provably matches the text (compiled.h):
     * no libconfig, no parse; NSS needs no revoked ticket ids. */
    if (cpath[0] != '\0') {
        char why[256];
        cfg = dlg_compiled_load(cpath, path, DLG_CPL_NO_TICKETS, why, sizeof(why));
        if (cfg != NULL) {
            atomic_fetch_add_explicit(&compiled_count, 1, memory_order_relaxed);
            goto loaded;
        }
    }

    fp = main_file_identity(path);
    if (fail_cached && fp == fail_fp && monotonic_now() - fail_at < DLG_NSS_RETRY_INTERVAL) {
        *errnop = fail_errno;
        if (fail_errno == ENOENT)
            status = NSS_STATUS_NOTFOUND;
        goto out;
    }
    /* dlg_config_load itself retries a load that raced with a rename.  Its
     * libconfig is loaded on demand (lcshim.c). */
    if (!nss_libconfig_available())
        dlg_diag_error(&diag, path, 0, "cannot load libconfig to read the text");
    else
        cfg = dlg_config_load(path, &diag);
    atomic_fetch_add_explicit(&load_count, 1, memory_order_relaxed);
    if (cfg == NULL) {
        /* A changed config that no longer loads is not served from the old
         * copy: fail closed until it is fixed. */
        install(NULL);
        /* Not installed (the main file does not exist): nothing is managed,
         * every name is NOTFOUND, silently.  A config that exists but is
         * unusable stays UNAVAIL, with a rate-limited log line. */
        *errnop = (lstat(path, &st) != 0 && errno == ENOENT) ? ENOENT : EIO;
        if (*errnop == ENOENT)
            status = NSS_STATUS_NOTFOUND;
        else
            log_now = log_due();
        fail_cached = true;
        fail_fp = fp;
        fail_at = monotonic_now();
        fail_errno = *errnop;
        goto out;
    }
loaded:
    fail_cached = false;
    n = calloc(1, sizeof(*n));
    if (n == NULL) {
        dlg_config_free(cfg);
        *errnop = ENOMEM;
        goto out;
    }
    n->cfg = cfg;
    atomic_init(&n->refs, 2);   /* the cache's and the caller's */
    install(n);
    load_failing = false;
    *out = n;
    status = NSS_STATUS_SUCCESS;
out:
    pthread_mutex_unlock(&load_lock);
    if (log_now)
        syslog(LOG_AUTHPRIV | LOG_ERR,
               "nss_delegate: config %s unusable, delegated accounts unavailable: %s",
               path, diag.errors.n > 0 ? diag.errors.v[0] : "unknown error");
    dlg_diag_free(&diag);
    nss_snap_put(now);
    nss_snap_put(seen);
    return status;
}

enum nss_status nss_cursor_rewind(struct nss_cursor *c)
{
    struct nss_snap *s = NULL;
    enum nss_status status;
    int err = 0;

    status = nss_snap_get(&s, &err);
    pthread_mutex_lock(&c->lock);
    nss_snap_put(c->snap);
    c->snap = s;
    c->next = 0;
    pthread_mutex_unlock(&c->lock);
    if (status != NSS_STATUS_SUCCESS)
        errno = err;
    return status;
}

void nss_cursor_close(struct nss_cursor *c)
{
    pthread_mutex_lock(&c->lock);
    nss_snap_put(c->snap);
    c->snap = NULL;
    c->next = 0;
    pthread_mutex_unlock(&c->lock);
}

enum nss_status nss_cursor_lock(struct nss_cursor *c, int *errnop)
{
    enum nss_status status;

    pthread_mutex_lock(&c->lock);
    if (c->snap == NULL) {
        status = nss_snap_get(&c->snap, errnop);
        if (status != NSS_STATUS_SUCCESS) {
            c->snap = NULL;
            pthread_mutex_unlock(&c->lock);
            return status;
        }
        c->next = 0;
    }
    return NSS_STATUS_SUCCESS;
}

void nss_cursor_unlock(struct nss_cursor *c)
{
    pthread_mutex_unlock(&c->lock);
}

const struct dlg_actor *nss_cursor_actor(struct nss_cursor *c)
{
    const struct dlg_config *cfg = c->snap->cfg;

    while (c->next < cfg->nactors && cfg->actors_by_uid[c->next]->revoked)
        c->next++;
    return c->next < cfg->nactors ? cfg->actors_by_uid[c->next] : NULL;
}

void nss_delegate_set_config_path(const char *path)
{
    pthread_mutex_lock(&load_lock);
    pthread_mutex_lock(&cache_lock);
    if (path == NULL)
        path = DLG_DEFAULT_CONFIG;
    if (strlen(path) < sizeof(config_path))
        memcpy(config_path, path, strlen(path) + 1);
    pthread_mutex_unlock(&cache_lock);
    install(NULL);
    load_failing = false;
    fail_cached = false;
    pthread_mutex_unlock(&load_lock);
}

unsigned long nss_delegate_load_count(void)
{
    return atomic_load_explicit(&load_count, memory_order_relaxed);
}

void nss_delegate_set_compiled_path(const char *path)
{
    pthread_mutex_lock(&load_lock);
    pthread_mutex_lock(&cache_lock);
    if (path == NULL)
        path = DLG_COMPILED_PATH;
    if (strlen(path) < sizeof(compiled_path))
        memcpy(compiled_path, path, strlen(path) + 1);
    pthread_mutex_unlock(&cache_lock);
    install(NULL);
    load_failing = false;
    fail_cached = false;
    pthread_mutex_unlock(&load_lock);
}

unsigned long nss_delegate_compiled_count(void)
{
    return atomic_load_explicit(&compiled_count, memory_order_relaxed);
}
