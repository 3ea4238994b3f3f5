/* fuzz_filter: the input is a rules file for td_filter_load (given as a memory file),
 * then td_filter_compile and td_filter_check over a few owners and types.
 * Invariants checked (trap on violation): a failed load or compile leaves a NUL-terminated
 * error; a failed load's error starts with the file's path; every rule 1..count has a text
 * that starts with its kind; a check returns 0 or a rule number <= count, and for SOA (type 6)
 * with an "soa" rule it is never 0. Inputs over 8 KiB are skipped (compile time). */
#include "dns_wire.h"
#include "filter.h"
#include "fuzz_input.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const owners[] = {
    "www.example.com", "example.com", "ads.doubleclick.net", "A.B.C.D.E.F.G.corp.internal",
    ".", "a\\.b\\032c\\255.example", "xn--bcher-kva.example", "*.wild.test",
};

static int starts_with_kind(const char *t)
{
    return strcmp(t, "soa") == 0 || strncmp(t, "name ", 5) == 0 ||
           strncmp(t, "regex ", 6) == 0 || strncmp(t, "local ", 6) == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 8192)
        return 0;
    char path[64];
    int fd = fuzz_input_file(data, size, path, sizeof path);
    if (fd < 0)
        return 0;

    char err[256];
    memset(err, 'X', sizeof err);
    struct td_filter *f = td_filter_init();
    if (!f) {
        close(fd);
        return 0;
    }
    int rc = td_filter_load(f, path, err, sizeof err);
    close(fd);
    if (rc != 0) {
        if (!memchr(err, 0, sizeof err) || strncmp(err, path, strlen(path)) != 0)
            __builtin_trap();
    } else {
        memset(err, 'X', sizeof err);
        if (td_filter_compile(f, err, sizeof err) != 0 && !memchr(err, 0, sizeof err))
            __builtin_trap();
    }
    /* after a failed load the rules added so far remain usable (compile may still fail) */
    if (rc != 0)
        td_filter_compile(f, err, sizeof err);

    int count = td_filter_rule_count(f);
    int has_soa = 0;
    for (int r = 1; r <= count; r++) {
        const char *t = td_filter_rule_text(f, r);
        if (!t || !starts_with_kind(t))
            __builtin_trap();
        has_soa |= strcmp(t, "soa") == 0;
    }
    if (td_filter_rule_text(f, 0) || td_filter_rule_text(f, count + 1))
        __builtin_trap();
    for (size_t i = 0; i < sizeof owners / sizeof *owners; i++) {
        uint8_t w[TD_DNS_NAME_MAX];
        int n = td_dns_name_from_text(owners[i], w, sizeof w);
        if (n <= 0)
            continue;
        static const uint16_t types[] = { 1, 6, 28 };
        for (size_t t = 0; t < 3; t++) {
            int m = td_filter_check(f, w, (size_t)n, types[t]);
            if (m < 0 || m > count || (types[t] == 6 && has_soa && m == 0))
                __builtin_trap();
        }
    }
    /* the input's own first line as an owner in wire form (arbitrary bytes) */
    int m = td_filter_check(f, data, size < 255 ? size : 255, 1);
    if (m < 0 || m > count)
        __builtin_trap();
    td_filter_destroy(&f);
    return 0;
}
