/* delegatectl compile: write the compiled policy snapshot (compiled.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/compiled.h"
#include "ctl.h"

/* Where the compiled form of config goes: $DELEGATE_COMPILED, else
 * DLG_COMPILED_PATH, which belongs to the host's config alone (NULL for
 * another config: compiling a test config there would only displace the
 * host's form). */
const char *ctl_compiled_path(const char *config)
{
    const char *env = getenv("DELEGATE_COMPILED");

    if (env != NULL && env[0] == '/')
        return env;
    if (config != NULL && strcmp(config, DLG_DEFAULT_CONFIG) == 0)
        return DLG_COMPILED_PATH;
    return NULL;
}

void ctl_compile_after_write(const struct ctl_verb *v, const char *config)
{
    const char *out = ctl_compiled_path(config);
    struct dlg_diag diag = { 0 };
    struct dlg_config *cfg;

    if (out == NULL || geteuid() != 0)
        return;
    cfg = dlg_config_load_stamped(config, &diag);
    if (cfg == NULL || dlg_compiled_write(cfg, out, &diag) != 0) {
        ctl_print_diag(&diag);
        ctl_warn(v, "%s not updated; readers use the text until 'delegatectl compile' succeeds", out);
    }
    dlg_config_free(cfg);
    dlg_diag_free(&diag);
}

static int run_compile(const struct ctl_verb *v, int argc, char **argv)
{
    static const struct option opts[] = {
        { "config", required_argument, NULL, 'c' },
        { "out", required_argument, NULL, 'o' },
        { "check", no_argument, NULL, 'k' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *config = DLG_DEFAULT_CONFIG, *out = NULL;
    struct dlg_diag diag = { 0 };
    struct dlg_config *cfg = NULL;
    bool check = false;
    char why[512];
    int c, rc = CTL_DENY;

    while ((c = ctl_getopt(v, argc, argv, "h", opts)) != -1) {
        switch (c) {
        case 'c': config = optarg; break;
        case 'o': out = optarg; break;
        case 'k': check = true; break;
        case 'h': return ctl_help(v);
        default: return CTL_USAGE;
        }
    }
    if (optind < argc)
        return ctl_usage(v, "unexpected argument '%s'", argv[optind]);
    if (out == NULL)
        out = ctl_compiled_path(config);
    if (out == NULL)
        return ctl_usage(v, "--out is required with a config other than " DLG_DEFAULT_CONFIG);
    if (config == NULL || config[0] != '/' || out[0] != '/')
        return ctl_usage(v, "--config and --out need absolute paths");
    if (check) {
        cfg = dlg_compiled_load(out, config, 0, why, sizeof(why));
        if (cfg == NULL) {
            printf("stale: %s\n", why);
            return CTL_DENY;
        }
        printf("fresh: %s matches %s (%zu files)\n", out, config, cfg->nfiles);
        dlg_config_free(cfg);
        return CTL_OK;
    }
    cfg = dlg_config_load_stamped(config, &diag);
    if (cfg == NULL) {
        ctl_print_diag(&diag);
        /* A compiled form of an older, valid text must not outlive it:
         * readers would refuse it anyway (identities differ); remove it. */
        if (dlg_compiled_remove(out) != 0)
            ctl_err(v, "%s: could not remove the stale compiled form", out);
        ctl_err(v, "config invalid; no compiled form written");
        goto done;
    }
    if (!dlg_compiled_usable_for(cfg, &diag)) {
        ctl_print_diag(&diag);
        if (dlg_compiled_remove(out) != 0)
            ctl_err(v, "%s: could not remove the stale compiled form", out);
        ctl_err(v, "no compiled form written; readers read the text");
        goto done;
    }
    if (dlg_compiled_write(cfg, out, &diag) != 0) {
        ctl_print_diag(&diag);
        rc = CTL_USAGE;
        goto done;
    }
    rc = CTL_OK;
done:
    dlg_config_free(cfg);
    dlg_diag_free(&diag);
    return rc;
}

const struct ctl_verb ctl_verb_compile = {
    .name = "compile",
    .run = run_compile,
    .synopsis = "compile [--config F] [--out F] [--check]",
    .help =
        "Load and validate the config, then write its compiled form (default\n"
        DLG_COMPILED_PATH ") atomically, as root.  The PAM module, the NSS\n"
        "module and 'verify' use the compiled form only while every file it was\n"
        "compiled from has the recorded identity and passes the same trust checks\n"
        "as the text; otherwise they read the text.  'revoke' and 'prune' compile\n"
        "after they write, and the PAM module compiles when it has loaded a\n"
        "changed text as root.  Nothing is written for a config whose files lie\n"
        "on a file system whose change time is not kept by the kernel alone\n"
        "(FAT, NFS, CIFS, FUSE: exit 1).  With --check, only report whether the\n"
        "compiled form is fresh (exit 0) or stale (exit 1, with the reason).\n"
        "\n"
        "Options:\n"
        "  --config F     the config file (default " DLG_DEFAULT_CONFIG ")\n"
        "  --out F        the compiled form (default $DELEGATE_COMPILED, else\n"
        "                 " DLG_COMPILED_PATH " for the default config)\n"
        "  --check        report freshness, write nothing\n"
        "  -h, --help     show this help\n"
        "\n"
        "Exit status: 0 written (or fresh), 1 config invalid, not usable compiled\n"
        "(or stale), 2 usage or system error.\n",
};
