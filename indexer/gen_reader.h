/* gen_reader.h: reading one generation directory (format 2, generation.h): its tables in key
 * order as one sorted key space, exact gets with the bloom filters, and iterators.
 *
 * Contract:
 * - td_gen_open reads TABLES only (the table names, entry counts and last keys); tables open
 *   on first use, at most max_open of them at once per generation (the least recently used
 *   table no iterator stands on is closed to make room; when every open table has an iterator
 *   on it, the limit is exceeded until one moves on). An open table holds its index block and
 *   its bloom filter in memory (about 1/20 of its size); data blocks go through the cache.
 * - Nothing is written, nothing is locked: any number of processes may read a generation.
 * - A directory without TABLES (format 1, a LevelDB database) is refused with a hint to
 *   rebuild. A table that is missing or corrupt is an error when first used, with its name.
 * - Not thread-safe: one generation and its iterators are used from one thread at a time.
 * Library code: no printing; -1 / NULL with a one-line reason in err. */
#ifndef TD_GEN_READER_H
#define TD_GEN_READER_H
#include <stddef.h>
#include <stdint.h>

#include "sstable.h"

#define TD_GEN_OPEN_TABLES_DEFAULT 64

struct td_gen;
struct td_gen_iter;

/* max_open 0 = TD_GEN_OPEN_TABLES_DEFAULT. cache may be NULL. */
struct td_gen *td_gen_open(const char *dir, struct td_sst_cache *cache, unsigned max_open, char *err,
                           size_t errlen);
/* Every iterator must be freed first. */
void td_gen_close(struct td_gen *g);
/* Entries in all tables (data and metadata). */
uint64_t td_gen_entries(const struct td_gen *g);
/* Tables open now (for tests of the bound). */
unsigned td_gen_open_tables(const struct td_gen *g);

/* Exact lookup: 1 found (the value, at most cap octets of it, into val, its length into
 * *vlen), 0 absent (the bloom filter answers most absent keys with no block read), -1 error. */
int td_gen_get(struct td_gen *g, const uint8_t *key, size_t klen, uint8_t *val, size_t cap, size_t *vlen,
               char *err, size_t errlen);

/* fill_cache 0: blocks read for this iterator do not push others out of the cache (bulk
 * reads: export, info). */
struct td_gen_iter *td_gen_iter_new(struct td_gen *g, int fill_cache);
void td_gen_iter_free(struct td_gen_iter *it);
void td_gen_iter_seek(struct td_gen_iter *it, const uint8_t *key, size_t klen);
void td_gen_iter_first(struct td_gen_iter *it);
int td_gen_iter_valid(const struct td_gen_iter *it);
void td_gen_iter_next(struct td_gen_iter *it);
const uint8_t *td_gen_iter_key(const struct td_gen_iter *it, size_t *klen);
const uint8_t *td_gen_iter_value(const struct td_gen_iter *it, size_t *vlen);
/* 0, or -1 with the reason (a table that could not be opened or read). After an error the
 * iterator is invalid. */
int td_gen_iter_error(const struct td_gen_iter *it, char *err, size_t errlen);

#endif
