/* Fuzz target: the config loader (libconfig + validation) on arbitrary
 * bytes, through a file in the fixture's trusted dir.  "@KEYDIR@" in the
 * input becomes that dir, so seeds can name the fixture's key files and
 * its revoked.conf.  A loaded config is then queried the way the modules
 * query it, and its keys are loaded when every key file lies in the dir. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "fuzz_env.h"
#include "decision/keys.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *conf_path, *rev_path;

static const char revoked[] =
    "revoke = { tickets = ( { id = \"t-1\"; until = \"2026-11-27T10:15:00Z\"; }, { id = \"t-2\"; } );\n"
    "  actors = [\"gone-bot\"]; principals = []; issuers = []; keys = [];\n"
    "  issued_before = \"2026-11-01T00:00:00Z\"; };\n";

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fuzz_env_get();
    conf_path = fuzz_env_path("fuzz.conf");
    rev_path = fuzz_env_path("fuzz-revoke.conf");
    if (fuzz_env_write("revoked.conf", revoked, sizeof(revoked) - 1) != 0)
        abort();
    return 0;
}

static void exercise(const struct dlg_config *cfg)
{
    struct fuzz_env *env = fuzz_env_get();
    size_t dl = strlen(env->dir), i, j;
    bool keys_local = true;

    for (i = 0; i < cfg->nactors; i++) {
        const struct dlg_actor *a = &cfg->actors[i];
        if (dlg_config_actor(cfg, a->name) != a)
            abort();
        if (dlg_config_actor_by_uid(cfg, a->uid) == NULL)
            abort();
        if (a->uid < cfg->uid_min || a->uid > cfg->uid_max || a->uid < 1000)
            abort();
        for (j = 0; j < a->groups.n; j++)
            if (dlg_config_group(cfg, a->groups.v[j]) == NULL)
                abort();
    }
    for (i = 0; i < cfg->ngroups; i++)
        if (dlg_config_group_by_gid(cfg, cfg->groups[i].gid) == NULL)
            abort();
    for (i = 0; i < cfg->nissuers; i++) {
        if (dlg_config_issuer(cfg, cfg->issuers[i].id) != &cfg->issuers[i])
            abort();
        if (cfg->issuers[i].nkeys == 0)
            abort();
        for (j = 0; j < cfg->issuers[i].nkeys; j++) {
            const char *f = cfg->issuers[i].keys[j].file;
            if (strncmp(f, env->dir, dl) != 0 || f[dl] != '/' || strstr(f, ".."))
                keys_local = false;
        }
    }
    (void)dlg_config_actor(cfg, "nobody-here");
    (void)dlg_config_actor_by_uid(cfg, 0);
    (void)dlg_config_ticket_revoked(cfg, "t-1");
    (void)dlg_config_ticket_revoked(cfg, "zz");
    (void)dlg_config_unchanged(cfg);
    if (cfg->clock_skew < 0 || cfg->max_lifetime <= 0)
        abort();
    if (keys_local) {
        struct dlg_keyring kr = {0};
        struct dlg_diag d = {0};
        if (dlg_keyring_load(cfg, &kr, &d) == 0)
            dlg_keyring_free(&kr);
        dlg_diag_free(&d);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct dlg_diag diag = {0};
    struct dlg_config *cfg;
    size_t len;
    char *text;

    if (size > 65536)
        return 0;
    text = fuzz_env_expand(data, size, &len);
    if (fuzz_env_write("fuzz.conf", text, len) != 0)
        abort();
    cfg = dlg_config_load(conf_path, &diag);
    if (cfg) {
        if (diag.errors.n != 0)
            abort();
        exercise(cfg);
        dlg_config_free(cfg);
    } else if (diag.errors.n == 0) {
        /* A refusal must say why (FILE:LINE: message). */
        abort();
    }
    dlg_diag_free(&diag);

    /* The same bytes as a standalone revoked.conf (delegatectl revoke). */
    if (fuzz_env_write("fuzz-revoke.conf", text, len) != 0)
        abort();
    if (dlg_revoke_file_validate(rev_path, &diag) != 0 && diag.errors.n == 0)
        abort();
    dlg_diag_free(&diag);
    free(text);
    return 0;
}
