/* import.c: COF NDJSON + zstd files back into observations and generations (import.h). */
#include "import.h"
#include "hex.h"
#include "dns_wire.h"
#include "errf.h"
#include "varint.h"
#include <errno.h>
#include <jansson.h>
#include <libknot/libknot.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

/* The parser's object has one reference, ours. */
static void j_put(json_t *o)
{
    json_decref(o);
}

/* ---- one line */

struct rd {
    const uint8_t *p;
    uint16_t len;
};

static int rd_cmp(const void *a, const void *b)
{
    const struct rd *x = a, *y = b;
    size_t m = x->len < y->len ? x->len : y->len;
    int c = memcmp(x->p, y->p, m);
    return c ? c : (x->len > y->len) - (x->len < y->len);
}

static int name_field(json_t *o, const char *key, uint8_t out[255], char *err, size_t errlen)
{
    json_t *s = json_object_get(o, key);
    if (!s || !json_is_string(s)) {
        td_errf(err, errlen, "\"%s\": missing or not a string", key);
        return -1;
    }
    const char *t = json_string_value(s);
    int l = strlen(t) == json_string_length(s) ? td_dns_name_from_text(t, out, 255) : -1;
    if (l <= 0) {
        td_errf(err, errlen, "\"%s\": not a domain name", key);
        return -1;
    }
    td_dns_name_lower(out, (size_t)l);
    return l;
}

static int uint_field(json_t *o, const char *key, uint64_t max, uint64_t *out, char *err, size_t errlen)
{
    json_t *n = json_object_get(o, key);
    if (!n || !json_is_integer(n) || json_integer_value(n) < 0 || (uint64_t)json_integer_value(n) > max) {
        td_errf(err, errlen, "\"%s\": missing or not an integer 0..%llu", key, (unsigned long long)max);
        return -1;
    }
    *out = (uint64_t)json_integer_value(n);
    return 0;
}

int td_cof_line_parse(const char *line, size_t len, uint8_t *key, size_t *klen, struct td_obs_value *v, char *err,
                      size_t errlen)
{
    static _Thread_local uint8_t raw[TD_OBS_KEY_MAX];
    static _Thread_local struct rd rds[TD_RRSET_RDATA_MAX];
    size_t i = 0;
    while (i < len && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r'))
        i++;
    if (i == len)
        return 0;
    json_error_t je;
    json_t *o = json_loadb(line, len, JSON_REJECT_DUPLICATES, &je);
    if (!o) {
        td_errf(err, errlen, "JSON: %s (column %d)", je.text, je.column);
        return -1;
    }
    int rc = -1;
    uint8_t owner[255], bw[255];
    uint64_t count, tf, tl;
    uint16_t type;
    if (!json_is_object(o)) {
        td_errf(err, errlen, "not a JSON object");
        goto out;
    }
    int ol = name_field(o, "rrname", owner, err, errlen);
    int bl = ol < 0 ? -1 : name_field(o, "bailiwick", bw, err, errlen);
    if (bl < 0)
        goto out;
    json_t *t = json_object_get(o, "rrtype");
    if (!t || !json_is_string(t) || strlen(json_string_value(t)) != json_string_length(t) ||
        knot_rrtype_from_string(json_string_value(t), &type) != 0) {
        td_errf(err, errlen, "\"rrtype\": missing or not a type");
        goto out;
    }
    if (uint_field(o, "count", UINT64_MAX, &count, err, errlen) || uint_field(o, "time_first", UINT32_MAX, &tf, err, errlen) ||
        uint_field(o, "time_last", UINT32_MAX, &tl, err, errlen))
        goto out;
    if (tf > tl) {
        td_errf(err, errlen, "time_first %llu > time_last %llu", (unsigned long long)tf, (unsigned long long)tl);
        goto out;
    }
    json_t *a = json_object_get(o, "rdata_raw");
    if (!a || !json_is_array(a) || json_array_size(a) > TD_RRSET_RDATA_MAX) {
        td_errf(err, errlen, "\"rdata_raw\": missing or not an array of at most %d strings", TD_RRSET_RDATA_MAX);
        goto out;
    }
    size_t n = json_array_size(a), used = 0;
    for (size_t r = 0; r < n; r++) {
        json_t *s = json_array_get(a, r);
        size_t sl = s && json_is_string(s) ? json_string_length(s) : 1;
        if (sl % 2 || sl / 2 > 65535 || used + sl / 2 > sizeof raw) {
            td_errf(err, errlen, "\"rdata_raw\"[%zu]: not a hex string of at most 65535 octets", r);
            goto out;
        }
        const char *h = json_string_value(s);
        for (size_t k = 0; k < sl / 2; k++) {
            int hi = td_hex_digit((unsigned char)h[2 * k]), lo = td_hex_digit((unsigned char)h[2 * k + 1]);
            if (hi < 0 || lo < 0) {
                td_errf(err, errlen, "\"rdata_raw\"[%zu]: not a hex string", r);
                goto out;
            }
            raw[used + k] = (uint8_t)(hi << 4 | lo);
        }
        rds[r].p = raw + used;
        rds[r].len = (uint16_t)(sl / 2);
        used += sl / 2;
    }
    qsort(rds, n, sizeof rds[0], rd_cmp);
    /* key: rev(owner) | varint type | rev(bailiwick) | { varint len, rdata }* */
    size_t k = td_dns_name_reverse(owner, (size_t)ol, key, TD_DNS_NAME_MAX);
    k += td_varint_put(key + k, type);
    k += td_dns_name_reverse(bw, (size_t)bl, key + k, TD_DNS_NAME_MAX);
    for (size_t r = 0; r < n; r++) {
        if (r && rd_cmp(&rds[r - 1], &rds[r]) == 0)
            continue;
        if (k + 3 + rds[r].len > TD_OBS_KEY_MAX) {
            td_errf(err, errlen, "observation key longer than %d octets", TD_OBS_KEY_MAX);
            goto out;
        }
        k += td_varint_put(key + k, rds[r].len);
        memcpy(key + k, rds[r].p, rds[r].len);
        k += rds[r].len;
    }
    static _Thread_local struct td_obs_key dk;
    if (td_obs_key_decode(key, k, &dk) != 0) {
        td_errf(err, errlen, "not a valid observation");
        goto out;
    }
    *klen = k;
    memset(v, 0, sizeof *v);
    v->count = count;
    v->time_first = (uint32_t)tf;
    v->time_last = (uint32_t)tl;
    rc = 1;
out:
    j_put(o);
    return rc;
}

/* ---- files */

/* Line ln of path: parsed and emitted (a blank line is skipped). 0, or -1 with err "PATH:LN: reason". */
static int one_line(const char *path, uint64_t ln, const char *line, size_t len, uint8_t *key, td_cof_emit_fn emit,
                    void *ctx, char *err, size_t errlen)
{
    char e2[400];
    size_t klen;
    struct td_obs_value v;
    int r = td_cof_line_parse(line, len, key, &klen, &v, e2, sizeof e2);
    if (r < 0 || (r == 1 && emit(ctx, key, klen, &v, e2, sizeof e2) != 0)) {
        td_errf(err, errlen, "%s:%llu: %s", path, (unsigned long long)ln, e2);
        return -1;
    }
    return 0;
}

int td_cof_import_file(const char *path, td_cof_emit_fn emit, void *ctx, uint64_t *lines, char *err,
                       size_t errlen)
{
    uint64_t ln = 0;
    int rc = -1;
    FILE *f = fopen(path, "rb");
    size_t icap = ZSTD_DStreamInSize(), ocap = ZSTD_DStreamOutSize(), lcap = 1 << 16, llen = 0;
    uint8_t *ibuf = malloc(icap), *obuf = malloc(ocap), *key = malloc(TD_OBS_KEY_MAX);
    char *lbuf = malloc(lcap);
    ZSTD_DCtx *z = ZSTD_createDCtx();
    if (!f) {
        td_errf(err, errlen, "%s: %s", path, strerror(errno));
        goto out;
    }
    if (!ibuf || !obuf || !key || !lbuf || !z) {
        td_errf(err, errlen, "out of memory");
        goto out;
    }
    size_t last = 0, got;
    int any = 0;
    while ((got = fread(ibuf, 1, icap, f)) > 0) {
        any = 1;
        ZSTD_inBuffer ib = { ibuf, got, 0 };
        while (ib.pos < ib.size) {
            ZSTD_outBuffer ob = { obuf, ocap, 0 };
            last = ZSTD_decompressStream(z, &ob, &ib);
            if (ZSTD_isError(last)) {
                td_errf(err, errlen, "%s:%llu: zstd: %s", path, (unsigned long long)ln + 1, ZSTD_getErrorName(last));
                goto out;
            }
            for (size_t p = 0; p < ob.pos; p++) {
                uint8_t c = obuf[p];
                if (c != '\n') {
                    if (llen == lcap) {
                        if (lcap > TD_COF_LINE_MAX) {
                            td_errf(err, errlen, "%s:%llu: line longer than %u octets", path,
                                    (unsigned long long)ln + 1, TD_COF_LINE_MAX);
                            goto out;
                        }
                        char *nb = realloc(lbuf, lcap * 2);
                        if (!nb) {
                            td_errf(err, errlen, "out of memory");
                            goto out;
                        }
                        lbuf = nb;
                        lcap *= 2;
                    }
                    lbuf[llen++] = (char)c;
                    continue;
                }
                if (one_line(path, ++ln, lbuf, llen, key, emit, ctx, err, errlen) != 0)
                    goto out;
                llen = 0;
            }
        }
    }
    if (ferror(f)) {
        td_errf(err, errlen, "%s: read error", path);
        goto out;
    }
    if (!any || last != 0) {
        td_errf(err, errlen, "%s:%llu: %s", path, (unsigned long long)ln + 1,
                any ? "truncated zstd frame" : "empty file (not zstd)");
        goto out;
    }
    if (llen && one_line(path, ++ln, lbuf, llen, key, emit, ctx, err, errlen) != 0) /* no final newline */
        goto out;
    rc = 0;
out:
    if (lines)
        *lines = ln;
    if (f)
        fclose(f);
    ZSTD_freeDCtx(z);
    free(ibuf);
    free(obuf);
    free(key);
    free(lbuf);
    return rc;
}

/* ---- import into a generation */

struct imp {
    char *const *files;
    int n;
};

static int add_obs(void *ctx, const uint8_t *key, size_t klen, const struct td_obs_value *v, char *err,
                   size_t errlen)
{
    return td_tier_build_add(ctx, key, klen, v, err, errlen);
}

static int read_cof(void *ctx, struct td_tier_build *b, char *err, size_t errlen)
{
    struct imp *m = ctx;
    for (int i = 0; i < m->n; i++)
        if (td_cof_import_file(m->files[i], add_obs, b, NULL, err, errlen) != 0)
            return -1;
    return 0;
}

int td_tier_import_hour(const char *root, const char *hour, int replace, char *const *files, int nfiles,
                        const struct td_tier_opts *opts, struct td_tier_report *rep, char *err, size_t errlen)
{
    struct imp m = { files, nfiles };
    char source[64];
    snprintf(source, sizeof source, "tapdns-index import %.12s", hour);
    return td_tier_build_hour(root, hour, replace, read_cof, &m, (uint32_t)nfiles, source, opts, rep, err,
                              errlen);
}
