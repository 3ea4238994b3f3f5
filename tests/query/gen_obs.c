/* gen_obs: one observation file of N synthetic A RRsets for the query service's tests and
 * bench (tests/system/query_http.sh, bench/query.sh), built with the library's observation
 * writer; `tapdns-index build` turns it into a generation.
 *   gen_obs OUT.obs.zst N
 * Owners hI.dJ.test. (I = 0..N-1, J = I % 1000), bailiwick test., time 1767225600 (the hour
 * 2026010100), count 1. rdata: 12% of the RRsets the hot address 192.0.2.1, 25% an address in
 * 198.51.100.0/24, the rest 10.a.b.c from I. So rdata/ip/192.0.2.1 gives 0.12 N results,
 * 198.51.100.0,24 0.25 N, rrset/name/ *.test N and rrset/name/ *.dJ.test N/1000.
 * Compiled by the scripts themselves: cc -Ilib -Ibatch ... gen_obs.c BUILD/libtapdns.a LIBS. */
#include "obs.h"
#include "varint.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REC 64
#define T0 1767225600u

static size_t put_label(uint8_t *p, const char *s)
{
    size_t n = strlen(s);
    p[0] = (uint8_t)n;
    memcpy(p + 1, s, n);
    return n + 1;
}

static int cmp(const void *a, const void *b)
{
    const uint8_t *x = a, *y = b;
    size_t lx = x[0], ly = y[0];
    int c = memcmp(x + 1, y + 1, lx < ly ? lx : ly);
    return c ? c : (lx > ly) - (lx < ly);
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: gen_obs OUT.obs.zst N\n");
        return 2;
    }
    size_t n = strtoull(argv[2], NULL, 10);
    uint8_t *recs = malloc(n * REC);
    if (!recs)
        return 1;
    for (size_t i = 0; i < n; i++) {
        uint8_t *r = recs + i * REC, *p = r + 1;
        char h[24], d[24];
        snprintf(h, sizeof h, "h%zu", i);
        snprintf(d, sizeof d, "d%zu", i % 1000);
        p += put_label(p, "test");
        p += put_label(p, d);
        p += put_label(p, h);
        *p++ = 0;
        p += td_varint_put(p, 1);
        p += put_label(p, "test");
        *p++ = 0;
        p += td_varint_put(p, 4);
        uint64_t x = (uint64_t)i * 0x9E3779B97F4A7C15ull;
        unsigned pick = (unsigned)(x >> 56) % 100;
        if (pick < 12) {
            memcpy(p, (uint8_t[]){ 192, 0, 2, 1 }, 4);
        } else if (pick < 37) {
            memcpy(p, (uint8_t[]){ 198, 51, 100, (uint8_t)(i % 256) }, 4);
        } else {
            memcpy(p, (uint8_t[]){ 10, (uint8_t)(i >> 16), (uint8_t)(i >> 8), (uint8_t)i }, 4);
        }
        p += 4;
        r[0] = (uint8_t)(p - r - 1);
    }
    qsort(recs, n, REC, cmp);
    char err[256];
    struct td_obs_writer *w = td_obs_writer_open(argv[1], 0, err, sizeof err);
    if (!w) {
        fprintf(stderr, "gen_obs: %s\n", err);
        return 1;
    }
    struct td_obs_value v = { 1, T0, T0 + 60, 0, 0 };
    for (size_t i = 0; i < n; i++) {
        const uint8_t *r = recs + i * REC;
        if (td_obs_write(w, r + 1, r[0], &v, err, sizeof err) != 0) {
            fprintf(stderr, "gen_obs: %s\n", err);
            td_obs_writer_abort(&w);
            return 1;
        }
    }
    if (td_obs_writer_close(&w, err, sizeof err) != 0) {
        fprintf(stderr, "gen_obs: %s\n", err);
        return 1;
    }
    free(recs);
    return 0;
}
