/* test_index_read: the reading library (indexer/index.h) over generations built with the
 * generation builder and keys.c (no CLI). Exact results for rrset (exact, type, bailiwick,
 * *.x), rdata name and rdata ip (address, CIDR, range; v4, v6), each over one generation and
 * over the same data split into 3 generations (read-time merge); time fences at their exact
 * boundaries; limit and offset; a random property test (3 generations == 1 rebuilt one); a
 * generation pruned by the fences changes nothing. */
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


/* ---------- the fixed data set ---------- */

static const struct tobs fixed[] = {
    { "www.example.com", 1, "example.com", { "1.2.3.4" }, 2, 100, 200 },
    { "www.example.com", 1, "com", { "1.2.3.4" }, 1, 150, 150 },
    { "www.example.com", 28, "example.com", { "2001:db8::1" }, 1, 100, 300 },
    { "example.com", 2, "com", { "ns1.example.com" }, 5, 50, 500 },
    { "a.b.example.com", 5, "example.com", { "www.example.com" }, 3, 120, 130 },
    { "www.examples.com", 1, "examples.com", { "1.2.3.5" }, 1, 100, 100 },
    { "example.com", 15, "example.com", { "10 mail.example.com" }, 1, 100, 100 },
    { "example.com", 43, "com", { "#1234 08 02 aabbccdd" }, 1, 100, 100 },
    { "x.net", 1, "net", { "1.2.3.0", "1.2.4.0" }, 1, 10, 20 },
    { "v6.net", 28, "net", { "2001:db8::ff" }, 4, 400, 450 },
    /* TXT rdata with the octets of wire(www.example.com): never an rdata name match */
    /* MX 353 (0x0161 = "\x01a") com.: the unsliced rdata has the octets of wire(a.com) */
    { "mx.net", 15, "net", { "353 com" }, 1, 100, 100 },
    { "txt.net", 16, "net", { "#03777777 076578616d706c65 03636f6d 00" }, 1, 100, 100 },
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

static void test_rrset(void)
{
    struct qcase c[] = {
        { "exact ANY", qn(TD_IQ_RRSET, "www.example.com", TD_INDEX_ANY, NULL),
          "www.example.com. 1 com. 1.2.3.4 c1 150-150\n"
          "www.example.com. 1 example.com. 1.2.3.4 c2 100-200\n"
          "www.example.com. 28 example.com. 2001:db8::1 c1 100-300\n" },
        { "exact uppercase", qn(TD_IQ_RRSET, "WWW.Example.COM", 28, NULL),
          "www.example.com. 28 example.com. 2001:db8::1 c1 100-300\n" },
        { "exact A", qn(TD_IQ_RRSET, "www.example.com", 1, NULL),
          "www.example.com. 1 com. 1.2.3.4 c1 150-150\n"
          "www.example.com. 1 example.com. 1.2.3.4 c2 100-200\n" },
        { "exact A bailiwick", qn(TD_IQ_RRSET, "www.example.com", 1, "example.com"),
          "www.example.com. 1 example.com. 1.2.3.4 c2 100-200\n" },
        { "exact ANY bailiwick", qn(TD_IQ_RRSET, "www.example.com", TD_INDEX_ANY, "example.com"),
          "www.example.com. 1 example.com. 1.2.3.4 c2 100-200\n"
          "www.example.com. 28 example.com. 2001:db8::1 c1 100-300\n" },
        { "exact ANY bailiwick com", qn(TD_IQ_RRSET, "www.example.com", TD_INDEX_ANY, "com"),
          "www.example.com. 1 com. 1.2.3.4 c1 150-150\n" },
        { "exact absent type", qn(TD_IQ_RRSET, "www.example.com", 16, NULL), "" },
        { "exact absent name", qn(TD_IQ_RRSET, "example.org", TD_INDEX_ANY, NULL), "" },
        { "exact parent only", qn(TD_IQ_RRSET, "example.com", TD_INDEX_ANY, NULL),
          "example.com. 2 com. ns1.example.com. c5 50-500\n"
          "example.com. 15 example.com. 10 mail.example.com. c1 100-100\n" },
        { "ANY-DNSSEC", qn(TD_IQ_RRSET, "example.com", TD_INDEX_ANY_DNSSEC, NULL),
          "example.com. 43 com. 4660 8 2 AABBCCDD c1 100-100\n" },
        { "DS typed", qn(TD_IQ_RRSET, "example.com", 43, NULL),
          "example.com. 43 com. 4660 8 2 AABBCCDD c1 100-100\n" },
        { "*.example.com", qn(TD_IQ_RRSET_BELOW, "example.com", TD_INDEX_ANY, NULL),
          "example.com. 2 com. ns1.example.com. c5 50-500\n"
          "example.com. 15 example.com. 10 mail.example.com. c1 100-100\n"
          "a.b.example.com. 5 example.com. www.example.com. c3 120-130\n"
          "www.example.com. 1 com. 1.2.3.4 c1 150-150\n"
          "www.example.com. 1 example.com. 1.2.3.4 c2 100-200\n"
          "www.example.com. 28 example.com. 2001:db8::1 c1 100-300\n" },
        { "*.example.com A", qn(TD_IQ_RRSET_BELOW, "example.com", 1, NULL),
          "www.example.com. 1 com. 1.2.3.4 c1 150-150\n"
          "www.example.com. 1 example.com. 1.2.3.4 c2 100-200\n" },
        { "*.example.com bailiwick", qn(TD_IQ_RRSET_BELOW, "example.com", TD_INDEX_ANY, "com"),
          "example.com. 2 com. ns1.example.com. c5 50-500\n"
          "www.example.com. 1 com. 1.2.3.4 c1 150-150\n" },
        { "*.examples.com", qn(TD_IQ_RRSET_BELOW, "examples.com", TD_INDEX_ANY, NULL),
          "www.examples.com. 1 examples.com. 1.2.3.5 c1 100-100\n" },
        { "*.b.example.com", qn(TD_IQ_RRSET_BELOW, "b.example.com", TD_INDEX_ANY, NULL),
          "a.b.example.com. 5 example.com. www.example.com. c3 120-130\n" },
        { "*.example.com DNSSEC", qn(TD_IQ_RRSET_BELOW, "example.com", TD_INDEX_ANY_DNSSEC, NULL),
          "example.com. 43 com. 4660 8 2 AABBCCDD c1 100-100\n" },
        { "multi rdata", qn(TD_IQ_RRSET, "x.net", 1, NULL), "x.net. 1 net. 1.2.3.0|1.2.4.0 c1 10-20\n" },
    };
    run_cases(c, sizeof c / sizeof c[0]);
}

static void test_rdata(void)
{
    struct qcase c[] = {
        { "name www ANY (TXT look-alike out)", qn(TD_IQ_RDATA_NAME, "www.example.com", TD_INDEX_ANY, NULL),
          "a.b.example.com. 5 - www.example.com. c3 120-130\n" },
        { "name www CNAME", qn(TD_IQ_RDATA_NAME, "www.example.com", 5, NULL),
          "a.b.example.com. 5 - www.example.com. c3 120-130\n" },
        { "name www TXT", qn(TD_IQ_RDATA_NAME, "www.example.com", 16, NULL),
          "txt.net. 16 - \"www\" \"example\" \"com\" \"\" c1 100-100\n" },
        { "name www NS", qn(TD_IQ_RDATA_NAME, "www.example.com", 2, NULL), "" },
        { "name mail ANY (MX once)", qn(TD_IQ_RDATA_NAME, "mail.example.com", TD_INDEX_ANY, NULL),
          "example.com. 15 - 10 mail.example.com. c1 100-100\n" },
        { "name mail MX", qn(TD_IQ_RDATA_NAME, "Mail.Example.com", 15, NULL),
          "example.com. 15 - 10 mail.example.com. c1 100-100\n" },
        { "name mail NS", qn(TD_IQ_RDATA_NAME, "mail.example.com", 2, NULL), "" },
        { "name a.com (unsliced MX look-alike out)", qn(TD_IQ_RDATA_NAME, "a.com", TD_INDEX_ANY, NULL), "" },
        { "name com (sliced MX)", qn(TD_IQ_RDATA_NAME, "com", TD_INDEX_ANY, NULL), "mx.net. 15 - 353 com. c1 100-100\n" },
        { "name ns1", qn(TD_IQ_RDATA_NAME, "ns1.example.com", 2, NULL),
          "example.com. 2 - ns1.example.com. c5 50-500\n" },
        { "name example.com (no prefix match)", qn(TD_IQ_RDATA_NAME, "example.com", TD_INDEX_ANY, NULL), "" },
        { "ip 1.2.3.4 (bailiwicks merge)", qip("1.2.3.4", "1.2.3.4", 0),
          "www.example.com. 1 - 1.2.3.4 c3 100-200\n" },
        { "ip /32", qip("1.2.3.4", NULL, 32), "www.example.com. 1 - 1.2.3.4 c3 100-200\n" },
        { "cidr /24", qip("1.2.3.77", NULL, 24),
          "x.net. 1 - 1.2.3.0 c1 10-20\n"
          "www.example.com. 1 - 1.2.3.4 c3 100-200\n"
          "www.examples.com. 1 - 1.2.3.5 c1 100-100\n" },
        { "cidr /16", qip("1.2.0.0", NULL, 16),
          "x.net. 1 - 1.2.3.0 c1 10-20\n"
          "www.example.com. 1 - 1.2.3.4 c3 100-200\n"
          "www.examples.com. 1 - 1.2.3.5 c1 100-100\n"
          "x.net. 1 - 1.2.4.0 c1 10-20\n" },
        { "range", qip("1.2.3.4", "1.2.4.0", 0),
          "www.example.com. 1 - 1.2.3.4 c3 100-200\n"
          "www.examples.com. 1 - 1.2.3.5 c1 100-100\n"
          "x.net. 1 - 1.2.4.0 c1 10-20\n" },
        { "range empty", qip("1.2.3.6", "1.2.3.255", 0), "" },
        { "v6 address", qip("2001:db8::ff", "2001:db8::ff", 0), "v6.net. 28 - 2001:db8::ff c4 400-450\n" },
        { "v6 /32", qip("2001:db8::", NULL, 32),
          "www.example.com. 28 - 2001:db8::1 c1 100-300\n"
          "v6.net. 28 - 2001:db8::ff c4 400-450\n" },
        { "v6 range", qip("2001:db8::2", "2001:db8::ffff", 0), "v6.net. 28 - 2001:db8::ff c4 400-450\n" },
        { "v6 /128 miss", qip("2001:db8::2", NULL, 128), "" },
    };
    run_cases(c, sizeof c / sizeof c[0]);
}

/* All A rdata with their merged times: 1.2.3.0 10-20, 1.2.3.4 100-200, 1.2.3.5 100-100,
 * 1.2.4.0 10-20. Each fence at an exact boundary keeps the boundary value. */
static void test_fences(void)
{
    struct {
        uint32_t fb, fa, lb, la;
        const char *expect;
    } t[] = {
        { 0, 100, 0, 0, "1.2.3.4 1.2.3.5 " },
        { 0, 101, 0, 0, "" },
        { 100, 0, 0, 0, "1.2.3.0 1.2.3.4 1.2.3.5 1.2.4.0 " },
        { 99, 0, 0, 0, "1.2.3.0 1.2.4.0 " },
        { 10, 0, 0, 0, "1.2.3.0 1.2.4.0 " },
        { 9, 0, 0, 0, "" },
        { 0, 0, 200, 0, "1.2.3.0 1.2.3.4 1.2.3.5 1.2.4.0 " },
        { 0, 0, 199, 0, "1.2.3.0 1.2.3.5 1.2.4.0 " },
        { 0, 0, 0, 200, "1.2.3.4 " },
        { 0, 0, 0, 201, "" },
        { 0, 0, 0, 100, "1.2.3.4 1.2.3.5 " },
        { 0, 0, 20, 20, "1.2.3.0 1.2.4.0 " },
        { 100, 100, 100, 100, "1.2.3.5 " },
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        for (int r = 0; r < 2; r++) {
            struct td_index_query q = qip("0.0.0.0", NULL, 1);
            q.time_first_before = t[i].fb;
            q.time_first_after = t[i].fa;
            q.time_last_before = t[i].lb;
            q.time_last_after = t[i].la;
            char *got = run_q(r ? root3 : root1, &q, NULL);
            char addrs[512] = "";
            for (char *line = got; *line;) {
                char *sp = strstr(line, " - ");
                char *nl = strchr(line, '\n');
                if (!sp || !nl)
                    break;
                char *end = strchr(sp + 3, ' ');
                size_t l = strlen(addrs);
                snprintf(addrs + l, sizeof addrs - l, "%.*s ", (int)(end - sp - 3), sp + 3);
                line = nl + 1;
            }
            if (strcmp(addrs, t[i].expect) != 0)
                TT_FAIL("fence case %zu (%s): got \"%s\" expected \"%s\" (%s)", i, r ? "3 gens" : "1 gen", addrs,
                        t[i].expect, got);
            free(got);
        }
    }
    /* Merged values decide, not per-generation ones: in 3 gens, www.example.com A/example.com
     * is (1, 100-100) + (1, 200-200); time_first_after 150 must exclude it (merged tf 100). */
    struct td_index_query q = qn(TD_IQ_RRSET, "www.example.com", 1, "example.com");
    q.time_first_after = 150;
    CHECK_Q(root3, q, "");
    q.time_first_after = 0;
    q.time_last_before = 150;
    CHECK_Q(root3, q, "");
    q.time_last_before = 200;
    CHECK_Q(root3, q, "www.example.com. 1 example.com. 1.2.3.4 c2 100-200\n");
}

static void test_limit_offset(void)
{
    static const char *all[] = {
        "example.com. 2 com. ns1.example.com. c5 50-500\n",
        "example.com. 15 example.com. 10 mail.example.com. c1 100-100\n",
        "a.b.example.com. 5 example.com. www.example.com. c3 120-130\n",
        "www.example.com. 1 com. 1.2.3.4 c1 150-150\n",
        "www.example.com. 1 example.com. 1.2.3.4 c2 100-200\n",
        "www.example.com. 28 example.com. 2001:db8::1 c1 100-300\n",
    };
    for (unsigned off = 0; off <= 7; off++)
        for (unsigned lim = 0; lim <= 7; lim++) {
            char expect[2048] = "";
            for (unsigned i = off; i < 6 && (lim == 0 || i < off + lim); i++)
                strcat(expect, all[i]);
            struct td_index_query q = qn(TD_IQ_RRSET_BELOW, "example.com", TD_INDEX_ANY, NULL);
            q.offset = off;
            q.limit = lim;
            for (int r = 0; r < 2; r++) {
                char *got = run_q(r ? root3 : root1, &q, NULL);
                if (strcmp(got, expect) != 0)
                    TT_FAIL("offset %u limit %u: got\n%sexpected\n%s", off, lim, got, expect);
                free(got);
            }
        }
    /* offset counts results after the fences: time_first_after 100 leaves rows 2..5 */
    struct td_index_query q = qn(TD_IQ_RRSET_BELOW, "example.com", TD_INDEX_ANY, NULL);
    q.time_first_after = 100;
    q.offset = 1;
    q.limit = 2;
    char expect[1024];
    snprintf(expect, sizeof expect, "%s%s", all[2], all[3]);
    CHECK_Q(root3, q, expect);
}

static void test_errors(void)
{
    char err[256] = "";
    struct td_index *idx = td_index_open(root1, NULL, err, sizeof err);
    CHECK(idx != NULL);
    CHECK_EQ(td_index_generations(idx), 1);
    struct td_index_query bad[5];
    bad[0] = qn(TD_IQ_RRSET, "x.net", 70000, NULL);
    bad[1] = qip("1.2.3.4", NULL, 33);
    bad[2] = qip("1.2.3.4", NULL, 0);
    bad[2].rrtype = 28;
    bad[3] = qn(TD_IQ_RDATA_NAME, "x.net", TD_INDEX_ANY, "net");
    bad[4] = qn(TD_IQ_RRSET, "x.net", 1, NULL);
    bad[4].kind = (enum td_index_qkind)99;
    for (int i = 0; i < 5; i++) {
        err[0] = 0;
        struct td_index_iter *it = td_index_query_start(idx, &bad[i], err, sizeof err);
        if (it || !err[0])
            TT_FAIL("bad query %d accepted", i);
        td_index_query_end(&it);
    }
    struct td_index_query q = qip("1.2.3.5", NULL, 0);
    q.ip_hi[3] = 4; /* lo > hi */
    CHECK(td_index_query_start(idx, &q, err, sizeof err) == NULL);
    td_index_close(&idx);
    CHECK(idx == NULL);
    /* FILESET listing a missing generation: refused; no FILESET: empty */
    char root[256];
    mkroot(root, sizeof root, "broken");
    struct td_fileset fs;
    struct td_fileset_gen g = { "h.2026010100.0", 'h', 1, 2 };
    CHECK_EQ(td_fileset_parse("tapdns-fileset 1\n", 17, &fs, err, sizeof err), 0);
    idx = td_index_open(root, NULL, err, sizeof err);
    CHECK(idx != NULL);
    CHECK_EQ(td_index_generations(idx), 0);
    q = qip("0.0.0.0", NULL, 1);
    char *got = run_q(root, &q, NULL);
    CHECK_STR(got, "");
    free(got);
    td_index_close(&idx);
    CHECK_EQ(td_fileset_put(&fs, &g, err, sizeof err), 0);
    CHECK_EQ(td_fileset_store(root, &fs, err, sizeof err), 0);
    td_fileset_free(&fs);
    err[0] = 0;
    idx = td_index_open(root, NULL, err, sizeof err);
    CHECK(idx == NULL);
    CHECK(strstr(err, "h.2026010100.0") != NULL);
}

/* ---------- property test ---------- */

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint32_t rnd(uint32_t n)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng % n);
}

static const char *pnames[] = { "example.com", "www.example.com", "a.example.com", "b.a.example.com",
                                "examples.com", "www.examples.com", "x.org", "mail.x.org", "org" };
#define NPN (sizeof pnames / sizeof pnames[0])
static const char *pips[] = { "10.0.0.1", "10.0.0.2", "10.0.1.1", "10.1.0.0", "192.0.2.7", "10.0.0.255" };
static const char *pip6[] = { "2001:db8::1", "2001:db8::2", "2001:db8:1::", "fe80::1" };
static const uint16_t ptypes[] = { 1, 28, 2, 5, 15, 43 };

/* One random observation of generation gen; MX texts go to txt. */
static void random_obs(struct tobs *o, unsigned gen, char txt[3][64])
{
    memset(o, 0, sizeof *o);
    o->owner = pnames[rnd(NPN)];
    o->type = ptypes[rnd(6)];
    o->bw = rnd(2) ? "com" : o->owner;
    unsigned nrd = 1 + rnd(2);
    for (unsigned r = 0; r < nrd; r++) {
        switch (o->type) {
        case 1: o->rd[r] = pips[rnd(6)]; break;
        case 28: o->rd[r] = pip6[rnd(4)]; break;
        case 15:
            snprintf(txt[r], 64, "%u %s", 10 * (1 + rnd(2)), pnames[rnd(NPN)]);
            o->rd[r] = txt[r];
            break;
        case 43: o->rd[r] = rnd(2) ? "#0001 08 02 00" : "#0002 08 02 11"; break;
        default: o->rd[r] = pnames[rnd(NPN)]; break;
        }
    }
    if (nrd == 2 && strcmp(o->rd[0], o->rd[1]) == 0)
        o->rd[1] = NULL;
    o->count = 1 + rnd(5);
    o->tf = gen * 1000 + rnd(1500);
    o->tl = o->tf + rnd(500);
}

static void test_property(void)
{
    enum { PER = 60, ROUNDS = 4, QUERIES = 150 };
    static struct tobs gens[3][PER], all[3 * PER];
    static char txt[3][PER][3][64];
    unsigned nonempty = 0, npruned = 0, merged = 0;
    for (int round = 0; round < ROUNDS; round++) {
        size_t na = 0;
        char r3[256], r1[256];
        mkroot(r3, sizeof r3, "p3");
        mkroot(r1, sizeof r1, "p1");
        for (unsigned g = 0; g < 3; g++)
            for (unsigned i = 0; i < PER; i++) {
                random_obs(&gens[g][i], g, txt[g][i]);
                all[na++] = gens[g][i];
            }
        char name[32];
        for (unsigned g = 0; g < 3; g++) {
            snprintf(name, sizeof name, "h.20260101%02u.0", g);
            if (build_gen(r3, name, gens[g], PER) != 0)
                return;
        }
        if (build_gen(r1, "d.20260101.0", all, na) != 0)
            return;
        for (int k = 0; k < QUERIES; k++) {
            struct td_index_query q;
            int kind = (int)rnd(4);
            static const int types[] = { TD_INDEX_ANY, TD_INDEX_ANY_DNSSEC, 1, 28, 2, 5, 15 };
            int t = types[rnd(7)];
            if (kind == 0)
                q = qn(TD_IQ_RRSET, pnames[rnd(NPN)], t, rnd(3) == 0 ? "com" : NULL);
            else if (kind == 1)
                q = qn(TD_IQ_RRSET_BELOW, pnames[rnd(NPN)], t, rnd(4) == 0 ? "com" : NULL);
            else if (kind == 2)
                q = qn(TD_IQ_RDATA_NAME, pnames[rnd(NPN)], t == TD_INDEX_ANY_DNSSEC ? TD_INDEX_ANY : t, NULL);
            else if (rnd(2))
                q = qip(pips[rnd(6)], NULL, 8 + rnd(25));
            else
                q = qip(pip6[rnd(4)], NULL, rnd(129));
            if (q.kind == TD_IQ_RDATA_IP && q.ip_prefix == 0)
                memcpy(q.ip_hi, q.ip_lo, q.ip_len);
            if (rnd(2)) {
                uint32_t *f[4] = { &q.time_first_before, &q.time_first_after, &q.time_last_before,
                                   &q.time_last_after };
                *f[rnd(4)] = 1 + rnd(4000);
                if (rnd(2))
                    *f[rnd(4)] = 1 + rnd(4000);
            }
            if (rnd(3) == 0) {
                q.offset = rnd(4);
                q.limit = rnd(5);
            }
            size_t g3 = 0;
            char *a = run_q(r3, &q, &g3);
            char *b = run_q(r1, &q, NULL);
            nonempty += a[0] != 0;
            npruned += g3 < 3;
            for (const char *c = a; (c = strstr(c, " c")) != NULL; c++)
                merged += c[2] > '5'; /* a count above any single observation's */
            if (strcmp(a, b) != 0 || strncmp(a, "ERR", 3) == 0) {
                TT_FAIL("round %d query %d kind %d type %d: 3 gens\n%s1 gen\n%s", round, k, kind, t, a, b);
                free(a);
                free(b);
                return;
            }
            free(a);
            free(b);
        }
    }
    /* the random queries are not vacuous: many have results, some prune, some merge */
    if (nonempty < ROUNDS * QUERIES / 4 || npruned < 20 || merged < 20)
        TT_FAIL("weak property run: %u non-empty, %u pruned, %u merged", nonempty, npruned, merged);
}

/* A generation whose times cannot pass the fences is not scanned (only probed to remove its
 * keys: www.example.com has tf 100 in the early generation, so time_first_after 201 must drop
 * it although the later generations alone would pass it), and results are those of the
 * unpruned single generation. */
static void test_pruning(void)
{
    char r3[256], r1[256];
    mkroot(r3, sizeof r3, "prune3");
    mkroot(r1, sizeof r1, "prune1");
    struct tobs early[] = { { "www.example.com", 1, "example.com", { "1.2.3.4" }, 2, 100, 200 },
                            { "old.example.com", 1, "example.com", { "1.2.3.9" }, 1, 150, 190 } };
    struct tobs mid[] = { { "www.example.com", 1, "example.com", { "1.2.3.4" }, 3, 1000, 1100 } };
    struct tobs late[] = { { "www.example.com", 1, "example.com", { "1.2.3.4" }, 4, 5000, 6000 },
                           { "new.example.com", 1, "example.com", { "1.2.3.8" }, 1, 5500, 5600 } };
    struct tobs all[5] = { early[0], early[1], mid[0], late[0], late[1] };
    build_gen(r3, "h.2026010100.0", early, 2);
    build_gen(r3, "h.2026010101.0", mid, 1);
    build_gen(r3, "h.2026010102.0", late, 2);
    build_gen(r1, "d.20260101.0", all, 5);
    struct {
        uint32_t fa, lb;
        size_t gens;
        const char *expect;
    } t[] = {
        { 0, 0, 3, "www.example.com. 1 - 1.2.3.4 c9 100-6000\n" "new.example.com. 1 - 1.2.3.8 c1 5500-5600\n" "old.example.com. 1 - 1.2.3.9 c1 150-190\n" },
        { 201, 0, 2, "new.example.com. 1 - 1.2.3.8 c1 5500-5600\n" }, /* early pruned */
        { 200, 0, 3, "new.example.com. 1 - 1.2.3.8 c1 5500-5600\n" },
        { 1101, 0, 1, "new.example.com. 1 - 1.2.3.8 c1 5500-5600\n" },
        { 0, 999, 1, "old.example.com. 1 - 1.2.3.9 c1 150-190\n" }, /* mid and late pruned */
        { 0, 4999, 2, "old.example.com. 1 - 1.2.3.9 c1 150-190\n" },
        { 0, 6000, 3, "www.example.com. 1 - 1.2.3.4 c9 100-6000\n" "new.example.com. 1 - 1.2.3.8 c1 5500-5600\n" "old.example.com. 1 - 1.2.3.9 c1 150-190\n" },
        { 6001, 0, 0, "" },
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        struct td_index_query q = qip("1.2.3.0", NULL, 24);
        q.time_first_after = t[i].fa;
        q.time_last_before = t[i].lb;
        size_t g3 = 99, g1 = 99;
        char *a = run_q(r3, &q, &g3);
        char *b = run_q(r1, &q, &g1);
        if (strcmp(a, b) != 0 || strcmp(a, t[i].expect) != 0)
            TT_FAIL("prune case %zu: 3 gens\n%s1 gen\n%sexpected\n%s", i, a, b, t[i].expect);
        if (g3 != t[i].gens)
            TT_FAIL("prune case %zu: %zu generations read, expected %zu", i, g3, t[i].gens);
        free(a);
        free(b);
    }
    /* the exact expected texts, in key order (rdata first) */
    struct td_index_query q = qip("1.2.3.0", NULL, 24);
    CHECK_Q(r3, q,
            "www.example.com. 1 - 1.2.3.4 c9 100-6000\n"
            "new.example.com. 1 - 1.2.3.8 c1 5500-5600\n"
            "old.example.com. 1 - 1.2.3.9 c1 150-190\n");
}

/* td_index_reopen: a handle keeps answering while FILESET changes under it; td_index_open of
 * a set sharing generations with an open handle opens again (nothing is locked: tapdns-query
 * next to tapdns-queryd), reopen shares them;
 * each handle answers for its own set; closing in any order leaves the others working. */
static void test_reopen(void)
{
    char root[256], err[256] = "";
    mkroot(root, sizeof root, "reopen");
    static const struct tobs a[] = { { "www.example.com", 1, "example.com", { "1.2.3.4" }, 2, 100, 200 } };
    static const struct tobs b[] = { { "www.example.com", 1, "example.com", { "1.2.3.4" }, 3, 50, 300 } };
    if (build_gen(root, "h.2024010100.0", a, 1) != 0)
        return;
    struct td_index *i1 = td_index_open(root, NULL, err, sizeof err);
    CHECK(i1 != NULL);
    if (!i1 || build_gen(root, "h.2024010101.0", b, 1) != 0)
        return;
    struct td_index *second = td_index_open(root, NULL, err, sizeof err);
    CHECK(second != NULL && td_index_generations(second) == 2);
    if (second) {
        struct td_index_query q2 = qn(TD_IQ_RRSET, "www.example.com", 1, NULL);
        struct td_index_iter *it2 = td_index_query_start(second, &q2, err, sizeof err);
        struct td_index_result r2;
        CHECK(it2 && td_index_next(it2, &r2) == 1 && r2.count == 5);
        td_index_query_end(&it2);
    }
    td_index_close(&second);
    struct td_index *i2 = td_index_reopen(i1, err, sizeof err);
    CHECK(i2 != NULL);
    if (!i2)
        return;
    CHECK_EQ(td_index_generations(i1), 1);
    CHECK_EQ(td_index_generations(i2), 2);
    struct td_index_query q = qn(TD_IQ_RRSET, "www.example.com", 1, NULL);
    struct td_index_iter *it = td_index_query_start(i1, &q, err, sizeof err);
    struct td_index_result r;
    CHECK(it && td_index_next(it, &r) == 1 && r.count == 2);
    td_index_query_end(&it);
    td_index_close(&i1); /* its last query ended: i2 keeps the shared generation open */
    it = td_index_query_start(i2, &q, err, sizeof err);
    CHECK(it && td_index_next(it, &r) == 1 && r.count == 5 && r.time_first == 50 && r.time_last == 300);
    td_index_query_end(&it);
    /* the first generation retired (a merge): the next handle has only the second one */
    struct td_fileset fs;
    CHECK_EQ(td_fileset_load(root, &fs, err, sizeof err), 0);
    CHECK_EQ(td_fileset_remove(&fs, "h.2024010100.0"), 1);
    CHECK_EQ(td_fileset_store(root, &fs, err, sizeof err), 0);
    td_fileset_free(&fs);
    struct td_index *i3 = td_index_reopen(i2, err, sizeof err);
    CHECK(i3 != NULL && td_index_generations(i3) == 1);
    td_index_close(&i2);
    it = i3 ? td_index_query_start(i3, &q, err, sizeof err) : NULL;
    CHECK(it && td_index_next(it, &r) == 1 && r.count == 3);
    td_index_query_end(&it);
    td_index_close(&i3);
    /* every generation closed: a plain open works again */
    struct td_index *i4 = td_index_open(root, NULL, err, sizeof err);
    CHECK(i4 != NULL && td_index_generations(i4) == 1);
    td_index_close(&i4);
}


int main(void)
{
    snprintf(ix_base, sizeof ix_base, "/tmp/test_index_read.%d", (int)getpid());
    build_fixed();
    TT_RUN(test_rrset);
    TT_RUN(test_rdata);
    TT_RUN(test_fences);
    TT_RUN(test_limit_offset);
    TT_RUN(test_errors);
    TT_RUN(test_property);
    TT_RUN(test_pruning);
    TT_RUN(test_reopen);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", ix_base);
    if (system(cmd) != 0)
        return 1;
    return tt_finish();
}
