/* fuzz_spool: the input is a spool file. It is put in a memfd and read to the end through
 * /proc/self/fd (the reader's only entry is a path); every delivered record is touched. The
 * input is also fed to td_record_decode as a record stream and, cut at the first NUL, to
 * td_spool_parse_name. Seeds: fuzz/corpus/spool (valid, torn, flipped, crafted files). */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz_input.h"
#include "spool.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static volatile uint32_t sink;

static void touch(const struct td_record *r)
{
    uint32_t s = r->type + r->ip_version + r->flags + r->client_ip[15] + r->server_ip[15];
    for (uint32_t i = 0; i < r->response_len; i++)
        s += r->response[i];
    for (uint32_t i = 0; i < r->query_len; i++)
        s += r->query[i];
    sink += s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* record stream */
    struct td_record rec;
    const char *err;
    size_t p = 0;
    long k;
    while (p < size && (k = td_record_decode(data + p, size - p, &rec, &err)) > 0) {
        touch(&rec);
        p += (size_t)k;
    }
    /* name */
    char name[300], sensor[TD_SPOOL_SENSOR_MAX + 1];
    size_t nl = size < sizeof name - 1 ? size : sizeof name - 1;
    memcpy(name, data, nl);
    name[nl] = 0;
    uint32_t hour, wid;
    int is_open;
    td_spool_parse_name(name, sensor, sizeof sensor, &hour, &wid, &is_open);
    /* file */
    char path[64];
    int fd = fuzz_input_file(data, size, path, sizeof path);
    if (fd < 0)
        return 0;
    struct td_spool_reader *r = td_spool_reader_open(path, &err);
    if (r) {
        sink += td_spool_reader_header(r)->hour;
        int res;
        while ((res = td_spool_read(r, &rec)) == TD_SPOOL_RECORD)
            touch(&rec);
        uint64_t eoff = 0;
        const char *e = td_spool_reader_error(r, &eoff);
        if ((res == TD_SPOOL_ERROR) != (e != NULL) || eoff > size)
            __builtin_trap(); /* an error always has a reason and an offset inside the file */
        td_spool_reader_close(&r);
    }
    close(fd);
    return 0;
}
