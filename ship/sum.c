/* sum.c: whole-file XXH3-128 (the checksum of an OFFER and of a received file). */
#include "ship.h"
#include "errf.h"
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <xxhash.h>

int ship_sum_fd(int fd, uint64_t size, uint8_t sum[TD_SHIP_SUM_LEN], uint8_t *buf, size_t bufsize,
                char *err, size_t errlen)
{
    XXH3_state_t *st = XXH3_createState();
    if (!st || XXH3_128bits_reset(st) != XXH_OK) {
        XXH3_freeState(st);
        td_errf(err, errlen, "out of memory");
        return -1;
    }
    uint64_t off = 0;
    while (off < size) {
        size_t want = size - off < bufsize ? (size_t)(size - off) : bufsize;
        ssize_t n = pread(fd, buf, want, (off_t)off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            td_errf(err, errlen, n < 0 ? "read: %s" : "file shorter than %s", n < 0 ? strerror(errno) : "its size");
            XXH3_freeState(st);
            return -1;
        }
        XXH3_128bits_update(st, buf, (size_t)n);
        off += (uint64_t)n;
    }
    XXH128_hash_t h = XXH3_128bits_digest(st);
    XXH3_freeState(st);
    XXH128_canonical_t c;
    XXH128_canonicalFromHash(&c, h);
    memcpy(sum, c.digest, TD_SHIP_SUM_LEN);
    return 0;
}

void ship_sum_hex(const uint8_t sum[TD_SHIP_SUM_LEN], char out[2 * TD_SHIP_SUM_LEN + 1])
{
    static const char hx[] = "0123456789abcdef";
    for (int i = 0; i < TD_SHIP_SUM_LEN; i++) {
        out[2 * i] = hx[sum[i] >> 4];
        out[2 * i + 1] = hx[sum[i] & 15];
    }
    out[2 * TD_SHIP_SUM_LEN] = 0;
}
