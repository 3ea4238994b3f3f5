/* tier.h: generations of every tier (hour, day, month) and their source files; the work of
 * tapdns-index build, merge, rebuild and import (indexer/KEYS.md "Generations and tiers").
 *
 * Source file. Every generation directory ROOT/NAME holds, next to the table files,
 * TD_TIER_SOURCE ("SOURCE.obs"): an observation file (batch/OBS_FORMAT.md) of the merged,
 * sorted observations the generation was built from. It is written into the temporary
 * directory before td_gen_build_finish() fsyncs and renames it, so a generation directory
 * that exists has its complete source. Merges, rebuilds and exports read only source files,
 * never the tables (they hold entries, not observations).
 *
 * Builder. Observations go into a batch/dedupe.h sorter (append mode) as their index entries
 * (td_index_entries) plus one internal entry TD_TIER_SRC_MARK | obs key (the observation
 * itself); the sorter merges equal keys (min time_first, max time_last, sum count) and
 * emits in key order: data entries (type bytes 00..13) go to the generation, then the
 * TD_TIER_SRC_MARK entries, which are the merged observations in obs key order, go to the
 * source file. So every tier is built by the same code from (merged) observations.
 * Streaming shortcut (same output): while the observations arrive in non-decreasing key
 * order (one sorted file, or td_tier_build_add_obs_files' k-way merge of several), equal
 * neighbours merge on the fly, the source file is written directly, and the non-DNSSEC RRSET
 * entries (type byte 00, the observation key itself) skip the sorter: they are written from
 * the source file before the sorter's output. An observation below its predecessor ends the
 * shortcut for that build (what was streamed goes into the sorter, the generation started
 * over). One writer thread makes every generation put (and writes the streamed source file)
 * while the calling thread reads and sorts. The sorter is two lanes split by type byte
 * (below RDATA; RDATA and above, source marks included), each with half of mem_cap; at the
 * end each lane merges on a thread of its own into a writer thread of its own, lane 1 into a
 * side builder of the same generation (generation.h td_gen_build_side): four threads. While
 * the input is read, lane 1's sorter is fed (and spills) on a thread of its own.
 *
 * Writers: every entry point below takes the writers' lock (td_fileset_lock), loads
 * FILESET, removes what a crashed writer left (td_fileset_cleanup), and ends with one
 * atomic FILESET replacement; the generations it retires are deleted after that
 * replacement (a crash in between leaves unlisted directories, removed by the next run).
 * Steps: opts->step (if set) is called with a step name at the crash-test points listed in
 * TD_TIER_STEPS; the library itself never exits. Library code: no printing. */
#ifndef TD_TIER_H
#define TD_TIER_H
#include <stddef.h>
#include <stdint.h>
#include "fileset.h"
#include "obs.h"

#define TD_TIER_SOURCE "SOURCE.obs"
#define TD_TIER_SRC_MARK 0xF0
#define TD_TIER_MAX_INPUTS 4096u     /* input generations of one merge */

/* Step names, in the order a build meets them:
 *   sorted    every input was read and sorted; the generation in ROOT/tmp/NAME may hold part of
 *             its entries (a streaming build writes RRSET entries while it reads)
 *   written   generation entries and source file written in ROOT/tmp/NAME, not finished
 *   renamed   generation finished and renamed to ROOT/NAME; FILESET not yet replaced
 *   stored    FILESET replaced; retired generations not yet deleted
 * rebuild also meets "hours" (every hour generation built, before the merges). */
#define TD_TIER_STEPS "sorted written renamed stored hours"

struct td_tier_opts {
    uint64_t mem_cap;                 /* sorter memory (both lanes); 0 = 256 MiB */
    uint32_t split_sample;            /* entries sampled to place the lanes' split; 0 = 65536 */
    void (*step)(void *ctx, const char *step);
    void *step_ctx;
};

struct td_tier_report {
    char name[TD_FILESET_NAME_MAX];   /* the generation made (last one for rebuild) */
    uint32_t inputs;                  /* files or generations read */
    uint32_t retired;                 /* generations removed from FILESET */
    uint32_t generations;             /* generations made (rebuild: all, merges included) */
    uint64_t observations;            /* observations read */
    uint64_t distinct;                /* merged observations in the (last) source file */
    uint64_t entries_in, entries;     /* index entries before / after merging (last build) */
    uint64_t runs_spilled, bytes_spilled;
    uint32_t min_time_first, max_time_last;
    double t_read, t_write, t_finish; /* seconds (last build) */
};

/* Reads observations into a builder. Returns 0 or -1 with err. */
struct td_tier_build;
typedef int (*td_tier_reader_fn)(void *ctx, struct td_tier_build *b, char *err, size_t errlen);

/* One generation from observations. name: TIER.PERIOD.SEQ; built in ROOT/tmp/NAME (ROOT/tmp
 * must exist), finished into ROOT/NAME. */
/* The start of a generation name's period (h.YYYYMMDDHH: that hour, d.YYYYMMDD: that day,
 * m.YYYYMM: that month, UTC), the time base its values are encoded against (keys.h); 0 for
 * other names. */
uint32_t td_tier_time_base(const char *name);
struct td_tier_build *td_tier_build_open(const char *root, const char *name, const struct td_tier_opts *opts,
                                         char *err, size_t errlen);
/* One observation (obs key, batch/obs.h). -1 with err on a malformed key or sorter error. */
int td_tier_build_add(struct td_tier_build *b, const uint8_t *key, size_t klen, const struct td_obs_value *v,
                      char *err, size_t errlen);
/* Every observation of an observation file (refuses discard files). */
int td_tier_build_add_obs_file(struct td_tier_build *b, const char *path, char *err, size_t errlen);
/* Every observation of n observation files, merged in key order (a k-way merge of up to 64
 * files; more are read one after the other), so sorted inputs keep the build streaming. */
int td_tier_build_add_obs_files(struct td_tier_build *b, char *const *paths, int n, char *err, size_t errlen);
/* Every observation of the source file of generation ROOT/NAME. */
int td_tier_build_add_source(struct td_tier_build *b, const char *root, const char *name, char *err,
                             size_t errlen);
/* Sort, write the generation and its source, finish and rename to ROOT/NAME. Frees *bp.
 * rep (may be NULL) gets the counters. */
int td_tier_build_finish(struct td_tier_build **bp, const char *source_text, struct td_tier_report *rep,
                         char *err, size_t errlen);
void td_tier_build_abort(struct td_tier_build **bp);

/* "ROOT/NAME/SOURCE.obs" into out. 0 or -1 (too long). */
int td_tier_source_path(char *out, size_t cap, const char *root, const char *name);

/* Periods. An hour YYYYMMDDHH, a day YYYYMMDD, a month YYYYMM, with a real date. */
int td_tier_period_ok(char tier, const char *period);
/* Inputs of a merge of tier 'd' (period YYYYMMDD) or 'm' (YYYYMM): every generation of fs
 * of a lower tier of that period (d: hours h.YYYYMMDDhh.*; m: h.YYYYMM*, d.YYYYMM*) and the
 * generations of the same tier and period (an earlier merge, merged again when late hours
 * came). idx[] gets their positions in fs (sorted), the return value is their number (0:
 * nothing to merge), or -1 with err (more than cap). */
int td_tier_plan(const struct td_fileset *fs, char tier, const char *period, uint32_t *idx, uint32_t cap,
                 char *err, size_t errlen);
/* Next free name TIER.PERIOD.SEQ: SEQ is one above the highest of that prefix in a and b
 * (b may be NULL), 0 if none. */
void td_tier_next_name(const struct td_fileset *a, const struct td_fileset *b, char tier, const char *period,
                       char name[TD_FILESET_NAME_MAX]);

/* tapdns-index build: one hour generation h.HOUR.SEQ from reader (it calls
 * td_tier_build_add*); refused (-1, err says "already in") when the hour is live and not
 * replace; with replace the hour's old generations are retired. */
int td_tier_build_hour(const char *root, const char *hour, int replace, td_tier_reader_fn reader, void *rctx,
                       uint32_t ninputs, const char *source_text, const struct td_tier_opts *opts,
                       struct td_tier_report *rep, char *err, size_t errlen);
/* The same with observation files as input. */
int td_tier_build_hour_files(const char *root, const char *hour, int replace, char *const *files, int nfiles,
                             const struct td_tier_opts *opts, struct td_tier_report *rep, char *err,
                             size_t errlen);
/* tapdns-index merge: 0 merged, 1 nothing to do (no input, or only one generation already of
 * that tier; FILESET unchanged), -1 with err. */
int td_tier_merge(const char *root, char tier, const char *period, const struct td_tier_opts *opts,
                  struct td_tier_report *rep, char *err, size_t errlen);
/* tapdns-index rebuild: every file's hour is the first 10 characters of its base name
 * (batch output: YYYYMMDDHH.SEQ.obs.zst); hour generations, then the day merges and month
 * merges that the current FILESET shows (each day of a d generation, each month of an m
 * generation), then one FILESET replacement: the new set replaces the whole old one. */
int td_tier_rebuild(const char *root, char *const *files, int nfiles, const struct td_tier_opts *opts,
                    struct td_tier_report *rep, char *err, size_t errlen);
/* The hour of an observation file name (basename's first 10 characters), into hour[11]. */
int td_tier_file_hour(const char *path, char hour[11]);

#endif
