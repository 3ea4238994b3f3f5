/* tapdns-dpdk: the poll-mode capture front (DESIGN.md section 3).
 *   tapdns-dpdk [EAL args] -- --out DIR [--sensor ID] [--queues N] [--config FILE] [...]
 * Arguments before "--" go to the EAL unchanged; without "--" every argument is ours and the
 * EAL gets none. One RX queue per lcore (the main lcore runs queue 0 and the stats line),
 * each with its own capture core and spool writer (writer id = --writer-base + queue).
 * SIGINT/SIGTERM: every worker stops, expires its waiting state and closes its spool file;
 * the counters summed over the queues are printed as import-pcap prints them. */
#include "capture.h"
#include "capture_cli.h"
#include "cli.h"
#include "config.h"
#include "config_keys.h"
#include "metrics.h"
#include "port.h"
#include "spool.h"
#include "worker.h"
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NS 1000000000ull
static const char prog[] = "tapdns-dpdk";
static int stop_flag;

static void on_signal(int sig)
{
    (void)sig;
    __atomic_store_n(&stop_flag, 1, __ATOMIC_RELAXED);
}

/* Prometheus metrics file ([capture] metrics_dir): the published per-queue counters and the
 * port's rte_eth_stats, rewritten by the main lcore every stats interval and at exit. */
struct dpdk_metrics {
    struct td_metrics *reg;
    const char *dir;
    char name[64];
    int failed_once;
    struct td_metric *frames[RTE_MAX_LCORE], *records[RTE_MAX_LCORE];
    struct td_metric *malformed, *sink_errors, *imissed, *ierrors, *nombuf;
};

struct main_ctx {
    struct td_dpdk_worker **w;
    unsigned nw;
    uint16_t port;
    uint64_t stats_interval_ns, next_stats_ns, idle_exit_ns, start_ns;
    int quiet;
    struct dpdk_metrics *mx;
};

static int metrics_setup(struct dpdk_metrics *mx, const char *dir, uint16_t port, unsigned nw, char *err,
                         size_t errlen)
{
    mx->dir = dir;
    snprintf(mx->name, sizeof mx->name, "tapdns-dpdk-port%u", port);
    mx->reg = td_metrics_new(err, errlen);
    if (!mx->reg)
        return -1;
    for (unsigned i = 0; i < nw; i++) {
        char q[16];
        snprintf(q, sizeof q, "%u", i);
        const char *lab[] = { "queue", q, NULL };
        mx->frames[i] = td_metrics_counter(mx->reg, "tapdns_capture_frames_total", "frames seen", lab, err, errlen);
        mx->records[i] = td_metrics_counter(mx->reg, "tapdns_capture_records_total", "records written", lab, err,
                                            errlen);
        if (!mx->frames[i] || !mx->records[i])
            return -1;
    }
    mx->malformed = td_metrics_counter(mx->reg, "tapdns_capture_drop_malformed_total",
                                       "frames dropped as damaged or malformed (drop_* counters)", NULL, err, errlen);
    mx->sink_errors = td_metrics_counter(mx->reg, "tapdns_capture_sink_errors_total",
                                         "records the spool writer refused", NULL, err, errlen);
    mx->imissed = td_metrics_counter(mx->reg, "tapdns_dpdk_imissed_total", "frames the port dropped: RX queue full",
                                     NULL, err, errlen);
    mx->ierrors = td_metrics_counter(mx->reg, "tapdns_dpdk_ierrors_total", "erroneous frames the port dropped", NULL,
                                     err, errlen);
    mx->nombuf = td_metrics_counter(mx->reg, "tapdns_dpdk_rx_nombuf_total", "RX mbuf allocation failures", NULL, err,
                                    errlen);
    return mx->malformed && mx->sink_errors && mx->imissed && mx->ierrors && mx->nombuf ? 0 : -1;
}

static void metrics_write(struct main_ctx *m)
{
    struct dpdk_metrics *mx = m->mx;
    if (!mx || !mx->reg)
        return;
    uint64_t malformed = 0, sinkerr = 0;
    for (unsigned i = 0; i < m->nw; i++) {
        struct td_dpdk_published p;
        td_dpdk_worker_peek(m->w[i], &p);
        td_metric_set_counter(mx->frames[i], p.frames);
        td_metric_set_counter(mx->records[i], p.records);
        malformed += p.malformed, sinkerr += p.sink_errors;
    }
    td_metric_set_counter(mx->malformed, malformed);
    td_metric_set_counter(mx->sink_errors, sinkerr);
    struct rte_eth_stats es;
    memset(&es, 0, sizeof es);
    (void)rte_eth_stats_get(m->port, &es);
    td_metric_set_counter(mx->imissed, es.imissed);
    td_metric_set_counter(mx->ierrors, es.ierrors);
    td_metric_set_counter(mx->nombuf, es.rx_nombuf);
    char err[300];
    if (td_metrics_write_file(mx->reg, mx->dir, mx->name, err, sizeof err) != 0 && !mx->failed_once) {
        mx->failed_once = 1; /* once: the stats line goes on either way */
        fprintf(stderr, "%s: %s\n", prog, err);
    }
}

static void stats_line(struct main_ctx *m, uint64_t now)
{
    uint64_t frames = 0, records = 0, malformed = 0, sinkerr = 0;
    char per[256];
    size_t off = 0;
    per[0] = 0;
    for (unsigned i = 0; i < m->nw; i++) {
        struct td_dpdk_published p;
        td_dpdk_worker_peek(m->w[i], &p);
        frames += p.frames, records += p.records, malformed += p.malformed, sinkerr += p.sink_errors;
        if (off < sizeof per - 40)
            off += (size_t)snprintf(per + off, sizeof per - off, " q%u=%llu/%llu", i,
                                    (unsigned long long)p.frames, (unsigned long long)p.records);
    }
    struct rte_eth_stats es;
    memset(&es, 0, sizeof es);
    (void)rte_eth_stats_get(m->port, &es);
    fprintf(stderr, "%s: t=%llus frames=%llu records=%llu malformed=%llu sink_errors=%llu imissed=%llu "
            "ierrors=%llu rx_nombuf=%llu frames/records:%s\n", prog,
            (unsigned long long)((now - m->start_ns) / NS), (unsigned long long)frames,
            (unsigned long long)records, (unsigned long long)malformed, (unsigned long long)sinkerr,
            (unsigned long long)es.imissed, (unsigned long long)es.ierrors,
            (unsigned long long)es.rx_nombuf, per);
}

/* Runs on the main lcore between its polls: stats line, idle exit. */
static void main_hook(void *ctx, uint64_t now)
{
    struct main_ctx *m = ctx;
    if (m->stats_interval_ns && now >= m->next_stats_ns) {
        m->next_stats_ns = now + m->stats_interval_ns;
        stats_line(m, now);
        metrics_write(m);
    }
    if (m->idle_exit_ns) {
        for (unsigned i = 0; i < m->nw; i++) {
            struct td_dpdk_published p;
            td_dpdk_worker_peek(m->w[i], &p);
            if (p.last_rx_ns + m->idle_exit_ns > now)
                return;
        }
        __atomic_store_n(&stop_flag, 1, __ATOMIC_RELAXED);
    }
}

#define MAX_COUNTERS 128
struct sum {
    unsigned n;
    const char *name[MAX_COUNTERS], *desc[MAX_COUNTERS];
    uint64_t v[MAX_COUNTERS];
};

static void add_counter(void *ctx, const char *name, const char *desc, uint64_t v)
{
    struct sum *s = ctx;
    for (unsigned i = 0; i < s->n; i++)
        if (s->name[i] == name || !strcmp(s->name[i], name)) {
            s->v[i] += v;
            return;
        }
    if (s->n < MAX_COUNTERS) {
        s->name[s->n] = name, s->desc[s->n] = desc, s->v[s->n] = v;
        s->n++;
    }
}

static void print_counters(const struct td_dpdk_worker *const *w, unsigned nw, uint16_t port)
{
    struct sum s;
    memset(&s, 0, sizeof s);
    for (unsigned i = 0; i < nw; i++)
        td_capture_stats_foreach(w[i]->cap, add_counter, &s);
    for (unsigned i = 0; i < nw; i++) {
#define TD_X(name, desc) add_counter(&s, #name, desc, w[i]->rx.name);
        TD_DPDK_RX_COUNTERS(TD_X)
#undef TD_X
    }
    struct rte_eth_stats es;
    memset(&es, 0, sizeof es);
    (void)rte_eth_stats_get(port, &es);
    add_counter(&s, "port_ipackets", "frames the port received (rte_eth_stats)", es.ipackets);
    add_counter(&s, "port_imissed", "frames the port dropped: RX queue full (rte_eth_stats)", es.imissed);
    add_counter(&s, "port_ierrors", "erroneous frames the port dropped (rte_eth_stats)", es.ierrors);
    add_counter(&s, "port_rx_nombuf", "RX mbuf allocation failures (rte_eth_stats)", es.rx_nombuf);
    for (unsigned i = 0; i < s.n; i++)
        printf("%-26s %12llu  # %s\n", s.name[i], (unsigned long long)s.v[i], s.desc[i]);
    for (unsigned i = 0; i < nw; i++)
        printf("# queue %u: frames %llu, records %llu, spool records %llu\n", i,
               (unsigned long long)w[i]->rx.rx_frames, (unsigned long long)w[i]->pub.records,
               (unsigned long long)w[i]->wstats.records);
}

int main(int argc, char **argv)
{
    /* split at "--": EAL arguments before, ours after */
    int dd = -1;
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "--")) {
            dd = i;
            break;
        }
    int eal_argc = dd < 0 ? 1 : dd;
    int app_argc = dd < 0 ? argc : argc - dd;
    char **app_argv = calloc((size_t)app_argc + 1, sizeof *app_argv);
    if (!app_argv)
        return 1;
    app_argv[0] = argv[0];
    for (int i = 1; i < app_argc; i++)
        app_argv[i] = argv[(dd < 0 ? 0 : dd) + i];

    const char *out_dir = NULL, *config_path = NULL, *rss = "l3";
    const char *metrics_dir = NULL;
    static struct dpdk_metrics mx;
    uint64_t writer_base = 0;
    uint64_t queues = 0, port = 0, rx_ring = 1024, mbufs = 0, mbuf_cache = 256, burst = 32, mbuf_data = 2048;
    uint64_t stats_interval = 10 * NS, idle_exit = 0, idle_sleep_us = 0;
    int quiet = 0, rx_ts = 0;
    struct td_capture_cli cc;
    td_capture_cli_init(&cc, "dpdk");
    struct td_option opts[17 + TD_CAPTURE_CLI_NOPTS + 1] = {
        { "out", 'o', TD_OPT_STRING, &out_dir, "DIR", "spool directory to write into", "spool.dir", 1 },
        { "queues", 'q', TD_OPT_UINT, &queues, "N", "RX queues, one lcore each (default: one per lcore, at most the device's)", "capture.queues", 0 },
        { "config", 'c', TD_OPT_STRING, &config_path, "FILE", "config file (options given here win)", NULL, 0 },
        { "port", 'p', TD_OPT_UINT, &port, "N", "ethdev port to capture on (default 0)", NULL, 0 },
        { "writer-base", 0, TD_OPT_UINT, &writer_base, "N", "writer id of queue 0 in file names; queue i is N+i (default 0)", NULL, 0 },
        { "rx-ring", 0, TD_OPT_UINT, &rx_ring, "N", "RX descriptors per queue (default 1024)", "dpdk.rx_ring", 0 },
        { "mbufs", 0, TD_OPT_UINT, &mbufs, "N", "mempool size (default: computed, see dpdk-capture/plan.h)", "dpdk.mbufs", 0 },
        { "mbuf-cache", 0, TD_OPT_UINT, &mbuf_cache, "N", "per-lcore mempool cache (default 256, at most 512)", "dpdk.mbuf_cache", 0 },
        { "mbuf-data", 0, TD_OPT_SIZE, &mbuf_data, "SIZE", "data octets per mbuf (default 2048; net_af_packet wants framesz to fit)", NULL, 0 },
        { "burst", 0, TD_OPT_UINT, &burst, "N", "RX burst size (default 32, at most 512)", "dpdk.burst", 0 },
        { "rss", 0, TD_OPT_STRING, &rss, "l3|l4", "RSS over addresses (default; keeps fragments and TCP retries with their query) or addresses and ports", NULL, 0 },
        { "rx-timestamps", 0, TD_OPT_FLAG, &rx_ts, NULL, "use the PMD's RX timestamps as capture time (net_pcap: the file's times)", NULL, 0 },
        { "stats-interval", 0, TD_OPT_DURATION, &stats_interval, "DURATION", "stats line on stderr every DURATION (default 10s, 0 off)", "capture.stats_interval", 0 },
        { "metrics-dir", 0, TD_OPT_STRING, &metrics_dir, "DIR", "rewrite DIR/tapdns-dpdk-portN.prom (Prometheus text) every stats interval", "capture.metrics_dir", 0 },
        { "idle-exit", 0, TD_OPT_DURATION, &idle_exit, "DURATION", "stop once no queue received a frame for DURATION (default never)", NULL, 0 },
        { "idle-sleep-us", 0, TD_OPT_UINT, &idle_sleep_us, "N", "sleep N microseconds after an empty poll (default 0: busy poll)", NULL, 0 },
        { "quiet", 0, TD_OPT_FLAG, &quiet, NULL, "do not print the counters at exit", NULL, 0 },
    };
    td_capture_cli_options(&cc, opts + 17); /* the table ends with a zeroed entry */
    const char *synopsis = "[EAL args] -- --out DIR [--sensor ID] [--queues N] [--config FILE] [OPTIONS]";
    int first, rc = 0;
    char err[512];
    struct td_config *cfg = NULL;
    struct td_dpdk_port dp;
    memset(&dp, 0, sizeof dp);
    struct td_dpdk_worker **w = NULL;
    unsigned nw = 0;
    int eal_up = 0;

    int pr = td_cli_main_parse(prog, synopsis, opts, app_argc, app_argv, &first, td_config_known_keys, &cfg,
                               stdout, stderr);
    if (pr != 0) {
        rc = pr < 0 ? 2 : 0;
        goto out;
    }
    if (first < app_argc) {
        fprintf(stderr, "%s: unexpected argument '%s' (EAL arguments go before \"--\")\n", prog, app_argv[first]);
        rc = 2;
        goto out;
    }
    enum td_dpdk_rss_mode rss_mode;
    if (!strcmp(rss, "l3"))
        rss_mode = TD_DPDK_RSS_L3;
    else if (!strcmp(rss, "l4"))
        rss_mode = TD_DPDK_RSS_L4;
    else {
        fprintf(stderr, "%s: --rss: l3 or l4, not '%s'\n", prog, rss);
        rc = 2;
        goto out;
    }
    if (burst == 0 || burst > TD_DPDK_BURST_MAX || rx_ring == 0 || rx_ring > 65535 || port > 65535
        || queues > RTE_MAX_LCORE || mbufs > TD_DPDK_MBUFS_MAX || mbuf_cache > 65535 || mbuf_data < 64 || mbuf_data > 65000 || idle_sleep_us > 1000000) {
        fprintf(stderr, "%s: --burst 1..%u, --rx-ring 1..65535, --queues at most %u, --mbuf-data 64..65000, --idle-sleep-us at most 1000000\n",
                prog, TD_DPDK_BURST_MAX, RTE_MAX_LCORE);
        rc = 2;
        goto out;
    }

    struct td_capture_opts co;
    if (td_capture_cli_capture_opts(&cc, &co, err, sizeof err) != 0)
        goto usage_error;

    int consumed = rte_eal_init(eal_argc, argv);
    if (consumed < 0) {
        fprintf(stderr, "%s: EAL init: %s\n", prog, rte_strerror(rte_errno));
        rc = 2;
        goto out;
    }
    eal_up = 1;
    struct td_dpdk_port_opts po = {
        .port = (uint16_t)port, .queues = (unsigned)queues, .rx_ring = (unsigned)rx_ring,
        .burst = (unsigned)burst, .mbufs = (unsigned)mbufs, .cache = (unsigned)mbuf_cache, .mbuf_data = (unsigned)mbuf_data,
        .rss = rss_mode, .rx_timestamps = rx_ts,
    };
    if (td_dpdk_port_open(&po, &dp, err, sizeof err) != 0) {
        fprintf(stderr, "%s: %s\n", prog, err);
        rc = 1;
        goto out;
    }
    if (!quiet)
        fprintf(stderr, "%s: port %u (%s): %u queue(s), RSS %s, %u RX descriptors, mempool %u mbufs (need %u, cache %u)\n",
                prog, dp.port, dp.driver, dp.queues,
                dp.rss ? (rss_mode == TD_DPDK_RSS_L4 ? "symmetric l4" : "symmetric l3") : "off (one queue or the PMD spreads)",
                dp.rx_ring, dp.plan.mbufs, dp.plan.need, dp.plan.cache);

    w = calloc(dp.queues, sizeof *w);
    if (!w) {
        fprintf(stderr, "%s: out of memory\n", prog);
        rc = 1;
        goto out;
    }
    for (nw = 0; nw < dp.queues; nw++) {
        struct td_dpdk_worker *x = aligned_alloc(64, (sizeof *x + 63) & ~(size_t)63);
        if (!x) {
            fprintf(stderr, "%s: out of memory\n", prog);
            rc = 1;
            goto out;
        }
        memset(x, 0, sizeof *x);
        w[nw] = x;
        x->port = dp.port, x->queue = (uint16_t)nw, x->burst = (unsigned)burst;
        x->ts_offset = dp.ts_offset, x->ts_flag = dp.ts_flag, x->ts_mult = dp.ts_mult;
        x->idle_sleep_us = (unsigned)idle_sleep_us;
        x->stop = &stop_flag;
        struct td_spool_writer_opts wo;
        td_capture_cli_writer_opts(&cc, out_dir, (unsigned)(writer_base + nw), &wo);
        const char *werr = NULL;
        x->w = td_spool_writer_init(&wo, &werr);
        if (!x->w) {
            fprintf(stderr, "%s: %s\n", prog, werr);
            nw++;
            rc = 2;
            goto out;
        }
        x->cap = td_capture_init(&co, td_dpdk_worker_sink, x);
        if (!x->cap) {
            fprintf(stderr, "%s: out of memory for capture tables (queue %u)\n", prog, nw);
            nw++;
            rc = 1;
            goto out;
        }
    }

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    struct main_ctx mc = {
        .w = w, .nw = nw, .port = dp.port, .stats_interval_ns = stats_interval,
        .idle_exit_ns = idle_exit, .start_ns = td_dpdk_wall_ns(), .quiet = quiet,
    };
    mc.next_stats_ns = mc.start_ns + stats_interval;
    if (metrics_dir) {
        if (metrics_setup(&mx, metrics_dir, dp.port, nw, err, sizeof err) != 0) {
            fprintf(stderr, "%s: metrics: %s\n", prog, err);
            rc = 1;
            goto out;
        }
        mc.mx = &mx;
    }
    w[0]->hook = main_hook;
    w[0]->hook_ctx = &mc;
    unsigned qi = 1, lcore;
    RTE_LCORE_FOREACH_WORKER(lcore) {
        if (qi >= nw)
            break;
        int lr = rte_eal_remote_launch(td_dpdk_worker_run, w[qi], lcore);
        if (lr != 0) {
            fprintf(stderr, "%s: launch on lcore %u: %s\n", prog, lcore, rte_strerror(-lr));
            __atomic_store_n(&stop_flag, 1, __ATOMIC_RELAXED);
            break;
        }
        qi++;
    }
    if (qi < nw) /* queues that never ran still close their (empty) writers below */
        __atomic_store_n(&stop_flag, 1, __ATOMIC_RELAXED);
    td_dpdk_worker_run(w[0]);
    rte_eal_mp_wait_lcore();
    for (unsigned i = qi; i < nw; i++) /* not launched: run once with stop set = just close */
        td_dpdk_worker_run(w[i]);
    if (stats_interval && !quiet)
        stats_line(&mc, td_dpdk_wall_ns());
    metrics_write(&mc);
    if (dp.started) {
        (void)rte_eth_dev_stop(dp.port);
        dp.started = 0;
    }
    if (!quiet)
        print_counters((const struct td_dpdk_worker *const *)w, nw, dp.port);
    for (unsigned i = 0; i < nw; i++) {
        if (w[i]->write_failed || w[i]->close_failed) {
            fprintf(stderr, "%s: queue %u: spool: %s\n", prog, i, w[i]->werr);
            rc = 1;
        }
    }
    goto out;

usage_error:
    fprintf(stderr, "%s: %s\n", prog, err);
    rc = 2;
out:
    for (unsigned i = 0; i < nw; i++) {
        if (!w[i])
            continue;
        if (w[i]->w) { /* set up but never run (startup failed) */
            const char *e;
            td_spool_writer_destroy(&w[i]->w, &e);
        }
        td_capture_destroy(&w[i]->cap);
        free(w[i]);
    }
    free(w);
    if (eal_up) {
        td_dpdk_port_close(&dp);
        rte_eal_cleanup();
    }
    td_metrics_free(&mx.reg);
    td_capture_cli_free(&cc);
    td_config_free(&cfg);
    free(app_argv);
    return rc;
}
