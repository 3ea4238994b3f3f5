/* ship_proto.c: see ship_proto.h and ship/PROTOCOL.md. */
#include "ship_proto.h"
#include "byteorder.h"
#include "spool.h"
#include <string.h>

static const char *const err_names[] = {
    [TD_SHIP_E_PROTO] = "proto",       [TD_SHIP_E_VERSION] = "version", [TD_SHIP_E_NAME] = "name",
    [TD_SHIP_E_CONFLICT] = "conflict", [TD_SHIP_E_NOSPACE] = "nospace", [TD_SHIP_E_IO] = "io",
    [TD_SHIP_E_CHECKSUM] = "checksum", [TD_SHIP_E_BUSY] = "busy",
};

const char *td_ship_err_str(unsigned code)
{
    if (code < sizeof err_names / sizeof err_names[0] && err_names[code])
        return err_names[code];
    return "unknown";
}

int td_ship_err_transient(unsigned code)
{
    return !(code == TD_SHIP_E_NAME || code == TD_SHIP_E_CONFLICT || code == TD_SHIP_E_VERSION);
}

/* Body length of a fixed-size type, or 0 for variable ones. */
static size_t body_fixed(uint8_t type)
{
    switch (type) {
    case TD_SHIP_HELLO: return 8;
    case TD_SHIP_ACCEPT: return 8;
    case TD_SHIP_COMMIT: return 8;
    case TD_SHIP_ACK: return 9;
    default: return 0;
    }
}

size_t td_ship_encode(const struct td_ship_msg *m, uint8_t *buf, size_t cap)
{
    size_t body;
    size_t nl = 0, tl = 0;
    switch (m->type) {
    case TD_SHIP_HELLO: case TD_SHIP_ACCEPT: case TD_SHIP_COMMIT: case TD_SHIP_ACK:
        body = body_fixed(m->type);
        break;
    case TD_SHIP_OFFER:
        nl = strnlen(m->name, TD_SHIP_NAME_MAX + 1);
        if (nl == 0 || nl > TD_SHIP_NAME_MAX)
            return 0;
        body = 8 + TD_SHIP_SUM_LEN + 1 + nl;
        break;
    case TD_SHIP_DATA:
        if (!m->data || m->data_len == 0 || m->data_len > TD_SHIP_DATA_MAX)
            return 0;
        body = 8 + m->data_len;
        break;
    case TD_SHIP_ERROR:
        tl = strnlen(m->text, TD_SHIP_TEXT_MAX + 1);
        if (tl > TD_SHIP_TEXT_MAX)
            return 0;
        body = 3 + tl;
        break;
    default:
        return 0;
    }
    size_t total = TD_SHIP_FRAME_HDR + body;
    if (total > cap)
        return 0;
    td_put_le32(buf, (uint32_t)(1 + body));
    buf[4] = m->type;
    uint8_t *p = buf + TD_SHIP_FRAME_HDR;
    switch (m->type) {
    case TD_SHIP_HELLO:
        memcpy(p, TD_SHIP_MAGIC, 6);
        td_put_le16(p + 6, m->version);
        break;
    case TD_SHIP_ACCEPT:
        td_put_le64(p, m->offset);
        break;
    case TD_SHIP_COMMIT:
        td_put_le64(p, m->size);
        break;
    case TD_SHIP_ACK:
        td_put_le64(p, m->size);
        p[8] = m->flags;
        break;
    case TD_SHIP_OFFER:
        td_put_le64(p, m->size);
        memcpy(p + 8, m->sum, TD_SHIP_SUM_LEN);
        p[8 + TD_SHIP_SUM_LEN] = (uint8_t)nl;
        memcpy(p + 8 + TD_SHIP_SUM_LEN + 1, m->name, nl);
        break;
    case TD_SHIP_DATA:
        td_put_le64(p, m->offset);
        memmove(p + 8, m->data, m->data_len); /* may already be in place */
        break;
    case TD_SHIP_ERROR:
        td_put_le16(p, m->code);
        p[2] = (uint8_t)tl;
        memcpy(p + 3, m->text, tl);
        break;
    }
    return total;
}

static int bad(const char **why, const char *reason)
{
    if (why)
        *why = reason;
    return TD_SHIP_BAD;
}

int td_ship_decode(const uint8_t *buf, size_t len, struct td_ship_msg *m, size_t *used, const char **why)
{
    *used = 0;
    if (len < 4)
        return TD_SHIP_MORE;
    uint32_t ml = td_get_le32(buf);
    if (ml < 1 || ml > TD_SHIP_LEN_MAX)
        return bad(why, ml < 1 ? "empty message" : "message length above the maximum");
    if (len < 4 + (size_t)ml) {
        *used = 4 + (size_t)ml;
        return TD_SHIP_MORE;
    }
    const uint8_t *p = buf + TD_SHIP_FRAME_HDR;
    size_t body = ml - 1;
    m->type = buf[4];
    size_t fixed = body_fixed(m->type);
    if (fixed && body != fixed)
        return bad(why, "wrong body length for the message type");
    switch (m->type) {
    case TD_SHIP_HELLO:
        if (memcmp(p, TD_SHIP_MAGIC, 6) != 0)
            return bad(why, "bad HELLO magic");
        m->version = td_get_le16(p + 6);
        break;
    case TD_SHIP_ACCEPT:
        m->offset = td_get_le64(p);
        break;
    case TD_SHIP_COMMIT:
        m->size = td_get_le64(p);
        break;
    case TD_SHIP_ACK:
        m->size = td_get_le64(p);
        m->flags = p[8];
        if (m->flags & ~TD_SHIP_ACK_DUPLICATE)
            return bad(why, "unknown ACK flags");
        break;
    case TD_SHIP_OFFER: {
        if (body < 8 + TD_SHIP_SUM_LEN + 1)
            return bad(why, "OFFER too short");
        size_t nl = p[8 + TD_SHIP_SUM_LEN];
        if (nl == 0 || body != 8 + TD_SHIP_SUM_LEN + 1 + nl)
            return bad(why, "OFFER name length does not match the body");
        const uint8_t *n = p + 8 + TD_SHIP_SUM_LEN + 1;
        if (memchr(n, 0, nl))
            return bad(why, "NUL in OFFER name");
        m->size = td_get_le64(p);
        memcpy(m->sum, p + 8, TD_SHIP_SUM_LEN);
        memcpy(m->name, n, nl);
        m->name[nl] = 0;
        break;
    }
    case TD_SHIP_DATA:
        if (body <= 8)
            return bad(why, "DATA without octets");
        m->offset = td_get_le64(p);
        m->data = p + 8;
        m->data_len = body - 8;
        if (m->offset > UINT64_MAX - m->data_len)
            return bad(why, "DATA offset overflows");
        break;
    case TD_SHIP_ERROR: {
        if (body < 3)
            return bad(why, "ERROR too short");
        size_t tl = p[2];
        if (body != 3 + tl)
            return bad(why, "ERROR text length does not match the body");
        m->code = td_get_le16(p);
        for (size_t i = 0; i < tl; i++)
            m->text[i] = (p[3 + i] < 0x20 || p[3 + i] == 0x7f) ? '?' : (char)p[3 + i];
        m->text[tl] = 0;
        break;
    }
    default:
        return bad(why, "unknown message type");
    }
    *used = 4 + (size_t)ml;
    return TD_SHIP_OK;
}

int td_ship_name_ok(const char *name)
{
    int is_open = 1;
    if (!name || strchr(name, '/'))
        return 0;
    if (td_spool_parse_name(name, NULL, 0, NULL, NULL, &is_open) != 0)
        return 0;
    return !is_open;
}
