/* index.c: the reading library (index.h has the contract): FILESET -> one LevelDB per
 * generation with a shared block cache; a query is one key range scanned in every generation
 * the fences do not prune, merged by key (a binary heap of generation iterators), entries of
 * equal keys merged by value, then decoded, checked, fenced, offset and limited. */
#include "index.h"

#include <leveldb/c.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns_wire.h"
#include "errf.h"
#include "fileset.h"

#define BLOOM_BITS 10 /* as the builder (generation.c) */

struct td_index_gen {
    char name[TD_FILESET_NAME_MAX];
    leveldb_t *db;
    int has_range;
    uint32_t min_tf, max_tl;
};

struct td_index {
    size_t n;
    struct td_index_gen *gens;
    leveldb_options_t *opts;
    leveldb_cache_t *cache;
    leveldb_filterpolicy_t *bloom;
    leveldb_readoptions_t *ropts;
};

struct td_index_iter {
    struct td_index *idx;
    struct td_index_query q;
    uint8_t name[TD_DNS_NAME_MAX], bw[TD_DNS_NAME_MAX];
    int checks;
    int below_bw; /* RRSET_BELOW with a bailiwick: checked here */
    struct td_index_range range;
    size_t n;                     /* iterators (generations scanned) */
    leveldb_iterator_t **its;
    size_t *removers, nremovers;  /* pruned generations: probed to remove their keys */
    size_t *heap, heap_n;
    uint64_t skipped, returned;
    int state;                    /* 0 running, 1 done, -1 error */
    char err[256];
    /* the current result */
    uint8_t *key;                 /* TD_INDEX_KEY_MAX */
    size_t klen;
    struct td_obs_key ok;
    struct td_index_rdata_key rk;
    uint8_t *rdbuf;               /* 65535 */
    const uint8_t *rd1[1];
    uint16_t rdl1[1];
};

/* ---------- open / close ---------- */

static int read_time_range(struct td_index *idx, struct td_index_gen *g, char *err, size_t errlen)
{
    char *lerr = NULL;
    size_t vlen = 0;
    const char k = (char)TD_IK_TIME_RANGE;
    char *v = leveldb_get(g->db, idx->ropts, &k, 1, &vlen, &lerr);
    if (lerr) {
        td_errf(err, errlen, "generation %s: reading TIME_RANGE: %s", g->name, lerr);
        leveldb_free(lerr);
        return -1;
    }
    if (!v)
        return 0; /* no metadata: never pruned */
    int rc = td_index_time_range_decode((const uint8_t *)v, vlen, &g->min_tf, &g->max_tl);
    leveldb_free(v);
    if (rc != 0) {
        td_errf(err, errlen, "generation %s: malformed TIME_RANGE value", g->name);
        return -1;
    }
    g->has_range = 1;
    return 0;
}

struct td_index *td_index_open(const char *root, const struct td_index_opts *opts, char *err, size_t errlen)
{
    struct td_fileset fs;
    if (!root) {
        td_errf(err, errlen, "index open: no root");
        return NULL;
    }
    if (td_fileset_load(root, &fs, err, errlen) != 0)
        return NULL;
    struct td_index *idx = calloc(1, sizeof *idx);
    if (!idx || (fs.n && !(idx->gens = calloc(fs.n, sizeof *idx->gens)))) {
        td_errf(err, errlen, "index open: out of memory");
        free(idx);
        td_fileset_free(&fs);
        return NULL;
    }
    size_t cache = opts && opts->cache_bytes ? opts->cache_bytes : TD_INDEX_CACHE_DEFAULT;
    int files = opts && opts->max_open_files > 0 ? opts->max_open_files : TD_INDEX_OPEN_FILES_DEFAULT;
    idx->cache = leveldb_cache_create_lru(cache);
    idx->bloom = leveldb_filterpolicy_create_bloom(BLOOM_BITS);
    idx->opts = leveldb_options_create();
    leveldb_options_set_create_if_missing(idx->opts, 0);
    leveldb_options_set_error_if_exists(idx->opts, 0);
    leveldb_options_set_cache(idx->opts, idx->cache);
    leveldb_options_set_filter_policy(idx->opts, idx->bloom);
    leveldb_options_set_max_open_files(idx->opts, files);
    idx->ropts = leveldb_readoptions_create();
    for (uint32_t i = 0; i < fs.n; i++) {
        struct td_index_gen *g = &idx->gens[i];
        char path[4096];
        snprintf(g->name, sizeof g->name, "%s", fs.gens[i].name);
        snprintf(path, sizeof path, "%s/%s", root, g->name);
        char *lerr = NULL;
        g->db = leveldb_open(idx->opts, path, &lerr);
        if (lerr || !g->db) {
            td_errf(err, errlen, "generation %s: %s", g->name, lerr ? lerr : "cannot open");
            leveldb_free(lerr);
            g->db = NULL;
            idx->n = i;
            td_fileset_free(&fs);
            td_index_close(&idx);
            return NULL;
        }
        idx->n = i + 1;
        if (read_time_range(idx, g, err, errlen) != 0) {
            td_fileset_free(&fs);
            td_index_close(&idx);
            return NULL;
        }
    }
    td_fileset_free(&fs);
    return idx;
}

void td_index_close(struct td_index **ip)
{
    struct td_index *idx = ip ? *ip : NULL;
    if (!idx)
        return;
    for (size_t i = 0; i < idx->n; i++)
        if (idx->gens[i].db)
            leveldb_close(idx->gens[i].db);
    free(idx->gens);
    if (idx->ropts)
        leveldb_readoptions_destroy(idx->ropts);
    if (idx->opts)
        leveldb_options_destroy(idx->opts);
    if (idx->bloom)
        leveldb_filterpolicy_destroy(idx->bloom);
    if (idx->cache)
        leveldb_cache_destroy(idx->cache);
    free(idx);
    *ip = NULL;
}

size_t td_index_generations(const struct td_index *idx)
{
    return idx ? idx->n : 0;
}

/* ---------- heap of generation iterators, ordered by current key ---------- */

static int it_cmp(struct td_index_iter *it, size_t a, size_t b)
{
    size_t la, lb;
    const char *ka = leveldb_iter_key(it->its[a], &la);
    const char *kb = leveldb_iter_key(it->its[b], &lb);
    int c = memcmp(ka, kb, la < lb ? la : lb);
    if (c == 0)
        c = la < lb ? -1 : la > lb ? 1 : 0;
    if (c == 0) /* equal keys: generation order, so ties are deterministic */
        c = a < b ? -1 : a > b ? 1 : 0;
    return c;
}

static void heap_down(struct td_index_iter *it, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < it->heap_n && it_cmp(it, it->heap[l], it->heap[m]) < 0)
            m = l;
        if (r < it->heap_n && it_cmp(it, it->heap[r], it->heap[m]) < 0)
            m = r;
        if (m == i)
            return;
        size_t t = it->heap[i];
        it->heap[i] = it->heap[m];
        it->heap[m] = t;
        i = m;
    }
}

/* 1 if iterator j is on a key inside the range, 0 if exhausted or past the end, -1 on a
 * LevelDB error (it->err set). */
static int in_range(struct td_index_iter *it, size_t j)
{
    leveldb_iterator_t *li = it->its[j];
    if (!leveldb_iter_valid(li)) {
        char *lerr = NULL;
        leveldb_iter_get_error(li, &lerr);
        if (lerr) {
            td_errf(it->err, sizeof it->err, "generation %s: %s", it->idx->gens[j].name, lerr);
            leveldb_free(lerr);
            return -1;
        }
        return 0;
    }
    if (it->range.end_len == 0)
        return 1;
    size_t kl;
    const char *k = leveldb_iter_key(li, &kl);
    size_t el = it->range.end_len;
    int c = memcmp(k, it->range.end, kl < el ? kl : el);
    return c < 0 || (c == 0 && kl < el);
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

static int make_range(struct td_index_iter *it, char *err, size_t errlen)
{
    struct td_index_query *q = &it->q;
    int c;
    switch (q->kind) {
    case TD_IQ_RRSET:
        c = td_index_range_rrset(&it->range, it->name, q->name_len, q->rrtype, q->bailiwick ? it->bw : NULL,
                                 q->bailiwick_len, err, errlen);
        break;
    case TD_IQ_RRSET_BELOW:
        c = td_index_range_rrset_below(&it->range, it->name, q->name_len, q->rrtype, err, errlen);
        if (c >= 0 && q->bailiwick) {
            c |= TD_IR_CHECK_BAILIWICK;
            it->below_bw = 1;
        }
        break;
    case TD_IQ_RDATA_NAME:
        if (q->bailiwick) {
            td_errf(err, errlen, "index query: rdata lookups have no bailiwick");
            return -1;
        }
        c = td_index_range_rdata_name(&it->range, it->name, q->name_len, q->rrtype, err, errlen);
        break;
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
        if (q->bailiwick) {
            td_errf(err, errlen, "index query: rdata lookups have no bailiwick");
            return -1;
        }
        if (q->ip_prefix)
            c = td_index_range_cidr(&it->range, q->ip_lo, q->ip_len, q->ip_prefix, err, errlen);
        else
            c = td_index_range_ip(&it->range, q->ip_lo, q->ip_hi, q->ip_len, err, errlen);
        break;
    }
    default:
        td_errf(err, errlen, "index query: unknown kind %d", (int)q->kind);
        return -1;
    }
    if (c < 0)
        return -1;
    it->checks = c;
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
    if (q->kind != TD_IQ_RDATA_IP) {
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
    it->key = malloc(TD_INDEX_KEY_MAX);
    it->rdbuf = malloc(65536);
    it->its = calloc(idx->n ? idx->n : 1, sizeof *it->its);
    it->heap = calloc(idx->n ? idx->n : 1, sizeof *it->heap);
    it->removers = calloc(idx->n ? idx->n : 1, sizeof *it->removers);
    if (!it->key || !it->rdbuf || !it->its || !it->heap || !it->removers) {
        td_errf(err, errlen, "index query: out of memory");
        goto fail;
    }
    for (size_t i = 0; i < idx->n; i++) {
        if (pruned(&it->q, &idx->gens[i])) {
            it->removers[it->nremovers++] = i;
            continue;
        }
        leveldb_iterator_t *li = leveldb_create_iterator(idx->gens[i].db, idx->ropts);
        if (!li) {
            td_errf(err, errlen, "index query: cannot create an iterator");
            goto fail;
        }
        it->its[i] = li;
        it->n++;
        leveldb_iter_seek(li, (const char *)it->range.start, it->range.start_len);
        int r = in_range(it, i);
        if (r < 0) {
            td_errf(err, errlen, "%s", it->err);
            goto fail;
        }
        if (r)
            it->heap[it->heap_n++] = i;
    }
    for (size_t i = it->heap_n; i-- > 0;)
        heap_down(it, i);
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
    if (it->its)
        for (size_t i = 0; i < it->idx->n; i++)
            if (it->its[i])
                leveldb_iter_destroy(it->its[i]);
    free(it->its);
    free(it->heap);
    free(it->removers);
    free(it->key);
    free(it->rdbuf);
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

static void merge_value(struct td_obs_value *a, const struct td_obs_value *b)
{
    a->count = a->count > UINT64_MAX - b->count ? UINT64_MAX : a->count + b->count;
    if (b->time_first < a->time_first)
        a->time_first = b->time_first;
    if (b->time_last > a->time_last)
        a->time_last = b->time_last;
}

/* Pops the least key into it->key, merging the values of every generation on that key, and
 * advances those generations. 1, 0 at the end, -1 on error. */
static int next_merged(struct td_index_iter *it, struct td_obs_value *v)
{
    if (it->heap_n == 0)
        return 0;
    size_t j = it->heap[0];
    size_t kl, vl;
    const char *k = leveldb_iter_key(it->its[j], &kl);
    if (kl > TD_INDEX_KEY_MAX) {
        td_errf(it->err, sizeof it->err, "generation %s: key of %zu octets", it->idx->gens[j].name, kl);
        return -1;
    }
    memcpy(it->key, k, kl);
    it->klen = kl;
    int first = 1;
    while (it->heap_n > 0) {
        j = it->heap[0];
        k = leveldb_iter_key(it->its[j], &kl);
        if (kl != it->klen || memcmp(k, it->key, kl) != 0)
            break;
        const char *val = leveldb_iter_value(it->its[j], &vl);
        struct td_obs_value gv;
        if (td_index_value_decode((const uint8_t *)val, vl, &gv) != 0) {
            td_errf(it->err, sizeof it->err, "generation %s: malformed value", it->idx->gens[j].name);
            return -1;
        }
        if (first)
            *v = gv;
        else
            merge_value(v, &gv);
        first = 0;
        leveldb_iter_next(it->its[j]);
        int r = in_range(it, j);
        if (r < 0)
            return -1;
        if (r == 0)
            it->heap[0] = it->heap[--it->heap_n];
        heap_down(it, 0);
    }
    return 1;
}

/* 1 if it->key is in a pruned generation (its merged value would then fail the fences: that
 * generation's times can only make a key fail), 0 if in none, -1 on error. Exact lookups: the
 * bloom filter answers most misses without a block read. */
static int in_removers(struct td_index_iter *it)
{
    for (size_t i = 0; i < it->nremovers; i++) {
        const struct td_index_gen *g = &it->idx->gens[it->removers[i]];
        char *lerr = NULL;
        size_t vl = 0;
        char *v = leveldb_get(g->db, it->idx->ropts, (const char *)it->key, it->klen, &vl, &lerr);
        if (lerr) {
            td_errf(it->err, sizeof it->err, "generation %s: %s", g->name, lerr);
            leveldb_free(lerr);
            return -1;
        }
        if (v) {
            leveldb_free(v);
            return 1;
        }
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

/* Decodes it->key into res and applies the owed checks: 1 = keep, 0 = skip, -1 = error. */
static int decode_check(struct td_index_iter *it, struct td_index_result *res)
{
    const struct td_index_query *q = &it->q;
    memset(res, 0, sizeof *res);
    if (q->kind == TD_IQ_RRSET || q->kind == TD_IQ_RRSET_BELOW) {
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
    if (q->kind == TD_IQ_RDATA_IP) {
        uint16_t want = q->ip_len == 4 ? 1 : 28;
        if (rk->rrtype != want || rk->sliced || rk->tail_len != q->ip_len)
            return 0;
    } else {
        uint16_t t = rk->rrtype;
        if (it->checks & TD_IR_CHECK_TYPE) {
            if (q->rrtype >= 0 ? t != q->rrtype : !td_index_rdata_name_type(t))
                return 0;
        }
        /* A type with a sliced key matches names through that key only. */
        if (td_index_slice_offset(t) && !rk->sliced)
            return 0;
        if (it->checks & TD_IR_CHECK_RDATA) {
            size_t n = q->name_len;
            if (rk->tail_len < n || memcmp(rk->tail, it->name, n) != 0)
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
        struct td_obs_value v = { 0 };
        int r = next_merged(it, &v);
        if (r <= 0) {
            it->state = r < 0 ? -1 : 1;
            return r;
        }
        r = decode_check(it, res);
        if (r < 0) {
            it->state = -1;
            return -1;
        }
        if (r == 0 || !fences_pass(&it->q, &v))
            continue;
        r = in_removers(it);
        if (r < 0) {
            it->state = -1;
            return -1;
        }
        if (r)
            continue;
        if (it->skipped < it->q.offset) {
            it->skipped++;
            continue;
        }
        res->count = v.count;
        res->time_first = v.time_first;
        res->time_last = v.time_last;
        it->returned++;
        return 1;
    }
}
