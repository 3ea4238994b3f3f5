/* test_index_tier: the library parts of tiers, export and import (indexer/tier.h, export.h,
 * import.h): periods, merge plans and names; the COF line parser on a table of exact keys
 * and of refused lines; export line -> parse round trip; and, on a temporary index, hour
 * builds + day merge + rebuild + export/import whose source files must equal the merge of
 * the random observations computed here (min time_first, max time_last, sum count); the
 * streaming build and its sorter fallback (key order, shuffled, 5 and 70 files) give
 * identical generations and source files, as do the copied source of a one-file build (the
 * copy is the file's octets) and its way back (a second file, later adds). */
#include "export.h"
#include "fileset.h"
#include "import.h"
#include "obs.h"
#include "tier.h"
#include "tt.h"
#include "gen_reader.h"
#include <sys/stat.h>
#include <xxhash.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void test_periods(void)
{
    static const struct {
        char tier;
        const char *p;
        int ok;
    } cases[] = {
        { 'h', "2026112703", 1 }, { 'h', "2026112724", 0 }, { 'h', "202611270", 0 },  { 'h', "2026022900", 0 },
        { 'h', "2024022923", 1 }, { 'd', "20261127", 1 },   { 'd', "20261131", 0 },    { 'd', "19691231", 0 },
        { 'd', "2026112a", 0 },   { 'd', "20000229", 1 },   { 'd', "21000229", 0 },    { 'm', "202611", 1 },
        { 'm', "202613", 0 },     { 'm', "202600", 0 },     { 'm', "2026111", 0 },     { 'x', "202611", 0 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        if (td_tier_period_ok(cases[i].tier, cases[i].p) != cases[i].ok)
            TT_FAIL("period %c %s: expected %d", cases[i].tier, cases[i].p, cases[i].ok);
    char h[11];
    CHECK_EQ(td_tier_file_hour("/x/y/2026112703.0.obs.zst", h), 0);
    CHECK_STR(h, "2026112703");
    CHECK_EQ(td_tier_file_hour("2026112799.0.obs.zst", h), -1);
    CHECK_EQ(td_tier_file_hour("/a/obs.zst", h), -1);
}

static void put(struct td_fileset *fs, const char *name)
{
    struct td_fileset_gen g;
    memset(&g, 0, sizeof g);
    snprintf(g.name, sizeof g.name, "%s", name);
    g.tier = name[0];
    char err[200];
    if (td_fileset_put(fs, &g, err, sizeof err) != 0)
        TT_FAIL("put %s: %s", name, err);
}

static void plan_is(const struct td_fileset *fs, char tier, const char *period, const char *want)
{
    uint32_t idx[16];
    char err[200], got[512] = "";
    int n = td_tier_plan(fs, tier, period, idx, 16, err, sizeof err);
    for (int i = 0; i < n; i++)
        snprintf(got + strlen(got), sizeof got - strlen(got), "%s%s", i ? " " : "", fs->gens[idx[i]].name);
    if (n < 0 || strcmp(got, want) != 0)
        TT_FAIL("plan %c %s: [%s] (n %d), expected [%s]", tier, period, got, n, want);
}

static void test_plan_names(void)
{
    struct td_fileset fs = { 0, 0, NULL };
    const char *names[] = { "h.2026112700.0", "h.2026112703.1", "h.2026112723.0", "h.2026112800.0", "d.20261127.0",
                            "d.20261127.2", "d.202611270.0",  "d.20261201.0",   "m.202611.0",    "h.2026120100.4" };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        put(&fs, names[i]);
    plan_is(&fs, 'd', "20261127", "d.20261127.0 d.20261127.2 h.2026112700.0 h.2026112703.1 h.2026112723.0");
    plan_is(&fs, 'd', "20261128", "h.2026112800.0");
    plan_is(&fs, 'd', "20261129", "");
    plan_is(&fs, 'm', "202611",
            "d.20261127.0 d.20261127.2 d.202611270.0 h.2026112700.0 h.2026112703.1 h.2026112723.0 h.2026112800.0 "
            "m.202611.0");
    plan_is(&fs, 'm', "202612", "d.20261201.0 h.2026120100.4");
    uint32_t idx[2];
    char err[200];
    CHECK_EQ(td_tier_plan(&fs, 'd', "20261127", idx, 2, err, sizeof err), -1);
    char name[TD_FILESET_NAME_MAX];
    td_tier_next_name(&fs, NULL, 'd', "20261127", name);
    CHECK_STR(name, "d.20261127.3");
    td_tier_next_name(&fs, NULL, 'd', "20261128", name);
    CHECK_STR(name, "d.20261128.0");
    td_tier_next_name(&fs, NULL, 'h', "2026120100", name);
    CHECK_STR(name, "h.2026120100.5");
    struct td_fileset other = { 0, 0, NULL };
    put(&other, "d.20261127.7");
    td_tier_next_name(&fs, &other, 'd', "20261127", name);
    CHECK_STR(name, "d.20261127.8");
    td_tier_next_name(&fs, &other, 'm', "202611", name);
    CHECK_STR(name, "m.202611.1");
    td_fileset_free(&fs);
    td_fileset_free(&other);
}

static uint8_t key[TD_OBS_KEY_MAX];

static void test_line_good(void)
{
    static const struct {
        const char *line, *key_hex;
        uint64_t count;
        uint32_t tf, tl;
    } cases[] = {
        { "{\"rrname\":\"WWW.Example.com\",\"rrtype\":\"A\",\"bailiwick\":\"example.com.\",\"rdata_raw\":[\"0a000002\","
          "\"0A000001\",\"0a000002\"],\"count\":5,\"time_first\":10,\"time_last\":20}",
          "03636f6d 076578616d706c65 03777777 00 01 03636f6d 076578616d706c65 00 04 0a000001 04 0a000002", 5, 10,
          20 },
        { "  {\"count\":0,\"time_first\":4294967295,\"time_last\":4294967295,\"rrname\":\".\",\"rrtype\":\"TYPE65280\","
          "\"bailiwick\":\".\",\"rdata\":[\"ignored\"],\"rdata_raw\":[\"\"],\"extra\":{\"a\":[1]}}\r",
          "00 80fe03 00 00", 0, 4294967295u, 4294967295u },
        { "{\"rrname\":\"a.b.\",\"rrtype\":\"mx\",\"bailiwick\":\"b.\",\"rdata_raw\":[],\"count\":9223372036854775807,"
          "\"time_first\":0,\"time_last\":1}",
          "0162 0161 00 0f 0162 00", 9223372036854775807ull, 0, 1 },
        { "{\"rrname\":\"x\\\\032y.t.\",\"rrtype\":\"TXT\",\"bailiwick\":\"t.\",\"rdata_raw\":[\"0161\",\"00\"],"
          "\"count\":1,\"time_first\":1,\"time_last\":1}",
          "0174 03782079 00 10 0174 00 01 00 02 0161", 1, 1, 1 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint8_t want[256];
        char err[300] = "";
        size_t klen = 0;
        struct td_obs_value v;
        int wl = tt_unhex(cases[i].key_hex, want, sizeof want);
        int r = td_cof_line_parse(cases[i].line, strlen(cases[i].line), key, &klen, &v, err, sizeof err);
        if (r != 1 || (int)klen != wl || memcmp(key, want, klen) != 0 || v.count != cases[i].count ||
            v.time_first != cases[i].tf || v.time_last != cases[i].tl)
            TT_FAIL("good line %zu: r %d klen %zu (want %d) count %llu tf %u tl %u err [%s]", i, r, klen, wl,
                    (unsigned long long)v.count, (unsigned)v.time_first, (unsigned)v.time_last, err);
    }
    size_t klen;
    struct td_obs_value v;
    char err[100];
    CHECK_EQ(td_cof_line_parse("", 0, key, &klen, &v, err, sizeof err), 0);
    CHECK_EQ(td_cof_line_parse(" \t\r", 3, key, &klen, &v, err, sizeof err), 0);
}

#define REST "\"count\":1,\"time_first\":1,\"time_last\":2"
#define OK_NAMES "\"rrname\":\"a.t.\",\"rrtype\":\"A\",\"bailiwick\":\"t.\""

static void test_line_bad(void)
{
    static const struct {
        const char *line, *err;
    } cases[] = {
        { "not json", "JSON: " },
        { "[1]", "not a JSON object" },
        { "{\"rrtype\":\"A\",\"bailiwick\":\"t.\",\"rdata_raw\":[]," REST "}", "\"rrname\": missing or not a string" },
        { "{\"rrname\":\"a..t\",\"rrtype\":\"A\",\"bailiwick\":\"t.\",\"rdata_raw\":[]," REST "}",
          "\"rrname\": not a domain name" },
        { "{\"rrname\":\"a\\u0000t\",\"rrtype\":\"A\",\"bailiwick\":\"t.\",\"rdata_raw\":[]," REST "}",
          "JSON: \\u0000 is not allowed" },
        { "{\"rrname\":\"a.t\",\"rrtype\":\"A\",\"rdata_raw\":[]," REST "}", "\"bailiwick\": missing or not a string" },
        { "{\"rrname\":\"a.t\",\"rrtype\":\"BOGUS\",\"bailiwick\":\"t.\",\"rdata_raw\":[]," REST "}",
          "\"rrtype\": missing or not a type" },
        { "{\"rrname\":\"a.t\",\"rrtype\":1,\"bailiwick\":\"t.\",\"rdata_raw\":[]," REST "}",
          "\"rrtype\": missing or not a type" },
        { "{" OK_NAMES ",\"rdata_raw\":[],\"count\":-1,\"time_first\":1,\"time_last\":2}",
          "\"count\": missing or not an integer 0..18446744073709551615" },
        { "{" OK_NAMES ",\"rdata_raw\":[],\"count\":1.5,\"time_first\":1,\"time_last\":2}",
          "\"count\": missing or not an integer" },
        { "{" OK_NAMES ",\"rdata_raw\":[],\"count\":1,\"time_first\":4294967296,\"time_last\":2}",
          "\"time_first\": missing or not an integer 0..4294967295" },
        { "{" OK_NAMES ",\"rdata_raw\":[],\"count\":1,\"time_first\":1}", "\"time_last\": missing" },
        { "{" OK_NAMES ",\"rdata_raw\":[],\"count\":1,\"time_first\":5,\"time_last\":4}", "time_first 5 > time_last 4" },
        { "{" OK_NAMES "," REST "}", "\"rdata_raw\": missing or not an array" },
        { "{" OK_NAMES ",\"rdata_raw\":\"0a\"," REST "}", "\"rdata_raw\": missing or not an array" },
        { "{" OK_NAMES ",\"rdata_raw\":[\"0g\"]," REST "}", "\"rdata_raw\"[0]: not a hex string" },
        { "{" OK_NAMES ",\"rdata_raw\":[\"00\",\"abc\"]," REST "}", "\"rdata_raw\"[1]: not a hex string of at most" },
        { "{" OK_NAMES ",\"rdata_raw\":[1]," REST "}", "\"rdata_raw\"[0]: not a hex string" },
        { "{" OK_NAMES ",\"rdata_raw\":[]," REST ",\"count\":3}", "JSON: duplicate object key" },
        { "{" OK_NAMES ",\"rdata_raw\":[]," REST "} x", "JSON: end of file expected" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char err[300] = "";
        size_t klen;
        struct td_obs_value v;
        int r = td_cof_line_parse(cases[i].line, strlen(cases[i].line), key, &klen, &v, err, sizeof err);
        if (r != -1 || strncmp(err, cases[i].err, strlen(cases[i].err)) != 0)
            TT_FAIL("bad line %zu: r %d err [%s], expected [%s...]", i, r, err, cases[i].err);
    }
}

/* Random observation lines -> key; export line -> parse gives the same key and value. */
static void test_export_round_trip(void)
{
    static const char *types[] = { "A", "AAAA", "NS", "MX", "TXT", "RRSIG", "TYPE4000" };
    srand(7);
    struct td_json j;
    td_json_init(&j);
    static uint8_t key2[TD_OBS_KEY_MAX];
    int bad = 0;
    for (int i = 0; i < 300; i++) {
        char line[2048];
        int n = snprintf(line, sizeof line, "{\"rrname\":\"h%d.d%d.test.\",\"rrtype\":\"%s\",\"bailiwick\":\"test.\",\"rdata_raw\":[",
                         rand() % 50, rand() % 7, types[rand() % 7]);
        int nr = rand() % 4;
        for (int r = 0; r < nr; r++) {
            n += snprintf(line + n, sizeof line - (size_t)n, "%s\"", r ? "," : "");
            for (int o = rand() % 20; o > 0; o--)
                n += snprintf(line + n, sizeof line - (size_t)n, "%02x", rand() & 255);
            n += snprintf(line + n, sizeof line - (size_t)n, "\"");
        }
        unsigned tf = (unsigned)rand();
        snprintf(line + n, sizeof line - (size_t)n, "],\"count\":%d,\"time_first\":%u,\"time_last\":%u}", rand(), tf,
                 tf + (unsigned)(rand() % 1000));
        size_t k1, k2;
        struct td_obs_value v1, v2;
        char err[300];
        if (td_cof_line_parse(line, strlen(line), key, &k1, &v1, err, sizeof err) != 1) {
            TT_FAIL("line %d: %s [%s]", i, err, line);
            bad++;
            continue;
        }
        td_json_reset(&j);
        if (td_export_line(&j, key, k1, &v1, err, sizeof err) != 0 || j.oom ||
            td_cof_line_parse(j.buf, j.len, key2, &k2, &v2, err, sizeof err) != 1 || k1 != k2 ||
            memcmp(key, key2, k1) != 0 || v1.count != v2.count || v1.time_first != v2.time_first ||
            v1.time_last != v2.time_last)
            bad++;
    }
    CHECK_EQ(bad, 0);
    td_json_free(&j);
}

/* ---- a temporary index */

#define POOL 200
static uint8_t pool_key[POOL][64];
static size_t pool_len[POOL];
static struct td_obs_value want[POOL];
static int have[POOL];

static int pool_cmp(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return td_key_cmp(pool_key[x], pool_len[x], pool_key[y], pool_len[y]);
}

static char steps[256];
static void record_step(void *ctx, const char *s)
{
    (void)ctx;
    snprintf(steps + strlen(steps), sizeof steps - strlen(steps), "%s%s", steps[0] ? "," : "", s);
}

/* Source file of generation name == want[] (the pool entries seen, in key order). */
static int source_is_want(const char *root, const char *name)
{
    char p[PATH_MAX], err[300];
    td_tier_source_path(p, sizeof p, root, name);
    struct td_obs_reader *r = td_obs_reader_open(p, err, sizeof err);
    if (!r) {
        TT_FAIL("%s", err);
        return 0;
    }
    int order[POOL], n = 0, i = 0, same = 1, got;
    for (int k = 0; k < POOL; k++)
        if (have[k])
            order[n++] = k;
    qsort(order, (size_t)n, sizeof order[0], pool_cmp);
    const uint8_t *k;
    size_t kl;
    struct td_obs_value v;
    while ((got = td_obs_read(r, &k, &kl, &v, err, sizeof err)) == 1) {
        if (i >= n || kl != pool_len[order[i]] || memcmp(k, pool_key[order[i]], kl) != 0 ||
            v.count != want[order[i]].count || v.time_first != want[order[i]].time_first ||
            v.time_last != want[order[i]].time_last)
            same = 0;
        i++;
    }
    td_obs_reader_close(&r);
    if (got != 0 || i != n || !same)
        TT_FAIL("source of %s: %d entries (want %d), same %d, end %d %s", name, i, n, same, got, got ? err : "");
    return got == 0 && i == n && same;
}

static void test_build_merge_rebuild(void)
{
    char root[] = "/tmp/test_index_tier.XXXXXX", err[600], path[3][PATH_MAX], line[512];
    if (!mkdtemp(root)) {
        TT_FAIL("mkdtemp");
        return;
    }
    srand(11);
    for (int i = 0; i < POOL; i++) {
        snprintf(line, sizeof line,
                 "{\"rrname\":\"n%d.z%d.test\",\"rrtype\":\"%s\",\"bailiwick\":\"test\",\"rdata_raw\":[\"%08x\"],"
                 "\"count\":1,\"time_first\":1,\"time_last\":1}",
                 i, i % 9, i % 3 ? "A" : "NS", (unsigned)rand());
        struct td_obs_value v;
        if (td_cof_line_parse(line, strlen(line), key, &pool_len[i], &v, err, sizeof err) != 1 || pool_len[i] > 64) {
            TT_FAIL("pool %d: %s", i, err);
            return;
        }
        memcpy(pool_key[i], key, pool_len[i]);
    }
    /* three hour files, each a random subset of the pool */
    uint32_t min_tf = UINT32_MAX, max_tl = 0;
    for (int f = 0; f < 3; f++) {
        snprintf(path[f], sizeof path[f], "%s/202601010%d.0.obs.zst", root, f);
        int order[POOL], n = 0;
        for (int k = 0; k < POOL; k++)
            if (rand() % 2)
                order[n++] = k;
        qsort(order, (size_t)n, sizeof order[0], pool_cmp);
        struct td_obs_writer *w = td_obs_writer_open(path[f], 0, err, sizeof err);
        for (int i = 0; w && i < n; i++) {
            struct td_obs_value v = { .count = 1 + (uint64_t)(rand() % 5) };
            v.time_first = 1767225600u + (uint32_t)f * 3600 + (uint32_t)(rand() % 1800);
            v.time_last = v.time_first + (uint32_t)(rand() % 1800);
            if (td_obs_write(w, pool_key[order[i]], pool_len[order[i]], &v, err, sizeof err) != 0)
                TT_FAIL("write: %s", err);
            int k = order[i];
            if (!have[k]) {
                want[k] = v;
                have[k] = 1;
            } else {
                td_obs_merge(&want[k], &v);
            }
            min_tf = v.time_first < min_tf ? v.time_first : min_tf;
            max_tl = v.time_last > max_tl ? v.time_last : max_tl;
        }
        if (!w || td_obs_writer_close(&w, err, sizeof err) != 0) {
            TT_FAIL("obs file: %s", err);
            return;
        }
    }
    char db[PATH_MAX];
    snprintf(db, sizeof db, "%s/db", root);
    struct td_tier_opts o = { .mem_cap = 1u << 20, .step = record_step };
    struct td_tier_report rep;
    for (int f = 0; f < 3; f++) {
        char hour[11];
        snprintf(hour, sizeof hour, "202601010%d", f);
        steps[0] = 0;
        char *one[1] = { path[f] };
        if (td_tier_build_hour_files(db, hour, 0, one, 1, &o, &rep, err, sizeof err) != 0)
            TT_FAIL("build %s: %s", hour, err);
        CHECK_STR(steps, "sorted,written,renamed,stored");
    }
    char *first[1] = { path[0] };
    CHECK_EQ(td_tier_build_hour_files(db, "2026010100", 0, first, 1, &o, &rep, err, sizeof err), -1);
    CHECK(strstr(err, "already in") != NULL);
    steps[0] = 0;
    CHECK_EQ(td_tier_merge(db, 'd', "20260101", &o, &rep, err, sizeof err), 0);
    CHECK_STR(steps, "sorted,written,renamed,stored");
    CHECK_STR(rep.name, "d.20260101.0");
    CHECK_EQ(rep.inputs, 3);
    CHECK_EQ(rep.retired, 3);
    CHECK_EQ(rep.min_time_first, min_tf);
    CHECK_EQ(rep.max_time_last, max_tl);
    int nwant = 0;
    for (int k = 0; k < POOL; k++)
        nwant += have[k];
    CHECK_EQ(rep.distinct, nwant);
    source_is_want(db, "d.20260101.0");
    struct td_fileset fs;
    CHECK_EQ(td_fileset_load(db, &fs, err, sizeof err), 0);
    CHECK_EQ(fs.n, 1);
    if (fs.n == 1) {
        CHECK_STR(fs.gens[0].name, "d.20260101.0");
        CHECK_EQ(fs.gens[0].min_time_first, min_tf);
        CHECK_EQ(fs.gens[0].max_time_last, max_tl);
    }
    td_fileset_free(&fs);
    char gone[PATH_MAX + 32];
    snprintf(gone, sizeof gone, "%s/h.2026010100.0", db);
    CHECK(access(gone, F_OK) != 0);
    CHECK_EQ(td_tier_merge(db, 'd', "20260101", &o, &rep, err, sizeof err), 1);
    CHECK_EQ(td_tier_merge(db, 'd', "20260102", &o, &rep, err, sizeof err), 1);
    CHECK_EQ(td_tier_merge(db, 'd', "2026010", &o, &rep, err, sizeof err), -1);

    /* rebuild: hours again, then the day merge the FILESET had */
    char *files[3] = { path[2], path[0], path[1] };
    steps[0] = 0;
    CHECK_EQ(td_tier_rebuild(db, files, 3, &o, &rep, err, sizeof err), 0);
    CHECK_STR(steps, "sorted,written,sorted,written,sorted,written,hours,sorted,written,renamed,stored");
    CHECK_EQ(rep.generations, 4);
    CHECK_STR(rep.name, "d.20260101.1");
    source_is_want(db, "d.20260101.1");

    /* export -> import into another root: the same source */
    char out[PATH_MAX], db2[PATH_MAX];
    snprintf(out, sizeof out, "%s/d.cof.zst", root);
    snprintf(db2, sizeof db2, "%s/db2", root);
    struct td_export_stats st;
    CHECK_EQ(td_export_gen(db, "d.20260101.1", out, 0, &st, err, sizeof err), 0);
    CHECK_EQ(st.lines, nwant);
    CHECK_EQ(td_export_gen(db, "d.20260101.0", out, 0, &st, err, sizeof err), -1);
    char *in[1] = { out };
    CHECK_EQ(td_tier_import_hour(db2, "2026010100", 0, in, 1, NULL, &rep, err, sizeof err), 0);
    source_is_want(db2, "h.2026010100.0");

    snprintf(line, sizeof line, "rm -rf '%.400s'", root);
    if (system(line) != 0)
        TT_FAIL("rm");
}

/* ---- the streaming build and its fallback give one result */

/* XXH3 of every (key, value) of a generation's tables, in order, and of its SOURCE.obs. */
static uint64_t gen_hash(const char *root, const char *name, uint64_t *entries)
{
    char p[PATH_MAX], err[300];
    snprintf(p, sizeof p, "%s/%s", root, name);
    struct td_gen *g = td_gen_open(p, NULL, 0, err, sizeof err);
    XXH3_state_t *h = XXH3_createState();
    XXH3_64bits_reset(h);
    *entries = 0;
    struct td_gen_iter *it = g ? td_gen_iter_new(g, 0) : NULL;
    if (it) {
        for (td_gen_iter_first(it); td_gen_iter_valid(it); td_gen_iter_next(it)) {
            size_t kl, vl;
            const uint8_t *k = td_gen_iter_key(it, &kl), *v = td_gen_iter_value(it, &vl);
            XXH3_64bits_update(h, &kl, sizeof kl);
            XXH3_64bits_update(h, k, kl);
            XXH3_64bits_update(h, &vl, sizeof vl);
            XXH3_64bits_update(h, v, vl);
            (*entries)++;
        }
        if (td_gen_iter_error(it, err, sizeof err) != 0)
            TT_FAIL("reading %s: %s", p, err);
        td_gen_iter_free(it);
    } else {
        TT_FAIL("open %s: %s", p, g ? "out of memory" : err);
    }
    td_gen_close(g);
    size_t len = 0;
    td_tier_source_path(p, sizeof p, root, name);
    FILE *f = fopen(p, "rb");
    static char buf[1 << 16];
    while (f && (len = fread(buf, 1, sizeof buf, f)) > 0)
        XXH3_64bits_update(h, buf, len);
    if (f)
        fclose(f);
    else
        TT_FAIL("no source %s", p);
    uint64_t r = XXH3_64bits_digest(h);
    XXH3_freeState(h);
    return r;
}

#define SN 3000
static uint8_t skey[SN][64];
static size_t slen[SN];

static int skey_cmp(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return td_key_cmp(skey[x], slen[x], skey[y], slen[y]);
}

/* The same observations four ways: added in key order (the streaming build), added in random
 * order (it falls back to the sorter at the first key lower than the previous one), as 5
 * overlapping sorted files (ordered k-way merge: streams) and as 70 (more than 64: read one
 * after the other, so it falls back): every generation and source file identical. */
static void test_stream_equals_sorter(void)
{
    char root[] = "/tmp/test_index_tier_s.XXXXXX", err[600], line[512], p[PATH_MAX + 64];
    if (!mkdtemp(root)) {
        TT_FAIL("mkdtemp");
        return;
    }
    snprintf(p, sizeof p, "%s/tmp", root);
    mkdir(p, 0755);
    srand(77);
    int order[SN];
    for (int i = 0; i < SN; i++) {
        snprintf(line, sizeof line,
                 "{\"rrname\":\"h%d.z%d.test\",\"rrtype\":\"%s\",\"bailiwick\":\"test\",\"rdata_raw\":[\"%08x\"],"
                 "\"count\":1,\"time_first\":1,\"time_last\":1}",
                 i % 700, i % 13, i % 4 ? "A" : "NS", (unsigned)(i % 1100));
        struct td_obs_value v;
        if (td_cof_line_parse(line, strlen(line), key, &slen[i], &v, err, sizeof err) != 1 || slen[i] > 64) {
            TT_FAIL("obs %d: %s", i, err);
            return;
        }
        memcpy(skey[i], key, slen[i]);
        order[i] = i;
    }
    qsort(order, SN, sizeof order[0], skey_cmp);
    /* values: observation i is seen in 1..3 of the "sightings", each with its own times */
    struct sighting { int k; struct td_obs_value v; } *sg = malloc(SN * 3 * sizeof *sg);
    int ns = 0;
    for (int j = 0; j < SN; j++)
        for (int r = 0, n = 1 + rand() % 3; r < n; r++) {
            struct td_obs_value v = { .count = 1 + (uint64_t)(rand() % 9) };
            v.time_first = 1767225600u + (uint32_t)(rand() % 3000);
            v.time_last = v.time_first + (uint32_t)(rand() % 500);
            sg[ns].k = order[j];
            sg[ns++].v = v;
        }
    struct td_tier_report rep;
    const char *names[9] = { "h.2026010100.0", "h.2026010100.1", "h.2026010100.2",
                             "h.2026010100.3", "h.2026010100.4", "h.2026010100.5",
                             "h.2026010100.6", "h.2026010100.7", "h.2026010100.8" };
    /* 0: in key order */
    struct td_tier_build *b = td_tier_build_open(root, names[0], NULL, err, sizeof err);
    for (int i = 0; b && i < ns; i++)
        if (td_tier_build_add(b, skey[sg[i].k], slen[sg[i].k], &sg[i].v, err, sizeof err) != 0)
            TT_FAIL("add: %s", err);
    if (!b || td_tier_build_finish(&b, "t", &rep, err, sizeof err) != 0)
        TT_FAIL("build 0: %s", err);
    /* 1: shuffled */
    for (int i = ns - 1; i > 0; i--) {
        int j = rand() % (i + 1);
        struct sighting t = sg[i];
        sg[i] = sg[j];
        sg[j] = t;
    }
    b = td_tier_build_open(root, names[1], NULL, err, sizeof err);
    for (int i = 0; b && i < ns; i++)
        if (td_tier_build_add(b, skey[sg[i].k], slen[sg[i].k], &sg[i].v, err, sizeof err) != 0)
            TT_FAIL("add: %s", err);
    if (!b || td_tier_build_finish(&b, "t", &rep, err, sizeof err) != 0)
        TT_FAIL("build 1: %s", err);
    /* 2 and 3: the sightings spread over 5 and over 70 sorted observation files */
    for (int variant = 0; variant < 2; variant++) {
        int nf = variant ? 70 : 5;
        char **paths = calloc((size_t)nf, sizeof *paths);
        struct td_obs_writer **w = calloc((size_t)nf, sizeof *w);
        /* each file gets its sightings in key order; one key at most once per file */
        int *per = calloc((size_t)nf * SN, sizeof *per);
        for (int f = 0; f < nf; f++) {
            paths[f] = malloc(PATH_MAX);
            snprintf(paths[f], PATH_MAX, "%s/v%d.%02d.obs.zst", root, variant, f);
            w[f] = td_obs_writer_open(paths[f], 0, err, sizeof err);
        }
        /* sighting i goes to file (i * 7) % nf, merged with an earlier one of the same key there */
        struct td_obs_value *acc = calloc((size_t)nf * SN, sizeof *acc);
        for (int i = 0; i < ns; i++) {
            int f = (i * 7) % nf, k = sg[i].k;
            if (!per[f * SN + k]) {
                per[f * SN + k] = 1;
                acc[f * SN + k] = sg[i].v;
            } else {
                td_obs_merge(&acc[f * SN + k], &sg[i].v);
            }
        }
        for (int f = 0; f < nf; f++) {
            for (int j = 0; j < SN; j++) {
                int k = order[j];
                if (per[f * SN + k] && td_obs_write(w[f], skey[k], slen[k], &acc[f * SN + k], err, sizeof err) != 0)
                    TT_FAIL("write: %s", err);
            }
            if (!w[f] || td_obs_writer_close(&w[f], err, sizeof err) != 0)
                TT_FAIL("close: %s", err);
        }
        b = td_tier_build_open(root, names[2 + variant], NULL, err, sizeof err);
        if (!b || td_tier_build_add_obs_files(b, paths, nf, err, sizeof err) != 0 ||
            td_tier_build_finish(&b, "t", &rep, err, sizeof err) != 0)
            TT_FAIL("build %d: %s", 2 + variant, err);
        for (int f = 0; f < nf; f++)
            free(paths[f]);
        free(paths);
        free(w);
        free(per);
        free(acc);
    }
    /* 4..6: one file of the merged observations: copied as the source; the first half in one
     * file and the rest in a second (the copy given up when it starts); the first two thirds
     * in the file and the rest added one by one */
    struct td_obs_value *merged = calloc(SN, sizeof *merged);
    int *seen = calloc(SN, sizeof *seen);
    for (int i = 0; i < ns; i++) {
        int k = sg[i].k;
        if (!seen[k]++)
            merged[k] = sg[i].v;
        else
            td_obs_merge(&merged[k], &sg[i].v);
    }
    for (int variant = 0; variant < 3; variant++) {
        /* files[f] holds the merged observations order[cut[f] .. cut[f + 1]) */
        int cut[3] = { 0, SN, SN }, nfiles = 1;
        if (variant == 1) {
            cut[1] = SN / 2;
            nfiles = 2;
        } else if (variant == 2) {
            cut[1] = SN * 2 / 3;
        }
        char files[2][PATH_MAX];
        for (int f = 0; f < nfiles; f++) {
            snprintf(files[f], sizeof files[f], "%s/one%d.%d.obs.zst", root, variant, f);
            struct td_obs_writer *w = td_obs_writer_open(files[f], 0, err, sizeof err);
            for (int j = cut[f]; w && j < cut[f + 1]; j++)
                if (td_obs_write(w, skey[order[j]], slen[order[j]], &merged[order[j]], err, sizeof err) != 0)
                    TT_FAIL("write: %s", err);
            if (!w || td_obs_writer_close(&w, err, sizeof err) != 0)
                TT_FAIL("close: %s", err);
        }
        b = td_tier_build_open(root, names[4 + variant], NULL, err, sizeof err);
        for (int f = 0; b && f < nfiles; f++)
            if (td_tier_build_add_obs_file(b, files[f], err, sizeof err) != 0)
                TT_FAIL("build %d: %s", 4 + variant, err);
        for (int j = cut[nfiles]; b && j < SN; j++)
            if (td_tier_build_add(b, skey[order[j]], slen[order[j]], &merged[order[j]], err, sizeof err) != 0)
                TT_FAIL("add: %s", err);
        if (!b || td_tier_build_finish(&b, "t", &rep, err, sizeof err) != 0)
            TT_FAIL("build %d: %s", 4 + variant, err);
        if (variant == 0) { /* the copy: the input's octets */
            char src[PATH_MAX + 64], cmd[3 * PATH_MAX + 200];
            td_tier_source_path(src, sizeof src, root, names[4]);
            snprintf(cmd, sizeof cmd, "cmp -s '%s' '%s'", src, files[0]);
            CHECK_EQ(system(cmd), 0);
        }
    }
    /* 7, 8: in key order, the lanes' split chosen from 1 and from 50 entries, not at finish */
    for (int variant = 0; variant < 2; variant++) {
        struct td_tier_opts o = { .split_sample = variant ? 50 : 1 };
        b = td_tier_build_open(root, names[7 + variant], &o, err, sizeof err);
        for (int j = 0; b && j < SN; j++)
            if (td_tier_build_add(b, skey[order[j]], slen[order[j]], &merged[order[j]], err, sizeof err) != 0)
                TT_FAIL("add: %s", err);
        if (!b || td_tier_build_finish(&b, "t", &rep, err, sizeof err) != 0)
            TT_FAIL("build %d: %s", 7 + variant, err);
    }
    /* with 50, lane 0 took RDATA entries: its table's last key is one (type 02) */
    snprintf(p, sizeof p, "%s/%s/TABLES", root, names[8]);
    FILE *tf = fopen(p, "r");
    char tl[2][600] = { "", "" };
    if (!tf || !fgets(tl[0], sizeof tl[0], tf) || !fgets(tl[1], sizeof tl[1], tf))
        TT_FAIL("read %s", p);
    if (tf)
        fclose(tf);
    CHECK(strncmp(tl[1], "000001.sst ", 11) == 0 && strstr(tl[1] + 11, " 02") != NULL);
    free(merged);
    free(seen);
    uint64_t e0 = 0, e;
    uint64_t h0 = gen_hash(root, names[0], &e0);
    CHECK(e0 > SN);
    for (int v = 1; v < 9; v++) {
        uint64_t hv = gen_hash(root, names[v], &e);
        if (hv != h0 || e != e0)
            TT_FAIL("%s differs from %s (%llu vs %llu entries)", names[v], names[0], (unsigned long long)e,
                    (unsigned long long)e0);
    }
    free(sg);
    snprintf(line, sizeof line, "rm -rf '%.400s'", root);
    if (system(line) != 0)
        TT_FAIL("rm");
}

int main(void)
{
    TT_RUN(test_periods);
    TT_RUN(test_plan_names);
    TT_RUN(test_line_good);
    TT_RUN(test_line_bad);
    TT_RUN(test_export_round_trip);
    TT_RUN(test_build_merge_rebuild);
    TT_RUN(test_stream_equals_sorter);
    return tt_finish();
}
