/* dedupe.c: bounded-memory aggregation (dedupe.h).
 *
 * Memory: an open-addressing hash table (slots of {entry pointer, hash}, linear probing,
 * load <= 3/4) over entries kept in arena chunks (entry header + key octets). Every octet
 * this module allocates is counted in `used` (the table, chunks, run buffers, merge heap,
 * the object itself; XXH3 states at a fixed estimate), and peak_mem is its maximum. Table
 * and chunks may only grow while used + growth <= mem_cap - RESERVE (RESERVE covers the run
 * writer of a spill), and the table never takes more than half of mem_cap. A merge reads
 * each run through a buffer of max(32 KiB, the run's largest entry) and takes only as many
 * runs as fit in what is left. So peak_mem stays under mem_cap; the one exception is a
 * merge that must take 2 runs whose largest entries (keys <= TD_OBS_KEY_MAX) do not fit:
 * then it exceeds mem_cap by at most 2 * 132 KiB.
 *
 * Append mode (opts.append): the slots are a list in order of adds (no hash, no probing; the
 * list doubles under the same rules as the table); equal keys merge once sorted, before a
 * spill or an emit (merge_equal_neighbours). Its spills run in the background: the full table
 * (list, chunks) is detached and a thread of its own sorts it and writes the run while adds
 * fill a new table; the next spill, finish, reset and destroy first join it (run added in
 * order, memory freed). So that both fit, a table may use only half of what the cap leaves
 * (live_limit); the detached one stays counted in `used` until joined.
 *
 * Spill: the slots are compacted into an array of (key prefix, entry pointer) items (in place),
 * sorted by key (an in-place radix sort on the 8-octet prefix, the introsort for small
 * buckets, then the next octets within ties: no extra memory), and written as a run file; chunks are freed, the table emptied. Run files are
 * anonymous (O_TMPFILE in spill_dir, or mkstemp + unlink): they vanish when closed, also after
 * a crash.
 *
 * Run file (private to this module, read back by the same process):
 *     entry*:  varint klen (1..TD_OBS_KEY_MAX) | varint shared | key[shared..klen) |
 *              varint count | varint time_first | varint zigzag(time_last - time_first) |
 *              u8 reason | varint rule
 *     end:     varint 0 | u64le entries | u64le XXH3_64bits of all entry octets
 * shared: the octets the key shares with the run's previous key (0 for the first), which the
 * file leaves out. (varints: varint.h. Octets spilled by the 10M-RRset index bench: 1,145 MB
 * with whole keys and fixed-size fields, 852 MB with varints, 685 MB with shared prefixes.)
 * Keys within a run are strictly increasing. Runs are numbered in the order their data was
 * first seen; merges break key ties by run number, so "the first seen" reason/rule wins.
 *
 * Finish: with no runs, the sorted table is emitted. Otherwise the table joins the merge
 * directly if the run buffers fit next to it, else it is spilled and freed too; neighbouring
 * runs are merged (as many as fit at once) into one until all runs fit, then the final
 * k-way merge (a tournament tree) emits. Also while adding, when 128 runs exist, the oldest are
 * merged into one so the number of open files stays bounded. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xxhash.h>

#include "dedupe.h"
#include "errf.h"
#include "byteorder.h"
#include "varint.h"

#define IO_BUF (32u << 10)        /* run write/read buffer */
#define XXH_ACCT 704u             /* XXH3_createState: sizeof state + alignment slack */
#define RESERVE (IO_BUF + XXH_ACCT + 1024u)
#define MAX_RUNS_OPEN 128
#define MAX_FANIN 256
#define HDR_MAX 6                 /* varint klen, varint shared (TD_OBS_KEY_MAX < 2^21) */
#define VAL_MIN 5                 /* the shortest value: five one-octet fields */
#define VAL_MAX 24                /* varint u64, u32, zigzag(+-2^32), u8, varint u16 */
#define TRAILER_LEN 17            /* varint 0, u64 entries, u64 digest */
#define CAP_DEFAULT ((size_t)256 << 20)
#define CAP_MIN ((size_t)1 << 20)

struct ent {                      /* in an arena chunk, followed by the key */
    uint64_t count;
    uint32_t time_first, time_last;
    uint32_t klen;
    uint16_t rule;
    uint8_t reason;
};
#define ENT_KEY(e) ((uint8_t *)(e) + sizeof(struct ent))

struct slot {
    struct ent *e;                /* NULL = empty */
    uint64_t h;
};

struct chunk {
    struct chunk *next;
    size_t size, used;            /* size: octets allocated including this header */
};

struct run {
    int fd;
    uint64_t entries, bytes;
    size_t max_klen;              /* its longest key: sizes its read buffer */
};

struct td_dedupe {
    size_t cap;
    char dir[4096];
    size_t used;                  /* octets allocated by this module now */
    struct slot *slots;
    size_t nslots, n;
    struct chunk *chunks;
    size_t chunk_size;
    struct chunk *spare;          /* emptied chunks of chunk_size kept for reuse (not in used) */
    size_t spare_bytes;
    struct run *runs;
    size_t nruns, runs_cap;
    int finished;
    int append;                   /* opts.append: slots[0..n) in order of adds, h unused */
    struct spill_job *job;        /* append mode: the background spill (from the first one) */
    size_t job_bytes;             /* octets of `used` that the job holds while active */
    struct td_dedupe_stats stats;
};

static int spill_join(struct td_dedupe *d, int keep, char *err, size_t errlen);

/* ---------- memory accounting ---------- */

/* Spare chunks are memory held but not in use: decisions (grow, spill) look at `used` only,
 * as without spares, and spares are freed whenever used + spares + a new allocation would
 * pass the cap, so the memory held stays under it too. */
static void spare_trim(struct td_dedupe *d, size_t need)
{
    while (d->spare && d->used + d->spare_bytes + need > d->cap) {
        struct chunk *c = d->spare;
        d->spare = c->next;
        d->spare_bytes -= c->size;
        free(c);
    }
}

static void *d_alloc(struct td_dedupe *d, size_t n)
{
    spare_trim(d, n);
    void *p = malloc(n);
    if (p) {
        d->used += n;
        if (d->used > d->stats.peak_mem)
            d->stats.peak_mem = d->used;
    }
    return p;
}

static void d_free(struct td_dedupe *d, void *p, size_t n)
{
    if (p) {
        free(p);
        d->used -= n;
    }
}

static void d_charge(struct td_dedupe *d, size_t n)
{
    spare_trim(d, n);
    d->used += n;
    if (d->used > d->stats.peak_mem)
        d->stats.peak_mem = d->used;
}

/* ---------- init / destroy ---------- */

struct td_dedupe *td_dedupe_init(const struct td_dedupe_opts *opts, char *err, size_t errlen)
{
    if (!opts || !opts->spill_dir || !opts->spill_dir[0]) {
        td_errf(err, errlen, "dedupe: no spill directory");
        return NULL;
    }
    if (strlen(opts->spill_dir) >= sizeof ((struct td_dedupe *)0)->dir) {
        td_errf(err, errlen, "dedupe: spill directory path too long");
        return NULL;
    }
    struct td_dedupe *d = calloc(1, sizeof *d);
    if (!d) {
        td_errf(err, errlen, "dedupe: out of memory");
        return NULL;
    }
    d_charge(d, sizeof *d);
    d->cap = opts->mem_cap ? opts->mem_cap : CAP_DEFAULT;
    if (d->cap < CAP_MIN)
        d->cap = CAP_MIN;
    strcpy(d->dir, opts->spill_dir);
    d->append = opts->append != 0;
    d->chunk_size = d->cap / 64;
    if (d->chunk_size < (64u << 10))
        d->chunk_size = 64u << 10;
    if (d->chunk_size > (4u << 20))
        d->chunk_size = 4u << 20;
    d->nslots = 1024;
    d->slots = d_alloc(d, d->nslots * sizeof *d->slots);
    if (!d->slots) {
        free(d);
        td_errf(err, errlen, "dedupe: out of memory");
        return NULL;
    }
    memset(d->slots, 0, d->nslots * sizeof *d->slots);
    int fd = open(d->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        td_errf(err, errlen, "dedupe: spill directory %s: %s", d->dir, strerror(errno));
        free(d->slots);
        free(d);
        return NULL;
    }
    close(fd);
    return d;
}

/* Empties a chunk list: chunks of chunk_size become spares, others are freed. */
static void free_chunk_list(struct td_dedupe *d, struct chunk **list)
{
    while (*list) {
        struct chunk *c = *list;
        *list = c->next;
        if (c->size == d->chunk_size) {
            d->used -= c->size;
            c->next = d->spare;
            d->spare = c;
            d->spare_bytes += c->size;
        } else {
            d_free(d, c, c->size);
        }
    }
}

static void free_chunks(struct td_dedupe *d)
{
    free_chunk_list(d, &d->chunks);
}

static void free_spares(struct td_dedupe *d)
{
    while (d->spare) {
        struct chunk *c = d->spare;
        d->spare = c->next;
        free(c);
    }
    d->spare_bytes = 0;
}

static void close_runs(struct td_dedupe *d)
{
    for (size_t i = 0; i < d->nruns; i++)
        if (d->runs[i].fd >= 0)
            close(d->runs[i].fd);
    d_free(d, d->runs, d->runs_cap * sizeof *d->runs);
    d->runs = NULL;
    d->nruns = d->runs_cap = 0;
}

void td_dedupe_destroy(struct td_dedupe **dp)
{
    if (!dp || !*dp)
        return;
    struct td_dedupe *d = *dp;
    spill_join(d, 0, NULL, 0);
    free_chunks(d);
    free_spares(d);
    close_runs(d);
    free(d->job);
    free(d->slots);
    free(d);
    *dp = NULL;
}

int td_dedupe_reset(struct td_dedupe *d, char *err, size_t errlen)
{
    if (!d) {
        td_errf(err, errlen, "dedupe: null argument");
        return -1;
    }
    spill_join(d, 0, NULL, 0);
    free_chunks(d);
    close_runs(d);
    d_free(d, d->slots, d->nslots * sizeof *d->slots);
    d->nslots = 1024;
    d->n = 0;
    d->finished = 0;
    memset(&d->stats, 0, sizeof d->stats);
    d->stats.peak_mem = d->used;
    d->slots = d_alloc(d, d->nslots * sizeof *d->slots);
    if (!d->slots) {
        d->nslots = 0;
        d->finished = 1; /* unusable: adds are refused */
        td_errf(err, errlen, "dedupe: out of memory");
        return -1;
    }
    memset(d->slots, 0, d->nslots * sizeof *d->slots);
    return 0;
}

const struct td_dedupe_stats *td_dedupe_stats(const struct td_dedupe *d)
{
    return d ? &d->stats : NULL;
}

/* ---------- sorting entries by key ---------- */

/* A sort item: the key's first 8 octets as a big-endian number (zero-padded when shorter)
 * beside the entry. Items in prefix order are in key order where the prefixes differ (a
 * padding zero stands for "shorter", which key_cmp also puts first); equal prefixes fall back
 * to the whole key. Same size as a slot, so the slots are compacted into items in place. */
struct item {
    uint64_t pre;
    struct ent *e;
};
_Static_assert(sizeof(struct item) == sizeof(struct slot), "items reuse the slot memory");

static inline uint64_t key_prefix(const uint8_t *k, size_t klen)
{
    if (klen >= 8)
        return td_get_be64(k);
    uint64_t x = 0;
    for (size_t i = 0; i < 8; i++)
        x = x << 8 | (i < klen ? k[i] : 0);
    return x;
}

static int item_cmp(const struct item *a, const struct item *b)
{
    if (a->pre != b->pre)
        return a->pre < b->pre ? -1 : 1;
    const struct ent *x = a->e, *y = b->e;
    if (x->klen >= 8 && y->klen >= 8) /* the first 8 octets are equal */
        return td_key_cmp(ENT_KEY(x) + 8, x->klen - 8, ENT_KEY(y) + 8, y->klen - 8);
    return td_key_cmp(ENT_KEY(x), x->klen, ENT_KEY(y), y->klen);
}

static void item_swap(struct item *a, struct item *b)
{
    struct item t = *a;
    *a = *b;
    *b = t;
}

/* One introsort for both orders, generated per order so that each comparison inlines:
 * median of three into a[0], a[m], a[n-1], Hoare partition around a[m], recursion on the
 * smaller side, heapsort once depth runs out, insertion sort for 16 items or fewer.
 * LESS(x, y): *x sorts before *y (a strict weak order on struct item pointers). */
#define DEFINE_INTROSORT(name, LESS)                                                       \
    static void name##_sift(struct item *a, size_t r, size_t n)                            \
    {                                                                                      \
        for (;;) {                                                                         \
            size_t c = 2 * r + 1;                                                          \
            if (c >= n)                                                                    \
                return;                                                                    \
            if (c + 1 < n && LESS(&a[c], &a[c + 1]))                                       \
                c++;                                                                       \
            if (!LESS(&a[r], &a[c]))                                                       \
                return;                                                                    \
            item_swap(&a[r], &a[c]);                                                       \
            r = c;                                                                         \
        }                                                                                  \
    }                                                                                      \
    static void name(struct item *a, size_t n, int depth)                                  \
    {                                                                                      \
        while (n > 16) {                                                                   \
            if (depth-- == 0) {                                                            \
                for (size_t i = n / 2; i-- > 0;)                                           \
                    name##_sift(a, i, n);                                                  \
                for (size_t end = n; end > 1; end--) {                                     \
                    item_swap(&a[0], &a[end - 1]);                                         \
                    name##_sift(a, 0, end - 1);                                            \
                }                                                                          \
                return;                                                                    \
            }                                                                              \
            size_t m = n / 2;                                                              \
            if (LESS(&a[m], &a[0]))                                                        \
                item_swap(&a[m], &a[0]);                                                   \
            if (LESS(&a[n - 1], &a[0]))                                                    \
                item_swap(&a[n - 1], &a[0]);                                               \
            if (LESS(&a[n - 1], &a[m]))                                                    \
                item_swap(&a[n - 1], &a[m]);                                               \
            struct item pivot = a[m];                                                      \
            size_t i = 0, j = n - 1;                                                       \
            for (;;) {                                                                     \
                while (LESS(&a[i], &pivot))                                                \
                    i++;                                                                   \
                while (LESS(&pivot, &a[j]))                                                \
                    j--;                                                                   \
                if (i >= j)                                                                \
                    break;                                                                 \
                item_swap(&a[i], &a[j]);                                                   \
                i++;                                                                       \
                j--;                                                                       \
            }                                                                              \
            size_t left = j + 1; /* a[0..j] <= pivot <= a[j+1..n-1] */                     \
            if (left < n - left) {                                                         \
                name(a, left, depth);                                                      \
                a += left;                                                                 \
                n -= left;                                                                 \
            } else {                                                                       \
                name(a + left, n - left, depth);                                           \
                n = left;                                                                  \
            }                                                                              \
        }                                                                                  \
        for (size_t i = 1; i < n; i++) {                                                   \
            struct item t = a[i];                                                          \
            size_t j = i;                                                                  \
            while (j > 0 && LESS(&t, &a[j - 1])) {                                         \
                a[j] = a[j - 1];                                                           \
                j--;                                                                       \
            }                                                                              \
            a[j] = t;                                                                      \
        }                                                                                  \
    }

#define LESS_KEY(x, y) (item_cmp((x), (y)) < 0)
#define LESS_PRE(x, y) ((x)->pre < (y)->pre)
/* sort_items: by whole key; sort_pre: by prefix only (integer compares) */
DEFINE_INTROSORT(sort_items, LESS_KEY)
DEFINE_INTROSORT(sort_pre, LESS_PRE)

static int depth_limit(size_t n)
{
    int depth = 2;
    for (size_t x = n; x > 1; x >>= 1)
        depth += 2;
    return depth;
}

/* Sorts a[0..n) by pre alone, every pre sharing the octets above bit shift + 8: an in-place
 * MSD radix sort (American flag sort) on the octet at `shift`, then on the next octet within
 * each bucket; a bucket of RADIX_MIN items or fewer goes to the introsort. A byte that all
 * items share costs one counting pass. Depth at most 8 (stack: 6 KiB per level). */
#define RADIX_MIN 64u
static void sort_pre_radix(struct item *a, size_t n, int shift)
{
    while (n > RADIX_MIN && shift >= 0) {
        size_t count[256] = { 0 }, next[256], end[256];
        for (size_t i = 0; i < n; i++)
            count[(a[i].pre >> shift) & 255]++;
        if (count[(a[0].pre >> shift) & 255] == n) { /* one bucket: the next octet */
            shift -= 8;
            continue;
        }
        size_t at = 0;
        for (int d = 0; d < 256; d++) {
            next[d] = at;
            at += count[d];
            end[d] = at;
        }
        for (int d = 0; d < 256; d++) {
            while (next[d] < end[d]) {
                struct item x = a[next[d]];
                int xd = (int)((x.pre >> shift) & 255);
                while (xd != d) { /* x goes to its bucket; take what was there */
                    struct item t = a[next[xd]];
                    a[next[xd]++] = x;
                    x = t;
                    xd = (int)((x.pre >> shift) & 255);
                }
                a[next[d]++] = x;
            }
        }
        size_t b0 = 0;
        for (int d = 0; d < 256; b0 += count[d], d++)
            if (count[d] > 1)
                sort_pre_radix(a + b0, count[d], shift - 8);
        return;
    }
    if (shift >= 0 && n > 1)
        sort_pre(a, n, depth_limit(n));
}

/* Sorts a[0..n) by key, every item's pre being the key octets [off, off + 8) (zero-padded) and
 * all keys sharing their first off octets (so all are longer than off). By prefix first; each
 * run of equal prefixes then again by the next 8 octets (one entry access per item and level,
 * instead of one per comparison), or, when a key of the run ends within those 8 octets, by
 * whole keys. */
#define SORT_LEVELS_MAX 32 /* deeper ties (keys sharing 256 octets) go to sort_items */
static void sort_level(struct item *a, size_t n, size_t off)
{
    sort_pre_radix(a, n, 56);
    for (size_t i = 0; i < n;) {
        size_t j = i + 1;
        while (j < n && a[j].pre == a[i].pre)
            j++;
        if (j - i > 1) {
            int short_key = 0;
            for (size_t k = i; k < j; k++)
                if (a[k].e->klen <= off + 8)
                    short_key = 1;
            if (short_key || off >= SORT_LEVELS_MAX * 8) {
                sort_items(a + i, j - i, depth_limit(j - i));
            } else {
                for (size_t k = i; k < j; k++)
                    a[k].pre = key_prefix(ENT_KEY(a[k].e) + off + 8, a[k].e->klen - off - 8);
                sort_level(a + i, j - i, off + 8);
            }
        }
        i = j;
    }
}

/* Two-way parallel sort: below PAR_SORT_MIN items one thread does it all. Otherwise the items
 * are split around a splitter prefix (the median of a sample): those with pre <= splitter to
 * the front, the rest behind, so equal prefixes stay on one side and the two sides sort
 * independently (one on a second thread) into one sorted array. */
#define PAR_SORT_MIN 200000u
#define PAR_SORT_SAMPLE 255u

struct sort_job {
    struct item *a;
    size_t n;
};

static void *sort_job_main(void *arg)
{
    struct sort_job *j = arg;
    sort_level(j->a, j->n, 0);
    return NULL;
}

static void sort_items_parallel(struct item *a, size_t n)
{
    if (n < PAR_SORT_MIN) {
        sort_level(a, n, 0);
        return;
    }
    uint64_t sample[PAR_SORT_SAMPLE];
    for (size_t i = 0; i < PAR_SORT_SAMPLE; i++)
        sample[i] = a[(i * 2 + 1) * (n / (2 * PAR_SORT_SAMPLE))].pre;
    for (size_t i = 1; i < PAR_SORT_SAMPLE; i++) { /* insertion sort of the sample */
        uint64_t t = sample[i];
        size_t j = i;
        while (j > 0 && sample[j - 1] > t) {
            sample[j] = sample[j - 1];
            j--;
        }
        sample[j] = t;
    }
    uint64_t split = sample[PAR_SORT_SAMPLE / 2];
    size_t left = 0;
    for (size_t i = 0; i < n; i++)
        if (a[i].pre <= split)
            item_swap(&a[i], &a[left++]);
    if (left == n) { /* the splitter is the largest prefix: nothing to split off */
        sort_level(a, n, 0);
        return;
    }
    struct sort_job right = { a + left, n - left };
    pthread_t th;
    if (pthread_create(&th, NULL, sort_job_main, &right) != 0) {
        sort_level(a, left, 0);
        sort_level(a + left, n - left, 0);
        return;
    }
    sort_level(a, left, 0);
    pthread_join(th, NULL);
}

/* Walks over sorted items touch their entries in no memory order: each loop asks for the
 * entry PREFETCH_AHEAD items on (both lines an entry of a short key may straddle). */
#define PREFETCH_AHEAD 16
static inline void prefetch_entry(const struct ent *e)
{
    __builtin_prefetch(e);
    __builtin_prefetch((const uint8_t *)e + 63);
}

/* Append mode: sorted items with equal keys become one (values merged into the first
 * entry); returns how many are left. Equal keys have equal `pre` after sort_level (they share
 * every tie group, so their pre comes from the same octets): a different pre is a different
 * key without a look at the keys. */
static size_t merge_equal_neighbours(struct item *a, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (i + PREFETCH_AHEAD < n)
            prefetch_entry(a[i + PREFETCH_AHEAD].e);
        struct ent *e = a[i].e;
        struct ent *last = k ? a[k - 1].e : NULL;
        if (last && a[k - 1].pre == a[i].pre && last->klen == e->klen &&
            memcmp(ENT_KEY(last), ENT_KEY(e), e->klen) == 0) {
            last->count += e->count;
            if (e->time_first < last->time_first)
                last->time_first = e->time_first;
            if (e->time_last > last->time_last)
                last->time_last = e->time_last;
            continue;
        }
        a[k++] = a[i];
    }
    return k;
}

/* Compacts a table's entries into items at the front of its slot memory and sorts them (in
 * append mode, equal keys then merge); returns how many items. Touches nothing else. */
static size_t sort_slots(struct slot *slots, size_t nslots, int append)
{
    struct item *a = (struct item *)(void *)slots;
    size_t k = 0;
    for (size_t i = 0; i < nslots; i++) {
        struct ent *e = slots[i].e; /* read slot i before a[k] (k <= i) overwrites it */
        if (e) {
            a[k].pre = key_prefix(ENT_KEY(e), e->klen);
            a[k++].e = e;
        }
    }
    sort_items_parallel(a, k);
    return append ? merge_equal_neighbours(a, k) : k;
}

/* The table's entries sorted (sort_slots: d->n may drop); the table is unusable until
 * reset_table(). Returns the array (d->n items). */
static struct item *sorted_entries(struct td_dedupe *d)
{
    d->n = d->stats.distinct_in_memory = sort_slots(d->slots, d->nslots, d->append);
    return (struct item *)(void *)d->slots;
}

static void reset_table(struct td_dedupe *d)
{
    memset(d->slots, 0, d->nslots * sizeof *d->slots);
    d->n = 0;
    d->stats.distinct_in_memory = 0;
    free_chunks(d);
}

/* ---------- run files ---------- */

/* The checksum covers the entry octets: each buffer is hashed as it is written (one hash
 * call per buffer, not three per entry), until rw_finish takes the digest. */
struct run_writer {
    struct run run;
    uint8_t *buf;
    size_t len;
    XXH3_state_t *xxh;
    int hashed_all;               /* the digest is taken: the trailer is not hashed */
};

static int rw_flush(struct run_writer *w)
{
    if (!w->hashed_all)
        XXH3_64bits_update(w->xxh, w->buf, w->len);
    size_t o = 0;
    while (o < w->len) {
        ssize_t k = write(w->run.fd, w->buf + o, w->len - o);
        if (k < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        o += (size_t)k;
    }
    w->run.bytes += w->len;
    w->len = 0;
    return 0;
}

static int rw_put(struct run_writer *w, const void *p, size_t n)
{
    const uint8_t *s = p;
    while (n) {
        if (w->len == IO_BUF && rw_flush(w) != 0)
            return -1;
        size_t k = IO_BUF - w->len < n ? IO_BUF - w->len : n;
        memcpy(w->buf + w->len, s, k);
        w->len += k;
        s += k;
        n -= k;
    }
    return 0;
}

static uint64_t zigzag(int64_t x)
{
    return x >= 0 ? (uint64_t)x << 1 : ((uint64_t)(-(x + 1)) << 1) | 1;
}

static int64_t unzigzag(uint64_t z)
{
    return (z & 1) ? -(int64_t)(z >> 1) - 1 : (int64_t)(z >> 1);
}

/* One entry; shared: the octets key shares with the entry written before (0 for the first). */
static int rw_entry(struct run_writer *w, const uint8_t *key, size_t klen, size_t shared,
                    const struct td_obs_value *v)
{
    uint8_t h[HDR_MAX], val[VAL_MAX];
    if (klen > w->run.max_klen)
        w->run.max_klen = klen;
    key += shared;
    size_t hn = td_varint_put(h, klen);
    hn += td_varint_put(h + hn, shared);
    klen -= shared;
    size_t vn = td_varint_put(val, v->count);
    vn += td_varint_put(val + vn, v->time_first);
    vn += td_varint_put(val + vn, zigzag((int64_t)v->time_last - (int64_t)v->time_first));
    val[vn++] = v->reason;
    vn += td_varint_put(val + vn, v->rule);
    w->run.entries++;
    if (w->len + hn + klen + vn <= IO_BUF) { /* the usual case: all of it fits in the buffer */
        memcpy(w->buf + w->len, h, hn);
        memcpy(w->buf + w->len + hn, key, klen);
        memcpy(w->buf + w->len + hn + klen, val, vn);
        w->len += hn + klen + vn;
        return 0;
    }
    if (rw_put(w, h, hn) != 0 || rw_put(w, key, klen) != 0 || rw_put(w, val, vn) != 0)
        return -1;
    return 0;
}

static int open_anon(const char *dir)
{
    int fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    if (fd >= 0)
        return fd;
    char path[4200];
    snprintf(path, sizeof path, "%s/tapdns-dedupe-XXXXXX", dir);
    fd = mkstemp(path);
    if (fd >= 0)
        unlink(path);
    return fd;
}

static int rw_open(struct td_dedupe *d, struct run_writer *w, char *err, size_t errlen)
{
    memset(w, 0, sizeof *w);
    w->run.fd = -1;
    w->buf = d_alloc(d, IO_BUF);
    spare_trim(d, XXH_ACCT);
    w->xxh = XXH3_createState();
    if (w->xxh)
        d_charge(d, XXH_ACCT);
    if (!w->buf || !w->xxh) {
        td_errf(err, errlen, "dedupe: out of memory");
        return -1;
    }
    XXH3_64bits_reset(w->xxh);
    w->run.fd = open_anon(d->dir);
    if (w->run.fd < 0) {
        td_errf(err, errlen, "dedupe: cannot create a run file in %s: %s", d->dir, strerror(errno));
        return -1;
    }
    return 0;
}

/* Releases the writer's buffers; on failure (ok == 0) also its file. */
static void rw_release(struct td_dedupe *d, struct run_writer *w, int ok)
{
    d_free(d, w->buf, IO_BUF);
    w->buf = NULL;
    if (w->xxh) {
        XXH3_freeState(w->xxh);
        d->used -= XXH_ACCT;
        w->xxh = NULL;
    }
    if (!ok && w->run.fd >= 0) {
        close(w->run.fd);
        w->run.fd = -1;
    }
}

static int rw_finish(struct run_writer *w, char *err, size_t errlen)
{
    uint8_t t[TRAILER_LEN];
    XXH3_64bits_update(w->xxh, w->buf, w->len);
    w->hashed_all = 1;
    t[0] = 0; /* varint 0: no key */
    td_put_le64(t + 1, w->run.entries);
    td_put_le64(t + 9, XXH3_64bits_digest(w->xxh));
    if (rw_put(w, t, sizeof t) != 0 || rw_flush(w) != 0) {
        td_errf(err, errlen, "dedupe: writing a run file: %s", strerror(errno));
        return -1;
    }
    return 0;
}

static int add_run(struct td_dedupe *d, size_t at, struct run r, char *err, size_t errlen)
{
    if (d->nruns == d->runs_cap) {
        size_t nc = d->runs_cap ? d->runs_cap * 2 : 16;
        struct run *nr = d_alloc(d, nc * sizeof *nr);
        if (!nr) {
            td_errf(err, errlen, "dedupe: out of memory");
            return -1;
        }
        if (d->nruns)
            memcpy(nr, d->runs, d->nruns * sizeof *nr);
        d_free(d, d->runs, d->runs_cap * sizeof *d->runs);
        d->runs = nr;
        d->runs_cap = nc;
    }
    memmove(d->runs + at + 1, d->runs + at, (d->nruns - at) * sizeof *d->runs);
    d->runs[at] = r;
    d->nruns++;
    return 0;
}

/* ---------- merge sources ---------- */

struct src {
    /* run source */
    int fd;
    uint8_t *buf;
    size_t cap, len, pos;
    size_t hpos;                  /* buf[0..hpos) is in xxh (consumed octets, hashed in bulk) */
    int eof;
    XXH3_state_t *xxh;
    uint64_t nread;
    /* memory source */
    struct item *arr;
    size_t n, i;
    uint8_t *kbuf;                /* run source: the current key (max_klen octets) */
    /* current entry */
    const uint8_t *key;
    size_t klen;
    uint64_t pre;                 /* key_prefix(key): most comparisons end on it */
    struct td_obs_value v;
    int done;                     /* merge: no current entry (exhausted) */
    size_t max_klen;              /* run source: its longest key */
};

#define SRC_ACCT (sizeof(struct src) + sizeof(size_t))

/* Makes `want` octets from pos on readable (fewer only at the end of the file); 0 if at least
 * `need` are, else -1. want fits the buffer (run_buf_size). */
static int src_fill(struct src *s, size_t want, size_t need)
{
    if (s->len - s->pos >= want)
        return 0;
    XXH3_64bits_update(s->xxh, s->buf + s->hpos, s->pos - s->hpos);
    memmove(s->buf, s->buf + s->pos, s->len - s->pos);
    s->len -= s->pos;
    s->pos = s->hpos = 0;
    while (s->len < want && !s->eof) {
        ssize_t k = read(s->fd, s->buf + s->len, s->cap - s->len);
        if (k < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        if (k == 0)
            s->eof = 1;
        s->len += (size_t)k;
    }
    return s->len >= need ? 0 : -1;
}

/* Next entry of a source: 1, 0 = exhausted, -1 = error (a damaged run file). */
static int src_next(struct td_dedupe *d, struct src *s, char *err, size_t errlen)
{
    if (s->arr) {
        if (s->i == s->n)
            return 0;
        const struct ent *e = s->arr[s->i++].e;
        s->key = ENT_KEY(e);
        s->klen = e->klen;
        s->pre = key_prefix(s->key, s->klen);
        s->v.count = e->count;
        s->v.time_first = e->time_first;
        s->v.time_last = e->time_last;
        s->v.reason = e->reason;
        s->v.rule = e->rule;
        return 1;
    }
    if (src_fill(s, HDR_MAX, 1) != 0)
        goto bad;
    size_t o = s->pos;
    uint64_t kl, cnt, tf, dz, rule;
    if (td_varint_get(s->buf, s->len, &o, TD_OBS_KEY_MAX, &kl) != 0)
        goto bad;
    size_t h = o - s->pos; /* octets of the varints: offsets below are from pos (src_fill moves) */
    if (kl == 0) {
        if (src_fill(s, h + TRAILER_LEN - 1, h + TRAILER_LEN - 1) != 0)
            goto bad;
        XXH3_64bits_update(s->xxh, s->buf + s->hpos, s->pos - s->hpos);
        s->hpos = s->pos;
        const uint8_t *t = s->buf + s->pos + h;
        if (h != 1 || td_get_le64(t) != s->nread || td_get_le64(t + 8) != XXH3_64bits_digest(s->xxh))
            goto bad;
        s->pos += TRAILER_LEN;
        if (s->pos != s->len || src_fill(s, 1, 1) == 0)
            goto bad;
        return 0;
    }
    if (kl > s->max_klen) /* longer than the run's longest key */
        goto bad;
    uint64_t shared; /* at most the previous key's length (s->klen, 0 before the first) */
    if (td_varint_get(s->buf, s->len, &o, kl < s->klen ? kl : s->klen, &shared) != 0)
        goto bad;
    h = o - s->pos;
    size_t rest = kl - shared;
    if (src_fill(s, h + rest + VAL_MAX, h + rest + VAL_MIN) != 0)
        goto bad;
    memcpy(s->kbuf + shared, s->buf + s->pos + h, rest);
    s->key = s->kbuf;
    s->klen = kl;
    s->pre = key_prefix(s->key, kl);
    o = s->pos + h + rest;
    if (td_varint_get(s->buf, s->len, &o, UINT64_MAX, &cnt) != 0 ||
        td_varint_get(s->buf, s->len, &o, UINT32_MAX, &tf) != 0 ||
        td_varint_get(s->buf, s->len, &o, (uint64_t)UINT32_MAX << 1, &dz) != 0 || o >= s->len)
        goto bad;
    int64_t tl = (int64_t)tf + unzigzag(dz);
    if (tl < 0 || tl > (int64_t)UINT32_MAX)
        goto bad;
    s->v.reason = s->buf[o++];
    if (td_varint_get(s->buf, s->len, &o, 0xffff, &rule) != 0)
        goto bad;
    s->v.count = cnt;
    s->v.time_first = (uint32_t)tf;
    s->v.time_last = (uint32_t)tl;
    s->v.rule = (uint16_t)rule;
    s->pos = o;
    s->nread++;
    return 1;
bad:
    td_errf(err, errlen, "dedupe: a run file in %s is damaged or unreadable", d->dir);
    return -1;
}

static void src_release(struct td_dedupe *d, struct src *s)
{
    d_free(d, s->buf, s->cap);
    s->buf = NULL;
    if (s->kbuf)
        d_free(d, s->kbuf, s->max_klen ? s->max_klen : 1);
    s->kbuf = NULL;
    if (s->xxh) {
        XXH3_freeState(s->xxh);
        d->used -= XXH_ACCT;
        s->xxh = NULL;
    }
}

static size_t run_buf_size(const struct run *r)
{
    size_t most = HDR_MAX + r->max_klen + VAL_MAX + TRAILER_LEN; /* the most src_fill wants */
    return most > IO_BUF ? most : IO_BUF;
}

static int src_open_run(struct td_dedupe *d, struct src *s, const struct run *r, char *err, size_t errlen)
{
    int fd = r->fd;
    memset(s, 0, sizeof *s);
    s->fd = fd;
    s->cap = run_buf_size(r);
    s->max_klen = r->max_klen;
    s->buf = d_alloc(d, s->cap);
    s->kbuf = d_alloc(d, s->max_klen ? s->max_klen : 1);
    spare_trim(d, XXH_ACCT);
    s->xxh = XXH3_createState();
    if (s->xxh)
        d_charge(d, XXH_ACCT);
    if (!s->buf || !s->kbuf || !s->xxh) {
        td_errf(err, errlen, "dedupe: out of memory");
        return -1;
    }
    XXH3_64bits_reset(s->xxh);
    if (lseek(fd, 0, SEEK_SET) != 0) {
        td_errf(err, errlen, "dedupe: seek in a run file: %s", strerror(errno));
        return -1;
    }
    return 0;
}

/* Source order: smaller key first, then smaller index (earlier data); an exhausted source
 * (done) after every other. */
static int src_less(const struct src *s, size_t a, size_t b)
{
    if (s[a].done || s[b].done)
        return !s[a].done;
    if (s[a].pre != s[b].pre)
        return s[a].pre < s[b].pre;
    int c = s[a].klen >= 8 && s[b].klen >= 8 /* the first 8 octets are equal */
                ? td_key_cmp(s[a].key + 8, s[a].klen - 8, s[b].key + 8, s[b].klen - 8)
                : td_key_cmp(s[a].key, s[a].klen, s[b].key, s[b].klen);
    return c < 0 || (c == 0 && a < b);
}

/* A tournament (loser) tree over n sources: source i is leaf n + i, node p's parent p / 2,
 * t[1..n-1] hold the losers of their matches and t[0] the overall winner. After the winner's
 * source moves on, one path of log2(n) matches (one comparison each) finds the next. */
static size_t tree_build(const struct src *s, size_t *t, size_t n, size_t p)
{
    if (p >= n)
        return p - n;
    size_t l = tree_build(s, t, n, 2 * p), r = tree_build(s, t, n, 2 * p + 1);
    if (src_less(s, r, l)) {
        t[p] = l;
        return r;
    }
    t[p] = r;
    return l;
}

static void tree_replay(const struct src *s, size_t *t, size_t n, size_t win)
{
    for (size_t p = (n + win) / 2; p > 0; p /= 2) {
        if (src_less(s, t[p], win)) {
            size_t x = t[p];
            t[p] = win;
            win = x;
        }
    }
    t[0] = win;
}

/* The merge's output entry, held until the next key differs. A key from the memory source
 * stays where it is (the table outlives the merge); one from a run is copied into buf, sized
 * for the longest key of the merge's runs (a run's key does not outlive its next entry;
 * src_next refuses a key longer than its run's longest). shared: the octets the key shares
 * with the entry emitted before it (what a run file leaves out); of those, buf already holds
 * the ones it held before. */
struct pending {
    const uint8_t *key;
    size_t klen, shared;
    uint64_t pre;
    struct td_obs_value v;
    int have;
    uint8_t *buf;
    size_t cap;
};

static void pending_set(struct pending *p, const struct src *x)
{
    size_t shared = 0;
    if (p->have)
        shared = td_common_prefix(p->key, x->key, p->klen < x->klen ? p->klen : x->klen);
    p->shared = shared;
    if (x->arr) {
        p->key = x->key;
    } else {
        size_t from = p->key == p->buf ? shared : 0; /* octets buf already holds */
        memcpy(p->buf + from, x->key + from, x->klen - from);
        p->key = p->buf;
    }
    p->klen = x->klen;
    p->pre = x->pre;
    p->v = x->v;
    p->have = 1;
}

/* shared: the octets key shares with the key the sink got before (0 for the first). */
typedef int (*sink_fn)(void *ctx, const uint8_t *key, size_t klen, size_t shared, const struct td_obs_value *v);

/* k-way merge of src[0..n-1] (opened, not yet read) into sink, in key order; equal keys
 * merge, the lowest source index keeps reason/rule. */
static int merge(struct td_dedupe *d, struct src *s, size_t n, sink_fn sink, void *ctx, char *err, size_t errlen)
{
    struct pending p = { 0 };
    for (size_t i = 0; i < n; i++)
        if (s[i].max_klen > p.cap)
            p.cap = s[i].max_klen;
    size_t *t = d_alloc(d, (n + 1) * sizeof *t);
    p.buf = d_alloc(d, p.cap ? p.cap : 1);
    int rc = 0;
    if (!t || !p.buf) {
        td_errf(err, errlen, "dedupe: out of memory");
        rc = -1;
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        int r = src_next(d, &s[i], err, errlen);
        if (r < 0) {
            rc = -1;
            goto out;
        }
        s[i].done = r == 0;
    }
    if (n == 0)
        goto out;
    t[0] = tree_build(s, t, n, 1);
    while (!s[t[0]].done) {
        const struct src *x = &s[t[0]];
        if (p.have && x->pre == p.pre && td_key_cmp(x->key, x->klen, p.key, p.klen) == 0) {
            td_obs_merge(&p.v, &x->v);
        } else {
            if (p.have && (rc = sink(ctx, p.key, p.klen, p.shared, &p.v)) != 0)
                goto out;
            pending_set(&p, x);
        }
        int r = src_next(d, &s[t[0]], err, errlen);
        if (r < 0) {
            rc = -1;
            goto out;
        }
        s[t[0]].done = r == 0;
        tree_replay(s, t, n, t[0]);
    }
    if (p.have)
        rc = sink(ctx, p.key, p.klen, p.shared, &p.v);
out:
    d_free(d, p.buf, p.cap ? p.cap : 1);
    d_free(d, t, (n + 1) * sizeof *t);
    return rc;
}

struct run_sink {
    struct run_writer *w;
    char *err;
    size_t errlen;
};

static int sink_run(void *ctx, const uint8_t *key, size_t klen, size_t shared, const struct td_obs_value *v)
{
    struct run_sink *rs = ctx;
    if (rw_entry(rs->w, key, klen, shared, v) == 0)
        return 0;
    td_errf(rs->err, rs->errlen, "dedupe: writing a run file: %s", strerror(errno));
    return -1;
}

struct emit_ctx {
    struct td_dedupe *d;
    td_dedupe_emit_fn fn;
    void *ctx;
};

static int sink_emit(void *ctx, const uint8_t *key, size_t klen, size_t shared, const struct td_obs_value *v)
{
    (void)shared;
    struct emit_ctx *e = ctx;
    e->d->stats.emitted++;
    return e->fn(e->ctx, key, klen, v);
}

/* Sources for runs[first .. first+count-1] and, if with_mem, the sorted table last. */
static struct src *open_sources(struct td_dedupe *d, size_t first, size_t count, int with_mem,
                                size_t *nsrc, char *err, size_t errlen)
{
    size_t n = count + (with_mem ? 1 : 0);
    struct src *s = d_alloc(d, (n ? n : 1) * sizeof *s);
    if (!s) {
        td_errf(err, errlen, "dedupe: out of memory");
        return NULL;
    }
    memset(s, 0, (n ? n : 1) * sizeof *s);
    *nsrc = 0;
    for (size_t i = 0; i < count; i++) {
        (*nsrc)++;
        if (src_open_run(d, &s[i], &d->runs[first + i], err, errlen) != 0)
            return s;
    }
    if (with_mem) {
        s[count].fd = -1;
        s[count].arr = sorted_entries(d);
        s[count].n = d->n;
        (*nsrc)++;
    }
    return s;
}

static void close_sources(struct td_dedupe *d, struct src *s, size_t nsrc, size_t alloc_n)
{
    for (size_t i = 0; i < nsrc; i++)
        src_release(d, &s[i]);
    d_free(d, s, (alloc_n ? alloc_n : 1) * sizeof *s);
}

/* Merges runs[first .. first+count-1] into one run that takes their place. */
static int merge_runs(struct td_dedupe *d, size_t first, size_t count, char *err, size_t errlen)
{
    struct run_writer w;
    struct run_sink rs = {&w, err, errlen};
    size_t nsrc = 0;
    struct src *s = NULL;
    int rc = rw_open(d, &w, err, errlen);
    if (rc == 0) {
        s = open_sources(d, first, count, 0, &nsrc, err, errlen);
        rc = s && nsrc == count ? merge(d, s, count, sink_run, &rs, err, errlen) : -1;
    }
    if (s)
        close_sources(d, s, nsrc, count);
    if (rc == 0)
        rc = rw_finish(&w, err, errlen);
    rw_release(d, &w, rc == 0);
    if (rc != 0)
        return -1;
    for (size_t i = 0; i < count; i++)
        close(d->runs[first + i].fd);
    memmove(d->runs + first, d->runs + first + count, (d->nruns - first - count) * sizeof *d->runs);
    d->nruns -= count;
    d->stats.bytes_spilled += w.run.bytes;
    if (add_run(d, first, w.run, err, errlen) != 0) {
        close(w.run.fd);
        return -1;
    }
    return 0;
}

/* Memory to read one run in a merge (its buffer, its key, its digest state). */
static size_t run_need(const struct run *r)
{
    return run_buf_size(r) + (r->max_klen ? r->max_klen : 1) + XXH_ACCT + SRC_ACCT;
}

/* How many runs from runs[at] on fit in one merge in the memory left (a run writer for the
 * output included, and the merge's key copy: the longest key of its runs): as many as fit, at
 * least 2 (if there are), at most MAX_FANIN. */
static size_t fan_in_at(const struct td_dedupe *d, size_t at)
{
    size_t avail = d->cap > d->used + RESERVE ? d->cap - d->used - RESERVE : 0;
    size_t f = 0, sum = 0, kmax = 0;
    while (at + f < d->nruns && f < MAX_FANIN) {
        const struct run *r = &d->runs[at + f];
        size_t k = r->max_klen > kmax ? r->max_klen : kmax;
        if (sum + run_need(r) + k > avail && f >= 2)
            break;
        sum += run_need(r);
        kmax = k;
        f++;
    }
    return f;
}

/* 1 if all runs (and `extra` octets more) can be merged at once. */
static int all_runs_fit(const struct td_dedupe *d, size_t extra)
{
    size_t sum = extra, kmax = 0;
    for (size_t i = 0; i < d->nruns; i++) {
        sum += run_need(&d->runs[i]);
        if (d->runs[i].max_klen > kmax)
            kmax = d->runs[i].max_klen;
    }
    return d->nruns <= MAX_FANIN && d->used + sum + kmax <= d->cap;
}

/* Sorted items a[0..n) -> the writer's run, finished. 0, or -1 with err. */
static int write_items(struct run_writer *w, const struct item *a, size_t n, char *err, size_t errlen)
{
    for (size_t i = 0; i < n; i++) {
        if (i + PREFETCH_AHEAD < n)
            prefetch_entry(a[i + PREFETCH_AHEAD].e);
        const struct ent *e = a[i].e, *prev = i ? a[i - 1].e : NULL;
        struct td_obs_value v = {e->count, e->time_first, e->time_last, e->reason, e->rule};
        size_t shared = prev ? td_common_prefix(ENT_KEY(prev), ENT_KEY(e), prev->klen < e->klen ? prev->klen : e->klen)
                             : 0;
        if (rw_entry(w, ENT_KEY(e), e->klen, shared, &v) != 0) {
            td_errf(err, errlen, "dedupe: writing a run file: %s", strerror(errno));
            return -1;
        }
    }
    return rw_finish(w, err, errlen);
}

/* Sorted table -> a new run (the newest), table emptied. */
static int spill(struct td_dedupe *d, char *err, size_t errlen)
{
    if (d->n == 0)
        return 0;
    struct run_writer w;
    int rc = rw_open(d, &w, err, errlen);
    if (rc == 0) {
        struct item *a = sorted_entries(d);
        rc = write_items(&w, a, d->n, err, errlen);
    }
    rw_release(d, &w, rc == 0);
    reset_table(d); /* the table was compacted: on failure its data is lost anyway */
    if (rc != 0)
        return -1;
    d->stats.runs_spilled++;
    d->stats.bytes_spilled += w.run.bytes;
    if (add_run(d, d->nruns, w.run, err, errlen) != 0) {
        close(w.run.fd);
        return -1;
    }
    while (d->nruns >= MAX_RUNS_OPEN)
        if (merge_runs(d, 0, fan_in_at(d, 0), err, errlen) != 0)
            return -1;
    return 0;
}

/* ---------- background spill (append mode) ---------- */

struct spill_job {
    pthread_t th;
    int active;                   /* detached table not yet joined */
    int threaded;                 /* th runs it (else it ran in spill_start) */
    struct slot *slots;           /* the detached table */
    size_t nslots;
    struct chunk *chunks;
    struct run_writer w;          /* opened (and released) by the caller's thread */
    int rc;
    char err[256];
};

static void *job_main(void *arg)
{
    struct spill_job *j = arg;
    size_t n = sort_slots(j->slots, j->nslots, 1);
    j->rc = write_items(&j->w, (const struct item *)(void *)j->slots, n, j->err, sizeof j->err);
    return NULL;
}

/* Waits for the job and frees its table; keep: its run joins the list (else it is dropped).
 * 0, or -1 with err (the job failed, or adding its run did). */
static int spill_join(struct td_dedupe *d, int keep, char *err, size_t errlen)
{
    struct spill_job *j = d->job;
    if (!j || !j->active)
        return 0;
    if (j->threaded)
        pthread_join(j->th, NULL);
    j->active = j->threaded = 0;
    d->job_bytes = 0;
    free_chunk_list(d, &j->chunks);
    d_free(d, j->slots, j->nslots * sizeof *j->slots);
    j->slots = NULL;
    int ok = keep && j->rc == 0;
    rw_release(d, &j->w, ok);
    if (!keep)
        return 0;
    if (!ok) {
        td_errf(err, errlen, "%s", j->err);
        return -1;
    }
    d->stats.bytes_spilled += j->w.run.bytes; /* runs_spilled counted it when it started */
    if (add_run(d, d->nruns, j->w.run, err, errlen) != 0) {
        close(j->w.run.fd);
        return -1;
    }
    while (d->nruns >= MAX_RUNS_OPEN)
        if (merge_runs(d, 0, fan_in_at(d, 0), err, errlen) != 0)
            return -1;
    return 0;
}

/* The table detached into the job (the previous one joined first), a new empty table. */
static int spill_start(struct td_dedupe *d, char *err, size_t errlen)
{
    if (d->n == 0)
        return 0;
    if (spill_join(d, 1, err, errlen) != 0)
        return -1;
    if (!d->job) { /* kept until destroy */
        if (!(d->job = d_alloc(d, sizeof *d->job))) {
            td_errf(err, errlen, "dedupe: out of memory");
            return -1;
        }
        memset(d->job, 0, sizeof *d->job);
    }
    struct spill_job *j = d->job;
    size_t before = d->used;
    if (rw_open(d, &j->w, err, errlen) != 0) {
        rw_release(d, &j->w, 0);
        return -1;
    }
    struct slot *ns = d_alloc(d, 1024 * sizeof *ns);
    if (!ns) {
        rw_release(d, &j->w, 0);
        td_errf(err, errlen, "dedupe: out of memory");
        return -1;
    }
    memset(ns, 0, 1024 * sizeof *ns);
    size_t bytes = d->used - before - 1024 * sizeof *ns + d->nslots * sizeof *d->slots;
    for (const struct chunk *c = d->chunks; c; c = c->next)
        bytes += c->size;
    j->slots = d->slots;
    j->nslots = d->nslots;
    j->chunks = d->chunks;
    j->rc = 0;
    j->err[0] = 0;
    j->active = 1;
    d->job_bytes = bytes;
    d->slots = ns;
    d->nslots = 1024;
    d->n = 0;
    d->chunks = NULL;
    d->stats.distinct_in_memory = 0;
    d->stats.runs_spilled++;
    if (pthread_create(&j->th, NULL, job_main, j) == 0) {
        j->threaded = 1;
        return 0;
    }
    job_main(j);
    return spill_join(d, 1, err, errlen);
}

/* ---------- adding ---------- */

static int grow_table(struct td_dedupe *d)
{
    size_t nn = d->nslots * 2;
    struct slot *ns = d_alloc(d, nn * sizeof *ns);
    if (!ns)
        return -1;
    memset(ns, 0, nn * sizeof *ns);
    if (d->append)
        memcpy(ns, d->slots, d->n * sizeof *ns);
    for (size_t i = 0; i < d->nslots && !d->append; i++) {
        if (!d->slots[i].e)
            continue;
        size_t j = d->slots[i].h & (nn - 1);
        while (ns[j].e)
            j = (j + 1) & (nn - 1);
        ns[j] = d->slots[i];
    }
    d_free(d, d->slots, d->nslots * sizeof *d->slots);
    d->slots = ns;
    d->nslots = nn;
    return 0;
}

/* Octets the table being filled may take (of `used` less what a background spill holds). */
static size_t live_limit(const struct td_dedupe *d)
{
    return d->append ? (d->cap - RESERVE) / 2 : d->cap - RESERVE;
}

static size_t live_used(const struct td_dedupe *d)
{
    return d->used - d->job_bytes;
}

static int spill_table(struct td_dedupe *d, char *err, size_t errlen)
{
    return d->append ? spill_start(d, err, errlen) : spill(d, err, errlen);
}

uint64_t td_dedupe_hash(const uint8_t *key, size_t klen)
{
    return XXH3_64bits(key, klen);
}

void td_dedupe_prefetch_slot(const struct td_dedupe *d, uint64_t h)
{
    if (d && d->slots && !d->append)
        __builtin_prefetch(&d->slots[h & (d->nslots - 1)]);
}

void td_dedupe_prefetch_entry(const struct td_dedupe *d, uint64_t h)
{
    if (!d || !d->slots || d->append)
        return;
    const struct slot *s = &d->slots[h & (d->nslots - 1)];
    if (s->e && s->h == h) {
        __builtin_prefetch(s->e);
        __builtin_prefetch((const uint8_t *)s->e + 64);
    }
}

int td_dedupe_add(struct td_dedupe *d, const uint8_t *key, size_t klen, const struct td_obs_value *v,
                  char *err, size_t errlen)
{
    return td_dedupe_add_hashed(d, key, klen, key && !(d && d->append) ? XXH3_64bits(key, klen) : 0, v, err,
                                errlen);
}

int td_dedupe_add_hashed(struct td_dedupe *d, const uint8_t *key, size_t klen, uint64_t h,
                         const struct td_obs_value *v, char *err, size_t errlen)
{
    if (!d || !key || !v) {
        td_errf(err, errlen, "dedupe: null argument");
        return -1;
    }
    if (d->finished) {
        td_errf(err, errlen, "dedupe: add after finish");
        return -1;
    }
    if (klen == 0 || klen > TD_OBS_KEY_MAX) {
        td_errf(err, errlen, "dedupe: key length %zu out of range", klen);
        return -1;
    }
    d->stats.added++;
    size_t mask = d->nslots - 1, i = h & mask;
    while (!d->append && d->slots[i].e) {
        struct ent *e = d->slots[i].e;
        if (d->slots[i].h == h && e->klen == klen && memcmp(ENT_KEY(e), key, klen) == 0) {
            uint64_t c = e->count + v->count;
            e->count = c;
            if (v->time_first < e->time_first)
                e->time_first = v->time_first;
            if (v->time_last > e->time_last)
                e->time_last = v->time_last;
            return 0;
        }
        i = (i + 1) & mask;
    }
    /* a new key: room for the table, then for the entry (append mode: a full list) */
    if (d->append ? d->n == d->nslots : (d->n + 1) * 4 > d->nslots * 3) {
        size_t nb = d->nslots * 2 * sizeof *d->slots;
        if (nb <= d->cap / 2 && live_used(d) + nb <= live_limit(d)) {
            if (grow_table(d) != 0) {
                td_errf(err, errlen, "dedupe: out of memory");
                return -1;
            }
        } else if (spill_table(d, err, errlen) != 0) {
            return -1;
        }
        mask = d->nslots - 1;
        i = h & mask;
        while (!d->append && d->slots[i].e)
            i = (i + 1) & mask;
    }
    size_t need = (sizeof(struct ent) + klen + 7) & ~(size_t)7;
    struct chunk *c = d->chunks;
    if (!c || c->size - c->used < need) {
        size_t cs = sizeof(struct chunk) + need;
        if (cs < d->chunk_size)
            cs = d->chunk_size;
        if (live_used(d) + cs > live_limit(d) && d->n > 0) {
            if (spill_table(d, err, errlen) != 0)
                return -1;
            mask = d->nslots - 1;
            i = h & mask;
        }
        if (cs == d->chunk_size && d->spare) { /* memory already held (and touched) */
            c = d->spare;
            d->spare = c->next;
            d->spare_bytes -= cs;
            d->used += cs;
            if (d->used > d->stats.peak_mem)
                d->stats.peak_mem = d->used;
        } else {
            c = d_alloc(d, cs);
        }
        if (!c) {
            td_errf(err, errlen, "dedupe: out of memory");
            return -1;
        }
        c->size = cs;
        c->used = (sizeof(struct chunk) + 7) & ~(size_t)7;
        c->next = d->chunks;
        d->chunks = c;
    }
    if (d->append)
        i = d->n;                 /* after any spill above */
    struct ent *e = (struct ent *)(void *)((uint8_t *)c + c->used);
    c->used += need;
    e->count = v->count;
    e->time_first = v->time_first;
    e->time_last = v->time_last;
    e->klen = (uint32_t)klen;
    e->reason = v->reason;
    e->rule = v->rule;
    memcpy(ENT_KEY(e), key, klen);
    d->slots[i].e = e;
    d->slots[i].h = h;
    d->n++;
    d->stats.distinct_in_memory = d->n;
    return 0;
}

/* ---------- finish ---------- */

int td_dedupe_finish(struct td_dedupe *d, td_dedupe_emit_fn emit, void *ctx, char *err, size_t errlen)
{
    if (!d || !emit) {
        td_errf(err, errlen, "dedupe: null argument");
        return -1;
    }
    if (d->finished) {
        td_errf(err, errlen, "dedupe: finish called twice");
        return -1;
    }
    d->finished = 1;
    if (err && errlen)
        err[0] = 0;
    if (spill_join(d, 1, err, errlen) != 0)
        return -1;
    struct emit_ctx ec = {d, emit, ctx};
    int with_mem = d->n > 0;
    if (d->nruns > 0 && with_mem && (d->nruns + 1 > MAX_FANIN || !all_runs_fit(d, SRC_ACCT))) {
        if (spill(d, err, errlen) != 0)
            return -1;
        with_mem = 0;
    }
    if (!with_mem) {
        free_chunks(d);
        d_free(d, d->slots, d->nslots * sizeof *d->slots);
        d->slots = NULL;
        d->nslots = 0;
        d->n = 0;
    }
    if (d->nruns == 0 && with_mem) {
        /* only the table: its sorted entries go out directly (what merge() does with one
         * source, without its copies and heap; its memory is charged so peak_mem is the same) */
        const size_t acct = sizeof(struct src) + sizeof(size_t);
        d_charge(d, acct);
        struct item *a = sorted_entries(d);
        int rc = 0;
        for (size_t i = 0; i < d->n && rc == 0; i++) {
            if (i + PREFETCH_AHEAD < d->n)
                prefetch_entry(a[i + PREFETCH_AHEAD].e);
            const struct ent *e = a[i].e;
            struct td_obs_value v;
            memset(&v, 0, sizeof v); /* padding too, as merge()'s zeroed sources give it */
            v.count = e->count;
            v.time_first = e->time_first;
            v.time_last = e->time_last;
            v.reason = e->reason;
            v.rule = e->rule;
            d->stats.emitted++;
            rc = emit(ctx, ENT_KEY(e), e->klen, &v);
        }
        d->used -= acct;
        close_runs(d);
        reset_table(d);
        return rc;
    }
    /* passes over the run list, merging neighbours (so the order of first sight holds) */
    size_t at = 0;
    while (d->nruns > 1 && !all_runs_fit(d, with_mem ? SRC_ACCT : 0)) {
        if (at + 1 >= d->nruns)
            at = 0;
        if (merge_runs(d, at, fan_in_at(d, at), err, errlen) != 0)
            return -1;
        at++;
    }
    size_t nsrc = 0, total = d->nruns + (with_mem ? 1 : 0);
    struct src *s = open_sources(d, 0, d->nruns, with_mem, &nsrc, err, errlen);
    if (!s)
        return -1;
    int rc = nsrc == total ? merge(d, s, total, sink_emit, &ec, err, errlen) : -1;
    close_sources(d, s, nsrc, total);
    close_runs(d);
    if (with_mem)
        reset_table(d);
    return rc;
}
