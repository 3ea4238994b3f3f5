/* varint.h: protobuf base-128 varints, the one codec of the observation and index keys and
 * values. Decoding is strict: truncation, overflow and non-minimal encodings (a redundant
 * zero high group) are refused, so every value has exactly one encoding. */
#ifndef TD_VARINT_H
#define TD_VARINT_H
#include <stddef.h>
#include <stdint.h>

#define TD_VARINT_MAX 10 /* octets of the largest (2^64 - 1) */

static inline size_t td_varint_len(uint64_t v)
{
    size_t n = 1;
    while (v >= 0x80) {
        v >>= 7;
        n++;
    }
    return n;
}

/* Writes v at p (room for TD_VARINT_MAX octets); returns the octets written. */
static inline size_t td_varint_put(uint8_t *p, uint64_t v)
{
    size_t n = 0;
    while (v >= 0x80) {
        p[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    p[n++] = (uint8_t)v;
    return n;
}

/* Reads a varint of at most max from p[*off..len); 0 and *off advanced, or -1. */
static inline int td_varint_get(const uint8_t *p, size_t len, size_t *off, uint64_t max, uint64_t *out)
{
    size_t o = *off;
    if (o < len && p[o] < 0x80) { /* one octet: most values of keys, values and run files */
        if (p[o] > max)
            return -1;
        *out = p[o];
        *off = o + 1;
        return 0;
    }
    uint64_t v = 0;
    for (unsigned shift = 0; shift < 64; shift += 7) {
        if (o >= len)
            return -1;
        uint8_t b = p[o++];
        uint64_t part = (uint64_t)(b & 0x7f);
        if (shift == 63 && part > 1)
            return -1;
        v |= part << shift;
        if (!(b & 0x80)) {
            if (b == 0 && shift > 0)
                return -1;
            if (v > max)
                return -1;
            *out = v;
            *off = o;
            return 0;
        }
    }
    return -1;
}

#endif
