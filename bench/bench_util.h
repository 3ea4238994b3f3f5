/* bench_util.h: what every benchmark needs: a monotonic clock, a fast deterministic PRNG
 * (xorshift64: the same seed gives the same data in every run), and a comparator for
 * medians. */
#ifndef TD_BENCH_UTIL_H
#define TD_BENCH_UTIL_H
#include <stdint.h>
#include <time.h>

static inline double bench_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static inline uint64_t bench_xorshift(uint64_t *state)
{
    uint64_t x = *state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return *state = x;
}

static inline int bench_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

#endif
