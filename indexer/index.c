/* index.c: the reading library (index.h has the contract): FILESET -> one generation reader
 * (gen_reader.h) per generation with a shared block cache. A query is a key-range scan ("main"
 * scan) over every generation the fences do not prune, merged by key (a binary heap of
 * generation iterators), entries of equal keys merged by value (or kept apart, gravel), then
 * decoded, checked, fenced, probed against the pruned generations, offset and limited. Two
 * kinds are two-level: an "outer" scan of name keys (RRSET_NAME_FWD for rrset X.*,
 * RDATA_NAME_REV for rdata *.X) gives one name at a time, and the main scan is re-aimed at that
 * name's range in the generations that hold the name. Wildcards seek past keys they cannot use
 * (the name X itself where excluded, names deeper than one more label for `+`). */
#include "index.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns_wire.h"
#include "errf.h"
#include "fileset.h"
#include "gen_reader.h"

/* A generation open in this process. Handles made by td_index_reopen share it (and its open
 * tables): refs counts the handles listing it; the last close closes it. */
struct td_index_gen {
    char name[TD_FILESET_NAME_MAX];
    struct td_gen *db;
    uint32_t base;                /* TIME_BASE: the values' time origin (keys.h) */
    int has_range;
    uint32_t min_tf, max_tl;
    unsigned refs;
};

/* The block cache and the open-table bound, shared the same way. */
struct td_index_env {
    struct td_sst_cache *cache;
    unsigned max_open;
    unsigned refs;
};

struct td_index {
    size_t n;
    struct td_index_gen **gens;
    struct td_index_env *env;
    char *root;
};

/* Range bounds: TD_INDEX_RANGE_MAX, or 1 + raw_len for raw rdata. Seek targets: a wildcard
 * prefix (a range start) plus one label. Sized per query, so an exact lookup allocates little. */
#define SEEK_MAX (TD_INDEX_RANGE_MAX + 64)

/* One k-way merged scan of [start, end) over some generations. */
struct scan {
    struct td_gen_iter **its;     /* per generation; NULL = not read by this scan */
    size_t *heap, heap_n;         /* generations positioned inside the range, least key first */
    uint8_t *start, *end;         /* cap octets each */
    size_t cap;
    size_t start_len, end_len;    /* end_len 0: to the end of the key space */
};

/* One value of the current key: the merged one, or (gravel) one per generation. */
struct gval {
    struct td_obs_value v;
    size_t gen;
};

struct td_index_iter {
    struct td_index *idx;
    struct td_index_query q;
    uint8_t name[TD_DNS_NAME_MAX], bw[TD_DNS_NAME_MAX];
    uint8_t *mem;                 /* one block: every array and buffer below (iter_alloc) */
    uint8_t *raw;                 /* RDATA_RAW: copy of q->raw */
    int checks;                   /* TD_IR_CHECK_* owed on the main scan's keys */
    size_t n;                     /* generations scanned (not pruned) */
    size_t *readers, nreaders;    /* their indexes */
    size_t *removers, nremovers;  /* pruned generations: probed to remove their keys (not gravel) */
    struct scan main, outer;      /* outer: two-level kinds only */
    int two_level, inner_active;
    size_t *ongens, nongens;      /* generations holding the current outer name */
    uint8_t cur[TD_DNS_NAME_MAX]; /* the current outer name, wire order */
    uint16_t cur_len;
    uint8_t *tmp;                 /* SEEK_MAX: seek targets */
    uint64_t skipped, returned;
    int state;                    /* 0 running, 1 done, -1 error */
    char err[256];
    /* the current key, decoded into res, and its values */
    uint8_t *key;                 /* TD_INDEX_KEY_MAX */
    size_t klen;
    struct td_obs_key ok;
    struct td_index_rdata_key rk;
    uint8_t *rdbuf;               /* 65536 */
    const uint8_t *rd1[1];
    uint16_t rdl1[1];
    struct td_index_result res;
    struct gval *vals;            /* one per generation */
    size_t nvals, vpos;
};

/* ---------- open / close ---------- */

/* The generation's TIME_BASE (absent: 0) and TIME_RANGE (absent: never pruned). */
static int read_metadata(struct td_index_gen *g, char *err, size_t errlen)
{
    uint8_t v[32];
    size_t vlen = 0;
    uint8_t k = TD_IK_TIME_BASE;
    char e[200];
    int r = td_gen_get(g->db, &k, 1, v, sizeof v, &vlen, e, sizeof e);
    if (r < 0) {
        td_errf(err, errlen, "generation %s: reading TIME_BASE: %s", g->name, e);
        return -1;
    }
    g->base = 0;
    if (r == 1 && (vlen > sizeof v || td_index_time_base_decode(v, vlen, &g->base) != 0)) {
        td_errf(err, errlen, "generation %s: malformed TIME_BASE value", g->name);
        return -1;
    }
    k = TD_IK_TIME_RANGE;
    r = td_gen_get(g->db, &k, 1, v, sizeof v, &vlen, e, sizeof e);
    if (r < 0) {
        td_errf(err, errlen, "generation %s: reading TIME_RANGE: %s", g->name, e);
        return -1;
    }
    if (r == 0)
        return 0; /* no metadata: never pruned */
    if (vlen > sizeof v || td_index_time_range_decode(v, vlen, &g->min_tf, &g->max_tl) != 0) {
        td_errf(err, errlen, "generation %s: malformed TIME_RANGE value", g->name);
        return -1;
    }
    g->has_range = 1;
    return 0;
}

static void env_put(struct td_index_env *env)
{
    if (!env || --env->refs > 0)
        return;
    td_sst_cache_free(env->cache);
    free(env);
}

static struct td_index_env *env_new(const struct td_index_opts *opts)
{
    struct td_index_env *env = calloc(1, sizeof *env);
    if (!env)
        return NULL;
    env->refs = 1;
    size_t cache = opts && opts->cache_bytes ? opts->cache_bytes : TD_INDEX_CACHE_DEFAULT;
    env->max_open = opts && opts->max_open_files > 0 ? (unsigned)opts->max_open_files : TD_INDEX_OPEN_FILES_DEFAULT;
    env->cache = td_sst_cache_new(cache);
    return env;
}

static void gen_put(struct td_index_gen *g)
{
    if (!g || --g->refs > 0)
        return;
    td_gen_close(g->db);
    free(g);
}

/* Opens ROOT/FILESET's generations, taking those `old` already has (same name: generations are
 * immutable and names are never reused) instead of opening them again. */
static struct td_index *open_set(const char *root, const struct td_index *old, const struct td_index_opts *opts,
                                 char *err, size_t errlen)
{
    struct td_fileset fs;
    if (!root) {
        td_errf(err, errlen, "index open: no root");
        return NULL;
    }
    if (td_fileset_load(root, &fs, err, errlen) != 0)
        return NULL;
    struct td_index *idx = calloc(1, sizeof *idx);
    if (!idx || (fs.n && !(idx->gens = calloc(fs.n, sizeof *idx->gens))) || !(idx->root = strdup(root))) {
        td_errf(err, errlen, "index open: out of memory");
        if (idx) {
            free(idx->gens);
            free(idx);
        }
        td_fileset_free(&fs);
        return NULL;
    }
    if (old) {
        idx->env = old->env;
        idx->env->refs++;
    } else if (!(idx->env = env_new(opts))) {
        td_errf(err, errlen, "index open: out of memory");
        td_fileset_free(&fs);
        td_index_close(&idx);
        return NULL;
    }
    for (uint32_t i = 0; i < fs.n; i++) {
        struct td_index_gen *g = NULL;
        for (size_t j = 0; old && j < old->n; j++)
            if (!strcmp(old->gens[j]->name, fs.gens[i].name)) {
                g = old->gens[j];
                break;
            }
        if (g) {
            g->refs++;
            idx->gens[idx->n++] = g;
            continue;
        }
        g = calloc(1, sizeof *g);
        if (!g) {
            td_errf(err, errlen, "index open: out of memory");
            td_fileset_free(&fs);
            td_index_close(&idx);
            return NULL;
        }
        g->refs = 1;
        idx->gens[idx->n++] = g;
        char path[4096];
        snprintf(g->name, sizeof g->name, "%s", fs.gens[i].name);
        snprintf(path, sizeof path, "%s/%s", root, g->name);
        char e[300];
        g->db = td_gen_open(path, idx->env->cache, idx->env->max_open, e, sizeof e);
        if (!g->db) {
            td_errf(err, errlen, "generation %s: %s", g->name, e);
            td_fileset_free(&fs);
            td_index_close(&idx);
            return NULL;
        }
        if (read_metadata(g, err, errlen) != 0) {
            td_fileset_free(&fs);
            td_index_close(&idx);
            return NULL;
        }
    }
    td_fileset_free(&fs);
    return idx;
}

struct td_index *td_index_open(const char *root, const struct td_index_opts *opts, char *err, size_t errlen)
{
    return open_set(root, NULL, opts, err, errlen);
}

struct td_index *td_index_reopen(const struct td_index *old, char *err, size_t errlen)
{
    if (!old) {
        td_errf(err, errlen, "index reopen: no index");
        return NULL;
    }
    return open_set(old->root, old, NULL, err, errlen);
}

void td_index_close(struct td_index **ip)
{
    struct td_index *idx = ip ? *ip : NULL;
    if (!idx)
        return;
    for (size_t i = 0; i < idx->n; i++)
        gen_put(idx->gens[i]);
    free(idx->gens);
    env_put(idx->env);
    free(idx->root);
    free(idx);
    *ip = NULL;
}

size_t td_index_generations(const struct td_index *idx)
{
    return idx ? idx->n : 0;
}


/* ---------- scans: heap of generation iterators, ordered by current key ---------- */

static int it_cmp(const struct scan *sc, size_t a, size_t b)
{
    size_t la, lb;
    const uint8_t *ka = td_gen_iter_key(sc->its[a], &la);
    const uint8_t *kb = td_gen_iter_key(sc->its[b], &lb);
    int c = td_key_cmp(ka, la, kb, lb);
    if (c == 0) /* equal keys: generation order, so ties are deterministic */
        c = a < b ? -1 : a > b ? 1 : 0;
    return c;
}

static void heap_down(struct scan *sc, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < sc->heap_n && it_cmp(sc, sc->heap[l], sc->heap[m]) < 0)
            m = l;
        if (r < sc->heap_n && it_cmp(sc, sc->heap[r], sc->heap[m]) < 0)
            m = r;
        if (m == i)
            return;
        size_t t = sc->heap[i];
        sc->heap[i] = sc->heap[m];
        sc->heap[m] = t;
        i = m;
    }
}

static void heapify(struct scan *sc)
{
    for (size_t i = sc->heap_n; i-- > 0;)
        heap_down(sc, i);
}

/* 1 if generation j's iterator of sc is on a key inside the range, 0 if exhausted or past
 * the end, -1 on a read error (it->err set). */
static int in_range(struct td_index_iter *it, const struct scan *sc, size_t j)
{
    struct td_gen_iter *gi = sc->its[j];
    if (!td_gen_iter_valid(gi)) {
        char e[200];
        if (td_gen_iter_error(gi, e, sizeof e) != 0) {
            td_errf(it->err, sizeof it->err, "generation %s: %s", it->idx->gens[j]->name, e);
            return -1;
        }
        return 0;
    }
    if (sc->end_len == 0)
        return 1;
    size_t kl;
    const uint8_t *k = td_gen_iter_key(gi, &kl);
    return td_key_cmp(k, kl, sc->end, sc->end_len) < 0;
}

/* The least key above every key with prefix p[0..len) into out (last octet below 0xFF
 * incremented, the rest dropped); returns its length, 0 if there is none (unbounded). */
static size_t prefix_succ(const uint8_t *p, size_t len, uint8_t *out)
{
    while (len > 0 && p[len - 1] == 0xff)
        len--;
    if (len == 0)
        return 0;
    memcpy(out, p, len);
    out[len - 1]++;
    return len;
}

static void scan_set_range(struct scan *sc, const struct td_index_range *r)
{
    memcpy(sc->start, r->start, r->start_len);
    sc->start_len = r->start_len;
    memcpy(sc->end, r->end, r->end_len);
    sc->end_len = r->end_len;
}

/* Positions the iterators of gens[0..ng) at the range start and builds the heap. */
static int scan_seek(struct td_index_iter *it, struct scan *sc, const size_t *gens, size_t ng)
{
    sc->heap_n = 0;
    for (size_t i = 0; i < ng; i++) {
        size_t j = gens[i];
        td_gen_iter_seek(sc->its[j], sc->start, sc->start_len);
        int r = in_range(it, sc, j);
        if (r < 0)
            return -1;
        if (r)
            sc->heap[sc->heap_n++] = j;
    }
    heapify(sc);
    return 0;
}

/* Moves every iterator of sc past the keys that start with key[0..cut) (they all sort before
 * the target): one seek each for those still below it, instead of walking them. */
static int scan_skip_prefix(struct td_index_iter *it, struct scan *sc, const uint8_t *key, size_t cut)
{
    if (cut > SEEK_MAX) {
        td_errf(it->err, sizeof it->err, "seek target of %zu octets", cut);
        return -1;
    }
    size_t tl = prefix_succ(key, cut, it->tmp);
    if (tl == 0) {
        sc->heap_n = 0;
        return 0;
    }
    size_t w = 0;
    for (size_t i = 0; i < sc->heap_n; i++) {
        size_t j = sc->heap[i], kl;
        const uint8_t *k = td_gen_iter_key(sc->its[j], &kl);
        if (td_key_cmp(k, kl, it->tmp, tl) < 0) {
            td_gen_iter_seek(sc->its[j], it->tmp, tl);
            int r = in_range(it, sc, j);
            if (r < 0)
                return -1;
            if (r == 0)
                continue;
        }
        sc->heap[w++] = j;
    }
    sc->heap_n = w;
    heapify(sc);
    return 0;
}

static void merge_value(struct td_obs_value *a, const struct td_obs_value *b)
{
    a->count = a->count > UINT64_MAX - b->count ? UINT64_MAX : a->count + b->count;
    if (b->time_first < a->time_first)
        a->time_first = b->time_first;
    if (b->time_last > a->time_last)
        a->time_last = b->time_last;
}

static int gval_less(const struct gval *a, const struct gval *b)
{
    if (a->v.time_first != b->v.time_first)
        return a->v.time_first < b->v.time_first;
    if (a->v.time_last != b->v.time_last)
        return a->v.time_last < b->v.time_last;
    return a->gen < b->gen;
}

/* Pops the least key of sc into key/klen, advancing every generation on it. Values: merged
 * into vals[0] (*nvals 1), or with gravel one per generation sorted by time_first, time_last,
 * generation. gens (may be NULL) receives the generations that held the key. 1, 0 at the
 * end, -1 on error. */
static int scan_pop(struct td_index_iter *it, struct scan *sc, int gravel, uint8_t *key, size_t *klen,
                    struct gval *vals, size_t *nvals, size_t *gens, size_t *ngens)
{
    if (sc->heap_n == 0)
        return 0;
    size_t j = sc->heap[0];
    size_t kl, vl;
    const uint8_t *k = td_gen_iter_key(sc->its[j], &kl);
    if (kl > TD_INDEX_KEY_MAX) {
        td_errf(it->err, sizeof it->err, "generation %s: key of %zu octets", it->idx->gens[j]->name, kl);
        return -1;
    }
    memcpy(key, k, kl);
    *klen = kl;
    size_t nv = 0, ng = 0;
    while (sc->heap_n > 0) {
        j = sc->heap[0];
        k = td_gen_iter_key(sc->its[j], &kl);
        if (kl != *klen || memcmp(k, key, kl) != 0)
            break;
        const uint8_t *val = td_gen_iter_value(sc->its[j], &vl);
        struct td_obs_value gv;
        if (td_index_value_decode(val, vl, it->idx->gens[j]->base, &gv) != 0) {
            td_errf(it->err, sizeof it->err, "generation %s: malformed value", it->idx->gens[j]->name);
            return -1;
        }
        if (nv == 0) {
            vals[0].v = gv;
            vals[0].gen = j;
            nv = 1;
        } else if (gravel) {
            /* insertion by (time_first, time_last, generation); generations come in order */
            struct gval g = { gv, j };
            size_t p = nv++;
            while (p > 0 && gval_less(&g, &vals[p - 1])) {
                vals[p] = vals[p - 1];
                p--;
            }
            vals[p] = g;
        } else {
            merge_value(&vals[0].v, &gv);
        }
        if (gens)
            gens[ng++] = j;
        td_gen_iter_next(sc->its[j]);
        int r = in_range(it, sc, j);
        if (r < 0)
            return -1;
        if (r == 0)
            sc->heap[0] = sc->heap[--sc->heap_n];
        heap_down(sc, 0);
    }
    *nvals = nv;
    if (ngens)
        *ngens = ng;
    return 1;
}

/* ---------- query start / end ---------- */

static int pruned(const struct td_index_query *q, const struct td_index_gen *g)
{
    if (!g->has_range)
        return 0;
    if (q->time_first_after && q->time_first_after > g->max_tl)
        return 1;
    if (q->time_last_before && q->time_last_before < g->min_tf)
        return 1;
    return 0;
}

static int copy_name(const uint8_t *src, size_t len, uint8_t *dst, char *err, size_t errlen, const char *what)
{
    if (!src || len == 0 || len > TD_DNS_NAME_MAX) {
        td_errf(err, errlen, "index query: missing or oversized %s", what);
        return -1;
    }
    memcpy(dst, src, len);
    td_dns_name_lower(dst, len);
    return 0;
}

/* RDATA_RAW: prefix tb raw; the type and the exact length are checked on each key. */
static int raw_range(struct td_index_iter *it, char *err, size_t errlen)
{
    const struct td_index_query *q = &it->q;
    uint8_t tb = TD_IK_RDATA;
    if (q->rrtype == TD_INDEX_ANY_DNSSEC)
        tb |= TD_IK_DNSSEC;
    else if (q->rrtype >= 0 && q->rrtype <= 0xffff)
        tb = td_index_type_byte(TD_IK_RDATA, (uint16_t)q->rrtype);
    else if (q->rrtype != TD_INDEX_ANY) {
        td_errf(err, errlen, "index query: bad rrtype %d", q->rrtype);
        return -1;
    }
    it->main.start[0] = tb;
    memcpy(it->main.start + 1, it->raw, q->raw_len);
    it->main.start_len = 1 + q->raw_len;
    it->main.end_len = prefix_succ(it->main.start, it->main.start_len, it->main.end);
    return q->rrtype >= 0 ? TD_IR_CHECK_TYPE | TD_IR_CHECK_RDATA : TD_IR_CHECK_RDATA;
}

/* Validates the query and sets the first range (the outer one for two-level kinds). */
static int make_range(struct td_index_iter *it, char *err, size_t errlen)
{
    struct td_index_query *q = &it->q;
    struct td_index_range r;
    int c;
    int rdata_kind = q->kind == TD_IQ_RDATA_NAME || q->kind == TD_IQ_RDATA_IP || q->kind == TD_IQ_RDATA_RAW ||
                     q->kind == TD_IQ_RDATA_NAME_BELOW || q->kind == TD_IQ_RDATA_NAME_ABOVE;
    if (rdata_kind && q->bailiwick) {
        td_errf(err, errlen, "index query: rdata lookups have no bailiwick");
        return -1;
    }
    if (q->one_label && q->kind != TD_IQ_RRSET_BELOW && q->kind != TD_IQ_RRSET_ABOVE &&
        q->kind != TD_IQ_RDATA_NAME_BELOW && q->kind != TD_IQ_RDATA_NAME_ABOVE) {
        td_errf(err, errlen, "index query: `+` (one_label) only with a wildcard kind");
        return -1;
    }
    switch (q->kind) {
    case TD_IQ_RRSET:
        c = td_index_range_rrset(&r, it->name, q->name_len, q->rrtype, q->bailiwick ? it->bw : NULL,
                                 q->bailiwick_len, err, errlen);
        break;
    case TD_IQ_RRSET_BELOW:
        c = td_index_range_rrset_below(&r, it->name, q->name_len, q->rrtype, err, errlen);
        if (c >= 0 && q->bailiwick)
            c |= TD_IR_CHECK_BAILIWICK;
        break;
    case TD_IQ_RRSET_ABOVE:
        /* the bailiwick is checked by the per-name range; validate it here */
        c = td_index_range_rrset(&r, it->name, q->name_len, q->rrtype, q->bailiwick ? it->bw : NULL,
                                 q->bailiwick_len, err, errlen);
        if (c >= 0)
            c = td_index_range_name_fwd(&r, it->name, q->name_len, q->rrtype, err, errlen);
        it->two_level = 1;
        break;
    case TD_IQ_RDATA_NAME:
        c = td_index_range_rdata_name(&r, it->name, q->name_len, q->rrtype, err, errlen);
        break;
    case TD_IQ_RDATA_NAME_BELOW:
        c = td_index_range_name_rev_below(&r, it->name, q->name_len, q->rrtype, err, errlen);
        it->two_level = 1;
        break;
    case TD_IQ_RDATA_NAME_ABOVE:
        c = td_index_range_rdata_name_above(&r, it->name, q->name_len, q->rrtype, err, errlen);
        break;
    case TD_IQ_RDATA_RAW:
        if (!it->raw || q->raw_len == 0 || q->raw_len > 0xffff) {
            td_errf(err, errlen, "index query: raw rdata of %zu octets (1..65535)", q->raw_len);
            return -1;
        }
        c = raw_range(it, err, errlen);
        if (c < 0)
            return -1;
        it->checks = c;
        return 0;
    case TD_IQ_RDATA_IP: {
        if (q->ip_len != 4 && q->ip_len != 16) {
            td_errf(err, errlen, "index query: an address is 4 or 16 octets, not %zu", q->ip_len);
            return -1;
        }
        int t = q->ip_len == 4 ? 1 : 28;
        if (q->rrtype != TD_INDEX_ANY && q->rrtype != t) {
            td_errf(err, errlen, "index query: rdata ip of %zu octets with rrtype %d", q->ip_len, q->rrtype);
            return -1;
        }
        if (q->ip_prefix)
            c = td_index_range_cidr(&r, q->ip_lo, q->ip_len, q->ip_prefix, err, errlen);
        else
            c = td_index_range_ip(&r, q->ip_lo, q->ip_hi, q->ip_len, err, errlen);
        break;
    }
    default:
        td_errf(err, errlen, "index query: unknown kind %d", (int)q->kind);
        return -1;
    }
    if (c < 0)
        return -1;
    if (it->two_level) {
        scan_set_range(&it->outer, &r);
    } else {
        scan_set_range(&it->main, &r);
        it->checks = c;
    }
    return 0;
}

/* Destroys the scan's generation iterators (its memory belongs to the iterator's one block). */
static void scan_free(struct scan *sc, size_t n)
{
    if (sc->its)
        for (size_t i = 0; i < n; i++)
            if (sc->its[i])
                td_gen_iter_free(sc->its[i]);
}

/* Carves n bytes (aligned to 16) from the block at *p. */
static void *carve(uint8_t **p, size_t n)
{
    void *r = *p;
    *p += (n + 15) & ~(size_t)15;
    return r;
}

/* One allocation holds every array and buffer of an iterator: n generations, range bounds
 * of cap octets, two scans when two_level. */
static int iter_alloc(struct td_index_iter *it, size_t n, size_t cap, int two, size_t raw_len)
{
    size_t scans = two ? 2 : 1;
    size_t a16 = 15 * (16 + 4 * scans); /* alignment slack, one per carve */
    size_t bytes = scans * (n * sizeof(struct td_gen_iter *) + n * sizeof(size_t) + 2 * cap) +
                   3 * n * sizeof(size_t) + n * sizeof(struct gval) + TD_INDEX_KEY_MAX + 65536 + SEEK_MAX +
                   raw_len + a16;
    uint8_t *p = malloc(bytes);
    if (!p)
        return -1;
    it->mem = p;
    struct scan *sc[2] = { &it->main, &it->outer };
    for (size_t i = 0; i < scans; i++) {
        sc[i]->its = carve(&p, n * sizeof *sc[i]->its);
        memset(sc[i]->its, 0, n * sizeof *sc[i]->its);
        sc[i]->heap = carve(&p, n * sizeof *sc[i]->heap);
        sc[i]->start = carve(&p, cap);
        sc[i]->end = carve(&p, cap);
        sc[i]->cap = cap;
    }
    it->readers = carve(&p, n * sizeof *it->readers);
    it->removers = carve(&p, n * sizeof *it->removers);
    it->ongens = carve(&p, n * sizeof *it->ongens);
    it->vals = carve(&p, n * sizeof *it->vals);
    it->key = carve(&p, TD_INDEX_KEY_MAX);
    it->rdbuf = carve(&p, 65536);
    it->tmp = carve(&p, SEEK_MAX);
    it->raw = raw_len ? carve(&p, raw_len) : NULL;
    return 0;
}

static int scan_iterators(struct td_index_iter *it, struct scan *sc, char *err, size_t errlen)
{
    for (size_t i = 0; i < it->nreaders; i++) {
        size_t j = it->readers[i];
        sc->its[j] = td_gen_iter_new(it->idx->gens[j]->db, 1);
        if (!sc->its[j]) {
            td_errf(err, errlen, "index query: cannot create an iterator");
            return -1;
        }
    }
    return 0;
}

struct td_index_iter *td_index_query_start(struct td_index *idx, const struct td_index_query *q, char *err,
                                           size_t errlen)
{
    if (!idx || !q) {
        td_errf(err, errlen, "index query: no index or query");
        return NULL;
    }
    struct td_index_iter *it = calloc(1, sizeof *it);
    if (!it) {
        td_errf(err, errlen, "index query: out of memory");
        return NULL;
    }
    it->idx = idx;
    it->q = *q;
    it->q.raw = NULL;
    size_t n = idx->n ? idx->n : 1;
    int two = q->kind == TD_IQ_RRSET_ABOVE || q->kind == TD_IQ_RDATA_NAME_BELOW;
    size_t cap = TD_INDEX_RANGE_MAX;
    if (q->kind == TD_IQ_RDATA_RAW && q->raw_len < 0x10000 && 1 + q->raw_len > cap)
        cap = 1 + q->raw_len;
    int raw_ok = q->kind == TD_IQ_RDATA_RAW && q->raw && q->raw_len > 0 && q->raw_len <= 0xffff;
    if (iter_alloc(it, n, cap, two, raw_ok ? q->raw_len : 0) != 0) {
        td_errf(err, errlen, "index query: out of memory");
        goto fail;
    }
    if (raw_ok) {
        memcpy(it->raw, q->raw, q->raw_len);
        it->q.raw = it->raw;
    }
    if (q->kind != TD_IQ_RDATA_IP && q->kind != TD_IQ_RDATA_RAW) {
        if (copy_name(q->name, q->name_len, it->name, err, errlen, "name") != 0)
            goto fail;
        it->q.name = it->name;
    } else {
        it->q.name = NULL;
        it->q.name_len = 0;
    }
    if (q->bailiwick) {
        if (copy_name(q->bailiwick, q->bailiwick_len, it->bw, err, errlen, "bailiwick") != 0)
            goto fail;
        it->q.bailiwick = it->bw;
    }
    if (make_range(it, err, errlen) != 0)
        goto fail;
    for (size_t i = 0; i < idx->n; i++) {
        if (pruned(&it->q, idx->gens[i])) {
            /* gravel: a pruned generation's entries fail the fences on their own, and they
             * do not change the other generations' values: nothing to probe */
            if (!it->q.gravel)
                it->removers[it->nremovers++] = i;
            continue;
        }
        it->readers[it->nreaders++] = i;
    }
    it->n = it->nreaders;
    if (scan_iterators(it, &it->main, err, errlen) != 0 ||
        (it->two_level && scan_iterators(it, &it->outer, err, errlen) != 0))
        goto fail;
    if (scan_seek(it, it->two_level ? &it->outer : &it->main, it->readers, it->nreaders) != 0) {
        td_errf(err, errlen, "%s", it->err);
        goto fail;
    }
    return it;
fail:
    td_index_query_end(&it);
    return NULL;
}

void td_index_query_end(struct td_index_iter **itp)
{
    struct td_index_iter *it = itp ? *itp : NULL;
    if (!it)
        return;
    scan_free(&it->main, it->idx->n);
    scan_free(&it->outer, it->idx->n);
    free(it->mem);
    free(it);
    *itp = NULL;
}

const char *td_index_iter_error(const struct td_index_iter *it)
{
    return it ? it->err : "no iterator";
}

size_t td_index_iter_generations(const struct td_index_iter *it)
{
    return it ? it->n : 0;
}

/* ---------- next ---------- */

/* 1 if it->key is in a pruned generation (its merged value would then fail the fences: that
 * generation's times can only make a key fail), 0 if in none, -1 on error. Exact lookups: the
 * bloom filter answers most misses without a block read. */
static int in_removers(struct td_index_iter *it)
{
    for (size_t i = 0; i < it->nremovers; i++) {
        const struct td_index_gen *g = it->idx->gens[it->removers[i]];
        uint8_t v[32];
        size_t vl = 0;
        char e[200];
        int r = td_gen_get(g->db, it->key, it->klen, v, sizeof v, &vl, e, sizeof e);
        if (r < 0) {
            td_errf(it->err, sizeof it->err, "generation %s: %s", g->name, e);
            return -1;
        }
        if (r)
            return 1;
    }
    return 0;
}

static int fences_pass(const struct td_index_query *q, const struct td_obs_value *v)
{
    if (q->time_first_before && v->time_first > q->time_first_before)
        return 0;
    if (q->time_first_after && v->time_first < q->time_first_after)
        return 0;
    if (q->time_last_before && v->time_last > q->time_last_before)
        return 0;
    if (q->time_last_after && v->time_last < q->time_last_after)
        return 0;
    return 1;
}

/* 1 if no entry whose times lie within [nv.time_first, nv.time_last] can pass the fences:
 * a name key's value bounds the values of every entry made for that name. */
static int bound_fails(const struct td_index_query *q, const struct td_obs_value *nv)
{
    return (q->time_first_after && q->time_first_after > nv->time_last) ||
           (q->time_last_after && q->time_last_after > nv->time_last) ||
           (q->time_first_before && q->time_first_before < nv->time_first) ||
           (q->time_last_before && q->time_last_before < nv->time_first);
}

/* Types whose RDATA key holds the name alone (the rdata name must equal it). */
static int one_name_type(uint16_t t)
{
    switch (t) {
    case 2: case 3: case 4: case 5: case 7: case 8: case 9: case 12: case 39: case 15: case 33:
        return 1;
    default:
        return 0;
    }
}

/* Labels of a wire name (without the root). */
static unsigned label_count(const uint8_t *n, size_t len)
{
    unsigned c = 0;
    for (size_t o = 0; o < len && n[o]; o += 1u + n[o])
        c++;
    return c;
}

/* Length of the well-formed name at p (at most len octets), 0 if none. */
static size_t wire_name_len(const uint8_t *p, size_t len)
{
    for (size_t o = 0; o < len && o < TD_DNS_NAME_MAX;) {
        if (p[o] == 0)
            return o + 1;
        if (p[o] > 63)
            return 0;
        o += 1u + p[o];
    }
    return 0;
}

/* The labels of a name key after the wildcard's prefix key[0..p): SELF (the name X itself),
 * ONE (exactly one more label), DEEPER (more; *cut = the octets up to the end of the first
 * extra label), BAD (*cut = p + 1: no name can continue this way), or SHORT (the key ends). */
enum step { STEP_SELF, STEP_ONE, STEP_DEEPER, STEP_BAD, STEP_SHORT };

static enum step label_step(const uint8_t *key, size_t klen, size_t p, size_t *cut)
{
    if (p >= klen)
        return STEP_SHORT;
    uint8_t l = key[p];
    if (l == 0) {
        *cut = p + 1;
        return STEP_SELF;
    }
    if (l > 63) {
        *cut = p + 1;
        return STEP_BAD;
    }
    size_t e = p + 1 + l;
    if (e >= klen)
        return STEP_SHORT;
    *cut = e;
    return key[e] == 0 ? STEP_ONE : STEP_DEEPER;
}

/* Wildcard shape of the key just popped from sc (prefix sc->start_len octets): 1 = use it,
 * 0 = not this one (and the scan was moved past every key like it), -1 = error.
 *   self_ok: X itself is wanted (`*.X` without `+`); one_label: `+`. */
static int shape(struct td_index_iter *it, struct scan *sc, int self_ok, int one_label)
{
    size_t cut = 0;
    switch (label_step(it->key, it->klen, sc->start_len, &cut)) {
    case STEP_SELF:
        if (self_ok && !one_label)
            return 1;
        return scan_skip_prefix(it, sc, it->key, cut) < 0 ? -1 : 0;
    case STEP_BAD:
        return scan_skip_prefix(it, sc, it->key, cut) < 0 ? -1 : 0;
    case STEP_DEEPER:
        if (!one_label)
            return 1;
        return scan_skip_prefix(it, sc, it->key, cut) < 0 ? -1 : 0;
    case STEP_ONE:
    case STEP_SHORT:
    default:
        return 1;
    }
}

/* The next name of the outer scan that may hold results: aims the main scan at its range
 * in the generations that hold the name. 1, 0 at the end, -1 on error. */
static int next_outer(struct td_index_iter *it)
{
    const struct td_index_query *q = &it->q;
    for (;;) {
        size_t nv = 0;
        int r = scan_pop(it, &it->outer, 0, it->key, &it->klen, it->vals, &nv, it->ongens, &it->nongens);
        if (r <= 0)
            return r;
        /* RRSET_ABOVE: X itself is not X.*; RDATA_NAME_BELOW: X is in *.X, not in +.X */
        r = shape(it, &it->outer, q->kind == TD_IQ_RDATA_NAME_BELOW, q->one_label);
        if (r < 0)
            return -1;
        if (r == 0 || bound_fails(q, &it->vals[0].v))
            continue;
        int dec = q->kind == TD_IQ_RRSET_ABOVE
                      ? td_index_name_fwd_decode(it->key, it->klen, it->cur, &it->cur_len, NULL)
                      : td_index_name_rev_decode(it->key, it->klen, it->cur, &it->cur_len, NULL);
        if (dec != 0) {
            td_errf(it->err, sizeof it->err, "malformed name key in the scan");
            return -1;
        }
        struct td_index_range rg;
        char err[128];
        int c = q->kind == TD_IQ_RRSET_ABOVE
                    ? td_index_range_rrset(&rg, it->cur, it->cur_len, q->rrtype, q->bailiwick ? it->bw : NULL,
                                           q->bailiwick_len, err, sizeof err)
                    : td_index_range_rdata_name(&rg, it->cur, it->cur_len, q->rrtype, err, sizeof err);
        if (c < 0) {
            td_errf(it->err, sizeof it->err, "name from the index: %s", err);
            return -1;
        }
        it->checks = c;
        scan_set_range(&it->main, &rg);
        if (scan_seek(it, &it->main, it->ongens, it->nongens) != 0)
            return -1;
        return 1;
    }
}

/* Decodes it->key into it->res and applies the owed checks: 1 = keep, 0 = skip, -1 = error. */
static int decode_check(struct td_index_iter *it)
{
    const struct td_index_query *q = &it->q;
    struct td_index_result *res = &it->res;
    memset(res, 0, sizeof *res);
    if (q->kind == TD_IQ_RRSET || q->kind == TD_IQ_RRSET_BELOW || q->kind == TD_IQ_RRSET_ABOVE) {
        if (td_index_rrset_decode(it->key, it->klen, &it->ok, NULL) != 0) {
            td_errf(it->err, sizeof it->err, "malformed RRSET key in the scan");
            return -1;
        }
        if ((it->checks & TD_IR_CHECK_TYPE) && it->ok.rrtype != q->rrtype)
            return 0;
        if ((it->checks & TD_IR_CHECK_BAILIWICK) &&
            (it->ok.bailiwick_len != q->bailiwick_len || memcmp(it->ok.bailiwick, it->bw, q->bailiwick_len) != 0))
            return 0;
        res->owner = it->ok.owner;
        res->owner_len = it->ok.owner_len;
        res->rrtype = it->ok.rrtype;
        res->bailiwick = it->ok.bailiwick;
        res->bailiwick_len = it->ok.bailiwick_len;
        res->nrdata = it->ok.nrdata;
        res->rdata = it->ok.rdata;
        res->rdlen = it->ok.rdlen;
        return 1;
    }
    struct td_index_rdata_key *rk = &it->rk;
    if (td_index_rdata_decode(it->key, it->klen, rk) != 0) {
        td_errf(it->err, sizeof it->err, "malformed RDATA key in the scan");
        return -1;
    }
    uint16_t t = rk->rrtype;
    if (q->kind == TD_IQ_RDATA_IP) {
        uint16_t want = q->ip_len == 4 ? 1 : 28;
        if (t != want || rk->sliced || rk->tail_len != q->ip_len)
            return 0;
    } else if (q->kind == TD_IQ_RDATA_RAW) {
        /* the range holds the raw octets as a prefix: only an unsliced key of exactly that
         * length is that rdata */
        if (rk->sliced || rk->tail_len != q->raw_len)
            return 0;
        if ((it->checks & TD_IR_CHECK_TYPE) && t != q->rrtype)
            return 0;
    } else {
        /* rdata names: exact (RDATA_NAME, and RDATA_NAME_BELOW per name) or X.* */
        if (it->checks & TD_IR_CHECK_TYPE) {
            if (q->rrtype >= 0 ? t != q->rrtype : !td_index_rdata_name_type(t))
                return 0;
        }
        /* A type with a sliced key matches names through that key only. */
        if (td_index_slice_offset(t) && !rk->sliced)
            return 0;
        if (q->kind == TD_IQ_RDATA_NAME_ABOVE) {
            size_t xl = q->name_len; /* the key holds X's labels; the name must have more */
            size_t nl = wire_name_len(rk->tail, rk->tail_len);
            if (nl <= xl || memcmp(rk->tail, it->name, xl - 1) != 0)
                return 0;
            if (one_name_type(t) && rk->tail_len != nl)
                return 0;
            if (q->one_label && label_count(rk->tail, nl) != label_count(it->name, xl) + 1)
                return 0;
        } else {
            const uint8_t *nm = it->name;
            size_t n = q->name_len;
            if (q->kind == TD_IQ_RDATA_NAME_BELOW) {
                /* only types with RDATA_NAME_REV entries: the names come from those */
                if (!td_index_name_rev_type(t))
                    return 0;
                nm = it->cur;
                n = it->cur_len;
            }
            if (rk->tail_len < n || memcmp(rk->tail, nm, n) != 0)
                return 0;
            if (one_name_type(t) && rk->tail_len != n)
                return 0;
        }
    }
    size_t len = td_index_rdata_copy(rk, it->rdbuf, 65536);
    if (len == (size_t)-1) {
        td_errf(it->err, sizeof it->err, "rdata too long");
        return -1;
    }
    it->rd1[0] = it->rdbuf;
    it->rdl1[0] = (uint16_t)len;
    res->is_rdata = 1;
    res->owner = rk->owner;
    res->owner_len = rk->owner_len;
    res->rrtype = rk->rrtype;
    res->nrdata = 1;
    res->rdata = it->rd1;
    res->rdlen = it->rdl1;
    return 1;
}

/* The next key that passes the checks, decoded into it->res, its values in it->vals. 1, 0
 * at the end, -1 on error. */
static int next_key(struct td_index_iter *it)
{
    const struct td_index_query *q = &it->q;
    for (;;) {
        if (it->two_level && !it->inner_active) {
            int r = next_outer(it);
            if (r <= 0)
                return r;
            it->inner_active = 1;
        }
        int r = scan_pop(it, &it->main, q->gravel, it->key, &it->klen, it->vals, &it->nvals, NULL, NULL);
        if (r < 0)
            return -1;
        if (r == 0) {
            if (it->two_level) {
                it->inner_active = 0;
                continue;
            }
            return 0;
        }
        it->vpos = 0;
        if (q->kind == TD_IQ_RRSET_BELOW && q->one_label) {
            r = shape(it, &it->main, 0, 1);
        } else if (q->kind == TD_IQ_RDATA_NAME_ABOVE) {
            r = shape(it, &it->main, 0, q->one_label);
        } else {
            r = 1;
        }
        if (r < 0)
            return -1;
        if (r == 0)
            continue;
        r = decode_check(it);
        if (r < 0)
            return -1;
        if (r)
            return 1;
    }
}

int td_index_next(struct td_index_iter *it, struct td_index_result *res)
{
    if (!it || !res)
        return -1;
    if (it->state)
        return it->state < 0 ? -1 : 0;
    for (;;) {
        if (it->q.limit && it->returned >= it->q.limit) {
            it->state = 1;
            return 0;
        }
        if (it->vpos >= it->nvals) {
            int r = next_key(it);
            if (r <= 0) {
                it->state = r < 0 ? -1 : 1;
                return r;
            }
        }
        const struct td_obs_value *v = &it->vals[it->vpos++].v;
        if (!fences_pass(&it->q, v))
            continue;
        if (it->nremovers) {
            int r = in_removers(it);
            if (r < 0) {
                it->state = -1;
                return -1;
            }
            if (r)
                continue;
        }
        if (it->skipped < it->q.offset) {
            it->skipped++;
            continue;
        }
        *res = it->res;
        res->count = v->count;
        res->time_first = v->time_first;
        res->time_last = v->time_last;
        it->returned++;
        return 1;
    }
}
