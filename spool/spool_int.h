/* spool_int.h: private to the spool .c files. On-disk constants and the encodings of the file header
 * and end marker (spool/FORMAT.md is normative), name formatting and CRC-32. */
#ifndef TD_SPOOL_INT_H
#define TD_SPOOL_INT_H
#include <stddef.h>
#include <stdint.h>
#include "spool.h"

#define TD_SPOOL_FORMAT_VERSION 1
#define TD_SPOOL_MAGIC "TDSPOOL1"            /* 8 octets, first in the header payload */
#define TD_SPOOL_SKIP_HEADER 0x184D2A50u     /* skippable-frame magic of the file header */
#define TD_SPOOL_SKIP_END 0x184D2A51u        /* skippable-frame magic of the end marker */
#define TD_SPOOL_HEADER_FIXED 32u            /* header payload without the sensor id */
#define TD_SPOOL_END_LEN 28u                 /* end marker payload */
#define TD_SPOOL_FRAME_MAX (64u << 20)       /* bound on a frame's decompressed size */
#define TD_SPOOL_FRAME_BYTES_MAX (32u << 20) /* largest frame_bytes option */
#define TD_SPOOL_MSG_MAX 65535u              /* largest DNS message in a record */
#define TD_SPOOL_WRITER_ID_MAX 65535u        /* writer ids above are generations (FORMAT.md) */
#define TD_SPOOL_GEN_MAX 65535u
#define TD_SPOOL_REC_VERSION 1
#define TD_SPOOL_REC_FIXED 32u               /* record octets before the addresses */
#define TD_SPOOL_REC_MIN (TD_SPOOL_REC_FIXED + 8u + 8u)
#define TD_SPOOL_REC_MAX (TD_SPOOL_REC_FIXED + 32u + 8u + 2u * TD_SPOOL_MSG_MAX)
#define TD_SPOOL_NAME_MAX (TD_SPOOL_SENSOR_MAX + 48)
#define TD_NS_PER_HOUR 3600000000000ull

uint32_t td_spool_crc32(const uint8_t *p, size_t n);
/* 1 if s is a valid sensor id ([A-Za-z0-9_-]{1,64}), else 0. */
int td_spool_sensor_ok(const char *s);
/* 1 if the record may be written; else 0 with *err. */
int td_record_valid(const struct td_record *rec, const char **err);
/* The record's UTC hour since the epoch: response time, else query time. */
uint32_t td_record_hour(const struct td_record *rec);
/* "<sensor>.<YYYYMMDDHH>.<writer>.tds.zst" into out; returns length or 0 if it does not fit
 * (or the hour is past year 9999). */
size_t td_spool_format_name(char *out, size_t cap, const char *sensor, uint32_t hour, uint32_t writer_id);

/* Header: the whole skippable frame (8 + payload octets). Returns its length, 0 if cap small. */
size_t td_spool_header_encode(const struct td_spool_header *h, uint8_t *buf, size_t cap);
/* payload = the skippable frame's content (len = its size field). 0 ok, -1 with *err. */
int td_spool_header_decode(const uint8_t *payload, size_t len, struct td_spool_header *h, const char **err);

struct td_spool_end {
    uint64_t records, frames, bytes; /* record count, zstd frame count, record octets */
};
/* Whole skippable frame (8 + TD_SPOOL_END_LEN octets). */
void td_spool_end_encode(const struct td_spool_end *e, uint8_t out[8 + TD_SPOOL_END_LEN]);
int td_spool_end_decode(const uint8_t *payload, size_t len, struct td_spool_end *e, const char **err);

#endif
