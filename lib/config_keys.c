/* config_keys.c: see config_keys.h. Sections: [sensor] capture policy, [spool] spool files, [batch] tapdns-batch, [index] tapdns-index. */
#include "config_keys.h"
#include <stddef.h>

const char *const td_config_known_keys[] = {
    "sensor.id",
    "sensor.ports",
    "sensor.resolvers",
    "sensor.keep_recursive",
    "sensor.local_domains",
    "sensor.zero_resolver",
    "sensor.record_unanswered",
    "sensor.match_timeout",
    "sensor.match_max",
    "spool.dir",
    "spool.frame_seconds",
    "spool.frame_bytes",
    "spool.zstd_level",
    "batch.out",
    "batch.state",
    "batch.root_hints",
    "batch.filters",
    "batch.discard_soa",
    "batch.mem_cap",
    "batch.max_facts",
    "batch.max_ttl",
    "index.db",
    "index.mem_cap",
    NULL,
};
