/* worker.c: see worker.h. */
#include "worker.h"
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_mbuf_dyn.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define NS 1000000000ull

uint64_t td_dpdk_wall_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * NS + (uint64_t)ts.tv_nsec;
}

int td_dpdk_worker_sink(void *ctx, const struct td_record *rec)
{
    struct td_dpdk_worker *w = ctx;
    const char *err = NULL;
    if (td_spool_write(w->w, rec, w->now_ns, &err) != 0) {
        if (!w->write_failed) { /* keep the first reason */
            w->write_failed = 1;
            snprintf(w->werr, sizeof w->werr, "%s", err ? err : "write failed");
        }
        return -1;
    }
    return 0;
}

static void publish(struct td_dpdk_worker *w, uint64_t last_rx_ns)
{
    const struct td_capture_stats *s = td_capture_stats(w->cap);
    uint64_t malformed = s->drop_truncated_frame + s->drop_vlan + s->drop_bad_ip + s->drop_bad_ext
                         + s->drop_bad_l4 + s->drop_payload_truncated + s->drop_dns_short
                         + s->drop_dns_no_question + s->drop_dns_name + s->drop_dns_past_end
                         + s->drop_dns_rdata + s->drop_dns_counts;
    __atomic_store_n(&w->pub.frames, w->rx.rx_frames, __ATOMIC_RELAXED);
    __atomic_store_n(&w->pub.records, s->records_matched + s->records_unsolicited + s->records_unanswered,
                     __ATOMIC_RELAXED);
    __atomic_store_n(&w->pub.malformed, malformed, __ATOMIC_RELAXED);
    __atomic_store_n(&w->pub.sink_errors, s->sink_errors, __ATOMIC_RELAXED);
    if (last_rx_ns)
        __atomic_store_n(&w->pub.last_rx_ns, last_rx_ns, __ATOMIC_RELAXED);
}

void td_dpdk_worker_peek(const struct td_dpdk_worker *w, struct td_dpdk_published *out)
{
    out->frames = __atomic_load_n(&w->pub.frames, __ATOMIC_RELAXED);
    out->records = __atomic_load_n(&w->pub.records, __ATOMIC_RELAXED);
    out->malformed = __atomic_load_n(&w->pub.malformed, __ATOMIC_RELAXED);
    out->sink_errors = __atomic_load_n(&w->pub.sink_errors, __ATOMIC_RELAXED);
    out->last_rx_ns = __atomic_load_n(&w->pub.last_rx_ns, __ATOMIC_RELAXED);
}

/* Capture time drives frame closing and expiry, once a second (as import-pcap does). */
static void tick(struct td_dpdk_worker *w, uint64_t now)
{
    if (now < w->last_tick_ns + NS)
        return;
    w->last_tick_ns = now;
    const char *err = NULL;
    if (td_spool_writer_tick(w->w, now, &err) != 0 && !w->write_failed) {
        w->write_failed = 1;
        snprintf(w->werr, sizeof w->werr, "%s", err ? err : "tick failed");
    }
}

static void feed(struct td_dpdk_worker *w, struct rte_mbuf *m, uint64_t wall)
{
    uint64_t ts = wall;
    if (w->ts_offset >= 0 && (m->ol_flags & w->ts_flag)) {
        ts = *RTE_MBUF_DYNFIELD(m, w->ts_offset, rte_mbuf_timestamp_t *) * w->ts_mult;
        w->rx.rx_hw_timestamps++;
    }
    uint32_t len = rte_pktmbuf_pkt_len(m);
    uint32_t cap = len < TD_DPDK_FRAME_MAX ? len : TD_DPDK_FRAME_MAX;
    const uint8_t *data;
    if (m->nb_segs == 1 && cap == m->data_len) {
        data = rte_pktmbuf_mtod(m, const uint8_t *);
    } else {
        w->rx.rx_chained += m->nb_segs > 1;
        w->rx.rx_oversize += len > TD_DPDK_FRAME_MAX;
        data = rte_pktmbuf_read(m, 0, cap, w->frame);
        if (!data) /* chain shorter than pkt_len: feed what the first segment holds */
            data = rte_pktmbuf_mtod(m, const uint8_t *), cap = m->data_len;
    }
    w->now_ns = ts;
    td_capture_frame(w->cap, ts, TD_LINK_ETHERNET, data, cap, len);
    tick(w, ts);
}

int td_dpdk_worker_run(void *arg)
{
    struct td_dpdk_worker *w = arg;
    struct rte_mbuf *pkts[TD_DPDK_BURST_MAX];
    unsigned burst = w->burst && w->burst <= TD_DPDK_BURST_MAX ? w->burst : 32;
    uint64_t start = td_dpdk_wall_ns();
    /* with RX timestamps the PMD's clock is the capture clock: the wall clock never ticks */
    int wall_ticks = w->ts_offset < 0;
    __atomic_store_n(&w->pub.last_rx_ns, start, __ATOMIC_RELAXED);
    w->last_tick_ns = 0;
    while (!__atomic_load_n(w->stop, __ATOMIC_RELAXED)) {
        uint16_t n = rte_eth_rx_burst(w->port, w->queue, pkts, (uint16_t)burst);
        uint64_t wall = td_dpdk_wall_ns();
        if (n == 0) {
            if (wall_ticks) { /* a quiet link still expires queries and closes its hour */
                if (wall >= w->last_tick_ns + NS)
                    td_capture_tick(w->cap, wall);
                w->now_ns = wall;
                tick(w, wall);
            }
            if (w->hook)
                w->hook(w->hook_ctx, wall);
            if (w->idle_sleep_us)
                usleep(w->idle_sleep_us);
            continue;
        }
        w->rx.rx_bursts++;
        w->rx.rx_frames += n;
        for (uint16_t i = 0; i < n; i++) {
            if (i + 1 < n)
                rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 1], void *));
            feed(w, pkts[i], wall);
        }
        rte_pktmbuf_free_bulk(pkts, n);
        publish(w, wall);
        if (w->hook)
            w->hook(w->hook_ctx, wall);
    }
    td_capture_finish(w->cap);
    publish(w, 0);
    const struct td_spool_writer_stats *ws = td_spool_writer_stats(w->w);
    if (ws)
        w->wstats = *ws;
    const char *err = NULL;
    if (td_spool_writer_destroy(&w->w, &err) != 0) {
        w->close_failed = 1;
        snprintf(w->werr, sizeof w->werr, "closing spool file: %s", err ? err : "?");
    }
    return 0;
}
