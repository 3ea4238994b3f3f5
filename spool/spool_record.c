/* spool_record.c: the on-disk encodings of spool/FORMAT.md: records, file header, end
 * marker, file names, CRC-32. Pure functions: no I/O, no allocation. */
#include <string.h>

#include "spool_int.h"
#include "byteorder.h"

uint32_t td_spool_crc32(const uint8_t *p, size_t n)
{
    /* CRC-32/ISO-HDLC (zlib, PNG): reflected polynomial 0xEDB88320, init and xorout ~0.
     * Bitwise: only headers and end markers (< 100 octets) are summed. */
    uint32_t c = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++)
            c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1u)));
    }
    return ~c;
}

static int sensor_char_ok(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
           ch == '_' || ch == '-';
}

int td_spool_sensor_ok(const char *s)
{
    size_t n = 0;
    if (!s)
        return 0;
    for (; s[n]; n++)
        if (n >= TD_SPOOL_SENSOR_MAX || !sensor_char_ok(s[n]))
            return 0;
    return n > 0;
}

/* ---- records ---- */

int td_record_valid(const struct td_record *rec, const char **err)
{
    const char *e = NULL;
    if (rec->ip_version != 4 && rec->ip_version != 6)
        e = "record: ip_version is not 4 or 6";
    else if (rec->type < TD_REC_MATCHED || rec->type > TD_REC_UNANSWERED)
        e = "record: unknown record type";
    else if (rec->cksum > TD_CKSUM_UNKNOWN)
        e = "record: unknown checksum state";
    else if (rec->response_len > TD_SPOOL_MSG_MAX || rec->query_len > TD_SPOOL_MSG_MAX)
        e = "record: DNS message longer than 65535 octets";
    else if ((rec->response_len && !rec->response) || (rec->query_len && !rec->query))
        e = "record: message length without message";
    else if (rec->query_ts_ns == 0 && rec->response_ts_ns == 0)
        e = "record: neither query nor response time";
    if (e && err)
        *err = e;
    return e == NULL;
}

uint32_t td_record_hour(const struct td_record *rec)
{
    uint64_t t = rec->response_ts_ns ? rec->response_ts_ns : rec->query_ts_ns;
    return (uint32_t)(t / TD_NS_PER_HOUR);
}

size_t td_record_encode(const struct td_record *rec, uint8_t *buf, size_t cap)
{
    if (!td_record_valid(rec, NULL))
        return 0;
    size_t alen = rec->ip_version == 4 ? 4 : 16;
    size_t need = TD_SPOOL_REC_FIXED + 2 * alen + 8 + rec->response_len + rec->query_len;
    if (cap < need)
        return 0;
    uint8_t *p = buf;
    td_put_le32(p, (uint32_t)need);
    p[4] = TD_SPOOL_REC_VERSION;
    p[5] = rec->type;
    p[6] = rec->ip_version;
    p[7] = rec->proto;
    p[8] = rec->cksum;
    p[9] = 0;
    td_put_le16(p + 10, rec->flags);
    td_put_le64(p + 12, rec->query_ts_ns);
    td_put_le64(p + 20, rec->response_ts_ns);
    td_put_le16(p + 28, rec->client_port);
    td_put_le16(p + 30, rec->server_port);
    p += TD_SPOOL_REC_FIXED;
    memcpy(p, rec->client_ip, alen);
    memcpy(p + alen, rec->server_ip, alen);
    p += 2 * alen;
    td_put_le32(p, rec->response_len);
    if (rec->response_len)
        memcpy(p + 4, rec->response, rec->response_len);
    p += 4 + rec->response_len;
    td_put_le32(p, rec->query_len);
    if (rec->query_len)
        memcpy(p + 4, rec->query, rec->query_len);
    return need;
}

long td_record_decode(const uint8_t *buf, size_t len, struct td_record *rec, const char **err)
{
    const char *e = NULL;
    if (len < 4)
        return 0;
    uint32_t tl = td_get_le32(buf);
    if (tl < TD_SPOOL_REC_MIN) {
        e = "record length shorter than a record";
        goto bad;
    }
    if (tl > TD_SPOOL_REC_MAX) {
        e = "record length too large";
        goto bad;
    }
    if (len < tl)
        return 0;
    if (buf[4] != TD_SPOOL_REC_VERSION) {
        e = "unsupported record version";
        goto bad;
    }
    memset(rec, 0, sizeof *rec);
    rec->type = buf[5];
    rec->ip_version = buf[6];
    rec->proto = buf[7];
    rec->cksum = buf[8];
    rec->flags = td_get_le16(buf + 10);
    rec->query_ts_ns = td_get_le64(buf + 12);
    rec->response_ts_ns = td_get_le64(buf + 20);
    rec->client_port = td_get_le16(buf + 28);
    rec->server_port = td_get_le16(buf + 30);
    if (rec->ip_version != 4 && rec->ip_version != 6) {
        e = "bad ip_version";
        goto bad;
    }
    if (rec->type < TD_REC_MATCHED || rec->type > TD_REC_UNANSWERED) {
        e = "bad record type";
        goto bad;
    }
    if (rec->cksum > TD_CKSUM_UNKNOWN) {
        e = "bad checksum state";
        goto bad;
    }
    size_t alen = rec->ip_version == 4 ? 4 : 16;
    size_t off = TD_SPOOL_REC_FIXED;
    if (off + 2 * alen + 4 > tl) {
        e = "record too short for its addresses";
        goto bad;
    }
    memcpy(rec->client_ip, buf + off, alen);
    memcpy(rec->server_ip, buf + off + alen, alen);
    off += 2 * alen;
    uint32_t rl = td_get_le32(buf + off);
    off += 4;
    if (rl > TD_SPOOL_MSG_MAX || rl > tl - off || tl - off - rl < 4) {
        e = "response length beyond the record";
        goto bad;
    }
    rec->response_len = rl;
    rec->response = rl ? buf + off : NULL;
    off += rl;
    uint32_t ql = td_get_le32(buf + off);
    off += 4;
    if (ql > TD_SPOOL_MSG_MAX || ql > tl - off) {
        e = "query length beyond the record";
        goto bad;
    }
    rec->query_len = ql;
    rec->query = ql ? buf + off : NULL;
    /* Octets after the query (off + ql < tl) are fields a later minor revision of version 1
     * may append: skipped. */
    return (long)tl;
bad:
    if (err)
        *err = e;
    return -1;
}

/* ---- names: days <-> civil date (proleptic Gregorian, UTC) ---- */

static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static unsigned days_in_month(int64_t y, unsigned m)
{
    static const unsigned char dm[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return 29;
    return dm[m - 1];
}

static void put_digits(char *p, unsigned v, int n)
{
    for (int i = n - 1; i >= 0; i--, v /= 10)
        p[i] = (char)('0' + v % 10);
}

size_t td_spool_format_name(char *out, size_t cap, const char *sensor, uint32_t hour, uint32_t writer_id)
{
    int64_t y;
    unsigned m, d;
    civil_from_days(hour / 24, &y, &m, &d);
    if (y > 9999)
        return 0;
    size_t sl = strlen(sensor);
    char date[10];
    put_digits(date, (unsigned)y, 4);
    put_digits(date + 4, m, 2);
    put_digits(date + 6, d, 2);
    put_digits(date + 8, hour % 24, 2);
    char wid[11];
    int wl = 0;
    uint32_t v = writer_id;
    do {
        wid[wl++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    size_t need = sl + 1 + 10 + 1 + (size_t)wl + 8; /* ".tds.zst" */
    if (need + 1 > cap)
        return 0;
    char *p = out;
    memcpy(p, sensor, sl);
    p += sl;
    *p++ = '.';
    memcpy(p, date, 10);
    p += 10;
    *p++ = '.';
    while (wl > 0)
        *p++ = wid[--wl];
    memcpy(p, ".tds.zst", 9);
    return need;
}

static int parse_uint(const char *s, size_t n, uint64_t *v)
{
    uint64_t x = 0;
    if (n == 0)
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        x = x * 10 + (uint64_t)(s[i] - '0');
    }
    *v = x;
    return 0;
}

int td_spool_parse_name(const char *basename, char *sensor, size_t sensor_cap,
                        uint32_t *hour, uint32_t *writer_id, int *is_open)
{
    if (!basename)
        return -1;
    size_t n = strlen(basename);
    int open = 0;
    if (n >= 5 && memcmp(basename + n - 5, ".open", 5) == 0) {
        open = 1;
        n -= 5;
    }
    if (n < 8 || memcmp(basename + n - 8, ".tds.zst", 8) != 0)
        return -1;
    n -= 8;
    /* basename[0..n) = sensor "." YYYYMMDDHH "." writer */
    const char *s = basename;
    const char *dot1 = memchr(s, '.', n);
    if (!dot1)
        return -1;
    size_t sl = (size_t)(dot1 - s);
    if (sl == 0 || sl > TD_SPOOL_SENSOR_MAX)
        return -1;
    for (size_t i = 0; i < sl; i++)
        if (!sensor_char_ok(s[i]))
            return -1;
    const char *date = dot1 + 1;
    if ((size_t)(date - s) + 11 > n || date[10] != '.')
        return -1;
    const char *wid = date + 11;
    size_t wl = n - (size_t)(wid - s);
    uint64_t y, mo, d, h, w;
    if (parse_uint(date, 4, &y) || parse_uint(date + 4, 2, &mo) || parse_uint(date + 6, 2, &d) ||
        parse_uint(date + 8, 2, &h))
        return -1;
    if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > days_in_month((int64_t)y, (unsigned)mo) || h > 23)
        return -1;
    if (wl == 0 || wl > 10 || (wl > 1 && wid[0] == '0') || parse_uint(wid, wl, &w) || w > UINT32_MAX)
        return -1;
    if (sensor) {
        if (sensor_cap < sl + 1)
            return -1;
        memcpy(sensor, s, sl);
        sensor[sl] = 0;
    }
    if (hour)
        *hour = (uint32_t)(days_from_civil((int64_t)y, (unsigned)mo, (unsigned)d) * 24 + (int64_t)h);
    if (writer_id)
        *writer_id = (uint32_t)w;
    if (is_open)
        *is_open = open;
    return 0;
}

/* ---- file header and end marker ---- */

size_t td_spool_header_encode(const struct td_spool_header *h, uint8_t *buf, size_t cap)
{
    size_t sl = strlen(h->sensor);
    if (!td_spool_sensor_ok(h->sensor))
        return 0;
    size_t plen = TD_SPOOL_HEADER_FIXED + sl;
    if (cap < 8 + plen)
        return 0;
    td_put_le32(buf, TD_SPOOL_SKIP_HEADER);
    td_put_le32(buf + 4, (uint32_t)plen);
    uint8_t *p = buf + 8;
    memcpy(p, TD_SPOOL_MAGIC, 8);
    td_put_le16(p + 8, h->version);
    p[10] = (uint8_t)sl;
    p[11] = 0;
    td_put_le32(p + 12, h->writer_id);
    td_put_le32(p + 16, h->hour);
    td_put_le64(p + 20, h->created_ns);
    memcpy(p + 28, h->sensor, sl);
    td_put_le32(p + 28 + sl, td_spool_crc32(p, 28 + sl));
    return 8 + plen;
}

int td_spool_header_decode(const uint8_t *p, size_t len, struct td_spool_header *h, const char **err)
{
    if (len < 8 || memcmp(p, TD_SPOOL_MAGIC, 8) != 0) {
        *err = "not a spool file (bad magic)";
        return -1;
    }
    if (len < 10) {
        *err = "bad header length";
        return -1;
    }
    uint16_t v = td_get_le16(p + 8);
    if (v != TD_SPOOL_FORMAT_VERSION) {
        *err = "unsupported spool format version";
        return -1;
    }
    if (len < TD_SPOOL_HEADER_FIXED + 1 || len != TD_SPOOL_HEADER_FIXED + p[10] || p[10] > TD_SPOOL_SENSOR_MAX) {
        *err = "bad header length";
        return -1;
    }
    size_t sl = p[10];
    if (td_get_le32(p + 28 + sl) != td_spool_crc32(p, 28 + sl)) {
        *err = "header checksum mismatch";
        return -1;
    }
    memset(h, 0, sizeof *h);
    memcpy(h->sensor, p + 28, sl);
    if (p[11] != 0 || strlen(h->sensor) != sl || !td_spool_sensor_ok(h->sensor)) {
        *err = "bad header: invalid sensor id";
        return -1;
    }
    h->version = v;
    h->writer_id = td_get_le32(p + 12);
    h->hour = td_get_le32(p + 16);
    h->created_ns = td_get_le64(p + 20);
    return 0;
}

void td_spool_end_encode(const struct td_spool_end *e, uint8_t out[8 + TD_SPOOL_END_LEN])
{
    td_put_le32(out, TD_SPOOL_SKIP_END);
    td_put_le32(out + 4, TD_SPOOL_END_LEN);
    td_put_le64(out + 8, e->records);
    td_put_le64(out + 16, e->frames);
    td_put_le64(out + 24, e->bytes);
    td_put_le32(out + 32, td_spool_crc32(out + 8, 24));
}

int td_spool_end_decode(const uint8_t *p, size_t len, struct td_spool_end *e, const char **err)
{
    if (len != TD_SPOOL_END_LEN) {
        *err = "bad end marker length";
        return -1;
    }
    if (td_get_le32(p + 24) != td_spool_crc32(p, 24)) {
        *err = "end marker checksum mismatch";
        return -1;
    }
    e->records = td_get_le64(p);
    e->frames = td_get_le64(p + 8);
    e->bytes = td_get_le64(p + 16);
    return 0;
}
