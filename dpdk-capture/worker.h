/* worker.h: the per-lcore capture loop. One worker per RX queue, run on its own lcore: burst
 * RX, each frame fed to the worker's own capture core, records to the worker's own spool
 * writer, mbufs freed after the burst. Nothing on the hot path is written by two lcores:
 * the worker publishes a few counters into its own struct (relaxed atomic stores) for the
 * main lcore's stats line; everything else is read only after the worker has returned.
 * On stop (the shared flag, set by the main lcore or a signal handler) the worker expires
 * waiting state (td_capture_finish) and closes its spool file itself. */
#ifndef TD_DPDK_WORKER_H
#define TD_DPDK_WORKER_H
#include <stddef.h>
#include <stdint.h>
#include "capture.h"
#include "spool.h"

/* Octets of one frame given to the capture core; a longer frame (chained mbufs) is fed cut
 * at this length with its real length as wire length (the core counts it). */
#define TD_DPDK_FRAME_MAX 65536u
#define TD_DPDK_BURST_MAX 512u

/* Counters of the RX side of one queue (the capture core keeps the rest). */
#define TD_DPDK_RX_COUNTERS(X) \
    X(rx_frames, "frames received from the queue") \
    X(rx_bursts, "non-empty RX bursts") \
    X(rx_chained, "frames in several mbufs, copied whole") \
    X(rx_oversize, "frames longer than 64 KiB, fed cut (see drop_payload_truncated)") \
    X(rx_hw_timestamps, "frames with the PMD's RX timestamp")

struct td_dpdk_rx_stats {
#define TD_X(name, desc) uint64_t name;
    TD_DPDK_RX_COUNTERS(TD_X)
#undef TD_X
};

/* What the main lcore may read while the worker runs (relaxed loads). */
struct td_dpdk_published {
    uint64_t frames, records, malformed, sink_errors, last_rx_ns;
};

struct td_dpdk_worker {
    /* set before launch */
    uint16_t port, queue;
    unsigned burst;             /* 1..TD_DPDK_BURST_MAX */
    int ts_offset;              /* RX timestamp dynfield, -1: wall clock */
    uint64_t ts_flag, ts_mult;  /* field * ts_mult = ns */
    unsigned idle_sleep_us;     /* sleep after an empty poll (0: busy poll) */
    const int *stop;            /* read with relaxed atomic loads */
    struct td_capture *cap;     /* owned by the caller, used only by this worker while it runs */
    struct td_spool_writer *w;  /* closed and freed by the worker when it stops */
    /* called on the main lcore's worker after each poll (stats line, idle exit) */
    void (*hook)(void *ctx, uint64_t now_ns);
    void *hook_ctx;

    /* results, read after the worker returned */
    struct td_dpdk_rx_stats rx;
    struct td_spool_writer_stats wstats;
    int write_failed;           /* a record was refused; werr says why */
    int close_failed;
    char werr[160];

    struct td_dpdk_published pub;

    /* private */
    uint64_t now_ns, last_tick_ns;
    const char *sink_err;
    uint8_t frame[TD_DPDK_FRAME_MAX];
};

/* The capture core's sink for a worker (ctx = the worker). */
int td_dpdk_worker_sink(void *ctx, const struct td_record *rec);
/* lcore entry point (rte_eal_remote_launch); arg is the worker. Returns 0. */
int td_dpdk_worker_run(void *arg);
/* Wall clock (CLOCK_REALTIME) in ns. */
uint64_t td_dpdk_wall_ns(void);
/* Relaxed snapshot of a worker's published counters. */
void td_dpdk_worker_peek(const struct td_dpdk_worker *w, struct td_dpdk_published *out);

#endif
