/* frame.h: the one L2-L4 frame decoder, header-only. The same file compiles for the host
 * and for the BPF target (clang -target bpf), so XDP and user space cannot drift apart.
 * Every read is checked against data_end before it happens. No loops without a constant
 * bound. No libc in the BPF build.
 *
 * Contract:
 *   td_frame_decode(data, data_end, f): Ethernet II, up to two 802.1Q/802.1ad tags,
 *   IPv4 (options, fragments) or IPv6 (up to TD_FRAME_MAX_EXT extension headers, the
 *   fragment header), then UDP or TCP. Fills *f and returns a TD_FRAME_* result.
 *   td_frame_decode_ip(): the same starting at the IP header (raw-IP link types).
 *   td_frame_decode_l4(): UDP/TCP of a reassembled datagram (offsets relative to its L4).
 *   Offsets in *f are relative to `data`.
 *   Host-only helpers (td_frame_result_str) sit behind #ifndef __bpf__. */
#ifndef TD_FRAME_H
#define TD_FRAME_H

#ifdef __bpf__
/* No system header: <linux/types.h> needs <asm/types.h>, which is not on the include path
 * of a plain `clang -target bpf`. The compiler's own type macros are enough. */
typedef __UINT8_TYPE__ td_u8;
typedef __UINT16_TYPE__ td_u16;
typedef __UINT32_TYPE__ td_u32;
#else
#include <stdint.h>
#include <stddef.h>
typedef uint8_t td_u8;
typedef uint16_t td_u16;
typedef uint32_t td_u32;
#endif
#define TD_INLINE static inline __attribute__((always_inline))
/* BPF: unroll constant-bound loops so kernels without bounded-loop support (< 5.3) load it */
#ifdef __bpf__
#define TD_UNROLL _Pragma("unroll")
#else
#define TD_UNROLL
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

/* ---- byte order (no libc: the same code builds for BPF) ---------------------------- */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define td_ntohs(x) ((td_u16)__builtin_bswap16((td_u16)(x)))
#define td_ntohl(x) ((td_u32)__builtin_bswap32((td_u32)(x)))
#elif defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define td_ntohs(x) ((td_u16)(x))
#define td_ntohl(x) ((td_u32)(x))
#else
#error "frame.h: unknown byte order"
#endif
#define td_htons(x) td_ntohs(x)
#define td_htonl(x) td_ntohl(x)

/* Big-endian loads from any alignment (the caller has checked the bounds). */
TD_INLINE td_u16 td_load_be16(const td_u8 *p)
{
    td_u16 v;
    __builtin_memcpy(&v, p, sizeof v);
    return td_ntohs(v);
}

TD_INLINE td_u32 td_load_be32(const td_u8 *p)
{
    td_u32 v;
    __builtin_memcpy(&v, p, sizeof v);
    return td_ntohl(v);
}

#define TD_ETH_P_IP     0x0800
#define TD_ETH_P_IPV6   0x86dd
#define TD_ETH_P_8021Q  0x8100
#define TD_ETH_P_8021AD 0x88a8
#define TD_ETH_P_QINQ1  0x9100  /* pre-standard QinQ */

TD_INLINE int td__is_vlan(td_u16 type)
{
    return type == TD_ETH_P_8021Q || type == TD_ETH_P_8021AD || type == TD_ETH_P_QINQ1;
}

TD_INLINE int td__is_ip6_ext(td_u8 nh)
{
    return nh == 0 || nh == 43 || nh == 60 || nh == 44 || nh == 51;
}

/* Semantics shared by the decoders below.
 *   Checks come in two kinds. Against the capture (data_end): a header that does not fit in
 *   the captured bytes -> TD_FRAME_TRUNCATED. Against the lengths the packet states (IP
 *   total/payload length, UDP length, header length fields): a header that does not fit
 *   -> TD_FRAME_BAD_IP / TD_FRAME_BAD_EXT / TD_FRAME_BAD_L4.
 *   The payload is bounded by the IP length (Ethernet padding is never payload) and then by
 *   the capture: when the capture ends before the IP length says, TD_FF_IP_TRUNC is set and
 *   payload_len counts the bytes present.
 *   On any result the fields decoded so far are valid; the others are zero.
 *   For TD_FRAME_FRAGMENT: l4_proto is the upper-layer protocol, l4_off the start of the
 *   fragment data, ip_payload_len the fragment data length per the IP header, frag_id,
 *   frag_off (octets), TD_FF_FRAGMENT and TD_FF_MORE_FRAGS are set, payload_off == l4_off and
 *   payload_len the fragment data bytes present. An IPv6 fragment header with offset 0 and
 *   M clear (atomic fragment, RFC 6946) is still reported as TD_FRAME_FRAGMENT.
 *   For TD_FRAME_NOT_UDP_TCP: l4_proto, l4_off and ip_payload_len are set. */

/* UDP or TCP at l4; l4_len: its length per the IP header. base: what offsets are relative to. */
TD_INLINE int td__frame_l4(const td_u8 *base, const td_u8 *l4, const td_u8 *data_end,
                           td_u32 l4_len, struct td_frame *f)
{
    const td_u8 *pl;
    td_u32 hlen, want;

    f->l4_off = (td_u16)(l4 - base);
    f->ip_payload_len = (td_u16)l4_len;
    if (f->l4_proto == 17) {
        td_u32 ulen;
        if (l4_len < 8)
            return TD_FRAME_BAD_L4;
        if (l4 + 8 > data_end)
            return TD_FRAME_TRUNCATED;
        f->sport = td_load_be16(l4);
        f->dport = td_load_be16(l4 + 2);
        ulen = td_load_be16(l4 + 4);
        f->udp_cksum = td_load_be16(l4 + 6);
        if (ulen < 8 || ulen > l4_len)
            return TD_FRAME_BAD_L4;
        hlen = 8;
        want = ulen - 8;
    } else if (f->l4_proto == 6) {
        if (l4_len < 20)
            return TD_FRAME_BAD_L4;
        if (l4 + 20 > data_end)
            return TD_FRAME_TRUNCATED;
        f->sport = td_load_be16(l4);
        f->dport = td_load_be16(l4 + 2);
        f->tcp_seq = td_load_be32(l4 + 4);
        f->tcp_flags = l4[13];
        hlen = (td_u32)(l4[12] >> 4) * 4;
        if (hlen < 20 || hlen > l4_len)
            return TD_FRAME_BAD_L4;
        if (l4 + hlen > data_end)
            return TD_FRAME_TRUNCATED;
        want = l4_len - hlen;
    } else {
        return TD_FRAME_NOT_UDP_TCP;
    }
    pl = l4 + hlen;
    f->payload_off = (td_u16)(pl - base);
    if (pl + want > data_end)
        want = (td_u32)(data_end - pl); /* cut by the capture (TD_FF_IP_TRUNC is set) */
    f->payload_len = (td_u16)want;
    return TD_FRAME_OK;
}

/* Fragment data: l4 .. l4 + l4_len per the IP header, bounded by the capture. */
TD_INLINE int td__frame_frag(const td_u8 *base, const td_u8 *l4, const td_u8 *data_end,
                             td_u32 l4_len, struct td_frame *f)
{
    td_u32 have = l4_len;
    f->flags |= TD_FF_FRAGMENT;
    f->l4_off = (td_u16)(l4 - base);
    f->payload_off = f->l4_off;
    f->ip_payload_len = (td_u16)l4_len;
    if (l4 + have > data_end)
        have = (td_u32)(data_end - l4);
    f->payload_len = (td_u16)have;
    return TD_FRAME_FRAGMENT;
}

TD_INLINE int td__frame_ip4(const td_u8 *base, const td_u8 *l3, const td_u8 *data_end,
                            struct td_frame *f)
{
    td_u32 hlen, tot;
    td_u16 fo;

    if (l3 + 20 > data_end)
        return TD_FRAME_TRUNCATED;
    if ((l3[0] >> 4) != 4)
        return TD_FRAME_BAD_IP;
    hlen = (td_u32)(l3[0] & 0x0f) * 4;
    if (hlen < 20)
        return TD_FRAME_BAD_IP;
    if (l3 + hlen > data_end)
        return TD_FRAME_TRUNCATED;
    tot = td_load_be16(l3 + 2);
    if (tot < hlen)
        return TD_FRAME_BAD_IP;
    f->ip_version = 4;
    f->l4_proto = l3[9];
    __builtin_memcpy(f->src, l3 + 12, 4);
    __builtin_memcpy(f->dst, l3 + 16, 4);
    if (l3 + tot > data_end)
        f->flags |= TD_FF_IP_TRUNC;
    fo = td_load_be16(l3 + 6);
    if (fo & 0x3fff) {
        f->frag_id = td_load_be16(l3 + 4);
        f->frag_off = (td_u16)((fo & 0x1fff) * 8);
        if (fo & 0x2000)
            f->flags |= TD_FF_MORE_FRAGS;
        return td__frame_frag(base, l3 + hlen, data_end, tot - hlen, f);
    }
    return td__frame_l4(base, l3 + hlen, data_end, tot - hlen, f);
}

TD_INLINE int td__frame_ip6(const td_u8 *base, const td_u8 *l3, const td_u8 *data_end,
                            struct td_frame *f)
{
    const td_u8 *p;
    td_u32 plen, ext = 0;
    td_u8 nh;
    int i;

    if (l3 + 40 > data_end)
        return TD_FRAME_TRUNCATED;
    if ((l3[0] >> 4) != 6)
        return TD_FRAME_BAD_IP;
    plen = td_load_be16(l3 + 4);
    nh = l3[6];
    f->ip_version = 6;
    __builtin_memcpy(f->src, l3 + 8, 16);
    __builtin_memcpy(f->dst, l3 + 24, 16);
    if (l3 + 40 + plen > data_end)
        f->flags |= TD_FF_IP_TRUNC;
    p = l3 + 40;
    /* ext: octets of extension headers walked, always <= plen */
    TD_UNROLL
    for (i = 0; i < TD_FRAME_MAX_EXT; i++) {
        td_u32 hlen;
        if (!td__is_ip6_ext(nh))
            break;
        if (ext + 8 > plen)
            return TD_FRAME_BAD_EXT;
        if (p + 8 > data_end)
            return TD_FRAME_TRUNCATED;
        if (nh == 44) {
            td_u16 fo = td_load_be16(p + 2);
            f->l4_proto = p[0];
            f->frag_id = td_load_be32(p + 4);
            f->frag_off = (td_u16)(fo & 0xfff8);
            if (fo & 1)
                f->flags |= TD_FF_MORE_FRAGS;
            return td__frame_frag(base, p + 8, data_end, plen - ext - 8, f);
        }
        if (nh == 51)
            hlen = ((td_u32)p[1] + 2) * 4;  /* AH: 4-octet units, minus 2 */
        else
            hlen = ((td_u32)p[1] + 1) * 8;
        if (ext + hlen > plen)
            return TD_FRAME_BAD_EXT;
        if (p + hlen > data_end)
            return TD_FRAME_TRUNCATED;
        nh = p[0];
        p += hlen;
        ext += hlen;
    }
    if (td__is_ip6_ext(nh))
        return TD_FRAME_BAD_EXT; /* chain longer than TD_FRAME_MAX_EXT */
    f->l4_proto = nh;
    return td__frame_l4(base, p, data_end, plen - ext, f);
}

/* Decode an Ethernet II frame from data to data_end (see the semantics above).
 * Offsets in *f are relative to data. */
TD_INLINE int td_frame_decode(const void *data, const void *data_end, struct td_frame *f)
{
    const td_u8 *d = (const td_u8 *)data, *end = (const td_u8 *)data_end;
    const td_u8 *p;
    td_u16 type;
    int i;

    __builtin_memset(f, 0, sizeof *f);
    if (d + 14 > end)
        return TD_FRAME_TRUNCATED;
    type = td_load_be16(d + 12);
    p = d + 14;
    TD_UNROLL
    for (i = 0; i < TD_FRAME_MAX_VLAN; i++) {
        if (!td__is_vlan(type))
            break;
        if (p + 4 > end)
            return TD_FRAME_TRUNCATED;
        f->vlan_id[i] = td_load_be16(p) & 0x0fff;
        f->vlan_count++;
        f->flags |= TD_FF_VLAN;
        type = td_load_be16(p + 2);
        p += 4;
    }
    if (td__is_vlan(type))
        return TD_FRAME_TOO_MANY_VLAN;
    f->l3_off = (td_u16)(p - d);
    if (type == TD_ETH_P_IP)
        return td__frame_ip4(d, p, end, f);
    if (type == TD_ETH_P_IPV6)
        return td__frame_ip6(d, p, end, f);
    return TD_FRAME_NOT_IP;
}

/* The same from the IP header at data (raw-IP link types); the version nibble picks IPv4 or
 * IPv6. Offsets relative to data (l3_off == 0). */
TD_INLINE int td_frame_decode_ip(const void *data, const void *data_end, struct td_frame *f)
{
    const td_u8 *d = (const td_u8 *)data, *end = (const td_u8 *)data_end;

    __builtin_memset(f, 0, sizeof *f);
    if (d + 1 > end)
        return TD_FRAME_TRUNCATED;
    if ((d[0] >> 4) == 4)
        return td__frame_ip4(d, d, end, f);
    if ((d[0] >> 4) == 6)
        return td__frame_ip6(d, d, end, f);
    return TD_FRAME_BAD_IP;
}

/* Decode UDP/TCP from the L4 bytes of a reassembled datagram (l4 .. l4_end, the whole
 * datagram, at most 65535 octets). f already holds the IP fields and l4_proto (from the
 * fragment's decode); this sets l4_off = 0, payload_off and payload_len RELATIVE TO l4,
 * ip_payload_len = l4_end - l4, sport/dport and the UDP/TCP fields, clears TD_FF_MORE_FRAGS
 * and TD_FF_IP_TRUNC and keeps TD_FF_FRAGMENT (the datagram came in fragments). l3_off,
 * frag_id and frag_off are left as they were (they describe the fragment frame). */
TD_INLINE int td_frame_decode_l4(const void *l4, const void *l4_end, struct td_frame *f)
{
    const td_u8 *p = (const td_u8 *)l4, *end = (const td_u8 *)l4_end;
    td_u32 len;

    f->flags &= (td_u8)~(TD_FF_MORE_FRAGS | TD_FF_IP_TRUNC);
    f->sport = f->dport = 0;
    f->payload_off = f->payload_len = 0;
    f->udp_cksum = 0;
    f->tcp_seq = 0;
    f->tcp_flags = 0;
    if (end < p)
        return TD_FRAME_BAD_L4;
    len = (td_u32)(end - p);
    if (len > 65535)
        return TD_FRAME_BAD_L4;
    return td__frame_l4(p, p, end, len, f);
}

#ifndef __bpf__
/* Short lowercase name of a TD_FRAME_* result, for counters and logs. */
static inline const char *td_frame_result_str(int r)
{
    switch (r) {
    case TD_FRAME_OK: return "ok";
    case TD_FRAME_FRAGMENT: return "fragment";
    case TD_FRAME_TRUNCATED: return "truncated";
    case TD_FRAME_NOT_IP: return "not_ip";
    case TD_FRAME_TOO_MANY_VLAN: return "too_many_vlan";
    case TD_FRAME_BAD_IP: return "bad_ip";
    case TD_FRAME_BAD_EXT: return "bad_ext";
    case TD_FRAME_NOT_UDP_TCP: return "not_udp_tcp";
    case TD_FRAME_BAD_L4: return "bad_l4";
    default: return "unknown";
    }
}
#endif

#endif
