/* capture_cli.h: the sensor and spool options of every capture front (tapdns-spool
 * import-pcap, tapdns-xdp, tapdns-dpdk): one option table and one translation into
 * td_capture_opts and td_spool_writer_opts, so that the fronts take the same options, config
 * keys ([sensor], [spool]) and defaults, and a frame becomes the same record whichever front
 * saw it.
 *
 * Use: td_capture_cli_init(&cc, "xdp"); put TD_CAPTURE_CLI_NOPTS entries into the program's
 * option table with td_capture_cli_options(&cc, opts + n); parse (lib/cli.h); then
 * td_capture_cli_capture_opts() and td_capture_cli_writer_opts(); td_capture_cli_free() at
 * the end (list options own copies). String targets point into argv or the config: keep those
 * alive while the options are used. */
#ifndef TD_CAPTURE_CLI_H
#define TD_CAPTURE_CLI_H
#include <stddef.h>
#include <stdint.h>
#include "capture.h"
#include "cli.h"
#include "spool.h"

#define TD_CAPTURE_CLI_NOPTS 13

struct td_capture_cli {
    const char *sensor, *ports;
    struct td_cli_list resolvers, local;
    int keep_recursive, zero_resolver, unanswered, no_fsync;
    uint64_t match_timeout_ns, match_max, frame_seconds, frame_bytes, level;
};

/* Defaults: sensor id default_sensor, ports 53, RD=0 only, match timeout 60 s for 131072
 * queries, frames closed every 10 s and 1 MiB, zstd level 1, fsync on. */
void td_capture_cli_init(struct td_capture_cli *c, const char *default_sensor);
/* Writes the TD_CAPTURE_CLI_NOPTS option entries (targets in c) to opts[0..NOPTS). */
void td_capture_cli_options(struct td_capture_cli *c, struct td_option *opts);
/* Capture options from the parsed values: 0, or -1 with err (a bad port list, resolver
 * address or local domain). */
int td_capture_cli_capture_opts(const struct td_capture_cli *c, struct td_capture_opts *co, char *err,
                                size_t errlen);
/* Spool writer options; dir and writer_id are the front's. */
void td_capture_cli_writer_opts(const struct td_capture_cli *c, const char *dir, unsigned writer_id,
                                struct td_spool_writer_opts *wo);
void td_capture_cli_free(struct td_capture_cli *c);

#endif
