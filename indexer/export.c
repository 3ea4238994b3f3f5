/* export.c: COF NDJSON + zstd export drops from source files (export.h). */
#include "export.h"
#include "cof.h"
#include "durable.h"
#include "errf.h"
#include "fileset.h"
#include "tier.h"
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zstd.h>

int td_export_line(struct td_json *j, const uint8_t *key, size_t klen, const struct td_obs_value *v, char *err,
                   size_t errlen)
{
    static _Thread_local struct td_obs_key k;
    static _Thread_local char hex[2 * 65535 + 1];
    static const char digit[] = "0123456789abcdef";
    if (td_obs_key_decode(key, klen, &k) != 0) {
        td_errf(err, errlen, "malformed observation key");
        return -1;
    }
    struct td_cof_entry e = td_obs_cof_entry(&k, v);
    if (td_cof_object_open(j, &e, 0) != 0) {
        td_errf(err, errlen, "a name cannot be printed");
        return -1;
    }
    td_json_key(j, "rdata_raw");
    td_json_array_begin(j);
    for (uint16_t i = 0; i < k.nrdata; i++) {
        for (uint16_t o = 0; o < k.rdlen[i]; o++) {
            hex[2 * o] = digit[k.rdata[i][o] >> 4];
            hex[2 * o + 1] = digit[k.rdata[i][o] & 15];
        }
        td_json_string_len(j, hex, 2 * (size_t)k.rdlen[i]);
    }
    td_json_array_end(j);
    td_json_object_end(j);
    return 0;
}

/* Compresses in[0..len) into fd (end: finish the frame). */
static int zpush(ZSTD_CCtx *z, int fd, uint8_t *obuf, size_t ocap, const void *in, size_t len, int end,
                 uint64_t *out_bytes)
{
    ZSTD_inBuffer ib = { in, len, 0 };
    for (;;) {
        ZSTD_outBuffer ob = { obuf, ocap, 0 };
        size_t r = ZSTD_compressStream2(z, &ob, &ib, end ? ZSTD_e_end : ZSTD_e_continue);
        if (ZSTD_isError(r))
            return -1;
        if (ob.pos && td_write_all(fd, obuf, ob.pos) != 0)
            return -2;
        *out_bytes += ob.pos;
        if (end ? r == 0 : ib.pos == ib.size)
            return 0;
    }
}

int td_export_file(const char *src, const char *out, int level, struct td_export_stats *st, char *err,
                   size_t errlen)
{
    struct td_export_stats s0;
    char tmp[PATH_MAX];
    if (!st)
        st = &s0;
    memset(st, 0, sizeof *st);
    if (snprintf(tmp, sizeof tmp, "%s.tmp", out) >= (int)sizeof tmp) {
        td_errf(err, errlen, "%s: path too long", out);
        return -1;
    }
    struct td_obs_reader *r = td_obs_reader_open(src, err, errlen);
    if (!r)
        return -1;
    if (td_obs_reader_is_discard(r)) {
        td_errf(err, errlen, "%s: a discard file, not observations", src);
        td_obs_reader_close(&r);
        return -1;
    }
    int rc = -1, fd = -1;
    size_t ocap = ZSTD_CStreamOutSize();
    uint8_t *obuf = malloc(ocap);
    ZSTD_CCtx *z = ZSTD_createCCtx();
    struct td_json j;
    td_json_init(&j);
    if (!obuf || !z) {
        td_errf(err, errlen, "out of memory");
        goto out;
    }
    ZSTD_CCtx_setParameter(z, ZSTD_c_compressionLevel, level ? level : TD_EXPORT_ZSTD_LEVEL);
    ZSTD_CCtx_setParameter(z, ZSTD_c_checksumFlag, 1);
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        td_errf(err, errlen, "%s: %s", tmp, strerror(errno));
        goto out;
    }
    const uint8_t *key;
    size_t klen;
    struct td_obs_value v;
    int got;
    char e2[256];
    while ((got = td_obs_read(r, &key, &klen, &v, err, errlen)) == 1) {
        if (td_export_line(&j, key, klen, &v, e2, sizeof e2) != 0) {
            td_errf(err, errlen, "%s: observation %llu: %s", src, (unsigned long long)st->lines + 1, e2);
            goto out;
        }
        td_json_newline(&j);
        st->lines++;
        if (j.len >= (1u << 16) || j.oom) {
            if (j.oom) {
                td_errf(err, errlen, "out of memory");
                goto out;
            }
            st->bytes_in += j.len;
            int zr = zpush(z, fd, obuf, ocap, j.buf, j.len, 0, &st->bytes_out);
            if (zr != 0) {
                td_errf(err, errlen, "%s: %s", tmp, zr == -1 ? "zstd error" : strerror(errno));
                goto out;
            }
            td_json_reset(&j);
        }
    }
    if (got < 0)
        goto out;
    if (j.oom) {
        td_errf(err, errlen, "out of memory");
        goto out;
    }
    st->bytes_in += j.len;
    int zr = zpush(z, fd, obuf, ocap, j.buf, j.len, 1, &st->bytes_out);
    if (zr != 0) {
        td_errf(err, errlen, "%s: %s", tmp, zr == -1 ? "zstd error" : strerror(errno));
        goto out;
    }
    if (fsync(fd) != 0) {
        td_errf(err, errlen, "fsync %s: %s", tmp, strerror(errno));
        goto out;
    }
    int cr = close(fd);
    fd = -1;
    if (cr != 0) {
        td_errf(err, errlen, "close %s: %s", tmp, strerror(errno));
        goto out;
    }
    if (td_rename_durable(tmp, out, err, errlen) != 0)
        goto out;
    rc = 0;
out:
    if (fd >= 0)
        close(fd);
    if (rc != 0)
        unlink(tmp);
    td_json_free(&j);
    ZSTD_freeCCtx(z);
    free(obuf);
    td_obs_reader_close(&r);
    return rc;
}

int td_export_gen(const char *root, const char *name, const char *out, int level, struct td_export_stats *st,
                  char *err, size_t errlen)
{
    struct td_fileset fs;
    char e2[400], src[PATH_MAX];
    if (td_fileset_load(root, &fs, e2, sizeof e2) != 0) {
        td_errf(err, errlen, "%s/%s", root, e2);
        return -1;
    }
    int found = td_fileset_find(&fs, name) >= 0;
    td_fileset_free(&fs);
    if (!found) {
        td_errf(err, errlen, "%s is not a live generation of %s/FILESET", name, root);
        return -1;
    }
    if (td_tier_source_path(src, sizeof src, root, name) != 0) {
        td_errf(err, errlen, "path too long");
        return -1;
    }
    return td_export_file(src, out, level, st, err, errlen);
}
