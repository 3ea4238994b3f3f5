/* caps.c: drop capabilities after setup (raw capset/prctl: no libcap needed). */
#include "caps.h"
#include <errno.h>
#include <linux/capability.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef CAP_PERFMON
#define CAP_PERFMON 38
#endif
#ifndef CAP_BPF
#define CAP_BPF 39
#endif

static int kept(int cap)
{
    return cap == CAP_NET_ADMIN || cap == CAP_BPF || cap == CAP_PERFMON || cap == CAP_SYS_ADMIN;
}

int td_xdp_drop_caps(char *err, size_t errlen)
{
    for (int cap = 0; cap <= 63; cap++) {
        if (kept(cap))
            continue;
        if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno != EINVAL) {
            if (errno == EPERM)
                break;  /* without CAP_SETPCAP the bounding set stays; the sets below still shrink */
            snprintf(err, errlen, "dropping capability %d from the bounding set: %s", cap, strerror(errno));
            return -1;
        }
    }
    struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
    struct __user_cap_data_struct d[2];
    memset(d, 0, sizeof d);
    if (syscall(SYS_capget, &h, d) != 0) {
        snprintf(err, errlen, "capget: %s", strerror(errno));
        return -1;
    }
    for (int i = 0; i < 2; i++) {
        uint32_t mask = 0;
        for (int b = 0; b < 32; b++)
            if (kept(i * 32 + b))
                mask |= 1u << b;
        d[i].effective &= mask;
        d[i].permitted &= mask;
        d[i].inheritable = 0;
    }
    if (syscall(SYS_capset, &h, d) != 0) {
        snprintf(err, errlen, "capset: %s", strerror(errno));
        return -1;
    }
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
        snprintf(err, errlen, "no_new_privs: %s", strerror(errno));
        return -1;
    }
    return 0;
}
