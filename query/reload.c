/* reload.c: the index handle of tapdns-queryd and the FILESET watch (server_int.h).
 *
 * Every reload_interval ROOT/FILESET is stat'ed; a change of device, inode, size or mtime (the
 * builder replaces it by rename, so the inode changes) opens the new set:
 * - td_index_reopen on the current handle: the generations both sets list (most of them) and
 *   the block cache are shared, only new generations are opened. The new handle becomes
 *   current at once; queries in flight finish on the old one, which closes when its last
 *   query ends (refcount), and with it the generations only it listed.
 * - Generations lock nothing (indexer/gen_reader.h), so the new set opens at once, whatever
 *   the queries in flight hold.
 * - An open error keeps the old handle and is logged; the next change retries. If no handle
 *   is open (the first open failed), queries get 503 until a later tick opens one. */
#include "server_int.h"
#include "errf.h"
#include "index.h"
#include <event2/event.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static void log_line(struct td_qreload *rl, const char *what, const char *detail)
{
    FILE *f = rl->srv ? rl->srv->log : NULL;
    if (f)
        fprintf(f, "# reload: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
}

/* The current set's generations and cache are reused when there is one (td_index_reopen). */
static struct td_qidx *open_idx(struct td_qreload *rl, char *err, size_t errlen)
{
    struct td_index_opts o = { 0, 0 };
    o.cache_bytes = rl->srv ? (size_t)rl->srv->conf.cache_bytes : 0;
    struct td_index *idx = rl->cur ? td_index_reopen(rl->cur->idx, err, errlen) : td_index_open(rl->root, &o, err, errlen);
    if (!idx)
        return NULL;
    struct td_qidx *ix = calloc(1, sizeof *ix);
    if (!ix) {
        td_index_close(&idx);
        td_errf(err, errlen, "out of memory");
        return NULL;
    }
    ix->idx = idx;
    ix->refs = 1;
    ix->generations = td_index_generations(idx);
    return ix;
}

static void close_idx(struct td_qidx *ix)
{
    td_index_close(&ix->idx);
    free(ix);
}

/* Signature of ROOT/FILESET; 0 if unchanged since the last call. */
static int sig_changed(struct td_qreload *rl)
{
    char path[4200];
    struct stat st;
    uint64_t dev = 0, ino = 0, size = 0, mt = 0;
    snprintf(path, sizeof path, "%s/FILESET", rl->root);
    if (stat(path, &st) == 0) {
        dev = (uint64_t)st.st_dev;
        ino = (uint64_t)st.st_ino;
        size = (uint64_t)st.st_size;
        mt = (uint64_t)st.st_mtim.tv_sec * 1000000000ull + (uint64_t)st.st_mtim.tv_nsec;
    }
    int changed = !rl->have_sig || dev != rl->sig_dev || ino != rl->sig_ino || size != rl->sig_size ||
                  mt != rl->sig_mtime_ns;
    rl->have_sig = 1;
    rl->sig_dev = dev;
    rl->sig_ino = ino;
    rl->sig_size = size;
    rl->sig_mtime_ns = mt;
    return changed;
}

void td_qreload_check(struct td_qreload *rl)
{
    char err[256];
    int changed = sig_changed(rl);
    if (!rl->cur) { /* retry a failed open every tick */
        rl->cur = open_idx(rl, err, sizeof err);
        if (rl->cur) {
            rl->reloads++;
            log_line(rl, "opened", NULL);
            if (rl->srv)
                td_qserver_index_changed(rl->srv);
        }
        return;
    }
    if (!changed)
        return;
    struct td_qidx *nx = open_idx(rl, err, sizeof err);
    if (nx) {
        struct td_qidx *old = rl->cur;
        rl->cur = nx;
        rl->reloads++;
        char d[64];
        snprintf(d, sizeof d, "%zu generations", nx->generations);
        log_line(rl, "opened", d);
        if (old)
            td_qreload_release(rl, old);
        if (rl->srv)
            td_qserver_index_changed(rl->srv);
        return;
    }
    rl->failures++;
    snprintf(rl->last_err, sizeof rl->last_err, "%s", err);
    log_line(rl, "new FILESET not opened, keeping the old one", err);
    if (rl->srv)
        td_qmetrics_reload(rl->srv->met, 0, rl->cur->generations);
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    td_qreload_check(arg);
}

int td_qreload_init(struct td_qreload *rl, struct td_qserver *srv, const char *root, char *err, size_t errlen)
{
    memset(rl, 0, sizeof *rl);
    rl->srv = srv;
    if (strlen(root) >= sizeof rl->root) {
        td_errf(err, errlen, "index root too long");
        return -1;
    }
    snprintf(rl->root, sizeof rl->root, "%s", root);
    sig_changed(rl);
    char e[256];
    rl->cur = open_idx(rl, e, sizeof e);
    if (!rl->cur) {
        td_errf(err, errlen, "index %s: %s", root, e);
        return -1;
    }
    if (srv && srv->base) {
        uint64_t ns = srv->conf.reload_interval_ns ? srv->conf.reload_interval_ns : 1000000000ull;
        struct timeval tv = { (time_t)(ns / 1000000000ull), (suseconds_t)(ns % 1000000000ull / 1000) };
        rl->tick = event_new(srv->base, -1, EV_PERSIST, on_tick, rl);
        if (!rl->tick || event_add(rl->tick, &tv) != 0) {
            td_errf(err, errlen, "cannot arm the reload timer");
            td_qreload_fini(rl);
            return -1;
        }
    }
    return 0;
}

void td_qreload_fini(struct td_qreload *rl)
{
    if (rl->tick) {
        event_free(rl->tick);
        rl->tick = NULL;
    }
    if (rl->cur) {
        /* streams were ended by the server before this: only the current reference is left */
        if (--rl->cur->refs == 0)
            close_idx(rl->cur);
        rl->cur = NULL;
    }
}

struct td_qidx *td_qreload_acquire(struct td_qreload *rl)
{
    if (!rl->cur)
        return NULL;
    rl->cur->refs++;
    return rl->cur;
}

void td_qreload_release(struct td_qreload *rl, struct td_qidx *ix)
{
    (void)rl;
    if (--ix->refs == 0)
        close_idx(ix);
}
