/* send.c: tapdns-ship send. Each pass lists the closed spool files of the directory (never
 * *.open), oldest hour first, and offers them one by one on one connection; a file the
 * receiver acknowledged (stored durably, checksum verified) is moved to --done-dir or
 * deleted. Transient failures (connection, disk full on the receiver) end the pass; the next
 * pass comes after a backoff (0.5 s doubling to 60 s) and resumes at the receiver's offset. */
#include "ship.h"
#include "cli.h"
#include "config.h"
#include "config_keys.h"
#include "durable.h"
#include "errf.h"
#include "spool.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define LIST_CAP 16384 /* files considered per pass (the oldest ones); bounded memory */
#define BACKOFF_MIN_MS 500
#define BACKOFF_MAX_MS 60000
#define HOLD_CAP 256              /* refused files remembered */
#define HOLD_MS (3600u * 1000u)   /* a refused file is offered again after an hour */

struct entry {
    uint32_t hour;
    char name[TD_SHIP_NAME_MAX + 1];
};

/* A file refused for good (name, conflict) or unreadable: not offered (nor hashed, nor
 * logged) again for HOLD_MS unless its size or mtime changes. */
struct hold {
    char name[TD_SHIP_NAME_MAX + 1];
    uint64_t size, until_ms;
    int64_t mtime_ns;
};

struct stats {
    uint64_t files, bytes, duplicates, retries, errors, refused, pending;
};

struct sender {
    const char *dir, *dest, *done_dir, *metrics_dir;
    uint64_t rate, timeout_ms;
    int quiet;
    uint8_t *buf; /* TD_SHIP_DATA_MAX octets: hashing */
    struct entry *list;
    size_t n;
    struct stats st;
    uint64_t retire_failed; /* acknowledged files that could not be moved or deleted */
    struct hold hold[HOLD_CAP];
    unsigned nhold, next_hold;
};

static int stat_file(const struct sender *s, const char *name, uint64_t *size, int64_t *mtime_ns)
{
    char path[PATH_MAX];
    struct stat sb;
    if (ship_path(path, sizeof path, s->dir, name) != 0 || lstat(path, &sb) != 0)
        return -1;
    *size = (uint64_t)sb.st_size;
    *mtime_ns = (int64_t)sb.st_mtim.tv_sec * 1000000000 + sb.st_mtim.tv_nsec;
    return 0;
}

/* 1 when name is held back (refused earlier, unchanged, hold not expired). */
static int held(const struct sender *s, const char *name)
{
    uint64_t size, now = ship_now_ms();
    int64_t mt;
    for (unsigned i = 0; i < s->nhold; i++)
        if (strcmp(s->hold[i].name, name) == 0)
            return now < s->hold[i].until_ms && stat_file(s, name, &size, &mt) == 0 && size == s->hold[i].size &&
                   mt == s->hold[i].mtime_ns;
    return 0;
}

static void hold_add(struct sender *s, const char *name)
{
    struct hold *h = NULL;
    for (unsigned i = 0; i < s->nhold && !h; i++)
        if (strcmp(s->hold[i].name, name) == 0)
            h = &s->hold[i];
    if (!h) {
        if (s->nhold < HOLD_CAP) {
            h = &s->hold[s->nhold++];
        } else { /* full: replace round-robin */
            h = &s->hold[s->next_hold];
            s->next_hold = (s->next_hold + 1) % HOLD_CAP;
        }
    }
    snprintf(h->name, sizeof h->name, "%s", name);
    h->until_ms = ship_now_ms() + HOLD_MS;
    if (stat_file(s, name, &h->size, &h->mtime_ns) != 0)
        h->until_ms = 0;
}

enum file_res {
    F_SHIPPED,      /* acknowledged and moved away */
    F_REFUSED,      /* refused for good by the receiver, or a local problem: next file */
    F_GONE,         /* the file vanished before it was offered: next file */
    F_RETRY_LATER,  /* transient refusal (disk full, I/O, checksum, busy): end the pass */
    F_CONN,         /* connection or protocol failure: end the pass, reconnect later */
};

static int entry_cmp(const void *a, const void *b)
{
    const struct entry *x = a, *y = b;
    if (x->hour != y->hour)
        return x->hour < y->hour ? -1 : 1;
    return strcmp(x->name, y->name);
}

/* Lists the closed spool files of s->dir, the LIST_CAP oldest when there are more, sorted. */
static int scan(struct sender *s, char *err, size_t errlen)
{
    DIR *d = opendir(s->dir);
    if (!d) {
        td_errf(err, errlen, "%s: %s", s->dir, strerror(errno));
        return -1;
    }
    s->n = 0;
    int full = 0; /* after the first trim only entries older than the kept newest enter */
    struct entry limit;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        uint32_t hour;
        int is_open;
        if (strlen(de->d_name) > TD_SHIP_NAME_MAX ||
            td_spool_parse_name(de->d_name, NULL, 0, &hour, NULL, &is_open) != 0 || is_open)
            continue;
        struct entry e;
        e.hour = hour;
        strcpy(e.name, de->d_name);
        if (full && entry_cmp(&e, &limit) >= 0)
            continue;
        if (s->n == LIST_CAP) { /* keep the older half */
            qsort(s->list, s->n, sizeof *s->list, entry_cmp);
            s->n = LIST_CAP / 2;
            limit = s->list[s->n - 1];
            full = 1;
            if (entry_cmp(&e, &limit) >= 0)
                continue;
        }
        s->list[s->n++] = e;
    }
    closedir(d);
    qsort(s->list, s->n, sizeof *s->list, entry_cmp);
    return 0;
}

static void logf_(const struct sender *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void logf_(const struct sender *s, const char *fmt, ...)
{
    if (s->quiet)
        return;
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "%s send: ", SHIP_PROG);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

static void print_stats(const struct sender *s)
{
    printf("%s send: stats files %llu bytes %llu duplicates %llu retries %llu errors %llu refused %llu pending %llu\n",
           SHIP_PROG, (unsigned long long)s->st.files, (unsigned long long)s->st.bytes,
           (unsigned long long)s->st.duplicates, (unsigned long long)s->st.retries,
           (unsigned long long)s->st.errors, (unsigned long long)s->st.refused, (unsigned long long)s->st.pending);
    fflush(stdout);
    if (s->metrics_dir) {
        const struct ship_counter c[] = {
            { "files", "files shipped and acknowledged", s->st.files },
            { "bytes", "octets sent", s->st.bytes },
            { "duplicates", "files the receiver already had", s->st.duplicates },
            { "retries", "transfers retried", s->st.retries },
            { "errors", "transfer errors", s->st.errors },
            { "refused", "files the receiver refused", s->st.refused },
            { "pending", "closed files not shipped yet (at the last pass)", s->st.pending },
        };
        char err[300];
        if (ship_metrics_write(s->metrics_dir, "tapdns-ship-send", c, sizeof c / sizeof c[0], err, sizeof err) != 0)
            fprintf(stderr, "%s send: %s\n", SHIP_PROG, err);
    }
}

/* The shipped file leaves the spool directory: done-dir (same file system) or unlink. */
static int retire(struct sender *s, const char *path, const char *name)
{
    if (s->done_dir) {
        char to[PATH_MAX];
        if (ship_path(to, sizeof to, s->done_dir, name) != 0)
            return -1;
        /* not td_rename_durable: it removes the source when the rename fails */
        if (rename(path, to) == 0 && td_fsync_dir(s->done_dir) == 0 && td_fsync_dir(s->dir) == 0)
            return 0;
        logf_(s, "cannot move %s to %s: %s", name, s->done_dir, strerror(errno));
        return -1;
    }
    if (unlink(path) != 0 || td_fsync_dir(s->dir) != 0) {
        logf_(s, "cannot remove %s: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}

static enum file_res refusal(struct sender *s, const char *name, const struct td_ship_msg *m)
{
    logf_(s, "%s: receiver error %s: %s", name, td_ship_err_str(m->code), m->text);
    if (m->code == TD_SHIP_E_PROTO)
        return F_CONN;
    return td_ship_err_transient(m->code) ? F_RETRY_LATER : F_REFUSED;
}

/* Rate limit: sleeps until `sent` octets are due at s->rate octets/s since t0. */
static void pace(const struct sender *s, uint64_t t0, uint64_t sent)
{
    if (!s->rate)
        return;
    uint64_t due = sent * 1000u / s->rate, el = ship_now_ms() - t0;
    if (due > el)
        ship_sleep_ms(due - el);
}

static enum file_res ship_one(struct sender *s, struct ship_conn *c, const char *name)
{
    char path[PATH_MAX], err[512];
    if (ship_path(path, sizeof path, s->dir, name) != 0)
        return F_REFUSED;
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT)
            return F_GONE; /* gone meanwhile (moved by an operator?): nothing to do */
        logf_(s, "%s: %s", path, strerror(errno));
        return F_REFUSED;
    }
    struct stat sb;
    struct td_ship_msg m, r;
    memset(&m, 0, sizeof m);
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        logf_(s, "%s: not a regular file", path);
        close(fd);
        return F_REFUSED;
    }
    uint64_t size = (uint64_t)sb.st_size;
    if (ship_sum_fd(fd, size, m.sum, s->buf, TD_SHIP_DATA_MAX, err, sizeof err) != 0) {
        logf_(s, "%s: %s", path, err);
        close(fd);
        return F_REFUSED;
    }
    m.type = TD_SHIP_OFFER;
    m.size = size;
    snprintf(m.name, sizeof m.name, "%s", name);
    enum file_res res = F_CONN;
    if (ship_conn_write(c, &m, err, sizeof err) != 0 || ship_conn_read(c, &r, err, sizeof err) != 1)
        goto conn_fail;
    if (r.type == TD_SHIP_ERROR) {
        res = refusal(s, name, &r);
        goto out;
    }
    if (r.type == TD_SHIP_ACK && r.size == size && (r.flags & TD_SHIP_ACK_DUPLICATE)) {
        logf_(s, "%s: receiver already has it", name);
        s->st.duplicates++;
        res = F_SHIPPED;
        goto out;
    }
    if (r.type != TD_SHIP_ACCEPT || r.offset > size) {
        td_errf(err, sizeof err, "unexpected answer to OFFER (type %u)", r.type);
        goto conn_fail;
    }
    uint64_t off = r.offset, t0 = ship_now_ms(), sent = 0;
    if (off > 0)
        logf_(s, "%s: resuming at %llu of %llu", name, (unsigned long long)off, (unsigned long long)size);
    while (off < size) {
        if (ship_stop) {
            td_errf(err, sizeof err, "stopped");
            goto conn_fail;
        }
        size_t want = size - off < TD_SHIP_DATA_MAX ? (size_t)(size - off) : TD_SHIP_DATA_MAX;
        ssize_t n = pread(fd, c->wbuf + TD_SHIP_DATA_HDR, want, (off_t)off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            td_errf(err, sizeof err, "%s: %s", path, n < 0 ? strerror(errno) : "file shrank while shipping");
            goto conn_fail;
        }
        struct td_ship_msg d = { .type = TD_SHIP_DATA, .offset = off, .data = c->wbuf + TD_SHIP_DATA_HDR,
                                 .data_len = (size_t)n };
        if (ship_conn_write(c, &d, err, sizeof err) != 0)
            goto conn_fail;
        off += (uint64_t)n;
        sent += (uint64_t)n;
        s->st.bytes += (uint64_t)n;
        pace(s, t0, sent);
    }
    struct td_ship_msg cm = { .type = TD_SHIP_COMMIT, .size = size };
    if (ship_conn_write(c, &cm, err, sizeof err) != 0 || ship_conn_read(c, &r, err, sizeof err) != 1)
        goto conn_fail;
    if (r.type == TD_SHIP_ERROR) {
        res = refusal(s, name, &r);
        goto out;
    }
    if (r.type != TD_SHIP_ACK || r.size != size) {
        td_errf(err, sizeof err, "unexpected answer to COMMIT (type %u)", r.type);
        goto conn_fail;
    }
    logf_(s, "%s: shipped (%llu octets, %llu sent now)", name, (unsigned long long)size, (unsigned long long)sent);
    res = F_SHIPPED;
    goto out;
conn_fail:
    logf_(s, "%s: %s", name, err);
    res = F_CONN;
out:
    close(fd);
    if (res == F_SHIPPED && retire(s, path, name) == 0)
        s->st.files++;
    else if (res == F_SHIPPED)
        s->retire_failed++; /* stored at the receiver; the next pass gets a duplicate ACK */
    return res;
}

/* One pass over the directory. 0: nothing left to retry now; 1: a transient failure, retry
 * after a backoff. *progress is set when a file was shipped. */
static int pass(struct sender *s, int *progress)
{
    char err[512] = "";
    *progress = 0;
    if (scan(s, err, sizeof err) != 0) {
        logf_(s, "%s", err);
        s->st.errors++;
        return 1;
    }
    s->st.pending = s->n;
    if (s->n == 0)
        return 0;
    int fd = ship_connect(s->dest, err, sizeof err);
    struct ship_conn c;
    if (fd < 0) {
        logf_(s, "%s", err);
        s->st.errors++;
        return 1;
    }
    if (ship_conn_init(&c, fd, s->timeout_ms, err, sizeof err) != 0) {
        logf_(s, "%s", err);
        return 1;
    }
    int rc = 0;
    struct td_ship_msg h = { .type = TD_SHIP_HELLO, .version = TD_SHIP_VERSION }, r;
    if (ship_conn_write(&c, &h, err, sizeof err) != 0 || ship_conn_read(&c, &r, err, sizeof err) != 1) {
        /* (err stays empty when the receiver closed without a word) */
        logf_(s, "hello: %s", err[0] ? err : "connection closed");
        s->st.errors++;
        rc = 1;
    } else if (r.type == TD_SHIP_ERROR || r.type != TD_SHIP_HELLO || r.version != TD_SHIP_VERSION) {
        logf_(s, "receiver refused the hello: %s", r.type == TD_SHIP_ERROR ? r.text : "unexpected answer");
        s->st.errors++;
        rc = 1;
    }
    for (size_t i = 0; rc == 0 && i < s->n && !ship_stop; i++) {
        if (held(s, s->list[i].name))
            continue;
        switch (ship_one(s, &c, s->list[i].name)) {
        case F_SHIPPED:
            *progress = 1;
            s->st.pending--;
            if (s->retire_failed) {
                s->st.errors++;
                s->st.pending++;
                rc = 1; /* a local problem: stop and retry after a backoff */
                s->retire_failed = 0;
            }
            break;
        case F_REFUSED:
            s->st.errors++;
            s->st.refused++;
            hold_add(s, s->list[i].name);
            break;
        case F_GONE:
            s->st.pending--;
            break;
        case F_RETRY_LATER:
        case F_CONN:
            s->st.errors++;
            rc = 1;
            break;
        }
    }
    ship_conn_close(&c);
    return rc;
}

int ship_send_main(int argc, char **argv)
{
    struct sender s;
    memset(&s, 0, sizeof s);
    const char *config = NULL;
    uint64_t interval = 10ull * 1000000000ull, timeout = 30ull * 1000000000ull, retries = 10;
    int once = 0;
    const struct td_option opts[] = {
        { "dir", 'd', TD_OPT_STRING, &s.dir, "DIR", "spool directory: its closed files are shipped", "spool.dir", 1 },
        { "dest", 't', TD_OPT_STRING, &s.dest, "HOST:PORT", "the receiver", "ship.dest", 1 },
        { "done-dir", 0, TD_OPT_STRING, &s.done_dir, "DIR", "move shipped files here (same file system); default: delete them", "ship.done_dir", 0 },
        { "metrics-dir", 0, TD_OPT_STRING, &s.metrics_dir, "DIR", "rewrite DIR/tapdns-ship-send.prom at every stats line", "capture.metrics_dir", 0 },
        { "interval", 'i', TD_OPT_DURATION, &interval, "DURATION", "time between passes and stats lines (default 10s)", "ship.interval", 0 },
        { "once", '1', TD_OPT_FLAG, &once, NULL, "one pass (retrying transient failures), stats, exit 0 if everything was shipped", NULL, 0 },
        { "retries", 0, TD_OPT_UINT, &retries, "N", "with --once: failed attempts in a row before giving up (default 10)", NULL, 0 },
        { "rate", 0, TD_OPT_SIZE, &s.rate, "SIZE", "send at most SIZE octets per second (K/M/G; default unlimited)", NULL, 0 },
        { "timeout", 0, TD_OPT_DURATION, &timeout, "DURATION", "network send/receive timeout (default 30s)", NULL, 0 },
        { "config", 'c', TD_OPT_STRING, &config, "FILE", "config file (options given here win)", NULL, 0 },
        { "quiet", 'q', TD_OPT_FLAG, &s.quiet, NULL, "log nothing but errors of the command line", NULL, 0 },
        { NULL, 0, 0, NULL, NULL, NULL, NULL, 0 },
    };
    struct td_config *cfg = NULL;
    int first;
    int pr = td_cli_main_parse(SHIP_PROG " send", "--dir DIR --dest HOST:PORT [--done-dir DIR] [--interval 10s] [--once]",
                               opts, argc, argv, &first, td_config_known_keys, &cfg, stdout, stderr);
    if (pr != 0) {
        td_config_free(&cfg);
        return pr < 0 ? 2 : 0;
    }
    if (first < argc) {
        fprintf(stderr, "%s send: unexpected argument '%s' (see --help)\n", SHIP_PROG, argv[first]);
        td_config_free(&cfg);
        return 2;
    }
    if (!ship_hostport_ok(s.dest)) {
        fprintf(stderr, "%s send: --dest '%s' is not HOST:PORT\n", SHIP_PROG, s.dest);
        td_config_free(&cfg);
        return 2;
    }
    s.timeout_ms = timeout / 1000000u;
    if (s.timeout_ms == 0)
        s.timeout_ms = 1;
    uint64_t interval_ms = interval / 1000000u;
    s.buf = malloc(TD_SHIP_DATA_MAX);
    s.list = malloc(LIST_CAP * sizeof *s.list);
    if (!s.buf || !s.list) {
        fprintf(stderr, "%s send: out of memory\n", SHIP_PROG);
        free(s.buf);
        free(s.list);
        td_config_free(&cfg);
        return 1;
    }
    ship_install_signals();
    uint64_t backoff = BACKOFF_MIN_MS, failed = 0, last_stats = ship_now_ms();
    int rc = 0;
    for (;;) {
        int progress;
        int r = pass(&s, &progress);
        if (ship_stop)
            break;
        if (r == 0) {
            backoff = BACKOFF_MIN_MS;
            failed = 0;
            if (once)
                break;
        } else {
            failed = progress ? 1 : failed + 1;
            if (once && failed > retries) {
                fprintf(stderr, "%s send: giving up after %llu failed attempts\n", SHIP_PROG, (unsigned long long)failed);
                break;
            }
            s.st.retries++;
        }
        if (!once && ship_now_ms() - last_stats >= interval_ms) {
            print_stats(&s);
            last_stats = ship_now_ms();
        }
        if (r != 0) {
            ship_sleep_ms(backoff);
            backoff = backoff * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : backoff * 2;
        } else {
            ship_sleep_ms(interval_ms);
        }
    }
    print_stats(&s);
    if (once && (s.st.pending > 0 || s.st.refused > 0))
        rc = 1;
    free(s.buf);
    free(s.list);
    td_config_free(&cfg);
    return rc;
}
