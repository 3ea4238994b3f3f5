/* bench_capture: DNS frames per second on one core through the capture path, from a capture
 * held in memory, with baselines measured in the same run:
 *   memcpy      copy of the same frame bytes (the floor of any per-frame work)
 *   zstd        raw ZSTD_compress (level 1, 1 MiB chunks) of the same DNS payloads
 *   decode      td_frame_decode only
 *   dns         decode + DNS header/question + whole-message validation
 *   core        the capture core (decode, reassembly, filters, matcher) into a null sink
 *   core+spool  the capture core into the spool writer (zstd level 1, files in BENCH_DIR)
 * Each figure is the median of R runs (default 5). Usage:
 *   bench_capture [PAIRS] [RUNS] [PCAP]   (PCAP: use a real capture, replayed PAIRS times)
 * The synthetic capture: PAIRS query/response pairs over UDP (IPv4 80 %, IPv6 20 %), 50 000
 * distinct names, 1-4 A/AAAA answers plus authority NS, random ids and ports; responses are
 * 80-300 octets, as on a resolver's upstream link. */
#include "capture.h"
#include "dns_wire.h"
#include "frame.h"
#include "pcapgen.h"
#include "spool.h"
#include "bench_util.h"
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zstd.h>

struct cap {
    uint8_t *bytes;
    size_t len, cap;
    size_t *off;
    uint32_t *flen;
    uint64_t *ts;
    size_t n, ncap;
};

static void cap_add(struct cap *c, uint64_t ts, const uint8_t *f, size_t len)
{
    if (c->len + len > c->cap) {
        c->cap = (c->cap + len) * 2;
        c->bytes = realloc(c->bytes, c->cap);
    }
    if (c->n == c->ncap) {
        c->ncap = c->ncap ? c->ncap * 2 : 1024;
        c->off = realloc(c->off, c->ncap * sizeof *c->off);
        c->flen = realloc(c->flen, c->ncap * sizeof *c->flen);
        c->ts = realloc(c->ts, c->ncap * sizeof *c->ts);
    }
    if (!c->bytes || !c->off || !c->flen || !c->ts) {
        fprintf(stderr, "out of memory\n");
        exit(1);
    }
    memcpy(c->bytes + c->len, f, len);
    c->off[c->n] = c->len;
    c->flen[c->n] = (uint32_t)len;
    c->ts[c->n] = ts;
    c->len += len;
    c->n++;
}

static uint64_t rng = 88172645463325252ull;
static uint32_t rnd(void) { return (uint32_t)bench_xorshift(&rng); }

/* text -> wire with the library's parser ("" is the root); names here are always valid */
static size_t put_name(uint8_t *p, const char *name)
{
    int n = td_dns_name_from_text(*name ? name : ".", p, TD_DNS_NAME_MAX);
    return n > 0 ? (size_t)n : 0;
}

/* A response: question, `an` A/AAAA answers (pointer to the qname), one NS in authority. */
static size_t make_msg(uint8_t *m, uint16_t id, int response, const char *qname, uint16_t qtype, int an)
{
    memset(m, 0, 12);
    m[0] = (uint8_t)(id >> 8); m[1] = (uint8_t)id;
    m[2] = response ? 0x84 : 0x00;
    m[5] = 1;
    size_t n = 12 + put_name(m + 12, qname);
    m[n++] = 0; m[n++] = (uint8_t)qtype; m[n++] = 0; m[n++] = 1;
    if (!response)
        return n;
    m[7] = (uint8_t)an;
    m[9] = 1;
    size_t rdl = qtype == 28 ? 16 : 4;
    for (int i = 0; i < an; i++) {
        m[n++] = 0xc0; m[n++] = 12;
        m[n++] = 0; m[n++] = (uint8_t)qtype; m[n++] = 0; m[n++] = 1;
        m[n++] = 0; m[n++] = 0; m[n++] = 0x0e; m[n++] = 0x10;
        m[n++] = 0; m[n++] = (uint8_t)rdl;
        for (size_t k = 0; k < rdl; k++)
            m[n++] = (uint8_t)rnd();
    }
    /* authority: <zone> NS ns1.<zone>, zone = qname minus its first label */
    size_t zone_off = 12 + 1 + m[12];
    m[n++] = (uint8_t)(0xc0 | (zone_off >> 8)); m[n++] = (uint8_t)zone_off;
    m[n++] = 0; m[n++] = 2; m[n++] = 0; m[n++] = 1;
    m[n++] = 0; m[n++] = 1; m[n++] = 0x51; m[n++] = 0x80;
    m[n++] = 0; m[n++] = 6;
    m[n++] = 3; m[n++] = 'n'; m[n++] = 's'; m[n++] = '1';
    m[n++] = (uint8_t)(0xc0 | (zone_off >> 8)); m[n++] = (uint8_t)zone_off;
    return n;
}

static void synth(struct cap *c, size_t pairs)
{
    static const char *tlds[] = { "com", "net", "org", "de", "nl", "io" };
    uint8_t q[512], r[1024], frame[2048];
    uint64_t ts = 1700000000ull * 1000000000ull;
    for (size_t i = 0; i < pairs; i++) {
        char name[128];
        uint32_t dom = rnd() % 50000;
        snprintf(name, sizeof name, "%s.d%u-%u.%s", (rnd() & 3) ? "www" : "mail", dom, dom * 7919u % 1000u,
                 tlds[dom % 6]);
        int v6 = rnd() % 5 == 0;
        uint16_t qtype = (rnd() % 4 == 0) ? 28 : 1;
        uint16_t id = (uint16_t)rnd(), port = (uint16_t)(1024 + rnd() % 60000);
        size_t ql = make_msg(q, id, 0, name, qtype, 0);
        size_t rl = make_msg(r, id, 1, name, qtype, 1 + (int)(rnd() % 4));
        struct pg_pkt p;
        memset(&p, 0, sizeof p);
        p.ip_version = v6 ? 6 : 4;
        p.proto = 17;
        p.src = v6 ? "2001:db8::1" : "10.0.0.1";
        p.dst = v6 ? "2001:db8:53::35" : "192.0.2.53";
        p.sport = port;
        p.dport = 53;
        p.payload = q;
        p.payload_len = ql;
        size_t n = pg_build(&p, frame, sizeof frame);
        cap_add(c, ts, frame, n);
        ts += 1000;
        p.src = v6 ? "2001:db8:53::35" : "192.0.2.53";
        p.dst = v6 ? "2001:db8::1" : "10.0.0.1";
        p.sport = 53;
        p.dport = port;
        p.payload = r;
        p.payload_len = rl;
        n = pg_build(&p, frame, sizeof frame);
        cap_add(c, ts, frame, n);
        ts += 1000;
    }
}

/* Replays a real capture `times` times, shifting time so the matcher sees fresh traffic. */
static int load_pcap(struct cap *c, const char *path, size_t times)
{
    char err[PCAP_ERRBUF_SIZE];
    uint64_t shift = 0, last = 0;
    for (size_t t = 0; t < times; t++) {
        pcap_t *p = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO, err);
        if (!p) {
            fprintf(stderr, "%s: %s\n", path, err);
            return -1;
        }
        if (pcap_datalink(p) != DLT_EN10MB) {
            fprintf(stderr, "%s: need an Ethernet capture\n", path);
            pcap_close(p);
            return -1;
        }
        struct pcap_pkthdr *h;
        const u_char *d;
        while (pcap_next_ex(p, &h, &d) == 1) {
            uint64_t ts = (uint64_t)h->ts.tv_sec * 1000000000ull + (uint64_t)h->ts.tv_usec + shift;
            cap_add(c, ts, d, h->caplen);
            last = ts;
        }
        pcap_close(p);
        shift = last + 120ull * 1000000000ull - (c->ts[0]);
    }
    return 0;
}

static volatile uint64_t sink_bytes;
static int null_sink(void *ctx, const struct td_record *rec)
{
    (void)ctx;
    sink_bytes += rec->response_len + rec->query_len;
    return 0;
}

struct spool_ctx {
    struct td_spool_writer *w;
    uint64_t now;
};
static int spool_sink(void *ctx, const struct td_record *rec)
{
    struct spool_ctx *s = ctx;
    const char *err;
    return td_spool_write(s->w, rec, rec->response_ts_ns ? rec->response_ts_ns : rec->query_ts_ns, &err);
}

enum stage { ST_MEMCPY, ST_ZSTD, ST_DECODE, ST_DNS, ST_CORE, ST_SPOOL, ST__N };
static const char *stage_name[ST__N] = { "memcpy (baseline)", "raw zstd -1 (baseline)", "decode",
                                         "decode+dns", "core", "core+spool" };

static const char *bench_dir;
static uint8_t *payloads;
static size_t payloads_len;

static double run_stage(enum stage st, const struct cap *c)
{
    double t0 = bench_now();
    switch (st) {
    case ST_MEMCPY: {
        static uint8_t buf[65536];
        for (size_t i = 0; i < c->n; i++)
            memcpy(buf, c->bytes + c->off[i], c->flen[i]);
        sink_bytes += buf[0];
        break;
    }
    case ST_ZSTD: {
        size_t chunk = 1u << 20;
        size_t bound = ZSTD_compressBound(chunk);
        uint8_t *out = malloc(bound);
        ZSTD_CCtx *cc = ZSTD_createCCtx();
        for (size_t o = 0; o < payloads_len; o += chunk) {
            size_t l = payloads_len - o < chunk ? payloads_len - o : chunk;
            sink_bytes += ZSTD_compressCCtx(cc, out, bound, payloads + o, l, 1);
        }
        ZSTD_freeCCtx(cc);
        free(out);
        break;
    }
    case ST_DECODE:
    case ST_DNS: {
        for (size_t i = 0; i < c->n; i++) {
            const uint8_t *d = c->bytes + c->off[i];
            struct td_frame f;
            if (td_frame_decode(d, d + c->flen[i], &f) != TD_FRAME_OK)
                continue;
            if (st == ST_DNS) {
                struct td_dns_question q;
                const uint8_t *m = d + f.payload_off;
                if (td_dns_parse_question(m, f.payload_len, &q, NULL) == TD_DNS_OK && (m[2] & 0x80))
                    sink_bytes += td_dns_validate(m, f.payload_len);
            }
            sink_bytes += f.payload_len;
        }
        break;
    }
    case ST_CORE:
    case ST_SPOOL: {
        struct td_capture_opts o;
        td_capture_opts_default(&o);
        struct spool_ctx sc = { 0 };
        const char *err;
        char dir[4096];
        snprintf(dir, sizeof dir, "%s/run.XXXXXX", bench_dir);
        if (st == ST_SPOOL && !mkdtemp(dir)) {
            perror("mkdtemp");
            exit(1);
        }
        if (st == ST_SPOOL) {
            struct td_spool_writer_opts wo = { .dir = dir, .sensor = "bench", .writer_id = 0,
                                               .frame_seconds = 10, .frame_bytes = 1u << 20,
                                               .zstd_level = 1, .no_fsync = 1 };
            sc.w = td_spool_writer_init(&wo, &err);
            if (!sc.w) {
                fprintf(stderr, "spool writer: %s\n", err);
                exit(1);
            }
        }
        struct td_capture *cap = td_capture_init(&o, st == ST_SPOOL ? spool_sink : null_sink, &sc);
        t0 = bench_now(); /* table allocation at start-up is not per-frame work */
        for (size_t i = 0; i < c->n; i++)
            td_capture_frame(cap, c->ts[i], TD_LINK_ETHERNET, c->bytes + c->off[i], c->flen[i], c->flen[i]);
        td_capture_finish(cap);
        if (sc.w)
            td_spool_writer_destroy(&sc.w, &err);
        double t1 = bench_now();
        if (st == ST_SPOOL) {
            char cmd[4200];
            snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
            if (system(cmd) != 0)
                fprintf(stderr, "could not remove %s\n", dir);
        }
        if (st == ST_CORE && getenv("BENCH_VERBOSE")) {
            const struct td_capture_stats *s = td_capture_stats(cap);
            fprintf(stderr, "matched %llu unsolicited %llu\n", (unsigned long long)s->records_matched,
                    (unsigned long long)s->records_unsolicited);
        }
        td_capture_destroy(&cap);
        return t1 - t0;
    }
    default:
        break;
    }
    return bench_now() - t0;
}

int main(int argc, char **argv)
{
    size_t pairs = argc > 1 ? strtoul(argv[1], NULL, 10) : 1000000;
    int runs = argc > 2 ? atoi(argv[2]) : 5;
    const char *pcap = argc > 3 ? argv[3] : NULL;
    bench_dir = getenv("BENCH_DIR") ? getenv("BENCH_DIR") : "/tmp";
    if (runs < 1)
        runs = 1;
    struct cap c = { 0 };
    if (pcap) {
        if (load_pcap(&c, pcap, pairs) != 0)
            return 1;
    } else {
        synth(&c, pairs);
    }
    /* the DNS payloads, for the raw zstd baseline */
    payloads = malloc(c.len);
    for (size_t i = 0; i < c.n; i++) {
        const uint8_t *d = c.bytes + c.off[i];
        struct td_frame f;
        if (td_frame_decode(d, d + c.flen[i], &f) == TD_FRAME_OK) {
            memcpy(payloads + payloads_len, d + f.payload_off, f.payload_len);
            payloads_len += f.payload_len;
        }
    }
    printf("capture: %zu frames, %zu octets (%.0f per frame), %zu DNS payload octets\n", c.n, c.len,
           (double)c.len / (double)c.n, payloads_len);
    printf("%-24s %14s %12s %10s\n", "stage", "frames/s", "ns/frame", "x memcpy");
    double med[ST__N];
    const char *only = getenv("BENCH_ONLY"); /* e.g. "core+spool": profile one stage */
    for (int st = 0; st < ST__N; st++) {
        if (only && strcmp(only, stage_name[st]) != 0 && st != ST_MEMCPY)
            continue;
        double t[64];
        int nr = runs > 64 ? 64 : runs;
        for (int r = 0; r < nr; r++)
            t[r] = run_stage((enum stage)st, &c);
        qsort(t, (size_t)nr, sizeof t[0], bench_cmp_double);
        med[st] = t[nr / 2];
        printf("%-24s %14.0f %12.1f %10.1f\n", stage_name[st], (double)c.n / med[st], med[st] * 1e9 / (double)c.n,
               med[st] / med[ST_MEMCPY]);
        fflush(stdout);
    }
    if (only)
        return 0;
    printf("core+spool end to end: %.2f M frames/s per core; spool costs %.0f ns/frame over the core;\n"
           "  raw zstd of the payloads alone: %.0f ns/frame (%.0f MB/s)\n",
           (double)c.n / med[ST_SPOOL] / 1e6, (med[ST_SPOOL] - med[ST_CORE]) * 1e9 / (double)c.n,
           med[ST_ZSTD] * 1e9 / (double)c.n, (double)payloads_len / med[ST_ZSTD] / 1e6);
    free(payloads);
    free(c.bytes);
    free(c.off);
    free(c.flen);
    free(c.ts);
    return 0;
}
