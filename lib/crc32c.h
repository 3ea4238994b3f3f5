/* crc32c.h: CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), the checksum of LevelDB's
 * table blocks and of iSCSI (RFC 3720). td_crc32c_extend(crc, p, n) continues a checksum:
 * td_crc32c_extend(td_crc32c_extend(0, a, na), b, nb) == td_crc32c of a then b, and the
 * checksum of nothing is 0. Uses the SSE4.2 crc32 instruction when the CPU has it, else a
 * table; both give the same values (test_crc32c checks them against each other and RFC 3720).
 * Thread-safe (the table is built at load time). Not ISA-L's crc32_iscsi (libisal): tried, the
 * 10M index build took 20-25% longer with it, though the CRC itself was 0.24% of the profile
 * (its AVX-512 routine seems to slow the code that runs after it). */
#ifndef TD_CRC32C_H
#define TD_CRC32C_H
#include <stddef.h>
#include <stdint.h>

uint32_t td_crc32c_extend(uint32_t crc, const void *p, size_t n);
/* The table version alone (for tests and CPUs without SSE4.2). */
uint32_t td_crc32c_extend_table(uint32_t crc, const void *p, size_t n);

static inline uint32_t td_crc32c(const void *p, size_t n)
{
    return td_crc32c_extend(0, p, n);
}

#endif
