/* ship_proto.h: the tapdns-ship wire protocol, version 1 (normative text: ship/PROTOCOL.md).
 * Pure codec: encodes and decodes whole messages in caller buffers; never allocates, prints
 * or touches the network. A message on the wire is
 *     u32 len (little-endian, octets that follow: type + body, 1..TD_SHIP_LEN_MAX)
 *     u8  type
 *     body (layout per type, exact length; see PROTOCOL.md)
 * The decoder trusts nothing: every length is checked, a body of the wrong length, an unknown
 * type, a name with a NUL or a zero-length DATA is refused with a reason. */
#ifndef TD_SHIP_PROTO_H
#define TD_SHIP_PROTO_H
#include <stddef.h>
#include <stdint.h>

#define TD_SHIP_VERSION 1
#define TD_SHIP_MAGIC "TDSHIP"          /* 6 octets, first in HELLO */
#define TD_SHIP_DATA_MAX 65536u         /* payload octets in one DATA message */
#define TD_SHIP_FRAME_HDR 5u            /* u32 len + u8 type */
#define TD_SHIP_DATA_HDR (TD_SHIP_FRAME_HDR + 8u) /* DATA: frame header + u64 offset */
#define TD_SHIP_LEN_MAX (1u + 8u + TD_SHIP_DATA_MAX) /* largest len field (a full DATA) */
#define TD_SHIP_MSG_MAX (4u + TD_SHIP_LEN_MAX)       /* largest whole message */
#define TD_SHIP_NAME_MAX 255
#define TD_SHIP_TEXT_MAX 255
#define TD_SHIP_SUM_LEN 16              /* XXH3-128, canonical (big-endian) form */

enum td_ship_type {
    TD_SHIP_HELLO = 1,  /* both ways: magic, version */
    TD_SHIP_OFFER = 2,  /* sender: size, checksum, name */
    TD_SHIP_ACCEPT = 3, /* receiver: durable offset to resume from */
    TD_SHIP_DATA = 4,   /* sender: offset, octets */
    TD_SHIP_COMMIT = 5, /* sender: total size; all data sent */
    TD_SHIP_ACK = 6,    /* receiver: file stored durably (flags: already had it) */
    TD_SHIP_ERROR = 7,  /* receiver: code, text */
};

/* ACK flags */
#define TD_SHIP_ACK_DUPLICATE 1u /* the file was already stored whole; nothing written */

/* ERROR codes. After an ERROR answering HELLO, or TD_SHIP_E_PROTO, the receiver closes the
 * connection; after any other the connection stays usable for the next OFFER. */
enum td_ship_err {
    TD_SHIP_E_PROTO = 1,    /* malformed or unexpected message */
    TD_SHIP_E_VERSION = 2,  /* unsupported protocol version */
    TD_SHIP_E_NAME = 3,     /* not a closed spool file name: refused for good */
    TD_SHIP_E_CONFLICT = 4, /* the name is stored with different content: refused for good */
    TD_SHIP_E_NOSPACE = 5,  /* disk full; partial data kept, retry later */
    TD_SHIP_E_IO = 6,       /* other local I/O error; retry later */
    TD_SHIP_E_CHECKSUM = 7, /* whole-file checksum mismatch; partial discarded, resend from 0 */
    TD_SHIP_E_BUSY = 8,     /* the name is being received on another connection; retry later */
};
/* "proto", "version", ... or "unknown". */
const char *td_ship_err_str(unsigned code);
/* 1 when a sender should keep the file and try again later (NOSPACE, IO, CHECKSUM, BUSY,
 * PROTO); 0 when the file is refused for good (NAME, CONFLICT, VERSION). */
int td_ship_err_transient(unsigned code);

/* One decoded message. Only the fields of its type are set. */
struct td_ship_msg {
    uint8_t type;
    uint16_t version;               /* HELLO */
    uint64_t size;                  /* OFFER, COMMIT, ACK: file size */
    uint64_t offset;                /* ACCEPT, DATA */
    uint8_t sum[TD_SHIP_SUM_LEN];   /* OFFER */
    uint8_t flags;                  /* ACK */
    uint16_t code;                  /* ERROR */
    char name[TD_SHIP_NAME_MAX + 1];/* OFFER (NUL-terminated, 1..255 octets, no NUL inside) */
    char text[TD_SHIP_TEXT_MAX + 1];/* ERROR (NUL-terminated; control octets replaced by '?') */
    const uint8_t *data;            /* DATA: points into the decoded buffer */
    size_t data_len;                /* DATA: 1..TD_SHIP_DATA_MAX */
};

/* Encodes m into buf. Returns the message length, or 0 if m is invalid (unknown type, name
 * empty or too long, DATA of 0 or more than TD_SHIP_DATA_MAX octets, ERROR text too long)
 * or cap is too small. DATA: m->data may already sit at buf + TD_SHIP_DATA_HDR (no copy). */
size_t td_ship_encode(const struct td_ship_msg *m, uint8_t *buf, size_t cap);

enum td_ship_res {
    TD_SHIP_OK = 1,        /* one message decoded, *used octets */
    TD_SHIP_MORE = 0,      /* buf holds less than one whole message */
    TD_SHIP_BAD = -1,      /* malformed; *why says how; the stream cannot be resynchronised */
};
/* Decodes the first message of buf[0..len). TD_SHIP_MORE also tells, through *used, how many
 * octets the whole message needs when its length field is already readable (else 0). */
int td_ship_decode(const uint8_t *buf, size_t len, struct td_ship_msg *m, size_t *used, const char **why);

/* 1 when name is a closed spool file name (spool/FORMAT.md section 1: no ".open", no
 * slash, no dot-dot, valid sensor/hour/writer), else 0. The receiver's only name check. */
int td_ship_name_ok(const char *name);

#endif
