/* Fuzz target for the DNS wire parser and presentation format (lib/dns_wire.c, dns_text.c).
 * Runs validate, the first question, RR iteration, rdata decompression and rdata_to_text on
 * every RR, and checks the invariants that tie them together; a broken invariant aborts. */
#include "dns_wire.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t rdbuf[65535 + 2 * TD_DNS_NAME_MAX];
static uint8_t rdbuf2[65535 + 2 * TD_DNS_NAME_MAX];
static char text[4 * 65535 + 64];

static void check_name(const uint8_t *name, size_t len)
{
    char t[4 * TD_DNS_NAME_MAX + 2];
    uint8_t back[TD_DNS_NAME_MAX];
    if (len == 0 || len > TD_DNS_NAME_MAX || name[len - 1] != 0)
        abort();
    int n = td_dns_name_to_text(name, len, t, sizeof t);
    if (n <= 0 || t[n - 1] != '.')
        abort();
    for (int i = 0; i < n; i++)
        if (t[i] < 0x21 || t[i] > 0x7e)
            abort();
    /* text -> wire gives the same name back */
    int b = td_dns_name_from_text(t, back, sizeof back);
    if (b != (int)len || memcmp(back, name, len) != 0)
        abort();
    if (!td_dns_name_is_below(name, len, (const uint8_t *)"", 1))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    enum td_dns_res v = td_dns_validate(data, size);
    if ((unsigned)v >= TD_DNS__COUNT)
        abort();

    struct td_dns_question q;
    size_t qend = 0;
    if (td_dns_parse_question(data, size, &q, &qend) == TD_DNS_OK) {
        if (qend > size)
            abort();
        check_name(q.name, q.name_len);
    }

    struct td_dns_iter it;
    struct td_dns_rr rr;
    int k = 0, seen = 0;
    if (td_dns_iter_init(&it, data, size) == TD_DNS_OK) {
        while ((k = td_dns_iter_next(&it, &rr)) == 1) {
            seen++;
            if ((size_t)rr.rdata_off + rr.rdlength > size || rr.section < TD_SEC_ANSWER ||
                rr.section > TD_SEC_ADDITIONAL)
                abort();
            check_name(rr.owner, rr.owner_len);
            char tb[32];
            if (td_dns_type_to_text(rr.type, tb, sizeof tb) <= 0 ||
                td_dns_class_to_text(rr.rclass, tb, sizeof tb) <= 0)
                abort();
            size_t ol = 0;
            enum td_dns_res r = td_dns_rdata_uncompress(data, size, &rr, 0, rdbuf, sizeof rdbuf, &ol);
            if (r != TD_DNS_OK) {
                if (v == TD_DNS_OK) /* validate accepted the message: every RR must decompress */
                    abort();
                /* opaque rendering of what is there */
                if (td_dns_rdata_to_text(rr.type, data + rr.rdata_off, rr.rdlength, text, sizeof text) < 0)
                    abort();
                continue;
            }
            if (ol > sizeof rdbuf)
                abort();
            size_t ol2 = 0;
            if (td_dns_rdata_uncompress(data, size, &rr, 1, rdbuf2, sizeof rdbuf2, &ol2) != TD_DNS_OK ||
                ol2 != ol)
                abort();
            int n = td_dns_rdata_to_text(rr.type, rdbuf, ol, text, sizeof text);
            if (n < 0 || (size_t)n != strlen(text))
                abort();
            for (int i = 0; i < n; i++)
                if (text[i] < 0x20 || text[i] > 0x7e)
                    abort();
        }
        if (v == TD_DNS_OK && k != 0)
            abort();
    } else if (v == TD_DNS_OK) {
        abort();
    }
    (void)seen;
    return 0;
}
