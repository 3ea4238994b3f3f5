/* xsk_queue.c: one receive-only AF_XDP socket with its own UMEM. */
#include "xsk_queue.h"
#include <errno.h>
#include <linux/if_xdp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <xdp/xsk.h>

#ifndef SOL_XDP
#define SOL_XDP 283
#endif

struct td_xsk_queue {
    struct xsk_umem *umem;
    struct xsk_socket *xsk;
    struct xsk_ring_prod fill;
    struct xsk_ring_cons comp;
    struct xsk_ring_cons rx;
    void *area;
    size_t area_size;
    unsigned nframes, frame_size;
    int zero_copy;
};

static int is_pow2(unsigned v)
{
    return v && !(v & (v - 1));
}

/* Puts every UMEM frame on the FILL ring (it holds them all: its size is nframes). */
static int fill_all(struct td_xsk_queue *q)
{
    uint32_t idx;
    if (xsk_ring_prod__reserve(&q->fill, q->nframes, &idx) != q->nframes)
        return -1;
    for (unsigned i = 0; i < q->nframes; i++)
        *xsk_ring_prod__fill_addr(&q->fill, idx + i) = (uint64_t)i * q->frame_size;
    xsk_ring_prod__submit(&q->fill, q->nframes);
    return 0;
}

static int bind_socket(struct td_xsk_queue *q, const struct td_xsk_queue_opts *o, int zc)
{
    struct xsk_socket_config cfg = {
        .rx_size = o->ring_size,
        .tx_size = 0,
        .libxdp_flags = XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD, /* our program, attached by us */
        .bind_flags = (uint16_t)(XDP_USE_NEED_WAKEUP | (zc ? XDP_ZEROCOPY : XDP_COPY)),
    };
    return xsk_socket__create(&q->xsk, o->ifname, o->queue_id, q->umem, &q->rx, NULL, &cfg);
}

struct td_xsk_queue *td_xsk_queue_create(const struct td_xsk_queue_opts *o, int xskmap_fd,
                                         char *err, size_t errlen)
{
    unsigned ring = o->ring_size ? o->ring_size : 2048;
    unsigned fsize = o->frame_size ? o->frame_size : 4096;
    if (!is_pow2(ring) || ring < 64 || ring > 65536) {
        snprintf(err, errlen, "ring size %u: a power of two from 64 to 65536", ring);
        return NULL;
    }
    if (fsize != 2048 && fsize != 4096) {
        snprintf(err, errlen, "frame size %u: 2048 or 4096", fsize);
        return NULL;
    }
    struct td_xsk_queue *q = calloc(1, sizeof *q);
    if (!q) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    q->nframes = 2 * ring;
    q->frame_size = fsize;
    q->area_size = (size_t)q->nframes * fsize;
    q->area = mmap(NULL, q->area_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (q->area == MAP_FAILED) {
        q->area = NULL;
        snprintf(err, errlen, "UMEM of %zu octets: %s", q->area_size, strerror(errno));
        goto fail;
    }
    struct xsk_umem_config ucfg = {
        .fill_size = q->nframes,
        .comp_size = XSK_RING_CONS__DEFAULT_NUM_DESCS,
        .frame_size = fsize,
        .frame_headroom = 0,
        .flags = 0,
    };
    int r = xsk_umem__create(&q->umem, q->area, q->area_size, &q->fill, &q->comp, &ucfg);
    if (r) {
        snprintf(err, errlen, "UMEM registration: %s", strerror(-r));
        goto fail;
    }
    struct td_xsk_queue_opts oo = *o;
    oo.ring_size = ring;
    if (o->zero_copy != TD_XSK_ZC_OFF) {
        r = bind_socket(q, &oo, 1);
        q->zero_copy = r == 0;
        if (r && o->zero_copy == TD_XSK_ZC_ON) {
            snprintf(err, errlen, "%s queue %u: zero-copy bind: %s", o->ifname, o->queue_id, strerror(-r));
            goto fail;
        }
    }
    if (!q->zero_copy) {
        r = bind_socket(q, &oo, 0);
        if (r) {
            snprintf(err, errlen, "%s queue %u: AF_XDP bind: %s", o->ifname, o->queue_id, strerror(-r));
            goto fail;
        }
    }
    if (fill_all(q) != 0) {
        snprintf(err, errlen, "FILL ring refused %u frames", q->nframes);
        goto fail;
    }
    r = xsk_socket__update_xskmap(q->xsk, xskmap_fd);
    if (r) {
        snprintf(err, errlen, "XSKMAP slot %u: %s", o->queue_id, strerror(-r));
        goto fail;
    }
    return q;
fail:
    td_xsk_queue_destroy(&q);
    return NULL;
}

void td_xsk_queue_destroy(struct td_xsk_queue **qp)
{
    struct td_xsk_queue *q = *qp;
    if (!q)
        return;
    if (q->xsk)
        xsk_socket__delete(q->xsk);
    if (q->umem)
        xsk_umem__delete(q->umem);
    if (q->area)
        munmap(q->area, q->area_size);
    free(q);
    *qp = NULL;
}

int td_xsk_queue_zero_copy(const struct td_xsk_queue *q)
{
    return q->zero_copy;
}

int td_xsk_queue_wait(struct td_xsk_queue *q, int timeout_ms)
{
    /* poll returns at once when the RX ring is not empty */
    struct pollfd p = { .fd = xsk_socket__fd(q->xsk), .events = POLLIN };
    int r = poll(&p, 1, timeout_ms);
    return r < 0 ? -1 : r > 0;
}

unsigned td_xsk_queue_rx(struct td_xsk_queue *q, unsigned max, td_xsk_frame_fn fn, void *ctx)
{
    uint32_t idx_rx, idx_fill;
    unsigned n = xsk_ring_cons__peek(&q->rx, max, &idx_rx);
    if (n == 0) {
        if (xsk_ring_prod__needs_wakeup(&q->fill))
            recvfrom(xsk_socket__fd(q->xsk), NULL, 0, MSG_DONTWAIT, NULL, NULL);
        return 0;
    }
    for (unsigned i = 0; i < n; i++) {
        const struct xdp_desc *d = xsk_ring_cons__rx_desc(&q->rx, idx_rx + i);
        fn(ctx, xsk_umem__get_data(q->area, d->addr), d->len);
    }
    /* The FILL ring holds every frame, so there is always room for the ones given back. */
    while (xsk_ring_prod__reserve(&q->fill, n, &idx_fill) != n)
        ;
    for (unsigned i = 0; i < n; i++) {
        uint64_t a = xsk_ring_cons__rx_desc(&q->rx, idx_rx + i)->addr;
        *xsk_ring_prod__fill_addr(&q->fill, idx_fill + i) = xsk_umem__extract_addr(a);
    }
    xsk_ring_prod__submit(&q->fill, n);
    xsk_ring_cons__release(&q->rx, n);
    if (xsk_ring_prod__needs_wakeup(&q->fill))
        recvfrom(xsk_socket__fd(q->xsk), NULL, 0, MSG_DONTWAIT, NULL, NULL);
    return n;
}

int td_xsk_queue_stats(const struct td_xsk_queue *q, struct td_xsk_stats *st)
{
    struct xdp_statistics s;
    socklen_t len = sizeof s;
    memset(&s, 0, sizeof s);
    if (getsockopt(xsk_socket__fd(q->xsk), SOL_XDP, XDP_STATISTICS, &s, &len) != 0)
        return -1;
    st->rx_dropped = s.rx_dropped;
    st->rx_invalid_descs = s.rx_invalid_descs;
    st->rx_ring_full = s.rx_ring_full;
    st->rx_fill_ring_empty = s.rx_fill_ring_empty_descs;
    return 0;
}
