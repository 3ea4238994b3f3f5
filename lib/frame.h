/* frame.h: the one L2-L4 frame decoder, header-only. The same file compiles for the host
 * and for the BPF target (clang -target bpf), so XDP and user space cannot drift apart.
 * Every read is checked against data_end before it happens. No loops without a constant
 * bound. No libc in the BPF build.
 *
 * Contract:
 *   td_frame_decode(data, data_end, f): Ethernet II, up to two 802.1Q/802.1ad tags,
 *   IPv4 (options, fragments) or IPv6 (up to TD_FRAME_MAX_EXT extension headers, the
 *   fragment header), then UDP or TCP. Fills *f and returns a TD_FRAME_* result.
 *   td_frame_decode_ip(): the same starting at the IP header (used for reassembled datagrams
 *   and for raw-IP link types).
 *   Offsets in *f are relative to `data`.
 *
 * IMPLEMENTATION: helper A writes the bodies (see the issue brief). */
#ifndef TD_FRAME_H
#define TD_FRAME_H

#ifdef __bpf__
#include <linux/types.h>
typedef __u8 td_u8;
typedef __u16 td_u16;
typedef __u32 td_u32;
#define TD_INLINE static __always_inline
#else
#include <stdint.h>
#include <stddef.h>
typedef uint8_t td_u8;
typedef uint16_t td_u16;
typedef uint32_t td_u32;
#define TD_INLINE static inline __attribute__((always_inline))
#endif

#define TD_FRAME_MAX_VLAN 2
#define TD_FRAME_MAX_EXT  8   /* IPv6 extension headers walked at most */

enum td_frame_result {
    TD_FRAME_OK = 0,            /* L4 decoded: UDP or TCP, payload located */
    TD_FRAME_FRAGMENT,          /* IP fragment: frag fields set, needs reassembly */
    TD_FRAME_TRUNCATED,         /* frame ends inside a header */
    TD_FRAME_NOT_IP,            /* ethertype not IPv4/IPv6 (ARP, LLDP, ...) */
    TD_FRAME_TOO_MANY_VLAN,     /* more than TD_FRAME_MAX_VLAN tags */
    TD_FRAME_BAD_IP,            /* bad version, IHL < 5, total length < header, ... */
    TD_FRAME_BAD_EXT,           /* IPv6 extension header chain too long or malformed */
    TD_FRAME_NOT_UDP_TCP,       /* ICMP, ESP, ... */
    TD_FRAME_BAD_L4,            /* UDP length < 8 or past the IP payload, TCP data offset < 5 */
    TD_FRAME__COUNT
};

#define TD_FF_VLAN        0x01
#define TD_FF_FRAGMENT    0x02  /* is a fragment */
#define TD_FF_MORE_FRAGS  0x04
#define TD_FF_IP_TRUNC    0x08  /* captured bytes end before the IP total length (snaplen) */

struct td_frame {
    td_u8 ip_version;       /* 4 or 6 */
    td_u8 l4_proto;         /* 17, 6, or the upper-layer protocol of a fragment */
    td_u8 vlan_count;
    td_u8 flags;            /* TD_FF_* */
    td_u16 vlan_id[TD_FRAME_MAX_VLAN];
    td_u16 l3_off;          /* IP header */
    td_u16 l4_off;          /* UDP/TCP header; for a fragment: start of the fragment data */
    td_u16 payload_off;     /* UDP/TCP payload */
    td_u16 payload_len;     /* bytes of payload present (bounded by IP length and capture) */
    td_u16 ip_payload_len;  /* L4 length per the IP header (or fragment data length) */
    td_u16 sport, dport;    /* host byte order */
    td_u8 src[16], dst[16]; /* IPv4: first 4 octets, the rest zero */
    /* fragments */
    td_u32 frag_id;         /* IPv4 id (16 bits) or IPv6 fragment id */
    td_u16 frag_off;        /* offset in bytes */
    /* UDP */
    td_u16 udp_cksum;       /* as on the wire (network order value converted to host) */
    /* TCP */
    td_u32 tcp_seq;
    td_u8 tcp_flags;        /* FIN 0x01 SYN 0x02 RST 0x04 PSH 0x08 ACK 0x10 */
};

#endif
