/* fuzz_request: td_qrequest_parse over arbitrary "path?query" bytes (the first '?' splits them;
 * a NUL ends the input early, as it would in a C string from the HTTP layer), then
 * td_qrequest_limit. Invariants (trap on violation): the status is 0, 400 or 404; a failure
 * leaves a one-line, NUL-terminated reason; a success names a known api and verb, and a lookup
 * points its name/bailiwick/raw into the request's own buffers with lengths that fit them. */
#include "request.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char buf[1 << 16];
    static struct td_qrequest r;
    if (size >= sizeof buf)
        size = sizeof buf - 1;
    memcpy(buf, data, size);
    buf[size] = 0;
    char *query = strchr(buf, '?');
    if (query)
        *query++ = 0;
    char err[200];
    memset(err, 'X', sizeof err);
    int st = td_qrequest_parse(&r, buf, query, 1800000000u, err, sizeof err);
    if (st != 0) {
        if ((st != 400 && st != 404) || !memchr(err, 0, sizeof err) || strchr(err, '\n') || !err[0])
            __builtin_trap();
        return 0;
    }
    if (r.api < TD_QAPI_V2 || r.api > TD_QAPI_CIRCL || r.verb < TD_QVERB_LOOKUP || r.verb > TD_QVERB_PING)
        __builtin_trap();
    if (r.verb == TD_QVERB_LOOKUP || r.verb == TD_QVERB_SUMMARIZE) {
        const struct td_index_query *q = &r.q;
        if (q->kind == TD_IQ_RDATA_RAW) {
            if (q->raw != r.raw_buf || q->raw_len == 0 || q->raw_len > sizeof r.raw_buf)
                __builtin_trap();
        } else if (q->kind == TD_IQ_RDATA_IP) {
            if ((q->ip_len != 4 && q->ip_len != 16) || q->ip_prefix > q->ip_len * 8 ||
                (q->ip_prefix == 0 && memcmp(q->ip_lo, q->ip_hi, q->ip_len) > 0))
                __builtin_trap();
        } else {
            if (q->name != r.name_buf || q->name_len == 0 || q->name_len > sizeof r.name_buf ||
                q->name[q->name_len - 1] != 0)
                __builtin_trap();
        }
        if (q->bailiwick && (q->bailiwick != r.bailiwick_buf || q->bailiwick_len > sizeof r.bailiwick_buf))
            __builtin_trap();
    }
    if (td_qrequest_limit(&r, 10000, 256, 0, err, sizeof err) != 0 && r.offset == 0)
        __builtin_trap();
    return 0;
}
