/* test_query_output: answer framing (query/output.h): exact lines for V2 (SAF), V1 and CIRCL,
 * rdata lookups without bailiwick, humantime, unprintable results, summaries and rate_limit. */
#include <stdio.h>
#include <string.h>

#include "dns_wire.h"
#include "apikeys.h"
#include "output.h"
#include "tt.h"

static struct td_qrequest req;

static void parse(const char *path, const char *query)
{
    char err[128];
    int st = td_qrequest_parse(&req, path, query, 1800000000u, err, sizeof err);
    CHECK_EQ(st, 0);
}

static uint8_t owner[256], bw[256];
static const uint8_t a1[] = { 10, 53, 0, 10 }, a2[] = { 10, 53, 0, 11 };
static const uint8_t *const rds[] = { a1, a2 };
static const uint16_t rdl[] = { 4, 4 };

/* www.example.com A {10.53.0.10, 10.53.0.11}, bailiwick example.com (or an rdata result) */
static struct td_index_result result(int is_rdata)
{
    int ol = td_dns_name_from_text("www.example.com", owner, sizeof owner);
    int bl = td_dns_name_from_text("example.com", bw, sizeof bw);
    struct td_index_result r;
    memset(&r, 0, sizeof r);
    r.is_rdata = is_rdata;
    r.owner = owner;
    r.owner_len = (uint16_t)ol;
    r.rrtype = 1;
    r.bailiwick = is_rdata ? NULL : bw;
    r.bailiwick_len = is_rdata ? 0 : (uint16_t)bl;
    r.nrdata = is_rdata ? 1 : 2;
    r.rdata = rds;
    r.rdlen = rdl;
    r.count = 3;
    r.time_first = 1795748441;
    r.time_last = 1795752000;
    return r;
}

#define OBJ_RR "{\"count\":3,\"time_first\":1795748441,\"time_last\":1795752000,\"rrname\":\"www.example.com.\"," \
               "\"rrtype\":\"A\",\"bailiwick\":\"example.com.\",\"rdata\":[\"10.53.0.10\",\"10.53.0.11\"]}"
#define OBJ_RD "{\"count\":3,\"time_first\":1795748441,\"time_last\":1795752000,\"rrname\":\"www.example.com.\"," \
               "\"rrtype\":\"A\",\"rdata\":[\"10.53.0.10\"]}"

static void test_v2_lookup(void)
{
    struct td_json j;
    td_json_init(&j);
    parse("/dnsdb/v2/lookup/rrset/name/www.example.com", NULL);
    struct td_index_result r = result(0);
    td_qout_begin(&j, &req);
    CHECK_EQ(td_qout_result(&j, &req, &r), 0);
    CHECK_EQ(td_qout_result(&j, &req, &r), 0);
    td_qout_end(&j, &req, "succeeded", NULL);
    CHECK_STR(j.buf, "{\"cond\":\"begin\"}\n{\"obj\":" OBJ_RR "}\n{\"obj\":" OBJ_RR "}\n{\"cond\":\"succeeded\"}\n");
    td_json_reset(&j);
    td_qout_begin(&j, &req);
    td_qout_end(&j, &req, "limited", "Result limit reached");
    CHECK_STR(j.buf, "{\"cond\":\"begin\"}\n{\"cond\":\"limited\",\"msg\":\"Result limit reached\"}\n");
    td_json_reset(&j);
    td_qout_end(&j, &req, "failed", "Processing timeout; results may be incomplete");
    CHECK_STR(j.buf, "{\"cond\":\"failed\",\"msg\":\"Processing timeout; results may be incomplete\"}\n");
    CHECK_EQ(j.oom, 0);
    /* rdata lookups: one rdata, no bailiwick */
    td_json_reset(&j);
    parse("/dnsdb/v2/lookup/rdata/ip/10.53.0.10", NULL);
    struct td_index_result rd = result(1);
    CHECK_EQ(td_qout_result(&j, &req, &rd), 0);
    CHECK_STR(j.buf, "{\"obj\":" OBJ_RD "}\n");
    /* humantime */
    td_json_reset(&j);
    parse("/dnsdb/v2/lookup/rdata/ip/10.53.0.10", "humantime=t");
    CHECK_EQ(td_qout_result(&j, &req, &rd), 0);
    CHECK_STR(j.buf, "{\"obj\":{\"count\":3,\"time_first\":\"2026-11-27T03:00:41Z\",\"time_last\":"
                     "\"2026-11-27T04:00:00Z\",\"rrname\":\"www.example.com.\",\"rrtype\":\"A\","
                     "\"rdata\":[\"10.53.0.10\"]}}\n");
    td_json_free(&j);
}

static void test_v1_and_circl(void)
{
    struct td_json j;
    td_json_init(&j);
    struct td_index_result r = result(0);
    parse("/lookup/rrset/name/www.example.com", NULL);
    td_qout_begin(&j, &req);
    CHECK_EQ(td_qout_result(&j, &req, &r), 0);
    td_qout_end(&j, &req, "succeeded", NULL);
    CHECK_STR(j.buf, OBJ_RR "\n");
    td_json_reset(&j);
    parse("/pdns/query/www.example.com", NULL);
    td_qout_begin(&j, &req);
    CHECK_EQ(td_qout_result(&j, &req, &r), 0);
    td_qout_end(&j, &req, "limited", "x");
    CHECK_STR(j.buf, "{\"count\":3,\"time_first\":1795748441,\"time_last\":1795752000,\"rrname\":\"www.example.com.\","
                     "\"rrtype\":\"A\",\"bailiwick\":\"example.com.\",\"rdata\":\"10.53.0.10\"}\n"
                     "{\"count\":3,\"time_first\":1795748441,\"time_last\":1795752000,\"rrname\":\"www.example.com.\","
                     "\"rrtype\":\"A\",\"bailiwick\":\"example.com.\",\"rdata\":\"10.53.0.11\"}\n");
    td_json_reset(&j);
    parse("/pdns/query/10.53.0.10", NULL);
    struct td_index_result rd = result(1);
    CHECK_EQ(td_qout_result(&j, &req, &rd), 0);
    CHECK_STR(j.buf, "{\"count\":3,\"time_first\":1795748441,\"time_last\":1795752000,\"rrname\":\"www.example.com.\","
                     "\"rrtype\":\"A\",\"rdata\":\"10.53.0.10\"}\n");
    td_json_free(&j);
}

static void test_unprintable(void)
{
    static const uint8_t bad[] = { 9, 'x' };
    static const char *const paths[] = { "/dnsdb/v2/lookup/rrset/name/x", "/lookup/rrset/name/x", "/pdns/query/x" };
    for (size_t i = 0; i < 3; i++) {
        struct td_json j;
        td_json_init(&j);
        parse(paths[i], NULL);
        td_qout_begin(&j, &req);
        size_t len0 = j.len;
        struct td_index_result r = result(0);
        r.owner = bad;
        r.owner_len = sizeof bad;
        CHECK_EQ(td_qout_result(&j, &req, &r), -1);
        CHECK_EQ(j.len, len0);
        /* the writer goes on cleanly after it */
        r = result(0);
        CHECK_EQ(td_qout_result(&j, &req, &r), 0);
        td_qout_end(&j, &req, "succeeded", NULL);
        CHECK_EQ(j.oom, 0);
        CHECK_EQ(j.depth, 0);
        if (i == 0)
            CHECK_STR(j.buf, "{\"cond\":\"begin\"}\n{\"obj\":" OBJ_RR "}\n{\"cond\":\"succeeded\"}\n");
        if (i == 1)
            CHECK_STR(j.buf, OBJ_RR "\n");
        td_json_free(&j);
    }
}

static void test_summary(void)
{
    struct td_json j;
    td_json_init(&j);
    struct td_qsummary s;
    memset(&s, 0, sizeof s);
    parse("/dnsdb/v2/summarize/rrset/name/www.example.com", NULL);
    td_qout_begin(&j, &req);
    td_qout_summary(&j, &req, &s);
    td_qout_end(&j, &req, "succeeded", NULL);
    CHECK_STR(j.buf, "{\"cond\":\"begin\"}\n{\"obj\":{\"count\":0,\"num_results\":0}}\n{\"cond\":\"succeeded\"}\n");
    struct td_index_result r = result(0);
    td_qsummary_add(&s, &r);
    r.count = 10;
    r.time_first = 1795700000;
    r.time_last = 1795750000;
    td_qsummary_add(&s, &r);
    r.count = 1;
    r.time_first = 1795800000;
    r.time_last = 1795800001;
    td_qsummary_add(&s, &r);
    CHECK_EQ(s.count, 14);
    CHECK_EQ(s.num_results, 3);
    CHECK_EQ(s.time_first, 1795700000);
    CHECK_EQ(s.time_last, 1795800001);
    td_json_reset(&j);
    td_qout_summary(&j, &req, &s);
    CHECK_STR(j.buf, "{\"obj\":{\"count\":14,\"num_results\":3,\"time_first\":1795700000,\"time_last\":1795800001}}\n");
    td_json_reset(&j);
    parse("/summarize/rrset/name/www.example.com", "humantime=true");
    td_qout_summary(&j, &req, &s);
    CHECK_STR(j.buf, "{\"count\":14,\"num_results\":3,\"time_first\":\"2026-11-26T13:33:20Z\","
                     "\"time_last\":\"2026-11-27T17:20:01Z\"}\n");
    /* the count saturates */
    r.count = UINT64_MAX - 1;
    td_qsummary_add(&s, &r);
    CHECK(s.count == UINT64_MAX);
    CHECK_EQ(s.num_results, 4);
    td_json_free(&j);
}

static void test_rate_limit(void)
{
    static const struct { struct td_quota_view v; const char *want; } cases[] = {
        { { 1000, 999, 1433980800, 1000000, 3000000, 0, 0 },
          "{\"rate\":{\"reset\":1433980800,\"limit\":1000,\"remaining\":999,\"results_max\":1000000,"
          "\"offset_max\":3000000,\"burst_size\":0,\"burst_window\":0}}\n" },
        { { UINT64_MAX, UINT64_MAX, 0, UINT64_MAX, UINT64_MAX, UINT64_MAX, UINT64_MAX },
          /* no burst cap: no burst keys (dnsdbq -I asserts on "n/a" there) */
          "{\"rate\":{\"reset\":\"n/a\",\"limit\":\"unlimited\",\"remaining\":\"n/a\",\"results_max\":\"n/a\","
          "\"offset_max\":\"n/a\"}}\n" },
        { { 50, 0, 1800057600, 256, 0, 25, 3600 },
          "{\"rate\":{\"reset\":1800057600,\"limit\":50,\"remaining\":0,\"results_max\":256,"
          "\"offset_max\":0,\"burst_size\":25,\"burst_window\":3600}}\n" },
        { { UINT64_MAX, UINT64_MAX, UINT64_MAX, 10, 0, 0, 0 },
          "{\"rate\":{\"reset\":\"n/a\",\"limit\":\"unlimited\",\"remaining\":\"n/a\",\"results_max\":10,"
          "\"offset_max\":0,\"burst_size\":0,\"burst_window\":0}}\n" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct td_json j;
        td_json_init(&j);
        td_qout_rate_limit(&j, &cases[i].v);
        CHECK_STR(j.buf, cases[i].want);
        td_json_free(&j);
    }
}

int main(void)
{
    TT_RUN(test_v2_lookup);
    TT_RUN(test_v1_and_circl);
    TT_RUN(test_unprintable);
    TT_RUN(test_summary);
    TT_RUN(test_rate_limit);
    return tt_finish();
}
