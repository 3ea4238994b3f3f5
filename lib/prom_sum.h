/* prom_sum.h: reading numbers back out of Prometheus text exposition (tapdns-status reads the
 * capture fronts' metrics files and the query service's /metrics with it).
 *
 * Contract: td_prom_sum() scans text[0..len) line by line (lines end in '\n'; a last line
 * without one counts too), skips comments ('#') and blank lines, and adds up the values of
 * every sample whose metric name (the text before '{' or the first blank) equals name exactly,
 * or, when name ends in '*', starts with name minus the '*'. Labels are ignored. A line it
 * cannot read (no value, a value strtod does not take whole, NaN) is counted in *bad and
 * skipped; nothing is ever read past len. Returns the number of samples added. */
#ifndef TD_PROM_SUM_H
#define TD_PROM_SUM_H
#include <stddef.h>

size_t td_prom_sum(const char *text, size_t len, const char *name, double *sum, size_t *bad);

#endif
