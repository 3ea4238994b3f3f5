/* bench_index: build and read one index generation (issue 4, Bench).
 *   bench_index [N] [RUNS]      N RRsets (default 10 000 000), RUNS repeats of each read test
 * 1. Generates N observations with a realistic distribution: Zipf-sized domains in a few TLDs;
 *    types A 54%, AAAA 17%, CNAME 14%, TXT 6%, NS 5%, MX 4%; 87% with one rdata; three hot
 *    IPv4 addresses with 1.2% of the RRsets each and one /24 with 2.5% (at N = 10 M: 120 000
 *    and 250 000 owner names, as in fast-flux and spam hosting). They go through batch/dedupe
 *    (memory cap, spill) to sort them and out through the batch writer into one observation
 *    file, in a temporary directory under $BENCH_DIR (default /tmp), removed at the end.
 * 2. Builds one hour generation with the tool itself (BIN/tapdns-index build, BIN from $BIN,
 *    default build/bin), RUNS times from scratch (the machine is noisy: the median counts, the
 *    last build is kept), and reports observations/s, index entries/s and bytes on disk per
 *    RRset (LevelDB tables and SOURCE.obs apart). Baseline in the same run: LevelDB's own
 *    sorted fill (C API, same options as a generation, WriteBatches of 10 000, sync off, then
 *    CompactRange) of as many keys as the generation has entries, of the same average key and
 *    value sizes; the "ceiling" is the observations/s of a build whose only cost were that fill.
 * 3. Reads through indexer/index.h: exact rrset lookups of 100 000 random existing owners
 *    (64 MiB cache, the library default; then 256 MiB, the query service's default; then a
 *    warm cache of the whole generation), streaming every result of the hottest IP and of the
 *    /24, `*.X` of the biggest domain, rdata name `ns1.*` and `*.X`.
 *    Each read test runs RUNS times; the table shows the median.
 * BENCH_OBS_OUT=PATH: only step 1, the observation file moved to PATH (same file system as
 * BENCH_DIR), for A/B runs of tapdns-index build.
 * Not a test: numbers only, compared with the targets. */
#include "dedupe.h"
#include "gen_reader.h"
#include "generation.h"
#include "index.h"
#include "keys.h"
#include "obs.h"
#include "bench_util.h"
#include "varint.h"
#include <leveldb/c.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define HOUR_TEXT "2026010100"
#define HOUR_T0 1767225600u
#define NLOOKUPS 100000u

static uint64_t rng = 0x9E3779B97F4A7C15ull;
static uint64_t rnd64(void) { return bench_xorshift(&rng); }
static uint32_t rnd(void) { return (uint32_t)(rnd64() >> 11); }
static double rndf(void) { return (double)(rnd64() >> 11) / 9007199254740992.0; }

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, bench_cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* ---- Generator ------------------------------------------------------------------------- */

static const char *const tlds[] = { "com", "net", "org", "de", "ru", "info" };
static const double tld_share[] = { 0.50, 0.15, 0.10, 0.10, 0.08, 0.07 };

struct gen {
    uint64_t n;
    uint32_t ndomains;
    double *zcdf;           /* Zipf cumulative distribution over domain ranks */
    uint8_t hot_ip[3][4];
    uint8_t net24[3];
};

static void base36(char *out, uint64_t v)
{
    char tmp[16];
    int n = 0;
    do {
        tmp[n++] = "0123456789abcdefghijklmnopqrstuvwxyz"[v % 36];
        v /= 36;
    } while (v);
    for (int i = 0; i < n; i++)
        out[i] = tmp[n - 1 - i];
    out[n] = 0;
}

/* domain rank -> (label, tld index); rank 0 is the biggest */
static unsigned domain_tld(uint32_t rank)
{
    uint64_t h = (rank + 1) * 0x9E3779B97F4A7C15ull;
    double x = (double)(h >> 11) / 9007199254740992.0, c = 0;
    for (unsigned i = 0; i < 6; i++) {
        c += tld_share[i];
        if (x < c)
            return i;
    }
    return 0;
}

static size_t put_label(uint8_t *p, const char *s)
{
    size_t l = strlen(s);
    p[0] = (uint8_t)l;
    memcpy(p + 1, s, l);
    return l + 1;
}

/* forward wire name PREFIX.d<rank>.<tld>. (prefix NULL: the apex) */
static size_t domain_wire(uint8_t *p, uint32_t rank, const char *prefix)
{
    char lab[24];
    size_t n = 0;
    if (prefix)
        n += put_label(p + n, prefix);
    lab[0] = 'd';
    base36(lab + 1, rank);
    n += put_label(p + n, lab);
    n += put_label(p + n, tlds[domain_tld(rank)]);
    p[n++] = 0;
    return n;
}

/* reversed name of a forward wire name */
static size_t rev_name(uint8_t *out, const uint8_t *w, size_t wl)
{
    size_t offs[128], nl = 0, o = 0, n = 0;
    while (o < wl && w[o]) {
        offs[nl++] = o;
        o += 1u + w[o];
    }
    while (nl)
        {
            size_t s = offs[--nl];
            memcpy(out + n, w + s, 1u + w[s]);
            n += 1u + w[s];
        }
    out[n++] = 0;
    return n;
}

static uint32_t zipf_rank(const struct gen *g)
{
    double x = rndf();
    uint32_t lo = 0, hi = g->ndomains - 1;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (g->zcdf[mid] < x)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

struct rd {
    uint8_t b[300];
    uint16_t l;
};
static int cmp_rd(const void *a, const void *b)
{
    const struct rd *x = a, *y = b;
    size_t m = x->l < y->l ? x->l : y->l;
    int c = memcmp(x->b, y->b, m);
    return c ? c : (x->l > y->l) - (x->l < y->l);
}

/* ip class chosen for an A RRset */
enum { IP_RANDOM, IP_HOT, IP_NET24 };

/* One observation: i-th RRset. Owner "<base36 i>" (or the apex for some) under a Zipf domain,
 * so owners are distinct for distinct i (an apex may repeat: the dedupe merges, the count of
 * RRsets is what the writer got). Returns the key length; owner (forward wire) in *owner. */
static size_t gen_obs(const struct gen *g, uint64_t i, uint8_t *key, uint8_t *owner, size_t *owner_len,
                      uint32_t *rank_out, struct td_obs_value *v)
{
    uint32_t rank = zipf_rank(g);
    char lab[24];
    lab[0] = 'h';
    base36(lab + 1, i);
    size_t ol = domain_wire(owner, rank, lab);
    *owner_len = ol;
    *rank_out = rank;
    uint8_t bw[256];
    size_t bl = domain_wire(bw, rank, NULL);
    double t = rndf();
    uint16_t type;
    if (t < 0.54) type = 1;
    else if (t < 0.71) type = 28;
    else if (t < 0.85) type = 5;
    else if (t < 0.91) type = 16;
    else if (t < 0.96) type = 2;
    else type = 15;
    unsigned nrd = 1;
    if (type != 5 && rndf() >= 0.87)
        nrd = 2 + rnd() % 3;
    if (type == 2 && nrd == 1)
        nrd = 2;    /* NS sets come in pairs or more; the 87% holds overall */
    struct rd rds[4];
    int ipclass = IP_RANDOM;
    if (type == 1) {
        /* 3 hot IPs x 1.2% + /24 2.5% of all RRsets, out of the 54% that are A */
        double c = rndf() * 0.54;
        if (c < 0.036) ipclass = IP_HOT;
        else if (c < 0.061) ipclass = IP_NET24;
    }
    for (unsigned k = 0; k < nrd; k++) {
        struct rd *r = &rds[k];
        switch (type) {
        case 1:
            if (k == 0 && ipclass == IP_HOT) {
                memcpy(r->b, g->hot_ip[rnd() % 3], 4);
            } else if (k == 0 && ipclass == IP_NET24) {
                memcpy(r->b, g->net24, 3);
                r->b[3] = (uint8_t)rnd();
            } else {
                uint32_t a = rnd();
                r->b[0] = (uint8_t)(1 + a % 223); /* avoid the hot /24 (10.x) by chance alone */
                if (r->b[0] == 10)
                    r->b[0] = 11;
                r->b[1] = (uint8_t)(a >> 8); r->b[2] = (uint8_t)(a >> 16); r->b[3] = (uint8_t)(a >> 24);
            }
            r->l = 4;
            break;
        case 28:
            r->b[0] = 0x20; r->b[1] = 0x01; r->b[2] = 0x0d; r->b[3] = 0xb8;
            for (int j = 4; j < 16; j++)
                r->b[j] = j < 8 ? (uint8_t)rnd() : (j < 14 ? 0 : (uint8_t)rnd());
            r->l = 16;
            break;
        case 5: {
            char tl[24];
            tl[0] = 'c';
            base36(tl + 1, rnd() % 100000);
            r->l = (uint16_t)domain_wire(r->b, zipf_rank(g), tl);
            break;
        }
        case 16: {
            unsigned len = 20 + rnd() % 41;
            r->b[0] = (uint8_t)len;
            memcpy(r->b + 1, "v=spf1 include:_spf.", 20);
            for (unsigned j = 20; j < len; j++)
                r->b[1 + j] = (uint8_t)('a' + rnd() % 26);
            r->l = (uint16_t)(len + 1);
            break;
        }
        case 2: {
            char nl[8];
            snprintf(nl, sizeof nl, "ns%u", k + 1);
            r->l = (uint16_t)domain_wire(r->b, rank, nl);
            break;
        }
        default: {
            char ml[8];
            snprintf(ml, sizeof ml, "mx%u", k + 1);
            r->b[0] = 0;
            r->b[1] = (uint8_t)(10 * (k + 1));
            r->l = (uint16_t)(2 + domain_wire(r->b + 2, rank, ml));
            break;
        }
        }
    }
    qsort(rds, nrd, sizeof rds[0], cmp_rd);
    size_t n = rev_name(key, owner, ol);
    n += td_varint_put(key + n, type);
    n += rev_name(key + n, bw, bl);
    struct rd *prev = NULL;
    for (unsigned k = 0; k < nrd; k++) {
        if (prev && cmp_rd(prev, &rds[k]) == 0)
            continue;   /* unique within the set */
        n += td_varint_put(key + n, rds[k].l);
        memcpy(key + n, rds[k].b, rds[k].l);
        n += rds[k].l;
        prev = &rds[k];
    }
    /* count: heavy-tailed; times within the hour */
    v->count = 1 + (uint64_t)(1.0 / (rndf() + 1e-4));
    v->time_first = HOUR_T0 + rnd() % 3000;
    v->time_last = v->time_first + rnd() % 600;
    v->reason = 0;
    v->rule = 0;
    return n;
}

static int write_obs(void *ctx, const uint8_t *key, size_t klen, const struct td_obs_value *v)
{
    char err[256];
    if (td_obs_write(ctx, key, klen, v, err, sizeof err) != 0) {
        fprintf(stderr, "bench_index: obs write: %s\n", err);
        return -1;
    }
    return 0;
}

/* ---- Baselines ------------------------------------------------------------------------- */

/* The baselines' keys: an 8-octet big-endian counter then windows of a random letter pool
 * (compress worse than names: a pessimistic stand-in for size; the time is what matters). */
static uint8_t fill_pool[1 << 16];

static void fill_init(size_t *klen, size_t *vlen, size_t kcap, size_t vcap)
{
    for (size_t j = 0; j < sizeof fill_pool; j++)
        fill_pool[j] = (uint8_t)('a' + rnd() % 26);
    if (*klen < 8)
        *klen = 8;
    if (*klen > kcap)
        *klen = kcap;
    if (*vlen > vcap)
        *vlen = vcap;
}

static void fill_kv(uint64_t i, uint8_t *key, size_t klen, uint8_t *val, size_t vlen)
{
    size_t off = (size_t)((i * 7919u) % (sizeof fill_pool - 600));
    for (int j = 0; j < 8; j++)
        key[j] = (uint8_t)(i >> (56 - 8 * j));
    memcpy(key + 8, fill_pool + off, klen - 8);
    memcpy(val, fill_pool + off + 300, vlen);
}

/* LevelDB's own sorted fill of a database (the baseline): WriteBatches of 10000,
 * 64 MiB write buffer and files, bloom 10 bits/key, 4 KiB blocks, then one CompactRange. */
static double leveldb_fill(const char *dir, uint64_t nkeys, size_t klen, size_t vlen)
{
    char *err = NULL;
    leveldb_options_t *o = leveldb_options_create();
    leveldb_options_set_create_if_missing(o, 1);
    leveldb_options_set_error_if_exists(o, 1);
    leveldb_options_set_compression(o, leveldb_snappy_compression);
    leveldb_options_set_block_size(o, TD_GEN_BLOCK_SIZE);
    leveldb_options_set_write_buffer_size(o, 64u << 20);
    leveldb_options_set_max_file_size(o, 64u << 20);
    leveldb_filterpolicy_t *fp = leveldb_filterpolicy_create_bloom(10);
    leveldb_options_set_filter_policy(o, fp);
    leveldb_writeoptions_t *wo = leveldb_writeoptions_create();
    leveldb_writeoptions_set_sync(wo, 0);
    double t0 = bench_now();
    leveldb_t *db = leveldb_open(o, dir, &err);
    if (!db) {
        fprintf(stderr, "bench_index: leveldb open %s: %s\n", dir, err);
        leveldb_free(err);
        return -1;
    }
    uint8_t key[512], val[64];
    fill_init(&klen, &vlen, sizeof key, sizeof val);
    leveldb_writebatch_t *wb = leveldb_writebatch_create();
    for (uint64_t i = 0; i < nkeys; i++) {
        fill_kv(i, key, klen, val, vlen);
        leveldb_writebatch_put(wb, (const char *)key, klen, (const char *)val, vlen);
        if ((i + 1) % 10000 == 0 || i + 1 == nkeys) {
            leveldb_write(db, wo, wb, &err);
            if (err) {
                fprintf(stderr, "bench_index: leveldb write: %s\n", err);
                leveldb_free(err);
                break;
            }
            leveldb_writebatch_clear(wb);
        }
    }
    leveldb_compact_range(db, NULL, 0, NULL, 0);
    leveldb_close(db);
    double dt = bench_now() - t0;
    leveldb_writebatch_destroy(wb);
    leveldb_writeoptions_destroy(wo);
    leveldb_options_destroy(o);
    leveldb_filterpolicy_destroy(fp);
    return dt;
}

/* The same keys through the generation builder alone (tables, filters, fsync): what a build
 * costs past producing its entries. */
static double table_fill(const char *dir, uint64_t nkeys, size_t klen, size_t vlen)
{
    char err[256], fin[8700];
    snprintf(fin, sizeof fin, "%s.done", dir);
    double t0 = bench_now();
    struct td_gen_build *b = td_gen_build_open(dir, NULL, err, sizeof err);
    if (!b) {
        fprintf(stderr, "bench_index: table fill: %s\n", err);
        return -1;
    }
    uint8_t key[512], val[64];
    fill_init(&klen, &vlen, sizeof key, sizeof val);
    for (uint64_t i = 0; i < nkeys; i++) {
        fill_kv(i, key, klen, val, vlen);
        key[0] = 0; /* a data type byte */
        if (td_gen_build_put(b, key, klen, val, vlen, err, sizeof err) != 0) {
            fprintf(stderr, "bench_index: table fill: %s\n", err);
            td_gen_build_abort(&b);
            return -1;
        }
    }
    if (td_gen_build_finish(&b, 0, 0, NULL, fin, err, sizeof err) != 0) {
        fprintf(stderr, "bench_index: table fill: %s\n", err);
        return -1;
    }
    double dt = bench_now() - t0;
    td_gen_remove_tree(fin, NULL, 0);
    return dt;
}

/* ---- Reading ---------------------------------------------------------------------------- */

static int64_t run_query(struct td_index *idx, const struct td_index_query *q)
{
    char err[256];
    struct td_index_iter *it = td_index_query_start(idx, q, err, sizeof err);
    if (!it) {
        fprintf(stderr, "bench_index: query: %s\n", err);
        return -1;
    }
    struct td_index_result r;
    int64_t n = 0;
    int got;
    while ((got = td_index_next(it, &r)) == 1)
        n++;
    if (got < 0) {
        fprintf(stderr, "bench_index: query: %s\n", td_index_iter_error(it));
        n = -1;
    }
    td_index_query_end(&it);
    return n;
}

static uint64_t du_bytes(const char *dir)
{
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "du -sb '%s'", dir);
    FILE *f = popen(cmd, "r");
    unsigned long long b = 0;
    if (f) {
        if (fscanf(f, "%llu", &b) != 1)
            b = 0;
        pclose(f);
    }
    return b;
}

int main(int argc, char **argv)
{
    uint64_t n = argc > 1 ? strtoull(argv[1], NULL, 10) : 10000000ull;
    int runs = argc > 2 ? atoi(argv[2]) : 3;
    if (n < 1000)
        n = 1000;
    if (runs < 1 || runs > 50)
        runs = 3;
    const char *bdir = getenv("BENCH_DIR") ? getenv("BENCH_DIR") : "/tmp";
    const char *bin = getenv("BIN") ? getenv("BIN") : "build/bin";
    char dir[4096], path[8600], err[512], cmd[9000];
    snprintf(dir, sizeof dir, "%s/bench_index.XXXXXX", bdir);
    if (!mkdtemp(dir)) {
        perror("bench_index: mkdtemp");
        return 1;
    }
    int rc = 1;
    struct gen g;
    memset(&g, 0, sizeof g);
    g.n = n;
    g.ndomains = (uint32_t)(n / 20 > 1000 ? n / 20 : 1000);
    g.zcdf = malloc(g.ndomains * sizeof *g.zcdf);
    uint8_t (*sample)[256] = malloc(NLOOKUPS * sizeof *sample);
    uint8_t *sample_len = malloc(NLOOKUPS);
    if (!g.zcdf || !sample || !sample_len)
        goto out;
    double s = 0;
    for (uint32_t r = 0; r < g.ndomains; r++)
        s += 1.0 / (r + 1);
    double c = 0;
    for (uint32_t r = 0; r < g.ndomains; r++) {
        c += 1.0 / (r + 1) / s;
        g.zcdf[r] = c;
    }
    g.zcdf[g.ndomains - 1] = 1.0;
    const uint8_t hot[3][4] = { { 198, 51, 100, 7 }, { 203, 0, 113, 9 }, { 192, 0, 2, 66 } };
    memcpy(g.hot_ip, hot, sizeof hot);
    g.net24[0] = 10; g.net24[1] = 66; g.net24[2] = 77;

    printf("bench_index: N = %llu RRsets, %u domains (Zipf s=1), %d runs of each read test, dir %s\n",
           (unsigned long long)n, g.ndomains, runs, dir);
    fflush(stdout);

    /* 1. generate -> dedupe (sort) -> observation file */
    double t0 = bench_now();
    snprintf(path, sizeof path, "%s/spill", dir);
    if (mkdir(path, 0700) != 0) {
        perror("bench_index: mkdir");
        goto out;
    }
    struct td_dedupe_opts dopts = { .mem_cap = 512u << 20, .spill_dir = path };
    struct td_dedupe *dd = td_dedupe_init(&dopts, err, sizeof err);
    if (!dd) {
        fprintf(stderr, "bench_index: dedupe: %s\n", err);
        goto out;
    }
    uint8_t *key = malloc(4096);
    uint64_t step = n / NLOOKUPS ? n / NLOOKUPS : 1, nsample = 0;
    for (uint64_t i = 0; i < n; i++) {
        uint8_t owner[256];
        size_t ol;
        uint32_t rank;
        struct td_obs_value v;
        size_t kl = gen_obs(&g, i, key, owner, &ol, &rank, &v);
        if (i % step == 0 && nsample < NLOOKUPS) {
            memcpy(sample[nsample], owner, ol);
            sample_len[nsample++] = (uint8_t)ol;
        }
        if (td_dedupe_add(dd, key, kl, &v, err, sizeof err) != 0) {
            fprintf(stderr, "bench_index: dedupe add: %s\n", err);
            free(key);
            td_dedupe_destroy(&dd);
            goto out;
        }
    }
    free(key);
    char obsfile[4200];
    snprintf(obsfile, sizeof obsfile, "%s/%s.obs.zst", dir, HOUR_TEXT);
    struct td_obs_writer *w = td_obs_writer_open(obsfile, 0, err, sizeof err);
    if (!w) {
        fprintf(stderr, "bench_index: obs writer: %s\n", err);
        td_dedupe_destroy(&dd);
        goto out;
    }
    if (td_dedupe_finish(dd, write_obs, w, err, sizeof err) != 0 || td_obs_writer_close(&w, err, sizeof err) != 0) {
        fprintf(stderr, "bench_index: writing observations: %s\n", err);
        if (w)
            td_obs_writer_abort(&w);
        td_dedupe_destroy(&dd);
        goto out;
    }
    uint64_t nobs = td_dedupe_stats(dd)->emitted;
    td_dedupe_destroy(&dd);
    double t_gen = bench_now() - t0;
    printf("generated %llu observations (%llu distinct RRsets) in %.1f s; observation file %.1f MB\n",
           (unsigned long long)n, (unsigned long long)nobs, t_gen, du_bytes(obsfile) / 1e6);
    fflush(stdout);
    if (getenv("BENCH_OBS_OUT")) {
        /* only the observation file, for A/B runs of the build: moved there, nothing else done */
        rc = rename(obsfile, getenv("BENCH_OBS_OUT")) == 0 ? 0 : 1;
        if (rc)
            perror("bench_index: rename to BENCH_OBS_OUT");
        goto out;
    }

    /* 2. build with the tool */
    char root[4200];
    snprintf(root, sizeof root, "%s/index", dir);
    snprintf(cmd, sizeof cmd, "'%s/tapdns-index' build --db '%s' --hour %s '%s'", bin, root, HOUR_TEXT, obsfile);
    char line[512], genname[128] = "", tool_secs[512] = "", tool_spill[512] = "";
    unsigned long long tool_obs = 0, entries = 0;
    double tb[50], tb_min = 0, tb_max = 0; /* runs <= 50 */
    for (int r = 0; r < runs; r++) {
        if (r > 0 && td_gen_remove_tree(root, err, sizeof err) != 0) {
            fprintf(stderr, "bench_index: %s\n", err);
            goto out;
        }
        genname[0] = 0;
        t0 = bench_now();
        FILE *p = popen(cmd, "r");
        if (!p) {
            perror("bench_index: popen");
            goto out;
        }
        while (fgets(line, sizeof line, p)) {
            sscanf(line, "generation %127s", genname);
            sscanf(line, "observations %llu", &tool_obs);
            sscanf(line, "index entries %llu", &entries);
            if (strncmp(line, "seconds", 7) == 0)
                snprintf(tool_secs, sizeof tool_secs, "%s", line);
            if (strncmp(line, "spilled runs", 12) == 0)
                snprintf(tool_spill, sizeof tool_spill, "%s", line);
        }
        int st = pclose(p);
        tb[r] = bench_now() - t0;
        if (st != 0 || !genname[0]) {
            fprintf(stderr, "bench_index: %s failed (status %d)\n", cmd, st);
            goto out;
        }
        tb_min = r == 0 || tb[r] < tb_min ? tb[r] : tb_min;
        tb_max = r == 0 || tb[r] > tb_max ? tb[r] : tb_max;
    }
    double t_build = median(tb, runs);
    snprintf(path, sizeof path, "%s/%s", root, genname);
    uint64_t gbytes = du_bytes(path), sbytes = 0;
    {
        char sp[8700];
        struct stat sst;
        snprintf(sp, sizeof sp, "%s/SOURCE.obs", path);
        if (stat(sp, &sst) == 0)
            sbytes = (uint64_t)sst.st_size;
    }

    /* average sizes of the generation's entries, for the baseline */
    size_t avg_k = 40, avg_v = 8;
    {
        struct td_gen *gr = td_gen_open(path, NULL, 1, err, sizeof err);
        struct td_gen_iter *it = gr ? td_gen_iter_new(gr, 0) : NULL;
        uint64_t kb = 0, vb = 0, cnt = 0;
        for (td_gen_iter_first(it); it && td_gen_iter_valid(it); td_gen_iter_next(it)) {
            size_t kl, vl;
            td_gen_iter_key(it, &kl);
            td_gen_iter_value(it, &vl);
            kb += kl;
            vb += vl;
            cnt++;
        }
        if (cnt) {
            avg_k = (size_t)((kb + cnt / 2) / cnt);
            avg_v = (size_t)((vb + cnt / 2) / cnt);
        }
        td_gen_iter_free(it);
        td_gen_close(gr);
    }
    snprintf(path, sizeof path, "%s/leveldb_fill", dir);
    double t_fill = leveldb_fill(path, entries, avg_k, avg_v);
    uint64_t fbytes = du_bytes(path);
    td_gen_remove_tree(path, NULL, 0);
    snprintf(path, sizeof path, "%s/table_fill", dir);
    double t_tfill = table_fill(path, entries, avg_k, avg_v);

    printf("\n== build (one hour generation, tapdns-index build, wall time of the process, median of %d)\n",
           runs);
    printf("%-44s %14s %10s\n", "", "value", "target");
    printf("%-44s %14llu\n", "observations (RRsets)", tool_obs);
    printf("%-44s %14llu\n", "index entries", entries);
    printf("%-44s %14.2f  (fastest %.2f, slowest %.2f)\n", "build seconds", t_build, tb_min, tb_max);
    printf("%-44s %14.0f %10s\n", "observations/s", tool_obs / t_build, ">= 1000000");
    printf("%-44s %14.0f\n", "index entries/s", entries / t_build);
    printf("%-44s %14.1f %10s\n", "bytes on disk per RRset", (double)gbytes / (double)tool_obs, "<= 100");
    printf("%-44s %14.1f\n", "  of it tables and filters (the index)", (double)(gbytes - sbytes) / (double)tool_obs);
    printf("%-44s %14.1f\n", "  of it SOURCE.obs (merges, exports)", (double)sbytes / (double)tool_obs);
    printf("%-44s %14.1f\n", "generation size (MB)", gbytes / 1e6);
    printf("tool (last build): %stool (last build): %s", tool_secs, tool_spill);
    printf("%-44s %14s\n", "baseline: LevelDB sorted fill, same options", "");
    printf("%-44s %14llu  (key %zu B, value %zu B)\n", "  keys", entries, avg_k, avg_v);
    printf("%-44s %14.2f\n", "  seconds (fill + CompactRange)", t_fill);
    printf("%-44s %14.0f\n", "  keys/s", t_fill > 0 ? entries / t_fill : 0);
    printf("%-44s %14.1f\n", "  size (MB)", fbytes / 1e6);
    printf("%-44s %14.2f\n", "index entries/s / LevelDB keys/s", t_fill > 0 ? (entries / t_build) / (entries / t_fill) : 0);
    /* the ceiling: a build whose only cost were LevelDB's own fill of its entries */
    printf("%-44s %14.0f\n", "ceiling: observations/s at LevelDB's fill rate", t_fill > 0 ? tool_obs / t_fill : 0);
    printf("%-44s %14.2f\n", "build observations/s / ceiling", t_fill > 0 ? t_fill / t_build : 0);
    printf("%-44s %14s\n", "baseline: the same keys into a generation alone", "");
    printf("%-44s %14.2f\n", "  seconds (tables, filters, fsync)", t_tfill);
    printf("%-44s %14.0f\n", "  keys/s", t_tfill > 0 ? entries / t_tfill : 0);
    printf("%-44s %14.2f\n", "build index entries/s / these keys/s", t_tfill > 0 ? t_tfill / t_build : 0);
    fflush(stdout);

    /* 3. reading */
    struct td_index *idx = td_index_open(root, NULL, err, sizeof err);
    if (!idx) {
        fprintf(stderr, "bench_index: index open: %s\n", err);
        goto out;
    }
    double *tl = malloc((size_t)runs * sizeof *tl), *th = malloc((size_t)runs * sizeof *th),
           *tn = malloc((size_t)runs * sizeof *tn), *tw = malloc((size_t)runs * sizeof *tw),
           *ta = malloc((size_t)runs * sizeof *ta), *tr = malloc((size_t)runs * sizeof *tr);
    uint32_t *order = malloc(nsample * sizeof *order);
    int64_t found = 0, nhot = 0, nnet = 0, nwild = 0, nabove = 0, nrwild = 0;
    static const uint8_t ns1[] = { 3, 'n', 's', '1', 0 };
    for (uint32_t k = 0; k < nsample; k++)
        order[k] = k;
    for (uint32_t k = nsample; k > 1; k--) {
        uint32_t j = rnd() % k, x = order[k - 1];
        order[k - 1] = order[j];
        order[j] = x;
    }
    uint8_t bigdom[256];
    size_t bigdom_len = domain_wire(bigdom, 0, NULL);
    for (int r = 0; r < runs; r++) {
        struct td_index_query q;
        memset(&q, 0, sizeof q);
        q.kind = TD_IQ_RRSET;
        q.rrtype = TD_INDEX_ANY;
        found = 0;
        t0 = bench_now();
        for (uint32_t k = 0; k < nsample; k++) {
            q.name = sample[order[k]];
            q.name_len = sample_len[order[k]];
            int64_t got = run_query(idx, &q);
            if (got < 0)
                goto read_fail;
            found += got;
        }
        tl[r] = bench_now() - t0;

        memset(&q, 0, sizeof q);
        q.kind = TD_IQ_RDATA_IP;
        q.rrtype = TD_INDEX_ANY;
        q.ip_len = 4;
        memcpy(q.ip_lo, g.hot_ip[0], 4);
        memcpy(q.ip_hi, g.hot_ip[0], 4);
        t0 = bench_now();
        nhot = run_query(idx, &q);
        th[r] = bench_now() - t0;
        memset(q.ip_lo, 0, sizeof q.ip_lo);
        memcpy(q.ip_lo, g.net24, 3);
        q.ip_prefix = 24;
        t0 = bench_now();
        nnet = run_query(idx, &q);
        tn[r] = bench_now() - t0;

        memset(&q, 0, sizeof q);
        q.kind = TD_IQ_RRSET_BELOW;
        q.rrtype = TD_INDEX_ANY;
        q.name = bigdom;
        q.name_len = bigdom_len;
        t0 = bench_now();
        nwild = run_query(idx, &q);
        tw[r] = bench_now() - t0;

        /* right-hand wildcard on rdata names: every NS target ns1.<domain> (one RDATA scan) */
        memset(&q, 0, sizeof q);
        q.kind = TD_IQ_RDATA_NAME_ABOVE;
        q.rrtype = TD_INDEX_ANY;
        q.name = ns1;
        q.name_len = sizeof ns1;
        t0 = bench_now();
        nabove = run_query(idx, &q);
        ta[r] = bench_now() - t0;

        /* left-hand wildcard on rdata names: a walk of RDATA_NAME_REV, one scan per name */
        q.kind = TD_IQ_RDATA_NAME_BELOW;
        q.name = bigdom;
        q.name_len = bigdom_len;
        t0 = bench_now();
        nrwild = run_query(idx, &q);
        tr[r] = bench_now() - t0;
        if (nhot < 0 || nnet < 0 || nwild < 0 || nabove < 0 || nrwild < 0)
            goto read_fail;
    }
    char bigtext[300];
    {
        size_t o = 0, b = 0;
        while (bigdom[o]) {
            memcpy(bigtext + b, bigdom + o + 1, bigdom[o]);
            b += bigdom[o];
            bigtext[b++] = '.';
            o += 1u + bigdom[o];
        }
        bigtext[b] = 0;
    }
    double ml = median(tl, runs), mh = median(th, runs), mn = median(tn, runs), mw = median(tw, runs),
           ma = median(ta, runs), mr = median(tr, runs);
    printf("\n== reading through indexer/index.h (in-process, median of %d runs)\n", runs);
    printf("%-44s %14s %10s\n", "", "value", "target");
    printf("%-44s %14u  (%lld results)\n", "exact rrset lookups (random existing owners)", (unsigned)nsample, (long long)found);
    printf("%-44s %14.0f\n", "  lookups/s", nsample / ml);
    printf("%-44s %14.2f %10s\n", "  us per lookup (64 MiB cache, library default)", ml / nsample * 1e6, "< 10");
    printf("%-44s %14lld\n", "hot IP results (rdata ip, one address)", (long long)nhot);
    printf("%-44s %14.1f %10s\n", "  ms to stream all", mh * 1e3, "< 50/100k");
    printf("%-44s %14.1f\n", "  ms per 100 000 results", nhot ? mh * 1e3 * 1e5 / nhot : 0);
    printf("%-44s %14lld\n", "/24 results (rdata ip CIDR)", (long long)nnet);
    printf("%-44s %14.1f\n", "  ms to stream all", mn * 1e3);
    printf("%-44s %14.1f %10s\n", "  ms per 100 000 results", nnet ? mn * 1e3 * 1e5 / nnet : 0, "< 50");
    printf("%-44s %14lld  (*.%s)\n", "left wildcard of the biggest domain", (long long)nwild, bigtext);
    printf("%-44s %14.1f\n", "  ms to stream all", mw * 1e3);
    printf("%-44s %14.1f\n", "  ms per 100 000 results", nwild ? mw * 1e3 * 1e5 / nwild : 0);
    printf("%-44s %14lld  (ns1.*)\n", "rdata name right wildcard (RDATA scan)", (long long)nabove);
    printf("%-44s %14.1f\n", "  ms to stream all", ma * 1e3);
    printf("%-44s %14.1f\n", "  ms per 100 000 results", nabove ? ma * 1e3 * 1e5 / nabove : 0);
    printf("%-44s %14lld  (*.%s)\n", "rdata name left wildcard (name walk)", (long long)nrwild, bigtext);
    printf("%-44s %14.1f\n", "  ms to stream all", mr * 1e3);
    printf("%-44s %14.1f\n", "  ms per 100 000 results", nrwild ? mr * 1e3 * 1e5 / nrwild : 0);
    fflush(stdout);
    /* the same lookups with the query service's default cache (appliance/tapdns.conf [query]
     * cache = 256M), median of RUNS passes (the first one starts cold, as for 64 MiB above) */
    td_index_close(&idx);
    {
        struct td_index_opts o256 = { .cache_bytes = (size_t)256 << 20, .max_open_files = 0 };
        idx = td_index_open(root, &o256, err, sizeof err);
        if (!idx) {
            fprintf(stderr, "bench_index: index open: %s\n", err);
            goto read_fail;
        }
        for (int r = 0; r < runs; r++) {
            struct td_index_query q;
            memset(&q, 0, sizeof q);
            q.kind = TD_IQ_RRSET;
            q.rrtype = TD_INDEX_ANY;
            t0 = bench_now();
            for (uint32_t k = 0; k < nsample; k++) {
                q.name = sample[order[k]];
                q.name_len = sample_len[order[k]];
                if (run_query(idx, &q) < 0)
                    goto read_fail;
            }
            tl[r] = bench_now() - t0;
        }
        ml = median(tl, runs);
        printf("%-44s %14.0f\n", "exact lookups, 256 MiB cache (query default): /s", nsample / ml);
        printf("%-44s %14.2f %10s\n", "  us per lookup", ml / nsample * 1e6, "< 10");
        td_index_close(&idx);
    }
    /* the same lookups with a block cache that holds the whole generation (after a warm-up) */
    struct td_index_opts iopts = { .cache_bytes = (size_t)(gbytes * 3 / 2 + (64u << 20)), .max_open_files = 0 };
    idx = td_index_open(root, &iopts, err, sizeof err);
    if (!idx) {
        fprintf(stderr, "bench_index: index open: %s\n", err);
        goto read_fail;
    }
    for (int r = 0; r <= runs; r++) {
        struct td_index_query q;
        memset(&q, 0, sizeof q);
        q.kind = TD_IQ_RRSET;
        q.rrtype = TD_INDEX_ANY;
        t0 = bench_now();
        for (uint32_t k = 0; k < nsample; k++) {
            q.name = sample[order[k]];
            q.name_len = sample_len[order[k]];
            if (run_query(idx, &q) < 0)
                goto read_fail;
        }
        if (r > 0)
            tl[r - 1] = bench_now() - t0;
    }
    ml = median(tl, runs);
    printf("%-44s %14.0f\n", "exact lookups, warm cache of the whole gen: /s", nsample / ml);
    printf("%-44s %14.2f %10s\n", "  us per lookup", ml / nsample * 1e6, "< 10");
    rc = 0;
read_fail:
    td_index_close(&idx);
    free(tl); free(th); free(tn); free(tw); free(ta); free(tr); free(order);
out:
    free(g.zcdf);
    free(sample);
    free(sample_len);
    if (td_gen_remove_tree(dir, err, sizeof err) != 0)
        fprintf(stderr, "bench_index: cleanup: %s\n", err);
    return rc;
}
