/* Wall time of two commands, run alternately (A B, B A, A B, ...) so that
 * each pair sees the same machine load; for the end-to-end comparisons
 * (ssh, sudo) on a noisy machine.
 *
 *   bench_exec PAIRS WARMUP PROG_A PROG_B
 * PROG_A and PROG_B are executables run without arguments, stdin and
 * stdout/stderr on /dev/null; each must exit 0.  Prints, in ms,
 * "a MEDIAN MIN MAX", "b MEDIAN MIN MAX" and the per-pair "ratio" a/b. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench_common.h"

static double run_ms(const char *prog)
{
    uint64_t t0 = bench_now_ns();
    pid_t pid = fork();
    int status;

    if (pid < 0) {
        perror("bench_exec: fork");
        exit(2);
    }
    if (pid == 0) {
        int fd = open("/dev/null", O_RDWR);
        if (fd >= 0) {
            dup2(fd, 0);
            dup2(fd, 1);
            dup2(fd, 2);
        }
        execl(prog, prog, (char *)NULL);
        _exit(127);
    }
    if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "bench_exec: %s failed (status %d)\n", prog, status);
        exit(1);
    }
    return (double)(bench_now_ns() - t0) / 1e6;
}

int main(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "usage: bench_exec PAIRS WARMUP PROG_A PROG_B\n");
        return 2;
    }
    unsigned long pairs = strtoul(argv[1], NULL, 10), warmup = strtoul(argv[2], NULL, 10);
    const char *a = argv[3], *b = argv[4];
    double *ta = calloc(pairs + 1, sizeof(double)), *tb = calloc(pairs + 1, sizeof(double));
    double *ratio = calloc(pairs + 1, sizeof(double));

    if (pairs == 0 || ta == NULL || tb == NULL || ratio == NULL)
        return 2;
    for (unsigned long i = 0; i < warmup; i++) {
        run_ms(a);
        run_ms(b);
    }
    for (unsigned long i = 0; i < pairs; i++) {
        if (i % 2 == 0) {
            ta[i] = run_ms(a);
            tb[i] = run_ms(b);
        } else {
            tb[i] = run_ms(b);
            ta[i] = run_ms(a);
        }
        ratio[i] = ta[i] / tb[i];
    }
    struct bench_stat s;
    s = bench_summarize(ta, pairs);
    printf("a %.3f %.3f %.3f\n", s.median, s.min, s.max);
    s = bench_summarize(tb, pairs);
    printf("b %.3f %.3f %.3f\n", s.median, s.min, s.max);
    s = bench_summarize(ratio, pairs);
    printf("ratio %.4f %.4f %.4f\n", s.median, s.min, s.max);
    free(ta);
    free(tb);
    free(ratio);
    return 0;
}
