/* test_dedupe: exact merged output of a hand table (also across spills: the first seen
 * reason/rule wins), a random property test against a sort+merge reference with caps giving
 * no spill, exactly one and many (with keys larger than the run buffers), the memory bound
 * (1 MiB cap, 50 MB of input: several runs, peak under the cap, same output as a huge cap),
 * emit stopping, refused calls, damaged run files. The append mode (index builds) runs the same
 * tests (but the damaged runs: its spills finish in the background), where the reason and rule
 * of a merged key are not compared (unspecified there). */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include "dedupe.h"
#include "tt.h"

static char tmpdir[256];
static int append_mode;           /* mk() makes append-mode dedupes */

static uint32_t xs(uint32_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 17;
    *s ^= *s << 5;
    return *s;
}

/* ---- collecting emitted entries ---- */

struct out {
    size_t n, cap;
    struct {
        uint8_t *key;
        size_t klen;
        struct td_obs_value v;
    } *e;
    int stop_after; /* > 0: return 42 after that many */
    XXH3_state_t *h; /* when set, only hash (for huge outputs) */
    uint8_t prev[1 << 17];
    size_t prev_len;
    int order_bad;
};

static int collect(void *ctx, const uint8_t *key, size_t klen, const struct td_obs_value *v)
{
    struct out *o = ctx;
    if (o->n > 0) {
        size_t m = o->prev_len < klen ? o->prev_len : klen;
        int c = memcmp(o->prev, key, m);
        if (c > 0 || (c == 0 && o->prev_len >= klen))
            o->order_bad = 1;
    }
    if (klen <= sizeof o->prev) {
        memcpy(o->prev, key, klen);
        o->prev_len = klen;
    }
    if (o->h) {
        XXH3_64bits_update(o->h, key, klen);
        XXH3_64bits_update(o->h, v, sizeof *v);
    } else {
        if (o->n == o->cap) {
            o->cap = o->cap ? o->cap * 2 : 64;
            o->e = realloc(o->e, o->cap * sizeof *o->e);
        }
        o->e[o->n].key = malloc(klen);
        memcpy(o->e[o->n].key, key, klen);
        o->e[o->n].klen = klen;
        o->e[o->n].v = *v;
    }
    o->n++;
    if (o->stop_after && (int)o->n == o->stop_after)
        return 42;
    return 0;
}

static void out_free(struct out *o)
{
    for (size_t i = 0; i < o->n && o->e; i++)
        free(o->e[i].key);
    free(o->e);
    memset(o, 0, sizeof *o);
}

static struct td_dedupe *mk(size_t cap)
{
    char err[256];
    struct td_dedupe_opts opts = {cap, tmpdir, append_mode};
    struct td_dedupe *d = td_dedupe_init(&opts, err, sizeof err);
    if (!d)
        TT_FAIL("init: %s", err);
    return d;
}

static int add(struct td_dedupe *d, const char *key, uint64_t count, uint32_t tf, uint32_t tl, uint8_t reason,
               uint16_t rule)
{
    char err[256];
    struct td_obs_value v = {count, tf, tl, reason, rule};
    int r = td_dedupe_add(d, (const uint8_t *)key, strlen(key), &v, err, sizeof err);
    if (r != 0)
        TT_FAIL("add: %s", err);
    return r;
}

static int run_dir_empty(void)
{
    char cmd[400];
    snprintf(cmd, sizeof cmd, "test -z \"$(ls -A %s)\"", tmpdir);
    return system(cmd) == 0;
}

/* ---- hand table ---- */

static void hand_table(int with_spill)
{
    struct td_dedupe *d = mk(with_spill ? 1 << 20 : 0);
    char err[256];
    add(d, "b", 1, 10, 20, 5, 0);
    add(d, "a", 2, 5, 5, 0, 0);
    if (with_spill) {
        /* enough distinct filler to spill "b" and "a" into a run before their second copies */
        char k[64];
        for (int i = 0; i < 40000; i++) {
            snprintf(k, sizeof k, "filler-%08d-xxxxxxxxxxxxxxxxxxxx", i);
            add(d, k, 1, 100, 100, 1, 0);
        }
        CHECK(td_dedupe_stats(d)->runs_spilled >= 1);
    }
    add(d, "b", 3, 8, 25, 6, 9);
    add(d, "ab", 1, 1, 1, 0, 0);
    add(d, "b", 1, 15, 15, 0, 0);
    add(d, "a", UINT64_MAX - 10, 4, 4, 7, 7);
    struct out o = {0};
    CHECK_EQ(td_dedupe_finish(d, collect, &o, err, sizeof err), 0);
    size_t base = with_spill ? 40000 : 0;
    CHECK_EQ(o.n, 3 + base);
    CHECK_EQ(o.order_bad, 0);
    if (o.n == 3 + base) {
        CHECK_EQ(o.e[0].klen, 1);
        CHECK_MEM(o.e[0].key, "a", 1);
        CHECK(o.e[0].v.count == UINT64_MAX - 8);
        CHECK_EQ(o.e[0].v.time_first, 4);
        CHECK_EQ(o.e[0].v.time_last, 5);
        if (!append_mode) {
            CHECK_EQ(o.e[0].v.reason, 0);
            CHECK_EQ(o.e[0].v.rule, 0);
        }
        CHECK_EQ(o.e[1].klen, 2);
        CHECK_MEM(o.e[1].key, "ab", 2);
        CHECK_EQ(o.e[1].v.count, 1);
        CHECK_EQ(o.e[2].klen, 1);
        CHECK_MEM(o.e[2].key, "b", 1);
        CHECK_EQ(o.e[2].v.count, 5);
        CHECK_EQ(o.e[2].v.time_first, 8);
        CHECK_EQ(o.e[2].v.time_last, 25);
        if (!append_mode) {
            CHECK_EQ(o.e[2].v.reason, 5);
            CHECK_EQ(o.e[2].v.rule, 0);
        }
        if (with_spill) {
            CHECK_EQ(o.e[3].klen, 36);
            CHECK_MEM(o.e[3].key, "filler-00000000-", 16);
        }
    }
    const struct td_dedupe_stats *st = td_dedupe_stats(d);
    CHECK_EQ(st->added, 6 + base);
    CHECK_EQ(st->emitted, 3 + base);
    /* add and finish after finish are refused */
    struct td_obs_value v = {1, 1, 1, 0, 0};
    CHECK_EQ(td_dedupe_add(d, (const uint8_t *)"z", 1, &v, err, sizeof err), -1);
    CHECK_EQ(td_dedupe_finish(d, collect, &o, err, sizeof err), -1);
    td_dedupe_destroy(&d);
    CHECK(d == NULL);
    CHECK(run_dir_empty());
    out_free(&o);
}

static void test_hand_table(void)
{
    hand_table(0);
}

static void test_hand_table_spilled(void)
{
    hand_table(1);
}

/* ---- random property test ---- */

struct radd {
    uint32_t key; /* index into the pool */
    uint32_t seq;
    struct td_obs_value v;
};

struct pool {
    uint32_t n;
    uint8_t **k;
    uint32_t *len;
};

static struct pool *pool_new(uint32_t n, uint32_t *seed, int with_big)
{
    struct pool *p = calloc(1, sizeof *p);
    p->n = n;
    p->k = calloc(n, sizeof *p->k);
    p->len = calloc(n, sizeof *p->len);
    for (uint32_t i = 0; i < n; i++) {
        uint32_t l = 1 + xs(seed) % 90;
        if (with_big && i % 997 == 3)
            l = 40000 + xs(seed) % 60000; /* above the 32 KiB run buffer */
        p->len[i] = l;
        p->k[i] = malloc(l);
        /* few distinct first octets, so that keys share prefixes; index bytes keep them unique */
        for (uint32_t j = 0; j < l; j++)
            p->k[i][j] = (uint8_t)(xs(seed) % 4);
        if (l >= 4) {
            p->k[i][l - 4] = (uint8_t)(0x10 | (i >> 24));
            p->k[i][l - 3] = (uint8_t)(i >> 16);
            p->k[i][l - 2] = (uint8_t)(i >> 8);
            p->k[i][l - 1] = (uint8_t)i;
        }
    }
    /* short keys may repeat: the reference compares contents, so that is just more duplicates */
    return p;
}

static void pool_free(struct pool *p)
{
    for (uint32_t i = 0; i < p->n; i++)
        free(p->k[i]);
    free(p->k);
    free(p->len);
    free(p);
}

static const struct pool *cmp_pool;

static int cmp_key(const struct pool *p, uint32_t a, uint32_t b)
{
    size_t m = p->len[a] < p->len[b] ? p->len[a] : p->len[b];
    int c = memcmp(p->k[a], p->k[b], m);
    if (c)
        return c;
    return p->len[a] < p->len[b] ? -1 : p->len[a] > p->len[b];
}

static int cmp_radd(const void *x, const void *y)
{
    const struct radd *a = x, *b = y;
    int c = cmp_key(cmp_pool, a->key, b->key);
    if (c)
        return c;
    return a->seq < b->seq ? -1 : a->seq > b->seq;
}

/* Runs adds[0..n-1] through a dedupe with the cap and compares with the reference. */
static void check_against_reference(const struct pool *p, struct radd *adds, size_t n, size_t cap,
                                    uint64_t *runs, uint64_t *peak)
{
    char err[256];
    struct td_dedupe *d = mk(cap);
    for (size_t i = 0; i < n; i++)
        if (td_dedupe_add(d, p->k[adds[i].key], p->len[adds[i].key], &adds[i].v, err, sizeof err) != 0) {
            TT_FAIL("add: %s", err);
            break;
        }
    struct out o = {0};
    int rc = td_dedupe_finish(d, collect, &o, err, sizeof err);
    if (rc != 0)
        TT_FAIL("finish: %d %s", rc, err);
    *runs = td_dedupe_stats(d)->runs_spilled;
    *peak = td_dedupe_stats(d)->peak_mem;
    td_dedupe_destroy(&d);
    CHECK(run_dir_empty());
    /* reference: sort (key, seq), merge equal keys */
    struct radd *r = malloc(n * sizeof *r);
    memcpy(r, adds, n * sizeof *r);
    cmp_pool = p;
    qsort(r, n, sizeof *r, cmp_radd);
    size_t m = 0, bad = 0;
    for (size_t i = 0; i < n;) {
        struct td_obs_value v = r[i].v;
        size_t j = i + 1;
        while (j < n && cmp_key(p, r[j].key, r[i].key) == 0)
            td_obs_merge(&v, &r[j++].v);
        if (m >= o.n || o.e[m].klen != p->len[r[i].key] || memcmp(o.e[m].key, p->k[r[i].key], o.e[m].klen) != 0 ||
            o.e[m].v.count != v.count || o.e[m].v.time_first != v.time_first ||
            o.e[m].v.time_last != v.time_last ||
            (!append_mode && (o.e[m].v.reason != v.reason || o.e[m].v.rule != v.rule))) {
            if (bad++ < 3)
                TT_FAIL("cap %zu: output entry %zu differs from the reference", cap, m);
        }
        m++;
        i = j;
    }
    CHECK_EQ(o.n, m);
    CHECK_EQ(o.order_bad, 0);
    free(r);
    out_free(&o);
}

static struct radd *random_adds(const struct pool *p, size_t n, uint32_t *seed)
{
    struct radd *a = malloc(n * sizeof *a);
    for (size_t i = 0; i < n; i++) {
        /* skewed: a quarter of the adds hit a small hot set */
        uint32_t k = xs(seed) % 4 == 0 ? xs(seed) % 50 : xs(seed) % p->n;
        uint32_t t = 1000000 + xs(seed) % 100000;
        a[i].key = k;
        a[i].seq = (uint32_t)i;
        a[i].v.count = 1 + xs(seed) % 3;
        a[i].v.time_first = t;
        a[i].v.time_last = t + xs(seed) % 500;
        a[i].v.reason = (uint8_t)(xs(seed) % 10);
        a[i].v.rule = (uint16_t)xs(seed);
    }
    return a;
}

static void test_random_no_spill(void)
{
    uint32_t seed = 7;
    struct pool *p = pool_new(20000, &seed, 0);
    struct radd *a = random_adds(p, 60000, &seed);
    uint64_t runs, peak;
    check_against_reference(p, a, 60000, (size_t)1 << 30, &runs, &peak);
    CHECK_EQ(runs, 0);
    free(a);
    pool_free(p);
}

/* Tables above the parallel sort's threshold (dedupe.c PAR_SORT_MIN, 200000 items): split
 * around a sampled prefix and sorted on two threads; then with every key sharing its first 8
 * octets, where the splitter is the largest prefix and one thread sorts all. */
static void test_random_parallel_sort(void)
{
    for (int same_prefix = 0; same_prefix <= 1; same_prefix++) {
        uint32_t seed = 4242;
        struct pool *p = pool_new(320000, &seed, 0);
        if (same_prefix)
            for (uint32_t i = 0; i < p->n; i++)
                if (p->len[i] >= 12)
                    memset(p->k[i], 1, 8);
        size_t n = 640000;
        struct radd *a = random_adds(p, n, &seed);
        uint64_t runs, peak;
        check_against_reference(p, a, n, (size_t)1 << 30, &runs, &peak);
        CHECK_EQ(runs, 0);
        free(a);
        pool_free(p);
    }
}

static void test_random_one_spill(void)
{
    uint32_t seed = 99;
    struct pool *p = pool_new(200000, &seed, 0);
    size_t n = 400000;
    struct radd *a = random_adds(p, n, &seed);
    /* find how many adds it takes to spill once at 1 MiB, then go half as far again */
    char err[256];
    struct td_dedupe *d = mk(1 << 20);
    size_t k = 0;
    while (k < n && td_dedupe_stats(d)->runs_spilled == 0) {
        td_dedupe_add(d, p->k[a[k].key], p->len[a[k].key], &a[k].v, err, sizeof err);
        k++;
    }
    td_dedupe_destroy(&d);
    CHECK(k < n);
    uint64_t runs, peak;
    check_against_reference(p, a, k + k / 2, 1 << 20, &runs, &peak);
    CHECK_EQ(runs, 1);
    CHECK(peak <= (1 << 20));
    free(a);
    pool_free(p);
}

static void test_random_many_spills(void)
{
    uint32_t seed = 4242;
    struct pool *p = pool_new(150000, &seed, 1);
    size_t n = 500000;
    struct radd *a = random_adds(p, n, &seed);
    uint64_t runs, peak;
    check_against_reference(p, a, n, 1 << 20, &runs, &peak);
    printf("# many spills: %llu runs, peak %llu octets\n", (unsigned long long)runs, (unsigned long long)peak);
    CHECK(runs > 5);
    /* keys up to 100 KB: the run buffers may grow beyond the cap by a few of them */
    CHECK(peak <= (1 << 20));
    free(a);
    pool_free(p);
}

/* td_dedupe_reset: a dedupe that finished one batch (spilling) and was reset gives, for the
 * next batch, exactly what a fresh one gives: the same entries in the same order, the same
 * runs spilled and the same peak memory (the kept chunks do not count as memory in use). */
static void feed_finish(struct td_dedupe *d, const struct pool *p, const struct radd *a, size_t n,
                        struct out *o)
{
    char err[256];
    for (size_t i = 0; i < n; i++)
        if (td_dedupe_add(d, p->k[a[i].key], p->len[a[i].key], &a[i].v, err, sizeof err) != 0) {
            TT_FAIL("add: %s", err);
            return;
        }
    if (td_dedupe_finish(d, collect, o, err, sizeof err) != 0)
        TT_FAIL("finish: %s", err);
}

static void test_reset_equals_fresh(void)
{
    uint32_t seed = 31337;
    struct pool *p = pool_new(100000, &seed, 0);
    size_t n = 250000;
    struct radd *a1 = random_adds(p, n, &seed), *a2 = random_adds(p, n, &seed);
    for (int round = 0; round < 2; round++) {
        size_t cap = round ? (size_t)1 << 30 : (size_t)1 << 20; /* no spill, then spills */
        char err[256];
        struct td_dedupe *reused = mk(cap), *fresh = mk(cap);
        struct out first = {0}, o_reused = {0}, o_fresh = {0};
        feed_finish(reused, p, a1, n, &first);
        CHECK_EQ(td_dedupe_reset(reused, err, sizeof err), 0);
        feed_finish(reused, p, a2, n, &o_reused);
        feed_finish(fresh, p, a2, n, &o_fresh);
        CHECK_EQ(o_reused.n, o_fresh.n);
        size_t bad = 0;
        for (size_t i = 0; i < o_reused.n && i < o_fresh.n; i++)
            bad += o_reused.e[i].klen != o_fresh.e[i].klen ||
                   memcmp(o_reused.e[i].key, o_fresh.e[i].key, o_fresh.e[i].klen) != 0 ||
                   memcmp(&o_reused.e[i].v, &o_fresh.e[i].v, sizeof o_fresh.e[i].v) != 0;
        CHECK_EQ(bad, 0);
        CHECK_EQ(o_reused.order_bad, 0);
        CHECK_EQ(td_dedupe_stats(reused)->runs_spilled, td_dedupe_stats(fresh)->runs_spilled);
        CHECK_EQ(td_dedupe_stats(reused)->peak_mem, td_dedupe_stats(fresh)->peak_mem);
        if (round == 0)
            CHECK(td_dedupe_stats(fresh)->runs_spilled > 0);
        td_dedupe_destroy(&reused);
        td_dedupe_destroy(&fresh);
        out_free(&first);
        out_free(&o_reused);
        out_free(&o_fresh);
        CHECK(run_dir_empty());
    }
    free(a1);
    free(a2);
    pool_free(p);
}

/* ---- the memory bound on 50 MB of input ---- */

static uint64_t big_run(size_t cap, uint64_t *runs, uint64_t *peak, uint64_t *emitted, uint64_t *bytes_in)
{
    char err[256];
    struct td_dedupe *d = mk(cap);
    uint32_t seed = 2024;
    uint8_t key[128];
    *bytes_in = 0;
    size_t distinct = 300000;
    while (*bytes_in < 50u * 1000 * 1000) {
        uint32_t id = xs(&seed) % (uint32_t)distinct;
        int kl = snprintf((char *)key, sizeof key, "\x03" "com\x07" "example%u\x05" "hosts\x04" "name%010u-%u",
                          id % 1000, id, id % 7);
        struct td_obs_value v = {1, 1000 + xs(&seed) % 1000, 0, (uint8_t)(id % 3), 0};
        v.time_last = v.time_first + 5;
        if (td_dedupe_add(d, key, (size_t)kl, &v, err, sizeof err) != 0) {
            TT_FAIL("add: %s", err);
            break;
        }
        *bytes_in += (uint64_t)kl + sizeof v;
    }
    XXH3_state_t *h = XXH3_createState();
    XXH3_64bits_reset(h);
    struct out *o = calloc(1, sizeof *o);
    o->h = h;
    if (td_dedupe_finish(d, collect, o, err, sizeof err) != 0)
        TT_FAIL("finish: %s", err);
    CHECK_EQ(o->order_bad, 0);
    *runs = td_dedupe_stats(d)->runs_spilled;
    *peak = td_dedupe_stats(d)->peak_mem;
    *emitted = o->n;
    td_dedupe_destroy(&d);
    uint64_t digest = XXH3_64bits_digest(h);
    XXH3_freeState(h);
    free(o);
    return digest;
}

static void test_memory_bound(void)
{
    uint64_t r1, p1, e1, r2, p2, e2, in;
    uint64_t h1 = big_run(1 << 20, &r1, &p1, &e1, &in);
    uint64_t h2 = big_run((size_t)4 << 30, &r2, &p2, &e2, &in);
    printf("# 1 MiB cap: %llu runs, peak %llu; 4 GiB cap: %llu runs, peak %llu; %llu distinct of %llu octets in\n",
           (unsigned long long)r1, (unsigned long long)p1, (unsigned long long)r2, (unsigned long long)p2,
           (unsigned long long)e1, (unsigned long long)in);
    CHECK(r1 >= 3);
    CHECK_EQ(r2, 0);
    CHECK(p1 <= (1 << 20));
    CHECK_EQ(e1, e2);
    CHECK(h1 == h2);
    CHECK(run_dir_empty());
}

static void test_emit_stops_and_errors(void)
{
    char err[256];
    struct td_dedupe *d = mk(0);
    add(d, "x", 1, 1, 1, 0, 0);
    add(d, "y", 1, 1, 1, 0, 0);
    add(d, "z", 1, 1, 1, 0, 0);
    struct out o = {0};
    o.stop_after = 2;
    CHECK_EQ(td_dedupe_finish(d, collect, &o, err, sizeof err), 42);
    CHECK_EQ(o.n, 2);
    td_dedupe_destroy(&d);
    out_free(&o);
    /* the same with runs on disk: destroy removes them */
    d = mk(1 << 20);
    char k[64];
    for (int i = 0; i < 60000; i++) {
        snprintf(k, sizeof k, "key-%08d-yyyyyyyyyyyyyyyyyyyyyyyyyyyyyy", i);
        add(d, k, 1, 1, 1, 0, 0);
    }
    CHECK(td_dedupe_stats(d)->runs_spilled >= 1);
    o.stop_after = 10;
    CHECK_EQ(td_dedupe_finish(d, collect, &o, err, sizeof err), 42);
    td_dedupe_destroy(&d);
    out_free(&o);
    CHECK(run_dir_empty());
    /* an empty dedupe emits nothing; destroy without finish */
    d = mk(0);
    CHECK_EQ(td_dedupe_finish(d, collect, &o, err, sizeof err), 0);
    CHECK_EQ(o.n, 0);
    td_dedupe_destroy(&d);
    d = mk(0);
    add(d, "x", 1, 1, 1, 0, 0);
    td_dedupe_destroy(&d);
    td_dedupe_destroy(&d); /* NULL: no-op */
    /* refused */
    struct td_dedupe_opts bad = {0, "/nonexistent-dir/spill", 0};
    CHECK(td_dedupe_init(&bad, err, sizeof err) == NULL);
    bad.spill_dir = NULL;
    CHECK(td_dedupe_init(&bad, err, sizeof err) == NULL);
    d = mk(0);
    struct td_obs_value v = {1, 1, 1, 0, 0};
    CHECK_EQ(td_dedupe_add(d, (const uint8_t *)"x", 0, &v, err, sizeof err), -1);
    static uint8_t huge[TD_OBS_KEY_MAX + 1];
    CHECK_EQ(td_dedupe_add(d, huge, sizeof huge, &v, err, sizeof err), -1);
    CHECK_EQ(td_dedupe_add(d, huge, TD_OBS_KEY_MAX, &v, err, sizeof err), 0);
    td_dedupe_destroy(&d);
}

/* The same tests in append mode: no table lookups, equal keys merged once sorted (also within
 * one spilled run and across runs: the hand table's spilled "a" and "b" come again). */
static void test_append_hand_table(void)
{
    append_mode = 1;
    hand_table(0);
    hand_table(1);
    append_mode = 0;
}

static void test_append_random(void)
{
    append_mode = 1;
    test_random_no_spill();
    test_random_parallel_sort();
    test_random_one_spill();
    test_random_many_spills();
    test_reset_equals_fresh();
    append_mode = 0;
}

static void test_append_memory_bound(void)
{
    append_mode = 1;
    test_memory_bound();
    append_mode = 0;
}

/* Damages every run file of this process (anonymous files in tmpdir, found among its open
 * file descriptors): how 0 flips a bit in the middle, 1 cuts the file in half, 2 adds an octet
 * after the trailer. Returns how many. */
static int damage_runs(int how)
{
    int n = 0;
    size_t tl = strlen(tmpdir);
    for (int fd = 0; fd < 4096; fd++) {
        char p[64], link[512];
        snprintf(p, sizeof p, "/proc/self/fd/%d", fd);
        ssize_t l = readlink(p, link, sizeof link - 1);
        if (l <= 0)
            continue;
        link[l] = 0;
        struct stat st;
        if (strncmp(link, tmpdir, tl) != 0 || link[tl] != '/' || fstat(fd, &st) != 0 || st.st_size < 64)
            continue;
        uint8_t b = 0;
        off_t mid = st.st_size / 2;
        int ok = how == 0   ? pread(fd, &b, 1, mid) == 1 && (b ^= 0x10, pwrite(fd, &b, 1, mid) == 1)
                 : how == 1 ? ftruncate(fd, mid) == 0
                            : pwrite(fd, &b, 1, st.st_size) == 1;
        n += ok;
    }
    return n;
}

/* A damaged run stops finish with a clear error (and no crash), whatever the damage. */
static void test_damaged_runs(void)
{
    for (int how = 0; how < 3; how++) {
        char err[256] = "", k[64];
        struct td_dedupe *d = mk(1 << 20);
        for (int i = 0; i < 60000; i++) {
            snprintf(k, sizeof k, "key-%08d-yyyyyyyyyyyyyyyyyyyyyyyyyyyyyy", (i * 7919) % 60000);
            add(d, k, 1, 1, 1, 0, 0);
        }
        CHECK(td_dedupe_stats(d)->runs_spilled >= 2);
        CHECK(damage_runs(how) >= 2);
        struct out o = {0};
        CHECK_EQ(td_dedupe_finish(d, collect, &o, err, sizeof err), -1);
        if (!strstr(err, "damaged"))
            TT_FAIL("damage %d: \"%s\"", how, err);
        td_dedupe_destroy(&d);
        out_free(&o);
    }
    CHECK(run_dir_empty());
}

int main(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/test_dedupe.XXXXXX");
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 1;
    }
    TT_RUN(test_hand_table);
    TT_RUN(test_hand_table_spilled);
    TT_RUN(test_random_no_spill);
    TT_RUN(test_random_parallel_sort);
    TT_RUN(test_random_one_spill);
    TT_RUN(test_random_many_spills);
    TT_RUN(test_reset_equals_fresh);
    TT_RUN(test_memory_bound);
    TT_RUN(test_emit_stops_and_errors);
    TT_RUN(test_damaged_runs);
    TT_RUN(test_append_hand_table);
    TT_RUN(test_append_random);
    TT_RUN(test_append_memory_bound);
    rmdir(tmpdir);
    return tt_finish();
}
