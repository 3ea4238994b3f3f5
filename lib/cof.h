/* cof.h: the one writer of passive-DNS objects as JSON (COF, draft-dulaunoy-dnsop-passive-dns-cof;
 * DNSDB's object fields, REFERENCE.md 1 "Objects"). Used by tapdns-batch cat, tapdns-index query,
 * tapdns-query and tapdns-queryd, so every program prints the same object for the same data.
 *
 * Contract:
 * - td_cof_object() appends ONE JSON object (no newline) to j, fields in DNSDB's order:
 *   count, time_first, time_last, rrname, rrtype, bailiwick (only when e->bailiwick != NULL and
 *   TD_COF_NO_BAILIWICK is not set), rdata. Names are absolute with the trailing dot, as
 *   td_dns_name_to_text prints them; rrtype is the mnemonic (TYPEnnn for unknown types, RFC 3597);
 *   rdata is presentation format from td_dns_rdata_to_text.
 * - rdata: an array of strings by default; TD_COF_RDATA_STRING writes the string of
 *   e->rdata[0] only (callers that want one object per rdata call once per rdata with nrdata 1).
 * - times: JSON integers; TD_COF_HUMANTIME writes RFC 3339 UTC strings ("2026-11-27T05:00:00Z").
 *   count is always an integer.
 * - An rdata that cannot be printed (td_dns_rdata_to_text fails) is written in RFC 3597 generic
 *   form ("\# LEN HEX"); an unprintable name makes the call return -1 with nothing appended.
 * - td_cof_object() closes the object. Callers that need extra keys after rdata (batch discards:
 *   reason, rule) use td_cof_object_open() and then td_json_object_end() themselves. */
#ifndef TD_COF_H
#define TD_COF_H
#include <stddef.h>
#include <stdint.h>
#include "json.h"

enum {
    TD_COF_HUMANTIME = 1u << 0,
    TD_COF_RDATA_STRING = 1u << 1,
    TD_COF_NO_BAILIWICK = 1u << 2,
};

struct td_cof_entry {
    const uint8_t *owner;            /* wire name */
    size_t owner_len;
    uint16_t rrtype;
    const uint8_t *bailiwick;        /* wire name or NULL */
    size_t bailiwick_len;
    uint16_t nrdata;
    const uint8_t *const *rdata;
    const uint16_t *rdlen;
    uint64_t count;
    uint32_t time_first, time_last;
};

/* 0, or -1 (a name could not be printed; j unchanged). */
int td_cof_object(struct td_json *j, const struct td_cof_entry *e, unsigned flags);
/* The same without the closing brace: the caller adds keys, then td_json_object_end(j). */
int td_cof_object_open(struct td_json *j, const struct td_cof_entry *e, unsigned flags);
/* RFC 3339 UTC "YYYY-MM-DDTHH:MM:SSZ" into buf (>= 21 octets). */
void td_cof_time_text(uint32_t t, char *buf, size_t cap);

#endif
