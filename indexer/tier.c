/* tier.c: generations of every tier from observations, with their source files (tier.h). */
#include "tier.h"

#include "bytes.h"
#include "byteorder.h"
#include "dedupe.h"
#include "durable.h"
#include "errf.h"
#include "generation.h"
#include "keys.h"
#include "varint.h"
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Writer: a thread that takes entries from one producer thread and does the work of their
 * kinds: puts into a generation builder (WK_PUT), records of the source file (WK_SOURCE),
 * adds to a sorter (WK_SORT). Entries come in chunks: the producer fills one chunk of encoded
 * entries (u32 klen, u8 vlen, u8 kind, key, value) while the writer works on those before it
 * (a ring, so that a slow chunk on one side does not stall the other at once); the
 * value is the index value (keys.h) except for WK_SORT, which carries struct td_obs_value as
 * it is (a sorter wants it decoded).
 * A build has three: `w` puts lane 0 into the generation: streaming builds start it at
 * open, each observation comes as its 00 RRSET key and goes to the source file (WK_SOURCE,
 * while the caller holds no source writer: between open and writer_sync) and, unless DNSSEC,
 * to the generation (WK_PUT); lane 0's sorted entries follow at finish. `ws` feeds lane 1's
 * sorter while the input is read; `w1` puts lane 1's sorted entries into the side builder.
 * Memory: WCHUNKS chunks of WCHUNK octets each (an entry is at most 5 + TD_INDEX_KEY_MAX +
 * TD_INDEX_VALUE_MAX, below WCHUNK). Without a thread (pthread_create failed) the caller does
 * the work itself. A sorter fed by WK_SORT is the writer's alone until it is finished. */
#define WCHUNK ((size_t)2 << 20)
#define WCHUNKS 4                     /* a ring: the producer may run up to WCHUNKS - 1 chunks ahead */
#define WHDR 6u
#define WK_PUT 1u
#define WK_SOURCE 2u
#define WK_SORT 4u                    /* alone, never with the others */
_Static_assert(sizeof(struct td_obs_value) <= TD_INDEX_VALUE_MAX, "a WK_SORT value fits where an index value does");

struct gen_writer {
    struct td_gen_build *gen;
    struct td_dedupe *dd;             /* WK_SORT entries go here */
    uint32_t base;                    /* values are encoded against it (keys.h) */
    struct td_obs_writer *sw;         /* WK_SOURCE records go here (owned by the build) */
    pthread_t th;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int sync_ok;                      /* mu and cv initialised */
    int started, joined, done, rc;
    uint8_t *chunk[WCHUNKS];
    size_t fill[WCHUNKS];             /* octets in chunk i */
    int full[WCHUNKS];                /* chunk i handed to the writer, not yet written */
    int cur;                          /* chunk the caller fills */
    char err[512];
};

static int put_chunk(struct gen_writer *w, const uint8_t *p, size_t n)
{
    size_t o = 0;
    while (o < n) {
        uint32_t kl;
        memcpy(&kl, p + o, 4);
        uint8_t vl = p[o + 4], kind = p[o + 5];
        const uint8_t *k = p + o + WHDR, *val = k + kl;
        if ((kind & WK_PUT) && td_gen_build_put(w->gen, k, kl, val, vl, w->err, sizeof w->err) != 0)
            return -1;
        if (kind == WK_SORT) {
            struct td_obs_value v;
            if (!w->dd || vl != sizeof v) {
                snprintf(w->err, sizeof w->err, "sorter record without a sorter or value");
                return -1;
            }
            memcpy(&v, val, sizeof v);
            if (td_dedupe_add(w->dd, k, kl, &v, w->err, sizeof w->err) != 0)
                return -1;
        }
        if (kind & WK_SOURCE) {
            struct td_obs_value v;
            if (!w->sw || td_index_value_decode(val, vl, w->base, &v) != 0) {
                snprintf(w->err, sizeof w->err, "source record without a writer or value");
                return -1;
            }
            if (td_obs_write(w->sw, k + 1, kl - 1, &v, w->err, sizeof w->err) != 0)
                return -1;
        }
        o += WHDR + (size_t)kl + vl;
    }
    return 0;
}

static void *writer_main(void *arg)
{
    struct gen_writer *w = arg;
    int rc = 0;
    pthread_mutex_lock(&w->mu);
    for (int i = 0;;) {
        while (!w->full[i] && !w->done)
            pthread_cond_wait(&w->cv, &w->mu);
        if (!w->full[i])
            break;            /* done, nothing left */
        pthread_mutex_unlock(&w->mu);
        if (rc == 0)
            rc = put_chunk(w, w->chunk[i], w->fill[i]);
        pthread_mutex_lock(&w->mu);
        w->rc = rc;
        w->full[i] = 0;
        w->fill[i] = 0;
        pthread_cond_broadcast(&w->cv);
        i = (i + 1) % WCHUNKS;
    }
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

/* Hands the current chunk over (waits while the writer still holds the next one). */
static int writer_submit(struct gen_writer *w)
{
    int i = w->cur;
    if (!w->fill[i] && w->started) {
        pthread_mutex_lock(&w->mu);
        int rc = w->rc;
        pthread_mutex_unlock(&w->mu);
        return rc;
    }
    if (!w->fill[i])
        return w->rc;
    if (!w->started) {        /* no thread: write here */
        if (w->rc == 0)
            w->rc = put_chunk(w, w->chunk[i], w->fill[i]);
        w->fill[i] = 0;
        return w->rc;
    }
    pthread_mutex_lock(&w->mu);
    w->full[i] = 1;
    pthread_cond_broadcast(&w->cv);
    int next = (i + 1) % WCHUNKS;
    while (w->full[next])
        pthread_cond_wait(&w->cv, &w->mu);
    int rc = w->rc;
    pthread_mutex_unlock(&w->mu);
    w->cur = next;
    return rc;
}

static int writer_start(struct gen_writer *w, struct td_gen_build *gen, struct td_dedupe *dd, uint32_t base,
                        char *err, size_t errlen)
{
    memset(w, 0, sizeof *w);
    w->gen = gen;
    w->dd = dd;
    w->base = base;
    for (int i = 0; i < WCHUNKS; i++)
        if (!(w->chunk[i] = malloc(WCHUNK))) {
            td_errf(err, errlen, "out of memory");
            return -1;
        }
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->cv, NULL);
    w->sync_ok = 1;
    if (pthread_create(&w->th, NULL, writer_main, w) == 0)
        w->started = 1;
    return 0;
}

/* One record: kind WK_PUT (a data key and its value to the generation, in key order) and/or
 * WK_SOURCE (key = 00 | obs key: the observation to the source file). 0, or -1 with err. */
static int writer_put(struct gen_writer *w, const uint8_t *key, size_t klen, const struct td_obs_value *v,
                      unsigned kind, char *err, size_t errlen)
{
    if (klen > TD_INDEX_KEY_MAX) {
        td_errf(err, errlen, "index key of %zu octets", klen);
        return -1;
    }
    if (WCHUNK - w->fill[w->cur] < WHDR + klen + TD_INDEX_VALUE_MAX && writer_submit(w) != 0) {
        td_errf(err, errlen, "%s", w->err);
        return -1;
    }
    uint8_t *p = w->chunk[w->cur] + w->fill[w->cur];
    uint32_t kl = (uint32_t)klen;
    memcpy(p, &kl, 4);
    p[5] = (uint8_t)kind;
    memcpy(p + WHDR, key, klen);
    size_t vl = sizeof *v;
    if (kind == WK_SORT)
        memcpy(p + WHDR + klen, v, vl);
    else
        vl = td_index_value_encode(v, w->base, p + WHDR + klen);
    p[4] = (uint8_t)vl;
    w->fill[w->cur] += WHDR + klen + vl;
    return 0;
}

/* Everything handed over is written (the caller may use w->sw again). 0, or -1 (w->err). */
static int writer_sync(struct gen_writer *w)
{
    int rc = writer_submit(w);
    if (rc != 0 || !w->started)
        return rc;
    pthread_mutex_lock(&w->mu);
    for (int i = 0; i < WCHUNKS; i++)
        while (w->full[i])
            pthread_cond_wait(&w->cv, &w->mu);
    rc = w->rc;
    pthread_mutex_unlock(&w->mu);
    return rc;
}

/* Submits what is left, waits for the writer; its result (0 or -1 with w->err). */
static int writer_finish(struct gen_writer *w)
{
    int rc = 0;
    if (w->chunk[WCHUNKS - 1]) /* all allocated */
        rc = writer_submit(w);
    if (w->started && !w->joined) {
        pthread_mutex_lock(&w->mu);
        w->done = 1;
        pthread_cond_broadcast(&w->cv);
        pthread_mutex_unlock(&w->mu);
        pthread_join(w->th, NULL);
        w->joined = 1;
        rc = w->rc;
    } else if (rc == 0) {
        rc = w->rc;
    }
    return rc;
}

/* Stops the thread (if any) and frees the chunks; the generation is the caller's. */
static void writer_free(struct gen_writer *w)
{
    if (w->started && !w->joined)
        writer_finish(w);
    if (w->sync_ok) {
        pthread_mutex_destroy(&w->mu);
        pthread_cond_destroy(&w->cv);
    }
    for (int i = 0; i < WCHUNKS; i++)
        free(w->chunk[i]);
    memset(w, 0, sizeof *w);
}

/* Streaming. While the observations arrive in non-decreasing obs key order (one sorted file,
 * or the k-way merge of several: td_tier_build_add_obs_files), their non-DNSSEC RRSET entries
 * (type byte 00: the observation key itself, so already in order) and their source entries
 * skip the sorter: equal neighbours merge into `pend`, each distinct observation goes
 * straight to a source file in the spill directory (sstream) and its 00 entry, which sorts
 * before every other data entry, straight to the generation writer. The first observation
 * below its predecessor ends streaming for this build: the generation so far is dropped, the
 * source file so far is read back into the sorter as RRSET and TD_TIER_SRC_MARK entries, and
 * everything after goes to the sorter too. Either way the generation and source are the same.
 *
 * Copied source: when the build's input is one observation file (td_tier_build_add_obs_file
 * before anything else), the source file would be that file's records again (strictly
 * increasing keys, no reason or rule: batch/OBS_FORMAT.md), so it is not written while
 * streaming but copied from the file at finish (copy_fd, opened when the file was; the reader
 * reads the same inode through /proc/self/fd; without /proc, no copy). Anything else
 * (another input; a record equal to or below the previous one, which a valid file never has)
 * first writes the records streamed so far into the stream source file, read again from
 * copy_fd (copy_materialize), and the build goes on as without the shortcut.
 *
 * Two lanes: the sorter is two dedupes split at a key (below), lane 0 under it (RRSET entries
 * that did not stream, NAME_FWD, the first RDATA keys), lane 1 from it on (the other RDATA
 * keys, NAME_REV, DNSSEC, source marks), each with half the memory cap. At finish each lane merges on its own thread into
 * its own writer thread: lane 0 into the generation, lane 1 into a side builder whose tables
 * follow (td_gen_build_join), so the two halves are merged and written at once.
 *
 * Where lane 1 starts: lane 1's types carry most of the octets (RDATA keys are long), and the
 * lane with more to write ends last while the other core waits. So lane 1 starts at a split
 * key within its types, chosen to even out the octets: the first SPLIT_SAMPLE_ENTRIES
 * (opts.split_sample) entries of lane 1's types, SPLIT_SAMPLE_OCTETS at most (held beside
 * the sorters' cap), are held back and sorted; the split is the sample key below which lane
 * 0's entries so far and the sample's add up to SPLIT_LANE0_PCT percent of both (an entry
 * weighs its key plus SPLIT_VALUE_WEIGHT). The held entries then go to their lanes, and so
 * does everything after. Lane 0 may so take a first part of the RDATA keys; its entries stay
 * below every entry of lane 1.
 * SPLIT_LANE0_PCT is measured, not derived: on the 10M-RRset bench the sample's estimate of
 * lane 0's share is close (51% of the octets at a 50% target, with 21% more entries than
 * lane 1), yet lane 0 takes longer per octet (why is not measured). At 50% lane 0 ended
 * 0.45-0.8 s after lane 1; at 42% the two end within 0.04 s (at 35% lane 1 ends 1 s late).
 * Other data may want another share; nothing but the balance depends on it. */
#define LANE1_FIRST TD_IK_RDATA
#define SPLIT_SAMPLE_ENTRIES 65536u
#define SPLIT_SAMPLE_OCTETS (8u << 20)
#define SPLIT_VALUE_WEIGHT 6u
#define SPLIT_LANE0_PCT 42u

struct td_tier_build {
    char root[PATH_MAX], name[TD_FILESET_NAME_MAX];
    char gtmp[PATH_MAX], gfin[PATH_MAX], spill[PATH_MAX], src[PATH_MAX], sstream[PATH_MAX];
    struct td_tier_opts opts;
    struct td_dedupe *dd[2];          /* the lanes' sorters */
    struct td_gen_build *gen;
    struct gen_writer w;              /* started with gen */
    struct td_gen_build *side;        /* lane 1's tables, from finish until joined */
    struct gen_writer w1;             /* started with side */
    struct gen_writer ws;             /* lane 1's sorter is fed on this thread until finish */
    uint8_t *split;                   /* lane 1's first key, once chosen (NULL: sampling) */
    size_t split_len;
    struct td_bytes sample;           /* held entries: u32le klen, key, struct td_obs_value */
    size_t sample_n;
    uint64_t sample_lane0;            /* weight of lane 0's entries while sampling */
    struct td_obs_writer *sw;
    uint8_t *mark;                    /* TD_TIER_SRC_MARK | obs key */
    int streaming;                    /* 1 while the input has been in order */
    uint8_t *pend;                    /* streaming: the last observation, not yet written */
    size_t pend_len;
    struct td_obs_value pend_v;
    int copy_fd;                      /* the input whose copy the source file will be (its
                                       * records so far are not in the stream source); -1 none */
    long long copy_size;              /* its size when opened: the copy must have as many octets */
    uint8_t fwd[1 + 255];             /* the last NAME_FWD entry, not yet in the sorter */
    size_t fwd_len;
    struct td_obs_value fwd_v;
    uint64_t nobs, entries_in, distinct;
    uint32_t min_tf, max_tl;
    uint32_t base;                    /* td_tier_time_base of the name */
    double t0;
    char err[512];                    /* errors from inside the emit callbacks */
};

uint32_t td_tier_time_base(const char *name)
{
    static const struct {
        char tier;
        size_t digits;
    } tiers[] = { { 'h', 10 }, { 'd', 8 }, { 'm', 6 } };
    for (size_t i = 0; i < sizeof tiers / sizeof tiers[0]; i++) {
        if (name[0] != tiers[i].tier || name[1] != '.' || strspn(name + 2, "0123456789") < tiers[i].digits)
            continue;
        const char *d = name + 2;
        struct tm tm = { 0 };
        tm.tm_year = (d[0] - '0') * 1000 + (d[1] - '0') * 100 + (d[2] - '0') * 10 + (d[3] - '0') - 1900;
        tm.tm_mon = (d[4] - '0') * 10 + (d[5] - '0') - 1;
        tm.tm_mday = tiers[i].digits >= 8 ? (d[6] - '0') * 10 + (d[7] - '0') : 1;
        tm.tm_hour = tiers[i].digits >= 10 ? (d[8] - '0') * 10 + (d[9] - '0') : 0;
        time_t t = timegm(&tm);
        return t > 0 && t <= (time_t)UINT32_MAX ? (uint32_t)t : 0;
    }
    return 0;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void step(const struct td_tier_opts *o, const char *name)
{
    if (o && o->step)
        o->step(o->step_ctx, name);
}

static int joinp(char *out, size_t cap, const char *a, const char *b, char *err, size_t errlen)
{
    if (snprintf(out, cap, "%s/%s", a, b) >= (int)cap) {
        td_errf(err, errlen, "path too long: %.200s/%.100s", a, b);
        return -1;
    }
    return 0;
}

int td_tier_source_path(char *out, size_t cap, const char *root, const char *name)
{
    return snprintf(out, cap, "%s/%s/%s", root, name, TD_TIER_SOURCE) >= (int)cap ? -1 : 0;
}

/* The generation under construction and its writer, values encoded against b->base. */
static int gen_open(struct td_tier_build *b, char *err, size_t errlen)
{
    struct td_gen_opts go = { .time_base = b->base };
    if (!(b->gen = td_gen_build_open(b->gtmp, &go, err, errlen)))
        return -1;
    return writer_start(&b->w, b->gen, NULL, b->base, err, errlen);
}

struct td_tier_build *td_tier_build_open(const char *root, const char *name, const struct td_tier_opts *opts,
                                         char *err, size_t errlen)
{
    if (!td_fileset_name_ok(name)) {
        td_errf(err, errlen, "bad generation name '%s'", name);
        return NULL;
    }
    struct td_tier_build *b = calloc(1, sizeof *b);
    if (!b || !(b->mark = malloc(1 + TD_OBS_KEY_MAX)) || !(b->pend = malloc(TD_OBS_KEY_MAX))) {
        if (b)
            free(b->mark);
        free(b);
        td_errf(err, errlen, "out of memory");
        return NULL;
    }
    if (opts)
        b->opts = *opts;
    snprintf(b->root, sizeof b->root, "%s", root);
    snprintf(b->name, sizeof b->name, "%s", name);
    b->base = td_tier_time_base(name);
    char tmp[PATH_MAX], sp[TD_FILESET_NAME_MAX + 8];
    snprintf(sp, sizeof sp, "spill-%s", name);
    if (joinp(tmp, sizeof tmp, root, "tmp", err, errlen) || joinp(b->gtmp, sizeof b->gtmp, tmp, name, err, errlen) ||
        joinp(b->gfin, sizeof b->gfin, root, name, err, errlen) ||
        joinp(b->spill, sizeof b->spill, tmp, sp, err, errlen) ||
        joinp(b->src, sizeof b->src, b->gtmp, TD_TIER_SOURCE, err, errlen) ||
        joinp(b->sstream, sizeof b->sstream, b->spill, TD_TIER_SOURCE, err, errlen))
        goto fail;
    b->streaming = 1;
    b->copy_fd = -1;
    if (mkdir(b->spill, 0755) != 0) {
        td_errf(err, errlen, "%s: %s", b->spill, strerror(errno));
        b->spill[0] = 0;
        goto fail;
    }
    struct td_dedupe_opts dopts = { .mem_cap = b->opts.mem_cap ? b->opts.mem_cap : 256u << 20,
                                    .spill_dir = b->spill,
                                    .append = 1 };
    dopts.mem_cap /= 2;
    if (!(b->dd[0] = td_dedupe_init(&dopts, err, errlen)) || !(b->dd[1] = td_dedupe_init(&dopts, err, errlen)) ||
        writer_start(&b->ws, NULL, b->dd[1], b->base, err, errlen) != 0)
        goto fail;
    /* streaming from the start: the generation takes RRSET entries while the input is read */
    if (gen_open(b, err, errlen) != 0 || !(b->sw = td_obs_writer_open(b->sstream, 0, err, errlen)))
        goto fail;
    b->w.sw = b->sw;
    b->min_tf = UINT32_MAX;
    b->t0 = now_s();
    return b;
fail:
    td_tier_build_abort(&b);
    return NULL;
}

void td_tier_build_abort(struct td_tier_build **bp)
{
    struct td_tier_build *b = *bp;
    if (!b)
        return;
    writer_free(&b->w);       /* first: the threads may be writing to sw or sorting */
    writer_free(&b->w1);
    writer_free(&b->ws);
    if (b->sw)
        td_obs_writer_abort(&b->sw);
    if (b->side)
        td_gen_build_abort(&b->side);
    if (b->gen)
        td_gen_build_abort(&b->gen);
    td_dedupe_destroy(&b->dd[0]);
    td_dedupe_destroy(&b->dd[1]);
    if (b->copy_fd >= 0)
        close(b->copy_fd);
    if (b->spill[0])
        td_gen_remove_tree(b->spill, NULL, 0);
    free(b->mark);
    free(b->pend);
    free(b->split);
    td_bytes_free(&b->sample);
    free(b);
    *bp = NULL;
}

/* An entry into the sorter of its lane once the split is chosen: lane 0 here, lane 1 through
 * its thread. */
static int lane_add(struct td_tier_build *b, const uint8_t *key, size_t klen, const struct td_obs_value *v,
                    char *err, size_t errlen)
{
    if (key[0] >= LANE1_FIRST && td_key_cmp(key, klen, b->split, b->split_len) >= 0)
        return writer_put(&b->ws, key, klen, v, WK_SORT, err, errlen);
    return td_dedupe_add(b->dd[0], key, klen, v, err, errlen);
}

struct held {
    const uint8_t *key;       /* in b->sample, its value after it */
    size_t klen;
};

static int held_cmp(const void *x, const void *y)
{
    const struct held *a = x, *c = y;
    return td_key_cmp(a->key, a->klen, c->key, c->klen);
}

/* Chooses the split from the sample (see LANE1_FIRST), then sends the held entries to their
 * lanes. With no sample, or lane 0 already the heavier, lane 1 starts at its first type. */
static int split_settle(struct td_tier_build *b, char *err, size_t errlen)
{
    struct held *h = b->sample_n ? malloc(b->sample_n * sizeof *h) : NULL;
    if (b->sample_n && !h) {
        td_errf(err, errlen, "index build: out of memory");
        return -1;
    }
    uint64_t total = b->sample_lane0;
    size_t n = 0;
    for (size_t o = 0; o < b->sample.len; n++) {
        h[n].klen = td_get_le32(b->sample.p + o);
        h[n].key = b->sample.p + o + 4;
        o += 4 + h[n].klen + sizeof(struct td_obs_value);
        total += h[n].klen + SPLIT_VALUE_WEIGHT;
    }
    if (n)
        qsort(h, n, sizeof *h, held_cmp);
    const uint8_t first[1] = { LANE1_FIRST };
    const uint8_t *split = first;
    size_t split_len = 1;
    uint64_t lane0 = b->sample_lane0;
    for (size_t i = 0; i < n; i++) {
        split = h[i].key; /* h[i] and above: lane 1 */
        split_len = h[i].klen;
        if (lane0 * 100 >= total * SPLIT_LANE0_PCT)
            break;
        lane0 += h[i].klen + SPLIT_VALUE_WEIGHT;
    }
    int rc = 0;
    if ((b->split = malloc(split_len)) != NULL) {
        memcpy(b->split, split, split_len);
        b->split_len = split_len;
    } else {
        td_errf(err, errlen, "index build: out of memory");
        rc = -1;
    }
    for (size_t i = 0; i < n && rc == 0; i++) { /* in key order: the order of adds is free */
        struct td_obs_value v;
        memcpy(&v, h[i].key + h[i].klen, sizeof v);
        rc = lane_add(b, h[i].key, h[i].klen, &v, err, errlen);
    }
    free(h);
    if (rc != 0)
        return -1;
    td_bytes_free(&b->sample);
    b->sample_n = 0;
    return 0;
}

/* An entry into the sorter of its lane, or into the sample while the split is not chosen. */
static int sort_add(struct td_tier_build *b, const uint8_t *key, size_t klen, const struct td_obs_value *v,
                    char *err, size_t errlen)
{
    if (b->split)
        return lane_add(b, key, klen, v, err, errlen);
    if (key[0] < LANE1_FIRST) {
        b->sample_lane0 += klen + SPLIT_VALUE_WEIGHT;
        return td_dedupe_add(b->dd[0], key, klen, v, err, errlen);
    }
    uint8_t kl[4];
    td_put_le32(kl, (uint32_t)klen);
    if (td_bytes_put(&b->sample, kl, 4) != 0 || td_bytes_put(&b->sample, key, klen) != 0 ||
        td_bytes_put(&b->sample, v, sizeof *v) != 0) {
        td_errf(err, errlen, "index build: out of memory");
        return -1;
    }
    size_t max_n = b->opts.split_sample ? b->opts.split_sample : SPLIT_SAMPLE_ENTRIES;
    if (++b->sample_n >= max_n || b->sample.len >= SPLIT_SAMPLE_OCTETS)
        return split_settle(b, err, errlen);
    return 0;
}

/* The held NAME_FWD entry into the sorter (error in b->err). */
static int fwd_flush(struct td_tier_build *b)
{
    size_t n = b->fwd_len;
    if (!n)
        return 0;
    b->fwd_len = 0;
    return sort_add(b, b->fwd, n, &b->fwd_v, b->err, sizeof b->err) != 0 ? -1 : 0;
}

/* Index entries of one observation. NAME_FWD entries of consecutive observations of one owner
 * (neighbours in obs key order) merge here before the sorter: one per owner, not per RRset. */
static int add_entry(void *ctx, const uint8_t *key, size_t klen, const struct td_obs_value *v)
{
    struct td_tier_build *b = ctx;
    b->entries_in++;
    if (b->streaming && key[0] == TD_IK_RRSET)
        return 0;             /* written from the stream source at finish */
    if ((key[0] & 0x0f) == TD_IK_NAME_FWD && klen <= sizeof b->fwd) {
        if (klen == b->fwd_len && memcmp(key, b->fwd, klen) == 0) {
            td_obs_merge(&b->fwd_v, v);
            return 0;
        }
        if (fwd_flush(b) != 0)
            return -1;
        memcpy(b->fwd, key, klen);
        b->fwd_len = klen;
        b->fwd_v = *v;
        return 0;
    }
    return sort_add(b, key, klen, v, b->err, sizeof b->err) != 0 ? -1 : 0;
}

/* The rrtype of an observation key (after rev(owner)); -1 if malformed. */
static int obs_key_rrtype(const uint8_t *key, size_t klen)
{
    size_t o = 0;
    while (o < klen && key[o])
        o += 1u + key[o];
    uint64_t t;
    o++;
    if (o > klen || td_varint_get(key, klen, &o, 65535, &t) != 0)
        return -1;
    return (int)t;
}

/* Streaming: the pending observation to the stream source file. */
static int pend_flush(struct td_tier_build *b, char *err, size_t errlen)
{
    if (!b->pend_len)
        return 0;
    b->distinct++;
    int t = obs_key_rrtype(b->pend, b->pend_len);
    unsigned kind = (b->copy_fd >= 0 ? 0 : WK_SOURCE) |
                    (t >= 0 && !td_index_rrtype_is_dnssec((uint16_t)t) ? WK_PUT : 0);
    b->mark[0] = TD_IK_RRSET;
    memcpy(b->mark + 1, b->pend, b->pend_len);
    if (kind && writer_put(&b->w, b->mark, b->pend_len + 1, &b->pend_v, kind, err, errlen) != 0)
        return -1;
    b->pend_len = 0;
    return 0;
}

static void proc_fd_path(int fd, char *out, size_t cap)
{
    snprintf(out, cap, "/proc/self/fd/%d", fd);
}

/* Copied source given up: the b->distinct records streamed so far (the copy file's first
 * records) into the stream source file, from copy_fd. The writer never touches b->sw while
 * there is a copy_fd (no WK_SOURCE records were sent). 0, or -1 with err. */
static int copy_materialize(struct td_tier_build *b, char *err, size_t errlen)
{
    int fd = b->copy_fd;
    if (fd < 0)
        return 0;
    b->copy_fd = -1;
    char p[64];
    proc_fd_path(fd, p, sizeof p);
    struct td_obs_reader *r = td_obs_reader_open(p, err, errlen);
    if (!r) {
        close(fd);
        return -1;
    }
    const uint8_t *key;
    size_t klen;
    struct td_obs_value v;
    int got = 1;
    for (uint64_t i = 0; i < b->distinct && got == 1; i++) {
        got = td_obs_read(r, &key, &klen, &v, err, errlen);
        if (got == 0)
            td_errf(err, errlen, "the input file ended early when read again");
        v.reason = 0;
        v.rule = 0;
        if (got == 1 && td_obs_write(b->sw, key, klen, &v, err, errlen) != 0)
            got = -1;
    }
    td_obs_reader_close(&r);
    close(fd);
    return got == 1 ? 0 : -1;
}

/* Streaming: the source file so far, closed (empty if nothing came). */
static int stream_close(struct td_tier_build *b, char *err, size_t errlen)
{
    if (pend_flush(b, err, errlen) != 0)
        return -1;
    if (writer_sync(&b->w) != 0) {
        td_errf(err, errlen, "%s", b->w.err);
        return -1;
    }
    b->w.sw = NULL;
    return td_obs_writer_close(&b->sw, err, errlen);
}

/* The observation's source entry into the sorter, and its RRSET entry if with_rrset (an
 * observation that was streamed: its 00 entry was skipped). */
static int sort_rrset_and_mark(struct td_tier_build *b, const uint8_t *key, size_t klen,
                               const struct td_obs_value *v, int with_rrset, char *err, size_t errlen)
{
    b->mark[0] = TD_TIER_SRC_MARK;
    memcpy(b->mark + 1, key, klen);
    if (sort_add(b, b->mark, klen + 1, v, err, errlen) != 0)
        return -1;
    int rrtype = with_rrset ? obs_key_rrtype(key, klen) : -1;
    if (rrtype < 0 || td_index_rrtype_is_dnssec((uint16_t)rrtype))
        return 0;              /* DNSSEC RRSET entries never skipped the sorter */
    b->mark[0] = TD_IK_RRSET;
    return sort_add(b, b->mark, klen + 1, v, err, errlen);
}

/* Input out of order: end streaming; what was streamed goes into the sorter. */
static int stream_fallback(struct td_tier_build *b, char *err, size_t errlen)
{
    if (copy_materialize(b, err, errlen) != 0 || stream_close(b, err, errlen) != 0)
        return -1;
    b->streaming = 0;
    b->distinct = 0;
    /* the RRSET entries it took go into the sorter instead: a new generation at finish */
    writer_free(&b->w);
    td_gen_build_abort(&b->gen);
    struct td_obs_reader *r = td_obs_reader_open(b->sstream, err, errlen);
    if (!r)
        return -1;
    const uint8_t *key;
    size_t klen;
    struct td_obs_value v;
    int got;
    while ((got = td_obs_read(r, &key, &klen, &v, err, errlen)) == 1)
        if (sort_rrset_and_mark(b, key, klen, &v, 1, err, errlen) != 0) {
            got = -1;
            break;
        }
    td_obs_reader_close(&r);
    unlink(b->sstream);
    return got < 0 ? -1 : 0;
}

/* One observation; from_copy: it is the next record of the copy file. */
static int add_obs(struct td_tier_build *b, const uint8_t *key, size_t klen, const struct td_obs_value *v,
                   int from_copy, char *err, size_t errlen)
{
    b->err[0] = 0;
    if (klen == 0 || klen > TD_OBS_KEY_MAX || v->time_first > v->time_last) {
        td_errf(err, errlen, "bad observation (key length %zu, times %u..%u)", klen, (unsigned)v->time_first,
                (unsigned)v->time_last);
        return -1;
    }
    int c = b->streaming && b->pend_len ? td_key_cmp(key, klen, b->pend, b->pend_len) : 1;
    if (b->copy_fd >= 0 && (!from_copy || c <= 0) && copy_materialize(b, err, errlen) != 0)
        return -1;
    struct td_obs_value ov = *v;
    ov.reason = 0;
    ov.rule = 0;
    if (c < 0 && stream_fallback(b, err, errlen) != 0)
        return -1;
    if (td_index_entries(key, klen, &ov, add_entry, b, err, errlen) != 0) {
        if (b->err[0])
            td_errf(err, errlen, "%s", b->err);
        return -1;
    }
    if (b->streaming) {
        if (c == 0) {
            td_obs_merge(&b->pend_v, &ov);
        } else {
            if (pend_flush(b, err, errlen) != 0)
                return -1;
            memcpy(b->pend, key, klen);
            b->pend_len = klen;
            b->pend_v = ov;
        }
    } else if (sort_rrset_and_mark(b, key, klen, &ov, 0, err, errlen) != 0) {
        return -1;
    }
    b->nobs++;
    if (ov.time_first < b->min_tf)
        b->min_tf = ov.time_first;
    if (ov.time_last > b->max_tl)
        b->max_tl = ov.time_last;
    return 0;
}

int td_tier_build_add(struct td_tier_build *b, const uint8_t *key, size_t klen, const struct td_obs_value *v,
                      char *err, size_t errlen)
{
    return add_obs(b, key, klen, v, 0, err, errlen);
}

int td_tier_build_add_obs_file(struct td_tier_build *b, const char *path, char *err, size_t errlen)
{
    if (copy_materialize(b, err, errlen) != 0)
        return -1;
    /* the first input of a streaming build: its source may be a copy of this file */
    int fd = b->streaming && b->nobs == 0 ? open(path, O_RDONLY | O_CLOEXEC) : -1;
    struct stat sb;
    if (fd >= 0 && (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode))) { /* a pipe cannot be read twice */
        close(fd);
        fd = -1;
    }
    char p[64];
    struct stat pb;
    if (fd >= 0) {
        proc_fd_path(fd, p, sizeof p);
        if (stat(p, &pb) != 0 || pb.st_ino != sb.st_ino || pb.st_dev != sb.st_dev) {
            close(fd); /* no /proc: no copy, the source is written as without one */
            fd = -1;
        }
    }
    struct td_obs_reader *r = td_obs_reader_open(fd >= 0 ? p : path, err, errlen);
    if (!r) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    if (fd >= 0) {
        b->copy_fd = fd;
        b->copy_size = (long long)sb.st_size;
    }
    if (td_obs_reader_is_discard(r)) {
        td_errf(err, errlen, "%s: a discard file, not observations", path);
        td_obs_reader_close(&r);
        return -1;
    }
    const uint8_t *key;
    size_t klen;
    struct td_obs_value v;
    int got;
    uint64_t n = 0;
    char e2[512];
    while ((got = td_obs_read(r, &key, &klen, &v, err, errlen)) == 1) {
        n++;
        if (add_obs(b, key, klen, &v, b->copy_fd >= 0, e2, sizeof e2) != 0) {
            td_errf(err, errlen, "%s: observation %llu: %s", path, (unsigned long long)n, e2);
            got = -1;
            break;
        }
    }
    td_obs_reader_close(&r);
    return got < 0 ? -1 : 0;
}

/* k-way merge of several sorted observation files (binary heap of readers by current key),
 * so the builder sees one sorted stream and keeps streaming. */
#define KWAY_MAX 64u

struct kway_src {
    struct td_obs_reader *r;
    const uint8_t *key;
    size_t klen;
    struct td_obs_value v;
    uint64_t n;
    int i;                            /* input position: ties go to the earlier file */
};

static int kway_less(const struct kway_src *a, const struct kway_src *b)
{
    int c = td_key_cmp(a->key, a->klen, b->key, b->klen);
    return c < 0 || (c == 0 && a->i < b->i);
}

static void kway_down(struct kway_src **h, size_t n, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, m = i;
        if (l < n && kway_less(h[l], h[m]))
            m = l;
        if (l + 1 < n && kway_less(h[l + 1], h[m]))
            m = l + 1;
        if (m == i)
            return;
        struct kway_src *t = h[i];
        h[i] = h[m];
        h[m] = t;
        i = m;
    }
}

int td_tier_build_add_obs_files(struct td_tier_build *b, char *const *paths, int n, char *err, size_t errlen)
{
    if (n <= 1 || (unsigned)n > KWAY_MAX) {
        for (int i = 0; i < n; i++)
            if (td_tier_build_add_obs_file(b, paths[i], err, errlen) != 0)
                return -1;
        return 0;
    }
    struct kway_src *src = calloc((size_t)n, sizeof *src);
    struct kway_src **h = calloc((size_t)n, sizeof *h);
    size_t hn = 0;
    int rc = -1;
    char e2[512];
    if (!src || !h) {
        td_errf(err, errlen, "out of memory");
        goto out;
    }
    for (int i = 0; i < n; i++) {
        src[i].i = i;
        if (!(src[i].r = td_obs_reader_open(paths[i], err, errlen)))
            goto out;
        if (td_obs_reader_is_discard(src[i].r)) {
            td_errf(err, errlen, "%s: a discard file, not observations", paths[i]);
            goto out;
        }
        int got = td_obs_read(src[i].r, &src[i].key, &src[i].klen, &src[i].v, err, errlen);
        if (got < 0)
            goto out;
        if (got == 1) {
            src[i].n = 1;
            h[hn++] = &src[i];
        }
    }
    for (size_t i = hn / 2; i-- > 0;)
        kway_down(h, hn, i);
    while (hn) {
        struct kway_src *t = h[0];
        if (td_tier_build_add(b, t->key, t->klen, &t->v, e2, sizeof e2) != 0) {
            td_errf(err, errlen, "%s: observation %llu: %s", paths[t->i], (unsigned long long)t->n, e2);
            goto out;
        }
        int got = td_obs_read(t->r, &t->key, &t->klen, &t->v, err, errlen);
        if (got < 0)
            goto out;
        if (got == 1)
            t->n++;
        else
            h[0] = h[--hn];
        kway_down(h, hn, 0);
    }
    rc = 0;
out:
    for (int i = 0; src && i < n; i++)
        if (src[i].r)
            td_obs_reader_close(&src[i].r);
    free(src);
    free(h);
    return rc;
}

int td_tier_build_add_source(struct td_tier_build *b, const char *root, const char *name, char *err,
                             size_t errlen)
{
    char p[PATH_MAX];
    if (td_tier_source_path(p, sizeof p, root, name) != 0) {
        td_errf(err, errlen, "path too long");
        return -1;
    }
    return td_tier_build_add_obs_file(b, p, err, errlen);
}

/* The source file as a copy of the copy file (the empty stream source dropped). */
static int copy_source(struct td_tier_build *b, char *err, size_t errlen)
{
    unlink(b->sstream);
    int out = open(b->src, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (out < 0) {
        td_errf(err, errlen, "%s: %s", b->src, strerror(errno));
        return -1;
    }
    long long n = td_copy_fd(b->copy_fd, out);
    int rc = n == b->copy_size ? 0 : -1;
    if (n < 0)
        td_errf(err, errlen, "copying the input into %s: %s", b->src, strerror(errno));
    else if (rc != 0)
        td_errf(err, errlen, "the input file changed size during the build (%lld octets, then %lld)", b->copy_size, n);
    /* writeback starts here, beside the lanes; the generation's fsync before its rename is what
     * makes the file durable (then it finds little left to write) */
    if (rc == 0)
        (void)sync_file_range(out, 0, 0, SYNC_FILE_RANGE_WRITE);
    if (close(out) != 0 && rc == 0) {
        td_errf(err, errlen, "%s: %s", b->src, strerror(errno));
        rc = -1;
    }
    return rc;
}

/* copy_source on a thread of its own, beside the lanes (its octets are none of theirs). */
struct source_copy {
    struct td_tier_build *b;
    int rc;
    char err[512];
};

static void *source_copy_main(void *arg)
{
    struct source_copy *c = arg;
    c->rc = copy_source(c->b, c->err, sizeof c->err);
    return NULL;
}

/* One lane's finish: its sorter's entries, merged, to its writer (source marks to the source
 * file: lane 1 only, which alone holds b->sw then), then the writer finished. */
struct lane {
    struct td_tier_build *b;
    struct td_dedupe *dd;
    struct gen_writer *w;
    int rc;
    char err[512], emit_err[512];
};

static int put_lane(void *ctx, const uint8_t *key, size_t klen, const struct td_obs_value *v)
{
    struct lane *l = ctx;
    struct td_tier_build *b = l->b;
    if (key[0] == TD_TIER_SRC_MARK) {
        if (!b->sw && !(b->sw = td_obs_writer_open(b->src, 0, l->emit_err, sizeof l->emit_err)))
            return -1;
        b->distinct++;
        return td_obs_write(b->sw, key + 1, klen - 1, v, l->emit_err, sizeof l->emit_err) != 0 ? -1 : 0;
    }
    return writer_put(l->w, key, klen, v, WK_PUT, l->emit_err, sizeof l->emit_err);
}

static void *lane_main(void *arg)
{
    struct lane *l = arg;
    l->rc = td_dedupe_finish(l->dd, put_lane, l, l->err, sizeof l->err);
    if (l->rc != 0 && l->emit_err[0])
        snprintf(l->err, sizeof l->err, "%s", l->emit_err);
    if (writer_finish(l->w) != 0 && l->rc == 0) {
        snprintf(l->err, sizeof l->err, "%s", l->w->err);
        l->rc = -1;
    }
    return NULL;
}

/* Both lanes, lane 1 on a thread of its own (here after lane 0 if none can start), and the
 * copied source file (if the build has one) on another, then the side builder joined. */
static int finish_lanes(struct td_tier_build *b, char *err, size_t errlen)
{
    if (!b->split && split_settle(b, err, errlen) != 0)
        return -1;
    if (writer_finish(&b->ws) != 0) {
        td_errf(err, errlen, "%s", b->ws.err);
        return -1;
    }
    writer_free(&b->ws);
    if (!(b->side = td_gen_build_side(b->gen, err, errlen)) ||
        writer_start(&b->w1, b->side, NULL, b->base, err, errlen) != 0)
        return -1;
    struct lane l0 = { .b = b, .dd = b->dd[0], .w = &b->w }, l1 = { .b = b, .dd = b->dd[1], .w = &b->w1 };
    struct source_copy sc = { .b = b };
    pthread_t th, tc;
    int copying = b->streaming && b->copy_fd >= 0;
    int threaded = pthread_create(&th, NULL, lane_main, &l1) == 0;
    int copy_threaded = copying && pthread_create(&tc, NULL, source_copy_main, &sc) == 0;
    lane_main(&l0);
    if (threaded)
        pthread_join(th, NULL);
    else
        lane_main(&l1);
    if (copy_threaded)
        pthread_join(tc, NULL);
    else if (copying)
        source_copy_main(&sc);
    writer_free(&b->w);
    writer_free(&b->w1);
    if (l0.rc != 0 || l1.rc != 0 || sc.rc != 0) {
        td_errf(err, errlen, "%s", l0.rc != 0 ? l0.err : l1.rc != 0 ? l1.err : sc.err);
        return -1;
    }
    return td_gen_build_join(b->gen, &b->side, err, errlen);
}

int td_tier_build_finish(struct td_tier_build **bp, const char *source_text, struct td_tier_report *rep,
                         char *err, size_t errlen)
{
    struct td_tier_build *b = *bp;
    int rc = -1;
    b->err[0] = 0;
    if (b->nobs == 0)
        b->min_tf = b->max_tl = 0;
    if (fwd_flush(b) != 0) {
        td_errf(err, errlen, "%s", b->err);
        goto out;
    }
    if (b->streaming && stream_close(b, err, errlen) != 0)
        goto out;
    double t1 = now_s();
    step(&b->opts, "sorted");
    if (!b->gen && gen_open(b, err, errlen) != 0)
        goto out;
    if (finish_lanes(b, err, errlen) != 0) /* and the copied source file, if any */
        goto out;
    if (b->streaming && b->copy_fd < 0) {
        if (rename(b->sstream, b->src) != 0) {
            td_errf(err, errlen, "rename %s -> %s: %s", b->sstream, b->src, strerror(errno));
            goto out;
        }
    } else if (!b->streaming) {
        if (!b->sw && !(b->sw = td_obs_writer_open(b->src, 0, err, errlen)))
            goto out;
        if (td_obs_writer_close(&b->sw, err, errlen) != 0)
            goto out;
    }
    uint64_t written = td_gen_build_stats(b->gen)->entries;
    double t2 = now_s();
    step(&b->opts, "written");
    if (td_gen_build_finish(&b->gen, b->min_tf, b->max_tl, source_text, b->gfin, err, errlen) != 0) {
        td_gen_remove_tree(b->gtmp, NULL, 0);
        goto out;
    }
    double t3 = now_s();
    if (rep) {
        const struct td_dedupe_stats *d0 = td_dedupe_stats(b->dd[0]), *d1 = td_dedupe_stats(b->dd[1]);
        snprintf(rep->name, sizeof rep->name, "%s", b->name);
        rep->observations += b->nobs;
        rep->distinct = b->distinct;
        rep->entries_in = b->entries_in;
        rep->entries = written;
        rep->runs_spilled = d0->runs_spilled + d1->runs_spilled;
        rep->bytes_spilled = d0->bytes_spilled + d1->bytes_spilled;
        rep->min_time_first = b->min_tf;
        rep->max_time_last = b->max_tl;
        rep->t_read = t1 - b->t0;
        rep->t_write = t2 - t1;
        rep->t_finish = t3 - t2;
        rep->generations++;
    }
    rc = 0;
out:
    td_tier_build_abort(bp);
    return rc;
}

/* ---- periods, names, plans */

static int digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return 1;
}

int td_tier_period_ok(char tier, const char *p)
{
    size_t want = tier == 'h' ? 10 : tier == 'd' ? 8 : tier == 'm' ? 6 : 0;
    if (!want || strlen(p) != want || !digits(p, want))
        return 0;
    int y = (p[0] - '0') * 1000 + (p[1] - '0') * 100 + (p[2] - '0') * 10 + (p[3] - '0');
    int mo = (p[4] - '0') * 10 + (p[5] - '0');
    if (y < 1970 || mo < 1 || mo > 12)
        return 0;
    if (tier == 'm')
        return 1;
    static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    int d = (p[6] - '0') * 10 + (p[7] - '0');
    if (d < 1 || d > mdays[mo - 1])
        return 0;
    if (mo == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return 0;
    return tier == 'd' || (p[8] - '0') * 10 + (p[9] - '0') <= 23;
}

static int tier_rank(char t)
{
    return t == 'h' ? 0 : t == 'd' ? 1 : t == 'm' ? 2 : 3;
}

int td_tier_plan(const struct td_fileset *fs, char tier, const char *period, uint32_t *idx, uint32_t cap,
                 char *err, size_t errlen)
{
    size_t pl = strlen(period);
    uint32_t n = 0;
    for (uint32_t i = 0; i < fs->n; i++) {
        const struct td_fileset_gen *g = &fs->gens[i];
        if (tier_rank(g->tier) > tier_rank(tier) || g->name[1] != '.' || strncmp(g->name + 2, period, pl) != 0)
            continue;
        /* same tier: the period must be the whole field (d.20240101.0, not a longer one) */
        if (g->tier == tier && g->name[2 + pl] != '.')
            continue;
        if (n == cap) {
            td_errf(err, errlen, "more than %u generations to merge", (unsigned)cap);
            return -1;
        }
        idx[n++] = i;
    }
    return (int)n;
}

static long max_seq(const struct td_fileset *fs, const char *prefix)
{
    long m = -1;
    size_t pl = strlen(prefix);
    for (uint32_t i = 0; fs && i < fs->n; i++) {
        if (strncmp(fs->gens[i].name, prefix, pl) != 0)
            continue;
        char *end;
        long s = strtol(fs->gens[i].name + pl, &end, 10);
        if (*end == 0 && s > m)
            m = s;
    }
    return m;
}

void td_tier_next_name(const struct td_fileset *a, const struct td_fileset *b, char tier, const char *period,
                       char name[TD_FILESET_NAME_MAX])
{
    char prefix[48];
    snprintf(prefix, sizeof prefix, "%c.%.12s.", tier, period);
    long s = max_seq(a, prefix), t = max_seq(b, prefix);
    unsigned next = (unsigned)((s > t ? s : t) + 1) & 0x3fffffffu;
    snprintf(name, TD_FILESET_NAME_MAX, "%.15s%u", prefix, next);
}

int td_tier_file_hour(const char *path, char hour[11])
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    if (strlen(base) < 10)
        return -1;
    memcpy(hour, base, 10);
    hour[10] = 0;
    return td_tier_period_ok('h', hour) ? 0 : -1;
}

/* ---- writer sessions: lock, load, cleanup; commit */

struct session {
    int lock;
    struct td_fileset fs;
};

static int session_open(const char *root, struct session *s, char *err, size_t errlen)
{
    char tmp[PATH_MAX];
    s->lock = -1;
    memset(&s->fs, 0, sizeof s->fs);
    if (mkdir(root, 0755) != 0 && errno != EEXIST) {
        td_errf(err, errlen, "%s: %s", root, strerror(errno));
        return -1;
    }
    if (joinp(tmp, sizeof tmp, root, "tmp", err, errlen))
        return -1;
    if (mkdir(tmp, 0755) != 0 && errno != EEXIST) {
        td_errf(err, errlen, "%s: %s", tmp, strerror(errno));
        return -1;
    }
    s->lock = td_fileset_lock(root, err, errlen);
    if (s->lock < 0)
        return -1;
    char e2[400];
    if (td_fileset_load(root, &s->fs, e2, sizeof e2) != 0) {
        td_errf(err, errlen, "%s/%s", root, e2);
        return -1;
    }
    if (td_fileset_cleanup(root, &s->fs, err, errlen) < 0)
        return -1;
    return 0;
}

static void session_close(struct session *s)
{
    td_fileset_free(&s->fs);
    if (s->lock >= 0)
        close(s->lock);
    s->lock = -1;
}

static void remove_gens(const char *root, char (*names)[TD_FILESET_NAME_MAX], uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) {
        char p[PATH_MAX];
        /* a failure leaves an unlisted directory: the next writer's cleanup removes it */
        if (snprintf(p, sizeof p, "%s/%s", root, names[i]) < (int)sizeof p)
            td_gen_remove_tree(p, NULL, 0);
    }
}

static int put_gen(struct td_fileset *fs, const struct td_tier_report *r, char tier, char *err, size_t errlen)
{
    struct td_fileset_gen g;
    memset(&g, 0, sizeof g);
    snprintf(g.name, sizeof g.name, "%s", r->name);
    g.tier = tier;
    g.min_time_first = r->min_time_first;
    g.max_time_last = r->max_time_last;
    return td_fileset_put(fs, &g, err, errlen);
}

/* ---- build */

int td_tier_build_hour(const char *root, const char *hour, int replace, td_tier_reader_fn reader, void *rctx,
                       uint32_t ninputs, const char *source_text, const struct td_tier_opts *opts,
                       struct td_tier_report *rep, char *err, size_t errlen)
{
    struct td_tier_report r0;
    struct session s;
    char name[TD_FILESET_NAME_MAX], prefix[32];
    char(*old)[TD_FILESET_NAME_MAX] = NULL;
    int rc = -1;
    if (!rep)
        rep = &r0;
    memset(rep, 0, sizeof *rep);
    if (!td_tier_period_ok('h', hour)) {
        td_errf(err, errlen, "hour %s: expected YYYYMMDDHH (a real UTC hour)", hour);
        return -1;
    }
    if (session_open(root, &s, err, errlen) != 0)
        goto out;
    snprintf(prefix, sizeof prefix, "h.%s.", hour);
    long seq = max_seq(&s.fs, prefix);
    if (seq >= 0 && !replace) {
        td_errf(err, errlen, "hour %s is already in %s/FILESET (%s%ld); use --replace to rebuild it", hour, root,
                prefix, seq);
        goto out;
    }
    td_tier_next_name(&s.fs, NULL, 'h', hour, name);
    struct td_tier_build *b = td_tier_build_open(root, name, opts, err, errlen);
    if (!b)
        goto out;
    if (reader(rctx, b, err, errlen) != 0) {
        td_tier_build_abort(&b);
        goto out;
    }
    rep->inputs = ninputs;
    if (td_tier_build_finish(&b, source_text, rep, err, errlen) != 0)
        goto out;
    step(opts, "renamed");
    /* FILESET: this hour's old generations out, the new one in, atomically. */
    old = calloc(s.fs.n ? s.fs.n : 1, sizeof *old);
    if (!old) {
        td_errf(err, errlen, "out of memory");
        goto out;
    }
    size_t pl = strlen(prefix);
    for (uint32_t i = 0; i < s.fs.n;) {
        if (strncmp(s.fs.gens[i].name, prefix, pl) == 0) {
            snprintf(old[rep->retired++], TD_FILESET_NAME_MAX, "%s", s.fs.gens[i].name);
            td_fileset_remove(&s.fs, s.fs.gens[i].name);
        } else {
            i++;
        }
    }
    char e2[400];
    if (put_gen(&s.fs, rep, 'h', e2, sizeof e2) != 0 || td_fileset_store(root, &s.fs, e2, sizeof e2) != 0) {
        td_errf(err, errlen, "FILESET: %s (the generation %s stays invisible)", e2, name);
        goto out;
    }
    step(opts, "stored");
    remove_gens(root, old, rep->retired);
    rc = 0;
out:
    free(old);
    session_close(&s);
    return rc;
}

struct files_ctx {
    char *const *files;
    int n;
};

static int read_files(void *ctx, struct td_tier_build *b, char *err, size_t errlen)
{
    struct files_ctx *f = ctx;
    return td_tier_build_add_obs_files(b, f->files, f->n, err, errlen);
}

int td_tier_build_hour_files(const char *root, const char *hour, int replace, char *const *files, int nfiles,
                             const struct td_tier_opts *opts, struct td_tier_report *rep, char *err,
                             size_t errlen)
{
    struct files_ctx f = { files, nfiles };
    char source[64];
    snprintf(source, sizeof source, "tapdns-index build %.12s", hour);
    return td_tier_build_hour(root, hour, replace, read_files, &f, (uint32_t)nfiles, source, opts, rep, err,
                              errlen);
}

/* ---- merge */

/* One merge on the in-memory set fs (seq also above `other`): builds TIER.PERIOD.SEQ from the
 * inputs' sources, then takes the inputs out of fs and puts the new generation in; the
 * names taken out go to *retired (malloc'd, *nret). 1 = nothing to do. */
static int merge_in(const char *root, struct td_fileset *fs, const struct td_fileset *other, char tier,
                    const char *period, const struct td_tier_opts *opts, struct td_tier_report *rep,
                    char (**retired)[TD_FILESET_NAME_MAX], uint32_t *nret, char *err, size_t errlen)
{
    uint32_t *idx = malloc(TD_TIER_MAX_INPUTS * sizeof *idx);
    char(*names)[TD_FILESET_NAME_MAX] = NULL;
    char name[TD_FILESET_NAME_MAX];
    char **paths = NULL;
    int n = 0, rc = -1;
    *retired = NULL;
    *nret = 0;
    if (!idx) {
        td_errf(err, errlen, "out of memory");
        return -1;
    }
    n = td_tier_plan(fs, tier, period, idx, TD_TIER_MAX_INPUTS, err, errlen);
    if (n < 0)
        goto out;
    if (n == 0 || (n == 1 && fs->gens[idx[0]].tier == tier)) {
        rc = 1;
        goto out;
    }
    names = calloc((size_t)n, sizeof *names);
    if (!names) {
        td_errf(err, errlen, "out of memory");
        goto out;
    }
    for (int i = 0; i < n; i++)
        snprintf(names[i], sizeof names[i], "%s", fs->gens[idx[i]].name);
    td_tier_next_name(fs, other, tier, period, name);
    struct td_tier_build *b = td_tier_build_open(root, name, opts, err, errlen);
    if (!b)
        goto out;
    paths = calloc((size_t)n, sizeof *paths);
    for (int i = 0; paths && i < n; i++) {
        if (!(paths[i] = malloc(PATH_MAX)) || td_tier_source_path(paths[i], PATH_MAX, root, names[i]) != 0) {
            td_errf(err, errlen, paths[i] ? "path too long" : "out of memory");
            td_tier_build_abort(&b);
            goto out;
        }
    }
    if (!paths || td_tier_build_add_obs_files(b, paths, n, err, errlen) != 0) {
        if (!paths)
            td_errf(err, errlen, "out of memory");
        td_tier_build_abort(&b);
        goto out;
    }
    char source[96];
    snprintf(source, sizeof source, "tapdns-index merge %c %.10s (%d generations)", tier, period, n);
    rep->inputs += (uint32_t)n;
    if (td_tier_build_finish(&b, source, rep, err, errlen) != 0)
        goto out;
    step(opts, "renamed");
    for (int i = 0; i < n; i++)
        td_fileset_remove(fs, names[i]);
    char e2[400];
    if (put_gen(fs, rep, tier, e2, sizeof e2) != 0) {
        td_errf(err, errlen, "FILESET: %s", e2);
        goto out;
    }
    rep->retired += (uint32_t)n;
    *retired = names;
    *nret = (uint32_t)n;
    names = NULL;
    rc = 0;
out:
    for (int i = 0; paths && i < n; i++)
        free(paths[i]);
    free(paths);
    free(names);
    free(idx);
    return rc;
}

int td_tier_merge(const char *root, char tier, const char *period, const struct td_tier_opts *opts,
                  struct td_tier_report *rep, char *err, size_t errlen)
{
    struct td_tier_report r0;
    struct session s;
    if (!rep)
        rep = &r0;
    memset(rep, 0, sizeof *rep);
    if ((tier != 'd' && tier != 'm') || !td_tier_period_ok(tier, period)) {
        td_errf(err, errlen, "bad period '%s' for tier %c (day YYYYMMDD, month YYYYMM)", period, tier);
        return -1;
    }
    if (session_open(root, &s, err, errlen) != 0) {
        session_close(&s);
        return -1;
    }
    char(*retired)[TD_FILESET_NAME_MAX] = NULL;
    uint32_t nret = 0;
    int rc = merge_in(root, &s.fs, NULL, tier, period, opts, rep, &retired, &nret, err, errlen);
    if (rc == 0) {
        char e2[400];
        if (td_fileset_store(root, &s.fs, e2, sizeof e2) != 0) {
            td_errf(err, errlen, "FILESET: %s (the generation %s stays invisible)", e2, rep->name);
            rc = -1;
        } else {
            step(opts, "stored");
            remove_gens(root, retired, nret);
        }
    }
    free(retired);
    session_close(&s);
    return rc;
}

/* ---- rebuild */

struct hour_file {
    char hour[11];
    int i;
};

static int hour_file_cmp(const void *a, const void *b)
{
    const struct hour_file *x = a, *y = b;
    int c = strcmp(x->hour, y->hour);
    return c ? c : (x->i > y->i) - (x->i < y->i);
}

/* Distinct periods of the generations of tier t in fs (names t.PERIOD.SEQ, sorted). */
static int periods_of(const struct td_fileset *fs, char t, char (*out)[12], uint32_t *n)
{
    *n = 0;
    for (uint32_t i = 0; i < fs->n; i++) {
        const char *nm = fs->gens[i].name;
        if (fs->gens[i].tier != t || nm[1] != '.')
            continue;
        const char *dot = strchr(nm + 2, '.');
        size_t len = dot ? (size_t)(dot - nm - 2) : 0;
        if (len == 0 || len > 10)
            continue;
        char p[12];
        memcpy(p, nm + 2, len);
        p[len] = 0;
        if (*n && !strcmp(out[*n - 1], p)) /* names are sorted: equal periods are adjacent */
            continue;
        snprintf(out[(*n)++], 12, "%s", p);
    }
    return 0;
}

int td_tier_rebuild(const char *root, char *const *files, int nfiles, const struct td_tier_opts *opts,
                    struct td_tier_report *rep, char *err, size_t errlen)
{
    struct td_tier_report r0;
    struct session s;
    struct td_fileset nfs = { 0, 0, NULL };
    struct hour_file *hf = NULL;
    char(*periods)[12] = NULL;
    char e2[400];
    int rc = -1;
    if (!rep)
        rep = &r0;
    memset(rep, 0, sizeof *rep);
    if (nfiles <= 0) {
        td_errf(err, errlen, "no observation file given");
        return -1;
    }
    hf = calloc((size_t)nfiles, sizeof *hf);
    if (!hf) {
        td_errf(err, errlen, "out of memory");
        return -1;
    }
    for (int i = 0; i < nfiles; i++) {
        hf[i].i = i;
        if (td_tier_file_hour(files[i], hf[i].hour) != 0) {
            td_errf(err, errlen, "%s: the name does not start with its hour YYYYMMDDHH", files[i]);
            free(hf);
            return -1;
        }
    }
    qsort(hf, (size_t)nfiles, sizeof *hf, hour_file_cmp);
    if (session_open(root, &s, err, errlen) != 0)
        goto out;
    /* 1. one hour generation per hour, listed in the new set only */
    char **group = calloc((size_t)nfiles, sizeof *group);
    if (!group) {
        td_errf(err, errlen, "out of memory");
        goto out;
    }
    for (int i = 0; i < nfiles;) {
        int j = i, ng = 0;
        while (j < nfiles && !strcmp(hf[j].hour, hf[i].hour))
            group[ng++] = files[hf[j++].i];
        char name[TD_FILESET_NAME_MAX], source[64];
        td_tier_next_name(&s.fs, &nfs, 'h', hf[i].hour, name);
        snprintf(source, sizeof source, "tapdns-index rebuild %s", hf[i].hour);
        struct td_tier_build *b = td_tier_build_open(root, name, opts, err, errlen);
        if (!b || read_files(&(struct files_ctx){ group, ng }, b, err, errlen) != 0) {
            td_tier_build_abort(&b);
            free(group);
            goto out;
        }
        rep->inputs += (uint32_t)ng;
        if (td_tier_build_finish(&b, source, rep, err, errlen) != 0 || put_gen(&nfs, rep, 'h', err, errlen) != 0) {
            free(group);
            goto out;
        }
        i = j;
    }
    free(group);
    step(opts, "hours");
    /* 2. the day merges, then the month merges, the old set had */
    periods = calloc(s.fs.n ? s.fs.n : 1, sizeof *periods);
    if (!periods) {
        td_errf(err, errlen, "out of memory");
        goto out;
    }
    static const char tiers[2] = { 'd', 'm' };
    for (int t = 0; t < 2; t++) {
        uint32_t np;
        periods_of(&s.fs, tiers[t], periods, &np);
        for (uint32_t p = 0; p < np; p++) {
            char(*retired)[TD_FILESET_NAME_MAX] = NULL;
            uint32_t nret = 0;
            int m = merge_in(root, &nfs, &s.fs, tiers[t], periods[p], opts, rep, &retired, &nret, err, errlen);
            if (m < 0)
                goto out;
            /* the inputs were never listed: gone now (a crash here leaves them unlisted) */
            remove_gens(root, retired, nret);
            free(retired);
        }
    }
    /* 3. the new set replaces the old one */
    rep->retired = s.fs.n;
    if (td_fileset_store(root, &nfs, e2, sizeof e2) != 0) {
        td_errf(err, errlen, "FILESET: %s (the rebuilt generations stay invisible)", e2);
        goto out;
    }
    step(opts, "stored");
    for (uint32_t i = 0; i < s.fs.n; i++) {
        if (td_fileset_find(&nfs, s.fs.gens[i].name) >= 0)
            continue;
        remove_gens(root, &s.fs.gens[i].name, 1);
    }
    rc = 0;
out:
    free(periods);
    free(hf);
    td_fileset_free(&nfs);
    session_close(&s);
    return rc;
}
