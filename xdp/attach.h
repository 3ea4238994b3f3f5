/* attach.h: the XDP program on an interface, through libxdp (its dispatcher lets other XDP
 * programs share the interface), and the one-instance-per-interface rule.
 *   td_xdp_instance_lock: an abstract AF_UNIX socket named after the interface, bound for the
 *     life of the process: the kernel frees it when the process dies however it dies (kill -9
 *     included), and it lives in the interface's network namespace. Needs no writable file.
 *   td_xdp_detach_stale: detaches every program named TD_XDP_PROG_NAME from the interface.
 *     Called with the lock held, such a program can only be left by a run that was killed,
 *     so a restart replaces it and never stacks a second one.
 * Return codes with a reason; never prints. */
#ifndef TD_XDP_ATTACH_H
#define TD_XDP_ATTACH_H
#include <stddef.h>
#include <xdp/libxdp.h>

/* Returns the lock's fd (keep it open), or -1 with err ("another tapdns-xdp runs on IF"). */
int td_xdp_instance_lock(const char *ifname, char *err, size_t errlen);
/* Returns how many stale programs were detached, or -1 with err. */
int td_xdp_detach_stale(int ifindex, char *err, size_t errlen);
/* Attaches prog (an unloaded bpf_object program: libxdp loads it). 0, or -1 with err. */
int td_xdp_attach(struct xdp_program *prog, int ifindex, enum xdp_attach_mode mode, char *err, size_t errlen);
/* Detaches prog (attached by td_xdp_attach). 0, or -1 with err. */
int td_xdp_detach(struct xdp_program *prog, int ifindex, enum xdp_attach_mode mode, char *err, size_t errlen);

#endif
