/* server_int.h: what the parts of tapdns-queryd share (server.c routing and limits, stream.c one
 * streamed query, reload.c the index handle and FILESET watch, access_log.c, server_metrics.c).
 * Private to query/server*.c, stream.c, reload.c, access_log.c. One event loop, no threads. */
#ifndef TD_QUERY_SERVER_INT_H
#define TD_QUERY_SERVER_INT_H
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/queue.h>
#include <time.h>
#include "json.h"
#include "apikeys.h"
#include "output.h"
#include "request.h"
#include "server.h"

struct event;
struct event_base;
struct evhttp;
struct evhttp_request;
struct evhttp_connection;
struct evhttp_bound_socket;
struct td_qmetrics;

/* Results per slice and the byte size that also ends a slice: one slice is one chunk, so a
 * connection holds at most about one slice of output (the next one is made only once the
 * previous one has left the output buffer). */
#define TD_QSLICE_RESULTS 512
#define TD_QSLICE_BYTES (64u << 10)

/* ---- reload.c: the current index, refcounted ---- */
struct td_qidx {
    struct td_index *idx;
    unsigned refs;          /* streams using it, +1 while it is the current handle */
    size_t generations;
};

struct td_qreload {
    struct td_qserver *srv;
    char root[4096];
    struct td_qidx *cur;    /* NULL when the last open failed (queries get 503 until one works) */
    int have_sig;
    uint64_t sig_dev, sig_ino, sig_size, sig_mtime_ns;
    struct event *tick;
    uint64_t reloads, failures;
    char last_err[256];
};

/* 0 or -1 with err (the first open must work). */
int td_qreload_init(struct td_qreload *rl, struct td_qserver *srv, const char *root, char *err, size_t errlen);
void td_qreload_fini(struct td_qreload *rl);
/* A reference to the current index for one query, or NULL when no index is open. */
struct td_qidx *td_qreload_acquire(struct td_qreload *rl);
void td_qreload_release(struct td_qreload *rl, struct td_qidx *ix);
/* One check of ROOT/FILESET now (the tick calls it every reload_interval). */
void td_qreload_check(struct td_qreload *rl);

/* ---- stream.c: one lookup or summarize ---- */
enum td_qstream_state { TD_QS_IDLE = 0, TD_QS_RUNNING };

struct td_qstream {
    TAILQ_ENTRY(td_qstream) link;
    struct td_qserver *srv;
    enum td_qstream_state state;
    struct evhttp_request *req;
    struct evhttp_connection *evcon;
    struct td_qrequest rq;
    const struct td_key *key;      /* &key_copy or NULL */
    struct td_key key_copy;        /* the key as charged (keys may be reloaded meanwhile) */
    struct td_qidx *ix;
    struct td_index_iter *it;
    struct td_json j;
    struct td_qsummary sum;
    struct event *slice_ev, *deadline_ev;
    struct timespec t0;
    uint64_t want;          /* results to print before "limited"; UINT64_MAX: no limit */
    uint64_t seen;          /* index results read */
    uint64_t results;       /* objects written */
    uint64_t bytes;
    int begun;              /* td_qout_begin done */
    int started;            /* reply headers sent */
    int expired;            /* deadline passed */
    int status;
    char keyname[33];
    char path[512];         /* for the access log (cut) */
};
TAILQ_HEAD(td_qstream_list, td_qstream);

/* Takes a parsed, limited and charged request (s->rq, s->key set by server.c) and runs it;
 * the stream answers and releases itself. */
void td_qstream_begin(struct td_qstream *s);
/* Server shutdown: end the stream now (the client sees a truncated answer). */
void td_qstream_abort(struct td_qstream *s);

/* ---- server.c ---- */
struct td_qserver {
    struct event_base *base;
    struct td_qserver_conf conf;
    char *owned[8];
    struct evhttp *http, *mhttp;
    struct evhttp_bound_socket *sock, *msock;
    unsigned port, mport;
    struct td_keys *keys;
    struct event *save_ev;         /* every second: quota state save, keys file check */
    uint64_t keys_sig[4];          /* dev, ino, size, mtime ns of the keys file */
    struct td_qreload rl;
    struct td_qstream_list active;   /* running */
    struct td_qstream_list free;     /* reusable stream objects (bounded by max_concurrent) */
    unsigned nactive, nfree;
    struct td_qrequest scratch;      /* requests answered at once (ping, rate_limit, errors) */
    struct td_json j;                /* their bodies */
    FILE *log;
    int log_owned;
    struct td_qmetrics *met;
    int shutting_down;
};

/* Answers req with status and a one-line plain-text body "Error: REASON\n" (or body as
 * given when raw is set), adds X-RateLimit-* for key. */
void td_qserver_error(struct td_qserver *srv, struct evhttp_request *req, int status, const char *reason,
                      const struct td_key *key);
void td_qserver_ratelimit_headers(struct td_qserver *srv, struct evhttp_request *req, const struct td_key *key);
const char *td_qserver_reason_phrase(int status);
/* A stream has ended: back to the free list. */
void td_qserver_stream_done(struct td_qserver *srv, struct td_qstream *s);
/* The index changed (reload.c): metrics. */
void td_qserver_index_changed(struct td_qserver *srv);
double td_qelapsed_ms(const struct timespec *t0);

/* ---- access_log.c ---- */
/* One line: RFC 3339 time, key name or "-", status, results, bytes, milliseconds, path+query.
 * Control characters and spaces in the path are escaped (%XX) so a line stays one line. */
void td_qaccess_log(FILE *f, const char *key, int status, uint64_t results, uint64_t bytes, double ms,
                    const char *path);

/* ---- server_metrics.c ---- */
struct td_qmetrics *td_qmetrics_new(char *err, size_t errlen);
void td_qmetrics_free(struct td_qmetrics **mp);
void td_qmetrics_request(struct td_qmetrics *m, int status, uint64_t results, uint64_t bytes, double ms);
void td_qmetrics_inflight(struct td_qmetrics *m, unsigned n);
void td_qmetrics_reload(struct td_qmetrics *m, int ok, size_t generations);
/* The /metrics handler for evhttp_set_gencb on the metrics listener. */
void td_qmetrics_http(struct evhttp_request *req, void *arg);

#endif
