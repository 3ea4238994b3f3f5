/* test_prom_sum: reading sums back out of Prometheus text (lib/prom_sum.h). */
#include <string.h>
#include "prom_sum.h"
#include "tt.h"

static const char text[] =
    "# HELP tapdns_capture_frames_total frames seen\n"
    "# TYPE tapdns_capture_frames_total counter\n"
    "tapdns_capture_frames_total{queue=\"0\"} 100\n"
    "tapdns_capture_frames_total{queue=\"1\",odd=\"a}\\\"b\"} 23 1700000000\n"
    "tapdns_capture_frames_totally 1000\n"
    "tapdns_capture_drop_bad_ip_total 2\n"
    "tapdns_capture_drop_vlan_total 3\n"
    "\n"
    "tapdns_query_latency_seconds_sum 0.5\n"
    "broken_total\n"
    "broken_total{x=\"1\" 4\n"
    "broken_total NaN\n"
    "last 7";

static void test_exact(void)
{
    double s = 0;
    size_t bad = 0;
    CHECK_EQ(td_prom_sum(text, strlen(text), "tapdns_capture_frames_total", &s, &bad), 2);
    CHECK(s == 123.0);
    CHECK_EQ(bad, 0);
}

static void test_prefix(void)
{
    double s = 0;
    size_t bad = 0;
    CHECK_EQ(td_prom_sum(text, strlen(text), "tapdns_capture_drop_*", &s, &bad), 2);
    CHECK(s == 5.0);
    s = 0;
    CHECK_EQ(td_prom_sum(text, strlen(text), "tapdns_query_latency_seconds_sum", &s, &bad), 1);
    CHECK(s == 0.5);
}

static void test_bad_and_last_line(void)
{
    double s = 0;
    size_t bad = 0;
    CHECK_EQ(td_prom_sum(text, strlen(text), "broken_total", &s, &bad), 0);
    CHECK_EQ(bad, 3);
    s = 0;
    CHECK_EQ(td_prom_sum(text, strlen(text), "last", &s, NULL), 1);
    CHECK(s == 7.0);
    /* len cuts the text: the last line is not seen */
    s = 0;
    CHECK_EQ(td_prom_sum(text, strlen(text) - 8, "last", &s, NULL), 0);
}

int main(void)
{
    TT_RUN(test_exact);
    TT_RUN(test_prefix);
    TT_RUN(test_bad_and_last_line);
    return tt_finish();
}
