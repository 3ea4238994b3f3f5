/* Fuzz target for batch/rrset.c. Checks: the result agrees with td_dns_validate (MALFORMED
 * exactly when validate refuses, with its reason); on OK every set is sorted and unique,
 * offsets lie in the arena, counts within limits, keys distinct, owners lowercase, no
 * OPT/TSIG/TKEY/SIG(0) set; and every record the message holds (walked again with the
 * iterator) is found in its set, with a TTL not below the set's. A broken invariant aborts. */
#include "rrset.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct td_rrset_buf B;
static uint8_t rd[65535 + 2 * TD_DNS_NAME_MAX];

static int cmp_bytes(const uint8_t *a, size_t al, const uint8_t *b, size_t bl)
{
    int c = memcmp(a, b, al < bl ? al : bl);
    if (c != 0)
        return c;
    return al < bl ? -1 : al > bl;
}

static void check_sets(void)
{
    uint32_t used = 0;
    if (B.nsets > TD_RRSET_MAX || B.nrdata > TD_RRSET_RDATA_MAX || B.arena_len > TD_RRSET_ARENA)
        abort();
    for (uint16_t i = 0; i < B.nsets; i++) {
        const struct td_rrset *s = &B.sets[i];
        if (s->count == 0 || s->first != used || (uint32_t)s->first + s->count > B.nrdata)
            abort();
        used += s->count;
        if (s->owner_len == 0 || s->owner_len > TD_DNS_NAME_MAX || s->owner[s->owner_len - 1] != 0)
            abort();
        for (uint16_t k = 0; k < s->owner_len; k++)
            if (s->owner[k] >= 'A' && s->owner[k] <= 'Z')
                abort();
        if (s->type == 41 || s->type == 250 || s->type == 249)
            abort();
        if (s->section < TD_SEC_ANSWER || s->section > TD_SEC_ADDITIONAL)
            abort();
        if (s->type != 46 && s->covered != 0)
            abort();
        if (i > 0 && s->section < B.sets[i - 1].section)
            abort(); /* first appearance: sections in order */
        for (uint16_t j = 0; j < s->count; j++) {
            uint16_t l;
            const uint8_t *p = td_rrset_rdata(&B, s, j, &l);
            if ((uint64_t)B.rdata[s->first + j].off + l > B.arena_len)
                abort();
            if (s->type == 46 && (l < 2 || (uint16_t)(p[0] << 8 | p[1]) != s->covered))
                abort();
            if (s->type == 24 && (l < 2 || (p[0] == 0 && p[1] == 0)))
                abort();
            if (j > 0) {
                uint16_t pl;
                const uint8_t *pp = td_rrset_rdata(&B, s, (uint16_t)(j - 1), &pl);
                if (cmp_bytes(pp, pl, p, l) >= 0)
                    abort();
            }
        }
        for (uint16_t k = 0; k < i; k++) {
            const struct td_rrset *o = &B.sets[k];
            if (o->section == s->section && o->type == s->type && o->rclass == s->rclass &&
                o->covered == s->covered && o->owner_len == s->owner_len &&
                memcmp(o->owner, s->owner, s->owner_len) == 0)
                abort(); /* one key, two sets */
        }
    }
    if (used != B.nrdata)
        abort();
}

static const struct td_rrset *find_set(const struct td_dns_rr *rr, uint16_t covered)
{
    for (uint16_t i = 0; i < B.nsets; i++) {
        const struct td_rrset *s = &B.sets[i];
        if (s->section == rr->section && s->type == rr->type && s->rclass == rr->rclass &&
            s->covered == covered && s->owner_len == rr->owner_len &&
            memcmp(s->owner, rr->owner, rr->owner_len) == 0)
            return s;
    }
    return NULL;
}

static void check_records(const uint8_t *data, size_t size)
{
    struct td_dns_iter it;
    struct td_dns_rr rr;
    if (td_dns_iter_init(&it, data, size) != TD_DNS_OK)
        abort();
    int k;
    while ((k = td_dns_iter_next(&it, &rr)) == 1) {
        size_t l = 0;
        if (td_dns_rdata_uncompress(data, size, &rr, 1, rd, sizeof rd, &l) != TD_DNS_OK)
            abort();
        td_dns_name_lower(rr.owner, rr.owner_len);
        const uint8_t *raw = data + rr.rdata_off;
        int out = rr.type == 41 || rr.type == 250 || rr.type == 249 ||
                  (rr.type == 24 && raw[0] == 0 && raw[1] == 0);
        uint16_t covered = rr.type == 46 ? (uint16_t)(raw[0] << 8 | raw[1]) : 0;
        const struct td_rrset *s = find_set(&rr, covered);
        if (out) {
            /* a SIG(0) may share its key with a kept SIG; its rdata (type covered 0) can
             * not be in that set: check_sets refuses SIG rdata starting with 0 */
            if (s && rr.type != 24)
                abort();
            continue;
        }
        if (!s || s->ttl > rr.ttl)
            abort();
        /* binary search of the sorted rdata */
        int lo = 0, hi = s->count - 1, found = 0;
        while (lo <= hi) {
            int mid = (lo + hi) / 2;
            uint16_t ml;
            const uint8_t *p = td_rrset_rdata(&B, s, (uint16_t)mid, &ml);
            int c = cmp_bytes(p, ml, rd, l);
            if (c == 0) {
                found = 1;
                break;
            }
            if (c < 0)
                lo = mid + 1;
            else
                hi = mid - 1;
        }
        if (!found)
            abort();
    }
    if (k != 0)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    enum td_dns_res v = td_dns_validate(data, size), why = TD_DNS__COUNT;
    enum td_rrset_res r = td_rrsets_from_message(data, size, &B, &why);
    switch (r) {
    case TD_RRSET_MALFORMED:
        if (v == TD_DNS_OK || why != v || B.nsets != 0)
            abort();
        break;
    case TD_RRSET_TOO_MANY:
        if (v != TD_DNS_OK || why != TD_DNS_OK || B.nsets != 0)
            abort();
        break;
    case TD_RRSET_OK:
        if (v != TD_DNS_OK || why != TD_DNS_OK)
            abort();
        check_sets();
        check_records(data, size);
        break;
    default:
        abort();
    }
    return 0;
}
