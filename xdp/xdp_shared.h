/* xdp_shared.h: what the XDP program (xdp/tapdns_xdp.bpf.c) and user space (tapdns-xdp, its
 * tests and bench) agree on: the counter slots of the per-CPU counter map and the verdict
 * names. Included by the BPF program too, so no libc here (frame.h's types only). */
#ifndef TD_XDP_SHARED_H
#define TD_XDP_SHARED_H

/* X(name, description). Every frame the program sees is counted in exactly one slot.
 * redirect_*: went into the AF_XDP socket of its RX queue. other_*: got the configured
 * "other" verdict (XDP_DROP or XDP_PASS). no_socket: a DNS frame or fragment on a queue with
 * no socket in the XSKMAP (it gets the "other" verdict too). */
#define TD_XDP_COUNTERS(X) \
    X(redirect_dns, "DNS frames (source or destination port in the set) sent to AF_XDP") \
    X(redirect_fragment, "IP fragments sent to AF_XDP (reassembled in user space)") \
    X(no_socket, "DNS frames or fragments on a queue without an AF_XDP socket") \
    X(other_port, "UDP/TCP frames on other ports") \
    X(other_not_ip, "frames that are not IPv4/IPv6") \
    X(other_not_udp_tcp, "IP frames that are not UDP/TCP") \
    X(other_truncated, "frames that end inside a header") \
    X(other_too_many_vlan, "frames with more than two VLAN tags") \
    X(other_bad_ip, "malformed IP headers") \
    X(other_bad_ext, "bad or too long IPv6 extension header chains") \
    X(other_bad_l4, "malformed UDP/TCP headers")

enum td_xdp_counter {
#define TD_XDP_X(name, desc) TD_XDP_C_##name,
    TD_XDP_COUNTERS(TD_XDP_X)
#undef TD_XDP_X
    TD_XDP_C__COUNT
};

/* Name of the program in the object (and as libxdp and `xdp-loader status` show it):
 * a tapdns-xdp left attached by a killed run is found by it. */
#define TD_XDP_PROG_NAME "tapdns_xdp"

#endif
