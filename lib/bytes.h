/* bytes.h: a growable octet buffer (p[0..len) in use, cap allocated), for the writers that
 * append as they go. Zero-initialised is empty; td_bytes_free() releases it. Growth doubles
 * from 4 KiB, so appends cost amortised O(1). */
#ifndef TD_BYTES_H
#define TD_BYTES_H
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct td_bytes {
    uint8_t *p;
    size_t len, cap;
};

/* Room for `more` octets after len: 0, or -1 (out of memory; the buffer is unchanged). */
static inline int td_bytes_reserve(struct td_bytes *b, size_t more)
{
    if (b->cap - b->len >= more)
        return 0;
    if (more > SIZE_MAX / 2 - b->len)
        return -1;
    size_t cap = b->cap ? b->cap : 4096;
    while (cap - b->len < more)
        cap *= 2;
    uint8_t *p = realloc(b->p, cap);
    if (!p)
        return -1;
    b->p = p;
    b->cap = cap;
    return 0;
}

/* Appends n octets from src: 0 or -1 (out of memory). */
static inline int td_bytes_put(struct td_bytes *b, const void *src, size_t n)
{
    if (td_bytes_reserve(b, n) != 0)
        return -1;
    if (n)
        memcpy(b->p + b->len, src, n);
    b->len += n;
    return 0;
}

static inline void td_bytes_free(struct td_bytes *b)
{
    free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
}

#endif
