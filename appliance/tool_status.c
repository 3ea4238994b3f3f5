/* tapdns-status: one look at a tapdns box (DESIGN.md 8): capture rates and drops, spool
 * backlog, the last batch, the index generations and the query rates.
 *
 *   tapdns-status [--config FILE] [--sample SECONDS]
 *
 * Sources, all named by the config file:
 *   capture  every *.prom file in [capture] metrics_dir (written by the capture fronts each
 *            stats interval): frames, DNS responses, records written, drops; rates from two
 *            readings --sample seconds apart (default 1; 0 = totals only)
 *   spool    [spool] dir: closed files, files still open, and the backlog (closed files that
 *            [batch] state does not list as done), with the oldest hour waiting
 *   batch    [batch] state: when it last committed, files done
 *   index    [index] db FILESET: generations per tier, the time they cover, its age
 *   query    GET http://[query] metrics_listen/metrics: requests and results (rates as above)
 * A part that is not configured or not reachable says so on its line; the exit status is 0
 * unless the config file itself is bad (1) or the usage is (2). */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "cli.h"
#include "config.h"
#include "config_keys.h"
#include "fileset.h"
#include "prom_sum.h"
#include "readfile.h"
#include "state.h"

static const char *prog = "tapdns-status";

#define TEXT_MAX (4u << 20)

/* GET /metrics from host:port (numeric address or name), 2 s timeout; the body in a malloc'd
 * buffer, or NULL with err. */
static char *http_metrics(const char *listen, size_t *len, char *err, size_t errlen)
{
    char host[256];
    const char *colon = strrchr(listen, ':');
    if (!colon || (size_t)(colon - listen) >= sizeof host) {
        snprintf(err, errlen, "bad address %s", listen);
        return NULL;
    }
    memcpy(host, listen, (size_t)(colon - listen));
    host[colon - listen] = '\0';
    char *h = host;
    if (h[0] == '[') { /* [v6]:port */
        h++;
        h[strcspn(h, "]")] = '\0';
    }
    if (!strcmp(h, "0.0.0.0") || !*h)
        h = "127.0.0.1";
    else if (!strcmp(h, "::"))
        h = "::1";
    struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *ai;
    if (getaddrinfo(h, colon + 1, &hints, &ai) != 0) {
        snprintf(err, errlen, "cannot resolve %s", listen);
        return NULL;
    }
    int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct timeval tv = { .tv_sec = 2 };
    if (fd >= 0) {
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    }
    if (fd < 0 || connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
        snprintf(err, errlen, "%s: %s", listen, strerror(errno));
        freeaddrinfo(ai);
        if (fd >= 0)
            close(fd);
        return NULL;
    }
    freeaddrinfo(ai);
    char req[512];
    int n = snprintf(req, sizeof req, "GET /metrics HTTP/1.0\r\nHost: %s\r\nConnection: close\r\n\r\n", listen);
    char *buf = malloc(TEXT_MAX + 1);
    size_t got = 0;
    if (buf && write(fd, req, (size_t)n) == n) {
        ssize_t r;
        while (got < TEXT_MAX && (r = read(fd, buf + got, TEXT_MAX - got)) > 0)
            got += (size_t)r;
    }
    close(fd);
    if (!buf)
        return NULL;
    buf[got] = '\0';
    char *body = strstr(buf, "\r\n\r\n");
    if (strncmp(buf, "HTTP/1.", 7) != 0 || !body || strncmp(buf + 9, "200", 3) != 0) {
        snprintf(err, errlen, "%s/metrics: no 200 answer", listen);
        free(buf);
        return NULL;
    }
    body += 4;
    *len = got - (size_t)(body - buf);
    memmove(buf, body, *len);
    return buf;
}

static double sum(const char *text, size_t len, const char *name)
{
    double s = 0;
    td_prom_sum(text, len, name, &s, NULL);
    return s;
}

/* Capture: names of the counters mirrored from lib/capture.h (tapdns_capture_<name>_total). */
struct capture_fig {
    double frames, responses, records, drops;
};

static int capture_read(const char *dir, struct capture_fig *f, int *files, time_t *oldest)
{
    memset(f, 0, sizeof *f);
    *files = 0;
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t n = strlen(e->d_name);
        if (n < 6 || strcmp(e->d_name + n - 5, ".prom") != 0)
            continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        size_t len = 0;
        char *t, ignored[300];
        if (td_read_file(path, TEXT_MAX, &t, &len, ignored, sizeof ignored) != 1)
            continue; /* gone meanwhile (renamed over), or unreadable: skipped */
        struct stat st;
        if (stat(path, &st) == 0 && (*files == 0 || st.st_mtime < *oldest))
            *oldest = st.st_mtime;
        (*files)++;
        f->frames += sum(t, len, "tapdns_capture_frames_total");
        f->responses += sum(t, len, "tapdns_capture_dns_responses_total");
        f->records += sum(t, len, "tapdns_capture_records_*");
        /* damaged frames (capture core), frames lost before the core (AF_XDP sockets, DPDK port) */
        f->drops += sum(t, len, "tapdns_capture_drop_*") + sum(t, len, "tapdns_xdp_no_socket_total") +
                    sum(t, len, "tapdns_xdp_xsk_rx_dropped_total") + sum(t, len, "tapdns_xdp_xsk_rx_ring_full_total") +
                    sum(t, len, "tapdns_dpdk_imissed_total") + sum(t, len, "tapdns_dpdk_rx_nombuf_total");
        free(t);
    }
    closedir(d);
    return 0;
}

static int is_spool_name(const char *n, int *open)
{
    size_t len = strlen(n);
    *open = len > 5 && strcmp(n + len - 5, ".open") == 0;
    return (len > 8 && strcmp(n + len - 8, ".tds.zst") == 0) || *open;
}

static void spool_status(const char *dir, const char *state_dir)
{
    struct td_batch_state st;
    char err[512];
    int have_state = state_dir && td_batch_state_load(state_dir, &st, err, sizeof err) == 0;
    DIR *d = opendir(dir);
    if (!d) {
        printf("spool    %s: %s\n", dir, strerror(errno));
        if (have_state)
            td_batch_state_free(&st);
        return;
    }
    unsigned long closed = 0, open = 0, backlog = 0;
    double closed_bytes = 0, backlog_bytes = 0;
    char oldest[256] = "";
    struct dirent *e;
    while ((e = readdir(d))) {
        int is_open;
        if (!is_spool_name(e->d_name, &is_open))
            continue;
        if (is_open) {
            open++;
            continue;
        }
        char path[4096];
        struct stat sb;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        double sz = stat(path, &sb) == 0 ? (double)sb.st_size : 0;
        closed++;
        closed_bytes += sz;
        if (!have_state || !td_batch_state_is_done(&st, e->d_name)) {
            backlog++;
            backlog_bytes += sz;
            /* <sensor>.<YYYYMMDDHH>.<writer>.tds.zst: compare by the hour part */
            const char *h = strchr(e->d_name, '.');
            const char *ho = strchr(oldest, '.');
            if (h && (!*oldest || !ho || strncmp(h, ho, 11) < 0))
                snprintf(oldest, sizeof oldest, "%s", e->d_name);
        }
    }
    closedir(d);
    printf("spool    %s: %lu closed files (%.1f MB), %lu open; backlog %lu files (%.1f MB)%s%s\n", dir, closed,
           closed_bytes / 1e6, open, backlog, backlog_bytes / 1e6, *oldest ? ", oldest " : "", oldest);
    if (have_state)
        td_batch_state_free(&st);
}

static void batch_status(const char *state_dir, time_t now)
{
    char path[4096], err[512];
    snprintf(path, sizeof path, "%s/state", state_dir);
    struct stat sb;
    struct td_batch_state st;
    if (stat(path, &sb) != 0) {
        printf("batch    %s: never ran\n", state_dir);
        return;
    }
    if (td_batch_state_load(state_dir, &st, err, sizeof err) != 0) {
        printf("batch    %s: %s\n", state_dir, err);
        return;
    }
    char when[32];
    struct tm tm;
    gmtime_r(&sb.st_mtime, &tm);
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
    printf("batch    %s: last commit %s (%lds ago), %zu spool files done\n", state_dir, when, (long)(now - sb.st_mtime),
           st.ndone);
    td_batch_state_free(&st);
}

static void index_status(const char *root, time_t now)
{
    struct td_fileset fs;
    char err[512], path[4096];
    if (td_fileset_load(root, &fs, err, sizeof err) != 0) {
        printf("index    %s: %s\n", root, err);
        return;
    }
    unsigned h = 0, dd = 0, m = 0;
    uint32_t lo = 0, hi = 0;
    for (uint32_t i = 0; i < fs.n; i++) {
        const struct td_fileset_gen *g = &fs.gens[i];
        h += g->tier == 'h';
        dd += g->tier == 'd';
        m += g->tier == 'm';
        if (g->min_time_first && (!lo || g->min_time_first < lo))
            lo = g->min_time_first;
        if (g->max_time_last > hi)
            hi = g->max_time_last;
    }
    snprintf(path, sizeof path, "%s/FILESET", root);
    struct stat sb;
    long age = stat(path, &sb) == 0 ? (long)(now - sb.st_mtime) : -1;
    char a[32] = "-", b[32] = "-";
    struct tm tm;
    time_t t;
    if (lo) {
        t = lo;
        strftime(a, sizeof a, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
        t = hi;
        strftime(b, sizeof b, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
    }
    printf("index    %s: %u generations (%u hour, %u day, %u month), data %s .. %s, FILESET %lds old\n", root, fs.n, h,
           dd, m, a, b, age);
    td_fileset_free(&fs);
}

int main(int argc, char **argv)
{
    const char *config = getenv("TAPDNS_CONFIG");
    if (!config || !*config)
        config = "/etc/tapdns/tapdns.conf";
    uint64_t sample = 1;
    const struct td_option opts[] = {
        { "config", 'c', TD_OPT_STRING, &config, "FILE", "config file (default $TAPDNS_CONFIG or /etc/tapdns/tapdns.conf)",
          NULL, 0 },
        { "sample", 's', TD_OPT_UINT, &sample, "SECONDS", "seconds between the two readings for rates (0: totals only)",
          NULL, 0 },
        { NULL, 0, 0, NULL, NULL, NULL, NULL, 0 },
    };
    int first;
    int pr = td_cli_main_parse(prog, "[--config FILE] [--sample SECONDS]", opts, argc, argv, &first, NULL, NULL, stdout,
                               stderr);
    if (pr != 0)
        return pr < 0 ? 2 : 0;
    char err[512];
    struct td_config *cfg = td_config_load(config, err, sizeof err);
    if (!cfg || td_config_check_known(cfg, td_config_known_keys, err, sizeof err) != 0) {
        fprintf(stderr, "%s: %s\n", prog, err);
        td_config_free(&cfg);
        return 1;
    }
    const char *metrics_dir = td_config_get(cfg, "capture", "metrics_dir");
    const char *spool = td_config_get(cfg, "spool", "dir");
    const char *state = td_config_get(cfg, "batch", "state");
    const char *db = td_config_get(cfg, "index", "db");
    const char *qlisten = td_config_get(cfg, "query", "metrics_listen");
    if (!metrics_dir)
        metrics_dir = "/run/tapdns";

    /* first readings of the counters that get rates */
    struct capture_fig c0, c1;
    int cfiles = 0;
    time_t cold = 0;
    int have_cap = capture_read(metrics_dir, &c0, &cfiles, &cold) == 0;
    char cap_err[128];
    snprintf(cap_err, sizeof cap_err, "%s", have_cap ? "" : strerror(errno));
    size_t qlen = 0;
    char *q0 = qlisten ? http_metrics(qlisten, &qlen, err, sizeof err) : NULL;
    double qreq0 = q0 ? sum(q0, qlen, "tapdns_query_requests_total") : 0;
    double qres0 = q0 ? sum(q0, qlen, "tapdns_query_results_total") : 0;
    free(q0);
    if (sample && (have_cap || qlisten))
        sleep((unsigned)sample);
    time_t now = time(NULL);

    if (!have_cap)
        printf("capture  %s: %s\n", metrics_dir, cap_err);
    else if (!cfiles)
        printf("capture  %s: no metrics files (no capture running here)\n", metrics_dir);
    else {
        capture_read(metrics_dir, &c1, &cfiles, &cold);
        printf("capture  %d fronts: %.0f frames, %.0f responses, %.0f records written, %.0f dropped", cfiles, c1.frames,
               c1.responses, c1.records, c1.drops);
        if (sample)
            printf("; now %.0f frames/s, %.0f records/s, %.0f drops/s", (c1.frames - c0.frames) / (double)sample,
                   (c1.records - c0.records) / (double)sample, (c1.drops - c0.drops) / (double)sample);
        printf(" (oldest metrics file %lds old)\n", (long)(now - cold));
    }
    if (spool)
        spool_status(spool, state);
    else
        printf("spool    not configured ([spool] dir)\n");
    if (state)
        batch_status(state, now);
    else
        printf("batch    not configured ([batch] state)\n");
    if (db)
        index_status(db, now);
    else
        printf("index    not configured ([index] db)\n");
    if (!qlisten) {
        printf("query    not configured ([query] metrics_listen)\n");
    } else {
        char *q1 = http_metrics(qlisten, &qlen, err, sizeof err);
        if (!q1) {
            printf("query    %s\n", err);
        } else {
            double req = sum(q1, qlen, "tapdns_query_requests_total");
            double res = sum(q1, qlen, "tapdns_query_results_total");
            printf("query    %s: %.0f requests, %.0f results", qlisten, req, res);
            if (sample)
                printf("; now %.1f requests/s, %.0f results/s", (req - qreq0) / (double)sample,
                       (res - qres0) / (double)sample);
            printf("\n");
            free(q1);
        }
    }
    td_config_free(&cfg);
    return 0;
}
