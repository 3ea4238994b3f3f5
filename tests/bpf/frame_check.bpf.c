/* frame_check: proof that lib/frame.h compiles for the BPF target and passes the verifier.
 * Minimal XDP programs: decode the frame, pass DNS (port 53) and IP fragments, drop the rest.
 * No system headers: <linux/bpf.h> needs <asm/types.h>, which a plain `clang -target bpf`
 * does not find, so the few kernel ABI items used are declared here. */
#include "frame.h"

#define SEC(name) __attribute__((section(name), used))

/* Kernel ABI (include/uapi/linux/bpf.h): the XDP context and verdicts. */
struct xdp_md {
    td_u32 data;
    td_u32 data_end;
    td_u32 data_meta;
    td_u32 ingress_ifindex;
    td_u32 rx_queue_index;
    td_u32 egress_ifindex;
};

enum { TD_XDP_ABORTED = 0, TD_XDP_DROP = 1, TD_XDP_PASS = 2 };

SEC("xdp")
int td_frame_check(struct xdp_md *ctx)
{
    const void *data = (const void *)(unsigned long)ctx->data;
    const void *data_end = (const void *)(unsigned long)ctx->data_end;
    struct td_frame f;
    int r = td_frame_decode(data, data_end, &f);

    if (r == TD_FRAME_FRAGMENT)
        return TD_XDP_PASS;
    if (r == TD_FRAME_OK && (f.sport == 53 || f.dport == 53) && f.payload_len >= 12)
        return TD_XDP_PASS;
    return TD_XDP_DROP;
}

/* The raw-IP entry point through the verifier as well (as if the link had no L2 header). */
SEC("xdp")
int td_frame_check_ip(struct xdp_md *ctx)
{
    const void *data = (const void *)(unsigned long)ctx->data;
    const void *data_end = (const void *)(unsigned long)ctx->data_end;
    struct td_frame f;
    int r = td_frame_decode_ip(data, data_end, &f);

    return r == TD_FRAME_OK || r == TD_FRAME_FRAGMENT ? TD_XDP_PASS : TD_XDP_DROP;
}

char _license[] SEC("license") = "GPL";
