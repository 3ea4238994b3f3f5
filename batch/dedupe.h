/* dedupe.h: aggregation of (key, value) pairs with bounded memory. Equal keys merge (count
 * sum, time min/max; reason/rule: the first seen). While the memory in use stays under
 * mem_cap, entries live in a hash table; above it, the table is sorted and written to a run
 * file in spill_dir and emptied. td_dedupe_finish() merges the runs and the table (k-way, by
 * key) and calls emit once per distinct key, in increasing memcmp key order. Run files are
 * removed by finish and destroy. */
#ifndef TD_DEDUPE_H
#define TD_DEDUPE_H
#include <stddef.h>
#include <stdint.h>
#include "obs.h"

struct td_dedupe_opts {
    size_t mem_cap;            /* octets; 0 = default 256 MiB; below 1 MiB is raised to 1 MiB */
    const char *spill_dir;     /* where run files go (must exist) */
    int append;                /* 1 for keys that are nearly all distinct (index builds): an add
                                * appends without a table lookup and equal keys merge when the
                                * entries are sorted (at a spill or at finish). Emitted keys,
                                * counts and times are the same; the reason and rule of a merged
                                * key are those of one of its adds, which one unspecified.
                                * Spills then run on a thread of their own while adds go on,
                                * so a table gets half of mem_cap (the other half is for the
                                * one being spilled); a failed spill is reported by the next
                                * add that spills or by finish. td_dedupe_prefetch_* do
                                * nothing then. */
};

struct td_dedupe_stats {
    uint64_t added, distinct_in_memory, runs_spilled, bytes_spilled, peak_mem, emitted;
};

typedef int (*td_dedupe_emit_fn)(void *ctx, const uint8_t *key, size_t klen, const struct td_obs_value *v);

struct td_dedupe;
struct td_dedupe *td_dedupe_init(const struct td_dedupe_opts *opts, char *err, size_t errlen);
int td_dedupe_add(struct td_dedupe *d, const uint8_t *key, size_t klen, const struct td_obs_value *v,
                  char *err, size_t errlen);
/* The same as td_dedupe_add with h = td_dedupe_hash(key, klen) computed before (h must be that
 * value). With the prefetch hints below, a caller can start the table's cache misses for a
 * batch of keys early (e.g. one response's keys while the next response is verified):
 * prefetch_slot(h), later prefetch_entry(h) (reads the slot, fetches the entry it names), then
 * add_hashed. Hints never change results and stay valid whatever happens in between. */
uint64_t td_dedupe_hash(const uint8_t *key, size_t klen);
int td_dedupe_add_hashed(struct td_dedupe *d, const uint8_t *key, size_t klen, uint64_t h,
                         const struct td_obs_value *v, char *err, size_t errlen);
void td_dedupe_prefetch_slot(const struct td_dedupe *d, uint64_t h);
void td_dedupe_prefetch_entry(const struct td_dedupe *d, uint64_t h);
/* Emits everything in key order; an emit returning non-zero stops with that value. */
int td_dedupe_finish(struct td_dedupe *d, td_dedupe_emit_fn emit, void *ctx, char *err, size_t errlen);
const struct td_dedupe_stats *td_dedupe_stats(const struct td_dedupe *d);
/* Drops every entry and run (finished or not) and makes d as td_dedupe_init made it (same
 * options, stats zeroed), keeping emptied chunk memory for reuse (no fresh pages to fault in
 * for the next batch; that memory is freed whenever the cap needs it). 0, or -1 with err
 * (then d refuses adds; destroy it). */
int td_dedupe_reset(struct td_dedupe *d, char *err, size_t errlen);
void td_dedupe_destroy(struct td_dedupe **dp);

#endif
