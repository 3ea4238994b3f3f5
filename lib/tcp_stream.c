/* tcp_stream.c: DNS-over-TCP stream reassembly (contract in tcp_stream.h).
 *
 * Memory, all allocated by td_tcp_init():
 *   - one record per stream (max_streams), in a hash table and an LRU list (the oldest is
 *     the least recently active: expired and evicted first), the links kept by an index
 *     table (index_table.h) indexed like the records;
 *   - a pool of TCP_CHUNK-octet chunks (max_bytes_total / TCP_CHUNK of them). A stream
 *     holds its data as a list of pieces sorted by sequence number, one chunk each
 *     (seq, offset, length); pieces never overlap. Contiguous data is appended to the
 *     previous piece while its chunk has room;
 *   - one scratch buffer of 65535 octets to make a message that spans pieces contiguous.
 *
 * Sequence numbers: `base` is the sequence number of the first octet not yet consumed
 * (the start of the current message), `next` the first octet not yet received in order.
 * Every comparison is done on offsets relative to `base` (32-bit serial arithmetic), so
 * wraparound across 2^32 is transparent.
 *
 * Rules:
 *   - SYN sets next = seq + 1 (a stream that existed with another state is closed and
 *     started again; a repeated SYN leaves it as is).
 *     Without a SYN, the first segment with data starts the stream at its seq (it is
 *     assumed to begin a message). Segments without data and without SYN create nothing.
 *   - data before `next` is trimmed (retransmits counts each segment trimmed, fully or in
 *     part); data after `next` is held (out_of_order counts each such segment); where it
 *     overlaps held data the first copy wins.
 *   - an out-of-order segment ending more than max_bytes_per_stream past `base` is dropped
 *     (returns -1, counted in out_of_order only).
 *   - a stream holding more than max_bytes_per_stream, counted in whole chunks
 *     (TCP_CHUNK octets per piece), or needing a chunk when the pool is empty, is reset:
 *     its data is discarded (overflow_resets) and the segment returns -1. The stream then
 *     stays "desynced": it has lost its place among the length prefixes, so its later data
 *     segments are dropped (desync_dropped, -1) until a SYN starts it again or a FIN, RST
 *     or the idle timeout ends it.
 *   - a message length of zero: bad_length, the stream is reset the same way (-1).
 *   - FIN: the stream ends when all data up to the FIN has been received in order
 *     (a FIN that arrives early is remembered). RST ends it at once, its payload ignored.
 *     Complete messages are delivered as they complete; a partial message left at the end
 *     is discarded without being counted (streams_closed counts the stream).
 *   - a stream idle for timeout_ns (now >= last activity + timeout_ns) is freed
 *     (timeouts); when max_streams are in use, the least recently active stream is
 *     freed for a new one (evicted).
 *   - stats.bytes_held counts octets of data held (not chunk capacity). */
#include "tcp_stream.h"
#include "index_table.h"

#include <stdlib.h>
#include <string.h>

#define TCP_CHUNK 512u
#define TCP_NIL TD_ITAB_NIL
#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_RST 0x04

struct tcp_key {
    uint8_t ver, pad;
    uint16_t sport, dport;
    uint8_t src[16], dst[16];
};

struct tcp_piece {
    uint32_t seq;      /* sequence number of the first octet at data + off */
    uint16_t off, len;
    uint32_t next;     /* next piece of the stream, or next free chunk */
};

struct tcp_stream {
    struct tcp_key key;
    uint32_t base, nxt, fin_seq;
    uint32_t head;               /* first piece */
    uint32_t chunks;             /* chunks held */
    uint32_t held;               /* octets held */
    uint64_t last_ns;
    uint8_t has_fin;
    uint8_t desync;              /* lost its place after a reset: data dropped until SYN/FIN/RST */
};

struct td_tcp {
    struct td_tcp_opts o;
    struct td_tcp_stats st;
    struct tcp_stream *s;
    struct td_itab tab;          /* links of s[i]; the age list is the LRU list */
    uint32_t nstreams, seed;
    uint8_t *pool;
    struct tcp_piece *pc;
    uint32_t nchunks, free_chunk, max_chunks_per_stream;
    uint8_t scratch[65535];
};

static inline uint32_t
tcp_hash(const struct td_tcp *t, const struct tcp_key *k)
{
    return td_itab_hash_bytes(k, sizeof(*k), t->seed);
}

struct td_tcp *
td_tcp_init(const struct td_tcp_opts *opts)
{
    struct td_tcp_opts o = { 65536, 2 * (65535 + 2), 64u << 20, 60ull * 1000000000ull };
    if (opts) {
        if (opts->max_streams)
            o.max_streams = opts->max_streams;
        if (opts->max_bytes_per_stream)
            o.max_bytes_per_stream = opts->max_bytes_per_stream;
        if (opts->max_bytes_total)
            o.max_bytes_total = opts->max_bytes_total;
        if (opts->timeout_ns)
            o.timeout_ns = opts->timeout_ns;
    }
    if (o.max_streams > (1u << 24) || o.max_bytes_total < TCP_CHUNK ||
        o.max_bytes_total / TCP_CHUNK > (1u << 26) || o.max_bytes_per_stream < TCP_CHUNK ||
        o.max_bytes_per_stream > (1u << 30))
        return NULL;
    struct td_tcp *t = calloc(1, sizeof(*t));
    if (!t)
        return NULL;
    t->o = o;
    t->nstreams = (uint32_t)o.max_streams;
    t->nchunks = (uint32_t)(o.max_bytes_total / TCP_CHUNK);
    t->max_chunks_per_stream = (uint32_t)(o.max_bytes_per_stream / TCP_CHUNK);
    t->s = calloc(t->nstreams, sizeof(*t->s));
    t->pool = malloc((size_t)t->nchunks * TCP_CHUNK);
    t->pc = malloc((size_t)t->nchunks * sizeof(*t->pc));
    if (!t->s || !t->pool || !t->pc || td_itab_init(&t->tab, t->nstreams, t->nstreams) < 0) {
        td_tcp_destroy(&t);
        return NULL;
    }
    for (uint32_t i = 0; i < t->nchunks; i++)
        t->pc[i].next = i + 1 < t->nchunks ? i + 1 : TCP_NIL;
    t->free_chunk = 0;
    t->seed = td_itab_seed(t);
    return t;
}

void
td_tcp_destroy(struct td_tcp **tp)
{
    if (!tp || !*tp)
        return;
    struct td_tcp *t = *tp;
    free(t->s);
    td_itab_destroy(&t->tab);
    free(t->pool);
    free(t->pc);
    free(t);
    *tp = NULL;
}

const struct td_tcp_stats *
td_tcp_stats(const struct td_tcp *t)
{
    return &t->st;
}

static void
tcp_free_piece(struct td_tcp *t, struct tcp_stream *s, uint32_t p)
{
    s->chunks--;
    s->held -= t->pc[p].len;
    t->st.bytes_held -= t->pc[p].len;
    t->pc[p].next = t->free_chunk;
    t->free_chunk = p;
}

static void
tcp_drop_data(struct td_tcp *t, struct tcp_stream *s)
{
    while (s->head != TCP_NIL) {
        uint32_t p = s->head;
        s->head = t->pc[p].next;
        tcp_free_piece(t, s, p);
    }
}

/* Frees stream i and its data; the caller counts why. */
static void
tcp_free_stream(struct td_tcp *t, uint32_t i)
{
    tcp_drop_data(t, &t->s[i]);
    td_itab_remove(&t->tab, i);
    t->st.active_streams--;
}

/* The stream lost its place in the byte stream (memory bound, zero length): its data goes,
 * and so does every later data segment until a SYN, FIN or RST (or the idle timeout), since
 * a segment in mid-message would be read as a length prefix and give garbage messages. */
static void
tcp_desync(struct td_tcp *t, uint32_t i)
{
    tcp_drop_data(t, &t->s[i]);
    t->s[i].desync = 1;
    t->s[i].has_fin = 0;
}

void
td_tcp_expire(struct td_tcp *t, uint64_t now_ns)
{
    uint32_t i;
    while ((i = td_itab_oldest(&t->tab)) != TCP_NIL) {
        const struct tcp_stream *s = &t->s[i];
        if (now_ns < s->last_ns || now_ns - s->last_ns < t->o.timeout_ns)
            break;
        tcp_free_stream(t, i);
        t->st.timeouts++;
    }
}

static uint32_t
tcp_lookup(const struct td_tcp *t, const struct tcp_key *k)
{
    uint32_t i = td_itab_first(&t->tab, tcp_hash(t, k));
    while (i != TCP_NIL && memcmp(&t->s[i].key, k, sizeof(*k)) != 0)
        i = td_itab_next(&t->tab, i);
    return i;
}

static uint32_t
tcp_new_stream(struct td_tcp *t, const struct tcp_key *k, uint32_t seq, uint64_t ts_ns)
{
    if (td_itab_full(&t->tab)) {
        tcp_free_stream(t, td_itab_oldest(&t->tab));
        t->st.evicted++;
    }
    uint32_t i = td_itab_insert(&t->tab, tcp_hash(t, k));
    struct tcp_stream *s = &t->s[i];
    memset(s, 0, sizeof(*s));
    s->key = *k;
    s->base = s->nxt = seq;
    s->head = TCP_NIL;
    s->last_ns = ts_ns;
    t->st.active_streams++;
    t->st.streams_opened++;
    return i;
}

/* Stores [seq, seq + len) in the gaps between held pieces (held octets win).
 * Precondition: seq is at or after s->nxt. Returns the octets added, or -1 when a bound
 * was hit (nothing is undone: the caller resets the stream). */
static long
tcp_insert(struct td_tcp *t, struct tcp_stream *s, uint32_t seq, const uint8_t *data,
           uint32_t len)
{
    uint32_t rel = seq - s->base;
    uint32_t prev = TCP_NIL, cur = s->head;
    long added = 0;
    while (len > 0) {
        while (cur != TCP_NIL && rel >= t->pc[cur].seq - s->base + t->pc[cur].len) {
            prev = cur;
            cur = t->pc[cur].next;
        }
        uint32_t gap = len;
        if (cur != TCP_NIL) {
            uint32_t crel = t->pc[cur].seq - s->base;
            if (rel >= crel) {           /* inside cur: skip what it already holds */
                uint32_t skip = crel + t->pc[cur].len - rel;
                if (skip > len)
                    skip = len;
                rel += skip;
                data += skip;
                len -= skip;
                continue;
            }
            if (crel - rel < gap)
                gap = crel - rel;
        }
        while (gap > 0) {
            uint32_t k;
            struct tcp_piece *pp = prev != TCP_NIL ? &t->pc[prev] : NULL;
            if (pp && pp->seq - s->base + pp->len == rel && pp->off + pp->len < TCP_CHUNK) {
                k = TCP_CHUNK - pp->off - pp->len;
                if (k > gap)
                    k = gap;
                memcpy(t->pool + (size_t)prev * TCP_CHUNK + pp->off + pp->len, data, k);
                pp->len = (uint16_t)(pp->len + k);
            } else {
                if (s->chunks >= t->max_chunks_per_stream || t->free_chunk == TCP_NIL)
                    return -1;
                uint32_t n = t->free_chunk;
                t->free_chunk = t->pc[n].next;
                s->chunks++;
                k = gap < TCP_CHUNK ? gap : TCP_CHUNK;
                t->pc[n].seq = s->base + rel;
                t->pc[n].off = 0;
                t->pc[n].len = (uint16_t)k;
                t->pc[n].next = cur;
                if (pp)
                    pp->next = n;
                else
                    s->head = n;
                memcpy(t->pool + (size_t)n * TCP_CHUNK, data, k);
                prev = n;
            }
            s->held += k;
            t->st.bytes_held += k;
            added += k;
            rel += k;
            data += k;
            len -= k;
            gap -= k;
        }
    }
    return added;
}

/* Moves s->nxt past the pieces contiguous with it. */
static void
tcp_advance(struct td_tcp *t, struct tcp_stream *s)
{
    uint32_t want = s->nxt - s->base;
    for (uint32_t p = s->head; p != TCP_NIL; p = t->pc[p].next) {
        uint32_t r = t->pc[p].seq - s->base;
        if (r > want)
            break;
        if (r + t->pc[p].len > want)
            want = r + t->pc[p].len;
    }
    s->nxt = s->base + want;
}

/* Copies n octets starting `at` octets after base (all held in order) into dst. */
static void
tcp_copy_out(const struct td_tcp *t, const struct tcp_stream *s, uint32_t at, uint32_t n,
             uint8_t *dst)
{
    for (uint32_t p = s->head; n > 0 && p != TCP_NIL; p = t->pc[p].next) {
        const struct tcp_piece *pp = &t->pc[p];
        uint32_t r = pp->seq - s->base;
        if (at >= r + pp->len)
            continue;
        uint32_t k = r + pp->len - at;
        if (k > n)
            k = n;
        memcpy(dst, t->pool + (size_t)p * TCP_CHUNK + pp->off + (at - r), k);
        dst += k;
        at += k;
        n -= k;
    }
}

/* Drops n octets from the front of the stream (all held in order). */
static void
tcp_consume(struct td_tcp *t, struct tcp_stream *s, uint32_t n)
{
    while (n > 0 && s->head != TCP_NIL) {
        uint32_t p = s->head;
        struct tcp_piece *pp = &t->pc[p];
        if (pp->len <= n) {
            n -= pp->len;
            s->head = pp->next;
            tcp_free_piece(t, s, p);
        } else {
            pp->seq += n;
            pp->off = (uint16_t)(pp->off + n);
            pp->len = (uint16_t)(pp->len - n);
            s->held -= n;
            t->st.bytes_held -= n;
            n = 0;
        }
    }
}

/* Delivers the complete messages held. Returns 0, or -1 after freeing the stream on a
 * zero length. */
static int
tcp_deliver_held(struct td_tcp *t, uint32_t i, const struct td_frame *f, uint64_t ts_ns,
                 td_tcp_msg_fn cb, void *ctx)
{
    struct tcp_stream *s = &t->s[i];
    for (;;) {
        uint32_t avail = s->nxt - s->base;
        if (avail < 2)
            return 0;
        uint8_t lb[2];
        tcp_copy_out(t, s, 0, 2, lb);
        uint32_t mlen = (uint32_t)lb[0] << 8 | lb[1];
        if (mlen == 0) {
            t->st.bad_length++;
            tcp_desync(t, i);
            return -1;
        }
        if (avail < 2 + mlen)
            return 0;
        const struct tcp_piece *hp = &t->pc[s->head];
        const uint8_t *msg;
        if (hp->len >= 2 + mlen) {
            msg = t->pool + (size_t)s->head * TCP_CHUNK + hp->off + 2;
        } else {
            tcp_copy_out(t, s, 2, mlen, t->scratch);
            msg = t->scratch;
        }
        t->st.messages++;
        if (cb)
            cb(ctx, f, ts_ns, msg, mlen);
        tcp_consume(t, s, 2 + mlen);
        s->base += 2 + mlen;
    }
}

/* Delivers the complete messages in payload (in order, nothing held); returns the
 * octets consumed, or -1 after freeing the stream on a zero length. */
static long
tcp_deliver_direct(struct td_tcp *t, uint32_t i, const struct td_frame *f, uint64_t ts_ns,
                   const uint8_t *p, uint32_t len, td_tcp_msg_fn cb, void *ctx)
{
    uint32_t used = 0;
    while (len - used >= 2) {
        uint32_t mlen = (uint32_t)p[used] << 8 | p[used + 1];
        if (mlen == 0) {
            t->st.bad_length++;
            tcp_desync(t, i);
            return -1;
        }
        if (len - used < 2 + mlen)
            break;
        t->st.messages++;
        if (cb)
            cb(ctx, f, ts_ns, p + used + 2, mlen);
        used += 2 + mlen;
    }
    return used;
}

static int
tcp_overflow(struct td_tcp *t, uint32_t i)
{
    t->st.overflow_resets++;
    tcp_desync(t, i);
    return -1;
}

int
td_tcp_segment(struct td_tcp *t, uint64_t ts_ns, const struct td_frame *f,
               const uint8_t *payload, size_t len_in, td_tcp_msg_fn cb, void *ctx)
{
    t->st.segments++;
    td_tcp_expire(t, ts_ns);
    if (len_in > 65535)
        len_in = 65535;               /* an IP datagram cannot carry more */
    uint32_t len = (uint32_t)len_in;

    struct tcp_key k;
    memset(&k, 0, sizeof(k));
    k.ver = f->ip_version;
    k.sport = f->sport;
    k.dport = f->dport;
    memcpy(k.src, f->src, f->ip_version == 4 ? 4 : 16);
    memcpy(k.dst, f->dst, f->ip_version == 4 ? 4 : 16);
    uint32_t i = tcp_lookup(t, &k);
    uint8_t fl = f->tcp_flags;
    uint32_t seq = f->tcp_seq;

    if (fl & TCP_RST) {
        if (i != TCP_NIL) {
            tcp_free_stream(t, i);
            t->st.streams_closed++;
        }
        return 0;
    }
    if (fl & TCP_SYN) {
        seq++;
        if (i != TCP_NIL && (t->s[i].base != seq || t->s[i].nxt != seq ||
                             t->s[i].head != TCP_NIL || t->s[i].desync)) {
            tcp_free_stream(t, i);     /* a new connection on the same ports */
            t->st.streams_closed++;
            i = TCP_NIL;
        }
        if (i == TCP_NIL)              /* else a repeated SYN: keep the stream */
            i = tcp_new_stream(t, &k, seq, ts_ns);
    } else if (i == TCP_NIL) {
        if (len == 0)
            return 0;
        i = tcp_new_stream(t, &k, seq, ts_ns);
    }
    struct tcp_stream *s = &t->s[i];
    s->last_ns = ts_ns;
    td_itab_touch(&t->tab, i);
    if (s->desync) {
        if (fl & TCP_FIN) {
            tcp_free_stream(t, i);
            t->st.streams_closed++;
            return 0;
        }
        if (len == 0)
            return 0;
        t->st.desync_dropped++;
        return -1;
    }
    if (fl & TCP_FIN) {
        s->has_fin = 1;
        s->fin_seq = seq + len;
    }

    if (len > 0) {
        int32_t d = (int32_t)(seq - s->nxt);
        if (d < 0) {
            t->st.retransmits++;
            uint32_t skip = (uint32_t)-(int64_t)d;
            if (skip >= len)
                len = 0;
            else {
                payload += skip;
                len -= skip;
                seq = s->nxt;
                d = 0;
            }
        }
        if (len > 0 && d > 0) {
            t->st.out_of_order++;
            if ((uint64_t)(seq - s->base) + len > t->o.max_bytes_per_stream)
                return -1;
            long added = tcp_insert(t, s, seq, payload, len);
            if (added < 0)
                return tcp_overflow(t, i);
            if (added == 0)
                t->st.retransmits++;
        } else if (len > 0 && s->head == TCP_NIL) {
            long used = tcp_deliver_direct(t, i, f, ts_ns, payload, len, cb, ctx);
            if (used < 0)
                return -1;
            s->base = s->nxt = seq + (uint32_t)used;
            if ((uint32_t)used < len) {
                if (tcp_insert(t, s, s->nxt, payload + used, len - (uint32_t)used) < 0)
                    return tcp_overflow(t, i);
                tcp_advance(t, s);
            }
        } else if (len > 0) {
            if (tcp_insert(t, s, seq, payload, len) < 0)
                return tcp_overflow(t, i);
            tcp_advance(t, s);
            if (tcp_deliver_held(t, i, f, ts_ns, cb, ctx) < 0)
                return -1;
        }
    }
    if (s->has_fin && (int32_t)(s->nxt - s->fin_seq) >= 0) {
        tcp_free_stream(t, i);
        t->st.streams_closed++;
    }
    return 0;
}
