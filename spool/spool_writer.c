/* spool_writer.c: writes spool files (spool/FORMAT.md). One writer = one file at a time.
 * Records are encoded into a staging buffer and handed to zstd in big chunks; a frame is
 * ended (ZSTD_e_end) when frame_bytes record octets are in it or it is frame_seconds old,
 * and written out with write(2) right away, so a killed process leaves every ended frame
 * in the file. Memory: staging buffer + output buffer + one ZSTD_CCtx, fixed at init. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zstd.h>

#include "spool_int.h"
#include "durable.h"

#define STAGE_CAP (256u << 10) /* >= TD_SPOOL_REC_MAX: one record always fits an empty stage */

struct td_spool_writer;
static void claims_open(struct td_spool_writer *w);

struct td_spool_writer {
    struct td_spool_writer_opts opts;
    char dir[4096];
    char sensor[TD_SPOOL_SENSOR_MAX + 1];
    int dirfd;
    int claimfd;    /* DIR/.claimed (name claims, see open_file); -1 if it cannot be made */
    ZSTD_CCtx *cctx;
    uint8_t *stage; /* encoded records not yet given to zstd */
    size_t stage_len;
    uint8_t *out;   /* compressed octets not yet written */
    size_t out_cap, out_len;
    /* current file; fd < 0 when none */
    int fd;
    uint32_t hour, file_writer_id;
    uint32_t last_closed_hour; /* hour of the last file closed; valid if closed_any */
    int closed_any;
    char name[TD_SPOOL_NAME_MAX], open_name[TD_SPOOL_NAME_MAX + 8];
    struct td_spool_end file; /* counts for the end marker */
    /* current frame */
    uint64_t frame_in;        /* record octets in the unfinished frame; 0 = no frame */
    uint64_t frame_start_ns;
    struct td_spool_writer_stats stats;
    char errbuf[512];
};

static const char *sys_err(struct td_spool_writer *w, const char *what, const char *name)
{
    snprintf(w->errbuf, sizeof w->errbuf, "%s %s: %s", what, name, strerror(errno));
    return w->errbuf;
}

struct td_spool_writer *td_spool_writer_init(const struct td_spool_writer_opts *opts, const char **err)
{
    const char *e = NULL;
    if (!opts || !opts->dir || !opts->dir[0])
        e = "spool writer: no directory";
    else if (strlen(opts->dir) >= sizeof ((struct td_spool_writer *)0)->dir)
        e = "spool writer: directory path too long";
    else if (!td_spool_sensor_ok(opts->sensor))
        e = "spool writer: sensor id must match [A-Za-z0-9_-]{1,64}";
    else if (opts->writer_id > TD_SPOOL_WRITER_ID_MAX)
        e = "spool writer: writer id above 65535";
    else if (opts->frame_bytes > TD_SPOOL_FRAME_BYTES_MAX)
        e = "spool writer: frame_bytes above 32 MiB";
    else if (opts->frame_seconds > 86400)
        e = "spool writer: frame_seconds above 86400";
    else if (opts->zstd_level < -7 || opts->zstd_level > 19)
        e = "spool writer: zstd level outside -7..19";
    if (e) {
        if (err)
            *err = e;
        return NULL;
    }
    struct td_spool_writer *w = calloc(1, sizeof *w);
    if (!w) {
        if (err)
            *err = "spool writer: out of memory";
        return NULL;
    }
    w->opts = *opts;
    snprintf(w->dir, sizeof w->dir, "%s", opts->dir);
    snprintf(w->sensor, sizeof w->sensor, "%s", opts->sensor);
    w->opts.dir = w->dir;
    w->opts.sensor = w->sensor;
    if (!w->opts.frame_seconds)
        w->opts.frame_seconds = 10;
    if (!w->opts.frame_bytes)
        w->opts.frame_bytes = 1u << 20;
    if (!w->opts.zstd_level)
        w->opts.zstd_level = 1;
    if (!w->opts.hour_grace_seconds)
        w->opts.hour_grace_seconds = 120;
    w->fd = -1;
    w->claimfd = -1;
    w->dirfd = open(w->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    w->cctx = ZSTD_createCCtx();
    w->stage = malloc(STAGE_CAP);
    w->out_cap = ZSTD_CStreamOutSize() * 2;
    w->out = malloc(w->out_cap);
    if (w->dirfd < 0)
        e = "spool writer: cannot open the directory";
    else if (!w->cctx || !w->stage || !w->out)
        e = "spool writer: out of memory";
    else if (ZSTD_isError(ZSTD_CCtx_setParameter(w->cctx, ZSTD_c_compressionLevel, w->opts.zstd_level)) ||
             ZSTD_isError(ZSTD_CCtx_setParameter(w->cctx, ZSTD_c_checksumFlag, 1)))
        e = "spool writer: zstd refused the parameters";
    if (e) {
        if (err)
            *err = e;
        if (w->dirfd >= 0)
            close(w->dirfd);
        ZSTD_freeCCtx(w->cctx);
        free(w->stage);
        free(w->out);
        free(w);
        return NULL;
    }
    claims_open(w);
    return w;
}

static int flush_out(struct td_spool_writer *w, const char **err)
{
    if (w->out_len && td_write_all(w->fd, w->out, w->out_len) != 0) {
        *err = sys_err(w, "spool writer: write", w->open_name);
        return -1;
    }
    w->stats.bytes_out += w->out_len;
    w->out_len = 0;
    return 0;
}

/* Gives the stage to zstd; with ZSTD_e_end also ends the frame and writes it out. */
static int compress_stage(struct td_spool_writer *w, ZSTD_EndDirective mode, const char **err)
{
    ZSTD_inBuffer in = {w->stage, w->stage_len, 0};
    for (;;) {
        ZSTD_outBuffer o = {w->out, w->out_cap, w->out_len};
        size_t r = ZSTD_compressStream2(w->cctx, &o, &in, mode);
        w->out_len = o.pos;
        if (ZSTD_isError(r)) {
            snprintf(w->errbuf, sizeof w->errbuf, "spool writer: zstd: %s", ZSTD_getErrorName(r));
            *err = w->errbuf;
            return -1;
        }
        int done = mode == ZSTD_e_end ? r == 0 : in.pos == in.size;
        if ((w->out_len == w->out_cap || (done && mode == ZSTD_e_end)) && flush_out(w, err) != 0)
            return -1;
        if (done)
            break;
    }
    w->stage_len = 0;
    return 0;
}

/* Leaves the current file as it is (a torn *.open) after an I/O error. */
static void abandon_file(struct td_spool_writer *w)
{
    if (w->fd >= 0)
        close(w->fd);
    w->fd = -1;
    w->stage_len = w->out_len = 0;
    w->frame_in = 0;
    ZSTD_CCtx_reset(w->cctx, ZSTD_reset_session_only);
}

static int end_frame(struct td_spool_writer *w, const char **err)
{
    if (!w->frame_in)
        return 0;
    if (compress_stage(w, ZSTD_e_end, err) != 0) {
        abandon_file(w);
        return -1;
    }
    w->frame_in = 0;
    w->file.frames++;
    w->stats.frames++;
    return 0;
}

static uint64_t wall_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int exists_at(int dirfd, const char *name)
{
    struct stat st;
    return fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 || errno != ENOENT;
}

/* Name claims (FORMAT.md 2): before a writer creates "<name>.open" it creates the empty file
 * DIR/.claimed/<name> with O_EXCL, and a name whose claim exists is never used again. The
 * claim outlives the data file, which tapdns-ship moves away once it is shipped: without it
 * a writer restarted in the same hour would reuse the name of a file already shipped, and the
 * receiver would refuse the new file (same name, other content). Claims made more than
 * TD_SPOOL_CLAIM_HOURS ago (their mtime) are removed when a writer starts: a live writer only
 * opens files for the hour its records are in, so a restart within two days is covered (an
 * import of old captures too: the claim's age counts, not its hour). Without a .claimed
 * directory (read-only, or cannot be made) the writer still checks the names in DIR. */
#define TD_SPOOL_CLAIM_HOURS 48

static void claims_open(struct td_spool_writer *w)
{
    if (mkdirat(w->dirfd, ".claimed", 0755) != 0 && errno != EEXIST)
        return;
    w->claimfd = openat(w->dirfd, ".claimed", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (w->claimfd < 0)
        return;
    int fd = dup(w->claimfd);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    if (!d) {
        if (fd >= 0)
            close(fd);
        return;
    }
    uint64_t now_s = wall_ns() / 1000000000ull;
    struct dirent *e;
    while ((e = readdir(d))) {
        char sensor[TD_SPOOL_SENSOR_MAX + 1];
        uint32_t hour, id;
        int is_open;
        struct stat st;
        if (td_spool_parse_name(e->d_name, sensor, sizeof sensor, &hour, &id, &is_open) == 0 &&
            fstatat(w->claimfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
            (uint64_t)st.st_mtime + TD_SPOOL_CLAIM_HOURS * 3600ull < now_s)
            unlinkat(w->claimfd, e->d_name, 0);
    }
    closedir(d);
}

/* 1: name is ours now (claim made, or claims unavailable); 0: claimed before; -1: error. */
static int claim(struct td_spool_writer *w, const char *name)
{
    if (w->claimfd < 0)
        return 1;
    int fd = openat(w->claimfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0)
        return errno == EEXIST ? 0 : -1;
    close(fd);
    if (!w->opts.no_fsync)
        fsync(w->claimfd);
    return 1;
}

/* Creates "<name>.open" for the hour: the first writer id writer_id + 65536*k (k = 0, 1, ...)
 * whose name is not claimed and for which neither the final nor the .open name exists. Never
 * touches existing files. */
static int open_file(struct td_spool_writer *w, uint32_t hour, const char **err)
{
    for (uint32_t k = 0; k <= TD_SPOOL_GEN_MAX; k++) {
        uint32_t id = (uint32_t)w->opts.writer_id + k * (TD_SPOOL_WRITER_ID_MAX + 1);
        if (!td_spool_format_name(w->name, sizeof w->name, w->sensor, hour, id)) {
            *err = "spool writer: record time outside the years 1970-9999";
            return -1;
        }
        snprintf(w->open_name, sizeof w->open_name, "%s.open", w->name);
        if (exists_at(w->dirfd, w->name))
            continue;
        int c = claim(w, w->name);
        if (c < 0) {
            *err = sys_err(w, "spool writer: cannot claim", w->name);
            return -1;
        }
        if (c == 0)
            continue;
        int fd = openat(w->dirfd, w->open_name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (fd < 0) {
            if (errno == EEXIST)
                continue;
            *err = sys_err(w, "spool writer: cannot create", w->open_name);
            return -1;
        }
        /* held while the file is written: tapdns-spool recover --dir leaves locked files alone */
        (void)flock(fd, LOCK_EX | LOCK_NB);
        w->fd = fd;
        w->hour = hour;
        w->file_writer_id = id;
        memset(&w->file, 0, sizeof w->file);
        struct td_spool_header h;
        memset(&h, 0, sizeof h);
        h.version = TD_SPOOL_FORMAT_VERSION;
        snprintf(h.sensor, sizeof h.sensor, "%s", w->sensor);
        h.writer_id = id;
        h.hour = hour;
        h.created_ns = wall_ns();
        uint8_t hb[8 + TD_SPOOL_HEADER_FIXED + TD_SPOOL_SENSOR_MAX];
        size_t hl = td_spool_header_encode(&h, hb, sizeof hb);
        if (td_write_all(fd, hb, hl) != 0) {
            *err = sys_err(w, "spool writer: write", w->open_name);
            abandon_file(w);
            return -1;
        }
        w->stats.bytes_out += hl;
        return 0;
    }
    *err = "spool writer: every writer id generation of this hour is taken";
    return -1;
}

int td_spool_writer_close_file(struct td_spool_writer *w, const char **err)
{
    const char *ignored;
    if (!err)
        err = &ignored;
    if (!w || w->fd < 0)
        return 0;
    if (end_frame(w, err) != 0)
        return -1;
    uint8_t eb[8 + TD_SPOOL_END_LEN];
    td_spool_end_encode(&w->file, eb);
    if (td_write_all(w->fd, eb, sizeof eb) != 0) {
        *err = sys_err(w, "spool writer: write", w->open_name);
        abandon_file(w);
        return -1;
    }
    w->stats.bytes_out += sizeof eb;
    if (!w->opts.no_fsync && fsync(w->fd) != 0) {
        *err = sys_err(w, "spool writer: fsync", w->open_name);
        abandon_file(w);
        return -1;
    }
    int fd = w->fd;
    w->fd = -1;
    if (close(fd) != 0) {
        *err = sys_err(w, "spool writer: close", w->open_name);
        return -1;
    }
    if (renameat(w->dirfd, w->open_name, w->dirfd, w->name) != 0) {
        *err = sys_err(w, "spool writer: rename", w->open_name);
        return -1;
    }
    if (!w->opts.no_fsync && fsync(w->dirfd) != 0) {
        *err = sys_err(w, "spool writer: fsync of the directory after renaming", w->name);
        return -1;
    }
    w->stats.files_closed++;
    w->last_closed_hour = w->hour;
    w->closed_any = 1;
    return 0;
}

static int frame_due(const struct td_spool_writer *w, uint64_t now_ns)
{
    return w->frame_in && now_ns > w->frame_start_ns &&
           now_ns - w->frame_start_ns >= (uint64_t)w->opts.frame_seconds * 1000000000u;
}

int td_spool_write(struct td_spool_writer *w, const struct td_record *rec, uint64_t now_ns, const char **err)
{
    const char *ignored;
    if (!err)
        err = &ignored;
    if (!td_record_valid(rec, err))
        return -1;
    uint32_t hour = td_record_hour(rec);
    /* Rotation only moves forward: a late record of an earlier hour goes into the open file. */
    if (w->fd >= 0 && hour > w->hour && td_spool_writer_close_file(w, err) != 0)
        return -1;
    /* ... and a late record whose hour is closed goes into the next hour's file. */
    if (w->fd < 0 && w->closed_any && hour <= w->last_closed_hour)
        hour = w->last_closed_hour + 1;
    if (w->fd < 0 && open_file(w, hour, err) != 0)
        return -1;
    size_t n = td_record_encode(rec, w->stage + w->stage_len, STAGE_CAP - w->stage_len);
    if (!n) {
        if (compress_stage(w, ZSTD_e_continue, err) != 0) {
            abandon_file(w);
            return -1;
        }
        n = td_record_encode(rec, w->stage, STAGE_CAP);
    }
    if (!w->frame_in)
        w->frame_start_ns = now_ns;
    w->stage_len += n;
    w->frame_in += n;
    w->file.records++;
    w->file.bytes += n;
    w->stats.records++;
    w->stats.bytes_in += n;
    if (w->frame_in >= w->opts.frame_bytes || frame_due(w, now_ns))
        return end_frame(w, err);
    return 0;
}

int td_spool_writer_tick(struct td_spool_writer *w, uint64_t now_ns, const char **err)
{
    const char *ignored;
    if (!err)
        err = &ignored;
    if (!w || w->fd < 0)
        return 0;
    uint64_t close_at = ((uint64_t)w->hour + 1) * 3600u + w->opts.hour_grace_seconds;
    if (now_ns / 1000000000u >= close_at)
        return td_spool_writer_close_file(w, err);
    if (frame_due(w, now_ns))
        return end_frame(w, err);
    return 0;
}

int td_spool_writer_destroy(struct td_spool_writer **wp, const char **err)
{
    if (!wp || !*wp)
        return 0;
    struct td_spool_writer *w = *wp;
    int rc = td_spool_writer_close_file(w, err);
    if (w->fd >= 0)
        close(w->fd);
    close(w->dirfd);
    if (w->claimfd >= 0)
        close(w->claimfd);
    ZSTD_freeCCtx(w->cctx);
    free(w->stage);
    free(w->out);
    free(w);
    *wp = NULL;
    return rc;
}

const struct td_spool_writer_stats *td_spool_writer_stats(const struct td_spool_writer *w)
{
    return &w->stats;
}
