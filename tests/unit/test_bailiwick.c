/* Tests for batch/bailiwick.c: response checks, the bailiwick algorithm on hand-made message
 * sequences (referral chains, glue in and out of bailiwick, parent and child copies, TTL
 * expiry, shared servers, CNAME chains, NXDOMAIN), poisoning attempts, root hints parsing,
 * state save/load and the memory bound.
 *
 * World (tests/data/bailiwick/test.hints): root servers a.root.test 10.0.0.1 / fd00::1 and
 * b.root.test 10.0.0.2. Each scenario builds its own responses: a list of records -> a DNS
 * message (for td_bw_check_response) and the RRsets (built by hand, or through
 * td_rrsets_from_message when g_via_wire is set). */
#include "bailiwick.h"
#include "byteorder.h"
#include "rrset.h"
#include "tt.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define HINTS "tests/data/bailiwick/test.hints"
#define T_A 1
#define T_NS 2
#define T_CNAME 5
#define T_SOA 6
#define T_AAAA 28

enum { AN = 1, NS_ = 2, AR = 3 }; /* sections */

struct rr {
    int sec;
    const char *owner;
    uint16_t type;
    uint32_t ttl;
    const char *data;
    uint16_t rclass; /* 0 = IN */
};

static int g_via_wire;
static char tmpdir[64];
static struct td_rrset_buf g_buf;
static struct td_bw_verdict g_v[TD_RRSET_MAX];

/* ---- builders --------------------------------------------------------------------------- */

static size_t name_wire(const char *text, uint8_t *out)
{
    int n = td_dns_name_from_text(text, out, TD_DNS_NAME_MAX);
    if (n < 0) {
        TT_FAIL("bad test name %s", text);
        return 0;
    }
    return (size_t)n;
}

/* rdata in canonical (uncompressed, as written) form */
static size_t rdata_wire(const struct rr *r, uint8_t *out)
{
    switch (r->type) {
    case T_A:
        if (inet_pton(AF_INET, r->data, out) != 1)
            TT_FAIL("bad A %s", r->data);
        return 4;
    case T_AAAA:
        if (inet_pton(AF_INET6, r->data, out) != 1)
            TT_FAIL("bad AAAA %s", r->data);
        return 16;
    case T_SOA: {
        char m[256], rn[256];
        unsigned v[5];
        if (sscanf(r->data, "%255s %255s %u %u %u %u %u", m, rn, &v[0], &v[1], &v[2], &v[3], &v[4]) != 7) {
            TT_FAIL("bad SOA %s", r->data);
            return 0;
        }
        size_t n = name_wire(m, out);
        n += name_wire(rn, out + n);
        for (int i = 0; i < 5; i++, n += 4)
            td_put_be32(out + n, v[i]);
        return n;
    }
    default:
        return name_wire(r->data, out);
    }
}

/* DNS message: header, one question, the records (no compression). */
static size_t build_msg(uint8_t *out, uint16_t id, uint16_t flags, const char *qname, uint16_t qtype,
                        uint16_t qclass, const struct rr *rrs, int n)
{
    uint16_t cnt[4] = { 1, 0, 0, 0 };
    for (int i = 0; i < n; i++)
        cnt[rrs[i].sec]++;
    td_put_be16(out, id);
    td_put_be16(out + 2, flags);
    for (int s = 0; s < 4; s++)
        td_put_be16(out + 4 + 2 * s, cnt[s]);
    size_t len = 12;
    len += name_wire(qname, out + len);
    td_put_be16(out + len, qtype);
    td_put_be16(out + len + 2, qclass);
    len += 4;
    for (int sec = AN; sec <= AR; sec++)
        for (int i = 0; i < n; i++) {
            if (rrs[i].sec != sec)
                continue;
            len += name_wire(rrs[i].owner, out + len);
            td_put_be16(out + len, rrs[i].type);
            td_put_be16(out + len + 2, rrs[i].rclass ? rrs[i].rclass : 1);
            td_put_be32(out + len + 4, rrs[i].ttl);
            size_t rl = rdata_wire(&rrs[i], out + len + 10);
            td_put_be16(out + len + 8, (uint16_t)rl);
            len += 10 + rl;
        }
    return len;
}

/* RRsets by hand: (section, owner, type, class) groups in order of first appearance over
 * the message order (answer, authority, additional); owner and rdata names lowercased. */
static void build_sets(const struct rr *rrs, int n, struct td_rrset_buf *b)
{
    b->nsets = b->nrdata = 0;
    b->arena_len = 0;
    for (int sec = AN; sec <= AR; sec++)
        for (int i = 0; i < n; i++) {
            const struct rr *r = &rrs[i];
            if (r->sec != sec)
                continue;
            uint8_t owner[TD_DNS_NAME_MAX];
            size_t ol = name_wire(r->owner, owner);
            td_dns_name_lower(owner, ol);
            uint16_t rc = r->rclass ? r->rclass : 1;
            struct td_rrset *s = NULL;
            for (uint16_t k = 0; k < b->nsets; k++) {
                struct td_rrset *t = &b->sets[k];
                if (t->section == sec && t->type == r->type && t->rclass == rc &&
                    t->owner_len == ol && !memcmp(t->owner, owner, ol))
                    s = t;
            }
            if (s && s->first + s->count != b->nrdata) {
                TT_FAIL("test builder: records of one set must be adjacent");
                return;
            }
            if (!s) {
                s = &b->sets[b->nsets++];
                memset(s, 0, sizeof *s);
                memcpy(s->owner, owner, ol);
                s->owner_len = (uint16_t)ol;
                s->type = r->type;
                s->rclass = rc;
                s->ttl = r->ttl;
                s->section = (uint8_t)sec;
                s->first = b->nrdata;
            }
            uint8_t *rd = b->arena + b->arena_len;
            size_t rl = rdata_wire(r, rd);
            if (r->type == T_NS || r->type == T_CNAME)
                td_dns_name_lower(rd, rl);
            b->rdata[b->nrdata].off = b->arena_len;
            b->rdata[b->nrdata].len = (uint16_t)rl;
            b->nrdata++;
            b->arena_len += (uint32_t)rl;
            s->count++;
            if (r->ttl < s->ttl)
                s->ttl = r->ttl;
        }
}

static void set_addr(struct td_record *rec, const char *server)
{
    memset(rec->server_ip, 0, 16);
    if (strchr(server, ':')) {
        rec->ip_version = 6;
        inet_pton(AF_INET6, server, rec->server_ip);
    } else {
        rec->ip_version = 4;
        inet_pton(AF_INET, server, rec->server_ip);
    }
}

static uint8_t g_msg[65536], g_query[512];

/* A matched response from `server` at time t to (qname, qtype) carrying rrs (rcode in
 * flags): checks the response, builds the RRsets, verifies. Verdicts in g_v. */
static void respond_rc(struct td_bw *b, const char *server, uint64_t t, const char *qname,
                       uint16_t qtype, uint16_t rcode, const struct rr *rrs, int n)
{
    struct td_record rec;
    memset(&rec, 0, sizeof rec);
    rec.type = TD_REC_MATCHED;
    rec.cksum = TD_CKSUM_CORRECT;
    rec.proto = 17;
    set_addr(&rec, server);
    rec.server_port = 53;
    rec.response_len = (uint32_t)build_msg(g_msg, 0x1234, 0x8400 | rcode, qname, qtype, 1, rrs, n);
    rec.response = g_msg;
    rec.query_len = (uint32_t)build_msg(g_query, 0x1234, 0x0000, qname, qtype, 1, NULL, 0);
    rec.query = g_query;
    rec.response_ts_ns = t * 1000000000ull;
    CHECK_EQ(td_bw_check_response(b, &rec), TD_DR_NONE);
    if (g_via_wire) {
        enum td_dns_res derr = TD_DNS_OK;
        CHECK_EQ(td_rrsets_from_message(rec.response, rec.response_len, &g_buf, &derr), TD_RRSET_OK);
        static struct td_rrset_buf hand;
        build_sets(rrs, n, &hand);
        CHECK_EQ(g_buf.nsets, hand.nsets);
        for (uint16_t k = 0; k < hand.nsets && k < g_buf.nsets; k++) {
            CHECK_EQ(g_buf.sets[k].type, hand.sets[k].type);
            CHECK_EQ(g_buf.sets[k].count, hand.sets[k].count);
            CHECK(g_buf.sets[k].owner_len == hand.sets[k].owner_len &&
                  !memcmp(g_buf.sets[k].owner, hand.sets[k].owner, hand.sets[k].owner_len));
        }
    } else {
        build_sets(rrs, n, &g_buf);
    }
    memset(g_v, 0xee, sizeof g_v);
    td_bw_verify(b, &rec, &g_buf, g_v, t);
}

static void respond(struct td_bw *b, const char *server, uint64_t t, const char *qname,
                    uint16_t qtype, const struct rr *rrs, int n)
{
    respond_rc(b, server, t, qname, qtype, 0, rrs, n);
}

/* verdict k as text: the zone ("com.") or "!reason" */
static const char *vs(int k)
{
    static char s[8][300];
    static int slot;
    char *o = s[slot++ & 7];
    const struct td_bw_verdict *v = &g_v[k];
    if (k >= g_buf.nsets)
        snprintf(o, 300, "!no-such-set");
    else if (v->accepted) {
        if (td_dns_name_to_text(v->zone, v->zone_len, o, 300) < 0)
            snprintf(o, 300, "!bad-zone");
    } else
        snprintf(o, 300, "!%s", td_discard_reason_str(v->reason));
    return o;
}

static struct td_bw *new_bw(size_t max_entries)
{
    struct td_bw_opts o = { max_entries, 0 };
    struct td_bw *b = td_bw_init(&o);
    char err[256] = "";
    CHECK(b != NULL);
    if (b && td_bw_load_root_hints(b, HINTS, err, sizeof err) != 0)
        TT_FAIL("hints: %s", err);
    return b;
}

/* ---- shared scenario steps -------------------------------------------------------------- */

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* root 10.0.0.1 refers to com (a.gtld.test 10.0.1.1, ttl) */
static void root_refers_com(struct td_bw *b, uint64_t t, uint32_t ttl)
{
    const struct rr r[] = {
        { NS_, "com.", T_NS, ttl, "a.gtld.test.", 0 },
        { AR, "a.gtld.test.", T_A, ttl, "10.0.1.1", 0 },
    };
    respond(b, "10.0.0.1", t, "www.example.com.", T_A, r, N(r));
    CHECK_STR(vs(0), ".");
    CHECK_STR(vs(1), ".");
}

/* com 10.0.1.1 refers to example.com (ns1.example.com 10.0.2.1 in bailiwick; ns.other.net
 * 10.0.9.9 out of bailiwick) */
static void com_refers_example(struct td_bw *b, uint64_t t)
{
    const struct rr r[] = {
        { NS_, "example.com.", T_NS, 172800, "ns1.example.com.", 0 },
        { NS_, "example.com.", T_NS, 172800, "ns.other.net.", 0 },
        { AR, "ns1.example.com.", T_A, 172800, "10.0.2.1", 0 },
        { AR, "ns.other.net.", T_A, 172800, "10.0.9.9", 0 },
    };
    respond(b, "10.0.1.1", t, "www.example.com.", T_A, r, N(r));
    CHECK_EQ(g_buf.nsets, 3);
    CHECK_STR(vs(0), "com.");
    CHECK_STR(vs(1), "com.");
    CHECK_STR(vs(2), "!out-of-bailiwick");
}

/* ---- tests: the algorithm ---------------------------------------------------------------- */

static void referral_chain(void)
{
    struct td_bw *b = new_bw(0);
    if (!b)
        return;
    root_refers_com(b, 1000, 172800);
    com_refers_example(b, 1001);
    const struct rr r[] = {
        { AN, "www.example.com.", T_A, 300, "10.0.3.3", 0 },
        { NS_, "example.com.", T_NS, 3600, "ns1.example.com.", 0 },
        { AR, "ns1.example.com.", T_A, 3600, "10.0.2.1", 0 },
    };
    respond(b, "10.0.2.1", 1002, "www.example.com.", T_A, r, N(r));
    CHECK_STR(vs(0), "example.com.");
    CHECK_STR(vs(1), "example.com.");
    CHECK_STR(vs(2), "example.com.");
    /* the root server still answers for com. (root bailiwick), not for example.com data */
    const struct rr r2[] = { { AN, "www.example.com.", T_A, 300, "10.6.6.6", 0 } };
    respond(b, "10.0.0.1", 1003, "www.example.com.", T_A, r2, N(r2));
    CHECK_STR(vs(0), ".");
    /* the com server answering www.example.com itself: below a known cut, kept with com */
    respond(b, "10.0.1.1", 1003, "www.example.com.", T_A, r2, N(r2));
    CHECK_STR(vs(0), "com.");
    /* the rejected glue's address serves nothing */
    respond(b, "10.0.9.9", 1004, "www.example.com.", T_A, r2, N(r2));
    CHECK_STR(vs(0), "!out-of-bailiwick");
    const struct td_bw_stats *st = td_bw_stats(b);
    CHECK_EQ(st->responses, 6);
    CHECK_EQ(st->rrsets_out_of_bailiwick, 2);
    CHECK_EQ(st->rrsets_accepted, 9);
    td_bw_destroy(&b);
    CHECK(b == NULL);
}

static void referral_chain_via_wire(void)
{
    g_via_wire = 1;
    referral_chain();
    g_via_wire = 0;
}

static void parent_and_child_copies(void)
{
    struct td_bw *b = new_bw(0);
    if (!b)
        return;
    root_refers_com(b, 1000, 172800);
    com_refers_example(b, 1001);
    uint8_t parent[TD_DNS_NAME_MAX], child[TD_DNS_NAME_MAX];
    uint16_t pl = g_v[0].zone_len;
    memcpy(parent, g_v[0].zone, pl);
    const struct rr r[] = {
        { AN, "example.com.", T_NS, 3600, "ns1.example.com.", 0 },
        { AN, "example.com.", T_NS, 3600, "ns.other.net.", 0 },
    };
    respond(b, "10.0.2.1", 1002, "example.com.", T_NS, r, N(r));
    CHECK_STR(vs(0), "example.com.");
    uint16_t cl = g_v[0].zone_len;
    memcpy(child, g_v[0].zone, cl);
    CHECK_EQ(pl, 5);
    CHECK_EQ(cl, 13);
    CHECK(memcmp(parent, "\3com\0", 5) == 0);
    CHECK(memcmp(child, "\7example\3com\0", 13) == 0);
    /* the parent copy is still accepted with com. afterwards */
    com_refers_example(b, 1003);
    td_bw_destroy(&b);
}

static void ttl_expiry(void)
{
    struct td_bw *b = new_bw(0);
    if (!b)
        return;
    root_refers_com(b, 1000, 10);
    const struct rr r[] = { { AN, "www.example.com.", T_A, 300, "10.0.3.3", 0 } };
    respond(b, "10.0.1.1", 1009, "www.example.com.", T_A, r, N(r));
    CHECK_STR(vs(0), "com.");
    respond(b, "10.0.1.1", 1010, "www.example.com.", T_A, r, N(r));
    CHECK_STR(vs(0), "!out-of-bailiwick"); /* live while t < seen + TTL */
    respond(b, "10.0.1.1", 1011, "www.example.com.", T_A, r, N(r));
    CHECK_STR(vs(0), "!out-of-bailiwick");
    CHECK_EQ(td_bw_stats(b)->facts_expired, 3); /* NS, ADDR, LIVE */
    CHECK_EQ(td_bw_stats(b)->facts, 8); /* the hints; www.example.com names no server: not kept */
    /* relearned: accepted again; a refresh extends the expiry */
    root_refers_com(b, 2000, 10);
    root_refers_com(b, 2005, 10);
    respond(b, "10.0.1.1", 2014, "www.example.com.", T_A, r, N(r));
    CHECK_STR(vs(0), "com.");
    respond(b, "10.0.1.1", 2015, "www.example.com.", T_A, r, N(r));
    CHECK_STR(vs(0), "!out-of-bailiwick");
    /* max_ttl caps a long TTL */
    td_bw_destroy(&b);
    struct td_bw_opts o = { 0, 60 };
    b = td_bw_init(&o);
    char err[200];
    CHECK_EQ(td_bw_load_root_hints(b, HINTS, err, sizeof err), 0);
    root_refers_com(b, 1000, 604800);
    respond(b, "10.0.1.1", 1059, "www.example.com.", T_A, r, N(r));
    CHECK_STR(vs(0), "com.");
    respond(b, "10.0.1.1", 1060, "www.example.com.", T_A, r, N(r));
    CHECK_STR(vs(0), "!out-of-bailiwick");
    td_bw_destroy(&b);
}

static void server_with_two_zones(void)
{
    struct td_bw *b = new_bw(0);
    if (!b)
        return;
    root_refers_com(b, 1000, 172800);
    const struct rr net[] = {
        { NS_, "net.", T_NS, 172800, "a.gtld.test.", 0 },
        { AR, "a.gtld.test.", T_A, 172800, "10.0.1.1", 0 },
    };
    respond(b, "10.0.0.2", 1001, "www.other.net.", T_A, net, N(net));
    CHECK_STR(vs(0), ".");
    CHECK_STR(vs(1), ".");
    /* 10.0.1.1 now serves com and net: glue for ns.other.net is net data */
    const struct rr r[] = {
        { NS_, "example.com.", T_NS, 172800, "ns.other.net.", 0 },
        { AR, "ns.other.net.", T_A, 172800, "10.0.9.9", 0 },
        { AR, "ns.example.org.", T_A, 172800, "10.0.9.8", 0 },
    };
    respond(b, "10.0.1.1", 1002, "www.example.com.", T_A, r, N(r));
    CHECK_STR(vs(0), "com.");
    CHECK_STR(vs(1), "net.");
    CHECK_STR(vs(2), "!out-of-bailiwick");
    /* out-of-zone NS host whose address came from net's servers serves example.com */
    const struct rr w[] = { { AN, "www.example.com.", T_A, 300, "10.0.3.3", 0 } };
    respond(b, "10.0.9.9", 1003, "www.example.com.", T_A, w, N(w));
    CHECK_STR(vs(0), "example.com.");
    /* but not other.net */
    const struct rr o[] = { { AN, "www.other.net.", T_A, 300, "10.0.3.4", 0 } };
    respond(b, "10.0.9.9", 1003, "www.other.net.", T_A, o, N(o));
    CHECK_STR(vs(0), "!out-of-bailiwick");
    /* IPv6: the root's AAAA address serves the root; same bytes under IPv4 do not */
    respond(b, "fd00::1", 1004, "www.example.com.", T_A, w, N(w));
    CHECK_STR(vs(0), ".");
    respond(b, "253.0.0.0", 1004, "www.example.com.", T_A, w, N(w));
    CHECK_STR(vs(0), "!out-of-bailiwick");
    td_bw_destroy(&b);
}

/* root -> example. TLD (tld.test 10.0.1.2) -> a.example (10.0.4.1), b.example (10.0.5.1) */
static void setup_example_tld(struct td_bw *b, int b_also_on_a)
{
    const struct rr r[] = {
        { NS_, "example.", T_NS, 172800, "ns.tld.test.", 0 },
        { AR, "ns.tld.test.", T_A, 172800, "10.0.1.2", 0 },
    };
    respond(b, "10.0.0.1", 1000, "www.a.example.", T_A, r, N(r));
    const struct rr ra[] = {
        { NS_, "a.example.", T_NS, 86400, "ns.a.example.", 0 },
        { AR, "ns.a.example.", T_A, 86400, "10.0.4.1", 0 },
    };
    respond(b, "10.0.1.2", 1001, "www.a.example.", T_A, ra, N(ra));
    CHECK_STR(vs(0), "example.");
    CHECK_STR(vs(1), "example.");
    const struct rr rb[] = {
        { NS_, "b.example.", T_NS, 86400, "ns.b.example.", 0 },
        { NS_, "b.example.", T_NS, 86400, "ns.a.example.", 0 },
        { AR, "ns.b.example.", T_A, 86400, "10.0.5.1", 0 },
    };
    respond(b, "10.0.1.2", 1002, "www.b.example.", T_A, rb, b_also_on_a ? 3 : 1);
    if (!b_also_on_a) {
        const struct rr rb1[] = { rb[0], rb[2] };
        respond(b, "10.0.1.2", 1002, "www.b.example.", T_A, rb1, N(rb1));
    }
    CHECK_STR(vs(0), "example.");
}

static void cname_chain_across_zones(void)
{
    struct td_bw *b = new_bw(0);
    if (!b)
        return;
    setup_example_tld(b, 0);
    const struct rr r[] = {
        { AN, "www.a.example.", T_CNAME, 300, "www.b.example.", 0 },
        { AN, "www.b.example.", T_A, 300, "10.0.7.7", 0 },
    };
    respond(b, "10.0.4.1", 1003, "www.a.example.", T_A, r, N(r));
    CHECK_STR(vs(0), "a.example.");
    CHECK_STR(vs(1), "!out-of-bailiwick");
    /* b.example's own server gives the A its zone */
    respond(b, "10.0.5.1", 1003, "www.b.example.", T_A, r + 1, 1);
    CHECK_STR(vs(0), "b.example.");
    td_bw_destroy(&b);
    /* a server that also serves b.example: both accepted, each with its own zone */
    b = new_bw(0);
    setup_example_tld(b, 1);
    respond(b, "10.0.4.1", 1003, "www.a.example.", T_A, r, N(r));
    CHECK_STR(vs(0), "a.example.");
    CHECK_STR(vs(1), "b.example.");
    td_bw_destroy(&b);
}

static void nxdomain_with_soa(void)
{
    struct td_bw *b = new_bw(0);
    if (!b)
        return;
    root_refers_com(b, 1000, 172800);
    com_refers_example(b, 1001);
    const struct rr r[] = {
        { NS_, "example.com.", T_SOA, 300,
          "ns1.example.com. hostmaster.example.com. 2024010101 7200 3600 1209600 300", 0 },
    };
    respond_rc(b, "10.0.2.1", 1002, "nx.example.com.", T_A, 3, r, N(r));
    CHECK_STR(vs(0), "example.com.");
    /* the com servers' NXDOMAIN for a name below com */
    const struct rr c[] = {
        { NS_, "com.", T_SOA, 900, "a.gtld.test. nstld.test. 1 1800 900 604800 86400", 0 },
    };
    respond_rc(b, "10.0.1.1", 1003, "nx-example.com.", T_A, 3, c, N(c));
    CHECK_STR(vs(0), "com.");
    td_bw_destroy(&b);
}

static void class_and_case(void)
{
    struct td_bw *b = new_bw(0);
    if (!b)
        return;
    const struct rr r[] = {
        { NS_, "COM.", T_NS, 3600, "A.GTLD.Test.", 0 },
        { AR, "A.gTLD.test.", T_A, 3600, "10.0.1.1", 0 },
        { AR, "version.bind.", 16 /* TXT */, 0, "x.", 3 },
    };
    respond(b, "10.0.0.1", 1000, "www.example.com.", T_A, r, N(r));
    CHECK_STR(vs(0), ".");
    CHECK_STR(vs(1), ".");
    CHECK_STR(vs(2), "!class");
    const struct rr w[] = { { AN, "WWW.Example.COM.", T_A, 300, "10.0.3.3", 0 } };
    respond(b, "10.0.1.1", 1001, "www.example.com.", T_A, w, N(w));
    CHECK_STR(vs(0), "com.");
    td_bw_destroy(&b);
}

/* a host named by more zones than one glue record propagates to: the rest is found on lookup */
/* 3000 zones, each with its own server: ~9000 facts, so the buckets (1024 at start) double
 * several times while facts are live; every zone still verifies after the rehashes, and an
 * address outside them does not. */
static void many_zones_rehash(void)
{
    struct td_bw *b = new_bw(0);
    if (!b)
        return;
    root_refers_com(b, 1000, 172800);
    enum { NZ = 3000 };
    int ok = 0;
    for (int i = 0; i < NZ; i++) {
        char zone[32], ns[40], addr[32];
        snprintf(zone, sizeof zone, "r%d.com.", i);
        snprintf(ns, sizeof ns, "ns.r%d.com.", i);
        snprintf(addr, sizeof addr, "10.9.%d.%d", i / 250, i % 250 + 1);
        const struct rr r[] = { { NS_, zone, T_NS, 86400, ns, 0 }, { AR, ns, T_A, 86400, addr, 0 } };
        respond(b, "10.0.1.1", 1001, zone, T_NS, r, N(r));
        ok += strcmp(vs(0), "com.") == 0 && strcmp(vs(1), "com.") == 0;
    }
    CHECK_EQ(ok, NZ);
    CHECK(td_bw_stats(b)->facts > 3 * 1024);
    ok = 0;
    for (int i = 0; i < NZ; i++) {
        char zone[32], www[48], addr[32];
        snprintf(zone, sizeof zone, "r%d.com.", i);
        snprintf(www, sizeof www, "www.%s", zone);
        snprintf(addr, sizeof addr, "10.9.%d.%d", i / 250, i % 250 + 1);
        const struct rr w[] = { { AN, www, T_A, 300, "10.0.3.3", 0 } };
        respond(b, addr, 1002, www, T_A, w, N(w));
        ok += strcmp(vs(0), zone) == 0;
    }
    CHECK_EQ(ok, NZ);
    const struct rr x[] = { { AN, "www.r7.com.", T_A, 300, "10.0.3.3", 0 } };
    respond(b, "10.9.0.9", 1003, "www.r7.com.", T_A, x, N(x)); /* r8's server, not r7's */
    CHECK_STR(vs(0), "!out-of-bailiwick");
    td_bw_destroy(&b);
}

static void many_zones_one_host(void)
{
    struct td_bw *b = new_bw(0);
    if (!b)
        return;
    root_refers_com(b, 1000, 172800);
    char zone[100][32];
    for (int i = 0; i < 100; i++) {
        snprintf(zone[i], sizeof zone[i], "z%d.com.", i);
        const struct rr r[] = { { NS_, zone[i], T_NS, 86400, "ns.provider.net.", 0 } };
        respond(b, "10.0.1.1", 1001, zone[i], T_NS, r, N(r));
        CHECK_STR(vs(0), "com.");
    }
    const struct rr net[] = {
        { NS_, "net.", T_NS, 172800, "a.gtld.test.", 0 },
        { AR, "ns.provider.net.", T_A, 172800, "10.0.8.8", 0 },
    };
    respond(b, "10.0.0.1", 1002, "ns.provider.net.", T_A, net, N(net));
    CHECK_STR(vs(1), ".");
    int ok = 0;
    for (int i = 0; i < 100; i++) {
        char www[64];
        snprintf(www, sizeof www, "www.%.40s", zone[i]);
        const struct rr w[] = { { AN, www, T_A, 300, "10.0.3.3", 0 } };
        respond(b, "10.0.8.8", 1003, www, T_A, w, N(w));
        ok += strcmp(vs(0), zone[i]) == 0;
    }
    CHECK_EQ(ok, 100);
    td_bw_destroy(&b);
}

/* ---- tests: poisoning and forged responses ------------------------------------------------ */

static void poison_kashpureff(void)
{
    struct td_bw *b = new_bw(0);
    if (!b)
        return;
    setup_example_tld(b, 0);
    const struct rr e[] = {
        { NS_, "evil.example.", T_NS, 86400, "ns.evil.example.", 0 },
        { AR, "ns.evil.example.", T_A, 86400, "10.6.6.6", 0 },
    };
    respond(b, "10.0.1.2", 1003, "evil.example.", T_A, e, N(e));
    CHECK_STR(vs(0), "example.");
    uint64_t facts = td_bw_stats(b)->facts;
    const struct rr r[] = {
        { AN, "www.evil.example.", T_A, 300, "10.6.6.7", 0 },
        { NS_, "bank.example.", T_NS, 86400, "ns.evil.example.", 0 },
        { NS_, "example.", T_NS, 86400, "ns.evil.example.", 0 },
        { AR, "www.bank.example.", T_A, 86400, "10.6.6.8", 0 },
        { AR, "ns.tld.test.", T_A, 86400, "10.6.6.6", 0 },
    };
    respond(b, "10.6.6.6", 1004, "www.evil.example.", T_A, r, N(r));
    CHECK_STR(vs(0), "evil.example.");
    CHECK_STR(vs(1), "!out-of-bailiwick");
    CHECK_STR(vs(2), "!out-of-bailiwick");
    CHECK_STR(vs(3), "!out-of-bailiwick");
    CHECK_STR(vs(4), "!out-of-bailiwick");
    CHECK_EQ(td_bw_stats(b)->facts, facts); /* nothing: www.evil.example is no name server */
    /* the injection taught nothing: bank.example data from the attacker stays rejected */
    const struct rr w[] = { { AN, "www.bank.example.", T_A, 300, "10.6.6.8", 0 } };
    respond(b, "10.6.6.6", 1005, "www.bank.example.", T_A, w, N(w));
    CHECK_STR(vs(0), "!out-of-bailiwick");
    td_bw_destroy(&b);
}

static void poison_kashpureff_via_wire(void)
{
    g_via_wire = 1;
    poison_kashpureff();
    g_via_wire = 0;
}

static void poison_kaminsky(void)
{
    struct td_bw *b = new_bw(0);
    if (!b)
        return;
    setup_example_tld(b, 0);
    uint64_t facts = td_bw_stats(b)->facts;
    /* an off-path responder (not known for example.) sends a referral for victim.example */
    const struct rr r[] = {
        { NS_, "victim.example.", T_NS, 86400, "ns.victim.example.", 0 },
        { AR, "ns.victim.example.", T_A, 86400, "10.6.6.6", 0 },
    };
    respond(b, "10.6.6.6", 1003, "r1234.victim.example.", T_A, r, N(r));
    CHECK_STR(vs(0), "!out-of-bailiwick");
    CHECK_STR(vs(1), "!out-of-bailiwick");
    CHECK_EQ(td_bw_stats(b)->facts, facts);
    const struct rr w[] = { { AN, "www.victim.example.", T_A, 300, "10.6.6.9", 0 } };
    respond(b, "10.6.6.6", 1004, "www.victim.example.", T_A, w, N(w));
    CHECK_STR(vs(0), "!out-of-bailiwick");
    /* a server of a sibling zone (a.example) cannot refer for victim.example either */
    respond(b, "10.0.4.1", 1005, "r99.victim.example.", T_A, r, N(r));
    CHECK_STR(vs(0), "!out-of-bailiwick");
    CHECK_STR(vs(1), "!out-of-bailiwick");
    respond(b, "10.6.6.6", 1006, "www.victim.example.", T_A, w, N(w));
    CHECK_STR(vs(0), "!out-of-bailiwick");
    /* a genuine referral from the example. servers is accepted */
    respond(b, "10.0.1.2", 1007, "www.victim.example.", T_A, r, N(r));
    CHECK_STR(vs(0), "example.");
    td_bw_destroy(&b);
}

struct rcase {
    const char *name;
    uint8_t type, cksum;
    int resp_len_cut;             /* >0: response cut to this many octets; -1: no response */
    int no_query;
    uint16_t qid, rid, qflags, rflags;
    const char *qname, *rname;
    uint16_t qtype, rtype, qclass, rclass;
    enum td_discard_reason want;
};

static const struct rcase rcases[] = {
    { "good", 1, 3, 0, 0, 7, 7, 0x0100, 0x8180, "www.example.com.", "www.example.com.", 1, 1, 1, 1, TD_DR_NONE },
    { "nxdomain", 1, 3, 0, 0, 7, 7, 0x0100, 0x8183, "nx.example.com.", "nx.example.com.", 1, 1, 1, 1, TD_DR_NONE },
    { "0x20 case", 1, 3, 0, 0, 7, 7, 0, 0x8400, "wWw.ExAmple.com.", "WwW.eXample.COM.", 1, 1, 1, 1, TD_DR_NONE },
    { "cksum absent", 1, 1, 0, 0, 7, 7, 0, 0x8400, "a.", "a.", 1, 1, 1, 1, TD_DR_NONE },
    { "cksum unknown", 1, 4, 0, 0, 7, 7, 0, 0x8400, "a.", "a.", 1, 1, 1, 1, TD_DR_NONE },
    { "tcp", 1, 0, 0, 0, 7, 7, 0, 0x8400, "a.", "a.", 1, 1, 1, 1, TD_DR_NONE },
    { "no query kept", 1, 3, 0, 1, 7, 9, 0, 0x8400, "a.", "b.", 1, 2, 1, 1, TD_DR_NONE },
    { "unsolicited", 2, 3, 0, 1, 7, 7, 0, 0x8400, "a.", "a.", 1, 1, 1, 1, TD_DR_UNSOLICITED },
    { "unanswered", 3, 3, -1, 0, 7, 7, 0, 0x8400, "a.", "a.", 1, 1, 1, 1, TD_DR_UNSOLICITED },
    { "unsolicited bad cksum", 2, 2, 0, 1, 7, 7, 0, 0x8400, "a.", "a.", 1, 1, 1, 1, TD_DR_UNSOLICITED },
    { "bad cksum", 1, 2, 0, 0, 7, 7, 0, 0x8400, "a.", "a.", 1, 1, 1, 1, TD_DR_CHECKSUM },
    { "bad cksum and TC", 1, 2, 0, 0, 7, 7, 0, 0x8600, "a.", "a.", 1, 1, 1, 1, TD_DR_CHECKSUM },
    { "short header", 1, 3, 11, 0, 7, 7, 0, 0x8400, "a.", "a.", 1, 1, 1, 1, TD_DR_MALFORMED },
    { "question cut", 1, 3, 16, 0, 7, 7, 0, 0x8400, "abc.", "abc.", 1, 1, 1, 1, TD_DR_MALFORMED },
    { "no response", 1, 3, -1, 0, 7, 7, 0, 0x8400, "a.", "a.", 1, 1, 1, 1, TD_DR_MALFORMED },
    { "TC", 1, 3, 0, 0, 7, 7, 0, 0x8600, "a.", "a.", 1, 1, 1, 1, TD_DR_TRUNCATED },
    { "TC and mismatch", 1, 3, 0, 0, 7, 8, 0, 0x8600, "a.", "a.", 1, 1, 1, 1, TD_DR_TRUNCATED },
    { "QR=0", 1, 3, 0, 0, 7, 7, 0, 0x0400, "a.", "a.", 1, 1, 1, 1, TD_DR_MISMATCH },
    { "opcode NOTIFY", 1, 3, 0, 0, 7, 7, 0x2000, 0xa400, "a.", "a.", 1, 1, 1, 1, TD_DR_MISMATCH },
    { "id differs", 1, 3, 0, 0, 7, 8, 0, 0x8400, "a.", "a.", 1, 1, 1, 1, TD_DR_MISMATCH },
    { "qname differs", 1, 3, 0, 0, 7, 7, 0, 0x8400, "www.example.com.", "www.example.org.", 1, 1, 1, 1, TD_DR_MISMATCH },
    { "qname longer", 1, 3, 0, 0, 7, 7, 0, 0x8400, "example.com.", "www.example.com.", 1, 1, 1, 1, TD_DR_MISMATCH },
    { "qtype differs", 1, 3, 0, 0, 7, 7, 0, 0x8400, "a.", "a.", 1, 28, 1, 1, TD_DR_MISMATCH },
    { "qclass differs", 1, 3, 0, 0, 7, 7, 0, 0x8400, "a.", "a.", 1, 1, 1, 3, TD_DR_MISMATCH },
    { "mismatch and SERVFAIL", 1, 3, 0, 0, 7, 8, 0, 0x8402, "a.", "a.", 1, 1, 1, 1, TD_DR_MISMATCH },
    { "SERVFAIL", 1, 3, 0, 0, 7, 7, 0, 0x8182, "a.", "a.", 1, 1, 1, 1, TD_DR_RCODE },
    { "FORMERR", 1, 3, 0, 0, 7, 7, 0, 0x8181, "a.", "a.", 1, 1, 1, 1, TD_DR_RCODE },
    { "REFUSED", 1, 3, 0, 0, 7, 7, 0, 0x8185, "a.", "a.", 1, 1, 1, 1, TD_DR_RCODE },
    { "NOTIMP", 1, 3, 0, 0, 7, 7, 0, 0x8184, "a.", "a.", 1, 1, 1, 1, TD_DR_RCODE },
    { "REFUSED in CH", 1, 3, 0, 0, 7, 7, 0, 0x8185, "a.", "a.", 16, 16, 3, 3, TD_DR_RCODE },
    { "class CH", 1, 3, 0, 0, 7, 7, 0, 0x8400, "version.bind.", "version.bind.", 16, 16, 3, 3, TD_DR_CLASS },
};

static void response_checks(void)
{
    struct td_bw *b = new_bw(0);
    if (!b)
        return;
    uint64_t counts[TD_DR__COUNT] = { 0 };
    for (size_t i = 0; i < sizeof rcases / sizeof rcases[0]; i++) {
        const struct rcase *c = &rcases[i];
        struct td_record rec;
        memset(&rec, 0, sizeof rec);
        rec.type = c->type;
        rec.cksum = c->cksum;
        set_addr(&rec, "10.0.0.1"); /* a real (root) server's address */
        uint8_t q[512], r[512];
        const struct rr ans[] = { { AN, c->rname, 1, 300, "10.6.6.6", c->rclass } };
        rec.response_len = (uint32_t)build_msg(r, c->rid, c->rflags, c->rname, c->rtype, c->rclass, ans, 1);
        rec.response = c->resp_len_cut < 0 ? NULL : r;
        if (c->resp_len_cut > 0)
            rec.response_len = (uint32_t)c->resp_len_cut;
        if (!c->no_query) {
            rec.query_len = (uint32_t)build_msg(q, c->qid, c->qflags, c->qname, c->qtype, c->qclass, NULL, 0);
            rec.query = q;
        }
        enum td_discard_reason got = td_bw_check_response(b, &rec);
        if (got != c->want)
            TT_FAIL("case \"%s\": %s, expected %s", c->name, td_discard_reason_str(got),
                    td_discard_reason_str(c->want));
        counts[c->want]++;
    }
    const struct td_bw_stats *st = td_bw_stats(b);
    CHECK_EQ(st->responses, sizeof rcases / sizeof rcases[0]);
    for (int r = 1; r < TD_DR__COUNT; r++)
        if (st->rejected[r] != counts[r])
            TT_FAIL("rejected[%s] == %llu, expected %llu", td_discard_reason_str(r),
                    (unsigned long long)st->rejected[r], (unsigned long long)counts[r]);
    CHECK_EQ(st->rejected[TD_DR_NONE], 0);
    CHECK_EQ(st->facts_learned, 0);
    td_bw_destroy(&b);
}

/* ---- tests: hints, persistence, memory --------------------------------------------------- */

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        TT_FAIL("cannot write %s", path);
        return;
    }
    fputs(text, f);
    fclose(f);
}

static void root_hints(void)
{
    char err[512];
    struct td_bw *b = td_bw_init(NULL);
    if (!b)
        return;
    /* Debian's file, when installed */
    if (access("/usr/share/dns/root.hints", R_OK) == 0) {
        CHECK_EQ(td_bw_load_root_hints(b, "/usr/share/dns/root.hints", err, sizeof err), 0);
        CHECK_EQ(td_bw_stats(b)->facts, 13 + 26 + 26);
        const struct rr r[] = { { NS_, "com.", T_NS, 172800, "a.gtld-servers.net.", 0 } };
        respond(b, "198.41.0.4", 1000, "com.", T_NS, r, N(r));
        CHECK_STR(vs(0), ".");
        respond(b, "2001:500:2d::d", 1000, "com.", T_NS, r, N(r));
        CHECK_STR(vs(0), ".");
        respond(b, "198.41.0.5", 1000, "com.", T_NS, r, N(r));
        CHECK_STR(vs(0), "!out-of-bailiwick");
        /* loading again changes nothing */
        CHECK_EQ(td_bw_load_root_hints(b, "/usr/share/dns/root.hints", err, sizeof err), 0);
        CHECK_EQ(td_bw_stats(b)->facts, 13 + 26 + 26 + 1); /* + com's NS */
    }
    td_bw_destroy(&b);

    struct { const char *text, *err; } bad[] = {
        { ". 1 NS a.\na. 1 A 1.2.3.4\na. 1 MX 10 b.\n", ":3: extra fields after the data" },
        { ". 1 NS a.\na. 1 TXT x\n", ":2: type other than NS, A, AAAA" },
        { ". 1 NS a.\na. 1 A 1.2.3\n", ":2: bad IPv4 address" },
        { ". 1 NS a.\na. 1 AAAA 1.2.3.4\n", ":2: bad IPv6 address" },
        { "; c\ncom. 1 NS a.\n", ":2: NS record for a name other than the root" },
        { "$ORIGIN .\n", ":1: directives ($ORIGIN, $TTL, ...) are not supported" },
        { ". 1 CH NS a.\n", ":1: class other than IN" },
        { ". 1 NS\n", ":1: missing type or data" },
        { " 1 A 1.2.3.4\n", ":1: no owner name (line starts with a blank and there is no previous owner)" },
        { "a..b 1 A 1.2.3.4\n", ":1: bad owner name" },
        { "; only comments\n\n", ": no NS records for the root" },
        { ". 1 NS a.\nb. 1 A 1.2.3.4\n", ": no address for any root server" },
    };
    char path[128];
    snprintf(path, sizeof path, "%s/bad.hints", tmpdir);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        write_file(path, bad[i].text);
        b = td_bw_init(NULL);
        err[0] = 0;
        int rc = td_bw_load_root_hints(b, path, err, sizeof err);
        char want[256];
        snprintf(want, sizeof want, "%s%s", path, bad[i].err);
        if (rc != -1 || strcmp(err, want) != 0)
            TT_FAIL("bad hints %zu: rc %d, err \"%s\", expected \"%s\"", i, rc, err, want);
        td_bw_destroy(&b);
    }
    /* continuation lines (blank first column) keep the previous owner; TTL and class optional */
    write_file(path, ".  NS a.root.\n   NS b.root.\na.root. A 10.0.0.1\n       AAAA fd00::1\nb.root. IN A 10.0.0.2\n");
    b = td_bw_init(NULL);
    CHECK_EQ(td_bw_load_root_hints(b, path, err, sizeof err), 0);
    CHECK_EQ(td_bw_stats(b)->facts, 2 + 3 + 3);
    td_bw_destroy(&b);
    /* missing file */
    b = td_bw_init(NULL);
    snprintf(path, sizeof path, "%s/none.hints", tmpdir);
    CHECK_EQ(td_bw_load_root_hints(b, path, err, sizeof err), -1);
    char want[200];
    snprintf(want, sizeof want, "%s: No such file or directory", path);
    CHECK_STR(err, want);
    td_bw_destroy(&b);
    /* a pool too small for the hints */
    struct td_bw_opts o = { 5, 0 };
    b = td_bw_init(&o);
    CHECK_EQ(td_bw_load_root_hints(b, HINTS, err, sizeof err), -1);
    CHECK_STR(err, HINTS ": max_entries (5) too small for the root hints");
    td_bw_destroy(&b);
}

/* verdicts of a fixed probe list, as one string */
static void probe(struct td_bw *b, uint64_t t, char *out, size_t cap)
{
    static const struct { const char *server, *owner; } p[] = {
        { "10.0.1.1", "www.example.com." }, { "10.0.2.1", "www.example.com." },
        { "10.0.2.1", "example.com." },     { "10.0.9.9", "www.example.com." },
        { "10.0.0.1", "com." },             { "10.0.1.1", "x.org." },
        { "10.0.8.8", "www.z3.com." },      { "fd00::1", "a." },
    };
    out[0] = 0;
    for (size_t i = 0; i < sizeof p / sizeof p[0]; i++) {
        const struct rr r[] = { { AN, p[i].owner, T_A, 60, "10.9.9.9", 0 } };
        respond(b, p[i].server, t, p[i].owner, T_A, r, 1);
        size_t n = strlen(out);
        snprintf(out + n, cap - n, "%s ", vs(0));
    }
}

static void save_load_round_trip(void)
{
    struct td_bw *b = new_bw(0);
    if (!b)
        return;
    root_refers_com(b, 1000, 172800);
    com_refers_example(b, 1001);
    const struct rr z[] = {
        { NS_, "z3.com.", T_NS, 86400, "NS.Z3.com.", 0 },
        { AR, "ns.z3.com.", T_A, 86400, "10.0.8.8", 0 },
        { AR, "ns.z3.com.", T_AAAA, 86400, "fd00::8", 0 },
    };
    respond(b, "10.0.1.1", 1002, "www.z3.com.", T_A, z, N(z));
    char before[1024], after[1024], path[128], err[512];
    probe(b, 1003, before, sizeof before);
    CHECK_STR(before, "com. example.com. example.com. !out-of-bailiwick . !out-of-bailiwick z3.com. . ");
    snprintf(path, sizeof path, "%s/bw.state", tmpdir);
    CHECK_EQ(td_bw_save(b, path, err, sizeof err), 0);
    uint64_t facts = td_bw_stats(b)->facts;
    td_bw_destroy(&b);

    b = new_bw(0);
    CHECK_EQ(td_bw_load(b, path, err, sizeof err), 0);
    CHECK_EQ(td_bw_stats(b)->facts, facts);
    probe(b, 1003, after, sizeof after);
    CHECK_STR(after, before);
    /* a reload on top of the same facts changes nothing */
    CHECK_EQ(td_bw_load(b, path, err, sizeof err), 0);
    CHECK_EQ(td_bw_stats(b)->facts, facts);
    /* expiry survives: com's facts expire at 1000 + 172800, example.com's one second later */
    probe(b, 1000 + 172800, after, sizeof after);
    CHECK_STR(after, "!out-of-bailiwick example.com. example.com. !out-of-bailiwick . "
                     "!out-of-bailiwick !out-of-bailiwick . ");
    probe(b, 1001 + 172800, after, sizeof after);
    CHECK_STR(after, "!out-of-bailiwick !out-of-bailiwick !out-of-bailiwick !out-of-bailiwick . "
                     "!out-of-bailiwick !out-of-bailiwick . ");
    td_bw_destroy(&b);
    CHECK(access(path, F_OK) == 0);
    char tmp[160];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    CHECK(access(tmp, F_OK) != 0);

    /* damaged files are refused and change nothing */
    FILE *f = fopen(path, "rb");
    static uint8_t buf[65536];
    size_t n = f ? fread(buf, 1, sizeof buf, f) : 0;
    if (f)
        fclose(f);
    CHECK(n > 40);
    char bad[160];
    snprintf(bad, sizeof bad, "%s/bad.state", tmpdir);
    static const char *dmg_err[] = {
        ": not a bailiwick state file (bad magic)",
        ": unsupported bailiwick state version 2 (this program reads 1)",
        ": checksum mismatch (file damaged)",
        ": not a bailiwick state file (too short)",
        ": checksum mismatch (file damaged)",
    };
    for (size_t i = 0; i < sizeof dmg_err / sizeof dmg_err[0]; i++) {
        static uint8_t c[65536];
        memcpy(c, buf, n);
        size_t len = n;
        switch (i) {
        case 0: c[0] = 'X'; break;          /* magic */
        case 1: c[8] = 2; break;            /* version */
        case 2: c[30] ^= 1; break;          /* a bit inside the first entry */
        case 3: len = 20; break;            /* shorter than a header */
        case 4: len = n - 1; break;         /* trailer cut */
        }
        f = fopen(bad, "wb");
        fwrite(c, 1, len, f);
        fclose(f);
        b = new_bw(0);
        err[0] = 0;
        int rc = td_bw_load(b, bad, err, sizeof err);
        char want[256];
        snprintf(want, sizeof want, "%s%s", bad, dmg_err[i]);
        if (rc != -1 || strcmp(err, want) != 0)
            TT_FAIL("damage %zu: rc %d err \"%s\", expected \"%s\"", i, rc, err, want);
        CHECK_EQ(td_bw_stats(b)->facts, 8);
        td_bw_destroy(&b);
    }
    /* a missing file is a fresh start */
    b = new_bw(0);
    snprintf(bad, sizeof bad, "%s/none.state", tmpdir);
    CHECK_EQ(td_bw_load(b, bad, err, sizeof err), 0);
    CHECK_EQ(td_bw_stats(b)->facts, 8);
    /* saving into a directory that does not exist fails with the path */
    snprintf(bad, sizeof bad, "%s/no/dir/bw.state", tmpdir);
    CHECK_EQ(td_bw_save(b, bad, err, sizeof err), -1);
    char want[256];
    snprintf(want, sizeof want, "%s.tmp: No such file or directory", bad);
    CHECK_STR(err, want);
    td_bw_destroy(&b);
}

static void bounded_memory(void)
{
    struct td_bw *b = new_bw(64);
    if (!b)
        return;
    CHECK_EQ(td_bw_stats(b)->facts, 8);
    uint64_t max_seen = 0;
    for (int i = 0; i < 1000; i++) {
        char zone[32], host[40], addr[32];
        snprintf(zone, sizeof zone, "zone%d.", i);
        snprintf(host, sizeof host, "ns.zone%d.", i);
        snprintf(addr, sizeof addr, "10.1.%d.%d", i / 250, i % 250 + 1);
        const struct rr r[] = {
            { NS_, zone, T_NS, 86400, host, 0 },
            { AR, host, T_A, 86400, addr, 0 },
        };
        respond(b, "10.0.0.2", 1000 + (uint64_t)i, zone, T_NS, r, N(r));
        if (strcmp(vs(0), ".") || strcmp(vs(1), "."))
            TT_FAIL("referral %d: %s %s", i, vs(0), vs(1));
        if (td_bw_stats(b)->facts > max_seen)
            max_seen = td_bw_stats(b)->facts;
    }
    const struct td_bw_stats *st = td_bw_stats(b);
    CHECK_EQ(max_seen, 64);
    CHECK_EQ(st->facts, 64);
    CHECK_EQ(st->facts_evicted, 8 + 3000 - 64);
    CHECK_EQ(st->facts_expired, 0);
    CHECK_EQ(st->facts_learned, 2000);
    /* the pinned root stays; the newest zone works, the oldest was evicted */
    const struct rr w[] = { { AN, "www.zone999.", T_A, 60, "10.9.9.9", 0 } };
    respond(b, "10.1.3.250", 2000, "www.zone999.", T_A, w, N(w));
    CHECK_STR(vs(0), "zone999.");
    const struct rr w0[] = { { AN, "www.zone0.", T_A, 60, "10.9.9.9", 0 } };
    respond(b, "10.1.0.1", 2000, "www.zone0.", T_A, w0, N(w0));
    CHECK_STR(vs(0), "!out-of-bailiwick");
    respond(b, "10.0.0.1", 2000, "www.zone0.", T_A, w0, N(w0));
    CHECK_STR(vs(0), ".");
    respond(b, "fd00::1", 2000, "www.zone0.", T_A, w0, N(w0));
    CHECK_STR(vs(0), ".");
    /* save + load into an equally small pool keeps the bound */
    char path[128], err[256];
    snprintf(path, sizeof path, "%s/small.state", tmpdir);
    CHECK_EQ(td_bw_save(b, path, err, sizeof err), 0);
    td_bw_destroy(&b);
    b = new_bw(32);
    CHECK_EQ(td_bw_load(b, path, err, sizeof err), 0);
    CHECK_EQ(td_bw_stats(b)->facts, 32);
    CHECK_EQ(td_bw_stats(b)->facts_evicted, 64 - 8 - (32 - 8));
    respond(b, "10.1.3.250", 2000, "www.zone999.", T_A, w, N(w));
    CHECK_STR(vs(0), "zone999.");
    td_bw_destroy(&b);
}

/* eviction keeps the facts furthest from expiry: with random distinct TTLs, exactly the
 * zones with the largest TTLs survive, whatever the order they came in */
static void eviction_order(void)
{
    enum { NZ = 200, KEEP = 20 };
    struct td_bw *b = new_bw(8 + 3 * KEEP);
    if (!b)
        return;
    uint32_t ttl[NZ];
    for (int i = 0; i < NZ; i++)
        ttl[i] = 1000 + 7 * (uint32_t)i;
    srand(7);
    for (int i = NZ - 1; i > 0; i--) {
        int j = rand() % (i + 1);
        uint32_t x = ttl[i];
        ttl[i] = ttl[j];
        ttl[j] = x;
    }
    for (int i = 0; i < NZ; i++) {
        char zone[32], host[40], addr[32];
        snprintf(zone, sizeof zone, "zone%d.", i);
        snprintf(host, sizeof host, "ns.zone%d.", i);
        snprintf(addr, sizeof addr, "10.2.%d.%d", i / 250, i % 250 + 1);
        const struct rr r[] = {
            { NS_, zone, T_NS, ttl[i], host, 0 },
            { AR, host, T_A, ttl[i], addr, 0 },
        };
        respond(b, "10.0.0.1", 1000, zone, T_NS, r, N(r));
    }
    CHECK_EQ(td_bw_stats(b)->facts, 8 + 3 * KEEP);
    /* model: a zone that outlives the kept zone expiring first replaces its three facts;
     * one that would expire first is refused (its NS; then its address names no live name
     * server, so it is not even offered; no LIVE without NS) */
    uint32_t kept_ttl[KEEP];
    int nk = 0;
    uint64_t evicted = 0;
    for (int i = 0; i < NZ; i++) {
        if (nk < KEEP) {
            kept_ttl[nk++] = ttl[i];
            continue;
        }
        int m = 0;
        for (int k = 1; k < KEEP; k++)
            if (kept_ttl[k] < kept_ttl[m])
                m = k;
        if (ttl[i] > kept_ttl[m]) {
            kept_ttl[m] = ttl[i];
            evicted += 3;
        } else {
            evicted += 1;
        }
    }
    CHECK_EQ(td_bw_stats(b)->facts_evicted, evicted);
    uint32_t limit = 1000 + 7 * (NZ - KEEP); /* the KEEP largest TTLs are >= limit */
    int wrong = 0, kept = 0;
    for (int i = 0; i < NZ; i++) {
        char zone[32], www[48], addr[32];
        snprintf(zone, sizeof zone, "zone%d.", i);
        snprintf(www, sizeof www, "www.%s", zone);
        snprintf(addr, sizeof addr, "10.2.%d.%d", i / 250, i % 250 + 1);
        const struct rr w[] = { { AN, www, T_A, 60, "10.9.9.9", 0 } };
        respond(b, addr, 1001, www, T_A, w, N(w));
        int acc = strcmp(vs(0), zone) == 0;
        kept += acc;
        if (acc != (ttl[i] >= limit))
            wrong++;
    }
    CHECK_EQ(kept, KEEP);
    CHECK_EQ(wrong, 0);
    td_bw_destroy(&b);
}

int main(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/test_bailiwick.XXXXXX");
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 1;
    }
    TT_RUN(response_checks);
    TT_RUN(referral_chain);
    TT_RUN(referral_chain_via_wire);
    TT_RUN(parent_and_child_copies);
    TT_RUN(ttl_expiry);
    TT_RUN(server_with_two_zones);
    TT_RUN(cname_chain_across_zones);
    TT_RUN(nxdomain_with_soa);
    TT_RUN(class_and_case);
    TT_RUN(many_zones_one_host);
    TT_RUN(many_zones_rehash);
    TT_RUN(poison_kashpureff);
    TT_RUN(poison_kashpureff_via_wire);
    TT_RUN(poison_kaminsky);
    TT_RUN(root_hints);
    TT_RUN(save_load_round_trip);
    TT_RUN(bounded_memory);
    TT_RUN(eviction_order);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
    if (system(cmd) != 0)
        return 1;
    return tt_finish();
}
