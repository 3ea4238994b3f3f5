/* xdp_prog.c: open the XDP program's skeleton with its configuration; read its counters. */
#include "xdp_prog.h"
#include "tapdns_xdp.skel.h"
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const char *const counter_names[] = {
#define TD_XDP_X(name, desc) #name,
    TD_XDP_COUNTERS(TD_XDP_X)
#undef TD_XDP_X
};
static const char *const counter_descs[] = {
#define TD_XDP_X(name, desc) desc,
    TD_XDP_COUNTERS(TD_XDP_X)
#undef TD_XDP_X
};

const char *td_xdp_counter_name(int i)
{
    return i >= 0 && i < TD_XDP_C__COUNT ? counter_names[i] : NULL;
}

const char *td_xdp_counter_desc(int i)
{
    return i >= 0 && i < TD_XDP_C__COUNT ? counter_descs[i] : NULL;
}

struct tapdns_xdp *td_xdp_prog_open(const struct td_xdp_prog_opts *o, char *err, size_t errlen)
{
    struct tapdns_xdp *skel = tapdns_xdp__open();
    if (!skel) {
        snprintf(err, errlen, "opening the BPF object: %s", strerror(errno));
        return NULL;
    }
    _Static_assert(sizeof skel->rodata->td_cfg_ports == 65536 / 8, "port bitmap size");
    if (o->port_bitmap)
        memcpy((void *)skel->rodata->td_cfg_ports, o->port_bitmap, sizeof skel->rodata->td_cfg_ports);
    skel->rodata->td_cfg_other = o->other_pass ? XDP_PASS : XDP_DROP;
    return skel;
}

int td_xdp_prog_counters(int fd, uint64_t out[TD_XDP_C__COUNT])
{
    int ncpu = libbpf_num_possible_cpus();
    if (ncpu <= 0 || ncpu > 4096) {
        errno = EINVAL;
        return -1;
    }
    uint64_t vals[4096];
    for (uint32_t k = 0; k < TD_XDP_C__COUNT; k++) {
        if (bpf_map_lookup_elem(fd, &k, vals) != 0)
            return -1;
        out[k] = 0;
        for (int c = 0; c < ncpu; c++)
            out[k] += vals[c];
    }
    return 0;
}
