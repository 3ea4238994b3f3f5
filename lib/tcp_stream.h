/* tcp_stream.h: DNS-over-TCP stream reassembly (RFC 1035 4.2.2: 2-octet length prefix).
 * One stream per direction (src ip/port -> dst ip/port). Handles messages split across
 * segments, several messages in a segment, out-of-order segments (held until the gap fills,
 * bounded), retransmitted and overlapping segments (already-delivered bytes are trimmed).
 * Without a SYN the stream starts at the first data segment seen (it must begin a message).
 * Bounded: max_streams, max_bytes_per_stream (held out-of-order data + partial message),
 * max_bytes_total; past a bound (or on a zero length prefix) the stream is reset and
 * counted, and its later data is dropped until SYN/FIN/RST (it lost its place among the
 * length prefixes). FIN/RST end a stream.
 * No allocation per segment after init (fixed pools). */
#ifndef TD_TCP_STREAM_H
#define TD_TCP_STREAM_H
#include <stddef.h>
#include <stdint.h>
#include "frame.h"

struct td_tcp_opts {
    size_t max_streams;          /* default 65536 */
    size_t max_bytes_per_stream; /* default 2 * (65535 + 2) */
    size_t max_bytes_total;      /* default 64 MiB */
    uint64_t timeout_ns;         /* idle streams dropped after this; default 60 s */
};

struct td_tcp_stats {
    uint64_t segments, messages, streams_opened, streams_closed, timeouts, evicted,
             retransmits, out_of_order, overflow_resets, bad_length, desync_dropped,
             active_streams, bytes_held;
};

/* Called once per complete DNS message (without the length prefix). `f` is the frame
 * that completed it (addresses and ports tell the direction). msg is valid only during
 * the call. ts_ns is the time of the completing segment. */
typedef void (*td_tcp_msg_fn)(void *ctx, const struct td_frame *f, uint64_t ts_ns,
                              const uint8_t *msg, size_t len);

struct td_tcp;
struct td_tcp *td_tcp_init(const struct td_tcp_opts *opts);
void td_tcp_destroy(struct td_tcp **tp);
/* Feed one TCP segment: f from td_frame_decode (TD_FRAME_OK, l4_proto 6), payload/len its
 * payload. Calls cb for each message completed. Returns 0, or -1 if the segment was
 * dropped (counted). */
int td_tcp_segment(struct td_tcp *t, uint64_t ts_ns, const struct td_frame *f,
                   const uint8_t *payload, size_t len, td_tcp_msg_fn cb, void *ctx);
void td_tcp_expire(struct td_tcp *t, uint64_t now_ns);
const struct td_tcp_stats *td_tcp_stats(const struct td_tcp *t);

#endif
