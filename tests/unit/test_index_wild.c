/* test_index_wild: the wildcard, raw and gravel lookups of the reading library
 * (indexer/index.h) over generations built with the generation builder: rrset X.* and X.+
 * (RRSET_NAME_FWD), rrset +.X, rdata name *.X / +.X (RDATA_NAME_REV) and X.* / X.+, rdata raw,
 * gravel (no merge across generations). Each case has its exact expected result list and runs
 * over one generation and over the same data split into 3 (read-time merge): a wildcard
 * never matches a longer label (`example` vs `examples`, both sides), `+` keeps only one more
 * label, a raw prefix never matches a longer rdata, time fences apply to merged values. */
#include "dns_wire.h"
#include "fileset.h"
#include "generation.h"
#include "index.h"
#include "keys.h"
#include "tt.h"
#include "varint.h"
#include <arpa/inet.h>
#include <stdlib.h>
#include <unistd.h>

#include "index_fixture.h"


static struct td_index_query qraw(const char *hex, int type)
{
    uint8_t *buf = slot();
    struct td_index_query q;
    memset(&q, 0, sizeof q);
    q.kind = TD_IQ_RDATA_RAW;
    int n = tt_unhex(hex, buf, 256);
    q.raw = buf;
    q.raw_len = n < 0 ? 0 : (size_t)n;
    q.rrtype = type;
    return q;
}

static struct td_index_query plus(struct td_index_query q)
{
    q.one_label = 1;
    return q;
}

static struct td_index_query fence(struct td_index_query q, uint32_t fb, uint32_t fa, uint32_t lb, uint32_t la)
{
    q.time_first_before = fb;
    q.time_first_after = fa;
    q.time_last_before = lb;
    q.time_last_after = la;
    return q;
}

/* ---------- the fixed data set ---------- */

static const struct tobs fixed[] = {
    { "www.example.com", 1, "example.com", { "1.2.3.4" }, 2, 100, 200 },
    { "www.example.com", 28, "example.com", { "2001:db8::1" }, 1, 100, 300 },
    { "www.example.com.au", 1, "com.au", { "1.2.3.5" }, 1, 150, 150 },
    { "www.example.net", 1, "net", { "1.2.3.6" }, 3, 50, 500 },
    { "www.example", 1, "example", { "1.2.3.7" }, 1, 100, 100 },      /* X itself of www.example.* */
    { "www.examples.com", 1, "com", { "1.2.3.8" }, 1, 100, 100 },     /* a longer label */
    { "www.example.net", 43, "net", { "#0001 08 02 00" }, 1, 100, 100 },
    { "example.com", 2, "com", { "ns1.example.com", "a.example.com" }, 4, 10, 20 },
    { "c.org", 5, "org", { "b.a.example.com" }, 2, 300, 400 },
    { "d.org", 5, "org", { "example.com" }, 1, 100, 100 },
    { "e.org", 5, "org", { "x.examples.com" }, 1, 100, 100 },
    { "example.com", 15, "example.com", { "10 mail.example.com" }, 1, 100, 100 },
    { "f.org", 15, "org", { "20 mail.example.net" }, 1, 200, 200 },
    { "g.org", 15, "org", { "30 mail.example.co.uk" }, 1, 200, 200 },
    { "h.org", 5, "org", { "mail.examples.com" }, 1, 200, 200 },
    /* TXT with the octets of wire(mail.example.com): never an rdata name (ANY) */
    { "txt.org", 16, "org", { "#04 6d61696c 07 6578616d706c65 03 636f6d 00" }, 1, 100, 100 },
    { "t1.org", 16, "org", { "#026162" }, 1, 100, 100 },              /* "ab" */
    { "t2.org", 16, "org", { "#0261620163" }, 1, 100, 100 },          /* "ab" "c": longer */
    { "i.org", 5, "org", { "mail.example" }, 1, 100, 100 },           /* X itself of mail.example.* */
    { "examples.net", 1, "net", { "1.2.3.9" }, 1, 100, 100 },
    { "deep.www.example.com", 1, "example.com", { "1.2.3.10" }, 1, 100, 100 },
    { "j.org", 5, "org", { "examples.org" }, 1, 100, 100 },
};
#define NFIXED (sizeof fixed / sizeof fixed[0])

static char root1[256], root3[256];

/* One generation of everything, and the same data in 3 generations (index_fixture.h). */
static void build_fixed(void)
{
    build_one_and_three(fixed, NFIXED, root1, root3, sizeof root1);
}

static void run_cases(const struct qcase *c, size_t n)
{
    run_cases_on(c, n, root1, root3);
}

#define WWW_COM_A "www.example.com. 1 example.com. 1.2.3.4 c2 100-200\n"
#define WWW_COM_AAAA "www.example.com. 28 example.com. 2001:db8::1 c1 100-300\n"
#define WWW_COM_AU "www.example.com.au. 1 com.au. 1.2.3.5 c1 150-150\n"
#define WWW_NET_A "www.example.net. 1 net. 1.2.3.6 c3 50-500\n"
#define WWW_NET_DS "www.example.net. 43 net. 1 8 2 00 c1 100-100\n"
#define DEEP_A "deep.www.example.com. 1 example.com. 1.2.3.10 c1 100-100\n"
#define EX_NS "example.com. 2 com. ns1.example.com.|a.example.com. c4 10-20\n"
#define EX_MX "example.com. 15 example.com. 10 mail.example.com. c1 100-100\n"

static void test_rrset_above(void)
{
    struct qcase c[] = {
        { "www.example.* ANY", qn(TD_IQ_RRSET_ABOVE, "www.example", TD_INDEX_ANY, NULL),
          WWW_COM_A WWW_COM_AAAA WWW_COM_AU WWW_NET_A },
        { "www.example.+ ANY", plus(qn(TD_IQ_RRSET_ABOVE, "www.example", TD_INDEX_ANY, NULL)),
          WWW_COM_A WWW_COM_AAAA WWW_NET_A },
        { "www.example.* A", qn(TD_IQ_RRSET_ABOVE, "www.example", 1, NULL), WWW_COM_A WWW_COM_AU WWW_NET_A },
        { "www.example.* AAAA", qn(TD_IQ_RRSET_ABOVE, "WWW.Example", 28, NULL), WWW_COM_AAAA },
        { "www.example.* A/net", qn(TD_IQ_RRSET_ABOVE, "www.example", 1, "net"), WWW_NET_A },
        { "www.example.* ANY/com.au", qn(TD_IQ_RRSET_ABOVE, "www.example", TD_INDEX_ANY, "com.au"), WWW_COM_AU },
        { "www.example.* ANY-DNSSEC", qn(TD_IQ_RRSET_ABOVE, "www.example", TD_INDEX_ANY_DNSSEC, NULL), WWW_NET_DS },
        { "www.example.* DS", qn(TD_IQ_RRSET_ABOVE, "www.example", 43, NULL), WWW_NET_DS },
        { "www.example.* MX", qn(TD_IQ_RRSET_ABOVE, "www.example", 15, NULL), "" },
        { "www.examples.*", qn(TD_IQ_RRSET_ABOVE, "www.examples", TD_INDEX_ANY, NULL),
          "www.examples.com. 1 com. 1.2.3.8 c1 100-100\n" },
        { "example.* (not examples)", qn(TD_IQ_RRSET_ABOVE, "example", TD_INDEX_ANY, NULL), EX_NS EX_MX },
        { "examples.*", qn(TD_IQ_RRSET_ABOVE, "examples", TD_INDEX_ANY, NULL),
          "examples.net. 1 net. 1.2.3.9 c1 100-100\n" },
        { "www.example.com.* (X itself out)", qn(TD_IQ_RRSET_ABOVE, "www.example.com", TD_INDEX_ANY, NULL),
          WWW_COM_AU },
        { "www.example.com.au.* (nothing longer)", qn(TD_IQ_RRSET_ABOVE, "www.example.com.au", TD_INDEX_ANY, NULL),
          "" },
        { "www.+", plus(qn(TD_IQ_RRSET_ABOVE, "www", TD_INDEX_ANY, NULL)),
          "www.example. 1 example. 1.2.3.7 c1 100-100\n" },
        { "www.*", qn(TD_IQ_RRSET_ABOVE, "www", TD_INDEX_ANY, NULL),
          "www.example. 1 example. 1.2.3.7 c1 100-100\n" WWW_COM_A WWW_COM_AAAA WWW_COM_AU WWW_NET_A
          "www.examples.com. 1 com. 1.2.3.8 c1 100-100\n" },
        { "www.* A/com", qn(TD_IQ_RRSET_ABOVE, "www", 1, "com"), "www.examples.com. 1 com. 1.2.3.8 c1 100-100\n" },
        { "www.example.* offset 1 limit 2",
          ({ struct td_index_query q = qn(TD_IQ_RRSET_ABOVE, "www.example", TD_INDEX_ANY, NULL);
             q.offset = 1; q.limit = 2; q; }),
          WWW_COM_AAAA WWW_COM_AU },
        /* merged values decide: www.example.net (50-500) is (1, 50-50) + (2, 500-500) in 3 gens */
        { "www.example.* tf>=100", fence(qn(TD_IQ_RRSET_ABOVE, "www.example", TD_INDEX_ANY, NULL), 0, 100, 0, 0),
          WWW_COM_A WWW_COM_AAAA WWW_COM_AU },
        { "www.example.* tf>=150", fence(qn(TD_IQ_RRSET_ABOVE, "www.example", TD_INDEX_ANY, NULL), 0, 150, 0, 0),
          WWW_COM_AU },
        { "www.example.* tl<=200", fence(qn(TD_IQ_RRSET_ABOVE, "www.example", TD_INDEX_ANY, NULL), 0, 0, 200, 0),
          WWW_COM_A WWW_COM_AU },
        { "www.example.* tl>=500", fence(qn(TD_IQ_RRSET_ABOVE, "www.example", TD_INDEX_ANY, NULL), 0, 0, 0, 500),
          WWW_NET_A },
        { "www.example.* tf<=50", fence(qn(TD_IQ_RRSET_ABOVE, "www.example", TD_INDEX_ANY, NULL), 50, 0, 0, 0),
          WWW_NET_A },
        { "www.example.* tl>=501", fence(qn(TD_IQ_RRSET_ABOVE, "www.example", TD_INDEX_ANY, NULL), 0, 0, 0, 501),
          "" },
    };
    run_cases(c, sizeof c / sizeof c[0]);
}

static void test_rrset_plus_below(void)
{
    struct qcase c[] = {
        { "*.example.com", qn(TD_IQ_RRSET_BELOW, "example.com", TD_INDEX_ANY, NULL),
          EX_NS EX_MX WWW_COM_A WWW_COM_AAAA DEEP_A },
        { "+.example.com", plus(qn(TD_IQ_RRSET_BELOW, "example.com", TD_INDEX_ANY, NULL)), WWW_COM_A WWW_COM_AAAA },
        { "+.example.com A", plus(qn(TD_IQ_RRSET_BELOW, "example.com", 1, NULL)), WWW_COM_A },
        { "+.example.com ANY/example.com", plus(qn(TD_IQ_RRSET_BELOW, "example.com", TD_INDEX_ANY, "example.com")),
          WWW_COM_A WWW_COM_AAAA },
        { "+.www.example.com", plus(qn(TD_IQ_RRSET_BELOW, "www.example.com", TD_INDEX_ANY, NULL)), DEEP_A },
        { "+.com", plus(qn(TD_IQ_RRSET_BELOW, "com", TD_INDEX_ANY, NULL)), EX_NS EX_MX },
        { "+.net", plus(qn(TD_IQ_RRSET_BELOW, "net", TD_INDEX_ANY, NULL)),
          "examples.net. 1 net. 1.2.3.9 c1 100-100\n" },
        { "+.examples.com", plus(qn(TD_IQ_RRSET_BELOW, "examples.com", TD_INDEX_ANY, NULL)),
          "www.examples.com. 1 com. 1.2.3.8 c1 100-100\n" },
        { "+.example", plus(qn(TD_IQ_RRSET_BELOW, "example", TD_INDEX_ANY, NULL)),
          "www.example. 1 example. 1.2.3.7 c1 100-100\n" },
    };
    run_cases(c, sizeof c / sizeof c[0]);
}

#define R_EXCOM "d.org. 5 - example.com. c1 100-100\n"
#define R_A "example.com. 2 - a.example.com. c4 10-20\n"
#define R_BA "c.org. 5 - b.a.example.com. c2 300-400\n"
#define R_NS1 "example.com. 2 - ns1.example.com. c4 10-20\n"
#define R_MAIL "example.com. 15 - 10 mail.example.com. c1 100-100\n"
#define R_COUK "g.org. 15 - 30 mail.example.co.uk. c1 200-200\n"
#define R_MNET "f.org. 15 - 20 mail.example.net. c1 200-200\n"
#define R_TXT "txt.org. 16 - \"mail\" \"example\" \"com\" \"\" c1 100-100\n"

static void test_rdata_wild(void)
{
    struct qcase c[] = {
        { "rdata *.example.com", qn(TD_IQ_RDATA_NAME_BELOW, "example.com", TD_INDEX_ANY, NULL),
          R_EXCOM R_A R_BA R_NS1 R_MAIL },
        { "rdata +.example.com", plus(qn(TD_IQ_RDATA_NAME_BELOW, "example.com", TD_INDEX_ANY, NULL)),
          R_A R_NS1 R_MAIL },
        { "rdata *.example.com MX", qn(TD_IQ_RDATA_NAME_BELOW, "example.com", 15, NULL), R_MAIL },
        { "rdata *.example.com NS", qn(TD_IQ_RDATA_NAME_BELOW, "example.com", 2, NULL), R_A R_NS1 },
        { "rdata *.example.com CNAME", qn(TD_IQ_RDATA_NAME_BELOW, "Example.COM", 5, NULL), R_EXCOM R_BA },
        { "rdata *.example.com TXT (no NAME_REV)", qn(TD_IQ_RDATA_NAME_BELOW, "example.com", 16, NULL), "" },
        { "rdata *.a.example.com", qn(TD_IQ_RDATA_NAME_BELOW, "a.example.com", TD_INDEX_ANY, NULL), R_A R_BA },
        { "rdata +.a.example.com", plus(qn(TD_IQ_RDATA_NAME_BELOW, "a.example.com", TD_INDEX_ANY, NULL)), R_BA },
        { "rdata *.examples.com", qn(TD_IQ_RDATA_NAME_BELOW, "examples.com", TD_INDEX_ANY, NULL),
          "e.org. 5 - x.examples.com. c1 100-100\n" "h.org. 5 - mail.examples.com. c1 200-200\n" },
        { "rdata *.example.com ANY-DNSSEC", qn(TD_IQ_RDATA_NAME_BELOW, "example.com", TD_INDEX_ANY_DNSSEC, NULL),
          "" },
        { "rdata *.example.com limit 2 offset 2",
          ({ struct td_index_query q = qn(TD_IQ_RDATA_NAME_BELOW, "example.com", TD_INDEX_ANY, NULL);
             q.offset = 2; q.limit = 2; q; }),
          R_BA R_NS1 },
        /* the NS set (10-20) is (1, 10-10) + (3, 20-20) in 3 gens */
        { "rdata *.example.com tl<=20", fence(qn(TD_IQ_RDATA_NAME_BELOW, "example.com", TD_INDEX_ANY, NULL), 0, 0, 20, 0),
          R_A R_NS1 },
        { "rdata *.example.com tl<=19", fence(qn(TD_IQ_RDATA_NAME_BELOW, "example.com", TD_INDEX_ANY, NULL), 0, 0, 19, 0),
          "" },
        { "rdata *.example.com tf>=20", fence(qn(TD_IQ_RDATA_NAME_BELOW, "example.com", TD_INDEX_ANY, NULL), 0, 20, 0, 0),
          R_EXCOM R_BA R_MAIL },
        { "rdata *.example.com tl>=400", fence(qn(TD_IQ_RDATA_NAME_BELOW, "example.com", TD_INDEX_ANY, NULL), 0, 0, 0, 400),
          R_BA },
        { "rdata mail.example.*", qn(TD_IQ_RDATA_NAME_ABOVE, "mail.example", TD_INDEX_ANY, NULL),
          R_COUK R_MAIL R_MNET },
        { "rdata mail.example.+", plus(qn(TD_IQ_RDATA_NAME_ABOVE, "mail.example", TD_INDEX_ANY, NULL)),
          R_MAIL R_MNET },
        { "rdata mail.example.* MX", qn(TD_IQ_RDATA_NAME_ABOVE, "mail.example", 15, NULL), R_COUK R_MAIL R_MNET },
        { "rdata mail.example.* TXT", qn(TD_IQ_RDATA_NAME_ABOVE, "mail.example", 16, NULL), R_TXT },
        { "rdata mail.example.* CNAME (X itself out)", qn(TD_IQ_RDATA_NAME_ABOVE, "mail.example", 5, NULL), "" },
        { "rdata mail.* ", qn(TD_IQ_RDATA_NAME_ABOVE, "mail", TD_INDEX_ANY, NULL),
          "i.org. 5 - mail.example. c1 100-100\n" R_COUK R_MAIL R_MNET
          "h.org. 5 - mail.examples.com. c1 200-200\n" },
        { "rdata mail.+", plus(qn(TD_IQ_RDATA_NAME_ABOVE, "mail", TD_INDEX_ANY, NULL)),
          "i.org. 5 - mail.example. c1 100-100\n" },
        { "rdata example.* (not examples)", qn(TD_IQ_RDATA_NAME_ABOVE, "example", TD_INDEX_ANY, NULL), R_EXCOM },
        { "rdata examples.*", qn(TD_IQ_RDATA_NAME_ABOVE, "examples", TD_INDEX_ANY, NULL),
          "j.org. 5 - examples.org. c1 100-100\n" },
        { "rdata mail.example.* tf>=200", fence(qn(TD_IQ_RDATA_NAME_ABOVE, "mail.example", TD_INDEX_ANY, NULL), 0, 200, 0, 0),
          R_COUK R_MNET },
        { "rdata mail.example.* tl<=100", fence(qn(TD_IQ_RDATA_NAME_ABOVE, "mail.example", TD_INDEX_ANY, NULL), 0, 0, 100, 0),
          R_MAIL },
    };
    run_cases(c, sizeof c / sizeof c[0]);
}

#define MX_HEX "000a 046d61696c 076578616d706c65 03636f6d 00"
#define MAIL_HEX "046d61696c 076578616d706c65 03636f6d 00"

static void test_raw(void)
{
    struct qcase c[] = {
        { "raw A", qraw("01020304", TD_INDEX_ANY), "www.example.com. 1 - 1.2.3.4 c2 100-200\n" },
        { "raw A typed", qraw("01020304", 1), "www.example.com. 1 - 1.2.3.4 c2 100-200\n" },
        { "raw A as AAAA", qraw("01020304", 28), "" },
        { "raw prefix of 1.2.3.x", qraw("010203", TD_INDEX_ANY), "" },
        { "raw 1.2.3.1 (prefix of 1.2.3.10)", qraw("01020301", TD_INDEX_ANY), "" },
        { "raw 1.2.3.10", qraw("0102030a", TD_INDEX_ANY), "deep.www.example.com. 1 - 1.2.3.10 c1 100-100\n" },
        { "raw \"ab\" (not \"ab\" \"c\")", qraw("026162", TD_INDEX_ANY), "t1.org. 16 - \"ab\" c1 100-100\n" },
        { "raw \"ab\" \"c\"", qraw("0261620163", 16), "t2.org. 16 - \"ab\" \"c\" c1 100-100\n" },
        { "raw 02 (prefix of both)", qraw("02", TD_INDEX_ANY), "" },
        { "raw MX", qraw(MX_HEX, TD_INDEX_ANY), R_MAIL },
        { "raw MX typed", qraw(MX_HEX, 15), R_MAIL },
        { "raw name (TXT; never the MX's sliced key)", qraw(MAIL_HEX, TD_INDEX_ANY), R_TXT },
        { "raw name as MX", qraw(MAIL_HEX, 15), "" },
        { "raw DS ANY", qraw("0001080200", TD_INDEX_ANY), "" },
        { "raw DS ANY-DNSSEC", qraw("0001080200", TD_INDEX_ANY_DNSSEC), "www.example.net. 43 - 1 8 2 00 c1 100-100\n" },
        { "raw DS typed", qraw("0001080200", 43), "www.example.net. 43 - 1 8 2 00 c1 100-100\n" },
        { "raw NS name (merged)", qraw("036e7331 076578616d706c65 03636f6d 00", 2), R_NS1 },
        { "raw NS tl<=19", fence(qraw("036e7331 076578616d706c65 03636f6d 00", 2), 0, 0, 19, 0), "" },
    };
    run_cases(c, sizeof c / sizeof c[0]);
}

/* The same RRset in 3 generations: gen 0 (1, 300-400), gen 1 (2, 100-500), gen 2 (3, 100-200,
 * and www.example.net (1, 600-700)). Gravel gives one result per generation, in key order then
 * by time_first, then time_last; the fences then apply to each. */
static void test_gravel(void)
{
    char r[256];
    mkroot(r, sizeof r, "gravel");
    struct tobs g0[] = { { "www.example.com", 1, "example.com", { "1.2.3.4" }, 1, 300, 400 } };
    struct tobs g1[] = { { "www.example.com", 1, "example.com", { "1.2.3.4" }, 2, 100, 500 } };
    struct tobs g2[] = { { "www.example.com", 1, "example.com", { "1.2.3.4" }, 3, 100, 200 },
                         { "www.example.net", 1, "net", { "1.2.3.4" }, 1, 600, 700 } };
    build_gen(r, "h.2026010100.0", g0, 1);
    build_gen(r, "h.2026010101.0", g1, 1);
    build_gen(r, "h.2026010102.0", g2, 2);
#define G3 "www.example.com. 1 example.com. 1.2.3.4 c3 100-200\n"
#define G2 "www.example.com. 1 example.com. 1.2.3.4 c2 100-500\n"
#define G1 "www.example.com. 1 example.com. 1.2.3.4 c1 300-400\n"
#define GN "www.example.net. 1 net. 1.2.3.4 c1 600-700\n"
    struct {
        const char *what;
        struct td_index_query q;
        size_t gens;
        const char *expect;
    } t[] = {
        { "aggregated", qn(TD_IQ_RRSET, "www.example.com", 1, NULL), 3,
          "www.example.com. 1 example.com. 1.2.3.4 c6 100-500\n" },
        { "gravel", qn(TD_IQ_RRSET, "www.example.com", 1, NULL), 3, G3 G2 G1 },
        { "gravel *.example.com", qn(TD_IQ_RRSET_BELOW, "example.com", TD_INDEX_ANY, NULL), 3, G3 G2 G1 },
        { "gravel www.example.*", qn(TD_IQ_RRSET_ABOVE, "www.example", TD_INDEX_ANY, NULL), 3, G3 G2 G1 GN },
        { "gravel www.example.+ tf>=300", fence(qn(TD_IQ_RRSET_ABOVE, "www.example", TD_INDEX_ANY, NULL), 0, 300, 0, 0),
          3, G1 GN },
        { "aggregated www.example.+ tf>=300",
          fence(qn(TD_IQ_RRSET_ABOVE, "www.example", TD_INDEX_ANY, NULL), 0, 300, 0, 0), 3, GN },
        { "gravel rdata ip", qip("1.2.3.4", "1.2.3.4", 0), 3,
          "www.example.com. 1 - 1.2.3.4 c3 100-200\n" "www.example.com. 1 - 1.2.3.4 c2 100-500\n"
          "www.example.com. 1 - 1.2.3.4 c1 300-400\n" "www.example.net. 1 - 1.2.3.4 c1 600-700\n" },
        { "gravel raw", qraw("01020304", 1), 3,
          "www.example.com. 1 - 1.2.3.4 c3 100-200\n" "www.example.com. 1 - 1.2.3.4 c2 100-500\n"
          "www.example.com. 1 - 1.2.3.4 c1 300-400\n" "www.example.net. 1 - 1.2.3.4 c1 600-700\n" },
        /* gen 0 (300-400) pruned by tl<=250: gravel does not probe it; gen 2's entry passes alone */
        { "gravel tl<=250", fence(qn(TD_IQ_RRSET, "www.example.com", 1, NULL), 0, 0, 250, 0), 2, G3 },
        { "aggregated tl<=250", fence(qn(TD_IQ_RRSET, "www.example.com", 1, NULL), 0, 0, 250, 0), 2, "" },
        { "gravel tl<=500", fence(qn(TD_IQ_RRSET, "www.example.com", 1, NULL), 0, 0, 500, 0), 3, G3 G2 G1 },
        { "gravel tf>=101", fence(qn(TD_IQ_RRSET, "www.example.com", 1, NULL), 0, 101, 0, 0), 3, G1 },
        { "gravel tl>=450 tf<=100", fence(qn(TD_IQ_RRSET, "www.example.com", 1, NULL), 100, 0, 0, 450), 3, G2 },
        { "gravel offset 1 limit 1", ({ struct td_index_query q = qn(TD_IQ_RRSET, "www.example.com", 1, NULL);
                                        q.offset = 1; q.limit = 1; q; }), 3, G2 },
        { "gravel offset 2", ({ struct td_index_query q = qn(TD_IQ_RRSET_BELOW, "com", TD_INDEX_ANY, NULL);
                                q.offset = 2; q; }), 3, G1 },
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        t[i].q.gravel = strncmp(t[i].what, "gravel", 6) == 0;
        size_t g = 99;
        char *got = run_q(r, &t[i].q, &g);
        if (strcmp(got, t[i].expect) != 0)
            TT_FAIL("%s: got\n%sexpected\n%s", t[i].what, got, t[i].expect);
        if (g != t[i].gens)
            TT_FAIL("%s: %zu generations read, expected %zu", t[i].what, g, t[i].gens);
        free(got);
    }
    /* over one generation, gravel is the aggregated answer */
    struct td_index_query q = qn(TD_IQ_RRSET_BELOW, "example.com", TD_INDEX_ANY, NULL);
    char *a = run_q(root1, &q, NULL);
    q.gravel = 1;
    char *b = run_q(root1, &q, NULL);
    CHECK_STR(b, a);
    CHECK(strlen(a) > 100);
    free(a);
    free(b);
}

/* Many names deeper than one more label between the ones `+` keeps: the result skips them
 * all (a seek past each subtree; the answer is what matters here). */
static void test_plus_deep(void)
{
    char r[256];
    mkroot(r, sizeof r, "deep");
    enum { DEEP = 3000 };
    static struct tobs o[DEEP + 3];
    static char names[DEEP][64];
    size_t n = 0;
    o[n++] = (struct tobs){ "a.example.com", 1, "example.com", { "10.0.0.1" }, 1, 100, 100 };
    for (int i = 0; i < DEEP; i++) {
        snprintf(names[i], sizeof names[i], "h%d.s%d.a.example.com", i, i % 7);
        o[n++] = (struct tobs){ names[i], 1, "example.com", { "10.0.0.2" }, 1, 100, 100 };
    }
    o[n++] = (struct tobs){ "b.example.com", 5, "example.com", { "h1.s1.a.example.com" }, 1, 100, 100 };
    o[n++] = (struct tobs){ "z.example.com", 5, "example.com", { "a.example.com" }, 1, 100, 100 };
    build_gen(r, "h.2026010100.0", o, n);
    struct td_index_query q = plus(qn(TD_IQ_RRSET_BELOW, "example.com", TD_INDEX_ANY, NULL));
    CHECK_Q(r, q,
            "a.example.com. 1 example.com. 10.0.0.1 c1 100-100\n"
            "b.example.com. 5 example.com. h1.s1.a.example.com. c1 100-100\n"
            "z.example.com. 5 example.com. a.example.com. c1 100-100\n");
    q = plus(qn(TD_IQ_RRSET_BELOW, "a.example.com", TD_INDEX_ANY, NULL));
    CHECK_Q(r, q, "");
    q = plus(qn(TD_IQ_RRSET_ABOVE, "h5", TD_INDEX_ANY, NULL));
    CHECK_Q(r, q, "");
    q = qn(TD_IQ_RRSET_ABOVE, "h5", TD_INDEX_ANY, NULL);
    CHECK_Q(r, q, "h5.s5.a.example.com. 1 example.com. 10.0.0.2 c1 100-100\n");
    q = plus(qn(TD_IQ_RDATA_NAME_BELOW, "example.com", TD_INDEX_ANY, NULL));
    CHECK_Q(r, q, "z.example.com. 5 - a.example.com. c1 100-100\n");
    q = qn(TD_IQ_RDATA_NAME_BELOW, "example.com", TD_INDEX_ANY, NULL);
    CHECK_Q(r, q, "z.example.com. 5 - a.example.com. c1 100-100\n"
                  "b.example.com. 5 - h1.s1.a.example.com. c1 100-100\n");
    q = plus(qn(TD_IQ_RDATA_NAME_ABOVE, "h1.s1.a", TD_INDEX_ANY, NULL));
    CHECK_Q(r, q, "");
    q = qn(TD_IQ_RDATA_NAME_ABOVE, "h1.s1.a", TD_INDEX_ANY, NULL);
    CHECK_Q(r, q, "b.example.com. 5 - h1.s1.a.example.com. c1 100-100\n");
    q = plus(qn(TD_IQ_RDATA_NAME_ABOVE, "a.example", TD_INDEX_ANY, NULL));
    CHECK_Q(r, q, "z.example.com. 5 - a.example.com. c1 100-100\n");
}

static void test_errors(void)
{
    char err[256] = "";
    struct td_index *idx = td_index_open(root1, NULL, err, sizeof err);
    CHECK(idx != NULL);
    struct td_index_query bad[] = {
        plus(qn(TD_IQ_RRSET, "example.com", TD_INDEX_ANY, NULL)),
        plus(qn(TD_IQ_RDATA_NAME, "example.com", TD_INDEX_ANY, NULL)),
        qraw("", TD_INDEX_ANY),
        qraw("0102", 70000),
        qn(TD_IQ_RDATA_NAME_BELOW, "example.com", TD_INDEX_ANY, "com"),
        qn(TD_IQ_RDATA_NAME_ABOVE, "example", TD_INDEX_ANY, "com"),
        qn(TD_IQ_RRSET_ABOVE, "example", -3, NULL),
        qn(TD_IQ_RDATA_NAME_ABOVE, "example", 70000, NULL),
        ({ struct td_index_query q = qraw("0102", 1); q.bailiwick = q.raw; q.bailiwick_len = 2; q; }),
        ({ struct td_index_query q = qn(TD_IQ_RRSET_ABOVE, "example", 1, "com"); q.bailiwick_len = 3; q; }),
        ({ struct td_index_query q = qn(TD_IQ_RDATA_NAME_BELOW, "example", 1, NULL); q.name_len = 3; q; }),
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err[0] = 0;
        struct td_index_iter *it = td_index_query_start(idx, &bad[i], err, sizeof err);
        if (it || !err[0])
            TT_FAIL("bad query %zu accepted", i);
        td_index_query_end(&it);
    }
    td_index_close(&idx);
}

int main(void)
{
    snprintf(ix_base, sizeof ix_base, "/tmp/test_index_wild.%d", (int)getpid());
    build_fixed();
    TT_RUN(test_rrset_above);
    TT_RUN(test_rrset_plus_below);
    TT_RUN(test_rdata_wild);
    TT_RUN(test_raw);
    TT_RUN(test_gravel);
    TT_RUN(test_plus_deep);
    TT_RUN(test_errors);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", ix_base);
    if (system(cmd) != 0)
        return 1;
    return tt_finish();
}
