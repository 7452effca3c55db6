/* Timing helpers shared by the bench harnesses: a monotonic clock, batches
 * sized to take a few milliseconds, and median/min/max over repeats. */
#ifndef DLG_BENCH_COMMON_H
#define DLG_BENCH_COMMON_H

#include <stdint.h>
#include <stdlib.h>
#include <time.h>

static inline uint64_t bench_now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int bench_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? -1 : x > y;
}

struct bench_stat {
    double median, min, max;    /* nanoseconds per operation */
};

/* Sorts v in place. */
static inline struct bench_stat bench_summarize(double *v, size_t n)
{
    struct bench_stat s = { 0, 0, 0 };

    if (n == 0)
        return s;
    qsort(v, n, sizeof(*v), bench_cmp_double);
    s.min = v[0];
    s.max = v[n - 1];
    s.median = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
    return s;
}

/* How many calls of fn make a batch of about target_ns (at least min). */
static inline unsigned long bench_calibrate(void (*fn)(void *), void *arg, uint64_t target_ns,
                                            unsigned long min)
{
    unsigned long n = 1;

    for (;;) {
        uint64_t t0 = bench_now_ns();
        for (unsigned long i = 0; i < n; i++)
            fn(arg);
        uint64_t dt = bench_now_ns() - t0;
        if (dt >= target_ns / 4 || n >= (1ul << 24)) {
            double per = (double)dt / (double)n;
            unsigned long want = per > 0 ? (unsigned long)((double)target_ns / per) : n;
            return want < min ? min : want;
        }
        n *= 2;
    }
}

/* ns per call of one batch of n calls. */
static inline double bench_batch(void (*fn)(void *), void *arg, unsigned long n)
{
    uint64_t t0 = bench_now_ns();

    for (unsigned long i = 0; i < n; i++)
        fn(arg);
    return (double)(bench_now_ns() - t0) / (double)n;
}

#endif
