/* sensor_filter.h: what the sensor keeps, as the seed system's sensor decided it.
 *  - DNS port set: a frame is DNS if its source or destination port is in the set.
 *  - Resolver addresses (optional): when set, only traffic between a resolver address and a
 *    non-resolver address (the outside), with the resolver as the DNS client (sending to or
 *    receiving from a DNS port), is kept; client-to-resolver traffic and everything
 *    else is skipped. Entries are addresses or prefixes ("10.0.0.53", "2001:db8::/64").
 *  - RD policy: by default only iterative traffic (RD=0) is kept: answers straight from
 *    authoritative servers, TTLs unchanged.
 *  - Local domains: responses (and queries) whose qname is at or below one are never recorded.
 * Parsing errors come back as one line in err. */
#ifndef TD_SENSOR_FILTER_H
#define TD_SENSOR_FILTER_H
#include <stddef.h>
#include <stdint.h>

#define TD_FILTER_MAX_PREFIXES 256
#define TD_FILTER_MAX_DOMAINS 256

struct td_prefix {
    uint8_t ip_version;
    uint8_t len;        /* prefix length in bits */
    uint8_t addr[16];
};

struct td_sensor_filter {
    uint8_t port_bitmap[65536 / 8];
    int nresolvers;
    struct td_prefix resolvers[TD_FILTER_MAX_PREFIXES];
    int keep_recursive;  /* 0 (default): only RD=0 kept; 1: RD=1 kept too */
    int nlocal;
    uint16_t local_len[TD_FILTER_MAX_DOMAINS];
    uint8_t local[TD_FILTER_MAX_DOMAINS][255]; /* wire form, lowercased */
};

/* Defaults: port 53 only, no resolver list, RD=0 only, no local domains. */
void td_sensor_filter_init(struct td_sensor_filter *f);
/* "53,5353" */
int td_sensor_filter_set_ports(struct td_sensor_filter *f, const char *list, char *err, size_t errlen);
int td_sensor_filter_add_resolver(struct td_sensor_filter *f, const char *prefix, char *err, size_t errlen);
int td_sensor_filter_add_local(struct td_sensor_filter *f, const char *domain, char *err, size_t errlen);

static inline int td_sensor_filter_port(const struct td_sensor_filter *f, uint16_t port)
{
    return (f->port_bitmap[port >> 3] >> (port & 7)) & 1;
}
/* 1 if addr (4 or 16 octets per ip_version) is in the resolver list. */
int td_sensor_filter_is_resolver(const struct td_sensor_filter *f, int ip_version, const uint8_t *addr);
/* 1 if the qname (wire, uncompressed) is at or below a local domain. */
int td_sensor_filter_is_local(const struct td_sensor_filter *f, const uint8_t *qname, size_t len);
/* Parses "addr" or "addr/len" into p. */
int td_prefix_parse(const char *text, struct td_prefix *p);

#endif
