/* bloom.c: see bloom.h. */
#include "bloom.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xxhash.h>

#include "byteorder.h"
#include "durable.h"
#include "errf.h"
#include "readfile.h"

#define MAGIC "TDBLOOM1"
#define HEAD 32 /* magic, k, 0, nbits, nkeys */

int td_bloom_build_add(struct td_bloom_build *b, const uint8_t *key, size_t klen)
{
    if (b->n == b->cap) {
        size_t cap = b->cap ? 2 * b->cap : 4096;
        uint64_t *h = realloc(b->h, cap * sizeof *h);
        if (!h)
            return -1;
        b->h = h;
        b->cap = cap;
    }
    b->h[b->n++] = XXH3_64bits(key, klen);
    return 0;
}

static inline uint64_t probe_step(uint64_t h)
{
    return ((h >> 33) | (h << 31)) | 1;
}

/* h mapped onto 0..nbits-1 (multiply-high, no division) */
static inline uint64_t bit_of(uint64_t h, uint64_t nbits)
{
    return (uint64_t)(((unsigned __int128)h * nbits) >> 64);
}

int td_bloom_build_write(struct td_bloom_build *b, const char *path, char *err, size_t errlen)
{
    uint64_t nbits = ((uint64_t)b->n * TD_BLOOM_BITS_PER_KEY + 63) / 64 * 64;
    if (nbits < 64)
        nbits = 64;
    size_t bytes = HEAD + nbits / 8 + 8;
    uint8_t *f = calloc(1, bytes);
    if (!f) {
        td_errf(err, errlen, "%s: out of memory", path);
        return -1;
    }
    memcpy(f, MAGIC, 8);
    td_put_le32(f + 8, TD_BLOOM_K);
    td_put_le64(f + 16, nbits);
    td_put_le64(f + 24, b->n);
    uint8_t *bits = f + HEAD;
    /* The filter is larger than the caches and the bits of a key fall anywhere: the lines of
     * the key BLOOM_AHEAD places on are asked for before this key's bits are set. */
    enum { BLOOM_AHEAD = 8 };
    for (size_t i = 0; i < b->n; i++) {
        if (i + BLOOM_AHEAD < b->n) {
            uint64_t h = b->h[i + BLOOM_AHEAD], d = probe_step(h);
            for (unsigned j = 0; j < TD_BLOOM_K; j++, h += d)
                __builtin_prefetch(bits + (bit_of(h, nbits) >> 3), 1);
        }
        uint64_t h = b->h[i], d = probe_step(h);
        for (unsigned j = 0; j < TD_BLOOM_K; j++, h += d) {
            uint64_t bit = bit_of(h, nbits);
            bits[bit >> 3] |= (uint8_t)(1u << (bit & 7));
        }
    }
    td_put_le64(f + bytes - 8, XXH3_64bits(f, bytes - 8));
    int rc = -1;
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0 || td_write_all(fd, f, bytes) != 0)
        td_errf(err, errlen, "%s: %s", path, strerror(errno));
    else
        rc = 0;
    if (fd >= 0 && close(fd) != 0 && rc == 0) {
        td_errf(err, errlen, "%s: close: %s", path, strerror(errno));
        rc = -1;
    }
    free(f);
    b->n = 0;
    return rc;
}

void td_bloom_build_free(struct td_bloom_build *b)
{
    free(b->h);
    memset(b, 0, sizeof *b);
}

int td_bloom_load(const char *path, size_t max_bytes, struct td_bloom *f, char *err, size_t errlen)
{
    memset(f, 0, sizeof *f);
    char *buf = NULL;
    size_t len = 0;
    int r = td_read_file(path, max_bytes, &buf, &len, err, errlen);
    if (r == -2)
        td_errf(err, errlen, "%s: larger than %zu octets", path, max_bytes);
    if (r != 1)
        return -1;
    const uint8_t *p = (const uint8_t *)buf;
    uint64_t nbits = len >= HEAD ? td_get_le64(p + 16) : 0;
    if (len < HEAD + 8 + 8 || memcmp(p, MAGIC, 8) != 0 || td_get_le32(p + 8) != TD_BLOOM_K ||
        td_get_le32(p + 12) != 0 || nbits == 0 || nbits % 64 != 0 || nbits / 8 != len - HEAD - 8 ||
        td_get_le64(p + len - 8) != XXH3_64bits(p, len - 8)) {
        td_errf(err, errlen, "%s: not a well-formed bloom filter file", path);
        free(buf);
        return -1;
    }
    f->k = TD_BLOOM_K;
    f->nbits = nbits;
    f->nkeys = td_get_le64(p + 24);
    f->mem = buf;
    f->bits = (uint8_t *)buf + HEAD;
    return 0;
}

int td_bloom_may_contain(const struct td_bloom *f, const uint8_t *key, size_t klen)
{
    uint64_t h = XXH3_64bits(key, klen), d = probe_step(h);
    for (unsigned j = 0; j < f->k; j++, h += d) {
        uint64_t bit = bit_of(h, f->nbits);
        if (!(f->bits[bit >> 3] & (1u << (bit & 7))))
            return 0;
    }
    return 1;
}

void td_bloom_free(struct td_bloom *f)
{
    free(f->mem);
    memset(f, 0, sizeof *f);
}
