/* test_byteorder: lib/byteorder.h (exact octets both ways, unaligned) and lib/errf.c. */
#include "byteorder.h"
#include "errf.h"
#include "tt.h"
#include "bytes.h"
#include "varint.h"

static const uint8_t SEQ[9] = { 0xee, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88 };

static void test_le_get(void)
{
    const uint8_t *p = SEQ + 1; /* odd address: no alignment needed */
    CHECK_EQ(td_get_le16(p), 0x2211);
    CHECK_EQ(td_get_le32(p), 0x44332211u);
    CHECK(td_get_le64(p) == 0x8877665544332211ull);
    const uint8_t ff[8] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
    CHECK_EQ(td_get_le16(ff), 0xffff);
    CHECK_EQ(td_get_le32(ff), 0xffffffffu);
    CHECK(td_get_le64(ff) == UINT64_MAX);
}

static void test_be_get(void)
{
    const uint8_t *p = SEQ + 1;
    CHECK_EQ(td_get_be16(p), 0x1122);
    CHECK_EQ(td_get_be32(p), 0x11223344u);
    const uint8_t hi[4] = { 0x80, 0x00, 0x00, 0x01 };
    CHECK_EQ(td_get_be16(hi), 0x8000);
    CHECK_EQ(td_get_be32(hi), 0x80000001u);
    CHECK(td_get_be64(p) == 0x1122334455667788ull);
    const uint8_t hi8[8] = { 0x80, 0, 0, 0, 0, 0, 0, 0x01 };
    CHECK(td_get_be64(hi8) == 0x8000000000000001ull);
}

/* Each writer stores exactly its width at an odd offset and leaves the octets around it alone. */
static void test_put(void)
{
    static const struct {
        const char *name;
        int width;
    } cases[] = { { "le16", 2 }, { "le32", 4 }, { "le64", 8 }, { "be16", 2 }, { "be32", 4 } };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint8_t buf[10];
        memset(buf, 0xaa, sizeof buf);
        switch (i) {
        case 0: td_put_le16(buf + 1, 0x2211); break;
        case 1: td_put_le32(buf + 1, 0x44332211u); break;
        case 2: td_put_le64(buf + 1, 0x8877665544332211ull); break;
        case 3: td_put_be16(buf + 1, 0x1122); break;
        default: td_put_be32(buf + 1, 0x11223344u); break;
        }
        int w = cases[i].width;
        if (memcmp(buf + 1, SEQ + 1, (size_t)w) != 0 || buf[0] != 0xaa || buf[1 + w] != 0xaa)
            TT_FAIL("td_put_%s: wrong octets", cases[i].name);
    }
}

static void test_roundtrip(void)
{
    static const uint64_t vals[] = { 0, 1, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0xffff, 0x10000,
                                     0x7fffffff, 0x80000000u, 0xffffffffu, 0x100000000ull,
                                     0x7fffffffffffffffull, 0x8000000000000000ull, UINT64_MAX };
    uint8_t b[8];
    for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++) {
        uint64_t v = vals[i];
        td_put_le16(b, (uint16_t)v);
        CHECK_EQ(td_get_le16(b), (uint16_t)v);
        td_put_le32(b, (uint32_t)v);
        CHECK_EQ(td_get_le32(b), (uint32_t)v);
        td_put_le64(b, v);
        CHECK(td_get_le64(b) == v);
        td_put_be16(b, (uint16_t)v);
        CHECK_EQ(td_get_be16(b), (uint16_t)v);
        td_put_be32(b, (uint32_t)v);
        CHECK_EQ(td_get_be32(b), (uint32_t)v);
    }
}

static void test_errf(void)
{
    char e[16];
    td_errf(e, sizeof e, "%s %d", "bad", 42);
    CHECK_STR(e, "bad 42");
    memset(e, 'x', sizeof e);
    td_errf(e, 5, "%s", "truncated");
    CHECK_STR(e, "trun");
    CHECK_EQ(e[5], 'x');
    memset(e, 'x', sizeof e);
    td_errf(e, 0, "%s", "nothing");
    CHECK_EQ(e[0], 'x');
    td_errf(NULL, 16, "%s", "nothing");
    td_errf(NULL, 0, "%s", "nothing");
    td_errf(e, 1, "%s", "empty");
    CHECK_STR(e, "");
}

/* varint.h: round trips at every length boundary, and the refusals: truncated, non-minimal
 * (a zero high group), above max (one octet and several), more than 64 bits. */
static void test_varint(void)
{
    static const uint64_t vals[] = { 0, 1, 0x7f, 0x80, 0x3fff, 0x4000, 0xffffffffu, 1ull << 63, UINT64_MAX };
    for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++) {
        uint8_t b[TD_VARINT_MAX];
        size_t n = td_varint_put(b, vals[i]), o = 0;
        uint64_t v = 1;
        CHECK_EQ(n, td_varint_len(vals[i]));
        CHECK_EQ(td_varint_get(b, n, &o, UINT64_MAX, &v), 0);
        CHECK(v == vals[i]);
        CHECK_EQ(o, n);
        o = 0;
        CHECK_EQ(td_varint_get(b, n - 1, &o, UINT64_MAX, &v), -1); /* truncated */
        if (vals[i]) {
            o = 0;
            CHECK_EQ(td_varint_get(b, n, &o, vals[i] - 1, &v), -1); /* above max */
        }
    }
    static const struct { const char *hex; int rc; } bad[] = {
        { "80 00", -1 }, { "ff 00", -1 }, { "80 80 00", -1 }, { "80", -1 },
        { "ff ff ff ff ff ff ff ff ff 02", -1 }, { "ff ff ff ff ff ff ff ff ff 01", 0 },
        { "80 80 80 80 80 80 80 80 80 80 01", -1 },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        uint8_t b[16];
        int n = tt_unhex(bad[i].hex, b, sizeof b);
        size_t o = 0;
        uint64_t v;
        if (td_varint_get(b, (size_t)n, &o, UINT64_MAX, &v) != bad[i].rc)
            TT_FAIL("varint %s: expected %d", bad[i].hex, bad[i].rc);
    }
    uint8_t seven = 7;
    size_t o = 0;
    uint64_t v;
    CHECK_EQ(td_varint_get(&seven, 1, &o, 6, &v), -1);
    CHECK_EQ(o, 0);
    CHECK_EQ(td_varint_get(&seven, 0, &o, 7, &v), -1);
    CHECK_EQ(td_varint_get(&seven, 1, &o, 7, &v), 0);
    CHECK_EQ(v, 7);
}

/* bytes.h: appends keep every octet in order across growth; an empty put on an empty buffer
 * is fine; a size that cannot be had is refused and leaves the buffer as it was. */
static void test_bytes(void)
{
    struct td_bytes b = { 0 };
    CHECK_EQ(td_bytes_put(&b, NULL, 0), 0);
    CHECK_EQ(b.len, 0);
    int bad = 0;
    for (unsigned i = 0; i < 10000; i++) {
        uint8_t x[3] = { (uint8_t)i, (uint8_t)(i >> 8), 0x5a };
        bad += td_bytes_put(&b, x, sizeof x) != 0;
    }
    CHECK_EQ(bad, 0);
    CHECK_EQ(b.len, 30000);
    CHECK(b.cap >= b.len);
    for (unsigned i = 0; i < 10000; i++)
        bad += b.p[3 * i] != (uint8_t)i || b.p[3 * i + 1] != (uint8_t)(i >> 8) || b.p[3 * i + 2] != 0x5a;
    CHECK_EQ(bad, 0);
    uint8_t *p = b.p;
    size_t cap = b.cap;
    CHECK_EQ(td_bytes_reserve(&b, SIZE_MAX - 8), -1);
    CHECK(b.p == p && b.cap == cap && b.len == 30000);
    td_bytes_free(&b);
    CHECK(b.p == NULL && b.len == 0 && b.cap == 0);
}

int main(void)
{
    TT_RUN(test_bytes);
    TT_RUN(test_varint);
    TT_RUN(test_le_get);
    TT_RUN(test_be_get);
    TT_RUN(test_put);
    TT_RUN(test_roundtrip);
    TT_RUN(test_errf);
    return tt_finish();
}
