/* ipfrag.c: IPv4 and IPv6 fragment reassembly (contract in ipfrag.h).
 *
 * Memory, all allocated by td_ipfrag_init():
 *   - one slot per datagram in progress (max_datagrams), chained in a hash table and in an
 *     age list (creation order: the head is the oldest, used for expiry and eviction);
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

#include <stdlib.h>
#include <string.h>
#include <time.h>

#define FRAG_CHUNK 1024u
#define FRAG_BLOCKS_PER_CHUNK (FRAG_CHUNK / 8u)
#define FRAG_MAX_LEN 65535u
#define FRAG_CHUNKS_PER_DGRAM ((FRAG_MAX_LEN + FRAG_CHUNK) / FRAG_CHUNK)
#define FRAG_NIL UINT32_MAX

struct frag_key {
    uint8_t ver, proto, pad[2];
    uint32_t id;
    uint8_t src[16], dst[16];
};

struct frag_slot {
    struct frag_key key;
    uint64_t first_ns;
    uint32_t hnext;        /* hash chain */
    uint32_t prev, next;   /* age list; next also links the free list */
    uint32_t total;        /* datagram length, valid when has_last */
    uint32_t have;         /* octets received */
    uint32_t maxend;       /* highest offset + length received */
    uint8_t has_last, in_use;
    uint32_t chunk[FRAG_CHUNKS_PER_DGRAM];  /* FRAG_NIL when absent */
};

struct td_ipfrag {
    struct td_ipfrag_opts o;
    struct td_ipfrag_stats st;
    struct frag_slot *slots;
    uint32_t nslots, free_slot, oldest, youngest;
    uint32_t *buckets, bmask, seed;
    uint8_t *pool;               /* nchunks * FRAG_CHUNK */
    uint64_t *bits;              /* 2 words per chunk */
    uint32_t *chunk_next;        /* free list */
    uint32_t nchunks, free_chunk, chunks_free;
    uint8_t out[FRAG_MAX_LEN];
};

static uint32_t
frag_hash(const struct td_ipfrag *t, const struct frag_key *k)
{
    const uint8_t *p = (const uint8_t *)k;
    uint32_t h = 2166136261u ^ t->seed;
    for (size_t i = 0; i < sizeof(*k); i++) {
        h ^= p[i];
        h *= 16777619u;
    }
    h ^= h >> 15;
    h *= 0x2c1b3c6du;
    h ^= h >> 12;
    return h & t->bmask;
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
    uint32_t nb = 1;
    while (nb < t->nslots)
        nb <<= 1;
    t->bmask = nb - 1;
    t->slots = calloc(t->nslots, sizeof(*t->slots));
    t->buckets = malloc((size_t)nb * sizeof(*t->buckets));
    t->pool = malloc((size_t)t->nchunks * FRAG_CHUNK);
    t->bits = calloc((size_t)t->nchunks * 2, sizeof(*t->bits));
    t->chunk_next = malloc((size_t)t->nchunks * sizeof(*t->chunk_next));
    if (!t->slots || !t->buckets || !t->pool || !t->bits || !t->chunk_next) {
        td_ipfrag_destroy(&t);
        return NULL;
    }
    for (uint32_t i = 0; i < nb; i++)
        t->buckets[i] = FRAG_NIL;
    for (uint32_t i = 0; i < t->nslots; i++)
        t->slots[i].next = i + 1 < t->nslots ? i + 1 : FRAG_NIL;
    for (uint32_t i = 0; i < t->nchunks; i++)
        t->chunk_next[i] = i + 1 < t->nchunks ? i + 1 : FRAG_NIL;
    t->free_slot = 0;
    t->free_chunk = 0;
    t->chunks_free = t->nchunks;
    t->oldest = t->youngest = FRAG_NIL;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    t->seed = (uint32_t)ts.tv_nsec ^ (uint32_t)(uintptr_t)t;
    return t;
}

void
td_ipfrag_destroy(struct td_ipfrag **tp)
{
    if (!tp || !*tp)
        return;
    struct td_ipfrag *t = *tp;
    free(t->slots);
    free(t->buckets);
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
    uint32_t *pp = &t->buckets[frag_hash(t, &s->key)];
    while (*pp != FRAG_NIL && *pp != i)
        pp = &t->slots[*pp].hnext;
    if (*pp == i)
        *pp = s->hnext;
    if (s->prev != FRAG_NIL)
        t->slots[s->prev].next = s->next;
    else
        t->oldest = s->next;
    if (s->next != FRAG_NIL)
        t->slots[s->next].prev = s->prev;
    else
        t->youngest = s->prev;
    for (uint32_t c = 0; c < FRAG_CHUNKS_PER_DGRAM; c++) {
        if (s->chunk[c] != FRAG_NIL) {
            t->chunk_next[s->chunk[c]] = t->free_chunk;
            t->free_chunk = s->chunk[c];
            t->chunks_free++;
        }
    }
    t->st.bytes_held -= s->have;
    t->st.in_progress--;
    s->in_use = 0;
    s->next = t->free_slot;
    t->free_slot = i;
}

/* Evicts the oldest datagram other than `keep`; returns 0 if there is none. */
static int
frag_evict_one(struct td_ipfrag *t, uint32_t keep)
{
    uint32_t i = t->oldest;
    if (i == keep && i != FRAG_NIL)
        i = t->slots[i].next;
    if (i == FRAG_NIL)
        return 0;
    frag_free(t, i);
    t->st.evicted++;
    return 1;
}

void
td_ipfrag_expire(struct td_ipfrag *t, uint64_t now_ns)
{
    while (t->oldest != FRAG_NIL) {
        const struct frag_slot *s = &t->slots[t->oldest];
        if (now_ns < s->first_ns || now_ns - s->first_ns < t->o.timeout_ns)
            break;
        frag_free(t, t->oldest);
        t->st.timeouts++;
    }
}

static uint32_t
frag_lookup(const struct td_ipfrag *t, const struct frag_key *k)
{
    uint32_t i = t->buckets[frag_hash(t, k)];
    while (i != FRAG_NIL && memcmp(&t->slots[i].key, k, sizeof(*k)) != 0)
        i = t->slots[i].hnext;
    return i;
}

static uint32_t
frag_new(struct td_ipfrag *t, const struct frag_key *k, uint64_t ts_ns)
{
    if (t->free_slot == FRAG_NIL)
        frag_evict_one(t, FRAG_NIL);
    uint32_t i = t->free_slot;
    if (i == FRAG_NIL)
        return FRAG_NIL;
    struct frag_slot *s = &t->slots[i];
    t->free_slot = s->next;
    memset(s, 0, sizeof(*s));
    s->key = *k;
    s->first_ns = ts_ns;
    s->in_use = 1;
    for (uint32_t c = 0; c < FRAG_CHUNKS_PER_DGRAM; c++)
        s->chunk[c] = FRAG_NIL;
    uint32_t b = frag_hash(t, k);
    s->hnext = t->buckets[b];
    t->buckets[b] = i;
    s->next = FRAG_NIL;
    s->prev = t->youngest;
    if (t->youngest != FRAG_NIL)
        t->slots[t->youngest].next = i;
    else
        t->oldest = i;
    t->youngest = i;
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
