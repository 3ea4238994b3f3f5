/* crc32c.c: see crc32c.h. ISA-L keeps the register inverted between calls (its init_crc is
 * the inverted checksum so far, and so is its result); crc32c.h's values are the final ones. */
#include "crc32c.h"

#include <isa-l/crc.h>

uint32_t td_crc32c_extend(uint32_t crc, const void *p, size_t n)
{
    unsigned char *s = (unsigned char *)(uintptr_t)p; /* crc32_iscsi only reads it */
    while (n > 0) {
        int k = n > (1u << 30) ? 1 << 30 : (int)n; /* its length is an int */
        crc = ~crc32_iscsi(s, k, ~crc);
        s += k;
        n -= (size_t)k;
    }
    return crc;
}
