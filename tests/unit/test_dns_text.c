/* Tests for lib/dns_text.c: exact master-file strings for every common type, RFC 3597 for the
 * rest, name escapes, type/class/rcode mnemonics, text -> wire names. */
#include "dns_wire.h"
#include "tt.h"

#include <string.h>

struct rcase {
    uint16_t type;
    const char *hex; /* uncompressed rdata */
    const char *text;
};

#define N_EXAMPLE_COM "07 65 78 61 6d 70 6c 65 03 63 6f 6d 00"

static const struct rcase rcases[] = {
    {1, "c0 00 02 01", "192.0.2.1"},
    {28, "20 01 0d b8 00 00 00 00 00 00 00 00 00 00 00 01", "2001:db8::1"},
    {2, "03 6e 73 31" N_EXAMPLE_COM, "ns1.example.com."},
    {5, "01 61 01 62 00", "a.b."},
    {6, "03 6e 73 31" N_EXAMPLE_COM "0a 68 6f 73 74 6d 61 73 74 65 72" N_EXAMPLE_COM
        "78 a3 f1 75 00 00 1c 20 00 00 0e 10 00 12 75 00 00 00 01 2c",
     "ns1.example.com. hostmaster.example.com. 2024010101 7200 3600 1209600 300"},
    {12, "04 68 6f 73 74" N_EXAMPLE_COM, "host.example.com."},
    {15, "00 0a 04 6d 61 69 6c" N_EXAMPLE_COM, "10 mail.example.com."},
    {16, "05 68 65 6c 6c 6f 05 77 6f 72 6c 64", "\"hello\" \"world\""},
    {16, "00", "\"\""},
    {16, "04 61 09 0a ff", "\"a\\009\\010\\255\""},
    {33, "00 0a 00 14 1f 90 03 77 77 77" N_EXAMPLE_COM, "10 20 8080 www.example.com."},
    {35, "00 64 00 0a 01 55 07 45 32 55 2b 73 69 70 0f 21 5e 2e 2a 24 21 73 69 70 3a 78 40 65 78 21 00",
     "100 10 \"U\" \"E2U+sip\" \"!^.*$!sip:x@ex!\" ."},
    {43, "30 39 08 02 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f 10 11 12 13 14 15 16 17 18 19 1a 1b 1c 1d 1e 1f 20",
     "12345 8 2 0102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F20"},
    {48, "01 01 03 08 03 01 00 01", "257 3 8 AwEAAQ=="},
    {46, "00 01 08 02 00 00 0e 10 65 92 00 80 65 69 22 00 30 39" N_EXAMPLE_COM "01 02 03 04",
     "A 8 2 3600 20240101000000 20231201000000 12345 example.com. AQIDBA=="},
    {47, "04 68 6f 73 74" N_EXAMPLE_COM "00 06 60 00 00 00 00 03",
     "host.example.com. A NS RRSIG NSEC"},
    {50, "01 00 00 0a 04 aa bb cc dd 14 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f 10 11 12 13 14 00 01 40",
     "1 0 10 AABBCCDD 041061050o3gg28a1c60q3gf208h44ok A"},
    {51, "01 00 00 0a 00", "1 0 10 -"},
    {257, "00 05 69 73 73 75 65 6c 65 74 73 65 6e 63 72 79 70 74 2e 6f 72 67", "0 issue \"letsencrypt.org\""},
    {52, "03 01 01 ab cd ef 01", "3 1 1 ABCDEF01"},
    {44, "01 02 ab cd ef 01", "1 2 ABCDEF01"},
    {39, "07 65 78 61 6d 70 6c 65 03 6e 65 74 00", "example.net."},
    {13, "03 78 38 36 05 4c 69 6e 75 78", "\"x86\" \"Linux\""},
    {17, "05 61 64 6d 69 6e" N_EXAMPLE_COM "03 74 78 74" N_EXAMPLE_COM, "admin.example.com. txt.example.com."},
    {256, "00 0a 00 01 68 74 74 70 73 3a 2f 2f 65 78 61 6d 70 6c 65 2e 63 6f 6d 2f",
     "10 1 \"https://example.com/\""},
    {64, "00 01 03 73 76 63" N_EXAMPLE_COM "00 01 00 03 02 68 32", "1 svc.example.com. alpn=h2"},
    {65, "00 01 00 00 03 00 02 01 bb", "1 . port=443"},
    {65, "00 00" N_EXAMPLE_COM, "0 example.com."},
    /* OPT has no master-file form: generic */
    {41, "00 0a 00 02 ab cd", "\\# 6 000A0002ABCD"},
    {41, "", "\\# 0"},
    /* unknown types: RFC 3597 */
    {65534, "01 02 03", "\\# 3 010203"},
    {65534, "", "\\# 0"},
    {0, "ff", "\\# 1 FF"},
    /* known types whose rdata does not fit: generic, never garbage */
    {1, "01 02 03", "\\# 3 010203"},
    {28, "01 02 03 04", "\\# 4 01020304"},
    {16, "09 68 65", "\\# 3 096865"},
    {15, "00", "\\# 1 00"},
    {5, "03 61 62", "\\# 3 036162"},
    /* a name inside rdata with odd octets comes out escaped */
    {5, "03 61 20 62 03 61 2e 62 02 22 ff 00", "a\\032b.a\\.b.\\\"\\255."},
};

static void test_rdata_text(void)
{
    uint8_t rd[1024];
    char out[2048];
    for (size_t i = 0; i < sizeof rcases / sizeof rcases[0]; i++) {
        int n = tt_unhex(rcases[i].hex, rd, sizeof rd);
        if (n < 0) {
            TT_FAIL("case %zu: bad hex", i);
            continue;
        }
        int r = td_dns_rdata_to_text(rcases[i].type, rd, (size_t)n, out, sizeof out);
        if (r < 0 || strcmp(out, rcases[i].text) != 0 || (size_t)r != strlen(out))
            TT_FAIL("type %u case %zu: got %d \"%s\", expected \"%s\"", rcases[i].type, i, r,
                    r < 0 ? "" : out, rcases[i].text);
    }
}

static void test_rdata_text_small_buffer(void)
{
    const uint8_t a[] = {192, 0, 2, 1};
    char out[16];
    CHECK_EQ(td_dns_rdata_to_text(1, a, 4, out, 10), 9);
    CHECK_STR(out, "192.0.2.1");
    CHECK_EQ(td_dns_rdata_to_text(1, a, 4, out, 9), -1);
    CHECK_EQ(td_dns_rdata_to_text(65534, a, 4, out, 16), 13);
    CHECK_STR(out, "\\# 4 C0000201");
    CHECK_EQ(td_dns_rdata_to_text(65534, a, 4, out, 13), -1);
    CHECK_EQ(td_dns_rdata_to_text(1, a, 4, out, 0), -1);
}

struct ncase {
    const char *hex;
    const char *text;
};

static const struct ncase ncases[] = {
    {"00", "."},
    {"03 77 77 77" N_EXAMPLE_COM, "www.example.com."},
    {"03 57 77 57 00", "WwW."},                       /* case kept */
    {"03 61 2e 62 00", "a\\.b."},                     /* dot inside a label */
    {"03 61 20 62 00", "a\\032b."},                   /* space */
    {"03 61 22 62 00", "a\\\"b."},                    /* quote */
    {"03 61 5c 62 00", "a\\\\b."},                    /* backslash */
    {"02 ff 80 00", "\\255\\128."},                   /* high octets */
    {"02 00 0a 00", "\\000\\010."},                   /* control octets */
    {"01 2a 03 63 6f 6d 00", "*.com."},               /* wildcard stays */
    {"04 5f 74 63 70 01 2d 00", "_tcp.-."},
};

static void test_name_text(void)
{
    uint8_t w[300];
    char out[1100];
    for (size_t i = 0; i < sizeof ncases / sizeof ncases[0]; i++) {
        int n = tt_unhex(ncases[i].hex, w, sizeof w);
        int r = td_dns_name_to_text(w, (size_t)n, out, sizeof out);
        if (r < 0 || strcmp(out, ncases[i].text) != 0 || (size_t)r != strlen(out)) {
            TT_FAIL("name case %zu: got %d \"%s\", expected \"%s\"", i, r, r < 0 ? "" : out, ncases[i].text);
            continue;
        }
        for (int k = 0; k < r; k++)
            if (out[k] < 0x21 || out[k] > 0x7e)
                TT_FAIL("name case %zu: octet %d not printable", i, k);
    }
    /* invalid wire names: refused */
    CHECK_EQ(td_dns_name_to_text((const uint8_t *)"\x03" "ab", 3, out, sizeof out), -1);      /* cut */
    CHECK_EQ(td_dns_name_to_text((const uint8_t *)"\x01" "a\0\0", 4, out, sizeof out), -1);  /* extra */
    CHECK_EQ(td_dns_name_to_text((const uint8_t *)"\xc0\x0c", 2, out, sizeof out), -1);     /* pointer */
    CHECK_EQ(td_dns_name_to_text((const uint8_t *)"", 0, out, sizeof out), -1);
    CHECK_EQ(td_dns_name_to_text((const uint8_t *)"\x03www\0", 5, out, 4), -1); /* buffer */
    CHECK_EQ(td_dns_name_to_text((const uint8_t *)"\x03www\0", 5, out, 5), 4);
    CHECK_STR(out, "www.");
}

static void test_name_from_text(void)
{
    uint8_t w[300];
    uint8_t exp[300];
    int en = tt_unhex("03 77 77 77" N_EXAMPLE_COM, exp, sizeof exp);
    CHECK_EQ(td_dns_name_from_text("www.example.com", w, sizeof w), en);
    CHECK_MEM(w, exp, (size_t)en);
    CHECK_EQ(td_dns_name_from_text("www.example.com.", w, sizeof w), en);
    CHECK_MEM(w, exp, (size_t)en);
    CHECK_EQ(td_dns_name_from_text(".", w, sizeof w), 1);
    CHECK_EQ(w[0], 0);
    CHECK_EQ(td_dns_name_from_text("a\\.b\\032c.", w, sizeof w), 7);
    CHECK_MEM(w, "\x05" "a.b c\0", 7);
    CHECK_EQ(td_dns_name_from_text("", w, sizeof w), -1);
    CHECK_EQ(td_dns_name_from_text("a..b", w, sizeof w), -1);
    CHECK_EQ(td_dns_name_from_text("www.example.com", w, 10), -1);
    char lab[70];
    memset(lab, 'a', 64);
    lab[64] = 0;
    CHECK_EQ(td_dns_name_from_text(lab, w, sizeof w), -1); /* label of 64 */
    lab[63] = 0;
    CHECK_EQ(td_dns_name_from_text(lab, w, sizeof w), 65);
    /* round trip with escapes */
    char txt[1100];
    const uint8_t odd[] = "\x04" "a\"\xff.\x01" "b";
    CHECK(td_dns_name_to_text(odd, 8, txt, sizeof txt) > 0);
    CHECK_EQ(td_dns_name_from_text(txt, w, sizeof w), 8);
    CHECK_MEM(w, odd, 8);
}

static void test_mnemonics(void)
{
    char b[64];
    static const struct { uint16_t t; const char *s; } types[] = {
        {1, "A"}, {2, "NS"}, {5, "CNAME"}, {6, "SOA"}, {12, "PTR"}, {15, "MX"}, {16, "TXT"},
        {28, "AAAA"}, {33, "SRV"}, {35, "NAPTR"}, {39, "DNAME"}, {41, "OPT"}, {43, "DS"},
        {46, "RRSIG"}, {47, "NSEC"}, {48, "DNSKEY"}, {50, "NSEC3"}, {52, "TLSA"}, {64, "SVCB"},
        {65, "HTTPS"}, {255, "ANY"}, {256, "URI"}, {257, "CAA"}, {65534, "TYPE65534"}, {0, "TYPE0"},
        {65280, "TYPE65280"},
    };
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        int r = td_dns_type_to_text(types[i].t, b, sizeof b);
        CHECK_EQ(r, (int)strlen(types[i].s));
        CHECK_STR(b, types[i].s);
    }
    CHECK_EQ(td_dns_type_to_text(65534, b, 5), -1);
    CHECK_EQ(td_dns_class_to_text(1, b, sizeof b), 2);
    CHECK_STR(b, "IN");
    CHECK_EQ(td_dns_class_to_text(3, b, sizeof b), 2);
    CHECK_STR(b, "CH");
    CHECK_EQ(td_dns_class_to_text(255, b, sizeof b), 3);
    CHECK_STR(b, "ANY");
    CHECK_EQ(td_dns_class_to_text(1232, b, sizeof b), 9);
    CHECK_STR(b, "CLASS1232");
    static const struct { uint8_t r; const char *s; } rcodes[] = {
        {0, "NOERROR"}, {1, "FORMERR"}, {2, "SERVFAIL"}, {3, "NXDOMAIN"}, {4, "NOTIMP"},
        {5, "REFUSED"}, {9, "NOTAUTH"}, {12, "RCODE12"}, {15, "RCODE15"},
    };
    for (size_t i = 0; i < sizeof rcodes / sizeof rcodes[0]; i++) {
        int r = td_dns_rcode_to_text(rcodes[i].r, b, sizeof b);
        CHECK_EQ(r, (int)strlen(rcodes[i].s));
        CHECK_STR(b, rcodes[i].s);
    }
    CHECK_EQ(td_dns_rcode_to_text(3, b, 8), -1);
    CHECK_EQ(td_dns_rcode_to_text(3, b, 9), 8);
}

int main(void)
{
    TT_RUN(test_rdata_text);
    TT_RUN(test_rdata_text_small_buffer);
    TT_RUN(test_name_text);
    TT_RUN(test_name_from_text);
    TT_RUN(test_mnemonics);
    return tt_finish();
}
