/* test_spool_crash: a child writes records steadily (small frames, crossing hour boundaries)
 * and reports through a pipe how many records are in ended frames; the parent SIGKILLs it.
 * Then: closed files read back complete and clean; the .open file yields at least every
 * reported record, each exactly as written, then an error (torn frame or no end marker). */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "spool.h"
#include "tt.h"

#define T0 1709249400000000000ull /* 2024-02-29 23:30:00 UTC */

static void gen(struct td_record *r, uint8_t *resp, uint8_t *q, uint64_t i, uint64_t step)
{
    memset(r, 0, sizeof *r);
    r->type = (uint8_t)(1 + i % 3);
    r->ip_version = i % 2 ? 6 : 4;
    r->proto = 17;
    r->cksum = TD_CKSUM_CORRECT;
    r->flags = (uint16_t)(i & 7);
    r->client_port = (uint16_t)(i * 7);
    r->server_port = 53;
    memcpy(r->client_ip, &i, sizeof i);
    r->server_ip[0] = 192;
    uint64_t t = T0 + i * step;
    uint32_t rl = 40 + (uint32_t)(i % 150), ql = 20 + (uint32_t)(i % 30);
    for (uint32_t k = 0; k < rl; k++)
        resp[k] = (uint8_t)(i + k);
    for (uint32_t k = 0; k < ql; k++)
        q[k] = (uint8_t)(i * 3 + k);
    if (r->type != TD_REC_UNANSWERED) {
        r->response_ts_ns = t;
        r->response = resp;
        r->response_len = rl;
    }
    if (r->type != TD_REC_UNSOLICITED) {
        r->query_ts_ns = t;
        r->query = q;
        r->query_len = ql;
    }
}

static int eq(const struct td_record *a, const struct td_record *b)
{
    return a->query_ts_ns == b->query_ts_ns && a->response_ts_ns == b->response_ts_ns && a->type == b->type &&
           a->ip_version == b->ip_version && a->proto == b->proto && a->cksum == b->cksum &&
           a->flags == b->flags && a->client_port == b->client_port && a->server_port == b->server_port &&
           !memcmp(a->client_ip, b->client_ip, 16) && !memcmp(a->server_ip, b->server_ip, 16) &&
           a->response_len == b->response_len && a->query_len == b->query_len &&
           (!a->response_len || !memcmp(a->response, b->response, a->response_len)) &&
           (!a->query_len || !memcmp(a->query, b->query, a->query_len));
}

/* Child: writes forever; after each ended frame writes the count of records in ended frames. */
static size_t frame_bytes = 3000;
static uint64_t now_step = 1000000; /* writer clock per record */

static void child(const char *dir, int fd, uint64_t step)
{
    struct td_spool_writer_opts o = {.dir = dir, .sensor = "crash", .writer_id = 1, .frame_seconds = 1,
                                     .frame_bytes = frame_bytes, .no_fsync = 1};
    const char *err;
    struct td_spool_writer *w = td_spool_writer_init(&o, &err);
    if (!w)
        _exit(2);
    static uint8_t resp[256], q[64];
    struct td_record r;
    uint64_t frames = 0;
    for (uint64_t i = 0;; i++) {
        gen(&r, resp, q, i, step);
        /* now: 1 ms of wall-like clock per record, so frames also end by time */
        if (td_spool_write(w, &r, T0 + i * now_step, &err) != 0)
            _exit(3);
        if (i % 100 == 99 && td_spool_writer_tick(w, T0 + i * now_step, &err) != 0)
            _exit(4);
        if (td_spool_writer_stats(w)->frames != frames) {
            frames = td_spool_writer_stats(w)->frames;
            /* records 0..i-1 are in ended frames. (Record i may not be: when the frame ended
             * because record i opened the next hour's file, it starts that file's frame.) */
            uint64_t n = i;
            if (write(fd, &n, sizeof n) != sizeof n)
                _exit(5);
        }
    }
}

struct outcome {
    uint64_t reported, got_closed, got_open;
    int closed_files, open_files, bad;
};

static void run_once(uint64_t step, uint64_t min_reported, unsigned kill_after_us, struct outcome *out)
{
    memset(out, 0, sizeof *out);
    char dir[] = "/tmp/test_spool_crash.XXXXXX";
    if (!mkdtemp(dir)) {
        TT_FAIL("mkdtemp");
        return;
    }
    int p[2];
    if (pipe(p) != 0) {
        TT_FAIL("pipe");
        return;
    }
    pid_t pid = fork();
    if (pid == 0) {
        close(p[0]);
        child(dir, p[1], step);
        _exit(0);
    }
    close(p[1]);
    /* wait for some ended frames, then a little more, then kill */
    uint64_t n = 0, v;
    while (n < min_reported && read(p[0], &v, sizeof v) == sizeof v)
        n = v;
    usleep(kill_after_us);
    kill(pid, SIGKILL);
    while (read(p[0], &v, sizeof v) == sizeof v)
        n = v; /* reports sent before the kill: their frames are in the file */
    close(p[0]);
    int st;
    waitpid(pid, &st, 0);
    if (!WIFSIGNALED(st) || WTERMSIG(st) != SIGKILL)
        TT_FAIL("child did not die by SIGKILL (status %d)", st);
    out->reported = n;

    /* files, in name (= hour) order; closed ones first in time, the .open one last */
    struct dirent **ents;
    int ne = scandir(dir, &ents, NULL, alphasort);
    uint64_t next = 0; /* index of the next expected record */
    static uint8_t resp[256], q[64];
    for (int i = 0; i < ne; i++) {
        const char *nm = ents[i]->d_name;
        char path[512];
        snprintf(path, sizeof path, "%s/%s", dir, nm);
        if (nm[0] == '.') {
            free(ents[i]);
            continue;
        }
        int is_open = 0;
        uint32_t hour;
        if (td_spool_parse_name(nm, NULL, 0, &hour, NULL, &is_open) != 0) {
            TT_FAIL("unexpected file %s", nm);
            out->bad++;
        }
        const char *err;
        struct td_spool_reader *r = td_spool_reader_open(path, &err);
        if (!r) {
            /* killed before the header was written: only possible for the .open file */
            if (!is_open) {
                TT_FAIL("%s: %s", nm, err);
                out->bad++;
            }
            unlink(path);
            free(ents[i]);
            continue;
        }
        struct td_record rec, want;
        uint64_t k = 0;
        int res;
        while ((res = td_spool_read(r, &rec)) == TD_SPOOL_RECORD) {
            gen(&want, resp, q, next, step);
            if (!eq(&rec, &want)) {
                if (out->bad++ < 3)
                    TT_FAIL("%s: record %llu differs", nm, (unsigned long long)next);
            }
            next++;
            k++;
        }
        const char *e = td_spool_reader_error(r, NULL);
        if (is_open) {
            out->open_files++;
            out->got_open += k;
            /* a killed writer's file never ends cleanly */
            if (e)
                printf("# %s: %s\n", nm, e);
            if (res != TD_SPOOL_ERROR || !e || (!strstr(e, "torn frame") && !strstr(e, "no end marker"))) {
                TT_FAIL("%s: res %d err %s", nm, res, e ? e : "-");
                out->bad++;
            }
        } else {
            out->closed_files++;
            out->got_closed += k;
            if (res != TD_SPOOL_EOF || e) {
                TT_FAIL("%s: closed file not clean: %s", nm, e ? e : "-");
                out->bad++;
            }
        }
        td_spool_reader_close(&r);
        unlink(path);
        free(ents[i]);
    }
    free(ents);
    rmdir(dir);
    if (out->got_closed + out->got_open < out->reported) {
        TT_FAIL("read %llu records, the child reported %llu in ended frames",
                (unsigned long long)(out->got_closed + out->got_open), (unsigned long long)out->reported);
        out->bad++;
    }
    printf("# step %llu, frame_bytes %zu: killed after %llu records reported in ended frames; read %llu from %d closed files, "
           "%llu from the .open file\n", (unsigned long long)step, frame_bytes, (unsigned long long)out->reported,
           (unsigned long long)out->got_closed, out->closed_files, (unsigned long long)out->got_open);
    if (out->open_files > 1) {
        TT_FAIL("%d .open files", out->open_files);
        out->bad++;
    }
}

static void test_kill_mid_hour(void)
{
    /* 1 µs of record time per record: the whole run stays inside hour 23 */
    for (int round = 0; round < 5; round++) {
        struct outcome o;
        run_once(1000, 2000, (unsigned)(round * 3000), &o);
        CHECK_EQ(o.bad, 0);
        CHECK_EQ(o.closed_files, 0);
        CHECK_EQ(o.open_files, 1);
        CHECK(o.reported >= 2000);
        CHECK(o.got_open >= o.reported);
    }
}

static void test_kill_after_hours(void)
{
    /* 1 s of record time per record: hour 23 ends after 1800 records, hour 00 after 5400; the
     * files of ended hours are complete and clean, the records go on in the .open file */
    for (int round = 0; round < 3; round++) {
        struct outcome o;
        run_once(1000000000ull, 6000, (unsigned)(round * 2000), &o);
        CHECK_EQ(o.bad, 0);
        CHECK(o.closed_files >= 2);
        /* 0 when the kill fell between closing an hour and opening the next */
        CHECK(o.open_files <= 1);
        CHECK(o.got_closed >= 5400);
        CHECK(o.got_closed + o.got_open >= o.reported);
    }
}

static void test_kill_inside_big_frame(void)
{
    /* frames of ~32 MiB ended by size: compressed blocks of the unfinished frame reach the file
     * before the kill, so the file ends inside a frame (a torn tail), and nothing of it is read */
    frame_bytes = 32u << 20;
    now_step = 1;
    struct outcome o;
    run_once(1000, 1, 150000, &o);
    CHECK_EQ(o.bad, 0);
    CHECK_EQ(o.open_files, 1);
    CHECK(o.reported >= 1);
    CHECK(o.got_open >= o.reported);
    frame_bytes = 3000;
    now_step = 1000000;
}

int main(void)
{
    TT_RUN(test_kill_mid_hour);
    TT_RUN(test_kill_after_hours);
    TT_RUN(test_kill_inside_big_frame);
    return tt_finish();
}
