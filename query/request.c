/* request.c: the one DNSDB v2 / v1 / CIRCL request parser (contract in request.h).
 *
 * Order of checks: the path is split on '/' and each segment percent-decoded alone; the
 * leading segments pick the API and verb (a mismatch there is 404: unknown path); the rest
 * (value, type, bailiwick, segment count, empty segments) is 400; then the query string.
 * Reasons never echo more than a short, sanitized piece of the input (no newline can leak). */
#include "request.h"
#include "config.h"
#include "hex.h"

#include <arpa/inet.h>
#include <libknot/libknot.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "dns_wire.h"

#define SEG_MAX 12                          /* more path segments than any valid path has */
#define SEG_TEXT_CAP (2 * TD_QREQUEST_RAW_MAX + 1)

struct seg {
    const char *p;    /* still encoded */
    size_t len;
};

struct ctx {
    struct td_qrequest *r;
    char *err;
    size_t errlen;
    char text[SEG_TEXT_CAP];   /* the decoded segment being parsed */
};

static int fail(struct ctx *c, int status, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(struct ctx *c, int status, const char *fmt, ...)
{
    if (c->errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(c->err, c->errlen, fmt, ap);
        va_end(ap);
    }
    return status;
}

/* A short printable copy of s for a reason text: at most 40 characters, odd octets as '?'. */
static const char *shown(const char *s, size_t len, char *buf, size_t cap)
{
    size_t o = 0;
    for (size_t i = 0; i < len && o + 4 < cap; i++) {
        if (o >= 40) {
            memcpy(buf + o, "...", 3);
            o += 3;
            break;
        }
        unsigned char ch = (unsigned char)s[i];
        buf[o++] = (ch >= 0x20 && ch < 0x7f) ? (char)ch : '?';
    }
    buf[o] = 0;
    return buf;
}

int td_qpercent_decode(const char *src, size_t len, char *dst, size_t cap)
{
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        int ch = (unsigned char)src[i];
        if (ch == '%') {
            if (i + 2 >= len)
                return -1;
            int hi = td_hex_digit((unsigned char)src[i + 1]), lo = td_hex_digit((unsigned char)src[i + 2]);
            if (hi < 0 || lo < 0)
                return -1;
            ch = hi * 16 + lo;
            if (ch == 0)
                return -1;
            i += 2;
        } else if (ch == 0) {
            return -1;
        }
        if (o + 1 >= cap)
            return -1;
        dst[o++] = (char)ch;
    }
    if (o >= cap)
        return -1;
    dst[o] = 0;
    return 0;
}

/* Decodes segment s into c->text; 400 on a bad escape or an over-long segment. */
static int decode(struct ctx *c, const struct seg *s, const char *what)
{
    char b[64];
    if (s->len == 0)
        return fail(c, 400, "empty %s in path", what);
    if (td_qpercent_decode(s->p, s->len, c->text, sizeof c->text) != 0)
        return fail(c, 400, "bad percent-encoding or too long: %s '%s'", what, shown(s->p, s->len, b, sizeof b));
    return 0;
}

static int seg_is(const struct seg *s, const char *word)
{
    size_t n = strlen(word);
    return s->len == n && memcmp(s->p, word, n) == 0;
}

/* ---- types, names, hex, addresses */

static int parse_type(struct ctx *c, const char *t, int *out)
{
    char b[64];
    uint16_t v;
    if (!strcasecmp(t, "ANY"))
        *out = TD_INDEX_ANY;
    else if (!strcasecmp(t, "ANY-DNSSEC"))
        *out = TD_INDEX_ANY_DNSSEC;
    else if (knot_rrtype_from_string(t, &v) == 0)
        *out = v;
    else
        return fail(c, 400, "bad rrtype '%s'", shown(t, strlen(t), b, sizeof b));
    return 0;
}

static void lower_wire(uint8_t *w, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (w[i] >= 'A' && w[i] <= 'Z')
            w[i] = (uint8_t)(w[i] + 32);
}

/* Length of the wire name, or 0 if w[0..len) is not exactly one uncompressed name. */
static size_t wire_ok(const uint8_t *w, size_t len)
{
    size_t p = 0;
    while (p < len) {
        if (w[p] == 0)
            return p + 1 == len ? len : 0;
        if (w[p] > 63)
            return 0;
        p += (size_t)w[p] + 1;
    }
    return 0;
}

static int is_wild_label(const uint8_t *l)
{
    return l[0] == 1 && (l[1] == '*' || l[1] == '+');
}

enum wild { WILD_NONE, WILD_LEFT, WILD_RIGHT };

/* Text name -> lowercase wire name in out (255). With allow_wild, one "*" or "+" label at one
 * end is taken off the name and reported in *wild / *plus. */
static int parse_name(struct ctx *c, const char *text, uint8_t *out, size_t *out_len, int allow_wild,
                      enum wild *wild, int *plus, const char *what)
{
    char b[64];
    uint8_t w[TD_DNS_NAME_MAX];
    /* a '/' can only come from "%2F": never part of a name here (contract) */
    int n = strchr(text, '/') ? -1 : td_dns_name_from_text(text, w, sizeof w);
    if (n <= 0)
        return fail(c, 400, "bad %s '%s'", what, shown(text, strlen(text), b, sizeof b));
    size_t len = (size_t)n;
    lower_wire(w, len);
    /* label offsets */
    size_t off[128], nl = 0;
    for (size_t p = 0; w[p] != 0 && nl < 128; p += (size_t)w[p] + 1)
        off[nl++] = p;
    size_t nwild = 0, at = 0;
    for (size_t i = 0; i < nl; i++)
        if (is_wild_label(w + off[i])) {
            nwild++;
            at = i;
        }
    if (wild)
        *wild = WILD_NONE;
    if (plus)
        *plus = 0;
    if (nwild == 0) {
        memcpy(out, w, len);
        *out_len = len;
        return 0;
    }
    if (!allow_wild || nwild > 1 || (at != 0 && at != nl - 1))
        return fail(c, 400, "bad wildcard in %s '%s' (one '*' or '+' label, at one end)", what,
                    shown(text, strlen(text), b, sizeof b));
    *plus = w[off[at] + 1] == '+';
    if (at == 0) { /* "*.x" (or "*" alone: below the root) */
        *wild = WILD_LEFT;
        *out_len = len - 2;
        memcpy(out, w + 2, *out_len);
    } else { /* "x.*": x's labels, then the root */
        *wild = WILD_RIGHT;
        memcpy(out, w, off[at]);
        out[off[at]] = 0;
        *out_len = off[at] + 1;
    }
    return 0;
}

/* Even count of hex digits -> octets (cap). */
static int parse_hex(struct ctx *c, const char *text, uint8_t *out, size_t cap, size_t *out_len)
{
    char b[64];
    size_t n = strlen(text);
    if (n == 0 || n % 2 || n / 2 > cap)
        return fail(c, 400, "bad raw value: need an even count of hex digits, at most %zu octets", cap);
    for (size_t i = 0; i < n; i += 2) {
        int hi = td_hex_digit((unsigned char)text[i]), lo = td_hex_digit((unsigned char)text[i + 1]);
        if (hi < 0 || lo < 0)
            return fail(c, 400, "bad raw value '%s': not hex", shown(text, n, b, sizeof b));
        out[i / 2] = (uint8_t)(hi * 16 + lo);
    }
    *out_len = n / 2;
    return 0;
}

/* Address of either family into out; returns its length (4, 16) or 0. */
static size_t parse_addr(const char *s, uint8_t *out)
{
    if (strchr(s, ':'))
        return inet_pton(AF_INET6, s, out) == 1 ? 16 : 0;
    return inet_pton(AF_INET, s, out) == 1 ? 4 : 0;
}

/* ADDR, ADDR,PFX or LO-HI (text modified in place). */
static int parse_ip(struct ctx *c, char *text, struct td_index_query *q)
{
    char b[64];
    const char *shown_text = shown(text, strlen(text), b, sizeof b);
    char *comma = strchr(text, ','), *dash = strchr(text, '-');
    if (comma && dash)
        return fail(c, 400, "bad address '%s'", shown_text);
    char *rest = comma ? comma : dash;
    if (rest)
        *rest++ = 0;
    q->ip_len = parse_addr(text, q->ip_lo);
    if (!q->ip_len)
        return fail(c, 400, "bad address '%s'", shown_text);
    memcpy(q->ip_hi, q->ip_lo, q->ip_len);
    q->ip_prefix = 0;
    if (comma) {
        unsigned p = 0;
        size_t nd = 0;
        for (; rest[nd]; nd++) {
            if (rest[nd] < '0' || rest[nd] > '9' || nd >= 3)
                return fail(c, 400, "bad prefix length in '%s'", shown_text);
            p = p * 10 + (unsigned)(rest[nd] - '0');
        }
        if (nd == 0 || p > q->ip_len * 8)
            return fail(c, 400, "bad prefix length in '%s'", shown_text);
        /* network address: host bits cleared */
        for (size_t i = 0; i < q->ip_len; i++) {
            unsigned keep = p >= (i + 1) * 8 ? 8 : (p > i * 8 ? p - (unsigned)i * 8 : 0);
            q->ip_lo[i] &= (uint8_t)(0xff00u >> keep);
        }
        if (p == 0) { /* the whole family: a range (prefix 0 means "range" to the index) */
            memset(q->ip_lo, 0, q->ip_len);
            memset(q->ip_hi, 0xff, q->ip_len);
        } else {
            memcpy(q->ip_hi, q->ip_lo, q->ip_len);
        }
        q->ip_prefix = p;
    } else if (dash) {
        uint8_t hi[16];
        if (parse_addr(rest, hi) != q->ip_len)
            return fail(c, 400, "bad address range '%s' (two addresses of one family)", shown_text);
        if (memcmp(q->ip_lo, hi, q->ip_len) > 0)
            return fail(c, 400, "bad address range '%s' (low above high)", shown_text);
        memcpy(q->ip_hi, hi, q->ip_len);
    }
    return 0;
}

/* ---- the value part of lookup/summarize: segs = VALUE[/TYPE[/BAILIWICK]] */

enum what { RRSET_NAME, RRSET_RAW, RDATA_NAME, RDATA_IP, RDATA_RAW };

static int parse_value(struct ctx *c, enum what what, const struct seg *s, size_t ns)
{
    struct td_qrequest *r = c->r;
    struct td_index_query *q = &r->q;
    size_t max = what == RRSET_NAME ? 3 : 2;
    int rc;
    if (ns == 0)
        return fail(c, 400, "missing value in path");
    if (ns > max)
        return fail(c, 400, "too many path segments (%s)",
                    what == RRSET_NAME ? "VALUE/TYPE/BAILIWICK at most" : "VALUE/TYPE at most");
    q->rrtype = TD_INDEX_ANY;
    if ((rc = decode(c, &s[0], "value")) != 0)
        return rc;
    enum wild wild = WILD_NONE;
    int plus = 0;
    switch (what) {
    case RRSET_NAME:
    case RDATA_NAME:
        if ((rc = parse_name(c, c->text, r->name_buf, &q->name_len, 1, &wild, &plus, "name")) != 0)
            return rc;
        q->name = r->name_buf;
        q->one_label = plus;
        if (what == RRSET_NAME)
            q->kind = wild == WILD_LEFT ? TD_IQ_RRSET_BELOW : wild == WILD_RIGHT ? TD_IQ_RRSET_ABOVE : TD_IQ_RRSET;
        else
            q->kind = wild == WILD_LEFT    ? TD_IQ_RDATA_NAME_BELOW
                      : wild == WILD_RIGHT ? TD_IQ_RDATA_NAME_ABOVE
                                           : TD_IQ_RDATA_NAME;
        break;
    case RRSET_RAW: {
        size_t n;
        if ((rc = parse_hex(c, c->text, r->name_buf, sizeof r->name_buf, &n)) != 0)
            return rc;
        if (!wire_ok(r->name_buf, n))
            return fail(c, 400, "bad raw value: not one uncompressed wire-format name");
        lower_wire(r->name_buf, n);
        q->kind = TD_IQ_RRSET;
        q->name = r->name_buf;
        q->name_len = n;
        break;
    }
    case RDATA_RAW:
        if ((rc = parse_hex(c, c->text, r->raw_buf, sizeof r->raw_buf, &q->raw_len)) != 0)
            return rc;
        q->kind = TD_IQ_RDATA_RAW;
        q->raw = r->raw_buf;
        break;
    case RDATA_IP:
        if ((rc = parse_ip(c, c->text, q)) != 0)
            return rc;
        q->kind = TD_IQ_RDATA_IP;
        break;
    }
    if (ns >= 2) {
        if ((rc = decode(c, &s[1], "rrtype")) != 0 || (rc = parse_type(c, c->text, &q->rrtype)) != 0)
            return rc;
    }
    if (ns == 3) {
        if ((rc = decode(c, &s[2], "bailiwick")) != 0 ||
            (rc = parse_name(c, c->text, r->bailiwick_buf, &q->bailiwick_len, 0, NULL, NULL, "bailiwick")) != 0)
            return rc;
        q->bailiwick = r->bailiwick_buf;
    }
    if (what == RDATA_IP) {
        if (q->rrtype != TD_INDEX_ANY && !(q->rrtype == 1 && q->ip_len == 4) && !(q->rrtype == 28 && q->ip_len == 16))
            return fail(c, 400, "rdata/ip takes rrtype %s or ANY only", q->ip_len == 4 ? "A" : "AAAA");
    }
    r->rdata = what == RDATA_NAME || what == RDATA_IP || what == RDATA_RAW;
    return 0;
}

/* ---- query string */

/* Decimal digits only: no sign, no blanks, no overflow (the config layer's number rule). */
static int parse_u64(const char *s, uint64_t *out)
{
    return td_config_parse_u64(s, out) ? -1 : 0;
}

static int parse_bool(const char *s, int *out)
{
    if (!strcasecmp(s, "t") || !strcasecmp(s, "true") || !strcmp(s, "1"))
        *out = 1;
    else if (!strcasecmp(s, "f") || !strcasecmp(s, "false") || !strcmp(s, "0"))
        *out = 0;
    else
        return -1;
    return 0;
}

/* Epoch seconds, or negative = now minus that many seconds. */
static int parse_fence(const char *s, uint32_t now, uint32_t *out)
{
    uint64_t v;
    if (*s == '-') {
        if (parse_u64(s + 1, &v) != 0 || v > now)
            return -1;
        *out = (uint32_t)(now - v);
        return 0;
    }
    if (parse_u64(s, &v) != 0 || v > UINT32_MAX)
        return -1;
    *out = (uint32_t)v;
    return 0;
}

/* Characters allowed beyond alphanumerics. */
static int text_ok(const char *s, size_t max, const char *extra)
{
    size_t n = strlen(s);
    if (n == 0 || n > max)
        return 0;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              (*extra && strchr(extra, *s))))
            return 0;
    return 1;
}

static int id_ok(const char *s)
{
    const char *colon = strchr(s, ':');
    if (!colon || colon == s || !colon[1] || strchr(colon + 1, ':') || strlen(s) > 30)
        return 0;
    for (; *s; s++)
        if (*s != ':' && !((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9')))
            return 0;
    return 1;
}

enum param {
    P_LIMIT, P_OFFSET, P_TFB, P_TFA, P_TLB, P_TLA, P_AGGR, P_HUMANTIME, P_MAX_COUNT, P_SWCLIENT, P_VERSION, P_ID,
    P__COUNT
};
static const char *const param_names[P__COUNT] = {
    "limit", "offset", "time_first_before", "time_first_after", "time_last_before", "time_last_after",
    "aggr", "humantime", "max_count", "swclient", "version", "id",
};

static int parse_param(struct ctx *c, enum param p, const char *v, uint32_t now)
{
    struct td_qrequest *r = c->r;
    struct td_index_query *q = &r->q;
    int ok = 1, b = 0;
    switch (p) {
    case P_LIMIT:
        ok = parse_u64(v, &r->limit) == 0;
        r->has_limit = 1;
        break;
    case P_OFFSET:
        ok = parse_u64(v, &r->offset) == 0;
        break;
    case P_MAX_COUNT:
        ok = parse_u64(v, &r->max_count) == 0;
        break;
    case P_TFB:
        ok = parse_fence(v, now, &q->time_first_before) == 0;
        break;
    case P_TFA:
        ok = parse_fence(v, now, &q->time_first_after) == 0;
        break;
    case P_TLB:
        ok = parse_fence(v, now, &q->time_last_before) == 0;
        break;
    case P_TLA:
        ok = parse_fence(v, now, &q->time_last_after) == 0;
        break;
    case P_AGGR:
        ok = parse_bool(v, &b) == 0;
        r->aggr = b;
        q->gravel = !b;
        break;
    case P_HUMANTIME:
        ok = parse_bool(v, &r->humantime) == 0;
        break;
    case P_SWCLIENT:
        ok = text_ok(v, sizeof r->swclient - 1, "");
        if (ok)
            snprintf(r->swclient, sizeof r->swclient, "%s", v);
        break;
    case P_VERSION:
        ok = text_ok(v, sizeof r->version - 1, "-_.");
        if (ok)
            snprintf(r->version, sizeof r->version, "%s", v);
        break;
    case P_ID:
        ok = id_ok(v);
        if (ok)
            snprintf(r->id, sizeof r->id, "%s", v);
        break;
    case P__COUNT:
        ok = 0;
        break;
    }
    if (!ok) {
        char bb[64];
        return fail(c, 400, "bad value for %s: '%s'", param_names[p], shown(v, strlen(v), bb, sizeof bb));
    }
    return 0;
}

static int parse_query(struct ctx *c, const char *query, uint32_t now)
{
    unsigned seen = 0;
    char b[64];
    while (query && *query) {
        const char *end = strchr(query, '&');
        size_t len = end ? (size_t)(end - query) : strlen(query);
        if (len > 0) {
            const char *eq = memchr(query, '=', len);
            if (!eq)
                return fail(c, 400, "parameter without value: '%s'", shown(query, len, b, sizeof b));
            char key[32];
            if (td_qpercent_decode(query, (size_t)(eq - query), key, sizeof key) != 0)
                return fail(c, 400, "unknown parameter '%s'", shown(query, (size_t)(eq - query), b, sizeof b));
            int p = -1;
            for (int i = 0; i < P__COUNT; i++)
                if (!strcmp(key, param_names[i]))
                    p = i;
            if (p < 0)
                return fail(c, 400, "unknown parameter '%s'", shown(key, strlen(key), b, sizeof b));
            if (seen & (1u << p))
                return fail(c, 400, "repeated parameter '%s'", key);
            seen |= 1u << p;
            size_t vlen = len - (size_t)(eq + 1 - query);
            char val[64];
            if (td_qpercent_decode(eq + 1, vlen, val, sizeof val) != 0)
                return fail(c, 400, "bad value for %s: '%s'", key, shown(eq + 1, vlen, b, sizeof b));
            int rc = parse_param(c, (enum param)p, val, now);
            if (rc)
                return rc;
        }
        query = end ? end + 1 : NULL;
    }
    return 0;
}

/* ---- paths */

static int route_lookup(struct ctx *c, const struct seg *s, size_t ns)
{
    /* s: {rrset|rdata}/{name|raw|ip}/VALUE... */
    if (ns < 2)
        return fail(c, 404, "unknown path: expected rrset/name, rrset/raw, rdata/name, rdata/ip or rdata/raw");
    enum what what;
    if (seg_is(&s[0], "rrset") && seg_is(&s[1], "name"))
        what = RRSET_NAME;
    else if (seg_is(&s[0], "rrset") && seg_is(&s[1], "raw"))
        what = RRSET_RAW;
    else if (seg_is(&s[0], "rdata") && seg_is(&s[1], "name"))
        what = RDATA_NAME;
    else if (seg_is(&s[0], "rdata") && seg_is(&s[1], "ip"))
        what = RDATA_IP;
    else if (seg_is(&s[0], "rdata") && seg_is(&s[1], "raw"))
        what = RDATA_RAW;
    else
        return fail(c, 404, "unknown path: expected rrset/name, rrset/raw, rdata/name, rdata/ip or rdata/raw");
    return parse_value(c, what, s + 2, ns - 2);
}

static int route(struct ctx *c, const struct seg *s, size_t ns)
{
    struct td_qrequest *r = c->r;
    size_t v2 = ns >= 2 && seg_is(&s[0], "dnsdb") && seg_is(&s[1], "v2") ? 2 : 0;
    if (v2) {
        r->api = TD_QAPI_V2;
        if (ns == 3 && seg_is(&s[2], "rate_limit")) {
            r->verb = TD_QVERB_RATE_LIMIT;
            return 0;
        }
        if (ns == 3 && seg_is(&s[2], "ping")) {
            r->verb = TD_QVERB_PING;
            return 0;
        }
    } else if (ns >= 1 && (seg_is(&s[0], "lookup") || seg_is(&s[0], "summarize"))) {
        r->api = TD_QAPI_V1;
        if (ns == 2 && seg_is(&s[0], "lookup") && seg_is(&s[1], "rate_limit")) {
            r->verb = TD_QVERB_RATE_LIMIT;
            return 0;
        }
    } else if (ns >= 2 && seg_is(&s[0], "pdns") && seg_is(&s[1], "query")) {
        r->api = TD_QAPI_CIRCL;
        r->verb = TD_QVERB_LOOKUP;
        if (ns == 2)
            return fail(c, 400, "missing value in path");
        if (ns > 3)
            return fail(c, 400, "too many path segments (/pdns/query/VALUE)");
        int rc = decode(c, &s[2], "value");
        if (rc)
            return rc;
        /* an address or ADDR,PFX: the records pointing at it; else a name: its RRsets */
        uint8_t tmp[16];
        char *comma = strchr(c->text, ',');
        if (comma)
            *comma = 0;
        size_t alen = parse_addr(c->text, tmp);
        if (comma)
            *comma = ',';
        return parse_value(c, alen ? RDATA_IP : RRSET_NAME, &s[2], 1);
    } else {
        return fail(c, 404, "unknown path");
    }
    if (ns <= v2)
        return fail(c, 404, "unknown path");
    if (seg_is(&s[v2], "lookup"))
        r->verb = TD_QVERB_LOOKUP;
    else if (seg_is(&s[v2], "summarize"))
        r->verb = TD_QVERB_SUMMARIZE;
    else
        return fail(c, 404, "unknown path");
    return route_lookup(c, s + v2 + 1, ns - v2 - 1);
}

int td_qrequest_parse(struct td_qrequest *r, const char *path, const char *query, uint32_t now, char *err,
                      size_t errlen)
{
    struct ctx c;
    c.r = r;
    c.err = err;
    c.errlen = errlen;
    memset(r, 0, sizeof *r);
    r->aggr = 1;
    r->q.rrtype = TD_INDEX_ANY;
    if (errlen)
        err[0] = 0;
    if (!path || path[0] != '/')
        return fail(&c, 400, "path must start with '/'");
    struct seg s[SEG_MAX];
    size_t ns = 0;
    const char *p = path + 1;
    for (;;) {
        const char *slash = strchr(p, '/');
        size_t len = slash ? (size_t)(slash - p) : strlen(p);
        if (ns == SEG_MAX)
            return fail(&c, 400, "too many path segments");
        s[ns].p = p;
        s[ns].len = len;
        ns++;
        if (!slash)
            break;
        p = slash + 1;
    }
    if (ns > 1 && s[ns - 1].len == 0)
        return fail(&c, 400, "trailing '/' in path");
    int rc = route(&c, s, ns);
    if (rc)
        return rc;
    /* route() checked the segments it used; an empty one anywhere (a trailing '/') is a 400 */
    for (size_t i = 0; i < ns; i++)
        if (s[i].len == 0)
            return fail(&c, 400, "empty segment in path");
    return parse_query(&c, query, now);
}

int td_qrequest_limit(struct td_qrequest *r, uint64_t limit_default, uint64_t results_max, uint64_t offset_max,
                      char *err, size_t errlen)
{
    uint64_t limit = r->has_limit ? r->limit : limit_default;
    if (limit == 0 || limit > results_max)
        limit = results_max;
    if (r->offset > 0 && offset_max == 0) {
        snprintf(err, errlen, "offset not permitted for this key");
        return 416;
    }
    if (r->offset > offset_max) {
        snprintf(err, errlen, "offset %llu exceeds offset_max %llu", (unsigned long long)r->offset,
                 (unsigned long long)offset_max);
        return 416;
    }
    r->q.limit = limit;
    r->q.offset = r->offset;
    return 0;
}
