/* server_metrics.c: tapdns-queryd's Prometheus metrics (lib/metrics.h) and the /metrics
 * handler of the metrics listener (server_int.h). Series:
 *   tapdns_query_requests_total{code="..."}  answers by HTTP status (499: client went away)
 *   tapdns_query_results_total               objects sent
 *   tapdns_query_bytes_total                 body bytes sent
 *   tapdns_query_in_flight                   queries streaming
 *   tapdns_query_duration_seconds            histogram of request durations
 *   tapdns_query_reloads_total{result=...}   FILESET reloads ("ok", "failed")
 *   tapdns_query_index_generations           generations of the current index */
#include "server_int.h"
#include "errf.h"
#include "metrics.h"
#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <stdlib.h>
#include <string.h>

static const int codes[] = { 200, 400, 403, 404, 415, 416, 429, 499, 500, 503 };
#define NCODES (sizeof codes / sizeof codes[0])

struct td_qmetrics {
    struct td_metrics *m;
    struct td_metric *req[NCODES + 1]; /* last: other */
    struct td_metric *results, *bytes, *inflight, *duration, *reload_ok, *reload_fail, *gens;
};

struct td_qmetrics *td_qmetrics_new(char *err, size_t errlen)
{
    struct td_qmetrics *q = calloc(1, sizeof *q);
    if (!q || !(q->m = td_metrics_new(err, errlen))) {
        if (q)
            free(q);
        else
            td_errf(err, errlen, "out of memory");
        return NULL;
    }
    static const char req_help[] = "HTTP answers by status code (499: the client went away)";
    for (size_t i = 0; i <= NCODES; i++) {
        char c[16];
        if (i < NCODES)
            snprintf(c, sizeof c, "%d", codes[i]);
        else
            snprintf(c, sizeof c, "other");
        const char *labels[] = { "code", c, NULL };
        if (!(q->req[i] = td_metrics_counter(q->m, "tapdns_query_requests_total", req_help, labels, err, errlen)))
            goto fail;
    }
    static const double bounds[] = { 0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30 };
    const char *ok[] = { "result", "ok", NULL }, *bad[] = { "result", "failed", NULL };
    if (!(q->results = td_metrics_counter(q->m, "tapdns_query_results_total", "result objects sent", NULL, err,
                                          errlen)) ||
        !(q->bytes = td_metrics_counter(q->m, "tapdns_query_bytes_total", "answer body bytes sent", NULL, err,
                                        errlen)) ||
        !(q->inflight = td_metrics_gauge(q->m, "tapdns_query_in_flight", "queries streaming or waiting for a reload",
                                         NULL, err, errlen)) ||
        !(q->duration = td_metrics_histogram(q->m, "tapdns_query_duration_seconds",
                                             "time from request to the end of the answer", NULL, bounds,
                                             sizeof bounds / sizeof bounds[0], err, errlen)) ||
        !(q->reload_ok = td_metrics_counter(q->m, "tapdns_query_reloads_total", "index (FILESET) opens after a change",
                                            ok, err, errlen)) ||
        !(q->reload_fail = td_metrics_counter(q->m, "tapdns_query_reloads_total",
                                              "index (FILESET) opens after a change", bad, err, errlen)) ||
        !(q->gens = td_metrics_gauge(q->m, "tapdns_query_index_generations", "generations of the current index", NULL,
                                     err, errlen)))
        goto fail;
    return q;
fail:
    td_qmetrics_free(&q);
    return NULL;
}

void td_qmetrics_free(struct td_qmetrics **mp)
{
    struct td_qmetrics *q = mp ? *mp : NULL;
    if (!q)
        return;
    td_metrics_free(&q->m);
    free(q);
    *mp = NULL;
}

void td_qmetrics_request(struct td_qmetrics *m, int status, uint64_t results, uint64_t bytes, double ms)
{
    if (!m)
        return;
    size_t i = 0;
    while (i < NCODES && codes[i] != status)
        i++;
    td_metric_inc(m->req[i]);
    td_metric_add(m->results, results);
    td_metric_add(m->bytes, bytes);
    td_metric_observe(m->duration, ms / 1e3);
}

void td_qmetrics_inflight(struct td_qmetrics *m, unsigned n)
{
    if (m)
        td_metric_set(m->inflight, (double)n);
}

void td_qmetrics_reload(struct td_qmetrics *m, int ok, size_t generations)
{
    if (!m)
        return;
    td_metric_inc(ok ? m->reload_ok : m->reload_fail);
    td_metric_set(m->gens, (double)generations);
}

static int add_out(void *ctx, const char *data, size_t len)
{
    return evbuffer_add(ctx, data, len) == 0 ? 0 : -1;
}

void td_qmetrics_http(struct evhttp_request *req, void *arg)
{
    struct td_qmetrics *m = arg;
    const char *uri = evhttp_request_get_uri(req);
    struct evbuffer *b = evbuffer_new();
    if (!b) {
        evhttp_send_error(req, 503, "Service Unavailable");
        return;
    }
    struct evkeyvalq *h = evhttp_request_get_output_headers(req);
    if (!uri || (strcmp(uri, "/metrics") != 0 && strncmp(uri, "/metrics?", 9) != 0)) {
        evhttp_add_header(h, "Content-Type", "text/plain; charset=utf-8");
        evbuffer_add_printf(b, "Error: unknown path (try /metrics)\n");
        evhttp_send_reply(req, 404, "Not Found", b);
    } else if (td_metrics_render_cb(m->m, add_out, b) != 0) {
        evbuffer_drain(b, evbuffer_get_length(b));
        evhttp_add_header(h, "Content-Type", "text/plain; charset=utf-8");
        evbuffer_add_printf(b, "Error: out of memory\n");
        evhttp_send_reply(req, 503, "Service Unavailable", b);
    } else {
        evhttp_add_header(h, "Content-Type", TD_METRICS_CONTENT_TYPE);
        evhttp_send_reply(req, 200, "OK", b);
    }
    evbuffer_free(b);
}
