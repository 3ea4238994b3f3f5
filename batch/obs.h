/* obs.h: observations (deduplicated RRsets with count and first/last time) and their files.
 * batch/OBS_FORMAT.md is normative.
 *
 * Key: the index's RRSET key without its type byte (indexer/KEYS.md will build on it), so a
 * sorted observation file is already in index order:
 *     rev(owner) | varint rrtype | rev(bailiwick) | for each rdata: varint len, rdata
 * rev(name) reverses the labels and keeps the root octet (www.example.com. ->
 * \3com\7example\3www\0); names are lowercased; rdata canonical and sorted (rrset.h). RRSIG
 * sets: rrtype is 46 and the covered type is inside the rdata, so no extra field. Only class
 * IN is observed. A discard entry has the same key (bailiwick: the root when unknown) and
 * carries a reason and a filter rule number. Value: count, time_first, time_last (seconds);
 * merge = sum, min, max. */
#ifndef TD_OBS_H
#define TD_OBS_H
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "cof.h"
#include "rrset.h"

/* The order of observation keys (section 1 of OBS_FORMAT.md) and of index keys (KEYS.md):
 * memcmp, a proper prefix first. <0, 0 or >0. */
static inline int td_key_cmp(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
    size_t n = alen < blen ? alen : blen;
    int c = n ? memcmp(a, b, n) : 0;
    return c ? c : (alen > blen) - (alen < blen);
}

/* The length of the longest common prefix of a and b, both at least n octets long (at most n). */
static inline size_t td_common_prefix(const uint8_t *a, const uint8_t *b, size_t n)
{
    size_t i = 0;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    for (; i + 8 <= n; i += 8) {
        uint64_t x, y;
        memcpy(&x, a + i, 8);
        memcpy(&y, b + i, 8);
        if (x != y)
            return i + (size_t)(__builtin_ctzll(x ^ y) >> 3);
    }
#endif
    while (i < n && a[i] == b[i])
        i++;
    return i;
}

#define TD_OBS_KEY_MAX (2 * 256 + 8 + 65536 * 2)

struct td_obs_value {
    uint64_t count;
    uint32_t time_first, time_last;
    uint8_t reason;            /* enum td_discard_reason; 0 in observation files */
    uint16_t rule;             /* filter rule number when reason is TD_DR_FILTER */
};

/* Key of one RRset (from buf) with bailiwick zone (wire). Returns the key length, or 0 if cap
 * is too small or the owner, zone or rdata references are malformed. */
size_t td_obs_key_encode(const struct td_rrset_buf *buf, const struct td_rrset *s,
                         const uint8_t *zone, size_t zone_len, uint8_t *out, size_t cap);

/* Decoded view of a key: names in wire order (un-reversed), rdata pointers into the key. */
struct td_obs_key {
    uint8_t owner[255];
    uint16_t owner_len;
    uint8_t bailiwick[255];
    uint16_t bailiwick_len;
    uint16_t rrtype;
    uint16_t nrdata;
    const uint8_t *rdata[TD_RRSET_RDATA_MAX];
    uint16_t rdlen[TD_RRSET_RDATA_MAX];
};
/* 0, or -1 if the key is malformed. */
int td_obs_key_decode(const uint8_t *key, size_t len, struct td_obs_key *k);
/* The same checks and fields, except the bailiwick (bailiwick_len 0): for callers that do not
 * need it (index entries), without the work of turning it back into wire order. */
int td_obs_key_decode_no_bailiwick(const uint8_t *key, size_t len, struct td_obs_key *k);
/* A decoded observation and its value as the COF writer's entry (pointers into k). */
struct td_cof_entry td_obs_cof_entry(const struct td_obs_key *k, const struct td_obs_value *v);
static inline void td_obs_merge(struct td_obs_value *a, const struct td_obs_value *b)
{
    a->count += b->count;
    if (b->time_first < a->time_first)
        a->time_first = b->time_first;
    if (b->time_last > a->time_last)
        a->time_last = b->time_last;
}

/* Writer: entries must come in strictly increasing key order (else -1: a bug upstream).
 * Written to PATH.tmp; close = finish, fsync, rename to PATH, fsync the directory; a reader
 * never sees a half-written file. */
struct td_obs_writer;
struct td_obs_writer *td_obs_writer_open(const char *path, int is_discard, char *err, size_t errlen);
int td_obs_write(struct td_obs_writer *w, const uint8_t *key, size_t klen, const struct td_obs_value *v,
                 char *err, size_t errlen);
int td_obs_writer_close(struct td_obs_writer **wp, char *err, size_t errlen);
/* Abandon: remove PATH.tmp. */
void td_obs_writer_abort(struct td_obs_writer **wp);

struct td_obs_reader;
struct td_obs_reader *td_obs_reader_open(const char *path, char *err, size_t errlen);
int td_obs_reader_is_discard(const struct td_obs_reader *r);
/* 1 = entry (key valid until the next call), 0 = end (verified against the trailer),
 * -1 = error (err says why and where). */
int td_obs_read(struct td_obs_reader *r, const uint8_t **key, size_t *klen, struct td_obs_value *v,
                char *err, size_t errlen);
void td_obs_reader_close(struct td_obs_reader **rp);

#endif
