/* test_index_keys: the index key schema (indexer/KEYS.md): exact entries of observations,
 * counts per type, decoders (round trips and refusals), ordering of names, IP range coverage
 * (random CIDRs and a-b ranges, v4 and v6), values and metadata. */
#include <stdlib.h>
#include <string.h>

#include "byteorder.h"
#include "dns_wire.h"
#include "keys.h"
#include "tt.h"

/* ---------- helpers ---------- */

static size_t wire(const char *text, uint8_t *out)
{
    int n = td_dns_name_from_text(text, out, 255);
    if (n <= 0) {
        TT_FAIL("bad name %s", text);
        return 0;
    }
    return (size_t)n;
}

static size_t rev_wire(const char *text, uint8_t *out)
{
    uint8_t w[255];
    size_t n = wire(text, w), starts[128], nl = 0, o = 0, p = 0;
    while (w[o]) {
        starts[nl++] = o;
        o += 1u + w[o];
    }
    while (nl) {
        size_t s = starts[--nl];
        memcpy(out + p, w + s, 1u + w[s]);
        p += 1u + w[s];
    }
    out[p++] = 0;
    (void)n;
    return p;
}

static size_t put_var(uint8_t *p, uint64_t v)
{
    size_t n = 0;
    while (v >= 0x80) {
        p[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    p[n++] = (uint8_t)v;
    return n;
}

struct rd {
    const uint8_t *p;
    size_t len;
};

/* Observation key: rev(owner) varint type rev(bw) (varint len, rdata)*. */
static size_t obs_key(uint8_t *out, const char *owner, uint16_t type, const char *bw, const struct rd *rds, size_t n)
{
    size_t o = rev_wire(owner, out);
    o += put_var(out + o, type);
    o += rev_wire(bw, out + o);
    for (size_t i = 0; i < n; i++) {
        o += put_var(out + o, rds[i].len);
        memcpy(out + o, rds[i].p, rds[i].len);
        o += rds[i].len;
    }
    return o;
}

#define MAXE 64
struct coll {
    size_t n;
    uint8_t key[MAXE][1200];
    size_t klen[MAXE];
    struct td_obs_value v[MAXE];
};

static int collect(void *ctx, const uint8_t *key, size_t klen, const struct td_obs_value *v)
{
    struct coll *c = ctx;
    if (c->n >= MAXE || klen > sizeof c->key[0])
        return 99;
    memcpy(c->key[c->n], key, klen);
    c->klen[c->n] = klen;
    c->v[c->n] = *v;
    c->n++;
    return 0;
}

static struct coll C;
static uint8_t K[4096];
static const struct td_obs_value V = {.count = 3, .time_first = 100, .time_last = 200};

static size_t run(size_t klen)
{
    char err[128];
    memset(&C, 0, sizeof C);
    CHECK_EQ(td_index_entries(K, klen, &V, collect, &C, err, sizeof err), 0);
    for (size_t i = 0; i < C.n; i++)
        CHECK(C.v[i].count == 3 && C.v[i].time_first == 100 && C.v[i].time_last == 200);
    return C.n;
}

static int has_key(const char *hex)
{
    uint8_t b[1200];
    int n = tt_unhex(hex, b, sizeof b);
    if (n < 0) {
        TT_FAIL("bad hex");
        return 0;
    }
    for (size_t i = 0; i < C.n; i++)
        if (C.klen[i] == (size_t)n && memcmp(C.key[i], b, (size_t)n) == 0)
            return 1;
    return 0;
}

#define EXAMPLE_COM "07 6578616d706c65 03 636f6d 00"
#define REV_EXAMPLE_COM "03 636f6d 07 6578616d706c65 00"

/* ---------- exact entries ---------- */

static void test_a_entries(void)
{
    static const uint8_t a[] = {192, 0, 2, 1};
    struct rd rds[] = {{a, 4}};
    size_t kl = obs_key(K, "www.example.com", 1, "example.com", rds, 1);
    CHECK_EQ(run(kl), 3);
    CHECK(has_key("00 03636f6d 076578616d706c65 03777777 00  01  03636f6d 076578616d706c65 00  04 c0000201"));
    CHECK(has_key("01 03777777 " EXAMPLE_COM));
    CHECK(has_key("02 c0000201 01 03636f6d 076578616d706c65 03777777 00 0400"));
    /* the RRSET key is the type byte and the observation key */
    CHECK_EQ(C.key[0][0], 0x00);
    CHECK_EQ(C.klen[0], kl + 1);
    CHECK_MEM(C.key[0] + 1, K, kl);
}

static void test_mx_entries(void)
{
    uint8_t mx[64];
    mx[0] = 0;
    mx[1] = 10;
    size_t n = 2 + wire("mail.example.com", mx + 2);
    CHECK_EQ(n, 20);
    struct rd rds[] = {{mx, n}};
    size_t kl = obs_key(K, "example.com", 15, "com", rds, 1);
    CHECK_EQ(run(kl), 5);
    CHECK(has_key("00" REV_EXAMPLE_COM "0f 03636f6d 00 14 000a 046d61696c" EXAMPLE_COM));
    CHECK(has_key("01" EXAMPLE_COM));
    /* RDATA: rdata, 0f, rev(owner), le16 20 */
    CHECK(has_key("02 000a 046d61696c" EXAMPLE_COM "0f" REV_EXAMPLE_COM "1400"));
    /* sliced: rdata[2:], 0f, rev(owner), rdata[:2], le16 18 */
    CHECK(has_key("02 046d61696c" EXAMPLE_COM "0f" REV_EXAMPLE_COM "000a 1200"));
    CHECK(has_key("03 03636f6d 076578616d706c65 046d61696c 00"));
}

static void test_rrsig_entries(void)
{
    uint8_t sig[128];
    static const uint8_t fixed[18] = {0, 1, 8, 2, 0, 0, 0x0e, 0x10, 1, 2, 3, 4, 5, 6, 7, 8, 0x12, 0x34};
    memcpy(sig, fixed, 18);
    size_t n = 18 + wire("example.com", sig + 18);
    memcpy(sig + n, "\xde\xad\xbe\xef", 4);
    n += 4;
    struct rd rds[] = {{sig, n}};
    size_t kl = obs_key(K, "example.com", 46, "example.com", rds, 1);
    CHECK_EQ(run(kl), 3);
    CHECK_EQ(C.key[0][0], 0x10);
    CHECK_EQ(C.key[1][0], 0x11);
    CHECK_EQ(C.key[2][0], 0x12);
    CHECK(has_key("11" EXAMPLE_COM));
    CHECK_EQ(C.klen[2], 1 + n + 1 + 13 + 2);
    CHECK_MEM(C.key[2] + 1, sig, n);
    CHECK_EQ(C.key[2][1 + n], 46);
    CHECK_EQ(td_get_le16(C.key[2] + C.klen[2] - 2), n);
    /* DS, DNSKEY, NSEC3, TA, DLV too; A, CNAME, TXT not */
    static const uint16_t dnssec[] = {43, 46, 47, 48, 50, 51, 59, 60, 32768, 32769};
    static const uint16_t plain[] = {1, 5, 16, 28, 44, 45, 49, 52, 61, 32767, 32770, 65535};
    for (size_t i = 0; i < sizeof dnssec / sizeof dnssec[0]; i++)
        CHECK(td_index_rrtype_is_dnssec(dnssec[i]) && td_index_type_byte(TD_IK_RDATA, dnssec[i]) == 0x12);
    for (size_t i = 0; i < sizeof plain / sizeof plain[0]; i++)
        CHECK(!td_index_rrtype_is_dnssec(plain[i]) && td_index_type_byte(TD_IK_NAME_REV, plain[i]) == 0x03);
}

/* ---------- counts per type ---------- */

static void test_counts(void)
{
    uint8_t b[8][300];
    size_t l[8];
    struct rd rds[4];
    struct {
        uint16_t type;
        int nrd;
        size_t want;
        unsigned nrev; /* NAME_REV entries expected */
    } cases[] = {
        {1, 1, 3, 0},    /* A */
        {28, 1, 3, 0},   /* AAAA */
        {16, 2, 4, 0},   /* TXT, 2 rdata */
        {2, 2, 6, 2},    /* NS, 2 names */
        {5, 1, 4, 1},    /* CNAME */
        {12, 1, 4, 1},   /* PTR */
        {39, 1, 4, 1},   /* DNAME */
        {15, 2, 7, 1},   /* MX 10 mx, MX 20 mx: one NAME_REV for the shared name */
        {33, 1, 5, 1},   /* SRV */
        {64, 1, 5, 1},   /* SVCB */
        {65, 1, 5, 1},   /* HTTPS */
        {6, 1, 4, 1},    /* SOA: MNAME only */
        {43, 1, 3, 0},   /* DS */
        {1, 0, 2, 0},    /* zero rdata */
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        uint16_t t = cases[c].type;
        for (int i = 0; i < cases[c].nrd; i++) {
            size_t o = 0;
            switch (t) {
            case 15: case 64: case 65:
                b[i][0] = 0;
                b[i][1] = (uint8_t)(10 + i);
                o = 2 + wire("mx.example.net", b[i] + 2);
                if (t != 15) {
                    memcpy(b[i] + o, "\x00\x01\x00\x02h2", 6);
                    o += 6;
                }
                break;
            case 33:
                memcpy(b[i], "\x00\x01\x00\x02\x01\xbb", 6);
                o = 6 + wire("sip.example.net", b[i] + 6);
                break;
            case 6:
                o = wire("ns1.example.net", b[i]);
                o += wire("hostmaster.example.net", b[i] + o);
                memset(b[i] + o, 7, 20);
                o += 20;
                break;
            case 2: case 5: case 12: case 39:
                o = wire(i ? "ns2.example.net" : "ns1.example.net", b[i]);
                break;
            default:
                o = t == 28 ? 16 : 4 + (size_t)i;
                memset(b[i], 0x41 + i, o);
            }
            l[i] = o;
            rds[i].p = b[i];
            rds[i].len = l[i];
        }
        size_t kl = obs_key(K, "host.example.org", t, "example.org", rds, (size_t)cases[c].nrd);
        size_t got = run(kl);
        if (got != cases[c].want)
            TT_FAIL("type %u: %zu entries, expected %zu", t, got, cases[c].want);
        unsigned nrev = 0, per[4] = {0, 0, 0, 0};
        for (size_t i = 0; i < C.n; i++) {
            int lay = td_index_key_layout(C.key[i], C.klen[i]);
            CHECK(lay >= 0 && lay <= 3);
            if (lay >= 0 && lay <= 3)
                per[lay]++;
            nrev += lay == TD_IK_NAME_REV;
        }
        CHECK_EQ(per[0], 1);
        CHECK_EQ(per[1], 1);
        CHECK_EQ(nrev, cases[c].nrev);
    }
    /* MX with a one-octet (malformed) rdata: no sliced key and no name */
    struct rd bad[] = {{(const uint8_t *)"\x01", 1}};
    CHECK_EQ(run(obs_key(K, "example.com", 15, "com", bad, 1)), 3);
}

/* ---------- decoders ---------- */

/* Every entry decodes back to the observation's parts. */
static void check_round_trip(size_t kl)
{
    struct td_obs_key ok, dk;
    CHECK_EQ(td_obs_key_decode(K, kl, &ok), 0);
    for (size_t i = 0; i < C.n; i++) {
        const uint8_t *key = C.key[i];
        size_t len = C.klen[i];
        int dnssec = -1;
        int want_dnssec = td_index_rrtype_is_dnssec(ok.rrtype);
        uint8_t name[255], rdata[300];
        uint16_t nl;
        switch (td_index_key_layout(key, len)) {
        case TD_IK_RRSET:
            CHECK_EQ(td_index_rrset_decode(key, len, &dk, &dnssec), 0);
            CHECK_EQ(dnssec, want_dnssec);
            CHECK_EQ(dk.rrtype, ok.rrtype);
            CHECK_EQ(dk.nrdata, ok.nrdata);
            CHECK(dk.bailiwick_len == ok.bailiwick_len && memcmp(dk.bailiwick, ok.bailiwick, ok.bailiwick_len) == 0);
            break;
        case TD_IK_NAME_FWD:
            CHECK_EQ(td_index_name_fwd_decode(key, len, name, &nl, &dnssec), 0);
            CHECK(nl == ok.owner_len && memcmp(name, ok.owner, nl) == 0);
            CHECK_EQ(dnssec, want_dnssec);
            break;
        case TD_IK_RDATA: {
            struct td_index_rdata_key r;
            CHECK_EQ(td_index_rdata_decode(key, len, &r), 0);
            CHECK_EQ(r.rrtype, ok.rrtype);
            CHECK_EQ(r.dnssec, want_dnssec);
            CHECK(r.owner_len == ok.owner_len && memcmp(r.owner, ok.owner, nl = r.owner_len) == 0);
            size_t n = td_index_rdata_copy(&r, rdata, sizeof rdata);
            int found = 0;
            for (size_t j = 0; j < ok.nrdata; j++)
                found |= ok.rdlen[j] == n && memcmp(ok.rdata[j], rdata, n) == 0;
            CHECK(found);
            CHECK_EQ(r.sliced ? r.head_len : 0, r.sliced ? td_index_slice_offset(r.rrtype) : 0);
            break;
        }
        case TD_IK_NAME_REV: {
            CHECK_EQ(td_index_name_rev_decode(key, len, name, &nl, &dnssec), 0);
            int found = 0; /* the name occurs inside one rdata */
            for (size_t j = 0; j < ok.nrdata; j++)
                for (size_t o = 0; o + nl <= ok.rdlen[j]; o++)
                    found |= memcmp(ok.rdata[j] + o, name, nl) == 0;
            CHECK(found);
            break;
        }
        default:
            TT_FAIL("entry %zu: bad layout", i);
        }
    }
}

static void test_round_trips(void)
{
    uint8_t mx[2][64], srv[64], soa[80], sig[64];
    struct rd rds[2];
    mx[0][0] = 0, mx[0][1] = 5;
    mx[1][0] = 0, mx[1][1] = 9;
    size_t m0 = 2 + wire("a.mx.example", mx[0] + 2), m1 = 2 + wire("b.mx.example", mx[1] + 2);
    rds[0] = (struct rd){mx[0], m0};
    rds[1] = (struct rd){mx[1], m1};
    size_t kl = obs_key(K, "Example.COM", 15, "com", rds, 2);
    CHECK_EQ(run(kl), 8);
    check_round_trip(kl);

    memcpy(srv, "\x00\x0a\x00\x05\x13\xc4", 6);
    rds[0] = (struct rd){srv, 6 + wire("sip.example.com", srv + 6)};
    kl = obs_key(K, "_sip._udp.example.com", 33, "example.com", rds, 1);
    CHECK_EQ(run(kl), 5);
    check_round_trip(kl);

    size_t o = wire("ns.example.com", soa);
    o += wire("root.example.com", soa + o);
    memset(soa + o, 1, 20);
    rds[0] = (struct rd){soa, o + 20};
    kl = obs_key(K, "example.com", 6, "example.com", rds, 1);
    CHECK_EQ(run(kl), 4);
    check_round_trip(kl);
    CHECK(has_key("03 03636f6d 076578616d706c65 026e73 00"));

    memset(sig, 0, 18);
    sig[1] = 1;
    rds[0] = (struct rd){sig, 18 + wire(".", sig + 18)};
    kl = obs_key(K, ".", 46, ".", rds, 1);
    CHECK_EQ(run(kl), 3);
    check_round_trip(kl);

    /* random binary rdata of random types */
    srand(7);
    for (int it = 0; it < 500; it++) {
        uint8_t rd[2][40];
        size_t nrd = (size_t)(rand() % 3);
        for (size_t i = 0; i < nrd; i++) {
            rds[i].len = (size_t)(rand() % 40);
            for (size_t j = 0; j < rds[i].len; j++)
                rd[i][j] = (uint8_t)rand();
            rds[i].p = rd[i];
        }
        static const uint16_t types[] = {1, 2, 5, 6, 15, 33, 46, 47, 64, 65, 16, 300};
        uint16_t t = types[rand() % 12];
        kl = obs_key(K, "r.example", t, "example", rds, nrd);
        run(kl);
        check_round_trip(kl);
    }
}

static void test_decode_refusals(void)
{
    uint8_t b[300];
    struct td_obs_key k;
    struct td_index_rdata_key r;
    uint8_t name[255];
    uint16_t nl;
    int n;
    /* RRSET type byte 00 with an RRSIG key, 10 with an A key */
    static const uint8_t a[] = {1, 2, 3, 4};
    struct rd rds[] = {{a, 4}};
    size_t kl = obs_key(b + 1, "x.example", 46, "example", rds, 1);
    b[0] = 0x00;
    CHECK_EQ(td_index_rrset_decode(b, kl + 1, &k, NULL), -1);
    b[0] = 0x10;
    CHECK_EQ(td_index_rrset_decode(b, kl + 1, &k, NULL), 0);
    CHECK_EQ(td_index_rrset_decode(b, kl, &k, NULL), -1); /* cut rdata */
    b[0] = 0x02;
    CHECK_EQ(td_index_rrset_decode(b, kl + 1, &k, NULL), -1);
    /* names: trailing octet, label > 63, missing root, wrong type byte */
    n = tt_unhex("01 0178 00", b, sizeof b);
    CHECK_EQ(td_index_name_fwd_decode(b, (size_t)n, name, &nl, NULL), 0);
    CHECK_EQ(nl, 3);
    CHECK_EQ(td_index_name_fwd_decode(b, (size_t)n - 1, name, &nl, NULL), -1);
    n = tt_unhex("01 0178 00 00", b, sizeof b);
    CHECK_EQ(td_index_name_fwd_decode(b, (size_t)n, name, &nl, NULL), -1);
    n = tt_unhex("03 40 00", b, sizeof b);
    CHECK_EQ(td_index_name_rev_decode(b, (size_t)n, name, &nl, NULL), -1);
    n = tt_unhex("03 0161 0162 00", b, sizeof b);
    CHECK_EQ(td_index_name_rev_decode(b, (size_t)n, name, &nl, NULL), 0);
    CHECK_MEM(name, "\x01" "b\x01" "a", 5);
    CHECK_EQ(td_index_name_fwd_decode(b, (size_t)n, name, &nl, NULL), -1);
    /* RDATA: good, then broken length, non-minimal varint, bad slice, DNSSEC mismatch */
    n = tt_unhex("02 01020304 01 0178 00 0400", b, sizeof b);
    CHECK_EQ(td_index_rdata_decode(b, (size_t)n, &r), 0);
    CHECK(r.rrtype == 1 && !r.sliced && r.tail_len == 4 && r.owner_len == 3);
    n = tt_unhex("02 01020304 01 0178 00 0500", b, sizeof b);
    CHECK_EQ(td_index_rdata_decode(b, (size_t)n, &r), -1);
    n = tt_unhex("02 01020304 01 0178 00 ff00", b, sizeof b);
    CHECK_EQ(td_index_rdata_decode(b, (size_t)n, &r), -1);
    n = tt_unhex("02 010203 8100 0178 00 0300", b, sizeof b);
    CHECK_EQ(td_index_rdata_decode(b, (size_t)n, &r), -1);
    n = tt_unhex("02 0178 00 0f 0179 00 000a 0300", b, sizeof b); /* sliced MX */
    CHECK_EQ(td_index_rdata_decode(b, (size_t)n, &r), 0);
    CHECK(r.sliced && r.head_len == 2 && r.tail_len == 3 && r.rrtype == 15);
    n = tt_unhex("02 0178 00 0f 0179 00 00 0300", b, sizeof b); /* head of 1, MX wants 2 */
    CHECK_EQ(td_index_rdata_decode(b, (size_t)n, &r), -1);
    n = tt_unhex("02 0178 00 01 0179 00 000a 0300", b, sizeof b); /* A has no slice */
    CHECK_EQ(td_index_rdata_decode(b, (size_t)n, &r), -1);
    n = tt_unhex("02 00 2e 00 0100", b, sizeof b); /* NSEC under 02 */
    CHECK_EQ(td_index_rdata_decode(b, (size_t)n, &r), -1);
    b[0] = 0x12;
    CHECK_EQ(td_index_rdata_decode(b, (size_t)n, &r), 0);
    CHECK_EQ(td_index_key_layout(b, 0), -1);
    b[0] = 0x04;
    CHECK_EQ(td_index_key_layout(b, 1), -1);
    b[0] = 0xfe;
    CHECK_EQ(td_index_key_layout(b, 1), 0xfe);
    b[0] = 0x13;
    CHECK_EQ(td_index_key_layout(b, 1), 3);
}

/* ---------- ordering and name ranges ---------- */

static int in_range(const struct td_index_range *r, const uint8_t *k, size_t kl)
{
    size_t n = kl < r->start_len ? kl : r->start_len;
    int c = memcmp(k, r->start, n);
    if (c < 0 || (c == 0 && kl < r->start_len))
        return 0;
    if (r->end_len == 0)
        return 1;
    n = kl < r->end_len ? kl : r->end_len;
    c = memcmp(k, r->end, n);
    return c < 0 || (c == 0 && kl < r->end_len);
}

static void test_name_ordering(void)
{
    struct td_index_range r;
    char err[128];
    uint8_t x[255], w[255];
    static const uint8_t a[] = {10, 0, 0, 1};
    struct rd rds[] = {{a, 4}};
    static const struct {
        const char *owner;
        int exact, below; /* example.com exact, *.example.com */
    } names[] = {
        {"example.com", 1, 1}, {"a.example.com", 0, 1}, {"x.a.example.com", 0, 1},
        {"EXAMPLE.com", 1, 1}, {"examples.com", 0, 0}, {"example.co", 0, 0},
        {"example.comm", 0, 0}, {"aexample.com", 0, 0}, {"example", 0, 0},
        {"com", 0, 0}, {"example.com.net", 0, 0}, {"z.examplf.com", 0, 0},
    };
    size_t xl = wire("example.com", x);
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        uint8_t lower[64];
        size_t ln = strlen(names[i].owner);
        for (size_t j = 0; j <= ln; j++)
            lower[j] = (uint8_t)(names[i].owner[j] | (names[i].owner[j] >= 'A' && names[i].owner[j] <= 'Z' ? 0x20 : 0));
        size_t kl = obs_key(K, (const char *)lower, 1, "com", rds, 1);
        run(kl);
        const uint8_t *rrset = C.key[0], *fwd = C.key[1];
        size_t rl = C.klen[0], fl = C.klen[1];
        CHECK_EQ(td_index_range_rrset(&r, x, xl, TD_INDEX_ANY, NULL, 0, err, sizeof err), 0);
        if (in_range(&r, rrset, rl) != names[i].exact)
            TT_FAIL("%s: exact", names[i].owner);
        CHECK_EQ(td_index_range_rrset(&r, x, xl, 1, NULL, 0, err, sizeof err), 0);
        if (in_range(&r, rrset, rl) != names[i].exact)
            TT_FAIL("%s: exact A", names[i].owner);
        CHECK_EQ(td_index_range_rrset(&r, x, xl, 28, NULL, 0, err, sizeof err), 0);
        CHECK(!in_range(&r, rrset, rl));
        CHECK_EQ(td_index_range_rrset(&r, x, xl, TD_INDEX_ANY_DNSSEC, NULL, 0, err, sizeof err), 0);
        CHECK(!in_range(&r, rrset, rl));
        CHECK_EQ(td_index_range_rrset_below(&r, x, xl, TD_INDEX_ANY, err, sizeof err), 0);
        if (in_range(&r, rrset, rl) != names[i].below)
            TT_FAIL("%s: below", names[i].owner);
        /* NAME_REV: a CNAME to the name, scanned with *.example.com */
        size_t wl = wire((const char *)lower, w);
        struct rd cn[] = {{w, wl}};
        run(obs_key(K, "alias.org", 5, "org", cn, 1));
        CHECK_EQ(C.n, 4);
        CHECK_EQ(td_index_range_name_rev_below(&r, x, xl, TD_INDEX_ANY, err, sizeof err), 0);
        if (in_range(&r, C.key[3], C.klen[3]) != names[i].below)
            TT_FAIL("%s: name rev below", names[i].owner);
        /* rdata name exact, with and without the type */
        CHECK_EQ(td_index_range_rdata_name(&r, x, xl, 5, err, sizeof err), TD_IR_CHECK_TYPE | TD_IR_CHECK_RDATA);
        if (in_range(&r, C.key[2], C.klen[2]) != names[i].exact)
            TT_FAIL("%s: rdata name", names[i].owner);
        td_index_range_rdata_name(&r, x, xl, TD_INDEX_ANY, err, sizeof err);
        if (in_range(&r, C.key[2], C.klen[2]) != names[i].exact)
            TT_FAIL("%s: rdata name any", names[i].owner);
        td_index_range_rdata_name(&r, x, xl, 2, err, sizeof err);
        CHECK(!in_range(&r, C.key[2], C.klen[2]));
        (void)fwd;
        (void)fl;
    }
    /* x.*: forward names starting with example.com */
    CHECK_EQ(td_index_range_name_fwd(&r, x, xl, TD_INDEX_ANY, err, sizeof err), 0);
    static const struct { const char *n; int in; } fw[] = {
        {"example.com", 1}, {"example.com.net", 1}, {"example.comm", 0}, {"example.co", 0}, {"a.example.com", 0},
    };
    for (size_t i = 0; i < sizeof fw / sizeof fw[0]; i++) {
        uint8_t k[300];
        k[0] = 0x01;
        size_t n = wire(fw[i].n, k + 1);
        if (in_range(&r, k, n + 1) != fw[i].in)
            TT_FAIL("fwd %s", fw[i].n);
    }
}

static void test_range_bytes(void)
{
    struct td_index_range r;
    char err[128];
    uint8_t x[255], bw[255], want[600];
    size_t xl = wire("www.Example.com", x), bl = wire("example.com", bw);
    int n;
    CHECK_EQ(td_index_range_rrset(&r, x, xl, 1, bw, bl, err, sizeof err), 0);
    n = tt_unhex("00 03636f6d 076578616d706c65 03777777 00 01" REV_EXAMPLE_COM, want, sizeof want);
    CHECK_EQ(r.start_len, n);
    CHECK_MEM(r.start, want, (size_t)n);
    want[n - 1] = 1; /* successor: last octet + 1 */
    CHECK_EQ(r.end_len, n);
    CHECK_MEM(r.end, want, (size_t)n);
    CHECK_EQ(td_index_range_rrset(&r, x, xl, TD_INDEX_ANY, bw, bl, err, sizeof err), TD_IR_CHECK_BAILIWICK);
    CHECK_EQ(r.start_len, 1 + xl);
    CHECK_EQ(td_index_range_rrset(&r, x, xl, 46, NULL, 0, err, sizeof err), 0);
    n = tt_unhex("10 03636f6d 076578616d706c65 03777777 00 2e", want, sizeof want);
    CHECK_EQ(r.start_len, n);
    CHECK_MEM(r.start, want, (size_t)n);
    CHECK_EQ(td_index_range_rrset(&r, x, xl, 300, NULL, 0, err, sizeof err), 0);
    CHECK_EQ(r.start_len, 1 + xl + 2); /* varint 300 = ac 02 */
    CHECK_EQ(r.start[r.start_len - 2], 0xac);
    CHECK_EQ(r.end[r.end_len - 1], 0x03);
    CHECK_EQ(td_index_range_rrset_below(&r, x, xl, TD_INDEX_ANY_DNSSEC, err, sizeof err), 0);
    n = tt_unhex("10 03636f6d 076578616d706c65 03777777", want, sizeof want);
    CHECK_EQ(r.start_len, n);
    CHECK_MEM(r.start, want, (size_t)n);
    CHECK_EQ(r.end_len, n);
    CHECK_EQ(r.end[n - 1], 0x78);
    /* root: *. is the whole RRSET space */
    CHECK_EQ(td_index_range_rrset_below(&r, (const uint8_t *)"", 1, TD_INDEX_ANY, err, sizeof err), 0);
    CHECK(r.start_len == 1 && r.start[0] == 0 && r.end_len == 1 && r.end[0] == 1);
    /* rdata name: NS gets the type, SOA and SVCB do not */
    CHECK(td_index_range_rdata_name(&r, bw, bl, 2, err, sizeof err) > 0);
    CHECK_EQ(r.start_len, 1 + bl + 1);
    CHECK_EQ(r.start[1 + bl], 2);
    td_index_range_rdata_name(&r, bw, bl, 6, err, sizeof err);
    CHECK_EQ(r.start_len, 1 + bl);
    td_index_range_rdata_name(&r, bw, bl, 64, err, sizeof err);
    CHECK_EQ(r.start_len, 1 + bl);
    td_index_range_rdata_name(&r, bw, bl, 47, err, sizeof err);
    CHECK_EQ(r.start[0], 0x12);
    /* bad inputs */
    CHECK_EQ(td_index_range_rrset(&r, x, xl - 1, 1, NULL, 0, err, sizeof err), -1);
    CHECK(strlen(err) > 0);
    CHECK_EQ(td_index_range_rrset(&r, x, xl, 65536, NULL, 0, err, sizeof err), -1);
    CHECK_EQ(td_index_range_rrset(&r, x, xl, -3, NULL, 0, err, sizeof err), -1);
    CHECK_EQ(td_index_range_rrset(&r, x, xl, 1, bw, bl + 1, err, sizeof err), -1);
    CHECK_EQ(td_index_range_rrset(&r, x, 0, 1, NULL, 0, err, sizeof err), -1);
    static const uint8_t lo[4] = {10, 0, 0, 2}, hi[4] = {10, 0, 0, 1};
    CHECK_EQ(td_index_range_ip(&r, lo, hi, 4, err, sizeof err), -1);
    CHECK_EQ(td_index_range_ip(&r, lo, lo, 5, err, sizeof err), -1);
    CHECK_EQ(td_index_range_cidr(&r, lo, 4, 33, err, sizeof err), -1);
    CHECK_EQ(td_index_range_cidr(&r, lo, 16, 129, err, sizeof err), -1);
    /* CIDR bytes */
    CHECK(td_index_range_cidr(&r, (const uint8_t *)"\xc0\xa8\x05\x07", 4, 22, err, sizeof err) > 0);
    n = tt_unhex("02 c0a80400 01", want, sizeof want);
    CHECK_EQ(r.start_len, n);
    CHECK_MEM(r.start, want, (size_t)n);
    n = tt_unhex("02 c0a807ff 02", want, sizeof want);
    CHECK_EQ(r.end_len, n);
    CHECK_MEM(r.end, want, (size_t)n);
}

/* ---------- IP coverage ---------- */

static size_t a_key(const uint8_t *addr, size_t alen, uint8_t *out)
{
    struct rd rds[] = {{addr, alen}};
    run(obs_key(K, "h.example", alen == 4 ? 1 : 28, "example", rds, 1));
    memcpy(out, C.key[2], C.klen[2]);
    return C.klen[2];
}

static int addr_cmp(const uint8_t *a, const uint8_t *b, size_t n)
{
    return memcmp(a, b, n);
}

static void rand_addr(uint8_t *a, size_t n)
{
    for (size_t i = 0; i < n; i++)
        a[i] = (uint8_t)rand();
}

/* Addresses at and around lo..hi and random ones; each key is in the range iff inside. */
static unsigned probe(const struct td_index_range *r, const uint8_t *lo, const uint8_t *hi, size_t alen)
{
    uint8_t t[16], key[64];
    unsigned bad = 0;
    for (int j = 0; j < 24; j++) {
        switch (j) {
        case 0: memcpy(t, lo, alen); break;
        case 1: memcpy(t, hi, alen); break;
        case 2: /* lo - 1 */
            memcpy(t, lo, alen);
            for (size_t i = alen; i-- > 0;)
                if (t[i]-- != 0)
                    break;
            break;
        case 3: /* hi + 1 */
            memcpy(t, hi, alen);
            for (size_t i = alen; i-- > 0;)
                if (++t[i] != 0)
                    break;
            break;
        default:
            rand_addr(t, alen);
            if (j % 2) /* inside: lo's prefix bits with random host bits */
                for (size_t i = 0; i < alen; i++)
                    t[i] = (uint8_t)(lo[i] | (t[i] & (uint8_t)(lo[i] ^ hi[i])));
        }
        int inside = addr_cmp(t, lo, alen) >= 0 && addr_cmp(t, hi, alen) <= 0;
        size_t kl = a_key(t, alen, key);
        if (in_range(r, key, kl) != inside)
            bad++;
    }
    return bad;
}

static void test_cidr_coverage(void)
{
    struct td_index_range r;
    char err[128];
    unsigned bad = 0, cases = 0;
    srand(42);
    for (size_t alen = 4; alen <= 16; alen += 12) {
        for (unsigned pfx = 0; pfx <= alen * 8; pfx++) {
            for (int rep = 0; rep < 4; rep++) {
                uint8_t a[16], lo[16], hi[16];
                rand_addr(a, alen);
                CHECK(td_index_range_cidr(&r, a, alen, pfx, err, sizeof err) > 0);
                memcpy(lo, r.start + 1, alen);
                memcpy(hi, r.end + 1, alen);
                /* lo/hi are the network and broadcast of a/pfx */
                for (unsigned b = 0; b < alen * 8; b++) {
                    unsigned bit = 0x80u >> (b % 8);
                    int al = (a[b / 8] & bit) != 0, l = (lo[b / 8] & bit) != 0, h = (hi[b / 8] & bit) != 0;
                    if (b < pfx ? (l != al || h != al) : (l != 0 || h != 1))
                        bad++;
                }
                bad += probe(&r, lo, hi, alen);
                cases++;
            }
        }
    }
    CHECK_EQ(cases, 4 * (33 + 129));
    CHECK_EQ(bad, 0);
}

static void test_range_coverage(void)
{
    struct td_index_range r;
    char err[128];
    unsigned bad = 0;
    srand(43);
    for (size_t alen = 4; alen <= 16; alen += 12) {
        for (int rep = 0; rep < 300; rep++) {
            uint8_t a[16], b[16];
            rand_addr(a, alen);
            if (rep % 3 == 0) { /* close together */
                memcpy(b, a, alen);
                b[alen - 1] = (uint8_t)(b[alen - 1] + rand() % 5);
                if (b[alen - 1] < a[alen - 1])
                    b[alen - 1] = 0xff;
            } else {
                rand_addr(b, alen);
            }
            const uint8_t *lo = addr_cmp(a, b, alen) <= 0 ? a : b, *hi = lo == a ? b : a;
            CHECK(td_index_range_ip(&r, lo, hi, alen, err, sizeof err) > 0);
            bad += probe(&r, lo, hi, alen);
            /* a single address */
            CHECK(td_index_range_ip(&r, lo, lo, alen, err, sizeof err) > 0);
            bad += probe(&r, lo, lo, alen);
        }
    }
    CHECK_EQ(bad, 0);
}

/* ---------- values ---------- */

static void test_values(void)
{
    uint8_t b[TD_INDEX_VALUE_MAX], want[32], m[TD_INDEX_VALUE_MAX];
    /* zigzag(time_first - base), time_last - time_first, count */
    struct td_obs_value v = {.count = UINT64_MAX, .time_first = 1, .time_last = 300}, d;
    size_t n = td_index_value_encode(&v, 0, b);
    int w = tt_unhex("02 ab02 ffffffffffffffffff01", want, sizeof want);
    CHECK_EQ(n, w);
    CHECK_MEM(b, want, n);
    CHECK_EQ(td_index_value_decode(b, n, 0, &d), 0);
    CHECK(d.count == UINT64_MAX && d.time_first == 1 && d.time_last == 300 && d.reason == 0);
    /* an hour generation: base 1800000000, times inside the hour take 2 octets */
    v = (struct td_obs_value){.count = 3, .time_first = 1800000000 + 3599, .time_last = 1800000000 + 3599 + 200};
    n = td_index_value_encode(&v, 1800000000, b);
    w = tt_unhex("9e38 c801 03", want, sizeof want);
    CHECK_EQ(n, w);
    CHECK_MEM(b, want, n);
    CHECK_EQ(td_index_value_decode(b, n, 1800000000, &d), 0);
    CHECK(d.count == 3 && d.time_first == 1800003599 && d.time_last == 1800003799);
    /* before the base (a late observation): odd zigzag */
    v = (struct td_obs_value){.count = 1, .time_first = 1800000000 - 1, .time_last = 1800000000 + 5};
    n = td_index_value_encode(&v, 1800000000, b);
    w = tt_unhex("01 06 01", want, sizeof want);
    CHECK_EQ(n, w);
    CHECK_MEM(b, want, n);
    CHECK_EQ(td_index_value_decode(b, n, 1800000000, &d), 0);
    CHECK(d.time_first == 1799999999 && d.time_last == 1800000005);
    /* the extremes, both ways */
    v = (struct td_obs_value){.count = 0, .time_first = UINT32_MAX, .time_last = UINT32_MAX};
    n = td_index_value_encode(&v, 0, b);
    CHECK_EQ(td_index_value_decode(b, n, 0, &d), 0);
    CHECK(d.time_first == UINT32_MAX && d.time_last == UINT32_MAX && d.count == 0);
    v = (struct td_obs_value){.count = 1, .time_first = 0, .time_last = UINT32_MAX};
    n = td_index_value_encode(&v, UINT32_MAX, b);
    CHECK_EQ(td_index_value_decode(b, n, UINT32_MAX, &d), 0);
    CHECK(d.time_first == 0 && d.time_last == UINT32_MAX);
    static const char *bad[] = {
        "", "02", "02 02", "02 02 03 00", "8000 01 01", "02 8100 01",
        "03 01 01",                    /* time_first -2: below 0 with base 0 */
        "feffffff1f 02 01",            /* time_first 2^32 - 1, time_last past 2^32 - 1 */
        "8080808040 00 01",            /* zigzag above 2^33 */
        "02 02 ffffffffffffffffff02", "02 02 80",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        w = tt_unhex(bad[i], want, sizeof want);
        if (td_index_value_decode(want, (size_t)w, 0, &d) != -1)
            TT_FAIL("value %s accepted", bad[i]);
    }
    /* merge: min, max, sum; saturating */
    struct td_obs_value x = {.count = 5, .time_first = 50, .time_last = 60};
    struct td_obs_value y = {.count = 7, .time_first = 40, .time_last = 55};
    uint8_t xb[32], yb[32];
    size_t xl = td_index_value_encode(&x, 45, xb), yl = td_index_value_encode(&y, 45, yb);
    n = td_index_value_merge(xb, xl, yb, yl, 45, m);
    CHECK(n > 0);
    CHECK_EQ(td_index_value_decode(m, n, 45, &d), 0);
    CHECK(d.count == 12 && d.time_first == 40 && d.time_last == 60);
    x.count = UINT64_MAX - 1;
    xl = td_index_value_encode(&x, 45, xb);
    n = td_index_value_merge(xb, xl, yb, yl, 45, m);
    CHECK_EQ(td_index_value_decode(m, n, 45, &d), 0);
    CHECK(d.count == UINT64_MAX);
    CHECK_EQ(td_index_value_merge(xb, xl - 1, yb, yl, 45, m), 0);
    /* metadata */
    uint32_t lo, hi, base;
    n = td_index_time_base_encode(1800000000, b);
    w = tt_unhex("80a4a7da06", want, sizeof want);
    CHECK_EQ(n, w);
    CHECK_MEM(b, want, n);
    CHECK_EQ(td_index_time_base_decode(b, n, &base), 0);
    CHECK_EQ(base, 1800000000);
    CHECK_EQ(td_index_time_base_decode(b, n - 1, &base), -1);
    w = tt_unhex("8080808010", want, sizeof want); /* 2^32: above the range */
    CHECK_EQ(td_index_time_base_decode(want, (size_t)w, &base), -1);
    n = td_index_time_range_encode(1000, 2000, b);
    w = tt_unhex("e807 d00f", want, sizeof want);
    CHECK_EQ(n, w);
    CHECK_MEM(b, want, n);
    CHECK_EQ(td_index_time_range_decode(b, n, &lo, &hi), 0);
    CHECK(lo == 1000 && hi == 2000);
    CHECK_EQ(td_index_time_range_decode(b, n - 1, &lo, &hi), -1);
    uint8_t key[2];
    uint64_t ver;
    n = td_index_version_entry(0x12, key, b);
    CHECK(key[0] == 0xff && key[1] == 0x12 && n == 1 && b[0] == TD_INDEX_SCHEMA_VERSION);
    CHECK_EQ(td_index_version_decode(b, n, &ver), 0);
    CHECK_EQ(ver, 2);
}

static int stop_at_two(void *ctx, const uint8_t *key, size_t klen, const struct td_obs_value *v)
{
    int *n = ctx;
    (void)key, (void)klen, (void)v;
    return ++*n == 2 ? 7 : 0;
}

static void test_entries_errors(void)
{
    char err[128] = "";
    int n = 0;
    static const uint8_t a[] = {1, 2, 3, 4};
    struct rd rds[] = {{a, 4}};
    size_t kl = obs_key(K, "x.example", 1, "example", rds, 1);
    CHECK_EQ(td_index_entries(K, kl, &V, stop_at_two, &n, err, sizeof err), 7);
    CHECK_EQ(n, 2);
    CHECK_EQ(td_index_entries(K, kl - 1, &V, stop_at_two, &n, err, sizeof err), -1);
    CHECK(strstr(err, "malformed") != NULL);
    CHECK_EQ(td_index_entries(K, 0, &V, stop_at_two, &n, err, sizeof err), -1);
    K[0] = 64; /* label too long */
    CHECK_EQ(td_index_entries(K, kl, &V, stop_at_two, &n, err, sizeof err), -1);
}

int main(void)
{
    TT_RUN(test_a_entries);
    TT_RUN(test_mx_entries);
    TT_RUN(test_rrsig_entries);
    TT_RUN(test_counts);
    TT_RUN(test_round_trips);
    TT_RUN(test_decode_refusals);
    TT_RUN(test_name_ordering);
    TT_RUN(test_range_bytes);
    TT_RUN(test_cidr_coverage);
    TT_RUN(test_range_coverage);
    TT_RUN(test_values);
    TT_RUN(test_entries_errors);
    return tt_finish();
}
