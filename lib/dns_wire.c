/* dns_wire.c: the DNS wire-format parser (see dns_wire.h for the contract).
 *
 * Hand-written, wdns/unbound style: it sits on the capture hot path, so it never allocates
 * and never trusts a length or a count from the message. Every read is checked against the
 * end first. A compression pointer must point strictly before the place where the current
 * name (or the previous pointer's target) started, so each jump goes strictly backwards and
 * a loop is impossible; the number of jumps is therefore bounded by the message length. */
#include "dns_wire.h"
#include "byteorder.h"

#include <string.h>

static const char *const res_names[TD_DNS__COUNT] = {
    [TD_DNS_OK] = "ok",
    [TD_DNS_SHORT_HEADER] = "short_header",
    [TD_DNS_NAME_PAST_END] = "name_past_end",
    [TD_DNS_FORWARD_POINTER] = "forward_pointer",
    [TD_DNS_LABEL_TOO_LONG] = "label_too_long",
    [TD_DNS_NAME_TOO_LONG] = "name_too_long",
    [TD_DNS_QUESTION_PAST_END] = "question_past_end",
    [TD_DNS_RR_PAST_END] = "rr_past_end",
    [TD_DNS_RDATA_PAST_END] = "rdata_past_end",
    [TD_DNS_BAD_RDATA] = "bad_rdata",
    [TD_DNS_COUNT_MISMATCH] = "count_mismatch",
    [TD_DNS_NO_QUESTION] = "no_question",
    [TD_DNS_BUFFER_TOO_SMALL] = "buffer_too_small",
};

const char *td_dns_res_str(enum td_dns_res r)
{
    if ((unsigned)r >= TD_DNS__COUNT)
        return "unknown";
    return res_names[r];
}

enum td_dns_res td_dns_parse_header(const uint8_t *msg, size_t len, struct td_dns_header *h)
{
    if (len < TD_DNS_HEADER_LEN)
        return TD_DNS_SHORT_HEADER;
    h->id = td_get_be16(msg);
    h->flags = td_get_be16(msg + 2);
    h->qdcount = td_get_be16(msg + 4);
    h->ancount = td_get_be16(msg + 6);
    h->nscount = td_get_be16(msg + 8);
    h->arcount = td_get_be16(msg + 10);
    return TD_DNS_OK;
}

enum td_dns_res td_dns_unpack_name(const uint8_t *msg, size_t len, size_t *off,
                                   uint8_t *out, uint16_t *out_len)
{
    size_t pos = *off;
    size_t start = pos;    /* where the current name (or last pointer target) starts */
    size_t after = 0;      /* offset after the name as it appears at *off; 0 = not yet known */
    size_t n = 0;          /* octets of uncompressed name so far (without the root) */

    for (;;) {
        if (pos >= len)
            return TD_DNS_NAME_PAST_END;
        uint8_t c = msg[pos];
        if (c == 0) {
            if (out)
                out[n] = 0;
            n++;
            if (!after)
                after = pos + 1;
            break;
        }
        switch (c & 0xC0) {
        case 0xC0: {
            if (pos + 1 >= len)
                return TD_DNS_NAME_PAST_END;
            size_t target = (size_t)(c & 0x3F) << 8 | msg[pos + 1];
            if (target >= start)
                return TD_DNS_FORWARD_POINTER;
            if (!after)
                after = pos + 2;
            start = pos = target;
            continue;
        }
        case 0x40:
        case 0x80:
            return TD_DNS_LABEL_TOO_LONG;
        default:
            break;
        }
        /* ordinary label of c (1..63) octets; keep room for the root octet */
        if (n + 1 + c + 1 > TD_DNS_NAME_MAX)
            return TD_DNS_NAME_TOO_LONG;
        if ((size_t)c + 1 > len - pos)
            return TD_DNS_NAME_PAST_END;
        if (out)
            memcpy(out + n, msg + pos, (size_t)c + 1);
        n += (size_t)c + 1;
        pos += (size_t)c + 1;
    }
    *off = after;
    if (out_len)
        *out_len = (uint16_t)n;
    return TD_DNS_OK;
}

/* ---- questions and iteration ---- */

/* Skips one question at *off. */
static enum td_dns_res skip_question(const uint8_t *msg, size_t len, size_t *off)
{
    enum td_dns_res r = td_dns_unpack_name(msg, len, off, NULL, NULL);
    if (r != TD_DNS_OK)
        return r;
    if (len - *off < 4)
        return TD_DNS_QUESTION_PAST_END;
    *off += 4;
    return TD_DNS_OK;
}

enum td_dns_res td_dns_parse_question(const uint8_t *msg, size_t len,
                                      struct td_dns_question *q, size_t *end_off)
{
    if (len < TD_DNS_HEADER_LEN)
        return TD_DNS_SHORT_HEADER;
    if (td_get_be16(msg + 4) == 0)
        return TD_DNS_NO_QUESTION;
    size_t off = TD_DNS_HEADER_LEN;
    enum td_dns_res r = td_dns_unpack_name(msg, len, &off, q->name, &q->name_len);
    if (r != TD_DNS_OK)
        return r;
    if (len - off < 4)
        return TD_DNS_QUESTION_PAST_END;
    q->qtype = td_get_be16(msg + off);
    q->qclass = td_get_be16(msg + off + 2);
    if (end_off)
        *end_off = off + 4;
    return TD_DNS_OK;
}

enum td_dns_res td_dns_iter_init(struct td_dns_iter *it, const uint8_t *msg, size_t len)
{
    struct td_dns_header h;
    memset(it, 0, sizeof(*it));
    it->msg = msg;
    it->len = len;
    it->section = TD_SEC_ANSWER;
    enum td_dns_res r = td_dns_parse_header(msg, len, &h);
    if (r != TD_DNS_OK)
        return it->err = r;
    it->left[TD_SEC_QUESTION] = h.qdcount;
    it->left[TD_SEC_ANSWER] = h.ancount;
    it->left[TD_SEC_AUTHORITY] = h.nscount;
    it->left[TD_SEC_ADDITIONAL] = h.arcount;
    size_t off = TD_DNS_HEADER_LEN;
    while (it->left[TD_SEC_QUESTION] > 0) {
        if (off >= len)
            return it->err = TD_DNS_COUNT_MISMATCH;
        r = skip_question(msg, len, &off);
        if (r != TD_DNS_OK)
            return it->err = r;
        it->left[TD_SEC_QUESTION]--;
    }
    it->off = off;
    return TD_DNS_OK;
}

/* One RR; the owner is copied into rr->owner only when copy_owner (validate skips it). */
static int iter_next(struct td_dns_iter *it, struct td_dns_rr *rr, int copy_owner)
{
    if (it->err != TD_DNS_OK)
        return -1;
    while (it->section <= TD_SEC_ADDITIONAL && it->left[it->section] == 0)
        it->section++;
    if (it->section > TD_SEC_ADDITIONAL)
        return 0;
    const uint8_t *msg = it->msg;
    size_t len = it->len, off = it->off;
    enum td_dns_res r;
    if (off >= len) {
        r = TD_DNS_COUNT_MISMATCH;
        goto fail;
    }
    r = td_dns_unpack_name(msg, len, &off, copy_owner ? rr->owner : NULL, &rr->owner_len);
    if (r != TD_DNS_OK)
        goto fail;
    if (len - off < 10) {
        r = TD_DNS_RR_PAST_END;
        goto fail;
    }
    rr->type = td_get_be16(msg + off);
    rr->rclass = td_get_be16(msg + off + 2);
    rr->ttl = td_get_be32(msg + off + 4);
    rr->rdlength = td_get_be16(msg + off + 8);
    off += 10;
    if (rr->rdlength > len - off) {
        r = TD_DNS_RDATA_PAST_END;
        goto fail;
    }
    rr->rdata_off = (uint32_t)off;
    rr->section = it->section;
    it->off = off + rr->rdlength;
    it->left[it->section]--;
    return 1;
fail:
    it->err = r;
    return -1;
}

int td_dns_iter_next(struct td_dns_iter *it, struct td_dns_rr *rr)
{
    return iter_next(it, rr, 1);
}

/* ---- rdata descriptors ---- */

#define F_END {TD_RDF_END, 0}
#define F_CNAME {TD_RDF_NAME_COMPRESSED, 0}
#define F_NAME {TD_RDF_NAME, 0}
#define F_FIX(n) {TD_RDF_FIXED, n}
#define F_REST {TD_RDF_REMAINDER, 0}

static const struct td_rdata_desc_field d_remainder[] = {F_REST, F_END};
static const struct td_rdata_desc_field d_a[] = {F_FIX(4), F_END};
static const struct td_rdata_desc_field d_aaaa[] = {F_FIX(16), F_END};
static const struct td_rdata_desc_field d_fix6[] = {F_FIX(6), F_END};
static const struct td_rdata_desc_field d_fix8[] = {F_FIX(8), F_END};
static const struct td_rdata_desc_field d_fix10[] = {F_FIX(10), F_END};
static const struct td_rdata_desc_field d_cname1[] = {F_CNAME, F_END};
static const struct td_rdata_desc_field d_cname2[] = {F_CNAME, F_CNAME, F_END};
static const struct td_rdata_desc_field d_soa[] = {F_CNAME, F_CNAME, F_FIX(20), F_END};
static const struct td_rdata_desc_field d_fix2_cname[] = {F_FIX(2), F_CNAME, F_END};
static const struct td_rdata_desc_field d_px[] = {F_FIX(2), F_CNAME, F_CNAME, F_END};
static const struct td_rdata_desc_field d_name1[] = {F_NAME, F_END};
static const struct td_rdata_desc_field d_fix2_name[] = {F_FIX(2), F_NAME, F_END};
static const struct td_rdata_desc_field d_srv[] = {F_FIX(6), F_NAME, F_END};
static const struct td_rdata_desc_field d_name_rest[] = {F_NAME, F_REST, F_END};
static const struct td_rdata_desc_field d_rrsig[] = {F_FIX(18), F_NAME, F_REST, F_END};
static const struct td_rdata_desc_field d_svcb[] = {F_FIX(2), F_NAME, F_REST, F_END};
/* NAPTR: order, preference, three character-strings, then the replacement name. */
#define F_STR {TD_RDF_STRING, 0}
static const struct td_rdata_desc_field d_naptr[] = {F_FIX(4), F_STR, F_STR, F_STR, F_NAME, F_END};

#define T_NAPTR 35

const struct td_rdata_desc_field *td_rdata_descriptor(uint16_t type)
{
    switch (type) {
    case 1: return d_a;                 /* A */
    case 28:                            /* AAAA */
    case 29: return d_aaaa;             /* LOC (version 0, the only one) */
    case 105:                           /* L32 */
    case 108: return d_fix6;            /* EUI48 */
    case 109: return d_fix8;            /* EUI64 */
    case 104:                           /* NID */
    case 106: return d_fix10;           /* L64 */
    case 2:                             /* NS */
    case 3:                             /* MD */
    case 4:                             /* MF */
    case 5:                             /* CNAME */
    case 7:                             /* MB */
    case 8:                             /* MG */
    case 9:                             /* MR */
    case 12: return d_cname1;           /* PTR */
    case 6: return d_soa;               /* SOA */
    case 14:                            /* MINFO */
    case 17: return d_cname2;           /* RP */
    case 15:                            /* MX */
    case 18:                            /* AFSDB */
    case 21: return d_fix2_cname;       /* RT */
    case 26: return d_px;               /* PX */
    case 33: return d_srv;              /* SRV */
    case T_NAPTR: return d_naptr;       /* NAPTR */
    case 36:                            /* KX */
    case 107: return d_fix2_name;       /* LP */
    case 39: return d_name1;            /* DNAME */
    case 30:                            /* NXT */
    case 47:                            /* NSEC */
    case 249:                           /* TKEY */
    case 250: return d_name_rest;       /* TSIG */
    case 24:                            /* SIG */
    case 46: return d_rrsig;            /* RRSIG */
    case 64:                            /* SVCB */
    case 65: return d_svcb;             /* HTTPS */
    default: return d_remainder;
    }
}

/* ---- rdata walk: shared by validate (out == NULL) and uncompress ---- */

struct walk {
    const uint8_t *msg;
    size_t pos, end;    /* cursor and end of the rdata inside msg */
    uint8_t *out;       /* NULL: only check */
    size_t olen;
    int lower;
};

static enum td_dns_res walk_name(struct walk *w)
{
    uint16_t nl;
    uint8_t *dst = w->out ? w->out + w->olen : NULL;
    /* Limit the message to the end of the rdata: the in-place part of the name must fit in
     * rdlength, and pointer targets lie before it anyway. */
    enum td_dns_res r = td_dns_unpack_name(w->msg, w->end, &w->pos, dst, &nl);
    if (r == TD_DNS_NAME_PAST_END)
        return TD_DNS_BAD_RDATA;
    if (r != TD_DNS_OK)
        return r;
    if (dst) {
        if (w->lower)
            td_dns_name_lower(dst, nl);
        w->olen += nl;
    }
    return TD_DNS_OK;
}

static enum td_dns_res walk_copy(struct walk *w, size_t n)
{
    if (n > w->end - w->pos)
        return TD_DNS_BAD_RDATA;
    if (w->out) {
        memcpy(w->out + w->olen, w->msg + w->pos, n);
        w->olen += n;
    }
    w->pos += n;
    return TD_DNS_OK;
}

static enum td_dns_res rdata_walk(struct walk *w, uint16_t type)
{
    enum td_dns_res r = TD_DNS_OK;
    for (const struct td_rdata_desc_field *f = td_rdata_descriptor(type);
         f->kind != TD_RDF_END && r == TD_DNS_OK; f++) {
        switch (f->kind) {
        case TD_RDF_NAME_COMPRESSED:
        case TD_RDF_NAME:
            r = walk_name(w);
            break;
        case TD_RDF_FIXED:
            r = walk_copy(w, f->len);
            break;
        case TD_RDF_STRING:
            if (w->pos >= w->end)
                return TD_DNS_BAD_RDATA;
            r = walk_copy(w, (size_t)w->msg[w->pos] + 1);
            break;
        default: /* TD_RDF_REMAINDER */
            r = walk_copy(w, w->end - w->pos);
            break;
        }
    }
    if (r == TD_DNS_OK && w->pos != w->end)
        r = TD_DNS_BAD_RDATA; /* octets left over after the last field */
    return r;
}

enum td_dns_res td_dns_validate(const uint8_t *msg, size_t len)
{
    struct td_dns_iter it;
    struct td_dns_rr rr;
    enum td_dns_res r = td_dns_iter_init(&it, msg, len);
    if (r != TD_DNS_OK)
        return r;
    int k;
    while ((k = iter_next(&it, &rr, 0)) == 1) {
        struct walk w = {msg, rr.rdata_off, (size_t)rr.rdata_off + rr.rdlength, NULL, 0, 0};
        r = rdata_walk(&w, rr.type);
        if (r != TD_DNS_OK)
            return r;
    }
    return k < 0 ? it.err : TD_DNS_OK;
}

enum td_dns_res td_dns_rdata_uncompress(const uint8_t *msg, size_t len, const struct td_dns_rr *rr,
                                        int lower, uint8_t *out, size_t cap, size_t *out_len)
{
    if (cap < (size_t)rr->rdlength + 2 * TD_DNS_NAME_MAX)
        return TD_DNS_BUFFER_TOO_SMALL;
    size_t end = (size_t)rr->rdata_off + rr->rdlength;
    if (end > len)
        return TD_DNS_RDATA_PAST_END;
    struct walk w = {msg, rr->rdata_off, end, out, 0, lower};
    enum td_dns_res r = rdata_walk(&w, rr->type);
    if (r != TD_DNS_OK)
        return r;
    *out_len = w.olen;
    return TD_DNS_OK;
}

/* ---- name helpers ----
 * Length octets of a valid wire name are <= 63, below 'A', so byte-wise case folding over the
 * whole name never changes them. */

static inline uint8_t lc(uint8_t c)
{
    return (c >= 'A' && c <= 'Z') ? (uint8_t)(c + 32) : c;
}

/* 8 octets at a time: each octet's high bit marks "in A..Z" without carries between octets
 * (7-bit values plus at most 0x3f stay below 0x100); octets >= 0x80 are left alone. */
static inline uint64_t lower8(uint64_t x)
{
    const uint64_t ones = 0x0101010101010101ull, high = 0x8080808080808080ull;
    uint64_t low7 = x & ~high;
    uint64_t upper = (low7 + ones * (0x80 - 'A')) & ~(low7 + ones * (0x80 - 'Z' - 1)) & ~x & high;
    return x | upper >> 2;
}

void td_dns_name_lower_copy(uint8_t *dst, const uint8_t *src, size_t len)
{
    size_t i = 0;
    for (; i + 8 <= len; i += 8) {
        uint64_t x;
        memcpy(&x, src + i, 8);
        x = lower8(x);
        memcpy(dst + i, &x, 8);
    }
    if (i < len && len >= 8) { /* the last 8 octets again: lowercasing twice changes nothing */
        uint64_t x;
        memcpy(&x, src + len - 8, 8);
        x = lower8(x);
        memcpy(dst + len - 8, &x, 8);
        return;
    }
    for (; i < len; i++)
        dst[i] = lc(src[i]);
}

void td_dns_name_lower(uint8_t *name, size_t len)
{
    td_dns_name_lower_copy(name, name, len);
}

/* rev(name) into out; returns octets written (== len) or 0 if malformed or no room (out may
 * then hold garbage). One pass: the label at name offset o (sz octets) goes to
 * out[len - 1 - o - sz ..]. Refused: len outside 1..255, a label over 63 octets, more than
 * 127 labels, a name that does not end with its root octet exactly at len. */
size_t td_dns_name_reverse(const uint8_t *name, size_t len, uint8_t *out, size_t cap)
{
    if (len < 1 || len > TD_DNS_NAME_MAX || len > cap)
        return 0;
    size_t o = 0;
    int n = 0;
    for (;;) {
        uint8_t l = name[o];
        if (l == 0)
            break;
        size_t sz = 1u + l;
        if (l > 63 || n >= 127 || o + sz >= len) /* the root octet must still fit after it */
            return 0;
        memcpy(out + len - 1 - o - sz, name + o, sz);
        n++;
        o += sz;
    }
    if (o + 1 != len)
        return 0;
    out[len - 1] = 0;
    return len;
}

int td_dns_name_equal_nocase(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
    if (alen != blen)
        return 0;
    for (size_t i = 0; i < alen; i++)
        if (lc(a[i]) != lc(b[i]))
            return 0;
    return 1;
}

int td_dns_name_is_below(const uint8_t *name, size_t nlen, const uint8_t *zone, size_t zlen)
{
    size_t p = 0;
    while (p < nlen) {
        if (nlen - p == zlen)
            return td_dns_name_equal_nocase(name + p, nlen - p, zone, zlen);
        if (nlen - p < zlen || name[p] == 0)
            return 0;
        p += (size_t)name[p] + 1;
    }
    return 0;
}
