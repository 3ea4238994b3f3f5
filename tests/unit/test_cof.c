/* test_cof: the one COF writer (lib/cof.h): field order, flags, names, rdata forms, times. */
#include <stdlib.h>
#include <string.h>

#include "cof.h"
#include "dns_wire.h"
#include "tt.h"

static uint8_t owner[256], bw[256];
static int owner_len, bw_len;

static void names(const char *o, const char *b)
{
    owner_len = td_dns_name_from_text(o, owner, sizeof owner);
    bw_len = b ? td_dns_name_from_text(b, bw, sizeof bw) : 0;
}

static const uint8_t a1[] = { 192, 0, 2, 1 }, a2[] = { 192, 0, 2, 2 };
static const uint8_t *const two_a[] = { a1, a2 };
static const uint16_t two_len[] = { 4, 4 };

static struct td_cof_entry entry_a(void)
{
    names("www.example.com", "example.com");
    struct td_cof_entry e = { owner, (size_t)owner_len, 1, bw, (size_t)bw_len, 2, two_a, two_len, 7, 1700000000,
                              1700003600 };
    return e;
}

static const char *one(const struct td_cof_entry *e, unsigned flags, int *rc)
{
    static struct td_json j;
    td_json_free(&j);
    td_json_init(&j);
    *rc = td_cof_object(&j, e, flags);
    return j.len ? j.buf : "";
}

static void test_order_and_bailiwick(void)
{
    struct td_cof_entry e = entry_a();
    int rc;
    CHECK_STR(one(&e, 0, &rc), "{\"count\":7,\"time_first\":1700000000,\"time_last\":1700003600,"
                               "\"rrname\":\"www.example.com.\",\"rrtype\":\"A\",\"bailiwick\":\"example.com.\","
                               "\"rdata\":[\"192.0.2.1\",\"192.0.2.2\"]}");
    CHECK_EQ(rc, 0);
    CHECK_STR(one(&e, TD_COF_NO_BAILIWICK, &rc), "{\"count\":7,\"time_first\":1700000000,\"time_last\":1700003600,"
                                                 "\"rrname\":\"www.example.com.\",\"rrtype\":\"A\","
                                                 "\"rdata\":[\"192.0.2.1\",\"192.0.2.2\"]}");
    e.bailiwick = NULL;
    CHECK_STR(one(&e, 0, &rc), "{\"count\":7,\"time_first\":1700000000,\"time_last\":1700003600,"
                               "\"rrname\":\"www.example.com.\",\"rrtype\":\"A\","
                               "\"rdata\":[\"192.0.2.1\",\"192.0.2.2\"]}");
}

static void test_flags(void)
{
    struct td_cof_entry e = entry_a();
    int rc;
    CHECK_STR(one(&e, TD_COF_RDATA_STRING, &rc),
              "{\"count\":7,\"time_first\":1700000000,\"time_last\":1700003600,"
              "\"rrname\":\"www.example.com.\",\"rrtype\":\"A\",\"bailiwick\":\"example.com.\",\"rdata\":\"192.0.2.1\"}");
    CHECK_STR(one(&e, TD_COF_HUMANTIME | TD_COF_NO_BAILIWICK, &rc),
              "{\"count\":7,\"time_first\":\"2023-11-14T22:13:20Z\",\"time_last\":\"2023-11-14T23:13:20Z\","
              "\"rrname\":\"www.example.com.\",\"rrtype\":\"A\",\"rdata\":[\"192.0.2.1\",\"192.0.2.2\"]}");
    e.count = UINT64_MAX;
    e.time_first = 0;
    e.time_last = UINT32_MAX;
    e.nrdata = 0;
    CHECK_STR(one(&e, TD_COF_NO_BAILIWICK, &rc), "{\"count\":18446744073709551615,\"time_first\":0,"
                                                 "\"time_last\":4294967295,\"rrname\":\"www.example.com.\","
                                                 "\"rrtype\":\"A\",\"rdata\":[]}");
    CHECK_STR(one(&e, TD_COF_NO_BAILIWICK | TD_COF_RDATA_STRING, &rc),
              "{\"count\":18446744073709551615,\"time_first\":0,\"time_last\":4294967295,"
              "\"rrname\":\"www.example.com.\",\"rrtype\":\"A\",\"rdata\":\"\"}");
}

static void test_types_and_rdata(void)
{
    static const struct { uint16_t type; const char *hex, *want_type, *want_rdata; } cases[] = {
        { 28, "20010db8000000000000000000000001", "AAAA", "2001:db8::1" },
        { 2, "036e7331076578616d706c6503636f6d00", "NS", "ns1.example.com." },
        { 15, "000a046d61696c076578616d706c6503636f6d00", "MX", "10 mail.example.com." },
        { 16, "0668692022796f", "TXT", "\"hi \\\"yo\"" },
        { 65280, "0102ff", "TYPE65280", "\\# 3 0102FF" },
        { 1, "0102", "A", "\\# 2 0102" },           /* rdata not fitting A: generic form */
        { 1, "", "A", "\\# 0" },
        { 99, "0378797a", "SPF", "\"xyz\"" },
    };
    names("x.example", NULL);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint8_t rd[64];
        int n = tt_unhex(cases[i].hex, rd, sizeof rd);
        CHECK(n >= 0);
        const uint8_t *rdp[1] = { rd };
        uint16_t rl[1] = { (uint16_t)(n < 0 ? 0 : n) };
        struct td_cof_entry e = { owner, (size_t)owner_len, cases[i].type, NULL, 0, 1, rdp, rl, 1, 5, 6 };
        struct td_json j;
        td_json_init(&j);
        CHECK_EQ(td_cof_object(&j, &e, TD_COF_RDATA_STRING), 0);
        /* decode the JSON strings we expect: rrtype and the rdata string (escaped) */
        char want[512];
        char esc[256];
        size_t o = 0;
        for (const char *p = cases[i].want_rdata; *p && o + 3 < sizeof esc; p++) {
            if (*p == '"' || *p == '\\')
                esc[o++] = '\\';
            esc[o++] = *p;
        }
        esc[o] = 0;
        snprintf(want, sizeof want,
                 "{\"count\":1,\"time_first\":5,\"time_last\":6,\"rrname\":\"x.example.\",\"rrtype\":\"%s\","
                 "\"rdata\":\"%s\"}",
                 cases[i].want_type, esc);
        CHECK_STR(j.buf, want);
        td_json_free(&j);
    }
}

static void test_big_rdata(void)
{
    /* 65535 octets of an unknown type: the generic form, 2 hex digits per octet */
    static uint8_t rd[65535];
    for (size_t i = 0; i < sizeof rd; i++)
        rd[i] = (uint8_t)i;
    names("big.example", NULL);
    const uint8_t *rdp[1] = { rd };
    uint16_t rl[1] = { 65535 };
    struct td_cof_entry e = { owner, (size_t)owner_len, 65000, NULL, 0, 1, rdp, rl, 1, 5, 6 };
    struct td_json j;
    td_json_init(&j);
    CHECK_EQ(td_cof_object(&j, &e, 0), 0);
    const char *r = strstr(j.buf, "\"rdata\":[\"\\\\# 65535 000102");
    CHECK(r != NULL);
    CHECK_EQ(j.len, strlen("{\"count\":1,\"time_first\":5,\"time_last\":6,\"rrname\":\"big.example.\","
                           "\"rrtype\":\"TYPE65000\",\"rdata\":[\"\\\\# 65535 \"]}") + 2 * 65535);
    td_json_free(&j);
}

static void test_bad_names(void)
{
    struct td_cof_entry e = entry_a();
    static const uint8_t bad[] = { 5, 'a', 'b' };   /* label runs past the end */
    struct td_json j;
    td_json_init(&j);
    td_json_string(&j, "before");
    size_t len0 = j.len;
    e.owner = bad;
    e.owner_len = sizeof bad;
    CHECK_EQ(td_cof_object(&j, &e, 0), -1);
    CHECK_EQ(j.len, len0);
    e = entry_a();
    e.bailiwick = bad;
    e.bailiwick_len = sizeof bad;
    CHECK_EQ(td_cof_object(&j, &e, 0), -1);
    CHECK_EQ(j.len, len0);
    /* ... but a bad bailiwick is not looked at when it is not written */
    CHECK_EQ(td_cof_object(&j, &e, TD_COF_NO_BAILIWICK), 0);
    CHECK(j.len > len0);
    CHECK_EQ(j.oom, 0);
    td_json_free(&j);
}

static void test_open_extra_keys(void)
{
    struct td_cof_entry e = entry_a();
    struct td_json j;
    td_json_init(&j);
    CHECK_EQ(td_cof_object_open(&j, &e, TD_COF_NO_BAILIWICK), 0);
    td_json_kstring(&j, "reason", "filter");
    td_json_kuint(&j, "rule", 3);
    td_json_object_end(&j);
    td_json_newline(&j);
    CHECK_STR(j.buf, "{\"count\":7,\"time_first\":1700000000,\"time_last\":1700003600,"
                     "\"rrname\":\"www.example.com.\",\"rrtype\":\"A\","
                     "\"rdata\":[\"192.0.2.1\",\"192.0.2.2\"],\"reason\":\"filter\",\"rule\":3}\n");
    CHECK_EQ(j.oom, 0);
    td_json_free(&j);
}

/* The fast paths (plain names, A, AAAA) give libknot's text: random names (plain and odd
 * octets, upper case, '_', '-', '*', '.', '\\', 0x00, 0xff) and random addresses against
 * td_dns_name_to_text / td_dns_rdata_to_text. */
static uint64_t rng = 0x9e3779b97f4a7c15ull;
static unsigned rnd(unsigned n)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (unsigned)(rng % n);
}

static void test_fast_paths_match_libknot(void)
{
    static const char plain[] = "abcxyzABCXYZ0189-_";
    static const uint8_t odd[] = { '*', '.', '\\', '"', ' ', 0, 0xff, '@', '(', '/', 'e', '+' };
    int mismatches = 0;
    for (int iter = 0; iter < 20000; iter++) {
        uint8_t w[256];
        size_t len = 0;
        unsigned nl = rnd(5);
        int use_odd = rnd(4) == 0;
        for (unsigned l = 0; l < nl; l++) {
            unsigned ll = 1 + rnd(use_odd ? 5 : 20);
            w[len++] = (uint8_t)ll;
            for (unsigned i = 0; i < ll; i++)
                w[len++] = use_odd && rnd(3) == 0 ? odd[rnd(sizeof odd)] : (uint8_t)plain[rnd(sizeof plain - 1)];
        }
        w[len++] = 0;
        uint8_t rd[16];
        for (int i = 0; i < 16; i++)
            rd[i] = rnd(3) ? (uint8_t)rnd(256) : 0;
        uint16_t type = rnd(2) ? 1 : 28, rdl = type == 1 ? 4 : 16;
        const uint8_t *rdp[1] = { rd };
        struct td_cof_entry e = { w, len, type, w, len, 1, rdp, &rdl, 1, 2, 3 };
        struct td_json got, want;
        td_json_init(&got);
        td_json_init(&want);
        char name[1100], rtext[256];
        int rc = td_cof_object(&got, &e, TD_COF_RDATA_STRING);
        if (td_dns_name_to_text(w, len, name, sizeof name) < 0) {
            if (rc != -1)
                mismatches++;
        } else {
            td_dns_rdata_to_text(type, rd, rdl, rtext, sizeof rtext);
            td_json_object_begin(&want);
            td_json_kuint(&want, "count", 1);
            td_json_kuint(&want, "time_first", 2);
            td_json_kuint(&want, "time_last", 3);
            td_json_kstring(&want, "rrname", name);
            td_json_kstring(&want, "rrtype", type == 1 ? "A" : "AAAA");
            td_json_kstring(&want, "bailiwick", name);
            td_json_kstring(&want, "rdata", rtext);
            td_json_object_end(&want);
            if (rc != 0 || got.len != want.len || memcmp(got.buf, want.buf, got.len) != 0) {
                if (mismatches++ < 3)
                    TT_FAIL("fast path differs:\n#   got  %s\n#   want %s", got.len ? got.buf : "", want.buf);
            }
        }
        td_json_free(&got);
        td_json_free(&want);
    }
    CHECK_EQ(mismatches, 0);
}

static void test_time_text(void)
{
    static const struct { uint32_t t; const char *want; } cases[] = {
        { 0, "1970-01-01T00:00:00Z" },
        { 1700000000, "2023-11-14T22:13:20Z" },
        { 1798347600, "2026-12-27T05:00:00Z" },
        { 951782400, "2000-02-29T00:00:00Z" },
        { UINT32_MAX, "2106-02-07T06:28:15Z" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char buf[21];
        td_cof_time_text(cases[i].t, buf, sizeof buf);
        CHECK_STR(buf, cases[i].want);
    }
    char small[5] = "xxxx";
    td_cof_time_text(0, small, sizeof small);
    CHECK_STR(small, "");
}

int main(void)
{
    TT_RUN(test_order_and_bailiwick);
    TT_RUN(test_flags);
    TT_RUN(test_types_and_rdata);
    TT_RUN(test_big_rdata);
    TT_RUN(test_bad_names);
    TT_RUN(test_open_extra_keys);
    TT_RUN(test_fast_paths_match_libknot);
    TT_RUN(test_time_text);
    return tt_finish();
}
