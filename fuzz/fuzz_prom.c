/* fuzz_prom: td_prom_sum over arbitrary bytes (not NUL-terminated: the input buffer is exactly
 * its size, so ASan catches any read past len), with exact and prefix names.
 * Nothing to check beyond memory safety: the sum may be anything (inf - inf is NaN). */
#include "prom_sum.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *copy = malloc(size ? size : 1);
    if (!copy)
        return 0;
    memcpy(copy, data, size);
    static const char *const names[] = { "a", "tapdns_capture_frames_total", "tapdns_*", "*", "x_total" };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        double sum = 0;
        size_t bad = 0;
        size_t found = td_prom_sum(copy, size, names[i], &sum, &bad);
        if (found + bad > size) /* at most one sample or bad line per input octet */
            __builtin_trap();
    }
    free(copy);
    return 0;
}
