/* index_table.h: the links of a bounded table whose records sit in a fixed array, addressed
 * by index 0..n-1 (used by matcher.c, ipfrag.c, tcp_stream.c). Header-only, static inline.
 *
 * It keeps, for n entries:
 *   - a free list (LIFO; after init the entries come out in index order 0, 1, .., n-1);
 *   - hash chains: a power-of-two array of bucket heads, entries chained by index, a new
 *     entry goes to the head of its chain;
 *   - an age list from oldest to youngest: a new entry goes to the youngest end and
 *     td_itab_touch() moves an entry there (LRU), so expiry and eviction take
 *     td_itab_oldest() first.
 * Also a seeded hash for short fixed-size keys (td_itab_hash_bytes, td_itab_seed).
 *
 * Ownership: the table owns only its link arrays (16 octets per entry, 4 per bucket),
 * allocated once by td_itab_init() and released by td_itab_destroy(). The module owns its
 * records (its own array, indexed like the table) and their keys: it computes each key's
 * hash and passes it in; the table never reads a record. A lookup walks one chain with
 * td_itab_first()/td_itab_next() and compares keys in the module. Removing an entry
 * leaves its record as it was until the index is handed out again by td_itab_insert.
 *
 * TD_ITAB_NIL (UINT32_MAX) ends every list and means "no entry".
 *
 * Cost: td_itab_insert, td_itab_touch, td_itab_oldest, td_itab_younger and each chain
 * step are O(1). td_itab_remove is O(1) on the age and free lists but walks the entry's
 * hash chain to unlink it (chains are short when the module sizes the buckets >= n).
 * Nothing is allocated after init.
 *
 * Preconditions (caller bugs, not input, so not checked): an index passed to remove, touch,
 * younger or next is < n and in use; td_itab_insert is called only when td_itab_full() is 0
 * (else it returns TD_ITAB_NIL and changes nothing). */
#ifndef TD_INDEX_TABLE_H
#define TD_INDEX_TABLE_H
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#define TD_ITAB_NIL UINT32_MAX
#define TD_ITAB_MAX_BUCKETS (1ull << 31)

struct td_itab_link {
    uint32_t hnext;              /* next entry in the same hash chain */
    uint32_t older, newer;       /* age list; `newer` also threads the free list */
    uint32_t bucket;             /* chain the entry is on (saves a rehash on remove) */
};

struct td_itab {
    struct td_itab_link *link;   /* n links, one per entry */
    uint32_t *bucket;            /* mask + 1 chain heads */
    uint32_t n, mask;
    uint32_t free_head, oldest, youngest;
};

/* Frees the link arrays; safe on a zeroed or already destroyed table. */
static inline void
td_itab_destroy(struct td_itab *t)
{
    free(t->link);
    free(t->bucket);
    t->link = NULL;
    t->bucket = NULL;
}

/* Sets up n free entries and the smallest power of two >= min_buckets (at least 1, at most
 * TD_ITAB_MAX_BUCKETS) of empty chains. Returns 0, or -1 when min_buckets is too big or
 * memory is short; then nothing is held and the table is full with no entry (destroy is
 * safe). t need not be initialised before. */
static inline int
td_itab_init(struct td_itab *t, uint32_t n, uint64_t min_buckets)
{
    uint64_t nb = 1;
    while (nb < min_buckets)
        nb <<= 1;
    *t = (struct td_itab){ NULL, NULL, 0, 0, TD_ITAB_NIL, TD_ITAB_NIL, TD_ITAB_NIL };
    if (nb > TD_ITAB_MAX_BUCKETS)
        return -1;
    t->link = malloc((n ? n : 1) * sizeof *t->link);
    t->bucket = malloc((size_t)nb * sizeof *t->bucket);
    if (!t->link || !t->bucket) {
        td_itab_destroy(t);
        return -1;
    }
    for (uint64_t b = 0; b < nb; b++)
        t->bucket[b] = TD_ITAB_NIL;
    for (uint32_t i = 0; i < n; i++) {
        t->link[i].hnext = t->link[i].older = t->link[i].bucket = TD_ITAB_NIL;
        t->link[i].newer = i + 1 < n ? i + 1 : TD_ITAB_NIL;
    }
    t->n = n;
    t->mask = (uint32_t)(nb - 1);
    t->free_head = n ? 0 : TD_ITAB_NIL;
    return 0;
}

static inline int
td_itab_full(const struct td_itab *t)
{
    return t->free_head == TD_ITAB_NIL;
}

/* First entry of the chain for `hash` (only the bits under mask are used). */
static inline uint32_t
td_itab_first(const struct td_itab *t, uint64_t hash)
{
    return t->bucket[hash & t->mask];
}

/* Next entry after i in its chain. */
static inline uint32_t
td_itab_next(const struct td_itab *t, uint32_t i)
{
    return t->link[i].hnext;
}

static inline uint32_t
td_itab_oldest(const struct td_itab *t)
{
    return t->oldest;
}

/* The entry that came (or was touched) just after i, toward the youngest. */
static inline uint32_t
td_itab_younger(const struct td_itab *t, uint32_t i)
{
    return t->link[i].newer;
}

static inline void
td_itab_age_unlink(struct td_itab *t, uint32_t i)
{
    struct td_itab_link *l = &t->link[i];
    if (l->older != TD_ITAB_NIL)
        t->link[l->older].newer = l->newer;
    else
        t->oldest = l->newer;
    if (l->newer != TD_ITAB_NIL)
        t->link[l->newer].older = l->older;
    else
        t->youngest = l->older;
}

static inline void
td_itab_age_append(struct td_itab *t, uint32_t i)
{
    struct td_itab_link *l = &t->link[i];
    l->newer = TD_ITAB_NIL;
    l->older = t->youngest;
    if (t->youngest != TD_ITAB_NIL)
        t->link[t->youngest].newer = i;
    else
        t->oldest = i;
    t->youngest = i;
}

/* Takes a free entry, puts it at the head of the chain for `hash` and at the youngest end
 * of the age list. Returns its index, or TD_ITAB_NIL when every entry is in use. The
 * module then fills its record at that index. */
static inline uint32_t
td_itab_insert(struct td_itab *t, uint64_t hash)
{
    uint32_t i = t->free_head;
    if (i == TD_ITAB_NIL)
        return TD_ITAB_NIL;
    struct td_itab_link *l = &t->link[i];
    t->free_head = l->newer;
    l->bucket = (uint32_t)(hash & t->mask);
    l->hnext = t->bucket[l->bucket];
    t->bucket[l->bucket] = i;
    td_itab_age_append(t, i);
    return i;
}

/* Unlinks entry i from its chain (walking the chain) and the age list and makes it free.
 * The module's record at i is not touched. */
static inline void
td_itab_remove(struct td_itab *t, uint32_t i)
{
    struct td_itab_link *l = &t->link[i];
    uint32_t *pp = &t->bucket[l->bucket];
    while (*pp != TD_ITAB_NIL && *pp != i)
        pp = &t->link[*pp].hnext;
    if (*pp == i)
        *pp = l->hnext;
    td_itab_age_unlink(t, i);
    l->newer = t->free_head;
    t->free_head = i;
}

/* Moves entry i to the youngest end of the age list (it was just used). */
static inline void
td_itab_touch(struct td_itab *t, uint32_t i)
{
    td_itab_age_unlink(t, i);
    td_itab_age_append(t, i);
}

/* A hash for short fixed-size keys (FNV-1a, then a final mix so the low bits, the ones
 * the buckets use, depend on every octet). Seed it with td_itab_seed() so that a sender
 * cannot aim many keys at one chain without knowing the seed. */
static inline uint32_t
td_itab_hash_bytes(const void *key, size_t len, uint32_t seed)
{
    const uint8_t *p = key;
    uint32_t h = 2166136261u ^ seed;
    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= 16777619u;
    }
    h ^= h >> 15;
    h *= 0x2c1b3c6du;
    h ^= h >> 12;
    return h;
}

/* A per-table seed: the monotonic clock's nanoseconds mixed with an address (salt). */
static inline uint32_t
td_itab_seed(const void *salt)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint32_t)ts.tv_nsec ^ (uint32_t)(uintptr_t)salt;
}

#endif
