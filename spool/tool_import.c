/* tapdns-spool import-pcap: pcap/pcapng files -> capture core -> spool files.
 * The same capture core as live capture; state (pending queries, fragments, streams) is kept
 * across the files given, so a capture split in several files matches across them. */
#include "capture.h"
#include "capture_cli.h"
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
    const char *out_dir = NULL, *config_path = NULL;
    uint64_t writer_id = 0;
    int quiet = 0;
    struct td_capture_cli cc;
    td_capture_cli_init(&cc, "pcap");
    struct td_option opts[4 + TD_CAPTURE_CLI_NOPTS + 2] = {
        { "out", 'o', TD_OPT_STRING, &out_dir, "DIR", "spool directory to write into", "spool.dir", 1 },
        { "writer", 'w', TD_OPT_UINT, &writer_id, "N", "writer id in file names (default 0)", NULL, 0 },
        { "config", 'c', TD_OPT_STRING, &config_path, "FILE", "config file (options given here win)", NULL, 0 },
        { "quiet", 'q', TD_OPT_FLAG, &quiet, NULL, "do not print the counters", NULL, 0 },
    };
    td_capture_cli_options(&cc, opts + 4); /* the table ends with a zeroed entry */
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
    if (td_capture_cli_capture_opts(&cc, &co, err, sizeof err) != 0)
        goto usage_error;
    struct td_spool_writer_opts wo;
    td_capture_cli_writer_opts(&cc, out_dir, (unsigned)writer_id, &wo);
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
    td_capture_cli_free(&cc);
    td_config_free(&cfg);
    return rc;
}
