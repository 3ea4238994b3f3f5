/* access_log.c: one line per request of tapdns-queryd (server_int.h):
 *   2026-11-27T05:00:00Z KEY STATUS RESULTS BYTES MS PATH
 * KEY is the key's name or "-", MS has three decimals, PATH the request target as received with
 * octets outside 0x21..0x7e written as %XX so that a line stays one line. Lines starting with
 * '#' in the same file are the server's own notes (reloads, errors). */
#include "server_int.h"
#include <string.h>
#include <time.h>

void td_qaccess_log(FILE *f, const char *key, int status, uint64_t results, uint64_t bytes, double ms,
                    const char *path)
{
    if (!f)
        return;
    char t[32], p[1024];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(t, sizeof t, "%Y-%m-%dT%H:%M:%SZ", &tm);
    size_t n = 0;
    for (const unsigned char *s = (const unsigned char *)(path ? path : "-"); *s && n + 4 < sizeof p; s++) {
        if (*s > 0x20 && *s < 0x7f) {
            p[n++] = (char)*s;
        } else {
            static const char hex[] = "0123456789ABCDEF";
            p[n++] = '%';
            p[n++] = hex[*s >> 4];
            p[n++] = hex[*s & 15];
        }
    }
    p[n] = 0;
    fprintf(f, "%s %s %d %llu %llu %.3f %s\n", t, key && *key ? key : "-", status, (unsigned long long)results,
            (unsigned long long)bytes, ms < 0 ? 0.0 : ms, p);
}
