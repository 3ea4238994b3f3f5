/* bailiwick.c: bailiwick verification state and checks (contract: batch/bailiwick.h).
 *
 * FACTS. One bounded pool of entries of three kinds:
 *   NS    (zone, host) -> expiry    learned from accepted NS RRsets (owner = zone)
 *   ADDR  (host, addr) -> expiry    learned from accepted A/AAAA RRsets (owner = host)
 *   LIVE  (zone, addr) -> expiry    derived: addr is a server of zone until expiry; the index
 *                                   that makes "is S a live server of z" one hash lookup.
 * Names are uncompressed wire names, lowercased; addr is 16 octets plus the family (4 or 6;
 * IPv4 in the first 4 octets). A fact is live at time t when t < expiry. Pinned facts (root
 * hints) have expiry UINT64_MAX: they never expire, are never evicted, never replaced and
 * never saved.
 *
 * NAME FILTER. A bit array (16 bits per hash bucket) with one bit set for each name that is
 * the zone of an NS or LIVE entry (chain hash CH_ZONE) or the host of an NS or ADDR entry
 * (chain hash CH_HOST), set when the entry is made; bits are only cleared by a rebuild from the
 * entries held (when the buckets double, or after 2 names per bucket were added). A clear bit
 * proves there is no such entry: live_server() then answers 0 and learn_addr() returns at
 * once, with no lookup (the usual case for names that are not zones and hosts that are not
 * name servers) -- exactly what the lookups would have found.
 *
 * INDEXES. Every entry is in the key index by its whole key (XXH3_64bits over kind, family,
 * address and lowercased names): open addressing, linear probing, load <= 1/2, slots of
 * (low 32 bits of the hash, entry), so a probe touches an entry only when those bits match;
 * removal shifts later slots back (no tombstones). NS and ADDR entries are also on a chain by
 * host (the reverse index host -> zones naming it, and host -> its addresses); NS entries are
 * also on a chain by zone. Chains are doubly linked, so removal is O(1). The non-pinned entries sit in a binary
 * min-heap by expiry: the top is the next to expire and the one evicted when the pool is full.
 *
 * MAINTENANCE OF LIVE. Learning NS (z, h) adds LIVE (z, a) for every live address a of h;
 * learning ADDR (h, a) adds LIVE (z, a) for every zone z whose live NS set names h. Each such
 * propagation handles at most BW_FANOUT_MAX partners (a host named by thousands of zones
 * would otherwise cost thousands of updates per glue record); a LIVE entry missing for that
 * or any other reason is rebuilt on lookup from the NS and ADDR facts (slow path: one lookup
 * per NS host of the zone). A LIVE entry's expiry is the largest min(NS expiry, ADDR expiry)
 * seen for it; it stays valid when the facts it came from are evicted (they were accepted).
 * Re-learning an NS or ADDR fact replaces its expiry (now + min(TTL, max_ttl)).
 *
 * MEMORY. max_entries counts entries of all kinds (pinned included). Per entry: a fixed
 * struct (128 octets, names of up to 32 octets inside) plus, for longer names, one malloc
 * when a new fact is created, freed when it goes (never per response for facts already known), plus 12 octets of hash heads per
 * possible entry (bucket arrays sized once at init, at most 2^24 heads per chain).
 * Entries whose time has passed are dropped at the start of each td_bw_verify (expired).
 *
 * STATE FILE FORMAT, version 1 (integers little-endian):
 *   header   magic "TDBAILIW" (8 octets), version u32 = 1, flags u32 = 0, count u64
 *   count entries, each:
 *            kind u8 (1 NS, 2 ADDR, 3 LIVE), family u8 (0 for NS, else 4 or 6),
 *            len1 u8, len2 u8 (name lengths; len2 = 0 unless NS), expiry u64 (seconds),
 *            addr 16 octets (only for ADDR and LIVE), name1 (zone for NS/LIVE, host for ADDR),
 *            name2 (host, NS only)
 *   trailer  XXH3_64bits of every octet before it, u64
 * Pinned facts are not written (the hints are loaded again each run). Load checks magic,
 * version, checksum and every entry before it changes anything; expired facts are kept (load
 * has no clock) and go at the next verify. */
#include "bailiwick.h"
#include "readfile.h"
#include "errf.h"
#include "byteorder.h"
#include "durable.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#define NIL UINT32_MAX
#define PINNED UINT64_MAX
#define BW_FANOUT_MAX 64
#define BW_BUCKETS_MAX (1u << 24)

#define T_A 1
#define T_NS 2
#define T_AAAA 28
#define C_IN 1

enum { K_FREE = 0, K_NS = 1, K_ADDR = 2, K_LIVE = 3 };
enum { CH_KEY = 0, CH_HOST = 1, CH_ZONE = 2, CH_N = 3 };
enum { UP_REPLACE, UP_MAX };

/* What ent_find reads comes first; names of up to BW_INLINE octets together live in the
 * entry (one cache miss less per lookup, no malloc), longer ones in one malloc. 128 octets. */
#define BW_INLINE 32
struct bw_ent {
    uint64_t hash;                    /* key hash (CH_KEY) */
    uint64_t expiry;
    uint32_t next[CH_N];              /* NIL where the entry is not on that chain */
    uint8_t kind, fam, len1, len2;
    uint8_t addr[16];
    uint8_t inl[BW_INLINE];           /* name1 then name2 when len1 + len2 <= BW_INLINE */
    uint8_t *names;                   /* name1 then name2 when longer; else NULL */
    uint64_t heap_key;                /* expiry the heap orders it by: <= expiry (lazy heap) */
    uint32_t prev[CH_N], bkt[CH_N];
    uint32_t heap;                    /* position in the heap; NIL if pinned or free */
};
_Static_assert(sizeof(struct bw_ent) == 128, "two cache lines");

struct td_bw {
    struct td_bw_opts o;
    struct bw_ent *e;
    uint32_t ecap, eused, free_head, count, max;
    uint32_t *bucket[CH_N];           /* [CH_KEY] NULL: the key index is kidx */
    uint32_t mask;
    struct kslot { uint32_t tag, idx; } *kidx; /* idx NIL = empty; tag = (uint32_t)hash */
    uint32_t kmask;
    uint64_t *zbits;                  /* name filter (see zb_rebuild); NULL = off */
    uint64_t zb_mask;                 /* bits - 1 */
    uint64_t zb_ins;                  /* names added since the last rebuild */
    uint32_t *heap;
    uint32_t hn;
    int oom;                          /* set when an allocation failed */
    struct td_bw_stats st;
};

/* ---- small helpers ---------------------------------------------------------------------- */

/* 1 if name[0..len) is exactly one wire name (labels <= 63, ends with the root label). */
static int name_valid(const uint8_t *name, size_t len)
{
    if (len == 0 || len > TD_DNS_NAME_MAX)
        return 0;
    size_t off = 0;
    while (off < len) {
        uint8_t l = name[off];
        if (l == 0)
            return off + 1 == len;
        if (l > 63)
            return 0;
        off += (size_t)l + 1;
    }
    return 0;
}

static uint64_t min64(uint64_t a, uint64_t b) { return a < b ? a : b; }

static uint64_t key_hash(uint8_t kind, uint8_t fam, const uint8_t *addr, const uint8_t *n1,
                         size_t l1, const uint8_t *n2, size_t l2)
{
    uint8_t k[2 + 16 + 2 * TD_DNS_NAME_MAX];
    size_t n = 0;
    k[n++] = kind;
    k[n++] = fam;
    if (kind != K_NS) {
        memcpy(k + n, addr, 16);
        n += 16;
    }
    memcpy(k + n, n1, l1);
    n += l1;
    if (l2) {
        memcpy(k + n, n2, l2);
        n += l2;
    }
    return XXH3_64bits(k, n);
}

static uint64_t chain_hash(int ch, const uint8_t *name, size_t len)
{
    return XXH3_64bits_withSeed(name, len, (uint64_t)ch);
}

/* 0 only if no entry has this name in the role the chain hash h stands for (name filter). */
static int zb_maybe(const struct td_bw *b, uint64_t h)
{
    if (!b->zbits)
        return 1;
    uint64_t bit = (h >> 32) & b->zb_mask;
    return (int)((b->zbits[bit >> 6] >> (bit & 63)) & 1);
}

static void zb_set(struct td_bw *b, uint64_t h)
{
    if (!b->zbits)
        return;
    uint64_t bit = (h >> 32) & b->zb_mask;
    b->zbits[bit >> 6] |= (uint64_t)1 << (bit & 63);
    b->zb_ins++;
}

static const uint8_t *n1(const struct bw_ent *e)
{
    return (size_t)e->len1 + e->len2 <= BW_INLINE ? e->inl : e->names;
}
static const uint8_t *n2(const struct bw_ent *e) { return n1(e) + e->len1; }

/* ---- chains ----------------------------------------------------------------------------- */

static void chain_link(struct td_bw *b, uint32_t i, int ch, uint64_t h)
{
    struct bw_ent *e = &b->e[i];
    uint32_t bk = (uint32_t)(h & b->mask);
    e->bkt[ch] = bk;
    e->prev[ch] = NIL;
    e->next[ch] = b->bucket[ch][bk];
    if (e->next[ch] != NIL)
        b->e[e->next[ch]].prev[ch] = i;
    b->bucket[ch][bk] = i;
}

static void chain_unlink(struct td_bw *b, uint32_t i, int ch)
{
    struct bw_ent *e = &b->e[i];
    if (e->bkt[ch] == NIL)
        return;
    if (e->prev[ch] != NIL)
        b->e[e->prev[ch]].next[ch] = e->next[ch];
    else
        b->bucket[ch][e->bkt[ch]] = e->next[ch];
    if (e->next[ch] != NIL)
        b->e[e->next[ch]].prev[ch] = e->prev[ch];
    e->bkt[ch] = e->next[ch] = e->prev[ch] = NIL;
}

/* ---- heap (non-pinned entries by expiry) --------------------------------------------------
 * Lazy: an entry is ordered by heap_key, which may lag behind a later (extended) expiry, so
 * the frequent refresh of a known fact costs no sifting. heap_settle() brings the top's key up
 * to date before anyone reads the top; a shortened expiry is sifted up at once. */

static void heap_set(struct td_bw *b, uint32_t pos, uint32_t i)
{
    b->heap[pos] = i;
    b->e[i].heap = pos;
}

static void heap_up(struct td_bw *b, uint32_t pos)
{
    uint32_t i = b->heap[pos];
    uint64_t x = b->e[i].heap_key;
    while (pos > 0) {
        uint32_t parent = (pos - 1) / 2;
        if (b->e[b->heap[parent]].heap_key <= x)
            break;
        heap_set(b, pos, b->heap[parent]);
        pos = parent;
    }
    heap_set(b, pos, i);
}

static void heap_down(struct td_bw *b, uint32_t pos)
{
    uint32_t i = b->heap[pos];
    uint64_t x = b->e[i].heap_key;
    for (;;) {
        uint32_t c = 2 * pos + 1;
        if (c >= b->hn)
            break;
        if (c + 1 < b->hn && b->e[b->heap[c + 1]].heap_key < b->e[b->heap[c]].heap_key)
            c++;
        if (b->e[b->heap[c]].heap_key >= x)
            break;
        heap_set(b, pos, b->heap[c]);
        pos = c;
    }
    heap_set(b, pos, i);
}

static void heap_push(struct td_bw *b, uint32_t i)
{
    b->e[i].heap_key = b->e[i].expiry;
    b->heap[b->hn] = i;
    b->e[i].heap = b->hn;
    b->hn++;
    heap_up(b, b->hn - 1);
}

static void heap_remove(struct td_bw *b, uint32_t i)
{
    uint32_t pos = b->e[i].heap;
    if (pos == NIL)
        return;
    b->e[i].heap = NIL;
    b->hn--;
    if (pos == b->hn)
        return;
    heap_set(b, pos, b->heap[b->hn]);
    heap_up(b, pos);
    heap_down(b, b->e[b->heap[pos]].heap);
}

/* After e->expiry changed: a shorter one is sifted up now, a longer one waits (lazy). */
static void heap_fix(struct td_bw *b, uint32_t i)
{
    struct bw_ent *e = &b->e[i];
    if (e->expiry < e->heap_key) {
        e->heap_key = e->expiry;
        heap_up(b, e->heap);
    }
}

/* Makes the top's key exact, so heap[0] is the entry that really expires first. */
static void heap_settle(struct td_bw *b)
{
    while (b->hn > 0) {
        struct bw_ent *e = &b->e[b->heap[0]];
        if (e->heap_key == e->expiry)
            return;
        e->heap_key = e->expiry;
        heap_down(b, 0);
    }
}

/* ---- entries ---------------------------------------------------------------------------- */

/* ---- key index ---------------------------------------------------------------------------- */

/* Room for one more entry at load <= 1/2 (doubling); -1 when memory is short. */
static int kidx_reserve(struct td_bw *b)
{
    if (((uint64_t)b->count + 1) * 2 <= (uint64_t)b->kmask + 1)
        return 0;
    uint64_t ncap = ((uint64_t)b->kmask + 1) * 2;
    if (ncap > ((uint64_t)1 << 32))
        return -1;
    struct kslot *nk = malloc((size_t)ncap * sizeof *nk);
    if (!nk)
        return -1;
    for (uint64_t p = 0; p < ncap; p++)
        nk[p].idx = NIL;
    uint32_t nmask = (uint32_t)(ncap - 1);
    for (uint32_t p = 0; p <= b->kmask; p++) {
        if (b->kidx[p].idx == NIL)
            continue;
        uint32_t q = b->kidx[p].tag & nmask;
        while (nk[q].idx != NIL)
            q = (q + 1) & nmask;
        nk[q] = b->kidx[p];
    }
    free(b->kidx);
    b->kidx = nk;
    b->kmask = nmask;
    return 0;
}

/* Adds entry i (hash already set); kidx_reserve() made room. */
static void kidx_insert(struct td_bw *b, uint32_t i)
{
    uint32_t tag = (uint32_t)b->e[i].hash, p = tag & b->kmask;
    while (b->kidx[p].idx != NIL)
        p = (p + 1) & b->kmask;
    b->kidx[p].tag = tag;
    b->kidx[p].idx = i;
}

/* Removes entry i: later slots of its probe run move back into the hole when their home
 * position allows it. */
static void kidx_remove(struct td_bw *b, uint32_t i)
{
    uint32_t m = b->kmask, p = (uint32_t)b->e[i].hash & m;
    while (b->kidx[p].idx != i) {
        if (b->kidx[p].idx == NIL)
            return; /* not indexed (cannot happen for a live entry) */
        p = (p + 1) & m;
    }
    for (uint32_t j = p;;) {
        j = (j + 1) & m;
        if (b->kidx[j].idx == NIL)
            break;
        uint32_t home = b->kidx[j].tag & m;
        /* slot j may move to p unless its home lies cyclically in (p, j] */
        int stays = p <= j ? (home > p && home <= j) : (home > p || home <= j);
        if (stays)
            continue;
        b->kidx[p] = b->kidx[j];
        p = j;
    }
    b->kidx[p].idx = NIL;
}

static void ent_remove(struct td_bw *b, uint32_t i)
{
    struct bw_ent *e = &b->e[i];
    for (int ch = 0; ch < CH_N; ch++)
        chain_unlink(b, i, ch);
    heap_remove(b, i);
    kidx_remove(b, i);
    free(e->names);
    e->names = NULL;
    e->kind = K_FREE;
    e->next[CH_KEY] = b->free_head;
    b->free_head = i;
    b->count--;
    b->st.facts = b->count;
}

/* Drops every non-pinned entry whose expiry is <= now. */
static void sweep(struct td_bw *b, uint64_t now)
{
    /* heap keys are lower bounds of the expiries: a top key above now means nothing is due */
    while (b->hn > 0 && b->e[b->heap[0]].heap_key <= now) {
        struct bw_ent *e = &b->e[b->heap[0]];
        if (e->heap_key != e->expiry) { /* extended since: reorder it, look again */
            e->heap_key = e->expiry;
            heap_down(b, 0);
            continue;
        }
        ent_remove(b, b->heap[0]);
        b->st.facts_expired++;
    }
}

/* A free slot for a new entry expiring at `expiry`. When the pool is full the entry closest
 * to expiry goes: an expired one (counted expired), else the oldest-expiring non-pinned one
 * (counted evicted) -- unless that is the new entry itself (it would expire first), which
 * is then refused and counted evicted. NIL when refused, when the pool holds only pinned
 * entries, or when memory is short. */
static uint32_t ent_alloc(struct td_bw *b, uint64_t expiry, uint64_t now)
{
    if (b->count >= b->max) {
        heap_settle(b);
        if (b->hn == 0)
            return NIL;
        uint32_t v = b->heap[0];
        if (b->e[v].expiry > now && expiry != PINNED && expiry <= b->e[v].expiry) {
            b->st.facts_evicted++;
            return NIL;
        }
        if (b->e[v].expiry <= now)
            b->st.facts_expired++;
        else
            b->st.facts_evicted++;
        ent_remove(b, v);
    }
    uint32_t i;
    if (b->free_head != NIL) {
        i = b->free_head;
        b->free_head = b->e[i].next[CH_KEY];
    } else {
        if (b->eused == b->ecap) {
            uint64_t nc = b->ecap ? (uint64_t)b->ecap * 2 : 64;
            if (nc > b->max)
                nc = b->max;
            struct bw_ent *ne = realloc(b->e, (size_t)nc * sizeof *ne);
            if (!ne) {
                b->oom = 1;
                return NIL;
            }
            b->e = ne;
            uint32_t *nh = realloc(b->heap, (size_t)nc * sizeof *nh);
            if (!nh) {
                b->oom = 1;
                return NIL;
            }
            b->heap = nh;
            b->ecap = (uint32_t)nc;
        }
        i = b->eused++;
    }
    struct bw_ent *e = &b->e[i];
    memset(e, 0, sizeof *e);
    for (int ch = 0; ch < CH_N; ch++)
        e->next[ch] = e->prev[ch] = e->bkt[ch] = NIL;
    e->heap = NIL;
    b->count++;
    b->st.facts = b->count;
    return i;
}

/* Sets the filter bits of entry i's names. */
static void zb_add_entry(struct td_bw *b, const struct bw_ent *e)
{
    if (e->kind == K_NS) {
        zb_set(b, chain_hash(CH_ZONE, n1(e), e->len1));
        zb_set(b, chain_hash(CH_HOST, n2(e), e->len2));
    } else if (e->kind == K_ADDR) {
        zb_set(b, chain_hash(CH_HOST, n1(e), e->len1));
    } else if (e->kind == K_LIVE) {
        zb_set(b, chain_hash(CH_ZONE, n1(e), e->len1));
    }
}

/* The name filter made again from the entries held, sized to the buckets; without memory the
 * filter is off (every name may be there: the lookups decide). */
static void zb_rebuild(struct td_bw *b)
{
    uint64_t bits = (uint64_t)16 * ((uint64_t)b->mask + 1);
    free(b->zbits);
    b->zbits = calloc((size_t)(bits / 64), sizeof(uint64_t));
    b->zb_mask = bits - 1;
    b->zb_ins = 0;
    for (uint32_t i = 0; b->zbits && i < b->eused; i++)
        if (b->e[i].kind != K_FREE)
            zb_add_entry(b, &b->e[i]);
}

/* Doubles the bucket arrays of every chain and relinks the entries (load factor <= 1). */
static void maybe_rehash(struct td_bw *b)
{
    uint32_t nb = b->mask + 1;
    if (b->count <= nb || nb >= BW_BUCKETS_MAX)
        return;
    uint32_t *nbk[CH_N] = { NULL };
    for (int ch = CH_HOST; ch < CH_N; ch++) { /* CH_KEY: the key index instead */
        nbk[ch] = malloc((size_t)nb * 2 * sizeof(uint32_t));
        if (!nbk[ch]) { /* keep the old buckets: longer chains, still correct */
            for (int k = CH_HOST; k < ch; k++)
                free(nbk[k]);
            return;
        }
        memset(nbk[ch], 0xff, (size_t)nb * 2 * sizeof(uint32_t));
    }
    for (int ch = CH_HOST; ch < CH_N; ch++) {
        free(b->bucket[ch]);
        b->bucket[ch] = nbk[ch];
    }
    b->mask = nb * 2 - 1;
    for (uint32_t i = 0; i < b->eused; i++) {
        struct bw_ent *e = &b->e[i];
        if (e->kind == K_FREE)
            continue;
        int on[CH_N];
        for (int ch = 0; ch < CH_N; ch++)
            on[ch] = e->bkt[ch] != NIL;
        if (on[CH_HOST])
            chain_link(b, i, CH_HOST, e->kind == K_NS ? chain_hash(CH_HOST, n2(e), e->len2)
                                                      : chain_hash(CH_HOST, n1(e), e->len1));
        if (on[CH_ZONE])
            chain_link(b, i, CH_ZONE, chain_hash(CH_ZONE, n1(e), e->len1));
    }
    zb_rebuild(b);
}

static uint32_t ent_find(const struct td_bw *b, uint64_t h, uint8_t kind, uint8_t fam,
                         const uint8_t *addr, const uint8_t *a, size_t la, const uint8_t *c,
                         size_t lc)
{
    uint32_t tag = (uint32_t)h;
    for (uint32_t p = tag & b->kmask; b->kidx[p].idx != NIL; p = (p + 1) & b->kmask) {
        if (b->kidx[p].tag != tag)
            continue;
        uint32_t i = b->kidx[p].idx;
        const struct bw_ent *e = &b->e[i];
        if (e->hash != h || e->kind != kind || e->fam != fam || e->len1 != la || e->len2 != lc)
            continue;
        if (kind != K_NS && memcmp(e->addr, addr, 16) != 0)
            continue;
        if (memcmp(n1(e), a, la) != 0 || (lc && memcmp(n2(e), c, lc) != 0))
            continue;
        return i;
    }
    return NIL;
}

/* Adds or refreshes a fact. Names and addr must not point into the pool (an eviction could
 * free them). UP_REPLACE sets the new expiry, UP_MAX keeps the larger; a pinned entry stays
 * as it is; expiry PINNED pins. Returns the entry or NIL (pool full of pinned entries or
 * memory short). */
static uint32_t upsert_ex(struct td_bw *b, uint8_t kind, uint8_t fam, const uint8_t *addr,
                          const uint8_t *a, size_t la, const uint8_t *c, size_t lc,
                          uint64_t expiry, int mode, uint64_t now, int *existed)
{
    static const uint8_t zero[16];
    if (!addr)
        addr = zero;
    uint64_t h = key_hash(kind, fam, addr, a, la, c, lc);
    uint32_t i = ent_find(b, h, kind, fam, addr, a, la, c, lc);
    *existed = i != NIL;
    if (i != NIL) {
        struct bw_ent *e = &b->e[i];
        if (e->expiry == PINNED)
            return i;
        if (expiry == PINNED) {
            heap_remove(b, i);
            e->expiry = PINNED;
        } else if (mode == UP_REPLACE || expiry > e->expiry) {
            e->expiry = expiry;
            heap_fix(b, i);
        }
        return i;
    }
    if (kidx_reserve(b) != 0) {
        b->oom = 1;
        return NIL;
    }
    uint8_t *names = NULL;
    if (la + lc > BW_INLINE) {
        names = malloc(la + lc);
        if (!names) {
            b->oom = 1;
            return NIL;
        }
        memcpy(names, a, la);
        if (lc)
            memcpy(names + la, c, lc);
    }
    i = ent_alloc(b, expiry, now);
    if (i == NIL) {
        free(names);
        return NIL;
    }
    struct bw_ent *e = &b->e[i];
    e->kind = kind;
    e->fam = fam;
    e->len1 = (uint8_t)la;
    e->len2 = (uint8_t)lc;
    memcpy(e->addr, addr, 16);
    e->names = names;
    if (!names) {
        memcpy(e->inl, a, la);
        if (lc)
            memcpy(e->inl + la, c, lc);
    }
    e->hash = h;
    e->expiry = expiry;
    maybe_rehash(b); /* before linking the new entry (its chains are all NIL) */
    kidx_insert(b, i);
    if (b->zb_ins > 2 * ((uint64_t)b->mask + 1))
        zb_rebuild(b); /* stale bits of entries gone (the new one is added below) */
    if (kind == K_NS) {
        uint64_t hh = chain_hash(CH_HOST, c, lc), zh = chain_hash(CH_ZONE, a, la);
        chain_link(b, i, CH_HOST, hh);
        chain_link(b, i, CH_ZONE, zh);
        zb_set(b, hh);
        zb_set(b, zh);
    } else if (kind == K_ADDR) {
        uint64_t hh = chain_hash(CH_HOST, a, la);
        chain_link(b, i, CH_HOST, hh);
        zb_set(b, hh);
    } else {
        zb_set(b, chain_hash(CH_ZONE, a, la));
    }
    if (expiry != PINNED)
        heap_push(b, i);
    return i;
}

static uint32_t upsert(struct td_bw *b, uint8_t kind, uint8_t fam, const uint8_t *addr,
                       const uint8_t *a, size_t la, const uint8_t *c, size_t lc,
                       uint64_t expiry, int mode, uint64_t now)
{
    int existed;
    return upsert_ex(b, kind, fam, addr, a, la, c, lc, expiry, mode, now, &existed);
}

/* ---- learning --------------------------------------------------------------------------- */

struct addr_fact { uint64_t expiry; uint8_t fam, addr[16]; };
struct zone_fact { uint64_t expiry; uint8_t len, name[TD_DNS_NAME_MAX]; };

/* NS (zone, host): the fact, then LIVE (zone, a) for each live address a of host. */
static void learn_ns(struct td_bw *b, const uint8_t *zone, size_t zl, const uint8_t *host,
                     size_t hl, uint64_t expiry, uint64_t now)
{
    int existed;
    uint32_t i = upsert_ex(b, K_NS, 0, NULL, zone, zl, host, hl, expiry, UP_REPLACE, now, &existed);
    /* A known fact was only refreshed: its LIVE entries exist or are rebuilt on lookup
     * (live_server's slow path), so the fan-out is only for new facts. */
    if (i == NIL || existed)
        return;
    uint64_t ns_exp = b->e[i].expiry;
    struct addr_fact af[BW_FANOUT_MAX];
    int n = 0;
    uint64_t hh = chain_hash(CH_HOST, host, hl);
    for (uint32_t j = b->bucket[CH_HOST][hh & b->mask]; j != NIL && n < BW_FANOUT_MAX;
         j = b->e[j].next[CH_HOST]) {
        const struct bw_ent *e = &b->e[j];
        if (e->kind != K_ADDR || e->expiry <= now || e->len1 != hl || memcmp(n1(e), host, hl))
            continue;
        af[n].expiry = e->expiry;
        af[n].fam = e->fam;
        memcpy(af[n].addr, e->addr, 16);
        n++;
    }
    for (int k = 0; k < n; k++)
        upsert(b, K_LIVE, af[k].fam, af[k].addr, zone, zl, NULL, 0, min64(ns_exp, af[k].expiry),
               UP_MAX, now);
}

/* ADDR (host, a): the fact, then LIVE (z, a) for each zone z whose live NS set names host. */
/* *no_ns: set when no live NS names host (then nothing was changed); a caller passing it set
 * again (same host, same now, and no NS fact changed in between: the other records of one
 * A/AAAA set) skips that search. */
static void learn_addr(struct td_bw *b, const uint8_t *host, size_t hl, uint8_t fam,
                       const uint8_t *addr, uint64_t expiry, uint64_t now, int *no_ns)
{
    uint64_t hh = chain_hash(CH_HOST, host, hl);
    if (!zb_maybe(b, hh)) { /* no NS names host and it has no address fact */
        *no_ns = 1;
        return;
    }
    /* a known address is only refreshed (see learn_ns) */
    uint64_t kh = key_hash(K_ADDR, fam, addr, host, hl, NULL, 0);
    uint32_t known = ent_find(b, kh, K_ADDR, fam, addr, host, hl, NULL, 0);
    if (known != NIL) {
        struct bw_ent *e = &b->e[known];
        if (e->expiry != PINNED) {
            e->expiry = expiry;
            heap_fix(b, known);
        }
        return;
    }
    if (*no_ns)
        return;
    struct zone_fact zf[BW_FANOUT_MAX];
    int n = 0;
    for (uint32_t j = b->bucket[CH_HOST][hh & b->mask]; j != NIL && n < BW_FANOUT_MAX;
         j = b->e[j].next[CH_HOST]) {
        const struct bw_ent *e = &b->e[j];
        if (e->kind != K_NS || e->expiry <= now || e->len2 != hl || memcmp(n2(e), host, hl))
            continue;
        zf[n].expiry = e->expiry;
        zf[n].len = e->len1;
        memcpy(zf[n].name, n1(e), e->len1);
        n++;
    }
    /* Only name servers' addresses are facts: an address of a host no live NS names is not
     * kept (it would only fill the pool; web hosts outnumber name servers by far). */
    if (n == 0) {
        *no_ns = 1;
        return;
    }
    uint32_t i = upsert(b, K_ADDR, fam, addr, host, hl, NULL, 0, expiry, UP_REPLACE, now);
    if (i == NIL)
        return;
    uint64_t a_exp = b->e[i].expiry;
    for (int k = 0; k < n; k++)
        upsert(b, K_LIVE, fam, addr, zf[k].name, zf[k].len, NULL, 0, min64(a_exp, zf[k].expiry),
               UP_MAX, now);
}

/* 1 if (fam, addr) is a live server of zone at now. Fast path: the LIVE entry; slow path:
 * an NS host of zone with a live ADDR entry for addr (then the LIVE entry is rebuilt). */
static int live_server(struct td_bw *b, uint8_t fam, const uint8_t *addr, const uint8_t *zone,
                       size_t zl, uint64_t now)
{
    uint64_t zh = chain_hash(CH_ZONE, zone, zl);
    if (!zb_maybe(b, zh)) /* no NS or LIVE entry for this zone name */
        return 0;
    uint64_t h = key_hash(K_LIVE, fam, addr, zone, zl, NULL, 0);
    uint32_t i = ent_find(b, h, K_LIVE, fam, addr, zone, zl, NULL, 0);
    if (i != NIL) {
        if (b->e[i].expiry > now)
            return 1;
        ent_remove(b, i);
        b->st.facts_expired++;
    }
    uint64_t found = 0;
    for (uint32_t j = b->bucket[CH_ZONE][zh & b->mask]; j != NIL; j = b->e[j].next[CH_ZONE]) {
        const struct bw_ent *e = &b->e[j];
        if (e->expiry <= now || e->len1 != zl || memcmp(n1(e), zone, zl))
            continue;
        uint64_t ah = key_hash(K_ADDR, fam, addr, n2(e), e->len2, NULL, 0);
        uint32_t k = ent_find(b, ah, K_ADDR, fam, addr, n2(e), e->len2, NULL, 0);
        if (k != NIL && b->e[k].expiry > now) {
            found = min64(e->expiry, b->e[k].expiry);
            break;
        }
    }
    if (!found)
        return 0;
    upsert(b, K_LIVE, fam, addr, zone, zl, NULL, 0, found, UP_MAX, now);
    return 1;
}

/* ---- public: lifecycle ------------------------------------------------------------------ */

struct td_bw *td_bw_init(const struct td_bw_opts *opts)
{
    struct td_bw *b = calloc(1, sizeof *b);
    if (!b)
        return NULL;
    if (opts)
        b->o = *opts;
    if (!b->o.max_entries)
        b->o.max_entries = 1000000;
    if (!b->o.max_ttl)
        b->o.max_ttl = 7 * 86400;
    b->max = b->o.max_entries >= NIL ? NIL - 1 : (uint32_t)b->o.max_entries;
    /* buckets start small and double with the facts held (rehash), so the working set
     * follows the data, not max_entries */
    uint32_t nb = 1024;
    b->mask = nb - 1;
    b->free_head = NIL;
    for (int ch = CH_HOST; ch < CH_N; ch++) {
        b->bucket[ch] = malloc((size_t)nb * sizeof(uint32_t));
        if (!b->bucket[ch]) {
            td_bw_destroy(&b);
            return NULL;
        }
        memset(b->bucket[ch], 0xff, (size_t)nb * sizeof(uint32_t));
    }
    b->kidx = malloc(2 * (size_t)nb * sizeof *b->kidx);
    if (!b->kidx) {
        td_bw_destroy(&b);
        return NULL;
    }
    b->kmask = 2 * nb - 1;
    for (uint32_t p = 0; p <= b->kmask; p++)
        b->kidx[p].idx = NIL;
    zb_rebuild(b);
    return b;
}

void td_bw_destroy(struct td_bw **bp)
{
    if (!bp || !*bp)
        return;
    struct td_bw *b = *bp;
    for (uint32_t i = 0; i < b->eused; i++)
        free(b->e[i].names);
    free(b->e);
    free(b->heap);
    for (int ch = 0; ch < CH_N; ch++)
        free(b->bucket[ch]);
    free(b->kidx);
    free(b->zbits);
    free(b);
    *bp = NULL;
}

const struct td_bw_stats *td_bw_stats(const struct td_bw *b)
{
    return &b->st;
}

/* ---- public: response checks ------------------------------------------------------------ */

/* 1 if the query has a question and its first question is the same octets as the response's
 * (already parsed), a name without compression pointers: then td_dns_parse_question gives it
 * the same name, type and class. 0 means "compare the long way". */
static int same_question(const uint8_t *query, size_t qlen, const uint8_t *resp)
{
    if (qlen < TD_DNS_HEADER_LEN || td_get_be16(query + 4) == 0)
        return 0;
    size_t off = TD_DNS_HEADER_LEN;
    for (;;) {
        uint8_t c = resp[off];
        if (c & 0xC0)
            return 0;
        off += (size_t)c + 1;
        if (c == 0)
            break;
        if (off > TD_DNS_HEADER_LEN + TD_DNS_NAME_MAX)
            return 0;
    }
    off += 4; /* type, class: present in the parsed response */
    return qlen >= off &&
           memcmp(query + TD_DNS_HEADER_LEN, resp + TD_DNS_HEADER_LEN, off - TD_DNS_HEADER_LEN) == 0;
}

static enum td_discard_reason check_response(const struct td_record *rec)
{
    if (rec->type != TD_REC_MATCHED)
        return TD_DR_UNSOLICITED;
    if (rec->cksum == TD_CKSUM_INCORRECT)
        return TD_DR_CHECKSUM;
    struct td_dns_header h;
    struct td_dns_question q;
    if (!rec->response || td_dns_parse_header(rec->response, rec->response_len, &h) != TD_DNS_OK ||
        td_dns_parse_question(rec->response, rec->response_len, &q, NULL) != TD_DNS_OK)
        return TD_DR_MALFORMED;
    if (h.flags & TD_DNS_TC)
        return TD_DR_TRUNCATED;
    if (!(h.flags & TD_DNS_QR) || TD_DNS_OPCODE(h.flags) != 0)
        return TD_DR_MISMATCH;
    if (rec->query && same_question(rec->query, rec->query_len, rec->response)) {
        /* its question is octet for octet the response's: it parses as that one did */
        if (td_get_be16(rec->query) != h.id)
            return TD_DR_MISMATCH;
    } else if (rec->query) {
        /* a query kept by the matcher that does not parse cannot confirm the response */
        struct td_dns_header qh;
        struct td_dns_question qq;
        if (td_dns_parse_header(rec->query, rec->query_len, &qh) != TD_DNS_OK ||
            td_dns_parse_question(rec->query, rec->query_len, &qq, NULL) != TD_DNS_OK)
            return TD_DR_MISMATCH;
        if (qh.id != h.id || qq.qtype != q.qtype || qq.qclass != q.qclass ||
            !td_dns_name_equal_nocase(qq.name, qq.name_len, q.name, q.name_len))
            return TD_DR_MISMATCH;
    }
    uint8_t rc = TD_DNS_RCODE(h.flags);
    if (rc != 0 && rc != 3)
        return TD_DR_RCODE;
    if (q.qclass != C_IN)
        return TD_DR_CLASS;
    return TD_DR_NONE;
}

enum td_discard_reason td_bw_check_response(struct td_bw *b, const struct td_record *rec)
{
    enum td_discard_reason r = check_response(rec);
    if (b) {
        b->st.responses++;
        if (r != TD_DR_NONE)
            b->st.rejected[r]++;
    }
    return r;
}

/* ---- public: verification --------------------------------------------------------------- */

static void server_of(const struct td_record *rec, uint8_t *fam, uint8_t addr[16])
{
    memset(addr, 0, 16);
    if (rec->ip_version == 6) {
        *fam = 6;
        memcpy(addr, rec->server_ip, 16);
    } else {
        *fam = 4;
        memcpy(addr, rec->server_ip, 4);
    }
}

/* The RRsets of one response share their server and mostly their zones: live_server()
 * answers for the zones already asked during this verification (before any learning) are
 * remembered, so each zone costs one table lookup per response. */
#define MEMO_MAX 8
struct live_memo {
    int n;
    struct {
        uint8_t len, live;
        uint8_t name[TD_DNS_NAME_MAX];
    } e[MEMO_MAX];
};

static int memo_live(struct td_bw *b, struct live_memo *m, uint8_t fam, const uint8_t *addr,
                     const uint8_t *zone, size_t zl, uint64_t now)
{
    for (int i = 0; i < m->n; i++)
        if (m->e[i].len == zl && memcmp(m->e[i].name, zone, zl) == 0)
            return m->e[i].live;
    int live = live_server(b, fam, addr, zone, zl, now);
    int slot = m->n < MEMO_MAX ? m->n++ : (int)(zl % MEMO_MAX);
    m->e[slot].len = (uint8_t)zl;
    m->e[slot].live = (uint8_t)live;
    memcpy(m->e[slot].name, zone, zl);
    return live;
}

void td_bw_verify(struct td_bw *b, const struct td_record *rec, const struct td_rrset_buf *sets,
                  struct td_bw_verdict *v, uint64_t now_s)
{
    uint8_t fam, addr[16];
    server_of(rec, &fam, addr);
    sweep(b, now_s);
    uint8_t name[TD_DNS_NAME_MAX];
    struct live_memo memo;
    memo.n = 0;
    for (uint16_t k = 0; k < sets->nsets; k++) {
        const struct td_rrset *s = &sets->sets[k];
        struct td_bw_verdict *vk = &v[k];
        vk->accepted = 0;
        vk->reason = TD_DR_NONE;
        vk->zone_len = 0;
        if (s->rclass != C_IN) {
            vk->reason = TD_DR_CLASS;
            continue;
        }
        if (!name_valid(s->owner, s->owner_len)) {
            vk->reason = TD_DR_MALFORMED;
            continue;
        }
        td_dns_name_lower_copy(name, s->owner, s->owner_len);
        size_t off = 0;
        for (;;) {
            if (memo_live(b, &memo, fam, addr, name + off, s->owner_len - off, now_s)) {
                vk->accepted = 1;
                vk->zone_len = (uint16_t)(s->owner_len - off);
                memcpy(vk->zone, name + off, vk->zone_len);
                break;
            }
            if (name[off] == 0)
                break;
            off += (size_t)name[off] + 1;
        }
        if (vk->accepted) {
            b->st.rrsets_accepted++;
        } else {
            vk->reason = TD_DR_OUT_OF_BAILIWICK;
            b->st.rrsets_out_of_bailiwick++;
        }
    }
    /* learn from the accepted sets: every NS set first, so glue of the same message counts */
    uint8_t host[TD_DNS_NAME_MAX];
    for (int pass = 0; pass < 2; pass++) {
        for (uint16_t k = 0; k < sets->nsets; k++) {
            const struct td_rrset *s = &sets->sets[k];
            if (!v[k].accepted)
                continue;
            if (pass == 0 ? s->type != T_NS : (s->type != T_A && s->type != T_AAAA))
                continue;
            uint64_t exp = now_s + (s->ttl < b->o.max_ttl ? s->ttl : b->o.max_ttl);
            td_dns_name_lower_copy(name, s->owner, s->owner_len);
            int no_ns = 0;
            for (uint16_t r = 0; r < s->count; r++) {
                uint16_t len;
                const uint8_t *rd = td_rrset_rdata(sets, s, r, &len);
                if (s->type == T_NS) {
                    if (!name_valid(rd, len))
                        continue;
                    td_dns_name_lower_copy(host, rd, len);
                    learn_ns(b, name, s->owner_len, host, len, exp, now_s);
                } else {
                    uint8_t a[16] = { 0 };
                    if (len != (s->type == T_A ? 4 : 16))
                        continue;
                    memcpy(a, rd, len);
                    learn_addr(b, name, s->owner_len, s->type == T_A ? 4 : 6, a, exp, now_s, &no_ns);
                }
                b->st.facts_learned++;
            }
        }
    }
}

/* ---- public: root hints ------------------------------------------------------------------ */

#define HINT_HOSTS_MAX 64
#define HINT_ADDRS_MAX 256

struct hints {
    int nhosts, naddrs;
    struct { uint8_t len, name[TD_DNS_NAME_MAX]; } host[HINT_HOSTS_MAX];
    struct { uint8_t len, name[TD_DNS_NAME_MAX], fam, addr[16]; } addr[HINT_ADDRS_MAX];
};

static int is_number(const char *s)
{
    if (!*s)
        return 0;
    for (; *s; s++)
        if (!isdigit((unsigned char)*s))
            return 0;
    return 1;
}

/* One line (comment already cut); 0 ok or blank, -1 with msg. */
static int hints_line(struct hints *hs, char *line, uint8_t *prev, int *prev_len, const char **msg)
{
    char *tok[8];
    int nt = 0;
    int continued = (line[0] == ' ' || line[0] == '\t');
    for (char *p = strtok(line, " \t\r\n"); p; p = strtok(NULL, " \t\r\n")) {
        if (nt == 8) {
            *msg = "too many fields";
            return -1;
        }
        tok[nt++] = p;
    }
    if (nt == 0)
        return 0;
    int t = 0;
    uint8_t owner[TD_DNS_NAME_MAX];
    int olen;
    if (tok[0][0] == '$') {
        *msg = "directives ($ORIGIN, $TTL, ...) are not supported";
        return -1;
    }
    if (continued) {
        if (*prev_len <= 0) {
            *msg = "no owner name (line starts with a blank and there is no previous owner)";
            return -1;
        }
        olen = *prev_len;
        memcpy(owner, prev, (size_t)olen);
    } else {
        olen = td_dns_name_from_text(tok[t++], owner, sizeof owner);
        if (olen < 0) {
            *msg = "bad owner name";
            return -1;
        }
        td_dns_name_lower(owner, (size_t)olen);
        memcpy(prev, owner, (size_t)olen);
        *prev_len = olen;
    }
    for (int seen = 0; seen < 2 && t < nt; seen++) {
        if (is_number(tok[t]))
            t++;
        else if (!strcasecmp(tok[t], "IN"))
            t++;
        else if (!strcasecmp(tok[t], "CH") || !strcasecmp(tok[t], "HS") || !strcasecmp(tok[t], "CS")) {
            *msg = "class other than IN";
            return -1;
        }
    }
    if (t + 2 != nt) {
        *msg = t + 2 > nt ? "missing type or data" : "extra fields after the data";
        return -1;
    }
    const char *type = tok[t], *data = tok[t + 1];
    if (!strcasecmp(type, "NS")) {
        if (olen != 1) {
            *msg = "NS record for a name other than the root";
            return -1;
        }
        if (hs->nhosts == HINT_HOSTS_MAX) {
            *msg = "too many root NS records";
            return -1;
        }
        int hl = td_dns_name_from_text(data, hs->host[hs->nhosts].name, TD_DNS_NAME_MAX);
        if (hl < 0) {
            *msg = "bad NS target name";
            return -1;
        }
        td_dns_name_lower(hs->host[hs->nhosts].name, (size_t)hl);
        hs->host[hs->nhosts++].len = (uint8_t)hl;
    } else if (!strcasecmp(type, "A") || !strcasecmp(type, "AAAA")) {
        int v6 = !strcasecmp(type, "AAAA");
        if (hs->naddrs == HINT_ADDRS_MAX) {
            *msg = "too many address records";
            return -1;
        }
        memset(hs->addr[hs->naddrs].addr, 0, 16);
        if (inet_pton(v6 ? AF_INET6 : AF_INET, data, hs->addr[hs->naddrs].addr) != 1) {
            *msg = v6 ? "bad IPv6 address" : "bad IPv4 address";
            return -1;
        }
        hs->addr[hs->naddrs].fam = v6 ? 6 : 4;
        hs->addr[hs->naddrs].len = (uint8_t)olen;
        memcpy(hs->addr[hs->naddrs].name, owner, (size_t)olen);
        hs->naddrs++;
    } else {
        *msg = "type other than NS, A, AAAA";
        return -1;
    }
    return 0;
}

int td_bw_load_root_hints(struct td_bw *b, const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        td_errf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    struct hints *hs = calloc(1, sizeof *hs);
    if (!hs) {
        fclose(f);
        td_errf(err, errlen, "%s: out of memory", path);
        return -1;
    }
    char line[1024];
    unsigned lineno = 0;
    uint8_t prev[TD_DNS_NAME_MAX];
    int prev_len = 0, rc = 0;
    while (fgets(line, sizeof line, f)) {
        lineno++;
        size_t n = strlen(line);
        if (n == sizeof line - 1 && line[n - 1] != '\n') {
            td_errf(err, errlen, "%s:%u: line too long", path, lineno);
            rc = -1;
            break;
        }
        char *c = strchr(line, ';');
        if (c)
            *c = '\0';
        const char *msg = NULL;
        if (hints_line(hs, line, prev, &prev_len, &msg) != 0) {
            td_errf(err, errlen, "%s:%u: %s", path, lineno, msg);
            rc = -1;
            break;
        }
    }
    if (rc == 0 && ferror(f)) {
        td_errf(err, errlen, "%s: read error", path);
        rc = -1;
    }
    fclose(f);
    if (rc == 0 && hs->nhosts == 0) {
        td_errf(err, errlen, "%s: no NS records for the root", path);
        rc = -1;
    }
    int live = 0;
    for (int h = 0; rc == 0 && h < hs->nhosts; h++)
        for (int a = 0; a < hs->naddrs; a++)
            if (hs->addr[a].len == hs->host[h].len &&
                !memcmp(hs->addr[a].name, hs->host[h].name, hs->host[h].len))
                live++;
    if (rc == 0 && live == 0) {
        td_errf(err, errlen, "%s: no address for any root server", path);
        rc = -1;
    }
    static const uint8_t root[1] = { 0 };
    for (int h = 0; rc == 0 && h < hs->nhosts; h++) {
        if (upsert(b, K_NS, 0, NULL, root, 1, hs->host[h].name, hs->host[h].len, PINNED,
                   UP_REPLACE, 0) == NIL)
            rc = -1;
        for (int a = 0; rc == 0 && a < hs->naddrs; a++) {
            if (hs->addr[a].len != hs->host[h].len ||
                memcmp(hs->addr[a].name, hs->host[h].name, hs->host[h].len))
                continue;
            if (upsert(b, K_ADDR, hs->addr[a].fam, hs->addr[a].addr, hs->addr[a].name,
                       hs->addr[a].len, NULL, 0, PINNED, UP_REPLACE, 0) == NIL ||
                upsert(b, K_LIVE, hs->addr[a].fam, hs->addr[a].addr, root, 1, NULL, 0, PINNED,
                       UP_MAX, 0) == NIL)
                rc = -1;
        }
        if (rc != 0)
            td_errf(err, errlen, "%s: max_entries (%u) too small for the root hints", path, b->max);
    }
    free(hs);
    return rc;
}

/* ---- public: persistence ------------------------------------------------------------------ */

static const char MAGIC[8] = { 'T', 'D', 'B', 'A', 'I', 'L', 'I', 'W' };
#define STATE_VERSION 1u
#define HDR_LEN 24

struct wbuf {
    FILE *f;
    XXH3_state_t *xs;
    size_t n;
    int bad;
    uint8_t buf[65536];
};

static void wb_flush(struct wbuf *w)
{
    if (w->n && fwrite(w->buf, 1, w->n, w->f) != w->n)
        w->bad = 1;
    w->n = 0;
}

static void wb_put(struct wbuf *w, const void *p, size_t n)
{
    XXH3_64bits_update(w->xs, p, n);
    if (w->n + n > sizeof w->buf)
        wb_flush(w);
    memcpy(w->buf + w->n, p, n);
    w->n += n;
}

int td_bw_save(const struct td_bw *b, const char *path, char *err, size_t errlen)
{
    char tmp[4096];
    if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp", path) >= sizeof tmp) {
        td_errf(err, errlen, "%s: path too long", path);
        return -1;
    }
    struct wbuf *w = calloc(1, sizeof *w);
    if (!w || !(w->xs = XXH3_createState())) {
        free(w);
        td_errf(err, errlen, "%s: out of memory", path);
        return -1;
    }
    XXH3_64bits_reset(w->xs);
    w->f = fopen(tmp, "wb");
    if (!w->f) {
        td_errf(err, errlen, "%s: %s", tmp, strerror(errno));
        XXH3_freeState(w->xs);
        free(w);
        return -1;
    }
    uint64_t count = 0;
    for (uint32_t i = 0; i < b->eused; i++)
        if (b->e[i].kind != K_FREE && b->e[i].expiry != PINNED)
            count++;
    uint8_t hdr[HDR_LEN];
    memcpy(hdr, MAGIC, 8);
    td_put_le32(hdr + 8, STATE_VERSION);
    td_put_le32(hdr + 12, 0);
    td_put_le64(hdr + 16, count);
    wb_put(w, hdr, sizeof hdr);
    for (uint32_t i = 0; i < b->eused; i++) {
        const struct bw_ent *e = &b->e[i];
        if (e->kind == K_FREE || e->expiry == PINNED)
            continue;
        uint8_t h[12];
        h[0] = e->kind;
        h[1] = e->fam;
        h[2] = e->len1;
        h[3] = e->len2;
        td_put_le64(h + 4, e->expiry);
        wb_put(w, h, sizeof h);
        if (e->kind != K_NS)
            wb_put(w, e->addr, 16);
        wb_put(w, n1(e), (size_t)e->len1 + e->len2);
    }
    wb_flush(w);
    uint8_t tr[8];
    td_put_le64(tr, XXH3_64bits_digest(w->xs));
    if (fwrite(tr, 1, 8, w->f) != 8)
        w->bad = 1;
    if (fflush(w->f) != 0 || fsync(fileno(w->f)) != 0)
        w->bad = 1;
    int saved_errno = errno;
    if (fclose(w->f) != 0)
        w->bad = 1;
    int bad = w->bad;
    XXH3_freeState(w->xs);
    free(w);
    if (bad) {
        td_errf(err, errlen, "%s: write failed: %s", tmp, strerror(saved_errno));
        unlink(tmp);
        return -1;
    }
    return td_rename_durable(tmp, path, err, errlen);
}

/* Walks the entries of a checked file body; with b == NULL only validates. Returns 0 or
 * -1 with msg. */
static int load_entries(struct td_bw *b, const uint8_t *p, size_t len, uint64_t count,
                        const char **msg)
{
    size_t off = 0;
    for (uint64_t k = 0; k < count; k++) {
        if (len - off < 12) {
            *msg = "entry cut short";
            return -1;
        }
        uint8_t kind = p[off], fam = p[off + 1], l1 = p[off + 2], l2 = p[off + 3];
        uint64_t exp = td_get_le64(p + off + 4);
        off += 12;
        if (kind < K_NS || kind > K_LIVE) {
            *msg = "bad entry kind";
            return -1;
        }
        if (kind == K_NS ? (fam != 0 || l2 == 0) : ((fam != 4 && fam != 6) || l2 != 0)) {
            *msg = "bad entry layout";
            return -1;
        }
        const uint8_t *addr = NULL;
        if (kind != K_NS) {
            if (len - off < 16) {
                *msg = "entry cut short";
                return -1;
            }
            addr = p + off;
            off += 16;
        }
        if (len - off < (size_t)l1 + l2) {
            *msg = "entry cut short";
            return -1;
        }
        const uint8_t *a = p + off, *c = p + off + l1;
        off += (size_t)l1 + l2;
        if (!name_valid(a, l1) || (l2 && !name_valid(c, l2))) {
            *msg = "bad name in entry";
            return -1;
        }
        if (exp == PINNED) {
            *msg = "pinned entry in the state file";
            return -1;
        }
        if (b) {
            uint8_t la[TD_DNS_NAME_MAX], lc[TD_DNS_NAME_MAX], ad[16];
            td_dns_name_lower_copy(la, a, l1);
            td_dns_name_lower_copy(lc, c, l2);
            if (addr)
                memcpy(ad, addr, 16);
            /* NIL without oom: refused because the pool is full of facts expiring later */
            b->oom = 0;
            if (upsert(b, kind, fam, addr ? ad : NULL, la, l1, lc, l2, exp,
                       kind == K_LIVE ? UP_MAX : UP_REPLACE, 0) == NIL && b->oom) {
                *msg = "out of memory";
                return -1;
            }
        }
    }
    if (off != len) {
        *msg = "data after the last entry";
        return -1;
    }
    return 0;
}

int td_bw_load(struct td_bw *b, const char *path, char *err, size_t errlen)
{
    /* a state file holds at most the pool's entries, each well under 1 KiB */
    size_t max = HDR_LEN + 8 + (size_t)(b ? b->max : 1) * 1024;
    char *buf;
    size_t size;
    int r = td_read_file(path, max, &buf, &size, err, errlen);
    if (r == 0)
        return 0;
    if (r == -2)
        td_errf(err, errlen, "%s: larger than a cache of %u entries can be", path, b ? b->max : 1);
    if (r < 0)
        return -1;
    if (size < HDR_LEN + 8) {
        td_errf(err, errlen, "%s: not a bailiwick state file (too short)", path);
        free(buf);
        return -1;
    }
    const uint8_t *p = (const uint8_t *)buf;
    int rc = -1;
    const char *msg = NULL;
    if (memcmp(p, MAGIC, 8) != 0)
        td_errf(err, errlen, "%s: not a bailiwick state file (bad magic)", path);
    else if (td_get_le32(p + 8) != STATE_VERSION)
        td_errf(err, errlen, "%s: unsupported bailiwick state version %u (this program reads %u)",
                path, td_get_le32(p + 8), STATE_VERSION);
    else if (XXH3_64bits(p, size - 8) != td_get_le64(p + size - 8))
        td_errf(err, errlen, "%s: checksum mismatch (file damaged)", path);
    else if (load_entries(NULL, p + HDR_LEN, size - 8 - HDR_LEN, td_get_le64(p + 16), &msg) != 0 ||
             load_entries(b, p + HDR_LEN, size - 8 - HDR_LEN, td_get_le64(p + 16), &msg) != 0)
        td_errf(err, errlen, "%s: %s", path, msg);
    else
        rc = 0;
    free(buf);
    return rc;
}
