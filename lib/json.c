/* json.c: the one JSON writer (contract in json.h).
 *
 * What it does: appends JSON text to a growable buffer. The writer tracks nesting and emits
 * the ',' between members/elements and the ':' after a key itself, so callers only say
 * what comes next.
 *
 * Guarantees:
 * - Output is valid JSON (RFC 8259) whenever j->oom is 0 at the end: strings are escaped
 *   ('"' and '\\' with a backslash; control octets 0x00-0x1f as \b \f \n \r \t or \u00xx;
 *   '/' and DEL 0x7f pass unchanged); well-formed UTF-8 passes unchanged; every octet that
 *   is not part of a well-formed UTF-8 sequence (overlong forms, surrogates U+D800-DFFF,
 *   code points above U+10FFFF, stray continuation octets, truncated sequences) becomes
 *   \ufffd, one per octet.
 * - j->buf is NUL-terminated after every call once anything was written (tests may read it
 *   as a C string; it never contains a raw NUL because NUL is escaped).
 * - Integers are exact over the whole int64/uint64 range.
 * - j->oom is sticky: set by an allocation failure, by nesting deeper than
 *   TD_JSON_MAX_DEPTH, or by misuse the writer can see (a value inside an object without a
 *   key, a key inside an array, closing the wrong kind of container or one that is not
 *   open, td_json_newline with containers still open). After that every call does
 *   nothing; td_json_flush reports -1 and td_json_reset clears it.
 * - At the top level (depth 0) values are never separated by commas: NDJSON callers end
 *   each document with td_json_newline.
 * - Growth is geometric (amortized O(1) per octet); the ASCII fast path copies runs of
 *   plain characters with one memcpy.
 */
#include "json.h"

#include <stdlib.h>
#include <string.h>

/* first[d-1] for the container at depth d: bit 0 = still empty, bit 1 = object */
#define F_EMPTY 1u
#define F_OBJECT 2u

void td_json_init(struct td_json *j)
{
    memset(j, 0, sizeof *j);
}

void td_json_reset(struct td_json *j)
{
    j->len = 0;
    j->depth = 0;
    j->after_key = 0;
    j->oom = 0;
    memset(j->first, 0, sizeof j->first);
    if (j->buf)
        j->buf[0] = '\0';
}

void td_json_free(struct td_json *j)
{
    free(j->buf);
    td_json_init(j);
}

/* Slow path of reserve(): grows the buffer geometrically. */
static int grow(struct td_json *j, size_t n)
{
    if (n > SIZE_MAX / 2 - j->len - 1) {
        j->oom = 1;
        return -1;
    }
    size_t need = j->len + n + 1;
    size_t cap = j->cap ? j->cap : 256;
    while (cap < need)
        cap *= 2;
    char *nb = realloc(j->buf, cap);
    if (!nb) {
        j->oom = 1;
        return -1;
    }
    j->buf = nb;
    j->cap = cap;
    return 0;
}

/* Makes room for n more octets plus the terminating NUL; 0 on success. */
static inline int reserve(struct td_json *j, size_t n)
{
    if (j->oom)
        return -1;
    if (__builtin_expect(j->cap && n < j->cap - j->len, 1))
        return 0;
    return grow(j, n);
}

static void put(struct td_json *j, const char *s, size_t n)
{
    if (reserve(j, n) != 0)
        return;
    memcpy(j->buf + j->len, s, n);
    j->len += n;
    j->buf[j->len] = '\0';
}

static void putc1(struct td_json *j, char c)
{
    if (reserve(j, 1) != 0)
        return;
    j->buf[j->len++] = c;
    j->buf[j->len] = '\0';
}

/* Before any value: the separator the position needs; -1 (and oom) on misuse. */
static int value_prefix(struct td_json *j)
{
    if (j->oom)
        return -1;
    if (j->after_key) {
        j->after_key = 0;
        return 0;
    }
    if (j->depth == 0)
        return 0;
    uint8_t *f = &j->first[j->depth - 1];
    if (*f & F_OBJECT) { /* a value in an object needs a key first */
        j->oom = 1;
        return -1;
    }
    if (*f & F_EMPTY)
        *f &= (uint8_t)~F_EMPTY;
    else
        putc1(j, ',');
    return j->oom ? -1 : 0;
}

static void open_container(struct td_json *j, char c, uint8_t kind)
{
    if (value_prefix(j) != 0)
        return;
    if (j->depth >= TD_JSON_MAX_DEPTH) {
        j->oom = 1;
        return;
    }
    putc1(j, c);
    if (j->oom)
        return;
    j->first[j->depth++] = (uint8_t)(F_EMPTY | kind);
}

static void close_container(struct td_json *j, char c, uint8_t kind)
{
    if (j->oom)
        return;
    if (j->depth == 0 || j->after_key || (j->first[j->depth - 1] & F_OBJECT) != kind) {
        j->oom = 1;
        return;
    }
    putc1(j, c);
    if (!j->oom)
        j->depth--;
}

void td_json_object_begin(struct td_json *j) { open_container(j, '{', F_OBJECT); }
void td_json_object_end(struct td_json *j) { close_container(j, '}', F_OBJECT); }
void td_json_array_begin(struct td_json *j) { open_container(j, '[', 0); }
void td_json_array_end(struct td_json *j) { close_container(j, ']', 0); }

/* 0 = copy as is, 1 = needs an escape, 2 = first octet of a possible multi-octet sequence */
static const uint8_t cls[256] = {
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* '"' */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, /* '\\' */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
};

/* Length of the well-formed UTF-8 sequence starting at s (n octets available), or 0. */
static size_t utf8_len(const uint8_t *s, size_t n)
{
    uint8_t c = s[0];
    size_t need;
    uint8_t lo = 0x80, hi = 0xbf; /* allowed range of the second octet */
    if (c >= 0xc2 && c <= 0xdf) {
        need = 2;
    } else if (c >= 0xe0 && c <= 0xef) {
        need = 3;
        if (c == 0xe0)
            lo = 0xa0;          /* overlong */
        else if (c == 0xed)
            hi = 0x9f;          /* surrogates */
    } else if (c >= 0xf0 && c <= 0xf4) {
        need = 4;
        if (c == 0xf0)
            lo = 0x90;          /* overlong */
        else if (c == 0xf4)
            hi = 0x8f;          /* above U+10FFFF */
    } else {
        return 0;               /* 0x80-0xc1 and 0xf5-0xff never start a sequence */
    }
    if (n < need || s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < need; i++)
        if (s[i] < 0x80 || s[i] > 0xbf)
            return 0;
    return need;
}

static void put_escaped(struct td_json *j, const char *str, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    /* Worst case 6 output octets per input octet (\u00xx or \ufffd) plus the quotes. */
    if (len > (SIZE_MAX - 8) / 6) {
        j->oom = 1;
        return;
    }
    if (reserve(j, 6 * len + 2) != 0)
        return;
    const uint8_t *s = (const uint8_t *)str;
    char *o = j->buf + j->len;
    *o++ = '"';
    size_t i = 0;
    while (i < len) {
        size_t run = i;
        while (run < len && cls[s[run]] == 0)
            run++;
        if (run > i) {
            memcpy(o, s + i, run - i);
            o += run - i;
            i = run;
            if (i == len)
                break;
        }
        uint8_t c = s[i];
        if (cls[c] == 2) {
            size_t n = utf8_len(s + i, len - i);
            if (n) {
                memcpy(o, s + i, n);
                o += n;
                i += n;
            } else {
                memcpy(o, "\\ufffd", 6);
                o += 6;
                i++;
            }
            continue;
        }
        *o++ = '\\';
        switch (c) {
        case '"': *o++ = '"'; break;
        case '\\': *o++ = '\\'; break;
        case '\b': *o++ = 'b'; break;
        case '\f': *o++ = 'f'; break;
        case '\n': *o++ = 'n'; break;
        case '\r': *o++ = 'r'; break;
        case '\t': *o++ = 't'; break;
        default:
            *o++ = 'u';
            *o++ = '0';
            *o++ = '0';
            *o++ = hex[c >> 4];
            *o++ = hex[c & 15];
            break;
        }
        i++;
    }
    *o++ = '"';
    *o = '\0';
    j->len = (size_t)(o - j->buf);
}

void td_json_key(struct td_json *j, const char *key)
{
    if (j->oom)
        return;
    if (j->depth == 0 || j->after_key || !(j->first[j->depth - 1] & F_OBJECT) || !key) {
        j->oom = 1;
        return;
    }
    uint8_t *f = &j->first[j->depth - 1];
    if (*f & F_EMPTY)
        *f &= (uint8_t)~F_EMPTY;
    else
        putc1(j, ',');
    put_escaped(j, key, strlen(key));
    putc1(j, ':');
    if (!j->oom)
        j->after_key = 1;
}

void td_json_string_len(struct td_json *j, const char *s, size_t len)
{
    if (!s) {
        td_json_null(j);
        return;
    }
    if (value_prefix(j) != 0)
        return;
    put_escaped(j, s, len);
}

void td_json_string(struct td_json *j, const char *s)
{
    td_json_string_len(j, s, s ? strlen(s) : 0);
}

static void put_u64(struct td_json *j, uint64_t v, int neg)
{
    char tmp[24];
    char *p = tmp + sizeof tmp;
    do {
        *--p = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    if (neg)
        *--p = '-';
    put(j, p, (size_t)(tmp + sizeof tmp - p));
}

void td_json_int(struct td_json *j, int64_t v)
{
    if (value_prefix(j) != 0)
        return;
    if (v < 0)
        put_u64(j, (uint64_t)0 - (uint64_t)v, 1);
    else
        put_u64(j, (uint64_t)v, 0);
}

void td_json_uint(struct td_json *j, uint64_t v)
{
    if (value_prefix(j) != 0)
        return;
    put_u64(j, v, 0);
}

void td_json_bool(struct td_json *j, int v)
{
    if (value_prefix(j) != 0)
        return;
    if (v)
        put(j, "true", 4);
    else
        put(j, "false", 5);
}

void td_json_null(struct td_json *j)
{
    if (value_prefix(j) != 0)
        return;
    put(j, "null", 4);
}

void td_json_kstring(struct td_json *j, const char *key, const char *s)
{
    td_json_key(j, key);
    td_json_string(j, s);
}

void td_json_kint(struct td_json *j, const char *key, int64_t v)
{
    td_json_key(j, key);
    td_json_int(j, v);
}

void td_json_kuint(struct td_json *j, const char *key, uint64_t v)
{
    td_json_key(j, key);
    td_json_uint(j, v);
}

void td_json_kbool(struct td_json *j, const char *key, int v)
{
    td_json_key(j, key);
    td_json_bool(j, v);
}

void td_json_newline(struct td_json *j)
{
    if (j->oom)
        return;
    if (j->depth != 0 || j->after_key) {
        j->oom = 1;
        return;
    }
    putc1(j, '\n');
}

int td_json_flush(struct td_json *j, FILE *f)
{
    int rc = 0;
    if (j->oom)
        rc = -1;
    else if (j->len && fwrite(j->buf, 1, j->len, f) != j->len)
        rc = -1;
    td_json_reset(j);
    return rc;
}
