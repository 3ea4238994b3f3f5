/* caps.h: after setup tapdns-xdp keeps only the capabilities it still needs: detaching the
 * program at exit goes through libxdp, which may load a new dispatcher for the programs that
 * stay (CAP_BPF, CAP_PERFMON, CAP_SYS_ADMIN on older kernels), talks netlink (CAP_NET_ADMIN)
 * and unpins from bpffs. Everything else (CAP_NET_RAW, CAP_DAC_*, CAP_SYS_RESOURCE, ...) is
 * dropped from the effective, permitted, inheritable and bounding sets, and no_new_privs is
 * set. Returns 0, or -1 with err. */
#ifndef TD_XDP_CAPS_H
#define TD_XDP_CAPS_H
#include <stddef.h>
int td_xdp_drop_caps(char *err, size_t errlen);
#endif
