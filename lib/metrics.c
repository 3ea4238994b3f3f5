/* metrics.c: see metrics.h. One calloc'd table of families and series; a series holds its
 * escaped label text, made once at registration, so rendering only copies and formats
 * numbers. Histogram buckets are kept per bucket (not cumulative) and summed at render, so
 * the +Inf bucket always equals _count in one scrape. */
#include "metrics.h"
#include "errf.h"

#include <errno.h>
#include <stdio.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { T_COUNTER, T_GAUGE, T_HISTOGRAM };
static const char *const type_names[] = {"counter", "gauge", "histogram"};

struct family {
    char name[TD_METRIC_NAME_MAX + 1];
    char help[TD_METRIC_HELP_MAX + 1];
    int type;
    int nlabels;
    char label_names[TD_METRIC_LABELS_MAX][TD_METRIC_NAME_MAX + 1];
    size_t nbounds;
    double bounds[TD_METRIC_BUCKETS_MAX];
    char le[TD_METRIC_BUCKETS_MAX][32]; /* bounds as printed, made at registration */
    int first, last; /* series list in registration order */
};

struct td_metric {
    int type;
    int family;
    int next; /* next series of the family, -1 at the end */
    const double *bounds; /* histogram: the family's bounds (same table, stable) */
    size_t nbounds;
    char labels[TD_METRIC_LABELTEXT_MAX + 1];
    uint64_t value;    /* counter value, or gauge double bits */
    uint64_t sum_bits; /* histogram sum (double bits) */
    uint64_t buckets[TD_METRIC_BUCKETS_MAX + 1]; /* per bucket; [nbounds] is +Inf */
};

struct td_metrics {
    int nfam, nser;
    struct family fam[TD_METRICS_FAMILIES_MAX];
    struct td_metric ser[TD_METRICS_SERIES_MAX];
};

struct td_metrics *td_metrics_new(char *err, size_t errlen)
{
    struct td_metrics *m = calloc(1, sizeof *m);
    if (!m)
        td_errf(err, errlen, "metrics: out of memory");
    return m;
}

void td_metrics_free(struct td_metrics **mp)
{
    if (!mp || !*mp)
        return;
    free(*mp);
    *mp = NULL;
}

/* ---- names and labels ---- */

static int name_ok(const char *s, int colon)
{
    if (!s || !*s)
        return 0;
    for (size_t i = 0; s[i]; i++) {
        char c = s[i];
        int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (colon && c == ':') ||
                 (i > 0 && c >= '0' && c <= '9');
        if (!ok)
            return 0;
    }
    return 1;
}

/* Appends src escaped (\\, \", \n; quote only when quotes) to dst at *len, within cap-1. */
static int append_escaped(char *dst, size_t *len, size_t cap, const char *src, int quotes)
{
    for (; *src; src++) {
        const char *rep = NULL;
        char one[2] = {*src, '\0'};
        if (*src == '\\')
            rep = "\\\\";
        else if (*src == '\n')
            rep = "\\n";
        else if (quotes && *src == '"')
            rep = "\\\"";
        else
            rep = one;
        size_t rl = strlen(rep);
        if (*len + rl >= cap)
            return -1;
        memcpy(dst + *len, rep, rl);
        *len += rl;
    }
    dst[*len] = '\0';
    return 0;
}

static int append_raw(char *dst, size_t *len, size_t cap, const char *src)
{
    size_t l = strlen(src);
    if (*len + l >= cap)
        return -1;
    memcpy(dst + *len, src, l + 1);
    *len += l;
    return 0;
}

/* Checks the labels and makes their escaped text; fills names[] and *n. */
static int label_text(const char *const *labels, int histogram, char *text, const char **names, int *n,
                      char *err, size_t errlen)
{
    size_t len = 0;
    text[0] = '\0';
    *n = 0;
    for (int i = 0; labels && labels[2 * i]; i++) {
        const char *ln = labels[2 * i], *lv = labels[2 * i + 1];
        if (i == TD_METRIC_LABELS_MAX) {
            td_errf(err, errlen, "more than %d labels", TD_METRIC_LABELS_MAX);
            return -1;
        }
        if (!name_ok(ln, 0) || strncmp(ln, "__", 2) == 0 || strlen(ln) > TD_METRIC_NAME_MAX) {
            td_errf(err, errlen, "bad label name \"%.*s\" ([a-zA-Z_][a-zA-Z0-9_]*, not __)",
                    TD_METRIC_NAME_MAX, ln);
            return -1;
        }
        if (histogram && strcmp(ln, "le") == 0) {
            td_errf(err, errlen, "label \"le\" is reserved in a histogram");
            return -1;
        }
        for (int j = 0; j < i; j++)
            if (strcmp(names[j], ln) == 0) {
                td_errf(err, errlen, "label \"%s\" given twice", ln);
                return -1;
            }
        if (!lv) {
            td_errf(err, errlen, "label \"%s\" has no value", ln);
            return -1;
        }
        names[i] = ln;
        *n = i + 1;
        if ((i > 0 && append_raw(text, &len, TD_METRIC_LABELTEXT_MAX + 1, ",") != 0) ||
            append_raw(text, &len, TD_METRIC_LABELTEXT_MAX + 1, ln) != 0 ||
            append_raw(text, &len, TD_METRIC_LABELTEXT_MAX + 1, "=\"") != 0 ||
            append_escaped(text, &len, TD_METRIC_LABELTEXT_MAX + 1, lv, 1) != 0 ||
            append_raw(text, &len, TD_METRIC_LABELTEXT_MAX + 1, "\"") != 0) {
            td_errf(err, errlen, "labels longer than %d characters escaped", TD_METRIC_LABELTEXT_MAX);
            return -1;
        }
    }
    return 0;
}

/* Unsigned decimal without printf (rendering formats many numbers). */
static void fmt_u64(char *buf, uint64_t v)
{
    char tmp[24];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    for (int i = 0; i < n; i++)
        buf[i] = tmp[n - 1 - i];
    buf[n] = '\0';
}

/* Shortest of %.15g / %.17g that reads back exactly; NaN, +Inf, -Inf as Prometheus spells
 * them. Integral values below 1e15 (which %.15g prints as integers) take a fast path. */
static void fmt_double(char *buf, size_t cap, double v)
{
    if (isnan(v)) {
        snprintf(buf, cap, "NaN");
        return;
    }
    if (isinf(v)) {
        snprintf(buf, cap, v > 0 ? "+Inf" : "-Inf");
        return;
    }
    if (fabs(v) < 1e15 && v == (double)(int64_t)v && !(v == 0 && signbit(v))) {
        if (v < 0) {
            buf[0] = '-';
            fmt_u64(buf + 1, (uint64_t)-(int64_t)v);
        } else {
            fmt_u64(buf, (uint64_t)v);
        }
        return;
    }
    snprintf(buf, cap, "%.15g", v);
    if (strtod(buf, NULL) != v)
        snprintf(buf, cap, "%.17g", v);
}

static int find_family(const struct td_metrics *m, const char *name)
{
    for (int i = 0; i < m->nfam; i++)
        if (strcmp(m->fam[i].name, name) == 0)
            return i;
    return -1;
}

static struct td_metric *find_series(struct td_metrics *m, int f, const char *text)
{
    for (int s = m->fam[f].first; s >= 0; s = m->ser[s].next)
        if (strcmp(m->ser[s].labels, text) == 0)
            return &m->ser[s];
    return NULL;
}

static struct td_metric *reg(struct td_metrics *m, int type, const char *name, const char *help,
                             const char *const *labels, const double *bounds, size_t nbounds, char *err,
                             size_t errlen)
{
    if (!m) {
        td_errf(err, errlen, "no metrics registry");
        return NULL;
    }
    if (!name_ok(name, 1)) {
        td_errf(err, errlen, "bad metric name \"%.*s\" ([a-zA-Z_:][a-zA-Z0-9_:]*)", TD_METRIC_NAME_MAX,
                name ? name : "");
        return NULL;
    }
    if (strlen(name) > TD_METRIC_NAME_MAX) {
        td_errf(err, errlen, "metric name %.40s... longer than %d", name, TD_METRIC_NAME_MAX);
        return NULL;
    }
    if (!help)
        help = "";
    if (strlen(help) > TD_METRIC_HELP_MAX) {
        td_errf(err, errlen, "%s: help longer than %d", name, TD_METRIC_HELP_MAX);
        return NULL;
    }
    if (type == T_HISTOGRAM) {
        if (!bounds || nbounds < 1 || nbounds > TD_METRIC_BUCKETS_MAX) {
            td_errf(err, errlen, "%s: 1 to %d histogram bounds", name, TD_METRIC_BUCKETS_MAX);
            return NULL;
        }
        for (size_t i = 0; i < nbounds; i++)
            if (!isfinite(bounds[i]) || (i > 0 && !(bounds[i] > bounds[i - 1]))) {
                td_errf(err, errlen, "%s: histogram bounds must be finite and increasing", name);
                return NULL;
            }
    }
    char text[TD_METRIC_LABELTEXT_MAX + 1];
    const char *names[TD_METRIC_LABELS_MAX];
    int nl;
    char lerr[160];
    if (label_text(labels, type == T_HISTOGRAM, text, names, &nl, lerr, sizeof lerr) != 0) {
        td_errf(err, errlen, "%s: %s", name, lerr);
        return NULL;
    }

    int f = find_family(m, name);
    if (f >= 0) {
        const struct family *fa = &m->fam[f];
        if (fa->type != type) {
            td_errf(err, errlen, "%s: registered as a %s", name, type_names[fa->type]);
            return NULL;
        }
        if (strcmp(fa->help, help) != 0) {
            td_errf(err, errlen, "%s: help text differs", name);
            return NULL;
        }
        int same = fa->nlabels == nl;
        for (int i = 0; same && i < nl; i++)
            same = strcmp(fa->label_names[i], names[i]) == 0;
        if (!same) {
            td_errf(err, errlen, "%s: label names differ from the first series", name);
            return NULL;
        }
        if (type == T_HISTOGRAM &&
            (fa->nbounds != nbounds || memcmp(fa->bounds, bounds, nbounds * sizeof *bounds) != 0)) {
            td_errf(err, errlen, "%s: histogram bounds differ", name);
            return NULL;
        }
        if (find_series(m, f, text)) {
            td_errf(err, errlen, "%s{%s}: duplicate series", name, text);
            return NULL;
        }
    } else if (m->nfam == TD_METRICS_FAMILIES_MAX) {
        td_errf(err, errlen, "%s: more than %d metric families", name, TD_METRICS_FAMILIES_MAX);
        return NULL;
    }
    if (m->nser == TD_METRICS_SERIES_MAX) {
        td_errf(err, errlen, "%s: more than %d series", name, TD_METRICS_SERIES_MAX);
        return NULL;
    }
    if (f < 0) {
        f = m->nfam++;
        struct family *fa = &m->fam[f];
        memset(fa, 0, sizeof *fa);
        strcpy(fa->name, name);
        strcpy(fa->help, help);
        fa->type = type;
        fa->nlabels = nl;
        for (int i = 0; i < nl; i++)
            strcpy(fa->label_names[i], names[i]);
        if (type == T_HISTOGRAM) {
            fa->nbounds = nbounds;
            memcpy(fa->bounds, bounds, nbounds * sizeof *bounds);
            for (size_t i = 0; i < nbounds; i++)
                fmt_double(fa->le[i], sizeof fa->le[i], bounds[i]);
        }
        fa->first = fa->last = -1;
    }
    int s = m->nser++;
    struct td_metric *se = &m->ser[s];
    memset(se, 0, sizeof *se);
    se->type = type;
    se->family = f;
    se->next = -1;
    strcpy(se->labels, text);
    struct family *fa = &m->fam[f];
    se->bounds = fa->bounds;
    se->nbounds = fa->nbounds;
    if (fa->last >= 0)
        m->ser[fa->last].next = s;
    else
        fa->first = s;
    fa->last = s;
    return se;
}

struct td_metric *td_metrics_counter(struct td_metrics *m, const char *name, const char *help,
                                     const char *const *labels, char *err, size_t errlen)
{
    return reg(m, T_COUNTER, name, help, labels, NULL, 0, err, errlen);
}

struct td_metric *td_metrics_gauge(struct td_metrics *m, const char *name, const char *help,
                                   const char *const *labels, char *err, size_t errlen)
{
    return reg(m, T_GAUGE, name, help, labels, NULL, 0, err, errlen);
}

struct td_metric *td_metrics_histogram(struct td_metrics *m, const char *name, const char *help,
                                       const char *const *labels, const double *bounds, size_t nbounds,
                                       char *err, size_t errlen)
{
    return reg(m, T_HISTOGRAM, name, help, labels, bounds, nbounds, err, errlen);
}

/* ---- updates: relaxed atomics ---- */

static uint64_t dbits(double d)
{
    uint64_t u;
    memcpy(&u, &d, sizeof u);
    return u;
}

static double bitsd(uint64_t u)
{
    double d;
    memcpy(&d, &u, sizeof d);
    return d;
}

static void atomic_add_double(uint64_t *p, double d)
{
    uint64_t old = __atomic_load_n(p, __ATOMIC_RELAXED);
    while (!__atomic_compare_exchange_n(p, &old, dbits(bitsd(old) + d), 1, __ATOMIC_RELAXED, __ATOMIC_RELAXED))
        ;
}

void td_metric_inc(struct td_metric *c)
{
    if (c && c->type == T_COUNTER)
        __atomic_fetch_add(&c->value, 1, __ATOMIC_RELAXED);
}

void td_metric_add(struct td_metric *c, uint64_t n)
{
    if (c && c->type == T_COUNTER)
        __atomic_fetch_add(&c->value, n, __ATOMIC_RELAXED);
}

void td_metric_set_counter(struct td_metric *c, uint64_t v)
{
    if (c && c->type == T_COUNTER)
        __atomic_store_n(&c->value, v, __ATOMIC_RELAXED);
}

void td_metric_set(struct td_metric *g, double v)
{
    if (g && g->type == T_GAUGE)
        __atomic_store_n(&g->value, dbits(v), __ATOMIC_RELAXED);
}

void td_metric_gauge_add(struct td_metric *g, double d)
{
    if (g && g->type == T_GAUGE)
        atomic_add_double(&g->value, d);
}

void td_metric_observe(struct td_metric *h, double v)
{
    if (!h || h->type != T_HISTOGRAM)
        return;
    size_t lo = 0, hi = h->nbounds; /* first bound >= v; NaN lands in +Inf */
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (v <= h->bounds[mid])
            hi = mid;
        else
            lo = mid + 1;
    }
    if (isnan(v))
        lo = h->nbounds;
    __atomic_fetch_add(&h->buckets[lo], 1, __ATOMIC_RELAXED);
    atomic_add_double(&h->sum_bits, v);
}

static uint64_t hist_count(const struct td_metric *h)
{
    uint64_t n = 0;
    for (size_t i = 0; i <= h->nbounds; i++)
        n += __atomic_load_n(&h->buckets[i], __ATOMIC_RELAXED);
    return n;
}

uint64_t td_metric_counter_value(const struct td_metric *c)
{
    if (!c)
        return 0;
    if (c->type == T_COUNTER)
        return __atomic_load_n(&c->value, __ATOMIC_RELAXED);
    if (c->type == T_HISTOGRAM)
        return hist_count(c);
    return 0;
}

double td_metric_gauge_value(const struct td_metric *g)
{
    if (!g)
        return 0;
    if (g->type == T_GAUGE)
        return bitsd(__atomic_load_n(&g->value, __ATOMIC_RELAXED));
    if (g->type == T_HISTOGRAM)
        return bitsd(__atomic_load_n(&g->sum_bits, __ATOMIC_RELAXED));
    return 0;
}

/* ---- rendering ---- */

/* Output batching: lines are gathered in buf and handed to fn when it fills. */
struct out {
    td_metrics_out_fn fn;
    void *ctx;
    int rc;
    size_t len;
    char buf[4096];
};

static void flush(struct out *o)
{
    if (o->rc == 0 && o->len)
        o->rc = o->fn(o->ctx, o->buf, o->len);
    o->len = 0;
}

static void put(struct out *o, const char *s, size_t n)
{
    while (n && o->rc == 0) {
        size_t room = sizeof o->buf - o->len;
        if (room == 0) {
            flush(o);
            continue;
        }
        size_t c = n < room ? n : room;
        memcpy(o->buf + o->len, s, c);
        o->len += c;
        s += c;
        n -= c;
    }
}

static void puts_(struct out *o, const char *s)
{
    put(o, s, strlen(s));
}

/* NAME[suffix][{labels[,le="B"]}] VALUE\n */
static void sample(struct out *o, const char *name, const char *suffix, const char *labels, const char *le,
                   const char *value)
{
    puts_(o, name);
    puts_(o, suffix);
    if (labels[0] || le) {
        puts_(o, "{");
        puts_(o, labels);
        if (le) {
            if (labels[0])
                puts_(o, ",");
            puts_(o, "le=\"");
            puts_(o, le);
            puts_(o, "\"");
        }
        puts_(o, "}");
    }
    puts_(o, " ");
    puts_(o, value);
    puts_(o, "\n");
}

int td_metrics_render_cb(const struct td_metrics *m, td_metrics_out_fn fn, void *ctx)
{
    struct out stack_o; /* rendering never allocates: the batch buffer is on the stack */
    struct out *o = &stack_o;
    o->fn = fn;
    o->ctx = ctx;
    o->rc = 0;
    o->len = 0;
    for (int f = 0; m && f < m->nfam && o->rc == 0; f++) {
        const struct family *fa = &m->fam[f];
        char help[2 * TD_METRIC_HELP_MAX + 1];
        size_t hl = 0;
        help[0] = '\0';
        append_escaped(help, &hl, sizeof help, fa->help, 0);
        puts_(o, "# HELP ");
        puts_(o, fa->name);
        puts_(o, " ");
        puts_(o, help);
        puts_(o, "\n# TYPE ");
        puts_(o, fa->name);
        puts_(o, " ");
        puts_(o, type_names[fa->type]);
        puts_(o, "\n");
        for (int s = fa->first; s >= 0; s = m->ser[s].next) {
            const struct td_metric *se = &m->ser[s];
            char num[40];
            if (fa->type == T_COUNTER) {
                fmt_u64(num, __atomic_load_n(&se->value, __ATOMIC_RELAXED));
                sample(o, fa->name, "", se->labels, NULL, num);
            } else if (fa->type == T_GAUGE) {
                fmt_double(num, sizeof num, bitsd(__atomic_load_n(&se->value, __ATOMIC_RELAXED)));
                sample(o, fa->name, "", se->labels, NULL, num);
            } else {
                uint64_t cum = 0;
                for (size_t b = 0; b <= fa->nbounds; b++) {
                    cum += __atomic_load_n(&se->buckets[b], __ATOMIC_RELAXED);
                    fmt_u64(num, cum);
                    sample(o, fa->name, "_bucket", se->labels, b < fa->nbounds ? fa->le[b] : "+Inf", num);
                }
                fmt_double(num, sizeof num, bitsd(__atomic_load_n(&se->sum_bits, __ATOMIC_RELAXED)));
                sample(o, fa->name, "_sum", se->labels, NULL, num);
                fmt_u64(num, cum);
                sample(o, fa->name, "_count", se->labels, NULL, num);
            }
        }
    }
    flush(o);
    return o->rc;
}

struct buf_ctx {
    char *buf;
    size_t cap, len;
};

static int to_buf(void *ctx, const char *data, size_t len)
{
    struct buf_ctx *b = ctx;
    if (b->len < b->cap) {
        size_t room = b->cap - b->len;
        memcpy(b->buf + b->len, data, len < room ? len : room);
    }
    b->len += len;
    return 0;
}

size_t td_metrics_render(const struct td_metrics *m, char *buf, size_t cap)
{
    struct buf_ctx b = {buf, cap, 0};
    td_metrics_render_cb(m, to_buf, &b);
    if (cap)
        buf[b.len < cap ? b.len : cap - 1] = '\0';
    return b.len;
}

static int to_file(void *ctx, const char *data, size_t len)
{
    return fwrite(data, 1, len, ctx) == len ? 0 : -1;
}

int td_metrics_write(const struct td_metrics *m, FILE *f)
{
    if (td_metrics_render_cb(m, to_file, f) != 0) {
        if (!errno)
            errno = EIO;
        return -1;
    }
    return 0;
}

int td_metrics_write_file(const struct td_metrics *m, const char *dir, const char *name, char *err, size_t errlen)
{
    char path[4096], tmp[4096];
    if (snprintf(path, sizeof path, "%s/%s.prom", dir, name) >= (int)sizeof path ||
        snprintf(tmp, sizeof tmp, "%s/.%s.prom.tmp", dir, name) >= (int)sizeof tmp) {
        td_errf(err, errlen, "metrics file: path too long");
        return -1;
    }
    FILE *f = fopen(tmp, "w");
    if (!f) {
        td_errf(err, errlen, "metrics file %s: %s", tmp, strerror(errno));
        return -1;
    }
    int bad = td_metrics_write(m, f) != 0;
    bad |= fclose(f) != 0;
    if (bad || rename(tmp, path) != 0) {
        td_errf(err, errlen, "metrics file %s: %s", path, strerror(errno));
        unlink(tmp);
        return -1;
    }
    return 0;
}

/* ---- mirroring counters kept elsewhere ---- */

void td_metrics_mirror_counter(void *ctx, const char *name, const char *desc, uint64_t v)
{
    struct td_metrics_mirror *mm = ctx;
    char full[TD_METRIC_NAME_MAX + 2];
    size_t len = 0;
    full[0] = '\0';
    char err[sizeof mm->err];
    if (append_raw(full, &len, sizeof full, mm->prefix ? mm->prefix : "") != 0 ||
        append_raw(full, &len, sizeof full, name) != 0 ||
        append_raw(full, &len, sizeof full, mm->suffix ? mm->suffix : "") != 0 || len > TD_METRIC_NAME_MAX) {
        td_errf(err, sizeof err, "metric name %.40s... longer than %d", full, TD_METRIC_NAME_MAX);
        goto fail;
    }
    struct td_metric *se = NULL;
    int f = mm->m ? find_family(mm->m, full) : -1;
    if (f >= 0 && mm->m->fam[f].type == T_COUNTER) {
        char text[TD_METRIC_LABELTEXT_MAX + 1];
        const char *names[TD_METRIC_LABELS_MAX];
        int nl;
        if (label_text(mm->labels, 0, text, names, &nl, NULL, 0) == 0)
            se = find_series(mm->m, f, text);
    }
    if (!se)
        se = td_metrics_counter(mm->m, full, desc, mm->labels, err, sizeof err);
    if (!se)
        goto fail;
    td_metric_set_counter(se, v);
    return;
fail:
    if (!mm->failed)
        memcpy(mm->err, err, sizeof err);
    mm->failed = 1;
}
