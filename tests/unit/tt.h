/* tt: the unit-test harness. Each test binary prints TAP-style lines, one per check group:
 *   "ok - NAME" or "not ok - NAME: reason"
 * tests/run.sh counts them. A check failing inside a test marks that test failed and
 * prints where; the test goes on so that one run shows every failure. */
#ifndef TT_H
#define TT_H
#include <stdint.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

extern int tt_failed_current;
extern int tt_total_failed;

void tt_run(const char *name, void (*fn)(void));
int tt_finish(void);
/* hex string ("45 00 ..", spaces and newlines ignored) -> bytes; returns length or -1 */
int tt_unhex(const char *hex, uint8_t *out, size_t cap);

#define TT_FAIL(...) do { \
    fprintf(stdout, "#   %s:%d: ", __FILE__, __LINE__); \
    fprintf(stdout, __VA_ARGS__); fputc('\n', stdout); tt_failed_current = 1; } while (0)
#define CHECK(c) do { if (!(c)) TT_FAIL("CHECK(%s)", #c); } while (0)
#define CHECK_EQ(a, b) do { long long _a = (long long)(a), _b = (long long)(b); \
    if (_a != _b) TT_FAIL("%s == %lld, expected %s == %lld", #a, _a, #b, _b); } while (0)
#define CHECK_STR(a, b) do { const char *_a = (a), *_b = (b); \
    if (!_a || !_b || strcmp(_a, _b) != 0) TT_FAIL("%s == \"%s\", expected \"%s\"", #a, _a ? _a : "(null)", _b ? _b : "(null)"); } while (0)
#define CHECK_MEM(a, b, n) do { if (memcmp((a), (b), (n)) != 0) TT_FAIL("memory %s != %s", #a, #b); } while (0)
#define TT_RUN(fn) tt_run(#fn, fn)
#endif
