#include "tt.h"
#include <ctype.h>

int tt_failed_current;
int tt_total_failed;

void tt_run(const char *name, void (*fn)(void))
{
    tt_failed_current = 0;
    fn();
    if (tt_failed_current) {
        tt_total_failed++;
        printf("not ok - %s\n", name);
    } else {
        printf("ok - %s\n", name);
    }
    fflush(stdout);
}

int tt_finish(void)
{
    return tt_total_failed ? 1 : 0;
}

int tt_unhex(const char *hex, uint8_t *out, size_t cap)
{
    size_t n = 0;
    int hi = -1;
    for (const char *p = hex; *p; p++) {
        if (isspace((unsigned char)*p))
            continue;
        if (!isxdigit((unsigned char)*p))
            return -1;
        int v = isdigit((unsigned char)*p) ? *p - '0' : (tolower((unsigned char)*p) - 'a' + 10);
        if (hi < 0) {
            hi = v;
        } else {
            if (n >= cap)
                return -1;
            out[n++] = (uint8_t)(hi << 4 | v);
            hi = -1;
        }
    }
    return hi < 0 ? (int)n : -1;
}
