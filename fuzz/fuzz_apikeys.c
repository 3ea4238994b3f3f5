/* fuzz_apikeys: the input is both a keys file and a quota state file (query/apikeys.h).
 *   - as a keys file (memfd, no state): a failed load writes a NUL-terminated error that
 *     starts with the path; a good one holds at most TD_KEYS_MAX keys with valid names, and
 *     every key takes charges and views without breaking the quota arithmetic (remaining
 *     never above the limit, a refused charge counts nothing).
 *   - as a state file next to a fixed keys file (keys a, b, c): the same error contract; a
 *     good load gives the counters the charges then start from.
 * Saves are not fuzzed (each one fsyncs). Seeds: fuzz/corpus/keys. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "apikeys.h"
#include "fuzz_input.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define T0 1433894400ull /* 2015-06-10 00:00:00 UTC */

static const char fixed_keys[] =
    "a 092cae186246df693f7e2862d79dde3e5090d88aa988b61a2140dbe760995cbb 3 10 0 2 60\n"
    "b 181ab52e05a4bfb6c5b62b921d8edd9b7984685c50a66bd4759ff4f41eb9b4a2 0 0 0 0 0\n"
    "c f40c8f0f269b969d0df4ccb232ffafefef23aadb0918ea2d025f6edee7e7014b 100 0 5 0 0 revoked\n";

static void check_err(const char *err, size_t cap, const char *path)
{
    if (!memchr(err, '\0', cap) || strncmp(err, path, strlen(path)) != 0)
        __builtin_trap();
}

static int name_ok(const char *s)
{
    size_t n = strlen(s);
    return n >= 1 && n <= 32 && strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") == n;
}

/* Charges every key (the first 64) a few times at times around a day boundary. */
static void exercise(struct td_keys *k)
{
    char err[256];
    size_t n = td_keys_count(k);
    if (n > TD_KEYS_MAX)
        __builtin_trap();
    for (size_t i = 0; i < n && i < 64; i++) {
        const struct td_key *ck = td_keys_at(k, i);
        if (!name_ok(ck->name))
            __builtin_trap();
        struct td_key *key = (struct td_key *)ck;
        static const uint64_t times[] = {T0 - 1, T0, T0, T0 + 30, T0 + 86399, T0 + 86400};
        for (size_t t = 0; t < sizeof times / sizeof times[0]; t++) {
            uint64_t before = key->used_today;
            uint32_t day_before = key->day;
            int rc = td_quota_charge(k, key, times[t], err, sizeof err);
            if (rc != 0 && rc != 429)
                __builtin_trap();
            if (rc == 429) {
                if (!memchr(err, '\0', sizeof err))
                    __builtin_trap();
                if (key->day == day_before && key->used_today != before)
                    __builtin_trap();
            }
            struct td_quota_view v;
            td_quota_view(key, times[t], &v);
            if (v.limit != UINT64_MAX && v.remaining > v.limit)
                __builtin_trap();
            if (v.limit == UINT64_MAX && (v.remaining != UINT64_MAX || v.reset != 0))
                __builtin_trap();
            if (v.limit != UINT64_MAX && v.reset != (times[t] / 86400 + 1) * 86400)
                __builtin_trap();
        }
    }
    if (td_keys_at(k, n) != NULL)
        __builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[64], err[256];

    /* the input as a keys file */
    int fd = fuzz_input_file(data, size, path, sizeof path);
    if (fd < 0)
        return 0;
    memset(err, 'X', sizeof err);
    struct td_keys *k = td_keys_load(path, NULL, err, sizeof err);
    if (!k)
        check_err(err, sizeof err, path);
    else {
        exercise(k);
        (void)td_keys_find(k, "tdk_00000000000000000000000000000000");
        td_keys_free(&k);
    }

    /* the input as a state file next to the fixed keys */
    static int kfd = -1;
    static char kpath[64];
    if (kfd < 0)
        kfd = fuzz_input_file((const uint8_t *)fixed_keys, sizeof fixed_keys - 1, kpath, sizeof kpath);
    if (kfd >= 0) {
        memset(err, 'X', sizeof err);
        k = td_keys_load(kpath, path, err, sizeof err);
        if (!k)
            check_err(err, sizeof err, path);
        else {
            if (td_keys_count(k) != 3)
                __builtin_trap();
            exercise(k);
            td_keys_free(&k);
        }
    }
    close(fd);
    return 0;
}
