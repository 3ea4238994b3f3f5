/* tapdns-queryd: the DNSDB-style HTTP query service (DESIGN.md 7; query/server.h).
 *   tapdns-queryd [--config FILE] [--db ROOT] [--listen ADDR:PORT] [--keys FILE]
 *                 [--metrics-listen ADDR:PORT] [limits...]
 *   tapdns-queryd keys --keys FILE add NAME [--daily N] [--results-max N] [--offset-max N]
 *                 [--burst-size N] [--burst-window SECONDS]
 *   tapdns-queryd keys --keys FILE list
 *   tapdns-queryd keys --keys FILE revoke NAME
 * The options override the config file's [query] keys (and index.db). On start it prints
 * "tapdns-queryd: listening on ADDR:PORT" (the bound port, also for port 0) to stderr; SIGINT
 * and SIGTERM end it after saving the quota state. `keys add` prints the new key once, as the
 * last line of its output. */
#include "cli.h"
#include "config.h"
#include "config_keys.h"
#include "apikeys.h"
#include "server.h"
#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *prog = "tapdns-queryd";

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
    (void)sig;
    (void)what;
    event_base_loopbreak(arg);
}

static int serve(int argc, char **argv)
{
    struct td_qserver_conf c;
    td_qserver_conf_defaults(&c);
    const char *config = NULL;
    c.listen = "127.0.0.1:8053";
    const struct td_option opts[] = {
        { "config", 'c', TD_OPT_STRING, &config, "FILE", "config file (options given here win)", NULL, 0 },
        { "db", 'd', TD_OPT_STRING, &c.db, "ROOT", "index root (FILESET and generations)", "index.db", 1 },
        { "listen", 'l', TD_OPT_STRING, &c.listen, "ADDR:PORT", "API address (default 127.0.0.1:8053; port 0: any)",
          "query.listen", 0 },
        { "keys", 'k', TD_OPT_STRING, &c.keys_path, "FILE", "API keys file (absent: no authentication)", "query.keys", 0 },
        { "metrics-listen", 'm', TD_OPT_STRING, &c.metrics_listen, "ADDR:PORT", "Prometheus /metrics address",
          "query.metrics_listen", 0 },
        { "quota-state", 0, TD_OPT_STRING, &c.quota_state, "FILE", "quota counters kept across restarts",
          "query.quota_state", 0 },
        { "access-log", 0, TD_OPT_STRING, &c.access_log, "FILE", "access log (default stderr)", "query.access_log", 0 },
        { "max-concurrent", 0, TD_OPT_UINT, &c.max_concurrent, "N", "queries at once, then 503 (default 64)",
          "query.max_concurrent", 0 },
        { "deadline", 0, TD_OPT_DURATION, &c.deadline_ns, "DURATION", "per query (default 30s)", "query.deadline", 0 },
        { "limit-default", 0, TD_OPT_UINT, &c.limit_default, "N", "limit when absent (default 10000)",
          "query.limit_default", 0 },
        { "results-max", 0, TD_OPT_UINT, &c.results_max, "N", "largest limit (default 1000000)", "query.results_max", 0 },
        { "offset-max", 0, TD_OPT_UINT, &c.offset_max, "N", "largest offset without keys (default 3000000)",
          "query.offset_max", 0 },
        { "max-request-bytes", 0, TD_OPT_SIZE, &c.max_request_bytes, "SIZE", "request body (default 4K)",
          "query.max_request_bytes", 0 },
        { "max-header-bytes", 0, TD_OPT_SIZE, &c.max_header_bytes, "SIZE", "request line and headers (default 16K)",
          "query.max_header_bytes", 0 },
        { "reload-interval", 0, TD_OPT_DURATION, &c.reload_interval_ns, "DURATION", "FILESET check (default 1s)",
          "query.reload_interval", 0 },
        { "cache", 0, TD_OPT_SIZE, &c.cache_bytes, "SIZE", "index block cache (default 256M)", "query.cache", 0 },
        { NULL, 0, 0, NULL, NULL, NULL, NULL, 0 },
    };
    struct td_config *cfg = NULL;
    int first;
    int pr = td_cli_main_parse(prog, "[--config FILE] [--db ROOT] [--listen ADDR:PORT] [--keys FILE] [OPTIONS]\n"
                                     "       tapdns-queryd keys --keys FILE add NAME [OPTIONS] | list | revoke NAME",
                               opts, argc, argv, &first, td_config_known_keys, &cfg, stdout, stderr);
    if (pr != 0) {
        td_config_free(&cfg);
        return pr < 0 ? 2 : 0;
    }
    if (first < argc) {
        fprintf(stderr, "%s: unexpected argument '%s' (see --help)\n", prog, argv[first]);
        td_config_free(&cfg);
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    struct event_base *base = event_base_new();
    if (!base) {
        fprintf(stderr, "%s: event_base_new failed\n", prog);
        td_config_free(&cfg);
        return 1;
    }
    char err[512];
    struct td_qserver *srv = td_qserver_new(base, &c, err, sizeof err);
    td_config_free(&cfg); /* the server copied what it keeps */
    if (!srv) {
        fprintf(stderr, "%s: %s\n", prog, err);
        event_base_free(base);
        return 1;
    }
    struct event *sint = evsignal_new(base, SIGINT, on_signal, base);
    struct event *sterm = evsignal_new(base, SIGTERM, on_signal, base);
    if (sint)
        event_add(sint, NULL);
    if (sterm)
        event_add(sterm, NULL);
    fprintf(stderr, "%s: listening on port %u", prog, td_qserver_port(srv));
    if (td_qserver_metrics_port(srv))
        fprintf(stderr, ", metrics on port %u", td_qserver_metrics_port(srv));
    fprintf(stderr, "\n");
    event_base_dispatch(base);
    td_qserver_shutdown(srv);
    td_qserver_free(&srv);
    if (sint)
        event_free(sint);
    if (sterm)
        event_free(sterm);
    event_base_free(base);
    return 0;
}

static int keys_cmd(int argc, char **argv)
{
    const char *path = NULL, *config = NULL;
    uint64_t daily = 0, results_max = 1000000, offset_max = 3000000, burst_size = 0, burst_window = 0;
    const struct td_option opts[] = {
        { "config", 'c', TD_OPT_STRING, &config, "FILE", "config file (options given here win)", NULL, 0 },
        { "keys", 'k', TD_OPT_STRING, &path, "FILE", "API keys file", "query.keys", 1 },
        { "daily", 0, TD_OPT_UINT, &daily, "N", "add: queries per UTC day (0 = unlimited, default)", NULL, 0 },
        { "results-max", 0, TD_OPT_UINT, &results_max, "N", "add: largest limit (default 1000000)", NULL, 0 },
        { "offset-max", 0, TD_OPT_UINT, &offset_max, "N", "add: largest offset (0 = none; default 3000000)", NULL, 0 },
        { "burst-size", 0, TD_OPT_UINT, &burst_size, "N", "add: queries per burst window (0 = no cap)", NULL, 0 },
        { "burst-window", 0, TD_OPT_UINT, &burst_window, "SECONDS", "add: burst window", NULL, 0 },
        { NULL, 0, 0, NULL, NULL, NULL, NULL, 0 },
    };
    struct td_config *cfg = NULL;
    int first;
    int pr = td_cli_main_parse("tapdns-queryd keys", "--keys FILE add NAME [OPTIONS] | list | revoke NAME", opts,
                               argc, argv, &first, td_config_known_keys, &cfg, stdout, stderr);
    if (pr != 0) {
        td_config_free(&cfg);
        return pr < 0 ? 2 : 0;
    }
    int rc = 2;
    const char *cmd = first < argc ? argv[first] : "";
    int nargs = argc - first - 1;
    char err[512];
    struct td_keys *k = NULL;
    if (!((!strcmp(cmd, "add") && nargs == 1) || (!strcmp(cmd, "list") && nargs == 0) ||
          (!strcmp(cmd, "revoke") && nargs == 1))) {
        fprintf(stderr, "%s keys: expected add NAME, list or revoke NAME (see --help)\n", prog);
        goto out;
    }
    rc = 1;
    if (!strcmp(cmd, "add")) { /* the first key creates the file */
        int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd >= 0)
            close(fd);
        else if (errno != EEXIST) {
            fprintf(stderr, "%s keys: %s: %s\n", prog, path, strerror(errno));
            goto out;
        }
    }
    k = td_keys_load(path, NULL, err, sizeof err);
    if (!k) {
        fprintf(stderr, "%s keys: %s\n", prog, err);
        goto out;
    }
    if (!strcmp(cmd, "list")) {
        for (size_t i = 0; i < td_keys_count(k); i++) {
            const struct td_key *e = td_keys_at(k, i);
            printf("%s daily=%llu results_max=%llu offset_max=%llu burst_size=%llu burst_window=%llu%s\n", e->name,
                   (unsigned long long)e->daily_limit, (unsigned long long)e->results_max,
                   (unsigned long long)e->offset_max, (unsigned long long)e->burst_size,
                   (unsigned long long)e->burst_window, e->revoked ? " revoked" : "");
        }
        rc = 0;
        goto out;
    }
    if (!strcmp(cmd, "revoke")) {
        if (td_keys_revoke(k, argv[first + 1], err, sizeof err) != 0 || td_keys_save(k, err, sizeof err) != 0) {
            fprintf(stderr, "%s keys: %s\n", prog, err);
            goto out;
        }
        printf("revoked %s\n", argv[first + 1]);
        rc = 0;
        goto out;
    }
    char key[TD_KEY_STRING_LEN + 1];
    if (td_keys_add(k, argv[first + 1], daily, results_max, offset_max, burst_size, burst_window, key, err,
                    sizeof err) != 0 ||
        td_keys_save(k, err, sizeof err) != 0) {
        fprintf(stderr, "%s keys: %s\n", prog, err);
        goto out;
    }
    printf("added %s; its key (shown only now):\n%s\n", argv[first + 1], key);
    rc = 0;
out:
    td_keys_free(&k);
    td_config_free(&cfg);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "keys"))
        return keys_cmd(argc - 1, argv + 1);
    return serve(argc, argv);
}
