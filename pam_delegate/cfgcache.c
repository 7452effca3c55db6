/* The config of one PAM transaction: loaded by the first phase that needs
 * it, kept with pam_set_data and reused by the later phases of the same
 * process while every file it was read from (main file and includes) keeps
 * its identity (dlg_config_unchanged: dev, inode, size, mtime, ctime).  An
 * edit, `delegatectl revoke`'s rename or a chmod/chown of any of them makes
 * the next phase load and trust-check the config again, so account and
 * session still judge under the config as it is now.
 *
 * File times tick in coarse steps (a kernel jiffy), so an in-place rewrite
 * of the same size right after the load could keep the recorded times.  A
 * config whose files changed less than PD_RACY_NS before it was loaded is
 * therefore never reused (git's "racily clean" rule). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <security/pam_modules.h>

#include "config/compiled.h"
#include "pam_delegate.h"

#define PD_CONFIG_DATA_NAME "pam_delegate:config"
#define PD_RACY_NS          (INT64_C(100) * 1000 * 1000)

struct pd_config_cache {
    char *path;
    struct dlg_config *cfg;
    int64_t loaded_ns;          /* CLOCK_REALTIME before the load began */
};

static int64_t ts_ns(const struct timespec *ts)
{
    return (int64_t)ts->tv_sec * 1000000000 + ts->tv_nsec;
}

static void cache_cleanup(pam_handle_t *pamh, void *data, int error_status)
{
    struct pd_config_cache *cc = data;

    (void)pamh;
    (void)error_status;
    if (cc == NULL)
        return;
    dlg_config_free(cc->cfg);
    free(cc->path);
    free(cc);
}

static bool reusable(const struct pd_config_cache *cc, const char *path)
{
    if (strcmp(cc->path, path) != 0)
        return false;
    for (size_t i = 0; i < cc->cfg->nfiles; i++) {
        if (ts_ns(&cc->cfg->files[i].ctime) > cc->loaded_ns - PD_RACY_NS ||
            ts_ns(&cc->cfg->files[i].mtime) > cc->loaded_ns - PD_RACY_NS)
            return false;
    }
    return dlg_config_unchanged(cc->cfg);
}

struct dlg_config *pd_config_get(pam_handle_t *pamh, const char *path, struct dlg_diag *diag,
                                 bool *owned)
{
    return pd_config_get_compiled(pamh, path, NULL, diag, owned);
}

/* The compiled form while it provably matches the text (compiled.h), else
 * the text; after a text load as root, the compiled form is rewritten so
 * that the next process need not parse (not when the load was racily clean:
 * then the writer would have to wait, and a login must not). */
static struct dlg_config *load_config(const char *path, const char *cpath, struct dlg_diag *diag)
{
    struct dlg_config *cfg = NULL;
    char why[256];

    if (cpath != NULL) {
        /* a transaction needs one actor: materialize only that one */
        cfg = dlg_compiled_load(cpath, path, DLG_CPL_LAZY_ACTORS, why, sizeof(why));
        if (cfg != NULL)
            return cfg;
    }
    cfg = dlg_config_load_stamped(path, diag);
    if (cfg != NULL && cpath != NULL && geteuid() == 0)
        (void)dlg_compiled_write_opt(cfg, cpath, DLG_CPL_WRITE_NOWAIT, NULL);
    return cfg;
}

struct dlg_config *pd_config_get_compiled(pam_handle_t *pamh, const char *path, const char *cpath,
                                          struct dlg_diag *diag, bool *owned)
{
    const void *data = NULL;
    struct pd_config_cache *cc;
    struct dlg_config *cfg;
    struct timespec now;

    *owned = false;
    if (pam_get_data(pamh, PD_CONFIG_DATA_NAME, &data) == PAM_SUCCESS && data != NULL &&
        reusable(data, path))
        return ((const struct pd_config_cache *)data)->cfg;

    if (clock_gettime(CLOCK_REALTIME, &now) != 0)
        now.tv_sec = now.tv_nsec = 0;   /* then it is never reused */
    cfg = load_config(path, cpath, diag);
    cc = cfg != NULL ? calloc(1, sizeof(*cc)) : NULL;
    if (cc != NULL) {
        cc->path = strdup(path);
        cc->cfg = cfg;
        cc->loaded_ns = ts_ns(&now);
    }
    if (cc == NULL || cc->path == NULL) {
        /* Not cacheable (unusable config, or no memory): forget any older
         * one, so that no later phase can fall back on it. */
        if (data != NULL)
            (void)pam_set_data(pamh, PD_CONFIG_DATA_NAME, NULL, NULL);
        free(cc);
        *owned = cfg != NULL;
        return cfg;
    }
    /* Replacing frees the older config (cache_cleanup). */
    if (pam_set_data(pamh, PD_CONFIG_DATA_NAME, cc, cache_cleanup) != PAM_SUCCESS) {
        if (data != NULL)
            (void)pam_set_data(pamh, PD_CONFIG_DATA_NAME, NULL, NULL);
        free(cc->path);
        free(cc);
        *owned = true;
    }
    return cfg;
}
