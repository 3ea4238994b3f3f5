/* dns_text.c: presentation format of names, types, classes, rcodes and rdata, via libknot.
 * Output is always one line of printable ASCII: odd octets in names come out as \DDD or
 * \X escapes (libknot's own escaping); rdata libknot cannot render (unknown type, or rdata
 * that does not fit its type's layout) comes out in RFC 3597 form "\# LEN HEX". */
#include "dns_wire.h"

#include <libknot/libknot.h>
#include <stdio.h>
#include <string.h>

/* Checks that name[0..len) is exactly one uncompressed wire name. */
static int wire_name_ok(const uint8_t *name, size_t len)
{
    size_t p = 0;
    if (len == 0 || len > TD_DNS_NAME_MAX)
        return 0;
    while (p < len) {
        uint8_t c = name[p];
        if (c == 0)
            return p + 1 == len;
        if (c > 63)
            return 0;
        p += (size_t)c + 1;
    }
    return 0;
}

/* Longest text of a 255-octet name: every octet as \DDD. */
#define NAME_TEXT_MAX (TD_DNS_NAME_MAX * 4 + 1)

int td_dns_name_to_text(const uint8_t *name, size_t len, char *buf, size_t cap)
{
    char tmp[NAME_TEXT_MAX + 1];
    if (!wire_name_ok(name, len) || cap == 0)
        return -1;
    /* libknot wants worst-case room, so render into tmp and copy what fits exactly */
    if (!knot_dname_to_str(tmp, name, sizeof tmp))
        return -1;
    size_t n = strlen(tmp);
    if (n + 1 > cap)
        return -1;
    memcpy(buf, tmp, n + 1);
    return (int)n;
}

static int put(char *buf, size_t cap, const char *s)
{
    size_t n = strlen(s);
    if (n + 1 > cap)
        return -1;
    memcpy(buf, s, n + 1);
    return (int)n;
}

static int fmt_num(char *buf, size_t cap, const char *prefix, unsigned v)
{
    int n = snprintf(buf, cap, "%s%u", prefix, v);
    return (n < 0 || (size_t)n >= cap) ? -1 : n;
}

int td_dns_type_to_text(uint16_t type, char *buf, size_t cap)
{
    if (cap == 0)
        return -1;
    int n = knot_rrtype_to_string(type, buf, cap);
    return n < 0 ? -1 : (int)strlen(buf);
}

int td_dns_class_to_text(uint16_t rclass, char *buf, size_t cap)
{
    if (cap == 0)
        return -1;
    int n = knot_rrclass_to_string(rclass, buf, cap);
    return n < 0 ? -1 : (int)strlen(buf);
}

/* The header's 4-bit rcodes, spelled as dig and the IANA registry do (libknot says NOTIMPL). */
static const char *const rcode_names[16] = {
    "NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED", "YXDOMAIN", "YXRRSET",
    "NXRRSET", "NOTAUTH", "NOTZONE", "DSOTYPENI",
};

int td_dns_rcode_to_text(uint8_t rcode, char *buf, size_t cap)
{
    if (rcode < 16 && rcode_names[rcode])
        return put(buf, cap, rcode_names[rcode]);
    return fmt_num(buf, cap, "RCODE", rcode);
}

/* RFC 3597 generic form: "\# LEN HEX" ("\# 0" for empty rdata). */
static int generic_rdata(const uint8_t *rdata, size_t len, char *buf, size_t cap)
{
    static const char hex[] = "0123456789ABCDEF";
    int n = snprintf(buf, cap, "\\# %zu", len);
    if (n < 0 || (size_t)n >= cap)
        return -1;
    size_t o = (size_t)n;
    if (len == 0)
        return n;
    if (cap - o < 2 * len + 2)
        return -1;
    buf[o++] = ' ';
    for (size_t i = 0; i < len; i++) {
        buf[o++] = hex[rdata[i] >> 4];
        buf[o++] = hex[rdata[i] & 15];
    }
    buf[o] = 0;
    return (int)o;
}

/* One line of printable ASCII? (libknot escapes everything else; this is a safety net.) */
static int printable_line(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7E)
            return 0;
    return 1;
}

/* Room for the largest rdata in libknot's layout (length, data, padding). */
static _Thread_local _Alignas(8) uint8_t rd_store[sizeof(uint16_t) + 65536];

/* libknot reports "no room" and "malformed" with the same code, so whenever its rendering fails
 * the generic form is tried: with a buffer too small for the master-file form, the (rarely
 * shorter) generic form may come out instead of -1. Size buf generously: the text can be many
 * times the rdata (one NSEC bitmap octet can name 8 types of up to 10 characters each). */
int td_dns_rdata_to_text(uint16_t type, const uint8_t *rdata, size_t len, char *buf, size_t cap)
{
    if (cap == 0 || len > KNOT_RDATA_MAXLEN)
        return -1;
    /* OPT and meta types (TSIG, TKEY, ...) have no master-file form: generic. */
    if (type == KNOT_RRTYPE_OPT || knot_rrtype_is_metatype(type))
        return generic_rdata(rdata, len, buf, cap);

    knot_rdata_t *rd = (knot_rdata_t *)rd_store;
    rd->len = (uint16_t)len;
    if (len)
        memcpy(rd->data, rdata, len);
    if (len & 1)
        rd->data[len] = 0;
    knot_rrset_t rrset;
    memset(&rrset, 0, sizeof rrset);
    rrset.owner = (knot_dname_t *)"";
    rrset.type = type;
    rrset.rclass = KNOT_CLASS_IN;
    rrset.rrs.count = 1;
    rrset.rrs.size = (uint32_t)knot_rdata_size((uint16_t)len);
    rrset.rrs.rdata = rd;

    knot_dump_style_t style = KNOT_DUMP_STYLE_DEFAULT;
    style.wrap = false;
    style.show_class = false;
    style.show_ttl = false;
    style.verbose = false;
    style.original_ttl = false;
    style.empty_ttl = false;
    style.human_ttl = false;
    style.human_timestamp = true; /* RRSIG times as YYYYMMDDHHmmSS, as in master files */
    style.generic = false;
    style.hide_crypto = false;
    style.ascii_to_idn = NULL;
    style.color = NULL;

    int n = knot_rrset_txt_dump_data(&rrset, 0, buf, cap, &style);
    if (n >= 0 && (size_t)n < cap) {
        while (n > 0 && buf[n - 1] == ' ') /* libknot leaves a blank after some types */
            buf[--n] = 0;
        if (printable_line(buf, (size_t)n))
            return n;
    }
    return generic_rdata(rdata, len, buf, cap);
}

int td_dns_name_from_text(const char *text, uint8_t *out, size_t cap)
{
    if (!text || !*text || cap == 0)
        return -1;
    if (!knot_dname_from_str(out, text, cap))
        return -1;
    size_t n = knot_dname_size(out);
    if (n == 0 || n > TD_DNS_NAME_MAX || n > cap)
        return -1;
    return (int)n;
}
