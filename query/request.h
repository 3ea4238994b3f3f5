/* request.h: one DNSDB v2 / v1 / CIRCL request, parsed into an index query (DESIGN.md 7,
 * REFERENCE.md 1-3). Pure: no I/O, no allocation, no clock (the caller passes `now`). The one
 * request parser: tapdns-queryd and tapdns-query both use it (tapdns-query builds the same path
 * from its command line), and fuzz/fuzz_request.c feeds it arbitrary paths and query strings.
 *
 * Paths (the part of the URL before '?', still percent-encoded; split on '/', then each segment
 * percent-decoded alone, so "%2F" inside a name is a literal '/' that makes the name invalid):
 *   /dnsdb/v2/{lookup|summarize}/rrset/name/NAME[/TYPE[/BAILIWICK]]
 *   /dnsdb/v2/{lookup|summarize}/rrset/raw/HEX[/TYPE]
 *   /dnsdb/v2/{lookup|summarize}/rdata/name/NAME[/TYPE]
 *   /dnsdb/v2/{lookup|summarize}/rdata/ip/ADDR | ADDR,PFX | LO-HI  [/TYPE: A, AAAA or ANY]
 *   /dnsdb/v2/{lookup|summarize}/rdata/raw/HEX[/TYPE]
 *   /dnsdb/v2/rate_limit    /dnsdb/v2/ping
 *   v1: the same without "/dnsdb/v2" (/lookup/..., /summarize/..., /lookup/rate_limit)
 *   CIRCL: /pdns/query/VALUE (an address, ADDR,PFX, or a name: names give the rrset lookup)
 * NAME: presentation form, trailing dot optional, case folded to lowercase; wildcards "*.x",
 * "x.*", "+.x", "x.+" (one wildcard label at one end only; anything else with '*' or '+' as a
 * label is a 400). TYPE: mnemonic (any case), TYPEnnn, ANY, ANY-DNSSEC. ANY may stand before a
 * bailiwick. A trailing '/' or an empty segment is a 400.
 *
 * Query string parameters (DESIGN.md 7): limit, offset, time_first_before, time_first_after,
 * time_last_before, time_last_after (decimal epoch seconds; negative = now minus that many
 * seconds), aggr (t/true/1 or f/false/0), humantime (same spellings), max_count (summarize),
 * swclient, version, id (checked against their length and character rules). Unknown parameters,
 * repeated parameters, values out of range: 400.
 *
 * Results: 0 = parsed; otherwise the HTTP status to answer (400 malformed, 404 unknown path)
 * with err holding a one-line reason (no newline). Limits that depend on the API key
 * (results_max, offset_max: 416) are the caller's, see td_qrequest_limit(). */
#ifndef TD_QUERY_REQUEST_H
#define TD_QUERY_REQUEST_H
#include <stddef.h>
#include <stdint.h>
#include "index.h"

enum td_qapi { TD_QAPI_V2 = 1, TD_QAPI_V1, TD_QAPI_CIRCL };
enum td_qverb { TD_QVERB_LOOKUP = 1, TD_QVERB_SUMMARIZE, TD_QVERB_RATE_LIMIT, TD_QVERB_PING };

#define TD_QREQUEST_RAW_MAX 4096   /* octets of rdata/raw (8192 hex digits) */
#define TD_QREQUEST_LIMIT_DEFAULT 10000

struct td_qrequest {
    enum td_qapi api;
    enum td_qverb verb;
    /* lookup and summarize: the index query, ready for td_index_query_start except for limit
     * and offset (set by td_qrequest_limit). q.name, q.bailiwick, q.raw point into the buffers
     * below: a td_qrequest must not be copied by value while q is in use. */
    struct td_index_query q;
    int rdata;                      /* 1: rdata lookup (objects without bailiwick) */
    int has_limit;                  /* limit= given */
    uint64_t limit;                 /* as given (0 = the key's results_max) */
    uint64_t offset;
    uint64_t max_count;             /* 0 = none */
    int aggr;                       /* default 1 */
    int humantime;                  /* default 0 */
    char swclient[21], version[21], id[31];
    uint8_t name_buf[255], bailiwick_buf[255];
    uint8_t raw_buf[TD_QREQUEST_RAW_MAX];
};

/* path: up to '?' (exclusive); query: after '?' or NULL. now: epoch seconds for relative fences. */
int td_qrequest_parse(struct td_qrequest *r, const char *path, const char *query, uint32_t now, char *err,
                      size_t errlen);

/* Applies a key's limits to r->q: limit = given limit (default limit_default when absent; 0 or
 * above results_max: results_max), offset checked against offset_max (0 = offsets refused when
 * offset > 0; UINT64_MAX = unlimited). Returns 0, or 416 with err. Sets r->q.limit/offset; a
 * limit that was cut to results_max is still reported as "limited" by whoever streams it. */
int td_qrequest_limit(struct td_qrequest *r, uint64_t limit_default, uint64_t results_max, uint64_t offset_max,
                      char *err, size_t errlen);

/* Percent-decodes src[0..len) into dst (cap octets incl. NUL). -1 on a bad escape, an encoded
 * NUL, or overflow. Exposed for tests and the CIRCL path. */
int td_qpercent_decode(const char *src, size_t len, char *dst, size_t cap);

#endif
