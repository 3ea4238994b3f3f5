/* test_ipfrag: IPv4/IPv6 fragment reassembly (lib/ipfrag.c). Fragments are td_frame values
 * built by hand: the fragment data sits at frame + l4_off with l4_off 0. */
#include "tt.h"
#include "ipfrag.h"

#include <stdlib.h>

#define SEC 1000000000ull

static uint8_t dg[65535];     /* datagram under test */
static uint8_t dg2[65535];

static uint32_t rng_state;
static uint32_t
rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 17;
    rng_state ^= rng_state << 5;
    return rng_state;
}

static void
fill(uint8_t *p, size_t n, uint32_t seed)
{
    rng_state = seed ? seed : 1;
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)rnd();
}

static struct td_frame
frag(int ver, uint8_t src_last, uint32_t id, uint32_t off, uint32_t len, int more)
{
    struct td_frame f;
    memset(&f, 0, sizeof(f));
    f.ip_version = (uint8_t)ver;
    f.l4_proto = 17;
    f.flags = TD_FF_FRAGMENT | (more ? TD_FF_MORE_FRAGS : 0);
    if (ver == 4) {
        f.src[0] = 192; f.src[1] = 0; f.src[2] = 2; f.src[3] = src_last;
        f.dst[0] = 198; f.dst[1] = 51; f.dst[2] = 100; f.dst[3] = 1;
    } else {
        f.src[0] = 0x20; f.src[1] = 0x01; f.src[2] = 0x0d; f.src[3] = 0xb8; f.src[15] = src_last;
        f.dst[0] = 0x20; f.dst[1] = 0x01; f.dst[2] = 0x0d; f.dst[3] = 0xb8; f.dst[15] = 0x53;
    }
    f.frag_id = id;
    f.frag_off = (uint16_t)off;
    f.ip_payload_len = (uint16_t)len;
    f.payload_len = (uint16_t)len;
    f.l4_off = 0;
    return f;
}

/* Feeds fragment [off, off+len) of buf. */
static int
feed(struct td_ipfrag *t, uint64_t ts, int ver, uint8_t src, uint32_t id, const uint8_t *buf,
     uint32_t off, uint32_t len, int more, const uint8_t **out, size_t *out_len)
{
    struct td_frame f = frag(ver, src, id, off, len, more);
    return td_ipfrag_add(t, ts, &f, buf + off, out, out_len);
}

/* Splits a datagram of `total` octets into n fragments of `fs` octets (last one shorter),
 * feeds them in the order `order`, checks that only the last fed completes it. */
static void
run_order(int ver, uint32_t total, uint32_t fs, const uint32_t *order, uint32_t n, uint32_t seed)
{
    struct td_ipfrag *t = td_ipfrag_init(NULL);
    CHECK(t != NULL);
    if (!t)
        return;
    fill(dg, total, seed);
    const uint8_t *out = NULL;
    size_t out_len = 0;
    for (uint32_t k = 0; k < n; k++) {
        uint32_t off = order[k] * fs, len = off + fs < total ? fs : total - off;
        int more = off + len < total;
        int r = feed(t, k, ver, 1, 0x1234, dg, off, len, more, &out, &out_len);
        if (k + 1 < n) {
            CHECK_EQ(r, 0);
        } else {
            CHECK_EQ(r, 1);
            CHECK_EQ(out_len, total);
            if (out && out_len == total)
                CHECK_MEM(out, dg, total);
        }
    }
    const struct td_ipfrag_stats *st = td_ipfrag_stats(t);
    CHECK_EQ(st->fragments, n);
    CHECK_EQ(st->reassembled, 1);
    CHECK_EQ(st->in_progress, 0);
    CHECK_EQ(st->bytes_held, 0);
    CHECK_EQ(st->invalid + st->overlap_conflict + st->evicted + st->timeouts, 0);
    td_ipfrag_destroy(&t);
    CHECK(t == NULL);
}

static uint32_t ord[8192];

static void
test_in_order(void)
{
    static const struct { uint32_t total, fs; } c[] = {
        { 1000, 504 },     /* 2 fragments */
        { 1000, 336 },     /* 3 */
        { 4000, 8 },       /* 500 */
        { 3001, 1480 },    /* 3, last 41 */
        { 2048, 1024 },    /* 2, chunk-aligned */
        { 65535, 1480 },   /* the biggest datagram */
        { 65535, 8 },      /* 8192 fragments */
    };
    for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
        uint32_t n = (c[i].total + c[i].fs - 1) / c[i].fs;
        for (uint32_t k = 0; k < n; k++)
            ord[k] = k;
        run_order(4, c[i].total, c[i].fs, ord, n, (uint32_t)i + 7);
    }
}

static void
test_reverse_order(void)
{
    static const struct { uint32_t total, fs; } c[] = {
        { 1000, 504 }, { 1000, 336 }, { 3001, 1480 }, { 65535, 1232 }, { 777, 8 },
    };
    for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
        uint32_t n = (c[i].total + c[i].fs - 1) / c[i].fs;
        for (uint32_t k = 0; k < n; k++)
            ord[k] = n - 1 - k;
        run_order(4, c[i].total, c[i].fs, ord, n, (uint32_t)i + 100);
    }
}

static void
test_random_permutations(void)
{
    for (uint32_t seed = 1; seed <= 12; seed++) {
        uint32_t total = 200 + seed * 997, fs = 8 * (1 + seed % 7 * 9);
        uint32_t n = (total + fs - 1) / fs;
        for (uint32_t k = 0; k < n; k++)
            ord[k] = k;
        rng_state = seed * 2654435761u;
        for (uint32_t k = n - 1; k > 0; k--) {
            uint32_t j = rnd() % (k + 1), x = ord[k];
            ord[k] = ord[j];
            ord[j] = x;
        }
        run_order(seed % 2 ? 4 : 6, total, fs, ord, n, seed);
    }
}

static void
test_duplicates(void)
{
    struct td_ipfrag *t = td_ipfrag_init(NULL);
    fill(dg, 100, 3);
    const uint8_t *out;
    size_t ol;
    CHECK_EQ(feed(t, 0, 4, 1, 9, dg, 0, 48, 1, &out, &ol), 0);
    CHECK_EQ(td_ipfrag_stats(t)->bytes_held, 48);
    CHECK_EQ(feed(t, 1, 4, 1, 9, dg, 0, 48, 1, &out, &ol), 0);    /* exact duplicate */
    CHECK_EQ(td_ipfrag_stats(t)->bytes_held, 48);
    CHECK_EQ(feed(t, 2, 4, 1, 9, dg, 48, 52, 0, &out, &ol), 1);
    CHECK_EQ(ol, 100);
    CHECK_MEM(out, dg, 100);
    /* a duplicate after completion starts a new datagram that will time out */
    CHECK_EQ(feed(t, 3, 4, 1, 9, dg, 48, 52, 0, &out, &ol), 0);
    CHECK(out == NULL);
    const struct td_ipfrag_stats *st = td_ipfrag_stats(t);
    CHECK_EQ(st->fragments, 4);
    CHECK_EQ(st->reassembled, 1);
    CHECK_EQ(st->in_progress, 1);
    CHECK_EQ(st->bytes_held, 52);
    td_ipfrag_expire(t, 3 + 30 * SEC);
    CHECK_EQ(st->timeouts, 1);
    CHECK_EQ(st->in_progress, 0);
    CHECK_EQ(st->bytes_held, 0);
    td_ipfrag_destroy(&t);
}

static void
test_identical_overlap(void)
{
    struct td_ipfrag *t = td_ipfrag_init(NULL);
    fill(dg, 45, 4);
    const uint8_t *out;
    size_t ol;
    CHECK_EQ(feed(t, 0, 4, 1, 1, dg, 8, 16, 1, &out, &ol), 0);     /* [8,24) */
    CHECK_EQ(feed(t, 0, 4, 1, 1, dg, 0, 32, 1, &out, &ol), 0);     /* [0,32) covers it */
    CHECK_EQ(td_ipfrag_stats(t)->bytes_held, 32);
    CHECK_EQ(feed(t, 0, 4, 1, 1, dg, 40, 5, 0, &out, &ol), 0);     /* last [40,45) */
    CHECK_EQ(feed(t, 0, 4, 1, 1, dg, 24, 21, 0, &out, &ol), 1);    /* [24,45) overlaps both */
    CHECK_EQ(ol, 45);
    CHECK_MEM(out, dg, 45);
    CHECK_EQ(td_ipfrag_stats(t)->overlap_conflict, 0);
    CHECK_EQ(td_ipfrag_stats(t)->bytes_held, 0);
    td_ipfrag_destroy(&t);
}

static void
test_conflicting_overlap(void)
{
    /* the differing octet: in the middle, in the first octet, in the partial last block */
    static const struct { uint32_t off1, len1; int more1; uint32_t off2, len2; int more2;
                          uint32_t flip; } c[] = {
        { 0, 16, 1, 8, 16, 1, 12 },
        { 8, 16, 1, 0, 32, 1, 8 },
        { 16, 13, 0, 0, 29, 0, 28 },
        { 16, 13, 0, 16, 13, 0, 16 },
    };
    for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
        struct td_ipfrag *t = td_ipfrag_init(NULL);
        fill(dg, 64, 5);
        memcpy(dg2, dg, 64);
        dg2[c[i].flip] ^= 0x01;
        const uint8_t *out;
        size_t ol;
        CHECK_EQ(feed(t, 0, 4, 1, 2, dg, c[i].off1, c[i].len1, c[i].more1, &out, &ol), 0);
        CHECK_EQ(feed(t, 0, 4, 1, 2, dg2, c[i].off2, c[i].len2, c[i].more2, &out, &ol), -1);
        const struct td_ipfrag_stats *st = td_ipfrag_stats(t);
        CHECK_EQ(st->overlap_conflict, 1);
        CHECK_EQ(st->in_progress, 0);
        CHECK_EQ(st->bytes_held, 0);
        /* the rest of the datagram alone does not complete anything */
        CHECK_EQ(feed(t, 0, 4, 1, 2, dg, 32, 8, 0, &out, &ol), 0);
        CHECK_EQ(st->reassembled, 0);
        td_ipfrag_destroy(&t);
    }
}

static void
test_missing_middle_timeout(void)
{
    struct td_ipfrag_opts o = { .timeout_ns = 5 * SEC };
    struct td_ipfrag *t = td_ipfrag_init(&o);
    fill(dg, 300, 6);
    const uint8_t *out;
    size_t ol;
    CHECK_EQ(feed(t, 1 * SEC, 4, 1, 3, dg, 0, 104, 1, &out, &ol), 0);
    CHECK_EQ(feed(t, 2 * SEC, 4, 1, 3, dg, 208, 92, 0, &out, &ol), 0);
    const struct td_ipfrag_stats *st = td_ipfrag_stats(t);
    CHECK_EQ(st->bytes_held, 196);
    td_ipfrag_expire(t, 6 * SEC - 1);           /* timeout counts from the first fragment */
    CHECK_EQ(st->timeouts, 0);
    CHECK_EQ(st->in_progress, 1);
    td_ipfrag_expire(t, 6 * SEC);
    CHECK_EQ(st->timeouts, 1);
    CHECK_EQ(st->in_progress, 0);
    CHECK_EQ(st->bytes_held, 0);
    /* the middle arriving late is held as a new datagram, then expires inside add() */
    CHECK_EQ(feed(t, 7 * SEC, 4, 1, 3, dg, 104, 104, 1, &out, &ol), 0);
    CHECK_EQ(feed(t, 12 * SEC, 4, 1, 3, dg, 0, 104, 1, &out, &ol), 0);
    CHECK_EQ(st->timeouts, 2);
    CHECK_EQ(st->in_progress, 1);
    CHECK_EQ(st->bytes_held, 104);
    CHECK_EQ(st->reassembled, 0);
    td_ipfrag_destroy(&t);
}

static void
test_table_full_eviction(void)
{
    struct td_ipfrag_opts o = { .max_datagrams = 2 };
    struct td_ipfrag *t = td_ipfrag_init(&o);
    fill(dg, 200, 7);
    const uint8_t *out;
    size_t ol;
    const struct td_ipfrag_stats *st = td_ipfrag_stats(t);
    CHECK_EQ(feed(t, 1, 4, 1, 10, dg, 0, 96, 1, &out, &ol), 0);
    CHECK_EQ(feed(t, 2, 4, 1, 11, dg, 0, 96, 1, &out, &ol), 0);
    CHECK_EQ(feed(t, 3, 4, 1, 12, dg, 0, 96, 1, &out, &ol), 0);     /* evicts id 10 */
    CHECK_EQ(st->evicted, 1);
    CHECK_EQ(st->in_progress, 2);
    CHECK_EQ(st->bytes_held, 192);
    CHECK_EQ(feed(t, 4, 4, 1, 11, dg, 96, 104, 0, &out, &ol), 1);
    CHECK_EQ(ol, 200);
    CHECK_MEM(out, dg, 200);
    CHECK_EQ(feed(t, 5, 4, 1, 12, dg, 96, 104, 0, &out, &ol), 1);
    CHECK_EQ(feed(t, 6, 4, 1, 10, dg, 96, 104, 0, &out, &ol), 0);    /* 10 is gone */
    CHECK_EQ(st->reassembled, 2);
    CHECK_EQ(st->in_progress, 1);
    td_ipfrag_destroy(&t);

    /* byte bound: 3 chunks of 1024; a datagram needing 2 evicts the oldest */
    struct td_ipfrag_opts o2 = { .max_bytes = 3 * 1024 };
    t = td_ipfrag_init(&o2);
    st = td_ipfrag_stats(t);
    fill(dg, 4000, 8);
    CHECK_EQ(feed(t, 1, 4, 1, 20, dg, 0, 1024, 1, &out, &ol), 0);
    CHECK_EQ(feed(t, 2, 4, 1, 21, dg, 0, 1024, 1, &out, &ol), 0);
    CHECK_EQ(feed(t, 3, 4, 1, 22, dg, 0, 2048, 1, &out, &ol), 0);    /* evicts 20 */
    CHECK_EQ(st->evicted, 1);
    CHECK_EQ(st->bytes_held, 1024 + 2048);
    /* a datagram bigger than the pool: evicts everything else, then itself */
    CHECK_EQ(feed(t, 4, 4, 1, 21, dg, 1024, 2976, 0, &out, &ol), -1);
    CHECK_EQ(st->evicted, 3);
    CHECK_EQ(st->in_progress, 0);
    CHECK_EQ(st->bytes_held, 0);
    td_ipfrag_destroy(&t);
}

static void
test_invalid(void)
{
    struct td_ipfrag *t = td_ipfrag_init(NULL);
    const struct td_ipfrag_stats *st = td_ipfrag_stats(t);
    fill(dg, 65535, 9);
    const uint8_t *out;
    size_t ol;
    static const struct { uint32_t off, len; int more; } bad[] = {
        { 65528, 8, 0 },     /* 65536 > 65535 */
        { 65528, 16, 1 },
        { 65000, 1000, 0 },
        { 8, 100, 1 },       /* middle fragment not a multiple of 8 */
        { 0, 7, 1 },
        { 4, 8, 1 },         /* offset not a multiple of 8 (cannot come from a decoder) */
        { 16, 0, 1 },        /* empty middle fragment */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        CHECK_EQ(feed(t, 0, 4, 1, 30, dg, bad[i].off, bad[i].len, bad[i].more, &out, &ol), -1);
    CHECK_EQ(st->invalid, 7);
    CHECK_EQ(st->in_progress, 0);

    /* a bad middle fragment is dropped alone: the datagram completes with a good one */
    CHECK_EQ(feed(t, 0, 4, 1, 31, dg, 0, 16, 1, &out, &ol), 0);
    CHECK_EQ(feed(t, 0, 4, 1, 31, dg, 16, 20, 1, &out, &ol), -1);
    CHECK_EQ(feed(t, 0, 4, 1, 31, dg, 32, 20, 0, &out, &ol), 0);
    CHECK_EQ(feed(t, 0, 4, 1, 31, dg, 16, 16, 1, &out, &ol), 1);
    CHECK_EQ(ol, 52);
    CHECK_MEM(out, dg, 52);
    CHECK_EQ(st->invalid, 8);

    /* truncated capture */
    struct td_frame f = frag(4, 1, 32, 0, 64, 1);
    f.flags |= TD_FF_IP_TRUNC;
    CHECK_EQ(td_ipfrag_add(t, 0, &f, dg, &out, &ol), -1);
    CHECK_EQ(st->invalid, 9);
    CHECK_EQ(st->in_progress, 0);
    f = frag(4, 1, 32, 0, 64, 1);
    f.payload_len = 63;                  /* fewer octets present than the IP header says */
    CHECK_EQ(td_ipfrag_add(t, 0, &f, dg, &out, &ol), -1);
    CHECK_EQ(st->invalid, 10);
    CHECK_EQ(st->in_progress, 0);

    /* two last fragments with different ends: the datagram is dropped */
    CHECK_EQ(feed(t, 0, 4, 1, 33, dg, 0, 16, 1, &out, &ol), 0);
    CHECK_EQ(feed(t, 0, 4, 1, 33, dg, 32, 10, 0, &out, &ol), 0);
    CHECK_EQ(feed(t, 0, 4, 1, 33, dg, 32, 12, 0, &out, &ol), -1);
    CHECK_EQ(st->invalid, 11);
    CHECK_EQ(st->in_progress, 0);
    /* a fragment past the known end */
    CHECK_EQ(feed(t, 0, 4, 1, 34, dg, 16, 10, 0, &out, &ol), 0);
    CHECK_EQ(feed(t, 0, 4, 1, 34, dg, 24, 8, 1, &out, &ol), -1);
    CHECK_EQ(st->invalid, 12);
    /* a last fragment ending before data already held */
    CHECK_EQ(feed(t, 0, 4, 1, 35, dg, 32, 16, 1, &out, &ol), 0);
    CHECK_EQ(feed(t, 0, 4, 1, 35, dg, 16, 10, 0, &out, &ol), -1);
    CHECK_EQ(st->invalid, 13);
    CHECK_EQ(st->in_progress, 0);
    CHECK_EQ(st->bytes_held, 0);
    CHECK_EQ(st->reassembled, 1);
    CHECK_EQ(st->fragments, 7 + 4 + 2 + 3 + 2 + 2);
    td_ipfrag_destroy(&t);
}

static void
test_ipv6(void)
{
    uint32_t o3[] = { 2, 0, 1 };
    run_order(6, 3000, 1232, o3, 3, 11);
    /* 32-bit ids differing only in the high bits are distinct datagrams */
    struct td_ipfrag *t = td_ipfrag_init(NULL);
    fill(dg, 80, 12);
    fill(dg2, 80, 13);
    const uint8_t *out;
    size_t ol;
    CHECK_EQ(feed(t, 0, 6, 1, 0x00010007, dg, 0, 40, 1, &out, &ol), 0);
    CHECK_EQ(feed(t, 0, 6, 1, 0x00020007, dg2, 0, 40, 1, &out, &ol), 0);
    CHECK_EQ(feed(t, 0, 6, 1, 0x00020007, dg2, 40, 40, 0, &out, &ol), 1);
    CHECK_MEM(out, dg2, 80);
    CHECK_EQ(feed(t, 0, 6, 1, 0x00010007, dg, 40, 40, 0, &out, &ol), 1);
    CHECK_MEM(out, dg, 80);
    /* an IPv4 datagram with the same id and address bytes is another datagram */
    CHECK_EQ(feed(t, 0, 4, 1, 7, dg, 0, 40, 1, &out, &ol), 0);
    CHECK_EQ(feed(t, 0, 6, 1, 7, dg2, 40, 40, 0, &out, &ol), 0);
    CHECK_EQ(td_ipfrag_stats(t)->in_progress, 2);
    /* atomic fragment (offset 0, last): returned as is */
    struct td_frame f = frag(6, 1, 99, 0, 30, 0);
    CHECK_EQ(td_ipfrag_add(t, 0, &f, dg, &out, &ol), 1);
    CHECK(out == dg);
    CHECK_EQ(ol, 30);
    CHECK_EQ(td_ipfrag_stats(t)->reassembled, 3);
    td_ipfrag_destroy(&t);
}

static void
test_interleaved_same_id(void)
{
    struct td_ipfrag *t = td_ipfrag_init(NULL);
    fill(dg, 2500, 14);
    fill(dg2, 2500, 15);
    const uint8_t *out;
    size_t ol;
    int done1 = 0, done2 = 0;
    for (uint32_t k = 0; k < 5; k++) {      /* 5 fragments of 512, interleaved, reversed for 2 */
        uint32_t off1 = k * 512, off2 = (4 - k) * 512;
        uint32_t len1 = k == 4 ? 452 : 512, len2 = k == 0 ? 452 : 512;
        int r1 = feed(t, k, 4, 1, 77, dg, off1, len1, k != 4, &out, &ol);
        if (r1 == 1) {
            done1++;
            CHECK_EQ(ol, 2500);
            CHECK_MEM(out, dg, 2500);
        }
        int r2 = feed(t, k, 4, 2, 77, dg2, off2, len2, k != 0, &out, &ol);
        if (r2 == 1) {
            done2++;
            CHECK_EQ(ol, 2500);
            CHECK_MEM(out, dg2, 2500);
        }
        CHECK_EQ(r1, k == 4);
        CHECK_EQ(r2, k == 4);
    }
    CHECK_EQ(done1, 1);
    CHECK_EQ(done2, 1);
    CHECK_EQ(td_ipfrag_stats(t)->overlap_conflict, 0);
    CHECK_EQ(td_ipfrag_stats(t)->in_progress, 0);
    td_ipfrag_destroy(&t);
}

static void
test_init_opts(void)
{
    struct td_ipfrag_opts o = { .max_bytes = 100 };   /* smaller than one chunk */
    CHECK(td_ipfrag_init(&o) == NULL);
    struct td_ipfrag *t = NULL;
    td_ipfrag_destroy(&t);
    td_ipfrag_destroy(NULL);
}

int
main(void)
{
    TT_RUN(test_in_order);
    TT_RUN(test_reverse_order);
    TT_RUN(test_random_permutations);
    TT_RUN(test_duplicates);
    TT_RUN(test_identical_overlap);
    TT_RUN(test_conflicting_overlap);
    TT_RUN(test_missing_middle_timeout);
    TT_RUN(test_table_full_eviction);
    TT_RUN(test_invalid);
    TT_RUN(test_ipv6);
    TT_RUN(test_interleaved_same_id);
    TT_RUN(test_init_opts);
    return tt_finish();
}
