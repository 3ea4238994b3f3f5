/* test_index_prop: property test of the reading library (indexer/index.h). Random observation
 * data (about 3000 RRsets over 336 owner names; A, AAAA, NS, CNAME, MX, SRV, TXT, SOA and DS;
 * the same RRsets recur with other values in several generations) is written as 4 generations
 * and as 1 generation holding everything. For 400 random queries of every kind per round
 * (rrset exact, *.X, +.X, X.*, X.+; rdata name exact, *.X, +.X, X.*, X.+; rdata ip address,
 * CIDR, range, v4 and v6; raw; random types, bailiwicks, fences, limit and offset), the result
 * lists over the 4 generations and over the 1 must be identical. Gravel (aggr = false) over
 * the 4 generations, its equal keys merged, must equal the aggregated answer; and gravel with
 * fences, offset and limit must equal its unfenced list filtered per result. The runs are
 * checked not to be vacuous (many non-empty answers, pruned generations, merged values). */
#include "dns_wire.h"
#include "fileset.h"
#include "generation.h"
#include "index.h"
#include "index_fixture.h"
#include "keys.h"
#include "tt.h"
#include "varint.h"
#include <stdlib.h>
#include <unistd.h>


static uint64_t rng = 0x2545f4914f6cdd1dull;
static uint32_t rnd(uint32_t n)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng % n);
}

/* ---------- names and rdata ---------- */

static const char *tlds[] = { "com", "net", "org", "co.uk" };
static const char *slds[] = { "ex", "exa", "example", "examples", "foo", "bar", "b", "a", "mail", "www", "xn--p", "z9" };
static const char *subs[] = { "", "www.", "mail.", "a.", "b.a.", "ns1.", "x.y.z." };
#define NT (sizeof tlds / sizeof tlds[0])
#define NS_ (sizeof slds / sizeof slds[0])
#define NSUB (sizeof subs / sizeof subs[0])
#define NNAMES (NT * NS_ * NSUB)

struct nm {
    uint8_t w[256];
    size_t len;
};
#define NSETS_MAX 1500
static struct nm names[NNAMES], bases[NT * NS_], tldn[NT];
/* Owners of the RRsets made (exact queries mostly ask for one). */
static struct nm owners[NSETS_MAX];

static void mkname(struct nm *n, const char *text)
{
    int l = td_dns_name_from_text(text, n->w, sizeof n->w);
    n->len = l < 0 ? 0 : (size_t)l;
}

static void make_names(void)
{
    char t[300];
    for (size_t a = 0; a < NT; a++) {
        mkname(&tldn[a], tlds[a]);
        for (size_t b = 0; b < NS_; b++) {
            snprintf(t, sizeof t, "%s.%s", slds[b], tlds[a]);
            mkname(&bases[a * NS_ + b], t);
            for (size_t c = 0; c < NSUB; c++) {
                snprintf(t, sizeof t, "%s%s.%s", subs[c], slds[b], tlds[a]);
                mkname(&names[(a * NS_ + b) * NSUB + c], t);
            }
        }
    }
}

static size_t rev_name(const uint8_t *n, size_t len, uint8_t *out)
{
    return td_dns_name_reverse(n, len, out, len);
}

/* The first labels of a name (X of X.*): drops 1..labels-1 labels on the right. */
static size_t left_part(const struct nm *n, uint8_t *out)
{
    size_t offs[128], k = 0, o = 0;
    while (n->w[o]) {
        offs[k++] = o;
        o += 1 + n->w[o];
    }
    size_t keep = k > 1 ? 1 + rnd((uint32_t)k - 1) : 1; /* 1..k-1 labels */
    size_t end = keep < k ? offs[keep] : o;
    memcpy(out, n->w, end);
    out[end] = 0;
    return end + 1;
}

static const uint16_t types[] = { 1, 1, 1, 28, 28, 2, 5, 5, 15, 33, 16, 6, 43 };
#define NTYPES (sizeof types / sizeof types[0])

static size_t put_name(uint8_t *p, const struct nm *n)
{
    memcpy(p, n->w, n->len);
    return n->len;
}

/* A random rdata of type t into p; its length. Small pools so that values recur. */
static size_t rand_rdata(uint16_t t, uint8_t *p)
{
    size_t o = 0;
    switch (t) {
    case 1:
        p[0] = rnd(4) ? 10 : 192;
        p[1] = p[0] == 10 ? 0 : 0;
        p[2] = (uint8_t)(p[0] == 10 ? rnd(4) : 2);
        p[3] = (uint8_t)(rnd(3) ? rnd(16) : 240 + rnd(16));
        return 4;
    case 28:
        memset(p, 0, 16);
        p[0] = 0x20, p[1] = 0x01, p[2] = 0x0d, p[3] = 0xb8;
        p[5] = (uint8_t)rnd(3);
        p[15] = (uint8_t)rnd(12);
        if (rnd(4) == 0)
            p[0] = 0xfe, p[1] = 0x80;
        return 16;
    case 2:
    case 5:
        return put_name(p, &names[rnd(NNAMES)]);
    case 15:
        p[0] = 0, p[1] = (uint8_t)(10 * (1 + rnd(2)));
        return 2 + put_name(p + 2, &names[rnd(NNAMES)]);
    case 33:
        p[0] = 0, p[1] = (uint8_t)rnd(2), p[2] = 0, p[3] = 5, p[4] = 0x01, p[5] = (uint8_t)rnd(2);
        return 6 + put_name(p + 6, &names[rnd(NNAMES)]);
    case 16:
        if (rnd(3) == 0) /* the octets of a wire name: never an rdata name of ANY */
            return put_name(p, &names[rnd(NNAMES)]);
        p[0] = (uint8_t)(1 + rnd(3));
        for (o = 1; o <= p[0]; o++)
            p[o] = (uint8_t)('a' + rnd(2));
        return o;
    case 6:
        o = put_name(p, &names[rnd(NNAMES)]);
        o += put_name(p + o, &bases[rnd(NT * NS_)]);
        memset(p + o, 0, 20);
        p[o + 3] = (uint8_t)rnd(3);
        return o + 20;
    case 43:
    default:
        p[0] = 0, p[1] = (uint8_t)rnd(3), p[2] = 8, p[3] = 2, p[4] = (uint8_t)rnd(2);
        return 5;
    }
}

/* ---------- RRsets and generations ---------- */

struct rrset {
    uint8_t key[1200];
    size_t klen;
};
enum { NSETS = NSETS_MAX, PERGEN = 800, NGEN = 4 };
static struct rrset sets[NSETS];

struct rd {
    uint8_t b[600];
    size_t l;
    uint16_t type;
};
static int rd_cmp(const void *a, const void *b)
{
    const struct rd *x = a, *y = b;
    int c = memcmp(x->b, y->b, x->l < y->l ? x->l : y->l);
    return c ? c : (x->l > y->l) - (x->l < y->l);
}

/* Raw rdata seen, for raw queries. */
static struct rd raws[256];
static size_t nraws;

static void make_set(struct rrset *s)
{
    const struct nm *owner = &names[rnd(NNAMES)];
    owners[s - sets] = *owner;
    uint16_t t = types[rnd(NTYPES)];
    const struct nm *bw = rnd(2) ? &bases[rnd(NT * NS_)] : &tldn[rnd(NT)];
    size_t w = rev_name(owner->w, owner->len, s->key);
    w += td_varint_put(s->key + w, t);
    w += rev_name(bw->w, bw->len, s->key + w);
    struct rd r[3];
    unsigned n = 1 + rnd(3);
    for (unsigned i = 0; i < n; i++) {
        r[i].l = rand_rdata(t, r[i].b);
        r[i].type = t;
    }
    qsort(r, n, sizeof r[0], rd_cmp);
    for (unsigned i = 0; i < n; i++) {
        if (i && rd_cmp(&r[i - 1], &r[i]) == 0)
            continue;
        w += td_varint_put(s->key + w, r[i].l);
        memcpy(s->key + w, r[i].b, r[i].l);
        w += r[i].l;
        if (nraws < 256 && rnd(4) == 0)
            raws[nraws++] = r[i];
    }
    s->klen = w;
}

struct obs {
    size_t set;
    struct td_obs_value v;
};

static size_t obs_at(void *ctx, size_t i, uint8_t *key, struct td_obs_value *v)
{
    const struct obs *o = (const struct obs *)ctx + i;
    const struct rrset *s = &sets[o->set];
    *v = o->v;
    memcpy(key, s->key, s->klen);
    return s->klen;
}

/* Builds generation NAME under root from observations (equal keys merged); adds it to FILESET. */
static int build_gen_obs(const char *root, const char *name, const struct obs *o, size_t n)
{
    return build_gen_keys(root, name, n, obs_at, (void *)o);
}

/* ---------- running queries ---------- */

struct out {
    char *s;
    size_t len, cap;
    size_t lines;
};

static void out_add(struct out *o, const char *line)
{
    size_t l = strlen(line);
    if (o->len + l + 1 > o->cap) {
        o->cap = o->cap * 2 + l + 4096;
        o->s = realloc(o->s, o->cap);
    }
    memcpy(o->s + o->len, line, l + 1);
    o->len += l;
    o->lines++;
}

static void hex(char *p, const uint8_t *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        sprintf(p + 2 * i, "%02x", b[i]);
    p[2 * n] = 0;
}

/* One result as "KEY count tf tl" where KEY (hex) identifies the entry. */
static void rline(const struct td_index_result *r, char *line)
{
    char *p = line;
    hex(p, r->owner, r->owner_len);
    p += strlen(p);
    p += sprintf(p, " %u %d ", r->rrtype, r->is_rdata);
    if (r->bailiwick) {
        hex(p, r->bailiwick, r->bailiwick_len);
        p += strlen(p);
    }
    for (uint16_t i = 0; i < r->nrdata; i++) {
        *p++ = '/';
        hex(p, r->rdata[i], r->rdlen[i]);
        p += strlen(p);
    }
    sprintf(p, " %llu %u %u\n", (unsigned long long)r->count, r->time_first, r->time_last);
}

/* All results (or "ERR ..."); *ngens = generations scanned. */
static void run(struct td_index *idx, const struct td_index_query *q, struct out *o, size_t *ngens)
{
    char err[256] = "", line[8000];
    o->len = 0;
    o->lines = 0;
    out_add(o, "");
    o->lines = 0;
    struct td_index_iter *it = td_index_query_start(idx, q, err, sizeof err);
    if (!it) {
        snprintf(line, sizeof line, "ERR start: %s\n", err);
        out_add(o, line);
        return;
    }
    if (ngens)
        *ngens = td_index_iter_generations(it);
    struct td_index_result r;
    int rc;
    while ((rc = td_index_next(it, &r)) == 1) {
        rline(&r, line);
        out_add(o, line);
    }
    if (rc < 0) {
        snprintf(line, sizeof line, "ERR next: %s\n", td_index_iter_error(it));
        out_add(o, line);
    }
    td_index_query_end(&it);
}

/* ---------- random queries ---------- */

static uint8_t qname[256], qbw[256], qraw[600];

static void rand_query(struct td_index_query *q, int kind)
{
    static const int rtypes[] = { TD_INDEX_ANY, TD_INDEX_ANY, TD_INDEX_ANY_DNSSEC, 1, 28, 2, 5, 15, 33, 16, 6, 43 };
    static const int ntypes[] = { TD_INDEX_ANY, TD_INDEX_ANY, TD_INDEX_ANY, 2, 5, 15, 33, 6, 16 };
    memset(q, 0, sizeof *q);
    q->kind = (enum td_index_qkind)kind;
    q->name = qname;
    const struct nm *n;
    switch (kind) {
    case TD_IQ_RRSET:
    case TD_IQ_RRSET_BELOW:
    case TD_IQ_RDATA_NAME:
    case TD_IQ_RDATA_NAME_BELOW:
        n = rnd(3) == 0 ? &bases[rnd(NT * NS_)] : rnd(6) == 0 ? &tldn[rnd(NT)] : &names[rnd(NNAMES)];
        if (kind == TD_IQ_RRSET && rnd(3))
            n = &owners[rnd(NSETS)];
        memcpy(qname, n->w, n->len);
        q->name_len = n->len;
        break;
    case TD_IQ_RRSET_ABOVE:
    case TD_IQ_RDATA_NAME_ABOVE:
        q->name_len = left_part(&names[rnd(NNAMES)], qname);
        break;
    default:
        break;
    }
    if (kind == TD_IQ_RRSET || kind == TD_IQ_RRSET_BELOW || kind == TD_IQ_RRSET_ABOVE) {
        q->rrtype = rtypes[rnd(sizeof rtypes / sizeof rtypes[0])];
        if (rnd(4) == 0) {
            n = rnd(2) ? &bases[rnd(NT * NS_)] : &tldn[rnd(NT)];
            memcpy(qbw, n->w, n->len);
            q->bailiwick = qbw;
            q->bailiwick_len = n->len;
        }
    } else if (kind == TD_IQ_RDATA_NAME || kind == TD_IQ_RDATA_NAME_BELOW || kind == TD_IQ_RDATA_NAME_ABOVE) {
        q->rrtype = ntypes[rnd(sizeof ntypes / sizeof ntypes[0])];
    }
    if (kind == TD_IQ_RRSET_BELOW || kind == TD_IQ_RRSET_ABOVE || kind == TD_IQ_RDATA_NAME_BELOW ||
        kind == TD_IQ_RDATA_NAME_ABOVE)
        q->one_label = rnd(3) == 0;
    if (kind == TD_IQ_RDATA_IP) {
        q->rrtype = TD_INDEX_ANY;
        uint8_t a[16];
        size_t al = rnd(2) ? 4 : 16;
        rand_rdata(al == 4 ? 1 : 28, a);
        q->ip_len = al;
        memcpy(q->ip_lo, a, al);
        switch (rnd(3)) {
        case 0: /* one address */
            memcpy(q->ip_hi, a, al);
            break;
        case 1: /* CIDR */
            q->ip_prefix = al == 4 ? 8 + rnd(25) : 1 + rnd(128);
            break;
        default: { /* range */
            uint8_t b[16];
            rand_rdata(al == 4 ? 1 : 28, b);
            if (memcmp(a, b, al) > 0) {
                memcpy(q->ip_lo, b, al);
                memcpy(q->ip_hi, a, al);
            } else {
                memcpy(q->ip_hi, b, al);
            }
        }
        }
        if (rnd(4) == 0)
            q->rrtype = al == 4 ? 1 : 28;
    }
    if (kind == TD_IQ_RDATA_RAW) {
        const struct rd *r = &raws[rnd((uint32_t)nraws)];
        memcpy(qraw, r->b, r->l);
        q->raw = qraw;
        q->raw_len = r->l;
        if (rnd(5) == 0 && r->l > 1)
            q->raw_len = 1 + rnd((uint32_t)r->l - 1); /* a prefix: matches only rdata that short */
        q->rrtype = rnd(2) ? TD_INDEX_ANY : rnd(2) ? r->type : rtypes[rnd(sizeof rtypes / sizeof rtypes[0])];
        if (q->rrtype == TD_INDEX_ANY && td_index_rrtype_is_dnssec(r->type) && rnd(2))
            q->rrtype = TD_INDEX_ANY_DNSSEC;
    }
    if (rnd(2)) {
        uint32_t *f[4] = { &q->time_first_before, &q->time_first_after, &q->time_last_before, &q->time_last_after };
        *f[rnd(4)] = 1 + rnd(5500);
        if (rnd(2))
            *f[rnd(4)] = 1 + rnd(5500);
    }
    if (rnd(4) == 0) {
        q->offset = rnd(6);
        q->limit = rnd(8);
    }
}

/* Result line fields: key part (up to the count), count, tf, tl. */
static int parse_line(const char *l, size_t *keylen, unsigned long long *c, unsigned *tf, unsigned *tl)
{
    const char *e = strchr(l, '\n');
    const char *p = e;
    int sp = 0;
    while (p > l && sp < 3)
        if (*--p == ' ')
            sp++;
    *keylen = (size_t)(p - l);
    return sscanf(p, " %llu %u %u", c, tf, tl) == 3 ? 0 : -1;
}

static int fences_ok(const struct td_index_query *q, unsigned tf, unsigned tl)
{
    return !(q->time_first_before && tf > q->time_first_before) && !(q->time_first_after && tf < q->time_first_after) &&
           !(q->time_last_before && tl > q->time_last_before) && !(q->time_last_after && tl < q->time_last_after);
}

/* Gravel lines with equal keys (consecutive) merged; or filtered by q's fences, offset, limit. */
static void gravel_derive(const char *in, const struct td_index_query *q, int merge, struct out *o)
{
    o->len = 0;
    out_add(o, "");
    o->lines = 0;
    char line[8000];
    uint64_t skipped = 0, kept = 0;
    for (const char *l = in; *l;) {
        const char *e = strchr(l, '\n');
        size_t kl;
        unsigned long long c;
        unsigned tf, tl;
        if (!e || parse_line(l, &kl, &c, &tf, &tl) != 0) {
            out_add(o, "ERR unparsable\n");
            return;
        }
        const char *n = e + 1;
        if (merge) {
            while (*n) {
                const char *e2 = strchr(n, '\n');
                size_t kl2;
                unsigned long long c2;
                unsigned tf2, tl2;
                if (!e2 || parse_line(n, &kl2, &c2, &tf2, &tl2) != 0 || kl2 != kl || memcmp(n, l, kl) != 0)
                    break;
                c += c2;
                tf = tf2 < tf ? tf2 : tf;
                tl = tl2 > tl ? tl2 : tl;
                n = e2 + 1;
            }
            snprintf(line, sizeof line, "%.*s %llu %u %u\n", (int)kl, l, c, tf, tl);
            out_add(o, line);
        } else if (fences_ok(q, tf, tl)) {
            if (skipped < q->offset)
                skipped++;
            else if (!q->limit || kept < q->limit) {
                kept++;
                snprintf(line, sizeof line, "%.*s", (int)(e + 1 - l), l);
                out_add(o, line);
            }
        }
        l = n;
    }
}

static void test_property(void)
{
    enum { ROUNDS = 2, QUERIES = 400 };
    static const int kinds[] = { TD_IQ_RRSET, TD_IQ_RRSET_BELOW, TD_IQ_RRSET_ABOVE, TD_IQ_RDATA_NAME,
                                 TD_IQ_RDATA_NAME_BELOW, TD_IQ_RDATA_NAME_ABOVE, TD_IQ_RDATA_IP, TD_IQ_RDATA_RAW };
    enum { NK = sizeof kinds / sizeof kinds[0] };
    static struct obs gens[NGEN][PERGEN], all[NGEN * PERGEN];
    unsigned nonempty[NK] = { 0 }, asked[NK] = { 0 }, npruned = 0, merged = 0, gravel_split = 0;
    struct out a = { 0 }, b = { 0 }, c = { 0 }, d = { 0 };
    for (int round = 0; round < ROUNDS; round++) {
        char r4[256], r1[256], name[64];
        mkroot(r4, sizeof r4, "p4");
        mkroot(r1, sizeof r1, "p1");
        nraws = 0;
        for (size_t i = 0; i < NSETS; i++)
            make_set(&sets[i]);
        size_t na = 0;
        for (unsigned g = 0; g < NGEN; g++)
            for (unsigned i = 0; i < PERGEN; i++) {
                struct obs *o = &gens[g][i];
                o->set = rnd(NSETS);
                o->v.count = 1 + rnd(4);
                o->v.time_first = g * 1000 + rnd(1500);
                o->v.time_last = o->v.time_first + rnd(800);
                o->v.reason = o->v.rule = 0;
                all[na++] = *o;
            }
        for (unsigned g = 0; g < NGEN; g++) {
            snprintf(name, sizeof name, "h.20260101%02u.0", g);
            if (build_gen_obs(r4, name, gens[g], PERGEN) != 0)
                return;
        }
        if (build_gen_obs(r1, "d.20260101.0", all, na) != 0)
            return;
        char err[256];
        struct td_index *i4 = td_index_open(r4, NULL, err, sizeof err);
        struct td_index *i1 = td_index_open(r1, NULL, err, sizeof err);
        if (!i4 || !i1) {
            TT_FAIL("open: %s", err);
            td_index_close(&i4);
            td_index_close(&i1);
            return;
        }
        for (int k = 0; k < QUERIES; k++) {
            int ki = k % NK;
            struct td_index_query q;
            rand_query(&q, kinds[ki]);
            size_t g4 = 0;
            run(i4, &q, &a, &g4);
            run(i1, &q, &b, NULL);
            asked[ki]++;
            nonempty[ki] += a.lines > 0;
            npruned += g4 < NGEN;
            for (const char *l = a.s; *l;) {
                size_t kl;
                unsigned long long cnt;
                unsigned tf, tl;
                if (parse_line(l, &kl, &cnt, &tf, &tl) == 0 && cnt > 4)
                    merged++; /* above any single observation's count: a read-time merge */
                l = strchr(l, '\n') + 1;
            }
            if (strcmp(a.s, b.s) != 0 || strncmp(a.s, "ERR", 3) == 0) {
                TT_FAIL("round %d query %d kind %d type %d one %d fences %u/%u/%u/%u off %llu lim %llu:\n"
                        "4 gens\n%s1 gen\n%s",
                        round, k, q.kind, q.rrtype, q.one_label, q.time_first_before, q.time_first_after,
                        q.time_last_before, q.time_last_after, (unsigned long long)q.offset,
                        (unsigned long long)q.limit, a.s, b.s);
                break;
            }
            /* gravel: the unfenced list merged = the aggregated unfenced answer; fenced = filtered */
            if (k % 2 == 0) {
                struct td_index_query u = q;
                u.time_first_before = u.time_first_after = u.time_last_before = u.time_last_after = 0;
                u.offset = u.limit = 0;
                run(i1, &u, &b, NULL);
                u.gravel = 1;
                run(i4, &u, &c, NULL);
                gravel_split += c.lines > b.lines;
                gravel_derive(c.s, &q, 1, &d);
                if (strcmp(d.s, b.s) != 0) {
                    TT_FAIL("round %d query %d kind %d: gravel merged\n%saggregated\n%s", round, k, q.kind, d.s, b.s);
                    break;
                }
                q.gravel = 1;
                run(i4, &q, &a, NULL);
                gravel_derive(c.s, &q, 0, &d);
                if (strcmp(a.s, d.s) != 0) {
                    TT_FAIL("round %d query %d kind %d: gravel fenced\n%sexpected\n%s", round, k, q.kind, a.s, d.s);
                    break;
                }
            }
        }
        td_index_close(&i4);
        td_index_close(&i1);
    }
    free(a.s);
    free(b.s);
    free(c.s);
    free(d.s);
    /* not vacuous: every kind often has results; some queries prune, some merge, gravel splits */
    for (int ki = 0; ki < NK; ki++) {
        printf("# kind %d: %u of %u queries with results\n", kinds[ki], nonempty[ki], asked[ki]);
        if (nonempty[ki] < asked[ki] / 8)
            TT_FAIL("kind %d: only %u of %u queries have results", kinds[ki], nonempty[ki], asked[ki]);
    }
    printf("# %u pruned, %u merged results, %u gravel answers longer than aggregated\n", npruned, merged,
           gravel_split);
    if (npruned < 50 || merged < 50 || gravel_split < 50)
        TT_FAIL("weak run: %u pruned, %u merged, %u gravel splits", npruned, merged, gravel_split);
}

int main(void)
{
    snprintf(ix_base, sizeof ix_base, "/tmp/test_index_prop.%d", (int)getpid());
    make_names();
    TT_RUN(test_property);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", ix_base);
    if (system(cmd) != 0)
        return 1;
    return tt_finish();
}
