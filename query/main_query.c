/* tapdns-query: DNSDB-style lookups on a local index from the command line (DESIGN.md 7).
 *
 *   tapdns-query --db ROOT [--config FILE] [OPTIONS] rrset NAME[/TYPE[/BAILIWICK]]
 *                                                   | rrset raw HEX[/TYPE]
 *                                                   | rdata name NAME[/TYPE]
 *                                                   | rdata ip ADDR[/PFX][/TYPE] | rdata ip LO-HI[/TYPE]
 *                                                   | rdata raw HEX[/TYPE]
 *
 * The arguments become the DNSDB v2 request path and query string a client would send (each
 * piece percent-encoded alone, as dnsdbq does) and go through td_qrequest_parse: one parser for
 * the server and this tool. Output: text like dnsdbq's (default), COF lines (--json, through
 * query/output.c), or the whole SAF stream the server would send (--saf). Exit status: 0 (also
 * when nothing is found), 1 on an index error, 2 on a bad command line or request. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "config.h"
#include "config_keys.h"
#include "dns_wire.h"
#include "index.h"
#include "json.h"
#include "output.h"
#include "request.h"

static const char *prog = "tapdns-query";

/* Appends s percent-encoded (all but A-Za-z0-9-._~) to buf. */
static void enc(char *buf, size_t cap, const char *s, size_t n)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t o = strlen(buf);
    for (size_t i = 0; i < n && o + 4 < cap; i++) {
        unsigned char ch = (unsigned char)s[i];
        if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '-' ||
            ch == '.' || ch == '_' || ch == '~') {
            buf[o++] = (char)ch;
        } else {
            buf[o++] = '%';
            buf[o++] = hex[ch >> 4];
            buf[o++] = hex[ch & 15];
        }
    }
    buf[o] = 0;
}

static void lit(char *buf, size_t cap, const char *s)
{
    size_t o = strlen(buf);
    snprintf(buf + o, cap - o, "%s", s);
}

static int all_digits(const char *s, size_t n)
{
    if (n == 0)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return 1;
}

/* VALUE[/more/...] after "BASE/": each '/'-separated piece encoded alone. For rdata ip a
 * numeric second piece is the prefix length (ADDR/PFX becomes ADDR,PFX as dnsdbq sends it). */
static void build_path(char *path, size_t cap, const char *base, const char *arg, int ip)
{
    snprintf(path, cap, "%s/", base);
    const char *p = arg;
    int piece = 0;
    for (;;) {
        const char *slash = strchr(p, '/');
        size_t n = slash ? (size_t)(slash - p) : strlen(p);
        if (ip && piece == 1 && all_digits(p, n)) {
            lit(path, cap, ",");
        } else if (piece > 0) {
            lit(path, cap, "/");
        }
        if (ip && piece == 0) {
            const char *comma = memchr(p, ',', n);
            if (comma) { /* ADDR,PFX given with a comma: the comma stays literal */
                enc(path, cap, p, (size_t)(comma - p));
                lit(path, cap, ",");
                enc(path, cap, comma + 1, n - (size_t)(comma - p) - 1);
            } else {
                enc(path, cap, p, n);
            }
        } else {
            enc(path, cap, p, n);
        }
        piece++;
        if (!slash)
            break;
        p = slash + 1;
    }
}

static void param(char *q, size_t cap, const char *key, const char *value)
{
    if (!value)
        return;
    size_t o = strlen(q);
    snprintf(q + o, cap - o, "%s%s=", o ? "&" : "", key);
    enc(q, cap, value, strlen(value));
}

static void param_u(char *q, size_t cap, const char *key, uint64_t v)
{
    char b[32];
    snprintf(b, sizeof b, "%llu", (unsigned long long)v);
    param(q, cap, key, b);
}

/* ---- text output, as dnsdbq presents results */

static void time_text(uint32_t t, char *buf, size_t cap)
{
    time_t tt = (time_t)t;
    struct tm tm;
    if (!gmtime_r(&tt, &tm) || !strftime(buf, cap, "%Y-%m-%d %H:%M:%S", &tm))
        snprintf(buf, cap, "%u", (unsigned)t);
}

/* Duration of [first, last] inclusive: "59m 20s"; from a day on, "~1d 1h" (seconds left out,
 * "~" when that dropped anything). */
static void duration_text(uint32_t first, uint32_t last, char *buf, size_t cap)
{
    uint64_t s = last >= first ? (uint64_t)last - first + 1 : 0;
    uint64_t d = s / 86400, h = s / 3600 % 24, m = s / 60 % 60, sec = s % 60;
    size_t o = 0;
    buf[0] = 0;
#define PART(v, unit)                                                                   \
    do {                                                                                \
        if (o < cap)                                                                    \
            o += (size_t)snprintf(buf + o, cap - o, "%s%llu%s", o ? " " : "",           \
                                  (unsigned long long)(v), unit);                      \
    } while (0)
    if (d) {
        if (sec && o < cap)
            o += (size_t)snprintf(buf + o, cap - o, "~");
        PART(d, "d");
        if (h)
            PART(h, "h");
        if (m)
            PART(m, "m");
        return;
    }
    if (h)
        PART(h, "h");
    if (m)
        PART(m, "m");
    if (sec || !o)
        PART(sec, "s");
#undef PART
}

static void times_line(FILE *out, uint32_t first, uint32_t last)
{
    char a[32], b[32], d[64];
    time_text(first, a, sizeof a);
    time_text(last, b, sizeof b);
    duration_text(first, last, d, sizeof d);
    fprintf(out, ";; record times: %s .. %s (%s)\n", a, b, d);
}

static char text[2u * 65536u + 64u];

/* 0, or -1 if a name cannot be printed (nothing written). */
static int text_result(FILE *out, const struct td_index_result *r)
{
    char owner[1100], bw[1100], type[32];
    if (td_dns_name_to_text(r->owner, r->owner_len, owner, sizeof owner) < 0)
        return -1;
    if (r->bailiwick && td_dns_name_to_text(r->bailiwick, r->bailiwick_len, bw, sizeof bw) < 0)
        return -1;
    if (td_dns_type_to_text(r->rrtype, type, sizeof type) < 0)
        snprintf(type, sizeof type, "TYPE%u", (unsigned)r->rrtype);
    times_line(out, r->time_first, r->time_last);
    fprintf(out, ";; count: %llu", (unsigned long long)r->count);
    if (r->bailiwick)
        fprintf(out, "; bailiwick: %s", bw);
    fputc('\n', out);
    for (uint16_t i = 0; i < r->nrdata; i++) {
        if (td_dns_rdata_to_text(r->rrtype, r->rdata[i], r->rdlen[i], text, sizeof text) < 0)
            snprintf(text, sizeof text, "\\# %u", (unsigned)r->rdlen[i]);
        fprintf(out, "%s  %s  %s\n", owner, type, text);
    }
    fputc('\n', out);
    return 0;
}

enum mode { MODE_TEXT, MODE_JSON, MODE_SAF };

int main(int argc, char **argv)
{
    const char *root = NULL, *config = NULL, *tfb = NULL, *tfa = NULL, *tlb = NULL, *tla = NULL;
    uint64_t limit = 0, offset = 0, max_count = 0, cache = 0;
    int json = 0, saf = 0, summarize = 0, gravel = 0, humantime = 0, limit_given;
    const struct td_option opts[] = {
        { "db", 'd', TD_OPT_STRING, &root, "ROOT", "index root (FILESET and generations)", "index.db", 1 },
        { "config", 'c', TD_OPT_STRING, &config, "FILE", "config file (options given here win)", NULL, 0 },
        { "cache", 0, TD_OPT_SIZE, &cache, "SIZE", "index block cache (default 256M)", "index.cache", 0 },
        { "time-first-before", 0, TD_OPT_STRING, &tfb, "T", "time_first <= T (epoch; negative: now - |T|)", NULL, 0 },
        { "time-first-after", 0, TD_OPT_STRING, &tfa, "T", "time_first >= T", NULL, 0 },
        { "time-last-before", 0, TD_OPT_STRING, &tlb, "T", "time_last <= T", NULL, 0 },
        { "time-last-after", 0, TD_OPT_STRING, &tla, "T", "time_last >= T", NULL, 0 },
        { "limit", 'l', TD_OPT_UINT, &limit, "N", "at most N results (default 10000; 0: all)", NULL, 0 },
        { "offset", 'O', TD_OPT_UINT, &offset, "N", "skip the first N results", NULL, 0 },
        { "max-count", 'M', TD_OPT_UINT, &max_count, "N", "summarize: stop counting at N", NULL, 0 },
        { "summarize", 's', TD_OPT_FLAG, &summarize, NULL, "one summary instead of the results", NULL, 0 },
        { "gravel", 'g', TD_OPT_FLAG, &gravel, NULL, "aggr=false: one result per generation holding it", NULL, 0 },
        { "json", 'j', TD_OPT_FLAG, &json, NULL, "COF JSON lines", NULL, 0 },
        { "saf", 0, TD_OPT_FLAG, &saf, NULL, "the DNSDB v2 SAF stream (begin, obj lines, succeeded/limited)", NULL, 0 },
        { "humantime", 0, TD_OPT_FLAG, &humantime, NULL, "with --json/--saf: RFC 3339 times", NULL, 0 },
        { NULL, 0, 0, NULL, NULL, NULL, NULL, 0 },
    };
    const char *syn = "--db ROOT [OPTIONS] rrset NAME[/TYPE[/BAILIWICK]] | rrset raw HEX[/TYPE] |\n"
                      "       rdata name NAME[/TYPE] | rdata ip ADDR[/PFX][/TYPE] | rdata ip LO-HI[/TYPE] |\n"
                      "       rdata raw HEX[/TYPE]";
    struct td_config *cfg = NULL;
    int first;
    /* --limit given at all? (0 is a value: all results) */
    limit_given = td_cli_find_value(opts, "limit", argc, argv) != NULL;
    int pr = td_cli_main_parse(prog, syn, opts, argc, argv, &first, td_config_known_keys, &cfg, stdout, stderr);
    if (pr != 0) {
        td_config_free(&cfg);
        return pr < 0 ? 2 : 0;
    }
    (void)config;
    static char path[20000], query[1024];
    const char *verb = summarize ? "/dnsdb/v2/summarize" : "/dnsdb/v2/lookup";
    char base[64];
    int nargs = argc - first;
    if (nargs == 2 && !strcmp(argv[first], "rrset")) {
        snprintf(base, sizeof base, "%s/rrset/name", verb);
        build_path(path, sizeof path, base, argv[first + 1], 0);
    } else if (nargs == 3 && (!strcmp(argv[first], "rrset") || !strcmp(argv[first], "rdata")) &&
               (!strcmp(argv[first + 1], "name") || !strcmp(argv[first + 1], "raw") || !strcmp(argv[first + 1], "ip")) &&
               !(!strcmp(argv[first], "rrset") && !strcmp(argv[first + 1], "ip"))) {
        snprintf(base, sizeof base, "%s/%s/%s", verb, argv[first], argv[first + 1]);
        build_path(path, sizeof path, base, argv[first + 2], !strcmp(argv[first + 1], "ip"));
    } else {
        fprintf(stderr, "%s: expected %s (see --help)\n", prog, syn + 10);
        td_config_free(&cfg);
        return 2;
    }
    query[0] = 0;
    if (gravel)
        param(query, sizeof query, "aggr", "f");
    if (humantime)
        param(query, sizeof query, "humantime", "t");
    if (offset)
        param_u(query, sizeof query, "offset", offset);
    if (max_count)
        param_u(query, sizeof query, "max_count", max_count);
    if (limit_given)
        param_u(query, sizeof query, "limit", limit);
    param(query, sizeof query, "time_first_after", tfa);
    param(query, sizeof query, "time_first_before", tfb);
    param(query, sizeof query, "time_last_after", tla);
    param(query, sizeof query, "time_last_before", tlb);

    static struct td_qrequest req;
    char err[512];
    int st = td_qrequest_parse(&req, path, query, (uint32_t)time(NULL), err, sizeof err);
    if (st == 0)
        st = td_qrequest_limit(&req, TD_QREQUEST_LIMIT_DEFAULT, UINT64_MAX, UINT64_MAX, err, sizeof err);
    if (st != 0) {
        fprintf(stderr, "%s: %s\n", prog, err);
        td_config_free(&cfg);
        return 2;
    }
    enum mode mode = saf ? MODE_SAF : json ? MODE_JSON : MODE_TEXT;
    if (mode == MODE_JSON)
        req.api = TD_QAPI_V1; /* bare COF objects, one per line */

    struct td_index_opts io = { .cache_bytes = (size_t)cache };
    struct td_index *idx = td_index_open(root, &io, err, sizeof err);
    if (!idx) {
        fprintf(stderr, "%s: %s: %s\n", prog, root, err);
        td_config_free(&cfg);
        return 1;
    }
    td_config_free(&cfg);
    /* one result more than the limit tells "limited" from "exactly limit results" */
    uint64_t want = req.q.limit;
    struct td_index_query q = req.q;
    if (want != UINT64_MAX)
        q.limit = want + 1;
    else
        q.limit = 0;
    struct td_index_iter *it = td_index_query_start(idx, &q, err, sizeof err);
    if (!it) {
        fprintf(stderr, "%s: %s\n", prog, err);
        td_index_close(&idx);
        return 2;
    }
    struct td_json j;
    td_json_init(&j);
    struct td_qsummary sum;
    memset(&sum, 0, sizeof sum);
    struct td_index_result r;
    uint64_t n = 0, unprintable = 0;
    int rc, limited = 0, werr = 0;
    if (mode == MODE_SAF)
        td_qout_begin(&j, &req);
    while ((rc = td_index_next(it, &r)) == 1) {
        if (n == want) {
            limited = 1;
            break;
        }
        n++;
        if (summarize) {
            td_qsummary_add(&sum, &r);
            if (req.max_count && sum.count >= req.max_count)
                break;
            continue;
        }
        if (mode == MODE_TEXT ? text_result(stdout, &r) : td_qout_result(&j, &req, &r))
            unprintable++;
        if (j.len > (1u << 16) && td_json_flush(&j, stdout) != 0) {
            werr = 1;
            break;
        }
    }
    if (rc < 0)
        fprintf(stderr, "%s: %s\n", prog, td_index_iter_error(it));
    if (summarize && rc >= 0) {
        if (mode == MODE_TEXT) {
            if (sum.num_results)
                times_line(stdout, sum.time_first, sum.time_last);
            printf(";; count: %llu; num_results: %llu\n\n", (unsigned long long)sum.count,
                   (unsigned long long)sum.num_results);
        } else {
            td_qout_summary(&j, &req, &sum);
        }
    }
    if (mode == MODE_SAF)
        td_qout_end(&j, &req, rc < 0 ? "failed" : limited ? "limited" : "succeeded",
                    rc < 0 ? "Query failed" : limited ? "Result limit reached" : NULL);
    if (td_json_flush(&j, stdout) != 0 || fflush(stdout) != 0)
        werr = 1;
    if (werr)
        fprintf(stderr, "%s: write error\n", prog);
    if (limited)
        fprintf(stderr, "%s: result limit reached (%llu)\n", prog, (unsigned long long)want);
    if (unprintable)
        fprintf(stderr, "%s: %llu results could not be printed\n", prog, (unsigned long long)unprintable);
    if (rc >= 0 && n == 0 && !summarize)
        fprintf(stderr, "%s: no results found for query\n", prog);
    td_json_free(&j);
    td_index_query_end(&it);
    td_index_close(&idx);
    return rc < 0 || werr ? 1 : 0;
}
