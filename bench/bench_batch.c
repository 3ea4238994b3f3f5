/* bench_batch: responses per second per core through tapdns-batch (decompose, bailiwick
 * verification, filters, dedupe, observation files), at 1x and 10x the data, with peak memory,
 * beside a baseline measured in the same run: reading the same spool records (zstd
 * decompression + record decoding), which any batch must do.
 *   bench_batch [RESPONSES] [RUNS]      (default 200000 responses at 1x, 3 runs)
 * The data: ZONES zones d<k>.com whose servers 10.<k>.x.y are learned from a referral the
 * root server (192.0.2.1, the root hints) gives once per zone; then answers from those servers
 * for names in their zones (1-4 A records, with NS + glue in authority/additional), Zipf-like
 * repetition so dedupe merges. Each run is a fresh process (peak memory is its own). */
#include "dns_wire.h"
#include "driver.h"
#include "spool.h"
#include "bench_util.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define ZONES 2000
#define SEC 1000000000ull
#define HOUR0 474790u

static uint64_t rng = 0x9E3779B97F4A7C15ull;
static uint32_t rnd(void) { return (uint32_t)bench_xorshift(&rng); }

/* text -> wire with the library's parser ("" is the root); names here are always valid */
static size_t put_name(uint8_t *p, const char *name)
{
    int n = td_dns_name_from_text(*name ? name : ".", p, TD_DNS_NAME_MAX);
    return n > 0 ? (size_t)n : 0;
}

static size_t put_rr(uint8_t *m, size_t n, const char *owner, uint16_t type, const uint8_t *rd, size_t rdl)
{
    n += put_name(m + n, owner);
    m[n++] = (uint8_t)(type >> 8); m[n++] = (uint8_t)type; m[n++] = 0; m[n++] = 1;
    m[n++] = 0; m[n++] = 0; m[n++] = 0x0e; m[n++] = 0x10;
    m[n++] = (uint8_t)(rdl >> 8); m[n++] = (uint8_t)rdl;
    memcpy(m + n, rd, rdl);
    return n + rdl;
}

/* header + question; returns length */
static size_t msg_start(uint8_t *m, uint16_t id, int resp, const char *qname, uint16_t an, uint16_t ns, uint16_t ar)
{
    memset(m, 0, 12);
    m[0] = (uint8_t)(id >> 8); m[1] = (uint8_t)id;
    m[2] = resp ? 0x84 : 0;
    m[5] = 1;
    m[7] = (uint8_t)an; m[9] = (uint8_t)ns; m[11] = (uint8_t)ar;
    size_t n = 12 + put_name(m + 12, qname);
    m[n++] = 0; m[n++] = 1; m[n++] = 0; m[n++] = 1;
    return n;
}

static void server_addr(uint8_t a[16], int zone)
{
    memset(a, 0, 16);
    a[0] = 10; a[1] = (uint8_t)(zone >> 8); a[2] = (uint8_t)zone; a[3] = 53;
}

static void write_record(struct td_spool_writer *w, uint64_t t, const uint8_t srv[16], const uint8_t *q, size_t ql,
                         const uint8_t *r, size_t rl)
{
    struct td_record rec;
    memset(&rec, 0, sizeof rec);
    rec.type = TD_REC_MATCHED;
    rec.query_ts_ns = t - 1000;
    rec.response_ts_ns = t;
    rec.ip_version = 4;
    rec.proto = 17;
    rec.cksum = TD_CKSUM_CORRECT;
    rec.client_port = (uint16_t)(1024 + rnd() % 60000);
    rec.server_port = 53;
    rec.client_ip[0] = 10; rec.client_ip[3] = 1;
    memcpy(rec.server_ip, srv, 16);
    rec.query = q;
    rec.query_len = (uint32_t)ql;
    rec.response = r;
    rec.response_len = (uint32_t)rl;
    const char *err;
    if (td_spool_write(w, &rec, t, &err) != 0) {
        fprintf(stderr, "spool: %s\n", err);
        exit(1);
    }
}

static void make_spool(const char *dir, long responses)
{
    struct td_spool_writer_opts o = { .dir = dir, .sensor = "b", .no_fsync = 1 };
    const char *err;
    struct td_spool_writer *w = td_spool_writer_init(&o, &err);
    if (!w) {
        fprintf(stderr, "spool: %s\n", err);
        exit(1);
    }
    uint8_t q[512], r[1024], root[16] = { 192, 0, 2, 1 };
    uint64_t t = (uint64_t)HOUR0 * 3600 * SEC;
    uint64_t step = 3600 * SEC / (uint64_t)(responses / 4 + 1); /* 4 hours of data */
    int learned[ZONES] = { 0 };
    for (long i = 0; i < responses; i++, t += step) {
        /* Zipf-ish zone choice: small k far more often */
        int zone = (int)((double)ZONES * ((double)(rnd() % 1000) / 1000.0) * ((double)(rnd() % 1000) / 1000.0));
        char zname[64], qname[96], ns[96];
        snprintf(zname, sizeof zname, "d%d.com", zone);
        snprintf(ns, sizeof ns, "ns1.%s", zname);
        uint8_t srv[16], nsw[128];
        server_addr(srv, zone);
        size_t nsl = put_name(nsw, ns);
        uint16_t id = (uint16_t)rnd();
        if (!learned[zone]) { /* referral from the root: d<k>.com NS ns1.d<k>.com + glue */
            learned[zone] = 1;
            size_t ql = msg_start(q, id, 0, zname, 0, 0, 0);
            size_t n = msg_start(r, id, 1, zname, 0, 1, 1);
            r[2] = 0x80;
            n = put_rr(r, n, zname, 2, nsw, nsl);
            n = put_rr(r, n, ns, 1, srv, 4);
            write_record(w, t, root, q, ql, r, n);
            continue;
        }
        int host = (int)(rnd() % 50);
        snprintf(qname, sizeof qname, "h%d.%s", host, zname);
        int an = 1 + host % 4;
        size_t ql = msg_start(q, id, 0, qname, 0, 0, 0);
        size_t n = msg_start(r, id, 1, qname, (uint16_t)an, 1, 1);
        for (int k = 0; k < an; k++) {
            uint8_t a[4] = { 198, (uint8_t)zone, (uint8_t)host, (uint8_t)k };
            n = put_rr(r, n, qname, 1, a, 4);
        }
        n = put_rr(r, n, zname, 2, nsw, nsl);
        n = put_rr(r, n, ns, 1, srv, 4);
        write_record(w, t, srv, q, ql, r, n);
    }
    td_spool_writer_destroy(&w, &err);
}

struct result {
    double seconds;      /* wall clock */
    double cpu;          /* user + system CPU of the process */
    long peak_kb;
    uint64_t records, observations, spill_runs;
};

/* mode 0: read the spool only (baseline); 1: the batch run. In a child process. */
static struct result measure(const char *base, int mode, size_t mem_cap)
{
    int p[2];
    struct result res = { 0 };
    if (pipe(p) != 0)
        return res;
    pid_t pid = fork();
    if (pid == 0) {
        close(p[0]);
        char spool[512], out[512], state[512], hints[512], err[512];
        snprintf(spool, sizeof spool, "%.400s/spool", base);
        snprintf(out, sizeof out, "%.400s/out", base);
        snprintf(state, sizeof state, "%.400s/state", base);
        snprintf(hints, sizeof hints, "%.400s/hints", base);
        struct result r = { 0 };
        struct rusage ru0;
        getrusage(RUSAGE_SELF, &ru0);
        double t0 = bench_now();
        if (mode == 0) {
            char cmd[1024];
            snprintf(cmd, sizeof cmd, "ls %s", spool);
            FILE *ls = popen(cmd, "r");
            char name[256];
            while (ls && fgets(name, sizeof name, ls)) {
                name[strcspn(name, "\n")] = 0;
                char path[1024];
                snprintf(path, sizeof path, "%s/%s", spool, name);
                const char *e;
                struct td_spool_reader *rd = td_spool_reader_open(path, &e);
                struct td_record rec;
                while (rd && td_spool_read(rd, &rec) == TD_SPOOL_RECORD)
                    r.records++;
                td_spool_reader_close(&rd);
            }
            if (ls)
                pclose(ls);
        } else {
            struct td_batch_opts o = { .spool_dir = spool, .out_dir = out, .state_dir = state,
                                       .root_hints = hints, .mem_cap = mem_cap };
            struct td_batch_stats st;
            if (td_batch_run(&o, &st, err, sizeof err) != 0) {
                fprintf(stderr, "batch: %s\n", err);
                _exit(1);
            }
            r.records = st.records;
            r.observations = st.observations;
            r.spill_runs = st.spill_runs;
        }
        r.seconds = bench_now() - t0;
        struct rusage ru;
        getrusage(RUSAGE_SELF, &ru);
        r.peak_kb = ru.ru_maxrss;
        r.cpu = (double)(ru.ru_utime.tv_sec - ru0.ru_utime.tv_sec) + (double)(ru.ru_stime.tv_sec - ru0.ru_stime.tv_sec) +
                (double)(ru.ru_utime.tv_usec - ru0.ru_utime.tv_usec) / 1e6 +
                (double)(ru.ru_stime.tv_usec - ru0.ru_stime.tv_usec) / 1e6;
        if (write(p[1], &r, sizeof r) != sizeof r)
            _exit(1);
        _exit(0);
    }
    close(p[1]);
    if (read(p[0], &res, sizeof res) != sizeof res)
        fprintf(stderr, "measurement failed\n");
    close(p[0]);
    waitpid(pid, NULL, 0);
    return res;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static int cmp_result(const void *a, const void *b)
{
    double x = ((const struct result *)a)->seconds, y = ((const struct result *)b)->seconds;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    long n1 = argc > 1 ? atol(argv[1]) : 200000;
    int runs = argc > 2 ? atoi(argv[2]) : 3;
    const char *tmp = getenv("BENCH_DIR") ? getenv("BENCH_DIR") : "/tmp";
    /* the batch runs twice per scale: a cap the data fits in, and a small one that spills */
    const size_t caps[2] = { 256u << 20, 4u << 20 };
    if (runs < 1 || runs > 15)
        runs = 3;
    printf("%-8s %10s %16s %14s %14s %10s %8s %12s %10s\n", "data", "responses", "stage", "responses/s",
           "per CPU-s", "peak MB", "runs", "observations", "CPU/read");
    for (int scale = 1; scale <= 10; scale *= 10) {
        char base[200], cmd[1200];
        snprintf(base, sizeof base, "%s/bench_batch.%d.%d", tmp, (int)getpid(), scale);
        snprintf(cmd, sizeof cmd, "rm -rf %s && mkdir -p %s/spool %s/out %s/state", base, base, base, base);
        if (system(cmd) != 0)
            return 1;
        char hints[600];
        snprintf(hints, sizeof hints, "%.400s/hints", base);
        FILE *f = fopen(hints, "w");
        fprintf(f, ". 3600000 NS a.root.test.\na.root.test. 3600000 A 192.0.2.1\n");
        fclose(f);
        rng = 0x9E3779B97F4A7C15ull;
        char spool[300];
        snprintf(spool, sizeof spool, "%s/spool", base);
        make_spool(spool, n1 * scale);
        double read_cpu = 0; /* median CPU-s per response of "read spool" (mode 0, measured first) */
        for (int mode = 0; mode < 3; mode++) {
            struct result r[16];
            size_t cap = caps[mode == 2];
            for (int k = 0; k < runs; k++) {
                snprintf(cmd, sizeof cmd, "rm -rf %s/out/* %s/state/*", base, base);
                if (system(cmd) != 0)
                    return 1;
                r[k] = measure(base, mode ? 1 : 0, cap);
            }
            qsort(r, (size_t)runs, sizeof r[0], cmp_result);
            struct result m = r[runs / 2];
            char stage[32];
            if (mode)
                snprintf(stage, sizeof stage, "batch, cap %zuM", cap >> 20);
            else
                snprintf(stage, sizeof stage, "read spool");
            /* the CPU medians, apart from the wall-clock median that picks the row */
            double cpu[16];
            for (int k = 0; k < runs; k++)
                cpu[k] = r[k].records ? r[k].cpu / (double)r[k].records : 0;
            qsort(cpu, (size_t)runs, sizeof cpu[0], cmp_double);
            double cpu_med = cpu[runs / 2];
            if (mode == 0)
                read_cpu = cpu_med;
            printf("%-8s %10llu %16s %14.0f %14.0f %10.1f %8llu %12llu %10.2f\n", scale == 1 ? "1x" : "10x",
                   (unsigned long long)m.records, stage, (double)m.records / m.seconds, cpu_med > 0 ? 1.0 / cpu_med : 0,
                   (double)m.peak_kb / 1024.0, (unsigned long long)m.spill_runs,
                   (unsigned long long)m.observations, read_cpu > 0 ? cpu_med / read_cpu : 0);
            fflush(stdout);
        }
        if (getenv("BENCH_KEEP")) { /* keep the data, e.g. to profile tapdns-batch on it */
            printf("kept %s\n", base);
            continue;
        }
        snprintf(cmd, sizeof cmd, "rm -rf %s", base);
        if (system(cmd) != 0)
            return 1;
    }
    printf("(medians of %d runs, one core; responses/s by the wall clock (fsyncs included), per CPU-s by the "
           "process's CPU time;\n cap = tapdns-batch --mem-cap (dedupe); 'runs' = sorted runs spilled; peak MB = "
           "the process's peak RSS;\n CPU/read = median CPU time per response of the stage / that of 'read spool', the decompression\n and record decoding any batch must do)\n", runs);
    return 0;
}
