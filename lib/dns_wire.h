/* dns_wire.h: the one DNS wire-format parser (capture, batch, index and query use it).
 * Every read is bounds-checked; compression pointers must point strictly backwards (so no
 * loop is possible); labels <= 63, names <= 255 octets; rdlength and section counts are
 * never trusted. Functions return enum td_dns_res; td_dns_res_str() names the reason so
 * callers can count it. Never prints, never allocates on the parse path. */
#ifndef TD_DNS_WIRE_H
#define TD_DNS_WIRE_H
#include <stddef.h>
#include <stdint.h>

#define TD_DNS_NAME_MAX 255
#define TD_DNS_HEADER_LEN 12

enum td_dns_res {
    TD_DNS_OK = 0,
    TD_DNS_SHORT_HEADER,     /* fewer than 12 octets */
    TD_DNS_NAME_PAST_END,    /* name runs past the end of the message */
    TD_DNS_FORWARD_POINTER,  /* compression pointer not strictly backwards (loops too) */
    TD_DNS_LABEL_TOO_LONG,   /* label type 0x40/0x80 (reserved / extended) or > 63 */
    TD_DNS_NAME_TOO_LONG,    /* name over 255 octets */
    TD_DNS_QUESTION_PAST_END,/* qtype/qclass cut */
    TD_DNS_RR_PAST_END,      /* type/class/ttl/rdlength cut */
    TD_DNS_RDATA_PAST_END,   /* rdlength past the end */
    TD_DNS_BAD_RDATA,        /* rdata does not fit its type's layout (names, fixed fields) */
    TD_DNS_COUNT_MISMATCH,   /* header counts larger than the records present */
    TD_DNS_NO_QUESTION,      /* qdcount 0 where one is needed */
    TD_DNS_BUFFER_TOO_SMALL, /* output buffer too small (not an input error) */
    TD_DNS__COUNT
};
const char *td_dns_res_str(enum td_dns_res r);

/* flags field bits */
#define TD_DNS_QR 0x8000u
#define TD_DNS_AA 0x0400u
#define TD_DNS_TC 0x0200u
#define TD_DNS_RD 0x0100u
#define TD_DNS_RA 0x0080u
#define TD_DNS_OPCODE(f) (((f) >> 11) & 0xF)
#define TD_DNS_RCODE(f) ((f) & 0xF)

struct td_dns_header {
    uint16_t id, flags, qdcount, ancount, nscount, arcount;
};

enum td_dns_section { TD_SEC_QUESTION = 0, TD_SEC_ANSWER, TD_SEC_AUTHORITY, TD_SEC_ADDITIONAL };

struct td_dns_question {
    uint8_t name[TD_DNS_NAME_MAX]; /* uncompressed wire form, case kept */
    uint16_t name_len;
    uint16_t qtype, qclass;
};

struct td_dns_rr {
    uint8_t owner[TD_DNS_NAME_MAX]; /* uncompressed wire form, case kept */
    uint16_t owner_len;
    uint16_t type, rclass;
    uint32_t ttl;
    uint16_t rdlength;
    uint32_t rdata_off;             /* offset of the rdata inside the message */
    uint8_t section;                /* enum td_dns_section */
};

/* Header: 12 octets, no check of counts. */
enum td_dns_res td_dns_parse_header(const uint8_t *msg, size_t len, struct td_dns_header *h);

/* Name at *off: writes the uncompressed wire name (<=255 octets) into out (may be NULL to
 * only validate/skip) and its length into *out_len; advances *off past the name as it
 * appears at that position (a pointer counts 2 octets). */
enum td_dns_res td_dns_unpack_name(const uint8_t *msg, size_t len, size_t *off,
                                   uint8_t *out, uint16_t *out_len);

/* First question (qdcount must be >= 1, else TD_DNS_NO_QUESTION). *end_off (may be NULL) is
 * set to the offset after the question section's first entry. */
enum td_dns_res td_dns_parse_question(const uint8_t *msg, size_t len,
                                      struct td_dns_question *q, size_t *end_off);

/* RR iteration over all sections after the questions. */
struct td_dns_iter {
    const uint8_t *msg;
    size_t len, off;
    uint16_t left[4];  /* records left per section */
    uint8_t section;
    enum td_dns_res err;
};
enum td_dns_res td_dns_iter_init(struct td_dns_iter *it, const uint8_t *msg, size_t len);
/* 1 = *rr filled, 0 = end, -1 = error (it->err holds the reason; sticky). */
int td_dns_iter_next(struct td_dns_iter *it, struct td_dns_rr *rr);

/* Walks the whole message (header, every question, every RR, rdata layout per descriptor).
 * TD_DNS_OK if the message is well-formed. */
enum td_dns_res td_dns_validate(const uint8_t *msg, size_t len);

/* RDATA descriptor: which fields of a type's rdata are domain names. */
enum td_rdata_field {
    TD_RDF_END = 0,
    TD_RDF_NAME_COMPRESSED,  /* name, may be compressed (RFC 1035 types) */
    TD_RDF_NAME,             /* name, never compressed on the wire */
    TD_RDF_FIXED,            /* fixed-size field: size in the table's len */
    TD_RDF_STRING,           /* one <character-string>: length octet + that many octets */
    TD_RDF_REMAINDER,        /* rest of the rdata, opaque */
};
struct td_rdata_desc_field { uint8_t kind; uint8_t len; };
/* Fields of type `type`; for unknown types a single REMAINDER. Never NULL. */
const struct td_rdata_desc_field *td_rdata_descriptor(uint16_t type);

/* Canonical rdata: names decompressed (and lowercased when `lower`), other bytes copied.
 * out must hold at least rr->rdlength + 255*2 octets, or TD_DNS_BUFFER_TOO_SMALL. */
enum td_dns_res td_dns_rdata_uncompress(const uint8_t *msg, size_t len, const struct td_dns_rr *rr,
                                        int lower, uint8_t *out, size_t cap, size_t *out_len);

/* Name helpers on uncompressed wire names. lower: ASCII A-Z to a-z, other octets as they are,
 * in place or (lower_copy) into dst of len octets (dst == src allowed, no other overlap). */
void td_dns_name_lower(uint8_t *name, size_t len);
void td_dns_name_lower_copy(uint8_t *dst, const uint8_t *src, size_t len);
/* The labels of a wire name in reverse order, then the root octet ("www.example.com" becomes
 * \x03com\x07example\x03www\x00: the index and observation key order). Returns len, or 0 for a
 * malformed name (len outside 1..255, a label over 63 octets, the root octet not at len - 1) or
 * cap < len (out may then hold garbage). out must not overlap name. */
size_t td_dns_name_reverse(const uint8_t *name, size_t len, uint8_t *out, size_t cap);
int td_dns_name_equal_nocase(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen);
/* 1 if `name` equals `zone` or is below it (case-insensitive, label-aligned). */
int td_dns_name_is_below(const uint8_t *name, size_t nlen, const uint8_t *zone, size_t zlen);

/* Presentation format (via libknot): absolute names with the trailing dot, every common type,
 * RFC 3597 "\# len hex" for the rest. Returns length written (NUL-terminated) or -1. */
int td_dns_name_to_text(const uint8_t *name, size_t len, char *buf, size_t cap);
int td_dns_type_to_text(uint16_t type, char *buf, size_t cap);
int td_dns_class_to_text(uint16_t rclass, char *buf, size_t cap);
int td_dns_rcode_to_text(uint8_t rcode, char *buf, size_t cap);
/* rdata must be uncompressed (td_dns_rdata_uncompress). */
int td_dns_rdata_to_text(uint16_t type, const uint8_t *rdata, size_t len, char *buf, size_t cap);
/* Text name ("www.example.com" or "www.example.com.") -> wire; -1 on error. */
int td_dns_name_from_text(const char *text, uint8_t *out, size_t cap);

#endif
