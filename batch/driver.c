/* driver.c: one run of tapdns-batch (see driver.h for the contract). */
#include "driver.h"
#include "dedupe.h"
#include "filter.h"
#include "obs.h"
#include "reason.h"
#include "rrset.h"
#include "spool.h"
#include "state.h"
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

struct spool_name {
    char name[256];
    uint32_t hour;
};

/* Adds to the dedupes are queued per record and made at the end of the next record (in the
 * same order, so results do not change): their table slots are prefetched when queued and
 * their entries when the next record starts, so the cache misses overlap that record's work. */
#define KBUF (2 * (size_t)TD_OBS_KEY_MAX) /* queued keys of one record; full -> added at once */

struct pend {
    struct td_dedupe *d;
    uint64_t h;
    uint32_t off, len;            /* key in the queue's kbuf */
    struct td_obs_value v;
};

struct queue {
    uint8_t *kbuf;
    size_t klen;                  /* octets used in kbuf */
    uint32_t n;
    struct pend p[TD_RRSET_MAX];
};

struct run {
    const struct td_batch_opts *o;
    struct td_batch_stats *st;
    struct td_batch_state state;
    struct td_bw *bw;
    struct td_filter *filter;
    struct td_rrset_buf *buf;
    struct td_bw_verdict *verdicts;
    struct queue *q[2];           /* q[0]: this record's adds; q[1]: the previous record's */
    struct td_dedupe *obs, *dis;
    char spill[4096];
    char *err;
    size_t errlen;
};

static int cmp_spool_name(const void *a, const void *b)
{
    const struct spool_name *x = a, *y = b;
    if (x->hour != y->hour)
        return x->hour < y->hour ? -1 : 1;
    return strcmp(x->name, y->name);
}

/* Closed spool files of the directory, sorted by (hour, name). */
static int list_spool(const char *dir, struct spool_name **out, size_t *n, char *err, size_t errlen)
{
    DIR *d = opendir(dir);
    if (!d) {
        snprintf(err, errlen, "%s: %s", dir, strerror(errno));
        return -1;
    }
    size_t cap = 0;
    *out = NULL;
    *n = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        uint32_t hour, wid;
        int is_open;
        char sensor[TD_SPOOL_SENSOR_MAX + 1];
        if (strlen(e->d_name) >= sizeof((*out)->name) ||
            td_spool_parse_name(e->d_name, sensor, sizeof sensor, &hour, &wid, &is_open) != 0 || is_open)
            continue;
        if (*n == cap) {
            cap = cap ? cap * 2 : 64;
            struct spool_name *nn = realloc(*out, cap * sizeof *nn);
            if (!nn) {
                closedir(d);
                snprintf(err, errlen, "out of memory listing %s", dir);
                return -1;
            }
            *out = nn;
        }
        snprintf((*out)[*n].name, sizeof (*out)[*n].name, "%s", e->d_name);
        (*out)[*n].hour = hour;
        (*n)++;
    }
    closedir(d);
    if (*n)
        qsort(*out, *n, sizeof **out, cmp_spool_name);
    return 0;
}

static const uint8_t root_zone[1] = { 0 };

/* dir/name into out; -1 (err set) if it does not fit. */
static int join(char *out, size_t cap, const char *dir, const char *name, char *err, size_t errlen)
{
    int n = snprintf(out, cap, "%s/%s", dir, name);
    if (n < 0 || (size_t)n >= cap) {
        snprintf(err, errlen, "path too long: %.200s/%.200s", dir, name);
        return -1;
    }
    return 0;
}

/* Makes the queued adds of q, in order, and empties it. */
static int drain(struct run *r, struct queue *q)
{
    for (uint32_t i = 0; i < q->n; i++) {
        const struct pend *p = &q->p[i];
        if (td_dedupe_add_hashed(p->d, q->kbuf + p->off, p->len, p->h, &p->v, r->err, r->errlen) != 0) {
            q->n = 0;
            q->klen = 0;
            return -1;
        }
    }
    q->n = 0;
    q->klen = 0;
    return 0;
}

/* Queues the add of set s with bailiwick zone to dedupe d (value v). */
static int add(struct run *r, struct td_dedupe *d, const struct td_rrset *s, const uint8_t *zone, size_t zone_len,
               const struct td_obs_value *v)
{
    struct queue *q = r->q[0];
    if (KBUF - q->klen < TD_OBS_KEY_MAX || q->n == TD_RRSET_MAX) {
        /* no room for one more key of any size: everything queued goes in now, in order */
        if (drain(r, r->q[1]) != 0 || drain(r, q) != 0)
            return -1;
    }
    size_t klen = td_obs_key_encode(r->buf, s, zone, zone_len, q->kbuf + q->klen, TD_OBS_KEY_MAX);
    if (!klen) {
        snprintf(r->err, r->errlen, "RRset key too large");
        return -1;
    }
    struct pend *p = &q->p[q->n++];
    p->d = d;
    p->off = (uint32_t)q->klen;
    p->len = (uint32_t)klen;
    p->h = td_dedupe_hash(q->kbuf + q->klen, klen);
    p->v = *v;
    q->klen += klen;
    td_dedupe_prefetch_slot(d, p->h);
    return 0;
}

static int discard(struct run *r, const struct td_rrset *s, int reason, int rule, uint32_t t)
{
    struct td_obs_value v = { .count = 1, .time_first = t, .time_last = t, .reason = (uint8_t)reason,
                              .rule = (uint16_t)rule };
    return add(r, r->dis, s, root_zone, 1, &v);
}

/* End of a record: the previous record's adds are made; this record's wait for the next. */
static int record_done(struct run *r)
{
    if (drain(r, r->q[1]) != 0)
        return -1;
    struct queue *t = r->q[1];
    r->q[1] = r->q[0];
    r->q[0] = t;
    return 0;
}

static void count_response_reject(struct td_batch_stats *st, int reason)
{
    switch (reason) {
    case TD_DR_UNSOLICITED: st->resp_unsolicited++; break;
    case TD_DR_CHECKSUM: st->resp_checksum++; break;
    case TD_DR_MISMATCH: st->resp_mismatch++; break;
    case TD_DR_RCODE: st->resp_rcode++; break;
    case TD_DR_TRUNCATED: st->resp_truncated++; break;
    case TD_DR_CLASS: st->resp_class++; break;
    default: st->resp_malformed++; break;
    }
}

static int process_one(struct run *r, const struct td_record *rec);

static int process_record(struct run *r, const struct td_record *rec)
{
    const struct queue *prev = r->q[1];
    for (uint32_t i = 0; i < prev->n; i++)
        td_dedupe_prefetch_entry(prev->p[i].d, prev->p[i].h);
    if (process_one(r, rec) != 0)
        return -1;
    return record_done(r);
}

static int process_one(struct run *r, const struct td_record *rec)
{
    struct td_batch_stats *st = r->st;
    st->records++;
    if (!rec->response) {
        st->unanswered++;
        return 0;
    }
    st->responses++;
    uint64_t t_ns = rec->response_ts_ns ? rec->response_ts_ns : rec->query_ts_ns;
    uint32_t t = (uint32_t)(t_ns / 1000000000ull);
    enum td_discard_reason reason = td_bw_check_response(r->bw, rec);
    enum td_dns_res derr;
    if (td_rrsets_from_message(rec->response, rec->response_len, r->buf, &derr) != TD_RRSET_OK) {
        /* nothing can be keyed: counted only */
        count_response_reject(st, reason ? reason : TD_DR_MALFORMED);
        return 0;
    }
    st->rrsets += r->buf->nsets;
    if (reason != TD_DR_NONE) {
        count_response_reject(st, reason);
        for (uint16_t i = 0; i < r->buf->nsets; i++) {
            st->rrsets_rejected_with_response++;
            if (discard(r, &r->buf->sets[i], reason, 0, t) != 0)
                return -1;
        }
        return 0;
    }
    td_bw_verify(r->bw, rec, r->buf, r->verdicts, t);
    for (uint16_t i = 0; i < r->buf->nsets; i++) {
        const struct td_rrset *s = &r->buf->sets[i];
        const struct td_bw_verdict *v = &r->verdicts[i];
        if (!v->accepted) {
            if (v->reason == TD_DR_CLASS)
                st->rrsets_class++;
            else
                st->rrsets_out_of_bailiwick++;
            if (discard(r, s, v->reason, 0, t) != 0)
                return -1;
            continue;
        }
        int rule = r->filter ? td_filter_check(r->filter, s->owner, s->owner_len, s->type) : 0;
        if (rule > 0) {
            st->rrsets_filtered++;
            if (discard(r, s, TD_DR_FILTER, rule, t) != 0)
                return -1;
            continue;
        }
        struct td_obs_value ov = { .count = 1, .time_first = t, .time_last = t };
        if (add(r, r->obs, s, v->zone, v->zone_len, &ov) != 0)
            return -1;
        st->rrsets_accepted++;
    }
    return 0;
}

struct emit_ctx {
    struct td_obs_writer *w;
    uint64_t *count;
    char *err;
    size_t errlen;
};

static int emit(void *ctx, const uint8_t *key, size_t klen, const struct td_obs_value *v)
{
    struct emit_ctx *e = ctx;
    if (td_obs_write(e->w, key, klen, v, e->err, e->errlen) != 0)
        return -1;
    (*e->count)++;
    return 0;
}

/* Finishes one dedupe into PATH (obs or discard file). */
static int write_output(struct run *r, struct td_dedupe **dp, const char *path, int is_discard, uint64_t *count)
{
    struct td_obs_writer *w = td_obs_writer_open(path, is_discard, r->err, r->errlen);
    if (!w)
        return -1;
    struct emit_ctx e = { w, count, r->err, r->errlen };
    if (td_dedupe_finish(*dp, emit, &e, r->err, r->errlen) != 0) {
        td_obs_writer_abort(&w);
        return -1;
    }
    r->st->spill_runs += td_dedupe_stats(*dp)->runs_spilled;
    return td_obs_writer_close(&w, r->err, r->errlen);
}

static void hour_text(uint32_t hour, char out[16])
{
    time_t t = (time_t)hour * 3600;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 16, "%Y%m%d%H", &tm);
}

struct keep_ctx {
    const struct spool_name *names;
    size_t n;
};

static int keep_existing(void *ctx, const char *name)
{
    const struct keep_ctx *k = ctx;
    for (size_t i = 0; i < k->n; i++)
        if (!strcmp(k->names[i].name, name))
            return 1;
    return 0;
}

/* Processes files[0..n-1] (one hour) and commits. */
static int run_group(struct run *r, const struct spool_name *files, size_t n, const struct spool_name *all,
                     size_t nall)
{
    const struct td_batch_opts *o = r->o;
    uint32_t hour = files[0].hour;
    struct td_dedupe_opts dopts = { .mem_cap = o->mem_cap ? o->mem_cap / 2 : 128u << 20, .spill_dir = r->spill };
    if (dopts.mem_cap < (1u << 20))
        dopts.mem_cap = 1u << 20;
    /* the dedupes of the previous group are reused (their memory is already faulted in) */
    if (r->obs && td_dedupe_reset(r->obs, r->err, r->errlen) != 0)
        td_dedupe_destroy(&r->obs);
    else if (!r->obs)
        r->obs = td_dedupe_init(&dopts, r->err, r->errlen);
    if (r->dis && td_dedupe_reset(r->dis, r->err, r->errlen) != 0)
        td_dedupe_destroy(&r->dis);
    else if (!r->dis && r->obs)
        r->dis = td_dedupe_init(&dopts, r->err, r->errlen);
    r->q[0]->n = r->q[1]->n = 0; /* (after a failed group nothing is left queued) */
    r->q[0]->klen = r->q[1]->klen = 0;
    struct td_spool_reader **rd = calloc(n, sizeof *rd);
    struct td_record *head = calloc(n, sizeof *head);
    int *live = calloc(n, sizeof *live);
    int rc = -1;
    if (!r->obs || !r->dis || !rd || !head || !live) {
        if (r->obs && r->dis)
            snprintf(r->err, r->errlen, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        char path[4096];
        const char *e;
        if (join(path, sizeof path, o->spool_dir, files[i].name, r->err, r->errlen) != 0)
            goto out;
        rd[i] = td_spool_reader_open(path, &e);
        r->st->spool_files++;
        if (!rd[i]) {
            r->st->spool_files_damaged++;
            continue;
        }
        int got = td_spool_read(rd[i], &head[i]);
        live[i] = got == TD_SPOOL_RECORD;
        if (got == TD_SPOOL_ERROR)
            r->st->spool_files_damaged++;
    }
    /* k-way merge by record time; ties go to the earlier file */
    for (;;) {
        size_t best = n;
        uint64_t bt = 0;
        for (size_t i = 0; i < n; i++) {
            if (!live[i])
                continue;
            uint64_t t = head[i].response_ts_ns ? head[i].response_ts_ns : head[i].query_ts_ns;
            if (best == n || t < bt) {
                best = i;
                bt = t;
            }
        }
        if (best == n)
            break;
        if (process_record(r, &head[best]) != 0)
            goto out;
        int got = td_spool_read(rd[best], &head[best]);
        live[best] = got == TD_SPOOL_RECORD;
        if (got == TD_SPOOL_ERROR)
            r->st->spool_files_damaged++;
    }

    /* the adds still queued (the last record's) */
    if (drain(r, r->q[1]) != 0 || drain(r, r->q[0]) != 0)
        goto out;

    char h[16], path[4096], group[64];
    uint32_t seq = td_batch_state_next_seq(&r->state, hour);
    hour_text(hour, h);
    snprintf(group, sizeof group, "%s.%u", h, seq);
    char fname[128];
    snprintf(fname, sizeof fname, "%s.obs.zst", group);
    if (join(path, sizeof path, o->out_dir, fname, r->err, r->errlen) != 0)
        goto out;
    if (write_output(r, &r->obs, path, 0, &r->st->observations) != 0)
        goto out;
    snprintf(fname, sizeof fname, "%s.discard.zst", group);
    if (join(path, sizeof path, o->out_dir, fname, r->err, r->errlen) != 0)
        goto out;
    if (write_output(r, &r->dis, path, 1, &r->st->discards) != 0)
        goto out;

    /* commit: cache file of this group, then the state naming it, then drop the old cache */
    char old_bw[256], bw_name[256], bw_path[4096];
    snprintf(old_bw, sizeof old_bw, "%s", r->state.bailiwick);
    snprintf(bw_name, sizeof bw_name, "bailiwick.%s", group);
    if (join(bw_path, sizeof bw_path, o->state_dir, bw_name, r->err, r->errlen) != 0)
        goto out;
    if (td_bw_save(r->bw, bw_path, r->err, r->errlen) != 0)
        goto out;
    snprintf(r->state.bailiwick, sizeof r->state.bailiwick, "%s", bw_name);
    for (size_t i = 0; i < n; i++)
        if (td_batch_state_add_done(&r->state, files[i].name) != 0) {
            snprintf(r->err, r->errlen, "out of memory");
            goto out;
        }
    if (td_batch_state_bump_seq(&r->state, hour) != 0) {
        snprintf(r->err, r->errlen, "out of memory");
        goto out;
    }
    struct keep_ctx kc = { all, nall };
    td_batch_state_prune(&r->state, keep_existing, &kc);
    if (td_batch_state_commit(o->state_dir, &r->state, r->err, r->errlen) != 0)
        goto out;
    if (old_bw[0] && strcmp(old_bw, bw_name) != 0 &&
        join(bw_path, sizeof bw_path, o->state_dir, old_bw, r->err, r->errlen) == 0)
        unlink(bw_path);
    r->st->groups++;
    if (o->progress)
        o->progress(o->progress_ctx, group, r->st);
    rc = 0;
out:
    for (size_t i = 0; rd && i < n; i++)
        td_spool_reader_close(&rd[i]);
    free(rd);
    free(head);
    free(live);
    if (rc != 0) {
        td_dedupe_destroy(&r->obs);
        td_dedupe_destroy(&r->dis);
    }
    return rc;
}

/* Removes leftovers of a killed run from the spill directory. */
static void clean_dir(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    while (d && (e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char p[4096], ignored[512];
        if (join(p, sizeof p, dir, e->d_name, ignored, sizeof ignored) == 0)
            unlink(p);
    }
    if (d)
        closedir(d);
}

int td_batch_run(const struct td_batch_opts *o, struct td_batch_stats *st, char *err, size_t errlen)
{
    struct run r;
    memset(&r, 0, sizeof r);
    memset(st, 0, sizeof *st);
    r.o = o;
    r.st = st;
    r.err = err;
    r.errlen = errlen;
    struct spool_name *files = NULL;
    size_t nfiles = 0;
    int rc = -1;

    if (join(r.spill, sizeof r.spill, o->state_dir, "spill", err, errlen) != 0)
        return -1;
    if (mkdir(r.spill, 0750) != 0 && errno != EEXIST) {
        snprintf(err, errlen, "%s: %s", r.spill, strerror(errno));
        return -1;
    }
    clean_dir(r.spill);
    if (td_batch_state_load(o->state_dir, &r.state, err, errlen) != 0)
        return -1;
    r.bw = td_bw_init(&o->bw);
    r.buf = malloc(sizeof *r.buf);
    r.verdicts = malloc(TD_RRSET_MAX * sizeof *r.verdicts);
    for (int k = 0; k < 2; k++) {
        r.q[k] = calloc(1, sizeof *r.q[k]);
        if (r.q[k])
            r.q[k]->kbuf = malloc(KBUF);
    }
    if (!r.bw || !r.buf || !r.verdicts || !r.q[0] || !r.q[1] || !r.q[0]->kbuf || !r.q[1]->kbuf) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    if (td_bw_load_root_hints(r.bw, o->root_hints, err, errlen) != 0)
        goto out;
    if (r.state.bailiwick[0]) {
        char p[4096];
        if (join(p, sizeof p, o->state_dir, r.state.bailiwick, err, errlen) != 0 ||
            td_bw_load(r.bw, p, err, errlen) != 0)
            goto out;
    }
    if (o->filters || o->discard_soa) {
        r.filter = td_filter_init();
        if (!r.filter) {
            snprintf(err, errlen, "out of memory");
            goto out;
        }
        if ((o->discard_soa && td_filter_add_soa(r.filter, err, errlen) < 0) ||
            (o->filters && td_filter_load(r.filter, o->filters, err, errlen) != 0) ||
            td_filter_compile(r.filter, err, errlen) != 0)
            goto out;
    }
    if (list_spool(o->spool_dir, &files, &nfiles, err, errlen) != 0)
        goto out;
    /* the files not done yet, grouped by hour */
    struct spool_name *todo = malloc((nfiles ? nfiles : 1) * sizeof *todo);
    if (!todo) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    size_t ntodo = 0;
    for (size_t i = 0; i < nfiles; i++)
        if (!td_batch_state_is_done(&r.state, files[i].name))
            todo[ntodo++] = files[i];
    rc = 0;
    for (size_t i = 0; i < ntodo && rc == 0;) {
        size_t j = i;
        while (j < ntodo && todo[j].hour == todo[i].hour)
            j++;
        rc = run_group(&r, todo + i, j - i, files, nfiles);
        i = j;
    }
    free(todo);
out:
    free(files);
    td_dedupe_destroy(&r.obs);
    td_dedupe_destroy(&r.dis);
    td_batch_state_free(&r.state);
    td_bw_destroy(&r.bw);
    td_filter_destroy(&r.filter);
    free(r.buf);
    free(r.verdicts);
    for (int k = 0; k < 2; k++) {
        if (r.q[k])
            free(r.q[k]->kbuf);
        free(r.q[k]);
    }
    return rc;
}

void td_batch_stats_foreach(const struct td_batch_stats *st,
                            void (*fn)(void *ctx, const char *name, const char *desc, uint64_t v), void *ctx)
{
#define TD_X(name, desc) fn(ctx, #name, desc, st->name);
    TD_BATCH_COUNTERS(TD_X)
#undef TD_X
}
