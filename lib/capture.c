/* capture.c: the capture core (see capture.h for the contract). */
#include "capture.h"
#include "dns_wire.h"
#include "frame.h"
#include "frame_build.h"
#include "byteorder.h"
#include <stdlib.h>
#include <string.h>

#define TICK_INTERVAL_NS 1000000000ull

struct td_capture {
    struct td_capture_opts opts;
    td_capture_sink_fn sink;
    void *sink_ctx;
    struct td_ipfrag *ipfrag;
    struct td_tcp *tcp;
    struct td_matcher *matcher;
    uint64_t last_tick_ns;
    struct td_capture_stats st;
};

/* What the DNS layer needs to know about the packet a message came in. */
struct msg_src {
    const struct td_frame *f;
    uint64_t ts_ns;
    uint16_t flags;          /* TD_RF_FRAGMENTED / TD_RF_TCP */
    const uint8_t *udp;      /* UDP header + payload for the checksum, NULL for TCP */
    size_t udp_len;
    int udp_complete;        /* whole datagram present */
};

void td_capture_opts_default(struct td_capture_opts *o)
{
    memset(o, 0, sizeof *o);
    td_sensor_filter_init(&o->filter);
    o->match.max_entries = 131072;
    o->match.timeout_ns = 60ull * 1000000000ull;
    o->ipfrag.max_datagrams = 4096;
    o->ipfrag.max_bytes = 16u << 20;
    o->ipfrag.timeout_ns = 30ull * 1000000000ull;
    o->tcp.max_streams = 65536;
    o->tcp.max_bytes_per_stream = 2 * (65535 + 2);
    o->tcp.max_bytes_total = 64u << 20;
    o->tcp.timeout_ns = 60ull * 1000000000ull;
}

static void emit(struct td_capture *c, const struct td_record *rec)
{
    if (c->sink(c->sink_ctx, rec) != 0)
        c->st.sink_errors++;
}

static void fill_addrs(struct td_record *rec, const struct td_match_key *k, int zero)
{
    rec->ip_version = k->ip_version;
    rec->proto = k->proto;
    rec->client_port = k->client_port;
    rec->server_port = k->server_port;
    memcpy(rec->server_ip, k->server_ip, 16);
    if (zero) {
        memset(rec->client_ip, 0, 16);
        rec->flags |= TD_RF_RESOLVER_ZEROED;
    } else {
        memcpy(rec->client_ip, k->client_ip, 16);
    }
}

static void on_query_expired(void *ctx, const struct td_match_query *q, int evicted)
{
    struct td_capture *c = ctx;
    (void)evicted;
    if (!c->opts.record_unanswered) {
        c->st.skip_unanswered_query++;
        return;
    }
    struct td_record rec;
    memset(&rec, 0, sizeof rec);
    rec.type = TD_REC_UNANSWERED;
    rec.query_ts_ns = q->ts_ns;
    rec.query = q->msg;
    rec.query_len = q->len;
    if (q->flags & TD_RF_FRAGMENTED)
        rec.flags |= TD_RF_QUERY_FRAGMENTED;
    if (q->flags & TD_RF_TCP)
        rec.flags |= TD_RF_TCP;
    fill_addrs(&rec, q->key, c->opts.zero_resolver);
    c->st.records_unanswered++;
    emit(c, &rec);
}

struct td_capture *td_capture_init(const struct td_capture_opts *opts, td_capture_sink_fn sink, void *ctx)
{
    struct td_capture *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->opts = *opts;
    c->sink = sink;
    c->sink_ctx = ctx;
    c->ipfrag = td_ipfrag_init(&c->opts.ipfrag);
    c->tcp = td_tcp_init(&c->opts.tcp);
    c->matcher = td_matcher_init(&c->opts.match, on_query_expired, c);
    if (!c->ipfrag || !c->tcp || !c->matcher) {
        td_capture_destroy(&c);
        return NULL;
    }
    return c;
}

void td_capture_destroy(struct td_capture **cp)
{
    if (!cp || !*cp)
        return;
    td_ipfrag_destroy(&(*cp)->ipfrag);
    td_tcp_destroy(&(*cp)->tcp);
    td_matcher_destroy(&(*cp)->matcher);
    free(*cp);
    *cp = NULL;
}

static void count_dns_error(struct td_capture *c, enum td_dns_res r)
{
    switch (r) {
    case TD_DNS_SHORT_HEADER: c->st.drop_dns_short++; break;
    case TD_DNS_NO_QUESTION: c->st.drop_dns_no_question++; break;
    case TD_DNS_NAME_PAST_END:
    case TD_DNS_FORWARD_POINTER:
    case TD_DNS_LABEL_TOO_LONG:
    case TD_DNS_NAME_TOO_LONG: c->st.drop_dns_name++; break;
    case TD_DNS_BAD_RDATA: c->st.drop_dns_rdata++; break;
    case TD_DNS_COUNT_MISMATCH: c->st.drop_dns_counts++; break;
    default: c->st.drop_dns_past_end++; break;
    }
}

int td_udp_checksum_check(int ip_version, const uint8_t *src, const uint8_t *dst,
                          const uint8_t *l4, size_t len)
{
    if (len < 8)
        return TD_CKSUM_INCORRECT;
    uint16_t field = td_get_be16(l4 + 6);
    if (field == 0)
        return ip_version == 4 ? TD_CKSUM_ABSENT : TD_CKSUM_INCORRECT;
    size_t alen = ip_version == 6 ? 16 : 4;
    uint32_t sum = td_inet_sum(src, alen, 0);
    sum = td_inet_sum(dst, alen, sum);
    sum += 17;
    sum += (uint32_t)(len >> 16) + (uint32_t)(len & 0xffff);
    return td_inet_fold(td_inet_sum(l4, len, sum)) == 0 ? TD_CKSUM_CORRECT : TD_CKSUM_INCORRECT;
}

/* One DNS message (query or response) out of a UDP payload or a TCP stream. */
static void handle_dns(struct td_capture *c, const struct msg_src *src, const uint8_t *msg, size_t len)
{
    const struct td_frame *f = src->f;
    struct td_dns_header h;
    enum td_dns_res r = td_dns_parse_header(msg, len, &h);
    if (r != TD_DNS_OK) {
        count_dns_error(c, r);
        return;
    }
    int is_response = (h.flags & TD_DNS_QR) != 0;
    if (is_response)
        c->st.dns_responses++;
    else
        c->st.dns_queries++;
    if (TD_DNS_OPCODE(h.flags) != 0) {
        c->st.skip_opcode++;
        return;
    }
    struct td_dns_question q;
    r = td_dns_parse_question(msg, len, &q, NULL);
    if (r == TD_DNS_OK && is_response)
        r = td_dns_validate(msg, len);
    if (r != TD_DNS_OK) {
        count_dns_error(c, r);
        return;
    }
    if ((h.flags & TD_DNS_RD) && !c->opts.filter.keep_recursive) {
        c->st.skip_rd++;
        return;
    }
    if (c->opts.filter.nlocal && td_sensor_filter_is_local(&c->opts.filter, q.name, q.name_len)) {
        c->st.skip_local_domain++;
        return;
    }

    struct td_match_key k;
    k.proto = f->l4_proto;
    k.ip_version = f->ip_version;
    k.id = h.id;
    k.qtype = q.qtype;
    k.qclass = q.qclass;
    k.qname = q.name;
    k.qname_len = q.name_len;
    if (!is_response) {
        memcpy(k.client_ip, f->src, 16);
        memcpy(k.server_ip, f->dst, 16);
        k.client_port = f->sport;
        k.server_port = f->dport;
        td_matcher_query(c->matcher, &k, src->ts_ns, msg, len, src->flags);
        return;
    }
    memcpy(k.client_ip, f->dst, 16);
    memcpy(k.server_ip, f->src, 16);
    k.client_port = f->dport;
    k.server_port = f->sport;

    struct td_record rec;
    memset(&rec, 0, sizeof rec);
    rec.response_ts_ns = src->ts_ns;
    rec.response = msg;
    rec.response_len = (uint32_t)len;
    rec.flags = src->flags;
    if (src->udp)
        rec.cksum = src->udp_complete
                        ? (uint8_t)td_udp_checksum_check(f->ip_version, f->src, f->dst, src->udp, src->udp_len)
                        : TD_CKSUM_UNKNOWN;
    else
        rec.cksum = TD_CKSUM_NONE;
    struct td_match_query mq;
    if (td_matcher_response(c->matcher, &k, &mq)) {
        rec.type = TD_REC_MATCHED;
        rec.query_ts_ns = mq.ts_ns;
        rec.query = mq.msg;
        rec.query_len = mq.len;
        if (mq.flags & TD_RF_FRAGMENTED)
            rec.flags |= TD_RF_QUERY_FRAGMENTED;
        c->st.records_matched++;
    } else {
        rec.type = TD_REC_UNSOLICITED;
        c->st.records_unsolicited++;
    }
    fill_addrs(&rec, &k, c->opts.zero_resolver);
    emit(c, &rec);
}

struct tcp_cb_ctx {
    struct td_capture *c;
    uint16_t flags;
};

static void on_tcp_message(void *ctx, const struct td_frame *f, uint64_t ts_ns, const uint8_t *msg, size_t len)
{
    struct tcp_cb_ctx *t = ctx;
    struct msg_src src = { .f = f, .ts_ns = ts_ns, .flags = (uint16_t)(t->flags | TD_RF_TCP) };
    t->c->st.tcp_messages++;
    handle_dns(t->c, &src, msg, len);
}

/* With a resolver list, keep only the resolvers' upstream traffic: a resolver address on one
 * side, an outside address on the other. With ports known (dir_known), the resolver must also
 * be the client: it sends to a DNS port, or receives from one. */
static int resolver_ok(const struct td_capture *c, const struct td_frame *f, int dir_known)
{
    const struct td_sensor_filter *flt = &c->opts.filter;
    if (flt->nresolvers == 0)
        return 1;
    int s = td_sensor_filter_is_resolver(flt, f->ip_version, f->src);
    int d = td_sensor_filter_is_resolver(flt, f->ip_version, f->dst);
    if (s == d)
        return 0;
    if (!dir_known)
        return 1;
    return s ? td_sensor_filter_port(flt, f->dport) : td_sensor_filter_port(flt, f->sport);
}

/* L4 decoded (f offsets relative to base). */
static void handle_l4(struct td_capture *c, uint64_t ts_ns, struct td_frame *f, const uint8_t *base, uint16_t flags)
{
    const struct td_sensor_filter *flt = &c->opts.filter;
    if (!td_sensor_filter_port(flt, f->sport) && !td_sensor_filter_port(flt, f->dport)) {
        c->st.skip_port++;
        return;
    }
    if (!resolver_ok(c, f, 1)) {
        c->st.skip_not_resolver++;
        return;
    }
    const uint8_t *payload = base + f->payload_off;
    if (f->l4_proto == 6) {
        c->st.tcp_segments++;
        if (f->flags & TD_FF_IP_TRUNC) {
            c->st.drop_payload_truncated++;
            return;
        }
        struct tcp_cb_ctx t = { c, flags };
        if (td_tcp_segment(c->tcp, ts_ns, f, payload, f->payload_len, on_tcp_message, &t) != 0)
            c->st.drop_tcp++;
        return;
    }
    if (f->flags & TD_FF_IP_TRUNC) {
        c->st.drop_payload_truncated++;
        return;
    }
    struct msg_src src = {
        .f = f, .ts_ns = ts_ns, .flags = flags,
        .udp = base + f->l4_off, .udp_len = (size_t)f->payload_len + 8, .udp_complete = 1,
    };
    handle_dns(c, &src, payload, f->payload_len);
}

void td_capture_frame(struct td_capture *c, uint64_t ts_ns, int linktype,
                      const uint8_t *data, size_t caplen, size_t wirelen)
{
    c->st.frames++;
    c->st.bytes += wirelen;
    if (ts_ns >= c->last_tick_ns + TICK_INTERVAL_NS)
        td_capture_tick(c, ts_ns);
    if (caplen > 65535 + 64)
        caplen = 65535 + 64;  /* offsets in td_frame are 16-bit */

    struct td_frame f;
    int r = linktype == TD_LINK_RAW ? td_frame_decode_ip(data, data + caplen, &f)
                                    : td_frame_decode(data, data + caplen, &f);
    switch (r) {
    case TD_FRAME_OK:
        handle_l4(c, ts_ns, &f, data, 0);
        return;
    case TD_FRAME_FRAGMENT:
        break;
    case TD_FRAME_TRUNCATED: c->st.drop_truncated_frame++; return;
    case TD_FRAME_NOT_IP: c->st.skip_not_ip++; return;
    case TD_FRAME_TOO_MANY_VLAN: c->st.drop_vlan++; return;
    case TD_FRAME_BAD_IP: c->st.drop_bad_ip++; return;
    case TD_FRAME_BAD_EXT: c->st.drop_bad_ext++; return;
    case TD_FRAME_NOT_UDP_TCP: c->st.skip_not_udp_tcp++; return;
    default: c->st.drop_bad_l4++; return;
    }
    /* IP fragment */
    if (f.l4_proto != 17 && f.l4_proto != 6) {
        c->st.skip_not_udp_tcp++;
        return;
    }
    if (!resolver_ok(c, &f, 0)) {
        c->st.skip_not_resolver++;
        return;
    }
    c->st.ip_fragments++;
    const uint8_t *dgram;
    size_t dlen;
    int fr = td_ipfrag_add(c->ipfrag, ts_ns, &f, data, &dgram, &dlen);
    if (fr < 0) {
        c->st.drop_fragment++;
        return;
    }
    if (fr == 0)
        return;
    c->st.datagrams_reassembled++;
    r = td_frame_decode_l4(dgram, dgram + dlen, &f);
    if (r != TD_FRAME_OK) {
        c->st.drop_bad_l4++;
        return;
    }
    handle_l4(c, ts_ns, &f, dgram, TD_RF_FRAGMENTED);
}

void td_capture_tick(struct td_capture *c, uint64_t now_ns)
{
    c->last_tick_ns = now_ns;
    td_matcher_expire(c->matcher, now_ns);
    td_ipfrag_expire(c->ipfrag, now_ns);
    td_tcp_expire(c->tcp, now_ns);
}

void td_capture_finish(struct td_capture *c)
{
    td_matcher_flush(c->matcher);
}

const struct td_capture_stats *td_capture_stats(const struct td_capture *c) { return &c->st; }
const struct td_ipfrag_stats *td_capture_ipfrag_stats(const struct td_capture *c) { return td_ipfrag_stats(c->ipfrag); }
const struct td_tcp_stats *td_capture_tcp_stats(const struct td_capture *c) { return td_tcp_stats(c->tcp); }
const struct td_match_stats *td_capture_match_stats(const struct td_capture *c) { return td_matcher_stats(c->matcher); }

void td_capture_stats_foreach(const struct td_capture *c,
                              void (*fn)(void *ctx, const char *name, const char *desc, uint64_t v),
                              void *ctx)
{
#define TD_X(name, desc) fn(ctx, #name, desc, c->st.name);
    TD_CAPTURE_COUNTERS(TD_X)
#undef TD_X
    const struct td_ipfrag_stats *fs = td_ipfrag_stats(c->ipfrag);
    fn(ctx, "ipfrag_timeouts", "fragmented datagrams dropped incomplete (timeout)", fs->timeouts);
    fn(ctx, "ipfrag_evicted", "fragmented datagrams evicted (table full)", fs->evicted);
    fn(ctx, "ipfrag_overlap_conflict", "fragmented datagrams dropped: conflicting overlap", fs->overlap_conflict);
    fn(ctx, "ipfrag_invalid", "fragments dropped: invalid", fs->invalid);
    const struct td_tcp_stats *ts = td_tcp_stats(c->tcp);
    fn(ctx, "tcp_streams_opened", "TCP streams opened", ts->streams_opened);
    fn(ctx, "tcp_retransmits", "TCP segments with retransmitted data", ts->retransmits);
    fn(ctx, "tcp_out_of_order", "TCP segments held out of order", ts->out_of_order);
    fn(ctx, "tcp_overflow_resets", "TCP streams reset: memory bound", ts->overflow_resets);
    fn(ctx, "tcp_bad_length", "TCP streams reset: zero length prefix", ts->bad_length);
    fn(ctx, "tcp_desync_dropped", "TCP segments dropped: stream lost its place after a reset", ts->desync_dropped);
    fn(ctx, "tcp_timeouts", "TCP streams expired", ts->timeouts);
    fn(ctx, "tcp_evicted", "TCP streams evicted (table full)", ts->evicted);
    const struct td_match_stats *ms = td_matcher_stats(c->matcher);
    fn(ctx, "match_duplicates", "queries replaced by a retransmission", ms->duplicates);
    fn(ctx, "match_evicted", "queries evicted (table full)", ms->evicted);
    fn(ctx, "match_query_too_big", "queries too big to keep with the record", ms->query_too_big);
}
