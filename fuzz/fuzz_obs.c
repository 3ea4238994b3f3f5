/* fuzz_obs: the input is both an observation key and an observation/discard file.
 *   - td_obs_key_decode on the input; when it accepts, the decoded key is rebuilt into a
 *     td_rrset_buf and encoded again: the result must be the input, octet for octet (keys
 *     have one encoding). td_obs_key_decode_no_bailiwick must accept the same keys, with the
 *     same fields but the bailiwick.
 *   - the input is put in a memfd and read to the end through /proc/self/fd with the obs
 *     reader; every delivered key must decode, and an error must name an offset.
 * Seeds: fuzz/corpus/obs (valid files of both kinds, torn and flipped ones, keys). */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz_input.h"
#include "obs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static volatile uint32_t sink;
static struct td_obs_key k;
static struct td_rrset_buf buf;
static uint8_t again[TD_OBS_KEY_MAX];

static void key_round_trip(const uint8_t *data, size_t size)
{
    static struct td_obs_key nb;
    int full = td_obs_key_decode(data, size, &k), lite = td_obs_key_decode_no_bailiwick(data, size, &nb);
    if (full != lite)
        __builtin_trap(); /* the two decoders must accept the same keys */
    if (full != 0)
        return;
    if (nb.owner_len != k.owner_len || memcmp(nb.owner, k.owner, k.owner_len) != 0 || nb.rrtype != k.rrtype ||
        nb.nrdata != k.nrdata || nb.bailiwick_len != 0)
        __builtin_trap();
    for (uint16_t i = 0; i < k.nrdata; i++)
        if (nb.rdata[i] != k.rdata[i] || nb.rdlen[i] != k.rdlen[i])
            __builtin_trap();
    struct td_rrset *s = &buf.sets[0];
    buf.nsets = 1;
    buf.nrdata = 0;
    buf.arena_len = 0;
    memcpy(s->owner, k.owner, k.owner_len);
    s->owner_len = k.owner_len;
    s->type = k.rrtype;
    s->first = 0;
    s->count = k.nrdata;
    for (uint16_t i = 0; i < k.nrdata; i++) {
        buf.rdata[i].off = buf.arena_len;
        buf.rdata[i].len = k.rdlen[i];
        memcpy(buf.arena + buf.arena_len, k.rdata[i], k.rdlen[i]);
        buf.arena_len += k.rdlen[i];
    }
    buf.nrdata = k.nrdata;
    size_t n = td_obs_key_encode(&buf, s, k.bailiwick, k.bailiwick_len, again, sizeof again);
    if (n != size || memcmp(again, data, size) != 0)
        __builtin_trap(); /* decode and encode disagree */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    key_round_trip(data, size);
    char path[64], err[512];
    int fd = fuzz_input_file(data, size, path, sizeof path);
    if (fd < 0)
        return 0;
    struct td_obs_reader *r = td_obs_reader_open(path, err, sizeof err);
    if (r) {
        const uint8_t *key;
        size_t klen;
        struct td_obs_value v;
        int res;
        while ((res = td_obs_read(r, &key, &klen, &v, err, sizeof err)) == 1) {
            if (td_obs_key_decode(key, klen, &k) != 0 || v.time_first > v.time_last)
                __builtin_trap(); /* the reader let a bad entry through */
            sink += (uint32_t)v.count + k.rrtype + v.reason + v.rule;
        }
        if (res < 0 && !strstr(err, "offset"))
            __builtin_trap(); /* an error names where */
        td_obs_reader_close(&r);
    } else if (!strstr(err, "offset")) {
        __builtin_trap();
    }
    close(fd);
    return 0;
}
