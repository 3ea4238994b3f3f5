/* byteorder.h: fixed-width integers to and from octet buffers, one octet at a time.
 * Contract: p points at (at least) 2, 4 or 8 readable/writable octets; no alignment is needed and
 * no host byte order is assumed (shifts on unsigned values only, so no undefined behaviour).
 * _le = least significant octet first (the spool, obs and state files); _be = network order.
 * Not for BPF code: lib/frame.h keeps its own helpers on purpose. */
#ifndef TD_BYTEORDER_H
#define TD_BYTEORDER_H
#include <stdint.h>

static inline void td_put_le16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static inline void td_put_le32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static inline void td_put_le64(uint8_t *p, uint64_t v)
{
    td_put_le32(p, (uint32_t)v);
    td_put_le32(p + 4, (uint32_t)(v >> 32));
}

static inline uint16_t td_get_le16(const uint8_t *p)
{
    return (uint16_t)((uint16_t)p[0] | (uint16_t)((unsigned)p[1] << 8));
}

static inline uint32_t td_get_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint64_t td_get_le64(const uint8_t *p)
{
    return (uint64_t)td_get_le32(p) | (uint64_t)td_get_le32(p + 4) << 32;
}

static inline void td_put_be16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static inline void td_put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static inline uint16_t td_get_be16(const uint8_t *p)
{
    return (uint16_t)((unsigned)p[0] << 8 | (unsigned)p[1]);
}

static inline uint32_t td_get_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static inline uint64_t td_get_be64(const uint8_t *p)
{
    return (uint64_t)td_get_be32(p) << 32 | td_get_be32(p + 4);
}

#endif
