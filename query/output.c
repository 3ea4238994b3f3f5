/* output.c: the framing of query answers (contract in output.h). Every function appends whole
 * lines ending in "\n"; objects come from lib/cof.h. A result whose names cannot be printed
 * leaves j exactly as it was (the V2 wrapper already begun is taken back). */
#include "output.h"

#include <string.h>

#include "cof.h"
#include "apikeys.h"

static unsigned cof_flags(const struct td_qrequest *req)
{
    return (req->humantime ? TD_COF_HUMANTIME : 0u) | (req->rdata ? TD_COF_NO_BAILIWICK : 0u);
}

void td_qout_begin(struct td_json *j, const struct td_qrequest *req)
{
    if (req->api != TD_QAPI_V2)
        return;
    td_json_object_begin(j);
    td_json_kstring(j, "cond", "begin");
    td_json_object_end(j);
    td_json_newline(j);
}

/* The writer's state, to take back a line begun when its object cannot be written. */
struct mark {
    size_t len;
    int depth, after_key;
    uint8_t first[TD_JSON_MAX_DEPTH];
};

static void mark_take(const struct td_json *j, struct mark *m)
{
    m->len = j->len;
    m->depth = j->depth;
    m->after_key = j->after_key;
    memcpy(m->first, j->first, sizeof m->first);
}

static void mark_restore(struct td_json *j, const struct mark *m)
{
    j->len = m->len;
    j->depth = m->depth;
    j->after_key = m->after_key;
    memcpy(j->first, m->first, sizeof m->first);
    if (j->buf && j->cap > j->len)
        j->buf[j->len] = 0;
}

struct td_cof_entry td_qout_cof_entry(const struct td_index_result *res)
{
    struct td_cof_entry e = { res->owner, res->owner_len, res->rrtype, res->bailiwick, res->bailiwick_len,
                              res->nrdata, res->rdata, res->rdlen, res->count, res->time_first, res->time_last };
    return e;
}

int td_qout_result(struct td_json *j, const struct td_qrequest *req, const struct td_index_result *res)
{
    struct td_cof_entry e = td_qout_cof_entry(res);
    unsigned flags = cof_flags(req);
    struct mark m;
    mark_take(j, &m);
    switch (req->api) {
    case TD_QAPI_V2:
        td_json_object_begin(j);
        td_json_key(j, "obj");
        if (td_cof_object(j, &e, flags) != 0) {
            mark_restore(j, &m);
            return -1;
        }
        td_json_object_end(j);
        td_json_newline(j);
        return 0;
    case TD_QAPI_V1:
        if (td_cof_object(j, &e, flags) != 0)
            return -1;
        td_json_newline(j);
        return 0;
    case TD_QAPI_CIRCL:
        /* one line per rdata, rdata as a string */
        for (uint16_t i = 0; i < res->nrdata; i++) {
            e.nrdata = 1;
            e.rdata = res->rdata + i;
            e.rdlen = res->rdlen + i;
            if (td_cof_object(j, &e, flags | TD_COF_RDATA_STRING) != 0) {
                mark_restore(j, &m);
                return -1;
            }
            td_json_newline(j);
        }
        return 0;
    }
    return -1;
}

void td_qout_end(struct td_json *j, const struct td_qrequest *req, const char *cond, const char *msg)
{
    if (req->api != TD_QAPI_V2)
        return;
    td_json_object_begin(j);
    td_json_kstring(j, "cond", cond);
    if (msg)
        td_json_kstring(j, "msg", msg);
    td_json_object_end(j);
    td_json_newline(j);
}

void td_qsummary_add(struct td_qsummary *s, const struct td_index_result *res)
{
    s->count = s->count + res->count < s->count ? UINT64_MAX : s->count + res->count;
    if (s->num_results == 0 || res->time_first < s->time_first)
        s->time_first = res->time_first;
    if (s->num_results == 0 || res->time_last > s->time_last)
        s->time_last = res->time_last;
    s->num_results++;
}

static void time_key(struct td_json *j, const char *key, uint32_t t, int human)
{
    if (human) {
        char buf[32];
        td_cof_time_text(t, buf, sizeof buf);
        td_json_kstring(j, key, buf);
    } else {
        td_json_kuint(j, key, t);
    }
}

void td_qout_summary(struct td_json *j, const struct td_qrequest *req, const struct td_qsummary *s)
{
    int v2 = req->api == TD_QAPI_V2;
    if (v2) {
        td_json_object_begin(j);
        td_json_key(j, "obj");
    }
    td_json_object_begin(j);
    td_json_kuint(j, "count", s->count);
    td_json_kuint(j, "num_results", s->num_results);
    if (s->num_results) {
        time_key(j, "time_first", s->time_first, req->humantime);
        time_key(j, "time_last", s->time_last, req->humantime);
    }
    td_json_object_end(j);
    if (v2)
        td_json_object_end(j);
    td_json_newline(j);
}

static void rate_key(struct td_json *j, const char *key, uint64_t v, const char *when_max)
{
    if (v == UINT64_MAX)
        td_json_kstring(j, key, when_max);
    else
        td_json_kuint(j, key, v);
}

void td_qout_rate_limit(struct td_json *j, const struct td_quota_view *v)
{
    td_json_object_begin(j);
    td_json_key(j, "rate");
    td_json_object_begin(j);
    rate_key(j, "reset", v->reset == 0 ? UINT64_MAX : v->reset, "n/a");
    rate_key(j, "limit", v->limit, "unlimited");
    rate_key(j, "remaining", v->remaining, "n/a");
    rate_key(j, "results_max", v->results_max, "n/a");
    rate_key(j, "offset_max", v->offset_max, "n/a");
    /* burst keys only for a key with a burst cap: dnsdbq -I asserts on a non-integer burst
     * (print_burstrate), and DNSDB leaves them out for keys without one */
    if (v->burst_size != UINT64_MAX && v->burst_window != UINT64_MAX) {
        rate_key(j, "burst_size", v->burst_size, "n/a");
        rate_key(j, "burst_window", v->burst_window, "n/a");
    }
    td_json_object_end(j);
    td_json_object_end(j);
    td_json_newline(j);
}
