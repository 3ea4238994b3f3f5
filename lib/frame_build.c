/* frame_build.c: see frame_build.h. */
#include "frame_build.h"
#include "byteorder.h"
#include <string.h>

uint32_t td_inet_sum(const uint8_t *p, size_t len, uint32_t sum)
{
    while (len > 1) {
        sum += (uint32_t)p[0] << 8 | p[1];
        p += 2;
        len -= 2;
    }
    if (len)
        sum += (uint32_t)p[0] << 8;
    return sum;
}

uint16_t td_inet_fold(uint32_t sum)
{
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

size_t td_frame_build(const struct td_frame_spec *s, const uint8_t *payload, size_t len,
                      uint8_t *out, size_t cap)
{
    size_t iphl = s->ip_version == 6 ? 40 : 20;
    size_t l4hl = s->proto == 6 ? 20 : 8;
    size_t l4len = l4hl + len;
    size_t total = 14 + iphl + l4len;
    if (total > cap || l4len > 65535 - (s->ip_version == 6 ? 0 : iphl))
        return 0;
    memset(out, 0, 14 + iphl + l4hl);
    /* Ethernet: locally administered addresses */
    out[0] = 0x02; out[5] = 0x02;
    out[6] = 0x02; out[11] = 0x01;
    td_put_be16(out + 12, s->ip_version == 6 ? 0x86dd : 0x0800);
    uint8_t *ip = out + 14, *l4 = ip + iphl;
    size_t alen = s->ip_version == 6 ? 16 : 4;
    if (s->ip_version == 6) {
        ip[0] = 0x60;
        td_put_be16(ip + 4, (uint16_t)l4len);
        ip[6] = (uint8_t)s->proto;
        ip[7] = 64;
        memcpy(ip + 8, s->src, 16);
        memcpy(ip + 24, s->dst, 16);
    } else {
        ip[0] = 0x45;
        td_put_be16(ip + 2, (uint16_t)(iphl + l4len));
        td_put_be16(ip + 6, 0x4000); /* DF */
        ip[8] = 64;
        ip[9] = (uint8_t)s->proto;
        memcpy(ip + 12, s->src, 4);
        memcpy(ip + 16, s->dst, 4);
        td_put_be16(ip + 10, td_inet_fold(td_inet_sum(ip, 20, 0)));
    }
    td_put_be16(l4, s->sport);
    td_put_be16(l4 + 2, s->dport);
    if (s->proto == 6) {
        td_put_be32(l4 + 4, s->tcp_seq);
        td_put_be32(l4 + 8, s->tcp_ack);
        l4[12] = 5 << 4;
        l4[13] = s->tcp_flags ? s->tcp_flags : 0x18;
        td_put_be16(l4 + 14, 65535);
    } else {
        td_put_be16(l4 + 4, (uint16_t)l4len);
    }
    memcpy(l4 + l4hl, payload, len);
    uint32_t sum = td_inet_sum(s->src, alen, 0);
    sum = td_inet_sum(s->dst, alen, sum);
    sum += (uint32_t)s->proto + (uint32_t)(l4len >> 16) + (uint32_t)(l4len & 0xffff);
    sum = td_inet_sum(l4, l4len, sum);
    uint16_t ck = td_inet_fold(sum);
    if (s->proto == 17 && ck == 0)
        ck = 0xffff;
    td_put_be16(l4 + (s->proto == 6 ? 16 : 6), ck);
    return total;
}
