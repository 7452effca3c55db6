/* Config load time: dlg_config_load + dlg_config_free of one file, and (for
 * comparison) libconfig's config_read_file alone on the same file, which is
 * the part of the load that is libconfig's and not ours.
 *
 *   bench_config CONF [REPEATS [COMPILED]]
 * Prints "load MEDIAN MIN MAX" and "libconfig MEDIAN MIN MAX" in ns, and with
 * COMPILED (the compiled form of CONF, compiled.h) "compiled MEDIAN MIN MAX":
 * dlg_compiled_load with every freshness check, + dlg_config_free. */
#include <libconfig.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_common.h"
#include "config/compiled.h"
#include "config/config.h"

static const char *conf_path, *cpl_path;
static unsigned long failures;

static void load_once(void *arg)
{
    struct dlg_diag diag = { 0 };
    struct dlg_config *cfg = dlg_config_load(conf_path, &diag);

    (void)arg;
    if (cfg == NULL) {
        if (failures++ == 0 && diag.errors.n > 0)
            fprintf(stderr, "bench_config: %s\n", diag.errors.v[0]);
    }
    dlg_config_free(cfg);
    dlg_diag_free(&diag);
}

static void libconfig_once(void *arg)
{
    config_t c;

    (void)arg;
    config_init(&c);
    if (config_read_file(&c, conf_path) != CONFIG_TRUE)
        failures++;
    config_destroy(&c);
}

static void compiled_once(void *arg)
{
    char why[256];
    struct dlg_config *cfg = dlg_compiled_load(cpl_path, conf_path, 0, why, sizeof(why));

    (void)arg;
    if (cfg == NULL && failures++ == 0)
        fprintf(stderr, "bench_config: compiled form refused: %s\n", why);
    dlg_config_free(cfg);
}

int main(int argc, char **argv)
{
    unsigned long repeats = argc > 2 ? strtoul(argv[2], NULL, 10) : 11, nl, nc;
    double *tl, *tc;

    if (argc < 2 || repeats == 0) {
        fprintf(stderr, "usage: bench_config CONF [REPEATS]\n");
        return 2;
    }
    conf_path = argv[1];
    cpl_path = argc > 3 ? argv[3] : NULL;
    load_once(NULL);
    libconfig_once(NULL);
    if (failures != 0)
        return 1;
    nl = bench_calibrate(load_once, NULL, 30000000ul, 3);
    nc = bench_calibrate(libconfig_once, NULL, 30000000ul, 3);
    tl = calloc(repeats, sizeof(*tl));
    tc = calloc(repeats, sizeof(*tc));
    if (tl == NULL || tc == NULL)
        return 2;
    for (unsigned long r = 0; r < repeats; r++) {
        tl[r] = bench_batch(load_once, NULL, nl);
        tc[r] = bench_batch(libconfig_once, NULL, nc);
    }
    if (failures != 0)
        return 1;
    struct bench_stat sl = bench_summarize(tl, repeats), sc = bench_summarize(tc, repeats);
    printf("load %.0f %.0f %.0f n=%lu\n", sl.median, sl.min, sl.max, nl);
    printf("libconfig %.0f %.0f %.0f n=%lu\n", sc.median, sc.min, sc.max, nc);
    if (cpl_path != NULL) {
        compiled_once(NULL);
        unsigned long np = bench_calibrate(compiled_once, NULL, 30000000ul, 3);
        for (unsigned long r = 0; r < repeats; r++)
            tl[r] = bench_batch(compiled_once, NULL, np);
        if (failures != 0)
            return 1;
        sl = bench_summarize(tl, repeats);
        printf("compiled %.0f %.0f %.0f n=%lu\n", sl.median, sl.min, sl.max, np);
    }
    free(tl);
    free(tc);
    return 0;
}
