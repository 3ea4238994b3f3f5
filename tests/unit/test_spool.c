/* test_spool: record encoding, names, writer (frames, rotation, .open, collisions) and reader
 * (round trip, torn tails at every offset, bit flips, bad headers, crafted frames). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zstd.h>

#include "spool.h"
#include "spool_int.h"
#include "byteorder.h"
#include "tt.h"

/* ---- helpers ---- */

struct grec {
    struct td_record r;
    uint8_t resp[TD_SPOOL_MSG_MAX], query[TD_SPOOL_MSG_MAX];
};

static uint32_t xs(uint32_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 17;
    *s ^= *s << 5;
    return *s;
}

/* Deterministic record i at time t_ns; every type, IP version, checksum state and flag
 * combination occurs; message lengths vary (big ones when `big`). */
static void gen(struct grec *g, uint64_t i, uint64_t t_ns, int big)
{
    uint32_t s = (uint32_t)(i * 2654435761u) | 1;
    memset(&g->r, 0, sizeof g->r);
    struct td_record *r = &g->r;
    r->type = (uint8_t)(1 + i % 3);
    r->ip_version = (i / 3) % 2 ? 6 : 4;
    r->proto = i % 7 == 0 ? 6 : 17;
    r->cksum = (uint8_t)(i % 5);
    r->flags = (uint16_t)(i % 16);
    r->client_port = (uint16_t)xs(&s);
    r->server_port = 53;
    size_t al = r->ip_version == 4 ? 4 : 16;
    for (size_t k = 0; k < al; k++) {
        r->client_ip[k] = (uint8_t)xs(&s);
        r->server_ip[k] = (uint8_t)xs(&s);
    }
    uint32_t rl = 12 + xs(&s) % (big && i % 50 == 0 ? TD_SPOOL_MSG_MAX - 12 : 250);
    uint32_t ql = 12 + xs(&s) % 60;
    if (r->type != TD_REC_UNANSWERED) {
        r->response_ts_ns = t_ns;
        for (uint32_t k = 0; k < rl; k++)
            g->resp[k] = (uint8_t)(xs(&s) % 23); /* compressible, like DNS */
        r->response = g->resp;
        r->response_len = rl;
    }
    if (r->type != TD_REC_UNSOLICITED) {
        r->query_ts_ns = r->type == TD_REC_MATCHED ? t_ns - 1234567 : t_ns;
        for (uint32_t k = 0; k < ql; k++)
            g->query[k] = (uint8_t)('a' + xs(&s) % 26);
        r->query = g->query;
        r->query_len = ql;
    }
}

static int rec_eq(const struct td_record *a, const struct td_record *b)
{
    return a->query_ts_ns == b->query_ts_ns && a->response_ts_ns == b->response_ts_ns && a->type == b->type &&
           a->ip_version == b->ip_version && a->proto == b->proto && a->cksum == b->cksum &&
           a->flags == b->flags && a->client_port == b->client_port && a->server_port == b->server_port &&
           memcmp(a->client_ip, b->client_ip, 16) == 0 && memcmp(a->server_ip, b->server_ip, 16) == 0 &&
           a->response_len == b->response_len && a->query_len == b->query_len &&
           (a->response == NULL) == (b->response == NULL) && (a->query == NULL) == (b->query == NULL) &&
           (!a->response_len || memcmp(a->response, b->response, a->response_len) == 0) &&
           (!a->query_len || memcmp(a->query, b->query, a->query_len) == 0);
}

static char tmpdir[64];

static void mk_tmpdir(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/test_spool.XXXXXX");
    if (!mkdtemp(tmpdir))
        TT_FAIL("mkdtemp: %s", strerror(errno));
}

static void rm_tmpdir(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir); /* the writer's .claimed directory too */
    if (system(cmd) != 0)
        TT_FAIL("cannot remove %s", tmpdir);
}

/* Sorted names in tmpdir, joined by spaces. */
static const char *ls_dir(void)
{
    static char out[4096];
    char names[32][256];
    int n = 0;
    DIR *d = opendir(tmpdir);
    struct dirent *e;
    while (d && (e = readdir(d)))
        if (e->d_name[0] != '.' && n < 32)
            snprintf(names[n++], sizeof names[0], "%s", e->d_name);
    if (d)
        closedir(d);
    qsort(names, (size_t)n, sizeof names[0], (int (*)(const void *, const void *))strcmp);
    out[0] = 0;
    for (int i = 0; i < n; i++) {
        if (i)
            strcat(out, " ");
        strcat(out, names[i]);
    }
    return out;
}

static char *path_of(const char *name)
{
    static char p[4][512];
    static int k;
    k = (k + 1) % 4;
    snprintf(p[k], sizeof p[k], "%s/%s", tmpdir, name);
    return p[k];
}

static uint8_t *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *b = malloc((size_t)n + 1);
    *len = fread(b, 1, (size_t)n, f);
    fclose(f);
    return b;
}

static void spit(const char *path, const uint8_t *b, size_t len)
{
    unlink(path); /* a truncate-and-rewrite makes ext4 flush at close (auto_da_alloc): slow */
    FILE *f = fopen(path, "wb");
    if (!f || (len && fwrite(b, 1, len, f) != len))
        TT_FAIL("cannot write %s", path);
    if (f)
        fclose(f);
}

/* Frames of a file: offsets and sizes; zstd frames' record counts. Returns frame count. */
struct layout {
    int n;                /* all frames including header and end marker */
    size_t off[4096], len[4096];
    int is_zstd[4096];
    int recs[4096];       /* records in each zstd frame */
    int zstd_frames, end_marker;
    size_t frame_max;     /* largest decompressed zstd frame */
};

static void walk(const uint8_t *b, size_t len, struct layout *L)
{
    memset(L, 0, sizeof *L);
    size_t p = 0;
    uint8_t *out = malloc(TD_SPOOL_FRAME_MAX);
    while (p < len && L->n < 4096) {
        size_t fl = ZSTD_findFrameCompressedSize(b + p, len - p);
        if (ZSTD_isError(fl))
            break;
        int i = L->n++;
        L->off[i] = p;
        L->len[i] = fl;
        if (td_get_le32(b + p) == ZSTD_MAGICNUMBER) {
            L->is_zstd[i] = 1;
            L->zstd_frames++;
            size_t dl = ZSTD_decompress(out, TD_SPOOL_FRAME_MAX, b + p, fl);
            if (!ZSTD_isError(dl)) {
                if (dl > L->frame_max)
                    L->frame_max = dl;
                size_t q = 0;
                struct td_record r;
                long k;
                while (q < dl && (k = td_record_decode(out + q, dl - q, &r, NULL)) > 0) {
                    q += (size_t)k;
                    L->recs[i]++;
                }
            }
        } else if (td_get_le32(b + p) == TD_SPOOL_SKIP_END) {
            L->end_marker = 1;
        }
        p += fl;
    }
    free(out);
}

static int use_fsync; /* fsync is slow on test machines: only test_rotation uses it */

static struct td_spool_writer *mkwriter(const char *sensor, unsigned wid, unsigned fsec, size_t fbytes)
{
    struct td_spool_writer_opts o = {.dir = tmpdir, .sensor = sensor, .writer_id = wid,
                                     .frame_seconds = fsec, .frame_bytes = fbytes, .no_fsync = !use_fsync};
    const char *err = NULL;
    struct td_spool_writer *w = td_spool_writer_init(&o, &err);
    if (!w)
        TT_FAIL("writer init: %s", err);
    return w;
}

#define T0 1709245800000000000ull /* 2024-02-29 22:30:00 UTC */
#define HOUR0 474790u             /* its hour since the epoch */

/* Reads path; compares every record to gen(first + i); returns records read, sets *res and
 * err and offset (err NULL when clean EOF). -2 when the open fails. */
static long read_check(const char *path, uint64_t first, uint64_t t0, uint64_t step, int big, int *res,
                       const char **err, uint64_t *off, int *mismatch)
{
    const char *oe = NULL;
    struct td_spool_reader *r = td_spool_reader_open(path, &oe);
    *mismatch = 0;
    *err = NULL;
    if (!r) {
        *err = oe;
        return -2;
    }
    static struct grec g;
    struct td_record rec;
    long n = 0;
    int x;
    while ((x = td_spool_read(r, &rec)) == TD_SPOOL_RECORD) {
        gen(&g, first + (uint64_t)n, t0 + (first + (uint64_t)n) * step, big);
        if (!rec_eq(&rec, &g.r))
            (*mismatch)++;
        n++;
    }
    *res = x;
    static char ebuf[256];
    const char *e = td_spool_reader_error(r, off);
    if (e) {
        snprintf(ebuf, sizeof ebuf, "%s", e);
        *err = ebuf;
    }
    /* the error is sticky */
    if (td_spool_read(r, &rec) != x)
        (*mismatch)++;
    td_spool_reader_close(&r);
    if (r)
        (*mismatch)++;
    return n;
}

/* Writes n records (time t0 + i*step) with one writer, closes; returns the file name. */
static const char *write_file(const char *sensor, unsigned wid, long n, uint64_t t0, uint64_t step,
                              size_t fbytes, int big)
{
    static char name[256];
    struct td_spool_writer *w = mkwriter(sensor, wid, 10, fbytes);
    static struct grec g;
    const char *err = NULL;
    for (long i = 0; w && i < n; i++) {
        gen(&g, (uint64_t)i, t0 + (uint64_t)i * step, big);
        if (td_spool_write(w, &g.r, t0, &err) != 0) {
            TT_FAIL("write %ld: %s", i, err);
            break;
        }
    }
    if (w && td_spool_writer_destroy(&w, &err) != 0)
        TT_FAIL("destroy: %s", err);
    td_spool_format_name(name, sizeof name, sensor, (uint32_t)(t0 / TD_NS_PER_HOUR), wid);
    return name;
}

/* ---- record encoding ---- */

static void test_record_golden(void)
{
    uint8_t resp[3] = {0xAA, 0xBB, 0xCC}, q[2] = {0x11, 0x22};
    struct td_record r = {.query_ts_ns = 0x0102030405060708ull, .response_ts_ns = 0x1112131415161718ull,
                          .type = TD_REC_MATCHED, .ip_version = 4, .proto = 17, .cksum = TD_CKSUM_CORRECT,
                          .flags = TD_RF_FRAGMENTED | TD_RF_RESOLVER_ZEROED, .client_port = 0x1234,
                          .server_port = 53, .client_ip = {10, 0, 0, 1}, .server_ip = {192, 0, 2, 53},
                          .response = resp, .response_len = 3, .query = q, .query_len = 2};
    uint8_t want[64];
    int wl = tt_unhex("35000000 01 01 04 11 03 00 0500"
                      "0807060504030201 1817161514131211 3412 3500"
                      "0a000001 c0000235 03000000 aabbcc 02000000 1122", want, sizeof want);
    uint8_t buf[128];
    size_t n = td_record_encode(&r, buf, sizeof buf);
    CHECK_EQ(wl, 53);
    CHECK_EQ(n, 53);
    CHECK_MEM(buf, want, 53);
    for (size_t cap = 0; cap < 53; cap++)
        CHECK_EQ(td_record_encode(&r, buf, cap), 0);
    struct td_record d;
    const char *err = NULL;
    for (size_t len = 0; len < 53; len++)
        CHECK_EQ(td_record_decode(want, len, &d, &err), 0);
    CHECK_EQ(td_record_decode(want, 53, &d, &err), 53);
    CHECK(rec_eq(&d, &r));
    /* IPv6: 16-octet addresses; no query: length 0, decoded as NULL */
    struct td_record r6 = r;
    r6.ip_version = 6;
    r6.query = NULL;
    r6.query_len = 0;
    r6.type = TD_REC_UNSOLICITED;
    memset(r6.client_ip, 0x20, 16);
    memset(r6.server_ip, 0xfe, 16);
    n = td_record_encode(&r6, buf, sizeof buf);
    CHECK_EQ(n, 32 + 32 + 4 + 3 + 4);
    CHECK_EQ(td_record_decode(buf, n, &d, &err), (long)n);
    CHECK(rec_eq(&d, &r6));
    CHECK(d.query == NULL);
}

static void test_record_roundtrip_all(void)
{
    static struct grec g;
    static uint8_t buf[TD_SPOOL_REC_MAX];
    int bad = 0;
    for (uint64_t i = 0; i < 3000; i++) {
        gen(&g, i, T0 + i, 1);
        size_t n = td_record_encode(&g.r, buf, sizeof buf);
        struct td_record d;
        const char *err;
        if (!n || td_record_decode(buf, n, &d, &err) != (long)n || !rec_eq(&d, &g.r))
            bad++;
        /* extra trailing octets inside the length (a later minor revision) are skipped */
        td_put_le32(buf, (uint32_t)n + 3);
        if (td_record_decode(buf, n + 3, &d, &err) != (long)n + 3 || !rec_eq(&d, &g.r))
            bad++;
    }
    CHECK_EQ(bad, 0);
}

static void test_record_malformed(void)
{
    uint8_t resp[3] = {1, 2, 3};
    struct td_record r = {.query_ts_ns = 5, .type = TD_REC_UNANSWERED, .ip_version = 4, .proto = 17,
                          .query = resp, .query_len = 3};
    uint8_t good[64];
    size_t n = td_record_encode(&r, good, sizeof good);
    CHECK_EQ(n, 32 + 8 + 4 + 4 + 3);
    struct {
        size_t at;      /* octet to overwrite */
        int width;      /* 1 or 4 */
        uint32_t value;
        const char *why;
    } cases[] = {
        {0, 4, 47, "record length shorter than a record"},
        {0, 4, TD_SPOOL_REC_MAX + 1, "record length too large"},
        {4, 1, 2, "unsupported record version"},
        {4, 1, 0, "unsupported record version"},
        {5, 1, 0, "bad record type"},
        {5, 1, 4, "bad record type"},
        {6, 1, 5, "bad ip_version"},
        {6, 1, 6, "record too short for its addresses"},
        {8, 1, 5, "bad checksum state"},
        {40, 4, 100, "response length beyond the record"},
        {44, 4, 4, "query length beyond the record"},
        {44, 4, 70000, "query length beyond the record"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint8_t b[64];
        memcpy(b, good, n);
        if (cases[i].width == 4)
            td_put_le32(b + cases[i].at, cases[i].value);
        else
            b[cases[i].at] = (uint8_t)cases[i].value;
        struct td_record d;
        const char *err = NULL;
        long k = td_record_decode(b, n, &d, &err);
        if (k != -1 || !err || strcmp(err, cases[i].why) != 0)
            TT_FAIL("case %zu: got %ld \"%s\", want -1 \"%s\"", i, k, err ? err : "", cases[i].why);
    }
}

/* ---- names ---- */

static void test_names(void)
{
    char s64[65];
    memset(s64, 'x', 64);
    s64[64] = 0;
    char n64[128], n65[128];
    snprintf(n64, sizeof n64, "%s.2024022922.7.tds.zst", s64);
    snprintf(n65, sizeof n65, "y%s.2024022922.7.tds.zst", s64);
    struct {
        const char *name;
        int ok;
        const char *sensor;
        uint32_t hour, wid;
        int open;
    } cases[] = {
        {"s1.2024022922.7.tds.zst", 0, "s1", HOUR0, 7, 0},
        {"s1.2024022922.7.tds.zst.open", 0, "s1", HOUR0, 7, 1},
        {"a_B-9.1970010100.0.tds.zst", 0, "a_B-9", 0, 0, 0},
        {"s.2024030100.4294967295.tds.zst", 0, "s", HOUR0 + 2, 4294967295u, 0},
        {"s.2000022923.1.tds.zst", 0, "s", 264407, 1, 0},
        {n64, 0, s64, HOUR0, 7, 0},
        {n65, -1, NULL, 0, 0, 0},
        {".2024022922.7.tds.zst", -1, NULL, 0, 0, 0},
        {"s.2024022922.7.tds", -1, NULL, 0, 0, 0},
        {"s.2024022922.tds.zst", -1, NULL, 0, 0, 0},
        {"s.2024022922..tds.zst", -1, NULL, 0, 0, 0},
        {"s.202402292.7.tds.zst", -1, NULL, 0, 0, 0},
        {"s.20240229221.7.tds.zst", -1, NULL, 0, 0, 0},
        {"s.2023022922.7.tds.zst", -1, NULL, 0, 0, 0},
        {"s.1900022922.7.tds.zst", -1, NULL, 0, 0, 0},
        {"s.2024130122.7.tds.zst", -1, NULL, 0, 0, 0},
        {"s.2024000122.7.tds.zst", -1, NULL, 0, 0, 0},
        {"s.2024043122.7.tds.zst", -1, NULL, 0, 0, 0},
        {"s.2024020024.7.tds.zst", -1, NULL, 0, 0, 0},
        {"s.2024022924.7.tds.zst", -1, NULL, 0, 0, 0},
        {"s.1969123123.7.tds.zst", -1, NULL, 0, 0, 0},
        {"s.2024022922.07.tds.zst", -1, NULL, 0, 0, 0},
        {"s.2024022922.4294967296.tds.zst", -1, NULL, 0, 0, 0},
        {"s.2024022922.-1.tds.zst", -1, NULL, 0, 0, 0},
        {"s!.2024022922.7.tds.zst", -1, NULL, 0, 0, 0},
        {"a.b.2024022922.7.tds.zst", -1, NULL, 0, 0, 0},
        {"s.2024022922.7.tds.zst.open.open", -1, NULL, 0, 0, 0},
        {"s.2024022922.7.tds.zst.tmp", -1, NULL, 0, 0, 0},
        {"s.x024022922.7.tds.zst", -1, NULL, 0, 0, 0},
        {"", -1, NULL, 0, 0, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char sensor[TD_SPOOL_SENSOR_MAX + 1] = "";
        uint32_t hour = 99, wid = 99;
        int open = 99;
        int rc = td_spool_parse_name(cases[i].name, sensor, sizeof sensor, &hour, &wid, &open);
        if (rc != cases[i].ok) {
            TT_FAIL("case %zu %s: rc %d", i, cases[i].name, rc);
            continue;
        }
        if (rc == 0 && (strcmp(sensor, cases[i].sensor) || hour != cases[i].hour || wid != cases[i].wid ||
                        open != cases[i].open))
            TT_FAIL("case %zu %s: %s %u %u %d", i, cases[i].name, sensor, hour, wid, open);
        if (rc == 0 && !open) { /* formatting gives the same name back */
            char back[256];
            td_spool_format_name(back, sizeof back, sensor, hour, wid);
            CHECK_STR(back, cases[i].name);
        }
    }
    char small[3];
    CHECK_EQ(td_spool_parse_name("s1.2024022922.7.tds.zst", small, 2, NULL, NULL, NULL), -1);
    CHECK_EQ(td_spool_parse_name("s1.2024022922.7.tds.zst", small, 3, NULL, NULL, NULL), 0);
    CHECK_STR(small, "s1");
    CHECK_EQ(td_spool_parse_name(NULL, NULL, 0, NULL, NULL, NULL), -1);
    /* every hour of 1970-2100 formats and parses back */
    int bad = 0;
    for (uint32_t h = 0; h < 24u * 365 * 130; h += 7) {
        char nm[128];
        uint32_t hh, ww;
        if (!td_spool_format_name(nm, sizeof nm, "s", h, h) ||
            td_spool_parse_name(nm, NULL, 0, &hh, &ww, NULL) != 0 || hh != h || ww != h)
            bad++;
    }
    CHECK_EQ(bad, 0);
}

/* ---- writer ---- */

static void test_writer_opts(void)
{
    mk_tmpdir();
    struct {
        const char *dir, *sensor;
        unsigned wid;
        size_t fbytes;
        int level;
        const char *err;
    } cases[] = {
        {NULL, "s", 0, 0, 0, "spool writer: no directory"},
        {"", "s", 0, 0, 0, "spool writer: no directory"},
        {tmpdir, NULL, 0, 0, 0, "spool writer: sensor id must match [A-Za-z0-9_-]{1,64}"},
        {tmpdir, "", 0, 0, 0, "spool writer: sensor id must match [A-Za-z0-9_-]{1,64}"},
        {tmpdir, "a.b", 0, 0, 0, "spool writer: sensor id must match [A-Za-z0-9_-]{1,64}"},
        {tmpdir, "a/b", 0, 0, 0, "spool writer: sensor id must match [A-Za-z0-9_-]{1,64}"},
        {tmpdir, "s", 65536, 0, 0, "spool writer: writer id above 65535"},
        {tmpdir, "s", 0, (32u << 20) + 1, 0, "spool writer: frame_bytes above 32 MiB"},
        {tmpdir, "s", 0, 0, 20, "spool writer: zstd level outside -7..19"},
        {"/nonexistent/dir", "s", 0, 0, 0, "spool writer: cannot open the directory"},
        {tmpdir, "s", 65535, 32u << 20, 19, NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct td_spool_writer_opts o = {.dir = cases[i].dir, .sensor = cases[i].sensor, .writer_id = cases[i].wid,
                                         .frame_bytes = cases[i].fbytes, .zstd_level = cases[i].level};
        const char *err = NULL;
        struct td_spool_writer *w = td_spool_writer_init(&o, &err);
        if (cases[i].err) {
            CHECK(w == NULL);
            CHECK_STR(err, cases[i].err);
        } else {
            CHECK(w != NULL);
            CHECK_EQ(td_spool_writer_destroy(&w, &err), 0);
            CHECK(w == NULL);
        }
    }
    CHECK_STR(ls_dir(), ""); /* files open lazily */
    /* invalid records are refused with a reason, nothing is written */
    struct td_spool_writer *w = mkwriter("s", 1, 10, 0);
    uint8_t m[4] = {0};
    struct {
        struct td_record r;
        const char *err;
    } bad[] = {
        {{.query_ts_ns = 1, .type = 3, .ip_version = 5, .query = m, .query_len = 4}, "record: ip_version is not 4 or 6"},
        {{.query_ts_ns = 1, .type = 0, .ip_version = 4}, "record: unknown record type"},
        {{.query_ts_ns = 1, .type = 4, .ip_version = 6}, "record: unknown record type"},
        {{.query_ts_ns = 1, .type = 3, .ip_version = 4, .cksum = 5}, "record: unknown checksum state"},
        {{.query_ts_ns = 1, .type = 1, .ip_version = 4, .response = m, .response_len = 65536},
         "record: DNS message longer than 65535 octets"},
        {{.query_ts_ns = 1, .type = 1, .ip_version = 4, .response_len = 3}, "record: message length without message"},
        {{.type = 1, .ip_version = 4, .response = m, .response_len = 4}, "record: neither query nor response time"},
    };
    for (size_t i = 0; w && i < sizeof bad / sizeof bad[0]; i++) {
        const char *err = NULL;
        CHECK_EQ(td_spool_write(w, &bad[i].r, 0, &err), -1);
        CHECK_STR(err, bad[i].err);
    }
    CHECK_EQ(td_spool_writer_stats(w)->records, 0);
    const char *err;
    td_spool_writer_destroy(&w, &err);
    CHECK_STR(ls_dir(), "");
    rm_tmpdir();
}

static void test_roundtrip(void)
{
    mk_tmpdir();
    const long N = 20000;
    const char *name = write_file("sensor-1", 12, N, T0, 1000, 0, 1);
    CHECK_STR(ls_dir(), "sensor-1.2024022922.12.tds.zst");
    int res, mism;
    const char *err;
    uint64_t off;
    long n = read_check(path_of(name), 0, T0, 1000, 1, &res, &err, &off, &mism);
    CHECK_EQ(n, N);
    CHECK_EQ(res, TD_SPOOL_EOF);
    CHECK(err == NULL);
    CHECK_EQ(mism, 0);
    /* header */
    const char *oe;
    struct td_spool_reader *r = td_spool_reader_open(path_of(name), &oe);
    CHECK(r != NULL);
    if (r) {
        const struct td_spool_header *h = td_spool_reader_header(r);
        CHECK_EQ(h->version, 1);
        CHECK_STR(h->sensor, "sensor-1");
        CHECK_EQ(h->writer_id, 12);
        CHECK_EQ(h->hour, HOUR0);
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        uint64_t now = (uint64_t)ts.tv_sec * 1000000000u;
        CHECK(h->created_ns <= now + 1000000000u && h->created_ns + 60000000000u > now);
        td_spool_reader_close(&r);
    }
    /* plain zstd decodes the whole file (skippable frames ignored) to the records */
    size_t len;
    uint8_t *b = slurp(path_of(name), &len);
    size_t cap = 64u << 20;
    uint8_t *out = malloc(cap);
    size_t dl = ZSTD_decompress(out, cap, b, len);
    CHECK(!ZSTD_isError(dl));
    static struct grec g;
    size_t p = 0;
    long k = 0, bad = 0;
    struct td_record d;
    long step;
    while (!ZSTD_isError(dl) && p < dl && (step = td_record_decode(out + p, dl - p, &d, NULL)) > 0) {
        gen(&g, (uint64_t)k, T0 + (uint64_t)k * 1000, 1);
        bad += !rec_eq(&d, &g.r);
        p += (size_t)step;
        k++;
    }
    CHECK_EQ(k, N);
    CHECK_EQ(bad, 0);
    struct layout *L = malloc(sizeof *L);
    walk(b, len, L);
    CHECK(L->end_marker);
    CHECK(L->zstd_frames > 1);
    CHECK(!L->is_zstd[0]);
    CHECK_EQ(L->off[L->n - 1] + L->len[L->n - 1], len);
    free(L);
    free(out);
    free(b);
    rm_tmpdir();
}

/* extreme levels write files the reader takes (window within its 16 MiB bound) */
static void test_levels(void)
{
    mk_tmpdir();
    int levels[] = {-7, 1, 3, 19};
    for (size_t i = 0; i < sizeof levels / sizeof levels[0]; i++) {
        struct td_spool_writer_opts o = {.dir = tmpdir, .sensor = "lv", .writer_id = (unsigned)i,
                                         .frame_bytes = 8u << 20, .zstd_level = levels[i]};
        const char *err = NULL;
        struct td_spool_writer *w = td_spool_writer_init(&o, &err);
        static struct grec g;
        for (uint64_t k = 0; w && k < 3000; k++) {
            gen(&g, k, T0 + k, 1);
            CHECK_EQ(td_spool_write(w, &g.r, T0, &err), 0);
        }
        CHECK_EQ(td_spool_writer_destroy(&w, &err), 0);
        char name[128];
        td_spool_format_name(name, sizeof name, "lv", HOUR0, (uint32_t)i);
        int res, mism;
        uint64_t off;
        CHECK_EQ(read_check(path_of(name), 0, T0, 1, 1, &res, &err, &off, &mism), 3000);
        CHECK_EQ(res, TD_SPOOL_EOF);
        CHECK_EQ(mism, 0);
    }
    rm_tmpdir();
}

static void test_rotation(void)
{
    mk_tmpdir();
    use_fsync = 1;
    struct td_spool_writer *w = mkwriter("s", 7, 10, 0);
    static struct grec g;
    const char *err = NULL;
    /* 2024-02-29 22:30 .. 2024-03-01 00:29: 3 hours, one record a minute */
    const uint64_t min = 60000000000ull;
    for (uint64_t i = 0; w && i < 120; i++) {
        gen(&g, i, T0 + i * min, 0);
        if (td_spool_write(w, &g.r, T0 + i * min, &err) != 0)
            TT_FAIL("write: %s", err);
        if (i == 30) { /* first record of hour 23: hour-22 file closed */
            CHECK_STR(ls_dir(), "s.2024022922.7.tds.zst s.2024022923.7.tds.zst.open");
            /* a late record of hour 22 goes into the open hour-23 file */
            struct grec late;
            gen(&late, 1000, T0 + 29 * min, 0);
            CHECK_EQ(td_spool_write(w, &late.r, T0 + i * min, &err), 0);
        }
    }
    CHECK_EQ(td_spool_writer_stats(w)->files_closed, 2);
    CHECK_EQ(td_spool_writer_destroy(&w, &err), 0);
    use_fsync = 0;
    CHECK_STR(ls_dir(), "s.2024022922.7.tds.zst s.2024022923.7.tds.zst s.2024030100.7.tds.zst");
    int res, mism;
    uint64_t off;
    CHECK_EQ(read_check(path_of("s.2024022922.7.tds.zst"), 0, T0, min, 0, &res, &err, &off, &mism), 30);
    CHECK_EQ(res, TD_SPOOL_EOF);
    CHECK_EQ(mism, 0);
    /* hour 23: records 30, late, 31..89 */
    const char *oe;
    struct td_spool_reader *r = td_spool_reader_open(path_of("s.2024022923.7.tds.zst"), &oe);
    long n = 0, bad = 0;
    struct td_record d;
    while (r && td_spool_read(r, &d) == TD_SPOOL_RECORD) {
        uint64_t i = n == 0 ? 30 : n == 1 ? 1000 : (uint64_t)n + 29;
        gen(&g, i, T0 + (i == 1000 ? 29 : i) * min, 0);
        bad += !rec_eq(&d, &g.r);
        n++;
    }
    CHECK(r && td_spool_reader_error(r, NULL) == NULL);
    CHECK_EQ(r ? td_spool_reader_header(r)->hour : 0, HOUR0 + 1);
    td_spool_reader_close(&r);
    CHECK_EQ(n, 61);
    CHECK_EQ(bad, 0);
    CHECK_EQ(read_check(path_of("s.2024030100.7.tds.zst"), 90, T0, min, 0, &res, &err, &off, &mism), 30);
    CHECK_EQ(res, TD_SPOOL_EOF);
    CHECK_EQ(mism, 0);
    rm_tmpdir();
}

/* An idle writer closes its hour on tick, hour_grace_seconds (default 120) after its end; a
 * late record of that closed hour then goes into the next hour's file. */
static void test_idle_close_and_late(void)
{
    mk_tmpdir();
    struct td_spool_writer *w = mkwriter("i", 3, 10, 0);
    static struct grec g, late;
    const char *err = NULL;
    const uint64_t s = 1000000000ull;
    const uint64_t hour_end = ((uint64_t)HOUR0 + 1) * 3600u * s; /* 2024-02-29 23:00 */
    gen(&g, 0, T0, 0);
    CHECK_EQ(td_spool_write(w, &g.r, T0, &err), 0);
    CHECK_EQ(td_spool_writer_tick(w, hour_end + 119 * s, &err), 0);
    CHECK_STR(ls_dir(), "i.2024022922.3.tds.zst.open");
    CHECK_EQ(td_spool_writer_tick(w, hour_end + 120 * s, &err), 0);
    CHECK_STR(ls_dir(), "i.2024022922.3.tds.zst");
    CHECK_EQ(td_spool_writer_tick(w, hour_end + 121 * s, &err), 0); /* no file: nothing to do */
    gen(&late, 1, T0 + 60 * s, 0);                                   /* hour 22, late */
    CHECK_EQ(td_spool_write(w, &late.r, hour_end + 130 * s, &err), 0);
    CHECK_STR(ls_dir(), "i.2024022922.3.tds.zst i.2024022923.3.tds.zst.open");
    CHECK_EQ(td_spool_writer_destroy(&w, &err), 0);
    int res, mism;
    uint64_t off;
    CHECK_EQ(read_check(path_of("i.2024022922.3.tds.zst"), 0, T0, s, 0, &res, &err, &off, &mism), 1);
    CHECK_EQ(res, TD_SPOOL_EOF);
    CHECK_EQ(read_check(path_of("i.2024022923.3.tds.zst"), 1, T0, 60 * s, 0, &res, &err, &off, &mism), 1);
    CHECK_EQ(res, TD_SPOOL_EOF);
    CHECK_EQ(mism, 0);
    rm_tmpdir();
}

static void test_frames_by_bytes(void)
{
    mk_tmpdir();
    struct td_spool_writer *w = mkwriter("s", 1, 10, 4096);
    static struct grec g;
    const char *err = NULL;
    for (uint64_t i = 0; w && i < 500; i++) {
        gen(&g, i, T0 + i, 0);
        CHECK_EQ(td_spool_write(w, &g.r, T0, &err), 0);
    }
    CHECK_EQ(td_spool_writer_close_file(w, &err), 0);
    uint64_t frames = td_spool_writer_stats(w)->frames;
    uint64_t bytes_in = td_spool_writer_stats(w)->bytes_in;
    CHECK_EQ(td_spool_writer_destroy(&w, &err), 0);
    size_t len;
    uint8_t *b = slurp(path_of("s.2024022922.1.tds.zst"), &len);
    struct layout *L = malloc(sizeof *L);
    walk(b, len, L);
    /* every frame but the last holds >= 4096 octets, less than 4096 + one record */
    CHECK(bytes_in / 4096 >= 10);
    CHECK(frames == bytes_in / 4096 || frames == bytes_in / 4096 + 1);
    CHECK_EQ(L->zstd_frames, (long long)frames + 0);
    CHECK(L->frame_max < 4096 + 400);
    int recs = 0;
    for (int i = 0; i < L->n; i++)
        recs += L->recs[i];
    CHECK_EQ(recs, 500);
    int res, mism;
    uint64_t off;
    CHECK_EQ(read_check(path_of("s.2024022922.1.tds.zst"), 0, T0, 1, 0, &res, &err, &off, &mism), 500);
    CHECK_EQ(res, TD_SPOOL_EOF);
    CHECK_EQ(mism, 0);
    free(L);
    free(b);
    rm_tmpdir();
}

static void test_frames_by_seconds_and_open(void)
{
    mk_tmpdir();
    struct td_spool_writer *w = mkwriter("s", 2, 2, 0);
    static struct grec g;
    const char *err = NULL;
    const uint64_t S = 1000000000ull;
    const char *fin = "s.2024022922.2.tds.zst";
    struct {
        int op;          /* 0 write, 1 tick */
        uint64_t now_s;  /* seconds after T0 */
        uint64_t frames; /* expected after the op */
    } steps[] = {
        {0, 0, 0}, {0, 1, 0}, {1, 1, 0}, {0, 2, 1}, /* frame of 3 records, closed at 2 s */
        {1, 3, 1}, {1, 100, 1},                    /* no pending frame: nothing */
        {0, 101, 1}, {1, 102, 1}, {1, 103, 2},      /* closed by tick */
        {0, 104, 2}, {0, 104, 2}, {1, 50, 2},       /* clock went backwards: no close */
        {1, 106, 3},
    };
    uint64_t i = 0;
    for (size_t k = 0; w && k < sizeof steps / sizeof steps[0]; k++) {
        if (steps[k].op == 0) {
            gen(&g, i, T0 + i, 0);
            i++;
            CHECK_EQ(td_spool_write(w, &g.r, T0 + steps[k].now_s * S, &err), 0);
        } else {
            CHECK_EQ(td_spool_writer_tick(w, T0 + steps[k].now_s * S, &err), 0);
        }
        if (td_spool_writer_stats(w)->frames != steps[k].frames)
            TT_FAIL("step %zu: %llu frames, want %llu", k, (unsigned long long)td_spool_writer_stats(w)->frames,
                    (unsigned long long)steps[k].frames);
        /* while writing: only the .open file, and every closed frame is in it */
        CHECK_STR(ls_dir(), "s.2024022922.2.tds.zst.open");
        struct stat st;
        CHECK_EQ(stat(path_of("s.2024022922.2.tds.zst.open"), &st), 0);
        CHECK_EQ(st.st_size, td_spool_writer_stats(w)->bytes_out);
    }
    /* the reader sees the closed frames of the .open file, then "no end marker" */
    int res, mism;
    uint64_t off;
    long n = read_check(path_of("s.2024022922.2.tds.zst.open"), 0, T0, 1, 0, &res, &err, &off, &mism);
    CHECK_EQ(n, 6);
    CHECK_EQ(res, TD_SPOOL_ERROR);
    CHECK(err && strstr(err, "no end marker at offset") && strstr(err, "file not closed cleanly"));
    CHECK_EQ(mism, 0);
    CHECK_EQ(td_spool_writer_close_file(w, &err), 0);
    CHECK_EQ(td_spool_writer_close_file(w, &err), 0); /* no file: nothing */
    CHECK_STR(ls_dir(), fin);
    CHECK_EQ(td_spool_writer_stats(w)->frames, 3);
    CHECK_EQ(td_spool_writer_stats(w)->files_closed, 1);
    CHECK_EQ(td_spool_writer_destroy(&w, &err), 0);
    n = read_check(path_of(fin), 0, T0, 1, 0, &res, &err, &off, &mism);
    CHECK_EQ(n, 6);
    CHECK_EQ(res, TD_SPOOL_EOF);
    size_t len;
    uint8_t *b = slurp(path_of(fin), &len);
    struct layout *L = malloc(sizeof *L);
    walk(b, len, L);
    CHECK_EQ(L->zstd_frames, 3);
    CHECK_EQ(L->recs[1] + 0, 3);
    CHECK_EQ(L->recs[2] + 0, 1);
    CHECK_EQ(L->recs[3] + 0, 2);
    free(L);
    free(b);
    rm_tmpdir();
}

static void test_name_collision(void)
{
    mk_tmpdir();
    /* a closed file of this hour with writer id 3 and a stale .open of generation 1 exist */
    spit(path_of("s.2024022922.3.tds.zst"), (const uint8_t *)"x", 1);
    spit(path_of("s.2024022922.65539.tds.zst.open"), (const uint8_t *)"yy", 2);
    const char *name = write_file("s", 3, 10, T0, 1, 0, 0);
    (void)name;
    CHECK_STR(ls_dir(), "s.2024022922.131075.tds.zst s.2024022922.3.tds.zst s.2024022922.65539.tds.zst.open");
    struct stat st;
    CHECK(stat(path_of("s.2024022922.3.tds.zst"), &st) == 0 && st.st_size == 1);
    CHECK(stat(path_of("s.2024022922.65539.tds.zst.open"), &st) == 0 && st.st_size == 2);
    int res, mism;
    uint64_t off;
    const char *err;
    CHECK_EQ(read_check(path_of("s.2024022922.131075.tds.zst"), 0, T0, 1, 0, &res, &err, &off, &mism), 10);
    CHECK_EQ(res, TD_SPOOL_EOF);
    const char *oe;
    struct td_spool_reader *r = td_spool_reader_open(path_of("s.2024022922.131075.tds.zst"), &oe);
    CHECK_EQ(r ? td_spool_reader_header(r)->writer_id : 0, 131075);
    td_spool_reader_close(&r);
    rm_tmpdir();
}

/* Name claims (FORMAT.md 2): a file shipped away (moved out of the directory) keeps its name
 * taken, so a writer restarted in the same hour takes the next generation instead of making a
 * second, different file of the same name; old claims are removed, others kept. */
static void test_name_claims(void)
{
    mk_tmpdir();
    const char *first = write_file("s", 3, 10, T0, 1, 0, 0);
    CHECK_STR(first, "s.2024022922.3.tds.zst");
    char moved[300];
    snprintf(moved, sizeof moved, "%s.shipped", tmpdir);
    CHECK_EQ(rename(path_of(first), moved), 0);
    CHECK_STR(ls_dir(), "");
    write_file("s", 3, 10, T0, 1, 0, 0); /* (returns the name of generation 0) */
    CHECK_STR(ls_dir(), "s.2024022922.65539.tds.zst");
    unlink(moved);
    char claims[300];
    snprintf(claims, sizeof claims, "%s/.claimed", tmpdir);
    struct stat st;
    CHECK(stat(strcat(strcpy(moved, claims), "/s.2024022922.3.tds.zst"), &st) == 0);
    CHECK(stat(strcat(strcpy(moved, claims), "/s.2024022922.65539.tds.zst"), &st) == 0);
    /* a claim three days old goes when a writer starts; a fresh one and other names stay */
    char old_claim[400], other[400];
    snprintf(old_claim, sizeof old_claim, "%s/s.2024022921.3.tds.zst", claims);
    snprintf(other, sizeof other, "%s/notes", claims);
    spit(old_claim, (const uint8_t *)"", 0);
    spit(other, (const uint8_t *)"", 0);
    struct timespec t[2] = { { time(NULL) - 72 * 3600, 0 }, { time(NULL) - 72 * 3600, 0 } };
    CHECK_EQ(utimensat(AT_FDCWD, old_claim, t, 0), 0);
    CHECK_EQ(utimensat(AT_FDCWD, other, t, 0), 0);
    struct td_spool_writer *w = mkwriter("s", 3, 0, 0);
    const char *err = NULL;
    td_spool_writer_destroy(&w, &err);
    CHECK(stat(old_claim, &st) != 0);
    CHECK(stat(other, &st) == 0);
    CHECK(stat(strcat(strcpy(moved, claims), "/s.2024022922.3.tds.zst"), &st) == 0);
    rm_tmpdir();
}

/* ---- reader: damage ---- */

/* A small file of 3+ frames (60 records, frame_bytes 2000). */
static uint8_t *small_file(size_t *len, struct layout *L)
{
    const char *name = write_file("s", 1, 60, T0, 1, 2000, 0);
    uint8_t *b = slurp(path_of(name), len);
    unlink(path_of(name));
    walk(b, *len, L);
    return b;
}

static void test_torn_every_offset(void)
{
    mk_tmpdir();
    size_t len;
    struct layout *L = malloc(sizeof *L);
    uint8_t *b = small_file(&len, L);
    CHECK(L->zstd_frames >= 3);
    CHECK(L->end_marker);
    const char *p = path_of("cut.tds.zst");
    int bad = 0;
    for (size_t cut = 0; cut <= len; cut++) {
        spit(p, b, cut);
        /* expected: records of frames ending at or before cut; error at the first frame cut */
        long want = 0;
        uint64_t want_off = 0;
        const char *want_err = NULL;
        int want_open_fail = cut < L->len[0];
        for (int i = 1; i < L->n; i++) {
            if (L->off[i] + L->len[i] <= cut) {
                want += L->recs[i];
            } else {
                want_off = L->off[i];
                want_err = cut == L->off[i] ? "no end marker at offset" : "torn frame at offset";
                break;
            }
        }
        if (cut == L->off[1] && cut == len)
            want_err = NULL;
        int res, mism;
        uint64_t off = 0;
        const char *err;
        long n = read_check(p, 0, T0, 1, 0, &res, &err, &off, &mism);
        if (want_open_fail) {
            if (n != -2 || !err || (strcmp(err, "truncated header") && strcmp(err, "empty file"))) {
                TT_FAIL("cut %zu: open: %ld %s", cut, n, err ? err : "(null)");
                bad++;
            }
            continue;
        }
        if (n != want || mism || (want_err && (res != TD_SPOOL_ERROR || !err || !strstr(err, want_err) ||
                                               off != want_off)) ||
            (!want_err && (res != TD_SPOOL_EOF || err))) {
            if (bad++ < 5)
                TT_FAIL("cut %zu: %ld records (want %ld), res %d, err %s @%llu (want %s @%llu)", cut, n, want, res,
                        err ? err : "-", (unsigned long long)off, want_err ? want_err : "-",
                        (unsigned long long)want_off);
        }
    }
    CHECK_EQ(bad, 0);
    free(L);
    free(b);
    rm_tmpdir();
}

static void test_bit_flips(void)
{
    mk_tmpdir();
    size_t len;
    struct layout *L = malloc(sizeof *L);
    uint8_t *b = small_file(&len, L);
    const char *p = path_of("flip.tds.zst");
    int bad = 0, harmless = 0;
    long total = 0;
    for (int i = 1; i < L->n; i++)
        total += L->recs[i];
    uint8_t *c = malloc(len);
    long tried = 0;
    for (size_t at = 0; at < len; at++) {
        /* every bit of the header, frame starts and end marker; one bit of other octets */
        int fa = 0;
        while (fa + 1 < L->n && L->off[fa + 1] <= at)
            fa++;
        int all = fa == 0 || fa == L->n - 1 || at - L->off[fa] < 8 || L->off[fa] + L->len[fa] - at <= 4;
        for (int bit = 0; bit < 8; bit++) {
            if (!all && bit != (int)(at * 5 % 8))
                continue;
            tried++;
            memcpy(c, b, len);
            c[at] ^= (uint8_t)(1u << bit);
            spit(p, c, len);
            int fi = 0; /* frame holding the flipped octet */
            while (fi + 1 < L->n && L->off[fi + 1] <= at)
                fi++;
            long want = 0;
            for (int i = 1; i < fi; i++)
                want += L->recs[i];
            int res, mism;
            uint64_t off = 0;
            const char *err;
            long n = read_check(p, 0, T0, 1, 0, &res, &err, &off, &mism);
            int ok;
            if (n == total && res == TD_SPOOL_EOF && !mism) {
                harmless++; /* a bit zstd ignores (e.g. the unused descriptor bit): same records */
                continue;
            }
            if (fi == 0) /* header: the open fails */
                ok = n == -2 && err != NULL;
            else
                /* in the end marker's magic, a flip may make it another skippable frame (skipped):
                 * then the error is "no end marker" at the end of the file */
                ok = n == want && !mism && res == TD_SPOOL_ERROR && err &&
                     (off == L->off[fi] || (fi == L->n - 1 && off == len)) &&
                     (strstr(err, "corrupt") || strstr(err, "end marker") || strstr(err, "torn frame") ||
                      strstr(err, "data after"));
            if (!ok && bad++ < 5)
                TT_FAIL("flip %zu.%d (frame %d @%zu): %ld records (want %ld), res %d, err %s @%llu", at, bit, fi,
                        L->off[fi], n, want, res, err ? err : "-", (unsigned long long)off);
        }
    }
    CHECK_EQ(bad, 0);
    CHECK(harmless < tried / 50); /* nearly every flip is caught */
    printf("# %ld bit flips: %d read back identical, the rest refused\n", tried, harmless);
    free(c);
    free(L);
    free(b);
    rm_tmpdir();
}

/* Splices: a frame removed, a frame doubled, an unknown skippable frame inserted, data after
 * the end marker. */
static void test_splices(void)
{
    mk_tmpdir();
    size_t len;
    struct layout *L = malloc(sizeof *L);
    uint8_t *b = small_file(&len, L);
    uint8_t *c = malloc(len * 2 + 64);
    const char *p = path_of("x.tds.zst");
    int res, mism;
    uint64_t off;
    const char *err;
    long total = 0;
    for (int i = 1; i < L->n; i++)
        total += L->recs[i];
    size_t end_off = L->off[L->n - 1];
    /* frame 2 (the second zstd frame) removed */
    size_t n2 = 0;
    memcpy(c, b, L->off[2]);
    n2 = L->off[2];
    memcpy(c + n2, b + L->off[3], len - L->off[3]);
    n2 += len - L->off[3];
    spit(p, c, n2);
    long n = read_check(p, 0, T0, 1, 0, &res, &err, &off, &mism);
    CHECK_EQ(n, total - L->recs[2]);
    /* records after the removed frame are shifted against gen(): not compared */
    CHECK_EQ(res, TD_SPOOL_ERROR);
    CHECK(err && strstr(err, "does not match the file"));
    CHECK_EQ(off, end_off - L->len[2]);
    /* frame 1 doubled */
    memcpy(c, b, L->off[2]);
    memcpy(c + L->off[2], b + L->off[1], L->len[1]);
    memcpy(c + L->off[2] + L->len[1], b + L->off[2], len - L->off[2]);
    spit(p, c, len + L->len[1]);
    n = read_check(p, 0, T0, 1, 0, &res, &err, &off, &mism);
    CHECK_EQ(n, total + L->recs[1]);
    CHECK_EQ(res, TD_SPOOL_ERROR);
    CHECK(err && strstr(err, "does not match the file"));
    /* unknown skippable frame between frames 1 and 2: skipped */
    uint8_t skip[18] = {0x55, 0x2A, 0x4D, 0x18, 10, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
    memcpy(c, b, L->off[2]);
    memcpy(c + L->off[2], skip, sizeof skip);
    memcpy(c + L->off[2] + sizeof skip, b + L->off[2], len - L->off[2]);
    spit(p, c, len + sizeof skip);
    n = read_check(p, 0, T0, 1, 0, &res, &err, &off, &mism);
    CHECK_EQ(n, total);
    CHECK_EQ(res, TD_SPOOL_EOF);
    CHECK_EQ(mism, 0);
    /* the same, cut inside the skippable frame */
    spit(p, c, L->off[2] + 12);
    n = read_check(p, 0, T0, 1, 0, &res, &err, &off, &mism);
    CHECK_EQ(n, L->recs[1]);
    CHECK(err && strstr(err, "torn frame at offset"));
    CHECK_EQ(off, L->off[2]);
    /* data after the end marker */
    memcpy(c, b, len);
    c[len] = 0;
    spit(p, c, len + 1);
    n = read_check(p, 0, T0, 1, 0, &res, &err, &off, &mism);
    CHECK_EQ(n, total);
    CHECK_EQ(res, TD_SPOOL_ERROR);
    CHECK(err && strstr(err, "data after the end marker"));
    CHECK_EQ(off, len);
    /* garbage instead of a frame */
    memcpy(c, b, L->off[2]);
    memset(c + L->off[2], 0x41, 16);
    spit(p, c, L->off[2] + 16);
    n = read_check(p, 0, T0, 1, 0, &res, &err, &off, &mism);
    CHECK_EQ(n, L->recs[1]);
    char want[128];
    snprintf(want, sizeof want, "corrupt frame at offset %zu: bad frame magic 0x41414141", L->off[2]);
    CHECK_STR(err, want);
    CHECK_EQ(off, L->off[2]);
    free(c);
    free(L);
    free(b);
    rm_tmpdir();
}

/* header bytes of a valid file + one crafted frame + an end marker (or not) */
static size_t craft(uint8_t *out, const uint8_t *hdr, size_t hl, const uint8_t *data, size_t dl, int checksum,
                    uint64_t recs)
{
    memcpy(out, hdr, hl);
    ZSTD_CCtx *cc = ZSTD_createCCtx();
    ZSTD_CCtx_setParameter(cc, ZSTD_c_checksumFlag, checksum);
    size_t zl = ZSTD_compress2(cc, out + hl, ZSTD_compressBound(dl), data, dl);
    ZSTD_freeCCtx(cc);
    struct td_spool_end e = {recs, 1, dl};
    td_spool_end_encode(&e, out + hl + zl);
    return hl + zl + 8 + TD_SPOOL_END_LEN;
}

static void test_crafted_frames(void)
{
    mk_tmpdir();
    size_t len;
    struct layout *L = malloc(sizeof *L);
    uint8_t *b = small_file(&len, L);
    size_t hl = L->len[0];
    const char *p = path_of("x.tds.zst");
    int res, mism;
    uint64_t off;
    const char *err;
    static struct grec g;
    uint8_t data[4096];
    size_t dl = 0;
    gen(&g, 0, T0, 0);
    dl += td_record_encode(&g.r, data, sizeof data);
    gen(&g, 1, T0 + 1, 0);
    size_t second = dl;
    dl += td_record_encode(&g.r, data + dl, sizeof data - dl);
    uint8_t *c = malloc((80u << 20));
    /* control: the crafted file reads clean */
    size_t cl = craft(c, b, hl, data, dl, 1, 2);
    spit(p, c, cl);
    CHECK_EQ(read_check(p, 0, T0, 1, 0, &res, &err, &off, &mism), 2);
    CHECK_EQ(res, TD_SPOOL_EOF);
    CHECK_EQ(mism, 0);
    /* second record of version 2: first delivered, then the error */
    data[second + 4] = 2;
    cl = craft(c, b, hl, data, dl, 1, 2);
    spit(p, c, cl);
    CHECK_EQ(read_check(p, 0, T0, 1, 0, &res, &err, &off, &mism), 1);
    CHECK_EQ(res, TD_SPOOL_ERROR);
    char want[160];
    snprintf(want, sizeof want, "malformed record at offset %zu in frame at offset %zu: unsupported record version",
             second, hl);
    CHECK_STR(err, want);
    CHECK_EQ(off, hl);
    data[second + 4] = 1;
    /* frame ends inside a record */
    cl = craft(c, b, hl, data, dl - 1, 1, 2);
    spit(p, c, cl);
    CHECK_EQ(read_check(p, 0, T0, 1, 0, &res, &err, &off, &mism), 1);
    snprintf(want, sizeof want, "malformed record at offset %zu in frame at offset %zu: record cut at the end of the frame",
             second, hl);
    CHECK_STR(err, want);
    /* frame without a content checksum */
    cl = craft(c, b, hl, data, dl, 0, 2);
    spit(p, c, cl);
    CHECK_EQ(read_check(p, 0, T0, 1, 0, &res, &err, &off, &mism), 0);
    snprintf(want, sizeof want, "corrupt frame at offset %zu: no content checksum", hl);
    CHECK_STR(err, want);
    /* checksum mismatch: the last octet of the frame (its checksum) changed */
    cl = craft(c, b, hl, data, dl, 1, 2);
    c[cl - 8 - TD_SPOOL_END_LEN - 1] ^= 1;
    spit(p, c, cl);
    CHECK_EQ(read_check(p, 0, T0, 1, 0, &res, &err, &off, &mism), 0);
    snprintf(want, sizeof want, "corrupt frame at offset %zu: checksum mismatch", hl);
    CHECK_STR(err, want);
    /* a frame decoding to more than 64 MiB */
    size_t big = (64u << 20) + 1;
    uint8_t *z = calloc(1, big);
    cl = craft(c, b, hl, z, big, 1, 0);
    free(z);
    spit(p, c, cl);
    CHECK_EQ(read_check(p, 0, T0, 1, 0, &res, &err, &off, &mism), 0);
    snprintf(want, sizeof want, "corrupt frame at offset %zu: decodes to more than 67108864 octets", hl);
    CHECK_STR(err, want);
    free(c);
    free(L);
    free(b);
    rm_tmpdir();
}

static void test_bad_header(void)
{
    mk_tmpdir();
    size_t len;
    struct layout *L = malloc(sizeof *L);
    uint8_t *b = small_file(&len, L);
    size_t hl = L->len[0];
    uint8_t *c = malloc(len + 200);
    const char *p = path_of("x.tds.zst");
    enum { FIXCRC = 1 };
    enum { FLIP = 0x100 }; /* val: every bit of the octet flipped (its value is not known) */
    struct {
        size_t at;
        unsigned val;
        int fix;
        size_t cut; /* 0: whole file */
        const char *err;
    } cases[] = {
        {0, 0x51, 0, 0, "not a spool file (bad magic)"},
        {3, 0x00, 0, 0, "not a spool file (bad magic)"},
        {8, 'X', 0, 0, "not a spool file (bad magic)"},
        {15, '2', 0, 0, "not a spool file (bad magic)"},
        {16, 2, FIXCRC, 0, "unsupported spool format version"},
        {17, 1, 0, 0, "unsupported spool format version"},
        {4, 200, 0, 0, "bad header length"},
        {4, 20, 0, 0, "bad header length"},
        {5, 1, 0, 0, "bad header length"},
        {18, 0, 0, 0, "bad header length"},
        {18, 65, 0, 0, "bad header length"},
        {36, 's' ^ 1, 0, 0, "header checksum mismatch"},
        {20, 9, 0, 0, "header checksum mismatch"},
        {hl - 1, FLIP, 0, 0, "header checksum mismatch"}, /* (setting 0 failed when the CRC's octet was 0) */
        {36, '!', FIXCRC, 0, "bad header: invalid sensor id"},
        {36, 0, FIXCRC, 0, "bad header: invalid sensor id"},
        {19, 1, FIXCRC, 0, "bad header: invalid sensor id"},
        {0, 0x50, 0, 1, "truncated header"},
        {0, 0x50, 0, 7, "truncated header"},
        {0, 0x50, 0, 20, "truncated header"},
        {0, 0x50, 0, hl - 1, "truncated header"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        memcpy(c, b, len);
        c[cases[i].at] = cases[i].val == FLIP ? (uint8_t)~c[cases[i].at] : (uint8_t)cases[i].val;
        if (cases[i].fix)
            td_put_le32(c + hl - 4, td_spool_crc32(c + 8, hl - 12));
        spit(p, c, cases[i].cut ? cases[i].cut : len);
        const char *err = NULL;
        struct td_spool_reader *r = td_spool_reader_open(p, &err);
        if (r || !err || strcmp(err, cases[i].err) != 0)
            TT_FAIL("case %zu: %s, want %s", i, r ? "opened" : err, cases[i].err);
        td_spool_reader_close(&r);
    }
    spit(p, c, 0);
    const char *err = NULL;
    CHECK(td_spool_reader_open(p, &err) == NULL);
    CHECK_STR(err, "empty file");
    CHECK(td_spool_reader_open(path_of("missing"), &err) == NULL);
    CHECK(err && strstr(err, "cannot open") && strstr(err, "No such file"));
    free(c);
    free(L);
    free(b);
    rm_tmpdir();
}

int main(void)
{
    TT_RUN(test_record_golden);
    TT_RUN(test_record_roundtrip_all);
    TT_RUN(test_record_malformed);
    TT_RUN(test_names);
    TT_RUN(test_writer_opts);
    TT_RUN(test_roundtrip);
    TT_RUN(test_levels);
    TT_RUN(test_rotation);
    TT_RUN(test_idle_close_and_late);
    TT_RUN(test_frames_by_bytes);
    TT_RUN(test_frames_by_seconds_and_open);
    TT_RUN(test_name_collision);
    TT_RUN(test_name_claims);
    TT_RUN(test_torn_every_offset);
    TT_RUN(test_bit_flips);
    TT_RUN(test_splices);
    TT_RUN(test_crafted_frames);
    TT_RUN(test_bad_header);
    return tt_finish();
}
