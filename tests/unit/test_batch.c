/* test_batch: the batch driver end to end on spool files made here: exact observation and
 * discard counts, and exactly once (a run killed at many points, then rerun, gives the same
 * outputs as an uninterrupted run; a rerun after the end does nothing). */
#include "driver.h"
#include "obs.h"
#include "pcapgen.h"
#include "reason.h"
#include "spool.h"
#include "tt.h"
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define HOUR0 474790u /* 2024-02-29 22:00 UTC */
#define SEC 1000000000ull

static char top[256];
static const char *filters_path; /* rules file for run(), or NULL */

static void sh(const char *fmt, const char *arg)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, fmt, arg);
    if (system(cmd) != 0)
        TT_FAIL("command failed: %s", cmd);
}

static void mkdirs(const char *base)
{
    char p[512];
    const char *sub[] = { "spool", "out", "state" };
    mkdir(base, 0755);
    for (int i = 0; i < 3; i++) {
        snprintf(p, sizeof p, "%s/%s", base, sub[i]);
        mkdir(p, 0755);
    }
}

/* Root hints: one root server, 192.0.2.1. */
static void write_hints(const char *path)
{
    FILE *f = fopen(path, "w");
    fprintf(f, ".  3600000  NS  a.root.test.\na.root.test.  3600000  A  192.0.2.1\n");
    fclose(f);
}

static void fill_addr4(uint8_t a[16], const char *text)
{
    memset(a, 0, 16);
    unsigned b0, b1, b2, b3;
    sscanf(text, "%u.%u.%u.%u", &b0, &b1, &b2, &b3);
    a[0] = (uint8_t)b0; a[1] = (uint8_t)b1; a[2] = (uint8_t)b2; a[3] = (uint8_t)b3;
}

/* hours x per_hour records. Record i of hour h: name n<(i % 500)>.example. A, answered by
 * the root server (so in bailiwick "."), except every 10th: unsolicited, and every 7th: from
 * an unknown server 198.51.100.9 (out of bailiwick). */
static void make_spool(const char *dir, int hours, int per_hour, int writers)
{
    for (int w = 0; w < writers; w++) {
        struct td_spool_writer_opts o = { .dir = dir, .sensor = "t", .writer_id = (unsigned)w, .no_fsync = 1 };
        const char *err;
        struct td_spool_writer *wr = td_spool_writer_init(&o, &err);
        if (!wr) {
            TT_FAIL("writer: %s", err);
            return;
        }
        for (int h = 0; h < hours; h++) {
            for (int i = w; i < per_hour; i += writers) {
                uint8_t q[512], r[512];
                char name[64];
                snprintf(name, sizeof name, "n%d.example", i % 500);
                uint16_t id = (uint16_t)(i * 7 + h);
                size_t ql = pg_dns_message(q, sizeof q, id, 0x0000, name, 1, 0);
                size_t rl = pg_dns_message(r, sizeof r, id, 0x8400, name, 1, 1 + i % 2);
                struct td_record rec;
                memset(&rec, 0, sizeof rec);
                uint64_t t = ((uint64_t)(HOUR0 + h) * 3600 + (uint64_t)i * 3600 / per_hour) * SEC;
                rec.type = i % 10 == 0 ? TD_REC_UNSOLICITED : TD_REC_MATCHED;
                rec.query_ts_ns = rec.type == TD_REC_MATCHED ? t - 1000 : 0;
                rec.response_ts_ns = t;
                rec.ip_version = 4;
                rec.proto = 17;
                rec.cksum = TD_CKSUM_CORRECT;
                rec.client_port = (uint16_t)(1024 + i);
                rec.server_port = 53;
                fill_addr4(rec.client_ip, "10.0.0.1");
                fill_addr4(rec.server_ip, i % 7 == 0 ? "198.51.100.9" : "192.0.2.1");
                rec.response = r;
                rec.response_len = (uint32_t)rl;
                if (rec.type == TD_REC_MATCHED) {
                    rec.query = q;
                    rec.query_len = (uint32_t)ql;
                }
                if (td_spool_write(wr, &rec, t, &err) != 0)
                    TT_FAIL("write: %s", err);
            }
        }
        td_spool_writer_destroy(&wr, &err);
    }
}

static int run(const char *base, struct td_batch_stats *st)
{
    char spool[512], out[512], state[512], hints[512], err[512];
    snprintf(spool, sizeof spool, "%s/spool", base);
    snprintf(out, sizeof out, "%s/out", base);
    snprintf(state, sizeof state, "%s/state", base);
    snprintf(hints, sizeof hints, "%s/hints", top);
    struct td_batch_opts o = { .spool_dir = spool, .out_dir = out, .state_dir = state, .root_hints = hints,
                               .mem_cap = 4u << 20, .filters = filters_path };
    int rc = td_batch_run(&o, st, err, sizeof err);
    if (rc != 0)
        printf("# batch run: %s\n", err);
    return rc;
}

/* Every entry of every output file, in file name order, as text lines into a buffer. */
static char *dump_outputs(const char *base, size_t *n_entries)
{
    char out[512];
    snprintf(out, sizeof out, "%s/out", base);
    struct dirent **ents;
    int ne = scandir(out, &ents, NULL, alphasort);
    size_t cap = 1 << 20, len = 0;
    char *buf = malloc(cap);
    *n_entries = 0;
    buf[0] = 0;
    for (int i = 0; i < ne; i++) {
        const char *nm = ents[i]->d_name;
        size_t l = strlen(nm);
        if (l > 4 && !strcmp(nm + l - 4, ".zst")) {
            char p[1024], err[256];
            snprintf(p, sizeof p, "%s/%s", out, nm);
            struct td_obs_reader *r = td_obs_reader_open(p, err, sizeof err);
            if (!r) {
                TT_FAIL("%s: %s", nm, err);
            } else {
                const uint8_t *key;
                size_t klen;
                struct td_obs_value v;
                int got;
                while ((got = td_obs_read(r, &key, &klen, &v, err, sizeof err)) == 1) {
                    if (len + 2 * klen + 200 > cap) {
                        cap = cap * 2 + 2 * klen;
                        buf = realloc(buf, cap);
                    }
                    len += (size_t)sprintf(buf + len, "%s ", nm);
                    for (size_t k = 0; k < klen; k++)
                        len += (size_t)sprintf(buf + len, "%02x", key[k]);
                    len += (size_t)sprintf(buf + len, " %llu %u %u %u %u\n", (unsigned long long)v.count,
                                           v.time_first, v.time_last, v.reason, v.rule);
                    (*n_entries)++;
                }
                if (got < 0)
                    TT_FAIL("%s: %s", nm, err);
                td_obs_reader_close(&r);
            }
        }
        free(ents[i]);
    }
    free(ents);
    return buf;
}

static void setup(void)
{
    snprintf(top, sizeof top, "/tmp/test_batch.%d", (int)getpid());
    mkdir(top, 0755);
    char p[512];
    snprintf(p, sizeof p, "%s/hints", top);
    write_hints(p);
}

static void test_counts(void)
{
    char base[512];
    snprintf(base, sizeof base, "%s/counts", top);
    mkdirs(base);
    char spool[600];
    snprintf(spool, sizeof spool, "%s/spool", base);
    make_spool(spool, 2, 1000, 2);
    struct td_batch_stats st;
    CHECK_EQ(run(base, &st), 0);
    CHECK_EQ(st.spool_files, 4);
    CHECK_EQ(st.groups, 2);
    CHECK_EQ(st.records, 2000);
    CHECK_EQ(st.resp_unsolicited, 200);       /* i % 10 == 0 */
    /* of the 1800 others per 2 hours, i % 7 == 0 come from the unknown server */
    uint64_t unknown = 0;
    for (int i = 0; i < 1000; i++)
        unknown += i % 10 != 0 && i % 7 == 0;
    CHECK_EQ(st.rrsets_out_of_bailiwick, 2 * unknown);
    CHECK_EQ(st.rrsets_accepted, 2000 - 200 - 2 * unknown);
    /* name x (i % 500) has one rdata set; it is observed in an hour if one of its records
     * i = x, x + 500 is accepted */
    uint64_t names = 0;
    for (int x = 0; x < 500; x++) {
        int ok = 0;
        for (int i = x; i < 1000; i += 500)
            ok |= i % 10 != 0 && i % 7 != 0;
        names += ok;
    }
    CHECK_EQ(st.observations, 2 * names);
    size_t n;
    char *dump = dump_outputs(base, &n);
    CHECK(strstr(dump, "2024022922.0.obs.zst") != NULL);
    CHECK(strstr(dump, "2024022923.0.discard.zst") != NULL);
    free(dump);
    /* a rerun finds nothing to do */
    CHECK_EQ(run(base, &st), 0);
    CHECK_EQ(st.groups, 0);
    CHECK_EQ(st.records, 0);
    /* a late file of hour 22 makes group 22.1 */
    make_spool(spool, 1, 10, 1); /* writer 0 again: the writer picks id 65536 */
    CHECK_EQ(run(base, &st), 0);
    CHECK_EQ(st.groups, 1);
    char p[700];
    snprintf(p, sizeof p, "%s/out/2024022922.1.obs.zst", base);
    CHECK(access(p, F_OK) == 0);
}

/* Discard files say why: unsolicited, out-of-bailiwick, and filter rule N (from a rules file
 * given to the run); counts per reason are exact. */
static void test_discard_reasons(void)
{
    char base[512], rules[600], spool[600];
    snprintf(base, sizeof base, "%s/reasons", top);
    mkdirs(base);
    snprintf(spool, sizeof spool, "%s/spool", base);
    make_spool(spool, 1, 1000, 1);
    snprintf(rules, sizeof rules, "%s/rules", base);
    FILE *f = fopen(rules, "w");
    fprintf(f, "# drop two names\nname n1.example\nregex ^n2\\.example\\.$\n");
    fclose(f);
    filters_path = rules;
    struct td_batch_stats st;
    CHECK_EQ(run(base, &st), 0);
    filters_path = NULL;
    /* records i with i % 500 == 1 or 2, accepted (not i % 10 == 0, not i % 7 == 0): 1, 2, 501, 502 -> 4 */
    CHECK_EQ(st.rrsets_filtered, 4);
    char p[700], err[256];
    snprintf(p, sizeof p, "%s/out/2024022922.0.discard.zst", base);
    struct td_obs_reader *r = td_obs_reader_open(p, err, sizeof err);
    CHECK(r != NULL);
    uint64_t by_reason[16] = { 0 }, rule1 = 0, rule2 = 0;
    const uint8_t *key;
    size_t klen;
    struct td_obs_value v;
    while (r && td_obs_read(r, &key, &klen, &v, err, sizeof err) == 1) {
        by_reason[v.reason & 15] += v.count;
        rule1 += v.reason == TD_DR_FILTER && v.rule == 1 ? v.count : 0;
        rule2 += v.reason == TD_DR_FILTER && v.rule == 2 ? v.count : 0;
    }
    td_obs_reader_close(&r);
    uint64_t unknown = 0;
    for (int i = 0; i < 1000; i++)
        unknown += i % 10 != 0 && i % 7 == 0;
    CHECK_EQ(by_reason[TD_DR_UNSOLICITED], 100);
    CHECK_EQ(by_reason[TD_DR_OUT_OF_BAILIWICK], unknown);
    CHECK_EQ(by_reason[TD_DR_FILTER], 4);
    CHECK_EQ(rule1, 2);
    CHECK_EQ(rule2, 2);
}

static void test_exactly_once(void)
{
    char ref[512], spool_ref[600];
    snprintf(ref, sizeof ref, "%s/ref", top);
    mkdirs(ref);
    snprintf(spool_ref, sizeof spool_ref, "%s/spool", ref);
    make_spool(spool_ref, 6, 20000, 2);
    struct td_batch_stats st;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    CHECK_EQ(run(ref, &st), 0);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    /* kill points spread over the length of a whole run (and a bit past it) */
    long run_us = (t1.tv_sec - t0.tv_sec) * 1000000L + (t1.tv_nsec - t0.tv_nsec) / 1000;
    CHECK_EQ(st.groups, 6);
    size_t nref;
    char *want = dump_outputs(ref, &nref);
    CHECK(nref > 0);
    int killed_mid = 0, bad = 0;
    for (int k = 0; k < 12; k++) {
        char base[512];
        snprintf(base, sizeof base, "%s/kill%d", top, k);
        mkdirs(base);
        char cmd[2048];
        snprintf(cmd, sizeof cmd, "cp %s/spool/* %s/spool/", ref, base);
        sh("%s", cmd);
        pid_t pid = fork();
        if (pid == 0) {
            struct td_batch_stats cst;
            _exit(run(base, &cst) == 0 ? 0 : 1);
        }
        usleep((useconds_t)(run_us * k / 10));
        kill(pid, SIGKILL);
        int status;
        waitpid(pid, &status, 0);
        if (WIFSIGNALED(status))
            killed_mid++;
        CHECK_EQ(run(base, &st), 0);
        size_t n;
        char *got = dump_outputs(base, &n);
        if (n != nref || strcmp(got, want) != 0) {
            if (!bad)
                TT_FAIL("kill after %ld us: %zu entries, want %zu (outputs differ)", run_us * k / 10, n, nref);
            bad++;
        }
        free(got);
        /* and nothing more to do */
        CHECK_EQ(run(base, &st), 0);
        CHECK_EQ(st.records, 0);
    }
    printf("# a run takes %ld us; %d of 12 runs were killed before they finished\n", run_us, killed_mid);
    CHECK(killed_mid >= 2);
    CHECK_EQ(bad, 0);
    free(want);
}

int main(void)
{
    setup();
    TT_RUN(test_counts);
    TT_RUN(test_discard_reasons);
    TT_RUN(test_exactly_once);
    sh("rm -rf %s", top);
    return tt_finish();
}
