/* sensor_filter.c: see sensor_filter.h. */
#include "sensor_filter.h"
#include "dns_wire.h"
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void td_sensor_filter_init(struct td_sensor_filter *f)
{
    memset(f, 0, sizeof *f);
    f->port_bitmap[53 >> 3] |= 1u << (53 & 7);
}

int td_sensor_filter_set_ports(struct td_sensor_filter *f, const char *list, char *err, size_t errlen)
{
    uint8_t bm[sizeof f->port_bitmap];
    memset(bm, 0, sizeof bm);
    const char *p = list;
    int n = 0;
    while (*p) {
        while (*p == ',' || *p == ' ')
            p++;
        if (!*p)
            break;
        char *end;
        unsigned long v = strtoul(p, &end, 10);
        if (end == p || v == 0 || v > 65535 || (*end && *end != ',' && *end != ' ')) {
            snprintf(err, errlen, "bad port list '%s': ports are numbers 1-65535 separated by commas", list);
            return -1;
        }
        bm[v >> 3] |= (uint8_t)(1u << (v & 7));
        n++;
        p = end;
    }
    if (n == 0) {
        snprintf(err, errlen, "empty port list");
        return -1;
    }
    memcpy(f->port_bitmap, bm, sizeof bm);
    return 0;
}

int td_prefix_parse(const char *text, struct td_prefix *p)
{
    char buf[64];
    size_t n = strlen(text);
    if (n == 0 || n >= sizeof buf)
        return -1;
    memcpy(buf, text, n + 1);
    char *slash = strchr(buf, '/');
    long len = -1;
    if (slash) {
        *slash = '\0';
        char *end;
        len = strtol(slash + 1, &end, 10);
        if (end == slash + 1 || *end)
            return -1;
    }
    memset(p, 0, sizeof *p);
    if (inet_pton(AF_INET, buf, p->addr) == 1) {
        p->ip_version = 4;
        if (len < 0)
            len = 32;
        if (len > 32)
            return -1;
    } else if (inet_pton(AF_INET6, buf, p->addr) == 1) {
        p->ip_version = 6;
        if (len < 0)
            len = 128;
        if (len > 128)
            return -1;
    } else {
        return -1;
    }
    p->len = (uint8_t)len;
    return 0;
}

int td_sensor_filter_add_resolver(struct td_sensor_filter *f, const char *prefix, char *err, size_t errlen)
{
    if (f->nresolvers >= TD_FILTER_MAX_PREFIXES) {
        snprintf(err, errlen, "too many resolver addresses (max %d)", TD_FILTER_MAX_PREFIXES);
        return -1;
    }
    if (td_prefix_parse(prefix, &f->resolvers[f->nresolvers]) != 0) {
        snprintf(err, errlen, "bad resolver address '%s' (want ADDR or ADDR/LEN)", prefix);
        return -1;
    }
    f->nresolvers++;
    return 0;
}

int td_sensor_filter_add_local(struct td_sensor_filter *f, const char *domain, char *err, size_t errlen)
{
    if (f->nlocal >= TD_FILTER_MAX_DOMAINS) {
        snprintf(err, errlen, "too many local domains (max %d)", TD_FILTER_MAX_DOMAINS);
        return -1;
    }
    int n = td_dns_name_from_text(domain, f->local[f->nlocal], sizeof f->local[0]);
    if (n <= 0) {
        snprintf(err, errlen, "bad local domain '%s'", domain);
        return -1;
    }
    td_dns_name_lower(f->local[f->nlocal], (size_t)n);
    f->local_len[f->nlocal] = (uint16_t)n;
    f->nlocal++;
    return 0;
}

static int prefix_match(const struct td_prefix *p, int ip_version, const uint8_t *addr)
{
    if (p->ip_version != ip_version)
        return 0;
    unsigned full = p->len / 8, rest = p->len % 8;
    if (memcmp(p->addr, addr, full) != 0)
        return 0;
    if (rest) {
        uint8_t mask = (uint8_t)(0xff << (8 - rest));
        if ((p->addr[full] & mask) != (addr[full] & mask))
            return 0;
    }
    return 1;
}

int td_sensor_filter_is_resolver(const struct td_sensor_filter *f, int ip_version, const uint8_t *addr)
{
    for (int i = 0; i < f->nresolvers; i++)
        if (prefix_match(&f->resolvers[i], ip_version, addr))
            return 1;
    return 0;
}

int td_sensor_filter_is_local(const struct td_sensor_filter *f, const uint8_t *qname, size_t len)
{
    for (int i = 0; i < f->nlocal; i++)
        if (td_dns_name_is_below(qname, len, f->local[i], f->local_len[i]))
            return 1;
    return 0;
}
