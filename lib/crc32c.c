/* crc32c.c: see crc32c.h. */
#include "crc32c.h"

#include <string.h>

#define CRC32C_POLY 0x82F63B78u

/* Slicing-by-8 tables: table[0] is the classic byte table; table[k][b] is the CRC of octet b
 * followed by k zero octets. */
static uint32_t table[8][256];

__attribute__((constructor)) static void table_init(void)
{
    for (uint32_t b = 0; b < 256; b++) {
        uint32_t c = b;
        for (int i = 0; i < 8; i++)
            c = (c & 1) ? (c >> 1) ^ CRC32C_POLY : c >> 1;
        table[0][b] = c;
    }
    for (uint32_t b = 0; b < 256; b++)
        for (int k = 1; k < 8; k++)
            table[k][b] = (table[k - 1][b] >> 8) ^ table[0][table[k - 1][b] & 0xff];
}

uint32_t td_crc32c_extend_table(uint32_t crc, const void *p, size_t n)
{
    const uint8_t *s = p;
    uint32_t c = ~crc;
    while (n >= 8) {
        uint32_t lo = (uint32_t)s[0] | (uint32_t)s[1] << 8 | (uint32_t)s[2] << 16 | (uint32_t)s[3] << 24;
        lo ^= c;
        c = table[7][lo & 0xff] ^ table[6][(lo >> 8) & 0xff] ^ table[5][(lo >> 16) & 0xff] ^ table[4][lo >> 24] ^
            table[3][s[4]] ^ table[2][s[5]] ^ table[1][s[6]] ^ table[0][s[7]];
        s += 8;
        n -= 8;
    }
    while (n--)
        c = (c >> 8) ^ table[0][(c ^ *s++) & 0xff];
    return ~c;
}

#if defined(__x86_64__)
#include <nmmintrin.h>

__attribute__((target("sse4.2"))) static uint32_t extend_sse42(uint32_t crc, const void *p, size_t n)
{
    const uint8_t *s = p;
    uint64_t c = ~crc;
    while (n >= 8) {
        uint64_t v;
        memcpy(&v, s, 8);
        c = _mm_crc32_u64(c, v);
        s += 8;
        n -= 8;
    }
    uint32_t c32 = (uint32_t)c;
    while (n--)
        c32 = _mm_crc32_u8(c32, *s++);
    return ~c32;
}

uint32_t td_crc32c_extend(uint32_t crc, const void *p, size_t n)
{
    static int have = -1; /* benign race: every thread computes the same answer */
    if (have < 0)
        have = __builtin_cpu_supports("sse4.2") ? 1 : 0;
    return have ? extend_sse42(crc, p, n) : td_crc32c_extend_table(crc, p, n);
}
#else
uint32_t td_crc32c_extend(uint32_t crc, const void *p, size_t n)
{
    return td_crc32c_extend_table(crc, p, n);
}
#endif
