/* conn.c: TCP connect/listen and whole-message reads and writes (see ship.h). */
#include "ship.h"
#include "errf.h"
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

volatile int ship_stop;

static void on_signal(int sig)
{
    (void)sig;
    ship_stop = 1;
}

void ship_install_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal; /* no SA_RESTART: accept/recv/nanosleep return EINTR */
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sa.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &sa, NULL);
}

int ship_path(char *out, size_t cap, const char *dir, const char *name)
{
    int n = snprintf(out, cap, "%s/%s", dir, name);
    if (n < 0 || (size_t)n >= cap) {
        errno = ENAMETOOLONG;
        return -1;
    }
    return 0;
}

uint64_t ship_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

void ship_sleep_ms(uint64_t ms)
{
    uint64_t end = ship_now_ms() + ms;
    while (!ship_stop) {
        uint64_t now = ship_now_ms();
        if (now >= end)
            break;
        uint64_t left = end - now;
        struct timespec ts = { (time_t)(left / 1000), (long)(left % 1000) * 1000000L };
        nanosleep(&ts, NULL);
    }
}

int ship_conn_init(struct ship_conn *c, int fd, uint64_t timeout_ms, char *err, size_t errlen)
{
    memset(c, 0, sizeof *c);
    c->fd = fd;
    struct timeval tv = { (time_t)(timeout_ms / 1000), (suseconds_t)(timeout_ms % 1000) * 1000 };
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    c->rbuf = malloc(2 * TD_SHIP_MSG_MAX);
    c->wbuf = malloc(TD_SHIP_MSG_MAX);
    if (!c->rbuf || !c->wbuf) {
        td_errf(err, errlen, "out of memory");
        ship_conn_close(c);
        return -1;
    }
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    char host[INET6_ADDRSTRLEN] = "?", port[8] = "?";
    if (getpeername(fd, (struct sockaddr *)&ss, &sl) == 0)
        getnameinfo((struct sockaddr *)&ss, sl, host, sizeof host, port, sizeof port, NI_NUMERICHOST | NI_NUMERICSERV);
    snprintf(c->peer, sizeof c->peer, "%s%s%s:%s", strchr(host, ':') ? "[" : "", host, strchr(host, ':') ? "]" : "", port);
    return 0;
}

void ship_conn_close(struct ship_conn *c)
{
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
    free(c->rbuf);
    free(c->wbuf);
    c->rbuf = c->wbuf = NULL;
}

int ship_conn_read(struct ship_conn *c, struct td_ship_msg *m, char *err, size_t errlen)
{
    c->rstart += c->consumed;
    c->consumed = 0;
    for (;;) {
        size_t used;
        const char *why = "malformed message";
        int r = td_ship_decode(c->rbuf + c->rstart, c->rlen - c->rstart, m, &used, &why);
        if (r == TD_SHIP_OK) {
            c->consumed = used;
            return 1;
        }
        if (r == TD_SHIP_BAD) {
            td_errf(err, errlen, "from %s: %s", c->peer, why);
            return -1;
        }
        if (c->rstart > 0) { /* compact: a whole message always fits after this */
            memmove(c->rbuf, c->rbuf + c->rstart, c->rlen - c->rstart);
            c->rlen -= c->rstart;
            c->rstart = 0;
        }
        ssize_t n = recv(c->fd, c->rbuf + c->rlen, 2 * TD_SHIP_MSG_MAX - c->rlen, 0);
        if (n == 0) {
            if (c->rlen == 0)
                return 0;
            td_errf(err, errlen, "%s closed the connection in the middle of a message", c->peer);
            return -1;
        }
        if (n < 0) {
            if (errno == EINTR && !ship_stop)
                continue;
            td_errf(err, errlen, "receive from %s: %s", c->peer,
                    errno == EAGAIN || errno == EWOULDBLOCK ? "timed out" : strerror(errno));
            return -1;
        }
        c->rlen += (size_t)n;
    }
}

int ship_conn_write(struct ship_conn *c, const struct td_ship_msg *m, char *err, size_t errlen)
{
    size_t len = td_ship_encode(m, c->wbuf, TD_SHIP_MSG_MAX);
    if (len == 0) {
        td_errf(err, errlen, "cannot encode message type %u", m->type);
        return -1;
    }
    size_t off = 0;
    while (off < len) {
        ssize_t n = send(c->fd, c->wbuf + off, len - off, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR && !ship_stop)
                continue;
            td_errf(err, errlen, "send to %s: %s", c->peer,
                    errno == EAGAIN || errno == EWOULDBLOCK ? "timed out" : strerror(errno));
            return -1;
        }
        off += (size_t)n;
    }
    return 0;
}

/* Splits "HOST:PORT" / "[V6]:PORT" into host and port. 0 or -1. */
static int split_hostport(const char *s, char *host, size_t hcap, char *port, size_t pcap)
{
    const char *colon;
    const char *h = s;
    size_t hl;
    if (s[0] == '[') {
        const char *rb = strchr(s, ']');
        if (!rb || rb[1] != ':')
            return -1;
        h = s + 1;
        hl = (size_t)(rb - h);
        colon = rb + 1;
    } else {
        colon = strrchr(s, ':');
        if (!colon)
            return -1;
        hl = (size_t)(colon - s);
    }
    size_t pl = strlen(colon + 1);
    if (hl == 0 || hl >= hcap || pl == 0 || pl >= pcap)
        return -1;
    memcpy(host, h, hl);
    host[hl] = 0;
    memcpy(port, colon + 1, pl + 1);
    return 0;
}

int ship_hostport_ok(const char *s)
{
    char host[256], port[16];
    return s && split_hostport(s, host, sizeof host, port, sizeof port) == 0;
}

static struct addrinfo *resolve(const char *hostport, int passive, char *err, size_t errlen)
{
    char host[256], port[16];
    if (split_hostport(hostport, host, sizeof host, port, sizeof port) != 0) {
        td_errf(err, errlen, "'%s' is not HOST:PORT", hostport);
        return NULL;
    }
    struct addrinfo hints, *ai = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = passive ? AI_PASSIVE : 0;
    int g = getaddrinfo(host, port, &hints, &ai);
    if (g != 0) {
        td_errf(err, errlen, "%s: %s", hostport, gai_strerror(g));
        return NULL;
    }
    return ai;
}

int ship_connect(const char *hostport, char *err, size_t errlen)
{
    struct addrinfo *ai = resolve(hostport, 0, err, errlen);
    if (!ai)
        return -1;
    int fd = -1, e = 0;
    for (struct addrinfo *a = ai; a; a = a->ai_next) {
        fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
        if (fd < 0) {
            e = errno;
            continue;
        }
        if (connect(fd, a->ai_addr, a->ai_addrlen) == 0)
            break;
        e = errno;
        close(fd);
        fd = -1;
    }
    freeaddrinfo(ai);
    if (fd < 0)
        td_errf(err, errlen, "connect to %s: %s", hostport, strerror(e));
    return fd;
}

int ship_listen(const char *addrport, char *bound, size_t boundlen, char *err, size_t errlen)
{
    struct addrinfo *ai = resolve(addrport, 1, err, errlen);
    if (!ai)
        return -1;
    int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
    int one = 1;
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
        bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, 16) != 0) {
        td_errf(err, errlen, "listen on %s: %s", addrport, strerror(errno));
        if (fd >= 0)
            close(fd);
        freeaddrinfo(ai);
        return -1;
    }
    freeaddrinfo(ai);
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    char host[INET6_ADDRSTRLEN] = "?", port[8] = "?";
    if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0)
        getnameinfo((struct sockaddr *)&ss, sl, host, sizeof host, port, sizeof port, NI_NUMERICHOST | NI_NUMERICSERV);
    snprintf(bound, boundlen, "%s%s%s:%s", strchr(host, ':') ? "[" : "", host, strchr(host, ':') ? "]" : "", port);
    return fd;
}
