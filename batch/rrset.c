/* rrset.c: one DNS response -> its RRsets in canonical form (see rrset.h).
 *
 * Plan (no allocation, O(n log n) in the number of records n):
 *  1. Walk every RR with td_dns_iter_*; canonicalise the rdata of every RR (also of the ones
 *     left out, so a malformed OPT/TSIG is refused with the same reason as td_dns_validate:
 *     both walk the records in the same order and stop at the first error).
 *     Kept records go into a per-call work table (on the stack); their canonical rdata grows
 *     from the bottom of buf->arena, their lowercased owners from the top (an owner equal to
 *     the previous record's is shared, the usual case).
 *  2. Merge-sort record indices by (section, owner, type, class, covered, rdata).
 *  3. One pass over the sorted order makes the groups, drops duplicate rdata, takes min TTL.
 *  4. Groups are emitted in order of their first record (a direct index, O(n)).
 * Limits: more than TD_RRSET_RDATA_MAX kept records (counted before duplicates are removed),
 * more than TD_RRSET_MAX sets, or canonical rdata + owners past TD_RRSET_ARENA ->
 * TD_RRSET_TOO_MANY, unless the message is also malformed (then TD_RRSET_MALFORMED wins, the
 * reason from td_dns_validate). On any result but TD_RRSET_OK, buf holds no sets. */
#include "rrset.h"

#include <string.h>

#define T_SIG 24
#define T_OPT 41
#define T_RRSIG 46
#define T_TKEY 249
#define T_TSIG 250

/* worst-case growth of canonical rdata over rdlength: at most two names expand */
#define RD_SLACK (2 * TD_DNS_NAME_MAX)

struct rec {
    uint32_t owner_off;     /* into buf->arena (top part) */
    uint16_t owner_len;
    uint16_t type, rclass, covered;
    uint32_t ttl;
    uint8_t section;
    struct td_rdata_ref rd;
};

struct work {
    struct rec rec[TD_RRSET_RDATA_MAX];
    uint16_t idx[TD_RRSET_RDATA_MAX], tmp[TD_RRSET_RDATA_MAX];
    /* groups: first record (appearance), start/count in uniq[], ttl */
    uint16_t g_first[TD_RRSET_RDATA_MAX], g_start[TD_RRSET_RDATA_MAX], g_count[TD_RRSET_RDATA_MAX];
    uint32_t g_ttl[TD_RRSET_RDATA_MAX];
    uint16_t uniq[TD_RRSET_RDATA_MAX];           /* record index per unique rdata */
    uint16_t group_of_first[TD_RRSET_RDATA_MAX]; /* record index -> group whose first it is */
};

enum canon_res { C_OK, C_BAD, C_NO_ROOM };

/* Canonical rdata into dst (room octets). When room is below the worst case, a scratch buffer
 * takes the output and it is copied if it fits; C_NO_ROOM otherwise (*err stays OK). */
static __attribute__((noinline)) enum canon_res
canon_scratch(const uint8_t *msg, size_t len, const struct td_dns_rr *rr, uint8_t *dst,
              size_t room, size_t *olen, enum td_dns_res *err)
{
    uint8_t scratch[65535 + RD_SLACK];
    *err = td_dns_rdata_uncompress(msg, len, rr, 1, scratch, sizeof scratch, olen);
    if (*err != TD_DNS_OK)
        return C_BAD;
    if (*olen > room)
        return C_NO_ROOM;
    memcpy(dst, scratch, *olen);
    return C_OK;
}

static enum canon_res canon(const uint8_t *msg, size_t len, const struct td_dns_rr *rr,
                            uint8_t *dst, size_t room, size_t *olen, enum td_dns_res *err)
{
    if (room >= (size_t)rr->rdlength + RD_SLACK) {
        if ((rr->type == 1 && rr->rdlength == 4) || (rr->type == 28 && rr->rdlength == 16)) {
            /* A/AAAA: the descriptor is one fixed field of exactly that size (no names) */
            memcpy(dst, msg + rr->rdata_off, rr->rdlength);
            *olen = rr->rdlength;
            *err = TD_DNS_OK;
            return C_OK;
        }
        *err = td_dns_rdata_uncompress(msg, len, rr, 1, dst, room, olen);
        return *err == TD_DNS_OK ? C_OK : C_BAD;
    }
    return canon_scratch(msg, len, rr, dst, room, olen, err);
}

/* RFC 4034 6.3: octet-wise, a shorter prefix first */
static int cmp_bytes(const uint8_t *a, size_t al, const uint8_t *b, size_t bl)
{
    int c = memcmp(a, b, al < bl ? al : bl);
    if (c != 0)
        return c;
    return al < bl ? -1 : al > bl;
}

/* Set key only (no rdata). */
static int cmp_key(const uint8_t *arena, const struct rec *a, const struct rec *b)
{
    if (a->section != b->section)
        return a->section < b->section ? -1 : 1;
    if (a->owner_off != b->owner_off || a->owner_len != b->owner_len) {
        int c = cmp_bytes(arena + a->owner_off, a->owner_len, arena + b->owner_off, b->owner_len);
        if (c != 0)
            return c;
    }
    if (a->type != b->type)
        return a->type < b->type ? -1 : 1;
    if (a->rclass != b->rclass)
        return a->rclass < b->rclass ? -1 : 1;
    if (a->covered != b->covered)
        return a->covered < b->covered ? -1 : 1;
    return 0;
}

static int cmp_rdata(const uint8_t *arena, const struct rec *a, const struct rec *b)
{
    return cmp_bytes(arena + a->rd.off, a->rd.len, arena + b->rd.off, b->rd.len);
}

static int cmp_rec(const uint8_t *arena, const struct rec *a, const struct rec *b)
{
    int c = cmp_key(arena, a, b);
    return c != 0 ? c : cmp_rdata(arena, a, b);
}

/* Bottom-up merge sort of idx[0..n) (stable, O(n log n), tmp as scratch). */
static void sort_idx(const uint8_t *arena, const struct rec *rec, uint16_t *idx, uint16_t *tmp,
                     size_t n)
{
    if (n <= 16) { /* the usual message: stable insertion sort */
        for (size_t i = 1; i < n; i++) {
            uint16_t t = idx[i];
            size_t j = i;
            while (j > 0 && cmp_rec(arena, &rec[t], &rec[idx[j - 1]]) < 0) {
                idx[j] = idx[j - 1];
                j--;
            }
            idx[j] = t;
        }
        return;
    }
    uint16_t *src = idx, *dst = tmp;
    for (size_t w = 1; w < n; w *= 2) {
        for (size_t lo = 0; lo < n; lo += 2 * w) {
            size_t mid = lo + w < n ? lo + w : n, hi = lo + 2 * w < n ? lo + 2 * w : n;
            size_t i = lo, j = mid, k = lo;
            while (i < mid && j < hi)
                dst[k++] = cmp_rec(arena, &rec[src[j]], &rec[src[i]]) < 0 ? src[j++] : src[i++];
            while (i < mid)
                dst[k++] = src[i++];
            while (j < hi)
                dst[k++] = src[j++];
        }
        uint16_t *t = src;
        src = dst;
        dst = t;
    }
    if (src != idx)
        memcpy(idx, src, n * sizeof *idx);
}

/* rd: the record's rdata in the message, already walked (SIG/RRSIG: >= 18 octets) */
static int left_out(const struct td_dns_rr *rr, const uint8_t *rd)
{
    switch (rr->type) {
    case T_OPT:
    case T_TSIG:
    case T_TKEY:
        return 1;
    case T_SIG: /* SIG(0): type covered 0 (rdata already checked to hold 18 fixed octets) */
        return rd[0] == 0 && rd[1] == 0;
    default:
        return 0;
    }
}

static enum td_rrset_res fail(struct td_rrset_buf *buf, enum td_rrset_res res,
                              enum td_dns_res why, enum td_dns_res *dns_err)
{
    buf->nsets = 0;
    buf->nrdata = 0;
    buf->arena_len = 0;
    if (dns_err)
        *dns_err = why;
    return res;
}

/* Called when a limit was hit: the message may still be malformed further on. */
static enum td_rrset_res too_many(const uint8_t *msg, size_t len, struct td_rrset_buf *buf,
                                  enum td_dns_res *dns_err)
{
    enum td_dns_res v = td_dns_validate(msg, len);
    if (v != TD_DNS_OK)
        return fail(buf, TD_RRSET_MALFORMED, v, dns_err);
    return fail(buf, TD_RRSET_TOO_MANY, TD_DNS_OK, dns_err);
}

enum td_rrset_res td_rrsets_from_message(const uint8_t *msg, size_t len, struct td_rrset_buf *buf,
                                         enum td_dns_res *dns_err)
{
    struct work w;
    struct td_dns_iter it;
    struct td_dns_rr rr;
    enum td_dns_res r;
    size_t n = 0, bottom = 0, top = TD_RRSET_ARENA;
    int prev_owner = -1;
    int prev_ptr = -1; /* the previous kept record's owner as it is in the message, when it is
                        * one compression pointer: the same pointer is the same owner */

    buf->nsets = 0;
    buf->nrdata = 0;
    buf->arena_len = 0;
    if (dns_err)
        *dns_err = TD_DNS_OK;
    r = td_dns_iter_init(&it, msg, len);
    if (r != TD_DNS_OK)
        return fail(buf, TD_RRSET_MALFORMED, r, dns_err);

    int k;
    size_t rec_off = it.off;
    while ((k = td_dns_iter_next(&it, &rr)) == 1) {
        /* owner: lowercased; shared with the previous kept record when equal */
        int ptr = (msg[rec_off] & 0xC0) == 0xC0 ? (msg[rec_off] << 8 | msg[rec_off + 1]) : -1;
        rec_off = it.off;
        uint32_t owner_off;
        int new_owner;
        if (ptr >= 0 && ptr == prev_ptr) {
            new_owner = 0;
        } else {
            td_dns_name_lower(rr.owner, rr.owner_len);
            new_owner = !(prev_owner >= 0 && w.rec[prev_owner].owner_len == rr.owner_len &&
                          memcmp(buf->arena + w.rec[prev_owner].owner_off, rr.owner,
                                 rr.owner_len) == 0);
        }
        size_t room = top - bottom;
        if (new_owner && room >= rr.owner_len)
            room -= rr.owner_len;
        else if (new_owner)
            room = 0; /* no room for the owner: still canonicalise (to validate) below */

        size_t olen = 0;
        uint8_t *dst = buf->arena + bottom;
        enum canon_res c = canon(msg, len, &rr, dst, room, &olen, &r);
        if (c == C_BAD)
            return fail(buf, TD_RRSET_MALFORMED, r, dns_err);
        const uint8_t *raw = msg + rr.rdata_off;
        if (left_out(&rr, raw))
            continue; /* whatever went to dst was scratch: bottom does not move */
        if (c == C_NO_ROOM || (new_owner && top - bottom < rr.owner_len + olen) ||
            n == TD_RRSET_RDATA_MAX || olen > UINT16_MAX)
            return too_many(msg, len, buf, dns_err);
        if (new_owner) {
            top -= rr.owner_len;
            memcpy(buf->arena + top, rr.owner, rr.owner_len);
            owner_off = (uint32_t)top;
        } else {
            owner_off = w.rec[prev_owner].owner_off;
        }
        struct rec *e = &w.rec[n];
        e->owner_off = owner_off;
        e->owner_len = rr.owner_len;
        e->type = rr.type;
        e->rclass = rr.rclass;
        e->covered = rr.type == T_RRSIG ? (uint16_t)(raw[0] << 8 | raw[1]) : 0;
        e->ttl = rr.ttl;
        e->section = rr.section;
        e->rd.off = (uint32_t)bottom;
        e->rd.len = (uint16_t)olen;
        bottom += olen;
        prev_owner = (int)n;
        prev_ptr = ptr;
        w.idx[n] = (uint16_t)n;
        n++;
    }
    if (k < 0)
        return fail(buf, TD_RRSET_MALFORMED, it.err, dns_err);

    sort_idx(buf->arena, w.rec, w.idx, w.tmp, n);

    /* groups over the sorted order */
    size_t ng = 0, nu = 0;
    for (size_t i = 0; i < n; i++) {
        uint16_t ri = w.idx[i];
        const struct rec *e = &w.rec[ri];
        if (i == 0 || cmp_key(buf->arena, &w.rec[w.idx[i - 1]], e) != 0) {
            if (ng == TD_RRSET_MAX)
                return too_many(msg, len, buf, dns_err);
            w.g_first[ng] = ri;
            w.g_start[ng] = (uint16_t)nu;
            w.g_count[ng] = 0;
            w.g_ttl[ng] = e->ttl;
            ng++;
        } else {
            size_t g = ng - 1;
            if (ri < w.g_first[g])
                w.g_first[g] = ri;
            if (e->ttl < w.g_ttl[g])
                w.g_ttl[g] = e->ttl;
            if (cmp_rdata(buf->arena, &w.rec[w.uniq[nu - 1]], e) == 0)
                continue; /* duplicate rdata */
        }
        w.uniq[nu++] = ri;
        w.g_count[ng - 1]++;
    }

    /* emit in order of first appearance */
    for (size_t i = 0; i < n; i++)
        w.group_of_first[i] = UINT16_MAX;
    for (size_t g = 0; g < ng; g++)
        w.group_of_first[w.g_first[g]] = (uint16_t)g;
    size_t ns = 0, nr = 0;
    for (size_t i = 0; i < n; i++) {
        uint16_t g = w.group_of_first[i];
        if (g == UINT16_MAX)
            continue;
        const struct rec *e = &w.rec[i];
        struct td_rrset *s = &buf->sets[ns++];
        memcpy(s->owner, buf->arena + e->owner_off, e->owner_len);
        s->owner_len = e->owner_len;
        s->type = e->type;
        s->rclass = e->rclass;
        s->covered = e->covered;
        s->ttl = w.g_ttl[g];
        s->section = e->section;
        s->first = (uint16_t)nr;
        s->count = w.g_count[g];
        for (size_t j = 0; j < w.g_count[g]; j++)
            buf->rdata[nr++] = w.rec[w.uniq[w.g_start[g] + j]].rd;
    }
    buf->nsets = (uint16_t)ns;
    buf->nrdata = (uint16_t)nr;
    buf->arena_len = (uint32_t)bottom;
    return TD_RRSET_OK;
}
