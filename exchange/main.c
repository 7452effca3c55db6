/* delegate-exchange --config FILE [--check] (DESIGN.md §7): load and check
 * the config, fetch every provider's JWKS once, then serve until SIGTERM.
 * Exit status: 0 fine (--check: the config is valid), 1 the config has
 * errors, 2 usage or system error. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "xchg.h"

static void usage(FILE *f)
{
    fprintf(f, "usage: delegate-exchange [--config FILE] [--check]\n"
               "  --config FILE  the config (default " X_DEFAULT_CONFIG ")\n"
               "  --check        validate the config (and load the issuer key), then exit:\n"
               "                 0 valid, 1 errors (FILE:LINE: message on stderr)\n"
               "  --version      print the version\n"
               "See delegate-exchange(8).\n");
}

static void print_diag(const struct dlg_diag *d)
{
    for (size_t i = 0; i < d->errors.n; i++)
        fprintf(stderr, "%s\n", d->errors.v[i]);
    for (size_t i = 0; i < d->warnings.n; i++)
        fprintf(stderr, "%s\n", d->warnings.v[i]);
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        { "config", required_argument, NULL, 'c' },
        { "check", no_argument, NULL, 'k' },
        { "help", no_argument, NULL, 'h' },
        { "version", no_argument, NULL, 'V' },
        { NULL, 0, NULL, 0 },
    };
    const char *path = X_DEFAULT_CONFIG;
    bool check = false;
    struct x_config cfg;
    struct dlg_diag diag = { 0 };
    char why[512];
    sigset_t set;
    int c, rc = 2;

    while ((c = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
        switch (c) {
        case 'c': path = optarg; break;
        case 'k': check = true; break;
        case 'h': usage(stdout); return 0;
        case 'V': printf("delegate-exchange %s\n", DLG_VERSION); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "delegate-exchange: unexpected argument '%s'\n", argv[optind]);
        usage(stderr);
        return 2;
    }
    /* before any thread: the signals are taken by sigwait in x_http_serve */
    signal(SIGPIPE, SIG_IGN);
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, NULL);

    if (x_config_load(path, &cfg, &diag, true) != 0) {
        print_diag(&diag);
        fprintf(stderr, "delegate-exchange: %s: %zu error%s\n", path, diag.errors.n,
                diag.errors.n == 1 ? "" : "s");
        dlg_diag_free(&diag);
        x_config_free(&cfg);
        return 1;
    }
    print_diag(&diag);
    dlg_diag_free(&diag);
    if (check) {
        printf("%s: OK (%zu provider%s, %zu rule%s)\n", path, cfg.nproviders,
               cfg.nproviders == 1 ? "" : "s", cfg.nrules, cfg.nrules == 1 ? "" : "s");
        x_config_free(&cfg);
        return 0;
    }
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        fprintf(stderr, "delegate-exchange: curl_global_init failed\n");
        goto out;
    }
    if (x_replay_open(cfg.state, why, sizeof(why)) != 0) {
        fprintf(stderr, "delegate-exchange: state: %s\n", why);
        goto out_curl;
    }
    if (x_jwks_attach(&cfg) != 0) {
        fprintf(stderr, "delegate-exchange: out of memory\n");
        goto out_curl;
    }
    for (size_t i = 0; i < cfg.nproviders; i++) {
        if (x_jwks_refresh(&cfg.providers[i], (int64_t)time(NULL), why, sizeof(why)) != 0)
            fprintf(stderr, "delegate-exchange: provider %s: %s (its tokens get 503 "
                            "unavailable until a fetch succeeds)\n", cfg.providers[i].id, why);
    }
    rc = x_http_serve(&cfg) == 0 ? 0 : 2;
out_curl:
    curl_global_cleanup();
out:
    x_config_free(&cfg);
    return rc;
}
