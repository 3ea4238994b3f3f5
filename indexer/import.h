/* import.h: export drops back into the index (tapdns-index import). Reads COF NDJSON
 * compressed with zstd, as export.h writes it; JSON is parsed with jansson.
 *
 * A line is one JSON object. Read: "rrname" (string, a domain name), "rrtype" (string, a
 * mnemonic or TYPEnnn), "bailiwick" (string), "rdata_raw" (array of at most 512 hex
 * strings, any case, each at most 65535 octets), "count" (integer 0 .. 2^63-1: jansson's
 * json_int_t), "time_first" and "time_last" (integers 0 .. 2^32-1, first <= last). Every
 * other key (rdata, ...) is ignored. Names are lowercased; the rdata are sorted (RFC 4034
 * canonical order) and duplicates dropped, so the observation key is the one batch/obs.h
 * would make. An empty line, or a line of blanks, is skipped. Anything else is an error
 * with its line number ("FILE:LINE: reason"), and the import builds nothing. JSON is parsed
 * by jansson (linked). */
#ifndef TD_IMPORT_H
#define TD_IMPORT_H
#include <stddef.h>
#include <stdint.h>
#include "obs.h"
#include "tier.h"

#define TD_COF_LINE_MAX (4u << 20)   /* longest line accepted (octets, newline excluded) */

/* One line (without its newline) -> observation key (key must hold TD_OBS_KEY_MAX octets)
 * and value. 1 = observation, 0 = blank line (nothing), -1 = error with err. */
int td_cof_line_parse(const char *line, size_t len, uint8_t *key, size_t *klen, struct td_obs_value *v, char *err,
                      size_t errlen);

typedef int (*td_cof_emit_fn)(void *ctx, const uint8_t *key, size_t klen, const struct td_obs_value *v, char *err,
                              size_t errlen);
/* Every line of a zstd COF file through emit. lines (may be NULL) gets the number read. 0,
 * or -1 with err "PATH:LINE: reason" (also for a torn zstd frame or a line over
 * TD_COF_LINE_MAX). */
int td_cof_import_file(const char *path, td_cof_emit_fn emit, void *ctx, uint64_t *lines, char *err,
                       size_t errlen);

/* tapdns-index import: one hour generation h.HOUR.SEQ from COF files (td_tier_build_hour:
 * refused if the hour is live, unless replace). */
int td_tier_import_hour(const char *root, const char *hour, int replace, char *const *files, int nfiles,
                        const struct td_tier_opts *opts, struct td_tier_report *rep, char *err, size_t errlen);

#endif
