/* fuzz_cof_import: the COF line parser of tapdns-index import (indexer/import.h).
 * The input is split at newlines; each line goes through td_cof_line_parse. When a line is
 * accepted, its observation is exported again (td_export_line, the export drops' writer) and
 * that line must parse back to the same key and value, octet for octet: import and export
 * agree on every observation the parser can produce. A refused line must say why.
 * Seeds: fuzz/corpus/cof_import (export lines of the sample, edge cases, refused lines). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "export.h"
#include "import.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t k1[TD_OBS_KEY_MAX], k2[TD_OBS_KEY_MAX];

static void one_line(const char *line, size_t len)
{
    size_t l1, l2;
    struct td_obs_value v1, v2;
    char err[512] = "";
    int r = td_cof_line_parse(line, len, k1, &l1, &v1, err, sizeof err);
    if (r < 0) {
        if (!err[0])
            abort();
        return;
    }
    if (r == 0)
        return;
    struct td_json j;
    td_json_init(&j);
    if (td_export_line(&j, k1, l1, &v1, err, sizeof err) != 0 || j.oom)
        abort();
    if (td_cof_line_parse(j.buf, j.len, k2, &l2, &v2, err, sizeof err) != 1 || l1 != l2 || memcmp(k1, k2, l1) != 0 ||
        v1.count != v2.count || v1.time_first != v2.time_first || v1.time_last != v2.time_last)
        abort();
    td_json_free(&j);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *p = (const char *)data, *end = p + size;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
        one_line(p, len);
        p += len + (nl != NULL);
    }
    return 0;
}
