/* recv.c: tapdns-ship receive. A file is written to INCOMING/.partial/NAME, fdatasync'd
 * every --sync-every octets, and on COMMIT fsync'd, read back and checked against the offered
 * XXH3-128, then renamed into INCOMING without replacing anything (renameat2
 * RENAME_NOREPLACE) and the directory fsync'd; only then is it acknowledged. Names are
 * checked with td_ship_name_ok (closed spool names only). A name already stored with the
 * same size and checksum is acknowledged as a duplicate; with other content it is refused
 * (E_CONFLICT) and logged. A write error (disk full) keeps the partial data and is answered
 * at COMMIT; the sender resumes from the partial file's size later.
 * Connections: up to --max-conns at once, each served by its own process (statistics in a
 * shared mapping); a silent peer is dropped after --timeout. The flock on the partial file
 * answers E_BUSY to a second connection on the same name; RENAME_NOREPLACE keeps the first
 * copy when two complete. */
#include "ship.h"
#include "cli.h"
#include "config.h"
#include "config_keys.h"
#include "durable.h"
#include "errf.h"
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

struct rstats {
    uint64_t conns, files, bytes, duplicates, refused, errors;
};

struct receiver {
    const char *dir, *metrics_dir;
    char pdir[PATH_MAX];
    uint64_t timeout_ms, sync_every;
    int quiet;
    uint8_t *buf; /* TD_SHIP_DATA_MAX octets: hashing */
    struct rstats *st; /* shared with the connection processes (MAP_SHARED) */
    unsigned max_conns;
};

/* The file being received on the connection. */
struct rfile {
    int fd;          /* -1: none */
    char name[TD_SHIP_NAME_MAX + 1];
    uint8_t sum[TD_SHIP_SUM_LEN];
    uint64_t size, pos, resumed_at, unsynced;
    unsigned fail;   /* error code to answer at COMMIT (0: none) */
    char fail_text[160];
};

static void logf_(const struct receiver *rv, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void logf_(const struct receiver *rv, const char *fmt, ...)
{
    if (rv->quiet)
        return;
    char line[1024]; /* one write per line: connection processes share stderr */
    int n = snprintf(line, sizeof line, "%s receive: ", SHIP_PROG);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line + n, sizeof line - (size_t)n - 1, fmt, ap);
    va_end(ap);
    size_t l = strlen(line);
    line[l] = '\n';
    if (write(2, line, l + 1) < 0)
        return;
}

static void stat_add(uint64_t *c, uint64_t v)
{
    __atomic_fetch_add(c, v, __ATOMIC_RELAXED);
}

static uint64_t stat_get(const uint64_t *c)
{
    return __atomic_load_n(c, __ATOMIC_RELAXED);
}

static void print_stats(const struct receiver *rv)
{
    printf("%s receive: stats connections %llu files %llu bytes %llu duplicates %llu refused %llu errors %llu\n",
           SHIP_PROG, (unsigned long long)stat_get(&rv->st->conns), (unsigned long long)stat_get(&rv->st->files),
           (unsigned long long)stat_get(&rv->st->bytes), (unsigned long long)stat_get(&rv->st->duplicates),
           (unsigned long long)stat_get(&rv->st->refused), (unsigned long long)stat_get(&rv->st->errors));
    fflush(stdout);
    if (rv->metrics_dir) {
        const struct ship_counter c[] = {
            { "connections", "connections accepted", stat_get(&rv->st->conns) },
            { "files", "files stored and acknowledged", stat_get(&rv->st->files) },
            { "bytes", "octets received", stat_get(&rv->st->bytes) },
            { "duplicates", "offers of files already stored", stat_get(&rv->st->duplicates) },
            { "refused", "files refused (name, different content)", stat_get(&rv->st->refused) },
            { "errors", "transfer errors", stat_get(&rv->st->errors) },
        };
        char err[300];
        if (ship_metrics_write(rv->metrics_dir, "tapdns-ship-receive", c, sizeof c / sizeof c[0], err, sizeof err))
            fprintf(stderr, "%s receive: %s\n", SHIP_PROG, err);
    }
}

static unsigned io_code(int e)
{
    return e == ENOSPC || e == EDQUOT ? TD_SHIP_E_NOSPACE : TD_SHIP_E_IO;
}

static int send_error(struct ship_conn *c, unsigned code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int send_error(struct ship_conn *c, unsigned code, const char *fmt, ...)
{
    struct td_ship_msg m;
    memset(&m, 0, sizeof m);
    m.type = TD_SHIP_ERROR;
    m.code = (uint16_t)code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(m.text, sizeof m.text, fmt, ap);
    va_end(ap);
    char err[256];
    return ship_conn_write(c, &m, err, sizeof err);
}

static int send_ack(struct ship_conn *c, uint64_t size, uint8_t flags)
{
    struct td_ship_msg m = { .type = TD_SHIP_ACK, .size = size, .flags = flags };
    char err[256];
    return ship_conn_write(c, &m, err, sizeof err);
}

static void file_end(struct rfile *f)
{
    if (f->fd >= 0) {
        fdatasync(f->fd); /* keep what arrived; best effort */
        close(f->fd);     /* releases the lock */
    }
    f->fd = -1;
}

/* Is NAME stored already? 0 no; 1 yes, same size and checksum; 2 yes, different (or not a
 * regular file); -1 cannot tell (err). */
static int stored(struct receiver *rv, const char *name, uint64_t size, const uint8_t *sum, char *err, size_t errlen)
{
    char path[PATH_MAX];
    if (ship_path(path, sizeof path, rv->dir, name) != 0) {
        td_errf(err, errlen, "%s/%s: path too long", rv->dir, name);
        return -1;
    }
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT)
            return 0;
        if (errno == ELOOP)
            return 2;
        td_errf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    struct stat sb;
    uint8_t have[TD_SHIP_SUM_LEN];
    int r;
    if (fstat(fd, &sb) != 0) {
        td_errf(err, errlen, "%s: %s", path, strerror(errno));
        r = -1;
    } else if (!S_ISREG(sb.st_mode) || (uint64_t)sb.st_size != size) {
        r = 2;
    } else if (ship_sum_fd(fd, size, have, rv->buf, TD_SHIP_DATA_MAX, err, errlen) != 0) {
        r = -1;
    } else {
        r = memcmp(have, sum, TD_SHIP_SUM_LEN) == 0 ? 1 : 2;
    }
    close(fd);
    return r;
}

/* OFFER: answers ACK (duplicate), ACCEPT (offset) or ERROR. -1: connection broken. */
static int on_offer(struct receiver *rv, struct ship_conn *c, const struct td_ship_msg *m, struct rfile *f)
{
    char err[300], hex[2 * TD_SHIP_SUM_LEN + 1];
    if (!td_ship_name_ok(m->name)) {
        stat_add(&rv->st->refused, 1);
        logf_(rv, "from %s: refused name '%s' (not a closed spool file name)", c->peer, m->name);
        return send_error(c, TD_SHIP_E_NAME, "not a closed spool file name");
    }
    int st = stored(rv, m->name, m->size, m->sum, err, sizeof err);
    if (st < 0) {
        stat_add(&rv->st->errors, 1);
        logf_(rv, "%s", err);
        return send_error(c, TD_SHIP_E_IO, "cannot check the stored file");
    }
    if (st == 1) {
        stat_add(&rv->st->duplicates, 1);
        logf_(rv, "from %s: %s already stored; acknowledged again", c->peer, m->name);
        return send_ack(c, m->size, TD_SHIP_ACK_DUPLICATE);
    }
    if (st == 2) {
        stat_add(&rv->st->refused, 1);
        ship_sum_hex(m->sum, hex);
        logf_(rv, "from %s: refused %s: stored with different content (offer: %llu octets, xxh3-128 %s)", c->peer,
              m->name, (unsigned long long)m->size, hex);
        return send_error(c, TD_SHIP_E_CONFLICT, "stored with different content");
    }
    char path[PATH_MAX];
    if (ship_path(path, sizeof path, rv->pdir, m->name) != 0)
        return send_error(c, TD_SHIP_E_IO, "path too long");
    int fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0) {
        int e = errno;
        stat_add(&rv->st->errors, 1);
        logf_(rv, "%s: %s", path, strerror(e));
        return send_error(c, io_code(e), "cannot create the partial file: %s", strerror(e));
    }
    /* locked, and still the inode the path names: a partial file published (renamed) by
     * another connection between our open and flock is not ours to touch */
    struct stat sb, ps;
    if (flock(fd, LOCK_EX | LOCK_NB) != 0 || fstat(fd, &sb) != 0 || stat(path, &ps) != 0 ||
        sb.st_ino != ps.st_ino || sb.st_dev != ps.st_dev) {
        close(fd);
        return send_error(c, TD_SHIP_E_BUSY, "being received on another connection");
    }
    if (!S_ISREG(sb.st_mode) ||
        ((uint64_t)sb.st_size > m->size && ftruncate(fd, 0) != 0) || fsync(fd) != 0 || td_fsync_dir(rv->pdir) != 0) {
        int e = errno;
        close(fd);
        stat_add(&rv->st->errors, 1);
        logf_(rv, "%s: %s", path, strerror(e));
        return send_error(c, io_code(e), "partial file: %s", strerror(e));
    }
    memset(f, 0, sizeof *f);
    f->fd = fd;
    snprintf(f->name, sizeof f->name, "%s", m->name);
    memcpy(f->sum, m->sum, TD_SHIP_SUM_LEN);
    f->size = m->size;
    f->pos = f->resumed_at = (uint64_t)sb.st_size > m->size ? 0 : (uint64_t)sb.st_size;
    struct td_ship_msg a = { .type = TD_SHIP_ACCEPT, .offset = f->pos };
    return ship_conn_write(c, &a, err, sizeof err);
}

/* DATA: appended at f->pos; a write error is remembered for COMMIT. -1: protocol error. */
static int on_data(struct receiver *rv, const struct td_ship_msg *m, struct rfile *f)
{
    if (f->fd < 0 || m->offset != f->pos || m->data_len > f->size - f->pos)
        return -1;
    size_t done = 0;
    while (!f->fail && done < m->data_len) {
        ssize_t n = pwrite(f->fd, m->data + done, m->data_len - done, (off_t)(f->pos + done));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            int e = n < 0 ? errno : EIO;
            f->fail = io_code(e);
            snprintf(f->fail_text, sizeof f->fail_text, "write at %llu: %s", (unsigned long long)(f->pos + done),
                     strerror(e));
            logf_(rv, "%s: %s (partial data kept)", f->name, f->fail_text);
            break;
        }
        done += (size_t)n;
    }
    f->pos += m->data_len;
    f->unsynced += done;
    stat_add(&rv->st->bytes, done);
    if (!f->fail && f->unsynced >= rv->sync_every) {
        if (fdatasync(f->fd) != 0) {
            f->fail = io_code(errno);
            snprintf(f->fail_text, sizeof f->fail_text, "fdatasync: %s", strerror(errno));
            logf_(rv, "%s: %s", f->name, f->fail_text);
        }
        f->unsynced = 0;
    }
    return 0;
}

/* Renames the verified partial into the directory, never replacing a file. 0, or errno. */
static int publish(struct receiver *rv, const char *name)
{
    char from[PATH_MAX], to[PATH_MAX];
    if (ship_path(from, sizeof from, rv->pdir, name) != 0 || ship_path(to, sizeof to, rv->dir, name) != 0)
        return ENAMETOOLONG;
    if (renameat2(AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE) != 0) {
        if (errno != EINVAL && errno != ENOSYS)
            return errno;
        if (link(from, to) != 0) /* file system without RENAME_NOREPLACE */
            return errno;
        unlink(from);
    }
    if (td_fsync_dir(rv->dir) != 0 || td_fsync_dir(rv->pdir) != 0)
        return errno;
    return 0;
}

/* COMMIT: verify, publish, ACK; or ERROR. -1: connection broken or protocol error. */
static int on_commit(struct receiver *rv, struct ship_conn *c, const struct td_ship_msg *m, struct rfile *f)
{
    if (f->fd < 0 || m->size != f->size || (!f->fail && f->pos != f->size))
        return -2;
    char err[300], path[PATH_MAX];
    if (ship_path(path, sizeof path, rv->pdir, f->name) != 0)
        return -1;
    if (!f->fail && fsync(f->fd) != 0) {
        f->fail = io_code(errno);
        snprintf(f->fail_text, sizeof f->fail_text, "fsync: %s", strerror(errno));
    }
    if (f->fail) {
        stat_add(&rv->st->errors, 1);
        unsigned code = f->fail;
        file_end(f);
        return send_error(c, code, "%s", f->fail_text);
    }
    uint8_t sum[TD_SHIP_SUM_LEN];
    if (ship_sum_fd(f->fd, f->size, sum, rv->buf, TD_SHIP_DATA_MAX, err, sizeof err) != 0) {
        stat_add(&rv->st->errors, 1);
        logf_(rv, "%s: %s", path, err);
        file_end(f);
        return send_error(c, TD_SHIP_E_IO, "cannot read back the partial file");
    }
    if (memcmp(sum, f->sum, TD_SHIP_SUM_LEN) != 0) {
        stat_add(&rv->st->errors, 1);
        logf_(rv, "from %s: %s: checksum mismatch after %llu octets (resumed at %llu); partial discarded", c->peer,
              f->name, (unsigned long long)f->size, (unsigned long long)f->resumed_at);
        unlink(path);
        file_end(f);
        return send_error(c, TD_SHIP_E_CHECKSUM, "checksum mismatch; send the whole file again");
    }
    int e = publish(rv, f->name);
    char name[TD_SHIP_NAME_MAX + 1];
    snprintf(name, sizeof name, "%s", f->name);
    uint64_t size = f->size, resumed = f->resumed_at;
    file_end(f);
    if (e == EEXIST) { /* stored meanwhile: same content is a duplicate, else a conflict */
        int st = stored(rv, name, size, sum, err, sizeof err);
        unlink(path);
        if (st == 1) {
            stat_add(&rv->st->duplicates, 1);
            return send_ack(c, size, TD_SHIP_ACK_DUPLICATE);
        }
        stat_add(&rv->st->refused, 1);
        logf_(rv, "from %s: refused %s: stored with different content", c->peer, name);
        return send_error(c, TD_SHIP_E_CONFLICT, "stored with different content");
    }
    if (e) {
        stat_add(&rv->st->errors, 1);
        logf_(rv, "%s: rename into %s: %s", name, rv->dir, strerror(e));
        return send_error(c, io_code(e), "rename: %s", strerror(e));
    }
    stat_add(&rv->st->files, 1);
    char hex[2 * TD_SHIP_SUM_LEN + 1];
    ship_sum_hex(sum, hex);
    logf_(rv, "from %s: received %s (%llu octets, resumed at %llu, xxh3-128 %s)", c->peer, name,
          (unsigned long long)size, (unsigned long long)resumed, hex);
    return send_ack(c, size, 0);
}

static void serve(struct receiver *rv, struct ship_conn *c)
{
    char err[300];
    struct td_ship_msg m;
    struct rfile f;
    memset(&f, 0, sizeof f);
    f.fd = -1;
    int r = ship_conn_read(c, &m, err, sizeof err);
    if (r != 1) {
        if (r < 0)
            logf_(rv, "%s", err);
        return;
    }
    if (m.type != TD_SHIP_HELLO) {
        logf_(rv, "from %s: expected HELLO", c->peer);
        send_error(c, TD_SHIP_E_PROTO, "expected HELLO");
        return;
    }
    if (m.version != TD_SHIP_VERSION) {
        logf_(rv, "from %s: unsupported protocol version %u", c->peer, m.version);
        send_error(c, TD_SHIP_E_VERSION, "unsupported version %u (this receiver speaks %u)", m.version,
                   TD_SHIP_VERSION);
        return;
    }
    struct td_ship_msg h = { .type = TD_SHIP_HELLO, .version = TD_SHIP_VERSION };
    if (ship_conn_write(c, &h, err, sizeof err) != 0)
        return;
    while (!ship_stop) {
        r = ship_conn_read(c, &m, err, sizeof err);
        if (r <= 0) {
            if (r < 0)
                logf_(rv, "%s", err);
            break;
        }
        int res;
        switch (m.type) {
        case TD_SHIP_OFFER:
            res = f.fd >= 0 ? -2 : on_offer(rv, c, &m, &f);
            break;
        case TD_SHIP_DATA:
            res = on_data(rv, &m, &f) == 0 ? 0 : -2;
            break;
        case TD_SHIP_COMMIT:
            res = on_commit(rv, c, &m, &f);
            break;
        default:
            res = -2;
        }
        if (res == -2) {
            stat_add(&rv->st->errors, 1);
            logf_(rv, "from %s: unexpected message type %u%s%s; closing", c->peer, m.type, f.fd >= 0 ? " during " : "",
                  f.fd >= 0 ? f.name : "");
            send_error(c, TD_SHIP_E_PROTO, "unexpected message type %u", m.type);
            break;
        }
        if (res != 0)
            break;
    }
    if (f.fd >= 0)
        logf_(rv, "from %s: connection ended in %s at %llu of %llu; partial data kept", c->peer, f.name,
              (unsigned long long)f.pos, (unsigned long long)f.size);
    file_end(&f);
}

#define MAX_CONNS_LIMIT 64

static void on_child(int sig)
{
    (void)sig; /* only to interrupt accept() so that exited connection processes are reaped */
}

/* One accepted connection, served in this process. */
static void serve_fd(struct receiver *rv, int fd)
{
    char err[300];
    struct ship_conn c;
    if (ship_conn_init(&c, fd, rv->timeout_ms, err, sizeof err) != 0) {
        logf_(rv, "%s", err);
        return;
    }
    serve(rv, &c);
    ship_conn_close(&c);
    print_stats(rv);
}

/* Accept loop: with max_conns 1 each connection is served in turn; otherwise each goes to
 * a child process, at most max_conns at once (then accept waits for one to end). */
static void accept_loop(struct receiver *rv, int lfd)
{
    pid_t kids[MAX_CONNS_LIMIT];
    unsigned nkids = 0;
    while (!ship_stop) {
        pid_t pid;
        int status;
        while (nkids > 0 && (pid = waitpid(-1, &status, nkids >= rv->max_conns ? 0 : WNOHANG)) > 0) {
            for (unsigned i = 0; i < nkids; i++)
                if (kids[i] == pid) {
                    kids[i] = kids[--nkids];
                    break;
                }
        }
        if (ship_stop)
            break;
        if (nkids >= rv->max_conns)
            continue; /* waitpid was interrupted */
        int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno != EINTR && errno != ECONNABORTED) {
                logf_(rv, "accept: %s", strerror(errno));
                ship_sleep_ms(100);
            }
            continue;
        }
        stat_add(&rv->st->conns, 1);
        if (rv->max_conns <= 1) {
            serve_fd(rv, fd);
            continue;
        }
        fflush(stdout);
        pid_t parent = getpid();
        pid = fork();
        if (pid == 0) {
            prctl(PR_SET_PDEATHSIG, SIGTERM); /* no orphan keeps a connection after a crash */
            if (getppid() != parent)
                _exit(0);
            close(lfd);
            serve_fd(rv, fd);
            fflush(stdout);
            _exit(0);
        }
        close(fd);
        if (pid < 0)
            logf_(rv, "fork: %s; connection dropped", strerror(errno));
        else
            kids[nkids++] = pid;
    }
    for (unsigned i = 0; i < nkids; i++)
        kill(kids[i], SIGTERM); /* they keep their partial data */
    while (nkids > 0 && waitpid(-1, NULL, 0) > 0)
        nkids--;
}

int ship_recv_main(int argc, char **argv)
{
    struct receiver rv;
    memset(&rv, 0, sizeof rv);
    const char *config = NULL, *listen_on = NULL;
    uint64_t timeout = 60ull * 1000000000ull, sync_every = 4u << 20, max_conns = 8;
    const struct td_option opts[] = {
        { "listen", 'l', TD_OPT_STRING, &listen_on, "ADDR:PORT", "address to listen on (port 0: any; the log names it)", "ship.listen", 1 },
        { "dir", 'd', TD_OPT_STRING, &rv.dir, "DIR", "incoming directory, normally the spool directory batch reads (partial files in DIR/.partial)", "spool.dir", 1 },
        { "metrics-dir", 0, TD_OPT_STRING, &rv.metrics_dir, "DIR", "rewrite DIR/tapdns-ship-receive.prom at every stats line", "capture.metrics_dir", 0 },
        { "max-conns", 0, TD_OPT_UINT, &max_conns, "N", "connections served at once, each in its own process (1..64, default 8; 1: in turn, no fork)", NULL, 0 },
        { "timeout", 0, TD_OPT_DURATION, &timeout, "DURATION", "drop a connection silent this long (default 60s)", NULL, 0 },
        { "sync-every", 0, TD_OPT_SIZE, &sync_every, "SIZE", "fdatasync the partial file every SIZE octets (default 4M)", NULL, 0 },
        { "config", 'c', TD_OPT_STRING, &config, "FILE", "config file (options given here win)", NULL, 0 },
        { "quiet", 'q', TD_OPT_FLAG, &rv.quiet, NULL, "no per-file log lines", NULL, 0 },
        { NULL, 0, 0, NULL, NULL, NULL, NULL, 0 },
    };
    struct td_config *cfg = NULL;
    int first;
    int pr = td_cli_main_parse(SHIP_PROG " receive", "--listen ADDR:PORT --dir INCOMING", opts, argc, argv, &first,
                               td_config_known_keys, &cfg, stdout, stderr);
    if (pr != 0) {
        td_config_free(&cfg);
        return pr < 0 ? 2 : 0;
    }
    int rc = 1, lfd = -1;
    char err[300], bound[96];
    if (first < argc) {
        fprintf(stderr, "%s receive: unexpected argument '%s' (see --help)\n", SHIP_PROG, argv[first]);
        rc = 2;
        goto out;
    }
    if (max_conns < 1 || max_conns > MAX_CONNS_LIMIT) {
        fprintf(stderr, "%s receive: --max-conns must be 1..%d\n", SHIP_PROG, MAX_CONNS_LIMIT);
        rc = 2;
        goto out;
    }
    rv.max_conns = (unsigned)max_conns;
    rv.timeout_ms = timeout / 1000000u ? timeout / 1000000u : 1;
    rv.sync_every = sync_every ? sync_every : 1;
    struct stat sb;
    if (stat(rv.dir, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
        fprintf(stderr, "%s receive: %s is not a directory\n", SHIP_PROG, rv.dir);
        goto out;
    }
    if (ship_path(rv.pdir, sizeof rv.pdir, rv.dir, ".partial") != 0 || (mkdir(rv.pdir, 0755) != 0 && errno != EEXIST)) {
        fprintf(stderr, "%s receive: %s/.partial: %s\n", SHIP_PROG, rv.dir, strerror(errno));
        goto out;
    }
    rv.buf = malloc(TD_SHIP_DATA_MAX);
    rv.st = mmap(NULL, sizeof *rv.st, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (!rv.buf || rv.st == MAP_FAILED) {
        rv.st = NULL;
        fprintf(stderr, "%s receive: out of memory\n", SHIP_PROG);
        goto out;
    }
    memset(rv.st, 0, sizeof *rv.st);
    lfd = ship_listen(listen_on, bound, sizeof bound, err, sizeof err);
    if (lfd < 0) {
        fprintf(stderr, "%s receive: %s\n", SHIP_PROG, err);
        goto out;
    }
    ship_install_signals();
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_child; /* no SA_RESTART */
    sigaction(SIGCHLD, &sa, NULL);
    fprintf(stderr, "%s receive: listening on %s, storing into %s\n", SHIP_PROG, bound, rv.dir);
    accept_loop(&rv, lfd);
    rc = 0;
out:
    if (lfd >= 0) {
        close(lfd);
        print_stats(&rv);
    }
    if (rv.st)
        munmap(rv.st, sizeof *rv.st);
    free(rv.buf);
    td_config_free(&cfg);
    return rc;
}
