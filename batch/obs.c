/* obs.c: observation keys and observation/discard files (batch/OBS_FORMAT.md, normative).
 * Writer: entries are encoded into a staging buffer of at most TD_OBS_BLOCK_MAX octets; a full
 * stage becomes one independent zstd frame (a "block") written with its lengths and checksum.
 * Reader: one block in memory at a time. Memory of either side: one block of content, one
 * compressed block, one zstd context, the previous key; fixed, whatever the file size. */
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>
#include <zstd.h>

#include "obs.h"
#include "errf.h"
#include "byteorder.h"
#include "reason.h"
#include "varint.h"
#include "durable.h"

#define OBS_MAGIC "TDOBS001"
#define DIS_MAGIC "TDDIS001"
#define OBS_VERSION 1
#define OBS_HEADER_LEN 16
#define OBS_BLOCK_HDR_LEN 16
#define OBS_TRAILER_LEN 32     /* including its leading u32 0 */
#define OBS_BLOCK_MAX (1u << 20) /* content octets of one block, at most */
#define OBS_ZSTD_LEVEL 3
/* u32 key length, key, three varints (10 + 5 + 5), reason, rule */
#define OBS_ENTRY_MAX (4 + TD_OBS_KEY_MAX + 20 + 3)

/* ---------- little helpers ---------- */

/* ---------- keys ---------- */

size_t td_obs_key_encode(const struct td_rrset_buf *buf, const struct td_rrset *s,
                         const uint8_t *zone, size_t zone_len, uint8_t *out, size_t cap)
{
    if (!buf || !s || !zone || !out)
        return 0;
    if ((size_t)s->first + s->count > buf->nrdata || buf->nrdata > TD_RRSET_RDATA_MAX)
        return 0;
    size_t o = td_dns_name_reverse(s->owner, s->owner_len, out, cap);
    if (o == 0 || cap - o < td_varint_len(s->type))
        return 0;
    o += td_varint_put(out + o, s->type);
    size_t z = td_dns_name_reverse(zone, zone_len, out + o, cap - o);
    if (z == 0)
        return 0;
    o += z;
    for (uint16_t i = 0; i < s->count; i++) {
        uint16_t rl;
        const struct td_rdata_ref *ref = &buf->rdata[s->first + i];
        if ((size_t)ref->off + ref->len > buf->arena_len || buf->arena_len > TD_RRSET_ARENA)
            return 0;
        const uint8_t *rd = td_rrset_rdata(buf, s, i, &rl);
        if (cap - o < td_varint_len(rl) || cap - o - td_varint_len(rl) < rl)
            return 0;
        o += td_varint_put(out + o, rl);
        memcpy(out + o, rd, rl);
        o += rl;
    }
    return o > TD_OBS_KEY_MAX ? 0 : o;
}

/* Reads rev(name) at key[*off..] and writes the name in wire order (name NULL: only checks
 * it). 0 or -1. */
static int get_rev_name(const uint8_t *key, size_t len, size_t *off, uint8_t *name, uint16_t *name_len)
{
    size_t o = *off, start = o;
    uint8_t offs[128];
    int n = 0;
    for (;;) {
        if (o >= len)
            return -1;
        uint8_t l = key[o];
        if (l == 0)
            break;
        if (l > 63 || n >= 127)
            return -1;
        offs[n++] = (uint8_t)(o - start);
        o += 1u + l;
        if (o - start >= TD_DNS_NAME_MAX) /* the root octet still has to come */
            return -1;
    }
    size_t total = o - start + 1, w = 0;
    if (!name) {
        *off = o + 1;
        return 0;
    }
    for (int i = n - 1; i >= 0; i--) {
        size_t l = 1u + key[start + offs[i]];
        memcpy(name + w, key + start + offs[i], l);
        w += l;
    }
    name[w] = 0;
    *name_len = (uint16_t)total;
    *off = o + 1;
    return 0;
}

/* td_obs_key_decode, or with k NULL only its checks (nothing copied); with_bailiwick 0:
 * the bailiwick is checked, not copied (k->bailiwick_len 0). */
static int parse_key(const uint8_t *key, size_t len, struct td_obs_key *k, int with_bailiwick)
{
    size_t o = 0;
    uint64_t v;
    uint16_t nlen, nrdata = 0;
    if (!key || len > TD_OBS_KEY_MAX)
        return -1;
    if (get_rev_name(key, len, &o, k ? k->owner : NULL, k ? &k->owner_len : &nlen) != 0)
        return -1;
    if (td_varint_get(key, len, &o, 0xffff, &v) != 0)
        return -1;
    if (k)
        k->rrtype = (uint16_t)v;
    int bw = k && with_bailiwick;
    if (get_rev_name(key, len, &o, bw ? k->bailiwick : NULL, bw ? &k->bailiwick_len : &nlen) != 0)
        return -1;
    if (k) {
        k->nrdata = 0;
        if (!bw)
            k->bailiwick_len = 0;
    }
    while (o < len) {
        if (nrdata >= TD_RRSET_RDATA_MAX)
            return -1;
        if (td_varint_get(key, len, &o, 0xffff, &v) != 0 || v > len - o)
            return -1;
        if (k) {
            k->rdata[nrdata] = key + o;
            k->rdlen[nrdata] = (uint16_t)v;
            k->nrdata = (uint16_t)(nrdata + 1);
        }
        nrdata++;
        o += (size_t)v;
    }
    return 0;
}

struct td_cof_entry td_obs_cof_entry(const struct td_obs_key *k, const struct td_obs_value *v)
{
    struct td_cof_entry e = { k->owner, k->owner_len, k->rrtype, k->bailiwick, k->bailiwick_len, k->nrdata,
                              k->rdata, k->rdlen, v->count, v->time_first, v->time_last };
    return e;
}

int td_obs_key_decode(const uint8_t *key, size_t len, struct td_obs_key *k)
{
    if (!k)
        return -1;
    return parse_key(key, len, k, 1);
}

int td_obs_key_decode_no_bailiwick(const uint8_t *key, size_t len, struct td_obs_key *k)
{
    if (!k)
        return -1;
    return parse_key(key, len, k, 0);
}

/* ---------- shared file parts ---------- */

/* A block's checksum: its compressed octets, seeded with both lengths, so that any change
 * of the block header or the compressed data is caught before decompression. */
static uint64_t block_hash(const uint8_t *comp, size_t c, uint32_t u)
{
    return XXH3_64bits_withSeed(comp, c, (uint64_t)u << 32 | (uint64_t)(uint32_t)c);
}

/* ---------- writer ---------- */

struct td_obs_writer {
    int fd;
    int is_discard;
    int failed;                /* an I/O or zstd error happened: only abort/close remain */
    char *path, *tmp;
    ZSTD_CCtx *cctx;
    uint8_t *stage;            /* OBS_BLOCK_MAX: encoded entries of the open block */
    size_t stage_len;
    uint8_t *out;              /* block header + compressed block */
    size_t out_cap;
    uint8_t *prev;             /* the last key written (TD_OBS_KEY_MAX) */
    size_t prev_len;
    int have_prev;
    uint64_t count;
    XXH3_state_t *xxh;
};

static void writer_free(struct td_obs_writer *w)
{
    if (w->fd >= 0)
        close(w->fd);
    ZSTD_freeCCtx(w->cctx);
    if (w->xxh)
        XXH3_freeState(w->xxh);
    free(w->stage);
    free(w->out);
    free(w->prev);
    free(w->path);
    free(w->tmp);
    free(w);
}

struct td_obs_writer *td_obs_writer_open(const char *path, int is_discard, char *err, size_t errlen)
{
    if (!path || !path[0]) {
        td_errf(err, errlen, "obs writer: no path");
        return NULL;
    }
    struct td_obs_writer *w = calloc(1, sizeof *w);
    if (!w) {
        td_errf(err, errlen, "obs writer: out of memory");
        return NULL;
    }
    w->fd = -1;
    w->is_discard = is_discard ? 1 : 0;
    w->path = strdup(path);
    w->tmp = malloc(strlen(path) + 5);
    w->cctx = ZSTD_createCCtx();
    w->stage = malloc(OBS_BLOCK_MAX);
    w->out_cap = OBS_BLOCK_HDR_LEN + ZSTD_compressBound(OBS_BLOCK_MAX);
    w->out = malloc(w->out_cap);
    w->prev = malloc(TD_OBS_KEY_MAX);
    w->xxh = XXH3_createState();
    if (!w->path || !w->tmp || !w->cctx || !w->stage || !w->out || !w->prev || !w->xxh) {
        td_errf(err, errlen, "obs writer: out of memory");
        writer_free(w);
        return NULL;
    }
    XXH3_64bits_reset(w->xxh);
    sprintf(w->tmp, "%s.tmp", path);
    w->fd = open(w->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (w->fd < 0) {
        td_errf(err, errlen, "obs writer: cannot create %s: %s", w->tmp, strerror(errno));
        writer_free(w);
        return NULL;
    }
    uint8_t h[OBS_HEADER_LEN] = {0};
    memcpy(h, w->is_discard ? DIS_MAGIC : OBS_MAGIC, 8);
    td_put_le16(h + 8, OBS_VERSION);
    if (td_write_all(w->fd, h, sizeof h) != 0) {
        td_errf(err, errlen, "obs writer: write %s: %s", w->tmp, strerror(errno));
        unlink(w->tmp);
        writer_free(w);
        return NULL;
    }
    return w;
}

/* Compresses the stage into one block and writes it. */
static int flush_block(struct td_obs_writer *w, char *err, size_t errlen)
{
    if (w->stage_len == 0)
        return 0;
    size_t c = ZSTD_compressCCtx(w->cctx, w->out + OBS_BLOCK_HDR_LEN, w->out_cap - OBS_BLOCK_HDR_LEN,
                                 w->stage, w->stage_len, OBS_ZSTD_LEVEL);
    if (ZSTD_isError(c)) {
        w->failed = 1;
        td_errf(err, errlen, "obs writer: zstd: %s", ZSTD_getErrorName(c));
        return -1;
    }
    td_put_le32(w->out, (uint32_t)c);
    td_put_le32(w->out + 4, (uint32_t)w->stage_len);
    td_put_le64(w->out + 8, block_hash(w->out + OBS_BLOCK_HDR_LEN, c, (uint32_t)w->stage_len));
    XXH3_64bits_update(w->xxh, w->stage, w->stage_len);
    if (td_write_all(w->fd, w->out, OBS_BLOCK_HDR_LEN + c) != 0) {
        w->failed = 1;
        td_errf(err, errlen, "obs writer: write %s: %s", w->tmp, strerror(errno));
        return -1;
    }
    w->stage_len = 0;
    return 0;
}

int td_obs_write(struct td_obs_writer *w, const uint8_t *key, size_t klen, const struct td_obs_value *v,
                 char *err, size_t errlen)
{
    if (!w || !key || !v) {
        td_errf(err, errlen, "obs writer: null argument");
        return -1;
    }
    if (w->failed) {
        td_errf(err, errlen, "obs writer: an earlier error stopped this writer");
        return -1;
    }
    if (klen == 0 || klen > TD_OBS_KEY_MAX || parse_key(key, klen, NULL, 0) != 0) {
        td_errf(err, errlen, "obs writer: malformed key (%zu octets)", klen);
        return -1;
    }
    if (w->have_prev && td_key_cmp(w->prev, w->prev_len, key, klen) >= 0) {
        td_errf(err, errlen, "obs writer: key not above the previous one (entry %llu)",
                (unsigned long long)w->count);
        return -1;
    }
    if (v->time_first > v->time_last) {
        td_errf(err, errlen, "obs writer: time_first %u after time_last %u", v->time_first, v->time_last);
        return -1;
    }
    if (w->is_discard && (v->reason == TD_DR_NONE || v->reason >= TD_DR__COUNT)) {
        td_errf(err, errlen, "obs writer: discard entry with invalid reason %u", v->reason);
        return -1;
    }
    size_t need = 4 + klen + 20 + (w->is_discard ? 3 : 0);
    if (w->stage_len + need > OBS_BLOCK_MAX && flush_block(w, err, errlen) != 0)
        return -1;
    uint8_t *p = w->stage + w->stage_len;
    size_t o = 0;
    td_put_le32(p, (uint32_t)klen);
    o += 4;
    memcpy(p + o, key, klen);
    o += klen;
    o += td_varint_put(p + o, v->count);
    o += td_varint_put(p + o, v->time_first);
    o += td_varint_put(p + o, v->time_last);
    if (w->is_discard) {
        p[o++] = v->reason;
        td_put_le16(p + o, v->rule);
        o += 2;
    }
    w->stage_len += o;
    memcpy(w->prev, key, klen);
    w->prev_len = klen;
    w->have_prev = 1;
    w->count++;
    return 0;
}

int td_obs_writer_close(struct td_obs_writer **wp, char *err, size_t errlen)
{
    if (!wp || !*wp)
        return 0;
    struct td_obs_writer *w = *wp;
    if (w->failed) {
        td_errf(err, errlen, "obs writer: %s abandoned after an earlier error", w->tmp);
        td_obs_writer_abort(wp);
        return -1;
    }
    if (flush_block(w, err, errlen) != 0) {
        td_obs_writer_abort(wp);
        return -1;
    }
    uint8_t t[OBS_TRAILER_LEN] = {0};
    td_put_le64(t + 8, w->count);
    td_put_le64(t + 16, XXH3_64bits_digest(w->xxh));
    td_put_le64(t + 24, XXH3_64bits(t, 24));
    const char *what = NULL;
    if (td_write_all(w->fd, t, sizeof t) != 0)
        what = "write";
    else if (fsync(w->fd) != 0)
        what = "fsync";
    else if (close(w->fd) != 0) {
        w->fd = -1;
        what = "close";
    }
    if (!what) {
        w->fd = -1;
        if (rename(w->tmp, w->path) != 0)
            what = "rename";
        else if (td_fsync_parent(w->path) != 0) {
            td_errf(err, errlen, "obs writer: fsync of the directory of %s: %s", w->path, strerror(errno));
            writer_free(w);
            *wp = NULL;
            return -1;
        }
    }
    if (what) {
        td_errf(err, errlen, "obs writer: %s %s: %s", what, w->tmp, strerror(errno));
        td_obs_writer_abort(wp);
        return -1;
    }
    writer_free(w);
    *wp = NULL;
    return 0;
}

void td_obs_writer_abort(struct td_obs_writer **wp)
{
    if (!wp || !*wp)
        return;
    struct td_obs_writer *w = *wp;
    if (w->fd >= 0) {
        close(w->fd);
        w->fd = -1;
    }
    unlink(w->tmp);
    writer_free(w);
    *wp = NULL;
}

/* ---------- reader ---------- */

struct td_obs_reader {
    int fd;
    int is_discard;
    int state;                 /* 1 reading, 0 ended, -1 failed (sticky) */
    char *path;
    char errbuf[512];
    ZSTD_DCtx *dctx;
    uint64_t off;              /* file offset of the next unread octet */
    uint8_t *comp;             /* one compressed block */
    size_t comp_cap;
    uint8_t *block;            /* its content */
    size_t block_cap, block_len, pos;
    uint64_t block_off;        /* file offset of the current block's header */
    const uint8_t *prev;       /* previous key: in block, or in prev_buf */
    size_t prev_len;
    uint8_t *prev_buf;
    uint64_t count;
    XXH3_state_t *xxh;
};

static int rd_fail(struct td_obs_reader *r, char *err, size_t errlen, uint64_t off, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static int rd_fail(struct td_obs_reader *r, char *err, size_t errlen, uint64_t off, const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    snprintf(r->errbuf, sizeof r->errbuf, "%s: offset %llu: %s", r->path, (unsigned long long)off, msg);
    td_errf(err, errlen, "%s", r->errbuf);
    r->state = -1;
    return -1;
}

/* Reads exactly n octets at the current offset: n, or fewer at end of file, or -1. */
static ssize_t read_full(int fd, uint8_t *p, size_t n)
{
    size_t got = 0;
    while (got < n) {
        ssize_t k = read(fd, p + got, n - got);
        if (k < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        if (k == 0)
            break;
        got += (size_t)k;
    }
    return (ssize_t)got;
}

static void reader_free(struct td_obs_reader *r)
{
    if (r->fd >= 0)
        close(r->fd);
    ZSTD_freeDCtx(r->dctx);
    if (r->xxh)
        XXH3_freeState(r->xxh);
    free(r->comp);
    free(r->block);
    free(r->prev_buf);
    free(r->path);
    free(r);
}

struct td_obs_reader *td_obs_reader_open(const char *path, char *err, size_t errlen)
{
    if (!path) {
        td_errf(err, errlen, "obs reader: no path");
        return NULL;
    }
    struct td_obs_reader *r = calloc(1, sizeof *r);
    if (!r) {
        td_errf(err, errlen, "obs reader: out of memory");
        return NULL;
    }
    r->fd = -1;
    r->state = 1;
    r->path = strdup(path);
    r->dctx = ZSTD_createDCtx();
    r->xxh = XXH3_createState();
    r->prev_buf = malloc(TD_OBS_KEY_MAX);
    if (!r->path || !r->dctx || !r->xxh || !r->prev_buf) {
        td_errf(err, errlen, "obs reader: out of memory");
        reader_free(r);
        return NULL;
    }
    XXH3_64bits_reset(r->xxh);
    r->fd = open(path, O_RDONLY | O_CLOEXEC);
    if (r->fd < 0) {
        td_errf(err, errlen, "obs reader: cannot open %s: %s", path, strerror(errno));
        reader_free(r);
        return NULL;
    }
    uint8_t h[OBS_HEADER_LEN];
    ssize_t n = read_full(r->fd, h, sizeof h);
    int bad = -1;
    if (n < 0)
        rd_fail(r, err, errlen, 0, "read: %s", strerror(errno));
    else if (n == 0)
        rd_fail(r, err, errlen, 0, "empty file");
    else if (n < OBS_HEADER_LEN)
        rd_fail(r, err, errlen, (uint64_t)n, "truncated header");
    else if (memcmp(h, OBS_MAGIC, 8) != 0 && memcmp(h, DIS_MAGIC, 8) != 0)
        rd_fail(r, err, errlen, 0, "not an observation or discard file (bad magic)");
    else if (td_get_le16(h + 8) != OBS_VERSION)
        rd_fail(r, err, errlen, 8, "unsupported format version %u", td_get_le16(h + 8));
    else if (td_get_le16(h + 10) != 0 || td_get_le32(h + 12) != 0)
        rd_fail(r, err, errlen, 10, "reserved header octets not zero");
    else
        bad = 0;
    if (bad) {
        reader_free(r);
        return NULL;
    }
    r->is_discard = memcmp(h, DIS_MAGIC, 8) == 0;
    r->off = OBS_HEADER_LEN;
    return r;
}

int td_obs_reader_is_discard(const struct td_obs_reader *r)
{
    return r ? r->is_discard : 0;
}

/* The trailer, whose leading u32 0 was read at r->off - 4. */
static int read_trailer(struct td_obs_reader *r, const uint8_t first8[8], char *err, size_t errlen)
{
    uint64_t at = r->off - 8;
    uint8_t t[OBS_TRAILER_LEN];
    memcpy(t, first8, 8);
    ssize_t n = read_full(r->fd, t + 8, OBS_TRAILER_LEN - 8);
    if (n < 0)
        return rd_fail(r, err, errlen, r->off, "read: %s", strerror(errno));
    if (n < OBS_TRAILER_LEN - 8)
        return rd_fail(r, err, errlen, r->off + (uint64_t)n, "truncated trailer");
    if (td_get_le32(t + 4) != 0)
        return rd_fail(r, err, errlen, at + 4, "reserved trailer octets not zero");
    if (td_get_le64(t + 24) != XXH3_64bits(t, 24))
        return rd_fail(r, err, errlen, at + 24, "trailer checksum mismatch");
    if (td_get_le64(t + 8) != r->count)
        return rd_fail(r, err, errlen, at + 8, "trailer says %llu entries, the file holds %llu",
                       (unsigned long long)td_get_le64(t + 8), (unsigned long long)r->count);
    if (td_get_le64(t + 16) != XXH3_64bits_digest(r->xxh))
        return rd_fail(r, err, errlen, at + 16, "checksum of the entries does not match the trailer");
    uint8_t extra;
    n = read_full(r->fd, &extra, 1);
    if (n != 0)
        return rd_fail(r, err, errlen, at + OBS_TRAILER_LEN, n < 0 ? "read error" : "data after the trailer");
    r->state = 0;
    return 0;
}

/* Loads the next block; 1 = a block, 0 = end (trailer verified), -1 = error. */
static int next_block(struct td_obs_reader *r, char *err, size_t errlen)
{
    uint8_t h[OBS_BLOCK_HDR_LEN];
    uint64_t at = r->off;
    ssize_t n = read_full(r->fd, h, 8);
    if (n < 0)
        return rd_fail(r, err, errlen, at, "read: %s", strerror(errno));
    if (n == 0)
        return rd_fail(r, err, errlen, at, "truncated: no trailer");
    if (n < 8)
        return rd_fail(r, err, errlen, at + (uint64_t)n, "truncated block header");
    r->off += 8;
    uint32_t c = td_get_le32(h), u = td_get_le32(h + 4);
    if (c == 0)
        return read_trailer(r, h, err, errlen) == 0 ? 0 : -1;
    n = read_full(r->fd, h + 8, 8);
    if (n < 0)
        return rd_fail(r, err, errlen, r->off, "read: %s", strerror(errno));
    if (n < 8)
        return rd_fail(r, err, errlen, r->off + (uint64_t)n, "truncated block header");
    r->off += 8;
    if (u == 0 || u > OBS_BLOCK_MAX)
        return rd_fail(r, err, errlen, at + 4, "block content length %u out of range", u);
    if (c > ZSTD_compressBound(u))
        return rd_fail(r, err, errlen, at, "compressed block length %u too large for %u octets", c, u);
    if (c > r->comp_cap) {
        uint8_t *nc = realloc(r->comp, c);
        if (!nc)
            return rd_fail(r, err, errlen, at, "out of memory");
        r->comp = nc;
        r->comp_cap = c;
    }
    if (u > r->block_cap) {
        /* keep the previous key: it may live in the old block */
        if (r->prev && r->prev != r->prev_buf) {
            memcpy(r->prev_buf, r->prev, r->prev_len);
            r->prev = r->prev_buf;
        }
        uint8_t *nb = realloc(r->block, u);
        if (!nb)
            return rd_fail(r, err, errlen, at, "out of memory");
        r->block = nb;
        r->block_cap = u;
    }
    n = read_full(r->fd, r->comp, c);
    if (n < 0)
        return rd_fail(r, err, errlen, r->off, "read: %s", strerror(errno));
    if ((size_t)n < c)
        return rd_fail(r, err, errlen, r->off + (uint64_t)n, "truncated block (%u of %u compressed octets)",
                       (unsigned)n, c);
    if (r->prev && r->prev != r->prev_buf) {
        memcpy(r->prev_buf, r->prev, r->prev_len);
        r->prev = r->prev_buf;
    }
    if (block_hash(r->comp, c, u) != td_get_le64(h + 8))
        return rd_fail(r, err, errlen, at + 8, "block checksum mismatch");
    unsigned long long fcs = ZSTD_getFrameContentSize(r->comp, c);
    if (fcs != u)
        return rd_fail(r, err, errlen, r->off, "zstd frame content size does not match the block header");
    size_t d = ZSTD_decompressDCtx(r->dctx, r->block, u, r->comp, c);
    if (ZSTD_isError(d))
        return rd_fail(r, err, errlen, r->off, "zstd: %s", ZSTD_getErrorName(d));
    if (d != u)
        return rd_fail(r, err, errlen, r->off, "block decodes to %zu octets, header says %u", d, u);
    XXH3_64bits_update(r->xxh, r->block, u);
    r->block_off = at;
    r->off += c;
    r->block_len = u;
    r->pos = 0;
    return 1;
}

int td_obs_read(struct td_obs_reader *r, const uint8_t **key, size_t *klen, struct td_obs_value *v,
                char *err, size_t errlen)
{
    if (!r || !key || !klen || !v) {
        td_errf(err, errlen, "obs reader: null argument");
        return -1;
    }
    if (r->state == 0)
        return 0;
    if (r->state < 0) {
        td_errf(err, errlen, "%s", r->errbuf);
        return -1;
    }
    if (r->pos == r->block_len) {
        int b = next_block(r, err, errlen);
        if (b <= 0)
            return b;
    }
    const uint8_t *p = r->block;
    size_t len = r->block_len, o = r->pos;
#define ENTRY_FAIL(fmt, ...) rd_fail(r, err, errlen, r->block_off, "entry at content octet %zu of the block: " fmt, o, ##__VA_ARGS__)
    if (len - o < 4)
        return ENTRY_FAIL("truncated entry");
    size_t kl = td_get_le32(p + o);
    if (kl == 0 || kl > TD_OBS_KEY_MAX || kl > len - o - 4)
        return ENTRY_FAIL("key length %zu out of range", kl);
    const uint8_t *k = p + o + 4;
    if (parse_key(k, kl, NULL, 0) != 0)
        return ENTRY_FAIL("malformed key");
    if (r->prev && td_key_cmp(r->prev, r->prev_len, k, kl) >= 0)
        return ENTRY_FAIL("key not above the previous one");
    size_t e = o + 4 + kl;
    uint64_t cnt, tf, tl;
    if (td_varint_get(p, len, &e, UINT64_MAX, &cnt) != 0 || td_varint_get(p, len, &e, UINT32_MAX, &tf) != 0 ||
        td_varint_get(p, len, &e, UINT32_MAX, &tl) != 0)
        return ENTRY_FAIL("bad value varint");
    if (tf > tl)
        return ENTRY_FAIL("time_first after time_last");
    memset(v, 0, sizeof *v);
    v->count = cnt;
    v->time_first = (uint32_t)tf;
    v->time_last = (uint32_t)tl;
    if (r->is_discard) {
        if (len - e < 3)
            return ENTRY_FAIL("truncated discard reason");
        v->reason = p[e];
        v->rule = td_get_le16(p + e + 1);
        e += 3;
        if (v->reason == TD_DR_NONE)
            return ENTRY_FAIL("discard entry without a reason");
    }
#undef ENTRY_FAIL
    r->pos = e;
    r->prev = k;
    r->prev_len = kl;
    r->count++;
    *key = k;
    *klen = kl;
    return 1;
}

void td_obs_reader_close(struct td_obs_reader **rp)
{
    if (!rp || !*rp)
        return;
    reader_free(*rp);
    *rp = NULL;
}
