/* attach.c: libxdp attach/detach, stale-program replacement and the instance lock. */
#include "attach.h"
#include "xdp_shared.h"
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int td_xdp_instance_lock(const char *ifname, char *err, size_t errlen)
{
    struct sockaddr_un a;
    memset(&a, 0, sizeof a);
    a.sun_family = AF_UNIX;
    /* abstract name: sun_path[0] == 0 */
    int n = snprintf(a.sun_path + 1, sizeof a.sun_path - 1, "tapdns-xdp/%s", ifname);
    if (n < 0 || (size_t)n >= sizeof a.sun_path - 1) {
        snprintf(err, errlen, "interface name too long");
        return -1;
    }
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        snprintf(err, errlen, "lock socket: %s", strerror(errno));
        return -1;
    }
    if (bind(fd, (struct sockaddr *)&a, (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + (size_t)n)) != 0) {
        int e = errno;
        close(fd);
        if (e == EADDRINUSE)
            snprintf(err, errlen, "another tapdns-xdp already runs on %s", ifname);
        else
            snprintf(err, errlen, "lock socket bind: %s", strerror(e));
        return -1;
    }
    return fd;
}

static void xdp_err(char *err, size_t errlen, const char *what, int r)
{
    char buf[160];
    libxdp_strerror(r, buf, sizeof buf);
    snprintf(err, errlen, "%s: %s", what, buf);
}

int td_xdp_detach_stale(int ifindex, char *err, size_t errlen)
{
    struct xdp_multiprog *mp = xdp_multiprog__get_from_ifindex(ifindex);
    long e = libxdp_get_error(mp);
    if (e == -ENOENT || !mp)
        return 0;       /* nothing attached */
    if (e) {
        xdp_err(err, errlen, "reading the interface's XDP programs", (int)e);
        return -1;
    }
    enum xdp_attach_mode mode = xdp_multiprog__attach_mode(mp);
    uint32_t ids[64];
    int n = 0;
    if (xdp_multiprog__is_legacy(mp)) {
        struct xdp_program *p = xdp_multiprog__main_prog(mp);
        if (p && !strcmp(xdp_program__name(p), TD_XDP_PROG_NAME))
            ids[n++] = xdp_program__id(p);
    } else {
        for (struct xdp_program *p = xdp_multiprog__next_prog(NULL, mp); p && n < 64;
             p = xdp_multiprog__next_prog(p, mp))
            if (!strcmp(xdp_program__name(p), TD_XDP_PROG_NAME))
                ids[n++] = xdp_program__id(p);
    }
    xdp_multiprog__close(mp);
    for (int i = 0; i < n; i++) {
        struct xdp_program *p = xdp_program__from_id(ids[i]);
        if (libxdp_get_error(p)) {
            snprintf(err, errlen, "stale program id %u: cannot open", ids[i]);
            return -1;
        }
        int r = xdp_program__detach(p, ifindex, mode, 0);
        xdp_program__close(p);
        if (r) {
            xdp_err(err, errlen, "detaching a stale tapdns-xdp program", r);
            return -1;
        }
    }
    return n;
}

int td_xdp_attach(struct xdp_program *prog, int ifindex, enum xdp_attach_mode mode, char *err, size_t errlen)
{
    int r = xdp_program__attach(prog, ifindex, mode, 0);
    if (r) {
        xdp_err(err, errlen, "attaching the XDP program", r);
        return -1;
    }
    return 0;
}

int td_xdp_detach(struct xdp_program *prog, int ifindex, enum xdp_attach_mode mode, char *err, size_t errlen)
{
    int r = xdp_program__detach(prog, ifindex, mode, 0);
    if (r) {
        xdp_err(err, errlen, "detaching the XDP program", r);
        return -1;
    }
    return 0;
}
