/* server.c: tapdns-queryd's evhttp setup, routing and the checks before a query runs
 * (server.h). Streaming is stream.c, the index handle reload.c. */
#include "server.h"
#include "server_int.h"
#include "errf.h"
#include <arpa/inet.h>
#include <errno.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>

/* An idle keep-alive connection, or one whose client stopped reading, is dropped after this. */
#define TD_QCONN_TIMEOUT_S 120
/* Longest request target kept (path + query); longer ones are a 400. */
#define TD_QURI_MAX 16384

void td_qserver_conf_defaults(struct td_qserver_conf *c)
{
    memset(c, 0, sizeof *c);
    c->max_concurrent = 64;
    c->deadline_ns = 30ull * 1000000000ull;
    c->limit_default = TD_QREQUEST_LIMIT_DEFAULT;
    c->results_max = 1000000;
    c->offset_max = 3000000;
    c->max_request_bytes = 4096;
    c->max_header_bytes = 16384;
    c->reload_interval_ns = 1000000000ull;
    c->cache_bytes = 64u << 20;
}

double td_qelapsed_ms(const struct timespec *t0)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)(t.tv_sec - t0->tv_sec) * 1e3 + (double)(t.tv_nsec - t0->tv_nsec) / 1e6;
}

const char *td_qserver_reason_phrase(int status)
{
    switch (status) {
    case 200: return "OK";
    case 400: return "Bad Request";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 415: return "Unsupported Media Type";
    case 416: return "Requested Range Not Satisfiable";
    case 429: return "Too Many Requests";
    case 503: return "Service Unavailable";
    default: return "Internal Server Error";
    }
}

static void u64_text(char *buf, size_t cap, uint64_t v, const char *inf)
{
    if (v == UINT64_MAX)
        snprintf(buf, cap, "%s", inf);
    else
        snprintf(buf, cap, "%llu", (unsigned long long)v);
}

void td_qserver_ratelimit_headers(struct td_qserver *srv, struct evhttp_request *req, const struct td_key *key)
{
    if (!key)
        return;
    struct td_quota_view v;
    td_quota_view(key, (uint64_t)time(NULL), &v);
    struct evkeyvalq *h = evhttp_request_get_output_headers(req);
    char b[32];
    u64_text(b, sizeof b, v.limit, "unlimited");
    evhttp_add_header(h, "X-RateLimit-Limit", b);
    u64_text(b, sizeof b, v.remaining, "n/a");
    evhttp_add_header(h, "X-RateLimit-Remaining", b);
    if (v.reset == 0 || v.reset == UINT64_MAX)
        snprintf(b, sizeof b, "n/a");
    else
        snprintf(b, sizeof b, "%llu", (unsigned long long)v.reset);
    evhttp_add_header(h, "X-RateLimit-Reset", b);
    (void)srv;
}

static void log_request(struct td_qserver *srv, struct evhttp_request *req, const struct td_key *key, int status,
                        uint64_t bytes, const struct timespec *t0)
{
    double ms = t0 ? td_qelapsed_ms(t0) : 0;
    td_qaccess_log(srv->log, key ? key->name : "-", status, 0, bytes, ms, evhttp_request_get_uri(req));
    td_qmetrics_request(srv->met, status, 0, bytes, ms);
}

void td_qserver_error(struct td_qserver *srv, struct evhttp_request *req, int status, const char *reason,
                      const struct td_key *key)
{
    struct evbuffer *b = evbuffer_new();
    struct evkeyvalq *h = evhttp_request_get_output_headers(req);
    evhttp_remove_header(h, "Content-Type");
    evhttp_add_header(h, "Content-Type", "text/plain; charset=utf-8");
    td_qserver_ratelimit_headers(srv, req, key);
    size_t n = 0;
    if (b) {
        /* One line: the reason may not hold a newline (request.h says so; enforced here). */
        evbuffer_add_printf(b, "Error: ");
        for (const char *p = reason; p && *p; p++)
            evbuffer_add(b, (*p == '\n' || *p == '\r') ? " " : p, 1);
        evbuffer_add(b, "\n", 1);
        n = evbuffer_get_length(b);
    }
    evhttp_send_reply(req, status, td_qserver_reason_phrase(status), b);
    if (b)
        evbuffer_free(b);
    (void)n;
}

/* One media range of Accept against what the API answers with (parameters ignored). */
static int accept_ok(const char *accept, enum td_qapi api)
{
    if (!accept)
        return 1;
    const char *p = accept;
    int any = 0;
    while (*p) {
        while (*p == ' ' || *p == '\t' || *p == ',')
            p++;
        if (!*p)
            break;
        const char *s = p;
        while (*p && *p != ',' && *p != ';')
            p++;
        const char *e = p;
        while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
            e--;
        while (*p && *p != ',')
            p++;
        size_t n = (size_t)(e - s);
        any = 1;
#define IS(lit) (n == sizeof(lit) - 1 && !strncasecmp(s, lit, n))
        if (IS("*/*") || IS("application/*"))
            return 1;
        if (api == TD_QAPI_V2 && IS("application/x-ndjson"))
            return 1;
        if (api == TD_QAPI_V1 && IS("application/json"))
            return 1;
        if (api == TD_QAPI_CIRCL && (IS("application/json") || IS("application/x-ndjson")))
            return 1;
#undef IS
    }
    return !any; /* an empty Accept accepts anything */
}

static const char *content_type(enum td_qapi api)
{
    return api == TD_QAPI_V2 ? "application/x-ndjson" : "application/json";
}

static void send_json_body(struct td_qserver *srv, struct evhttp_request *req, const struct td_key *key,
                           enum td_qapi api, const struct timespec *t0)
{
    struct evbuffer *b = evbuffer_new();
    struct evkeyvalq *h = evhttp_request_get_output_headers(req);
    evhttp_add_header(h, "Content-Type", content_type(api));
    td_qserver_ratelimit_headers(srv, req, key);
    size_t n = 0;
    if (b && !srv->j.oom) {
        evbuffer_add(b, srv->j.buf, srv->j.len);
        n = srv->j.len;
    }
    td_json_reset(&srv->j);
    evhttp_send_reply(req, 200, "OK", b);
    if (b)
        evbuffer_free(b);
    log_request(srv, req, key, 200, n, t0);
}

static struct td_qstream *stream_get(struct td_qserver *srv)
{
    struct td_qstream *s = TAILQ_FIRST(&srv->free);
    if (s) {
        TAILQ_REMOVE(&srv->free, s, link);
        srv->nfree--;
    } else {
        s = calloc(1, sizeof *s);
        if (!s)
            return NULL;
        s->srv = srv;
        td_json_init(&s->j);
        s->slice_ev = NULL;
    }
    return s;
}

/* A stream's own memory and events (it is on no list any more). */
static void stream_free(struct td_qstream *s)
{
    td_json_free(&s->j);
    if (s->slice_ev)
        event_free(s->slice_ev);
    if (s->deadline_ev)
        event_free(s->deadline_ev);
    free(s);
}

void td_qserver_stream_done(struct td_qserver *srv, struct td_qstream *s)
{
    TAILQ_REMOVE(&srv->active, s, link);
    srv->nactive--;
    td_qmetrics_inflight(srv->met, srv->nactive);
    s->state = TD_QS_IDLE;
    s->req = NULL;
    s->evcon = NULL;
    s->key = NULL;
    if (srv->nfree < srv->conf.max_concurrent && !srv->shutting_down && s->j.cap <= 4 * TD_QSLICE_BYTES) {
        td_json_reset(&s->j);
        TAILQ_INSERT_HEAD(&srv->free, s, link);
        srv->nfree++;
        return;
    }
    stream_free(s);
}

void td_qserver_index_changed(struct td_qserver *srv)
{
    td_qmetrics_reload(srv->met, srv->rl.cur != NULL, srv->rl.cur ? srv->rl.cur->generations : 0);
}

static void on_request(struct evhttp_request *req, void *arg)
{
    struct td_qserver *srv = arg;
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    char err[256];
    static char uri[TD_QURI_MAX + 1];
    const char *u = evhttp_request_get_uri(req);
    if (srv->shutting_down) {
        td_qserver_error(srv, req, 503, "shutting down", NULL);
        log_request(srv, req, NULL, 503, 0, &t0);
        return;
    }
    size_t ul = u ? strlen(u) : 0;
    if (!u || ul > TD_QURI_MAX) {
        td_qserver_error(srv, req, 400, "request target too long", NULL);
        log_request(srv, req, NULL, 400, 0, &t0);
        return;
    }
    memcpy(uri, u, ul + 1);
    char *q = strchr(uri, '?');
    if (q)
        *q++ = 0;
    uint32_t now = (uint32_t)time(NULL);
    struct td_qrequest *rq = &srv->scratch;
    int rc = td_qrequest_parse(rq, uri, q, now, err, sizeof err);
    if (rc != 0) {
        td_qserver_error(srv, req, rc == 404 ? 404 : 400, err, NULL);
        log_request(srv, req, NULL, rc == 404 ? 404 : 400, 0, &t0);
        return;
    }
    struct td_key *key = NULL;
    if (srv->keys && rq->verb != TD_QVERB_PING) {
        const char *ks = evhttp_find_header(evhttp_request_get_input_headers(req), "X-API-Key");
        if (!ks || !*ks) {
            td_qserver_error(srv, req, 403, "missing API key (X-API-Key)", NULL);
            log_request(srv, req, NULL, 403, 0, &t0);
            return;
        }
        key = td_keys_find(srv->keys, ks);
        if (!key) {
            td_qserver_error(srv, req, 403, "invalid API key", NULL);
            log_request(srv, req, NULL, 403, 0, &t0);
            return;
        }
    }
    if (!accept_ok(evhttp_find_header(evhttp_request_get_input_headers(req), "Accept"), rq->api)) {
        snprintf(err, sizeof err, "Accept must allow %s", content_type(rq->api));
        td_qserver_error(srv, req, 415, err, key);
        log_request(srv, req, key, 415, 0, &t0);
        return;
    }
    if (rq->verb == TD_QVERB_PING) {
        td_json_reset(&srv->j);
        td_json_object_begin(&srv->j);
        td_json_kstring(&srv->j, "ping", "ok");
        td_json_object_end(&srv->j);
        td_json_newline(&srv->j);
        send_json_body(srv, req, key, rq->api, &t0);
        return;
    }
    if (rq->verb == TD_QVERB_RATE_LIMIT) {
        struct td_quota_view v;
        if (key) {
            td_quota_view(key, (uint64_t)time(NULL), &v);
        } else {
            memset(&v, 0, sizeof v);
            v.limit = v.remaining = UINT64_MAX;
            v.results_max = srv->conf.results_max;
            v.offset_max = srv->conf.offset_max;
            v.burst_size = v.burst_window = UINT64_MAX;
        }
        td_json_reset(&srv->j);
        td_qout_rate_limit(&srv->j, &v);
        send_json_body(srv, req, key, rq->api, &t0);
        return;
    }
    /* lookup / summarize */
    uint64_t rmax = srv->conf.results_max, omax = srv->conf.offset_max;
    if (key) {
        if (key->results_max && key->results_max < rmax)
            rmax = key->results_max;
        omax = key->offset_max;
    }
    rc = td_qrequest_limit(rq, srv->conf.limit_default, rmax, omax, err, sizeof err);
    if (rc != 0) {
        td_qserver_error(srv, req, 416, err, key);
        log_request(srv, req, key, 416, 0, &t0);
        return;
    }
    if (srv->nactive >= srv->conf.max_concurrent) {
        td_qserver_error(srv, req, 503, "too many concurrent queries", key);
        log_request(srv, req, key, 503, 0, &t0);
        return;
    }
    if (key) {
        rc = td_quota_charge(srv->keys, key, (uint64_t)time(NULL), err, sizeof err);
        if (rc != 0) {
            td_qserver_error(srv, req, 429, err, key);
            log_request(srv, req, key, 429, 0, &t0);
            return;
        }
    }
    if (evhttp_request_get_command(req) == EVHTTP_REQ_HEAD) {
        evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", content_type(rq->api));
        td_qserver_ratelimit_headers(srv, req, key);
        evhttp_send_reply(req, 200, "OK", NULL);
        log_request(srv, req, key, 200, 0, &t0);
        return;
    }
    struct td_qstream *s = stream_get(srv);
    if (!s) {
        td_qserver_error(srv, req, 503, "out of memory", key);
        log_request(srv, req, key, 503, 0, &t0);
        return;
    }
    /* The stream owns its own copy of the request (q points into it): parse again there. */
    if (td_qrequest_parse(&s->rq, uri, q, now, err, sizeof err) != 0 ||
        td_qrequest_limit(&s->rq, srv->conf.limit_default, rmax, omax, err, sizeof err) != 0) {
        /* cannot happen: the same input parsed above */
        TAILQ_INSERT_HEAD(&srv->active, s, link);
        srv->nactive++;
        td_qserver_stream_done(srv, s);
        td_qserver_error(srv, req, 500, "internal error", key);
        log_request(srv, req, key, 500, 0, &t0);
        return;
    }
    s->srv = srv;
    s->req = req;
    s->evcon = evhttp_request_get_connection(req);
    if (key) {
        s->key_copy = *key;
        s->key = &s->key_copy;
    } else {
        s->key = NULL;
    }
    snprintf(s->keyname, sizeof s->keyname, "%s", key ? key->name : "-");
    snprintf(s->path, sizeof s->path, "%s", u);
    s->t0 = t0;
    TAILQ_INSERT_TAIL(&srv->active, s, link);
    srv->nactive++;
    td_qmetrics_inflight(srv->met, srv->nactive);
    td_qstream_begin(s);
}

/* dev, ino, size, mtime of path (zeros when it cannot be stat'ed). */
static void file_sig(const char *path, uint64_t sig[4])
{
    struct stat st;
    memset(sig, 0, 4 * sizeof sig[0]);
    if (stat(path, &st) == 0) {
        sig[0] = (uint64_t)st.st_dev;
        sig[1] = (uint64_t)st.st_ino;
        sig[2] = (uint64_t)st.st_size;
        sig[3] = (uint64_t)st.st_mtim.tv_sec * 1000000000ull + (uint64_t)st.st_mtim.tv_nsec;
    }
}

/* The keys file changed (tapdns-queryd keys add/revoke replace it): save the quota state,
 * load the new keys with it, swap. Streams hold copies of their key, never pointers into the
 * table, so the old table can go at once. A bad file keeps the old keys (logged). */
static void keys_reload(struct td_qserver *srv)
{
    char err[256];
    uint64_t sig[4];
    file_sig(srv->conf.keys_path, sig);
    if (!memcmp(sig, srv->keys_sig, sizeof sig))
        return;
    memcpy(srv->keys_sig, sig, sizeof sig);
    if (td_quota_save_if_dirty(srv->keys, (uint64_t)time(NULL), 1, err, sizeof err) != 0) {
        if (srv->log)
            fprintf(srv->log, "# keys: not reloaded, quota state not saved: %s\n", err);
        return;
    }
    struct td_keys *nk = td_keys_load(srv->conf.keys_path, srv->conf.quota_state, err, sizeof err);
    if (!nk) {
        if (srv->log)
            fprintf(srv->log, "# keys: %s; keeping the keys loaded before\n", err);
        return;
    }
    td_keys_free(&srv->keys);
    srv->keys = nk;
    if (srv->log)
        fprintf(srv->log, "# keys: reloaded, %zu keys\n", td_keys_count(nk));
}

static void on_save_tick(evutil_socket_t fd, short what, void *arg)
{
    struct td_qserver *srv = arg;
    char err[256];
    (void)fd;
    (void)what;
    if (!srv->keys)
        return;
    if (td_quota_save_if_dirty(srv->keys, (uint64_t)time(NULL), 0, err, sizeof err) != 0 && srv->log)
        fprintf(srv->log, "# quota state: %s\n", err);
    keys_reload(srv);
}

/* "ADDR:PORT", "[V6]:PORT" -> addr, port. */
static int split_listen(const char *s, char *addr, size_t cap, unsigned *port, char *err, size_t errlen)
{
    const char *colon = strrchr(s, ':');
    if (!colon || colon == s) {
        td_errf(err, errlen, "listen address %s: expected ADDR:PORT", s);
        return -1;
    }
    const char *a = s;
    size_t al = (size_t)(colon - s);
    if (a[0] == '[' && al >= 2 && a[al - 1] == ']') {
        a++;
        al -= 2;
    }
    char *end;
    unsigned long p = strtoul(colon + 1, &end, 10);
    if (al >= cap || !colon[1] || *end || p > 65535) {
        td_errf(err, errlen, "listen address %s: expected ADDR:PORT", s);
        return -1;
    }
    memcpy(addr, a, al);
    addr[al] = 0;
    *port = (unsigned)p;
    return 0;
}

static unsigned bound_port(struct evhttp_bound_socket *b)
{
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    if (!b || getsockname(evhttp_bound_socket_get_fd(b), (struct sockaddr *)&ss, &sl) != 0)
        return 0;
    if (ss.ss_family == AF_INET)
        return ntohs(((struct sockaddr_in *)&ss)->sin_port);
    if (ss.ss_family == AF_INET6)
        return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
    return 0;
}

static struct evhttp *listen_http(struct td_qserver *srv, const char *spec, struct evhttp_bound_socket **sock,
                                  char *err, size_t errlen)
{
    char addr[256];
    unsigned port;
    if (split_listen(spec, addr, sizeof addr, &port, err, errlen) != 0)
        return NULL;
    struct evhttp *h = evhttp_new(srv->base);
    if (!h) {
        td_errf(err, errlen, "evhttp_new failed");
        return NULL;
    }
    *sock = evhttp_bind_socket_with_handle(h, addr, (ev_uint16_t)port);
    if (!*sock) {
        td_errf(err, errlen, "cannot listen on %s: %s", spec, strerror(errno));
        evhttp_free(h);
        return NULL;
    }
    evhttp_set_allowed_methods(h, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD);
    evhttp_set_max_headers_size(h, (ev_ssize_t)srv->conf.max_header_bytes);
    evhttp_set_max_body_size(h, (ev_ssize_t)srv->conf.max_request_bytes);
    evhttp_set_timeout(h, TD_QCONN_TIMEOUT_S);
    return h;
}

static char *own(struct td_qserver *srv, int i, const char *s)
{
    if (!s)
        return NULL;
    srv->owned[i] = strdup(s);
    return srv->owned[i];
}

struct td_qserver *td_qserver_new(struct event_base *base, const struct td_qserver_conf *conf, char *err,
                                  size_t errlen)
{
    struct td_qserver *srv = calloc(1, sizeof *srv);
    if (!srv) {
        td_errf(err, errlen, "out of memory");
        return NULL;
    }
    srv->base = base;
    srv->conf = *conf;
    srv->conf.db = own(srv, 0, conf->db);
    srv->conf.listen = own(srv, 1, conf->listen);
    srv->conf.metrics_listen = own(srv, 2, conf->metrics_listen);
    srv->conf.keys_path = own(srv, 3, conf->keys_path);
    srv->conf.quota_state = own(srv, 4, conf->quota_state);
    srv->conf.access_log = own(srv, 5, conf->access_log);
    if (srv->conf.max_concurrent == 0)
        srv->conf.max_concurrent = 1;
    TAILQ_INIT(&srv->active);
    TAILQ_INIT(&srv->free);
    td_json_init(&srv->j);
    if (!srv->conf.db || !srv->conf.listen) {
        td_errf(err, errlen, "no index root or listen address");
        goto fail;
    }
    if (srv->conf.access_log && strcmp(srv->conf.access_log, "-") != 0) {
        srv->log = fopen(srv->conf.access_log, "a");
        if (!srv->log) {
            td_errf(err, errlen, "%s: %s", srv->conf.access_log, strerror(errno));
            goto fail;
        }
        srv->log_owned = 1;
        setvbuf(srv->log, NULL, _IOLBF, 0);
    } else {
        srv->log = stderr;
    }
    if (!(srv->met = td_qmetrics_new(err, errlen)))
        goto fail;
    if (srv->conf.keys_path) {
        file_sig(srv->conf.keys_path, srv->keys_sig);
        if (!(srv->keys = td_keys_load(srv->conf.keys_path, srv->conf.quota_state, err, errlen)))
            goto fail;
    }
    if (td_qreload_init(&srv->rl, srv, srv->conf.db, err, errlen) != 0)
        goto fail;
    td_qserver_index_changed(srv);
    if (!(srv->http = listen_http(srv, srv->conf.listen, &srv->sock, err, errlen)))
        goto fail;
    evhttp_set_gencb(srv->http, on_request, srv);
    srv->port = bound_port(srv->sock);
    if (srv->conf.metrics_listen) {
        if (!(srv->mhttp = listen_http(srv, srv->conf.metrics_listen, &srv->msock, err, errlen)))
            goto fail;
        evhttp_set_gencb(srv->mhttp, td_qmetrics_http, srv->met);
        srv->mport = bound_port(srv->msock);
    }
    if (srv->keys) {
        struct timeval one = { 1, 0 };
        srv->save_ev = event_new(base, -1, EV_PERSIST, on_save_tick, srv);
        if (!srv->save_ev || event_add(srv->save_ev, &one) != 0) {
            td_errf(err, errlen, "cannot arm the quota save timer");
            goto fail;
        }
    }
    return srv;
fail:
    td_qserver_free(&srv);
    return NULL;
}

unsigned td_qserver_port(const struct td_qserver *s)
{
    return s ? s->port : 0;
}

unsigned td_qserver_metrics_port(const struct td_qserver *s)
{
    return s ? s->mport : 0;
}

void td_qserver_shutdown(struct td_qserver *srv)
{
    if (!srv || srv->shutting_down)
        return;
    srv->shutting_down = 1;
    struct td_qstream *s;
    while ((s = TAILQ_FIRST(&srv->active)) != NULL)
        td_qstream_abort(s);
    if (srv->keys) {
        char err[256];
        if (td_quota_save_if_dirty(srv->keys, (uint64_t)time(NULL), 1, err, sizeof err) != 0 && srv->log)
            fprintf(srv->log, "# quota state: %s\n", err);
    }
    if (srv->save_ev)
        event_del(srv->save_ev);
    if (srv->rl.tick)
        event_del(srv->rl.tick);
}

void td_qserver_free(struct td_qserver **sp)
{
    struct td_qserver *srv = sp ? *sp : NULL;
    if (!srv)
        return;
    td_qserver_shutdown(srv);
    if (srv->http)
        evhttp_free(srv->http);
    if (srv->mhttp)
        evhttp_free(srv->mhttp);
    struct td_qstream *s;
    while ((s = TAILQ_FIRST(&srv->free)) != NULL) {
        TAILQ_REMOVE(&srv->free, s, link);
        stream_free(s);
    }
    td_qreload_fini(&srv->rl);
    if (srv->save_ev)
        event_free(srv->save_ev);
    td_keys_free(&srv->keys);
    td_qmetrics_free(&srv->met);
    td_json_free(&srv->j);
    if (srv->log_owned && srv->log)
        fclose(srv->log);
    for (size_t i = 0; i < sizeof srv->owned / sizeof srv->owned[0]; i++)
        free(srv->owned[i]);
    free(srv);
    *sp = NULL;
}
