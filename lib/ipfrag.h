/* ipfrag.h: IPv4 and IPv6 fragment reassembly. Bounded: at most max_datagrams in progress
 * and max_bytes held in total (the oldest datagram is evicted when full); a datagram not
 * complete within timeout_ns is dropped. Overlaps: a fragment that overlaps held data with
 * the same bytes is accepted (retransmission); one with different bytes drops the whole
 * datagram (counted as overlap_conflict: an evasion attempt, never guessed). A datagram
 * bigger than 65535 octets is dropped. No allocation per fragment after init. */
#ifndef TD_IPFRAG_H
#define TD_IPFRAG_H
#include <stddef.h>
#include <stdint.h>
#include "frame.h"

struct td_ipfrag_opts {
    size_t max_datagrams;   /* default 4096 */
    size_t max_bytes;       /* default 16 MiB */
    uint64_t timeout_ns;    /* default 30 s */
};

struct td_ipfrag_stats {
    uint64_t fragments;         /* fragments fed */
    uint64_t reassembled;       /* datagrams completed */
    uint64_t timeouts;          /* datagrams dropped incomplete after timeout */
    uint64_t evicted;           /* datagrams dropped because the table was full */
    uint64_t overlap_conflict;  /* datagrams dropped for conflicting overlaps */
    uint64_t invalid;           /* fragments dropped: too big, bad offsets, truncated capture */
    uint64_t in_progress;       /* gauge */
    uint64_t bytes_held;        /* gauge */
};

struct td_ipfrag;
struct td_ipfrag *td_ipfrag_init(const struct td_ipfrag_opts *opts);
void td_ipfrag_destroy(struct td_ipfrag **tp);

/* Feed one fragment: f as filled by td_frame_decode() with TD_FRAME_FRAGMENT, frame = the
 * frame bytes (fragment data at frame + f->l4_off, f->ip_payload_len long). Datagrams are
 * keyed by (ip version, src, dst, l4 proto, frag id).
 * Returns 1 when this fragment completes a datagram: *out points to the reassembled L4 bytes
 * (UDP/TCP header + payload; owned by the table, valid until the next call) and *out_len its
 * length; 0 when held; -1 when dropped (the reason is counted in the stats). */
int td_ipfrag_add(struct td_ipfrag *t, uint64_t ts_ns, const struct td_frame *f,
                  const uint8_t *frame, const uint8_t **out, size_t *out_len);
/* Drop datagrams older than timeout. Cheap; call once per batch of frames. */
void td_ipfrag_expire(struct td_ipfrag *t, uint64_t now_ns);
const struct td_ipfrag_stats *td_ipfrag_stats(const struct td_ipfrag *t);

#endif
