/* test_apikeys: query/apikeys.h: keys file round trip and malformed lines, add/revoke/list, find,
 * daily and burst quotas with times passed in, the rate_limit view, quota state across a
 * reload, save rate limiting, TD_KEYS_MAX. Files live in a fresh temp directory. */
#include "apikeys.h"
#include "tt.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* SHA-256 of the key strings (from sha256sum) */
#define K0 "tdk_00000000000000000000000000000000"
#define H0 "092cae186246df693f7e2862d79dde3e5090d88aa988b61a2140dbe760995cbb"
#define K1 "tdk_0123456789abcdef0123456789abcdef"
#define H1 "181ab52e05a4bfb6c5b62b921d8edd9b7984685c50a66bd4759ff4f41eb9b4a2"
#define K2 "tdk_ffffffffffffffffffffffffffffffff"
#define H2 "f40c8f0f269b969d0df4ccb232ffafefef23aadb0918ea2d025f6edee7e7014b"

#define DAY 86400ull
/* 2015-06-10 00:00:00 UTC = day 16596; the reset in REFERENCE.md's example is the next day */
#define T0 (16596ull * DAY)

static char dir[64];
static char kpath[128], spath[128];

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        TT_FAIL("fopen %s: %s", path, strerror(errno));
        return;
    }
    fputs(text, f);
    fclose(f);
}

static char *slurp(const char *path)
{
    static char buf[1 << 16];
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    return buf;
}

static struct td_keys *load_text(const char *text, char *err, size_t errlen)
{
    write_text(kpath, text);
    unlink(spath);
    return td_keys_load(kpath, spath, err, errlen);
}

static void test_round_trip(void)
{
    char err[256] = "";
    struct td_keys *k = load_text("# comment\n"
                                  "\n"
                                  "alice " H0 " 1000 1000000 3000000 0 0\n"
                                  "   \t  \n"
                                  "  # indented comment\n"
                                  "bob\t" H1 "  0 256 0 25 3600 revoked\r\n"
                                  "c.d-e_F " H2 " 18446744073709551615 1 2 3 4",
                                  err, sizeof err);
    CHECK(k != NULL);
    if (!k) {
        TT_FAIL("%s", err);
        return;
    }
    CHECK_EQ(td_keys_count(k), 3);
    const struct td_key *a = td_keys_at(k, 0), *b = td_keys_at(k, 1), *c = td_keys_at(k, 2);
    CHECK(td_keys_at(k, 3) == NULL);
    CHECK_STR(a->name, "alice");
    CHECK_EQ(a->daily_limit, 1000);
    CHECK_EQ(a->results_max, 1000000);
    CHECK_EQ(a->offset_max, 3000000);
    CHECK_EQ(a->burst_size, 0);
    CHECK_EQ(a->revoked, 0);
    CHECK_EQ(a->hash[0], 0x09);
    CHECK_EQ(a->hash[31], 0xbb);
    CHECK_STR(b->name, "bob");
    CHECK_EQ(b->results_max, 256);
    CHECK_EQ(b->burst_size, 25);
    CHECK_EQ(b->burst_window, 3600);
    CHECK_EQ(b->revoked, 1);
    CHECK_STR(c->name, "c.d-e_F");
    CHECK(c->daily_limit == UINT64_MAX);
    CHECK_EQ(c->burst_window, 4);

    CHECK_EQ(td_keys_save(k, err, sizeof err), 0);
    const char *want = "# tapdns API keys: NAME SHA256HEX daily_limit results_max offset_max burst_size "
                       "burst_window [revoked]\n"
                       "alice " H0 " 1000 1000000 3000000 0 0\n"
                       "bob " H1 " 0 256 0 25 3600 revoked\n"
                       "c.d-e_F " H2 " 18446744073709551615 1 2 3 4\n";
    CHECK_STR(slurp(kpath), want);
    struct stat st;
    CHECK_EQ(stat(kpath, &st), 0);
    CHECK_EQ(st.st_mode & 0777, 0600);
    td_keys_free(&k);
    CHECK(k == NULL);

    /* reload of the saved file: same keys, same text again */
    k = td_keys_load(kpath, NULL, err, sizeof err);
    CHECK(k != NULL);
    if (k) {
        CHECK_EQ(td_keys_count(k), 3);
        CHECK_EQ(td_keys_save(k, err, sizeof err), 0);
        CHECK_STR(slurp(kpath), want);
        td_keys_free(&k);
    }
    /* no temp files left behind */
    char cmd[160];
    snprintf(cmd, sizeof cmd, "test $(ls -A %s | wc -l) -eq 1", dir);
    CHECK_EQ(system(cmd), 0);

    /* an empty file is zero keys */
    k = load_text("", err, sizeof err);
    CHECK(k != NULL);
    CHECK_EQ(td_keys_count(k), 0);
    td_keys_free(&k);
}

static void test_malformed(void)
{
    static const struct {
        const char *text, *err_suffix; /* err is kpath + err_suffix */
    } cases[] = {
        {"alice " H0 " 1 2 3 4\n", ":1: expected NAME SHA256HEX daily_limit results_max offset_max burst_size "
                                   "burst_window [revoked], got 6 fields"},
        {"# c\n\nalice " H0 " 1 2 3 4 5 6 7 8\n", ":3: too many fields"},
        {"alice " H0 " 1 2 3 4 5 gone\n", ":1: unexpected field after burst_window (only \"revoked\")"},
        {"alice " H0 " 1 2 3 4 5 REVOKED\n", ":1: unexpected field after burst_window (only \"revoked\")"},
        {"al/ice " H0 " 1 2 3 4 5\n", ":1: bad key name (1-32 of A-Za-z0-9_.-)"},
        {"abcdefghijabcdefghijabcdefghijabc " H0 " 1 2 3 4 5\n", ":1: bad key name (1-32 of A-Za-z0-9_.-)"},
        {"alice 092CAE186246DF693F7E2862D79DDE3E5090D88AA988B61A2140DBE760995CBB 1 2 3 4 5\n",
         ":1: bad hash (64 lowercase hex digits)"},
        {"alice " H0 "0 1 2 3 4 5\n", ":1: bad hash (64 lowercase hex digits)"},
        {"alice 092c 1 2 3 4 5\n", ":1: bad hash (64 lowercase hex digits)"},
        {"alice " H0 " -1 2 3 4 5\n", ":1: bad daily_limit (a decimal number)"},
        {"alice " H0 " 1 +2 3 4 5\n", ":1: bad results_max (a decimal number)"},
        {"alice " H0 " 1 2 0x3 4 5\n", ":1: bad offset_max (a decimal number)"},
        {"alice " H0 " 1 2 3 18446744073709551616 5\n", ":1: bad burst_size (a decimal number)"},
        {"alice " H0 " 1 2 3 4 5x\n", ":1: bad burst_window (a decimal number)"},
        {"alice " H0 " 1 2 3 4 5\nbob " H1 " 1 2 3 4 5\n\nalice " H2 " 1 2 3 4 5\n",
         ":4: duplicate key name alice"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char err[512] = "", want[512];
        struct td_keys *k = load_text(cases[i].text, err, sizeof err);
        CHECK(k == NULL);
        td_keys_free(&k);
        snprintf(want, sizeof want, "%s%s", kpath, cases[i].err_suffix);
        CHECK_STR(err, want);
    }
    /* a NUL byte and an over-long line */
    char err[512] = "", want[512];
    FILE *f = fopen(kpath, "w");
    fwrite("alice " H0 " 1 2 3 4 5\nb\0b " H1 " 1 2 3 4 5\n", 1, 6 + 64 + 11 + 3 + 65 + 11, f);
    fclose(f);
    struct td_keys *k = td_keys_load(kpath, NULL, err, sizeof err);
    CHECK(k == NULL);
    snprintf(want, sizeof want, "%s:2: NUL byte", kpath);
    CHECK_STR(err, want);
    char longline[2100];
    memset(longline, 'a', 2000);
    longline[2000] = '\0';
    k = load_text(longline, err, sizeof err);
    CHECK(k == NULL);
    snprintf(want, sizeof want, "%s:1: line longer than 1024 bytes", kpath);
    CHECK_STR(err, want);
    /* a file over 8 MiB (blank lines) */
    f = fopen(kpath, "w");
    for (int i = 0; i < (8 << 20) + 1; i++)
        fputc('\n', f);
    fclose(f);
    k = td_keys_load(kpath, NULL, err, sizeof err);
    CHECK(k == NULL);
    snprintf(want, sizeof want, "%s: file larger than 8388608 bytes", kpath);
    CHECK_STR(err, want);
    CHECK_EQ(truncate(kpath, 8 << 20), 0); /* exactly 8 MiB: zero keys */
    k = td_keys_load(kpath, NULL, err, sizeof err);
    CHECK(k != NULL);
    CHECK_EQ(td_keys_count(k), 0);
    td_keys_free(&k);
    /* missing keys file */
    k = td_keys_load("/nonexistent/keys", NULL, err, sizeof err);
    CHECK(k == NULL);
    CHECK_STR(err, "/nonexistent/keys: No such file or directory");
    /* small error buffer: cut, NUL-terminated */
    char small[8];
    k = load_text("x\n", small, sizeof small);
    CHECK(k == NULL);
    CHECK_EQ(strlen(small), 7);
}

static void test_add_revoke_find(void)
{
    char err[256] = "";
    struct td_keys *k = load_text("fixed " H0 " 10 100 0 0 0\n", err, sizeof err);
    CHECK(k != NULL);
    if (!k)
        return;
    char ks1[TD_KEY_STRING_LEN + 1], ks2[TD_KEY_STRING_LEN + 1];
    memset(ks1, 'X', sizeof ks1);
    CHECK_EQ(td_keys_add(k, "new1", 5, 6, 7, 8, 9, ks1, err, sizeof err), 0);
    CHECK_EQ(td_keys_add(k, "new2", 0, 0, 0, 0, 0, ks2, err, sizeof err), 0);
    CHECK_EQ(strlen(ks1), TD_KEY_STRING_LEN);
    CHECK(strncmp(ks1, "tdk_", 4) == 0);
    CHECK_EQ(strspn(ks1 + 4, "0123456789abcdef"), 32);
    CHECK(strcmp(ks1, ks2) != 0);
    CHECK_EQ(td_keys_count(k), 3);
    CHECK_STR(td_keys_at(k, 1)->name, "new1");
    CHECK_EQ(td_keys_at(k, 1)->burst_window, 9);

    /* refused adds */
    char ks3[TD_KEY_STRING_LEN + 1];
    CHECK_EQ(td_keys_add(k, "new1", 0, 0, 0, 0, 0, ks3, err, sizeof err), -1);
    CHECK_STR(err, "key new1 exists");
    CHECK_EQ(td_keys_add(k, "", 0, 0, 0, 0, 0, ks3, err, sizeof err), -1);
    CHECK_STR(err, "bad key name (1-32 of A-Za-z0-9_.-)");
    CHECK_EQ(td_keys_add(k, "a b", 0, 0, 0, 0, 0, ks3, err, sizeof err), -1);
    CHECK_EQ(td_keys_count(k), 3);

    /* find: right keys, wrong keys */
    CHECK(td_keys_find(k, K0) == td_keys_at(k, 0));
    CHECK(td_keys_find(k, ks1) == td_keys_at(k, 1));
    CHECK(td_keys_find(k, ks2) == td_keys_at(k, 2));
    CHECK(td_keys_find(k, K1) == NULL);
    CHECK(td_keys_find(k, "") == NULL);
    CHECK(td_keys_find(k, NULL) == NULL);
    char almost[TD_KEY_STRING_LEN + 1];
    memcpy(almost, ks1, sizeof almost);
    almost[TD_KEY_STRING_LEN - 1] ^= 1;
    CHECK(td_keys_find(k, almost) == NULL);
    almost[TD_KEY_STRING_LEN - 1] = '\0'; /* a prefix */
    CHECK(td_keys_find(k, almost) == NULL);

    /* revoke */
    CHECK_EQ(td_keys_revoke(k, "new1", err, sizeof err), 0);
    CHECK(td_keys_find(k, ks1) == NULL);
    CHECK(td_keys_find(k, ks2) == td_keys_at(k, 2));
    CHECK_EQ(td_keys_revoke(k, "new1", err, sizeof err), 0);
    CHECK_EQ(td_keys_revoke(k, "nobody", err, sizeof err), -1);
    CHECK_STR(err, "no key named nobody");

    /* saved and reloaded: the generated keys still work, the revoked one does not */
    CHECK_EQ(td_keys_save(k, err, sizeof err), 0);
    td_keys_free(&k);
    k = td_keys_load(kpath, NULL, err, sizeof err);
    CHECK(k != NULL);
    if (!k)
        return;
    CHECK_EQ(td_keys_count(k), 3);
    CHECK(td_keys_find(k, ks1) == NULL);
    CHECK(td_keys_find(k, ks2) == td_keys_at(k, 2));
    CHECK(td_keys_find(k, K0) == td_keys_at(k, 0));
    CHECK_EQ(td_keys_at(k, 1)->revoked, 1);
    CHECK(strstr(slurp(kpath), ks2) == NULL); /* the key itself is never stored */
    td_keys_free(&k);

    /* one hash under two names, the first revoked: the second is found */
    k = load_text("old " H0 " 0 0 0 0 0 revoked\nnew " H0 " 0 0 0 0 0\n", err, sizeof err);
    CHECK(td_keys_find(k, K0) == td_keys_at(k, 1));
    td_keys_free(&k);
}

static void test_daily(void)
{
    char err[256] = "";
    struct td_keys *k = load_text("d " H0 " 3 0 0 0 0\n", err, sizeof err);
    CHECK(k != NULL);
    if (!k)
        return;
    struct td_key *key = td_keys_find(k, K0);
    CHECK(key != NULL);
    if (!key) {
        td_keys_free(&k);
        return;
    }
    uint64_t t = T0 + DAY - 3; /* 23:59:57 */
    CHECK_EQ(td_quota_charge(k, key, t, err, sizeof err), 0);
    CHECK_EQ(td_quota_charge(k, key, t, err, sizeof err), 0);
    CHECK_EQ(td_quota_charge(k, key, t + 1, err, sizeof err), 0);
    CHECK_EQ(key->used_today, 3);
    err[0] = '\0';
    CHECK_EQ(td_quota_charge(k, key, t + 2, err, sizeof err), 429); /* 23:59:59 */
    CHECK_STR(err, "daily quota of 3 queries exceeded; resets at 1433980800");
    CHECK_EQ(key->used_today, 3); /* refused queries are not counted */
    /* 00:00:00 UTC: a new day */
    CHECK_EQ(td_quota_charge(k, key, T0 + DAY, err, sizeof err), 0);
    CHECK_EQ(key->used_today, 1);
    CHECK_EQ(key->day, 16597);
    /* a day skipped: still a fresh count */
    CHECK_EQ(td_quota_charge(k, key, T0 + 3 * DAY + 5, err, sizeof err), 0);
    CHECK_EQ(key->used_today, 1);
    td_keys_free(&k);

    /* unlimited: never refused */
    k = load_text("u " H0 " 0 0 0 0 0\n", err, sizeof err);
    key = td_keys_find(k, K0);
    int refused = 0;
    for (int i = 0; i < 10000; i++)
        refused += td_quota_charge(k, key, T0 + (uint64_t)i, err, sizeof err) != 0;
    CHECK_EQ(refused, 0);
    td_keys_free(&k);
}

static void test_burst(void)
{
    char err[256] = "";
    struct td_keys *k = load_text("b " H0 " 100 0 0 2 10\n", err, sizeof err);
    struct td_key *key = td_keys_find(k, K0);
    CHECK(key != NULL);
    if (!key) {
        td_keys_free(&k);
        return;
    }
    /* table: time, expected result; window of 10 s starting at the first charge */
    static const struct {
        uint64_t dt;
        int rc;
        uint64_t used_today;
    } steps[] = {
        {100, 0, 1}, {101, 0, 2}, {102, 429, 2}, {109, 429, 2}, /* window 100..109 */
        {110, 0, 3}, {119, 0, 4}, {119, 429, 4},                /* window 110..119 */
        {200, 0, 5},                                            /* long pause */
        {150, 0, 6},                                            /* clock went back: new window */
        {151, 0, 7}, {152, 429, 7},
    };
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
        err[0] = '\0';
        int rc = td_quota_charge(k, key, T0 + steps[i].dt, err, sizeof err);
        if (rc != steps[i].rc || key->used_today != steps[i].used_today)
            TT_FAIL("step %zu: rc %d used %llu", i, rc, (unsigned long long)key->used_today);
    }
    td_quota_charge(k, key, T0 + 153, err, sizeof err);
    CHECK_STR(err, "burst quota of 2 queries per 10 seconds exceeded; resets at 1433894560");
    td_keys_free(&k);

    /* daily limit hit before the burst cap: the daily reason wins */
    k = load_text("b " H0 " 1 0 0 5 10\n", err, sizeof err);
    key = td_keys_find(k, K0);
    CHECK_EQ(td_quota_charge(k, key, T0, err, sizeof err), 0);
    CHECK_EQ(td_quota_charge(k, key, T0, err, sizeof err), 429);
    CHECK(strncmp(err, "daily quota", 11) == 0);
    CHECK_EQ(key->burst_used, 1);
    td_keys_free(&k);

    /* burst_window 0 with a burst size: no burst cap */
    k = load_text("b " H0 " 0 0 0 1 0\n", err, sizeof err);
    key = td_keys_find(k, K0);
    CHECK_EQ(td_quota_charge(k, key, T0, err, sizeof err), 0);
    CHECK_EQ(td_quota_charge(k, key, T0, err, sizeof err), 0);
    td_keys_free(&k);
}

static void test_view(void)
{
    char err[256] = "";
    struct td_keys *k = load_text("lim " H0 " 1000 1000000 3000000 0 0\n"
                                  "unl " H1 " 0 0 0 25 3600\n",
                                  err, sizeof err);
    struct td_key *lim = td_keys_find(k, K0), *unl = td_keys_find(k, K1);
    CHECK(lim && unl);
    if (!lim || !unl) {
        td_keys_free(&k);
        return;
    }
    struct td_quota_view v;
    td_quota_view(lim, T0 + 50, &v);
    CHECK_EQ(v.limit, 1000);
    CHECK_EQ(v.remaining, 1000);
    CHECK_EQ(v.reset, 1433980800); /* REFERENCE.md's example */
    CHECK_EQ(v.results_max, 1000000);
    CHECK_EQ(v.offset_max, 3000000);
    CHECK(v.burst_size == UINT64_MAX);
    CHECK(v.burst_window == UINT64_MAX);
    td_quota_charge(k, lim, T0 + 50, err, sizeof err);
    td_quota_view(lim, T0 + 60, &v);
    CHECK_EQ(v.remaining, 999);
    /* yesterday's count does not show the next day */
    td_quota_view(lim, T0 + DAY, &v);
    CHECK_EQ(v.remaining, 1000);
    CHECK_EQ(v.reset, 1433980800 + DAY);
    /* exhausted: 0, never below */
    lim->used_today = 5000;
    td_quota_view(lim, T0 + 70, &v);
    CHECK_EQ(v.remaining, 0);

    td_quota_view(unl, T0, &v);
    CHECK(v.limit == UINT64_MAX);     /* "unlimited" */
    CHECK(v.remaining == UINT64_MAX); /* "n/a" */
    CHECK_EQ(v.reset, 0);             /* "n/a" */
    CHECK(v.results_max == UINT64_MAX);
    CHECK(v.offset_max == UINT64_MAX); /* offsets refused: "n/a" */
    CHECK_EQ(v.burst_size, 25);
    CHECK_EQ(v.burst_window, 3600);
    td_keys_free(&k);

    /* a daily limit of 2^64-1 is shown as unlimited too (found by fuzz_keys) */
    k = load_text("max " H0 " 18446744073709551615 0 0 0 0\n", err, sizeof err);
    lim = td_keys_find(k, K0);
    CHECK_EQ(td_quota_charge(k, lim, T0, err, sizeof err), 0);
    td_quota_view(lim, T0, &v);
    CHECK(v.limit == UINT64_MAX);
    CHECK(v.remaining == UINT64_MAX);
    CHECK_EQ(v.reset, 0);
    td_keys_free(&k);
}

static void test_state(void)
{
    char err[256] = "";
    write_text(kpath, "a " H0 " 10 0 0 5 60\nb " H1 " 0 0 0 0 0\nc " H2 " 0 0 0 0 0\n");
    unlink(spath);
    struct td_keys *k = td_keys_load(kpath, spath, err, sizeof err); /* missing state: zeros */
    CHECK(k != NULL);
    if (!k)
        return;
    struct td_key *a = td_keys_find(k, K0), *b = td_keys_find(k, K1);
    CHECK_EQ(a->used_today, 0);
    /* nothing charged: nothing written */
    CHECK_EQ(td_quota_save_if_dirty(k, T0, 1, err, sizeof err), 0);
    CHECK_EQ(access(spath, F_OK), -1);
    for (int i = 0; i < 3; i++)
        CHECK_EQ(td_quota_charge(k, a, T0 + 10, err, sizeof err), 0);
    CHECK_EQ(td_quota_charge(k, b, T0 + 11, err, sizeof err), 0);
    CHECK_EQ(td_quota_save_if_dirty(k, T0 + 11, 0, err, sizeof err), 0);
    CHECK_STR(slurp(spath), "tapdns-quota 1\n"
                            "a 16596 3 1433894410 3\n"
                            "b 16596 1 0 0\n"
                            "c 0 0 0 0\n");
    /* rate limiting: another charge in the same second is not written yet */
    CHECK_EQ(td_quota_charge(k, a, T0 + 11, err, sizeof err), 0);
    CHECK_EQ(td_quota_save_if_dirty(k, T0 + 11, 0, err, sizeof err), 0);
    CHECK(strstr(slurp(spath), "a 16596 3 ") != NULL);
    /* a second later it is */
    CHECK_EQ(td_quota_save_if_dirty(k, T0 + 12, 0, err, sizeof err), 0);
    CHECK(strstr(slurp(spath), "a 16596 4 1433894410 4\n") != NULL);
    /* force writes within the same second (shutdown) */
    CHECK_EQ(td_quota_charge(k, a, T0 + 12, err, sizeof err), 0);
    CHECK_EQ(td_quota_save_if_dirty(k, T0 + 12, 0, err, sizeof err), 0);
    CHECK(strstr(slurp(spath), "a 16596 4 ") != NULL);
    CHECK_EQ(td_quota_save_if_dirty(k, T0 + 12, 1, err, sizeof err), 0);
    CHECK(strstr(slurp(spath), "a 16596 5 1433894410 5\n") != NULL);
    struct stat st;
    CHECK_EQ(stat(spath, &st), 0);
    CHECK_EQ(st.st_mode & 0777, 0600);
    td_keys_free(&k);

    /* restart: the counts are kept; the burst cap (5) and daily limit still hold */
    k = td_keys_load(kpath, spath, err, sizeof err);
    CHECK(k != NULL);
    if (!k)
        return;
    a = td_keys_find(k, K0);
    CHECK_EQ(a->used_today, 5);
    CHECK_EQ(a->burst_used, 5);
    CHECK_EQ(td_quota_charge(k, a, T0 + 20, err, sizeof err), 429);
    CHECK_EQ(td_quota_charge(k, a, T0 + 70, err, sizeof err), 0); /* new burst window */
    struct td_quota_view v;
    td_quota_view(a, T0 + 70, &v);
    CHECK_EQ(v.remaining, 4);
    td_keys_free(&k);

    /* state lines of deleted keys are ignored */
    write_text(spath, "tapdns-quota 1\nzed 16596 7 0 0\nb 16596 9 0 0\n");
    k = td_keys_load(kpath, spath, err, sizeof err);
    CHECK(k != NULL);
    if (k) {
        CHECK_EQ(td_keys_find(k, K1)->used_today, 9);
        td_keys_free(&k);
    }

    /* malformed state files */
    static const struct {
        const char *text, *err_suffix;
    } bad[] = {
        {"a 16596 3 0 0\n", ":1: not a quota state file (no \"tapdns-quota 1\" line)"},
        {"tapdns-quota 2\n", ":1: unknown quota state version 2"},
        {"# only a comment\n", ": not a quota state file (no \"tapdns-quota 1\" line)"},
        {"tapdns-quota 1\na 16596 3 0\n", ":2: expected NAME DAY USED BURST_START BURST_USED, got 4 fields"},
        {"tapdns-quota 1\na 4294967296 3 0 0\n", ":2: bad day"},
        {"tapdns-quota 1\na 1 x 0 0\n", ":2: bad counter (a decimal number)"},
        {"tapdns-quota 1\n\na 1 1 0 0\na 1 1 0 0\n", ":4: duplicate key name a"},
        {"tapdns-quota 1\na/b 1 1 0 0\n", ":2: bad key name"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char want[512];
        write_text(spath, bad[i].text);
        err[0] = '\0';
        k = td_keys_load(kpath, spath, err, sizeof err);
        CHECK(k == NULL);
        td_keys_free(&k);
        snprintf(want, sizeof want, "%s%s", spath, bad[i].err_suffix);
        CHECK_STR(err, want);
    }
    /* an empty state file is all zeros */
    write_text(spath, "");
    k = td_keys_load(kpath, spath, err, sizeof err);
    CHECK(k != NULL);
    td_keys_free(&k);

    /* no state path: charges work, saving is a no-op */
    k = td_keys_load(kpath, NULL, err, sizeof err);
    a = td_keys_find(k, K0);
    CHECK_EQ(td_quota_charge(k, a, T0, err, sizeof err), 0);
    CHECK_EQ(td_quota_save_if_dirty(k, T0 + 5, 1, err, sizeof err), 0);
    td_keys_free(&k);
    unlink(spath);
}

static void test_max(void)
{
    char err[256] = "";
    char *text = malloc((size_t)(TD_KEYS_MAX + 1) * 100);
    size_t off = 0;
    for (int i = 0; i < TD_KEYS_MAX; i++)
        off += (size_t)sprintf(text + off, "k%d %s 0 0 0 0 0\n", i, H0);
    struct td_keys *k = load_text(text, err, sizeof err);
    CHECK(k != NULL);
    CHECK_EQ(td_keys_count(k), TD_KEYS_MAX);
    char ks[TD_KEY_STRING_LEN + 1];
    CHECK_EQ(td_keys_add(k, "one_more", 0, 0, 0, 0, 0, ks, err, sizeof err), -1);
    CHECK_STR(err, "too many keys (4096)");
    td_keys_free(&k);
    sprintf(text + off, "k%d %s 0 0 0 0 0\n", TD_KEYS_MAX, H0);
    k = load_text(text, err, sizeof err);
    CHECK(k == NULL);
    char want[256];
    snprintf(want, sizeof want, "%s:4097: more than 4096 keys", kpath);
    CHECK_STR(err, want);
    free(text);

    /* TD_KEYS_MAX - 1 keys: one add fits */
    write_text(kpath, "");
    k = td_keys_load(kpath, NULL, err, sizeof err);
    int fails = 0;
    for (int i = 0; i < TD_KEYS_MAX; i++) {
        char name[16];
        snprintf(name, sizeof name, "n%d", i);
        fails += td_keys_add(k, name, 0, 0, 0, 0, 0, ks, err, sizeof err) != 0;
    }
    CHECK_EQ(fails, 0);
    CHECK(td_keys_find(k, ks) == td_keys_at(k, TD_KEYS_MAX - 1));
    td_keys_free(&k);
}

int main(void)
{
    snprintf(dir, sizeof dir, "/tmp/test_keys.XXXXXX");
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    snprintf(kpath, sizeof kpath, "%s/keys", dir);
    snprintf(spath, sizeof spath, "%s/quota", dir);
    TT_RUN(test_round_trip);
    TT_RUN(test_malformed);
    TT_RUN(test_add_revoke_find);
    TT_RUN(test_daily);
    TT_RUN(test_burst);
    TT_RUN(test_view);
    TT_RUN(test_state);
    TT_RUN(test_max);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0)
        return 1;
    return tt_finish();
}
