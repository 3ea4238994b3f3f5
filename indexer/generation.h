/* generation.h: build one immutable LevelDB generation from a stream of (key, value) pairs
 * in strictly increasing memcmp key order (indexer/KEYS.md describes the keys).
 *
 * Life of a build: td_gen_build_open(TMPDIR) creates a fresh LevelDB in TMPDIR (it must not
 * exist); td_gen_build_put() appends entries (WriteBatches of opts.batch_entries, sync off);
 * td_gen_build_finish() writes the metadata entries (KEYS.md: 0xFE time range; 0xFF + type
 * byte -> version, one per type byte used; and 0xFD source NUL -> empty), compacts everything once, closes, fsyncs every file and TMPDIR, then renames
 * TMPDIR to FINALDIR (same file system) and fsyncs both parents. So FINALDIR either does not
 * exist or holds a complete generation; a crash leaves at most TMPDIR. After finish, nothing
 * opens the generation for writing again.
 *
 * LevelDB options and why:
 *   snappy compression (the only codec of Debian's 1.23);
 *   bloom filter, 10 bits/key: an exact lookup on a generation that lacks the key costs no
 *     data-block read (queries probe every generation in the time range);
 *   block size 4 KiB (LevelDB's default), measured against 8 and 16 KiB on a 10 M-RRset
 *     generation (bench_index data, same input, interleaved runs): exact rrset lookups with a
 *     64 MiB cache 11 us (8 KiB: 14.5, 16 KiB: 26), with 256 MiB 11-12 us (13.5; 19-22); streaming
 *     a hot IP (120 k results) and a /24 (250 k) costs the same within noise (29 vs 28 ms, 60-65
 *     vs 58-60 ms); size 132.3 B/RRset with the source file (8 KiB 129.1, 16 KiB 127.0). An
 *     exact lookup misses the block cache on a big generation and pays one block read and
 *     snappy decompression, which grow with the block; scans read consecutive blocks either
 *     way. So the lookup path wins 2x for 4% more bytes;
 *   write_buffer_size 64 MiB and max_file_size 64 MiB: sorted input flushes few, large
 *     tables, so the final CompactRange has little to do and a generation has few files;
 *   error_if_exists: a build never reuses a directory.
 * Library code: no printing; errors come back with a reason in err. */
#ifndef TD_GENERATION_H
#define TD_GENERATION_H
#include <stddef.h>
#include <stdint.h>

/* Metadata key type bytes (after all data key types, so they sort last). */
#define TD_GEN_KEY_SOURCE 0xFD     /* 0xFD, source text, 0x00 -> empty value */
#define TD_GEN_KEY_TIME_RANGE 0xFE /* 0xFE -> varint min time_first, varint max time_last */
#define TD_GEN_KEY_VERSION 0xFF    /* 0xFF, type byte -> varint TD_INDEX_SCHEMA_VERSION */

#define TD_GEN_BLOCK_SIZE (4u << 10)
#define TD_GEN_WRITE_BUFFER (64u << 20)
#define TD_GEN_MAX_FILE (64u << 20)
#define TD_GEN_BATCH_ENTRIES 10000u

struct td_gen_opts {
    size_t batch_entries;   /* entries per WriteBatch; 0 = TD_GEN_BATCH_ENTRIES */
    size_t block_size;      /* 0 = TD_GEN_BLOCK_SIZE */
    size_t write_buffer;    /* 0 = TD_GEN_WRITE_BUFFER */
    size_t max_file;        /* 0 = TD_GEN_MAX_FILE */
};

struct td_gen_stats {
    uint64_t entries, key_bytes, value_bytes, batches;
};

struct td_gen_build;

/* NULL with err if dir_tmp exists or LevelDB cannot create it. opts may be NULL. */
struct td_gen_build *td_gen_build_open(const char *dir_tmp, const struct td_gen_opts *opts, char *err,
                                       size_t errlen);
/* -1 with err if the key is empty, starts with a metadata type byte (>= 0xFD), is not
 * strictly greater than the previous one, or LevelDB fails. The build stays usable after a
 * refused key (nothing was written). */
int td_gen_build_put(struct td_gen_build *b, const uint8_t *key, size_t klen, const uint8_t *value, size_t vlen,
                     char *err, size_t errlen);
/* Metadata, compaction, close, fsync, rename dir_tmp -> final_dir. source: a short text
 * without NUL (NULL = none). Frees *bp (set to NULL) whatever the result; on failure the
 * temporary directory is left for the caller (td_gen_build_abort semantics do not apply). */
int td_gen_build_finish(struct td_gen_build **bp, uint32_t min_time_first, uint32_t max_time_last,
                        const char *source, const char *final_dir, char *err, size_t errlen);
/* Close and remove the temporary directory. */
void td_gen_build_abort(struct td_gen_build **bp);
const struct td_gen_stats *td_gen_build_stats(const struct td_gen_build *b);

/* Removes a directory tree (files and subdirectories, no symlink following). 0, or -1 with
 * err. A missing path is not an error. */
int td_gen_remove_tree(const char *path, char *err, size_t errlen);

#endif
