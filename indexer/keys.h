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

/* Value codec (varints). encode returns the length; decode 0 or -1. */
size_t td_index_value_encode(const struct td_obs_value *v, uint8_t out[TD_INDEX_VALUE_MAX]);
int td_index_value_decode(const uint8_t *p, size_t len, struct td_obs_value *v);

#endif
