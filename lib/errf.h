/* errf.h: write a printf-style reason into a caller's error buffer.
 * Contract: err may be NULL or errlen 0 (then nothing is written); otherwise the message is
 * truncated to fit and always NUL-terminated. Never allocates, never prints. */
#ifndef TD_ERRF_H
#define TD_ERRF_H
#include <stddef.h>

void td_errf(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
