/* Per-lookup cost of getpwnam_r / getpwuid_r through glibc, whatever
 * /etc/nsswitch.conf says (the driver runs this once with `passwd: files`
 * and once with `passwd: delegate`, so glibc's own dispatch is the same on
 * both sides).
 *
 *   bench_nss first HITNAME
 *       time of the very first lookup in this fresh process (nsswitch.conf
 *       read, module dlopen and, for delegate, the config parse); prints
 *       "first NS".
 *   bench_nss warm HITNAME HITUID MISSNAME MISSUID [REPEATS] [BATCH_MS]
 *       after one lookup, batches of each kind; prints
 *       "KIND MEDIAN MIN MAX n=N" (ns per lookup) for name_hit, name_miss,
 *       uid_hit, uid_miss. */
#include <errno.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_common.h"

struct lookup {
    const char *name;
    uid_t uid;
    bool by_uid, want_hit;
    unsigned long wrong;
};

static char buf[16384];

static void lookup_once(void *arg)
{
    struct lookup *l = arg;
    struct passwd pw, *res = NULL;
    int rc;

    if (l->by_uid)
        rc = getpwuid_r(l->uid, &pw, buf, sizeof(buf), &res);
    else
        rc = getpwnam_r(l->name, &pw, buf, sizeof(buf), &res);
    if (rc != 0 || (res != NULL) != l->want_hit)
        l->wrong++;
}

int main(int argc, char **argv)
{
    if (argc >= 3 && strcmp(argv[1], "first") == 0) {
        struct lookup l = { .name = argv[2], .want_hit = true };
        uint64_t t0 = bench_now_ns();
        lookup_once(&l);
        uint64_t dt = bench_now_ns() - t0;
        if (l.wrong != 0) {
            fprintf(stderr, "bench_nss: %s not found\n", argv[2]);
            return 1;
        }
        printf("first %llu\n", (unsigned long long)dt);
        return 0;
    }
    if (argc < 6 || strcmp(argv[1], "warm") != 0) {
        fprintf(stderr, "usage: bench_nss first NAME | warm NAME UID MISSNAME MISSUID [REPEATS] [MS]\n");
        return 2;
    }
    unsigned long repeats = argc > 6 ? strtoul(argv[6], NULL, 10) : 11;
    unsigned long ms = argc > 7 ? strtoul(argv[7], NULL, 10) : 20;
    struct lookup kinds[4] = {
        { .name = argv[2], .want_hit = true },
        { .name = argv[4], .want_hit = false },
        { .uid = (uid_t)strtoul(argv[3], NULL, 10), .by_uid = true, .want_hit = true },
        { .uid = (uid_t)strtoul(argv[5], NULL, 10), .by_uid = true, .want_hit = false },
    };
    static const char *const label[4] = { "name_hit", "name_miss", "uid_hit", "uid_miss" };
    unsigned long n[4];
    double *t[4];

    if (repeats == 0)
        return 2;
    for (int k = 0; k < 4; k++) {
        lookup_once(&kinds[k]);            /* warm: the first lookup is not timed */
        if (kinds[k].wrong != 0) {
            fprintf(stderr, "bench_nss: %s lookup gives the wrong answer\n", label[k]);
            return 1;
        }
        n[k] = bench_calibrate(lookup_once, &kinds[k], ms * 1000000ul, 5);
        t[k] = calloc(repeats, sizeof(double));
        if (t[k] == NULL)
            return 2;
    }
    for (unsigned long r = 0; r < repeats; r++)
        for (int k = 0; k < 4; k++)
            t[k][r] = bench_batch(lookup_once, &kinds[k], n[k]);
    for (int k = 0; k < 4; k++) {
        if (kinds[k].wrong != 0) {
            fprintf(stderr, "bench_nss: %s gave a wrong answer during the run\n", label[k]);
            return 1;
        }
        struct bench_stat s = bench_summarize(t[k], repeats);
        printf("%s %.0f %.0f %.0f n=%lu\n", label[k], s.median, s.min, s.max, n[k]);
        free(t[k]);
    }
    return 0;
}
