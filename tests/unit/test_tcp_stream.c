/* test_tcp_stream: DNS-over-TCP reassembly (lib/tcp_stream.c). Segments are td_frame values
 * built by hand; the callback records every message delivered. */
#include "tt.h"
#include "tcp_stream.h"

#include <stdlib.h>

#define SEC 1000000000ull
#define FIN 0x01
#define SYN 0x02
#define RST 0x04
#define PSH 0x08
#define ACK 0x10

#define MAXMSG 64
struct rec {
    int n;
    size_t len[MAXMSG];
    uint8_t *data[MAXMSG];
    uint16_t sport[MAXMSG];
    uint64_t ts[MAXMSG];
};
static struct rec R;

static void
rec_reset(void)
{
    for (int i = 0; i < R.n; i++)
        free(R.data[i]);
    memset(&R, 0, sizeof(R));
}

static void
on_msg(void *ctx, const struct td_frame *f, uint64_t ts_ns, const uint8_t *msg, size_t len)
{
    (void)ctx;
    if (R.n >= MAXMSG)
        return;
    R.data[R.n] = malloc(len);
    memcpy(R.data[R.n], msg, len);
    R.len[R.n] = len;
    R.sport[R.n] = f->sport;
    R.ts[R.n] = ts_ns;
    R.n++;
}

static uint32_t rng_state;
static uint32_t
rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 17;
    rng_state ^= rng_state << 5;
    return rng_state;
}

/* A stream of DNS messages: msgs[i] has length lens[i]; wire = prefix + message each. */
static uint8_t wire[200000];
static uint8_t msgbuf[8][70000];

static size_t
build_wire(const size_t *lens, int n, uint32_t seed)
{
    size_t w = 0;
    rng_state = seed ? seed : 1;
    for (int i = 0; i < n; i++) {
        for (size_t k = 0; k < lens[i]; k++)
            msgbuf[i][k] = (uint8_t)rnd();
        wire[w++] = (uint8_t)(lens[i] >> 8);
        wire[w++] = (uint8_t)lens[i];
        memcpy(wire + w, msgbuf[i], lens[i]);
        w += lens[i];
    }
    return w;
}

static int
check_msgs(const size_t *lens, int n)
{
    int bad = 0;
    if (R.n != n)
        bad = 1;
    for (int i = 0; !bad && i < n; i++)
        if (R.len[i] != lens[i] || memcmp(R.data[i], msgbuf[i], lens[i]) != 0)
            bad = 1;
    return !bad;
}

static int
seg6(struct td_tcp *t, uint64_t ts, int ver, uint16_t sport, uint8_t flags, uint32_t seq,
     const uint8_t *p, size_t len)
{
    struct td_frame f;
    memset(&f, 0, sizeof(f));
    f.ip_version = (uint8_t)ver;
    f.l4_proto = 6;
    if (ver == 4) {
        f.src[0] = 192; f.src[1] = 0; f.src[2] = 2; f.src[3] = 53;
        f.dst[0] = 198; f.dst[1] = 51; f.dst[2] = 100; f.dst[3] = 7;
    } else {
        f.src[0] = 0x20; f.src[1] = 0x01; f.src[15] = 0x53;
        f.dst[0] = 0x20; f.dst[1] = 0x01; f.dst[15] = 0x07;
    }
    f.sport = sport;
    f.dport = 53;
    f.tcp_flags = flags;
    f.tcp_seq = seq;
    f.payload_len = (uint16_t)len;
    return td_tcp_segment(t, ts, &f, p, len, on_msg, NULL);
}

static int
seg(struct td_tcp *t, uint64_t ts, uint16_t sport, uint8_t flags, uint32_t seq,
    const uint8_t *p, size_t len)
{
    return seg6(t, ts, 4, sport, flags, seq, p, len);
}

static void
test_one_message_one_segment(void)
{
    rec_reset();
    struct td_tcp *t = td_tcp_init(NULL);
    size_t lens[] = { 100 };
    size_t w = build_wire(lens, 1, 1);
    CHECK_EQ(seg(t, 1, 1000, SYN, 1000, NULL, 0), 0);
    CHECK_EQ(seg(t, 2, 1000, ACK | PSH, 1001, wire, w), 0);
    CHECK(check_msgs(lens, 1));
    CHECK_EQ(R.sport[0], 1000);
    CHECK_EQ(R.ts[0], 2);
    const struct td_tcp_stats *st = td_tcp_stats(t);
    CHECK_EQ(st->segments, 2);
    CHECK_EQ(st->messages, 1);
    CHECK_EQ(st->streams_opened, 1);
    CHECK_EQ(st->active_streams, 1);
    CHECK_EQ(st->bytes_held, 0);
    CHECK_EQ(seg(t, 3, 1000, ACK | FIN, 1001 + (uint32_t)w, NULL, 0), 0);
    CHECK_EQ(st->streams_closed, 1);
    CHECK_EQ(st->active_streams, 0);
    CHECK_EQ(st->retransmits + st->out_of_order + st->overflow_resets + st->bad_length, 0);
    /* IPv6 too */
    rec_reset();
    CHECK_EQ(seg6(t, 4, 6, 1001, ACK, 77, wire, w), 0);
    CHECK(check_msgs(lens, 1));
    td_tcp_destroy(&t);
    CHECK(t == NULL);
    rec_reset();
}

/* One message split in two at every position, in order and reversed; and one byte per
 * segment. */
static void
test_split_every_byte(void)
{
    size_t lens[] = { 300 };
    size_t w = build_wire(lens, 1, 2);
    struct td_tcp *t = td_tcp_init(NULL);
    const struct td_tcp_stats *st = td_tcp_stats(t);
    int fails = 0;
    for (size_t p = 1; p < w; p++) {
        for (int rev = 0; rev < 2; rev++) {
            rec_reset();
            uint16_t port = (uint16_t)(2000 + p * 2 + (size_t)rev);
            uint32_t isn = 7000u + (uint32_t)p;
            seg(t, 1, port, SYN, isn, NULL, 0);
            if (!rev) {
                seg(t, 2, port, ACK, isn + 1, wire, p);
                fails += R.n != 0;
                fails += st->bytes_held != p;
                seg(t, 3, port, ACK, isn + 1 + (uint32_t)p, wire + p, w - p);
            } else {
                seg(t, 2, port, ACK, isn + 1 + (uint32_t)p, wire + p, w - p);
                fails += R.n != 0;
                fails += st->bytes_held != w - p;
                seg(t, 3, port, ACK, isn + 1, wire, p);
            }
            fails += !check_msgs(lens, 1);
            fails += st->bytes_held != 0;
            seg(t, 4, port, FIN | ACK, isn + 1 + (uint32_t)w, NULL, 0);
        }
    }
    CHECK_EQ(fails, 0);
    CHECK_EQ(st->messages, 2 * (w - 1));
    CHECK_EQ(st->out_of_order, w - 1);
    CHECK_EQ(st->active_streams, 0);
    CHECK_EQ(st->retransmits, 0);
    /* one octet per segment, without SYN */
    rec_reset();
    for (size_t p = 0; p < w; p++)
        seg(t, 5, 999, ACK, 123 + (uint32_t)p, wire + p, 1);
    CHECK(check_msgs(lens, 1));
    CHECK_EQ(st->bytes_held, 0);
    td_tcp_destroy(&t);
    rec_reset();
}

static void
test_three_in_one(void)
{
    rec_reset();
    size_t lens[] = { 12, 1, 500 };
    size_t w = build_wire(lens, 3, 3);
    struct td_tcp *t = td_tcp_init(NULL);
    seg(t, 1, 3000, SYN, 0, NULL, 0);
    CHECK_EQ(seg(t, 2, 3000, ACK, 1, wire, w), 0);
    CHECK(check_msgs(lens, 3));
    CHECK_EQ(td_tcp_stats(t)->messages, 3);
    /* three messages plus the first octet of a fourth: held */
    rec_reset();
    size_t lens4[] = { 12, 1, 500, 40 };
    w = build_wire(lens4, 4, 4);
    seg(t, 3, 3001, ACK, 50, wire, w - 41);
    CHECK(check_msgs(lens4, 3));
    CHECK_EQ(td_tcp_stats(t)->bytes_held, 1);
    seg(t, 4, 3001, ACK, 50 + (uint32_t)(w - 41), wire + w - 41, 41);
    CHECK(check_msgs(lens4, 4));
    CHECK_EQ(td_tcp_stats(t)->bytes_held, 0);
    td_tcp_destroy(&t);
    rec_reset();
}

/* Several messages cut into segments at random places, fed in random orders. */
static void
test_out_of_order_spanning(void)
{
    size_t lens[] = { 700, 33, 1500, 2, 4000 };
    size_t w = build_wire(lens, 5, 5);
    struct td_tcp *t = td_tcp_init(NULL);
    int fails = 0;
    for (uint32_t seed = 1; seed <= 30; seed++) {
        rec_reset();
        rng_state = seed * 747796405u + 1;
        size_t cut[40];
        int nc = 0;
        cut[nc++] = 0;
        while (cut[nc - 1] < w && nc < 39) {
            size_t step = 1 + rnd() % 900;
            cut[nc] = cut[nc - 1] + step < w ? cut[nc - 1] + step : w;
            nc++;
        }
        if (cut[nc - 1] != w)
            cut[nc++] = w;
        int ns = nc - 1, order[40];
        for (int k = 0; k < ns; k++)
            order[k] = k;
        for (int k = ns - 1; k > 0; k--) {
            int j = (int)(rnd() % (uint32_t)(k + 1)), x = order[k];
            order[k] = order[j];
            order[j] = x;
        }
        uint16_t port = (uint16_t)(4000 + seed);
        uint32_t isn = rnd();
        seg(t, 1, port, SYN, isn, NULL, 0);
        for (int k = 0; k < ns; k++) {
            int s = order[k];
            seg(t, 2, port, ACK, isn + 1 + (uint32_t)cut[s], wire + cut[s], cut[s + 1] - cut[s]);
        }
        fails += !check_msgs(lens, 5);
        seg(t, 3, port, FIN, isn + 1 + (uint32_t)w, NULL, 0);
    }
    CHECK_EQ(fails, 0);
    const struct td_tcp_stats *st = td_tcp_stats(t);
    CHECK_EQ(st->messages, 30 * 5);
    CHECK(st->out_of_order > 0);
    CHECK_EQ(st->retransmits, 0);
    CHECK_EQ(st->bytes_held, 0);
    CHECK_EQ(st->active_streams, 0);
    CHECK_EQ(st->streams_closed, 30);
    td_tcp_destroy(&t);
    rec_reset();
}

static void
test_retransmission(void)
{
    rec_reset();
    size_t lens[] = { 100, 50 };
    size_t w = build_wire(lens, 2, 6);
    struct td_tcp *t = td_tcp_init(NULL);
    const struct td_tcp_stats *st = td_tcp_stats(t);
    seg(t, 1, 5000, SYN, 10, NULL, 0);
    seg(t, 2, 5000, ACK, 11, wire, 102);
    CHECK_EQ(R.n, 1);
    CHECK_EQ(seg(t, 3, 5000, ACK, 11, wire, 102), 0);       /* old data again */
    CHECK_EQ(R.n, 1);
    CHECK_EQ(st->retransmits, 1);
    CHECK_EQ(seg(t, 3, 5000, ACK, 11, wire, 50), 0);         /* a part of it */
    CHECK_EQ(st->retransmits, 2);
    /* a SYN on a stream that moved on is a new connection: what follows is held again */
    CHECK_EQ(seg(t, 3, 5000, SYN, 10, NULL, 0), 0);
    CHECK_EQ(st->streams_closed, 1);
    CHECK_EQ(st->streams_opened, 2);
    CHECK_EQ(seg(t, 3, 5000, SYN, 10, NULL, 0), 0);          /* a repeated SYN changes nothing */
    CHECK_EQ(st->streams_opened, 2);
    seg(t, 4, 5000, ACK, 11 + 102, wire + 102, w - 102);
    CHECK_EQ(R.n, 1);
    CHECK_EQ(st->out_of_order, 1);
    CHECK_EQ(st->bytes_held, w - 102);
    seg(t, 4, 5000, RST, 11, NULL, 0);
    CHECK_EQ(st->bytes_held, 0);
    /* an out-of-order segment held twice: the copy counts as a retransmission */
    rec_reset();
    seg(t, 5, 5001, SYN, 10, NULL, 0);
    seg(t, 6, 5001, ACK, 11 + 40, wire + 40, 62);
    seg(t, 6, 5001, ACK, 11 + 40, wire + 40, 62);
    CHECK_EQ(st->bytes_held, 62);
    CHECK_EQ(st->retransmits, 3);
    CHECK_EQ(st->out_of_order, 3);
    seg(t, 7, 5001, ACK, 11, wire, 40);
    CHECK_EQ(R.n, 1);
    CHECK(R.n == 1 && R.len[0] == 100 && memcmp(R.data[0], msgbuf[0], 100) == 0);
    CHECK_EQ(st->bytes_held, 0);
    td_tcp_destroy(&t);
    rec_reset();
}

static void
test_overlap_new_tail(void)
{
    rec_reset();
    size_t lens[] = { 100, 60 };
    size_t w = build_wire(lens, 2, 7);
    struct td_tcp *t = td_tcp_init(NULL);
    const struct td_tcp_stats *st = td_tcp_stats(t);
    seg(t, 1, 6000, SYN, 500, NULL, 0);
    seg(t, 2, 6000, ACK, 501, wire, 50);
    seg(t, 3, 6000, ACK, 501 + 30, wire + 30, 90);       /* [30,120): 20 new past 102 */
    CHECK_EQ(st->retransmits, 1);
    CHECK_EQ(R.n, 1);
    CHECK_EQ(st->bytes_held, 18);
    seg(t, 4, 6000, ACK, 501 + 110, wire + 110, w - 110); /* overlaps the held tail */
    CHECK(check_msgs(lens, 2));
    CHECK_EQ(st->retransmits, 2);
    CHECK_EQ(st->bytes_held, 0);
    /* out-of-order pieces overlapping each other: first copy wins, gaps filled */
    rec_reset();
    seg(t, 5, 6001, SYN, 0, NULL, 0);
    seg(t, 6, 6001, ACK, 1 + 60, wire + 60, 30);     /* [60,90) */
    seg(t, 6, 6001, ACK, 1 + 40, wire + 40, 70);     /* [40,110) spans it */
    seg(t, 6, 6001, ACK, 1 + 100, wire + 100, w - 100);
    CHECK_EQ(st->bytes_held, w - 40);
    seg(t, 7, 6001, ACK, 1, wire, 45);
    CHECK(check_msgs(lens, 2));
    CHECK_EQ(st->bytes_held, 0);
    td_tcp_destroy(&t);
    rec_reset();
}

static void
test_seq_wraparound(void)
{
    size_t lens[] = { 40, 1000, 20 };
    size_t w = build_wire(lens, 3, 8);
    struct td_tcp *t = td_tcp_init(NULL);
    const struct td_tcp_stats *st = td_tcp_stats(t);
    static const uint32_t isns[] = { 0xFFFFFFFFu, 0xFFFFFFF0u, 0xFFFFFC00u, 0xFFFFFFD0u };
    int fails = 0;
    for (size_t i = 0; i < 4; i++) {
        uint16_t port = (uint16_t)(7000 + i);
        /* in order, 3 segments */
        rec_reset();
        uint32_t s0 = isns[i] + 1;
        seg(t, 1, port, SYN, isns[i], NULL, 0);
        seg(t, 2, port, ACK, s0, wire, 30);
        seg(t, 2, port, ACK, s0 + 30, wire + 30, 700);
        seg(t, 2, port, ACK, s0 + 730, wire + 730, w - 730);
        fails += !check_msgs(lens, 3);
        /* reversed, without SYN */
        rec_reset();
        port = (uint16_t)(7100 + i);
        seg(t, 2, port, ACK, s0 + 730, wire + 730, w - 730);
        seg(t, 2, port, ACK, s0 + 30, wire + 30, 700);
        seg(t, 2, port, ACK, s0, wire, 30);
        /* without SYN the first segment seen starts the stream: here the last one, whose
         * data begins mid-message. Its first two octets are read as a length. */
        fails += R.n == 3;
        /* with SYN, reversed */
        rec_reset();
        port = (uint16_t)(7200 + i);
        seg(t, 1, port, SYN, isns[i], NULL, 0);
        seg(t, 2, port, ACK, s0 + 730, wire + 730, w - 730);
        seg(t, 2, port, ACK, s0 + 30, wire + 30, 700);
        seg(t, 2, port, ACK, s0, wire, 30);
        fails += !check_msgs(lens, 3);
        /* a retransmission from before the wrap */
        seg(t, 3, port, ACK, s0, wire, 30);
    }
    CHECK_EQ(fails, 0);
    /* 4 explicit, plus 2 per no-SYN stream: data before its start counts as old */
    CHECK_EQ(st->retransmits, 4 + 4 * 2);
    td_tcp_destroy(&t);
    rec_reset();
}

static void
test_no_syn(void)
{
    rec_reset();
    size_t lens[] = { 10, 20 };
    size_t w = build_wire(lens, 2, 9);
    struct td_tcp *t = td_tcp_init(NULL);
    const struct td_tcp_stats *st = td_tcp_stats(t);
    CHECK_EQ(seg(t, 1, 8000, ACK, 5000, NULL, 0), 0);    /* pure ACK: no stream */
    CHECK_EQ(st->active_streams, 0);
    CHECK_EQ(seg(t, 1, 8000, FIN | ACK, 5000, NULL, 0), 0);
    CHECK_EQ(st->active_streams, 0);
    CHECK_EQ(st->streams_closed, 0);
    seg(t, 2, 8000, ACK, 5000, wire, 15);
    CHECK_EQ(st->active_streams, 1);
    CHECK_EQ(st->streams_opened, 1);
    seg(t, 3, 8000, ACK, 5015, wire + 15, w - 15);
    CHECK(check_msgs(lens, 2));
    seg(t, 4, 8000, ACK, 4990, wire, 10);                /* before the start: old */
    CHECK_EQ(st->retransmits, 1);
    CHECK_EQ(R.n, 2);
    td_tcp_destroy(&t);
    rec_reset();
}

static void
test_fin_rst(void)
{
    rec_reset();
    size_t lens[] = { 10, 300 };
    size_t w = build_wire(lens, 2, 10);
    struct td_tcp *t = td_tcp_init(NULL);
    const struct td_tcp_stats *st = td_tcp_stats(t);
    /* FIN in the middle of message 2: message 1 delivered, the partial one discarded */
    seg(t, 1, 9000, SYN, 0, NULL, 0);
    seg(t, 2, 9000, ACK, 1, wire, 100);
    CHECK_EQ(R.n, 1);
    CHECK_EQ(st->bytes_held, 88);
    CHECK_EQ(seg(t, 3, 9000, FIN | ACK, 101, wire + 100, 50), 0);
    CHECK_EQ(R.n, 1);
    CHECK_EQ(st->streams_closed, 1);
    CHECK_EQ(st->active_streams, 0);
    CHECK_EQ(st->bytes_held, 0);
    /* a FIN that arrives before the data it follows: the stream waits for the data */
    rec_reset();
    seg(t, 4, 9001, SYN, 0, NULL, 0);
    seg(t, 5, 9001, FIN | ACK, 1 + 200, wire + 200, w - 200);
    CHECK_EQ(st->active_streams, 1);
    seg(t, 6, 9001, ACK, 1, wire, 200);
    CHECK(check_msgs(lens, 2));
    CHECK_EQ(st->streams_closed, 2);
    CHECK_EQ(st->active_streams, 0);
    /* RST: at once, payload ignored */
    rec_reset();
    seg(t, 7, 9002, SYN, 0, NULL, 0);
    seg(t, 8, 9002, ACK, 1, wire, 100);
    CHECK_EQ(seg(t, 9, 9002, RST, 101, wire + 100, w - 100), 0);
    CHECK_EQ(R.n, 1);
    CHECK_EQ(st->streams_closed, 3);
    CHECK_EQ(st->active_streams, 0);
    CHECK_EQ(st->bytes_held, 0);
    CHECK_EQ(seg(t, 9, 9003, RST, 1, NULL, 0), 0);     /* RST for no stream */
    CHECK_EQ(st->streams_closed, 3);
    td_tcp_destroy(&t);
    rec_reset();
}

static void
test_bad_length(void)
{
    rec_reset();
    struct td_tcp *t = td_tcp_init(NULL);
    const struct td_tcp_stats *st = td_tcp_stats(t);
    static const uint8_t p[] = { 0, 3, 'a', 'b', 'c', 0, 0, 0, 1, 'x' };
    static const uint8_t ok[] = { 0, 1, 'y' };
    seg(t, 1, 9100, SYN, 0, NULL, 0);
    CHECK_EQ(seg(t, 2, 9100, ACK, 1, p, sizeof(p)), -1);
    CHECK_EQ(R.n, 1);
    CHECK_EQ(st->bad_length, 1);
    /* the stream has lost its place: later data is dropped, even a well-formed message */
    CHECK_EQ(st->active_streams, 1);
    CHECK_EQ(seg(t, 2, 9100, ACK, 1 + sizeof(p), ok, sizeof(ok)), -1);
    CHECK_EQ(st->desync_dropped, 1);
    CHECK_EQ(R.n, 1);
    /* a SYN starts it again */
    seg(t, 2, 9100, SYN, 100, NULL, 0);
    CHECK_EQ(seg(t, 2, 9100, ACK, 101, ok, sizeof(ok)), 0);
    CHECK_EQ(R.n, 2);
    /* the same through held data; a FIN then ends the desynced stream */
    seg(t, 3, 9101, SYN, 0, NULL, 0);
    seg(t, 3, 9101, ACK, 1 + 6, p + 6, 4);
    CHECK_EQ(seg(t, 4, 9101, ACK, 1, p, 6), -1);
    CHECK_EQ(R.n, 3);
    CHECK_EQ(st->bad_length, 2);
    CHECK_EQ(st->bytes_held, 0);
    CHECK_EQ(st->active_streams, 2);
    CHECK_EQ(seg(t, 4, 9101, FIN | ACK, 20, NULL, 0), 0);
    CHECK_EQ(st->active_streams, 1);
    td_tcp_destroy(&t);
    rec_reset();
}

static void
test_per_stream_bound(void)
{
    rec_reset();
    size_t lens[] = { 5000 };
    size_t w = build_wire(lens, 1, 11);
    /* 2048 octets = 4 chunks of 512 */
    struct td_tcp_opts o = { .max_bytes_per_stream = 2048 };
    struct td_tcp *t = td_tcp_init(&o);
    const struct td_tcp_stats *st = td_tcp_stats(t);
    seg(t, 1, 9200, SYN, 0, NULL, 0);
    CHECK_EQ(seg(t, 2, 9200, ACK, 1, wire, 1000), 0);
    CHECK_EQ(seg(t, 2, 9200, ACK, 1001, wire + 1000, 1000), 0);
    CHECK_EQ(st->bytes_held, 2000);
    CHECK_EQ(seg(t, 2, 9200, ACK, 2001, wire + 2000, 1000), -1);
    CHECK_EQ(st->overflow_resets, 1);
    CHECK_EQ(st->active_streams, 1); /* desynced: kept to drop the rest of its data */
    CHECK_EQ(st->bytes_held, 0);
    CHECK_EQ(R.n, 0);
    CHECK_EQ(seg(t, 2, 9200, ACK, 3001, wire + 3000, 1000), -1);
    CHECK_EQ(st->desync_dropped, 1);
    CHECK_EQ(seg(t, 2, 9200, RST, 4001, NULL, 0), 0);
    CHECK_EQ(st->active_streams, 0);
    /* out of order past the bound from base: dropped, the stream stays */
    seg(t, 3, 9201, SYN, 0, NULL, 0);
    CHECK_EQ(seg(t, 3, 9201, ACK, 1 + 2000, wire + 2000, 100), -1);
    CHECK_EQ(st->overflow_resets, 1);
    CHECK_EQ(st->active_streams, 1);
    CHECK_EQ(st->bytes_held, 0);
    /* many small out-of-order pieces: each takes a chunk, the fifth overflows */
    for (uint32_t k = 0; k < 4; k++)
        CHECK_EQ(seg(t, 4, 9201, ACK, 1 + 10 + 20 * k, wire + 10 + 20 * k, 5), 0);
    CHECK_EQ(st->bytes_held, 20);
    CHECK_EQ(seg(t, 4, 9201, ACK, 1 + 100, wire + 100, 5), -1);
    CHECK_EQ(st->overflow_resets, 2);
    CHECK_EQ(st->bytes_held, 0);
    CHECK_EQ(st->active_streams, 1);
    td_tcp_destroy(&t);

    /* the total bound: 2 chunks for everything */
    size_t lens2[] = { 700 };
    w = build_wire(lens2, 1, 15);
    struct td_tcp_opts o2 = { .max_bytes_total = 1024 };
    t = td_tcp_init(&o2);
    st = td_tcp_stats(t);
    CHECK_EQ(seg(t, 5, 9300, ACK, 0, wire, 600), 0);     /* 2 chunks */
    CHECK_EQ(seg(t, 5, 9301, ACK, 0, wire, 10), -1);     /* none left */
    CHECK_EQ(st->overflow_resets, 1);
    CHECK_EQ(st->active_streams, 2);                     /* 9301 desynced */
    CHECK_EQ(seg(t, 6, 9300, ACK, 600, wire + 600, w - 600), 0);
    CHECK(check_msgs(lens2, 1));
    CHECK_EQ(st->bytes_held, 0);
    CHECK_EQ(seg(t, 7, 9301, ACK, 10, wire + 10, 10), -1); /* still lost */
    seg(t, 7, 9301, SYN, 99, NULL, 0);                   /* a new connection */
    CHECK_EQ(seg(t, 7, 9301, ACK, 100, wire, 10), 0);    /* room again */
    CHECK_EQ(st->bytes_held, 10);
    td_tcp_destroy(&t);
    rec_reset();
}

static void
test_max_streams_eviction(void)
{
    rec_reset();
    size_t lens[] = { 30 };
    size_t w = build_wire(lens, 1, 12);
    struct td_tcp_opts o = { .max_streams = 2 };
    struct td_tcp *t = td_tcp_init(&o);
    const struct td_tcp_stats *st = td_tcp_stats(t);
    seg(t, 1, 1, ACK, 100, wire, 10);
    seg(t, 2, 2, ACK, 100, wire, 10);
    seg(t, 3, 1, ACK, 110, wire + 10, 5);     /* stream 1 used again: 2 is the oldest */
    seg(t, 4, 3, ACK, 100, wire, 10);         /* evicts 2 */
    CHECK_EQ(st->evicted, 1);
    CHECK_EQ(st->active_streams, 2);
    CHECK_EQ(st->bytes_held, 25);
    seg(t, 5, 1, ACK, 115, wire + 15, w - 15);
    seg(t, 5, 3, ACK, 110, wire + 10, w - 10);
    CHECK_EQ(R.n, 2);
    CHECK(R.n == 2 && R.sport[0] == 1 && R.sport[1] == 3);
    seg(t, 6, 2, ACK, 110, wire + 10, w - 10);    /* 2 lost its start: a new stream */
    CHECK_EQ(R.n, 2);
    CHECK_EQ(st->evicted, 2);
    CHECK_EQ(st->streams_opened, 4);
    td_tcp_destroy(&t);
    rec_reset();
}

static void
test_timeout(void)
{
    rec_reset();
    size_t lens[] = { 30 };
    size_t w = build_wire(lens, 1, 13);
    struct td_tcp_opts o = { .timeout_ns = 5 * SEC };
    struct td_tcp *t = td_tcp_init(&o);
    const struct td_tcp_stats *st = td_tcp_stats(t);
    seg(t, 1 * SEC, 10, ACK, 100, wire, 10);
    seg(t, 2 * SEC, 11, ACK, 100, wire, 10);
    seg(t, 3 * SEC, 10, ACK, 110, wire + 10, 5);  /* activity keeps 10 alive */
    td_tcp_expire(t, 7 * SEC - 1);
    CHECK_EQ(st->timeouts, 0);
    td_tcp_expire(t, 7 * SEC);
    CHECK_EQ(st->timeouts, 1);
    CHECK_EQ(st->active_streams, 1);
    CHECK_EQ(st->bytes_held, 15);
    seg(t, 7 * SEC + 1, 10, ACK, 115, wire + 15, w - 15);
    CHECK_EQ(R.n, 1);
    CHECK_EQ(R.ts[0], 7 * SEC + 1);
    td_tcp_expire(t, 100 * SEC);
    CHECK_EQ(st->timeouts, 2);
    CHECK_EQ(st->active_streams, 0);
    td_tcp_destroy(&t);
    rec_reset();
}

static void
test_big_message(void)
{
    size_t lens[] = { 65535, 3 };
    size_t w = build_wire(lens, 2, 14);
    struct td_tcp *t = td_tcp_init(NULL);
    int fails = 0;
    for (uint32_t seed = 1; seed <= 4; seed++) {
        rec_reset();
        size_t nseg = (w + 1447) / 1448;
        int order[64];
        for (size_t k = 0; k < nseg; k++)
            order[k] = (int)k;
        rng_state = seed;
        for (size_t k = nseg - 1; k > 0; k--) {
            int j = (int)(rnd() % (k + 1)), x = order[k];
            order[k] = order[j];
            order[j] = x;
        }
        uint16_t port = (uint16_t)(20000 + seed);
        uint32_t isn = 0xFFFF0000u + seed;
        seg(t, 1, port, SYN, isn, NULL, 0);
        for (size_t k = 0; k < nseg; k++) {
            size_t off = (size_t)order[k] * 1448, n = off + 1448 < w ? 1448 : w - off;
            fails += seg(t, 2, port, ACK, isn + 1 + (uint32_t)off, wire + off, n) != 0;
        }
        fails += !check_msgs(lens, 2);
    }
    CHECK_EQ(fails, 0);
    CHECK_EQ(td_tcp_stats(t)->bytes_held, 0);
    td_tcp_destroy(&t);
    rec_reset();
}

int
main(void)
{
    TT_RUN(test_one_message_one_segment);
    TT_RUN(test_split_every_byte);
    TT_RUN(test_three_in_one);
    TT_RUN(test_out_of_order_spanning);
    TT_RUN(test_retransmission);
    TT_RUN(test_overlap_new_tail);
    TT_RUN(test_seq_wraparound);
    TT_RUN(test_no_syn);
    TT_RUN(test_fin_rst);
    TT_RUN(test_bad_length);
    TT_RUN(test_per_stream_bound);
    TT_RUN(test_max_streams_eviction);
    TT_RUN(test_timeout);
    TT_RUN(test_big_message);
    return tt_finish();
}
