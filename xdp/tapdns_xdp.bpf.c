/* tapdns_xdp.bpf.c: the XDP half of tapdns-xdp. L2-L4 classification only, by the shared
 * decoder lib/frame.h (never a second parser):
 *   - DNS frames (source or destination port in the port set, UDP or TCP, both directions:
 *     queries are needed for matching) and IP fragments (their port is not known before
 *     reassembly) go into the AF_XDP socket of ctx->rx_queue_index through the XSKMAP;
 *   - every other frame gets the "other" verdict (XDP_DROP on a dedicated tap, XDP_PASS on a
 *     shared interface), as does a DNS frame on a queue without a socket;
 *   - each frame is counted in exactly one per-CPU slot (xdp_shared.h).
 * Configuration is read-only data set by the loader before load (td_cfg_*). */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "frame.h"
#include "xdp_shared.h"

/* DNS port set: bit p set = port p is a DNS port (the sensor filter's bitmap, copied in). */
const volatile td_u8 td_cfg_ports[65536 / 8] = { [53 >> 3] = 1 << (53 & 7) };
/* Verdict for frames not sent to user space: XDP_DROP (default) or XDP_PASS. */
const volatile td_u32 td_cfg_other = XDP_DROP;

struct {
    __uint(type, BPF_MAP_TYPE_XSKMAP);
    __uint(max_entries, 256);   /* RX queues; slot = queue id */
    __type(key, td_u32);
    __type(value, td_u32);
} td_xsks SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, TD_XDP_C__COUNT);
    __type(key, td_u32);
    __type(value, __u64);
} td_counters SEC(".maps");

static __always_inline int td_count(td_u32 slot, int verdict)
{
    __u64 *v = bpf_map_lookup_elem(&td_counters, &slot);
    if (v)
        *v += 1;    /* per-CPU slot: no other writer */
    return verdict;
}

static __always_inline int td_is_dns_port(td_u16 port)
{
    return (td_cfg_ports[port >> 3] >> (port & 7)) & 1;
}

static __always_inline int td_to_user(struct xdp_md *ctx, td_u32 slot)
{
    td_u32 other = td_cfg_other;
    /* bpf_redirect_map returns its flags' low bits (the fallback verdict) on an empty slot */
    long r = bpf_redirect_map(&td_xsks, ctx->rx_queue_index, other);
    if (r != XDP_REDIRECT)
        return td_count(TD_XDP_C_no_socket, (int)r);
    return td_count(slot, XDP_REDIRECT);
}

SEC("xdp")
int tapdns_xdp(struct xdp_md *ctx)
{
    const void *data = (const void *)(unsigned long)ctx->data;
    const void *data_end = (const void *)(unsigned long)ctx->data_end;
    int other = (int)td_cfg_other;
    struct td_frame f;
    int r = td_frame_decode(data, data_end, &f);

    switch (r) {
    case TD_FRAME_OK:
        if (td_is_dns_port(f.sport) || td_is_dns_port(f.dport))
            return td_to_user(ctx, TD_XDP_C_redirect_dns);
        return td_count(TD_XDP_C_other_port, other);
    case TD_FRAME_FRAGMENT:
        return td_to_user(ctx, TD_XDP_C_redirect_fragment);
    case TD_FRAME_NOT_IP:
        return td_count(TD_XDP_C_other_not_ip, other);
    case TD_FRAME_NOT_UDP_TCP:
        return td_count(TD_XDP_C_other_not_udp_tcp, other);
    case TD_FRAME_TRUNCATED:
        return td_count(TD_XDP_C_other_truncated, other);
    case TD_FRAME_TOO_MANY_VLAN:
        return td_count(TD_XDP_C_other_too_many_vlan, other);
    case TD_FRAME_BAD_IP:
        return td_count(TD_XDP_C_other_bad_ip, other);
    case TD_FRAME_BAD_EXT:
        return td_count(TD_XDP_C_other_bad_ext, other);
    default:
        return td_count(TD_XDP_C_other_bad_l4, other);
    }
}

char _license[] SEC("license") = "GPL";
