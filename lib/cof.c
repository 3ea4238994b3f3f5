/* cof.c: the one COF / DNSDB object writer (contract in cof.h).
 *
 * Names are rendered first (owner, bailiwick), so a name that cannot be printed leaves j
 * untouched. rdata text goes through one thread-local buffer big enough for the RFC 3597
 * generic form of the largest rdata ("\# 65535 " + 131070 hex digits), so every rdata prints:
 * td_dns_rdata_to_text falls back to the generic form itself, and this file writes it when
 * even that fails. No allocation besides the JSON buffer's growth.
 *
 * Fast paths (the encoding is the cost of big answers): names whose labels hold only
 * [A-Za-z0-9_-] and rdata of A (4 octets) and AAAA (16 octets) are rendered here; they give the
 * same text as libknot (test_cof compares both on random input). Anything else goes to libknot. */
#include "cof.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "dns_wire.h"

#define NAME_TEXT_CAP 1100             /* 255 octets as \DDD, plus dots */
#define RDATA_TEXT_CAP (2u * 65536u + 64u)

static _Thread_local char rdata_text[RDATA_TEXT_CAP];

void td_cof_time_text(uint32_t t, char *buf, size_t cap)
{
    time_t tt = (time_t)t;
    struct tm tm;
    if (cap == 0)
        return;
    if (!gmtime_r(&tt, &tm) || strftime(buf, cap, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        buf[0] = 0;
}

/* Plain names without libknot: -1 when a label holds anything but [A-Za-z0-9_-] or the wire
 * form is not one uncompressed name (the caller then asks libknot, which escapes or refuses). */
static int name_fast(const uint8_t *w, size_t len, char *out, size_t cap)
{
    size_t p = 0, o = 0;
    if (len == 1 && w[0] == 0 && cap >= 2) {
        out[0] = '.';
        out[1] = 0;
        return 1;
    }
    while (p < len) {
        size_t l = w[p];
        if (l == 0)
            break;
        if (l > 63 || p + 1 + l > len || o + l + 2 > cap)
            return -1;
        for (size_t i = 1; i <= l; i++) {
            uint8_t c = w[p + i];
            if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || c == '-' || c == '_'))
                return -1;
            out[o++] = (char)c;
        }
        out[o++] = '.';
        p += l + 1;
    }
    if (p + 1 != len || w[p] != 0 || len > 255)
        return -1;
    out[o] = 0;
    return (int)o;
}

static int name_text(const uint8_t *w, size_t len, char *out, size_t cap)
{
    int n = name_fast(w, len, out, cap);
    return n >= 0 ? n : td_dns_name_to_text(w, len, out, cap);
}

static char *put_u8(char *o, unsigned v)
{
    if (v >= 100)
        *o++ = (char)('0' + v / 100);
    if (v >= 10)
        *o++ = (char)('0' + v / 10 % 10);
    *o++ = (char)('0' + v % 10);
    return o;
}

/* A and AAAA without libknot (same text: dotted quad, inet_ntop's IPv6 form). 0 or -1. */
static int rdata_fast(uint16_t type, const uint8_t *rd, uint16_t len, char *buf, size_t cap)
{
    if (type == 1 && len == 4 && cap >= 16) {
        char *o = buf;
        for (int i = 0; i < 4; i++) {
            o = put_u8(o, rd[i]);
            *o++ = i < 3 ? '.' : 0;
        }
        return 0;
    }
    if (type == 28 && len == 16 && cap >= INET6_ADDRSTRLEN) {
        /* libknot and inet_ntop differ when two zero runs tie for the longest (inet_ntop
         * compresses the first, as RFC 5952 says; libknot another): leave ties to libknot */
        int best = 0, ties = 0, run = 0;
        for (int i = 0; i < 8; i++) {
            run = (rd[2 * i] | rd[2 * i + 1]) ? 0 : run + 1;
            if (run > best) {
                best = run;
                ties = 0;
            } else if (run == best && run > 0) {
                ties = 1;
            }
        }
        if (best >= 2 && ties)
            return -1;
        return inet_ntop(AF_INET6, rd, buf, (socklen_t)cap) ? 0 : -1;
    }
    return -1;
}

/* RFC 3597 "\# LEN HEX" (the last resort; fits rdata_text for any 16-bit length). */
static void generic(const uint8_t *rd, size_t len, char *buf, size_t cap)
{
    static const char hex[] = "0123456789ABCDEF";
    int n = snprintf(buf, cap, len ? "\\# %zu " : "\\# %zu", len);
    size_t o = n < 0 ? 0 : (size_t)n;
    for (size_t i = 0; i < len && o + 3 <= cap; i++) {
        buf[o++] = hex[rd[i] >> 4];
        buf[o++] = hex[rd[i] & 15];
    }
    buf[o < cap ? o : cap - 1] = 0;
}

static void rdata_string(struct td_json *j, uint16_t type, const uint8_t *rd, uint16_t len)
{
    if (rdata_fast(type, rd, len, rdata_text, sizeof rdata_text) != 0 &&
        td_dns_rdata_to_text(type, rd, len, rdata_text, sizeof rdata_text) < 0)
        generic(rd, len, rdata_text, sizeof rdata_text);
    td_json_string(j, rdata_text);
}

static void time_field(struct td_json *j, const char *key, uint32_t t, unsigned flags)
{
    if (flags & TD_COF_HUMANTIME) {
        char buf[32];
        td_cof_time_text(t, buf, sizeof buf);
        td_json_kstring(j, key, buf);
    } else {
        td_json_kuint(j, key, t);
    }
}

int td_cof_object_open(struct td_json *j, const struct td_cof_entry *e, unsigned flags)
{
    char owner[NAME_TEXT_CAP], bw[NAME_TEXT_CAP], type[32];
    int with_bw = e->bailiwick != NULL && !(flags & TD_COF_NO_BAILIWICK);
    if (name_text(e->owner, e->owner_len, owner, sizeof owner) < 0)
        return -1;
    if (with_bw && name_text(e->bailiwick, e->bailiwick_len, bw, sizeof bw) < 0)
        return -1;
    if (td_dns_type_to_text(e->rrtype, type, sizeof type) < 0)
        snprintf(type, sizeof type, "TYPE%u", (unsigned)e->rrtype);
    td_json_object_begin(j);
    td_json_kuint(j, "count", e->count);
    time_field(j, "time_first", e->time_first, flags);
    time_field(j, "time_last", e->time_last, flags);
    td_json_kstring(j, "rrname", owner);
    td_json_kstring(j, "rrtype", type);
    if (with_bw)
        td_json_kstring(j, "bailiwick", bw);
    td_json_key(j, "rdata");
    if (flags & TD_COF_RDATA_STRING) {
        if (e->nrdata > 0)
            rdata_string(j, e->rrtype, e->rdata[0], e->rdlen[0]);
        else
            td_json_string(j, "");
    } else {
        td_json_array_begin(j);
        for (uint16_t i = 0; i < e->nrdata; i++)
            rdata_string(j, e->rrtype, e->rdata[i], e->rdlen[i]);
        td_json_array_end(j);
    }
    return 0;
}

int td_cof_object(struct td_json *j, const struct td_cof_entry *e, unsigned flags)
{
    if (td_cof_object_open(j, e, flags) != 0)
        return -1;
    td_json_object_end(j);
    return 0;
}
