/* pcapgen: test frame builder and classic pcap writer (see pcapgen.h). Test code only:
 * libc + arpa/inet.h, no allocation per frame.
 *
 * Fixed choices (tests may rely on them):
 *   Ethernet: dst 02:00:00:00:00:02, src 02:00:00:00:00:01. One tag: 0x8100. Two tags:
 *   0x88a8 (outer, vlan_id[0]) then 0x8100 (inner, vlan_id[1]). PCP/DEI zero.
 *   IPv4: TTL 64, DF clear, id = PG_IP4_ID(sport, dport); options: NOPs, the last octet EOL.
 *   IPv6: hop limit 64, flow label 0. Extension headers: the first is hop-by-hop (0), the
 *   others destination options (60); each 8 octets holding one PadN option.
 *   Fragments: IPv4 MF/offset, options repeated in every fragment; IPv6: the extension
 *   headers above, then a fragment header with id PG_IP6_FRAG_ID(sport, dport).
 *   TCP: 20-octet header, ack number 1, window 65535, flags default ACK|PSH.
 *   UDP/TCP checksums are correct (IPv6 pseudo-header included) unless bad_udp_checksum. */
#include "pcapgen.h"
#include "frame_build.h"
#include "byteorder.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PG_IP4_ID(sport, dport)      ((uint16_t)((sport) ^ (dport) ^ 0x4242u))
#define PG_IP6_FRAG_ID(sport, dport) (0x42420000u | PG_IP4_ID(sport, dport))

/* Addresses of p: returns 0 on success, -1 if they do not parse for the IP version. */
static int pg_addrs(const struct pg_pkt *p, uint8_t src[16], uint8_t dst[16])
{
    int af = p->ip_version == 6 ? AF_INET6 : AF_INET;
    memset(src, 0, 16);
    memset(dst, 0, 16);
    if (p->ip_version != 4 && p->ip_version != 6)
        return -1;
    if (!p->src || !p->dst)
        return -1;
    if (inet_pton(af, p->src, src) != 1 || inet_pton(af, p->dst, dst) != 1)
        return -1;
    return 0;
}

/* Writes the L4 datagram (header + payload, checksum filled) into out; returns its
 * length or 0 if it does not fit. */
static size_t pg_l4(const struct pg_pkt *p, const uint8_t src[16], const uint8_t dst[16],
                    uint8_t *out, size_t cap)
{
    size_t hlen = p->proto == 6 ? 20 : 8;
    size_t len = hlen + p->payload_len;
    size_t alen = p->ip_version == 6 ? 16 : 4;
    uint32_t acc = 0;
    uint8_t pseudo[8];
    uint16_t ck;
    int ckoff = p->proto == 6 ? 16 : 6;

    if (p->proto != 6 && p->proto != 17)
        return 0;
    if (len > cap || len > 65535 || (p->payload_len && !p->payload))
        return 0;
    memset(out, 0, hlen);
    td_put_be16(out, p->sport);
    td_put_be16(out + 2, p->dport);
    if (p->proto == 17) {
        td_put_be16(out + 4, (uint16_t)len);
    } else {
        td_put_be32(out + 4, p->tcp_seq);
        td_put_be32(out + 8, 1);
        out[12] = 5 << 4;
        out[13] = p->tcp_flags ? p->tcp_flags : 0x18;
        td_put_be16(out + 14, 65535);
    }
    if (p->payload_len)
        memcpy(out + hlen, p->payload, p->payload_len);

    acc = td_inet_sum(src, alen, acc);
    acc = td_inet_sum(dst, alen, acc);
    if (p->ip_version == 6) {
        td_put_be32(pseudo, (uint32_t)len);
        pseudo[4] = pseudo[5] = pseudo[6] = 0;
        pseudo[7] = (uint8_t)p->proto;
        acc = td_inet_sum(pseudo, 8, acc);
    } else {
        pseudo[0] = 0;
        pseudo[1] = (uint8_t)p->proto;
        td_put_be16(pseudo + 2, (uint16_t)len);
        acc = td_inet_sum(pseudo, 4, acc);
    }
    acc = td_inet_sum(out, len, acc);
    ck = td_inet_fold(acc);
    if (p->proto == 17) {
        if (ck == 0)
            ck = 0xffff;
        if (p->bad_udp_checksum == 1)
            ck = (uint16_t)(ck == 0x1234 ? 0x4321 : 0x1234);
        else if (p->bad_udp_checksum == 2)
            ck = 0;
    }
    td_put_be16(out + ckoff, ck);
    return len;
}

/* Ethernet header and tags; returns the length or 0 if cap is too small. */
static size_t pg_eth(const struct pg_pkt *p, uint8_t *out, size_t cap)
{
    static const uint8_t macs[12] = { 2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1 };
    size_t n = 12;
    int i;

    if (p->vlan_count < 0 || p->vlan_count > 2)
        return 0;
    if (cap < 14 + 4 * (size_t)p->vlan_count)
        return 0;
    memcpy(out, macs, 12);
    for (i = 0; i < p->vlan_count; i++) {
        uint16_t tpid = (p->vlan_count == 2 && i == 0) ? 0x88a8 : 0x8100;
        td_put_be16(out + n, tpid);
        td_put_be16(out + n + 2, p->vlan_id[i] & 0x0fff);
        n += 4;
    }
    td_put_be16(out + n, p->ip_version == 6 ? 0x86dd : 0x0800);
    return n + 2;
}

/* IP header for an L4 part of l4_len octets. frag < 0: not a fragment; otherwise frag is
 * the fragment offset in octets and more the MF flag. Returns the header length or 0. */
static size_t pg_ip(const struct pg_pkt *p, const uint8_t src[16], const uint8_t dst[16],
                    size_t l4_len, long frag, int more, uint8_t *out, size_t cap)
{
    if (p->ip_version == 4) {
        size_t opt = (size_t)(p->ipv4_options_len > 0 ? p->ipv4_options_len : 0);
        size_t hlen = 20 + opt;
        uint16_t fo = 0;
        if (opt % 4 || opt > 40 || hlen > cap || hlen + l4_len > 65535)
            return 0;
        memset(out, 0, hlen);
        out[0] = (uint8_t)(0x40 | (hlen / 4));
        td_put_be16(out + 2, (uint16_t)(hlen + l4_len));
        td_put_be16(out + 4, PG_IP4_ID(p->sport, p->dport));
        if (frag >= 0)
            fo = (uint16_t)((frag / 8) | (more ? 0x2000 : 0));
        td_put_be16(out + 6, fo);
        out[8] = 64;
        out[9] = (uint8_t)p->proto;
        memcpy(out + 12, src, 4);
        memcpy(out + 16, dst, 4);
        if (opt) {
            memset(out + 20, 1, opt); /* NOP */
            out[hlen - 1] = 0;        /* EOL */
        }
        td_put_be16(out + 10, td_inet_fold(td_inet_sum(out, hlen, 0)));
        return hlen;
    } else {
        int next = p->ipv6_ext_count > 0 ? 0 : (frag >= 0 ? 44 : p->proto);
        size_t ext = 8 * (size_t)(p->ipv6_ext_count > 0 ? p->ipv6_ext_count : 0);
        size_t hlen = 40 + ext + (frag >= 0 ? 8 : 0);
        size_t off = 40;
        int i;
        if (hlen > cap || hlen - 40 + l4_len > 65535)
            return 0;
        memset(out, 0, hlen);
        out[0] = 0x60;
        td_put_be16(out + 4, (uint16_t)(hlen - 40 + l4_len));
        out[6] = (uint8_t)next;
        out[7] = 64;
        memcpy(out + 8, src, 16);
        memcpy(out + 24, dst, 16);
        for (i = 0; i < p->ipv6_ext_count; i++) {
            int nh = i + 1 < p->ipv6_ext_count ? 60 : (frag >= 0 ? 44 : p->proto);
            out[off] = (uint8_t)nh;
            out[off + 1] = 0;    /* (0 + 1) * 8 octets */
            out[off + 2] = 1;    /* PadN */
            out[off + 3] = 4;
            off += 8;
        }
        if (frag >= 0) {
            out[off] = (uint8_t)p->proto;
            td_put_be16(out + off + 2, (uint16_t)((frag & 0xfff8) | (more ? 1 : 0)));
            td_put_be32(out + off + 4, PG_IP6_FRAG_ID(p->sport, p->dport));
        }
        return hlen;
    }
}

size_t pg_build(const struct pg_pkt *p, uint8_t *out, size_t cap)
{
    uint8_t src[16], dst[16];
    uint8_t l4[65536];
    size_t n, ih, l4len;

    if (pg_addrs(p, src, dst) != 0)
        return 0;
    l4len = pg_l4(p, src, dst, l4, sizeof l4);
    if (!l4len)
        return 0;
    n = pg_eth(p, out, cap);
    if (!n)
        return 0;
    ih = pg_ip(p, src, dst, l4len, -1, 0, out + n, cap - n);
    if (!ih)
        return 0;
    n += ih;
    if (cap - n < l4len)
        return 0;
    memcpy(out + n, l4, l4len);
    return n + l4len;
}

int pg_build_fragments(const struct pg_pkt *p, size_t frag_payload, uint8_t frames[][2048],
                       size_t *lens, int max)
{
    uint8_t src[16], dst[16];
    uint8_t l4[65536];
    size_t l4len, done = 0;
    int count = 0;

    if (frag_payload == 0 || frag_payload % 8 || max <= 0)
        return -1;
    if (pg_addrs(p, src, dst) != 0)
        return -1;
    l4len = pg_l4(p, src, dst, l4, sizeof l4);
    if (!l4len)
        return -1;
    while (done < l4len) {
        size_t chunk = l4len - done < frag_payload ? l4len - done : frag_payload;
        int more = done + chunk < l4len;
        size_t n, ih;
        if (count >= max)
            return -1;
        n = pg_eth(p, frames[count], 2048);
        if (!n)
            return -1;
        ih = pg_ip(p, src, dst, chunk, (long)done, more, frames[count] + n, 2048 - n);
        if (!ih || 2048 - n - ih < chunk)
            return -1;
        n += ih;
        memcpy(frames[count] + n, l4 + done, chunk);
        lens[count] = n + chunk;
        done += chunk;
        count++;
    }
    return count;
}

struct pg_pcap {
    FILE *f;
    int nanosecond;
};

struct pg_pcap *pg_pcap_open(const char *path, int nanosecond)
{
    return pg_pcap_open_link(path, nanosecond, 1);
}

struct pg_pcap *pg_pcap_open_link(const char *path, int nanosecond, uint32_t linktype)
{
    struct pg_pcap *w = calloc(1, sizeof *w);
    uint32_t hdr[6];
    if (!w)
        return NULL;
    w->f = fopen(path, "wb");
    if (!w->f) {
        free(w);
        return NULL;
    }
    w->nanosecond = nanosecond;
    hdr[0] = nanosecond ? 0xa1b23c4du : 0xa1b2c3d4u; /* native byte order */
    hdr[1] = 2 | (4u << 16);                       /* version 2.4 (two native u16) */
    if (*(const uint8_t *)&(uint16_t){ 1 } == 0)    /* big-endian host */
        hdr[1] = (2u << 16) | 4;
    hdr[2] = 0;                                     /* thiszone */
    hdr[3] = 0;                                     /* sigfigs */
    hdr[4] = 262144;                                /* snaplen */
    hdr[5] = linktype;                              /* LINKTYPE_* */
    if (fwrite(hdr, sizeof hdr, 1, w->f) != 1) {
        fclose(w->f);
        free(w);
        return NULL;
    }
    return w;
}

void pg_pcap_write(struct pg_pcap *w, uint64_t ts_ns, const uint8_t *frame, size_t len)
{
    uint32_t rec[4];
    if (!w || !w->f)
        return;
    rec[0] = (uint32_t)(ts_ns / 1000000000u);
    rec[1] = (uint32_t)(w->nanosecond ? ts_ns % 1000000000u : (ts_ns % 1000000000u) / 1000u);
    rec[2] = (uint32_t)len;
    rec[3] = (uint32_t)len;
    if (fwrite(rec, sizeof rec, 1, w->f) != 1 || (len && fwrite(frame, len, 1, w->f) != 1)) {
        fclose(w->f);
        w->f = NULL; /* further writes are ignored; the file is short */
    }
}

void pg_pcap_close(struct pg_pcap *w)
{
    if (!w)
        return;
    if (w->f)
        fclose(w->f);
    free(w);
}

/* qname in wire format; returns its length or 0 (label > 63, name > 255, no room). */
static size_t pg_name(uint8_t *out, size_t cap, const char *name)
{
    size_t n = 0;
    const char *s = name;
    while (*s) {
        const char *dot = strchr(s, '.');
        size_t l = dot ? (size_t)(dot - s) : strlen(s);
        if (l == 0 || l > 63 || n + 1 + l + 1 > cap || n + 1 + l + 1 > 255) {
            if (l == 0 && dot && dot == name && dot[1] == '\0')
                break; /* "." is the root */
            return 0;
        }
        out[n++] = (uint8_t)l;
        memcpy(out + n, s, l);
        n += l;
        if (!dot)
            break;
        s = dot + 1;
    }
    if (n + 1 > cap)
        return 0;
    out[n++] = 0;
    return n;
}

size_t pg_dns_message(uint8_t *out, size_t cap, uint16_t id, uint16_t flags,
                      const char *qname, uint16_t qtype, int answers)
{
    size_t n, nl;
    int i, an = (flags & 0x8000) && answers > 0 ? answers : 0;

    if (cap < 12 || !qname || an > 255)
        return 0;
    memset(out, 0, 12);
    td_put_be16(out, id);
    td_put_be16(out + 2, flags);
    td_put_be16(out + 4, 1);
    td_put_be16(out + 6, (uint16_t)an);
    nl = pg_name(out + 12, cap - 12, qname);
    if (!nl)
        return 0;
    n = 12 + nl;
    if (cap - n < 4)
        return 0;
    td_put_be16(out + n, qtype);
    td_put_be16(out + n + 2, 1); /* IN */
    n += 4;
    for (i = 0; i < an; i++) {
        if (cap - n < 16)
            return 0;
        td_put_be16(out + n, 0xc00c); /* pointer to the qname */
        td_put_be16(out + n + 2, 1);  /* A */
        td_put_be16(out + n + 4, 1);  /* IN */
        td_put_be32(out + n + 6, 300);
        td_put_be16(out + n + 10, 4);
        out[n + 12] = 192;
        out[n + 13] = 0;
        out[n + 14] = 2;
        out[n + 15] = (uint8_t)(i + 1);
        n += 16;
    }
    return n;
}
