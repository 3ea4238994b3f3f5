/* tapdns-xdp: live capture with XDP + AF_XDP. The XDP program (tapdns_xdp.bpf.c) sends DNS
 * frames and IP fragments of each RX queue into that queue's AF_XDP socket; one thread per
 * queue feeds its own capture core and spool writer, the same calls as import-pcap, so the
 * records are the same. SIGINT/SIGTERM: workers drain and stop, spool files are closed, the
 * program is detached. */
#include "attach.h"
#include "caps.h"
#include "capture_cli.h"
#include "cli.h"
#include "config.h"
#include "config_keys.h"
#include "metrics.h"
#include "rxq.h"
#include "xdp_prog.h"
#include "tapdns_xdp.skel.h"
#include <bpf/libbpf.h>
#include <dirent.h>
#include <errno.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#define PROG "tapdns-xdp"
#define MAX_QUEUES 256

struct kstats {
    uint64_t xdp[TD_XDP_C__COUNT];
    struct td_xsk_stats xsk;
};

/* RX queues of the interface (sysfs), 0 if unknown. */
static unsigned rx_queue_count(const char *ifname)
{
    char path[256];
    snprintf(path, sizeof path, "/sys/class/net/%s/queues", ifname);
    DIR *d = opendir(path);
    if (!d)
        return 0;
    unsigned n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (!strncmp(e->d_name, "rx-", 3))
            n++;
    closedir(d);
    return n;
}

static void read_kstats(int counters_fd, struct td_rxq *qs, unsigned nq, struct kstats *k)
{
    memset(k, 0, sizeof *k);
    if (td_xdp_prog_counters(counters_fd, k->xdp) != 0)
        memset(k->xdp, 0, sizeof k->xdp);
    for (unsigned i = 0; i < nq; i++) {
        struct td_xsk_stats s;
        if (td_xsk_queue_stats(qs[i].xsk, &s) != 0)
            continue;
        k->xsk.rx_dropped += s.rx_dropped;
        k->xsk.rx_invalid_descs += s.rx_invalid_descs;
        k->xsk.rx_ring_full += s.rx_ring_full;
        k->xsk.rx_fill_ring_empty += s.rx_fill_ring_empty;
    }
}

/* Sums the queues' snapshots (core counters in foreach order, spool stats). */
static void sum_snapshots(struct td_rxq *qs, unsigned nq, struct td_rxq_snapshot *sum)
{
    memset(sum, 0, sizeof *sum);
    for (unsigned i = 0; i < nq; i++) {
        struct td_rxq_snapshot s;
        td_rxq_snapshot(&qs[i], &s);
        if (s.ncounters > sum->ncounters)
            sum->ncounters = s.ncounters;
        for (int c = 0; c < s.ncounters; c++)
            sum->counters[c] += s.counters[c];
        sum->spool.records += s.spool.records;
        sum->spool.bytes_in += s.spool.bytes_in;
        sum->spool.bytes_out += s.spool.bytes_out;
        sum->spool.frames += s.spool.frames;
        sum->spool.files_closed += s.spool.files_closed;
        sum->batches += s.batches;
    }
}

static uint64_t core_counter(const struct td_rxq *q0, const struct td_rxq_snapshot *s, const char *name)
{
    for (int c = 0; c < s->ncounters; c++)
        if (q0->names[c] && !strcmp(q0->names[c], name))
            return s->counters[c];
    return 0;
}

/* The periodic stats line (stderr): kernel (XDP program, AF_XDP sockets), then user space. */
static void stats_line(FILE *out, int counters_fd, struct td_rxq *qs, unsigned nq)
{
    struct kstats k;
    struct td_rxq_snapshot s;
    read_kstats(counters_fd, qs, nq, &k);
    sum_snapshots(qs, nq, &s);
    uint64_t other = 0;
    for (int i = TD_XDP_C_other_port; i < TD_XDP_C__COUNT; i++)
        other += k.xdp[i];
    fprintf(out, "%s: xdp dns=%llu frag=%llu no_socket=%llu other=%llu | xsk rx_dropped=%llu ring_full=%llu "
            "fill_empty=%llu invalid=%llu | core frames=%llu queries=%llu responses=%llu matched=%llu "
            "unsolicited=%llu | spool records=%llu files=%llu\n", PROG,
            (unsigned long long)k.xdp[TD_XDP_C_redirect_dns], (unsigned long long)k.xdp[TD_XDP_C_redirect_fragment],
            (unsigned long long)k.xdp[TD_XDP_C_no_socket], (unsigned long long)other,
            (unsigned long long)k.xsk.rx_dropped, (unsigned long long)k.xsk.rx_ring_full,
            (unsigned long long)k.xsk.rx_fill_ring_empty, (unsigned long long)k.xsk.rx_invalid_descs,
            (unsigned long long)core_counter(&qs[0], &s, "frames"),
            (unsigned long long)core_counter(&qs[0], &s, "dns_queries"),
            (unsigned long long)core_counter(&qs[0], &s, "dns_responses"),
            (unsigned long long)core_counter(&qs[0], &s, "records_matched"),
            (unsigned long long)core_counter(&qs[0], &s, "records_unsolicited"),
            (unsigned long long)s.spool.records, (unsigned long long)s.spool.files_closed);
    fflush(out);
}

/* The same counters as a Prometheus file (--metrics-dir, [capture] metrics_dir): the capture
 * core's as tapdns_capture_<name>_total, the program's as tapdns_xdp_<name>_total, the sockets'
 * as tapdns_xdp_xsk_<name>_total, summed over the queues. A registry per write (every stats
 * interval): simple, and nothing stays allocated between writes. */
static void metrics_file(const char *dir, const char *iface, int counters_fd, struct td_rxq *qs, unsigned nq)
{
    static int failed_once;
    char err[300], name[96];
    struct kstats k;
    struct td_rxq_snapshot s;
    read_kstats(counters_fd, qs, nq, &k);
    sum_snapshots(qs, nq, &s);
    struct td_metrics *m = td_metrics_new(err, sizeof err);
    if (!m)
        goto fail;
    struct td_metrics_mirror mm = { .m = m, .prefix = "tapdns_capture_", .suffix = "_total" };
    for (int c = 0; c < s.ncounters; c++)
        td_metrics_mirror_counter(&mm, qs[0].names[c], qs[0].descs[c], s.counters[c]);
    mm.prefix = "tapdns_xdp_";
    for (int i = 0; i < TD_XDP_C__COUNT; i++)
        td_metrics_mirror_counter(&mm, td_xdp_counter_name(i), td_xdp_counter_desc(i), k.xdp[i]);
    mm.prefix = "tapdns_xdp_xsk_";
    td_metrics_mirror_counter(&mm, "rx_dropped", "AF_XDP: frames the kernel dropped (XDP_STATISTICS)", k.xsk.rx_dropped);
    td_metrics_mirror_counter(&mm, "rx_ring_full", "AF_XDP: frames dropped, RX ring full", k.xsk.rx_ring_full);
    td_metrics_mirror_counter(&mm, "rx_fill_ring_empty", "AF_XDP: times the FILL ring was empty",
                              k.xsk.rx_fill_ring_empty);
    td_metrics_mirror_counter(&mm, "rx_invalid_descs", "AF_XDP: invalid RX descriptors", k.xsk.rx_invalid_descs);
    mm.prefix = "tapdns_spool_";
    td_metrics_mirror_counter(&mm, "records", "records written to spool files", s.spool.records);
    td_metrics_mirror_counter(&mm, "files_closed", "spool files closed", s.spool.files_closed);
    snprintf(name, sizeof name, "tapdns-xdp-%s", iface);
    int bad = mm.failed || td_metrics_write_file(m, dir, name, err, sizeof err) != 0;
    if (mm.failed)
        snprintf(err, sizeof err, "%s", mm.err);
    td_metrics_free(&m);
    if (!bad)
        return;
fail:
    if (!failed_once) { /* once: the stats line goes on either way */
        failed_once = 1;
        fprintf(stderr, "%s: metrics: %s\n", PROG, err);
    }
}

static void print_counter(FILE *out, const char *name, const char *desc, uint64_t v)
{
    fprintf(out, "%-26s %12llu  # %s\n", name, (unsigned long long)v, desc);
}

/* Every counter at exit (stdout), as import-pcap prints them, plus the kernel's. */
static void final_counters(FILE *out, int counters_fd, struct td_rxq *qs, unsigned nq)
{
    struct kstats k;
    struct td_rxq_snapshot s;
    read_kstats(counters_fd, qs, nq, &k);
    sum_snapshots(qs, nq, &s);
    for (int c = 0; c < s.ncounters; c++)
        print_counter(out, qs[0].names[c], qs[0].descs[c], s.counters[c]);
    for (int i = 0; i < TD_XDP_C__COUNT; i++) {
        char name[64];
        snprintf(name, sizeof name, "xdp_%s", td_xdp_counter_name(i));
        print_counter(out, name, td_xdp_counter_desc(i), k.xdp[i]);
    }
    print_counter(out, "xsk_rx_dropped", "AF_XDP: frames the kernel dropped (XDP_STATISTICS)", k.xsk.rx_dropped);
    print_counter(out, "xsk_rx_ring_full", "AF_XDP: frames dropped, RX ring full", k.xsk.rx_ring_full);
    print_counter(out, "xsk_rx_fill_ring_empty", "AF_XDP: times the FILL ring was empty", k.xsk.rx_fill_ring_empty);
    print_counter(out, "xsk_rx_invalid_descs", "AF_XDP: invalid RX descriptors", k.xsk.rx_invalid_descs);
    print_counter(out, "spool_records", "records written to spool files", s.spool.records);
    print_counter(out, "spool_files_closed", "spool files closed", s.spool.files_closed);
}

int main(int argc, char **argv)
{
    const char *iface = NULL, *out_dir = NULL, *config_path = NULL;
    const char *queues_arg = "all", *mode_arg = "native", *other_arg = "pass", *metrics_dir = NULL;
    uint64_t writer_base = 0;
    uint64_t ring_size = 2048, frame_size = 4096, stats_interval = 10ull * 1000000000ull;
    int zero_copy = 0, quiet = 0;
    struct td_capture_cli cc;
    td_capture_cli_init(&cc, "xdp");
    struct td_option opts[13 + TD_CAPTURE_CLI_NOPTS + 1] = {
        { "iface", 'i', TD_OPT_STRING, &iface, "IF", "interface to capture on", "xdp.iface", 1 },
        { "out", 'o', TD_OPT_STRING, &out_dir, "DIR", "spool directory to write into", "spool.dir", 1 },
        { "queues", 'q', TD_OPT_STRING, &queues_arg, "all|N", "RX queues: all (default) or the first N", "capture.queues", 0 },
        { "mode", 'm', TD_OPT_STRING, &mode_arg, "native|skb", "XDP mode: native (driver, default) or skb (generic)", "xdp.mode", 0 },
        { "other", 0, TD_OPT_STRING, &other_arg, "pass|drop", "verdict for frames that are not DNS (default pass)", "xdp.other", 0 },
        { "writer", 'w', TD_OPT_UINT, &writer_base, "N", "writer id of queue 0; queue i writes as N+i (default 0)", NULL, 0 },
        { "config", 'c', TD_OPT_STRING, &config_path, "FILE", "config file (options given here win)", NULL, 0 },
        { "ring-size", 0, TD_OPT_UINT, &ring_size, "N", "AF_XDP RX ring descriptors, power of two (default 2048)", "xdp.ring_size", 0 },
        { "frame-size", 0, TD_OPT_UINT, &frame_size, "N", "UMEM frame size, 2048 or 4096 (default 4096)", "xdp.frame_size", 0 },
        { "zero-copy", 0, TD_OPT_FLAG, &zero_copy, NULL, "ask for zero-copy AF_XDP (copy mode where the driver has none)", "xdp.zero_copy", 0 },
        { "stats-interval", 0, TD_OPT_DURATION, &stats_interval, "DURATION", "stats line every DURATION, 0 for none (default 10s)", "capture.stats_interval", 0 },
        { "metrics-dir", 0, TD_OPT_STRING, &metrics_dir, "DIR", "rewrite DIR/tapdns-xdp-IF.prom (Prometheus text) every stats interval and at exit", "capture.metrics_dir", 0 },
        { "quiet", 0, TD_OPT_FLAG, &quiet, NULL, "do not print the counters at exit", NULL, 0 },
    };
    td_capture_cli_options(&cc, opts + 13); /* the table ends with a zeroed entry */
    const char *synopsis = "--iface IF --out DIR [--queues all|N] [--mode native|skb] [--other pass|drop] [--sensor ID] [OPTIONS]";
    struct td_config *cfg = NULL;
    int first, rc = 1, lock_fd = -1, attached = 0;
    char err[512];
    struct tapdns_xdp *skel = NULL;
    struct xdp_program *prog = NULL;
    struct td_rxq *qs = NULL;
    pthread_t threads[MAX_QUEUES];
    unsigned nq = 0, started = 0;
    atomic_int stop = 0;
    enum xdp_attach_mode mode;
    int counters_fd = -1;

    int pr = td_cli_main_parse(PROG, synopsis, opts, argc, argv, &first, td_config_known_keys, &cfg, stdout, stderr);
    if (pr != 0) {
        td_config_free(&cfg);
        return pr < 0 ? 2 : 0;
    }
    if (first < argc) {
        fprintf(stderr, "%s: unexpected argument '%s' (see --help)\n", PROG, argv[first]);
        rc = 2;
        goto out;
    }
    if (!strcmp(mode_arg, "native") || !strcmp(mode_arg, "drv")) {
        mode = XDP_MODE_NATIVE;
    } else if (!strcmp(mode_arg, "skb") || !strcmp(mode_arg, "generic")) {
        mode = XDP_MODE_SKB;
    } else {
        fprintf(stderr, "%s: --mode: native or skb, not '%s'\n", PROG, mode_arg);
        rc = 2;
        goto out;
    }
    int other_pass;
    if (!strcmp(other_arg, "pass")) {
        other_pass = 1;
    } else if (!strcmp(other_arg, "drop")) {
        other_pass = 0;
    } else {
        fprintf(stderr, "%s: --other: pass or drop, not '%s'\n", PROG, other_arg);
        rc = 2;
        goto out;
    }
    int ifindex = (int)if_nametoindex(iface);
    if (ifindex == 0) {
        fprintf(stderr, "%s: interface %s: %s\n", PROG, iface, strerror(errno));
        goto out;
    }
    unsigned have = rx_queue_count(iface);
    if (have == 0)
        have = 1;
    if (!strcmp(queues_arg, "all")) {
        nq = have;
    } else {
        char *end;
        unsigned long v = strtoul(queues_arg, &end, 10);
        if (*queues_arg == 0 || *end || v == 0 || v > have) {
            fprintf(stderr, "%s: --queues: 'all' or 1..%u (RX queues of %s), not '%s'\n", PROG, have, iface, queues_arg);
            rc = 2;
            goto out;
        }
        nq = (unsigned)v;
    }
    if (nq > MAX_QUEUES)
        nq = MAX_QUEUES;

    struct td_capture_opts co;
    if (td_capture_cli_capture_opts(&cc, &co, err, sizeof err) != 0)
        goto usage_error;

    /* One instance per interface; then anything of ours still attached is a killed run's. */
    lock_fd = td_xdp_instance_lock(iface, err, sizeof err);
    if (lock_fd < 0) {
        fprintf(stderr, "%s: %s\n", PROG, err);
        goto out;
    }
    struct rlimit rl = { RLIM_INFINITY, RLIM_INFINITY };
    setrlimit(RLIMIT_MEMLOCK, &rl); /* UMEM pages are locked (older kernels: maps too) */
    libbpf_set_print(NULL);

    int stale = td_xdp_detach_stale(ifindex, err, sizeof err);
    if (stale < 0) {
        fprintf(stderr, "%s: %s\n", PROG, err);
        goto out;
    }
    if (stale > 0)
        fprintf(stderr, "%s: replaced %d program(s) left attached to %s by an earlier run\n", PROG, stale, iface);

    struct td_xdp_prog_opts po = { .port_bitmap = co.filter.port_bitmap, .other_pass = other_pass };
    skel = td_xdp_prog_open(&po, err, sizeof err);
    if (!skel) {
        fprintf(stderr, "%s: %s\n", PROG, err);
        goto out;
    }
    prog = xdp_program__from_bpf_obj(skel->obj, "xdp");
    if (libxdp_get_error(prog)) {
        prog = NULL;
        fprintf(stderr, "%s: the BPF object has no XDP program\n", PROG);
        goto out;
    }
    if (td_xdp_attach(prog, ifindex, mode, err, sizeof err) != 0) {
        fprintf(stderr, "%s: %s on %s (%s mode)\n", PROG, err, iface, mode == XDP_MODE_SKB ? "skb" : "native");
        goto out;
    }
    attached = 1;
    counters_fd = bpf_map__fd(skel->maps.td_counters);
    int xsks_fd = bpf_map__fd(skel->maps.td_xsks);

    qs = calloc(nq, sizeof *qs);
    if (!qs) {
        fprintf(stderr, "%s: out of memory\n", PROG);
        goto out;
    }
    for (unsigned i = 0; i < nq; i++) {
        struct td_rxq *q = &qs[i];
        pthread_mutex_init(&q->mu, NULL);
        q->queue_id = i;
        q->stop = &stop;
        struct td_xsk_queue_opts xo = {
            .ifname = iface, .queue_id = i, .ring_size = (unsigned)ring_size, .frame_size = (unsigned)frame_size,
            .zero_copy = zero_copy ? TD_XSK_ZC_AUTO : TD_XSK_ZC_OFF,
        };
        q->xsk = td_xsk_queue_create(&xo, xsks_fd, err, sizeof err);
        if (!q->xsk) {
            fprintf(stderr, "%s: %s\n", PROG, err);
            goto stop_all;
        }
        struct td_spool_writer_opts wo;
        td_capture_cli_writer_opts(&cc, out_dir, (unsigned)(writer_base + i), &wo);
        const char *werr = NULL;
        q->w = td_spool_writer_init(&wo, &werr);
        if (!q->w) {
            fprintf(stderr, "%s: spool: %s\n", PROG, werr);
            goto stop_all;
        }
        q->cap = td_capture_init(&co, td_rxq_sink, q);
        if (!q->cap) {
            fprintf(stderr, "%s: out of memory for capture tables\n", PROG);
            goto stop_all;
        }
    }
    if (td_xdp_drop_caps(err, sizeof err) != 0) {
        fprintf(stderr, "%s: %s\n", PROG, err);
        goto stop_all;
    }

    /* Signals go to this thread only (sigtimedwait); workers see the stop flag. */
    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    for (; started < nq; started++)
        if (pthread_create(&threads[started], NULL, td_rxq_run, &qs[started]) != 0) {
            fprintf(stderr, "%s: cannot start the thread of queue %u\n", PROG, started);
            goto stop_all;
        }
    fprintf(stderr, "%s: capturing on %s, %u queue(s), %s mode, %s, other frames: %s\n", PROG, iface, nq,
            mode == XDP_MODE_SKB ? "skb" : "native", td_xsk_queue_zero_copy(qs[0].xsk) ? "zero-copy" : "copy",
            other_pass ? "pass" : "drop");
    rc = 0;
    struct timespec next;
    clock_gettime(CLOCK_MONOTONIC, &next);
    for (;;) {
        struct timespec wait = { 1, 0 }, now;
        siginfo_t si;
        int s = sigtimedwait(&sigs, &si, &wait);
        if (s == SIGINT || s == SIGTERM)
            break;
        int failed = 0;
        for (unsigned i = 0; i < nq; i++)
            if (atomic_load(&qs[i].failed))
                failed = 1;
        if (failed) {
            fprintf(stderr, "%s: spool write failed; stopping\n", PROG);
            rc = 1;
            break;
        }
        clock_gettime(CLOCK_MONOTONIC, &now);
        uint64_t now_ns = (uint64_t)now.tv_sec * 1000000000ull + (uint64_t)now.tv_nsec;
        uint64_t next_ns = (uint64_t)next.tv_sec * 1000000000ull + (uint64_t)next.tv_nsec;
        if (stats_interval && now_ns >= next_ns + stats_interval) {
            next = now;
            stats_line(stderr, counters_fd, qs, nq);
            if (metrics_dir)
                metrics_file(metrics_dir, iface, counters_fd, qs, nq);
        }
    }

stop_all:
    atomic_store(&stop, 1);
    for (unsigned i = 0; i < started; i++)
        pthread_join(threads[i], NULL);
    if (qs) {
        if (started == nq && nq > 0) {
            if (stats_interval)
                stats_line(stderr, counters_fd, qs, nq);
            if (metrics_dir)
                metrics_file(metrics_dir, iface, counters_fd, qs, nq);
            if (!quiet)
                final_counters(stdout, counters_fd, qs, nq);
        } else {
            rc = 1;
        }
        for (unsigned i = 0; i < nq; i++) {
            const char *werr = NULL;
            if (qs[i].w && td_spool_writer_destroy(&qs[i].w, &werr) != 0) {
                fprintf(stderr, "%s: closing spool file of queue %u: %s\n", PROG, i, werr);
                rc = 1;
            }
            if (atomic_load(&qs[i].failed)) {
                fprintf(stderr, "%s: queue %u: spool: %s\n", PROG, i, qs[i].werr ? qs[i].werr : "error");
                rc = 1;
            }
            td_capture_destroy(&qs[i].cap);
            td_xsk_queue_destroy(&qs[i].xsk);
            pthread_mutex_destroy(&qs[i].mu);
        }
    }
    goto out;

usage_error:
    fprintf(stderr, "%s: %s\n", PROG, err);
    rc = 2;
out:
    if (attached && td_xdp_detach(prog, ifindex, mode, err, sizeof err) != 0) {
        fprintf(stderr, "%s: %s\n", PROG, err);
        rc = 1;
    }
    if (prog)
        xdp_program__close(prog);
    if (skel)
        tapdns_xdp__destroy(skel);
    free(qs);
    if (lock_fd >= 0)
        close(lock_fd);
    td_capture_cli_free(&cc);
    td_config_free(&cfg);
    return rc;
}
