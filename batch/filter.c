/* filter.c: batch static filters (see filter.h).
 *
 * Layout:
 *  - rules[]: every rule's kind and its text as written ("name *.x", "regex ^ads\."), so a
 *    discard entry's rule number can be explained.
 *  - SOA: the lowest SOA rule number (several "soa" lines: the first one wins).
 *  - Name rules ("x", "*.x", "**.x", local zones): one open-addressing hash set keyed by the
 *    lowercased wire name (XXH3); an entry holds, per kind of match, the lowest rule number:
 *      exact      "x"                  owner == x
 *      below      "*.x"                owner strictly below x
 *      self_below "**.x", local "x"    owner == x or below x
 *    A check looks up the owner itself (exact, self_below) and then each parent suffix (below,
 *    self_below): one lookup per label, whatever the number of rules.
 *  - Regex rules: one Hyperscan block-mode database (ids = rule numbers, SINGLEMATCH), compiled
 *    by td_filter_compile(), scanned over the owner in presentation form, lowercased, with the
 *    trailing dot. The match callback keeps the lowest id.
 *
 *    Refused at add time (with Hyperscan's message, or ours): patterns Hyperscan cannot parse
 *    (back-references, lookaround), patterns that match the empty string (they would drop
 *    every RRset) and patterns needing more characters than the longest owner text (1004).
 *    Before td_filter_compile() a check sees the name and SOA rules only; adding a rule after
 *    it is refused. Name patterns: '*' only as a leading "*." / "**."; no blanks.
 *  - td_filter_load() stops at the first bad line; the rules of the lines before it stay.
 *
 * Threads: the Hyperscan scratch lives inside the filter, so one td_filter is used by one
 * thread at a time (build one filter per thread). td_filter_check() is const only in that it
 * changes no rule; it writes to the scratch.
 *
 * Limits (bounded memory): at most TD_FILTER_RULES_MAX rules; a pattern is at most
 * TD_FILTER_PATTERN_MAX octets; a rules file line at most TD_FILTER_LINE_MAX octets. */
#include "filter.h"
#include "dns_wire.h"
#include "errf.h"

#include <errno.h>
#include <hs/hs.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#define TD_FILTER_RULES_MAX (1u << 20)
#define TD_FILTER_PATTERN_MAX 4096
#define TD_FILTER_LINE_MAX (TD_FILTER_PATTERN_MAX + 16)
/* presentation form of a 255-octet wire name: at most 4 characters per octet */
#define NAME_TEXT_CAP (TD_DNS_NAME_MAX * 4 + 2)
/* the longest owner text: four 63-, 63-, 63-, 61-octet labels of "\DDD" escapes and 4 dots */
#define NAME_TEXT_LONGEST ((63 * 3 + 61) * 4 + 4)

enum rule_kind { RK_SOA = 1, RK_NAME, RK_REGEX, RK_LOCAL };

struct rule {
    uint8_t kind;               /* enum rule_kind */
    char *text;                 /* "kind PATTERN" as written */
};

struct name_entry {
    uint64_t hash;
    uint32_t key_off;           /* into keys */
    uint16_t key_len;           /* 0 = empty slot (a wire name is >= 1 octet) */
    int exact, below, self_below; /* lowest rule numbers, 0 = none */
};

struct td_filter {
    struct rule *rules;
    uint32_t nrules, rules_cap;
    int soa_rule;               /* 0 = none */

    struct name_entry *slots;   /* capacity nslots (power of two), load <= 1/2 */
    uint32_t nslots, nnames;
    uint64_t len_bits[4];       /* bit L set: some key is L octets long (skips lookups) */
    uint8_t *keys;              /* wire names back to back */
    uint32_t keys_len, keys_cap;

    /* regex rules in rule order: pattern (points into rules[].text) and rule number */
    const char **rx_pat;
    unsigned int *rx_id;
    uint32_t nrx, rx_cap;
    int rx_min_rule;            /* lowest regex rule number, 0 = none */

    int compiled;
    hs_database_t *db;
    hs_scratch_t *scratch;
};

struct td_filter *td_filter_init(void)
{
    struct td_filter *f = calloc(1, sizeof *f);
    return f;
}

void td_filter_destroy(struct td_filter **fp)
{
    if (!fp || !*fp)
        return;
    struct td_filter *f = *fp;
    for (uint32_t i = 0; i < f->nrules; i++)
        free(f->rules[i].text);
    free(f->rules);
    free(f->slots);
    free(f->keys);
    free(f->rx_pat);
    free(f->rx_id);
    hs_free_scratch(f->scratch);
    hs_free_database(f->db);
    free(f);
    *fp = NULL;
}

int td_filter_rule_count(const struct td_filter *f)
{
    return f ? (int)f->nrules : 0;
}

const char *td_filter_rule_text(const struct td_filter *f, int rule)
{
    if (!f || rule < 1 || (uint32_t)rule > f->nrules)
        return NULL;
    return f->rules[rule - 1].text;
}

/* Common checks before an add: returns 0 if a rule may be added. */
static int can_add(struct td_filter *f, char *err, size_t errlen)
{
    if (!f) {
        td_errf(err, errlen, "no filter");
        return -1;
    }
    if (f->compiled) {
        td_errf(err, errlen, "rule added after td_filter_compile");
        return -1;
    }
    if (f->nrules >= TD_FILTER_RULES_MAX) {
        td_errf(err, errlen, "too many rules (at most %u)", TD_FILTER_RULES_MAX);
        return -1;
    }
    return 0;
}

/* Appends a rule with text "kind pattern" (pattern NULL: just kind); returns its number. */
static int push_rule(struct td_filter *f, enum rule_kind kind, const char *word,
                     const char *pattern, char *err, size_t errlen)
{
    if (f->nrules == f->rules_cap) {
        uint32_t cap = f->rules_cap ? f->rules_cap * 2 : 16;
        struct rule *nr = realloc(f->rules, cap * sizeof *nr);
        if (!nr) {
            td_errf(err, errlen, "out of memory");
            return -1;
        }
        f->rules = nr;
        f->rules_cap = cap;
    }
    size_t wl = strlen(word), pl = pattern ? strlen(pattern) : 0;
    char *t = malloc(wl + 1 + pl + 1);
    if (!t) {
        td_errf(err, errlen, "out of memory");
        return -1;
    }
    memcpy(t, word, wl);
    if (pattern) {
        t[wl] = ' ';
        memcpy(t + wl + 1, pattern, pl + 1);
    } else {
        t[wl] = 0;
    }
    f->rules[f->nrules].kind = (uint8_t)kind;
    f->rules[f->nrules].text = t;
    f->nrules++;
    return (int)f->nrules;
}

/* Removes the last rule (an add that failed after push_rule). */
static void pop_rule(struct td_filter *f)
{
    f->nrules--;
    free(f->rules[f->nrules].text);
}

int td_filter_add_soa(struct td_filter *f, char *err, size_t errlen)
{
    if (can_add(f, err, errlen) < 0)
        return -1;
    int r = push_rule(f, RK_SOA, "soa", NULL, err, errlen);
    if (r > 0 && f->soa_rule == 0)
        f->soa_rule = r;
    return r;
}

/* ---- name hash set ---- */

static uint64_t name_hash(const uint8_t *name, size_t len)
{
    return XXH3_64bits(name, len);
}

static const struct name_entry *name_find(const struct td_filter *f, const uint8_t *name,
                                          size_t len, uint64_t h)
{
    uint32_t mask = f->nslots - 1;
    for (uint32_t i = (uint32_t)h & mask;; i = (i + 1) & mask) {
        const struct name_entry *e = &f->slots[i];
        if (e->key_len == 0)
            return NULL;
        if (e->hash == h && e->key_len == len && memcmp(f->keys + e->key_off, name, len) == 0)
            return e;
    }
}

static int name_grow(struct td_filter *f)
{
    uint32_t ncap = f->nslots ? f->nslots * 2 : 64;
    struct name_entry *ns = calloc(ncap, sizeof *ns);
    if (!ns)
        return -1;
    for (uint32_t i = 0; i < f->nslots; i++) {
        struct name_entry *e = &f->slots[i];
        if (e->key_len == 0)
            continue;
        uint32_t j = (uint32_t)e->hash & (ncap - 1);
        while (ns[j].key_len)
            j = (j + 1) & (ncap - 1);
        ns[j] = *e;
    }
    free(f->slots);
    f->slots = ns;
    f->nslots = ncap;
    return 0;
}

/* Finds or inserts the entry of a lowercased wire name; NULL when out of memory. */
static struct name_entry *name_get(struct td_filter *f, const uint8_t *name, size_t len)
{
    if ((f->nnames + 1) * 2 > f->nslots && name_grow(f) < 0)
        return NULL;
    uint64_t h = name_hash(name, len);
    struct name_entry *e = (struct name_entry *)name_find(f, name, len, h);
    if (e)
        return e;
    if (f->keys_len + len > f->keys_cap) {
        uint32_t cap = f->keys_cap ? f->keys_cap : 4096;
        while (cap < f->keys_len + len)
            cap *= 2;
        uint8_t *nk = realloc(f->keys, cap);
        if (!nk)
            return NULL;
        f->keys = nk;
        f->keys_cap = cap;
    }
    uint32_t mask = f->nslots - 1, i = (uint32_t)h & mask;
    while (f->slots[i].key_len)
        i = (i + 1) & mask;
    e = &f->slots[i];
    memset(e, 0, sizeof *e);
    e->hash = h;
    e->key_off = f->keys_len;
    e->key_len = (uint16_t)len;
    memcpy(f->keys + f->keys_len, name, len);
    f->keys_len += (uint32_t)len;
    f->nnames++;
    f->len_bits[len >> 6] |= 1ull << (len & 63);
    return e;
}

/* Text name -> lowercased wire. '*' is refused anywhere (a leading "*." / "**." has been
 * taken off by the caller): a rule with a literal wildcard label is almost surely a mistake. */
static int parse_name(const char *text, uint8_t *wire, char *err, size_t errlen)
{
    if (strpbrk(text, " \t")) {
        td_errf(err, errlen, "blank in domain name \"%s\" (write \\032 for a space)", text);
        return -1;
    }
    if (strchr(text, '*')) {
        td_errf(err, errlen, "'*' is only allowed as a leading \"*.\" or \"**.\"");
        return -1;
    }
    int n = td_dns_name_from_text(text, wire, TD_DNS_NAME_MAX);
    if (n <= 0) {
        td_errf(err, errlen, "invalid domain name \"%s\"", text);
        return -1;
    }
    td_dns_name_lower(wire, (size_t)n);
    return n;
}

enum name_match { NM_EXACT, NM_BELOW, NM_SELF_BELOW };

static int add_name_rule(struct td_filter *f, enum rule_kind kind, const char *word,
                         const char *pattern, const char *name_text, enum name_match how,
                         char *err, size_t errlen)
{
    uint8_t wire[TD_DNS_NAME_MAX];
    int n = parse_name(name_text, wire, err, errlen);
    if (n < 0)
        return -1;
    int r = push_rule(f, kind, word, pattern, err, errlen);
    if (r < 0)
        return -1;
    struct name_entry *e = name_get(f, wire, (size_t)n);
    if (!e) {
        pop_rule(f);
        td_errf(err, errlen, "out of memory");
        return -1;
    }
    int *slot = how == NM_EXACT ? &e->exact : how == NM_BELOW ? &e->below : &e->self_below;
    if (*slot == 0)
        *slot = r;
    return r;
}

int td_filter_add_name(struct td_filter *f, const char *pattern, char *err, size_t errlen)
{
    if (can_add(f, err, errlen) < 0)
        return -1;
    if (!pattern || !*pattern) {
        td_errf(err, errlen, "empty name pattern");
        return -1;
    }
    if (strlen(pattern) > TD_FILTER_PATTERN_MAX) {
        td_errf(err, errlen, "pattern longer than %d octets", TD_FILTER_PATTERN_MAX);
        return -1;
    }
    enum name_match how = NM_EXACT;
    const char *x = pattern;
    if (strncmp(pattern, "**.", 3) == 0) {
        how = NM_SELF_BELOW;
        x = pattern + 3;
    } else if (strncmp(pattern, "*.", 2) == 0) {
        how = NM_BELOW;
        x = pattern + 2;
    } else if (strcmp(pattern, "**") == 0) {
        how = NM_SELF_BELOW;    /* "**" = "**." : every name */
        x = ".";
    } else if (strcmp(pattern, "*") == 0) {
        how = NM_BELOW;         /* "*" = "*." : every name but the root */
        x = ".";
    }
    if (*x == 0)
        x = ".";                /* "*." and "**." : below / at-and-below the root */
    return add_name_rule(f, RK_NAME, "name", pattern, x, how, err, errlen);
}

int td_filter_add_local_zone(struct td_filter *f, const char *zone, char *err, size_t errlen)
{
    if (can_add(f, err, errlen) < 0)
        return -1;
    if (!zone || !*zone) {
        td_errf(err, errlen, "empty local zone");
        return -1;
    }
    if (strlen(zone) > TD_FILTER_PATTERN_MAX) {
        td_errf(err, errlen, "zone longer than %d octets", TD_FILTER_PATTERN_MAX);
        return -1;
    }
    return add_name_rule(f, RK_LOCAL, "local", zone, zone, NM_SELF_BELOW, err, errlen);
}

/* ---- regex ---- */

#define RX_FLAGS HS_FLAG_SINGLEMATCH

int td_filter_add_regex(struct td_filter *f, const char *pattern, char *err, size_t errlen)
{
    if (can_add(f, err, errlen) < 0)
        return -1;
    int next = (int)f->nrules + 1;
    if (!pattern || !*pattern) {
        td_errf(err, errlen, "rule %d: empty regex", next);
        return -1;
    }
    if (strlen(pattern) > TD_FILTER_PATTERN_MAX) {
        td_errf(err, errlen, "rule %d: regex longer than %d octets", next, TD_FILTER_PATTERN_MAX);
        return -1;
    }
    /* parse now so that a rules file names the line of a bad pattern */
    hs_expr_info_t *info = NULL;
    hs_compile_error_t *ce = NULL;
    if (hs_expression_info(pattern, RX_FLAGS, &info, &ce) != HS_SUCCESS) {
        td_errf(err, errlen, "rule %d (regex %s): %s", next, pattern,
                ce && ce->message ? ce->message : "invalid expression");
        hs_free_compile_error(ce);
        free(info);
        return -1;
    }
    unsigned min_width = info ? info->min_width : 0;
    free(info);
    if (min_width == 0) {
        /* it would match every owner and drop everything: refused as a mistake */
        td_errf(err, errlen, "rule %d (regex %s): matches the empty string (so every name)",
                next, pattern);
        return -1;
    }
    if (min_width > NAME_TEXT_LONGEST) {
        /* never matches; refused also because such patterns take Hyperscan seconds to compile */
        td_errf(err, errlen, "rule %d (regex %s): needs %u characters, a name has at most %d",
                next, pattern, min_width, NAME_TEXT_LONGEST);
        return -1;
    }
    if (f->nrx == f->rx_cap) {
        uint32_t cap = f->rx_cap ? f->rx_cap * 2 : 16;
        const char **np = realloc(f->rx_pat, cap * sizeof *np);
        if (!np) {
            td_errf(err, errlen, "out of memory");
            return -1;
        }
        f->rx_pat = np;
        unsigned int *ni = realloc(f->rx_id, cap * sizeof *ni);
        if (!ni) {
            td_errf(err, errlen, "out of memory");
            return -1;
        }
        f->rx_id = ni;
        f->rx_cap = cap;
    }
    int r = push_rule(f, RK_REGEX, "regex", pattern, err, errlen);
    if (r < 0)
        return -1;
    f->rx_pat[f->nrx] = f->rules[r - 1].text + strlen("regex ");
    f->rx_id[f->nrx] = (unsigned int)r;
    f->nrx++;
    if (f->rx_min_rule == 0)
        f->rx_min_rule = r;
    return r;
}

int td_filter_compile(struct td_filter *f, char *err, size_t errlen)
{
    if (!f) {
        td_errf(err, errlen, "no filter");
        return -1;
    }
    if (f->compiled)
        return 0;
    if (f->nrx > 0) {
        unsigned int *flags = malloc(f->nrx * sizeof *flags);
        if (!flags) {
            td_errf(err, errlen, "out of memory");
            return -1;
        }
        for (uint32_t i = 0; i < f->nrx; i++)
            flags[i] = RX_FLAGS;
        hs_compile_error_t *ce = NULL;
        hs_error_t rc = hs_compile_multi(f->rx_pat, flags, f->rx_id, f->nrx, HS_MODE_BLOCK,
                                         NULL, &f->db, &ce);
        free(flags);
        if (rc != HS_SUCCESS) {
            const char *msg = ce && ce->message ? ce->message : "compile failed";
            if (ce && ce->expression >= 0 && (uint32_t)ce->expression < f->nrx) {
                int rule = (int)f->rx_id[ce->expression];
                td_errf(err, errlen, "rule %d (%s): %s", rule, f->rules[rule - 1].text, msg);
            } else {
                td_errf(err, errlen, "regex database: %s", msg);
            }
            hs_free_compile_error(ce);
            f->db = NULL;
            return -1;
        }
        if (hs_alloc_scratch(f->db, &f->scratch) != HS_SUCCESS) {
            hs_free_database(f->db);
            f->db = NULL;
            td_errf(err, errlen, "regex database: cannot allocate scratch");
            return -1;
        }
    }
    f->compiled = 1;
    return 0;
}

/* ---- check ---- */

struct rx_ctx {
    unsigned int best;          /* lowest matching id so far, UINT_MAX = none */
    unsigned int floor;         /* no id below this one exists: stop when it matches */
};

static int rx_on_match(unsigned int id, unsigned long long from, unsigned long long to,
                       unsigned int flags, void *ctx)
{
    (void)from;
    (void)to;
    (void)flags;
    struct rx_ctx *c = ctx;
    if (id < c->best)
        c->best = id;
    return c->best == c->floor; /* nonzero stops the scan: nothing lower can come */
}

/* Lowercased wire -> presentation text with the trailing dot. Plain labels (the characters
 * libknot prints unescaped) are written directly; anything else goes through
 * td_dns_name_to_text so that escapes are exactly the library's. Returns length or -1. */
static int owner_text(const uint8_t *w, size_t len, char *out, size_t cap)
{
    size_t o = 0, i = 0;
    if (len == 1)
        goto slow;              /* the root: "." */
    while (i < len && w[i] != 0) {
        size_t l = w[i++];
        for (size_t k = 0; k < l; k++) {
            uint8_t c = w[i + k];
            if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
                  c == '*' || c == '/'))
                goto slow;
            out[o++] = (char)c;
        }
        out[o++] = '.';
        i += l;
    }
    out[o] = 0;
    return (int)o;
slow:
    return td_dns_name_to_text(w, len, out, cap);
}

static int min_rule(int a, int b)
{
    if (a == 0)
        return b;
    if (b == 0)
        return a;
    return a < b ? a : b;
}

int td_filter_check(const struct td_filter *f, const uint8_t *owner, size_t owner_len, uint16_t type)
{
    if (!f)
        return 0;
    int best = 0;
    if (type == 6)
        best = f->soa_rule;
    if (f->nnames == 0 && f->nrx == 0)
        return best;
    if (!owner || owner_len == 0 || owner_len > TD_DNS_NAME_MAX)
        return best;

    /* lowercase copy; labels validated (a malformed owner gets only the SOA rule) */
    uint8_t w[TD_DNS_NAME_MAX];
    uint8_t label_off[128];
    int nlabels = 0;
    size_t i = 0;
    for (;;) {
        if (i >= owner_len)
            return best;
        uint8_t l = owner[i];
        if (l > 63 || i + 1 + l > owner_len)
            return best;
        if (l == 0) {
            if (i + 1 != owner_len)
                return best;
            w[i] = 0;
            break;
        }
        label_off[nlabels++] = (uint8_t)i;
        w[i] = l;
        for (size_t k = 1; k <= l; k++) {
            uint8_t c = owner[i + k];
            w[i + k] = (c >= 'A' && c <= 'Z') ? (uint8_t)(c + 32) : c;
        }
        i += 1 + (size_t)l;
    }

    if (f->nnames) {
        /* the owner itself, then each parent down to the root */
        for (int li = 0; li <= nlabels; li++) {
            size_t off = li < nlabels ? label_off[li] : owner_len - 1;
            size_t sl = owner_len - off;
            if (!(f->len_bits[sl >> 6] >> (sl & 63) & 1))
                continue;
            const struct name_entry *e = name_find(f, w + off, sl, name_hash(w + off, sl));
            if (!e)
                continue;
            if (li == 0)
                best = min_rule(best, e->exact);
            else
                best = min_rule(best, e->below);
            best = min_rule(best, e->self_below);
        }
    }

    /* the regex scan can only matter if some regex rule is lower than what matched */
    if (f->db && f->scratch && (best == 0 || f->rx_min_rule < best)) {
        char text[NAME_TEXT_CAP];
        int tl = owner_text(w, owner_len, text, sizeof text);
        if (tl > 0) {
            struct rx_ctx c = { UINT_MAX, (unsigned int)f->rx_min_rule };
            /* an error (e.g. the scratch used by two threads at once) leaves what matched */
            hs_scan(f->db, text, (unsigned int)tl, 0, f->scratch, rx_on_match, &c);
            if (c.best != UINT_MAX)
                best = min_rule(best, (int)c.best);
        }
    }
    return best;
}

/* ---- rules file ---- */

/* Reads one line (without its '\n') into buf, NUL-terminated, *len = octets (NULs inside
 * kept). 1 = a line, 0 = end of file, -1 = longer than cap - 1 octets. */
static int read_line(FILE *fp, char *buf, size_t cap, size_t *len)
{
    size_t n = 0;
    int c;
    while ((c = getc(fp)) != EOF && c != '\n') {
        if (n + 1 >= cap)
            return -1;
        buf[n++] = (char)c;
    }
    buf[n] = 0;
    *len = n;
    if (c == EOF && n == 0)
        return 0;
    return 1;
}

int td_filter_load(struct td_filter *f, const char *path, char *err, size_t errlen)
{
    if (!f || !path) {
        td_errf(err, errlen, "no filter or path");
        return -1;
    }
    FILE *fp = fopen(path, "r");
    if (!fp) {
        td_errf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    char *line = malloc(TD_FILTER_LINE_MAX + 1);
    if (!line) {
        fclose(fp);
        td_errf(err, errlen, "out of memory");
        return -1;
    }
    size_t len;
    int got;
    unsigned long lineno = 0;
    int rc = 0;
    char reason[512];
    while ((got = read_line(fp, line, TD_FILTER_LINE_MAX + 1, &len)) != 0) {
        lineno++;
        if (got < 0) {
            td_errf(err, errlen, "%s:%lu: line longer than %d octets", path, lineno,
                    TD_FILTER_LINE_MAX);
            rc = -1;
            break;
        }
        if (memchr(line, 0, len)) {
            td_errf(err, errlen, "%s:%lu: NUL byte in line", path, lineno);
            rc = -1;
            break;
        }
        while (len > 0 && line[len - 1] == '\r')
            line[--len] = 0;
        char *p = line;
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p == 0 || *p == '#')
            continue;
        /* keyword, then one space or tab, then the pattern: the rest of the line verbatim */
        char *kw = p;
        while (*p && *p != ' ' && *p != '\t')
            p++;
        size_t kwl = (size_t)(p - kw);
        const char *arg = NULL;
        if (*p) {
            arg = p + 1;
            /* an argument of only blanks counts as missing */
            const char *q = arg;
            while (*q == ' ' || *q == '\t')
                q++;
            if (*q == 0)
                arg = NULL;
        }
        int r;
        reason[0] = 0;
        if (kwl == 3 && memcmp(kw, "soa", 3) == 0) {
            if (arg) {
                td_errf(err, errlen, "%s:%lu: \"soa\" takes no argument", path, lineno);
                rc = -1;
                break;
            }
            r = td_filter_add_soa(f, reason, sizeof reason);
        } else if ((kwl == 4 && memcmp(kw, "name", 4) == 0) ||
                   (kwl == 5 && memcmp(kw, "regex", 5) == 0) ||
                   (kwl == 5 && memcmp(kw, "local", 5) == 0)) {
            if (!arg) {
                td_errf(err, errlen, "%s:%lu: \"%.*s\" needs a pattern", path, lineno,
                        (int)kwl, kw);
                rc = -1;
                break;
            }
            if (kw[0] == 'n')
                r = td_filter_add_name(f, arg, reason, sizeof reason);
            else if (kw[0] == 'r')
                r = td_filter_add_regex(f, arg, reason, sizeof reason);
            else
                r = td_filter_add_local_zone(f, arg, reason, sizeof reason);
        } else {
            td_errf(err, errlen, "%s:%lu: unknown rule \"%.*s\" (soa, name, regex or local)",
                    path, lineno, (int)(kwl > 32 ? 32 : kwl), kw);
            rc = -1;
            break;
        }
        if (r < 0) {
            td_errf(err, errlen, "%s:%lu: %s", path, lineno, reason);
            rc = -1;
            break;
        }
    }
    if (rc == 0 && ferror(fp)) {
        td_errf(err, errlen, "%s: read error", path);
        rc = -1;
    }
    free(line);
    fclose(fp);
    return rc;
}
