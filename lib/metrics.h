/* metrics.h: the one Prometheus metrics writer (text exposition format 0.0.4) for every
 * long-running program: tapdns-queryd, the capture fronts, tapdns-ship (DESIGN.md 8).
 *
 * Contract:
 * - A registry (struct td_metrics) is one bounded table allocated by td_metrics_new: at most
 *   TD_METRICS_FAMILIES_MAX metric families and TD_METRICS_SERIES_MAX series in all. Nothing
 *   else is ever allocated: registering copies names, help and labels into the table;
 *   updating and rendering allocate nothing.
 * - Register at start-up (not thread-safe): td_metrics_counter / _gauge / _histogram return a
 *   handle to one series (a family name plus one fixed label set), valid until td_metrics_free.
 *   Registering the same name again with other label values adds a series to that family; the
 *   type, help text, label names (same names, same order) and histogram bounds must match.
 *   The same name with the same label values again is an error ("duplicate series").
 *   Errors: NULL with a reason in err (bad name, too long, table full, mismatch, duplicate).
 * - Names: metric names match [a-zA-Z_:][a-zA-Z0-9_:]*, label names [a-zA-Z_][a-zA-Z0-9_]*
 *   and do not start with "__"; a histogram may not use the label "le". Label values are any
 *   bytes but NUL and are escaped on output (\\ \" \n); help text escapes \\ and \n.
 *   Lengths: name <= TD_METRIC_NAME_MAX, help <= TD_METRIC_HELP_MAX, at most
 *   TD_METRIC_LABELS_MAX label pairs whose escaped text `a="x",b="y"` fits
 *   TD_METRIC_LABELTEXT_MAX.
 * - Labels are passed as NULL (none) or a NULL-terminated array of name, value pairs:
 *     (const char *[]){"code", "429", NULL}
 * - Updates never allocate, never fail, and are relaxed atomics, so worker threads may update
 *   while one thread renders (one scrape is then not a consistent snapshot across series).
 *   A NULL handle or an update that does not fit the handle's type (inc on a gauge) does
 *   nothing. Counters are uint64_t; gauges and histogram observations are doubles.
 * - Histograms: 1..TD_METRIC_BUCKETS_MAX finite, strictly increasing upper bounds; +Inf is
 *   implied. An observation v lands in the first bucket with v <= bound. Output is cumulative
 *   NAME_bucket{...,le="B"} lines, le="+Inf", then NAME_sum and NAME_count.
 * - Rendering: families in registration order, each as "# HELP", "# TYPE" and its series in
 *   registration order; every line ends in '\n'. Numbers: counters and histogram counts as
 *   decimal integers; doubles in the shortest form that reads back exactly ("%.15g" when it
 *   round-trips, else "%.17g"; 1e+20 style for big values), NaN, +Inf, -Inf. No timestamps.
 *   Serve it with the Content-Type TD_METRICS_CONTENT_TYPE. */
#ifndef TD_METRICS_H
#define TD_METRICS_H
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define TD_METRICS_FAMILIES_MAX 128
#define TD_METRICS_SERIES_MAX 1024
#define TD_METRIC_NAME_MAX 100      /* characters of a metric name */
#define TD_METRIC_HELP_MAX 200      /* characters of help text (before escaping) */
#define TD_METRIC_LABELS_MAX 4      /* label pairs per series */
#define TD_METRIC_LABELTEXT_MAX 240 /* escaped `a="x",b="y"` of one series */
#define TD_METRIC_BUCKETS_MAX 24    /* histogram bounds, +Inf not counted */

#define TD_METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

struct td_metrics;
struct td_metric; /* one series: a handle into the registry's table */

/* NULL with err only when the table cannot be allocated. */
struct td_metrics *td_metrics_new(char *err, size_t errlen);
/* Frees the registry and NULLs *mp; every handle into it becomes invalid. */
void td_metrics_free(struct td_metrics **mp);

struct td_metric *td_metrics_counter(struct td_metrics *m, const char *name, const char *help,
                                     const char *const *labels, char *err, size_t errlen);
struct td_metric *td_metrics_gauge(struct td_metrics *m, const char *name, const char *help,
                                   const char *const *labels, char *err, size_t errlen);
struct td_metric *td_metrics_histogram(struct td_metrics *m, const char *name, const char *help,
                                       const char *const *labels, const double *bounds, size_t nbounds,
                                       char *err, size_t errlen);

/* Counters. set mirrors a counter kept elsewhere (it should never go down). */
void td_metric_inc(struct td_metric *c);
void td_metric_add(struct td_metric *c, uint64_t n);
void td_metric_set_counter(struct td_metric *c, uint64_t v);
/* Gauges. */
void td_metric_set(struct td_metric *g, double v);
void td_metric_gauge_add(struct td_metric *g, double d); /* d may be negative */
/* Histograms. */
void td_metric_observe(struct td_metric *h, double v);

/* Current values (for tests and status commands): a counter's value, a histogram's count;
 * td_metric_gauge_value gives a gauge's value or a histogram's sum. 0 for NULL. */
uint64_t td_metric_counter_value(const struct td_metric *c);
double td_metric_gauge_value(const struct td_metric *g);

/* Rendering. The callback form is the base of the others (e.g. evbuffer_add for evhttp):
 * fn returns 0 to go on; the first nonzero return stops rendering and is returned. */
typedef int (*td_metrics_out_fn)(void *ctx, const char *data, size_t len);
int td_metrics_render_cb(const struct td_metrics *m, td_metrics_out_fn fn, void *ctx);
/* snprintf-like: writes at most cap bytes (NUL-terminated when cap > 0) and returns the full
 * length of the exposition; the output was cut if the return value >= cap. */
size_t td_metrics_render(const struct td_metrics *m, char *buf, size_t cap);
/* 0, or -1 with errno on a write error. */
int td_metrics_write(const struct td_metrics *m, FILE *f);
/* Replaces DIR/NAME.prom with the exposition: written to DIR/.NAME.prom.tmp, then renamed, so a
 * reader (tapdns-status, node_exporter's textfile collector) never sees half a file. No fsync:
 * the file is a snapshot that the program rewrites every stats interval. 0, or -1 with err. */
int td_metrics_write_file(const struct td_metrics *m, const char *dir, const char *name, char *err, size_t errlen);

/* Mirroring counters kept elsewhere (struct counters listed by an X-macro, e.g.
 * td_capture_stats_foreach): pass td_metrics_mirror_counter as the foreach callback and a
 * struct td_metrics_mirror as its ctx; each (name, desc, v) sets the counter
 * prefix + name + suffix (help desc, labels of the mirror), registering it on first sight.
 * Two lines in a capture front, at start-up and before each render:
 *     struct td_metrics_mirror mm = {.m = reg, .prefix = "tapdns_capture_", .suffix = "_total"};
 *     td_capture_stats_foreach(cap, td_metrics_mirror_counter, &mm);
 * A registration failure sets mm.failed and the first reason in mm.err; the others go on. */
struct td_metrics_mirror {
    struct td_metrics *m;
    const char *prefix, *suffix;  /* NULL = "" */
    const char *const *labels;    /* as for td_metrics_counter; NULL = none */
    int failed;
    char err[160];
};
void td_metrics_mirror_counter(void *ctx, const char *name, const char *desc, uint64_t v);

#endif
