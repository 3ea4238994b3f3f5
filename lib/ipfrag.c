/* ipfrag.c: IPv4 and IPv6 fragment reassembly (contract in ipfrag.h).
 *
 * Memory, all allocated by td_ipfrag_init():
 *   - one slot per datagram in progress (max_datagrams), chained in a hash table and in an
 *     age list (creation order: the head is the oldest, used for expiry and eviction), the
 *     links kept by an index table (index_table.h) indexed like the slots;
 *   - a pool of FRAG_CHUNK-octet chunks, max_bytes / FRAG_CHUNK of them. A slot maps the
 *     datagram's offsets to chunks through a table of 64 chunk numbers (65536 / 1024);
 *     a chunk holds a bitmap of the 8-octet blocks received in it;
 *   - one output buffer of 65535 octets for the completed datagram.
 * So the data held never exceeds max_bytes, and nothing is allocated per fragment.
 *
 * Rules (all offsets are of the L4 data, in octets):
 *   - offset must be a multiple of 8; a fragment with more-fragments set must have a
 *     length that is a non-zero multiple of 8; offset + length <= 65535; the captured data
 *     must be complete (no TD_FF_IP_TRUNC, payload_len >= ip_payload_len). Otherwise the fragment alone is dropped
 *     (invalid) and the datagram keeps what it had.
 *   - the last fragment (no more-fragments) fixes the total length. A second last fragment
 *     with another end, a fragment past the total, or a last fragment ending before data
 *     already held drops the whole datagram (counted once as invalid).
 *   - bytes already held that a new fragment overlaps must be identical, else the whole
 *     datagram is dropped (overlap_conflict).
 *   - a datagram expires once now >= first fragment time + timeout_ns (timeouts); when no
 *     slot or no chunk is free, the oldest other datagram is evicted (evicted).
 *   - a fragment with offset 0 and no more-fragments (an IPv6 atomic fragment) that matches
 *     no datagram in progress is returned as is (*out points into `frame`). */
#include "ipfrag.h"
#include "index_table.h"

#include <stdlib.h>
#include <string.h>

#define FRAG_CHUNK 1024u
#define FRAG_BLOCKS_PER_CHUNK (FRAG_CHUNK / 8u)
#define FRAG_MAX_LEN 65535u
#define FRAG_CHUNKS_PER_DGRAM ((FRAG_MAX_LEN + FRAG_CHUNK) / FRAG_CHUNK)
#define FRAG_NIL TD_ITAB_NIL

struct frag_key {
    uint8_t ver, proto, pad[2];
    uint32_t id;
    uint8_t src[16], dst[16];
};

struct frag_slot {
    struct frag_key key;
    uint64_t first_ns;
    uint32_t total;        /* datagram length, valid when has_last */
    uint32_t have;         /* octets received */
    uint32_t maxend;       /* highest offset + length received */
    uint8_t has_last;
    uint32_t chunk[FRAG_CHUNKS_PER_DGRAM];  /* FRAG_NIL when absent */
};

struct td_ipfrag {
    struct td_ipfrag_opts o;
    struct td_ipfrag_stats st;
    struct frag_slot *slots;
    struct td_itab tab;          /* links of slots[i] */
    uint32_t nslots, seed;
    uint8_t *pool;               /* nchunks * FRAG_CHUNK */
    uint64_t *bits;              /* 2 words per chunk */
    uint32_t *chunk_next;        /* free list */
    uint32_t nchunks, free_chunk, chunks_free;
    uint8_t out[FRAG_MAX_LEN];
};

static inline uint32_t
frag_hash(const struct td_ipfrag *t, const struct frag_key *k)
{
    return td_itab_hash_bytes(k, sizeof(*k), t->seed);
}

struct td_ipfrag *
td_ipfrag_init(const struct td_ipfrag_opts *opts)
{
    struct td_ipfrag_opts o = { 4096, 16u << 20, 30ull * 1000000000ull };
    if (opts) {
        if (opts->max_datagrams)
            o.max_datagrams = opts->max_datagrams;
        if (opts->max_bytes)
            o.max_bytes = opts->max_bytes;
        if (opts->timeout_ns)
            o.timeout_ns = opts->timeout_ns;
    }
    if (o.max_datagrams > (1u << 24) || o.max_bytes < FRAG_CHUNK ||
        o.max_bytes / FRAG_CHUNK > (1u << 24))
        return NULL;
    struct td_ipfrag *t = calloc(1, sizeof(*t));
    if (!t)
        return NULL;
    t->o = o;
    t->nslots = (uint32_t)o.max_datagrams;
    t->nchunks = (uint32_t)(o.max_bytes / FRAG_CHUNK);
    t->slots = calloc(t->nslots, sizeof(*t->slots));
    t->pool = malloc((size_t)t->nchunks * FRAG_CHUNK);
    t->bits = calloc((size_t)t->nchunks * 2, sizeof(*t->bits));
    t->chunk_next = malloc((size_t)t->nchunks * sizeof(*t->chunk_next));
    if (!t->slots || !t->pool || !t->bits || !t->chunk_next ||
        td_itab_init(&t->tab, t->nslots, t->nslots) < 0) {
        td_ipfrag_destroy(&t);
        return NULL;
    }
    for (uint32_t i = 0; i < t->nchunks; i++)
        t->chunk_next[i] = i + 1 < t->nchunks ? i + 1 : FRAG_NIL;
    t->free_chunk = 0;
    t->chunks_free = t->nchunks;
    t->seed = td_itab_seed(t);
    return t;
}

void
td_ipfrag_destroy(struct td_ipfrag **tp)
{
    if (!tp || !*tp)
        return;
    struct td_ipfrag *t = *tp;
    free(t->slots);
    td_itab_destroy(&t->tab);
    free(t->pool);
    free(t->bits);
    free(t->chunk_next);
    free(t);
    *tp = NULL;
}

const struct td_ipfrag_stats *
td_ipfrag_stats(const struct td_ipfrag *t)
{
    return &t->st;
}

/* Unlinks slot i from the hash table and the age list, returns its chunks and the slot. */
static void
frag_free(struct td_ipfrag *t, uint32_t i)
{
    struct frag_slot *s = &t->slots[i];
    td_itab_remove(&t->tab, i);
    for (uint32_t c = 0; c < FRAG_CHUNKS_PER_DGRAM; c++) {
        if (s->chunk[c] != FRAG_NIL) {
            t->chunk_next[s->chunk[c]] = t->free_chunk;
            t->free_chunk = s->chunk[c];
            t->chunks_free++;
        }
    }
    t->st.bytes_held -= s->have;
    t->st.in_progress--;
}

/* Evicts the oldest datagram other than `keep`; returns 0 if there is none. */
static int
frag_evict_one(struct td_ipfrag *t, uint32_t keep)
{
    uint32_t i = td_itab_oldest(&t->tab);
    if (i == keep && i != FRAG_NIL)
        i = td_itab_younger(&t->tab, i);
    if (i == FRAG_NIL)
        return 0;
    frag_free(t, i);
    t->st.evicted++;
    return 1;
}

void
td_ipfrag_expire(struct td_ipfrag *t, uint64_t now_ns)
{
    uint32_t i;
    while ((i = td_itab_oldest(&t->tab)) != FRAG_NIL) {
        const struct frag_slot *s = &t->slots[i];
        if (now_ns < s->first_ns || now_ns - s->first_ns < t->o.timeout_ns)
            break;
        frag_free(t, i);
        t->st.timeouts++;
    }
}

static uint32_t
frag_lookup(const struct td_ipfrag *t, const struct frag_key *k)
{
    uint32_t i = td_itab_first(&t->tab, frag_hash(t, k));
    while (i != FRAG_NIL && memcmp(&t->slots[i].key, k, sizeof(*k)) != 0)
        i = td_itab_next(&t->tab, i);
    return i;
}

static uint32_t
frag_new(struct td_ipfrag *t, const struct frag_key *k, uint64_t ts_ns)
{
    if (td_itab_full(&t->tab))
        frag_evict_one(t, FRAG_NIL);
    uint32_t i = td_itab_insert(&t->tab, frag_hash(t, k));
    if (i == FRAG_NIL)
        return FRAG_NIL;
    struct frag_slot *s = &t->slots[i];
    memset(s, 0, sizeof(*s));
    s->key = *k;
    s->first_ns = ts_ns;
    for (uint32_t c = 0; c < FRAG_CHUNKS_PER_DGRAM; c++)
        s->chunk[c] = FRAG_NIL;
    t->st.in_progress++;
    return i;
}

static inline int
bit_get(const struct td_ipfrag *t, uint32_t chunk, uint32_t blk)
{
    return (int)((t->bits[chunk * 2 + blk / 64] >> (blk % 64)) & 1u);
}

/* Returns 1 if every held byte that [off, end) overlaps equals the new data. */
static int
frag_same_overlap(const struct td_ipfrag *t, const struct frag_slot *s, uint32_t off,
                  uint32_t end, const uint8_t *data)
{
    for (uint32_t b = off / 8; b * 8 < end; b++) {
        uint32_t pos = b * 8, c = pos / FRAG_CHUNK;
        if (s->chunk[c] == FRAG_NIL) {
            b = (c + 1) * FRAG_BLOCKS_PER_CHUNK - 1;   /* skip the absent chunk */
            continue;
        }
        if (!bit_get(t, s->chunk[c], b % FRAG_BLOCKS_PER_CHUNK))
            continue;
        uint32_t n = end - pos < 8 ? end - pos : 8;
        if (memcmp(t->pool + (size_t)s->chunk[c] * FRAG_CHUNK + pos % FRAG_CHUNK,
                   data + (pos - off), n) != 0)
            return 0;
    }
    return 1;
}

/* Drops datagram i for a reason counted by the caller. */
static int
frag_drop(struct td_ipfrag *t, uint32_t i, uint64_t *counter)
{
    frag_free(t, i);
    (*counter)++;
    return -1;
}

int
td_ipfrag_add(struct td_ipfrag *t, uint64_t ts_ns, const struct td_frame *f,
              const uint8_t *frame, const uint8_t **out, size_t *out_len)
{
    *out = NULL;
    *out_len = 0;
    t->st.fragments++;
    td_ipfrag_expire(t, ts_ns);

    uint32_t off = f->frag_off, len = f->ip_payload_len, end = off + len;
    int more = (f->flags & TD_FF_MORE_FRAGS) != 0;
    if ((f->flags & TD_FF_IP_TRUNC) || f->payload_len < len || (f->ip_version != 4 && f->ip_version != 6) ||
        off % 8 != 0 || end > FRAG_MAX_LEN || (more && (len == 0 || len % 8 != 0))) {
        t->st.invalid++;
        return -1;
    }
    const uint8_t *data = frame + f->l4_off;

    struct frag_key k;
    memset(&k, 0, sizeof(k));
    k.ver = f->ip_version;
    k.proto = f->l4_proto;
    k.id = f->frag_id;
    memcpy(k.src, f->src, f->ip_version == 4 ? 4 : 16);
    memcpy(k.dst, f->dst, f->ip_version == 4 ? 4 : 16);

    uint32_t i = frag_lookup(t, &k);
    if (i == FRAG_NIL) {
        if (!more && off == 0) {         /* complete in itself */
            t->st.reassembled++;
            *out = data;
            *out_len = len;
            return 1;
        }
        i = frag_new(t, &k, ts_ns);
        if (i == FRAG_NIL) {             /* only when max_datagrams is 0: not reachable */
            t->st.evicted++;
            return -1;
        }
    }
    struct frag_slot *s = &t->slots[i];

    /* Length consistency. */
    if (!more) {
        if ((s->has_last && s->total != end) || s->maxend > end)
            return frag_drop(t, i, &t->st.invalid);
        s->has_last = 1;
        s->total = end;
    } else if (s->has_last && end > s->total) {
        return frag_drop(t, i, &t->st.invalid);
    }
    if (!frag_same_overlap(t, s, off, end, data))
        return frag_drop(t, i, &t->st.overlap_conflict);

    /* Chunks for the new range; evict older datagrams if the pool is short. */
    uint32_t need = 0;
    if (len > 0) {
        for (uint32_t c = off / FRAG_CHUNK; c <= (end - 1) / FRAG_CHUNK; c++)
            need += s->chunk[c] == FRAG_NIL;
    }
    while (t->chunks_free < need) {
        if (!frag_evict_one(t, i))
            return frag_drop(t, i, &t->st.evicted);
    }
    for (uint32_t pos = off; pos < end;) {
        uint32_t c = pos / FRAG_CHUNK, cend = (c + 1) * FRAG_CHUNK;
        if (cend > end)
            cend = end;
        if (s->chunk[c] == FRAG_NIL) {
            uint32_t n = t->free_chunk;
            t->free_chunk = t->chunk_next[n];
            t->chunks_free--;
            t->bits[n * 2] = t->bits[n * 2 + 1] = 0;
            s->chunk[c] = n;
        }
        uint32_t ch = s->chunk[c];
        /* Identical overlaps were verified above, so copying over them changes nothing. */
        memcpy(t->pool + (size_t)ch * FRAG_CHUNK + pos % FRAG_CHUNK, data + (pos - off),
               cend - pos);
        for (uint32_t b = pos; b < cend; b += 8) {
            uint32_t blk = (b % FRAG_CHUNK) / 8;
            if (!bit_get(t, ch, blk)) {
                t->bits[ch * 2 + blk / 64] |= 1ull << (blk % 64);
                uint32_t n = cend - b < 8 ? cend - b : 8;
                s->have += n;
                t->st.bytes_held += n;
            }
        }
        pos = cend;
    }
    if (end > s->maxend)
        s->maxend = end;

    if (!s->has_last || s->have != s->total)
        return 0;
    for (uint32_t pos = 0; pos < s->total; pos += FRAG_CHUNK) {
        uint32_t n = s->total - pos < FRAG_CHUNK ? s->total - pos : FRAG_CHUNK;
        memcpy(t->out + pos, t->pool + (size_t)s->chunk[pos / FRAG_CHUNK] * FRAG_CHUNK, n);
    }
    *out = t->out;
    *out_len = s->total;
    frag_free(t, i);
    t->st.reassembled++;
    return 1;
}
