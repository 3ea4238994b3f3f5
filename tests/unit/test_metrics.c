/* test_metrics: lib/metrics.h: exact exposition text for counters, gauges and histograms
 * with and without labels, escaping, number formats, registration errors (a table of
 * cases), bounds of the table, buffer/FILE/callback rendering, the X-macro counter mirror,
 * and concurrent updates. */
#include "metrics.h"
#include "tt.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char out[1 << 16];

static const char *render(const struct td_metrics *m)
{
    size_t n = td_metrics_render(m, out, sizeof out);
    if (n >= sizeof out)
        TT_FAIL("render: %zu bytes do not fit", n);
    return out;
}

static void test_empty(void)
{
    char err[128];
    struct td_metrics *m = td_metrics_new(err, sizeof err);
    CHECK(m != NULL);
    CHECK_STR(render(m), "");
    CHECK_EQ(td_metrics_render(m, out, sizeof out), 0);
    td_metrics_free(&m);
    CHECK(m == NULL);
    td_metrics_free(&m); /* twice is fine */
    CHECK_STR(render(NULL), "");
}

static void test_exposition(void)
{
    char err[128] = "";
    struct td_metrics *m = td_metrics_new(err, sizeof err);
    struct td_metric *req = td_metrics_counter(m, "tapdns_query_requests_total", "Queries answered", NULL, err,
                                               sizeof err);
    struct td_metric *r200 = td_metrics_counter(m, "tapdns_query_responses_total", "HTTP responses by status",
                                                (const char *[]){"code", "200", "path", "lookup", NULL}, err,
                                                sizeof err);
    struct td_metric *busy = td_metrics_gauge(m, "tapdns_query_busy", "Queries in progress", NULL, err,
                                              sizeof err);
    struct td_metric *r429 = td_metrics_counter(m, "tapdns_query_responses_total", "HTTP responses by status",
                                                (const char *[]){"code", "429", "path", "a\\b\"c\nd", NULL},
                                                err, sizeof err);
    static const double b[] = {0.001, 0.01, 0.1, 1};
    struct td_metric *lat = td_metrics_histogram(m, "tapdns_query_seconds", "Query time\nwith \\ and \"", NULL,
                                                 b, 4, err, sizeof err);
    struct td_metric *latk = td_metrics_histogram(m, "tapdns_query_kind_seconds", "By kind",
                                                  (const char *[]){"kind", "rrset", NULL}, b, 4, err, sizeof err);
    struct td_metric *up = td_metrics_gauge(m, "ns:up", "", NULL, err, sizeof err);
    CHECK(req && r200 && busy && r429 && lat && latk && up);
    CHECK_STR(err, "");

    td_metric_inc(req);
    td_metric_add(req, 41);
    td_metric_inc(r200);
    td_metric_add(r429, 18446744073709551615ull);
    td_metric_set(busy, 3);
    td_metric_gauge_add(busy, -1.5);
    td_metric_observe(lat, 0.0005);
    td_metric_observe(lat, 0.001); /* on the bound: that bucket */
    td_metric_observe(lat, 0.05);
    td_metric_observe(lat, 7);
    td_metric_observe(latk, 0.25);

    const char *want =
        "# HELP tapdns_query_requests_total Queries answered\n"
        "# TYPE tapdns_query_requests_total counter\n"
        "tapdns_query_requests_total 42\n"
        "# HELP tapdns_query_responses_total HTTP responses by status\n"
        "# TYPE tapdns_query_responses_total counter\n"
        "tapdns_query_responses_total{code=\"200\",path=\"lookup\"} 1\n"
        "tapdns_query_responses_total{code=\"429\",path=\"a\\\\b\\\"c\\nd\"} 18446744073709551615\n"
        "# HELP tapdns_query_busy Queries in progress\n"
        "# TYPE tapdns_query_busy gauge\n"
        "tapdns_query_busy 1.5\n"
        "# HELP tapdns_query_seconds Query time\\nwith \\\\ and \"\n"
        "# TYPE tapdns_query_seconds histogram\n"
        "tapdns_query_seconds_bucket{le=\"0.001\"} 2\n"
        "tapdns_query_seconds_bucket{le=\"0.01\"} 2\n"
        "tapdns_query_seconds_bucket{le=\"0.1\"} 3\n"
        "tapdns_query_seconds_bucket{le=\"1\"} 3\n"
        "tapdns_query_seconds_bucket{le=\"+Inf\"} 4\n"
        "tapdns_query_seconds_sum 7.0515\n"
        "tapdns_query_seconds_count 4\n"
        "# HELP tapdns_query_kind_seconds By kind\n"
        "# TYPE tapdns_query_kind_seconds histogram\n"
        "tapdns_query_kind_seconds_bucket{kind=\"rrset\",le=\"0.001\"} 0\n"
        "tapdns_query_kind_seconds_bucket{kind=\"rrset\",le=\"0.01\"} 0\n"
        "tapdns_query_kind_seconds_bucket{kind=\"rrset\",le=\"0.1\"} 0\n"
        "tapdns_query_kind_seconds_bucket{kind=\"rrset\",le=\"1\"} 1\n"
        "tapdns_query_kind_seconds_bucket{kind=\"rrset\",le=\"+Inf\"} 1\n"
        "tapdns_query_kind_seconds_sum{kind=\"rrset\"} 0.25\n"
        "tapdns_query_kind_seconds_count{kind=\"rrset\"} 1\n"
        "# HELP ns:up \n"
        "# TYPE ns:up gauge\n"
        "ns:up 0\n";
    CHECK_STR(render(m), want);

    /* values read back */
    CHECK_EQ(td_metric_counter_value(req), 42);
    CHECK(td_metric_gauge_value(busy) == 1.5);
    CHECK_EQ(td_metric_counter_value(lat), 4);
    CHECK(td_metric_gauge_value(lat) == 0.0005 + 0.001 + 0.05 + 7);
    CHECK_EQ(td_metric_counter_value(NULL), 0);
    CHECK(td_metric_gauge_value(NULL) == 0);

    /* updates on NULL or of the wrong type do nothing */
    td_metric_inc(NULL);
    td_metric_add(NULL, 5);
    td_metric_set(NULL, 5);
    td_metric_observe(NULL, 5);
    td_metric_set_counter(NULL, 5);
    td_metric_gauge_add(NULL, 5);
    td_metric_inc(busy);
    td_metric_set(req, 99);
    td_metric_gauge_add(req, 99);
    td_metric_observe(req, 1);
    td_metric_inc(lat);
    td_metric_set(lat, 1);
    td_metric_set_counter(busy, 7);
    CHECK_STR(render(m), want);

    /* set_counter mirrors */
    td_metric_set_counter(req, 7);
    CHECK_EQ(td_metric_counter_value(req), 7);
    td_metrics_free(&m);
}

static void test_numbers(void)
{
    static const struct {
        double v;
        const char *text;
    } cases[] = {
        {0, "0"},
        {-0.0, "-0"},
        {1, "1"},
        {-2, "-2"},
        {0.1, "0.1"},
        {1.0 / 3, "0.33333333333333331"},
        {123456789012345.0, "123456789012345"},
        {9007199254740993.0, "9007199254740992"},
        {1e20, "1e+20"},
        {1e15, "1e+15"},
        {999999999999999.0, "999999999999999"},
        {-123, "-123"},
        {-0.5, "-0.5"},
        {0.1 + 0.2, "0.30000000000000004"},
        {1.5e-7, "1.5e-07"},
        {NAN, "NaN"},
        {INFINITY, "+Inf"},
        {-INFINITY, "-Inf"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char err[128], want[128];
        struct td_metrics *m = td_metrics_new(err, sizeof err);
        struct td_metric *g = td_metrics_gauge(m, "g", "h", NULL, err, sizeof err);
        td_metric_set(g, cases[i].v);
        snprintf(want, sizeof want, "# HELP g h\n# TYPE g gauge\ng %s\n", cases[i].text);
        CHECK_STR(render(m), want);
        td_metrics_free(&m);
    }
    /* histogram bounds print the same way; NaN and +Inf observations go to +Inf */
    char err[128];
    struct td_metrics *m = td_metrics_new(err, sizeof err);
    static const double b[] = {-1, 0.5, 1e20};
    struct td_metric *h = td_metrics_histogram(m, "h", "x", NULL, b, 3, err, sizeof err);
    td_metric_observe(h, -5);
    td_metric_observe(h, 1e21);
    td_metric_observe(h, INFINITY);
    CHECK_STR(render(m), "# HELP h x\n# TYPE h histogram\n"
                         "h_bucket{le=\"-1\"} 1\n"
                         "h_bucket{le=\"0.5\"} 1\n"
                         "h_bucket{le=\"1e+20\"} 1\n"
                         "h_bucket{le=\"+Inf\"} 3\n"
                         "h_sum +Inf\n"
                         "h_count 3\n");
    td_metric_observe(h, NAN);
    CHECK_EQ(td_metric_counter_value(h), 4);
    CHECK(strstr(render(m), "h_bucket{le=\"+Inf\"} 4\nh_sum NaN\n") != NULL);
    td_metrics_free(&m);
}

static void test_names(void)
{
    static const struct {
        const char *name;
        int ok;
    } metric_names[] = {
        {"a", 1}, {"_", 1}, {":", 1}, {"a:b_c9", 1}, {"A_Z", 1}, {"__x", 1},
        {"", 0}, {"9a", 0}, {"a-b", 0}, {"a b", 0}, {"a.b", 0}, {"é", 0}, {"a{b}", 0},
    };
    for (size_t i = 0; i < sizeof metric_names / sizeof metric_names[0]; i++) {
        char err[256] = "";
        struct td_metrics *m = td_metrics_new(err, sizeof err);
        struct td_metric *c = td_metrics_counter(m, metric_names[i].name, "h", NULL, err, sizeof err);
        if ((c != NULL) != metric_names[i].ok)
            TT_FAIL("metric name \"%s\": %s", metric_names[i].name, c ? "accepted" : err);
        td_metrics_free(&m);
    }
    static const struct {
        const char *name;
        int ok;
    } label_names[] = {
        {"a", 1}, {"_a", 1}, {"a9_Z", 1}, {"le", 1}, /* le only reserved in histograms */
        {"", 0}, {"__a", 0}, {"a:b", 0}, {"9", 0}, {"a-b", 0},
    };
    for (size_t i = 0; i < sizeof label_names / sizeof label_names[0]; i++) {
        char err[256] = "";
        struct td_metrics *m = td_metrics_new(err, sizeof err);
        struct td_metric *c = td_metrics_gauge(m, "g", "h", (const char *[]){label_names[i].name, "v", NULL}, err,
                                               sizeof err);
        if ((c != NULL) != label_names[i].ok)
            TT_FAIL("label name \"%s\": %s", label_names[i].name, c ? "accepted" : err);
        td_metrics_free(&m);
    }
    CHECK(td_metrics_counter(NULL, "a", "h", NULL, NULL, 0) == NULL);
    char err[256];
    struct td_metrics *m = td_metrics_new(err, sizeof err);
    CHECK(td_metrics_counter(m, NULL, "h", NULL, err, sizeof err) == NULL);
    CHECK(td_metrics_counter(m, "nohelp", NULL, NULL, err, sizeof err) != NULL);
    CHECK_STR(render(m), "# HELP nohelp \n# TYPE nohelp counter\nnohelp 0\n");
    td_metrics_free(&m);
}

static void test_errors(void)
{
    char err[256];
    struct td_metrics *m = td_metrics_new(err, sizeof err);
    static const double b2[] = {1, 2}, b3[] = {1, 2, 3}, bad1[] = {2, 1}, bad2[] = {1, 1}, bad3[] = {NAN},
                        bad4[] = {INFINITY};
    double many[TD_METRIC_BUCKETS_MAX + 1];
    for (int i = 0; i <= TD_METRIC_BUCKETS_MAX; i++)
        many[i] = i;
    CHECK(td_metrics_counter(m, "c", "C", (const char *[]){"x", "1", NULL}, err, sizeof err) != NULL);
    CHECK(td_metrics_histogram(m, "h", "H", NULL, b2, 2, err, sizeof err) != NULL);
    char longname[TD_METRIC_NAME_MAX + 2], longhelp[TD_METRIC_HELP_MAX + 2], longval[TD_METRIC_LABELTEXT_MAX];
    memset(longname, 'n', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    memset(longhelp, 'h', sizeof longhelp - 1);
    longhelp[sizeof longhelp - 1] = '\0';
    memset(longval, 'v', sizeof longval - 1);
    longval[sizeof longval - 1] = '\0';

#define ERRCASE(call, want)                                                                                  \
    do {                                                                                                     \
        err[0] = '\0';                                                                                       \
        CHECK((call) == NULL);                                                                               \
        CHECK_STR(err, want);                                                                                \
    } while (0)
    ERRCASE(td_metrics_counter(m, "c", "C", (const char *[]){"x", "1", NULL}, err, sizeof err),
            "c{x=\"1\"}: duplicate series");
    ERRCASE(td_metrics_gauge(m, "c", "C", (const char *[]){"x", "2", NULL}, err, sizeof err),
            "c: registered as a counter");
    ERRCASE(td_metrics_counter(m, "c", "other", (const char *[]){"x", "2", NULL}, err, sizeof err),
            "c: help text differs");
    ERRCASE(td_metrics_counter(m, "c", "C", (const char *[]){"y", "2", NULL}, err, sizeof err),
            "c: label names differ from the first series");
    ERRCASE(td_metrics_counter(m, "c", "C", NULL, err, sizeof err), "c: label names differ from the first series");
    ERRCASE(td_metrics_counter(m, "c", "C", (const char *[]){"x", "2", "y", "3", NULL}, err, sizeof err),
            "c: label names differ from the first series");
    ERRCASE(td_metrics_histogram(m, "h", "H", (const char *[]){"a", "b", NULL}, b2, 2, err, sizeof err),
            "h: label names differ from the first series");
    ERRCASE(td_metrics_histogram(m, "h2", "H", (const char *[]){"le", "1", NULL}, b2, 2, err, sizeof err),
            "h2: label \"le\" is reserved in a histogram");
    ERRCASE(td_metrics_histogram(m, "h", "H", NULL, b3, 3, err, sizeof err), "h: histogram bounds differ");
    ERRCASE(td_metrics_histogram(m, "h3", "H", NULL, bad1, 2, err, sizeof err),
            "h3: histogram bounds must be finite and increasing");
    ERRCASE(td_metrics_histogram(m, "h3", "H", NULL, bad2, 2, err, sizeof err),
            "h3: histogram bounds must be finite and increasing");
    ERRCASE(td_metrics_histogram(m, "h3", "H", NULL, bad3, 1, err, sizeof err),
            "h3: histogram bounds must be finite and increasing");
    ERRCASE(td_metrics_histogram(m, "h3", "H", NULL, bad4, 1, err, sizeof err),
            "h3: histogram bounds must be finite and increasing");
    ERRCASE(td_metrics_histogram(m, "h3", "H", NULL, b2, 0, err, sizeof err), "h3: 1 to 24 histogram bounds");
    ERRCASE(td_metrics_histogram(m, "h3", "H", NULL, NULL, 2, err, sizeof err), "h3: 1 to 24 histogram bounds");
    ERRCASE(td_metrics_histogram(m, "h3", "H", NULL, many, TD_METRIC_BUCKETS_MAX + 1, err, sizeof err),
            "h3: 1 to 24 histogram bounds");
    CHECK(td_metrics_histogram(m, "h4", "H", NULL, many, TD_METRIC_BUCKETS_MAX, err, sizeof err) != NULL);
    ERRCASE(td_metrics_gauge(m, "g", "G", (const char *[]){"a", "1", "b", "2", "c", "3", "d", "4", "e", "5", NULL},
                             err, sizeof err),
            "g: more than 4 labels");
    ERRCASE(td_metrics_gauge(m, "g", "G", (const char *[]){"a", "1", "a", "2", NULL}, err, sizeof err),
            "g: label \"a\" given twice");
    ERRCASE(td_metrics_gauge(m, "g", "G", (const char *[]){"a", NULL}, err, sizeof err), "g: label \"a\" has no value");
    ERRCASE(td_metrics_gauge(m, "g", "G", (const char *[]){"a", longval, NULL}, err, sizeof err),
            "g: labels longer than 240 characters escaped");
    ERRCASE(td_metrics_gauge(m, "9g", "G", NULL, err, sizeof err), "bad metric name \"9g\" ([a-zA-Z_:][a-zA-Z0-9_:]*)");
    ERRCASE(td_metrics_gauge(m, "g", "G", (const char *[]){"a-b", "1", NULL}, err, sizeof err),
            "g: bad label name \"a-b\" ([a-zA-Z_][a-zA-Z0-9_]*, not __)");
    ERRCASE(td_metrics_gauge(m, longname, "G", NULL, err, sizeof err),
            "metric name nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn... longer than 100");
    ERRCASE(td_metrics_gauge(m, "g", longhelp, NULL, err, sizeof err), "g: help longer than 200");
#undef ERRCASE
    /* at the limits: fits */
    longname[TD_METRIC_NAME_MAX] = '\0';
    longhelp[TD_METRIC_HELP_MAX] = '\0';
    CHECK(td_metrics_gauge(m, longname, longhelp, NULL, err, sizeof err) != NULL);
    longval[TD_METRIC_LABELTEXT_MAX - 5] = '\0'; /* a="...": 4 more characters */
    CHECK(td_metrics_gauge(m, "g", "G", (const char *[]){"a", longval, NULL}, err, sizeof err) != NULL);
    /* a value that only overflows once escaped */
    char esc[200];
    memset(esc, '"', sizeof esc - 1);
    esc[sizeof esc - 1] = '\0';
    CHECK(td_metrics_gauge(m, "g", "G", (const char *[]){"a", esc, NULL}, err, sizeof err) == NULL);
    /* failed registrations left nothing behind */
    CHECK(strstr(render(m), "h3") == NULL);
    CHECK(strstr(render(m), "# TYPE g gauge\ng{a=\"vvv") != NULL);
    td_metrics_free(&m);
}

static void test_table_bounds(void)
{
    char err[256], name[32];
    struct td_metrics *m = td_metrics_new(err, sizeof err);
    int fails = 0;
    for (int i = 0; i < TD_METRICS_FAMILIES_MAX; i++) {
        snprintf(name, sizeof name, "f%d", i);
        fails += td_metrics_counter(m, name, "", NULL, err, sizeof err) == NULL;
    }
    CHECK_EQ(fails, 0);
    CHECK(td_metrics_counter(m, "one_more", "", NULL, err, sizeof err) == NULL);
    CHECK_STR(err, "one_more: more than 128 metric families");
    td_metrics_free(&m);

    m = td_metrics_new(err, sizeof err);
    CHECK(td_metrics_counter(m, "c", "", (const char *[]){"i", "first", NULL}, err, sizeof err) != NULL);
    for (int i = 1; i < TD_METRICS_SERIES_MAX; i++) {
        snprintf(name, sizeof name, "%d", i);
        fails += td_metrics_counter(m, "c", "", (const char *[]){"i", name, NULL}, err, sizeof err) == NULL;
    }
    CHECK_EQ(fails, 0);
    CHECK(td_metrics_counter(m, "c", "", (const char *[]){"i", "last", NULL}, err, sizeof err) == NULL);
    CHECK_STR(err, "c: more than 1024 series");
    CHECK(td_metrics_counter(m, "d", "", NULL, err, sizeof err) == NULL);
    CHECK_STR(err, "d: more than 1024 series");
    /* the big output goes through the 4 KiB batch buffer intact: count the lines */
    size_t n = td_metrics_render(m, out, sizeof out);
    CHECK(n < sizeof out);
    size_t lines = 0;
    for (size_t i = 0; i < n; i++)
        lines += out[i] == '\n';
    CHECK_EQ(lines, 2 + TD_METRICS_SERIES_MAX);
    CHECK(strstr(out, "\nc{i=\"1023\"} 0\n") != NULL);
    td_metrics_free(&m);
}

struct collect {
    size_t calls, len, stop_after;
    char buf[1 << 16];
};

static int collect_fn(void *ctx, const char *data, size_t len)
{
    struct collect *c = ctx;
    if (c->stop_after && c->calls == c->stop_after)
        return 7;
    c->calls++;
    if (c->len + len < sizeof c->buf) {
        memcpy(c->buf + c->len, data, len);
        c->len += len;
    }
    return 0;
}

static void test_outputs(void)
{
    char err[256];
    struct td_metrics *m = td_metrics_new(err, sizeof err);
    struct td_metric *c = td_metrics_counter(m, "c_total", "a counter", NULL, err, sizeof err);
    td_metric_add(c, 12345);
    const char *want = "# HELP c_total a counter\n# TYPE c_total counter\nc_total 12345\n";
    size_t wl = strlen(want);

    /* buffer: exact fit, one short, tiny, zero */
    char buf[128];
    memset(buf, 'X', sizeof buf);
    CHECK_EQ(td_metrics_render(m, buf, wl + 1), wl);
    CHECK_STR(buf, want);
    memset(buf, 'X', sizeof buf);
    CHECK_EQ(td_metrics_render(m, buf, wl), wl); /* cut: the caller sees ret >= cap */
    CHECK_EQ(strlen(buf), wl - 1);
    CHECK(strncmp(buf, want, wl - 1) == 0);
    CHECK_EQ(td_metrics_render(m, buf, 1), wl);
    CHECK_EQ(buf[0], '\0');
    buf[0] = 'X';
    CHECK_EQ(td_metrics_render(m, buf, 0), wl);
    CHECK_EQ(buf[0], 'X');

    /* callback: same bytes; a nonzero return stops and is returned */
    static struct collect col;
    memset(&col, 0, sizeof col);
    CHECK_EQ(td_metrics_render_cb(m, collect_fn, &col), 0);
    CHECK_EQ(col.len, wl);
    CHECK(memcmp(col.buf, want, wl) == 0);
    memset(&col, 0, sizeof col);
    col.stop_after = 0;
    /* many families so that the output takes several batches */
    char name[64];
    for (int i = 0; i < 100; i++) {
        snprintf(name, sizeof name, "family_number_%d_with_a_long_name", i);
        td_metrics_gauge(m, name, "some help text to make the lines longer", NULL, err, sizeof err);
    }
    size_t total = td_metrics_render(m, out, sizeof out);
    CHECK(total > 3 * 4096);
    CHECK_EQ(td_metrics_render_cb(m, collect_fn, &col), 0);
    CHECK_EQ(col.len, total);
    CHECK(memcmp(col.buf, out, total) == 0);
    CHECK(col.calls >= 3);
    memset(&col, 0, sizeof col);
    col.stop_after = 1;
    CHECK_EQ(td_metrics_render_cb(m, collect_fn, &col), 7);
    CHECK_EQ(col.calls, 1);

    /* FILE */
    char *mem = NULL;
    size_t memlen = 0;
    FILE *f = open_memstream(&mem, &memlen);
    CHECK_EQ(td_metrics_write(m, f), 0);
    fclose(f);
    CHECK_EQ(memlen, total);
    CHECK(mem && memcmp(mem, out, total) == 0);
    free(mem);
    f = fopen("/dev/full", "w");
    if (f) {
        setvbuf(f, NULL, _IONBF, 0);
        errno = 0;
        CHECK_EQ(td_metrics_write(m, f), -1);
        CHECK_EQ(errno, ENOSPC);
        fclose(f);
    }
    td_metrics_free(&m);
}

/* A struct of counters listed by an X-macro, as lib/capture.h does. */
#define DEMO_COUNTERS(X)                                                                                    \
    X(frames, "frames seen")                                                                                \
    X(drops, "frames dropped")
struct demo_stats {
#define X(n, d) uint64_t n;
    DEMO_COUNTERS(X)
#undef X
};
static void demo_foreach(const struct demo_stats *s, void (*fn)(void *, const char *, const char *, uint64_t),
                         void *ctx)
{
#define X(n, d) fn(ctx, #n, d, s->n);
    DEMO_COUNTERS(X)
#undef X
}

static void test_mirror(void)
{
    char err[256];
    struct td_metrics *m = td_metrics_new(err, sizeof err);
    struct demo_stats st = {.frames = 10, .drops = 1};
    struct td_metrics_mirror mm = {.m = m, .prefix = "tapdns_capture_", .suffix = "_total",
                                   .labels = (const char *[]){"iface", "eth0", NULL}};
    struct td_metrics_mirror mm1 = {.m = m, .prefix = "tapdns_capture_", .suffix = "_total",
                                    .labels = (const char *[]){"iface", "eth1", NULL}};
    demo_foreach(&st, td_metrics_mirror_counter, &mm);
    st.frames = 5;
    demo_foreach(&st, td_metrics_mirror_counter, &mm1);
    st.frames = 20;
    demo_foreach(&st, td_metrics_mirror_counter, &mm); /* second sight: updates */
    CHECK_EQ(mm.failed, 0);
    CHECK_EQ(mm1.failed, 0);
    CHECK_STR(render(m), "# HELP tapdns_capture_frames_total frames seen\n"
                         "# TYPE tapdns_capture_frames_total counter\n"
                         "tapdns_capture_frames_total{iface=\"eth0\"} 20\n"
                         "tapdns_capture_frames_total{iface=\"eth1\"} 5\n"
                         "# HELP tapdns_capture_drops_total frames dropped\n"
                         "# TYPE tapdns_capture_drops_total counter\n"
                         "tapdns_capture_drops_total{iface=\"eth0\"} 1\n"
                         "tapdns_capture_drops_total{iface=\"eth1\"} 1\n");

    /* failures: the first reason is kept, the others go on */
    struct td_metrics_mirror bad = {.m = m, .prefix = "bad-"};
    demo_foreach(&st, td_metrics_mirror_counter, &bad);
    CHECK_EQ(bad.failed, 1);
    CHECK_STR(bad.err, "bad metric name \"bad-frames\" ([a-zA-Z_:][a-zA-Z0-9_:]*)");
    char longp[TD_METRIC_NAME_MAX + 1];
    memset(longp, 'p', sizeof longp - 1);
    longp[sizeof longp - 1] = '\0';
    struct td_metrics_mirror lng = {.m = m, .prefix = longp};
    demo_foreach(&st, td_metrics_mirror_counter, &lng);
    CHECK_EQ(lng.failed, 1);
    CHECK_STR(lng.err, "metric name pppppppppppppppppppppppppppppppppppppppp... longer than 100");
    /* no prefix, no suffix; a name already taken by a gauge is refused */
    td_metrics_gauge(m, "drops", "", NULL, err, sizeof err);
    struct td_metrics_mirror plain = {.m = m};
    demo_foreach(&st, td_metrics_mirror_counter, &plain);
    CHECK_EQ(plain.failed, 1);
    CHECK_STR(plain.err, "drops: registered as a gauge");
    CHECK(strstr(render(m), "\nframes 20\n") != NULL);
    td_metrics_free(&m);
}

#define THREADS 4
#define PER_THREAD 200000
struct thr {
    struct td_metric *c, *g, *h;
};

static void *worker(void *arg)
{
    struct thr *t = arg;
    for (int i = 0; i < PER_THREAD; i++) {
        td_metric_inc(t->c);
        td_metric_gauge_add(t->g, 1);
        td_metric_observe(t->h, (double)(i % 4));
    }
    return NULL;
}

static void test_threads(void)
{
    char err[256];
    struct td_metrics *m = td_metrics_new(err, sizeof err);
    static const double b[] = {0, 1, 2};
    struct thr t = {td_metrics_counter(m, "c", "", NULL, err, sizeof err),
                    td_metrics_gauge(m, "g", "", NULL, err, sizeof err),
                    td_metrics_histogram(m, "h", "", NULL, b, 3, err, sizeof err)};
    pthread_t th[THREADS];
    for (int i = 0; i < THREADS; i++)
        pthread_create(&th[i], NULL, worker, &t);
    for (int i = 0; i < 20; i++) /* render while they run */
        td_metrics_render(m, out, sizeof out);
    for (int i = 0; i < THREADS; i++)
        pthread_join(th[i], NULL);
    CHECK_EQ(td_metric_counter_value(t.c), THREADS * PER_THREAD);
    CHECK(td_metric_gauge_value(t.g) == THREADS * PER_THREAD);
    CHECK_EQ(td_metric_counter_value(t.h), THREADS * PER_THREAD);
    CHECK(td_metric_gauge_value(t.h) == THREADS * (PER_THREAD / 4) * 6.0);
    char want[512];
    snprintf(want, sizeof want,
             "h_bucket{le=\"0\"} %d\nh_bucket{le=\"1\"} %d\nh_bucket{le=\"2\"} %d\nh_bucket{le=\"+Inf\"} %d\n",
             THREADS * PER_THREAD / 4, THREADS * PER_THREAD / 2, THREADS * PER_THREAD / 4 * 3,
             THREADS * PER_THREAD);
    CHECK(strstr(render(m), want) != NULL);
    td_metrics_free(&m);
}

/* td_metrics_write_file: the whole exposition in DIR/NAME.prom, no temporary left, replaced
 * on the next write; a missing directory is an error naming the path. */
static void test_write_file(void)
{
    char err[256] = "", dir[] = "/tmp/test_metrics.XXXXXX", path[300], buf[512];
    CHECK(mkdtemp(dir) != NULL);
    struct td_metrics *m = td_metrics_new(err, sizeof err);
    struct td_metric *c = td_metrics_counter(m, "x_total", "x", NULL, err, sizeof err);
    td_metric_add(c, 5);
    CHECK_EQ(td_metrics_write_file(m, dir, "tapdns-test-q0", err, sizeof err), 0);
    td_metric_add(c, 2);
    CHECK_EQ(td_metrics_write_file(m, dir, "tapdns-test-q0", err, sizeof err), 0);
    snprintf(path, sizeof path, "%s/tapdns-test-q0.prom", dir);
    FILE *f = fopen(path, "r");
    CHECK(f != NULL);
    size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
    buf[n] = '\0';
    if (f)
        fclose(f);
    CHECK_STR(buf, "# HELP x_total x\n# TYPE x_total counter\nx_total 7\n");
    snprintf(path, sizeof path, "%s/.tapdns-test-q0.prom.tmp", dir);
    CHECK(access(path, F_OK) != 0);
    snprintf(path, sizeof path, "%s/tapdns-test-q0.prom", dir);
    unlink(path);
    CHECK_EQ(rmdir(dir), 0);
    CHECK_EQ(td_metrics_write_file(m, dir, "gone", err, sizeof err), -1);
    CHECK(strstr(err, "/.gone.prom.tmp") != NULL);
    td_metrics_free(&m);
}

int main(void)
{
    TT_RUN(test_empty);
    TT_RUN(test_write_file);
    TT_RUN(test_exposition);
    TT_RUN(test_numbers);
    TT_RUN(test_names);
    TT_RUN(test_errors);
    TT_RUN(test_table_bounds);
    TT_RUN(test_outputs);
    TT_RUN(test_mirror);
    TT_RUN(test_threads);
    return tt_finish();
}
