/* test_ship_proto: the tapdns-ship wire codec (lib/ship_proto.h). Exact octets of each
 * message type against hand-written hex, round trips, every truncation of every message
 * (MORE, never BAD, with the needed length), a table of malformed messages, and the name
 * check against forged and valid names. */
#include "ship_proto.h"
#include "tt.h"
#include <stdlib.h>
#include <string.h>

static const uint8_t SUM[16] = { 0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77,
                                 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff };

struct golden {
    const char *what;
    struct td_ship_msg m;
    const char *hex;
};

static void fill(struct golden *g, size_t *n)
{
    size_t i = 0;
    g[i].what = "HELLO v1";
    g[i].m.type = TD_SHIP_HELLO; g[i].m.version = 1;
    g[i++].hex = "09000000 01 544453484950 0100";
    g[i].what = "OFFER";
    g[i].m.type = TD_SHIP_OFFER; g[i].m.size = 0x0102030405060708ull;
    memcpy(g[i].m.sum, SUM, 16); strcpy(g[i].m.name, "s1.2026112703.0.tds.zst");
    g[i++].hex = "31000000 02 0807060504030201 00112233445566778899aabbccddeeff 17"
                 "73312e323032363131323730332e302e7464732e7a7374";
    g[i].what = "ACCEPT";
    g[i].m.type = TD_SHIP_ACCEPT; g[i].m.offset = 65536;
    g[i++].hex = "09000000 03 0000010000000000";
    g[i].what = "COMMIT";
    g[i].m.type = TD_SHIP_COMMIT; g[i].m.size = 4971;
    g[i++].hex = "09000000 05 6b13000000000000";
    g[i].what = "ACK duplicate";
    g[i].m.type = TD_SHIP_ACK; g[i].m.size = 1; g[i].m.flags = TD_SHIP_ACK_DUPLICATE;
    g[i++].hex = "0a000000 06 0100000000000000 01";
    g[i].what = "ERROR nospace";
    g[i].m.type = TD_SHIP_ERROR; g[i].m.code = TD_SHIP_E_NOSPACE; strcpy(g[i].m.text, "full");
    g[i++].hex = "08000000 07 0500 04 66756c6c";
    g[i].what = "ERROR empty text";
    g[i].m.type = TD_SHIP_ERROR; g[i].m.code = TD_SHIP_E_PROTO;
    g[i++].hex = "04000000 07 0100 00";
    *n = i;
}

static void test_golden(void)
{
    static struct golden g[16];
    memset(g, 0, sizeof g);
    size_t n;
    fill(g, &n);
    CHECK_EQ(n, 7);
    for (size_t i = 0; i < n; i++) {
        uint8_t want[512], got[512];
        int wl = tt_unhex(g[i].hex, want, sizeof want);
        size_t gl = td_ship_encode(&g[i].m, got, sizeof got);
        if ((size_t)wl != gl || memcmp(want, got, gl) != 0)
            TT_FAIL("%s: encoding differs (len %zu, expected %d)", g[i].what, gl, wl);
        struct td_ship_msg d;
        memset(&d, 0xa5, sizeof d);
        size_t used;
        const char *why = NULL;
        int r = td_ship_decode(want, (size_t)wl, &d, &used, &why);
        if (r != TD_SHIP_OK || used != (size_t)wl) {
            TT_FAIL("%s: decode %d used %zu (%s)", g[i].what, r, used, why ? why : "");
            continue;
        }
        CHECK_EQ(d.type, g[i].m.type);
        switch (d.type) {
        case TD_SHIP_HELLO: CHECK_EQ(d.version, g[i].m.version); break;
        case TD_SHIP_OFFER:
            CHECK_EQ(d.size, g[i].m.size);
            CHECK_MEM(d.sum, SUM, 16);
            CHECK_STR(d.name, g[i].m.name);
            break;
        case TD_SHIP_ACCEPT: CHECK_EQ(d.offset, g[i].m.offset); break;
        case TD_SHIP_COMMIT: CHECK_EQ(d.size, g[i].m.size); break;
        case TD_SHIP_ACK: CHECK_EQ(d.size, g[i].m.size); CHECK_EQ(d.flags, g[i].m.flags); break;
        case TD_SHIP_ERROR: CHECK_EQ(d.code, g[i].m.code); CHECK_STR(d.text, g[i].m.text); break;
        }
    }
}

/* DATA: in place (data already at buf + TD_SHIP_DATA_HDR) and copied; largest size. */
static void test_data(void)
{
    static uint8_t buf[TD_SHIP_MSG_MAX + 16], src[TD_SHIP_DATA_MAX + 1];
    for (size_t i = 0; i < sizeof src; i++)
        src[i] = (uint8_t)(i * 7 + 3);
    struct td_ship_msg m = { .type = TD_SHIP_DATA, .offset = 12345, .data = src, .data_len = 3 };
    size_t l = td_ship_encode(&m, buf, sizeof buf);
    uint8_t want[32];
    int wl = tt_unhex("0c000000 04 3930000000000000 030a11", want, sizeof want);
    CHECK_EQ(l, wl);
    CHECK_MEM(buf, want, (size_t)wl);
    /* in place, the largest DATA */
    memcpy(buf + TD_SHIP_DATA_HDR, src, TD_SHIP_DATA_MAX);
    m.data = buf + TD_SHIP_DATA_HDR;
    m.data_len = TD_SHIP_DATA_MAX;
    l = td_ship_encode(&m, buf, sizeof buf);
    CHECK_EQ(l, TD_SHIP_MSG_MAX);
    struct td_ship_msg d;
    size_t used;
    CHECK_EQ(td_ship_decode(buf, l, &d, &used, NULL), TD_SHIP_OK);
    CHECK_EQ(used, l);
    CHECK_EQ(d.offset, 12345);
    CHECK_EQ(d.data_len, TD_SHIP_DATA_MAX);
    CHECK(d.data == buf + TD_SHIP_DATA_HDR);
    CHECK_MEM(d.data, src, TD_SHIP_DATA_MAX);
    /* refused by the encoder: empty, one too many, too small a buffer */
    m.data = src;
    m.data_len = 0;
    CHECK_EQ(td_ship_encode(&m, buf, sizeof buf), 0);
    m.data_len = TD_SHIP_DATA_MAX + 1;
    CHECK_EQ(td_ship_encode(&m, buf, sizeof buf), 0);
    m.data_len = 10;
    CHECK_EQ(td_ship_encode(&m, buf, TD_SHIP_DATA_HDR + 9), 0);
    CHECK_EQ(td_ship_encode(&m, buf, TD_SHIP_DATA_HDR + 10), TD_SHIP_DATA_HDR + 10);
}

static void test_encode_refusals(void)
{
    uint8_t buf[600];
    struct td_ship_msg m;
    memset(&m, 0, sizeof m);
    m.type = TD_SHIP_OFFER; /* empty name */
    CHECK_EQ(td_ship_encode(&m, buf, sizeof buf), 0);
    memset(m.name, 'a', TD_SHIP_NAME_MAX); /* 255: the longest */
    CHECK_EQ(td_ship_encode(&m, buf, sizeof buf), 5 + 8 + 16 + 1 + 255);
    m.type = 0;
    CHECK_EQ(td_ship_encode(&m, buf, sizeof buf), 0);
    m.type = 8;
    CHECK_EQ(td_ship_encode(&m, buf, sizeof buf), 0);
    m.type = TD_SHIP_HELLO;
    CHECK_EQ(td_ship_encode(&m, buf, 12), 0);
    CHECK_EQ(td_ship_encode(&m, buf, 13), 13);
}

/* Every proper prefix of every golden message is MORE (never BAD); from 4 octets on, *used
 * tells the whole length. Two messages back to back decode one after the other. */
static void test_truncation_and_stream(void)
{
    static struct golden g[16];
    memset(g, 0, sizeof g);
    size_t n;
    fill(g, &n);
    uint8_t stream[2048];
    size_t sl = 0;
    int bad = 0;
    for (size_t i = 0; i < n; i++) {
        uint8_t w[512];
        int wl = tt_unhex(g[i].hex, w, sizeof w);
        for (int k = 0; k < wl; k++) {
            struct td_ship_msg d;
            size_t used = 99;
            int r = td_ship_decode(w, (size_t)k, &d, &used, NULL);
            if (r != TD_SHIP_MORE || used != (k < 4 ? 0u : (size_t)wl)) {
                TT_FAIL("%s: prefix %d gives %d used %zu", g[i].what, k, r, used);
                bad = 1;
                break;
            }
        }
        memcpy(stream + sl, w, (size_t)wl);
        sl += (size_t)wl;
    }
    CHECK(!bad);
    size_t off = 0, count = 0;
    struct td_ship_msg d;
    size_t used;
    while (off < sl && td_ship_decode(stream + off, sl - off, &d, &used, NULL) == TD_SHIP_OK) {
        CHECK_EQ(d.type, g[count].m.type);
        off += used;
        count++;
    }
    CHECK_EQ(off, sl);
    CHECK_EQ(count, n);
}

static void test_malformed(void)
{
    static const struct {
        const char *hex, *why;
    } cases[] = {
        { "00000000 01", "empty message" },
        { "0e000100 04", "message length above the maximum" },
        { "09000000 01 544453484951 0100", "bad HELLO magic" },
        { "0a000000 01 544453484950 010000", "wrong body length for the message type" },
        { "08000000 03 00000100000000", "wrong body length for the message type" },
        { "0a000000 05 6b1300000000000000", "wrong body length for the message type" },
        { "0a000000 06 0100000000000000 02", "unknown ACK flags" },
        { "01000000 09", "unknown message type" },
        { "01000000 00", "unknown message type" },
        { "09000000 04 0000000000000000", "DATA without octets" },
        { "0a000000 04 ffffffffffffffff 00", "DATA offset overflows" },
        { "1a000000 02 0100000000000000 00112233445566778899aabbccddeeff 00", "OFFER name length does not match the body" },
        { "1b000000 02 0100000000000000 00112233445566778899aabbccddeeff 02 61", "OFFER name length does not match the body" },
        { "1c000000 02 0100000000000000 00112233445566778899aabbccddeeff 01 6162", "OFFER name length does not match the body" },
        { "1c000000 02 0100000000000000 00112233445566778899aabbccddeeff 02 6100", "NUL in OFFER name" },
        { "10000000 02 0100000000000000 0011223344556677", "OFFER too short" },
        { "03000000 07 0100", "ERROR too short" },
        { "05000000 07 0100 02 41", "ERROR text length does not match the body" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint8_t w[128];
        int wl = tt_unhex(cases[i].hex, w, sizeof w);
        struct td_ship_msg d;
        size_t used = 7;
        const char *why = NULL;
        int r = td_ship_decode(w, (size_t)wl, &d, &used, &why);
        if (r != TD_SHIP_BAD || !why || strcmp(why, cases[i].why) != 0)
            TT_FAIL("case %zu (%s): %d, why \"%s\", expected \"%s\"", i, cases[i].hex, r, why ? why : "(null)",
                    cases[i].why);
    }
    /* the length field alone is enough to refuse an oversized message */
    uint8_t w[4] = { 0x0e, 0x00, 0x01, 0x00 };
    struct td_ship_msg d;
    size_t used;
    CHECK_EQ(td_ship_decode(w, 4, &d, &used, NULL), TD_SHIP_BAD);
    /* control octets in ERROR text are replaced */
    uint8_t e[16];
    int el = tt_unhex("07000000 07 0600 03 410a7f", e, sizeof e);
    CHECK_EQ(td_ship_decode(e, (size_t)el, &d, &used, NULL), TD_SHIP_OK);
    CHECK_STR(d.text, "A??");
}

static void test_names(void)
{
    static const struct {
        const char *name;
        int ok;
    } cases[] = {
        { "s1.2026112703.0.tds.zst", 1 },
        { "edge-01_a.1970010100.4294967295.tds.zst", 1 },
        { "s1.2026112703.65536.tds.zst", 1 },
        { "s1.2026112703.0.tds.zst.open", 0 },
        { "a.open", 0 },
        { "../x", 0 },
        { "../s1.2026112703.0.tds.zst", 0 },
        { "x/s1.2026112703.0.tds.zst", 0 },
        { "/etc/s1.2026112703.0.tds.zst", 0 },
        { ".partial", 0 },
        { ".", 0 },
        { "..", 0 },
        { "", 0 },
        { "s1.2026113103.0.tds.zst", 0 },  /* 31 November */
        { "s1.2026112724.0.tds.zst", 0 },  /* hour 24 */
        { "s1.2026112703.01.tds.zst", 0 }, /* leading zero */
        { "s.1.2026112703.0.tds.zst", 0 },
        { "s1.2026112703.0.tds", 0 },
        { "s1.2026112703.0.tds.zst.tmp", 0 },
        { "s 1.2026112703.0.tds.zst", 0 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        if (td_ship_name_ok(cases[i].name) != cases[i].ok)
            TT_FAIL("name \"%s\": %d, expected %d", cases[i].name, !cases[i].ok, cases[i].ok);
    CHECK_EQ(td_ship_name_ok(NULL), 0);
}

static void test_err_codes(void)
{
    CHECK_STR(td_ship_err_str(TD_SHIP_E_NOSPACE), "nospace");
    CHECK_STR(td_ship_err_str(TD_SHIP_E_CONFLICT), "conflict");
    CHECK_STR(td_ship_err_str(0), "unknown");
    CHECK_STR(td_ship_err_str(9), "unknown");
    CHECK_STR(td_ship_err_str(65535), "unknown");
    CHECK_EQ(td_ship_err_transient(TD_SHIP_E_NOSPACE), 1);
    CHECK_EQ(td_ship_err_transient(TD_SHIP_E_CHECKSUM), 1);
    CHECK_EQ(td_ship_err_transient(TD_SHIP_E_BUSY), 1);
    CHECK_EQ(td_ship_err_transient(TD_SHIP_E_IO), 1);
    CHECK_EQ(td_ship_err_transient(TD_SHIP_E_NAME), 0);
    CHECK_EQ(td_ship_err_transient(TD_SHIP_E_CONFLICT), 0);
    CHECK_EQ(td_ship_err_transient(TD_SHIP_E_VERSION), 0);
}

int main(void)
{
    TT_RUN(test_golden);
    TT_RUN(test_data);
    TT_RUN(test_encode_refusals);
    TT_RUN(test_truncation_and_stream);
    TT_RUN(test_malformed);
    TT_RUN(test_names);
    TT_RUN(test_err_codes);
    return tt_finish();
}
