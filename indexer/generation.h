/* generation.h: build one immutable generation from a stream of (key, value) pairs in
 * strictly increasing memcmp key order (indexer/KEYS.md describes the keys and section 5 the
 * directory). Read with gen_reader.h.
 *
 * A generation directory (format 2) holds:
 *   TABLES          text: "tapdns-generation 2\n", then one line per table in key order:
 *                   "NNNNNN.sst ENTRIES LASTKEY\n" (LASTKEY in lowercase hex); the tables
 *                   partition the key space in that order, each key in one table; their
 *                   numbers need not be consecutive (a side builder's start at 500000);
 *   NNNNNN.sst      a LevelDB-format table of plain keys (sstable.h), about max_file octets;
 *   NNNNNN.bloom    its bloom filter over every key (bloom.h);
 *   SOURCE.obs      written by the tier code (tier.h), not here.
 * Format 1 was a LevelDB database; a directory without TABLES is refused by the reader with a
 * hint to run `tapdns-index rebuild` (which reads SOURCE.obs only).
 *
 * Life of a build: td_gen_build_open(TMPDIR) creates TMPDIR (it must not exist);
 * td_gen_build_put() appends entries to the current table, starting the next table once it
 * holds max_file octets; td_gen_build_finish() appends the metadata entries (KEYS.md: 0xFC
 * time base; 0xFD source NUL -> empty; 0xFE time range; 0xFF + type byte -> version, one per
 * type byte used),
 * finishes the table, its filter and TABLES, fsyncs every file and TMPDIR, then renames TMPDIR
 * to FINALDIR (same file system) and fsyncs both parents. So FINALDIR either does not exist or
 * holds a complete generation; a crash leaves at most TMPDIR. Nothing writes to a generation
 * after that. Memory: one table's bloom hashes (8 octets per key) and LevelDB's block buffers.
 *
 * Table options and why:
 *   snappy compression (the only codec of Debian's LevelDB 1.23);
 *   block size 8 KiB, measured on a 10 M-RRset generation (bench_index, median of 3): exact
 *     rrset lookups 8.6 us with the 256 MiB query cache (4 KiB: about 6), a hot IP's 120 k
 *     results in 23.5 ms, 99.8 octets per RRset with the source file (4 KiB: 101.6). An exact
 *     lookup that misses the cache pays one block read and snappy decompression, which grow
 *     with the block; the 100 octet target decided it;
 *   restart interval 16 keys (LevelDB's default);
 *   max_file 64 MiB: a reader holds a table's index block and filter while the table is open
 *     (gen_reader.h bounds how many), about 1/20 of the table.
 * Library code: no printing; errors come back with a reason in err. */
#ifndef TD_GENERATION_H
#define TD_GENERATION_H
#include <stddef.h>
#include <stdint.h>

/* Metadata key type bytes (after all data key types, so they sort last). */
#define TD_GEN_KEY_TIME_BASE 0xFC  /* 0xFC -> varint time base of the values (keys.h) */
#define TD_GEN_KEY_SOURCE 0xFD     /* 0xFD, source text, 0x00 -> empty value */
#define TD_GEN_KEY_TIME_RANGE 0xFE /* 0xFE -> varint min time_first, varint max time_last */
#define TD_GEN_KEY_VERSION 0xFF    /* 0xFF, type byte -> varint TD_INDEX_SCHEMA_VERSION */

#define TD_GEN_BLOCK_SIZE (8u << 10)
#define TD_GEN_RESTART_INTERVAL 16
#define TD_GEN_MAX_FILE (64u << 20)
#define TD_GEN_FORMAT 2
#define TD_GEN_TABLES "TABLES"

struct td_gen_opts {
    uint32_t time_base;     /* the TIME_BASE entry: the origin the caller encoded values with */
    size_t block_size;      /* 0 = TD_GEN_BLOCK_SIZE */
    int restart_interval;   /* 0 = TD_GEN_RESTART_INTERVAL */
    size_t max_file;        /* 0 = TD_GEN_MAX_FILE */
};

struct td_gen_stats {
    uint64_t entries, key_bytes, value_bytes, tables;
};

struct td_gen_build;

/* NULL with err if dir_tmp exists or cannot be created. opts may be NULL. */
struct td_gen_build *td_gen_build_open(const char *dir_tmp, const struct td_gen_opts *opts, char *err,
                                       size_t errlen);
/* -1 with err if the key is empty, starts with a metadata type byte (>= 0xFC), is not
 * strictly greater than the previous one, or writing fails. The build stays usable after a
 * refused key (nothing was written). */
int td_gen_build_put(struct td_gen_build *b, const uint8_t *key, size_t klen, const uint8_t *value, size_t vlen,
                     char *err, size_t errlen);
/* Metadata, compaction, close, fsync, rename dir_tmp -> final_dir. source: a short text
 * without NUL (NULL = none). Frees *bp (set to NULL) whatever the result; on failure the
 * temporary directory is left for the caller (td_gen_build_abort semantics do not apply). */
int td_gen_build_finish(struct td_gen_build **bp, uint32_t min_time_first, uint32_t max_time_last,
                        const char *source, const char *final_dir, char *err, size_t errlen);
/* Close and remove the temporary directory (a side builder: close it; its tables stay for
 * its main builder's abort). */
void td_gen_build_abort(struct td_gen_build **bp);

/* Side builders, for writing two key ranges at once (one thread each): td_gen_build_side(b)
 * makes a builder that writes tables into b's directory, numbered from TD_GEN_SIDE_FIRST
 * (b's own tables are numbered from 1 and stay below it), and keeps its TABLES lines in
 * memory; it shares nothing with b, so another thread may put into it while b takes puts.
 * Every key put into the side must sort above every data key put into b.
 * td_gen_build_join(b, &side), once b has all its data entries: closes both current tables,
 * appends the side's tables after b's (refused if the side's first key is not above b's
 * last), takes its counts, frees it; b then goes on (its next table is numbered after the
 * side's) to td_gen_build_finish. */
#define TD_GEN_SIDE_FIRST 500000u
struct td_gen_build *td_gen_build_side(const struct td_gen_build *b, char *err, size_t errlen);
int td_gen_build_join(struct td_gen_build *b, struct td_gen_build **side, char *err, size_t errlen);
const struct td_gen_stats *td_gen_build_stats(const struct td_gen_build *b);

/* Removes a directory tree (files and subdirectories, no symlink following). 0, or -1 with
 * err. A missing path is not an error. */
int td_gen_remove_tree(const char *path, char *err, size_t errlen);

#endif
