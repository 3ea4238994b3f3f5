/* bailiwick.h: bailiwick verification ("passive DNS hardening"), as DESIGN.md section 5 and
 * REFERENCE.md section 6 describe it.
 *
 * State: which servers (addresses) serve which zones, learned only from RRsets that were
 * themselves accepted: NS RRsets give zone -> NS host names, A/AAAA RRsets give host ->
 * addresses (kept only for hosts a live NS names: an address seen before any NS names its
 * host is not remembered); servers(zone) = addresses of its NS hosts. Every learned fact expires at
 * (time seen + TTL, capped by max_ttl). The root zone's servers come from a root hints file
 * and are pinned (never expire, never replaced). Memory is bounded (max_entries facts; the
 * fact closest to expiry goes first when full) and the state persists between runs.
 *
 * Verification of one response from server S (the record's server address):
 *   - td_bw_check_response(): the response as a whole: unsolicited, checksum INCORRECT,
 *     TC=1, QR/opcode/question not answering the stored query (or no query), rcode not
 *     NOERROR/NXDOMAIN -> the reason; every RRset of such a response is discarded with it.
 *   - td_bw_verify(): for each RRset, z = owner; walk up to the root: if S is a live server
 *     of z, accept with bailiwick z; at the root without success: out-of-bailiwick.
 *     Then learn from the accepted RRsets, NS before A/AAAA, so glue in the same message
 *     counts. Referral NS and glue thus get the parent zone as bailiwick; the child's own
 *     copy (from the child's servers) gets the child zone.
 * Time is the record's time in seconds (capture clock), never the wall clock. */
#ifndef TD_BAILIWICK_H
#define TD_BAILIWICK_H
#include <stddef.h>
#include <stdint.h>
#include "dns_wire.h"
#include "reason.h"
#include "record.h"
#include "rrset.h"

struct td_bw_opts {
    size_t max_entries;        /* facts held at most (default 1,000,000) */
    uint32_t max_ttl;          /* TTLs above are capped (default 7 days) */
};

struct td_bw_verdict {
    uint8_t accepted;          /* 1: zone holds the bailiwick; 0: reason says why */
    uint8_t reason;            /* enum td_discard_reason when not accepted */
    uint16_t zone_len;
    uint8_t zone[TD_DNS_NAME_MAX]; /* wire, lowercased */
};

struct td_bw_stats {
    uint64_t responses, rejected[TD_DR__COUNT], rrsets_accepted, rrsets_out_of_bailiwick,
             facts_learned, facts_expired, facts_evicted, facts;
};

struct td_bw;
struct td_bw *td_bw_init(const struct td_bw_opts *opts);
void td_bw_destroy(struct td_bw **bp);
/* Root hints in zone-file syntax ("." NS names, their A/AAAA), as Debian's
 * /usr/share/dns/root.hints. Pinned. -1 with err (FILE:LINE: reason). */
int td_bw_load_root_hints(struct td_bw *b, const char *path, char *err, size_t errlen);
/* State file (format documented in bailiwick.c): save is atomic (tmp, fsync, rename). A
 * missing file on load is not an error (fresh start). */
int td_bw_save(const struct td_bw *b, const char *path, char *err, size_t errlen);
int td_bw_load(struct td_bw *b, const char *path, char *err, size_t errlen);

/* 0 (TD_DR_NONE) if the response may be verified RRset by RRset, else the reason. */
enum td_discard_reason td_bw_check_response(struct td_bw *b, const struct td_record *rec);
/* One verdict per RRset of sets (v has sets->nsets entries). now_s: the record's time. */
void td_bw_verify(struct td_bw *b, const struct td_record *rec, const struct td_rrset_buf *sets,
                  struct td_bw_verdict *v, uint64_t now_s);
const struct td_bw_stats *td_bw_stats(const struct td_bw *b);

#endif
