/* frame_build.h: builds an Ethernet II + IPv4/IPv6 + UDP/TCP frame around a payload, with
 * correct IP and L4 checksums. Used by `tapdns-spool to-pcap` to give records back to tools
 * that read pcap (tcpdump, Wireshark). No fragmentation: a big datagram becomes one frame. */
#ifndef TD_FRAME_BUILD_H
#define TD_FRAME_BUILD_H
#include <stddef.h>
#include <stdint.h>

struct td_frame_spec {
    int ip_version;          /* 4 or 6 */
    int proto;               /* 17 or 6 */
    const uint8_t *src, *dst;/* 4 or 16 octets */
    uint16_t sport, dport;
    uint32_t tcp_seq, tcp_ack;
    uint8_t tcp_flags;
};

/* Returns the frame length, or 0 if cap is too small or the payload too big for one
 * IP datagram. */
size_t td_frame_build(const struct td_frame_spec *s, const uint8_t *payload, size_t len,
                      uint8_t *out, size_t cap);
/* The 16-bit one's-complement Internet checksum (RFC 1071) of a buffer, continuing sum. */
uint32_t td_inet_sum(const uint8_t *p, size_t len, uint32_t sum);
uint16_t td_inet_fold(uint32_t sum);

#endif
