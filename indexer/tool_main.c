/* tapdns-index: index generations from observation files (the work is in tier.h,
 * export.h, import.h; this file parses options and prints).
 *   tapdns-index build --db ROOT --hour YYYYMMDDHH [--replace] [--mem-cap SIZE] OBS...
 *       observations -> index entries (keys.h) -> sorted and merged (batch/dedupe.h, spill
 *       under ROOT/tmp) -> one generation ROOT/h.YYYYMMDDHH.SEQ (with its source file) ->
 *       added to ROOT/FILESET.
 *   tapdns-index merge --db ROOT --day YYYYMMDD | --month YYYYMM
 *       the next tier from the source files of the period's generations, inputs retired.
 *   tapdns-index rebuild --db ROOT OBS... | --obs DIR
 *       every hour again from observation files, the same day/month merges, one FILESET swap.
 *   tapdns-index export --db ROOT --gen NAME --out FILE     COF NDJSON + zstd export drop
 *   tapdns-index import --db ROOT --hour YYYYMMDDHH [--replace] FILE...   export drops back
 *   tapdns-index info --db ROOT
 *       the FILESET by tier and, per generation, entries by type byte, time range, size on disk.
 * One writer at a time (ROOT/index.lock); each writer first removes what a crashed one left.
 * Crash tests: TAPDNS_INDEX_CRASH_AT=STEP[:N] makes a writer _exit(137) the N-th time (default
 * 1st) it reaches STEP (tier.h TD_TIER_STEPS: sorted, written, renamed, stored, hours). */
#include "cli.h"
#include "cof.h"
#include "config.h"
#include "config_keys.h"
#include "export.h"
#include "fileset.h"
#include "gen_reader.h"
#include "generation.h"
#include "index.h"
#include "output.h"
#include "json.h"
#include "dns_wire.h"
#include "keys.h"
#include "import.h"
#include "obs.h"
#include "tier.h"
#include <arpa/inet.h>
#include <dirent.h>
#include <libknot/libknot.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char *prog = "tapdns-index";

/* The config of this run. Option strings (--db from index.db, ...) point into it, so it lives
 * until main returns. */
static struct td_config *run_cfg;

static int parse(const char *synopsis, const struct td_option *opts, int argc, char **argv, int *first)
{
    int r = td_cli_main_parse(prog, synopsis, opts, argc, argv, first, td_config_known_keys, &run_cfg, stdout,
                              stderr);
    return r;
}

static int command(int argc, char **argv);

int main(int argc, char **argv)
{
    int rc = command(argc, argv);
    td_config_free(&run_cfg);
    return rc;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int path_join(char *out, size_t cap, const char *a, const char *b)
{
    if (snprintf(out, cap, "%s/%s", a, b) >= (int)cap) {
        fprintf(stderr, "%s: path too long: %s/%s\n", prog, a, b);
        return -1;
    }
    return 0;
}

/* TAPDNS_INDEX_CRASH_AT=STEP[:N]: _exit(137) at the N-th STEP (crash tests). */
static void crash_step(void *ctx, const char *step)
{
    (void)ctx;
    static unsigned seen;
    const char *e = getenv("TAPDNS_INDEX_CRASH_AT");
    if (!e)
        return;
    size_t sl = strlen(step);
    if (strncmp(e, step, sl) != 0 || (e[sl] != 0 && e[sl] != ':'))
        return;
    unsigned want = e[sl] == ':' ? (unsigned)strtoul(e + sl + 1, NULL, 10) : 1;
    if (++seen == want)
        _exit(137);
}

static void tier_opts(struct td_tier_opts *o, uint64_t mem_cap)
{
    memset(o, 0, sizeof *o);
    o->mem_cap = mem_cap;
    o->step = crash_step;
}

static void print_report(const struct td_tier_report *r, double secs)
{
    printf("generation      %s\n", r->name);
    printf("inputs          %u (%u generations retired)\n", (unsigned)r->inputs, (unsigned)r->retired);
    printf("observations    %llu (%llu after merging)\n", (unsigned long long)r->observations,
           (unsigned long long)r->distinct);
    printf("index entries   %llu (%llu before merging)\n", (unsigned long long)r->entries,
           (unsigned long long)r->entries_in);
    printf("spilled runs    %llu (%llu octets)\n", (unsigned long long)r->runs_spilled,
           (unsigned long long)r->bytes_spilled);
    printf("time range      %u %u\n", (unsigned)r->min_time_first, (unsigned)r->max_time_last);
    printf("seconds         read+sort %.3f, write %.3f, compact+sync %.3f, total %.3f\n", r->t_read, r->t_write,
           r->t_finish, secs);
    printf("rate            %.0f observations/s, %.0f entries/s\n", r->observations / (secs > 0 ? secs : 1e-9),
           r->entries / (secs > 0 ? secs : 1e-9));
}

static int build_or_import(int argc, char **argv, int is_import)
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
    int first;
    const char *cmd = is_import ? "import" : "build";
    int pr = parse(is_import ? "import --db ROOT --hour YYYYMMDDHH [OPTIONS] FILE.cof.zst..."
                             : "build --db ROOT --hour YYYYMMDDHH [OPTIONS] OBS...",
                   opts, argc, argv, &first);
    if (pr != 0)
        return pr < 0 ? 2 : 0;
    if (!td_tier_period_ok('h', hour)) {
        fprintf(stderr, "%s %s: --hour %s: expected YYYYMMDDHH (a real UTC hour)\n", prog, cmd, hour);
        return 2;
    }
    if (first >= argc) {
        fprintf(stderr, "%s %s: no %s file given\n", prog, cmd, is_import ? "COF" : "observation");
        return 2;
    }
    struct td_tier_opts to;
    struct td_tier_report rep;
    char err[1024];
    tier_opts(&to, mem_cap);
    double t0 = now_s();
    int rc = is_import ? td_tier_import_hour(root, hour, replace, argv + first, argc - first, &to, &rep, err, sizeof err)
                       : td_tier_build_hour_files(root, hour, replace, argv + first, argc - first, &to, &rep, err,
                                                  sizeof err);
    if (rc != 0) {
        fprintf(stderr, "%s: %s\n", prog, err);
        return 1;
    }
    if (!quiet)
        print_report(&rep, now_s() - t0);
    return 0;
}

static int build(int argc, char **argv)
{
    return build_or_import(argc, argv, 0);
}

static int import(int argc, char **argv)
{
    return build_or_import(argc, argv, 1);
}

static int merge(int argc, char **argv)
{
    const char *root = NULL, *day = NULL, *month = NULL, *config = NULL;
    uint64_t mem_cap = 256u << 20;
    int quiet = 0;
    const struct td_option opts[] = {
        { "db", 'd', TD_OPT_STRING, &root, "ROOT", "index root (FILESET and generations)", "index.db", 1 },
        { "day", 'D', TD_OPT_STRING, &day, "YYYYMMDD", "merge the hours of this day", NULL, 0 },
        { "month", 'M', TD_OPT_STRING, &month, "YYYYMM", "merge the days (and hours) of this month", NULL, 0 },
        { "mem-cap", 'm', TD_OPT_SIZE, &mem_cap, "SIZE", "sort memory cap (default 256M)", "index.mem_cap", 0 },
        { "config", 'c', TD_OPT_STRING, &config, "FILE", "config file (options given here win)", NULL, 0 },
        { "quiet", 'q', TD_OPT_FLAG, &quiet, NULL, "no counters", NULL, 0 },
        { NULL, 0, 0, NULL, NULL, NULL, NULL, 0 },
    };
    int first;
    int pr = parse("merge --db ROOT --day YYYYMMDD | --month YYYYMM", opts, argc, argv, &first);
    if (pr != 0)
        return pr < 0 ? 2 : 0;
    char tier = day ? 'd' : 'm';
    const char *period = day ? day : month;
    if ((day != NULL) == (month != NULL) || first < argc) {
        fprintf(stderr, "%s merge: expected exactly one of --day YYYYMMDD or --month YYYYMM\n", prog);
        return 2;
    }
    if (!td_tier_period_ok(tier, period)) {
        fprintf(stderr, "%s merge: --%s %s: expected %s (a real date)\n", prog, day ? "day" : "month", period,
                day ? "YYYYMMDD" : "YYYYMM");
        return 2;
    }
    struct td_tier_opts to;
    struct td_tier_report rep;
    char err[1024];
    tier_opts(&to, mem_cap);
    double t0 = now_s();
    int rc = td_tier_merge(root, tier, period, &to, &rep, err, sizeof err);
    if (rc < 0) {
        fprintf(stderr, "%s: %s\n", prog, err);
        return 1;
    }
    if (rc == 1) {
        if (!quiet)
            printf("nothing to merge for %s %s\n", day ? "day" : "month", period);
        return 0;
    }
    if (!quiet)
        print_report(&rep, now_s() - t0);
    return 0;
}

static int name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The *.obs.zst files of dir, sorted (malloc'd array of malloc'd paths). */
static char **list_obs(const char *dir, int *n)
{
    DIR *d = opendir(dir);
    char **v = NULL;
    int cap = 0;
    *n = 0;
    if (!d)
        return NULL;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        size_t l = strlen(de->d_name);
        if (l < 8 || strcmp(de->d_name + l - 8, ".obs.zst") != 0)
            continue;
        if (*n == cap) {
            cap = cap ? 2 * cap : 64;
            char **nv = realloc(v, (size_t)cap * sizeof *v);
            if (!nv)
                break;
            v = nv;
        }
        if (asprintf(&v[*n], "%s/%s", dir, de->d_name) < 0)
            break;
        (*n)++;
    }
    closedir(d);
    if (v)
        qsort(v, (size_t)*n, sizeof *v, name_cmp);
    return v;
}

static int rebuild(int argc, char **argv)
{
    const char *root = NULL, *obsdir = NULL, *config = NULL;
    uint64_t mem_cap = 256u << 20;
    int quiet = 0;
    const struct td_option opts[] = {
        { "db", 'd', TD_OPT_STRING, &root, "ROOT", "index root (FILESET and generations)", "index.db", 1 },
        { "obs", 'o', TD_OPT_STRING, &obsdir, "DIR", "every *.obs.zst file of DIR (names start with their hour)", NULL, 0 },
        { "mem-cap", 'm', TD_OPT_SIZE, &mem_cap, "SIZE", "sort memory cap (default 256M)", "index.mem_cap", 0 },
        { "config", 'c', TD_OPT_STRING, &config, "FILE", "config file (options given here win)", NULL, 0 },
        { "quiet", 'q', TD_OPT_FLAG, &quiet, NULL, "no counters", NULL, 0 },
        { NULL, 0, 0, NULL, NULL, NULL, NULL, 0 },
    };
    int first;
    int pr = parse("rebuild --db ROOT OBS... | --obs DIR", opts, argc, argv, &first);
    if (pr != 0)
        return pr < 0 ? 2 : 0;
    char **files = argv + first, **listed = NULL;
    int n = argc - first;
    if (obsdir) {
        listed = list_obs(obsdir, &n);
        files = listed;
    }
    if (n <= 0 || (obsdir && first < argc)) {
        fprintf(stderr, "%s rebuild: give observation files or --obs DIR (with *.obs.zst files), not both\n", prog);
        for (int i = 0; listed && i < n; i++)
            free(listed[i]);
        free(listed);
        return 2;
    }
    struct td_tier_opts to;
    struct td_tier_report rep;
    char err[1024];
    tier_opts(&to, mem_cap);
    double t0 = now_s();
    int rc = td_tier_rebuild(root, files, n, &to, &rep, err, sizeof err);
    for (int i = 0; listed && i < n; i++)
        free(listed[i]);
    free(listed);
    if (rc != 0) {
        fprintf(stderr, "%s: %s\n", prog, err);
        return 1;
    }
    if (!quiet)
        printf("rebuilt %s: %d observation files, %u generations made (hours and merges), %u replaced, %.3f s\n",
               root, n, (unsigned)rep.generations, (unsigned)rep.retired, now_s() - t0);
    return 0;
}

static int export(int argc, char **argv)
{
    const char *root = NULL, *gen = NULL, *out = NULL, *config = NULL;
    uint64_t level = 0;
    int quiet = 0;
    const struct td_option opts[] = {
        { "db", 'd', TD_OPT_STRING, &root, "ROOT", "index root (FILESET and generations)", "index.db", 1 },
        { "gen", 'g', TD_OPT_STRING, &gen, "NAME", "a live generation (tapdns-index info)", NULL, 1 },
        { "out", 'o', TD_OPT_STRING, &out, "FILE", "the export drop (COF NDJSON, zstd), written atomically", NULL, 1 },
        { "level", 'L', TD_OPT_UINT, &level, "N", "zstd level (default 3)", NULL, 0 },
        { "config", 'c', TD_OPT_STRING, &config, "FILE", "config file (options given here win)", NULL, 0 },
        { "quiet", 'q', TD_OPT_FLAG, &quiet, NULL, "no counters", NULL, 0 },
        { NULL, 0, 0, NULL, NULL, NULL, NULL, 0 },
    };
    int first;
    int pr = parse("export --db ROOT --gen NAME --out FILE", opts, argc, argv, &first);
    if (pr != 0)
        return pr < 0 ? 2 : 0;
    if (first < argc || level > 19) {
        fprintf(stderr, "%s export: %s\n", prog, level > 19 ? "--level: 1..19" : "unexpected argument");
        return 2;
    }
    struct td_export_stats st;
    char err[1024];
    double t0 = now_s();
    if (td_export_gen(root, gen, out, (int)level, &st, err, sizeof err) != 0) {
        fprintf(stderr, "%s: %s\n", prog, err);
        return 1;
    }
    if (!quiet)
        printf("exported %s: %llu lines, %llu octets of JSON, %llu compressed, %.3f s\n", gen,
               (unsigned long long)st.lines, (unsigned long long)st.bytes_in, (unsigned long long)st.bytes_out,
               now_s() - t0);
    return 0;
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
    char src[PATH_MAX];
    struct stat sst;
    if (td_tier_source_path(src, sizeof src, root, g->name) == 0 && stat(src, &sst) == 0)
        printf("  source %s %llu octets\n", TD_TIER_SOURCE, (unsigned long long)sst.st_size);
    else
        printf("  no source file %s (merge, rebuild and export need it)\n", TD_TIER_SOURCE);
    char e[300];
    struct td_gen *gen = td_gen_open(dir, NULL, 1, e, sizeof e);
    struct td_gen_iter *it = gen ? td_gen_iter_new(gen, 0) : NULL;
    if (!it) {
        printf("  cannot open: %s\n", gen ? "out of memory" : e);
        td_gen_close(gen);
        return 1;
    }
    static uint64_t counts[256];
    memset(counts, 0, sizeof counts);
    uint32_t tf = 0, tl = 0;
    int have_range = 0;
    uint64_t total = 0;
    for (td_gen_iter_first(it); td_gen_iter_valid(it); td_gen_iter_next(it)) {
        size_t kl, vl;
        const uint8_t *k = td_gen_iter_key(it, &kl);
        if (kl == 0)
            continue;
        counts[k[0]]++;
        total++;
        if (k[0] == TD_IK_TIME_RANGE && kl == 1) {
            const uint8_t *v = td_gen_iter_value(it, &vl);
            have_range = td_index_time_range_decode(v, vl, &tf, &tl) == 0;
        }
    }
    int rc = 0;
    if (td_gen_iter_error(it, e, sizeof e) != 0) {
        printf("  read error: %s\n", e);
        rc = 1;
    } else if (total != td_gen_entries(gen)) {
        printf("  %llu entries read, %s lists %llu\n", (unsigned long long)total, TD_GEN_TABLES,
               (unsigned long long)td_gen_entries(gen));
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
    td_gen_iter_free(it);
    td_gen_close(gen);
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
    int first;
    int pr = parse("info --db ROOT", opts, argc, argv, &first);
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
    unsigned nt[3] = { 0, 0, 0 };
    for (uint32_t i = 0; i < fs.n; i++)
        nt[fs.gens[i].tier == 'h' ? 0 : fs.gens[i].tier == 'd' ? 1 : 2]++;
    printf("tiers: hour %u, day %u, month %u\n", nt[0], nt[1], nt[2]);
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
    int first;
    const char *syn = "query --db ROOT rrset NAME[/TYPE[/BAILIWICK]] | rdata name NAME[/TYPE] | rdata ip ADDR[,PFX]|A-B";
    int pr = parse(syn, opts, argc, argv, &first);
    if (pr != 0)
        return pr < 0 ? 2 : 0;
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
        return 2;
    }
    if (bad || tfb > UINT32_MAX || tfa > UINT32_MAX || tlb > UINT32_MAX || tla > UINT32_MAX) {
        fprintf(stderr, "%s query: bad name, type, address or time\n", prog);
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
    while ((rc = td_index_next(it, &r)) == 1) {
        struct td_cof_entry e = td_qout_cof_entry(&r);
        if (td_cof_object(&j, &e, r.is_rdata ? TD_COF_RDATA_STRING : 0) != 0) {
            fprintf(stderr, "%s query: a name cannot be printed\n", prog);
            continue;
        }
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

static int command(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "build"))
        return build(argc - 1, argv + 1);
    if (argc > 1 && !strcmp(argv[1], "merge"))
        return merge(argc - 1, argv + 1);
    if (argc > 1 && !strcmp(argv[1], "rebuild"))
        return rebuild(argc - 1, argv + 1);
    if (argc > 1 && !strcmp(argv[1], "export"))
        return export(argc - 1, argv + 1);
    if (argc > 1 && !strcmp(argv[1], "import"))
        return import(argc - 1, argv + 1);
    if (argc > 1 && !strcmp(argv[1], "info"))
        return info(argc - 1, argv + 1);
    if (argc > 1 && !strcmp(argv[1], "query"))
        return query(argc - 1, argv + 1);
    if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        printf("usage: %s build --db ROOT --hour YYYYMMDDHH [--replace] [--mem-cap SIZE] OBS...\n"
               "       %s merge --db ROOT --day YYYYMMDD | --month YYYYMM\n"
               "       %s rebuild --db ROOT OBS... | --obs DIR\n"
               "       %s export --db ROOT --gen NAME --out FILE.cof.zst\n"
               "       %s import --db ROOT --hour YYYYMMDDHH [--replace] FILE.cof.zst...\n"
               "       %s info --db ROOT\n"
               "       %s query --db ROOT [--time-first-after T ...] [--limit N] [--offset N]\n"
               "             rrset NAME[/TYPE[/BAILIWICK]] | rrset '*.NAME'[/TYPE] | rdata name NAME[/TYPE]\n"
               "             | rdata ip ADDR[,PFX] | rdata ip A-B\n",
               prog, prog, prog, prog, prog, prog, prog);
        return 0;
    }
    fprintf(stderr, "%s: expected a command: build, merge, rebuild, export, import, info or query (see --help)\n", prog);
    return 2;
}
