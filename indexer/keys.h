/* keys.h: the index's key schema (indexer/KEYS.md is normative, written with keys.c).
 * From one observation (batch/obs.h: key rev(owner) | varint rrtype | rev(bailiwick) |
 * (varint len, rdata)*, value count/time_first/time_last) come all its index entries:
 * RRSET, RRSET_NAME_FWD, one RDATA per rdata (and a sliced RDATA for MX, SRV, SVCB, HTTPS),
 * RDATA_NAME_REV for names inside rdata; DNSSEC types (DS, RRSIG, NSEC, DNSKEY, NSEC3,
 * NSEC3PARAM, DLV, CDS, CDNSKEY, TA) under their own type bytes so that ANY excludes them and
 * ANY-DNSSEC reads only them. Values: varint time_first, time_last, count; merge min/max/sum.
 * Query helpers turn a lookup into key ranges [start, end) to scan. No allocation. */
#ifndef TD_INDEX_KEYS_H
#define TD_INDEX_KEYS_H
#include <stddef.h>
#include <stdint.h>
#include "obs.h"

#define TD_INDEX_KEY_MAX (1 + TD_OBS_KEY_MAX + 16)
#define TD_INDEX_VALUE_MAX 32

/* Receives each entry; returns 0, or non-zero to stop (passed back). */
typedef int (*td_index_emit_fn)(void *ctx, const uint8_t *key, size_t klen, const struct td_obs_value *v);

/* All index entries of one observation, in no particular order. -1 with err if the
 * observation key is malformed. */
int td_index_entries(const uint8_t *obs_key, size_t klen, const struct td_obs_value *v,
                     td_index_emit_fn emit, void *ctx, char *err, size_t errlen);

/* Value codec (KEYS.md section 3): varint zigzag(time_first - base), varint (time_last -
 * time_first), varint count, where base is the generation's TIME_BASE (its period's start, so
 * an hour generation's times take 2 octets each instead of 5). encode returns the length;
 * decode 0 or -1 (times outside 0..2^32-1, time_first > time_last, trailing octets). */
size_t td_index_value_encode(const struct td_obs_value *v, uint32_t base, uint8_t out[TD_INDEX_VALUE_MAX]);
int td_index_value_decode(const uint8_t *p, size_t len, uint32_t base, struct td_obs_value *v);

/* ---- Type bytes (KEYS.md section 2). The low nibble is the layout; 0x10 marks DNSSEC types. */
#define TD_IK_RRSET 0x00
#define TD_IK_NAME_FWD 0x01
#define TD_IK_RDATA 0x02
#define TD_IK_NAME_REV 0x03
#define TD_IK_DNSSEC 0x10
#define TD_IK_TIME_BASE 0xFC
#define TD_IK_TIME_RANGE 0xFE
#define TD_IK_VERSION 0xFF
#define TD_INDEX_SCHEMA_VERSION 2

/* 1 if rrtype is one of DS, RRSIG, NSEC, DNSKEY, NSEC3, NSEC3PARAM, DLV, CDS, CDNSKEY, TA. */
int td_index_rrtype_is_dnssec(uint16_t rrtype);
/* Type byte of layout `layout` (TD_IK_RRSET..TD_IK_NAME_REV) for an RRset of rrtype. */
uint8_t td_index_type_byte(uint8_t layout, uint16_t rrtype);
/* Offset of the sliced RDATA key of rrtype (MX 2, SRV 6, SVCB 2, HTTPS 2), 0 if none. */
unsigned td_index_slice_offset(uint16_t rrtype);

/* Merge two encoded values of one generation (min time_first, max time_last, sum count
 * saturating at 2^64-1) into out; returns the length, 0 if either input does not decode. */
size_t td_index_value_merge(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen, uint32_t base,
                            uint8_t out[TD_INDEX_VALUE_MAX]);

/* ---- Metadata entries, written once per generation by its builder.
 * TIME_BASE: key "\xFC", value varint base (the values' time origin; absent = 0).
 * TIME_RANGE: key "\xFE", value varint min time_first, varint max time_last (merge min/max).
 * VERSION: key "\xFF" + the type byte described, value varint version (merge keeps the lowest). */
size_t td_index_time_base_encode(uint32_t base, uint8_t out[TD_INDEX_VALUE_MAX]);
int td_index_time_base_decode(const uint8_t *p, size_t len, uint32_t *base);
size_t td_index_time_range_encode(uint32_t min_tf, uint32_t max_tl, uint8_t out[TD_INDEX_VALUE_MAX]);
int td_index_time_range_decode(const uint8_t *p, size_t len, uint32_t *min_tf, uint32_t *max_tl);
/* Key (2 octets) and value of the VERSION entry of type byte tb; returns the value length. */
size_t td_index_version_entry(uint8_t tb, uint8_t key[2], uint8_t val[TD_INDEX_VALUE_MAX]);
int td_index_version_decode(const uint8_t *p, size_t len, uint64_t *version);

/* ---- Decoders (0, or -1 if the key is not a well-formed key of that kind; a type byte that
 * disagrees with the rrtype's DNSSEC class is malformed). Names come out in wire order. */
/* Layout of a key (TD_IK_RRSET..TD_IK_NAME_REV, TD_IK_TIME_RANGE, TD_IK_VERSION) from its
 * type byte; -1 for an unknown type byte or an empty key. Checks nothing else. */
int td_index_key_layout(const uint8_t *key, size_t len);
/* RRSET: the observation key after the type byte; *dnssec (may be NULL) = type byte 0x10. */
int td_index_rrset_decode(const uint8_t *key, size_t len, struct td_obs_key *k, int *dnssec);
/* RRSET_NAME_FWD and RDATA_NAME_REV: the name (wire order, out holds 255). */
int td_index_name_fwd_decode(const uint8_t *key, size_t len, uint8_t out[255], uint16_t *out_len, int *dnssec);
int td_index_name_rev_decode(const uint8_t *key, size_t len, uint8_t out[255], uint16_t *out_len, int *dnssec);

/* RDATA: the rdata is head | tail; unsliced keys have head_len 0 (tail = the whole rdata),
 * sliced keys hold tail = rdata[off:] first and head = rdata[:off] after the owner. Pointers
 * point into the key. */
struct td_index_rdata_key {
    uint16_t rrtype;
    uint8_t sliced;
    uint8_t dnssec;
    uint8_t owner[255];
    uint16_t owner_len;
    const uint8_t *head, *tail;
    uint16_t head_len, tail_len;
};
int td_index_rdata_decode(const uint8_t *key, size_t len, struct td_index_rdata_key *r);
/* The whole rdata into out; returns its length, or (size_t)-1 if cap is too small. */
size_t td_index_rdata_copy(const struct td_index_rdata_key *r, uint8_t *out, size_t cap);

/* ---- Query ranges. A scan reads the keys k with start <= k < end (memcmp order); end_len 0
 * means "to the end of the key space". Names are uncompressed wire names (any case; the
 * helpers lowercase). rrtype: 0..65535, or TD_INDEX_ANY (every non-DNSSEC type) or
 * TD_INDEX_ANY_DNSSEC (every DNSSEC type): a given rrtype picks its own type byte.
 * Each returns -1 (err says why) on bad input, else a mask of the checks the caller must
 * still make on each decoded key (the range is exact when 0):
 *   TD_IR_CHECK_TYPE       the decoded rrtype must be the one asked (or, for rdata name with
 *                          ANY, a type whose rdata starts with a name: td_index_rdata_name_type)
 *   TD_IR_CHECK_BAILIWICK  the decoded bailiwick must equal the one asked
 *   TD_IR_CHECK_RDATA      RDATA scans: the decoded rdata must be (or start with, for names in
 *                          SOA/SVCB/HTTPS) what was asked: A 4 octets, AAAA 16, the name */
#define TD_INDEX_ANY (-1)
#define TD_INDEX_ANY_DNSSEC (-2)
#define TD_IR_CHECK_TYPE 1
#define TD_IR_CHECK_BAILIWICK 2
#define TD_IR_CHECK_RDATA 4
#define TD_INDEX_RANGE_MAX (1 + 255 + 3 + 255 + 1)
struct td_index_range {
    uint8_t start[TD_INDEX_RANGE_MAX];
    size_t start_len;
    uint8_t end[TD_INDEX_RANGE_MAX];
    size_t end_len;
};
/* rrset/name/OWNER[/TYPE[/BAILIWICK]]: prefix 00 rev(owner) [varint type [rev(bailiwick)]].
 * bw may be NULL; a bailiwick with an ANY type is left to TD_IR_CHECK_BAILIWICK. */
int td_index_range_rrset(struct td_index_range *r, const uint8_t *owner, size_t owner_len, int rrtype,
                         const uint8_t *bw, size_t bw_len, char *err, size_t errlen);
/* rrset/name/ *.X: X and every name below it: prefix 00 rev(X) without its root octet. A
 * given rrtype only picks the type byte (TD_IR_CHECK_TYPE). */
int td_index_range_rrset_below(struct td_index_range *r, const uint8_t *x, size_t xlen, int rrtype,
                               char *err, size_t errlen);
/* X.*: forward names starting with X's labels: prefix 01 wire(X) without its root octet
 * (then one rrset scan per name found). rrtype picks the type byte only. */
int td_index_range_name_fwd(struct td_index_range *r, const uint8_t *x, size_t xlen, int rrtype,
                            char *err, size_t errlen);
/* rdata/name/ *.X: names inside rdata equal to or below X: prefix 03 rev(X) without its root. */
int td_index_range_name_rev_below(struct td_index_range *r, const uint8_t *x, size_t xlen, int rrtype,
                                  char *err, size_t errlen);
/* rdata/name/NAME[/TYPE]: prefix 02 wire(name) [varint type when the type's key rdata is the
 * name alone: NS, CNAME, DNAME, PTR, MX and SRV (sliced), and the other one-name types]. */
int td_index_range_rdata_name(struct td_index_range *r, const uint8_t *name, size_t nlen, int rrtype,
                              char *err, size_t errlen);
/* rdata/name/X.*: rdata that starts with a name of X's labels plus at least one more: prefix
 * tb wire(X) without its root octet (X itself, `tb wire(X)`, is in the range and must be
 * skipped by the caller). Checks owed: TD_IR_CHECK_TYPE | TD_IR_CHECK_RDATA (the rdata must
 * start with a well-formed name that has more labels than X; the name alone for one-name
 * types, as for rdata name). */
int td_index_range_rdata_name_above(struct td_index_range *r, const uint8_t *x, size_t xlen, int rrtype,
                                    char *err, size_t errlen);
/* 1 if an rdata of rrtype starts with a name (NS, CNAME, DNAME, PTR, MX, SRV sliced, SOA,
 * SVCB, HTTPS sliced, NSEC, RP, NXT): the ANY filter of an rdata name scan. */
int td_index_rdata_name_type(uint16_t rrtype);
/* 1 if an RRset of rrtype gives RDATA_NAME_REV entries (NS, CNAME, DNAME, PTR, MX, SRV, SVCB,
 * HTTPS, SOA): the types an rdata name `*.X` scan (through RDATA_NAME_REV) can find. */
int td_index_name_rev_type(uint16_t rrtype);
/* rdata/ip: addresses lo..hi inclusive (alen 4: A, 16: AAAA; lo <= hi), from 02 lo varint(t)
 * up to the successor of 02 hi varint(t). One address: lo == hi. */
int td_index_range_ip(struct td_index_range *r, const uint8_t *lo, const uint8_t *hi, size_t alen,
                      char *err, size_t errlen);
/* ADDR,PFXLEN (pfxlen 0..32 or 0..128; host bits of addr are ignored). */
int td_index_range_cidr(struct td_index_range *r, const uint8_t *addr, size_t alen, unsigned pfxlen,
                        char *err, size_t errlen);

#endif
