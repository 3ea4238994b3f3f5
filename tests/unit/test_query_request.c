/* test_query_request: the request parser (query/request.h) on a table of paths and query
 * strings: every path form and parameter, the requests dnsdbq 2.6.8 sends (REFERENCE.md 2),
 * v1 and CIRCL paths, and the errors (400 vs 404 and their reasons). Each parsed request is
 * printed in one canonical line and compared exactly. */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "dns_wire.h"
#include "request.h"
#include "tt.h"

#define NOW 1800000000u

static const char *kind_name(enum td_index_qkind k)
{
    switch (k) {
    case TD_IQ_RRSET: return "rrset";
    case TD_IQ_RRSET_BELOW: return "rrset-below";
    case TD_IQ_RRSET_ABOVE: return "rrset-above";
    case TD_IQ_RDATA_NAME: return "rdata-name";
    case TD_IQ_RDATA_NAME_BELOW: return "rdata-name-below";
    case TD_IQ_RDATA_NAME_ABOVE: return "rdata-name-above";
    case TD_IQ_RDATA_IP: return "rdata-ip";
    case TD_IQ_RDATA_RAW: return "rdata-raw";
    }
    return "?";
}

static void add(char *out, size_t cap, const char *fmt, const char *a)
{
    size_t n = strlen(out);
    snprintf(out + n, cap - n, fmt, a);
}

static void addu(char *out, size_t cap, const char *key, unsigned long long v)
{
    size_t n = strlen(out);
    snprintf(out + n, cap - n, " %s=%llu", key, v);
}

/* One line naming everything the parser set. */
static void describe(const struct td_qrequest *r, char *out, size_t cap)
{
    static const char *const api[] = { "?", "v2", "v1", "circl" };
    static const char *const verb[] = { "?", "lookup", "summarize", "rate_limit", "ping" };
    char t[1100];
    snprintf(out, cap, "%s %s", api[r->api], verb[r->verb]);
    if (r->verb == TD_QVERB_LOOKUP || r->verb == TD_QVERB_SUMMARIZE) {
        const struct td_index_query *q = &r->q;
        add(out, cap, " %s", kind_name(q->kind));
        if (q->kind == TD_IQ_RDATA_IP) {
            char lo[64], hi[64];
            inet_ntop(q->ip_len == 4 ? AF_INET : AF_INET6, q->ip_lo, lo, sizeof lo);
            inet_ntop(q->ip_len == 4 ? AF_INET : AF_INET6, q->ip_hi, hi, sizeof hi);
            add(out, cap, " %s", lo);
            if (q->ip_prefix)
                addu(out, cap, "pfx", q->ip_prefix);
            else if (memcmp(q->ip_lo, q->ip_hi, q->ip_len))
                add(out, cap, "-%s", hi);
        } else if (q->kind == TD_IQ_RDATA_RAW) {
            add(out, cap, " %s", "raw:");
            for (size_t i = 0; i < q->raw_len; i++) {
                char h[3];
                snprintf(h, sizeof h, "%02x", q->raw[i]);
                add(out, cap, "%s", h);
            }
        } else {
            if (td_dns_name_to_text(q->name, q->name_len, t, sizeof t) < 0)
                snprintf(t, sizeof t, "BADNAME");
            add(out, cap, " %s", t);
        }
        if (q->rrtype == -1)
            add(out, cap, " %s", "ANY");
        else if (q->rrtype == -2)
            add(out, cap, " %s", "ANY-DNSSEC");
        else {
            td_dns_type_to_text((uint16_t)q->rrtype, t, sizeof t);
            add(out, cap, " %s", t);
        }
        if (q->bailiwick) {
            td_dns_name_to_text(q->bailiwick, q->bailiwick_len, t, sizeof t);
            add(out, cap, " bw=%s", t);
        }
        if (q->one_label)
            add(out, cap, "%s", " one");
        if (r->rdata)
            add(out, cap, "%s", " rd");
        if (q->gravel)
            add(out, cap, "%s", " gravel");
        if (q->time_first_before)
            addu(out, cap, "tfb", q->time_first_before);
        if (q->time_first_after)
            addu(out, cap, "tfa", q->time_first_after);
        if (q->time_last_before)
            addu(out, cap, "tlb", q->time_last_before);
        if (q->time_last_after)
            addu(out, cap, "tla", q->time_last_after);
    }
    if (r->has_limit)
        addu(out, cap, "limit", r->limit);
    if (r->offset)
        addu(out, cap, "offset", r->offset);
    if (r->max_count)
        addu(out, cap, "max_count", r->max_count);
    if (r->humantime)
        add(out, cap, "%s", " human");
    if (!r->aggr)
        add(out, cap, "%s", " noaggr");
    if (r->swclient[0])
        add(out, cap, " sw=%s", r->swclient);
    if (r->version[0])
        add(out, cap, " ver=%s", r->version);
    if (r->id[0])
        add(out, cap, " id=%s", r->id);
}

struct rcase {
    const char *path, *query;
    int status;
    const char *want; /* describe() for 0, the reason for errors */
};

#define DQ "swclient=dnsdbq&version=2.6.8"

static const struct rcase rcases[] = {
    /* ---- v2 rrset/name */
    { "/dnsdb/v2/lookup/rrset/name/www.example.com", NULL, 0, "v2 lookup rrset www.example.com. ANY" },
    { "/dnsdb/v2/lookup/rrset/name/www.example.com.", NULL, 0, "v2 lookup rrset www.example.com. ANY" },
    { "/dnsdb/v2/lookup/rrset/name/WWW.Example.COM/a", NULL, 0, "v2 lookup rrset www.example.com. A" },
    { "/dnsdb/v2/lookup/rrset/name/www.example.com/AAAA", "", 0, "v2 lookup rrset www.example.com. AAAA" },
    { "/dnsdb/v2/lookup/rrset/name/example.com/NS/com", NULL, 0, "v2 lookup rrset example.com. NS bw=com." },
    { "/dnsdb/v2/lookup/rrset/name/example.com/ANY/COM.", NULL, 0, "v2 lookup rrset example.com. ANY bw=com." },
    { "/dnsdb/v2/lookup/rrset/name/example.com/ANY-DNSSEC", NULL, 0, "v2 lookup rrset example.com. ANY-DNSSEC" },
    { "/dnsdb/v2/lookup/rrset/name/example.com/any-dnssec/example.com", NULL, 0,
      "v2 lookup rrset example.com. ANY-DNSSEC bw=example.com." },
    { "/dnsdb/v2/lookup/rrset/name/example.com/TYPE65280", NULL, 0, "v2 lookup rrset example.com. TYPE65280" },
    { "/dnsdb/v2/lookup/rrset/name/example.com/type1", NULL, 0, "v2 lookup rrset example.com. A" },
    { "/dnsdb/v2/lookup/rrset/name/example.com/DS", NULL, 0, "v2 lookup rrset example.com. DS" },
    { "/dnsdb/v2/lookup/rrset/name/.", NULL, 0, "v2 lookup rrset . ANY" },
    { "/dnsdb/v2/lookup/rrset/name/%2A.example.com/A", DQ "&limit=10", 0,
      "v2 lookup rrset-below example.com. A limit=10 sw=dnsdbq ver=2.6.8" },
    { "/dnsdb/v2/lookup/rrset/name/*.example.com", NULL, 0, "v2 lookup rrset-below example.com. ANY" },
    { "/dnsdb/v2/lookup/rrset/name/%2a.example.com.", NULL, 0, "v2 lookup rrset-below example.com. ANY" },
    { "/dnsdb/v2/lookup/rrset/name/www.example.%2A", NULL, 0, "v2 lookup rrset-above www.example. ANY" },
    { "/dnsdb/v2/lookup/rrset/name/www.example.*./CNAME", NULL, 0, "v2 lookup rrset-above www.example. CNAME" },
    { "/dnsdb/v2/lookup/rrset/name/+.example.com", NULL, 0, "v2 lookup rrset-below example.com. ANY one" },
    { "/dnsdb/v2/lookup/rrset/name/%2B.example.com", NULL, 0, "v2 lookup rrset-below example.com. ANY one" },
    { "/dnsdb/v2/lookup/rrset/name/example.+", NULL, 0, "v2 lookup rrset-above example. ANY one" },
    { "/dnsdb/v2/lookup/rrset/name/*", NULL, 0, "v2 lookup rrset-below . ANY" },
    { "/dnsdb/v2/lookup/rrset/name/*.example.com/A/example.com", NULL, 0,
      "v2 lookup rrset-below example.com. A bw=example.com." },
    { "/dnsdb/v2/lookup/rrset/name/a%2Db.example", NULL, 0, "v2 lookup rrset a-b.example. ANY" },
    { "/dnsdb/v2/lookup/rrset/name/xn--bcher-kva.example", NULL, 0, "v2 lookup rrset xn--bcher-kva.example. ANY" },
    { "/dnsdb/v2/lookup/rrset/name/_dmarc.example.com/TXT", NULL, 0, "v2 lookup rrset _dmarc.example.com. TXT" },
    { "/dnsdb/v2/summarize/rrset/name/example.com", "max_count=5000", 0,
      "v2 summarize rrset example.com. ANY max_count=5000" },
    { "/dnsdb/v2/summarize/rrset/name/*.example.com/A", DQ "&max_count=10&limit=0", 0,
      "v2 summarize rrset-below example.com. A limit=0 max_count=10 sw=dnsdbq ver=2.6.8" },
    /* ---- v2 rrset/raw */
    { "/dnsdb/v2/lookup/rrset/raw/076578616d706c6503636f6d00", NULL, 0, "v2 lookup rrset example.com. ANY" },
    { "/dnsdb/v2/lookup/rrset/raw/076578616D706C6503434F4D00/SOA", NULL, 0, "v2 lookup rrset example.com. SOA" },
    { "/dnsdb/v2/lookup/rrset/raw/00", NULL, 0, "v2 lookup rrset . ANY" },
    /* ---- v2 rdata/name */
    { "/dnsdb/v2/lookup/rdata/name/ns1.example.com", NULL, 0, "v2 lookup rdata-name ns1.example.com. ANY rd" },
    { "/dnsdb/v2/lookup/rdata/name/ns1.example.com/NS", DQ, 0,
      "v2 lookup rdata-name ns1.example.com. NS rd sw=dnsdbq ver=2.6.8" },
    { "/dnsdb/v2/lookup/rdata/name/%2A.example.com", NULL, 0, "v2 lookup rdata-name-below example.com. ANY rd" },
    { "/dnsdb/v2/lookup/rdata/name/mail.example.*/MX", NULL, 0, "v2 lookup rdata-name-above mail.example. MX rd" },
    { "/dnsdb/v2/lookup/rdata/name/+.example.com", NULL, 0, "v2 lookup rdata-name-below example.com. ANY one rd" },
    { "/dnsdb/v2/lookup/rdata/name/example.%2B", NULL, 0, "v2 lookup rdata-name-above example. ANY one rd" },
    { "/dnsdb/v2/summarize/rdata/name/ns1.example.com/NS", NULL, 0,
      "v2 summarize rdata-name ns1.example.com. NS rd" },
    /* ---- v2 rdata/ip */
    { "/dnsdb/v2/lookup/rdata/ip/10.0.0.1", DQ "&limit=10", 0,
      "v2 lookup rdata-ip 10.0.0.1 ANY rd limit=10 sw=dnsdbq ver=2.6.8" },
    { "/dnsdb/v2/lookup/rdata/ip/10.0.0.1/A", NULL, 0, "v2 lookup rdata-ip 10.0.0.1 A rd" },
    { "/dnsdb/v2/lookup/rdata/ip/10.0.0.1/ANY", NULL, 0, "v2 lookup rdata-ip 10.0.0.1 ANY rd" },
    { "/dnsdb/v2/lookup/rdata/ip/10.0.0.1,24", NULL, 0, "v2 lookup rdata-ip 10.0.0.0 pfx=24 ANY rd" },
    { "/dnsdb/v2/lookup/rdata/ip/10.1.2.3,15", NULL, 0, "v2 lookup rdata-ip 10.0.0.0 pfx=15 ANY rd" },
    { "/dnsdb/v2/lookup/rdata/ip/10.1.2.3,32", NULL, 0, "v2 lookup rdata-ip 10.1.2.3 pfx=32 ANY rd" },
    { "/dnsdb/v2/lookup/rdata/ip/10.1.2.3%2C8", NULL, 0, "v2 lookup rdata-ip 10.0.0.0 pfx=8 ANY rd" },
    { "/dnsdb/v2/lookup/rdata/ip/0.0.0.0,0", NULL, 0, "v2 lookup rdata-ip 0.0.0.0-255.255.255.255 ANY rd" },
    { "/dnsdb/v2/lookup/rdata/ip/10.0.0.1-10.0.0.9", DQ, 0,
      "v2 lookup rdata-ip 10.0.0.1-10.0.0.9 ANY rd sw=dnsdbq ver=2.6.8" },
    { "/dnsdb/v2/lookup/rdata/ip/10.0.0.5-10.0.0.5", NULL, 0, "v2 lookup rdata-ip 10.0.0.5 ANY rd" },
    { "/dnsdb/v2/lookup/rdata/ip/2001%3Adb8%3A%3A,32", DQ, 0,
      "v2 lookup rdata-ip 2001:db8:: pfx=32 ANY rd sw=dnsdbq ver=2.6.8" },
    { "/dnsdb/v2/lookup/rdata/ip/2001%3adb8%3a%3a1/AAAA", NULL, 0, "v2 lookup rdata-ip 2001:db8::1 AAAA rd" },
    { "/dnsdb/v2/lookup/rdata/ip/2001:db8::1", NULL, 0, "v2 lookup rdata-ip 2001:db8::1 ANY rd" },
    { "/dnsdb/v2/lookup/rdata/ip/2001%3Adb8%3A%3A1-2001%3Adb8%3A%3Aff", NULL, 0,
      "v2 lookup rdata-ip 2001:db8::1-2001:db8::ff ANY rd" },
    { "/dnsdb/v2/lookup/rdata/ip/2001%3Adb8%3A%3A,128", NULL, 0, "v2 lookup rdata-ip 2001:db8:: pfx=128 ANY rd" },
    { "/dnsdb/v2/lookup/rdata/ip/%3A%3Affff%3A10.0.0.1", NULL, 0, "v2 lookup rdata-ip ::ffff:10.0.0.1 ANY rd" },
    { "/dnsdb/v2/summarize/rdata/ip/10.0.0.0,8", "max_count=1", 0,
      "v2 summarize rdata-ip 10.0.0.0 pfx=8 ANY rd max_count=1" },
    /* ---- v2 rdata/raw */
    { "/dnsdb/v2/lookup/rdata/raw/0a000001", NULL, 0, "v2 lookup rdata-raw raw:0a000001 ANY rd" },
    { "/dnsdb/v2/lookup/rdata/raw/0A000001/A", NULL, 0, "v2 lookup rdata-raw raw:0a000001 A rd" },
    { "/dnsdb/v2/lookup/rdata/raw/0568656c6c6f/TXT", NULL, 0, "v2 lookup rdata-raw raw:0568656c6c6f TXT rd" },
    /* ---- v2 rate_limit, ping */
    { "/dnsdb/v2/rate_limit", NULL, 0, "v2 rate_limit" },
    { "/dnsdb/v2/rate_limit", DQ, 0, "v2 rate_limit sw=dnsdbq ver=2.6.8" },
    { "/dnsdb/v2/ping", NULL, 0, "v2 ping" },
    /* ---- the dnsdbq 2.6.8 query strings (order: swclient, version, aggr, offset, max_count, limit, fences) */
    { "/dnsdb/v2/lookup/rrset/name/example.com", DQ "&aggr=f&offset=20&limit=0", 0,
      "v2 lookup rrset example.com. ANY gravel limit=0 offset=20 noaggr sw=dnsdbq ver=2.6.8" },
    { "/dnsdb/v2/lookup/rrset/name/example.com", DQ "&limit=100&time_first_after=1700000000&time_last_before=1800000000",
      0, "v2 lookup rrset example.com. ANY tfa=1700000000 tlb=1800000000 limit=100 sw=dnsdbq ver=2.6.8" },
    { "/dnsdb/v2/lookup/rrset/name/example.com", DQ "&time_first_before=1700000000&time_last_after=1600000000", 0,
      "v2 lookup rrset example.com. ANY tfb=1700000000 tla=1600000000 sw=dnsdbq ver=2.6.8" },
    { "/dnsdb/v2/lookup/rrset/name/example.com", "time_last_after=-86400", 0,
      "v2 lookup rrset example.com. ANY tla=1799913600" },
    { "/dnsdb/v2/lookup/rrset/name/example.com", "time_first_before=-0", 0,
      "v2 lookup rrset example.com. ANY tfb=1800000000" },
    { "/dnsdb/v2/lookup/rrset/name/example.com", "time_last_before=4294967295", 0,
      "v2 lookup rrset example.com. ANY tlb=4294967295" },
    /* ---- other parameters and spellings */
    { "/dnsdb/v2/lookup/rrset/name/example.com", "aggr=true&humantime=TRUE", 0,
      "v2 lookup rrset example.com. ANY human" },
    { "/dnsdb/v2/lookup/rrset/name/example.com", "aggr=false&humantime=0", 0,
      "v2 lookup rrset example.com. ANY gravel noaggr" },
    { "/dnsdb/v2/lookup/rrset/name/example.com", "aggr=1&humantime=t", 0, "v2 lookup rrset example.com. ANY human" },
    { "/dnsdb/v2/lookup/rrset/name/example.com", "aggr=F", 0, "v2 lookup rrset example.com. ANY gravel noaggr" },
    { "/dnsdb/v2/lookup/rrset/name/example.com", "id=abc:123&swclient=go1&version=1.2-rc_3", 0,
      "v2 lookup rrset example.com. ANY sw=go1 ver=1.2-rc_3 id=abc:123" },
    { "/dnsdb/v2/lookup/rrset/name/example.com", "limit=18446744073709551615", 0,
      "v2 lookup rrset example.com. ANY limit=18446744073709551615" },
    { "/dnsdb/v2/lookup/rrset/name/example.com", "limit=5&", 0, "v2 lookup rrset example.com. ANY limit=5" },
    { "/dnsdb/v2/lookup/rrset/name/example.com", "%6Cimit=7", 0, "v2 lookup rrset example.com. ANY limit=7" },
    /* ---- v1 */
    { "/lookup/rrset/name/www.example.com/A", "limit=10", 0, "v1 lookup rrset www.example.com. A limit=10" },
    { "/lookup/rrset/name/%2A.example.com/A", DQ "&limit=10", 0,
      "v1 lookup rrset-below example.com. A limit=10 sw=dnsdbq ver=2.6.8" },
    { "/lookup/rdata/ip/10.0.0.1,24", NULL, 0, "v1 lookup rdata-ip 10.0.0.0 pfx=24 ANY rd" },
    { "/lookup/rdata/name/ns1.example.com", NULL, 0, "v1 lookup rdata-name ns1.example.com. ANY rd" },
    { "/lookup/rrset/raw/076578616d706c6503636f6d00", NULL, 0, "v1 lookup rrset example.com. ANY" },
    { "/summarize/rrset/name/example.com", NULL, 0, "v1 summarize rrset example.com. ANY" },
    { "/lookup/rate_limit", NULL, 0, "v1 rate_limit" },
    /* ---- CIRCL */
    { "/pdns/query/www.example.com", NULL, 0, "circl lookup rrset www.example.com. ANY" },
    { "/pdns/query/10.0.0.1", NULL, 0, "circl lookup rdata-ip 10.0.0.1 ANY rd" },
    { "/pdns/query/10.1.2.0,24", NULL, 0, "circl lookup rdata-ip 10.1.2.0 pfx=24 ANY rd" },
    { "/pdns/query/2001%3Adb8%3A%3A1", NULL, 0, "circl lookup rdata-ip 2001:db8::1 ANY rd" },
    { "/pdns/query/*.example.com", NULL, 0, "circl lookup rrset-below example.com. ANY" },

    /* ---- 404: unknown paths */
    { "/", NULL, 404, "unknown path" },
    { "/dnsdb", NULL, 404, "unknown path" },
    { "/dnsdb/v2", NULL, 404, "unknown path" },
    { "/dnsdb/v3/lookup/rrset/name/x", NULL, 404, "unknown path" },
    { "/dnsdb/v2/search/rrset/name/x", NULL, 404, "unknown path" },
    { "/dnsdb/v2/lookup/rrset/ip/10.0.0.1", NULL, 404,
      "unknown path: expected rrset/name, rrset/raw, rdata/name, rdata/ip or rdata/raw" },
    { "/dnsdb/v2/lookup/rrset", NULL, 404,
      "unknown path: expected rrset/name, rrset/raw, rdata/name, rdata/ip or rdata/raw" },
    { "/dnsdb/v2/lookup/RRSET/name/x", NULL, 404,
      "unknown path: expected rrset/name, rrset/raw, rdata/name, rdata/ip or rdata/raw" },
    { "/dnsdb/v2/lookup/rate_limit", NULL, 404,
      "unknown path: expected rrset/name, rrset/raw, rdata/name, rdata/ip or rdata/raw" },
    { "/dnsdb/v2/rate_limit/x", NULL, 404, "unknown path" },
    { "/lookup/ping", NULL, 404, "unknown path: expected rrset/name, rrset/raw, rdata/name, rdata/ip or rdata/raw" },
    { "/summarize/rate_limit", NULL, 404,
      "unknown path: expected rrset/name, rrset/raw, rdata/name, rdata/ip or rdata/raw" },
    { "/pdns", NULL, 404, "unknown path" },
    { "/metrics", NULL, 404, "unknown path" },
    { "//dnsdb/v2/ping", NULL, 404, "unknown path" },
    /* ---- 400: malformed paths */
    { "dnsdb/v2/ping", NULL, 400, "path must start with '/'" },
    { "", NULL, 400, "path must start with '/'" },
    { "/dnsdb/v2/ping/", NULL, 400, "trailing '/' in path" },
    { "/dnsdb/v2/lookup/rrset/name/x/", NULL, 400, "trailing '/' in path" },
    { "/dnsdb/v2/lookup/rrset/name", NULL, 400, "missing value in path" },
    { "/dnsdb/v2/lookup/rrset/name//A", NULL, 400, "empty value in path" },
    { "/dnsdb/v2/lookup/rrset/name/x/A//", NULL, 400, "trailing '/' in path" },
    { "/dnsdb/v2/lookup/rrset/name/x//com", NULL, 400, "empty rrtype in path" },
    { "/dnsdb/v2/lookup/rrset/name/x/A/com/more", NULL, 400,
      "too many path segments (VALUE/TYPE/BAILIWICK at most)" },
    { "/dnsdb/v2/lookup/rdata/name/x/NS/com", NULL, 400, "too many path segments (VALUE/TYPE at most)" },
    { "/dnsdb/v2/lookup/rrset/raw/076578616d706c6503636f6d00/A/com", NULL, 400,
      "too many path segments (VALUE/TYPE at most)" },
    { "/a/b/c/d/e/f/g/h/i/j/k/l/m", NULL, 400, "too many path segments" },
    { "/dnsdb/v2/lookup/rrset/name/www.example.com/BOGUS", NULL, 400, "bad rrtype 'BOGUS'" },
    { "/dnsdb/v2/lookup/rrset/name/www.example.com/TYPE65536", NULL, 400, "bad rrtype 'TYPE65536'" },
    { "/dnsdb/v2/lookup/rrset/name/www.example.com/A%0A", NULL, 400, "bad rrtype 'A?'" },
    { "/dnsdb/v2/lookup/rrset/name/a%2Fb.example", NULL, 400, "bad name 'a/b.example'" },
    { "/dnsdb/v2/lookup/rrset/name/a..b", NULL, 400, "bad name 'a..b'" },
    { "/dnsdb/v2/lookup/rrset/name/a%ZZb", NULL, 400, "bad percent-encoding or too long: value 'a%ZZb'" },
    { "/dnsdb/v2/lookup/rrset/name/ab%2", NULL, 400, "bad percent-encoding or too long: value 'ab%2'" },
    { "/dnsdb/v2/lookup/rrset/name/a%00b", NULL, 400, "bad percent-encoding or too long: value 'a%00b'" },
    { "/dnsdb/v2/lookup/rrset/name/"
      "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.example", NULL, 400,
      "bad name 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...'" },
    { "/dnsdb/v2/lookup/rrset/name/www.*.example", NULL, 400,
      "bad wildcard in name 'www.*.example' (one '*' or '+' label, at one end)" },
    { "/dnsdb/v2/lookup/rrset/name/*.example.*", NULL, 400,
      "bad wildcard in name '*.example.*' (one '*' or '+' label, at one end)" },
    { "/dnsdb/v2/lookup/rrset/name/*.*.example", NULL, 400,
      "bad wildcard in name '*.*.example' (one '*' or '+' label, at one end)" },
    { "/dnsdb/v2/lookup/rrset/name/example.com/A/*.com", NULL, 400,
      "bad wildcard in bailiwick '*.com' (one '*' or '+' label, at one end)" },
    { "/dnsdb/v2/lookup/rrset/name/example.com/A/a..b", NULL, 400, "bad bailiwick 'a..b'" },
    { "/dnsdb/v2/lookup/rrset/raw/0765", NULL, 400, "bad raw value: not one uncompressed wire-format name" },
    { "/dnsdb/v2/lookup/rrset/raw/c00c", NULL, 400, "bad raw value: not one uncompressed wire-format name" },
    { "/dnsdb/v2/lookup/rrset/raw/076578616d706c650", NULL, 400,
      "bad raw value: need an even count of hex digits, at most 255 octets" },
    { "/dnsdb/v2/lookup/rdata/raw/0a00000g", NULL, 400, "bad raw value '0a00000g': not hex" },
    { "/dnsdb/v2/lookup/rdata/raw/abc", NULL, 400,
      "bad raw value: need an even count of hex digits, at most 4096 octets" },
    { "/dnsdb/v2/lookup/rdata/ip/10.0.0.1/AAAA", NULL, 400, "rdata/ip takes rrtype A or ANY only" },
    { "/dnsdb/v2/lookup/rdata/ip/2001%3Adb8%3A%3A1/A", NULL, 400, "rdata/ip takes rrtype AAAA or ANY only" },
    { "/dnsdb/v2/lookup/rdata/ip/10.0.0.1/MX", NULL, 400, "rdata/ip takes rrtype A or ANY only" },
    { "/dnsdb/v2/lookup/rdata/ip/10.0.0.1/ANY-DNSSEC", NULL, 400, "rdata/ip takes rrtype A or ANY only" },
    { "/dnsdb/v2/lookup/rdata/ip/10.0.0.256", NULL, 400, "bad address '10.0.0.256'" },
    { "/dnsdb/v2/lookup/rdata/ip/www.example.com", NULL, 400, "bad address 'www.example.com'" },
    { "/dnsdb/v2/lookup/rdata/ip/10.0.0.0,33", NULL, 400, "bad prefix length in '10.0.0.0,33'" },
    { "/dnsdb/v2/lookup/rdata/ip/10.0.0.0,", NULL, 400, "bad prefix length in '10.0.0.0,'" },
    { "/dnsdb/v2/lookup/rdata/ip/10.0.0.0,-1", NULL, 400, "bad address '10.0.0.0,-1'" },
    { "/dnsdb/v2/lookup/rdata/ip/10.0.0.0,2x", NULL, 400, "bad prefix length in '10.0.0.0,2x'" },
    { "/dnsdb/v2/lookup/rdata/ip/2001%3Adb8%3A%3A,129", NULL, 400, "bad prefix length in '2001:db8::,129'" },
    { "/dnsdb/v2/lookup/rdata/ip/10.0.0.0%2F24", NULL, 400, "bad address '10.0.0.0/24'" },
    { "/dnsdb/v2/lookup/rdata/ip/10.0.0.9-10.0.0.1", NULL, 400,
      "bad address range '10.0.0.9-10.0.0.1' (low above high)" },
    { "/dnsdb/v2/lookup/rdata/ip/10.0.0.1-2001%3Adb8%3A%3A1", NULL, 400,
      "bad address range '10.0.0.1-2001:db8::1' (two addresses of one family)" },
    { "/dnsdb/v2/lookup/rdata/ip/10.0.0.1-", NULL, 400,
      "bad address range '10.0.0.1-' (two addresses of one family)" },
    { "/pdns/query", NULL, 400, "missing value in path" },
    { "/pdns/query/10.0.0.0/24", NULL, 400, "too many path segments (/pdns/query/VALUE)" },
    { "/pdns/query/a..b", NULL, 400, "bad name 'a..b'" },
    /* ---- 400: query strings */
    { "/dnsdb/v2/lookup/rrset/name/x", "limit=-1", 400, "bad value for limit: '-1'" },
    { "/dnsdb/v2/lookup/rrset/name/x", "limit=", 400, "bad value for limit: ''" },
    { "/dnsdb/v2/lookup/rrset/name/x", "limit=1e3", 400, "bad value for limit: '1e3'" },
    { "/dnsdb/v2/lookup/rrset/name/x", "limit=18446744073709551616", 400,
      "bad value for limit: '18446744073709551616'" },
    { "/dnsdb/v2/lookup/rrset/name/x", "limit", 400, "parameter without value: 'limit'" },
    { "/dnsdb/v2/lookup/rrset/name/x", "limit=1&limit=2", 400, "repeated parameter 'limit'" },
    { "/dnsdb/v2/lookup/rrset/name/x", "Limit=1", 400, "unknown parameter 'Limit'" },
    { "/dnsdb/v2/lookup/rrset/name/x", "verbose=1", 400, "unknown parameter 'verbose'" },
    { "/dnsdb/v2/lookup/rrset/name/x", "offset=%2B5", 400, "bad value for offset: '+5'" },
    { "/dnsdb/v2/lookup/rrset/name/x", "time_first_before=4294967296", 400,
      "bad value for time_first_before: '4294967296'" },
    { "/dnsdb/v2/lookup/rrset/name/x", "time_last_after=-1800000001", 400,
      "bad value for time_last_after: '-1800000001'" },
    { "/dnsdb/v2/lookup/rrset/name/x", "time_first_after=--5", 400, "bad value for time_first_after: '--5'" },
    { "/dnsdb/v2/lookup/rrset/name/x", "time_last_before=12%2034", 400,
      "bad value for time_last_before: '12 34'" },
    { "/dnsdb/v2/lookup/rrset/name/x", "aggr=yes", 400, "bad value for aggr: 'yes'" },
    { "/dnsdb/v2/lookup/rrset/name/x", "humantime=2", 400, "bad value for humantime: '2'" },
    { "/dnsdb/v2/lookup/rrset/name/x", "max_count=x", 400, "bad value for max_count: 'x'" },
    { "/dnsdb/v2/lookup/rrset/name/x", "swclient=dnsdb-q", 400, "bad value for swclient: 'dnsdb-q'" },
    { "/dnsdb/v2/lookup/rrset/name/x", "swclient=abcdefghijklmnopqrstu", 400,
      "bad value for swclient: 'abcdefghijklmnopqrstu'" },
    { "/dnsdb/v2/lookup/rrset/name/x", "version=2.6.8%0A", 400, "bad value for version: '2.6.8?'" },
    { "/dnsdb/v2/lookup/rrset/name/x", "id=abc", 400, "bad value for id: 'abc'" },
    { "/dnsdb/v2/lookup/rrset/name/x", "id=a:b:c", 400, "bad value for id: 'a:b:c'" },
    { "/dnsdb/v2/lookup/rrset/name/x", "id=:b", 400, "bad value for id: ':b'" },
    { "/dnsdb/v2/lookup/rrset/name/x", "swclient=%ZZ", 400, "bad value for swclient: '%ZZ'" },
    { "/dnsdb/v2/ping", "verbose=1", 400, "unknown parameter 'verbose'" },
};

static void test_table(void)
{
    size_t n = sizeof rcases / sizeof rcases[0];
    CHECK(n >= 80);
    for (size_t i = 0; i < n; i++) {
        static struct td_qrequest r;
        char err[256], got[2048];
        int st = td_qrequest_parse(&r, rcases[i].path, rcases[i].query, NOW, err, sizeof err);
        if (st != rcases[i].status) {
            TT_FAIL("%s?%s: status %d (%s), expected %d", rcases[i].path, rcases[i].query ? rcases[i].query : "", st,
                    st ? err : "", rcases[i].status);
            continue;
        }
        if (st == 0)
            describe(&r, got, sizeof got);
        else
            snprintf(got, sizeof got, "%s", err);
        if (strcmp(got, rcases[i].want) != 0)
            TT_FAIL("%s?%s:\n#     got  \"%s\"\n#     want \"%s\"", rcases[i].path,
                    rcases[i].query ? rcases[i].query : "", got, rcases[i].want);
        if (st != 0 && strchr(err, '\n'))
            TT_FAIL("%s: reason has a newline", rcases[i].path);
    }
    printf("# %zu request cases\n", n);
}

/* Defaults: aggr on, humantime off, ANY type, no limit given, bailiwick NULL; pointers into r. */
static void test_defaults_and_pointers(void)
{
    static struct td_qrequest r;
    char err[128];
    CHECK_EQ(td_qrequest_parse(&r, "/dnsdb/v2/lookup/rrset/name/www.example.com", NULL, NOW, err, sizeof err), 0);
    CHECK_EQ(r.aggr, 1);
    CHECK_EQ(r.humantime, 0);
    CHECK_EQ(r.has_limit, 0);
    CHECK_EQ(r.q.gravel, 0);
    CHECK_EQ(r.q.rrtype, TD_INDEX_ANY);
    CHECK(r.q.bailiwick == NULL);
    CHECK(r.q.name == r.name_buf);
    CHECK_EQ(r.q.name_len, 17);
    CHECK_EQ(r.rdata, 0);
    CHECK_EQ(r.q.limit, 0);
    CHECK_EQ(r.q.offset, 0);
    CHECK_EQ(td_qrequest_parse(&r, "/dnsdb/v2/lookup/rrset/name/x/A/COM", NULL, NOW, err, sizeof err), 0);
    CHECK(r.q.bailiwick == r.bailiwick_buf);
    CHECK_EQ(r.q.bailiwick_len, 5);
    CHECK_MEM(r.q.bailiwick, "\3com\0", 5);
    /* a 4096-octet raw rdata is the most; 4097 is refused */
    static char path[2 * TD_QREQUEST_RAW_MAX + 64];
    int o = snprintf(path, sizeof path, "/dnsdb/v2/lookup/rdata/raw/");
    for (int i = 0; i < TD_QREQUEST_RAW_MAX; i++)
        o += snprintf(path + o, sizeof path - (size_t)o, "%02x", i & 0xff);
    CHECK_EQ(td_qrequest_parse(&r, path, NULL, NOW, err, sizeof err), 0);
    CHECK_EQ(r.q.raw_len, TD_QREQUEST_RAW_MAX);
    CHECK(r.q.raw == r.raw_buf);
    CHECK_EQ(r.q.raw[255], 255);
    snprintf(path + o, sizeof path - (size_t)o, "00");
    CHECK_EQ(td_qrequest_parse(&r, path, NULL, NOW, err, sizeof err), 400);
    /* a small err buffer is filled and NUL-ended */
    char small[8];
    CHECK_EQ(td_qrequest_parse(&r, "/nope", NULL, NOW, small, sizeof small), 404);
    CHECK_STR(small, "unknown");
}

static void test_limit(void)
{
    static const struct {
        const char *query;
        uint64_t def, rmax, omax;
        int status;
        uint64_t limit, offset;
        const char *err;
    } cases[] = {
        { NULL, 10000, 1000000, 3000000, 0, 10000, 0, "" },
        { NULL, 10000, 256, 0, 0, 256, 0, "" },
        { "limit=10", 10000, 1000000, 3000000, 0, 10, 0, "" },
        { "limit=0", 10000, 1000000, 3000000, 0, 1000000, 0, "" },
        { "limit=2000000", 10000, 1000000, 3000000, 0, 1000000, 0, "" },
        { "limit=0", 10000, UINT64_MAX, UINT64_MAX, 0, UINT64_MAX, 0, "" },
        { "offset=100", 10000, 1000000, 3000000, 0, 10000, 100, "" },
        { "offset=3000000", 10000, 1000000, 3000000, 0, 10000, 3000000, "" },
        { "offset=3000001", 10000, 1000000, 3000000, 416, 0, 0, "offset 3000001 exceeds offset_max 3000000" },
        { "offset=1", 10000, 256, 0, 416, 0, 0, "offset not permitted for this key" },
        { "offset=0", 10000, 256, 0, 0, 256, 0, "" },
        { "offset=5&limit=3", 0, 100, UINT64_MAX, 0, 3, 5, "" },
        { NULL, 0, 100, UINT64_MAX, 0, 100, 0, "" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        static struct td_qrequest r;
        char err[128] = "";
        CHECK_EQ(td_qrequest_parse(&r, "/dnsdb/v2/lookup/rrset/name/x", cases[i].query, NOW, err, sizeof err), 0);
        err[0] = 0;
        int st = td_qrequest_limit(&r, cases[i].def, cases[i].rmax, cases[i].omax, err, sizeof err);
        CHECK_EQ(st, cases[i].status);
        CHECK_STR(err, cases[i].err);
        if (st == 0) {
            CHECK(r.q.limit == cases[i].limit);
            CHECK(r.q.offset == cases[i].offset);
        }
    }
}

static void test_percent_decode(void)
{
    static const struct { const char *in; int rc; const char *out; } cases[] = {
        { "abc", 0, "abc" }, { "%2A", 0, "*" }, { "%2a%3A%3a", 0, "*::" }, { "a%20b", 0, "a b" },
        { "%25", 0, "%" }, { "%252F", 0, "%2F" }, { "+", 0, "+" }, { "", 0, "" },
        { "%", -1, "" }, { "%2", -1, "" }, { "%G0", -1, "" }, { "%0g", -1, "" }, { "%00", -1, "" },
        { "abcdefgh", -1, "" }, /* 8 octets + NUL do not fit 8 */
        { "abcdefg", 0, "abcdefg" },
        { "%41%42%43%44%45%46%47", 0, "ABCDEFG" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char out[8];
        int rc = td_qpercent_decode(cases[i].in, strlen(cases[i].in), out, sizeof out);
        CHECK_EQ(rc, cases[i].rc);
        if (rc == 0)
            CHECK_STR(out, cases[i].out);
    }
    char one[1];
    CHECK_EQ(td_qpercent_decode("", 0, one, sizeof one), 0);
    CHECK_EQ(one[0], 0);
    /* len bounds the input: an escape cut by len is bad */
    char out[8];
    CHECK_EQ(td_qpercent_decode("%2A", 2, out, sizeof out), -1);
    CHECK_EQ(td_qpercent_decode("ab%2A", 2, out, sizeof out), 0);
    CHECK_STR(out, "ab");
}

int main(void)
{
    TT_RUN(test_table);
    TT_RUN(test_defaults_and_pointers);
    TT_RUN(test_limit);
    TT_RUN(test_percent_decode);
    return tt_finish();
}
