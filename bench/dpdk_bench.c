/* dpdk_bench: frames per second per lcore through the capture core, fed by a DPDK port from
 * pre-built mbufs (net_pcap with infinite_rx=1 keeps a file's frames in memory and hands out
 * copies forever), beside an rx-and-free baseline measured in the same run. One lcore.
 *   dpdk_bench [EAL args] -- RUNS SECONDS SPOOL_DIR
 * Modes, alternated RUNS times, each SECONDS long; medians printed:
 *   rx-free   rte_eth_rx_burst + rte_pktmbuf_free_bulk (the PMD's own cost)
 *   capture   + every frame through td_capture_frame, records counted by a no-op sink
 *   tapdns    tapdns-dpdk's own loop (worker.c): capture core + spool writer (no fsync)
 * The same frames repeat: queries are re-sent with the same ids (the matcher replaces them)
 * and TCP segments come back as retransmissions, as a replay would make them. */
#include "capture.h"
#include "port.h"
#include "spool.h"
#include "worker.h"
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static uint64_t sink_records;
static int count_sink(void *ctx, const struct td_record *rec)
{
    (void)ctx, (void)rec;
    sink_records++;
    return 0;
}

static double run_rx_free(uint16_t port, double secs)
{
    struct rte_mbuf *pkts[32];
    uint64_t frames = 0;
    double t0 = now_s(), t;
    do {
        for (int k = 0; k < 64; k++) {
            uint16_t n = rte_eth_rx_burst(port, 0, pkts, 32);
            frames += n;
            rte_pktmbuf_free_bulk(pkts, n);
        }
    } while ((t = now_s()) - t0 < secs);
    return (double)frames / (t - t0);
}

static double run_capture(uint16_t port, double secs, uint64_t *records)
{
    struct td_capture_opts co;
    td_capture_opts_default(&co);
    struct td_capture *cap = td_capture_init(&co, count_sink, NULL);
    if (!cap)
        return 0;
    struct rte_mbuf *pkts[32];
    uint64_t frames = 0;
    sink_records = 0;
    double t0 = now_s(), t;
    do {
        for (int k = 0; k < 64; k++) {
            uint16_t n = rte_eth_rx_burst(port, 0, pkts, 32);
            uint64_t ts = td_dpdk_wall_ns();
            for (uint16_t i = 0; i < n; i++) {
                struct rte_mbuf *m = pkts[i];
                td_capture_frame(cap, ts, TD_LINK_ETHERNET, rte_pktmbuf_mtod(m, const uint8_t *), m->data_len,
                                 rte_pktmbuf_pkt_len(m));
            }
            frames += n;
            rte_pktmbuf_free_bulk(pkts, n);
        }
    } while ((t = now_s()) - t0 < secs);
    *records = sink_records;
    td_capture_destroy(&cap);
    return (double)frames / (t - t0);
}

struct stop_ctx {
    int stop;
    uint64_t end_ns;
};
static void stop_hook(void *ctx, uint64_t now_ns)
{
    struct stop_ctx *s = ctx;
    if (now_ns >= s->end_ns)
        __atomic_store_n(&s->stop, 1, __ATOMIC_RELAXED);
}

static double run_tapdns(uint16_t port, double secs, const char *dir, unsigned id, uint64_t *records)
{
    struct td_dpdk_worker *w = aligned_alloc(64, (sizeof *w + 63) & ~(size_t)63);
    if (!w)
        return 0;
    memset(w, 0, sizeof *w);
    struct td_spool_writer_opts wo = { .dir = dir, .sensor = "bench", .writer_id = id, .no_fsync = 1 };
    const char *err;
    w->w = td_spool_writer_init(&wo, &err);
    struct td_capture_opts co;
    td_capture_opts_default(&co);
    w->cap = td_capture_init(&co, td_dpdk_worker_sink, w);
    if (!w->w || !w->cap) {
        fprintf(stderr, "dpdk_bench: spool/capture init failed\n");
        exit(1);
    }
    struct stop_ctx sc = { 0, td_dpdk_wall_ns() + (uint64_t)(secs * 1e9) };
    w->port = port, w->queue = 0, w->burst = 32, w->ts_offset = -1, w->stop = &sc.stop;
    w->hook = stop_hook, w->hook_ctx = &sc;
    double t0 = now_s();
    td_dpdk_worker_run(w);
    double t = now_s();
    double fps = (double)w->rx.rx_frames / (t - t0);
    *records = w->wstats.records;
    td_capture_destroy(&w->cap);
    free(w);
    return fps;
}

int main(int argc, char **argv)
{
    int used = rte_eal_init(argc, argv);
    if (used < 0) {
        fprintf(stderr, "dpdk_bench: EAL init failed\n");
        return 1;
    }
    argc -= used, argv += used;
    if (argc < 4) {
        fprintf(stderr, "usage: dpdk_bench [EAL args] -- RUNS SECONDS SPOOL_DIR\n");
        return 2;
    }
    int runs = atoi(argv[1]);
    double secs = atof(argv[2]);
    const char *dir = argv[3];
    if (runs < 1 || runs > 99 || secs <= 0) {
        fprintf(stderr, "dpdk_bench: RUNS 1..99, SECONDS > 0\n");
        return 2;
    }
    struct td_dpdk_port_opts po = { .port = 0, .queues = 1, .rx_ring = 1024, .burst = 32, .cache = 256 };
    struct td_dpdk_port dp;
    char err[256];
    if (td_dpdk_port_open(&po, &dp, err, sizeof err) != 0) {
        fprintf(stderr, "dpdk_bench: %s\n", err);
        return 1;
    }
    double base[99], capr[99], full[99];
    uint64_t crec = 0, frec = 0;
    for (int r = 0; r < runs; r++) {
        base[r] = run_rx_free(dp.port, secs);
        capr[r] = run_capture(dp.port, secs, &crec);
        full[r] = run_tapdns(dp.port, secs, dir, (unsigned)r, &frec);
        printf("run %d: rx-free %.0f  capture %.0f  tapdns %.0f frames/s\n", r + 1, base[r], capr[r], full[r]);
    }
    qsort(base, (size_t)runs, sizeof base[0], cmp_double);
    qsort(capr, (size_t)runs, sizeof capr[0], cmp_double);
    qsort(full, (size_t)runs, sizeof full[0], cmp_double);
    double mb = base[runs / 2], mc = capr[runs / 2], mf = full[runs / 2];
    printf("median of %d runs of %.1f s, one lcore, net_pcap infinite_rx (%s):\n", runs, secs, dp.driver);
    printf("  rx-free baseline     %12.0f frames/s\n", mb);
    printf("  capture core         %12.0f frames/s  (%.2f of baseline; %.1f ns/frame over it; last run %llu records)\n",
           mc, mc / mb, 1e9 / mc - 1e9 / mb, (unsigned long long)crec);
    printf("  tapdns-dpdk loop     %12.0f frames/s  (%.2f of baseline; + spool writer; last run %llu records)\n",
           mf, mf / mb, (unsigned long long)frec);
    td_dpdk_port_close(&dp);
    rte_eal_cleanup();
    return 0;
}
