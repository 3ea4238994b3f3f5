/* xsk_queue.h: one AF_XDP socket on one RX queue, receive only (libxdp's xsk API). The UMEM
 * (frames of frame_size octets, 2 x ring_size of them) is allocated at create time; frames go
 * round FILL -> kernel -> RX -> caller -> FILL, nothing is allocated per frame. The socket
 * is put into the XDP program's XSKMAP slot of its queue. One thread uses a queue; the
 * statistics may be read from another (getsockopt). Returns codes with a reason. */
#ifndef TD_XSK_QUEUE_H
#define TD_XSK_QUEUE_H
#include <stddef.h>
#include <stdint.h>

enum td_xsk_zc { TD_XSK_ZC_AUTO = 0, TD_XSK_ZC_OFF, TD_XSK_ZC_ON };

struct td_xsk_queue_opts {
    const char *ifname;
    unsigned queue_id;
    unsigned ring_size;      /* RX ring descriptors, power of two (default 2048) */
    unsigned frame_size;     /* UMEM frame size, 2048 or 4096 (default 4096) */
    enum td_xsk_zc zero_copy;/* AUTO: zero-copy where the driver has it, else copy */
};

/* The kernel's XDP_STATISTICS of the socket. */
struct td_xsk_stats {
    uint64_t rx_dropped;             /* no room in the UMEM/RX ring or other drop by the kernel */
    uint64_t rx_invalid_descs;
    uint64_t rx_ring_full;           /* frames dropped because the RX ring was full */
    uint64_t rx_fill_ring_empty;     /* times the FILL ring was empty */
};

struct td_xsk_queue;
struct td_xsk_queue *td_xsk_queue_create(const struct td_xsk_queue_opts *o, int xskmap_fd,
                                         char *err, size_t errlen);
void td_xsk_queue_destroy(struct td_xsk_queue **qp);
/* 1 if bound in zero-copy mode, 0 copy mode. */
int td_xsk_queue_zero_copy(const struct td_xsk_queue *q);
/* Waits up to timeout_ms for frames (poll); 1 ready, 0 timeout, -1 error (errno; EINTR ok). */
int td_xsk_queue_wait(struct td_xsk_queue *q, int timeout_ms);
/* Takes up to max received frames, calls fn on each (the data is valid during the call
 * only), gives the frames back to the FILL ring. Returns the number of frames. */
typedef void (*td_xsk_frame_fn)(void *ctx, const uint8_t *data, size_t len);
unsigned td_xsk_queue_rx(struct td_xsk_queue *q, unsigned max, td_xsk_frame_fn fn, void *ctx);
/* 0 or -1 (errno). */
int td_xsk_queue_stats(const struct td_xsk_queue *q, struct td_xsk_stats *st);

#endif
