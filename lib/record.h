/* record.h: one captured DNS transaction, as the capture core hands it to a spool writer and
 * as the spool reader gives it back. spool/FORMAT.md defines its bytes on disk. */
#ifndef TD_RECORD_H
#define TD_RECORD_H
#include <stdint.h>

/* Record types (values are on disk; never renumber). Same meaning as nmsg dnsqr's. */
enum td_record_type {
    TD_REC_MATCHED = 1,     /* response with its query */
    TD_REC_UNSOLICITED = 2, /* response whose query was not seen (or timed out before) */
    TD_REC_UNANSWERED = 3,  /* query without response within the timeout (if enabled) */
};

/* UDP checksum state of the response (on disk). Same meaning as dnsqr's udp_checksum. */
enum td_cksum {
    TD_CKSUM_NONE = 0,      /* not UDP (TCP: checked by the transport, not by us) */
    TD_CKSUM_ABSENT = 1,    /* UDP over IPv4 with checksum 0 */
    TD_CKSUM_INCORRECT = 2,
    TD_CKSUM_CORRECT = 3,
    TD_CKSUM_UNKNOWN = 4,   /* could not be checked (e.g. frame truncated by snaplen) */
};

/* Record flags (bit values on disk). */
#define TD_RF_FRAGMENTED      0x0001u /* response came in IP fragments, reassembled */
#define TD_RF_TCP             0x0002u /* DNS over TCP (message taken out of the stream) */
#define TD_RF_RESOLVER_ZEROED 0x0004u /* client address replaced by zeros (privacy) */
#define TD_RF_QUERY_FRAGMENTED 0x0008u

/* The record. Pointers borrow memory owned by whoever filled the record (the capture core
 * or the spool reader) and stay valid until its next call. */
struct td_record {
    uint64_t query_ts_ns;    /* 0 if no query */
    uint64_t response_ts_ns; /* 0 if no response */
    uint8_t type;            /* enum td_record_type */
    uint8_t ip_version;      /* 4 or 6 */
    uint8_t proto;           /* 17 UDP, 6 TCP */
    uint8_t cksum;           /* enum td_cksum */
    uint16_t flags;          /* TD_RF_* */
    uint16_t client_port, server_port;
    uint8_t client_ip[16], server_ip[16]; /* IPv4 in the first 4 octets, rest zero */
    const uint8_t *response; /* whole DNS message, NULL if none */
    uint32_t response_len;
    const uint8_t *query;    /* whole DNS query message, NULL if none */
    uint32_t query_len;
};

#endif
