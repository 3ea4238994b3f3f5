/* test_crc32c: lib/crc32c.h against RFC 3720's vectors and a one-bit-at-a-time reference, both
 * the SSE4.2 and the table versions, on every length and alignment up to 64 and random buffers. */
#include "tt.h"
#include "crc32c.h"

#include <stdlib.h>

static uint32_t bitwise(uint32_t crc, const uint8_t *p, size_t n)
{
    uint32_t c = ~crc;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int b = 0; b < 8; b++)
            c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
    }
    return ~c;
}

/* RFC 3720 section B.4, and the usual check value of "123456789". */
static void test_vectors(void)
{
    uint8_t buf[48];
    memset(buf, 0, 32);
    CHECK_EQ(td_crc32c(buf, 32), 0x8A9136AAu);
    CHECK_EQ(td_crc32c_extend_table(0, buf, 32), 0x8A9136AAu);
    memset(buf, 0xff, 32);
    CHECK_EQ(td_crc32c(buf, 32), 0x62A8AB43u);
    for (int i = 0; i < 32; i++)
        buf[i] = (uint8_t)i;
    CHECK_EQ(td_crc32c(buf, 32), 0x46DD794Eu);
    for (int i = 0; i < 32; i++)
        buf[i] = (uint8_t)(31 - i);
    CHECK_EQ(td_crc32c(buf, 32), 0x113FDB5Cu);
    static const uint8_t iscsi_read[48] = {
        0x01, 0xc0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x18,
        0x28, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    };
    CHECK_EQ(td_crc32c(iscsi_read, 48), 0xD9963A56u);
    CHECK_EQ(td_crc32c("123456789", 9), 0xE3069283u);
    CHECK_EQ(td_crc32c_extend_table(0, "123456789", 9), 0xE3069283u);
    CHECK_EQ(td_crc32c("", 0), 0);
}

static void test_every_length_and_alignment(void)
{
    uint8_t buf[64 + 8];
    for (size_t i = 0; i < sizeof buf; i++)
        buf[i] = (uint8_t)(i * 131 + 7);
    int bad = 0;
    for (size_t off = 0; off < 8; off++)
        for (size_t n = 0; n <= 64; n++) {
            uint32_t want = bitwise(0, buf + off, n);
            bad += td_crc32c(buf + off, n) != want;
            bad += td_crc32c_extend_table(0, buf + off, n) != want;
        }
    CHECK_EQ(bad, 0);
}

/* Extending in pieces equals one pass; random buffers agree in both versions. */
static void test_random(void)
{
    srand(7);
    static uint8_t buf[70000];
    int bad = 0;
    for (int round = 0; round < 200; round++) {
        size_t n = (size_t)rand() % sizeof buf;
        for (size_t i = 0; i < n; i++)
            buf[i] = (uint8_t)rand();
        size_t cut = n ? (size_t)rand() % n : 0;
        uint32_t whole = td_crc32c(buf, n);
        bad += td_crc32c_extend(td_crc32c(buf, cut), buf + cut, n - cut) != whole;
        bad += td_crc32c_extend_table(td_crc32c_extend_table(0, buf, cut), buf + cut, n - cut) != whole;
        if (round < 20)
            bad += bitwise(0, buf, n) != whole;
    }
    CHECK_EQ(bad, 0);
}

int main(void)
{
    TT_RUN(test_vectors);
    TT_RUN(test_every_length_and_alignment);
    TT_RUN(test_random);
    return tt_finish();
}
