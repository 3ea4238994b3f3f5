/* xdp_prog.h: the XDP program object as user space handles it (tapdns-xdp, its tests and
 * bench): open the skeleton with its read-only configuration set, read the per-CPU counters.
 * Loading and attaching are the caller's (libxdp for tapdns-xdp, bpf_object load for
 * BPF_PROG_RUN tests). Returns codes with a reason; never prints. */
#ifndef TD_XDP_PROG_H
#define TD_XDP_PROG_H
#include <stddef.h>
#include <stdint.h>
#include "frame.h"          /* td_u8 etc., used by the skeleton's rodata struct */
#include "xdp_shared.h"

struct tapdns_xdp;          /* the skeleton (tapdns_xdp.skel.h) */

struct td_xdp_prog_opts {
    const uint8_t *port_bitmap; /* 8192 octets, bit p = port p is DNS (td_sensor_filter) */
    int other_pass;             /* 0: other frames XDP_DROP; 1: XDP_PASS */
};

/* Opens the skeleton (not loaded) with the configuration in its rodata. NULL with err. */
struct tapdns_xdp *td_xdp_prog_open(const struct td_xdp_prog_opts *o, char *err, size_t errlen);
/* Sums the per-CPU counters of map fd into out[TD_XDP_C__COUNT]. 0, or -1 (errno). */
int td_xdp_prog_counters(int counters_fd, uint64_t out[TD_XDP_C__COUNT]);
/* Name and description of counter slot i (NULL out of range). */
const char *td_xdp_counter_name(int i);
const char *td_xdp_counter_desc(int i);

#endif
