/* matcher.h: query/response matching in the style of nmsg's dnsqr.
 * Key: (proto, ip version, client ip, server ip, client port, server port, DNS id, qname
 * (case-insensitive), qtype, qclass). Bounded: at most max_entries queries wait; a query
 * waiting longer than timeout_ns expires (reported through the expire callback so the caller
 * can write an UNANSWERED record, and counted); when the table is full the oldest query is
 * evicted the same way. State is independent of spool files, so a query seen before an
 * hourly rotation still matches its response after it. Memory is allocated once at init:
 * max_entries * (sizeof entry + query_store) octets. No allocation per packet.
 * Time must be (mostly) non-decreasing; a step backwards only delays expiry. */
#ifndef TD_MATCHER_H
#define TD_MATCHER_H
#include <stddef.h>
#include <stdint.h>
#include "dns_wire.h"

#define TD_MATCH_QUERY_STORE 512 /* octets of query message kept per entry */

struct td_match_key {
    uint8_t proto, ip_version;
    uint16_t client_port, server_port, id;
    uint8_t client_ip[16], server_ip[16];
    uint16_t qtype, qclass;
    uint16_t qname_len;
    const uint8_t *qname;        /* wire, uncompressed; compared case-insensitively */
};

struct td_match_opts {
    size_t max_entries;          /* default 131072 */
    uint64_t timeout_ns;         /* default 60 s */
};

struct td_match_stats {
    uint64_t queries, matched, unmatched, expired, evicted, duplicates,
             query_too_big, waiting;
};

/* A query held by the matcher, handed out on match or expiry; valid during the call only. */
struct td_match_query {
    uint64_t ts_ns;
    const uint8_t *msg;          /* NULL if the query was bigger than TD_MATCH_QUERY_STORE */
    uint32_t len;
    uint16_t flags;              /* TD_RF_* flags of the query (fragmented, tcp) */
    const struct td_match_key *key;
};
typedef void (*td_match_expire_fn)(void *ctx, const struct td_match_query *q, int evicted);

struct td_matcher;
struct td_matcher *td_matcher_init(const struct td_match_opts *opts, td_match_expire_fn fn, void *ctx);
void td_matcher_destroy(struct td_matcher **mp);
/* Stores a query. A query with the same key replaces the waiting one (counted duplicate). */
void td_matcher_query(struct td_matcher *m, const struct td_match_key *k, uint64_t ts_ns,
                      const uint8_t *msg, size_t len, uint16_t flags);
/* Looks up the query for a response with key k. Returns 1 and fills *q (valid until the next
 * call on m) and removes the entry, or 0 if none. */
int td_matcher_response(struct td_matcher *m, const struct td_match_key *k, struct td_match_query *q);
/* Expires queries older than now - timeout. */
void td_matcher_expire(struct td_matcher *m, uint64_t now_ns);
/* Expires every waiting query (end of input). */
void td_matcher_flush(struct td_matcher *m);
const struct td_match_stats *td_matcher_stats(const struct td_matcher *m);

#endif
