/* spool.h: writer and reader of spool files. spool/FORMAT.md is normative.
 * File name: <sensor>.<YYYYMMDDHH>.<writer>.tds.zst (".open" appended while written).
 * Library code: returns codes with a reason string, never prints, never exits. */
#ifndef TD_SPOOL_H
#define TD_SPOOL_H
#include <stddef.h>
#include <stdint.h>
#include "record.h"

#define TD_SPOOL_SENSOR_MAX 64 /* [A-Za-z0-9_-]{1,64} */

struct td_spool_writer_opts {
    const char *dir;
    const char *sensor;      /* sensor id, [A-Za-z0-9_-]{1,64} */
    unsigned writer_id;      /* one per thread / lcore / import */
    unsigned frame_seconds;  /* close a zstd frame at least this often (default 10) */
    size_t frame_bytes;      /* ... and when this many uncompressed bytes are in it (default 1 MiB) */
    int zstd_level;          /* default 1 */
    unsigned hour_grace_seconds; /* td_spool_writer_tick closes the file once the clock is this
                                    far past the end of its hour (default 120; an idle link
                                    still closes its hour) */
    int no_fsync;            /* 0 (default): fsync file and directory at close; 1: skip
                                (tests, replays); zero-initialised options are the safe ones */
};

struct td_spool_writer_stats {
    uint64_t records, bytes_in, bytes_out, frames, files_closed;
};

struct td_spool_writer;

/* Returns NULL with *err set (a static string) on bad options. Files open lazily. */
struct td_spool_writer *td_spool_writer_init(const struct td_spool_writer_opts *opts, const char **err);
/* Appends a record. The hour of the file is the UTC hour of the record's time (response time,
 * else query time); a record of a later hour closes the current file and opens the next.
 * Rotation only moves forward: a late record (earlier hour) goes into the open file, or, when
 * its hour's file is already closed, into the next hour's file.
 * now_ns is the wall/capture clock used for the every-N-seconds frame close.
 * Returns 0, or -1 with *err. */
int td_spool_write(struct td_spool_writer *w, const struct td_record *rec, uint64_t now_ns, const char **err);
/* Call periodically (e.g. every second), also when idle: ends the frame if it is older than
 * frame_seconds, and closes the file once now_ns is hour_grace_seconds past its hour. */
int td_spool_writer_tick(struct td_spool_writer *w, uint64_t now_ns, const char **err);
/* Finishes the frame, fsyncs, renames *.open to the final name, fsyncs the directory. */
int td_spool_writer_close_file(struct td_spool_writer *w, const char **err);
/* close_file + free; *wp = NULL. */
int td_spool_writer_destroy(struct td_spool_writer **wp, const char **err);
const struct td_spool_writer_stats *td_spool_writer_stats(const struct td_spool_writer *w);

/* File header fields, as read back. */
struct td_spool_header {
    uint16_t version;
    char sensor[TD_SPOOL_SENSOR_MAX + 1];
    uint32_t writer_id;
    uint32_t hour;           /* hours since the epoch, UTC */
    uint64_t created_ns;
};

enum td_spool_read_res {
    TD_SPOOL_RECORD = 1,     /* *rec filled */
    TD_SPOOL_EOF = 0,        /* clean end */
    TD_SPOOL_ERROR = -1,     /* error: td_spool_reader_error() tells reason and byte offset */
};

struct td_spool_reader;
struct td_spool_reader *td_spool_reader_open(const char *path, const char **err);
const struct td_spool_header *td_spool_reader_header(const struct td_spool_reader *r);
/* Next record. Records before a torn tail or corrupt frame are all delivered first; the error
 * comes after the last good one, and later calls keep returning it. */
int td_spool_read(struct td_spool_reader *r, struct td_record *rec);
/* Reason and byte offset (in the compressed file) of the error, or NULL. */
const char *td_spool_reader_error(const struct td_spool_reader *r, uint64_t *offset);
void td_spool_reader_close(struct td_spool_reader **rp);

/* Parse "<sensor>.<YYYYMMDDHH>.<writer>.tds.zst[.open]"; 0 ok, -1 not a spool name. */
int td_spool_parse_name(const char *basename, char *sensor, size_t sensor_cap,
                        uint32_t *hour, uint32_t *writer_id, int *is_open);

/* Record (de)serialisation, exposed for tests and to-pcap. encode returns bytes written or
 * 0 if cap is too small; decode returns bytes consumed, 0 if buf holds less than one
 * record, -1 if malformed (*err). */
size_t td_record_encode(const struct td_record *rec, uint8_t *buf, size_t cap);
long td_record_decode(const uint8_t *buf, size_t len, struct td_record *rec, const char **err);

#endif
