/* driver.h: one run of tapdns-batch.
 *
 * Input: the closed spool files of spool_dir not yet done (state.h). They are taken hour by
 * hour (the hour in the file name), oldest first; within an hour the files' records are
 * merged by record time (ties: file name order), so a run is deterministic.
 * Per record: td_bw_check_response -> td_rrsets_from_message -> td_bw_verify -> filters ->
 * dedupe of observations, and of discards (with the reason; the first reason seen wins).
 * Output per hour group, in out_dir:
 *     YYYYMMDDHH.SEQ.obs.zst      observations (batch/OBS_FORMAT.md), sorted by key
 *     YYYYMMDDHH.SEQ.discard.zst  discarded RRsets with their reasons
 * SEQ counts the groups of that hour (late spool files of an hour make a new group).
 * Exactly once: outputs are written under temporary names and renamed; then the bailiwick
 * cache is saved to a new file and the state (done files, next SEQ, cache file name) is
 * committed atomically; only then is the previous cache file removed. A crash before the
 * commit leaves the old state: the rerun makes the same group with the same SEQ from the same
 * cache, so the same output names get the same content. Nothing is counted twice.
 * Library code: no printing; errors as one line in err. */
#ifndef TD_BATCH_DRIVER_H
#define TD_BATCH_DRIVER_H
#include <stddef.h>
#include <stdint.h>
#include "bailiwick.h"

#define TD_BATCH_COUNTERS(X) \
    X(spool_files, "spool files processed") \
    X(spool_files_damaged, "spool files with a torn or corrupt part (records before it used)") \
    X(groups, "hour groups written") \
    X(records, "spool records read") \
    X(unanswered, "records without a response (skipped)") \
    X(responses, "responses verified") \
    X(resp_unsolicited, "responses rejected: unsolicited") \
    X(resp_checksum, "responses rejected: bad UDP checksum") \
    X(resp_mismatch, "responses rejected: do not answer their query") \
    X(resp_rcode, "responses rejected: rcode other than NOERROR/NXDOMAIN") \
    X(resp_truncated, "responses rejected: TC=1") \
    X(resp_class, "responses rejected: class other than IN") \
    X(resp_malformed, "responses rejected: malformed or too many records") \
    X(rrsets, "RRsets taken out of responses") \
    X(rrsets_accepted, "RRsets accepted (in bailiwick, not filtered)") \
    X(rrsets_out_of_bailiwick, "RRsets discarded: out of bailiwick") \
    X(rrsets_filtered, "RRsets discarded: filter rule") \
    X(rrsets_rejected_with_response, "RRsets discarded with their response") \
    X(rrsets_class, "RRsets discarded: class other than IN") \
    X(observations, "observations written (distinct RRset, bailiwick)") \
    X(discards, "discard entries written (distinct RRset, reason)") \
    X(spill_runs, "dedupe runs spilled to disk")

struct td_batch_stats {
#define TD_X(name, desc) uint64_t name;
    TD_BATCH_COUNTERS(TD_X)
#undef TD_X
};

struct td_batch_opts {
    const char *spool_dir, *out_dir, *state_dir;
    const char *root_hints;     /* zone-file root hints (pinned root servers) */
    const char *filters;        /* rules file (filter.h) or NULL */
    int discard_soa;
    size_t mem_cap;             /* dedupe memory cap, octets (default 256 MiB) */
    struct td_bw_opts bw;
    /* Called after each group (may be NULL): progress for long runs. */
    void (*progress)(void *ctx, const char *group, const struct td_batch_stats *st);
    void *progress_ctx;
};

/* One run. 0 when every group was written (warnings such as damaged spool files are counted,
 * not fatal), -1 with err otherwise (the state then holds every group committed before). */
int td_batch_run(const struct td_batch_opts *o, struct td_batch_stats *st, char *err, size_t errlen);
void td_batch_stats_foreach(const struct td_batch_stats *st,
                            void (*fn)(void *ctx, const char *name, const char *desc, uint64_t v), void *ctx);

#endif
