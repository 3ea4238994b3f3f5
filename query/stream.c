/* stream.c: one lookup or summarize, streamed (server_int.h).
 *
 * A lookup reads the index iterator in slices (TD_QSLICE_RESULTS results or TD_QSLICE_BYTES of
 * output, whichever comes first); each slice becomes one HTTP chunk, and the next slice is made
 * only from the chunk's write callback, i.e. once the connection's output buffer is empty. So
 * a connection holds at most one slice however slowly its client reads, and fast clients get a
 * slice per event-loop turn. A summarize reads slices too (one per loop turn, so other
 * connections are served) and answers once.
 * The iterator is asked for limit+1 results: the extra one proves the limit cut the answer
 * ("limited", "Result limit reached"). The deadline timer ends the answer with SAF "failed"
 * ("Processing timeout; results may be incomplete"), also while waiting on a slow reader. A
 * client that goes away (the connection's close callback) ends the
 * stream at once: iterator closed, index reference dropped. */
#include "server_int.h"
#include "errf.h"
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <stdlib.h>
#include <string.h>

#define TD_QMSG_LIMIT "Result limit reached"
#define TD_QMSG_TIMEOUT "Processing timeout; results may be incomplete"

static void run_slice(struct td_qstream *s);

static void finish(struct td_qstream *s)
{
    struct td_qserver *srv = s->srv;
    if (s->slice_ev)
        event_del(s->slice_ev);
    if (s->deadline_ev)
        event_del(s->deadline_ev);
    if (s->it)
        td_index_query_end(&s->it);
    if (s->ix) {
        td_qreload_release(&srv->rl, s->ix);
        s->ix = NULL;
    }
    double ms = td_qelapsed_ms(&s->t0);
    td_qaccess_log(srv->log, s->keyname, s->status, s->results, s->bytes, ms, s->path);
    td_qmetrics_request(srv->met, s->status, s->results, s->bytes, ms);
    td_qserver_stream_done(srv, s);
}

/* The connection of s, or NULL when the client is gone (the request was detached). */
static struct evhttp_connection *conn_of(struct td_qstream *s)
{
    return s->req ? evhttp_request_get_connection(s->req) : NULL;
}

static void unhook(struct td_qstream *s)
{
    struct evhttp_connection *c = conn_of(s);
    if (c)
        evhttp_connection_set_closecb(c, NULL, NULL);
}

/* Answer with an error status before any result went out. */
static void fail_early(struct td_qstream *s, int status, const char *reason)
{
    unhook(s);
    s->status = status;
    td_qserver_error(s->srv, s->req, status, reason, s->key);
    s->req = NULL;
    finish(s);
}

static void on_close(struct evhttp_connection *evcon, void *arg)
{
    struct td_qstream *s = arg;
    (void)evcon;
    if (!s->req)
        return;
    /* evhttp detached the request from the dying connection (its reply was not done): it is
     * ours to free, which evhttp_send_reply_end does for a detached request. */
    if (!conn_of(s))
        evhttp_send_reply_end(s->req);
    s->req = NULL;
    if (!s->started)
        s->status = 499; /* client closed before an answer (nginx's convention, log only) */
    finish(s);
}

static void on_drained(struct evhttp_connection *evcon, void *arg)
{
    (void)evcon;
    run_slice(arg);
}

static void try_start(struct td_qstream *s)
{
    struct td_qserver *srv = s->srv;
    s->ix = td_qreload_acquire(&srv->rl);
    if (!s->ix) {
        fail_early(s, 503, "index unavailable");
        return;
    }
    s->state = TD_QS_RUNNING;
    struct td_index_query q = s->rq.q;
    if (q.limit != 0 && q.limit != UINT64_MAX) {
        s->want = q.limit;
        q.limit = q.limit + 1;
    } else {
        s->want = UINT64_MAX;
        q.limit = 0;
    }
    if (s->rq.verb == TD_QVERB_SUMMARIZE)
        q.offset = 0;
    char err[256];
    s->it = td_index_query_start(s->ix->idx, &q, err, sizeof err);
    if (!s->it) {
        fail_early(s, 400, err);
        return;
    }
    run_slice(s);
}

static void on_slice(evutil_socket_t fd, short what, void *arg)
{
    struct td_qstream *s = arg;
    (void)fd;
    (void)what;
    if (s->state == TD_QS_RUNNING)
        run_slice(s);
}

static void on_deadline(evutil_socket_t fd, short what, void *arg)
{
    struct td_qstream *s = arg;
    (void)fd;
    (void)what;
    s->expired = 1;
    event_del(s->slice_ev);
    run_slice(s);
}

/* Reads one slice into s->j; returns the final cond when the answer is complete, else NULL. */
static const char *read_slice(struct td_qstream *s, const char **msg)
{
    int summarize = s->rq.verb == TD_QVERB_SUMMARIZE;
    if (s->expired) {
        *msg = TD_QMSG_TIMEOUT;
        return "failed";
    }
    for (unsigned n = 0; n < TD_QSLICE_RESULTS && s->j.len < TD_QSLICE_BYTES; n++) {
        struct td_index_result res;
        int r = td_index_next(s->it, &res);
        if (r == 0)
            return "succeeded";
        if (r < 0) {
            if (s->srv->log)
                fprintf(s->srv->log, "# index error: %s (%s)\n", td_index_iter_error(s->it), s->path);
            *msg = "Index error; results may be incomplete";
            return "failed";
        }
        if (s->seen == s->want) {
            *msg = TD_QMSG_LIMIT;
            return "limited";
        }
        s->seen++;
        if (summarize) {
            td_qsummary_add(&s->sum, &res);
            if (s->rq.max_count && s->sum.count >= s->rq.max_count)
                return "succeeded";
        } else if (td_qout_result(&s->j, &s->rq, &res) == 0) {
            s->results++;
        }
    }
    return NULL;
}

static void add_headers(struct td_qstream *s)
{
    struct evkeyvalq *h = evhttp_request_get_output_headers(s->req);
    evhttp_add_header(h, "Content-Type", s->rq.api == TD_QAPI_V2 ? "application/x-ndjson" : "application/json");
    td_qserver_ratelimit_headers(s->srv, s->req, s->key);
}

static void run_slice(struct td_qstream *s)
{
    if (!s->req)
        return;
    if (!conn_of(s)) { /* detached without the close callback (not expected): end it here */
        evhttp_send_reply_end(s->req); /* frees a detached request */
        s->req = NULL;
        if (!s->started)
            s->status = 499;
        finish(s);
        return;
    }
    int summarize = s->rq.verb == TD_QVERB_SUMMARIZE;
    if (!s->begun) {
        td_qout_begin(&s->j, &s->rq);
        s->begun = 1;
    }
    const char *msg = NULL;
    const char *cond = read_slice(s, &msg);
    if (cond) {
        if (summarize) {
            td_qout_summary(&s->j, &s->rq, &s->sum);
            s->results = s->sum.num_results;
        }
        td_qout_end(&s->j, &s->rq, cond, msg);
    }
    if (s->j.oom) {
        td_json_reset(&s->j);
        s->j.oom = 0;
        if (!s->started) {
            fail_early(s, 503, "out of memory");
            return;
        }
        cond = "failed";
    }
    if (!s->started) {
        if (summarize && !cond) { /* keep reading, one slice per loop turn */
            event_active(s->slice_ev, EV_TIMEOUT, 0);
            return;
        }
        if (cond && s->rq.api == TD_QAPI_V1 && s->results == 0 && strcmp(cond, "failed") != 0 &&
            (!summarize || s->sum.num_results == 0)) {
            td_json_reset(&s->j);
            fail_early(s, 404, "no results found");
            return;
        }
        s->status = 200;
        add_headers(s);
        if (cond) { /* the whole answer fits one slice: a plain reply with Content-Length */
            struct evbuffer *b = evbuffer_new();
            if (b)
                evbuffer_add(b, s->j.buf, s->j.len);
            s->bytes += s->j.len;
            td_json_reset(&s->j);
            unhook(s);
            evhttp_send_reply(s->req, 200, "OK", b);
            if (b)
                evbuffer_free(b);
            s->req = NULL;
            finish(s);
            return;
        }
        s->started = 1;
        evhttp_send_reply_start(s->req, 200, "OK");
    }
    struct evbuffer *b = evbuffer_new();
    if (b && s->j.len)
        evbuffer_add(b, s->j.buf, s->j.len);
    s->bytes += s->j.len;
    size_t n = b ? evbuffer_get_length(b) : 0;
    td_json_reset(&s->j);
    if (cond) {
        unhook(s);
        if (n)
            evhttp_send_reply_chunk(s->req, b);
        evhttp_send_reply_end(s->req);
        s->req = NULL;
        if (b)
            evbuffer_free(b);
        finish(s);
        return;
    }
    if (n)
        evhttp_send_reply_chunk_with_cb(s->req, b, on_drained, s);
    else
        event_active(s->slice_ev, EV_TIMEOUT, 0);
    if (b)
        evbuffer_free(b);
}

void td_qstream_begin(struct td_qstream *s)
{
    struct td_qserver *srv = s->srv;
    s->state = TD_QS_RUNNING;
    s->it = NULL;
    s->ix = NULL;
    s->seen = s->results = s->bytes = 0;
    s->started = 0;
    s->begun = 0;
    s->expired = 0;
    s->status = 0;
    memset(&s->sum, 0, sizeof s->sum);
    td_json_reset(&s->j);
    s->j.oom = 0;
    if (!s->slice_ev)
        s->slice_ev = event_new(srv->base, -1, 0, on_slice, s);
    if (!s->deadline_ev)
        s->deadline_ev = evtimer_new(srv->base, on_deadline, s);
    if (!s->slice_ev || !s->deadline_ev) {
        fail_early(s, 503, "out of memory");
        return;
    }
    uint64_t d = srv->conf.deadline_ns;
    struct timeval tv = { (time_t)(d / 1000000000ull), (suseconds_t)(d % 1000000000ull / 1000) };
    if (d)
        evtimer_add(s->deadline_ev, &tv);
    if (s->evcon)
        evhttp_connection_set_closecb(s->evcon, on_close, s);
    try_start(s);
}

void td_qstream_abort(struct td_qstream *s)
{
    if (s->req && conn_of(s)) {
        unhook(s);
        if (s->started) {
            evhttp_send_reply_end(s->req); /* the SAF stream stays unterminated: truncated */
        } else {
            s->status = 503;
            td_qserver_error(s->srv, s->req, 503, "shutting down", s->key);
        }
    } else if (s->req) {
        evhttp_send_reply_end(s->req);
    }
    s->req = NULL;
    finish(s);
}
