/* tapdns-index: LevelDB generations from observation files.
 *   tapdns-index build --db ROOT --hour YYYYMMDDHH [--replace] [--mem-cap SIZE] OBS...
 *       observations -> index entries (keys.h) -> sorted and merged (batch/dedupe.h, spill
 *       under ROOT/tmp) -> one generation ROOT/h.YYYYMMDDHH.SEQ -> added to ROOT/FILESET.
 *   tapdns-index info --db ROOT
 *       the FILESET and, per generation, entries by type byte, time range, size on disk.
 * One writer at a time (ROOT/index.lock); a build first removes what a crashed one left. */
#include "cli.h"
#include "config.h"
#include "config_keys.h"
#include "dedupe.h"
#include "fileset.h"
#include "generation.h"
#include "index.h"
#include "json.h"
#include "dns_wire.h"
#include "keys.h"
#include "obs.h"
#include <arpa/inet.h>
#include <dirent.h>
#include <libknot/libknot.h>
#include <errno.h>
#include <fcntl.h>
#include <leveldb/c.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char *prog = "tapdns-index";

static int parse(const char *synopsis, const struct td_option *opts, int argc, char **argv, int *first,
                 struct td_config **cfg)
{
    return td_cli_main_parse(prog, synopsis, opts, argc, argv, first, td_config_known_keys, cfg, stdout, stderr);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* YYYYMMDDHH with a real date. */
static int hour_ok(const char *h)
{
    if (strlen(h) != 10)
        return 0;
    for (int i = 0; i < 10; i++)
        if (h[i] < '0' || h[i] > '9')
            return 0;
    int y = atoi((char[5]){ h[0], h[1], h[2], h[3], 0 });
    int mo = (h[4] - '0') * 10 + (h[5] - '0'), d = (h[6] - '0') * 10 + (h[7] - '0');
    int hh = (h[8] - '0') * 10 + (h[9] - '0');
    static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    if (y < 1970 || mo < 1 || mo > 12 || d < 1 || hh > 23 || d > mdays[mo - 1])
        return 0;
    if (mo == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return 0;
    return 1;
}

struct build_ctx {
    struct td_dedupe *dd;
    struct td_gen_build *gen;
    uint64_t entries_in;
    char err[512];
};

static int add_entry(void *ctx, const uint8_t *key, size_t klen, const struct td_obs_value *v)
{
    struct build_ctx *c = ctx;
    c->entries_in++;
    return td_dedupe_add(c->dd, key, klen, v, c->err, sizeof c->err) != 0 ? -1 : 0;
}

static int put_entry(void *ctx, const uint8_t *key, size_t klen, const struct td_obs_value *v)
{
    struct build_ctx *c = ctx;
    uint8_t val[TD_INDEX_VALUE_MAX];
    size_t vl = td_index_value_encode(v, val);
    return td_gen_build_put(c->gen, key, klen, val, vl, c->err, sizeof c->err) != 0 ? -1 : 0;
}

static int path_join(char *out, size_t cap, const char *a, const char *b)
{
    if (snprintf(out, cap, "%s/%s", a, b) >= (int)cap) {
        fprintf(stderr, "%s: path too long: %s/%s\n", prog, a, b);
        return -1;
    }
    return 0;
}

static int do_build(const char *root, const char *hour, int replace, uint64_t mem_cap, int quiet, int nfiles,
                    char **files)
{
    char err[512], tmpdir[PATH_MAX], spill[PATH_MAX], name[TD_FILESET_NAME_MAX], prefix[32];
    char gtmp[PATH_MAX], gfin[PATH_MAX];
    struct td_fileset fs = { 0, 0, NULL };
    struct build_ctx c;
    memset(&c, 0, sizeof c);
    int lock = -1, rc = 1;
    double t0 = now_s();
    if (mkdir(root, 0755) != 0 && errno != EEXIST) {
        fprintf(stderr, "%s: %s: %s\n", prog, root, strerror(errno));
        return 1;
    }
    if (path_join(tmpdir, sizeof tmpdir, root, "tmp") || path_join(spill, sizeof spill, tmpdir, "spill"))
        return 1;
    if (mkdir(tmpdir, 0755) != 0 && errno != EEXIST) {
        fprintf(stderr, "%s: %s: %s\n", prog, tmpdir, strerror(errno));
        return 1;
    }
    lock = td_fileset_lock(root, err, sizeof err);
    if (lock < 0) {
        fprintf(stderr, "%s: %s\n", prog, err);
        return 1;
    }
    if (td_fileset_load(root, &fs, err, sizeof err) != 0) {
        fprintf(stderr, "%s: %s/%s\n", prog, root, err);
        goto out;
    }
    int removed = td_fileset_cleanup(root, &fs, err, sizeof err);
    if (removed < 0) {
        fprintf(stderr, "%s: cleanup: %s\n", prog, err);
        goto out;
    }
    if (removed && !quiet)
        fprintf(stderr, "%s: removed %d leftovers of an interrupted build\n", prog, removed);
    /* Sequence: one above any generation of this hour in FILESET. */
    snprintf(prefix, sizeof prefix, "h.%s.", hour);
    size_t plen = strlen(prefix);
    long seq = 0;
    int present = 0;
    for (uint32_t i = 0; i < fs.n; i++) {
        if (strncmp(fs.gens[i].name, prefix, plen) != 0)
            continue;
        present++;
        long s = strtol(fs.gens[i].name + plen, NULL, 10);
        if (s >= seq)
            seq = s + 1;
    }
    if (present && !replace) {
        fprintf(stderr, "%s: hour %s is already in %s/FILESET (%s%ld); use --replace to rebuild it\n", prog,
                hour, root, prefix, seq - 1);
        goto out;
    }
    snprintf(name, sizeof name, "%s%ld", prefix, seq);
    if (path_join(gtmp, sizeof gtmp, tmpdir, name) || path_join(gfin, sizeof gfin, root, name))
        goto out;
    if (mkdir(spill, 0755) != 0) {
        fprintf(stderr, "%s: %s: %s\n", prog, spill, strerror(errno));
        goto out;
    }

    /* Observations -> index entries -> dedupe (sorted, merged). */
    struct td_dedupe_opts dopts = { .mem_cap = mem_cap, .spill_dir = spill };
    c.dd = td_dedupe_init(&dopts, err, sizeof err);
    if (!c.dd) {
        fprintf(stderr, "%s: %s\n", prog, err);
        goto out;
    }
    uint64_t nobs = 0;
    uint32_t min_tf = UINT32_MAX, max_tl = 0;
    for (int i = 0; i < nfiles; i++) {
        struct td_obs_reader *r = td_obs_reader_open(files[i], err, sizeof err);
        if (!r) {
            fprintf(stderr, "%s: %s\n", prog, err);
            goto out;
        }
        if (td_obs_reader_is_discard(r)) {
            fprintf(stderr, "%s: %s: a discard file, not observations\n", prog, files[i]);
            td_obs_reader_close(&r);
            goto out;
        }
        const uint8_t *key;
        size_t klen;
        struct td_obs_value v;
        int got;
        while ((got = td_obs_read(r, &key, &klen, &v, err, sizeof err)) == 1) {
            nobs++;
            if (v.time_first < min_tf)
                min_tf = v.time_first;
            if (v.time_last > max_tl)
                max_tl = v.time_last;
            if (td_index_entries(key, klen, &v, add_entry, &c, err, sizeof err) != 0) {
                if (c.err[0])
                    snprintf(err, sizeof err, "%s", c.err);
                got = -1;
                break;
            }
        }
        td_obs_reader_close(&r);
        if (got < 0) {
            fprintf(stderr, "%s: %s: observation %llu: %s\n", prog, files[i], (unsigned long long)nobs, err);
            goto out;
        }
    }
    if (nobs == 0)
        min_tf = max_tl = 0;
    double t1 = now_s();

    /* Sorted entries -> generation. */
    c.gen = td_gen_build_open(gtmp, NULL, err, sizeof err);
    if (!c.gen) {
        fprintf(stderr, "%s: %s\n", prog, err);
        goto out;
    }
    if (td_dedupe_finish(c.dd, put_entry, &c, err, sizeof err) != 0) {
        fprintf(stderr, "%s: %s\n", prog, c.err[0] ? c.err : err);
        goto out;
    }
    uint64_t written = td_gen_build_stats(c.gen)->entries;
    double t2 = now_s();
    char source[64];
    snprintf(source, sizeof source, "tapdns-index build %s", hour);
    if (td_gen_build_finish(&c.gen, min_tf, max_tl, source, gfin, err, sizeof err) != 0) {
        fprintf(stderr, "%s: %s\n", prog, err);
        goto out;
    }
    double t3 = now_s();

    /* FILESET: the old generations of this hour out, the new one in, atomically. */
    char old[16][TD_FILESET_NAME_MAX];
    int nold = 0;
    for (uint32_t i = 0; i < fs.n;) {
        if (strncmp(fs.gens[i].name, prefix, plen) == 0) {
            if (nold < 16)
                snprintf(old[nold++], sizeof old[0], "%s", fs.gens[i].name);
            td_fileset_remove(&fs, fs.gens[i].name);
        } else {
            i++;
        }
    }
    struct td_fileset_gen g;
    memset(&g, 0, sizeof g);
    snprintf(g.name, sizeof g.name, "%s", name);
    g.tier = 'h';
    g.min_time_first = min_tf;
    g.max_time_last = max_tl;
    if (td_fileset_put(&fs, &g, err, sizeof err) != 0 || td_fileset_store(root, &fs, err, sizeof err) != 0) {
        fprintf(stderr, "%s: FILESET: %s (the generation %s stays invisible)\n", prog, err, name);
        goto out;
    }
    /* Replaced generations are no longer listed: remove them (a reader that still has one
     * open keeps its open files). */
    for (int i = 0; i < nold; i++) {
        char p[PATH_MAX];
        if (path_join(p, sizeof p, root, old[i]) == 0 && td_gen_remove_tree(p, err, sizeof err) != 0)
            fprintf(stderr, "%s: warning: %s\n", prog, err);
    }
    if (!quiet) {
        const struct td_dedupe_stats *ds = td_dedupe_stats(c.dd);
        printf("generation      %s\n", name);
        printf("observations    %llu\n", (unsigned long long)nobs);
        printf("index entries   %llu (%llu before merging)\n", (unsigned long long)written,
               (unsigned long long)c.entries_in);
        printf("spilled runs    %llu (%llu octets)\n", (unsigned long long)ds->runs_spilled,
               (unsigned long long)ds->bytes_spilled);
        printf("time range      %u %u\n", (unsigned)min_tf, (unsigned)max_tl);
        printf("seconds         read+sort %.3f, write %.3f, compact+sync %.3f, total %.3f\n", t1 - t0, t2 - t1,
               t3 - t2, t3 - t0);
        printf("rate            %.0f observations/s, %.0f entries/s\n", nobs / (t3 - t0 > 0 ? t3 - t0 : 1e-9),
               written / (t3 - t0 > 0 ? t3 - t0 : 1e-9));
    }
    rc = 0;
out:
    if (c.gen)
        td_gen_build_abort(&c.gen);
    td_dedupe_destroy(&c.dd);
    td_gen_remove_tree(spill, NULL, 0);
    td_fileset_free(&fs);
    if (lock >= 0)
        close(lock);
    return rc;
}

static int build(int argc, char **argv)
{
    const char *root = NULL, *hour = NULL, *config = NULL;
    uint64_t mem_cap = 256u << 20;
    int replace = 0, quiet = 0;
    const struct td_option opts[] = {
        { "db", 'd', TD_OPT_STRING, &root, "ROOT", "index root (FILESET and generations)", "index.db", 1 },
        { "hour", 'H', TD_OPT_STRING, &hour, "YYYYMMDDHH", "the hour this generation holds", NULL, 1 },
        { "replace", 0, TD_OPT_FLAG, &replace, NULL, "rebuild an hour already in FILESET", NULL, 0 },
        { "mem-cap", 'm', TD_OPT_SIZE, &mem_cap, "SIZE", "sort memory cap (default 256M); above it, sorted runs spill to ROOT/tmp", "index.mem_cap", 0 },
        { "config", 'c', TD_OPT_STRING, &config, "FILE", "config file (options given here win)", NULL, 0 },
        { "quiet", 'q', TD_OPT_FLAG, &quiet, NULL, "no counters", NULL, 0 },
        { NULL, 0, 0, NULL, NULL, NULL, NULL, 0 },
    };
    struct td_config *cfg = NULL;
    int first;
    int pr = parse("build --db ROOT --hour YYYYMMDDHH [OPTIONS] OBS...", opts, argc, argv, &first, &cfg);
    if (pr != 0) {
        td_config_free(&cfg);
        return pr < 0 ? 2 : 0;
    }
    int rc = 2;
    if (!hour_ok(hour))
        fprintf(stderr, "%s build: --hour %s: expected YYYYMMDDHH (a real UTC hour)\n", prog, hour);
    else if (first >= argc)
        fprintf(stderr, "%s build: no observation file given\n", prog);
    else
        rc = do_build(root, hour, replace, mem_cap, quiet, argc - first, argv + first);
    td_config_free(&cfg);
    return rc;
}

static const char *type_name(unsigned tb)
{
    switch (tb) {
    case TD_IK_RRSET: return "RRSET";
    case TD_IK_NAME_FWD: return "RRSET_NAME_FWD";
    case TD_IK_RDATA: return "RDATA";
    case TD_IK_NAME_REV: return "RDATA_NAME_REV";
    case TD_IK_DNSSEC | TD_IK_RRSET: return "RRSET (DNSSEC)";
    case TD_IK_DNSSEC | TD_IK_NAME_FWD: return "RRSET_NAME_FWD (DNSSEC)";
    case TD_IK_DNSSEC | TD_IK_RDATA: return "RDATA (DNSSEC)";
    case TD_IK_DNSSEC | TD_IK_NAME_REV: return "RDATA_NAME_REV (DNSSEC)";
    case TD_GEN_KEY_SOURCE: return "SOURCE";
    case TD_IK_TIME_RANGE: return "TIME_RANGE";
    case TD_IK_VERSION: return "VERSION";
    default: return NULL;
    }
}

static uint64_t dir_size(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    uint64_t sum = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        struct stat sb;
        if (fstatat(dirfd(d), de->d_name, &sb, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(sb.st_mode))
            sum += (uint64_t)sb.st_size;
    }
    closedir(d);
    return sum;
}

static void fmt_time(uint32_t t, char *out, size_t cap)
{
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    strftime(out, cap, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Per generation: counts by type byte (iterating the whole generation). */
static int info_gen(const char *root, const struct td_fileset_gen *g)
{
    char dir[PATH_MAX], a[32], b[32];
    if (path_join(dir, sizeof dir, root, g->name))
        return 1;
    fmt_time(g->min_time_first, a, sizeof a);
    fmt_time(g->max_time_last, b, sizeof b);
    printf("%s  tier %c  time %u..%u (%s..%s)  %llu octets on disk\n", g->name, g->tier,
           (unsigned)g->min_time_first, (unsigned)g->max_time_last, a, b, (unsigned long long)dir_size(dir));
    leveldb_options_t *lo = leveldb_options_create();
    char *lerr = NULL;
    leveldb_t *db = leveldb_open(lo, dir, &lerr);
    if (!db) {
        printf("  cannot open: %s\n", lerr ? lerr : "failed");
        leveldb_free(lerr);
        leveldb_options_destroy(lo);
        return 1;
    }
    leveldb_readoptions_t *ro = leveldb_readoptions_create();
    leveldb_readoptions_set_fill_cache(ro, 0);
    leveldb_iterator_t *it = leveldb_create_iterator(db, ro);
    static uint64_t counts[256];
    memset(counts, 0, sizeof counts);
    uint32_t tf = 0, tl = 0;
    int have_range = 0;
    uint64_t total = 0;
    for (leveldb_iter_seek_to_first(it); leveldb_iter_valid(it); leveldb_iter_next(it)) {
        size_t kl, vl;
        const uint8_t *k = (const uint8_t *)leveldb_iter_key(it, &kl);
        if (kl == 0)
            continue;
        counts[k[0]]++;
        total++;
        if (k[0] == TD_IK_TIME_RANGE && kl == 1) {
            const uint8_t *v = (const uint8_t *)leveldb_iter_value(it, &vl);
            have_range = td_index_time_range_decode(v, vl, &tf, &tl) == 0;
        }
    }
    leveldb_iter_get_error(it, &lerr);
    int rc = 0;
    if (lerr) {
        printf("  read error: %s\n", lerr);
        leveldb_free(lerr);
        rc = 1;
    }
    for (unsigned tb = 0; tb < 256; tb++) {
        if (!counts[tb])
            continue;
        const char *n = type_name(tb);
        if (n)
            printf("  %02X %-26s %llu\n", tb, n, (unsigned long long)counts[tb]);
        else
            printf("  %02X %-26s %llu\n", tb, "(unknown type byte)", (unsigned long long)counts[tb]);
    }
    printf("  rrsets %llu (DNSSEC %llu), entries %llu\n",
           (unsigned long long)(counts[TD_IK_RRSET] + counts[TD_IK_DNSSEC | TD_IK_RRSET]),
           (unsigned long long)counts[TD_IK_DNSSEC | TD_IK_RRSET], (unsigned long long)total);
    if (!have_range) {
        printf("  no TIME_RANGE entry\n");
        rc = 1;
    } else if (tf != g->min_time_first || tl != g->max_time_last) {
        printf("  TIME_RANGE %u..%u differs from FILESET\n", (unsigned)tf, (unsigned)tl);
        rc = 1;
    }
    leveldb_iter_destroy(it);
    leveldb_readoptions_destroy(ro);
    leveldb_close(db);
    leveldb_options_destroy(lo);
    return rc;
}

static int info(int argc, char **argv)
{
    const char *root = NULL, *config = NULL;
    const struct td_option opts[] = {
        { "db", 'd', TD_OPT_STRING, &root, "ROOT", "index root (FILESET and generations)", "index.db", 1 },
        { "config", 'c', TD_OPT_STRING, &config, "FILE", "config file (options given here win)", NULL, 0 },
        { NULL, 0, 0, NULL, NULL, NULL, NULL, 0 },
    };
    struct td_config *cfg = NULL;
    int first;
    int pr = parse("info --db ROOT", opts, argc, argv, &first, &cfg);
    td_config_free(&cfg);
    if (pr != 0)
        return pr < 0 ? 2 : 0;
    if (first < argc) {
        fprintf(stderr, "%s info: unexpected argument '%s'\n", prog, argv[first]);
        return 2;
    }
    struct td_fileset fs;
    char err[512];
    if (td_fileset_load(root, &fs, err, sizeof err) != 0) {
        fprintf(stderr, "%s: %s/%s\n", prog, root, err);
        return 1;
    }
    printf("FILESET %s/FILESET: version %d, %u generations\n", root, TD_FILESET_VERSION, (unsigned)fs.n);
    int rc = 0;
    for (uint32_t i = 0; i < fs.n; i++)
        rc |= info_gen(root, &fs.gens[i]);
    td_fileset_free(&fs);
    return rc;
}

/* ---- query: local lookups through the reading library (indexer/index.h), COF JSON lines. */

static int parse_type(const char *t, int *out)
{
    uint16_t v;
    if (!strcasecmp(t, "ANY"))
        *out = TD_INDEX_ANY;
    else if (!strcasecmp(t, "ANY-DNSSEC"))
        *out = TD_INDEX_ANY_DNSSEC;
    else if (knot_rrtype_from_string(t, &v) == 0)
        *out = v;
    else
        return -1;
    return 0;
}

/* ADDR, ADDR,PFX or A-B into q (RDATA_IP). */
static int parse_ip(char *arg, struct td_index_query *q)
{
    char *sep = strpbrk(arg, ",-");
    char c = sep ? *sep : 0;
    if (sep)
        *sep = 0;
    int af = strchr(arg, ':') ? AF_INET6 : AF_INET;
    q->ip_len = af == AF_INET ? 4 : 16;
    if (inet_pton(af, arg, q->ip_lo) != 1)
        return -1;
    memcpy(q->ip_hi, q->ip_lo, q->ip_len);
    if (c == ',') {
        char *end;
        unsigned long p = strtoul(sep + 1, &end, 10);
        if (*end || end == sep + 1 || p > q->ip_len * 8)
            return -1;
        if (p == 0) { /* /0: the whole family as a range */
            memset(q->ip_lo, 0, q->ip_len);
            memset(q->ip_hi, 0xff, q->ip_len);
        }
        q->ip_prefix = (unsigned)p;
    } else if (c == '-') {
        if (inet_pton(af, sep + 1, q->ip_hi) != 1)
            return -1;
    }
    return 0;
}

static int query(int argc, char **argv)
{
    const char *root = NULL, *config = NULL;
    uint64_t tfb = 0, tfa = 0, tlb = 0, tla = 0, limit = 0, offset = 0;
    const struct td_option opts[] = {
        { "db", 'd', TD_OPT_STRING, &root, "ROOT", "index root (FILESET and generations)", "index.db", 1 },
        { "config", 'c', TD_OPT_STRING, &config, "FILE", "config file (options given here win)", NULL, 0 },
        { "time-first-before", 0, TD_OPT_UINT, &tfb, "T", "time_first <= T", NULL, 0 },
        { "time-first-after", 0, TD_OPT_UINT, &tfa, "T", "time_first >= T", NULL, 0 },
        { "time-last-before", 0, TD_OPT_UINT, &tlb, "T", "time_last <= T", NULL, 0 },
        { "time-last-after", 0, TD_OPT_UINT, &tla, "T", "time_last >= T", NULL, 0 },
        { "limit", 'l', TD_OPT_UINT, &limit, "N", "at most N results (0: all)", NULL, 0 },
        { "offset", 0, TD_OPT_UINT, &offset, "N", "skip the first N results", NULL, 0 },
        { NULL, 0, 0, NULL, NULL, NULL, NULL, 0 },
    };
    struct td_config *cfg = NULL;
    int first;
    const char *syn = "query --db ROOT rrset NAME[/TYPE[/BAILIWICK]] | rdata name NAME[/TYPE] | rdata ip ADDR[,PFX]|A-B";
    int pr = parse(syn, opts, argc, argv, &first, &cfg);
    if (pr != 0) {
        td_config_free(&cfg);
        return pr < 0 ? 2 : 0;
    }
    struct td_index_query q;
    memset(&q, 0, sizeof q);
    q.rrtype = TD_INDEX_ANY;
    uint8_t name[256], bw[256];
    char arg[1024];
    int bad = 0;
    if (first + 2 == argc && !strcmp(argv[first], "rrset")) {
        snprintf(arg, sizeof arg, "%s", argv[first + 1]);
        char *t = strchr(arg, '/'), *b = NULL;
        if (t) {
            *t++ = 0;
            if ((b = strchr(t, '/')) != NULL)
                *b++ = 0;
            bad |= parse_type(t, &q.rrtype);
        }
        char *n = arg;
        q.kind = TD_IQ_RRSET;
        if (!strncmp(n, "*.", 2)) {
            q.kind = TD_IQ_RRSET_BELOW;
            n += 2;
            if (!*n) /* "*." : everything */
                n = (char *)".";
        }
        int l = td_dns_name_from_text(n, name, sizeof name);
        bad |= l < 0;
        q.name = name;
        q.name_len = l < 0 ? 0 : (size_t)l;
        if (b) {
            l = td_dns_name_from_text(b, bw, sizeof bw);
            bad |= l < 0;
            q.bailiwick = bw;
            q.bailiwick_len = l < 0 ? 0 : (size_t)l;
        }
    } else if (first + 3 == argc && !strcmp(argv[first], "rdata") && !strcmp(argv[first + 1], "name")) {
        snprintf(arg, sizeof arg, "%s", argv[first + 2]);
        char *t = strchr(arg, '/');
        if (t) {
            *t++ = 0;
            bad |= parse_type(t, &q.rrtype);
        }
        int l = td_dns_name_from_text(arg, name, sizeof name);
        bad |= l < 0;
        q.kind = TD_IQ_RDATA_NAME;
        q.name = name;
        q.name_len = l < 0 ? 0 : (size_t)l;
    } else if (first + 3 == argc && !strcmp(argv[first], "rdata") && !strcmp(argv[first + 1], "ip")) {
        snprintf(arg, sizeof arg, "%s", argv[first + 2]);
        q.kind = TD_IQ_RDATA_IP;
        bad |= parse_ip(arg, &q);
    } else {
        fprintf(stderr, "%s query: expected %s\n", prog, syn + 6);
        td_config_free(&cfg);
        return 2;
    }
    if (bad || tfb > UINT32_MAX || tfa > UINT32_MAX || tlb > UINT32_MAX || tla > UINT32_MAX) {
        fprintf(stderr, "%s query: bad name, type, address or time\n", prog);
        td_config_free(&cfg);
        return 2;
    }
    q.time_first_before = (uint32_t)tfb;
    q.time_first_after = (uint32_t)tfa;
    q.time_last_before = (uint32_t)tlb;
    q.time_last_after = (uint32_t)tla;
    q.limit = limit;
    q.offset = offset;
    char err[512];
    struct td_index *idx = td_index_open(root, NULL, err, sizeof err);
    td_config_free(&cfg);
    if (!idx) {
        fprintf(stderr, "%s: %s: %s\n", prog, root, err);
        return 1;
    }
    struct td_index_iter *it = td_index_query_start(idx, &q, err, sizeof err);
    if (!it) {
        fprintf(stderr, "%s query: %s\n", prog, err);
        td_index_close(&idx);
        return 2;
    }
    struct td_json j;
    td_json_init(&j);
    struct td_index_result r;
    int rc;
    static char text[70000];
    while ((rc = td_index_next(it, &r)) == 1) {
        td_json_object_begin(&j);
        td_json_kuint(&j, "count", r.count);
        td_json_kuint(&j, "time_first", r.time_first);
        td_json_kuint(&j, "time_last", r.time_last);
        td_dns_name_to_text(r.owner, r.owner_len, text, sizeof text);
        td_json_kstring(&j, "rrname", text);
        td_dns_type_to_text(r.rrtype, text, sizeof text);
        td_json_kstring(&j, "rrtype", text);
        if (r.bailiwick) {
            td_dns_name_to_text(r.bailiwick, r.bailiwick_len, text, sizeof text);
            td_json_kstring(&j, "bailiwick", text);
        }
        td_json_key(&j, "rdata");
        if (r.is_rdata) {
            td_dns_rdata_to_text(r.rrtype, r.rdata[0], r.rdlen[0], text, sizeof text);
            td_json_string(&j, text);
        } else {
            td_json_array_begin(&j);
            for (uint16_t i = 0; i < r.nrdata; i++) {
                td_dns_rdata_to_text(r.rrtype, r.rdata[i], r.rdlen[i], text, sizeof text);
                td_json_string(&j, text);
            }
            td_json_array_end(&j);
        }
        td_json_object_end(&j);
        td_json_newline(&j);
        if (td_json_flush(&j, stdout) != 0) {
            rc = -2;
            break;
        }
    }
    if (rc == -1)
        fprintf(stderr, "%s query: %s\n", prog, td_index_iter_error(it));
    else if (rc == -2)
        fprintf(stderr, "%s query: write error\n", prog);
    td_json_free(&j);
    td_index_query_end(&it);
    td_index_close(&idx);
    return rc < 0 ? 1 : 0;
}

int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "build"))
        return build(argc - 1, argv + 1);
    if (argc > 1 && !strcmp(argv[1], "info"))
        return info(argc - 1, argv + 1);
    if (argc > 1 && !strcmp(argv[1], "query"))
        return query(argc - 1, argv + 1);
    if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        printf("usage: %s build --db ROOT --hour YYYYMMDDHH [--replace] [--mem-cap SIZE] OBS...\n"
               "       %s info --db ROOT\n"
               "       %s query --db ROOT [--time-first-after T ...] [--limit N] [--offset N]\n"
               "             rrset NAME[/TYPE[/BAILIWICK]] | rrset '*.NAME'[/TYPE] | rdata name NAME[/TYPE]\n"
               "             | rdata ip ADDR[,PFX] | rdata ip A-B\n",
               prog, prog, prog);
        return 0;
    }
    fprintf(stderr, "%s: expected a command: build, info or query (see --help)\n", prog);
    return 2;
}
