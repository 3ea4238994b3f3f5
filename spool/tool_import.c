/* tapdns-spool import-pcap: pcap/pcapng files -> capture core -> spool files.
 * The same capture core as live capture; state (pending queries, fragments, streams) is kept
 * across the files given, so a capture split in several files matches across them. */
#include "capture.h"
#include "cli.h"
#include "config.h"
#include "config_keys.h"
#include "spool.h"
#include "tool.h"
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct import_ctx {
    struct td_spool_writer *w;
    uint64_t now_ns;
    const char *err;
};

static int sink(void *ctx, const struct td_record *rec)
{
    struct import_ctx *ic = ctx;
    if (td_spool_write(ic->w, rec, ic->now_ns, &ic->err) != 0)
        return -1;
    return 0;
}

static void print_counter(void *ctx, const char *name, const char *desc, uint64_t v)
{
    FILE *out = ctx;
    fprintf(out, "%-26s %12llu  # %s\n", name, (unsigned long long)v, desc);
}

/* Link layer -> (core link type, octets to skip). -1 if unsupported. */
static int link_of(int dlt, const uint8_t *data, size_t caplen, size_t *skip)
{
    *skip = 0;
    switch (dlt) {
    case DLT_EN10MB:
        return TD_LINK_ETHERNET;
    case DLT_RAW:
    case 101: /* LINKTYPE_RAW */
    case 228: /* LINKTYPE_IPV4 */
    case 229: /* LINKTYPE_IPV6 */
        return TD_LINK_RAW;
    case DLT_LINUX_SLL: /* 16-octet cooked header, protocol at 14 */
        if (caplen < 16)
            return -1;
        *skip = 16;
        return (data[14] == 0x08 && data[15] == 0x00) || (data[14] == 0x86 && data[15] == 0xdd) ? TD_LINK_RAW : -2;
    case 276: /* LINUX_SLL2: 20 octets, protocol at 0 */
        if (caplen < 20)
            return -1;
        *skip = 20;
        return (data[0] == 0x08 && data[1] == 0x00) || (data[0] == 0x86 && data[1] == 0xdd) ? TD_LINK_RAW : -2;
    default:
        return -1;
    }
}

int tool_import_pcap(int argc, char **argv)
{
    const char *out_dir = NULL, *sensor = "pcap", *config_path = NULL, *ports = NULL;
    uint64_t writer_id = 0, frame_seconds = 10, frame_bytes = 1u << 20, level = 1;
    uint64_t match_timeout = 60ull * 1000000000ull, match_max = 131072;
    int keep_recursive = 0, zero_resolver = 0, unanswered = 0, no_fsync = 0, quiet = 0;
    struct td_cli_list resolvers = { 0 }, local = { 0 };
    const struct td_option opts[] = {
        { "out", 'o', TD_OPT_STRING, &out_dir, "DIR", "spool directory to write into", "spool.dir", 1 },
        { "sensor", 's', TD_OPT_STRING, &sensor, "ID", "sensor id in file names (default pcap)", "sensor.id", 0 },
        { "writer", 'w', TD_OPT_UINT, &writer_id, "N", "writer id in file names (default 0)", NULL, 0 },
        { "config", 'c', TD_OPT_STRING, &config_path, "FILE", "config file (options given here win)", NULL, 0 },
        { "ports", 0, TD_OPT_STRING, &ports, "LIST", "DNS ports, comma-separated (default 53)", "sensor.ports", 0 },
        { "resolver", 'r', TD_OPT_LIST, &resolvers, "ADDR[/LEN]", "resolver upstream address; keep only traffic between resolvers and the outside (repeatable)", "sensor.resolvers", 0 },
        { "keep-recursive", 0, TD_OPT_FLAG, &keep_recursive, NULL, "keep RD=1 traffic too (default: only iterative RD=0)", "sensor.keep_recursive", 0 },
        { "local-domain", 'l', TD_OPT_LIST, &local, "NAME", "never record this domain and below (repeatable)", "sensor.local_domains", 0 },
        { "zero-resolver", 'z', TD_OPT_FLAG, &zero_resolver, NULL, "replace the resolver (client) address with zeros", "sensor.zero_resolver", 0 },
        { "record-unanswered", 0, TD_OPT_FLAG, &unanswered, NULL, "write queries that get no response", "sensor.record_unanswered", 0 },
        { "match-timeout", 0, TD_OPT_DURATION, &match_timeout, "DURATION", "how long a query waits for its response (default 60s)", "sensor.match_timeout", 0 },
        { "match-max", 0, TD_OPT_UINT, &match_max, "N", "queries waiting at most (default 131072)", "sensor.match_max", 0 },
        { "frame-seconds", 0, TD_OPT_UINT, &frame_seconds, "N", "close a zstd frame at least every N seconds (default 10)", "spool.frame_seconds", 0 },
        { "frame-bytes", 0, TD_OPT_SIZE, &frame_bytes, "SIZE", "close a zstd frame every SIZE input octets (default 1M)", "spool.frame_bytes", 0 },
        { "level", 0, TD_OPT_UINT, &level, "N", "zstd level (default 1)", "spool.zstd_level", 0 },
        { "no-fsync", 0, TD_OPT_FLAG, &no_fsync, NULL, "skip fsync at file close (tests, benchmarks)", NULL, 0 },
        { "quiet", 'q', TD_OPT_FLAG, &quiet, NULL, "do not print the counters", NULL, 0 },
        { NULL, 0, 0, NULL, NULL, NULL, NULL, 0 },
    };
    const char *prog = "tapdns-spool import-pcap";
    const char *synopsis = "[OPTIONS] --out DIR FILE...";
    int first, rc = 0;
    char err[512];
    struct td_config *cfg = NULL;

    /* the config file, if any, first: the command line overrides it */
    int pr = tool_parse(prog, synopsis, opts, argc, argv, &first, 1, &cfg);
    if (pr != 0) {
        td_config_free(&cfg);
        return pr < 0 ? 2 : 0;
    }

    struct td_capture_opts co;
    td_capture_opts_default(&co);
    co.filter.keep_recursive = keep_recursive;
    co.zero_resolver = zero_resolver;
    co.record_unanswered = unanswered;
    co.match.timeout_ns = match_timeout;
    co.match.max_entries = match_max;
    if (ports && td_sensor_filter_set_ports(&co.filter, ports, err, sizeof err) != 0)
        goto usage_error;
    for (int i = 0; i < resolvers.count; i++)
        if (td_sensor_filter_add_resolver(&co.filter, resolvers.items[i], err, sizeof err) != 0)
            goto usage_error;
    for (int i = 0; i < local.count; i++)
        if (td_sensor_filter_add_local(&co.filter, local.items[i], err, sizeof err) != 0)
            goto usage_error;

    struct td_spool_writer_opts wo = {
        .dir = out_dir, .sensor = sensor, .writer_id = (unsigned)writer_id,
        .frame_seconds = (unsigned)frame_seconds, .frame_bytes = frame_bytes,
        .zstd_level = (int)level, .no_fsync = no_fsync,
    };
    struct import_ctx ic = { 0 };
    const char *werr = NULL;
    ic.w = td_spool_writer_init(&wo, &werr);
    if (!ic.w) {
        fprintf(stderr, "%s: %s\n", prog, werr);
        rc = 2;
        goto out;
    }
    struct td_capture *cap = td_capture_init(&co, sink, &ic);
    if (!cap) {
        fprintf(stderr, "%s: out of memory for capture tables\n", prog);
        td_spool_writer_destroy(&ic.w, &werr);
        rc = 1;
        goto out;
    }
    uint64_t unsupported = 0, last_tick = 0;
    for (int i = first; i < argc; i++) {
        char perr[PCAP_ERRBUF_SIZE];
        pcap_t *p = pcap_open_offline_with_tstamp_precision(argv[i], PCAP_TSTAMP_PRECISION_NANO, perr);
        if (!p) {
            fprintf(stderr, "%s: %s: %s\n", prog, argv[i], perr);
            rc = 1;
            continue;
        }
        int dlt = pcap_datalink(p);
        struct pcap_pkthdr *ph;
        const u_char *data;
        int nr;
        while ((nr = pcap_next_ex(p, &ph, &data)) == 1) {
            uint64_t ts = (uint64_t)ph->ts.tv_sec * 1000000000ull + (uint64_t)ph->ts.tv_usec;
            size_t skip;
            int lt = link_of(dlt, data, ph->caplen, &skip);
            if (lt < 0) {
                unsupported++;
                continue;
            }
            ic.now_ns = ts;
            td_capture_frame(cap, ts, lt, data + skip, ph->caplen - skip, ph->len - skip);
            if (ts >= last_tick + 1000000000ull) { /* capture time drives frame and hour closing */
                last_tick = ts;
                if (td_spool_writer_tick(ic.w, ts, &ic.err) != 0)
                    ic.err = ic.err ? ic.err : "tick failed";
            }
            if (ic.err) {
                fprintf(stderr, "%s: spool write failed: %s\n", prog, ic.err);
                rc = 1;
                break;
            }
        }
        if (nr == -1) {
            fprintf(stderr, "%s: %s: %s (records before it were imported)\n", prog, argv[i], pcap_geterr(p));
            rc = 1;
        }
        pcap_close(p);
        if (ic.err)
            break;
    }
    td_capture_finish(cap);
    if (td_spool_writer_destroy(&ic.w, &werr) != 0) {
        fprintf(stderr, "%s: closing spool file: %s\n", prog, werr);
        rc = 1;
    }
    if (!quiet) {
        td_capture_stats_foreach(cap, print_counter, stdout);
        print_counter(stdout, "skip_link_type", "frames of an unsupported link type", unsupported);
    }
    td_capture_destroy(&cap);
    goto out;

usage_error:
    fprintf(stderr, "%s: %s\n", prog, err);
    rc = 2;
out:
    td_cli_free_list(&resolvers);
    td_cli_free_list(&local);
    td_config_free(&cfg);
    return rc;
}
