/* tapdns-batch: spool files -> verified, deduplicated observation files (and discard files).
 *   tapdns-batch --spool DIR --out DIR --state DIR [--root-hints FILE] [--config FILE] ...
 *   tapdns-batch cat FILE...      observation or discard files as COF JSON lines */
#include "cli.h"
#include "cof.h"
#include "config.h"
#include "config_keys.h"
#include "dns_wire.h"
#include "driver.h"
#include "json.h"
#include "obs.h"
#include "reason.h"
#include <stdio.h>
#include <string.h>

static const char *prog = "tapdns-batch";

static void print_counter(void *ctx, const char *name, const char *desc, uint64_t v)
{
    fprintf(ctx, "%-30s %12llu  # %s\n", name, (unsigned long long)v, desc);
}

static void progress(void *ctx, const char *group, const struct td_batch_stats *st)
{
    (void)ctx;
    fprintf(stderr, "%s: group %s written: %llu records, %llu observations, %llu discards so far\n", prog, group,
            (unsigned long long)st->records, (unsigned long long)st->observations,
            (unsigned long long)st->discards);
}

static int parse(const char *synopsis, const struct td_option *opts, int argc, char **argv, int *first,
                 struct td_config **cfg)
{
    return td_cli_main_parse(prog, synopsis, opts, argc, argv, first, td_config_known_keys, cfg, stdout, stderr);
}

static int run(int argc, char **argv)
{
    struct td_batch_opts o;
    memset(&o, 0, sizeof o);
    const char *config = NULL;
    uint64_t mem_cap = 256u << 20, max_facts = 1000000, max_ttl = 7 * 86400;
    int quiet = 0;
    o.root_hints = "/usr/share/dns/root.hints";
    const struct td_option opts[] = {
        { "spool", 's', TD_OPT_STRING, &o.spool_dir, "DIR", "spool directory (closed files are read)", "spool.dir", 1 },
        { "out", 'o', TD_OPT_STRING, &o.out_dir, "DIR", "where observation and discard files go", "batch.out", 1 },
        { "state", 't', TD_OPT_STRING, &o.state_dir, "DIR", "state directory (done files, bailiwick cache)", "batch.state", 1 },
        { "root-hints", 'r', TD_OPT_STRING, &o.root_hints, "FILE", "root hints (default /usr/share/dns/root.hints)", "batch.root_hints", 0 },
        { "filters", 'f', TD_OPT_STRING, &o.filters, "FILE", "filter rules file (soa / name / regex / local lines)", "batch.filters", 0 },
        { "discard-soa", 0, TD_OPT_FLAG, &o.discard_soa, NULL, "discard every SOA RRset", "batch.discard_soa", 0 },
        { "mem-cap", 'm', TD_OPT_SIZE, &mem_cap, "SIZE", "dedupe memory cap (default 256M); above it, sorted runs spill to disk", "batch.mem_cap", 0 },
        { "max-facts", 0, TD_OPT_UINT, &max_facts, "N", "bailiwick cache entries at most (default 1000000)", "batch.max_facts", 0 },
        { "max-ttl", 0, TD_OPT_DURATION, &max_ttl, "DURATION", "bailiwick facts live at most this long (default 7d)", "batch.max_ttl", 0 },
        { "config", 'c', TD_OPT_STRING, &config, "FILE", "config file (options given here win)", NULL, 0 },
        { "quiet", 'q', TD_OPT_FLAG, &quiet, NULL, "no progress, no counters", NULL, 0 },
        { NULL, 0, 0, NULL, NULL, NULL, NULL, 0 },
    };
    struct td_config *cfg = NULL;
    int first;
    max_ttl *= 1000000000ull; /* TD_OPT_DURATION targets hold ns */
    int pr = parse("--spool DIR --out DIR --state DIR [OPTIONS]\n       tapdns-batch cat FILE...", opts, argc,
                   argv, &first, &cfg);
    if (pr != 0) {
        td_config_free(&cfg);
        return pr < 0 ? 2 : 0;
    }
    if (first < argc) {
        fprintf(stderr, "%s: unexpected argument '%s' (see --help)\n", prog, argv[first]);
        td_config_free(&cfg);
        return 2;
    }
    o.mem_cap = mem_cap;
    o.bw.max_entries = max_facts;
    o.bw.max_ttl = (uint32_t)(max_ttl / 1000000000ull);
    if (!quiet)
        o.progress = progress;
    struct td_batch_stats st;
    char err[512];
    int rc = td_batch_run(&o, &st, err, sizeof err);
    if (!quiet)
        td_batch_stats_foreach(&st, print_counter, stdout);
    if (rc != 0)
        fprintf(stderr, "%s: %s\n", prog, err);
    else if (st.spool_files_damaged)
        fprintf(stderr, "%s: warning: %llu spool files were damaged (see tapdns-spool verify)\n", prog,
                (unsigned long long)st.spool_files_damaged);
    td_config_free(&cfg);
    return rc ? 1 : 0;
}

/* One entry as a COF line (lib/cof.h; discards carry no bailiwick, then reason and rule). An
 * entry whose names cannot be printed is skipped (the decoder checked them, so none is). */
static void entry_json(struct td_json *j, const struct td_obs_key *k, const struct td_obs_value *v, int is_discard)
{
    struct td_cof_entry e = td_obs_cof_entry(k, v);
    if (is_discard)
        e.bailiwick = NULL;
    if (td_cof_object_open(j, &e, 0) != 0)
        return;
    if (is_discard) {
        td_json_kstring(j, "reason", td_discard_reason_str(v->reason));
        if (v->reason == TD_DR_FILTER)
            td_json_kuint(j, "rule", v->rule);
    }
    td_json_object_end(j);
    td_json_newline(j);
}

static int cat(int argc, char **argv)
{
    const struct td_option opts[] = { { NULL, 0, 0, NULL, NULL, NULL, NULL, 0 } };
    struct td_config *cfg = NULL;
    int first, rc = 0;
    int pr = parse("cat FILE...", opts, argc, argv, &first, &cfg);
    if (pr != 0)
        return pr < 0 ? 2 : 0;
    if (first >= argc) {
        fprintf(stderr, "%s cat: no FILE given\n", prog);
        return 2;
    }
    static struct td_obs_key k;
    struct td_json j;
    td_json_init(&j);
    for (int i = first; i < argc; i++) {
        char err[512];
        struct td_obs_reader *r = td_obs_reader_open(argv[i], err, sizeof err);
        if (!r) {
            fprintf(stderr, "%s cat: %s\n", prog, err);
            rc = 1;
            continue;
        }
        int is_discard = td_obs_reader_is_discard(r);
        const uint8_t *key;
        size_t klen;
        struct td_obs_value v;
        int got;
        while ((got = td_obs_read(r, &key, &klen, &v, err, sizeof err)) == 1) {
            if (td_obs_key_decode(key, klen, &k) != 0) {
                snprintf(err, sizeof err, "malformed key");
                got = -1;
                break;
            }
            entry_json(&j, &k, &v, is_discard);
            if (j.len > 1u << 16 && td_json_flush(&j, stdout) != 0)
                break;
        }
        td_json_flush(&j, stdout);
        if (got < 0) {
            fprintf(stderr, "%s cat: %s: %s\n", prog, argv[i], err);
            rc = 1;
        }
        td_obs_reader_close(&r);
    }
    td_json_free(&j);
    return fflush(stdout) == 0 ? rc : 1;
}

int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "cat"))
        return cat(argc - 1, argv + 1);
    return run(argc, argv);
}
