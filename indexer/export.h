/* export.h: export drops. A generation as COF NDJSON compressed with zstd (one zstd frame),
 * written from the generation's source file ROOT/NAME/SOURCE.obs (tier.h), never from its
 * tables (they hold index entries, not observations).
 *
 * Each line is td_cof_object_open() (lib/cof.h: count, time_first, time_last, rrname,
 * rrtype, bailiwick, rdata as an array of presentation strings) followed by one extra key,
 * "rdata_raw": an array of lowercase hex strings, the rdata octets in the order of the
 * observation key (sorted, unique), so that td_cof_line_parse (import.h) rebuilds exactly
 * the same observation key without a presentation-format parser. Lines come in observation
 * key order.
 *
 * Atomic: written to OUT.tmp, fsynced, renamed to OUT (td_rename_durable); a reader never
 * sees half a file, and a failure removes OUT.tmp. Library code: no printing. */
#ifndef TD_EXPORT_H
#define TD_EXPORT_H
#include <stddef.h>
#include <stdint.h>
#include "json.h"
#include "obs.h"

#define TD_EXPORT_ZSTD_LEVEL 3

struct td_export_stats {
    uint64_t lines, bytes_in, bytes_out;
};

/* One line (without the newline) for one observation appended to j. 0, or -1 with err (a
 * malformed key or an unprintable name). */
int td_export_line(struct td_json *j, const uint8_t *key, size_t klen, const struct td_obs_value *v, char *err,
                   size_t errlen);
/* Observation file src -> COF NDJSON zstd file out. level 0 = TD_EXPORT_ZSTD_LEVEL. */
int td_export_file(const char *src, const char *out, int level, struct td_export_stats *st, char *err,
                   size_t errlen);
/* Generation NAME of ROOT (it must be listed in ROOT/FILESET) -> out. */
int td_export_gen(const char *root, const char *name, const char *out, int level, struct td_export_stats *st,
                  char *err, size_t errlen);

#endif
