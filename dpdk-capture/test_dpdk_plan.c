/* test_dpdk_plan: the mempool sizing rule and the symmetric RSS key (plan.h). */
#include "plan.h"
#include "tt.h"
#include <string.h>

static void test_pool_table(void)
{
    static const struct {
        struct td_dpdk_pool_req req;
        int rc;
        unsigned need, mbufs, cache;
    } cases[] = {
        /* skeleton-like: 1024 ring, burst 32, cache 250, one queue -> 1306 -> 2047 */
        { { 1, 1024, 0, 0, 32, 250, 0, 0 }, 0, 1306, 2047, 250 },
        /* two queues, defaults of tapdns-dpdk: 2*(1024+32+256) = 2624 -> 4095 */
        { { 2, 1024, 0, 0, 32, 256, 0, 0 }, 0, 2624, 4095, 256 },
        /* exactly 2^q - 1 needed stays there: 1*(1000+15+0)+8 = 1023 */
        { { 1, 1000, 0, 0, 15, 0, 8, 0 }, 0, 1023, 1023, 0 },
        /* one more spills to the next power */
        { { 1, 1000, 0, 0, 16, 0, 8, 0 }, 0, 1024, 2047, 0 },
        /* cache capped at 512 before it is counted */
        { { 1, 512, 0, 0, 32, 4096, 0, 0 }, 0, 1056, 2047, 512 },
        /* TX descriptors and reserve counted */
        { { 1, 128, 256, 2, 32, 0, 100, 0 }, 0, 772, 1023, 0 },
        /* operator's mbufs kept when enough, even if not 2^q - 1 */
        { { 1, 1024, 0, 0, 32, 250, 0, 5000 }, 0, 1306, 5000, 250 },
        /* operator's mbufs below the need */
        { { 1, 1024, 0, 0, 32, 250, 0, 1305 }, -1, 0, 0, 0 },
        /* tiny pool: cache cut to n / 1.5 is not needed as need counts it; n=7, cache 2 */
        { { 1, 1, 0, 0, 1, 2, 0, 0 }, 0, 4, 7, 2 },
        /* operator's tiny pool with a cache above n / 1.5 */
        { { 1, 1, 0, 0, 1, 6, 0, 9 }, 0, 8, 9, 6 },
        { { 1, 1, 0, 0, 1, 6, 0, 8 }, 0, 8, 8, 5 },
        /* zero queues, ring or burst */
        { { 0, 1024, 0, 0, 32, 0, 0, 0 }, -1, 0, 0, 0 },
        { { 1, 0, 0, 0, 32, 0, 0, 0 }, -1, 0, 0, 0 },
        { { 1, 1024, 0, 0, 0, 0, 0, 0 }, -1, 0, 0, 0 },
        /* absurd: over 16 M */
        { { 128, 1u << 17, 0, 0, 32, 0, 0, 0 }, -1, 0, 0, 0 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct td_dpdk_pool_plan p = { 0 };
        const char *why = NULL;
        int rc = td_dpdk_pool_plan(&cases[i].req, &p, &why);
        CHECK_EQ(rc, cases[i].rc);
        if (rc != 0) {
            CHECK(why != NULL);
            continue;
        }
        CHECK_EQ(p.need, cases[i].need);
        CHECK_EQ(p.mbufs, cases[i].mbufs);
        CHECK_EQ(p.cache, cases[i].cache);
        if (!cases[i].req.mbufs) /* computed sizes are 2^q - 1 */
            CHECK_EQ((p.mbufs + 1) & p.mbufs, 0);
        CHECK(p.mbufs >= p.need);
        CHECK((uint64_t)p.cache * 3 <= (uint64_t)p.mbufs * 2);
    }
}

static const uint8_t ms_key[40] = {
    0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2, 0x41, 0x67, 0x25, 0x3d, 0x43, 0xa3, 0x8f, 0xb0,
    0xd0, 0xca, 0x2b, 0xcb, 0xae, 0x7b, 0x30, 0xb4, 0x77, 0xcb, 0x2d, 0xa3, 0x80, 0x30, 0xf2, 0x0c,
    0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa,
};

/* input as NICs hash it: src addr, dst addr, src port, dst port (network order) */
static size_t tuple(uint8_t *out, const uint8_t *src, const uint8_t *dst, size_t alen, int sport, int dport)
{
    size_t n = 0;
    memcpy(out + n, src, alen), n += alen;
    memcpy(out + n, dst, alen), n += alen;
    if (sport >= 0) {
        out[n++] = (uint8_t)(sport >> 8), out[n++] = (uint8_t)sport;
        out[n++] = (uint8_t)(dport >> 8), out[n++] = (uint8_t)dport;
    }
    return n;
}

/* The published Microsoft RSS verification vectors: our Toeplitz is the NICs' Toeplitz. */
static void test_toeplitz_known_answers(void)
{
    static const struct {
        uint8_t src[4], dst[4];
        int sport, dport;
        uint32_t ip_only, with_ports;
    } v4[] = {
        { { 66, 9, 149, 187 }, { 161, 142, 100, 80 }, 2794, 1766, 0x323e8fc2, 0x51ccc178 },
        { { 199, 92, 111, 2 }, { 65, 69, 140, 83 }, 14230, 4739, 0xd718262a, 0xc626b0ea },
        { { 24, 19, 198, 95 }, { 12, 22, 207, 184 }, 12898, 38024, 0xd2d0a5de, 0x5c2b394a },
        { { 38, 27, 205, 30 }, { 209, 142, 163, 6 }, 48228, 2217, 0x82989176, 0xafc7327f },
        { { 153, 39, 163, 191 }, { 202, 188, 127, 2 }, 44251, 1303, 0x5d1809c5, 0x10e828a2 },
    };
    uint8_t in[40];
    for (size_t i = 0; i < sizeof v4 / sizeof v4[0]; i++) {
        size_t n = tuple(in, v4[i].src, v4[i].dst, 4, -1, -1);
        CHECK_EQ(td_dpdk_toeplitz(ms_key, sizeof ms_key, in, n), v4[i].ip_only);
        n = tuple(in, v4[i].src, v4[i].dst, 4, v4[i].sport, v4[i].dport);
        CHECK_EQ(td_dpdk_toeplitz(ms_key, sizeof ms_key, in, n), v4[i].with_ports);
    }
    /* IPv6: 3ffe:2501:200:1fff::7 port 2794 -> 3ffe:2501:200:3::1 port 1766 */
    uint8_t s6[16] = { 0x3f, 0xfe, 0x25, 0x01, 0x02, 0x00, 0x1f, 0xff, [15] = 7 };
    uint8_t d6[16] = { 0x3f, 0xfe, 0x25, 0x01, 0x02, 0x00, 0x00, 0x03, [15] = 1 };
    size_t n = tuple(in, s6, d6, 16, -1, -1);
    CHECK_EQ(td_dpdk_toeplitz(ms_key, sizeof ms_key, in, n), 0x2cc18cd5);
    n = tuple(in, s6, d6, 16, 2794, 1766);
    CHECK_EQ(td_dpdk_toeplitz(ms_key, sizeof ms_key, in, n), 0x40207d3d);
    /* a key too short for the input gives 0 rather than reading past it */
    CHECK_EQ(td_dpdk_toeplitz(ms_key, 20, in, n), 0);
}

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint32_t next32(void)
{
    rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
    return (uint32_t)rng;
}

/* With our key, swapping the ends gives the same hash (addresses only, and with ports), for
 * IPv4 and IPv6; with the Microsoft key it does not (the check can fail). */
static void test_symmetric_key(void)
{
    uint8_t key[52];
    td_dpdk_rss_key(key, sizeof key);
    CHECK_EQ(key[0], 0x6d);
    CHECK_EQ(key[1], 0x5a);
    CHECK_EQ(key[51], 0x5a);
    int asym_ms = 0, same = 0, spread[4] = { 0 };
    for (int i = 0; i < 2000; i++) {
        size_t alen = (i & 1) ? 16 : 4;
        uint8_t a[16], b[16], fwd[40], rev[40];
        for (size_t k = 0; k < alen; k++)
            a[k] = (uint8_t)next32(), b[k] = (uint8_t)next32();
        int pa = (int)(next32() & 0xffff), pb = 53;
        for (int ports = 0; ports < 2; ports++) {
            size_t n = tuple(fwd, a, b, alen, ports ? pa : -1, pb);
            tuple(rev, b, a, alen, ports ? pb : -1, pa);
            uint32_t hf = td_dpdk_toeplitz(key, sizeof key, fwd, n);
            uint32_t hr = td_dpdk_toeplitz(key, sizeof key, rev, n);
            same += hf == hr;
            spread[hf & 3]++;
            asym_ms += td_dpdk_toeplitz(ms_key, sizeof ms_key, fwd, n) != td_dpdk_toeplitz(ms_key, sizeof ms_key, rev, n);
        }
    }
    CHECK_EQ(same, 4000);
    CHECK(asym_ms > 3900);
    /* the symmetric key still spreads flows over queues (low bits index the RETA) */
    for (int q = 0; q < 4; q++)
        CHECK(spread[q] > 800 && spread[q] < 1200);
}

int main(void)
{
    TT_RUN(test_pool_table);
    TT_RUN(test_toeplitz_known_answers);
    TT_RUN(test_symmetric_key);
    return tt_finish();
}
