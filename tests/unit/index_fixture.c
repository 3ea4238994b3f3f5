/* index_fixture.c: see index_fixture.h. */
#include "index_fixture.h"
#include "fileset.h"
#include "generation.h"
#include "tier.h"
#include "keys.h"
#include "tt.h"
#include "varint.h"
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

char ix_base[128];

/* ---------- observations and generation building ---------- */


size_t ix_rd_from_text(uint16_t type, const char *t, uint8_t *out)
{
    if (t[0] == '#') {
        int n = tt_unhex(t + 1, out, 512);
        return n < 0 ? 0 : (size_t)n;
    }
    if (type == 1)
        return inet_pton(AF_INET, t, out) == 1 ? 4 : 0;
    if (type == 28)
        return inet_pton(AF_INET6, t, out) == 1 ? 16 : 0;
    if (type == 15) {
        unsigned pref = (unsigned)atoi(t);
        out[0] = (uint8_t)(pref >> 8);
        out[1] = (uint8_t)pref;
        int n = td_dns_name_from_text(strchr(t, ' ') + 1, out + 2, 255);
        return n < 0 ? 0 : (size_t)n + 2;
    }
    int n = td_dns_name_from_text(t, out, 255);
    return n < 0 ? 0 : (size_t)n;
}

static size_t rev_name(const uint8_t *n, size_t len, uint8_t *out)
{
    return td_dns_name_reverse(n, len, out, len);
}

static size_t obs_key(const struct tobs *o, uint8_t *k)
{
    uint8_t n[256];
    size_t w = 0;
    int nl = td_dns_name_from_text(o->owner, n, sizeof n);
    if (nl < 0)
        return 0;
    w += rev_name(n, (size_t)nl, k + w);
    w += td_varint_put(k + w, o->type);
    nl = td_dns_name_from_text(o->bw, n, sizeof n);
    if (nl < 0)
        return 0;
    w += rev_name(n, (size_t)nl, k + w);
    for (int i = 0; i < 3 && o->rd[i]; i++) {
        uint8_t rd[600];
        size_t l = ix_rd_from_text(o->type, o->rd[i], rd);
        if (l == 0)
            return 0;
        w += td_varint_put(k + w, l);
        memcpy(k + w, rd, l);
        w += l;
    }
    return w;
}

struct ent {
    uint8_t *k;
    size_t kl;
    uint8_t v[TD_INDEX_VALUE_MAX];
    size_t vl;
};
struct ents {
    struct ent *e;
    size_t n, cap;
    uint32_t base; /* the generation's time base, as the tier builder takes it */
};

static int collect(void *ctx, const uint8_t *key, size_t klen, const struct td_obs_value *v)
{
    struct ents *es = ctx;
    if (es->n == es->cap) {
        es->cap = es->cap ? es->cap * 2 : 256;
        es->e = realloc(es->e, es->cap * sizeof *es->e);
    }
    struct ent *e = &es->e[es->n++];
    e->k = malloc(klen);
    memcpy(e->k, key, klen);
    e->kl = klen;
    e->vl = td_index_value_encode(v, es->base, e->v);
    return 0;
}

static int ent_cmp(const void *a, const void *b)
{
    const struct ent *x = a, *y = b;
    int c = memcmp(x->k, y->k, x->kl < y->kl ? x->kl : y->kl);
    return c ? c : (x->kl > y->kl) - (x->kl < y->kl);
}

int build_gen_keys(const char *root, const char *name, size_t n,
                   size_t (*key_at)(void *ctx, size_t i, uint8_t *key, struct td_obs_value *v), void *ctx)
{
    struct ents es = { .base = td_tier_time_base(name) };
    char err[256] = "";
    uint32_t mn = UINT32_MAX, mx = 0;
    for (size_t i = 0; i < n; i++) {
        uint8_t k[4096];
        struct td_obs_value v;
        size_t kl = key_at(ctx, i, k, &v);
        if (kl == 0 || td_index_entries(k, kl, &v, collect, &es, err, sizeof err) != 0) {
            TT_FAIL("observation %zu: %s", i, kl ? err : "no key");
            return -1;
        }
        if (v.time_first < mn)
            mn = v.time_first;
        if (v.time_last > mx)
            mx = v.time_last;
    }
    if (n == 0)
        mn = mx = 0;
    if (es.n)
        qsort(es.e, es.n, sizeof *es.e, ent_cmp);
    char tmp[400], fin[400];
    snprintf(tmp, sizeof tmp, "%s/tmp/%s", root, name);
    snprintf(fin, sizeof fin, "%s/%s", root, name);
    struct td_gen_opts o = { .time_base = es.base, .max_file = 32u << 10 }; /* small tables: scans cross them */
    struct td_gen_build *b = td_gen_build_open(tmp, &o, err, sizeof err);
    int rc = b ? 0 : -1;
    for (size_t i = 0; i < es.n && rc == 0;) {
        uint8_t v[TD_INDEX_VALUE_MAX];
        size_t vl = es.e[i].vl;
        memcpy(v, es.e[i].v, vl);
        size_t j = i + 1;
        for (; j < es.n && ent_cmp(&es.e[i], &es.e[j]) == 0; j++) {
            uint8_t m[TD_INDEX_VALUE_MAX];
            vl = td_index_value_merge(v, vl, es.e[j].v, es.e[j].vl, es.base, m);
            memcpy(v, m, vl);
        }
        rc = td_gen_build_put(b, es.e[i].k, es.e[i].kl, v, vl, err, sizeof err);
        i = j;
    }
    if (rc == 0)
        rc = td_gen_build_finish(&b, mn, mx, "test", fin, err, sizeof err);
    else
        td_gen_build_abort(&b);
    for (size_t i = 0; i < es.n; i++)
        free(es.e[i].k);
    free(es.e);
    if (rc != 0) {
        TT_FAIL("build %s: %s", name, err);
        return -1;
    }
    struct td_fileset fs;
    struct td_fileset_gen g = { "", name[0], mn, mx };
    snprintf(g.name, sizeof g.name, "%s", name);
    if (td_fileset_load(root, &fs, err, sizeof err) != 0 || td_fileset_put(&fs, &g, err, sizeof err) != 0 ||
        td_fileset_store(root, &fs, err, sizeof err) != 0) {
        TT_FAIL("fileset: %s", err);
        return -1;
    }
    td_fileset_free(&fs);
    return 0;
}

static size_t tobs_at(void *ctx, size_t i, uint8_t *key, struct td_obs_value *v)
{
    const struct tobs *o = (const struct tobs *)ctx + i;
    *v = (struct td_obs_value){ o->count, o->tf, o->tl, 0, 0 };
    size_t kl = obs_key(o, key);
    if (kl == 0)
        TT_FAIL("observation %zu (%s): bad text", i, o->owner);
    return kl;
}

int build_gen(const char *root, const char *name, const struct tobs *obs, size_t n)
{
    return build_gen_keys(root, name, n, tobs_at, (void *)obs);
}

void build_one_and_three(const struct tobs *obs, size_t n, char *root1, char *root3, size_t cap)
{
    mkroot(root1, cap, "one");
    mkroot(root3, cap, "three");
    build_gen(root1, "h.2026010100.0", obs, n);
    struct tobs *parts[3];
    size_t np[3] = { 0, 0, 0 };
    for (int g = 0; g < 3; g++)
        parts[g] = malloc((n ? n : 1) * sizeof *parts[g]);
    for (size_t i = 0; i < n; i++) {
        struct tobs o = obs[i];
        if (o.count >= 2) {
            struct tobs a = o, b = o;
            a.count = 1;
            a.tl = a.tf;
            b.count = o.count - 1;
            b.tf = b.tl;
            parts[0][np[0]++] = a;
            parts[2][np[2]++] = b;
        } else {
            parts[i % 3][np[i % 3]++] = o;
        }
    }
    build_gen(root3, "h.2026010100.0", parts[0], np[0]);
    build_gen(root3, "h.2026010101.0", parts[1], np[1]);
    build_gen(root3, "h.2026010102.0", parts[2], np[2]);
    for (int g = 0; g < 3; g++)
        free(parts[g]);
}

void mkroot(char *root, size_t cap, const char *sub)
{
    snprintf(root, cap, "%s/%s", ix_base, sub);
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf %s && mkdir -p %s/tmp", root, root);
    if (system(cmd) != 0)
        TT_FAIL("cannot make %s", root);
}

/* ---------- running queries ---------- */

void rtext(const struct td_index_result *r, char *out, size_t cap)
{
    char o[1100], b[1100] = "-", rd[2000] = "";
    td_dns_name_to_text(r->owner, r->owner_len, o, sizeof o);
    if (r->bailiwick)
        td_dns_name_to_text(r->bailiwick, r->bailiwick_len, b, sizeof b);
    for (uint16_t i = 0; i < r->nrdata; i++) {
        char one[1000];
        if (td_dns_rdata_to_text(r->rrtype, r->rdata[i], r->rdlen[i], one, sizeof one) < 0)
            snprintf(one, sizeof one, "?");
        size_t l = strlen(rd);
        snprintf(rd + l, sizeof rd - l, "%s%s", i ? "|" : "", one);
    }
    snprintf(out, cap, "%s %u %s %s c%llu %u-%u\n", o, r->rrtype, b, rd, (unsigned long long)r->count,
             r->time_first, r->time_last);
}

/* All results of q over root as lines; "ERR: ..." on an error. Caller frees. */
char *run_q(const char *root, const struct td_index_query *q, size_t *ngens)
{
    char err[256] = "";
    size_t cap = 1 << 16, len = 0;
    char *out = malloc(cap);
    out[0] = 0;
    struct td_index *idx = td_index_open(root, NULL, err, sizeof err);
    if (!idx) {
        snprintf(out, cap, "ERR: open: %s", err);
        return out;
    }
    struct td_index_iter *it = td_index_query_start(idx, q, err, sizeof err);
    if (!it) {
        snprintf(out, cap, "ERR: start: %s", err);
        td_index_close(&idx);
        return out;
    }
    if (ngens)
        *ngens = td_index_iter_generations(it);
    struct td_index_result r;
    int rc;
    while ((rc = td_index_next(it, &r)) == 1) {
        char line[4000];
        rtext(&r, line, sizeof line);
        size_t l = strlen(line);
        if (len + l + 1 > cap) {
            cap = cap * 2 + l;
            out = realloc(out, cap);
        }
        memcpy(out + len, line, l + 1);
        len += l;
    }
    if (rc < 0)
        snprintf(out, cap, "ERR: next: %s", td_index_iter_error(it));
    td_index_query_end(&it);
    td_index_close(&idx);
    return out;
}

/* Name storage for queries built into tables: a ring of slots. */
uint8_t *slot(void)
{
    static uint8_t ring[128][256];
    static unsigned next;
    return ring[next++ % 128];
}

struct td_index_query qn(enum td_index_qkind kind, const char *name, int type, const char *bw)
{
    uint8_t *qname = slot(), *qbw = slot();
    struct td_index_query q;
    memset(&q, 0, sizeof q);
    q.kind = kind;
    int n = td_dns_name_from_text(name, qname, 256);
    q.name = qname;
    q.name_len = n < 0 ? 0 : (size_t)n;
    q.rrtype = type;
    if (bw) {
        n = td_dns_name_from_text(bw, qbw, 256);
        q.bailiwick = qbw;
        q.bailiwick_len = n < 0 ? 0 : (size_t)n;
    }
    return q;
}

struct td_index_query qip(const char *lo, const char *hi, unsigned pfx)
{
    struct td_index_query q;
    memset(&q, 0, sizeof q);
    q.kind = TD_IQ_RDATA_IP;
    q.rrtype = TD_INDEX_ANY;
    int af = strchr(lo, ':') ? AF_INET6 : AF_INET;
    q.ip_len = af == AF_INET ? 4 : 16;
    inet_pton(af, lo, q.ip_lo);
    if (hi)
        inet_pton(af, hi, q.ip_hi);
    q.ip_prefix = pfx;
    return q;
}

void run_cases_on(const struct qcase *c, size_t n, const char *root1, const char *root3)
{
    for (size_t i = 0; i < n; i++) {
        const char *roots[2] = { root1, root3 };
        for (int r = 0; r < 2; r++) {
            char *got = run_q(roots[r], &c[i].q, NULL);
            if (strcmp(got, c[i].expect) != 0)
                TT_FAIL("%s (%s): got\n%sexpected\n%s", c[i].what, r ? "3 gens" : "1 gen", got, c[i].expect);
            free(got);
        }
    }
}
