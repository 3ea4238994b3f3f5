/* fuzz_config: td_config_parse over arbitrary bytes, then every typed getter, list split,
 * check_known and td_cli_apply_config over every (section, key) the input seems to
 * contain (config.h has no iterator, so the target re-scans the input for "[section]" and
 * "key =" lines; keys it invents that are absent exercise the default path).
 * Invariants checked (trap on violation): a failed parse writes a NUL-terminated error that
 * starts with the file name; a found value has no NUL, no leading/trailing whitespace. */
#include "cli.h"
#include "config.h"

#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_NAMES 64

static void check_value(const char *v)
{
    size_t n = strlen(v);
    if (n && (isspace((unsigned char)v[0]) || isspace((unsigned char)v[n - 1])))
        __builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[256];
    memset(err, 'X', sizeof err);
    struct td_config *c = td_config_parse((const char *)data, size, "fuzz", err, sizeof err);
    if (!c) {
        if (!memchr(err, 0, sizeof err) || strncmp(err, "fuzz", 4) != 0)
            __builtin_trap();
        return 0;
    }

    /* re-scan for candidate names */
    static char secs[MAX_NAMES][64], keys[MAX_NAMES][64], qual[MAX_NAMES][130];
    int nk = 0;
    char cur[64] = "";
    const char *p = (const char *)data, *end = p + size;
    while (p < end && nk < MAX_NAMES) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl : end;
        while (p < le && isspace((unsigned char)*p))
            p++;
        if (p < le && *p == '[') {
            const char *cl = memchr(p, ']', (size_t)(le - p));
            size_t n = cl ? (size_t)(cl - p - 1) : 0;
            if (n < sizeof cur) {
                memcpy(cur, p + 1, n);
                cur[n] = 0;
            }
        } else {
            const char *k = p;
            while (p < le && *p != '=' && *p != ':')
                p++;
            const char *ke = p;
            while (ke > k && isspace((unsigned char)ke[-1]))
                ke--;
            size_t n = (size_t)(ke - k);
            if (p < le && n && n < 64) {
                memcpy(keys[nk], k, n);
                keys[nk][n] = 0;
                strcpy(secs[nk], cur);
                nk++;
            }
        }
        p = nl ? nl + 1 : end;
    }

    const char *known[MAX_NAMES + 1];
    struct td_option opts[MAX_NAMES + 1];
    static const char *strs[MAX_NAMES];
    static int flags[MAX_NAMES];
    static uint64_t nums[MAX_NAMES];
    static struct td_cli_list lists[MAX_NAMES];
    memset(opts, 0, sizeof opts);
    for (int i = 0; i < nk; i++) {
        uint64_t u;
        int b;
        const char *v = td_config_get(c, secs[i], keys[i]);
        if (v)
            check_value(v);
        td_config_get_u64(c, secs[i], keys[i], 1, &u, err, sizeof err);
        td_config_get_size(c, secs[i], keys[i], 1, &u, err, sizeof err);
        td_config_get_duration_ns(c, secs[i], keys[i], 1, &u, err, sizeof err);
        td_config_get_bool(c, secs[i], keys[i], 1, &b, err, sizeof err);
        char items[8][256];
        td_config_split_list(v, items, 8, err, sizeof err);
        if (secs[i][0])
            snprintf(qual[i], sizeof qual[i], "%.63s.%.63s", secs[i], keys[i]);
        else
            snprintf(qual[i], sizeof qual[i], "%.63s", keys[i]);
        known[i] = qual[i];
        static const enum td_opt_kind kinds[] = { TD_OPT_FLAG, TD_OPT_STRING, TD_OPT_UINT,
                                                  TD_OPT_SIZE, TD_OPT_DURATION, TD_OPT_LIST };
        opts[i].name = "x";
        opts[i].kind = kinds[i % 6];
        opts[i].config_key = qual[i];
        switch (opts[i].kind) {
        case TD_OPT_FLAG: opts[i].target = &flags[i]; break;
        case TD_OPT_STRING: opts[i].target = &strs[i]; break;
        case TD_OPT_LIST: opts[i].target = &lists[i]; break;
        default: opts[i].target = &nums[i]; break;
        }
    }
    known[nk] = NULL;
    td_config_check_known(c, known, err, sizeof err);
    td_config_check_known(c, known + (nk > 0), err, sizeof err);
    td_cli_apply_config(opts, c, err, sizeof err);
    for (int i = 0; i < nk; i++)
        td_cli_free_list(&lists[i]);
    td_config_free(&c);
    return 0;
}
