/* apikeys.h: API keys and their quotas for tapdns-queryd (DESIGN.md 7, REFERENCE.md 1 "Quotas",
 * "rate_limit", "Headers").
 *
 * Keys file (text, written atomically by td_keys_save: temp file, fsync, td_rename_durable;
 * mode 0600; '#' comments and blank lines kept out): one key per line,
 *   NAME SHA256HEX daily_limit results_max offset_max burst_size burst_window [revoked]
 * NAME: 1-32 of [A-Za-z0-9_.-], unique. SHA256HEX: SHA-256 (nettle) of the key string, lowercase
 * hex; the key itself is never stored. A key string is "tdk_" + 32 lowercase hex digits from
 * getrandom(2). Numbers: decimal; daily_limit 0 = unlimited; offset_max 0 = offsets refused;
 * burst_size 0 = no burst cap. A malformed line makes td_keys_load fail with "FILE:LINE: reason".
 *
 * Quota state (file given separately, e.g. /var/lib/tapdns/quota): per key name the day
 * (days since the epoch, UTC) and queries charged that day, and the burst window start and
 * count; saved atomically at most every second by td_quota_save_if_dirty and at shutdown, so
 * it survives restarts (a crash loses at most the last second of charges). Only lookup and
 * summarize are charged; rate_limit and ping are not.
 *
 * Memory: bounded by the number of keys (TD_KEYS_MAX). Not thread-safe (tapdns-queryd is one
 * event loop). */
#ifndef TD_QUERY_APIKEYS_H
#define TD_QUERY_APIKEYS_H
#include <stddef.h>
#include <stdint.h>

#define TD_KEYS_MAX 4096
#define TD_KEY_STRING_LEN 36 /* "tdk_" + 32 hex */

struct td_key {
    char name[33];
    uint8_t hash[32];
    uint64_t daily_limit, results_max, offset_max, burst_size, burst_window;
    int revoked;
    /* quota state */
    uint32_t day;            /* day the count below belongs to */
    uint64_t used_today;
    uint64_t burst_start;    /* epoch seconds */
    uint64_t burst_used;
};

struct td_keys;

/* NULL with err. A missing keys file is an error (the server refuses to start without one
 * unless it was started with no --keys at all, which means no authentication). state may be
 * NULL (no persistence) or a missing file (all counters zero). */
struct td_keys *td_keys_load(const char *keys_path, const char *state_path, char *err, size_t errlen);
void td_keys_free(struct td_keys **kp);
int td_keys_save(const struct td_keys *k, char *err, size_t errlen);

/* The key whose hash matches key_string (constant-time compare), or NULL (unknown or revoked). */
struct td_key *td_keys_find(struct td_keys *k, const char *key_string);

/* keys add/list/revoke: add generates a key, stores its hash and writes the key string (NUL-ended)
 * to out; -1 with err if the name exists or is invalid. */
int td_keys_add(struct td_keys *k, const char *name, uint64_t daily_limit, uint64_t results_max,
                uint64_t offset_max, uint64_t burst_size, uint64_t burst_window, char out[TD_KEY_STRING_LEN + 1],
                char *err, size_t errlen);
int td_keys_revoke(struct td_keys *k, const char *name, char *err, size_t errlen);
size_t td_keys_count(const struct td_keys *k);
const struct td_key *td_keys_at(const struct td_keys *k, size_t i);

/* Charges one query at time now: 0 = allowed (counted), 429 = daily or burst quota exceeded
 * (err says which, with the reset time). The day rolls over at 00:00 UTC. */
int td_quota_charge(struct td_keys *k, struct td_key *key, uint64_t now, char *err, size_t errlen);

/* The rate_limit numbers for key at time now (REFERENCE.md 1 "rate_limit"): limit and remaining
 * (UINT64_MAX = "unlimited" / "n/a"), reset (next 00:00 UTC, 0 = "n/a"). */
struct td_quota_view {
    uint64_t limit, remaining, reset, results_max, offset_max, burst_size, burst_window;
};
void td_quota_view(const struct td_key *key, uint64_t now, struct td_quota_view *v);

/* Writes the state file if anything was charged since the last save and at least a second
 * passed (or force). 0 or -1 with err. */
int td_quota_save_if_dirty(struct td_keys *k, uint64_t now, int force, char *err, size_t errlen);

#endif
