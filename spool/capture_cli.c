/* capture_cli.c: see capture_cli.h. */
#include "capture_cli.h"
#include "sensor_filter.h"
#include <string.h>

void td_capture_cli_init(struct td_capture_cli *c, const char *default_sensor)
{
    memset(c, 0, sizeof *c);
    c->sensor = default_sensor;
    c->match_timeout_ns = 60ull * 1000000000ull;
    c->match_max = 131072;
    c->frame_seconds = 10;
    c->frame_bytes = 1u << 20;
    c->level = 1;
}

void td_capture_cli_options(struct td_capture_cli *c, struct td_option *o)
{
    const struct td_option t[TD_CAPTURE_CLI_NOPTS] = {
        { "sensor", 's', TD_OPT_STRING, &c->sensor, "ID", "sensor id in spool file names", "sensor.id", 0 },
        { "ports", 0, TD_OPT_STRING, &c->ports, "LIST", "DNS ports, comma-separated (default 53)", "sensor.ports", 0 },
        { "resolver", 'r', TD_OPT_LIST, &c->resolvers, "ADDR[/LEN]",
          "resolver upstream address; keep only traffic between resolvers and the outside (repeatable)",
          "sensor.resolvers", 0 },
        { "keep-recursive", 0, TD_OPT_FLAG, &c->keep_recursive, NULL,
          "keep RD=1 traffic too (default: only iterative RD=0)", "sensor.keep_recursive", 0 },
        { "local-domain", 'l', TD_OPT_LIST, &c->local, "NAME", "never record this domain and below (repeatable)",
          "sensor.local_domains", 0 },
        { "zero-resolver", 'z', TD_OPT_FLAG, &c->zero_resolver, NULL, "replace the resolver (client) address with zeros",
          "sensor.zero_resolver", 0 },
        { "record-unanswered", 0, TD_OPT_FLAG, &c->unanswered, NULL, "write queries that get no response",
          "sensor.record_unanswered", 0 },
        { "match-timeout", 0, TD_OPT_DURATION, &c->match_timeout_ns, "DURATION",
          "how long a query waits for its response (default 60s)", "sensor.match_timeout", 0 },
        { "match-max", 0, TD_OPT_UINT, &c->match_max, "N", "queries waiting at most, per capture queue (default 131072)",
          "sensor.match_max", 0 },
        { "frame-seconds", 0, TD_OPT_UINT, &c->frame_seconds, "N", "close a zstd frame at least every N seconds (default 10)",
          "spool.frame_seconds", 0 },
        { "frame-bytes", 0, TD_OPT_SIZE, &c->frame_bytes, "SIZE", "close a zstd frame every SIZE input octets (default 1M)",
          "spool.frame_bytes", 0 },
        { "level", 0, TD_OPT_UINT, &c->level, "N", "zstd level (default 1)", "spool.zstd_level", 0 },
        { "no-fsync", 0, TD_OPT_FLAG, &c->no_fsync, NULL, "skip fsync at file close (tests, benchmarks)", NULL, 0 },
    };
    memcpy(o, t, sizeof t);
}

int td_capture_cli_capture_opts(const struct td_capture_cli *c, struct td_capture_opts *co, char *err,
                                size_t errlen)
{
    td_capture_opts_default(co);
    co->filter.keep_recursive = c->keep_recursive;
    co->zero_resolver = c->zero_resolver;
    co->record_unanswered = c->unanswered;
    co->match.timeout_ns = c->match_timeout_ns;
    co->match.max_entries = c->match_max;
    if (c->ports && td_sensor_filter_set_ports(&co->filter, c->ports, err, errlen) != 0)
        return -1;
    for (int i = 0; i < c->resolvers.count; i++)
        if (td_sensor_filter_add_resolver(&co->filter, c->resolvers.items[i], err, errlen) != 0)
            return -1;
    for (int i = 0; i < c->local.count; i++)
        if (td_sensor_filter_add_local(&co->filter, c->local.items[i], err, errlen) != 0)
            return -1;
    return 0;
}

void td_capture_cli_writer_opts(const struct td_capture_cli *c, const char *dir, unsigned writer_id,
                                struct td_spool_writer_opts *wo)
{
    memset(wo, 0, sizeof *wo);
    wo->dir = dir;
    wo->sensor = c->sensor;
    wo->writer_id = writer_id;
    wo->frame_seconds = (unsigned)c->frame_seconds;
    wo->frame_bytes = c->frame_bytes;
    wo->zstd_level = (int)c->level;
    wo->no_fsync = c->no_fsync;
}

void td_capture_cli_free(struct td_capture_cli *c)
{
    td_cli_free_list(&c->resolvers);
    td_cli_free_list(&c->local);
}
