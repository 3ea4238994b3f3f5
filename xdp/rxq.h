/* rxq.h: the worker of one RX queue: its AF_XDP socket feeds its own capture core, whose
 * records go to its own spool writer (distinct writer id). Nothing is shared with the other
 * queues; the only cross-thread traffic is the stop flag and a stats snapshot the worker
 * copies under a mutex about once a second (never on the per-frame path).
 * Timestamps: CLOCK_REALTIME read once per received batch (copy-mode AF_XDP carries no
 * hardware or driver timestamp). */
#ifndef TD_XDP_RXQ_H
#define TD_XDP_RXQ_H
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include "capture.h"
#include "spool.h"
#include "xsk_queue.h"

#define TD_RXQ_MAX_COUNTERS 128

struct td_rxq_snapshot {
    int ncounters;                           /* capture core counters, foreach order */
    uint64_t counters[TD_RXQ_MAX_COUNTERS];
    struct td_spool_writer_stats spool;
    uint64_t batches;                        /* non-empty RX batches */
};

struct td_rxq {
    /* set before the thread starts */
    unsigned queue_id;
    struct td_xsk_queue *xsk;
    struct td_capture *cap;
    struct td_spool_writer *w;
    atomic_int *stop;
    /* worker state */
    uint64_t now_ns, last_tick_ns;
    const char *werr;                        /* last spool error (static string) */
    atomic_int failed;                       /* the spool refused a write or close */
    /* published */
    pthread_mutex_t mu;
    struct td_rxq_snapshot snap;
    const char *names[TD_RXQ_MAX_COUNTERS];  /* counter names (static strings), foreach order */
    const char *descs[TD_RXQ_MAX_COUNTERS];
};

/* Worker: until *stop, receive, feed, tick; then drain the ring, td_capture_finish and close
 * the spool file (the writer itself is destroyed by the caller). arg is the struct td_rxq. */
void *td_rxq_run(void *arg);
/* Sink for td_capture_init (ctx = struct td_rxq). */
int td_rxq_sink(void *ctx, const struct td_record *rec);
/* Copies the published snapshot. */
void td_rxq_snapshot(struct td_rxq *q, struct td_rxq_snapshot *out);

#endif
