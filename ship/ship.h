/* ship.h: internals of tapdns-ship (send.c, recv.c, conn.c, sum.c, main.c). The wire codec
 * is lib/ship_proto.h; the protocol is ship/PROTOCOL.md. */
#ifndef TD_SHIP_H
#define TD_SHIP_H
#include "ship_proto.h"
#include <stddef.h>
#include <stdint.h>

#define SHIP_PROG "tapdns-ship"

/* One TCP connection with a receive buffer of two whole messages (allocated once per
 * connection). A message returned by ship_conn_read stays valid (its data pointer too) until
 * the next ship_conn_read. */
struct ship_conn {
    int fd;
    uint8_t *rbuf;
    size_t rstart, rlen;   /* undecoded octets: rbuf[rstart .. rlen) */
    size_t consumed;       /* octets of the last returned message, dropped at the next read */
    uint8_t *wbuf;         /* TD_SHIP_MSG_MAX octets for encoding */
    char peer[80];
};

/* Wraps fd (takes ownership) with timeouts of timeout_ms for send and receive. 0 or -1. */
int ship_conn_init(struct ship_conn *c, int fd, uint64_t timeout_ms, char *err, size_t errlen);
void ship_conn_close(struct ship_conn *c);
/* 1 message read, 0 the peer closed cleanly between messages, -1 error (err). */
int ship_conn_read(struct ship_conn *c, struct td_ship_msg *m, char *err, size_t errlen);
/* Encodes m into c->wbuf (DATA: m->data may point at c->wbuf + TD_SHIP_DATA_HDR) and sends
 * it whole. 0 or -1 (err). */
int ship_conn_write(struct ship_conn *c, const struct td_ship_msg *m, char *err, size_t errlen);

/* The counters of one end as DIR/NAME.prom (Prometheus text, lib/metrics.h), each as
 * tapdns_ship_<name>_total; rewritten at every stats line when [capture] metrics_dir / --metrics-dir
 * is set. 0, or -1 with err. */
struct ship_counter {
    const char *name, *help;
    uint64_t value;
};
int ship_metrics_write(const char *dir, const char *name, const struct ship_counter *c, size_t n, char *err,
                       size_t errlen);

/* 1 when s has the form "HOST:PORT" or "[V6]:PORT" (nothing is resolved), else 0. */
int ship_hostport_ok(const char *s);
/* "HOST:PORT" or "[V6]:PORT" -> connected socket, or -1 (err). */
int ship_connect(const char *hostport, char *err, size_t errlen);
/* "ADDR:PORT" -> listening socket (port 0: any free port; *bound gets "ADDR:PORT"), or -1. */
int ship_listen(const char *addrport, char *bound, size_t boundlen, char *err, size_t errlen);

/* XXH3-128 of the first size octets of fd (pread, so the offset does not move), canonical
 * form. buf is scratch of bufsize octets. 0, or -1 with err (read error or file shorter). */
int ship_sum_fd(int fd, uint64_t size, uint8_t sum[TD_SHIP_SUM_LEN], uint8_t *buf, size_t bufsize,
                char *err, size_t errlen);
/* Hex of a checksum (33 octets). */
void ship_sum_hex(const uint8_t sum[TD_SHIP_SUM_LEN], char out[2 * TD_SHIP_SUM_LEN + 1]);

/* out = dir "/" name; 0, or -1 (ENAMETOOLONG) when it does not fit in cap. */
int ship_path(char *out, size_t cap, const char *dir, const char *name);

/* Set by SIGINT/SIGTERM (handlers installed without SA_RESTART, so blocking calls return). */
extern volatile int ship_stop;
void ship_install_signals(void);
/* Monotonic ms; sleep ms unless ship_stop. */
uint64_t ship_now_ms(void);
void ship_sleep_ms(uint64_t ms);

int ship_send_main(int argc, char **argv);
int ship_recv_main(int argc, char **argv);

#endif
