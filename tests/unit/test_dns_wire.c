/* Tests for lib/dns_wire.c: real-looking responses, every malformed case the parser must
 * refuse (with the right reason), truncation at every octet, rdata decompression. */
#include "dns_wire.h"
#include "tt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAXMSG 4096

/* Renders every RR of msg as "SEC owner TYPE rdata|" (SEC = a/n/r) after validate. */
static enum td_dns_res dump_rrs(const uint8_t *msg, size_t len, char *out, size_t cap, int lower)
{
    struct td_dns_iter it;
    struct td_dns_rr rr;
    enum td_dns_res r = td_dns_iter_init(&it, msg, len);
    size_t o = 0;
    out[0] = 0;
    if (r != TD_DNS_OK)
        return r;
    int k;
    while ((k = td_dns_iter_next(&it, &rr)) == 1) {
        uint8_t rd[65535 + 2 * 255];
        size_t rdl = 0;
        char owner[1024], type[32], rdt[4096];
        r = td_dns_rdata_uncompress(msg, len, &rr, lower, rd, sizeof rd, &rdl);
        if (r != TD_DNS_OK)
            return r;
        if (td_dns_name_to_text(rr.owner, rr.owner_len, owner, sizeof owner) < 0 ||
            td_dns_type_to_text(rr.type, type, sizeof type) < 0 ||
            td_dns_rdata_to_text(rr.type, rd, rdl, rdt, sizeof rdt) < 0)
            return TD_DNS_BUFFER_TOO_SMALL;
        int n = snprintf(out + o, cap - o, "%c %s %s %s|", "qanr"[rr.section], owner, type, rdt);
        if (n < 0 || (size_t)n >= cap - o)
            return TD_DNS_BUFFER_TOO_SMALL;
        o += (size_t)n;
    }
    return k < 0 ? it.err : TD_DNS_OK;
}

struct vcase {
    const char *name, *hex;
    const char *qname;
    uint16_t qtype;
    const char *rrs;
};

static const struct vcase valid[] = {
    {"a_compressed",
     "12 34 81 80 00 01 00 01 00 00 00 00 03 77 77 77 07 65 78 61 6d 70 6c 65 03 63 6f 6d 00 00 01 00 01"
     " c0 0c 00 01 00 01 00 00 01 2c 00 04 5d b8 d8 22",
     "www.example.com.", 1, "a www.example.com. A 93.184.216.34|"},
    {"cname_chain",
     "12 34 81 80 00 01 00 03 00 00 00 00 03 77 77 77 07 65 78 61 6d 70 6c 65 03 63 6f 6d 00 00 01 00 01"
     " c0 0c 00 05 00 01 00 00 01 2c 00 04 01 61 c0 10"
     " c0 2d 00 05 00 01 00 00 01 2c 00 0f 01 62 07 65 78 61 6d 70 6c 65 03 6e 65 74 00"
     " c0 3d 00 01 00 01 00 00 00 3c 00 04 c0 00 02 07",
     "www.example.com.", 1,
     "a www.example.com. CNAME a.example.com.|a a.example.com. CNAME b.example.net.|"
     "a b.example.net. A 192.0.2.7|"},
    {"nxdomain_soa",
     "12 34 81 83 00 01 00 00 00 01 00 00 04 6e 6f 70 65 07 65 78 61 6d 70 6c 65 03 63 6f 6d 00 00 01 00 01"
     " c0 11 00 06 00 01 00 00 01 2c 00 27 03 6e 73 31 c0 11 0a 68 6f 73 74 6d 61 73 74 65 72 c0 11"
     " 78 a3 f1 75 00 00 1c 20 00 00 0e 10 00 12 75 00 00 00 01 2c",
     "nope.example.com.", 1,
     "n example.com. SOA ns1.example.com. hostmaster.example.com. 2024010101 7200 3600 1209600 300|"},
    {"referral_glue",
     "12 34 81 00 00 01 00 00 00 02 00 02 03 77 77 77 07 65 78 61 6d 70 6c 65 03 63 6f 6d 00 00 01 00 01"
     " c0 10 00 02 00 01 00 02 a3 00 00 06 03 6e 73 31 c0 10"
     " c0 10 00 02 00 01 00 02 a3 00 00 06 03 6e 73 32 c0 10"
     " c0 2d 00 01 00 01 00 02 a3 00 00 04 c0 00 02 35"
     " c0 3f 00 1c 00 01 00 02 a3 00 00 10 20 01 0d b8 00 00 00 00 00 00 00 00 00 00 00 35",
     "www.example.com.", 1,
     "n example.com. NS ns1.example.com.|n example.com. NS ns2.example.com.|"
     "r ns1.example.com. A 192.0.2.53|r ns2.example.com. AAAA 2001:db8::35|"},
    {"mx_opt",
     "12 34 81 80 00 01 00 01 00 00 00 01 07 65 78 61 6d 70 6c 65 03 63 6f 6d 00 00 0f 00 01"
     " c0 0c 00 0f 00 01 00 00 0e 10 00 09 00 0a 04 6d 61 69 6c c0 0c"
     " 00 00 29 04 d0 00 00 00 00 00 00",
     "example.com.", 15, "a example.com. MX 10 mail.example.com.|r . OPT \\# 0|"},
    {"naptr_srv",
     "12 34 81 80 00 01 00 02 00 00 00 00 07 65 78 61 6d 70 6c 65 03 63 6f 6d 00 00 23 00 01"
     " c0 0c 00 23 00 01 00 00 00 3c 00 35 00 64 00 0a 01 55 07 45 32 55 2b 73 69 70"
     " 0f 21 5e 2e 2a 24 21 73 69 70 3a 78 40 65 78 21"
     " 04 5f 73 69 70 04 5f 75 64 70 07 65 78 61 6d 70 6c 65 03 63 6f 6d 00"
     " 04 5f 73 69 70 04 5f 75 64 70 c0 0c 00 21 00 01 00 00 00 3c 00 17 00 0a 00 14 13 c4"
     " 03 73 69 70 07 65 78 61 6d 70 6c 65 03 63 6f 6d 00",
     "example.com.", 35,
     "a example.com. NAPTR 100 10 \"U\" \"E2U+sip\" \"!^.*$!sip:x@ex!\" _sip._udp.example.com.|"
     "a _sip._udp.example.com. SRV 10 20 5060 sip.example.com.|"},
    {"no_question_no_rr", "12 34 81 80 00 00 00 00 00 00 00 00", NULL, 0, ""},
};

/* The big TXT response: 3 strings (255, 200 and 5 octets), built in code. */
static size_t build_txt_big(uint8_t *m)
{
    int n = tt_unhex("12 34 81 80 00 01 00 01 00 00 00 00 03 62 69 67 07 65 78 61 6d 70 6c 65"
                     " 03 63 6f 6d 00 00 10 00 01 c0 0c 00 10 00 01 00 00 00 3c 01 cf", m, MAXMSG);
    size_t o = (size_t)n;
    m[o++] = 255;
    memset(m + o, 'x', 255);
    o += 255;
    m[o++] = 200;
    memset(m + o, 'y', 200);
    o += 200;
    memcpy(m + o, "\x05he\"l\\", 6);
    return o + 6;
}

static void check_valid(const char *name, const uint8_t *m, size_t len, const char *qname,
                        uint16_t qtype, const char *rrs)
{
    char out[8192], qn[1024];
    struct td_dns_question q;
    size_t end = 0;
    enum td_dns_res r = td_dns_validate(m, len);
    if (r != TD_DNS_OK)
        TT_FAIL("%s: validate %s", name, td_dns_res_str(r));
    r = td_dns_parse_question(m, len, &q, &end);
    if (qname) {
        CHECK_EQ(r, TD_DNS_OK);
        CHECK(td_dns_name_to_text(q.name, q.name_len, qn, sizeof qn) > 0);
        CHECK_STR(qn, qname);
        CHECK_EQ(q.qtype, qtype);
        CHECK_EQ(q.qclass, 1);
        CHECK_EQ(end, 12 + q.name_len + 4); /* questions here are never compressed */
    } else {
        CHECK_EQ(r, TD_DNS_NO_QUESTION);
    }
    r = dump_rrs(m, len, out, sizeof out, 0);
    if (r != TD_DNS_OK)
        TT_FAIL("%s: dump %s", name, td_dns_res_str(r));
    if (strcmp(out, rrs) != 0)
        TT_FAIL("%s: got\n  %s\nexpected\n  %s", name, out, rrs);

    /* truncated at every octet: never OK, never a crash */
    for (size_t cut = 0; cut < len; cut++) {
        uint8_t *t = malloc(cut ? cut : 1); /* exact size so ASan sees overreads */
        memcpy(t, m, cut);
        r = td_dns_validate(t, cut);
        if (r == TD_DNS_OK || r >= TD_DNS__COUNT)
            TT_FAIL("%s: truncated to %zu validated as %s", name, cut, td_dns_res_str(r));
        if (cut < 12 && r != TD_DNS_SHORT_HEADER)
            TT_FAIL("%s: cut %zu gives %s", name, cut, td_dns_res_str(r));
        (void)td_dns_parse_question(t, cut, &q, NULL);
        (void)dump_rrs(t, cut, out, sizeof out, 1);
        free(t);
    }
}

static void test_valid_messages(void)
{
    uint8_t m[MAXMSG];
    for (size_t i = 0; i < sizeof valid / sizeof valid[0]; i++) {
        int n = tt_unhex(valid[i].hex, m, sizeof m);
        CHECK(n > 0);
        if (n > 0)
            check_valid(valid[i].name, m, (size_t)n, valid[i].qname, valid[i].qtype, valid[i].rrs);
    }
}

static void test_txt_big(void)
{
    uint8_t m[MAXMSG];
    size_t len = build_txt_big(m);
    CHECK_EQ(len, 508);
    char exp[1024];
    char xs[256], ys[201];
    memset(xs, 'x', 255);
    xs[255] = 0;
    memset(ys, 'y', 200);
    ys[200] = 0;
    snprintf(exp, sizeof exp, "a big.example.com. TXT \"%s\" \"%s\" \"he\\\"l\\\\\"|", xs, ys);
    check_valid("txt_big", m, len, "big.example.com.", 16, exp);
}

struct bad {
    const char *name, *hex;
    enum td_dns_res validate, question;
};

#define H_Q1 "12 34 81 80 00 01 00 00 00 00 00 00"  /* 1 question, no RR */
#define H_Q1A1 "12 34 81 80 00 01 00 01 00 00 00 00"
#define Q_ROOT "00 00 01 00 01" /* question ". A IN" (offsets 12..16) */
#define Q_WWW "03 77 77 77 07 65 78 61 6d 70 6c 65 03 63 6f 6d 00 00 01 00 01" /* 12..32 */
#define RR_A "00 01 00 01 00 00 01 2c"  /* type A class IN ttl 300 */

static const struct bad bads[] = {
    {"short_header", "12 34 81 80 00 01 00 00 00 00 00", TD_DNS_SHORT_HEADER, TD_DNS_SHORT_HEADER},
    {"empty", "", TD_DNS_SHORT_HEADER, TD_DNS_SHORT_HEADER},
    {"qdcount_0", "12 34 81 80 00 00 00 00 00 00 00 00", TD_DNS_OK, TD_DNS_NO_QUESTION},
    {"pointer_self", H_Q1 "c0 0c 00 01 00 01", TD_DNS_FORWARD_POINTER, TD_DNS_FORWARD_POINTER},
    {"pointer_forward", H_Q1 "c0 11 00 01 00 01 00", TD_DNS_FORWARD_POINTER, TD_DNS_FORWARD_POINTER},
    {"pointer_past_end_target", H_Q1 "c0 ff 00 01 00 01", TD_DNS_FORWARD_POINTER, TD_DNS_FORWARD_POINTER},
    {"pointer_cut", H_Q1 "01 61 c0", TD_DNS_NAME_PAST_END, TD_DNS_NAME_PAST_END},
    /* label "a" at 12, then a pointer at 14 back to 12: the name itself started at 12, so the
     * target is not strictly before it (this would loop) */
    {"pointer_loop_via_label", H_Q1 "01 61 c0 0c 00 01 00 01", TD_DNS_FORWARD_POINTER, TD_DNS_FORWARD_POINTER},
    /* TXT rdata at 28 holds "c0 1e c0 1c" (28 -> 30, 30 -> 28); owner of the 2nd RR jumps to 28 */
    {"pointer_two_cycle",
     "12 34 81 80 00 01 00 02 00 00 00 00" Q_ROOT " 00 00 10 00 01 00 00 00 00 00 04 c0 1e c0 1c"
     " c0 1c" RR_A "00 04 01 02 03 04",
     TD_DNS_FORWARD_POINTER, TD_DNS_OK},
    {"pointer_owner_self",
     "12 34 81 80 00 01 00 01 00 00 00 00" Q_ROOT " c0 11" RR_A "00 04 01 02 03 04",
     TD_DNS_FORWARD_POINTER, TD_DNS_OK},
    {"label_type_40", H_Q1 "40 61 00 00 01 00 01", TD_DNS_LABEL_TOO_LONG, TD_DNS_LABEL_TOO_LONG},
    {"label_type_80", H_Q1 "80 61 00 00 01 00 01", TD_DNS_LABEL_TOO_LONG, TD_DNS_LABEL_TOO_LONG},
    {"label_past_end", H_Q1 "05 61 62", TD_DNS_NAME_PAST_END, TD_DNS_NAME_PAST_END},
    {"name_no_root", H_Q1 "01 61", TD_DNS_NAME_PAST_END, TD_DNS_NAME_PAST_END},
    {"question_cut", H_Q1 "00 00 01 00", TD_DNS_QUESTION_PAST_END, TD_DNS_QUESTION_PAST_END},
    {"qdcount_too_large", "12 34 81 80 00 02 00 00 00 00 00 00" Q_ROOT, TD_DNS_COUNT_MISMATCH, TD_DNS_OK},
    {"ancount_too_large", H_Q1A1 Q_ROOT, TD_DNS_COUNT_MISMATCH, TD_DNS_OK},
    {"arcount_too_large",
     "12 34 81 80 00 01 00 01 00 00 00 03" Q_ROOT " 00" RR_A "00 04 01 02 03 04",
     TD_DNS_COUNT_MISMATCH, TD_DNS_OK},
    {"rr_header_cut", H_Q1A1 Q_ROOT " 00 00 01 00 01 00", TD_DNS_RR_PAST_END, TD_DNS_OK},
    {"rdlength_past_end", H_Q1A1 Q_ROOT " 00" RR_A "00 05 01 02 03 04", TD_DNS_RDATA_PAST_END, TD_DNS_OK},
    {"a_rdlength_3", H_Q1A1 Q_ROOT " 00" RR_A "00 03 01 02 03", TD_DNS_BAD_RDATA, TD_DNS_OK},
    {"aaaa_rdlength_4", H_Q1A1 Q_ROOT " 00 00 1c 00 01 00 00 00 00 00 04 01 02 03 04", TD_DNS_BAD_RDATA, TD_DNS_OK},
    /* MX: preference then a name that runs past rdlength (5) into the next octets */
    {"mx_name_past_rdlength",
     H_Q1A1 Q_WWW " c0 0c 00 0f 00 01 00 00 00 00 00 05 00 0a 04 6d 61 69 6c 00",
     TD_DNS_BAD_RDATA, TD_DNS_OK},
    {"mx_no_name", H_Q1A1 Q_WWW " c0 0c 00 0f 00 01 00 00 00 00 00 02 00 0a", TD_DNS_BAD_RDATA, TD_DNS_OK},
    {"mx_forward_pointer",
     H_Q1A1 Q_WWW " c0 0c 00 0f 00 01 00 00 00 00 00 04 00 0a c0 30",
     TD_DNS_FORWARD_POINTER, TD_DNS_OK},
    {"cname_trailing_octets", H_Q1A1 Q_WWW " c0 0c 00 05 00 01 00 00 00 00 00 03 c0 0c 00", TD_DNS_BAD_RDATA, TD_DNS_OK},
    {"cname_label_40", H_Q1A1 Q_WWW " c0 0c 00 05 00 01 00 00 00 00 00 03 41 61 00", TD_DNS_LABEL_TOO_LONG, TD_DNS_OK},
    /* SOA: two compressed names then only 19 of the 20 fixed octets */
    {"soa_fixed_short",
     H_Q1A1 Q_WWW " c0 10 00 06 00 01 00 00 00 00 00 17 c0 10 c0 10"
     " 00 00 00 01 00 00 00 02 00 00 00 03 00 00 00 04 00 00 00",
     TD_DNS_BAD_RDATA, TD_DNS_OK},
    {"naptr_string_past_rdlength",
     H_Q1A1 Q_WWW " c0 0c 00 23 00 01 00 00 00 00 00 07 00 01 00 02 01 55 09 00", TD_DNS_BAD_RDATA, TD_DNS_OK},
    {"naptr_no_name",
     H_Q1A1 Q_WWW " c0 0c 00 23 00 01 00 00 00 00 00 07 00 01 00 02 00 00 00", TD_DNS_BAD_RDATA, TD_DNS_OK},
    {"srv_short", H_Q1A1 Q_WWW " c0 0c 00 21 00 01 00 00 00 00 00 05 00 01 00 02 00", TD_DNS_BAD_RDATA, TD_DNS_OK},
    {"rrsig_no_signer", H_Q1A1 Q_WWW " c0 0c 00 2e 00 01 00 00 00 00 00 12"
     " 00 01 08 02 00 00 0e 10 65 92 00 80 65 69 21 00 30 39", TD_DNS_BAD_RDATA, TD_DNS_OK},
};

static void test_malformed(void)
{
    uint8_t m[MAXMSG];
    for (size_t i = 0; i < sizeof bads / sizeof bads[0]; i++) {
        int n = tt_unhex(bads[i].hex, m, sizeof m);
        if (n < 0) {
            TT_FAIL("%s: bad hex", bads[i].name);
            continue;
        }
        uint8_t *e = malloc((size_t)n + 1);
        memcpy(e, m, (size_t)n);
        enum td_dns_res r = td_dns_validate(e, (size_t)n);
        if (r != bads[i].validate)
            TT_FAIL("%s: validate %s, expected %s", bads[i].name, td_dns_res_str(r),
                    td_dns_res_str(bads[i].validate));
        struct td_dns_question q;
        r = td_dns_parse_question(e, (size_t)n, &q, NULL);
        if (r != bads[i].question)
            TT_FAIL("%s: question %s, expected %s", bads[i].name, td_dns_res_str(r),
                    td_dns_res_str(bads[i].question));
        free(e);
    }
}

/* Iteration errors are sticky and the iterator reports what it saw before. */
static void test_iter_sticky(void)
{
    uint8_t m[MAXMSG];
    int n = tt_unhex("12 34 81 80 00 01 00 01 00 00 00 02" Q_ROOT " 00" RR_A "00 04 01 02 03 04", m, sizeof m);
    struct td_dns_iter it;
    struct td_dns_rr rr;
    CHECK_EQ(td_dns_iter_init(&it, m, (size_t)n), TD_DNS_OK);
    CHECK_EQ(td_dns_iter_next(&it, &rr), 1);
    CHECK_EQ(rr.section, TD_SEC_ANSWER);
    CHECK_EQ(rr.type, 1);
    CHECK_EQ(rr.rclass, 1);
    CHECK_EQ(rr.ttl, 300);
    CHECK_EQ(rr.rdlength, 4);
    CHECK_EQ(rr.rdata_off, 28);
    CHECK_EQ(rr.owner_len, 1);
    CHECK_EQ(td_dns_iter_next(&it, &rr), -1);
    CHECK_EQ(it.err, TD_DNS_COUNT_MISMATCH);
    CHECK_EQ(td_dns_iter_next(&it, &rr), -1);
    CHECK_EQ(td_dns_iter_init(&it, m, 5), TD_DNS_SHORT_HEADER);
    CHECK_EQ(td_dns_iter_next(&it, &rr), -1);
    /* a message that ends cleanly: 0 after the last RR, and 0 again */
    m[11] = 0;
    CHECK_EQ(td_dns_iter_init(&it, m, (size_t)n), TD_DNS_OK);
    CHECK_EQ(td_dns_iter_next(&it, &rr), 1);
    CHECK_EQ(td_dns_iter_next(&it, &rr), 0);
    CHECK_EQ(td_dns_iter_next(&it, &rr), 0);
}

/* Message with one question whose name is `labels` labels of `llen` octets, then `extra`. */
static size_t build_long_name(uint8_t *m, int nlabels, const int *llen)
{
    int n = tt_unhex(H_Q1, m, MAXMSG);
    size_t o = (size_t)n;
    for (int i = 0; i < nlabels; i++) {
        m[o++] = (uint8_t)llen[i];
        memset(m + o, 'a' + i, (size_t)llen[i]);
        o += (size_t)llen[i];
    }
    m[o++] = 0;
    memcpy(m + o, "\x00\x01\x00\x01", 4);
    return o + 4;
}

static void test_name_lengths(void)
{
    uint8_t m[MAXMSG];
    struct td_dns_question q;
    static const int l255[] = {63, 63, 63, 61};  /* 3*64 + 62 + root = 255 */
    static const int l256[] = {63, 63, 63, 62};  /* 256 */
    static const int l63[] = {63};
    size_t len = build_long_name(m, 4, l255);
    CHECK_EQ(td_dns_parse_question(m, len, &q, NULL), TD_DNS_OK);
    CHECK_EQ(q.name_len, 255);
    CHECK_EQ(td_dns_validate(m, len), TD_DNS_OK);
    char txt[1100];
    CHECK(td_dns_name_to_text(q.name, q.name_len, txt, sizeof txt) == 254); /* 250 label octets + 4 dots */
    len = build_long_name(m, 4, l256);
    CHECK_EQ(td_dns_parse_question(m, len, &q, NULL), TD_DNS_NAME_TOO_LONG);
    CHECK_EQ(td_dns_validate(m, len), TD_DNS_NAME_TOO_LONG);
    len = build_long_name(m, 1, l63);
    CHECK_EQ(td_dns_parse_question(m, len, &q, NULL), TD_DNS_OK);
    CHECK_EQ(q.name_len, 65);

    /* too long only through compression: question name of 250 octets (4 labels), answer
     * owner = one 5-octet label + pointer to it: 256 octets */
    static const int l250[] = {63, 63, 63, 56};
    len = build_long_name(m, 4, l250);
    CHECK_EQ(td_dns_validate(m, len), TD_DNS_OK);
    m[7] = 1; /* ancount */
    int n = tt_unhex("05 62 62 62 62 62 c0 0c" RR_A "00 04 01 02 03 04", m + len, MAXMSG - len);
    len += (size_t)n;
    CHECK_EQ(td_dns_validate(m, len), TD_DNS_NAME_TOO_LONG);
    /* a 4-octet label instead: 255 exactly */
    len = build_long_name(m, 4, l250);
    m[7] = 1;
    n = tt_unhex("04 62 62 62 62 c0 0c" RR_A "00 04 01 02 03 04", m + len, MAXMSG - len);
    len += (size_t)n;
    CHECK_EQ(td_dns_validate(m, len), TD_DNS_OK);
}

static void test_unpack_name(void)
{
    uint8_t m[MAXMSG], name[255];
    uint16_t nl = 0;
    /* name at 12 "a.b." and at 17 "c" + pointer to 14 ("b.") */
    int n = tt_unhex(H_Q1 "01 61 01 62 00 01 63 c0 0e", m, sizeof m);
    size_t off = 17;
    CHECK_EQ(td_dns_unpack_name(m, (size_t)n, &off, name, &nl), TD_DNS_OK);
    CHECK_EQ(off, 21);   /* past the pointer, not the target */
    CHECK_EQ(nl, 5);
    CHECK_MEM(name, "\x01" "c\x01" "b\0", 5);
    off = 17;
    CHECK_EQ(td_dns_unpack_name(m, (size_t)n, &off, NULL, NULL), TD_DNS_OK);
    CHECK_EQ(off, 21);
    off = 12;
    CHECK_EQ(td_dns_unpack_name(m, (size_t)n, &off, name, &nl), TD_DNS_OK);
    CHECK_EQ(off, 17);
    CHECK_EQ(nl, 5);
    /* off at the end */
    off = (size_t)n;
    CHECK_EQ(td_dns_unpack_name(m, (size_t)n, &off, name, &nl), TD_DNS_NAME_PAST_END);
    /* pointer to a pointer that goes further back: fine */
    n = tt_unhex(H_Q1 "01 61 00 c0 0c c0 0f", m, sizeof m);
    off = 17;
    CHECK_EQ(td_dns_unpack_name(m, (size_t)n, &off, name, &nl), TD_DNS_OK);
    CHECK_EQ(nl, 3);
    CHECK_EQ(off, 19);
    /* pointer to a pointer that goes forward from the first target: refused */
    n = tt_unhex(H_Q1 "c0 0f 00 01 61 c0 0c", m, sizeof m);
    off = 17;
    CHECK_EQ(td_dns_unpack_name(m, (size_t)n, &off, name, &nl), TD_DNS_FORWARD_POINTER);
}

static void test_uncompress_lower(void)
{
    uint8_t m[MAXMSG];
    /* MX "MAIL" + pointer to "Example.COM", SOA with NS1/Host.Master names */
    int n = tt_unhex(
        "12 34 81 80 00 01 00 01 00 01 00 00 07 45 78 61 6d 70 6c 65 03 43 4f 4d 00 00 0f 00 01"
        " c0 0c 00 0f 00 01 00 00 0e 10 00 09 00 0a 04 4d 41 49 4c c0 0c"
        " c0 0c 00 06 00 01 00 00 01 2c 00 28 03 4e 53 31 c0 0c 04 48 6f 73 74 06 4d 61 73 74 65 72 c0 0c"
        " 00 00 00 01 00 00 00 02 00 00 00 03 00 00 00 04 00 00 00 05", m, sizeof m);
    CHECK_EQ(n, 102);
    CHECK_EQ(td_dns_validate(m, (size_t)n), TD_DNS_OK);
    struct td_dns_iter it;
    struct td_dns_rr rr;
    uint8_t out[2048], exp[256];
    size_t ol = 0;
    CHECK_EQ(td_dns_iter_init(&it, m, (size_t)n), TD_DNS_OK);
    CHECK_EQ(td_dns_iter_next(&it, &rr), 1);
    CHECK_EQ(rr.type, 15);
    CHECK_EQ(td_dns_rdata_uncompress(m, (size_t)n, &rr, 1, out, sizeof out, &ol), TD_DNS_OK);
    int en = tt_unhex("00 0a 04 6d 61 69 6c 07 65 78 61 6d 70 6c 65 03 63 6f 6d 00", exp, sizeof exp);
    CHECK_EQ(ol, (size_t)en);
    CHECK_MEM(out, exp, (size_t)en);
    /* case kept without lower */
    CHECK_EQ(td_dns_rdata_uncompress(m, (size_t)n, &rr, 0, out, sizeof out, &ol), TD_DNS_OK);
    en = tt_unhex("00 0a 04 4d 41 49 4c 07 45 78 61 6d 70 6c 65 03 43 4f 4d 00", exp, sizeof exp);
    CHECK_EQ(ol, (size_t)en);
    CHECK_MEM(out, exp, (size_t)en);
    /* buffer too small: the contract wants rdlength + 510 */
    CHECK_EQ(td_dns_rdata_uncompress(m, (size_t)n, &rr, 0, out, 9 + 509, &ol), TD_DNS_BUFFER_TOO_SMALL);
    CHECK_EQ(td_dns_rdata_uncompress(m, (size_t)n, &rr, 0, out, 9 + 510, &ol), TD_DNS_OK);

    CHECK_EQ(td_dns_iter_next(&it, &rr), 1);
    CHECK_EQ(rr.type, 6);
    CHECK_EQ(rr.section, TD_SEC_AUTHORITY);
    CHECK_EQ(td_dns_rdata_uncompress(m, (size_t)n, &rr, 1, out, sizeof out, &ol), TD_DNS_OK);
    en = tt_unhex("03 6e 73 31 07 65 78 61 6d 70 6c 65 03 63 6f 6d 00"
                  " 04 68 6f 73 74 06 6d 61 73 74 65 72 07 65 78 61 6d 70 6c 65 03 63 6f 6d 00"
                  " 00 00 00 01 00 00 00 02 00 00 00 03 00 00 00 04 00 00 00 05", exp, sizeof exp);
    CHECK_EQ(ol, (size_t)en);
    CHECK_MEM(out, exp, (size_t)en);
    char txt[512];
    CHECK(td_dns_rdata_to_text(rr.type, out, ol, txt, sizeof txt) > 0);
    CHECK_STR(txt, "ns1.example.com. host.master.example.com. 1 2 3 4 5");
    /* owner name case is kept */
    CHECK_MEM(rr.owner, "\x07" "Example\x03" "COM", 12);
    CHECK_EQ(td_dns_iter_next(&it, &rr), 0);

    /* opaque rdata (TXT) is copied, never lowercased */
    n = tt_unhex(H_Q1A1 Q_ROOT " 00 00 10 00 01 00 00 00 00 00 03 02 41 42", m, sizeof m);
    CHECK_EQ(td_dns_iter_init(&it, m, (size_t)n), TD_DNS_OK);
    CHECK_EQ(td_dns_iter_next(&it, &rr), 1);
    CHECK_EQ(td_dns_rdata_uncompress(m, (size_t)n, &rr, 1, out, sizeof out, &ol), TD_DNS_OK);
    CHECK_EQ(ol, 3);
    CHECK_MEM(out, "\x02" "AB", 3);
}

static void test_name_helpers(void)
{
    uint8_t a[] = "\x03WwW\x07" "Example\x03" "cOm";   /* + NUL = 17 octets */
    const uint8_t b[] = "\x03www\x07" "example\x03" "com";
    const uint8_t zone[] = "\x07" "EXAMPLE\x03" "com";
    const uint8_t com[] = "\x03" "com";
    const uint8_t ample[] = "\x05" "ample\x03" "com";
    const uint8_t root[] = "";
    CHECK(td_dns_name_equal_nocase(a, 17, b, 17));
    CHECK(!td_dns_name_equal_nocase(a, 17, b, 16));
    CHECK(!td_dns_name_equal_nocase(a, 17, zone, 13));
    CHECK(td_dns_name_is_below(a, 17, zone, 13));
    CHECK(td_dns_name_is_below(a, 17, com, 5));
    CHECK(td_dns_name_is_below(a, 17, root, 1));
    CHECK(td_dns_name_is_below(a, 17, b, 17));
    CHECK(td_dns_name_is_below(zone, 13, zone, 13));
    CHECK(!td_dns_name_is_below(a, 17, ample, 11)); /* not label-aligned */
    CHECK(!td_dns_name_is_below(zone, 13, a, 17));
    CHECK(!td_dns_name_is_below(root, 1, com, 5));
    CHECK(td_dns_name_is_below(root, 1, root, 1));
    td_dns_name_lower(a, 17);
    CHECK_MEM(a, b, 17);
}

static void test_descriptors(void)
{
    const struct td_rdata_desc_field *d = td_rdata_descriptor(15);
    CHECK_EQ(d[0].kind, TD_RDF_FIXED);
    CHECK_EQ(d[0].len, 2);
    CHECK_EQ(d[1].kind, TD_RDF_NAME_COMPRESSED);
    CHECK_EQ(d[2].kind, TD_RDF_END);
    d = td_rdata_descriptor(6);
    CHECK_EQ(d[0].kind, TD_RDF_NAME_COMPRESSED);
    CHECK_EQ(d[1].kind, TD_RDF_NAME_COMPRESSED);
    CHECK_EQ(d[2].kind, TD_RDF_FIXED);
    CHECK_EQ(d[2].len, 20);
    d = td_rdata_descriptor(46);
    CHECK_EQ(d[0].len, 18);
    CHECK_EQ(d[1].kind, TD_RDF_NAME);
    CHECK_EQ(d[2].kind, TD_RDF_REMAINDER);
    d = td_rdata_descriptor(33);
    CHECK_EQ(d[0].len, 6);
    CHECK_EQ(d[1].kind, TD_RDF_NAME);
    d = td_rdata_descriptor(65);
    CHECK_EQ(d[1].kind, TD_RDF_NAME);
    CHECK_EQ(d[2].kind, TD_RDF_REMAINDER);
    d = td_rdata_descriptor(35); /* NAPTR: 2+2 fixed, three strings, the replacement name */
    CHECK(d[0].kind == TD_RDF_FIXED && d[0].len == 4 && d[1].kind == TD_RDF_STRING &&
          d[2].kind == TD_RDF_STRING && d[3].kind == TD_RDF_STRING && d[4].kind == TD_RDF_NAME &&
          d[5].kind == TD_RDF_END);
    d = td_rdata_descriptor(65534);
    CHECK_EQ(d[0].kind, TD_RDF_REMAINDER);
    CHECK_EQ(d[1].kind, TD_RDF_END);
    d = td_rdata_descriptor(28);
    CHECK_EQ(d[0].len, 16);
    static const uint16_t one_cname[] = {2, 3, 4, 5, 7, 8, 9, 12};
    for (size_t i = 0; i < sizeof one_cname / sizeof one_cname[0]; i++) {
        d = td_rdata_descriptor(one_cname[i]);
        CHECK_EQ(d[0].kind, TD_RDF_NAME_COMPRESSED);
        CHECK_EQ(d[1].kind, TD_RDF_END);
    }
    for (int r = 0; r < TD_DNS__COUNT; r++)
        CHECK(strcmp(td_dns_res_str((enum td_dns_res)r), "unknown") != 0);
    CHECK_STR(td_dns_res_str(TD_DNS_FORWARD_POINTER), "forward_pointer");
    CHECK_STR(td_dns_res_str(TD_DNS__COUNT), "unknown");
}

/* td_dns_name_lower(_copy) against the plain byte rule, for every octet value at every
 * position of buffers of 0..40 octets (the 8-at-a-time path, its tail, and short names). */
static void test_lower_every_octet(void)
{
    uint8_t src[40], dst[40], want[40];
    size_t bad = 0;
    for (size_t len = 0; len <= sizeof src; len++)
        for (size_t pos = 0; pos < (len ? len : 1); pos++)
            for (int v = 0; v < 256; v++) {
                for (size_t i = 0; i < len; i++)
                    src[i] = (uint8_t)('A' + (i * 7) % 58); /* letters, [\]^_` and lowercase */
                if (len)
                    src[pos] = (uint8_t)v;
                for (size_t i = 0; i < len; i++)
                    want[i] = src[i] >= 'A' && src[i] <= 'Z' ? (uint8_t)(src[i] + 32) : src[i];
                memset(dst, 0xee, sizeof dst);
                td_dns_name_lower_copy(dst, src, len);
                bad += memcmp(dst, want, len) != 0 || (len < sizeof dst && dst[len] != 0xee);
                td_dns_name_lower(src, len);
                bad += memcmp(src, want, len) != 0;
            }
    CHECK_EQ(bad, 0);
}

/* td_dns_name_reverse: exact reversed names, the root, and refused names. */
static void test_name_reverse(void)
{
    uint8_t out[300];
    const uint8_t www[] = "\x03www\x07" "example\x03" "com";   /* + the terminating NUL = root */
    CHECK_EQ(td_dns_name_reverse(www, sizeof www, out, sizeof out), sizeof www);
    CHECK(memcmp(out, "\x03" "com\x07" "example\x03www\x00", sizeof www) == 0);
    const uint8_t root[] = { 0 };
    CHECK_EQ(td_dns_name_reverse(root, 1, out, sizeof out), 1);
    CHECK_EQ(out[0], 0);
    CHECK_EQ(td_dns_name_reverse(www, sizeof www, out, sizeof www - 1), 0); /* no room */
    CHECK_EQ(td_dns_name_reverse(www, sizeof www - 1, out, sizeof out), 0); /* root octet missing */
    const uint8_t longlabel[] = { 64, 'a' };
    CHECK_EQ(td_dns_name_reverse(longlabel, sizeof longlabel, out, sizeof out), 0);
    const uint8_t early[] = { 1, 'a', 0, 1, 'b', 0 };                       /* root before the end */
    CHECK_EQ(td_dns_name_reverse(early, sizeof early, out, sizeof out), 0);
    CHECK_EQ(td_dns_name_reverse(www, 0, out, sizeof out), 0);
}

int main(void)
{
    TT_RUN(test_valid_messages);
    TT_RUN(test_txt_big);
    TT_RUN(test_malformed);
    TT_RUN(test_iter_sticky);
    TT_RUN(test_name_lengths);
    TT_RUN(test_unpack_name);
    TT_RUN(test_uncompress_lower);
    TT_RUN(test_name_helpers);
    TT_RUN(test_lower_every_octet);
    TT_RUN(test_name_reverse);
    TT_RUN(test_descriptors);
    return tt_finish();
}
