/* test_capture: the capture core end to end on crafted frames (pcapgen), with exact record
 * and counter expectations. With TD_WRITE_CRAFTED=DIR set, each scenario's frames are also
 * written to DIR/<name>.pcap (how tests/data/crafted/ was made). */
#include "capture.h"
#include "pcapgen.h"
#include "tt.h"
#include <arpa/inet.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#define MAX_RECS 64

struct got {
    int n;
    struct td_record rec[MAX_RECS];
    uint8_t resp[MAX_RECS][4096];
    uint8_t query[MAX_RECS][1024];
};

static struct got G;
static struct td_capture *C;
static struct pg_pcap *W;  /* crafted pcap writer of the current scenario, or NULL */

static int sink(void *ctx, const struct td_record *rec)
{
    (void)ctx;
    if (G.n >= MAX_RECS)
        return -1;
    struct td_record *r = &G.rec[G.n];
    *r = *rec;
    if (rec->response && rec->response_len <= sizeof G.resp[0]) {
        memcpy(G.resp[G.n], rec->response, rec->response_len);
        r->response = G.resp[G.n];
    }
    if (rec->query && rec->query_len <= sizeof G.query[0]) {
        memcpy(G.query[G.n], rec->query, rec->query_len);
        r->query = G.query[G.n];
    }
    G.n++;
    return 0;
}

static void start(const char *scenario, const struct td_capture_opts *o)
{
    struct td_capture_opts d;
    if (!o) {
        td_capture_opts_default(&d);
        d.match.max_entries = 1024;
        o = &d;
    }
    memset(&G, 0, sizeof G);
    C = td_capture_init(o, sink, NULL);
    const char *dir = getenv("TD_WRITE_CRAFTED");
    W = NULL;
    if (dir && !strstr(scenario, "nowrite")) {
        char path[512];
        snprintf(path, sizeof path, "%s/%s.pcap", dir, scenario);
        W = pg_pcap_open(path, 0);
    }
}

static void feed(uint64_t ts, const uint8_t *frame, size_t len)
{
    td_capture_frame(C, ts, TD_LINK_ETHERNET, frame, len, len);
    if (W)
        pg_pcap_write(W, ts, frame, len);
}

static void stop(void)
{
    td_capture_finish(C);
    if (W)
        pg_pcap_close(W);
    W = NULL;
}

static void done(void)
{
    td_capture_destroy(&C);
}

#define T0 1700000000000000000ull  /* 2023-11-14T22:13:20Z */
#define MS 1000000ull

/* A v4 UDP packet from a to b. */
static struct pg_pkt udp4(const char *src, uint16_t sport, const char *dst, uint16_t dport,
                          const uint8_t *msg, size_t len)
{
    struct pg_pkt p;
    memset(&p, 0, sizeof p);
    p.ip_version = 4;
    p.src = src;
    p.dst = dst;
    p.sport = sport;
    p.dport = dport;
    p.proto = 17;
    p.payload = msg;
    p.payload_len = len;
    return p;
}

static uint8_t q_msg[512], r_msg[4096], frame[8192];
static size_t q_len, r_len;

static void make_pair(uint16_t id, const char *qname, uint16_t qtype, int answers, uint16_t rflags)
{
    q_len = pg_dns_message(q_msg, sizeof q_msg, id, 0x0000, qname, qtype, 0);
    r_len = pg_dns_message(r_msg, sizeof r_msg, id, rflags, qname, qtype, answers);
}

static void send_pkt(uint64_t ts, const struct pg_pkt *p)
{
    size_t n = pg_build(p, frame, sizeof frame);
    CHECK(n > 0);
    feed(ts, frame, n);
}

/* The frames of a scenario again under other link types (raw IP, Linux SLL, SLL2), for the
 * crafted pcaps that check import-pcap's link-layer handling. */
static void write_link_variants(const char *scenario, const uint64_t *ts, uint8_t frames[][2048],
                                const size_t *lens, int n)
{
    const char *dir = getenv("TD_WRITE_CRAFTED");
    if (!dir)
        return;
    static const struct { const char *suffix; uint32_t link; size_t hdr; } v[] = {
        { "raw", 101, 0 }, { "sll", 113, 16 }, { "sll2", 276, 20 },
    };
    for (size_t k = 0; k < sizeof v / sizeof v[0]; k++) {
        char path[512];
        snprintf(path, sizeof path, "%s/%s_%s.pcap", dir, scenario, v[k].suffix);
        struct pg_pcap *w = pg_pcap_open_link(path, 0, v[k].link);
        for (int i = 0; i < n; i++) {
            uint8_t out[2048 + 32];
            size_t iplen = lens[i] - 14; /* drop the Ethernet header */
            memset(out, 0, v[k].hdr);
            const uint8_t *et = frames[i] + 12;
            if (v[k].link == 113) {      /* packet type, ARPHRD_ETHER, addr len 6, addr, protocol */
                out[3] = 1;
                out[5] = 6;
                memcpy(out + 6, frames[i] + 6, 6);
                memcpy(out + 14, et, 2);
            } else if (v[k].link == 276) { /* protocol, reserved, ifindex, ARPHRD, type, len, addr */
                memcpy(out, et, 2);
                out[7] = 2;
                out[9] = 1;
                out[11] = 6;
                memcpy(out + 12, frames[i] + 6, 6);
            }
            memcpy(out + v[k].hdr, frames[i] + 14, iplen);
            pg_pcap_write(w, ts[i], out, v[k].hdr + iplen);
        }
        pg_pcap_close(w);
    }
}

static void test_matched_udp4(void)
{
    start("matched_udp4", NULL);
    make_pair(0x1234, "www.example.com", 1, 2, 0x8400);
    struct pg_pkt q = udp4("10.0.0.1", 40000, "192.0.2.53", 53, q_msg, q_len);
    struct pg_pkt r = udp4("192.0.2.53", 53, "10.0.0.1", 40000, r_msg, r_len);
    send_pkt(T0, &q);
    send_pkt(T0 + 5 * MS, &r);
    stop();
    {
        static uint8_t fr[2][2048];
        size_t fl[2] = { pg_build(&q, fr[0], sizeof fr[0]), pg_build(&r, fr[1], sizeof fr[1]) };
        const uint64_t ft[2] = { T0, T0 + 5 * MS };
        write_link_variants("matched_udp4", ft, fr, fl, 2);
    }
    CHECK_EQ(G.n, 1);
    struct td_record *x = &G.rec[0];
    CHECK_EQ(x->type, TD_REC_MATCHED);
    CHECK_EQ(x->query_ts_ns, T0);
    CHECK_EQ(x->response_ts_ns, T0 + 5 * MS);
    CHECK_EQ(x->ip_version, 4);
    CHECK_EQ(x->proto, 17);
    CHECK_EQ(x->cksum, TD_CKSUM_CORRECT);
    CHECK_EQ(x->flags, 0);
    CHECK_EQ(x->client_port, 40000);
    CHECK_EQ(x->server_port, 53);
    uint8_t a[4];
    inet_pton(AF_INET, "10.0.0.1", a);
    CHECK_MEM(x->client_ip, a, 4);
    inet_pton(AF_INET, "192.0.2.53", a);
    CHECK_MEM(x->server_ip, a, 4);
    CHECK_EQ(x->response_len, r_len);
    CHECK_MEM(x->response, r_msg, r_len);
    CHECK_EQ(x->query_len, q_len);
    CHECK_MEM(x->query, q_msg, q_len);
    const struct td_capture_stats *s = td_capture_stats(C);
    CHECK_EQ(s->frames, 2);
    CHECK_EQ(s->dns_queries, 1);
    CHECK_EQ(s->dns_responses, 1);
    CHECK_EQ(s->records_matched, 1);
    CHECK_EQ(s->records_unsolicited, 0);
    done();
}

static void test_unsolicited_and_mismatch(void)
{
    start("unsolicited", NULL);
    make_pair(0x1111, "www.example.com", 1, 1, 0x8400);
    struct pg_pkt q = udp4("10.0.0.1", 40000, "192.0.2.53", 53, q_msg, q_len);
    send_pkt(T0, &q);
    /* wrong port, wrong id, wrong server: none match the query */
    struct pg_pkt r = udp4("192.0.2.53", 53, "10.0.0.1", 40001, r_msg, r_len);
    send_pkt(T0 + MS, &r);
    r_msg[0] ^= 0xff;
    r = udp4("192.0.2.53", 53, "10.0.0.1", 40000, r_msg, r_len);
    send_pkt(T0 + 2 * MS, &r);
    r_msg[0] ^= 0xff;
    r = udp4("192.0.2.99", 53, "10.0.0.1", 40000, r_msg, r_len);
    send_pkt(T0 + 3 * MS, &r);
    /* a different qname with the right id and ports */
    uint8_t other[512];
    size_t olen = pg_dns_message(other, sizeof other, 0x1111, 0x8400, "evil.example.com", 1, 1);
    r = udp4("192.0.2.53", 53, "10.0.0.1", 40000, other, olen);
    send_pkt(T0 + 4 * MS, &r);
    /* the right one, with the qname in other case (0x20): matches */
    size_t ulen = pg_dns_message(other, sizeof other, 0x1111, 0x8400, "WWW.Example.COM", 1, 1);
    r = udp4("192.0.2.53", 53, "10.0.0.1", 40000, other, ulen);
    send_pkt(T0 + 5 * MS, &r);
    stop();
    CHECK_EQ(G.n, 5);
    for (int i = 0; i < 4; i++)
        CHECK_EQ(G.rec[i].type, TD_REC_UNSOLICITED);
    CHECK_EQ(G.rec[4].type, TD_REC_MATCHED);
    CHECK_EQ(td_capture_stats(C)->records_unsolicited, 4);
    CHECK_EQ(td_capture_stats(C)->records_matched, 1);
    done();
}

static void test_rd_filter(void)
{
    start("rd_filter", NULL);
    q_len = pg_dns_message(q_msg, sizeof q_msg, 7, 0x0100, "www.example.com", 1, 0);
    r_len = pg_dns_message(r_msg, sizeof r_msg, 7, 0x8180, "www.example.com", 1, 1);
    struct pg_pkt q = udp4("10.0.0.1", 40000, "192.0.2.53", 53, q_msg, q_len);
    struct pg_pkt r = udp4("192.0.2.53", 53, "10.0.0.1", 40000, r_msg, r_len);
    send_pkt(T0, &q);
    send_pkt(T0 + MS, &r);
    stop();
    CHECK_EQ(G.n, 0);
    CHECK_EQ(td_capture_stats(C)->skip_rd, 2);
    done();

    struct td_capture_opts o;
    td_capture_opts_default(&o);
    o.match.max_entries = 64;
    o.filter.keep_recursive = 1;
    start("rd_keep", &o);
    send_pkt(T0, &q);
    send_pkt(T0 + MS, &r);
    stop();
    CHECK_EQ(G.n, 1);
    CHECK_EQ(G.rec[0].type, TD_REC_MATCHED);
    done();
}

static void test_checksums(void)
{
    start("checksums", NULL);
    make_pair(9, "a.example", 1, 1, 0x8400);
    struct pg_pkt r = udp4("192.0.2.53", 53, "10.0.0.1", 40000, r_msg, r_len);
    r.bad_udp_checksum = 1;
    send_pkt(T0, &r);
    r.bad_udp_checksum = 2;
    send_pkt(T0 + MS, &r);
    r.bad_udp_checksum = 0;
    r.ip_version = 6;
    r.src = "2001:db8::53";
    r.dst = "2001:db8::1";
    send_pkt(T0 + 2 * MS, &r);
    r.bad_udp_checksum = 1;
    send_pkt(T0 + 3 * MS, &r);
    stop();
    CHECK_EQ(G.n, 4);
    CHECK_EQ(G.rec[0].cksum, TD_CKSUM_INCORRECT);
    CHECK_EQ(G.rec[1].cksum, TD_CKSUM_ABSENT);
    CHECK_EQ(G.rec[2].cksum, TD_CKSUM_CORRECT);
    CHECK_EQ(G.rec[3].cksum, TD_CKSUM_INCORRECT);
    CHECK_EQ(G.rec[2].ip_version, 6);
    done();
}

static void test_vlan_and_ext(void)
{
    start("vlan_qinq_ext", NULL);
    make_pair(21, "v.example", 28, 0, 0x8400);
    struct pg_pkt q = udp4("10.0.0.1", 40000, "192.0.2.53", 53, q_msg, q_len);
    struct pg_pkt r = udp4("192.0.2.53", 53, "10.0.0.1", 40000, r_msg, r_len);
    q.vlan_count = r.vlan_count = 1;
    q.vlan_id[0] = r.vlan_id[0] = 100;
    send_pkt(T0, &q);
    send_pkt(T0 + MS, &r);
    q.vlan_count = r.vlan_count = 2;
    q.vlan_id[1] = r.vlan_id[1] = 200;
    q.sport = r.dport = 40001;
    send_pkt(T0 + 2 * MS, &q);
    send_pkt(T0 + 3 * MS, &r);
    q.vlan_count = r.vlan_count = 0;
    q.ip_version = r.ip_version = 6;
    q.src = r.dst = "2001:db8::1";
    q.dst = r.src = "2001:db8::53";
    q.ipv6_ext_count = r.ipv6_ext_count = 2;
    send_pkt(T0 + 4 * MS, &q);
    send_pkt(T0 + 5 * MS, &r);
    q.ip_version = r.ip_version = 4;
    q.src = r.dst = "10.0.0.1";
    q.dst = r.src = "192.0.2.53";
    q.ipv4_options_len = r.ipv4_options_len = 8;
    q.sport = r.dport = 40002;
    send_pkt(T0 + 6 * MS, &q);
    send_pkt(T0 + 7 * MS, &r);
    /* three tags: dropped and counted */
    r.vlan_count = 2;
    size_t n = pg_build(&r, frame, sizeof frame);
    uint8_t tagged[8192];
    memcpy(tagged, frame, 12);
    tagged[12] = 0x81; tagged[13] = 0x00; tagged[14] = 0x00; tagged[15] = 0x05;
    memcpy(tagged + 16, frame + 12, n - 12);
    feed(T0 + 8 * MS, tagged, n + 4);
    stop();
    CHECK_EQ(G.n, 4);
    for (int i = 0; i < G.n; i++)
        CHECK_EQ(G.rec[i].type, TD_REC_MATCHED);
    CHECK_EQ(td_capture_stats(C)->drop_vlan, 1);
    done();
}

static void test_fragments(void)
{
    static uint8_t frames[64][2048];
    size_t lens[64];
    start("fragments", NULL);
    make_pair(31, "big.example", 1, 120, 0x8400); /* 120 A records: ~1950 octets */
    CHECK(r_len > 1900);
    struct pg_pkt q = udp4("10.0.0.1", 40000, "192.0.2.53", 53, q_msg, q_len);
    struct pg_pkt r = udp4("192.0.2.53", 53, "10.0.0.1", 40000, r_msg, r_len);
    send_pkt(T0, &q);
    int nf = pg_build_fragments(&r, 512, frames, lens, 64);
    CHECK(nf >= 4);
    /* reverse order, with the second fragment duplicated (identical overlap) */
    for (int i = nf - 1; i >= 0; i--) {
        feed(T0 + MS, frames[i], lens[i]);
        if (i == 1)
            feed(T0 + MS, frames[i], lens[i]);
    }
    /* IPv6 */
    q.ip_version = r.ip_version = 6;
    q.src = r.dst = "2001:db8::1";
    q.dst = r.src = "2001:db8::53";
    send_pkt(T0 + 2 * MS, &q);
    nf = pg_build_fragments(&r, 1024, frames, lens, 64);
    CHECK(nf >= 2);
    for (int i = 0; i < nf; i++)
        feed(T0 + 3 * MS, frames[i], lens[i]);
    stop();
    CHECK_EQ(G.n, 2);
    for (int i = 0; i < G.n; i++) {
        CHECK_EQ(G.rec[i].type, TD_REC_MATCHED);
        CHECK_EQ(G.rec[i].flags, TD_RF_FRAGMENTED);
        CHECK_EQ(G.rec[i].cksum, TD_CKSUM_CORRECT);
        CHECK_EQ(G.rec[i].response_len, r_len);
        CHECK_MEM(G.rec[i].response, r_msg, r_len);
    }
    CHECK_EQ(td_capture_stats(C)->datagrams_reassembled, 2);
    done();
}

static void test_fragment_conflict(void)
{
    static uint8_t frames[64][2048];
    size_t lens[64];
    start("fragment_conflict", NULL);
    make_pair(32, "big.example", 1, 120, 0x8400);
    struct pg_pkt r = udp4("192.0.2.53", 53, "10.0.0.1", 40000, r_msg, r_len);
    int nf = pg_build_fragments(&r, 512, frames, lens, 64);
    /* the second fragment again with other bytes: a conflicting overlap */
    static uint8_t evil[2048];
    memcpy(evil, frames[1], lens[1]);
    evil[lens[1] - 1] ^= 0x55;
    feed(T0, frames[0], lens[0]);
    feed(T0, frames[1], lens[1]);
    feed(T0, evil, lens[1]);
    for (int i = 2; i < nf; i++)
        feed(T0, frames[i], lens[i]);
    stop();
    CHECK_EQ(G.n, 0);
    CHECK_EQ(td_capture_ipfrag_stats(C)->overlap_conflict, 1);
    done();
}

/* DNS over TCP: the response split at byte k, for every k. */
static void test_tcp_split_everywhere(void)
{
    make_pair(41, "tcp.example", 16, 20, 0x8400);
    static uint8_t qs[1024], rs[4096];
    qs[0] = (uint8_t)(q_len >> 8); qs[1] = (uint8_t)q_len;
    memcpy(qs + 2, q_msg, q_len);
    rs[0] = (uint8_t)(r_len >> 8); rs[1] = (uint8_t)r_len;
    memcpy(rs + 2, r_msg, r_len);
    size_t rtot = r_len + 2;
    int bad = 0;
    for (size_t k = 1; k < rtot; k++) {
        start(k == 7 ? "tcp_split" : "tcp_split_nowrite", NULL);
        struct pg_pkt q = udp4("10.0.0.1", 40000, "192.0.2.53", 53, qs, q_len + 2);
        q.proto = 6;
        q.tcp_seq = 1000;
        struct pg_pkt syn = q;
        syn.payload_len = 0;
        syn.tcp_flags = 0x02;
        syn.tcp_seq = 999;
        send_pkt(T0, &syn);
        send_pkt(T0 + MS, &q);
        struct pg_pkt r = udp4("192.0.2.53", 53, "10.0.0.1", 40000, rs, k);
        r.proto = 6;
        r.tcp_seq = 5001;
        struct pg_pkt rsyn = r;
        rsyn.payload_len = 0;
        rsyn.tcp_flags = 0x12;
        rsyn.tcp_seq = 5000;
        send_pkt(T0 + MS, &rsyn);
        /* second part first (out of order), then the first */
        struct pg_pkt r2 = r;
        r2.payload = rs + k;
        r2.payload_len = rtot - k;
        r2.tcp_seq = 5001 + (uint32_t)k;
        send_pkt(T0 + 2 * MS, &r2);
        send_pkt(T0 + 3 * MS, &r);
        send_pkt(T0 + 4 * MS, &r); /* retransmission */
        stop();
        if (G.n != 1 || G.rec[0].type != TD_REC_MATCHED || G.rec[0].flags != TD_RF_TCP ||
            G.rec[0].response_len != r_len || memcmp(G.rec[0].response, r_msg, r_len) != 0) {
            if (!bad)
                TT_FAIL("split at %zu: %d records", k, G.n);
            bad++;
        }
        done();
    }
    CHECK_EQ(bad, 0);
}

/* Malformed responses, each counted under its reason and never recorded. */
static void test_malformed(void)
{
    static const struct {
        const char *name, *hex;
        size_t counter_off;
    } cases[] = {
        { "short", "1234 8400 0001",
          offsetof(struct td_capture_stats, drop_dns_short) },
        { "pointer_loop", "1234 8400 0001 0000 0000 0000 c00c 0001 0001",
          offsetof(struct td_capture_stats, drop_dns_name) },
        { "forward_pointer", "1234 8400 0001 0000 0000 0000 c010 0001 0001 03 666f6f 00",
          offsetof(struct td_capture_stats, drop_dns_name) },
        { "label_64", "1234 8400 0001 0000 0000 0000 40"
          "61616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161"
          " 00 0001 0001", offsetof(struct td_capture_stats, drop_dns_name) },
        { "rdlength_past_end", "1234 8400 0001 0001 0000 0000 01 61 00 0001 0001 c00c 0001 0001 0000012c 0010 c0000201",
          offsetof(struct td_capture_stats, drop_dns_past_end) },
        { "counts_too_large", "1234 8400 0001 0005 0000 0000 01 61 00 0001 0001 c00c 0001 0001 0000012c 0004 c0000201",
          offsetof(struct td_capture_stats, drop_dns_counts) },
        { "no_question", "1234 8400 0000 0000 0000 0000",
          offsetof(struct td_capture_stats, drop_dns_no_question) },
        { "a_rdata_5", "1234 8400 0001 0001 0000 0000 01 61 00 0001 0001 c00c 0001 0001 0000012c 0005 c000020101",
          offsetof(struct td_capture_stats, drop_dns_rdata) },
    };
    start("malformed", NULL);
    uint8_t msg[512];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int n = tt_unhex(cases[i].hex, msg, sizeof msg);
        CHECK(n > 0);
        struct pg_pkt r = udp4("192.0.2.53", 53, "10.0.0.1", 40000, msg, (size_t)n);
        send_pkt(T0 + i * MS, &r);
    }
    /* a 256-octet name: 4 labels of 63 + 4 length octets + root = 257 */
    size_t n = 12;
    memcpy(msg, "\x12\x34\x84\x00\x00\x01\x00\x00\x00\x00\x00\x00", 12);
    for (int l = 0; l < 4; l++) {
        msg[n++] = 63;
        memset(msg + n, 'a', 63);
        n += 63;
    }
    msg[n++] = 0;
    memcpy(msg + n, "\x00\x01\x00\x01", 4);
    n += 4;
    struct pg_pkt r = udp4("192.0.2.53", 53, "10.0.0.1", 40000, msg, n);
    send_pkt(T0 + 100 * MS, &r);
    stop();
    CHECK_EQ(G.n, 0);
    const struct td_capture_stats *s = td_capture_stats(C);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint64_t v;
        memcpy(&v, (const uint8_t *)s + cases[i].counter_off, sizeof v);
        if (v == 0)
            TT_FAIL("case %s: its counter is 0", cases[i].name);
    }
    CHECK_EQ(s->drop_dns_short, 1);
    CHECK_EQ(s->drop_dns_name, 4);
    CHECK_EQ(s->drop_dns_past_end, 1);
    CHECK_EQ(s->drop_dns_counts, 1);
    CHECK_EQ(s->drop_dns_no_question, 1);
    CHECK_EQ(s->drop_dns_rdata, 1);
    done();
}

static void test_truncated_frames(void)
{
    start("truncated", NULL);
    make_pair(51, "t.example", 1, 2, 0x8400);
    struct pg_pkt r = udp4("192.0.2.53", 53, "10.0.0.1", 40000, r_msg, r_len);
    size_t n = pg_build(&r, frame, sizeof frame);
    for (size_t k = 0; k < n; k++) {
        uint8_t *copy = malloc(k ? k : 1);
        memcpy(copy, frame, k);
        td_capture_frame(C, T0, TD_LINK_ETHERNET, copy, k, n);
        if (W && (k == 13 || k == 30 || k == 45 || k == n - 1))
            pg_pcap_write(W, T0, copy, k);
        free(copy);
    }
    stop();
    const struct td_capture_stats *s = td_capture_stats(C);
    CHECK_EQ(G.n, 0);
    CHECK_EQ(s->frames, n);
    /* < 14 + 20 + 8 = 42: inside a header; beyond: the payload is cut */
    CHECK_EQ(s->drop_truncated_frame, 42);
    CHECK_EQ(s->drop_payload_truncated, n - 42);
    done();
}

static void test_filters(void)
{
    struct td_capture_opts o;
    char err[128];
    td_capture_opts_default(&o);
    o.match.max_entries = 64;
    CHECK_EQ(td_sensor_filter_add_resolver(&o.filter, "10.0.0.1", err, sizeof err), 0);
    CHECK_EQ(td_sensor_filter_add_local(&o.filter, "corp.example", err, sizeof err), 0);
    CHECK_EQ(td_sensor_filter_set_ports(&o.filter, "53,5353", err, sizeof err), 0);
    CHECK(td_sensor_filter_set_ports(&o.filter, "53,x", err, sizeof err) < 0);
    CHECK(td_sensor_filter_add_resolver(&o.filter, "10.0.0.300", err, sizeof err) < 0);
    o.zero_resolver = 1;
    start("filters", &o);
    make_pair(61, "www.example", 1, 1, 0x8400);
    /* client -> resolver (both inside): skipped */
    struct pg_pkt p = udp4("10.0.0.9", 33333, "10.0.0.1", 53, q_msg, q_len);
    send_pkt(T0, &p);
    /* resolver <-> outside on port 5353 */
    p = udp4("10.0.0.1", 40000, "192.0.2.53", 5353, q_msg, q_len);
    send_pkt(T0 + MS, &p);
    p = udp4("192.0.2.53", 5353, "10.0.0.1", 40000, r_msg, r_len);
    send_pkt(T0 + 2 * MS, &p);
    /* other port: skipped */
    p = udp4("192.0.2.53", 80, "10.0.0.1", 40000, r_msg, r_len);
    send_pkt(T0 + 3 * MS, &p);
    /* local domain: skipped */
    uint8_t lm[512];
    size_t ll = pg_dns_message(lm, sizeof lm, 62, 0x8400, "Host.CORP.example", 1, 1);
    p = udp4("192.0.2.53", 53, "10.0.0.1", 40000, lm, ll);
    send_pkt(T0 + 4 * MS, &p);
    /* not below: "xcorp.example" */
    ll = pg_dns_message(lm, sizeof lm, 63, 0x8400, "xcorp.example", 1, 1);
    p = udp4("192.0.2.53", 53, "10.0.0.1", 40000, lm, ll);
    send_pkt(T0 + 5 * MS, &p);
    stop();
    const struct td_capture_stats *s = td_capture_stats(C);
    CHECK_EQ(G.n, 2);
    CHECK_EQ(G.rec[0].type, TD_REC_MATCHED);
    CHECK_EQ(G.rec[0].flags, TD_RF_RESOLVER_ZEROED);
    static const uint8_t zero[16];
    CHECK_MEM(G.rec[0].client_ip, zero, 16);
    CHECK_EQ(G.rec[1].type, TD_REC_UNSOLICITED);
    CHECK_EQ(s->skip_not_resolver, 1);
    CHECK_EQ(s->skip_port, 1);
    CHECK_EQ(s->skip_local_domain, 1);
    done();
}

static void test_timeout_and_hours(void)
{
    struct td_capture_opts o;
    td_capture_opts_default(&o);
    o.match.max_entries = 2;
    o.match.timeout_ns = 10ull * 1000 * MS;
    o.record_unanswered = 1;
    start("timeout_hours", &o);
    /* a query at 22:59:59.9 answered at 23:00:00.1: matched across the hour */
    uint64_t h = 1700002800ull * 1000000000ull; /* 2023-11-14T23:00:00Z */
    make_pair(71, "hour.example", 1, 1, 0x8400);
    struct pg_pkt q = udp4("10.0.0.1", 40000, "192.0.2.53", 53, q_msg, q_len);
    struct pg_pkt r = udp4("192.0.2.53", 53, "10.0.0.1", 40000, r_msg, r_len);
    send_pkt(h - 100 * MS, &q);
    send_pkt(h + 100 * MS, &r);
    /* a query answered after the timeout: unanswered, then unsolicited */
    make_pair(72, "late.example", 1, 1, 0x8400);
    q = udp4("10.0.0.1", 40001, "192.0.2.53", 53, q_msg, q_len);
    r = udp4("192.0.2.53", 53, "10.0.0.1", 40001, r_msg, r_len);
    send_pkt(h + 200 * MS, &q);
    send_pkt(h + 11000 * MS, &r);
    /* table of 2: the third waiting query evicts the oldest */
    for (int i = 0; i < 3; i++) {
        make_pair((uint16_t)(80 + i), "evict.example", 1, 0, 0);
        q = udp4("10.0.0.1", (uint16_t)(41000 + i), "192.0.2.53", 53, q_msg, q_len);
        send_pkt(h + 12000 * MS + (uint64_t)i * MS, &q);
    }
    stop();
    CHECK_EQ(G.n, 6);
    CHECK_EQ(G.rec[0].type, TD_REC_MATCHED);
    CHECK_EQ(G.rec[1].type, TD_REC_UNANSWERED);
    CHECK_EQ(G.rec[1].query_ts_ns, h + 200 * MS);
    CHECK_EQ(G.rec[2].type, TD_REC_UNSOLICITED);
    CHECK_EQ(G.rec[3].type, TD_REC_UNANSWERED); /* evicted */
    CHECK_EQ(G.rec[3].client_port, 41000);
    CHECK_EQ(G.rec[4].type, TD_REC_UNANSWERED); /* flushed at the end */
    CHECK_EQ(G.rec[5].type, TD_REC_UNANSWERED);
    CHECK_EQ(td_capture_match_stats(C)->evicted, 1);
    CHECK_EQ(td_capture_match_stats(C)->expired, 3);
    done();
}

static void test_non_dns(void)
{
    start("non_dns", NULL);
    uint8_t arp[60] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2, 0, 0, 0, 0, 1, 0x08, 0x06 };
    feed(T0, arp, sizeof arp);
    make_pair(91, "x.example", 1, 1, 0x8400);
    struct pg_pkt r = udp4("192.0.2.53", 53, "10.0.0.1", 40000, r_msg, r_len);
    size_t n = pg_build(&r, frame, sizeof frame);
    frame[14 + 9] = 1; /* ICMP */
    feed(T0, frame, n);
    stop();
    CHECK_EQ(td_capture_stats(C)->skip_not_ip, 1);
    CHECK_EQ(td_capture_stats(C)->skip_not_udp_tcp, 1);
    done();
}

int main(void)
{
    TT_RUN(test_matched_udp4);
    TT_RUN(test_unsolicited_and_mismatch);
    TT_RUN(test_rd_filter);
    TT_RUN(test_checksums);
    TT_RUN(test_vlan_and_ext);
    TT_RUN(test_fragments);
    TT_RUN(test_fragment_conflict);
    TT_RUN(test_tcp_split_everywhere);
    TT_RUN(test_malformed);
    TT_RUN(test_truncated_frames);
    TT_RUN(test_filters);
    TT_RUN(test_timeout_and_hours);
    TT_RUN(test_non_dns);
    return tt_finish();
}
