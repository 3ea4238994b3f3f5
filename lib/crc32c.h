/* crc32c.h: CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), the checksum of LevelDB's
 * table blocks and of iSCSI (RFC 3720), computed by ISA-L (libisal's crc32_iscsi, which picks
 * the CPU's fastest code at run time). td_crc32c_extend(crc, p, n) continues a checksum:
 * td_crc32c_extend(td_crc32c_extend(0, a, na), b, nb) == td_crc32c of a then b, and the
 * checksum of nothing is 0. Thread-safe. test_crc32c checks RFC 3720's vectors and a
 * one-bit-at-a-time reference. */
#ifndef TD_CRC32C_H
#define TD_CRC32C_H
#include <stddef.h>
#include <stdint.h>

uint32_t td_crc32c_extend(uint32_t crc, const void *p, size_t n);

static inline uint32_t td_crc32c(const void *p, size_t n)
{
    return td_crc32c_extend(0, p, n);
}

#endif
