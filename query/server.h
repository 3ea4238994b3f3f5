/* server.h: tapdns-queryd's HTTP service (DESIGN.md 7, REFERENCE.md 1-3) on one libevent loop.
 *
 * Contract:
 * - td_qserver_new binds conf->listen (and conf->metrics_listen when set) on the caller's
 *   event_base, opens the index ROOT (conf->db) and loads the keys (conf->keys_path; NULL = no
 *   authentication, limits from conf). Nothing runs until the caller dispatches the base.
 * - Requests (GET/HEAD only): DNSDB v2 under /dnsdb/v2, v1 (/lookup, /summarize), CIRCL
 *   /pdns/query/VALUE, parsed by query/request.h. Checks in this order, each answered with a
 *   one-line plain-text body ending in "\n": path (404 unknown, 400 malformed), key (403
 *   missing/unknown/revoked; ping needs none), Accept (415), offset/limit (416), concurrent
 *   queries over max_concurrent (503), quota (429). X-RateLimit-* headers on every answer
 *   made with a key.
 * - A lookup streams (stream.c): chunked, a slice of results per loop turn, the next slice only
 *   once the connection's output buffer has drained (so a slow reader costs one chunk), stopped
 *   when the client goes away, cut by the per-query deadline (SAF "failed"), "limited" when the
 *   limit cuts the result. v1 answers 404 when there is no result.
 * - The index is reopened when ROOT/FILESET changes (reload.c); queries in flight keep the old
 *   handle.
 * - One access-log line per request (access_log.c); Prometheus text at /metrics on
 *   metrics_listen (server_metrics.c).
 * - td_qserver_shutdown ends the streams in flight (their clients see a truncated SAF stream),
 *   saves the quota state and closes the listeners; td_qserver_free then frees everything. */
#ifndef TD_QUERY_SERVER_H
#define TD_QUERY_SERVER_H
#include <stddef.h>
#include <stdint.h>

struct event_base;

struct td_qserver_conf {
    const char *db;              /* index ROOT */
    const char *listen;          /* ADDR:PORT (port 0: any free port, see td_qserver_port) */
    const char *metrics_listen;  /* ADDR:PORT or NULL */
    const char *keys_path;       /* NULL: no authentication */
    const char *quota_state;     /* NULL: quotas not persisted */
    const char *access_log;      /* NULL or "-": stderr */
    uint64_t max_concurrent;     /* queries streaming or waiting at once */
    uint64_t deadline_ns;        /* per query */
    uint64_t limit_default;      /* limit when absent */
    uint64_t results_max;        /* limit=0 and clamp; also the cap for keys with results_max 0 */
    uint64_t offset_max;         /* UINT64_MAX: unlimited (keys bring their own) */
    uint64_t max_request_bytes;  /* body */
    uint64_t max_header_bytes;   /* request line + headers */
    uint64_t reload_interval_ns;
    uint64_t cache_bytes;        /* index block cache */
};

/* Defaults for the fields above (db and listen must be set by the caller). */
void td_qserver_conf_defaults(struct td_qserver_conf *c);

struct td_qserver;
struct td_qserver *td_qserver_new(struct event_base *base, const struct td_qserver_conf *conf, char *err,
                                  size_t errlen);
/* Bound ports (0 when not listening). */
unsigned td_qserver_port(const struct td_qserver *s);
unsigned td_qserver_metrics_port(const struct td_qserver *s);
void td_qserver_shutdown(struct td_qserver *s);
void td_qserver_free(struct td_qserver **sp);

#endif
