/* config.c: the one config-file layer (contract in config.h).
 *
 * What it does: reads an INI file with inih into a small owned table of
 * (section, key, value, line) and offers typed getters with precise error messages.
 *
 * Syntax accepted (inih, driven through our own line reader):
 *   [section]            names: 1-48 octets of A-Z a-z 0-9 '_' '-'; anything after ']'
 *                        other than a comment is an error
 *   key = value          or "key: value"; same name rules as sections; leading and
 *                        trailing whitespace is removed from the value; no quoting
 *   # comment, ; comment at the start of a line; " ;" (whitespace then ';') starts a
 *                        comment after a value; '#' after a value is part of the value
 *   Keys before the first [section] belong to section "" (named just "key" in messages).
 *   Leading whitespace on a line is ignored (indented keys are plain keys: inih's
 *   continuation lines are disabled on purpose, they silently glued indented keys to the
 *   previous value). A UTF-8 BOM at the start is skipped. Section headers may repeat; a key
 *   may be set only once per section.
 *
 * Guarantees:
 * - Every error names where: "FILE:LINE: reason" (parse errors, bad values) or
 *   "FILE: reason" (unreadable or too large). The first error wins; parsing stops there.
 * - Rejected: a NUL octet, lines longer than TD_CONFIG_LINE_MAX octets, bad names,
 *   duplicate keys, more than TD_CONFIG_MAX_KEYS keys, input over TD_CONFIG_MAX_FILE
 *   octets. Memory is bounded by the input size.
 * - Getters never modify the table; values stay valid until td_config_free.
 * - Numbers are plain decimal digits; overflow of uint64 is an error, never a wrap.
 *   Sizes: N, NK, NM, NG, NT (powers of 1024, suffix case-insensitive).
 *   Durations (stored as ns): Nns, Nus, Nms, Ns, Nm, Nh, Nd; a bare N means seconds.
 *   Booleans: true/false, yes/no, on/off, 1/0 (case-insensitive).
 * - inih global: ini_max_line is raised to TD_CONFIG_LINE_MAX + 2 if lower (the only
 *   inih setting touched; Debian's libinih exposes it as a runtime variable).
 */
#include "config.h"
#include "errf.h"

#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TD_CONFIG_LINE_MAX 4096
#define TD_CONFIG_MAX_KEYS 1024
#define TD_CONFIG_MAX_FILE (1024 * 1024)
#define TD_CONFIG_NAME_MAX 48

struct td_config_entry {
    const char *section, *key, *value; /* point into one allocation owned by the entry */
    int line;
};

struct td_config {
    char *name;
    struct td_config_entry *e;
    int n, cap;
};

struct parse_state {
    struct td_config *c;
    const char *text;
    size_t len, pos;
    int lineno;
    int failed, fail_line; /* first error seen by the reader or handler, and its line */
    char *err;
    size_t errlen;
};

static void seterr(struct parse_state *st, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void seterr(struct parse_state *st, const char *fmt, ...)
{
    if (st->failed)
        return;
    st->failed = 1;
    st->fail_line = st->lineno;
    if (!st->err || !st->errlen)
        return;
    int k = snprintf(st->err, st->errlen, "%s:%d: ", st->c->name, st->lineno);
    if (k < 0 || (size_t)k >= st->errlen)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(st->err + k, st->errlen - (size_t)k, fmt, ap);
    va_end(ap);
}

static int name_ok(const char *s, size_t n)
{
    if (n == 0 || n > TD_CONFIG_NAME_MAX)
        return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (!isalnum(ch) && ch != '_' && ch != '-')
            return 0;
    }
    return 1;
}

static int is_ws(unsigned char ch)
{
    return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\v' || ch == '\f';
}

/* Checks a "[section]" line (stripped of leading whitespace, n octets). */
static int check_section_line(struct parse_state *st, const char *s, size_t n)
{
    const char *close = memchr(s, ']', n);
    if (!close) {
        seterr(st, "syntax error: missing ']' in section header");
        return -1;
    }
    size_t nl = (size_t)(close - s - 1);
    if (!name_ok(s + 1, nl)) {
        seterr(st, "invalid section name '%.*s' (1-%d octets of letters, digits, '_', '-')",
               (int)nl, s + 1, TD_CONFIG_NAME_MAX);
        return -1;
    }
    const char *p = close + 1, *end = s + n;
    while (p < end && is_ws((unsigned char)*p))
        p++;
    if (p < end && *p != ';' && *p != '#') {
        seterr(st, "syntax error: text after section header");
        return -1;
    }
    return 0;
}

/* inih line reader over (text, len): hands over exactly one line per call, without its
 * leading whitespace, always ending in '\n'. Returns NULL at the end or on an error. */
static char *reader(char *str, int num, void *stream)
{
    struct parse_state *st = stream;
    if (st->failed || st->pos >= st->len)
        return NULL;
    const char *s = st->text + st->pos;
    size_t left = st->len - st->pos;
    const char *nl = memchr(s, '\n', left);
    size_t n = nl ? (size_t)(nl - s) : left;
    st->pos += nl ? n + 1 : n;
    st->lineno++;
    if (memchr(s, '\0', n)) {
        seterr(st, "NUL octet in line");
        return NULL;
    }
    if (n > TD_CONFIG_LINE_MAX) {
        seterr(st, "line too long (max %d octets)", TD_CONFIG_LINE_MAX);
        return NULL;
    }
    if (st->lineno == 1 && n >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0) {
        s += 3;
        n -= 3;
    }
    while (n && is_ws((unsigned char)*s)) {
        s++;
        n--;
    }
    if (num < 2 || n > (size_t)num - 2) { /* cannot happen once ini_max_line is raised */
        seterr(st, "line too long (max %d octets)", num - 2);
        return NULL;
    }
    if (n && *s == '[' && check_section_line(st, s, n) != 0)
        return NULL;
    memcpy(str, s, n);
    str[n] = '\n';
    str[n + 1] = '\0';
    return str;
}

static const char *qualify(const char *section, const char *key, char *buf, size_t cap)
{
    if (section[0])
        snprintf(buf, cap, "%s.%s", section, key);
    else
        snprintf(buf, cap, "%s", key);
    return buf;
}

static int handler(void *user, const char *section, const char *name, const char *value)
{
    struct parse_state *st = user;
    struct td_config *c = st->c;
    char q[2 * TD_CONFIG_NAME_MAX + 2];
    if (st->failed)
        return 0;
    if (!name || !value)
        return 1;
    size_t kl = strlen(name);
    if (!name_ok(name, kl)) {
        seterr(st, "invalid key name '%s' (1-%d octets of letters, digits, '_', '-')",
               name, TD_CONFIG_NAME_MAX);
        return 0;
    }
    for (int i = 0; i < c->n; i++) {
        if (strcmp(c->e[i].section, section) == 0 && strcmp(c->e[i].key, name) == 0) {
            seterr(st, "duplicate key %s (first set on line %d)",
                   qualify(section, name, q, sizeof q), c->e[i].line);
            return 0;
        }
    }
    if (c->n >= TD_CONFIG_MAX_KEYS) {
        seterr(st, "too many keys (max %d)", TD_CONFIG_MAX_KEYS);
        return 0;
    }
    if (c->n == c->cap) {
        int ncap = c->cap ? c->cap * 2 : 32;
        struct td_config_entry *ne = realloc(c->e, (size_t)ncap * sizeof *ne);
        if (!ne) {
            seterr(st, "out of memory");
            return 0;
        }
        c->e = ne;
        c->cap = ncap;
    }
    size_t sl = strlen(section), vl = strlen(value);
    char *blk = malloc(sl + kl + vl + 3);
    if (!blk) {
        seterr(st, "out of memory");
        return 0;
    }
    memcpy(blk, section, sl + 1);
    memcpy(blk + sl + 1, name, kl + 1);
    memcpy(blk + sl + kl + 2, value, vl + 1);
    struct td_config_entry *e = &c->e[c->n++];
    e->section = blk;
    e->key = blk + sl + 1;
    e->value = blk + sl + kl + 2;
    e->line = st->lineno;
    return 1;
}

void td_config_free(struct td_config **cp)
{
    if (!cp || !*cp)
        return;
    struct td_config *c = *cp;
    for (int i = 0; i < c->n; i++)
        free((void *)c->e[i].section);
    free(c->e);
    free(c->name);
    free(c);
    *cp = NULL;
}

struct td_config *td_config_parse(const char *text, size_t len, const char *name, char *err, size_t errlen)
{
    if (!name)
        name = "(config)";
    if (len > TD_CONFIG_MAX_FILE) {
        td_errf(err, errlen, "%s: file too large (max %d octets)", name, TD_CONFIG_MAX_FILE);
        return NULL;
    }
    struct td_config *c = calloc(1, sizeof *c);
    if (!c || !(c->name = strdup(name))) {
        free(c);
        td_errf(err, errlen, "%s: out of memory", name);
        return NULL;
    }
    if (ini_max_line < TD_CONFIG_LINE_MAX + 2)
        ini_max_line = TD_CONFIG_LINE_MAX + 2;
    struct parse_state st = { .c = c, .text = text, .len = text ? len : 0, .err = err, .errlen = errlen };
    int rc = ini_parse_stream(reader, &st, handler, &st);
    /* inih reports the first line it rejected (a syntax error or a handler refusal);
     * an earlier syntax error wins over a later error of ours. */
    if (rc != 0 && (!st.failed || (rc > 0 && rc < st.fail_line))) {
        st.failed = 0;
        if (rc > 0) {
            st.lineno = rc;
            seterr(&st, "syntax error (expected '[section]' or 'key = value')");
        } else {
            seterr(&st, "out of memory");
        }
    }
    if (st.failed) {
        td_config_free(&c);
        return NULL;
    }
    return c;
}

struct td_config *td_config_load(const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        td_errf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    size_t cap = TD_CONFIG_MAX_FILE + 1;
    char *buf = malloc(cap);
    if (!buf) {
        fclose(f);
        td_errf(err, errlen, "%s: out of memory", path);
        return NULL;
    }
    size_t len = fread(buf, 1, cap, f);
    int rerr = ferror(f);
    int saved = errno;
    fclose(f);
    if (rerr) {
        free(buf);
        td_errf(err, errlen, "%s: cannot read: %s", path, strerror(saved));
        return NULL;
    }
    struct td_config *c = td_config_parse(buf, len, path, err, errlen);
    free(buf);
    return c;
}

static const struct td_config_entry *find(const struct td_config *c, const char *section, const char *key)
{
    if (!c || !key)
        return NULL;
    if (!section)
        section = "";
    for (int i = 0; i < c->n; i++)
        if (strcmp(c->e[i].key, key) == 0 && strcmp(c->e[i].section, section) == 0)
            return &c->e[i];
    return NULL;
}

const char *td_config_get(const struct td_config *c, const char *section, const char *key)
{
    const struct td_config_entry *e = find(c, section, key);
    return e ? e->value : NULL;
}

/* "FILE:LINE: section.key: REASON, got 'VALUE'" */
static void value_err(const struct td_config *c, const struct td_config_entry *e, const char *reason,
                      char *err, size_t errlen)
{
    char q[2 * TD_CONFIG_NAME_MAX + 2];
    td_errf(err, errlen, "%s:%d: %s: %s, got '%s'", c->name, e->line,
            qualify(e->section, e->key, q, sizeof q), reason, e->value);
}

/* Parses leading decimal digits; NULL on success with *end after them. */
static const char *digits(const char *s, uint64_t *out, const char **end, const char *bad, const char *big)
{
    uint64_t v = 0;
    const char *p = s;
    if (*p < '0' || *p > '9')
        return bad;
    for (; *p >= '0' && *p <= '9'; p++) {
        unsigned d = (unsigned)(*p - '0');
        if (v > (UINT64_MAX - d) / 10)
            return big;
        v = v * 10 + d;
    }
    *out = v;
    *end = p;
    return NULL;
}

const char *td_config_parse_u64(const char *s, uint64_t *out)
{
    static const char bad[] = "expected a number", big[] = "number too large";
    uint64_t v;
    const char *end;
    const char *r = digits(s, &v, &end, bad, big);
    if (r)
        return r;
    if (*end)
        return bad;
    *out = v;
    return NULL;
}

const char *td_config_parse_size(const char *s, uint64_t *out)
{
    static const char bad[] = "expected a size like 64K, 16M or 2G", big[] = "size too large";
    uint64_t v;
    const char *end;
    const char *r = digits(s, &v, &end, bad, big);
    if (r)
        return r;
    int shift = 0;
    if (*end) {
        switch (*end) {
        case 'k': case 'K': shift = 10; break;
        case 'm': case 'M': shift = 20; break;
        case 'g': case 'G': shift = 30; break;
        case 't': case 'T': shift = 40; break;
        default: return bad;
        }
        if (end[1])
            return bad;
    }
    if (shift && v > (UINT64_MAX >> shift))
        return big;
    *out = v << shift;
    return NULL;
}

const char *td_config_parse_duration_ns(const char *s, uint64_t *out)
{
    static const char bad[] = "expected a duration like 500ms, 30s, 5m, 1h or 2d",
                      big[] = "duration too large";
    static const struct { const char *unit; uint64_t ns; } units[] = {
        { "ns", 1 }, { "us", 1000 }, { "ms", 1000000 }, { "s", 1000000000ULL }, { "", 1000000000ULL },
        { "m", 60000000000ULL }, { "h", 3600000000000ULL }, { "d", 86400000000000ULL },
    };
    uint64_t v;
    const char *end;
    const char *r = digits(s, &v, &end, bad, big);
    if (r)
        return r;
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        if (strcmp(end, units[i].unit) == 0) {
            if (v > UINT64_MAX / units[i].ns)
                return big;
            *out = v * units[i].ns;
            return NULL;
        }
    }
    return bad;
}

const char *td_config_parse_bool(const char *s, int *out)
{
    static const char *const t[] = { "true", "yes", "on", "1" }, *const f[] = { "false", "no", "off", "0" };
    for (int i = 0; i < 4; i++) {
        if (strcasecmp(s, t[i]) == 0) {
            *out = 1;
            return NULL;
        }
        if (strcasecmp(s, f[i]) == 0) {
            *out = 0;
            return NULL;
        }
    }
    return "expected true/false, yes/no, on/off or 1/0";
}

typedef const char *(*u64_parser)(const char *, uint64_t *);

static int get_u64_with(const struct td_config *c, const char *section, const char *key, uint64_t def,
                        uint64_t *out, char *err, size_t errlen, u64_parser parse)
{
    const struct td_config_entry *e = find(c, section, key);
    if (!e) {
        *out = def;
        return 0;
    }
    uint64_t v;
    const char *reason = parse(e->value, &v);
    if (reason) {
        value_err(c, e, reason, err, errlen);
        return -1;
    }
    *out = v;
    return 0;
}

int td_config_get_u64(const struct td_config *c, const char *section, const char *key,
                      uint64_t def, uint64_t *out, char *err, size_t errlen)
{
    return get_u64_with(c, section, key, def, out, err, errlen, td_config_parse_u64);
}

int td_config_get_size(const struct td_config *c, const char *section, const char *key,
                       uint64_t def, uint64_t *out, char *err, size_t errlen)
{
    return get_u64_with(c, section, key, def, out, err, errlen, td_config_parse_size);
}

int td_config_get_duration_ns(const struct td_config *c, const char *section, const char *key,
                              uint64_t def, uint64_t *out, char *err, size_t errlen)
{
    return get_u64_with(c, section, key, def, out, err, errlen, td_config_parse_duration_ns);
}

int td_config_get_bool(const struct td_config *c, const char *section, const char *key,
                       int def, int *out, char *err, size_t errlen)
{
    const struct td_config_entry *e = find(c, section, key);
    if (!e) {
        *out = def;
        return 0;
    }
    int v;
    const char *reason = td_config_parse_bool(e->value, &v);
    if (reason) {
        value_err(c, e, reason, err, errlen);
        return -1;
    }
    *out = v;
    return 0;
}

int td_config_check_known(const struct td_config *c, const char *const *known, char *err, size_t errlen)
{
    if (!c)
        return 0;
    char q[2 * TD_CONFIG_NAME_MAX + 2];
    for (int i = 0; i < c->n; i++) {
        qualify(c->e[i].section, c->e[i].key, q, sizeof q);
        int found = 0;
        for (const char *const *k = known; k && *k && !found; k++)
            found = strcmp(*k, q) == 0;
        if (!found) {
            td_errf(err, errlen, "%s:%d: unknown key %s", c->name, c->e[i].line, q);
            return -1;
        }
    }
    return 0;
}

int td_config_split_list(const char *value, char (*items)[256], int max, char *err, size_t errlen)
{
    int n = 0;
    const char *p = value ? value : "";
    for (;;) {
        while (*p == ',' || isspace((unsigned char)*p))
            p++;
        if (!*p)
            break;
        const char *s = p;
        while (*p && *p != ',' && !isspace((unsigned char)*p))
            p++;
        size_t len = (size_t)(p - s);
        if (n >= max) {
            td_errf(err, errlen, "too many list items (max %d)", max < 0 ? 0 : max);
            return -1;
        }
        if (len > 255) {
            td_errf(err, errlen, "list item too long (max 255 octets): '%.32s...'", s);
            return -1;
        }
        memcpy(items[n], s, len);
        items[n][len] = '\0';
        n++;
    }
    return n;
}
