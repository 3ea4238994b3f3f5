/* spool_reader.c: reads spool files (spool/FORMAT.md). Each zstd frame is decoded whole into
 * a buffer and its checksum verified before any of its records is delivered, so a torn or
 * corrupt frame never yields records. Memory: one input chunk, one frame buffer (at most
 * TD_SPOOL_FRAME_MAX), one ZSTD_DCtx with a window of at most 16 MiB. Never asserts on input. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zstd.h>
#include <zstd_errors.h>

#include "spool_int.h"
#include "byteorder.h"

#define IN_CAP (256u << 10)
#define WINDOW_LOG_MAX 24

enum rstate { R_FRAMES, R_DONE, R_ERROR };

struct td_spool_reader {
    int fd;
    int eof;                 /* read(2) returned 0 */
    uint8_t *in;
    size_t in_pos, in_len;
    uint64_t in_base;        /* file offset of in[0] */
    ZSTD_DCtx *dctx;
    uint8_t *frame;          /* decoded records of the current frame */
    size_t frame_cap, frame_len, frame_pos;
    uint64_t frame_off;      /* file offset of the current frame */
    struct td_spool_end seen; /* what was read so far, checked against the end marker */
    enum rstate state;
    struct td_spool_header hdr;
    uint64_t err_off;
    char err[256];
};

static __thread char open_err[320];

static uint64_t cur_off(const struct td_spool_reader *r)
{
    return r->in_base + r->in_pos;
}

/* Makes at least `need` unread octets available (need <= IN_CAP); returns how many are
 * available (fewer only at end of file), or -1 on a read error. */
static long fill(struct td_spool_reader *r, size_t need)
{
    if (r->in_len - r->in_pos >= need)
        return (long)(r->in_len - r->in_pos);
    if (r->in_pos) {
        memmove(r->in, r->in + r->in_pos, r->in_len - r->in_pos);
        r->in_base += r->in_pos;
        r->in_len -= r->in_pos;
        r->in_pos = 0;
    }
    while (!r->eof && r->in_len < need) {
        ssize_t k = read(r->fd, r->in + r->in_len, IN_CAP - r->in_len);
        if (k < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        if (k == 0)
            r->eof = 1;
        r->in_len += (size_t)k;
    }
    return (long)(r->in_len - r->in_pos);
}

static int fail(struct td_spool_reader *r, uint64_t off, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(struct td_spool_reader *r, uint64_t off, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->err, sizeof r->err, fmt, ap);
    va_end(ap);
    r->err_off = off;
    r->state = R_ERROR;
    return TD_SPOOL_ERROR;
}

static void free_reader(struct td_spool_reader *r)
{
    if (r->fd >= 0)
        close(r->fd);
    ZSTD_freeDCtx(r->dctx);
    free(r->in);
    free(r->frame);
    free(r);
}

struct td_spool_reader *td_spool_reader_open(const char *path, const char **err)
{
    const char *e = NULL, *ignored;
    if (!err)
        err = &ignored;
    struct td_spool_reader *r = calloc(1, sizeof *r);
    if (!r) {
        *err = "spool reader: out of memory";
        return NULL;
    }
    r->fd = open(path, O_RDONLY | O_CLOEXEC);
    r->in = malloc(IN_CAP);
    r->dctx = ZSTD_createDCtx();
    if (r->fd < 0) {
        snprintf(open_err, sizeof open_err, "cannot open %.200s: %s", path, strerror(errno));
        e = open_err;
    } else if (!r->in || !r->dctx) {
        e = "spool reader: out of memory";
    } else if (ZSTD_isError(ZSTD_DCtx_setParameter(r->dctx, ZSTD_d_windowLogMax, WINDOW_LOG_MAX))) {
        e = "spool reader: zstd refused the parameters";
    } else {
        long n = fill(r, 8);
        if (n < 0) {
            snprintf(open_err, sizeof open_err, "read error: %s", strerror(errno));
            e = open_err;
        } else if (n < 8) {
            e = n == 0 ? "empty file" : "truncated header";
        } else if (td_get_le32(r->in) != TD_SPOOL_SKIP_HEADER) {
            e = "not a spool file (bad magic)";
        } else {
            uint32_t plen = td_get_le32(r->in + 4);
            /* a longer header is wrong: read one octet more than the largest, decode says why */
            size_t want = plen > TD_SPOOL_HEADER_FIXED + TD_SPOOL_SENSOR_MAX ? TD_SPOOL_HEADER_FIXED + TD_SPOOL_SENSOR_MAX + 1
                                                                            : plen;
            if (fill(r, 8 + want) < (long)(8 + want))
                e = "truncated header";
            else if (td_spool_header_decode(r->in + 8, want, &r->hdr, &e) == 0)
                r->in_pos = 8 + want;
        }
    }
    if (e) {
        *err = e;
        free_reader(r);
        return NULL;
    }
    r->state = R_FRAMES;
    return r;
}

const struct td_spool_header *td_spool_reader_header(const struct td_spool_reader *r)
{
    return &r->hdr;
}

/* Decodes the zstd frame at the read position into r->frame; 0 ok, else the error. */
static int decode_frame(struct td_spool_reader *r)
{
    uint64_t off = r->frame_off;
    long n = fill(r, 5);
    if (n < 0)
        return fail(r, off, "read error at offset %llu: %s", (unsigned long long)off, strerror(errno));
    if (n < 5)
        return fail(r, off, "torn frame at offset %llu (file ends inside a frame)", (unsigned long long)off);
    /* Frame_Header_Descriptor: bit 2 = content checksum; our writer always sets it. */
    if (!(r->in[r->in_pos + 4] & 0x04))
        return fail(r, off, "corrupt frame at offset %llu: no content checksum", (unsigned long long)off);
    ZSTD_DCtx_reset(r->dctx, ZSTD_reset_session_only);
    r->frame_len = r->frame_pos = 0;
    for (;;) {
        if (r->frame_len == r->frame_cap) {
            if (r->frame_cap >= TD_SPOOL_FRAME_MAX)
                return fail(r, off, "corrupt frame at offset %llu: decodes to more than %u octets",
                            (unsigned long long)off, TD_SPOOL_FRAME_MAX);
            size_t nc = r->frame_cap ? r->frame_cap * 2 : (1u << 20);
            if (nc > TD_SPOOL_FRAME_MAX)
                nc = TD_SPOOL_FRAME_MAX;
            uint8_t *nb = realloc(r->frame, nc);
            if (!nb)
                return fail(r, off, "out of memory for the frame at offset %llu", (unsigned long long)off);
            r->frame = nb;
            r->frame_cap = nc;
        }
        if (r->in_pos == r->in_len) {
            n = fill(r, 1);
            if (n < 0)
                return fail(r, off, "read error at offset %llu: %s", (unsigned long long)cur_off(r), strerror(errno));
            if (n == 0)
                return fail(r, off, "torn frame at offset %llu (file ends inside a frame)", (unsigned long long)off);
        }
        ZSTD_inBuffer in = {r->in, r->in_len, r->in_pos};
        ZSTD_outBuffer out = {r->frame, r->frame_cap, r->frame_len};
        size_t z = ZSTD_decompressStream(r->dctx, &out, &in);
        if (!ZSTD_isError(z) && z != 0 && in.pos == r->in_pos && out.pos == r->frame_len &&
            out.pos < out.size && in.pos < in.size)
            return fail(r, off, "corrupt frame at offset %llu: decoder made no progress", (unsigned long long)off);
        r->in_pos = in.pos;
        r->frame_len = out.pos;
        if (ZSTD_isError(z)) {
            if (ZSTD_getErrorCode(z) == ZSTD_error_checksum_wrong)
                return fail(r, off, "corrupt frame at offset %llu: checksum mismatch", (unsigned long long)off);
            return fail(r, off, "corrupt frame at offset %llu: %s", (unsigned long long)off, ZSTD_getErrorName(z));
        }
        if (z == 0)
            return 0;
    }
}

/* Reads the skippable frame at the read position: the end marker, or any other (skipped). */
static int skippable(struct td_spool_reader *r, uint32_t magic)
{
    uint64_t off = r->frame_off;
    long n = fill(r, 8);
    if (n < 0)
        return fail(r, off, "read error at offset %llu: %s", (unsigned long long)off, strerror(errno));
    if (n < 8)
        return fail(r, off, "torn frame at offset %llu (file ends inside a frame)", (unsigned long long)off);
    uint32_t size = td_get_le32(r->in + r->in_pos + 4);
    r->in_pos += 8;
    if (magic == TD_SPOOL_SKIP_END) {
        struct td_spool_end e;
        const char *why;
        if (size != TD_SPOOL_END_LEN)
            return fail(r, off, "corrupt end marker at offset %llu: bad length", (unsigned long long)off);
        n = fill(r, size);
        if (n < 0)
            return fail(r, off, "read error at offset %llu: %s", (unsigned long long)off, strerror(errno));
        if (n < (long)size)
            return fail(r, off, "torn frame at offset %llu (file ends inside a frame)", (unsigned long long)off);
        if (td_spool_end_decode(r->in + r->in_pos, size, &e, &why) != 0)
            return fail(r, off, "corrupt end marker at offset %llu: %s", (unsigned long long)off, why);
        r->in_pos += size;
        if (e.records != r->seen.records || e.frames != r->seen.frames || e.bytes != r->seen.bytes)
            return fail(r, off,
                        "end marker at offset %llu does not match the file: it counts %llu records in %llu "
                        "frames, the file holds %llu in %llu (a frame was lost or added)",
                        (unsigned long long)off, (unsigned long long)e.records, (unsigned long long)e.frames,
                        (unsigned long long)r->seen.records, (unsigned long long)r->seen.frames);
        n = fill(r, 1);
        if (n != 0)
            return fail(r, cur_off(r), "data after the end marker at offset %llu", (unsigned long long)cur_off(r));
        r->state = R_DONE;
        return TD_SPOOL_EOF;
    }
    /* Another skippable frame: metadata of a later revision; skipped. */
    uint64_t left = size;
    while (left) {
        n = fill(r, 1);
        if (n < 0)
            return fail(r, off, "read error at offset %llu: %s", (unsigned long long)off, strerror(errno));
        if (n == 0)
            return fail(r, off, "torn frame at offset %llu (file ends inside a frame)", (unsigned long long)off);
        size_t k = (uint64_t)n < left ? (size_t)n : (size_t)left;
        r->in_pos += k;
        left -= k;
    }
    return 0;
}

int td_spool_read(struct td_spool_reader *r, struct td_record *rec)
{
    for (;;) {
        if (r->state == R_ERROR)
            return TD_SPOOL_ERROR;
        if (r->state == R_DONE)
            return TD_SPOOL_EOF;
        if (r->frame_pos < r->frame_len) {
            const char *why = "record cut at the end of the frame";
            long k = td_record_decode(r->frame + r->frame_pos, r->frame_len - r->frame_pos, rec, &why);
            if (k <= 0)
                return fail(r, r->frame_off, "malformed record at offset %zu in frame at offset %llu: %s",
                            r->frame_pos, (unsigned long long)r->frame_off, why);
            r->frame_pos += (size_t)k;
            r->seen.records++;
            return TD_SPOOL_RECORD;
        }
        /* next frame */
        r->frame_off = cur_off(r);
        long n = fill(r, 4);
        if (n < 0)
            return fail(r, r->frame_off, "read error at offset %llu: %s", (unsigned long long)r->frame_off,
                        strerror(errno));
        if (n == 0)
            return fail(r, r->frame_off, "no end marker at offset %llu: file not closed cleanly",
                        (unsigned long long)r->frame_off);
        if (n < 4)
            return fail(r, r->frame_off, "torn frame at offset %llu (file ends inside a frame)",
                        (unsigned long long)r->frame_off);
        uint32_t magic = td_get_le32(r->in + r->in_pos);
        if (magic == ZSTD_MAGICNUMBER) {
            if (decode_frame(r) != 0)
                return TD_SPOOL_ERROR;
            r->seen.frames++;
            r->seen.bytes += r->frame_len;
        } else if ((magic & ZSTD_MAGIC_SKIPPABLE_MASK) == ZSTD_MAGIC_SKIPPABLE_START) {
            int s = skippable(r, magic);
            if (s != 0)
                return s;
        } else {
            return fail(r, r->frame_off, "corrupt frame at offset %llu: bad frame magic 0x%08x",
                        (unsigned long long)r->frame_off, magic);
        }
    }
}

const char *td_spool_reader_error(const struct td_spool_reader *r, uint64_t *offset)
{
    if (r->state != R_ERROR)
        return NULL;
    if (offset)
        *offset = r->err_off;
    return r->err;
}

void td_spool_reader_close(struct td_spool_reader **rp)
{
    if (!rp || !*rp)
        return;
    free_reader(*rp);
    *rp = NULL;
}
