/* rxq.c: one RX queue's worker thread (see rxq.h). */
#include "rxq.h"
#include <string.h>
#include <time.h>

#define TD_RXQ_BATCH 64
#define TD_NS 1000000000ull

static uint64_t realtime_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * TD_NS + (uint64_t)ts.tv_nsec;
}

int td_rxq_sink(void *ctx, const struct td_record *rec)
{
    struct td_rxq *q = ctx;
    const char *err = NULL;
    if (td_spool_write(q->w, rec, q->now_ns, &err) != 0) {
        q->werr = err;
        atomic_store(&q->failed, 1);
        return -1;
    }
    return 0;
}

static void on_frame(void *ctx, const uint8_t *data, size_t len)
{
    struct td_rxq *q = ctx;
    td_capture_frame(q->cap, q->now_ns, TD_LINK_ETHERNET, data, len, len);
}

struct collect {
    struct td_rxq *q;
    struct td_rxq_snapshot *s;
};

static void collect_counter(void *ctx, const char *name, const char *desc, uint64_t v)
{
    struct collect *c = ctx;
    if (c->s->ncounters >= TD_RXQ_MAX_COUNTERS)
        return;
    c->q->names[c->s->ncounters] = name;
    c->q->descs[c->s->ncounters] = desc;
    c->s->counters[c->s->ncounters++] = v;
}

static void publish(struct td_rxq *q, uint64_t batches)
{
    struct td_rxq_snapshot s;
    struct collect c = { q, &s };
    s.ncounters = 0;
    pthread_mutex_lock(&q->mu);
    td_capture_stats_foreach(q->cap, collect_counter, &c);
    s.spool = *td_spool_writer_stats(q->w);
    s.batches = batches;
    q->snap = s;
    pthread_mutex_unlock(&q->mu);
}

void td_rxq_snapshot(struct td_rxq *q, struct td_rxq_snapshot *out)
{
    pthread_mutex_lock(&q->mu);
    *out = q->snap;
    pthread_mutex_unlock(&q->mu);
}

static void tick(struct td_rxq *q)
{
    const char *err = NULL;
    td_capture_tick(q->cap, q->now_ns);
    if (td_spool_writer_tick(q->w, q->now_ns, &err) != 0) {
        q->werr = err ? err : "spool tick failed";
        atomic_store(&q->failed, 1);
    }
}

void *td_rxq_run(void *arg)
{
    struct td_rxq *q = arg;
    uint64_t batches = 0;
    q->now_ns = q->last_tick_ns = realtime_ns();
    publish(q, 0);
    while (!atomic_load_explicit(q->stop, memory_order_relaxed)) {
        int r = td_xsk_queue_wait(q->xsk, 100);
        q->now_ns = realtime_ns();
        if (r > 0 && td_xsk_queue_rx(q->xsk, TD_RXQ_BATCH, on_frame, q) > 0)
            batches++;
        if (q->now_ns >= q->last_tick_ns + TD_NS) {
            q->last_tick_ns = q->now_ns;
            tick(q);
            publish(q, batches);
        }
    }
    /* drain what is already in the ring, then end as import-pcap ends its input */
    q->now_ns = realtime_ns();
    while (td_xsk_queue_rx(q->xsk, TD_RXQ_BATCH, on_frame, q) > 0)
        batches++;
    td_capture_finish(q->cap);
    const char *err = NULL;
    if (td_spool_writer_close_file(q->w, &err) != 0) {
        q->werr = err ? err : "closing the spool file failed";
        atomic_store(&q->failed, 1);
    }
    publish(q, batches);
    return NULL;
}
