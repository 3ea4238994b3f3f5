/* fuzz_index_keys: the input is an observation key.
 *   - td_index_entries never crashes; it succeeds exactly when td_obs_key_decode accepts
 *     the input.
 *   - every emitted key decodes with the decoder of its layout, back to the observation's
 *     rrtype, owner, bailiwick and rdata (an RDATA key's rdata is one of the set's); the
 *     type byte's DNSSEC bit matches the rrtype; the value comes through unchanged and
 *     round-trips through the value codec.
 *   - the input also goes through the key decoders directly (they must refuse or accept
 *     without crashing).
 * Seeds: fuzz/corpus/index_keys (observation keys of common types and broken ones). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "keys.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct td_obs_key ok, dk;
static uint8_t rdbuf[65536];
static const struct td_obs_value val = {.count = 12345678901ull, .time_first = 7, .time_last = 1u << 31};

static int check_entry(void *ctx, const uint8_t *key, size_t len, const struct td_obs_value *v)
{
    (void)ctx;
    uint8_t name[255], vb[TD_INDEX_VALUE_MAX];
    uint16_t nl;
    int dnssec;
    struct td_obs_value dv;
    size_t vl = td_index_value_encode(v, 1800000000u, vb);
    if (memcmp(v, &val, sizeof val) != 0 || td_index_value_decode(vb, vl, 1800000000u, &dv) != 0 ||
        dv.count != val.count ||
        dv.time_first != val.time_first || dv.time_last != val.time_last)
        abort();
    if (len == 0 || len > TD_INDEX_KEY_MAX)
        abort();
    if (((key[0] & TD_IK_DNSSEC) != 0) != td_index_rrtype_is_dnssec(ok.rrtype))
        abort();
    switch (td_index_key_layout(key, len)) {
    case TD_IK_RRSET:
        if (td_index_rrset_decode(key, len, &dk, &dnssec) != 0 || dk.rrtype != ok.rrtype || dk.nrdata != ok.nrdata ||
            dk.owner_len != ok.owner_len || memcmp(dk.owner, ok.owner, ok.owner_len) != 0 ||
            dk.bailiwick_len != ok.bailiwick_len || memcmp(dk.bailiwick, ok.bailiwick, ok.bailiwick_len) != 0)
            abort();
        break;
    case TD_IK_NAME_FWD:
        if (td_index_name_fwd_decode(key, len, name, &nl, &dnssec) != 0 || nl != ok.owner_len ||
            memcmp(name, ok.owner, nl) != 0)
            abort();
        break;
    case TD_IK_RDATA: {
        struct td_index_rdata_key r;
        if (td_index_rdata_decode(key, len, &r) != 0 || r.rrtype != ok.rrtype || r.owner_len != ok.owner_len ||
            memcmp(r.owner, ok.owner, nl = r.owner_len) != 0)
            abort();
        size_t n = td_index_rdata_copy(&r, rdbuf, sizeof rdbuf);
        int found = 0;
        for (size_t j = 0; j < ok.nrdata && !found; j++)
            found = ok.rdlen[j] == n && memcmp(ok.rdata[j], rdbuf, n) == 0;
        if (!found)
            abort();
        break;
    }
    case TD_IK_NAME_REV: {
        if (td_index_name_rev_decode(key, len, name, &nl, &dnssec) != 0)
            abort();
        int found = 0;
        for (size_t j = 0; j < ok.nrdata && !found; j++)
            for (size_t o = 0; o + nl <= ok.rdlen[j] && !found; o++)
                found = memcmp(ok.rdata[j] + o, name, nl) == 0;
        if (!found)
            abort();
        break;
    }
    default:
        abort();
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[128];
    int dec = td_obs_key_decode(data, size, &ok);
    int rc = td_index_entries(data, size, &val, check_entry, NULL, err, sizeof err);
    if ((dec == 0 && size > 0) != (rc == 0))
        abort();
    if (rc != 0 && rc != -1)
        abort();

    /* the decoders on the raw input */
    struct td_index_rdata_key r;
    uint8_t name[255];
    uint16_t nl;
    uint32_t a, b;
    uint64_t ver;
    struct td_obs_value v;
    if (td_index_rdata_decode(data, size, &r) == 0 && td_index_rdata_copy(&r, rdbuf, sizeof rdbuf) == (size_t)-1)
        abort();
    (void)td_index_rrset_decode(data, size, &dk, NULL);
    (void)td_index_name_fwd_decode(data, size, name, &nl, NULL);
    (void)td_index_name_rev_decode(data, size, name, &nl, NULL);
    (void)td_index_key_layout(data, size);
    (void)td_index_time_range_decode(data, size, &a, &b);
    (void)td_index_version_decode(data, size, &ver);
    static const uint32_t bases[] = { 0, 1800000000u, UINT32_MAX };
    for (size_t i = 0; i < sizeof bases / sizeof bases[0]; i++)
        if (td_index_value_decode(data, size, bases[i], &v) == 0) {
            uint8_t vb[TD_INDEX_VALUE_MAX];
            size_t vl = td_index_value_encode(&v, bases[i], vb);
            if (vl != size || memcmp(vb, data, size) != 0) /* one encoding per value */
                abort();
        }
    return 0;
}
