/* bloom.h: the bloom filter of one table of a generation (generation.h), file NNNNNN.bloom next
 * to NNNNNN.sst. The query library probes the generations that time fences pruned with an exact
 * key (index.h); the filter answers most misses with no block read.
 *
 * File: "TDBLOOM1", u32le k, u32le 0, u64le nbits, u64le nkeys, nbits/8 octets of bits, u64le
 * XXH3-64 of every octet before it. Key hash h = XXH3-64(key); probe i (0 <= i < k) tests bit
 * floor(x * nbits / 2^64) of x = h + i * d (mod 2^64), d = (h >> 33 | h << 31) | 1. nbits = 10 per key rounded up to a
 * multiple of 64 (at least 64), k = 7: about 1% false positives.
 *
 * The builder keeps one 8-octet hash per key until td_bloom_build_write: memory is bounded by
 * the keys of one table (generation.h's max_file). Library code: errors as -1 with err. */
#ifndef TD_BLOOM_H
#define TD_BLOOM_H
#include <stddef.h>
#include <stdint.h>

#define TD_BLOOM_BITS_PER_KEY 10u
#define TD_BLOOM_K 7u

struct td_bloom_build {
    uint64_t *h;
    size_t n, cap;
};

/* -1 only when out of memory. */
int td_bloom_build_add(struct td_bloom_build *b, const uint8_t *key, size_t klen);
/* Writes path (created; not fsynced: the generation builder fsyncs every file of the
 * generation once, at finish) from the keys added since the last write, then forgets them. */
int td_bloom_build_write(struct td_bloom_build *b, const char *path, char *err, size_t errlen);
void td_bloom_build_free(struct td_bloom_build *b);

struct td_bloom {
    uint64_t nbits, nkeys;
    uint32_t k;
    uint8_t *bits; /* inside mem */
    char *mem;     /* the file as read */
};

/* Reads and checks a filter file (magic, sizes, checksum); at most max_bytes. */
int td_bloom_load(const char *path, size_t max_bytes, struct td_bloom *f, char *err, size_t errlen);
/* 0: the key is certainly not in the table; 1: it may be. */
int td_bloom_may_contain(const struct td_bloom *f, const uint8_t *key, size_t klen);
void td_bloom_free(struct td_bloom *f);

#endif
