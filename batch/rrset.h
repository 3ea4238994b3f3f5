/* rrset.h: decomposition of one DNS response into RRsets, in canonical form.
 * An RRset is (owner, type, class) within one section; OPT (41), TSIG (250), TKEY (249) and
 * SIG(0) (type 24 with type covered 0) are left out; RRSIG records are split by the type they
 * cover (one RRset per covered type, as DNSDB shows them). Canonical form: owner lowercased;
 * names inside RDATA decompressed and lowercased (per the lib/dns_wire.h descriptor table);
 * RDATA sorted bytewise (RFC 4034 6.3 canonical order) with duplicates removed; TTL = the
 * smallest TTL of the set. Everything lives in the caller's td_rrset_buf (no allocation). */
#ifndef TD_RRSET_H
#define TD_RRSET_H
#include <stddef.h>
#include <stdint.h>
#include "dns_wire.h"

#define TD_RRSET_MAX 256        /* RRsets kept from one message; more -> TD_RRSET_TOO_MANY */
#define TD_RRSET_RDATA_MAX 512  /* rdata entries across all sets of one message */
#define TD_RRSET_ARENA (65536 * 3) /* octets of canonical rdata of one message */

struct td_rdata_ref {
    uint32_t off;               /* into td_rrset_buf.arena */
    uint16_t len;
};

struct td_rrset {
    uint8_t owner[TD_DNS_NAME_MAX]; /* wire, lowercased */
    uint16_t owner_len;
    uint16_t type, rclass;
    uint16_t covered;           /* RRSIG: type covered; else 0 */
    uint32_t ttl;               /* smallest TTL of the records */
    uint8_t section;            /* enum td_dns_section of its first record */
    uint16_t first, count;      /* its rdata: buf->rdata[first .. first+count-1], sorted, unique */
};

struct td_rrset_buf {
    uint16_t nsets, nrdata;
    uint32_t arena_len;
    struct td_rrset sets[TD_RRSET_MAX];
    struct td_rdata_ref rdata[TD_RRSET_RDATA_MAX];
    uint8_t arena[TD_RRSET_ARENA];
};

enum td_rrset_res {
    TD_RRSET_OK = 0,
    TD_RRSET_MALFORMED,         /* the message does not parse: *dns_err says why */
    TD_RRSET_TOO_MANY,          /* more sets or rdata than the buffer holds */
};

/* Fills buf with the message's RRsets, in order of first appearance (answer, authority,
 * additional). Records of one (owner, type, class[, covered]) in different sections form one
 * RRset only if they are in the same section. */
enum td_rrset_res td_rrsets_from_message(const uint8_t *msg, size_t len, struct td_rrset_buf *buf,
                                         enum td_dns_res *dns_err);

static inline const uint8_t *td_rrset_rdata(const struct td_rrset_buf *b, const struct td_rrset *s,
                                            uint16_t i, uint16_t *len)
{
    const struct td_rdata_ref *r = &b->rdata[s->first + i];
    *len = r->len;
    return b->arena + r->off;
}

#endif
