/* keys.c: the index key schema (indexer/KEYS.md is normative): entries of an observation,
 * value codec, metadata entries, key decoders and query ranges. No allocation. */
#include "keys.h"

#include <string.h>

#include "byteorder.h"
#include "dns_wire.h"
#include "errf.h"
#include "varint.h"

/* ---------- names ---------- */

/* Length of the label sequence (wire name, or a reversed one: same syntax) at p, at most len
 * octets available: labels 1..63 then the root octet, at most 255 in all. 0 if malformed. */
static size_t name_len(const uint8_t *p, size_t len)
{
    size_t o = 0;
    for (;;) {
        if (o >= len || o >= TD_DNS_NAME_MAX)
            return 0;
        uint8_t l = p[o];
        if (l == 0)
            return o + 1;
        if (l > 63)
            return 0;
        o += 1 + (size_t)l;
    }
}

/* Reverses the labels of a valid wire name of n octets (callers checked it) into out. */
static void name_reverse(const uint8_t *p, size_t n, uint8_t *out)
{
    (void)td_dns_name_reverse(p, n, out, n);
}

/* Checks a caller's wire name (exactly nlen octets) and writes it lowercased into out. */
static int name_in(const uint8_t *name, size_t nlen, uint8_t out[TD_DNS_NAME_MAX])
{
    if (!name || nlen == 0 || nlen > TD_DNS_NAME_MAX || name_len(name, nlen) != nlen)
        return -1;
    memcpy(out, name, nlen);
    td_dns_name_lower(out, nlen);
    return 0;
}

/* ---------- classification ---------- */

int td_index_rrtype_is_dnssec(uint16_t t)
{
    switch (t) {
    case 43: case 46: case 47: case 48: case 50: case 51: case 59: case 60:
    case 32768: case 32769:
        return 1;
    default:
        return 0;
    }
}

uint8_t td_index_type_byte(uint8_t layout, uint16_t rrtype)
{
    return (uint8_t)(layout | (td_index_rrtype_is_dnssec(rrtype) ? TD_IK_DNSSEC : 0));
}

unsigned td_index_slice_offset(uint16_t rrtype)
{
    switch (rrtype) {
    case 15: return 2;  /* MX: preference */
    case 33: return 6;  /* SRV: priority, weight, port */
    case 64:            /* SVCB: priority */
    case 65: return 2;  /* HTTPS */
    default: return 0;
    }
}

/* Types whose RDATA_NAME_REV entry is the first name of the rdata (SOA: MNAME). */
static int has_name_rev(uint16_t t)
{
    switch (t) {
    case 2: case 5: case 39: case 12: case 15: case 33: case 64: case 65: case 6:
        return 1;
    default:
        return 0;
    }
}

int td_index_name_rev_type(uint16_t t)
{
    return has_name_rev(t);
}

int td_index_rdata_name_type(uint16_t t)
{
    switch (t) {
    case 2: case 5: case 39: case 12: case 15: case 33: case 6: case 64: case 65:
    case 47: case 17: case 30:
        return 1;
    default:
        return 0;
    }
}

/* Types whose rdata (or sliced rdata) is exactly one name: a typed rdata name scan can put the
 * type after the name. */
static int rdata_is_one_name(uint16_t t)
{
    switch (t) {
    case 2: case 3: case 4: case 5: case 7: case 8: case 9: case 12: case 39:
    case 15: case 33:
        return 1;
    default:
        return 0;
    }
}

/* First name field of rdata per td_rdata_descriptor: *off and *nlen, or -1 if none or the
 * rdata does not hold a well-formed uncompressed name there. */
static int first_name(uint16_t rrtype, const uint8_t *rd, size_t len, size_t *off, size_t *nlen)
{
    size_t o = 0;
    for (const struct td_rdata_desc_field *f = td_rdata_descriptor(rrtype); f->kind != TD_RDF_END; f++) {
        switch (f->kind) {
        case TD_RDF_NAME_COMPRESSED:
        case TD_RDF_NAME: {
            size_t n = name_len(rd + o, len - o);
            if (n == 0)
                return -1;
            *off = o;
            *nlen = n;
            return 0;
        }
        case TD_RDF_FIXED:
            if (len - o < f->len)
                return -1;
            o += f->len;
            break;
        case TD_RDF_STRING:
            if (o >= len || len - o - 1 < rd[o])
                return -1;
            o += 1 + (size_t)rd[o];
            break;
        default:
            return -1;
        }
    }
    return -1;
}

/* ---------- values ---------- */

size_t td_index_value_encode(const struct td_obs_value *v, uint32_t base, uint8_t out[TD_INDEX_VALUE_MAX])
{
    int64_t d = (int64_t)v->time_first - (int64_t)base;
    uint64_t zz = d >= 0 ? (uint64_t)d << 1 : ((uint64_t)(-d) << 1) - 1;
    size_t n = td_varint_put(out, zz);
    n += td_varint_put(out + n, v->time_last >= v->time_first ? v->time_last - v->time_first : 0);
    n += td_varint_put(out + n, v->count);
    return n;
}

int td_index_value_decode(const uint8_t *p, size_t len, uint32_t base, struct td_obs_value *v)
{
    size_t o = 0;
    uint64_t zz, dur, c;
    if (!p || td_varint_get(p, len, &o, (uint64_t)UINT32_MAX << 1, &zz) != 0 ||
        td_varint_get(p, len, &o, UINT32_MAX, &dur) != 0 || td_varint_get(p, len, &o, UINT64_MAX, &c) != 0 ||
        o != len)
        return -1;
    int64_t tf = (int64_t)base + ((zz & 1) ? -(int64_t)((zz + 1) >> 1) : (int64_t)(zz >> 1));
    if (tf < 0 || tf > UINT32_MAX || (uint64_t)tf + dur > UINT32_MAX)
        return -1;
    v->time_first = (uint32_t)tf;
    v->time_last = (uint32_t)((uint64_t)tf + dur);
    v->count = c;
    v->reason = 0;
    v->rule = 0;
    return 0;
}

size_t td_index_value_merge(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen, uint32_t base,
                            uint8_t out[TD_INDEX_VALUE_MAX])
{
    struct td_obs_value va, vb;
    if (td_index_value_decode(a, alen, base, &va) != 0 || td_index_value_decode(b, blen, base, &vb) != 0)
        return 0;
    uint64_t sum = va.count + vb.count;
    td_obs_merge(&va, &vb);
    va.count = sum < vb.count ? UINT64_MAX : sum;
    return td_index_value_encode(&va, base, out);
}

size_t td_index_time_base_encode(uint32_t base, uint8_t out[TD_INDEX_VALUE_MAX])
{
    return td_varint_put(out, base);
}

int td_index_time_base_decode(const uint8_t *p, size_t len, uint32_t *base)
{
    size_t o = 0;
    uint64_t b;
    if (!p || td_varint_get(p, len, &o, UINT32_MAX, &b) != 0 || o != len)
        return -1;
    *base = (uint32_t)b;
    return 0;
}

size_t td_index_time_range_encode(uint32_t min_tf, uint32_t max_tl, uint8_t out[TD_INDEX_VALUE_MAX])
{
    size_t n = td_varint_put(out, min_tf);
    return n + td_varint_put(out + n, max_tl);
}

int td_index_time_range_decode(const uint8_t *p, size_t len, uint32_t *min_tf, uint32_t *max_tl)
{
    size_t o = 0;
    uint64_t a, b;
    if (!p || td_varint_get(p, len, &o, UINT32_MAX, &a) != 0 || td_varint_get(p, len, &o, UINT32_MAX, &b) != 0 ||
        o != len)
        return -1;
    *min_tf = (uint32_t)a;
    *max_tl = (uint32_t)b;
    return 0;
}

size_t td_index_version_entry(uint8_t tb, uint8_t key[2], uint8_t val[TD_INDEX_VALUE_MAX])
{
    key[0] = TD_IK_VERSION;
    key[1] = tb;
    return td_varint_put(val, TD_INDEX_SCHEMA_VERSION);
}

int td_index_version_decode(const uint8_t *p, size_t len, uint64_t *version)
{
    size_t o = 0;
    if (!p || td_varint_get(p, len, &o, UINT64_MAX, version) != 0 || o != len)
        return -1;
    return 0;
}

/* ---------- entries of one observation ----------
 * One key buffer on the stack (TD_INDEX_KEY_MAX, about 129 KiB) is reused for every entry:
 * a key is valid only during its emit call. NAME_REV duplicates within a set are found by
 * comparing with the earlier rdata (quadratic in the set size, at most 512). */

int td_index_entries(const uint8_t *obs_key, size_t klen, const struct td_obs_value *v,
                     td_index_emit_fn emit, void *ctx, char *err, size_t errlen)
{
    struct td_obs_key k;
    uint8_t buf[TD_INDEX_KEY_MAX];
    int rc;

    if (!obs_key || !v || !emit || klen == 0 || td_obs_key_decode_no_bailiwick(obs_key, klen, &k) != 0) {
        td_errf(err, errlen, "index: malformed observation key (%zu octets)", klen);
        return -1;
    }
    const size_t rev_owner_len = k.owner_len; /* the key starts with rev(owner) */
    const uint16_t t = k.rrtype;

    /* RRSET: type byte + the observation key as it is. */
    buf[0] = td_index_type_byte(TD_IK_RRSET, t);
    memcpy(buf + 1, obs_key, klen);
    if ((rc = emit(ctx, buf, 1 + klen, v)) != 0)
        return rc;

    /* RRSET_NAME_FWD: the owner in wire order. */
    buf[0] = td_index_type_byte(TD_IK_NAME_FWD, t);
    memcpy(buf + 1, k.owner, k.owner_len);
    if ((rc = emit(ctx, buf, 1 + (size_t)k.owner_len, v)) != 0)
        return rc;

    uint8_t tvar[3];
    size_t tvar_len = td_varint_put(tvar, t);
    unsigned soff = td_index_slice_offset(t);

    for (size_t i = 0; i < k.nrdata; i++) {
        const uint8_t *rd = k.rdata[i];
        size_t rl = k.rdlen[i], o;

        /* RDATA: rdata, varint rrtype, rev(owner), u16le len(rdata). */
        buf[0] = td_index_type_byte(TD_IK_RDATA, t);
        memcpy(buf + 1, rd, rl);
        o = 1 + rl;
        memcpy(buf + o, tvar, tvar_len);
        o += tvar_len;
        memcpy(buf + o, obs_key, rev_owner_len);
        o += rev_owner_len;
        td_put_le16(buf + o, (uint16_t)rl);
        o += 2;
        if ((rc = emit(ctx, buf, o, v)) != 0)
            return rc;

        /* Sliced RDATA: rdata[off:], varint rrtype, rev(owner), rdata[:off], u16le len(rdata[off:]). */
        if (soff && rl >= soff) {
            memcpy(buf + 1, rd + soff, rl - soff);
            o = 1 + rl - soff;
            memcpy(buf + o, tvar, tvar_len);
            o += tvar_len;
            memcpy(buf + o, obs_key, rev_owner_len);
            o += rev_owner_len;
            memcpy(buf + o, rd, soff);
            o += soff;
            td_put_le16(buf + o, (uint16_t)(rl - soff));
            o += 2;
            if ((rc = emit(ctx, buf, o, v)) != 0)
                return rc;
        }

        /* RDATA_NAME_REV: rev(first name in the rdata); one per distinct name of the set. */
        size_t noff, nlen;
        if (has_name_rev(t) && first_name(t, rd, rl, &noff, &nlen) == 0) {
            int dup = 0;
            for (size_t j = 0; j < i && !dup; j++) {
                size_t poff, plen;
                if (first_name(t, k.rdata[j], k.rdlen[j], &poff, &plen) == 0 && plen == nlen &&
                    memcmp(k.rdata[j] + poff, rd + noff, nlen) == 0)
                    dup = 1;
            }
            if (!dup) {
                buf[0] = td_index_type_byte(TD_IK_NAME_REV, t);
                name_reverse(rd + noff, nlen, buf + 1);
                if ((rc = emit(ctx, buf, 1 + nlen, v)) != 0)
                    return rc;
            }
        }
    }
    return 0;
}

/* ---------- decoders ---------- */

int td_index_key_layout(const uint8_t *key, size_t len)
{
    if (!key || len == 0)
        return -1;
    uint8_t b = key[0];
    if (b == TD_IK_TIME_RANGE || b == TD_IK_VERSION)
        return b;
    if ((b & ~TD_IK_DNSSEC) <= TD_IK_NAME_REV)
        return b & 0x0f;
    return -1;
}

int td_index_rrset_decode(const uint8_t *key, size_t len, struct td_obs_key *k, int *dnssec)
{
    if (!key || len < 2 || (key[0] & ~TD_IK_DNSSEC) != TD_IK_RRSET)
        return -1;
    if (td_obs_key_decode(key + 1, len - 1, k) != 0 || td_index_type_byte(TD_IK_RRSET, k->rrtype) != key[0])
        return -1;
    if (dnssec)
        *dnssec = key[0] == (TD_IK_RRSET | TD_IK_DNSSEC);
    return 0;
}

static int name_key_decode(uint8_t layout, int reversed, const uint8_t *key, size_t len, uint8_t *out,
                           uint16_t *out_len, int *dnssec)
{
    if (!key || len < 2 || (key[0] & ~TD_IK_DNSSEC) != layout)
        return -1;
    size_t n = name_len(key + 1, len - 1);
    if (n == 0 || n != len - 1)
        return -1;
    if (reversed)
        name_reverse(key + 1, n, out);
    else
        memcpy(out, key + 1, n);
    *out_len = (uint16_t)n;
    if (dnssec)
        *dnssec = (key[0] & TD_IK_DNSSEC) != 0;
    return 0;
}

int td_index_name_fwd_decode(const uint8_t *key, size_t len, uint8_t out[255], uint16_t *out_len, int *dnssec)
{
    return name_key_decode(TD_IK_NAME_FWD, 0, key, len, out, out_len, dnssec);
}

int td_index_name_rev_decode(const uint8_t *key, size_t len, uint8_t out[255], uint16_t *out_len, int *dnssec)
{
    return name_key_decode(TD_IK_NAME_REV, 1, key, len, out, out_len, dnssec);
}

int td_index_rdata_decode(const uint8_t *key, size_t len, struct td_index_rdata_key *r)
{
    uint64_t t;
    if (!key || !r || len < 5 || len > TD_INDEX_KEY_MAX || (key[0] & ~TD_IK_DNSSEC) != TD_IK_RDATA)
        return -1;
    size_t body = len - 2; /* octets before the trailing length */
    size_t tl = td_get_le16(key + body);
    if (tl > body - 1)
        return -1;
    size_t o = 1 + tl;
    if (td_varint_get(key, body, &o, 0xffff, &t) != 0)
        return -1;
    size_t n = name_len(key + o, body - o);
    if (n == 0)
        return -1;
    r->rrtype = (uint16_t)t;
    if (td_index_type_byte(TD_IK_RDATA, r->rrtype) != key[0])
        return -1;
    name_reverse(key + o, n, r->owner);
    r->owner_len = (uint16_t)n;
    o += n;
    size_t rest = body - o;
    r->tail = key + 1;
    r->tail_len = (uint16_t)tl;
    r->dnssec = (key[0] & TD_IK_DNSSEC) != 0;
    if (rest == 0) {
        r->sliced = 0;
        r->head = NULL;
        r->head_len = 0;
        return 0;
    }
    unsigned soff = td_index_slice_offset(r->rrtype);
    if (soff == 0 || rest != soff || tl + soff > 0xffff)
        return -1;
    r->sliced = 1;
    r->head = key + o;
    r->head_len = (uint16_t)soff;
    return 0;
}

size_t td_index_rdata_copy(const struct td_index_rdata_key *r, uint8_t *out, size_t cap)
{
    size_t n = (size_t)r->head_len + r->tail_len;
    if (n > cap)
        return (size_t)-1;
    if (r->head_len)
        memcpy(out, r->head, r->head_len);
    if (r->tail_len)
        memcpy(out + r->head_len, r->tail, r->tail_len);
    return n;
}

/* ---------- query ranges ---------- */

/* end = the successor of the prefix start[0..start_len): the least key above every key that
 * has that prefix (last octet below 0xFF incremented, the rest dropped); none: unbounded. */
static void prefix_end(struct td_index_range *r)
{
    size_t n = r->start_len;
    while (n > 0 && r->start[n - 1] == 0xff)
        n--;
    if (n == 0) {
        r->end_len = 0;
        return;
    }
    memcpy(r->end, r->start, n);
    r->end[n - 1]++;
    r->end_len = n;
}

static int type_arg(int rrtype, uint8_t layout, uint8_t *tb, char *err, size_t errlen)
{
    if (rrtype == TD_INDEX_ANY)
        *tb = layout;
    else if (rrtype == TD_INDEX_ANY_DNSSEC)
        *tb = layout | TD_IK_DNSSEC;
    else if (rrtype >= 0 && rrtype <= 0xffff)
        *tb = td_index_type_byte(layout, (uint16_t)rrtype);
    else {
        td_errf(err, errlen, "index range: bad rrtype %d", rrtype);
        return -1;
    }
    return 0;
}

int td_index_range_rrset(struct td_index_range *r, const uint8_t *owner, size_t owner_len, int rrtype,
                         const uint8_t *bw, size_t bw_len, char *err, size_t errlen)
{
    uint8_t name[TD_DNS_NAME_MAX], tb;
    int checks = 0;
    if (type_arg(rrtype, TD_IK_RRSET, &tb, err, errlen) != 0)
        return -1;
    if (name_in(owner, owner_len, name) != 0) {
        td_errf(err, errlen, "index range: malformed owner name");
        return -1;
    }
    r->start[0] = tb;
    name_reverse(name, owner_len, r->start + 1);
    r->start_len = 1 + owner_len;
    if (rrtype >= 0)
        r->start_len += td_varint_put(r->start + r->start_len, (uint16_t)rrtype);
    if (bw) {
        if (name_in(bw, bw_len, name) != 0) {
            td_errf(err, errlen, "index range: malformed bailiwick");
            return -1;
        }
        if (rrtype >= 0) {
            name_reverse(name, bw_len, r->start + r->start_len);
            r->start_len += bw_len;
        } else {
            checks |= TD_IR_CHECK_BAILIWICK;
        }
    }
    prefix_end(r);
    return checks;
}

/* Prefix tb + label sequence of x (reversed or not) without its root octet. */
static int below_range(struct td_index_range *r, uint8_t layout, int reversed, const uint8_t *x, size_t xlen,
                       int rrtype, char *err, size_t errlen)
{
    uint8_t name[TD_DNS_NAME_MAX], tb;
    if (type_arg(rrtype, layout, &tb, err, errlen) != 0)
        return -1;
    if (name_in(x, xlen, name) != 0) {
        td_errf(err, errlen, "index range: malformed name");
        return -1;
    }
    r->start[0] = tb;
    if (reversed)
        name_reverse(name, xlen, r->start + 1);
    else
        memcpy(r->start + 1, name, xlen);
    r->start_len = xlen; /* 1 + xlen - the root octet */
    prefix_end(r);
    return rrtype >= 0 ? TD_IR_CHECK_TYPE : 0;
}

int td_index_range_rrset_below(struct td_index_range *r, const uint8_t *x, size_t xlen, int rrtype,
                               char *err, size_t errlen)
{
    return below_range(r, TD_IK_RRSET, 1, x, xlen, rrtype, err, errlen);
}

int td_index_range_name_fwd(struct td_index_range *r, const uint8_t *x, size_t xlen, int rrtype,
                            char *err, size_t errlen)
{
    return below_range(r, TD_IK_NAME_FWD, 0, x, xlen, rrtype, err, errlen);
}

int td_index_range_name_rev_below(struct td_index_range *r, const uint8_t *x, size_t xlen, int rrtype,
                                  char *err, size_t errlen)
{
    return below_range(r, TD_IK_NAME_REV, 1, x, xlen, rrtype, err, errlen);
}

int td_index_range_rdata_name(struct td_index_range *r, const uint8_t *name, size_t nlen, int rrtype,
                              char *err, size_t errlen)
{
    uint8_t n[TD_DNS_NAME_MAX], tb;
    if (type_arg(rrtype, TD_IK_RDATA, &tb, err, errlen) != 0)
        return -1;
    if (name_in(name, nlen, n) != 0) {
        td_errf(err, errlen, "index range: malformed name");
        return -1;
    }
    r->start[0] = tb;
    memcpy(r->start + 1, n, nlen);
    r->start_len = 1 + nlen;
    if (rrtype >= 0 && rdata_is_one_name((uint16_t)rrtype))
        r->start_len += td_varint_put(r->start + r->start_len, (uint16_t)rrtype);
    prefix_end(r);
    return TD_IR_CHECK_TYPE | TD_IR_CHECK_RDATA;
}

int td_index_range_rdata_name_above(struct td_index_range *r, const uint8_t *x, size_t xlen, int rrtype,
                                    char *err, size_t errlen)
{
    if (below_range(r, TD_IK_RDATA, 0, x, xlen, rrtype, err, errlen) < 0)
        return -1;
    return TD_IR_CHECK_TYPE | TD_IR_CHECK_RDATA;
}

int td_index_range_ip(struct td_index_range *r, const uint8_t *lo, const uint8_t *hi, size_t alen,
                      char *err, size_t errlen)
{
    if (!lo || !hi || (alen != 4 && alen != 16)) {
        td_errf(err, errlen, "index range: an address is 4 or 16 octets, not %zu", alen);
        return -1;
    }
    if (memcmp(lo, hi, alen) > 0) {
        td_errf(err, errlen, "index range: first address above the last");
        return -1;
    }
    uint8_t t = alen == 4 ? 1 : 28; /* A, AAAA: one-octet varints */
    r->start[0] = TD_IK_RDATA;
    memcpy(r->start + 1, lo, alen);
    r->start[1 + alen] = t;
    r->start_len = 2 + alen;
    /* successor of 02 hi varint(t): 02 hi (t+1) */
    r->end[0] = TD_IK_RDATA;
    memcpy(r->end + 1, hi, alen);
    r->end[1 + alen] = (uint8_t)(t + 1);
    r->end_len = 2 + alen;
    return TD_IR_CHECK_TYPE | TD_IR_CHECK_RDATA;
}

int td_index_range_cidr(struct td_index_range *r, const uint8_t *addr, size_t alen, unsigned pfxlen,
                        char *err, size_t errlen)
{
    uint8_t lo[16], hi[16];
    if (!addr || (alen != 4 && alen != 16)) {
        td_errf(err, errlen, "index range: an address is 4 or 16 octets, not %zu", alen);
        return -1;
    }
    if (pfxlen > alen * 8) {
        td_errf(err, errlen, "index range: prefix length %u above %zu", pfxlen, alen * 8);
        return -1;
    }
    for (size_t i = 0; i < alen; i++) {
        unsigned keep = pfxlen >= (i + 1) * 8 ? 8 : pfxlen > i * 8 ? pfxlen - (unsigned)i * 8 : 0;
        uint8_t mask = (uint8_t)(keep ? 0xff << (8 - keep) : 0);
        lo[i] = addr[i] & mask;
        hi[i] = (uint8_t)(addr[i] | (uint8_t)~mask);
    }
    return td_index_range_ip(r, lo, hi, alen, err, errlen);
}
