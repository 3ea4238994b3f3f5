/* sstable.h: one immutable sorted table file in LevelDB's table format. Written by
 * sstable_write.c, octet for octet what leveldb::TableBuilder writes with the same options
 * (test_sstable compares them); read through LevelDB's public C++ table API (leveldb/table.h),
 * which its C API does not offer: sstable.cc, the only C++ in the tree.
 *
 * Why tables and not a LevelDB database: a generation is written once from sorted input and
 * never changes (KEYS.md section 5). A database would take every entry through its log, memtable
 * and a final compaction (about 3x the work of building the table), store an 8-octet sequence
 * trailer with every key, and lock the directory against every other process, so a second
 * reader (tapdns-query next to tapdns-queryd) could not open it. A table has none of that.
 *
 * Contract:
 * - Keys are plain octet strings compared with memcmp (a proper prefix first); the writer takes
 *   them strictly increasing (td_sst_add refuses any other with TD_SST_ORDER) and keys and values
 *   under 1 GiB each (larger ones are refused).
 * - Blocks: snappy compressed when that saves 12.5% (LevelDB's rule), block_size octets before
 *   compression, a restart point every restart_interval keys (both > 0). No filter block:
 *   tables are read through iterators only, which never consult it (bloom.h is the filter).
 * - td_sst_finish writes the index and footer, starts the file's writeback (sync_file_range)
 *   and closes it; it is not durable until the caller fsyncs it (generation.c does, with every
 *   file of the generation, before the generation counts). After any failure the file is
 *   incomplete and the caller removes it.
 * - Readers: td_sst_open reads the footer and the index block into memory (about 1/100 of the
 *   table); data blocks go through the shared LRU cache (td_sst_cache) when fill_cache is set.
 *   A table and its cache must outlive their iterators. Handles are not shared between threads
 *   without a lock; different handles may be used from different threads.
 * - Errors come back as -1 / NULL with a one-line reason in err (LevelDB's status text); a
 *   corrupt block met by an iterator makes it invalid with td_sst_iter_error set. */
#ifndef TD_SSTABLE_H
#define TD_SSTABLE_H
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct td_sst_writer;
struct td_sst_cache;
struct td_sst;
struct td_sst_iter;

/* Creates path (it must not exist). */
struct td_sst_writer *td_sst_writer_open(const char *path, size_t block_size, int restart_interval, char *err,
                                         size_t errlen);
/* 0; -1 with err (the writer is then failed: every later call fails); TD_SST_ORDER when key is
 * not above the last key added (nothing is added, err says so, the writer goes on). */
#define TD_SST_ORDER (-2)
int td_sst_add(struct td_sst_writer *w, const uint8_t *key, size_t klen, const uint8_t *val, size_t vlen,
               char *err, size_t errlen);
/* The last key added (*klen 0 before the first); valid until the next call on w. */
const uint8_t *td_sst_writer_last_key(const struct td_sst_writer *w, size_t *klen);
/* Octets written so far (blocks still being filled not counted). */
uint64_t td_sst_writer_size(const struct td_sst_writer *w);
uint64_t td_sst_writer_entries(const struct td_sst_writer *w);
/* Finishes, starts the writeback and closes (not yet durable: see above); frees *wp (set to NULL)
 * whatever the result. */
int td_sst_finish(struct td_sst_writer **wp, char *err, size_t errlen);
/* Closes without finishing (the file stays, incomplete); frees *wp. */
void td_sst_abandon(struct td_sst_writer **wp);

struct td_sst_cache *td_sst_cache_new(size_t bytes);
void td_sst_cache_free(struct td_sst_cache *c);

/* cache may be NULL (no block cache). */
struct td_sst *td_sst_open(const char *path, struct td_sst_cache *cache, char *err, size_t errlen);
void td_sst_close(struct td_sst *t);

struct td_sst_iter *td_sst_iter_new(const struct td_sst *t, int fill_cache);
void td_sst_iter_free(struct td_sst_iter *it);
/* Positions at the first key >= key (invalid when there is none). */
void td_sst_iter_seek(struct td_sst_iter *it, const uint8_t *key, size_t klen);
void td_sst_iter_first(struct td_sst_iter *it);
void td_sst_iter_last(struct td_sst_iter *it);
int td_sst_iter_valid(const struct td_sst_iter *it);
/* Only while valid. */
void td_sst_iter_next(struct td_sst_iter *it);
const uint8_t *td_sst_iter_key(const struct td_sst_iter *it, size_t *klen);
const uint8_t *td_sst_iter_value(const struct td_sst_iter *it, size_t *vlen);
/* 0 if the iterator met no error, else -1 with the reason in err. */
int td_sst_iter_error(const struct td_sst_iter *it, char *err, size_t errlen);

#ifdef __cplusplus
}
#endif
#endif
