/* test_frame: lib/frame.h decoder. Frames come from pcapgen (correct checksums) and are
 * patched by hand for the malformed cases. Every decode runs on an exact-size heap copy so
 * that ASan sees any read past the end. */
#include "frame.h"
#include "pcapgen.h"
#include "tt.h"

#include <arpa/inet.h>
#include <stdlib.h>

#define SRC4 "192.0.2.1"
#define DST4 "198.51.100.53"
#define SRC6 "2001:db8::1"
#define DST6 "2001:db8::53"
#define ID16 0xde37u /* pcapgen: 40000 ^ 53 ^ 0x4242 */

static uint8_t q_msg[512];
static size_t q_len;       /* "example.com" A query: 29 octets */
static uint8_t tcp_msg[514];
static size_t tcp_len;     /* the same with the 2-octet TCP length prefix: 31 */
static uint8_t big_msg[512];
static size_t big_len = 100;

static void init_msgs(void)
{
    q_len = pg_dns_message(q_msg, sizeof q_msg, 0x1234, 0x0100, "example.com", 1, 0);
    tcp_msg[0] = 0;
    tcp_msg[1] = (uint8_t)q_len;
    memcpy(tcp_msg + 2, q_msg, q_len);
    tcp_len = q_len + 2;
    for (size_t i = 0; i < big_len; i++)
        big_msg[i] = (uint8_t)i;
}

/* decode len octets of frame from an exact-size copy */
static int decode_n(const uint8_t *frame, size_t len, struct td_frame *f, int raw_ip)
{
    uint8_t *copy = malloc(len ? len : 1);
    int r;
    if (!copy)
        return -1;
    if (len)
        memcpy(copy, frame, len);
    r = raw_ip ? td_frame_decode_ip(copy, copy + len, f) : td_frame_decode(copy, copy + len, f);
    free(copy);
    return r;
}

struct exp {
    int result;
    int ip_version, l4_proto, vlan_count, vlan0, vlan1, flags;
    int l3_off, l4_off, payload_off, payload_len, ip_payload_len;
    int sport, dport;
    long frag_id;
    int frag_off;
    long tcp_seq;
    int tcp_flags;
};

static void check_frame(const char *name, const struct td_frame *f, int r, const struct exp *e)
{
#define FEQ(a, b) do { if ((long long)(a) != (long long)(b)) { \
        TT_FAIL("%s: %s == %lld, expected %lld", name, #a, (long long)(a), (long long)(b)); } } while (0)
    FEQ(r, e->result);
    FEQ(f->ip_version, e->ip_version);
    FEQ(f->l4_proto, e->l4_proto);
    FEQ(f->vlan_count, e->vlan_count);
    FEQ(f->vlan_id[0], e->vlan0);
    FEQ(f->vlan_id[1], e->vlan1);
    FEQ(f->flags, e->flags);
    FEQ(f->l3_off, e->l3_off);
    FEQ(f->l4_off, e->l4_off);
    FEQ(f->payload_off, e->payload_off);
    FEQ(f->payload_len, e->payload_len);
    FEQ(f->ip_payload_len, e->ip_payload_len);
    FEQ(f->sport, e->sport);
    FEQ(f->dport, e->dport);
    FEQ(f->frag_id, e->frag_id);
    FEQ(f->frag_off, e->frag_off);
    FEQ(f->tcp_seq, e->tcp_seq);
    FEQ(f->tcp_flags, e->tcp_flags);
#undef FEQ
}

static void check_addrs(const char *name, const struct td_frame *f, int v, const char *s, const char *d)
{
    uint8_t a[16] = { 0 }, b[16] = { 0 };
    inet_pton(v == 6 ? AF_INET6 : AF_INET, s, a);
    inet_pton(v == 6 ? AF_INET6 : AF_INET, d, b);
    if (memcmp(f->src, a, 16) != 0 || memcmp(f->dst, b, 16) != 0)
        TT_FAIL("%s: addresses differ", name);
}

static struct pg_pkt pkt(int v, int proto)
{
    struct pg_pkt p;
    memset(&p, 0, sizeof p);
    p.ip_version = v;
    p.src = v == 6 ? SRC6 : SRC4;
    p.dst = v == 6 ? DST6 : DST4;
    p.sport = 40000;
    p.dport = 53;
    p.proto = proto;
    p.tcp_seq = 1000;
    if (proto == 6) {
        p.payload = tcp_msg;
        p.payload_len = tcp_len;
    } else {
        p.payload = q_msg;
        p.payload_len = q_len;
    }
    return p;
}

/* ---- valid frames: a table ------------------------------------------------------- */

struct valid_case {
    const char *name;
    int v, proto, vlans, v4opt, v6ext;
    struct exp e;
};

static const struct valid_case valid_cases[] = {
    { "v4 udp", 4, 17, 0, 0, 0,
      { TD_FRAME_OK, 4, 17, 0, 0, 0, 0, 14, 34, 42, 29, 37, 40000, 53, 0, 0, 0, 0 } },
    { "v4 tcp", 4, 6, 0, 0, 0,
      { TD_FRAME_OK, 4, 6, 0, 0, 0, 0, 14, 34, 54, 31, 51, 40000, 53, 0, 0, 1000, 0x18 } },
    { "v6 udp", 6, 17, 0, 0, 0,
      { TD_FRAME_OK, 6, 17, 0, 0, 0, 0, 14, 54, 62, 29, 37, 40000, 53, 0, 0, 0, 0 } },
    { "v6 tcp", 6, 6, 0, 0, 0,
      { TD_FRAME_OK, 6, 6, 0, 0, 0, 0, 14, 54, 74, 31, 51, 40000, 53, 0, 0, 1000, 0x18 } },
    { "1 vlan v4 udp", 4, 17, 1, 0, 0,
      { TD_FRAME_OK, 4, 17, 1, 100, 0, TD_FF_VLAN, 18, 38, 46, 29, 37, 40000, 53, 0, 0, 0, 0 } },
    { "qinq v6 udp", 6, 17, 2, 0, 0,
      { TD_FRAME_OK, 6, 17, 2, 100, 200, TD_FF_VLAN, 22, 62, 70, 29, 37, 40000, 53, 0, 0, 0, 0 } },
    { "qinq v4 tcp", 4, 6, 2, 0, 0,
      { TD_FRAME_OK, 4, 6, 2, 100, 200, TD_FF_VLAN, 22, 42, 62, 31, 51, 40000, 53, 0, 0, 1000, 0x18 } },
    { "v4 options 12", 4, 17, 0, 12, 0,
      { TD_FRAME_OK, 4, 17, 0, 0, 0, 0, 14, 46, 54, 29, 37, 40000, 53, 0, 0, 0, 0 } },
    { "v4 options 40 tcp", 4, 6, 1, 40, 0,
      { TD_FRAME_OK, 4, 6, 1, 100, 0, TD_FF_VLAN, 18, 78, 98, 31, 51, 40000, 53, 0, 0, 1000, 0x18 } },
    { "v6 hbh+dstopt udp", 6, 17, 0, 0, 2,
      { TD_FRAME_OK, 6, 17, 0, 0, 0, 0, 14, 70, 78, 29, 37, 40000, 53, 0, 0, 0, 0 } },
    { "v6 hbh+dstopt tcp", 6, 6, 1, 0, 2,
      { TD_FRAME_OK, 6, 6, 1, 100, 0, TD_FF_VLAN, 18, 74, 94, 31, 51, 40000, 53, 0, 0, 1000, 0x18 } },
    { "v6 8 ext headers", 6, 17, 0, 0, 8,
      { TD_FRAME_OK, 6, 17, 0, 0, 0, 0, 14, 118, 126, 29, 37, 40000, 53, 0, 0, 0, 0 } },
    { "v6 9 ext headers", 6, 17, 0, 0, 9,
      { TD_FRAME_BAD_EXT, 6, 0, 0, 0, 0, 0, 14, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 } },
};

static size_t build_case(const struct valid_case *c, uint8_t *buf, size_t cap)
{
    struct pg_pkt p = pkt(c->v, c->proto);
    p.vlan_count = c->vlans;
    p.vlan_id[0] = 100;
    p.vlan_id[1] = 200;
    p.ipv4_options_len = c->v4opt;
    p.ipv6_ext_count = c->v6ext;
    return pg_build(&p, buf, cap);
}

static void test_valid_table(void)
{
    uint8_t buf[2048];
    for (size_t i = 0; i < sizeof valid_cases / sizeof valid_cases[0]; i++) {
        const struct valid_case *c = &valid_cases[i];
        struct td_frame f;
        size_t n = build_case(c, buf, sizeof buf);
        CHECK(n > 0);
        int r = decode_n(buf, n, &f, 0);
        check_frame(c->name, &f, r, &c->e);
        check_addrs(c->name, &f, c->v, c->v == 6 ? SRC6 : SRC4, c->v == 6 ? DST6 : DST4);
        if (r == TD_FRAME_OK) {
            /* the payload is the message we put in */
            const uint8_t *want = c->proto == 6 ? tcp_msg : q_msg;
            CHECK_MEM(buf + f.payload_off, want, f.payload_len);
            CHECK_EQ(f.payload_off + f.payload_len, n);
        }
    }
}

/* the UDP checksum is reported as on the wire, in host order */
static void test_udp_cksum_field(void)
{
    uint8_t buf[2048];
    struct td_frame f;
    for (int bad = 0; bad <= 2; bad++) {
        struct pg_pkt p = pkt(4, 17);
        p.bad_udp_checksum = bad;
        size_t n = pg_build(&p, buf, sizeof buf);
        CHECK_EQ(decode_n(buf, n, &f, 0), TD_FRAME_OK);
        CHECK_EQ(f.udp_cksum, (buf[40] << 8) | buf[41]);
        if (bad == 2)
            CHECK_EQ(f.udp_cksum, 0);
        else
            CHECK(f.udp_cksum != 0);
    }
}

/* ---- VLAN ------------------------------------------------------------------------ */

/* Frame with the given tag TPIDs in front of a v4 UDP packet. */
static size_t tagged(uint8_t *out, const uint16_t *tpids, int ntags)
{
    uint8_t plain[2048];
    struct pg_pkt p = pkt(4, 17);
    size_t n = pg_build(&p, plain, sizeof plain);
    memcpy(out, plain, 12);
    for (int i = 0; i < ntags; i++) {
        out[12 + 4 * i] = (uint8_t)(tpids[i] >> 8);
        out[13 + 4 * i] = (uint8_t)tpids[i];
        out[14 + 4 * i] = (uint8_t)(0xe0 | (i + 1)); /* PCP 7, DEI 0, VID (i + 1) << 8 */
        out[15 + 4 * i] = 0;
    }
    memcpy(out + 12 + 4 * ntags, plain + 12, n - 12);
    return n + 4 * (size_t)ntags;
}

static void test_vlan_tags(void)
{
    uint8_t buf[2048];
    struct td_frame f;
    static const uint16_t t3[] = { 0x88a8, 0x8100, 0x8100 };
    static const uint16_t t9100[] = { 0x9100, 0x8100 };
    static const uint16_t t8100[] = { 0x8100 };
    size_t n;

    n = tagged(buf, t3, 3);
    CHECK_EQ(decode_n(buf, n, &f, 0), TD_FRAME_TOO_MANY_VLAN);
    CHECK_EQ(f.vlan_count, 2);
    CHECK_EQ(f.vlan_id[0], 0x100);
    CHECK_EQ(f.vlan_id[1], 0x200);

    n = tagged(buf, t9100, 2);
    CHECK_EQ(decode_n(buf, n, &f, 0), TD_FRAME_OK);
    CHECK_EQ(f.vlan_count, 2);
    CHECK_EQ(f.vlan_id[0], 0x100); /* PCP bits masked off */
    CHECK_EQ(f.vlan_id[1], 0x200);
    CHECK_EQ(f.l3_off, 22);
    CHECK_EQ(f.payload_off, 50);
    CHECK_EQ(f.payload_len, q_len);

    n = tagged(buf, t8100, 1);
    CHECK_EQ(decode_n(buf, n, &f, 0), TD_FRAME_OK);
    CHECK_EQ(f.vlan_count, 1);
    CHECK_EQ(f.flags, TD_FF_VLAN);

    /* a tag whose inner ethertype is ARP */
    n = tagged(buf, t8100, 1);
    buf[16] = 0x08;
    buf[17] = 0x06;
    CHECK_EQ(decode_n(buf, n, &f, 0), TD_FRAME_NOT_IP);
    CHECK_EQ(f.vlan_count, 1);
    CHECK_EQ(f.l3_off, 18);
}

/* ---- fragments ------------------------------------------------------------------- */

static void test_v4_fragments(void)
{
    static uint8_t frames[8][2048];
    size_t lens[8];
    struct pg_pkt p = pkt(4, 17);
    struct td_frame f;
    uint8_t dgram[256];
    size_t dlen = 0;
    p.sport = 53;
    p.dport = 40000;
    p.payload = big_msg;
    p.payload_len = big_len; /* UDP datagram: 108 octets -> 48 + 48 + 12 */
    int n = pg_build_fragments(&p, 48, frames, lens, 8);
    CHECK_EQ(n, 3);
    if (n != 3)
        return;
    static const struct exp e[3] = {
        { TD_FRAME_FRAGMENT, 4, 17, 0, 0, 0, TD_FF_FRAGMENT | TD_FF_MORE_FRAGS, 14, 34, 34, 48, 48, 0, 0, ID16, 0, 0, 0 },
        { TD_FRAME_FRAGMENT, 4, 17, 0, 0, 0, TD_FF_FRAGMENT | TD_FF_MORE_FRAGS, 14, 34, 34, 48, 48, 0, 0, ID16, 48, 0, 0 },
        { TD_FRAME_FRAGMENT, 4, 17, 0, 0, 0, TD_FF_FRAGMENT, 14, 34, 34, 12, 12, 0, 0, ID16, 96, 0, 0 },
    };
    static const char *names[3] = { "v4 first fragment", "v4 middle fragment", "v4 last fragment" };
    for (int i = 0; i < 3; i++) {
        int r = decode_n(frames[i], lens[i], &f, 0);
        check_frame(names[i], &f, r, &e[i]);
        check_addrs(names[i], &f, 4, SRC4, DST4);
        memcpy(dgram + dlen, frames[i] + f.l4_off, f.payload_len);
        dlen += f.payload_len;
    }
    /* reassembled by hand: decode the L4 of the datagram, offsets relative to it */
    CHECK_EQ(dlen, 108);
    CHECK_EQ(td_frame_decode_l4(dgram, dgram + dlen, &f), TD_FRAME_OK);
    CHECK_EQ(f.l4_off, 0);
    CHECK_EQ(f.payload_off, 8);
    CHECK_EQ(f.payload_len, 100);
    CHECK_EQ(f.ip_payload_len, 108);
    CHECK_EQ(f.sport, 53);
    CHECK_EQ(f.dport, 40000);
    CHECK_EQ(f.flags, TD_FF_FRAGMENT);
    CHECK_EQ(f.ip_version, 4);
    CHECK_MEM(dgram + f.payload_off, big_msg, 100);

    /* a first fragment cut by the capture: data present counted, IP_TRUNC set */
    CHECK_EQ(decode_n(frames[0], lens[0] - 5, &f, 0), TD_FRAME_FRAGMENT);
    CHECK_EQ(f.payload_len, 43);
    CHECK_EQ(f.ip_payload_len, 48);
    CHECK_EQ(f.flags, TD_FF_FRAGMENT | TD_FF_MORE_FRAGS | TD_FF_IP_TRUNC);

    /* DF alone is not a fragment */
    uint8_t buf[2048];
    p.payload = q_msg;
    p.payload_len = q_len;
    size_t len = pg_build(&p, buf, sizeof buf);
    buf[20] = 0x40;
    CHECK_EQ(decode_n(buf, len, &f, 0), TD_FRAME_OK);
    CHECK_EQ(f.flags, 0);
}

static void test_v6_fragments(void)
{
    static uint8_t frames[8][2048];
    size_t lens[8];
    struct td_frame f;
    for (int ext = 0; ext <= 1; ext++) {
        struct pg_pkt p = pkt(6, 17);
        p.sport = 53;
        p.dport = 40000;
        p.ipv6_ext_count = ext;
        p.vlan_count = ext;
        p.vlan_id[0] = 7;
        p.payload = big_msg;
        p.payload_len = big_len;
        int n = pg_build_fragments(&p, 64, frames, lens, 8);
        CHECK_EQ(n, 2);
        if (n != 2)
            return;
        int l3 = 14 + 4 * ext, l4 = l3 + 40 + 8 * ext + 8;
        int vf = ext ? TD_FF_VLAN : 0;
        struct exp e0 = { TD_FRAME_FRAGMENT, 6, 17, ext, ext ? 7 : 0, 0, vf | TD_FF_FRAGMENT | TD_FF_MORE_FRAGS,
                          l3, l4, l4, 64, 64, 0, 0, 0x42420000L | ID16, 0, 0, 0 };
        struct exp e1 = { TD_FRAME_FRAGMENT, 6, 17, ext, ext ? 7 : 0, 0, vf | TD_FF_FRAGMENT,
                          l3, l4, l4, 44, 44, 0, 0, 0x42420000L | ID16, 64, 0, 0 };
        check_frame(ext ? "v6 frag 0 (hbh)" : "v6 frag 0", &f, decode_n(frames[0], lens[0], &f, 0), &e0);
        check_addrs("v6 frag 0", &f, 6, SRC6, DST6);
        check_frame(ext ? "v6 frag 1 (hbh)" : "v6 frag 1", &f, decode_n(frames[1], lens[1], &f, 0), &e1);
    }
    /* atomic fragment (offset 0, M clear): still reported as a fragment */
    struct pg_pkt p = pkt(6, 17);
    int n = pg_build_fragments(&p, 64, frames, lens, 8);
    CHECK_EQ(n, 1);
    CHECK_EQ(decode_n(frames[0], lens[0], &f, 0), TD_FRAME_FRAGMENT);
    CHECK_EQ(f.flags, TD_FF_FRAGMENT);
    CHECK_EQ(f.ip_payload_len, 37);
    CHECK_EQ(f.l4_off, 62);
    /* a fragment header that claims more than the payload length */
    frames[0][19] = 4; /* payload length 4 < 8 */
    CHECK_EQ(decode_n(frames[0], lens[0], &f, 0), TD_FRAME_BAD_EXT);
}

/* ---- not UDP/TCP, not IP -------------------------------------------------------- */

static void test_not_ip_or_l4(void)
{
    uint8_t buf[2048];
    struct td_frame f;
    struct pg_pkt p = pkt(4, 17);
    size_t n = pg_build(&p, buf, sizeof buf);

    buf[12] = 0x08; /* ARP */
    buf[13] = 0x06;
    CHECK_EQ(decode_n(buf, n, &f, 0), TD_FRAME_NOT_IP);
    CHECK_EQ(f.l3_off, 14);
    CHECK_EQ(f.ip_version, 0);
    buf[12] = 0x00; /* 802.3 length field */
    buf[13] = 0x40;
    CHECK_EQ(decode_n(buf, n, &f, 0), TD_FRAME_NOT_IP);

    n = pg_build(&p, buf, sizeof buf);
    buf[23] = 1; /* ICMP */
    CHECK_EQ(decode_n(buf, n, &f, 0), TD_FRAME_NOT_UDP_TCP);
    CHECK_EQ(f.l4_proto, 1);
    CHECK_EQ(f.l4_off, 34);
    CHECK_EQ(f.ip_payload_len, 37);
    CHECK_EQ(f.sport, 0);

    p = pkt(6, 17);
    p.ipv6_ext_count = 1;
    n = pg_build(&p, buf, sizeof buf);
    buf[54] = 58; /* HBH -> ICMPv6 */
    CHECK_EQ(decode_n(buf, n, &f, 0), TD_FRAME_NOT_UDP_TCP);
    CHECK_EQ(f.l4_proto, 58);
    CHECK_EQ(f.l4_off, 62);
    CHECK_EQ(f.ip_payload_len, 37);
    buf[54] = 59; /* no next header */
    CHECK_EQ(decode_n(buf, n, &f, 0), TD_FRAME_NOT_UDP_TCP);
    CHECK_EQ(f.l4_proto, 59);
}

/* routing header and AH are walked with their own length units */
static void test_v6_routing_ah(void)
{
    uint8_t buf[2048];
    struct td_frame f;
    struct pg_pkt p = pkt(6, 17);
    p.ipv6_ext_count = 2; /* HBH (8) + dest opts (8) */
    size_t n = pg_build(&p, buf, sizeof buf);

    buf[54] = 43; /* HBH's next: routing instead of dest opts (same 8 octets) */
    CHECK_EQ(decode_n(buf, n, &f, 0), TD_FRAME_OK);
    CHECK_EQ(f.l4_off, 70);
    buf[54] = 51; /* AH: length (2 + 0) * 4 = 8 */
    buf[63] = 0;
    CHECK_EQ(decode_n(buf, n, &f, 0), TD_FRAME_OK);
    CHECK_EQ(f.l4_off, 70);
    CHECK_EQ(f.payload_len, q_len);
    buf[63] = 1; /* AH 12 octets: L4 4 octets later -> UDP header misread, lengths disagree */
    CHECK(decode_n(buf, n, &f, 0) != TD_FRAME_OK);
    buf[63] = 0;
    /* AH of 16 octets (length field 2) spanning the 2nd and 3rd extension headers */
    p.ipv6_ext_count = 3;
    n = pg_build(&p, buf, sizeof buf);
    buf[54] = 51;
    buf[62] = 17;
    buf[63] = 2;
    CHECK_EQ(decode_n(buf, n, &f, 0), TD_FRAME_OK);
    CHECK_EQ(f.l4_off, 78);
    CHECK_EQ(f.ip_payload_len, 37);
    CHECK_EQ(f.payload_len, q_len);
    p.ipv6_ext_count = 2;
    n = pg_build(&p, buf, sizeof buf);
    buf[55] = 200; /* HBH length (200 + 1) * 8 > payload length */
    CHECK_EQ(decode_n(buf, n, &f, 0), TD_FRAME_BAD_EXT);
    buf[55] = 0;
    buf[19] = 4; /* payload length 4: no room for the first extension header */
    CHECK_EQ(decode_n(buf, n, &f, 0), TD_FRAME_BAD_EXT);
    buf[19] = 16; /* payload length 16: ext headers fit, UDP does not */
    CHECK_EQ(decode_n(buf, n, &f, 0), TD_FRAME_BAD_L4);
    CHECK_EQ(f.l4_off, 70);
    CHECK_EQ(f.ip_payload_len, 0);
}

/* ---- truncation at every length --------------------------------------------------- */

static void truncate_all(const char *name, const uint8_t *buf, size_t n, int raw_ip)
{
    struct td_frame full, f;
    int r = decode_n(buf, n, &full, raw_ip);
    int bad = 0;
    CHECK_EQ(r, TD_FRAME_OK);
    for (size_t len = 0; len < n && bad < 5; len++) {
        r = decode_n(buf, len, &f, raw_ip);
        if (len < full.payload_off) {
            if (r != TD_FRAME_TRUNCATED) {
                TT_FAIL("%s: len %zu: result %d, expected truncated", name, len, r);
                bad++;
            }
        } else if (r != TD_FRAME_OK || f.payload_len != len - full.payload_off ||
                   f.flags != (full.flags | TD_FF_IP_TRUNC) || f.payload_off != full.payload_off ||
                   f.ip_payload_len != full.ip_payload_len || f.sport != full.sport) {
            TT_FAIL("%s: len %zu: result %d payload_len %d flags %#x", name, len, r,
                    f.payload_len, f.flags);
            bad++;
        }
    }
}

static void test_truncated_every_length(void)
{
    uint8_t buf[2048];
    for (size_t i = 0; i < sizeof valid_cases / sizeof valid_cases[0]; i++) {
        const struct valid_case *c = &valid_cases[i];
        if (c->e.result != TD_FRAME_OK)
            continue;
        size_t n = build_case(c, buf, sizeof buf);
        truncate_all(c->name, buf, n, 0);
        /* the same packet on a raw-IP link */
        size_t l3 = c->e.l3_off;
        truncate_all(c->name, buf + l3, n - l3, 1);
    }
}

/* ---- padding, bad lengths --------------------------------------------------------- */

static void test_ethernet_padding(void)
{
    uint8_t buf[2048];
    struct td_frame f;
    static const uint8_t four[4] = { 1, 2, 3, 4 };
    for (int v = 4; v <= 6; v += 2) {
        struct pg_pkt p = pkt(v, 17);
        p.payload = four;
        p.payload_len = 4;
        size_t n = pg_build(&p, buf, sizeof buf);
        memset(buf + n, 0xee, 64); /* padding to the minimum frame and an FCS */
        size_t padded = n < 60 ? 64 : n + 4;
        CHECK_EQ(decode_n(buf, padded, &f, 0), TD_FRAME_OK);
        CHECK_EQ(f.payload_len, 4);
        CHECK_EQ(f.ip_payload_len, 12);
        CHECK_EQ(f.flags, 0);
        /* TCP: padding not counted either */
        p = pkt(v, 6);
        p.payload = four;
        p.payload_len = 4;
        n = pg_build(&p, buf, sizeof buf);
        memset(buf + n, 0xee, 64);
        CHECK_EQ(decode_n(buf, n + 6, &f, 0), TD_FRAME_OK);
        CHECK_EQ(f.payload_len, 4);
        CHECK_EQ(f.flags, 0);
    }
}

static void test_bad_ip(void)
{
    uint8_t buf[2048];
    struct td_frame f;
    struct pg_pkt p = pkt(4, 17);
    size_t n = pg_build(&p, buf, sizeof buf);

    struct { int off; uint8_t val; int result; } cases[] = {
        { 14, 0x44, TD_FRAME_BAD_IP },     /* IHL 4 */
        { 14, 0x40, TD_FRAME_BAD_IP },     /* IHL 0 */
        { 14, 0x55, TD_FRAME_BAD_IP },     /* version 5 */
        { 14, 0x65, TD_FRAME_BAD_IP },     /* version 6 under ethertype IPv4 */
        { 14, 0x4f, TD_FRAME_TRUNCATED },  /* IHL 15: 60-octet header past the capture */
        { 17, 19, TD_FRAME_BAD_IP },       /* total length 19 < 20 */
        { 17, 20, TD_FRAME_BAD_L4 },       /* total length 20: no room for UDP */
        { 17, 27, TD_FRAME_BAD_L4 },       /* 7 octets of UDP */
        { 17, 28, TD_FRAME_BAD_L4 },       /* UDP header only but UDP length says 37 */
        { 17, 200, TD_FRAME_BAD_L4 + 100 },/* total length past the capture: OK + IP_TRUNC */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        pg_build(&p, buf, sizeof buf);
        buf[cases[i].off] = cases[i].val;
        int r = decode_n(buf, n, &f, 0);
        if (cases[i].result == TD_FRAME_BAD_L4 + 100) {
            CHECK_EQ(r, TD_FRAME_OK);
            CHECK_EQ(f.flags, TD_FF_IP_TRUNC);
            CHECK_EQ(f.payload_len, q_len);
            CHECK_EQ(f.ip_payload_len, 180);
        } else if (r != cases[i].result) {
            TT_FAIL("bad ip case %zu: result %d, expected %d", i, r, cases[i].result);
        }
    }
    /* IPv6 version nibble wrong */
    p = pkt(6, 17);
    n = pg_build(&p, buf, sizeof buf);
    buf[14] = 0x40;
    CHECK_EQ(decode_n(buf, n, &f, 0), TD_FRAME_BAD_IP);
    /* IPv6 payload length 0 (jumbogram without the option): UDP does not fit */
    n = pg_build(&p, buf, sizeof buf);
    buf[18] = buf[19] = 0;
    CHECK_EQ(decode_n(buf, n, &f, 0), TD_FRAME_BAD_L4);
}

static void test_bad_l4(void)
{
    uint8_t buf[2048];
    struct td_frame f;
    struct pg_pkt p = pkt(4, 17);
    size_t n = pg_build(&p, buf, sizeof buf);
    /* UDP length: offset 38 */
    static const struct { uint16_t ulen; int result, plen; } u[] = {
        { 0, TD_FRAME_BAD_L4, 0 }, { 7, TD_FRAME_BAD_L4, 0 }, { 8, TD_FRAME_OK, 0 },
        { 18, TD_FRAME_OK, 10 }, { 37, TD_FRAME_OK, 29 }, { 38, TD_FRAME_BAD_L4, 0 },
        { 0xffff, TD_FRAME_BAD_L4, 0 },
    };
    for (size_t i = 0; i < sizeof u / sizeof u[0]; i++) {
        buf[38] = (uint8_t)(u[i].ulen >> 8);
        buf[39] = (uint8_t)u[i].ulen;
        int r = decode_n(buf, n, &f, 0);
        if (r != u[i].result || (r == TD_FRAME_OK && f.payload_len != u[i].plen))
            TT_FAIL("udp length %u: result %d payload_len %d", u[i].ulen, r, f.payload_len);
    }
    /* TCP data offset: byte 46 */
    p = pkt(4, 6);
    n = pg_build(&p, buf, sizeof buf);
    static const struct { uint8_t doff; int result, poff; } t[] = {
        { 0, TD_FRAME_BAD_L4, 0 }, { 4, TD_FRAME_BAD_L4, 0 }, { 5, TD_FRAME_OK, 54 },
        { 12, TD_FRAME_OK, 82 }, { 13, TD_FRAME_BAD_L4, 0 }, { 15, TD_FRAME_BAD_L4, 0 },
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        buf[46] = (uint8_t)(t[i].doff << 4);
        int r = decode_n(buf, n, &f, 0);
        if (r != t[i].result || (r == TD_FRAME_OK && f.payload_off != t[i].poff))
            TT_FAIL("tcp doff %u: result %d payload_off %d", t[i].doff, r, f.payload_off);
    }
    /* data offset 12 (48 octets) with the capture cut inside the options */
    buf[46] = 12 << 4;
    CHECK_EQ(decode_n(buf, 14 + 20 + 40, &f, 0), TD_FRAME_TRUNCATED);
}

static void test_decode_ip_raw(void)
{
    uint8_t buf[2048];
    struct td_frame f;
    struct pg_pkt p = pkt(6, 6);
    size_t n = pg_build(&p, buf, sizeof buf);
    static const struct exp e = { TD_FRAME_OK, 6, 6, 0, 0, 0, 0, 0, 40, 60, 31, 51, 40000, 53, 0, 0, 1000, 0x18 };
    check_frame("raw v6 tcp", &f, decode_n(buf + 14, n - 14, &f, 1), &e);
    check_addrs("raw v6 tcp", &f, 6, SRC6, DST6);
    CHECK_EQ(decode_n(buf, 0, &f, 1), TD_FRAME_TRUNCATED);
    buf[14] = 0x50;
    CHECK_EQ(decode_n(buf + 14, n - 14, &f, 1), TD_FRAME_BAD_IP);
    /* Ethernet frames shorter than the header */
    for (size_t len = 0; len < 14; len++)
        CHECK_EQ(decode_n(buf, len, &f, 0), TD_FRAME_TRUNCATED);
}

static void test_decode_l4(void)
{
    uint8_t buf[2048];
    struct td_frame f, g;
    struct pg_pkt p = pkt(6, 6);
    size_t n = pg_build(&p, buf, sizeof buf);
    CHECK_EQ(decode_n(buf, n, &f, 0), TD_FRAME_OK);
    g = f;
    g.flags |= TD_FF_MORE_FRAGS | TD_FF_IP_TRUNC | TD_FF_FRAGMENT;
    CHECK_EQ(td_frame_decode_l4(buf + 54, buf + n, &g), TD_FRAME_OK);
    CHECK_EQ(g.l4_off, 0);
    CHECK_EQ(g.payload_off, 20);
    CHECK_EQ(g.payload_len, tcp_len);
    CHECK_EQ(g.ip_payload_len, 20 + tcp_len);
    CHECK_EQ(g.tcp_seq, 1000);
    CHECK_EQ(g.flags, TD_FF_FRAGMENT);
    CHECK_EQ(g.l3_off, 14);
    /* too short for UDP / TCP, unknown protocol */
    g = f;
    CHECK_EQ(td_frame_decode_l4(buf + 54, buf + 54 + 19, &g), TD_FRAME_BAD_L4);
    g.l4_proto = 17;
    CHECK_EQ(td_frame_decode_l4(buf + 54, buf + 54 + 7, &g), TD_FRAME_BAD_L4);
    g.l4_proto = 1;
    CHECK_EQ(td_frame_decode_l4(buf + 54, buf + n, &g), TD_FRAME_NOT_UDP_TCP);
}

static void test_result_str(void)
{
    CHECK_STR(td_frame_result_str(TD_FRAME_OK), "ok");
    CHECK_STR(td_frame_result_str(TD_FRAME_FRAGMENT), "fragment");
    CHECK_STR(td_frame_result_str(TD_FRAME_TRUNCATED), "truncated");
    CHECK_STR(td_frame_result_str(TD_FRAME_NOT_IP), "not_ip");
    CHECK_STR(td_frame_result_str(TD_FRAME_TOO_MANY_VLAN), "too_many_vlan");
    CHECK_STR(td_frame_result_str(TD_FRAME_BAD_IP), "bad_ip");
    CHECK_STR(td_frame_result_str(TD_FRAME_BAD_EXT), "bad_ext");
    CHECK_STR(td_frame_result_str(TD_FRAME_NOT_UDP_TCP), "not_udp_tcp");
    CHECK_STR(td_frame_result_str(TD_FRAME_BAD_L4), "bad_l4");
    CHECK_STR(td_frame_result_str(TD_FRAME__COUNT), "unknown");
    CHECK_STR(td_frame_result_str(-1), "unknown");
}

/* pcapgen itself: IPv4 header checksum verifies, DNS builder output */
static void test_pcapgen(void)
{
    uint8_t buf[2048], msg[512];
    struct pg_pkt p = pkt(4, 17);
    p.ipv4_options_len = 8;
    size_t n = pg_build(&p, buf, sizeof buf);
    uint32_t sum = 0;
    for (int i = 0; i < 28; i += 2)
        sum += (uint32_t)(buf[14 + i] << 8 | buf[15 + i]);
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    CHECK_EQ(sum, 0xffff);
    CHECK_EQ(n, 14 + 28 + 8 + q_len);
    CHECK_EQ(q_len, 29);
    size_t m = pg_dns_message(msg, sizeof msg, 0xabcd, 0x8180, "example.com.", 1, 2);
    CHECK_EQ(m, 29 + 32);
    CHECK_EQ(msg[7], 2);
    CHECK_EQ(msg[29], 0xc0);
    CHECK_EQ(msg[30], 0x0c);
    CHECK_EQ(pg_dns_message(msg, 20, 1, 0, "example.com", 1, 0), 0);
    CHECK_EQ(pg_build(&p, buf, 40), 0);
}

int main(void)
{
    init_msgs();
    TT_RUN(test_pcapgen);
    TT_RUN(test_valid_table);
    TT_RUN(test_udp_cksum_field);
    TT_RUN(test_vlan_tags);
    TT_RUN(test_v4_fragments);
    TT_RUN(test_v6_fragments);
    TT_RUN(test_not_ip_or_l4);
    TT_RUN(test_v6_routing_ah);
    TT_RUN(test_truncated_every_length);
    TT_RUN(test_ethernet_padding);
    TT_RUN(test_bad_ip);
    TT_RUN(test_bad_l4);
    TT_RUN(test_decode_ip_raw);
    TT_RUN(test_decode_l4);
    TT_RUN(test_result_str);
    return tt_finish();
}
