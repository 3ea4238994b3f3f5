/* Unit tests for lib/config.c: syntax accepted, every parse error with its exact message
 * and line, every typed getter over tables of good and bad values (including overflow
 * limits), check_known and split_list. */
#include "config.h"
#include "tt.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static struct td_config *P(const char *text, char *err)
{
    err[0] = 0;
    return td_config_parse(text, strlen(text), "t.conf", err, 256);
}

static void test_syntax_ok(void)
{
    char err[256];
    const char *text =
        "\xef\xbb\xbf" "top = 1\n"
        "# comment\n"
        "; another\n"
        "\n"
        "[capture]\n"
        "interface = eth0   \n"
        "    snaplen = 65535\n"               /* indented: a key, not a continuation */
        "\tpromisc=yes ; inline comment\n"
        "filter = port 53 # not a comment\n"
        "semi = a;b\n"
        "empty =\n"
        "colon: value here\r\n"
        "[spool]  ; trailing comment\n"
        "dir = /var/spool/tapdns\n"
        "[capture]\n"
        "other = x\n"
        "interface = in-spool-too";           /* no final newline, different section? no: capture */
    /* the last key is a duplicate of capture.interface: check the rest without it first */
    size_t cut = strlen(text) - strlen("interface = in-spool-too");
    struct td_config *c = td_config_parse(text, cut, "t.conf", err, sizeof err);
    CHECK(c != NULL);
    if (!c) {
        printf("#   %s\n", err);
        return;
    }
    CHECK_STR(td_config_get(c, "", "top"), "1");
    CHECK_STR(td_config_get(c, NULL, "top"), "1");
    CHECK_STR(td_config_get(c, "capture", "interface"), "eth0");
    CHECK_STR(td_config_get(c, "capture", "snaplen"), "65535");
    CHECK_STR(td_config_get(c, "capture", "promisc"), "yes");
    CHECK_STR(td_config_get(c, "capture", "filter"), "port 53 # not a comment");
    CHECK_STR(td_config_get(c, "capture", "semi"), "a;b");
    CHECK_STR(td_config_get(c, "capture", "empty"), "");
    CHECK_STR(td_config_get(c, "capture", "colon"), "value here");
    CHECK_STR(td_config_get(c, "spool", "dir"), "/var/spool/tapdns");
    CHECK_STR(td_config_get(c, "capture", "other"), "x");
    CHECK(td_config_get(c, "capture", "dir") == NULL);
    CHECK(td_config_get(c, "spool", "interface") == NULL);
    CHECK(td_config_get(c, "", "interface") == NULL);
    CHECK(td_config_get(c, "Capture", "interface") == NULL); /* case-sensitive */
    td_config_free(&c);
    CHECK(c == NULL);
    td_config_free(&c); /* harmless */

    c = td_config_parse(text, strlen(text), "t.conf", err, sizeof err);
    CHECK(c == NULL);
    CHECK_STR(err, "t.conf:17: duplicate key capture.interface (first set on line 6)");

    /* same key in two sections, and empty input */
    c = P("[a]\nk = 1\n[b]\nk = 2\n", err);
    CHECK(c != NULL);
    CHECK_STR(td_config_get(c, "a", "k"), "1");
    CHECK_STR(td_config_get(c, "b", "k"), "2");
    td_config_free(&c);
    c = P("", err);
    CHECK(c != NULL);
    CHECK(td_config_get(c, "", "x") == NULL);
    td_config_free(&c);
    c = td_config_parse(NULL, 0, NULL, err, sizeof err);
    CHECK(c != NULL);
    td_config_free(&c);
}

static void test_parse_errors(void)
{
    static const struct { const char *text; const char *err; } cases[] = {
        { "a = 1\nnovalue\n", "t.conf:2: syntax error (expected '[section]' or 'key = value')" },
        { "[a\nk = 1\n", "t.conf:1: syntax error: missing ']' in section header" },
        { "k = 1\n[a] x\n", "t.conf:2: syntax error: text after section header" },
        { "[ a ]\n", "t.conf:1: invalid section name ' a ' (1-48 octets of letters, digits, '_', '-')" },
        { "[]\n", "t.conf:1: invalid section name '' (1-48 octets of letters, digits, '_', '-')" },
        { "[a.b]\n", "t.conf:1: invalid section name 'a.b' (1-48 octets of letters, digits, '_', '-')" },
        { "[aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa]\n",
          "t.conf:1: invalid section name 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa' (1-48 octets of letters, digits, '_', '-')" },
        { "[a]\na b = 1\n", "t.conf:2: invalid key name 'a b' (1-48 octets of letters, digits, '_', '-')" },
        { "= 1\n", "t.conf:1: invalid key name '' (1-48 octets of letters, digits, '_', '-')" },
        { "a.b = 1\n", "t.conf:1: invalid key name 'a.b' (1-48 octets of letters, digits, '_', '-')" },
        { "x = 1\nx = 2\n", "t.conf:2: duplicate key x (first set on line 1)" },
        { "[s]\nx = 1\n[t]\n[s]\n x=3\n", "t.conf:5: duplicate key s.x (first set on line 2)" },
        /* the first error wins */
        { "[s]\nbad\nx = 1\nx = 2\n", "t.conf:2: syntax error (expected '[section]' or 'key = value')" },
        { "[s]\nx = 1\nx = 2\nbad\n", "t.conf:3: duplicate key s.x (first set on line 2)" },
        { "[s]\nbad\n[ x ]\n", "t.conf:2: syntax error (expected '[section]' or 'key = value')" },
    };
    char err[256];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct td_config *c = P(cases[i].text, err);
        CHECK(c == NULL);
        CHECK_STR(err, cases[i].err);
        td_config_free(&c);
    }
    /* 48 octets is the longest name */
    struct td_config *c = P("[aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa]\n"
                            "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb = 1\n", err);
    CHECK(c != NULL);
    CHECK_STR(td_config_get(c, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
                            "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"), "1");
    td_config_free(&c);
    /* a small err buffer is truncated, never overrun */
    char small[12];
    memset(small, 'X', sizeof small);
    c = td_config_parse("x\n", 2, "t.conf", small, 8);
    CHECK(c == NULL);
    CHECK_STR(small, "t.conf:");
    CHECK_EQ(small[8], 'X');
    c = td_config_parse("x\n", 2, "t.conf", NULL, 0);
    CHECK(c == NULL);
}

static void test_limits(void)
{
    char err[256];
    /* NUL octet */
    static const char nul[] = "a = 1\nb = x\0y\n";
    struct td_config *c = td_config_parse(nul, sizeof nul - 1, "t.conf", err, sizeof err);
    CHECK(c == NULL);
    CHECK_STR(err, "t.conf:2: NUL octet in line");
    /* line length: 4096 octets pass, 4097 do not */
    size_t n = 10 + 4097 + 10;
    char *t = malloc(n + 1);
    CHECK(t != NULL);
    if (t) {
        strcpy(t, "[s]\n");
        size_t vlen = 4096 - 4;
        memcpy(t + 4, "k = ", 4);
        memset(t + 8, 'v', vlen);
        t[8 + vlen] = '\n';
        c = td_config_parse(t, 8 + vlen + 1, "t.conf", err, sizeof err);
        CHECK(c != NULL);
        if (c)
            CHECK_EQ(strlen(td_config_get(c, "s", "k")), vlen);
        td_config_free(&c);
        memset(t + 8, 'v', vlen + 1);
        c = td_config_parse(t, 8 + vlen + 1, "t.conf", err, sizeof err);
        CHECK(c == NULL);
        CHECK_STR(err, "t.conf:2: line too long (max 4096 octets)");
        free(t);
    }
    /* number of keys */
    size_t cap = 1100 * 16;
    char *k = malloc(cap);
    CHECK(k != NULL);
    if (k) {
        size_t len = 0;
        for (int i = 0; i < 1024; i++)
            len += (size_t)snprintf(k + len, cap - len, "k%d = %d\n", i, i);
        c = td_config_parse(k, len, "t.conf", err, sizeof err);
        CHECK(c != NULL);
        CHECK_STR(td_config_get(c, "", "k1023"), "1023");
        td_config_free(&c);
        len += (size_t)snprintf(k + len, cap - len, "k1024 = 1\n");
        c = td_config_parse(k, len, "t.conf", err, sizeof err);
        CHECK(c == NULL);
        CHECK_STR(err, "t.conf:1025: too many keys (max 1024)");
        free(k);
    }
    /* input size */
    char *big = calloc(1024 * 1024 + 1, 1);
    if (big) {
        memset(big, '\n', 1024 * 1024 + 1);
        c = td_config_parse(big, 1024 * 1024, "t.conf", err, sizeof err);
        CHECK(c != NULL);
        td_config_free(&c);
        c = td_config_parse(big, 1024 * 1024 + 1, "t.conf", err, sizeof err);
        CHECK(c == NULL);
        CHECK_STR(err, "t.conf: file too large (max 1048576 octets)");
        free(big);
    }
}

static void test_load(void)
{
    char err[256];
    struct td_config *c = td_config_load("/nonexistent/tapdns.conf", err, sizeof err);
    CHECK(c == NULL);
    CHECK_STR(err, "/nonexistent/tapdns.conf: cannot open: No such file or directory");
    char path[] = "/tmp/test_config_XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    if (fd < 0)
        return;
    const char *text = "[spool]\ndir = /x\nmax = lots\n";
    CHECK_EQ(write(fd, text, strlen(text)), (long long)strlen(text));
    close(fd);
    c = td_config_load(path, err, sizeof err);
    CHECK(c != NULL);
    if (c) {
        CHECK_STR(td_config_get(c, "spool", "dir"), "/x");
        uint64_t v = 7;
        CHECK_EQ(td_config_get_size(c, "spool", "max", 1, &v, err, sizeof err), -1);
        char want[512];
        snprintf(want, sizeof want, "%s:3: spool.max: expected a size like 64K, 16M or 2G, got 'lots'", path);
        CHECK_STR(err, want);
        CHECK_EQ(v, 7); /* untouched on error */
    }
    td_config_free(&c);
    c = td_config_load("/tmp", err, sizeof err); /* a directory: unreadable */
    CHECK(c == NULL);
    CHECK_STR(err, "/tmp: cannot read: Is a directory");
    unlink(path);
}

enum kind { U64, SIZE, DUR, BOOL };
struct vcase { enum kind k; const char *value; int ok; uint64_t want; const char *err; };

static void test_getters(void)
{
#define NUM "expected a number"
#define SZ "expected a size like 64K, 16M or 2G"
#define DU "expected a duration like 500ms, 30s, 5m, 1h or 2d"
#define BO "expected true/false, yes/no, on/off or 1/0"
    static const struct vcase cases[] = {
        { U64, "0", 1, 0, 0 }, { U64, "42", 1, 42, 0 }, { U64, "007", 1, 7, 0 },
        { U64, "18446744073709551615", 1, UINT64_MAX, 0 },
        { U64, "18446744073709551616", 0, 0, "number too large" },
        { U64, "99999999999999999999999", 0, 0, "number too large" },
        { U64, "abc", 0, 0, NUM }, { U64, "", 0, 0, NUM }, { U64, "-1", 0, 0, NUM },
        { U64, "+1", 0, 0, NUM }, { U64, "1.5", 0, 0, NUM }, { U64, "1k", 0, 0, NUM },
        { U64, "0x10", 0, 0, NUM }, { U64, "1 2", 0, 0, NUM },
        { SIZE, "0", 1, 0, 0 }, { SIZE, "512", 1, 512, 0 }, { SIZE, "64K", 1, 65536, 0 },
        { SIZE, "64k", 1, 65536, 0 }, { SIZE, "16M", 1, 16777216, 0 }, { SIZE, "2G", 1, 2147483648ULL, 0 },
        { SIZE, "1T", 1, 1099511627776ULL, 0 }, { SIZE, "16777215T", 1, 16777215ULL << 40, 0 },
        { SIZE, "16777216T", 0, 0, "size too large" },
        { SIZE, "18446744073709551615", 1, UINT64_MAX, 0 },
        { SIZE, "18446744073709551615K", 0, 0, "size too large" },
        { SIZE, "1KB", 0, 0, SZ }, { SIZE, "K", 0, 0, SZ }, { SIZE, "1P", 0, 0, SZ },
        { SIZE, "1.5G", 0, 0, SZ }, { SIZE, "", 0, 0, SZ }, { SIZE, "-1K", 0, 0, SZ },
        { DUR, "30s", 1, 30000000000ULL, 0 }, { DUR, "5m", 1, 300000000000ULL, 0 },
        { DUR, "1h", 1, 3600000000000ULL, 0 }, { DUR, "2d", 1, 172800000000000ULL, 0 },
        { DUR, "500ms", 1, 500000000ULL, 0 }, { DUR, "7us", 1, 7000, 0 }, { DUR, "9ns", 1, 9, 0 },
        { DUR, "10", 1, 10000000000ULL, 0 }, { DUR, "0", 1, 0, 0 }, { DUR, "0s", 1, 0, 0 },
        { DUR, "18446744073s", 1, 18446744073000000000ULL, 0 },
        { DUR, "18446744074s", 0, 0, "duration too large" },
        { DUR, "213503d", 1, 213503ULL * 86400000000000ULL, 0 },
        { DUR, "213504d", 0, 0, "duration too large" },
        { DUR, "18446744073709551615ns", 1, UINT64_MAX, 0 },
        { DUR, "18446744073709551616ns", 0, 0, "duration too large" },
        { DUR, "1.5s", 0, 0, DU }, { DUR, "5M", 0, 0, DU }, { DUR, "1h30m", 0, 0, DU },
        { DUR, "s", 0, 0, DU }, { DUR, "", 0, 0, DU }, { DUR, "5 s", 0, 0, DU }, { DUR, "1w", 0, 0, DU },
        { BOOL, "true", 1, 1, 0 }, { BOOL, "TRUE", 1, 1, 0 }, { BOOL, "yes", 1, 1, 0 },
        { BOOL, "On", 1, 1, 0 }, { BOOL, "1", 1, 1, 0 }, { BOOL, "false", 1, 0, 0 },
        { BOOL, "No", 1, 0, 0 }, { BOOL, "off", 1, 0, 0 }, { BOOL, "0", 1, 0, 0 },
        { BOOL, "2", 0, 0, BO }, { BOOL, "", 0, 0, BO }, { BOOL, "y", 0, 0, BO }, { BOOL, "truee", 0, 0, BO },
    };
    char text[512], err[256], want[512];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const struct vcase *v = &cases[i];
        snprintf(text, sizeof text, "# line 1\n[sec]\nkey = %s\n", v->value);
        struct td_config *c = P(text, err);
        CHECK(c != NULL);
        if (!c)
            continue;
        uint64_t out = 12345;
        int bout = 77, rc = 0;
        err[0] = 0;
        switch (v->k) {
        case U64: rc = td_config_get_u64(c, "sec", "key", 1, &out, err, sizeof err); break;
        case SIZE: rc = td_config_get_size(c, "sec", "key", 1, &out, err, sizeof err); break;
        case DUR: rc = td_config_get_duration_ns(c, "sec", "key", 1, &out, err, sizeof err); break;
        case BOOL: rc = td_config_get_bool(c, "sec", "key", 1, &bout, err, sizeof err); out = (uint64_t)bout; break;
        }
        if (v->ok) {
            if (rc != 0 || out != v->want)
                printf("#   case %zu '%s': rc %d out %llu err %s\n", i, v->value, rc, (unsigned long long)out, err);
            CHECK_EQ(rc, 0);
            CHECK(out == v->want);
        } else {
            snprintf(want, sizeof want, "t.conf:3: sec.key: %s, got '%s'", v->err, v->value);
            CHECK_EQ(rc, -1);
            CHECK_STR(err, want);
            CHECK(out == (v->k == BOOL ? 77u : 12345u));
        }
        td_config_free(&c);
    }
    /* absent keys give the default; document-section names in messages */
    struct td_config *c = P("n = abc\n[s]\n", err);
    CHECK(c != NULL);
    uint64_t out = 0;
    int b = 0;
    CHECK_EQ(td_config_get_u64(c, "s", "n", 99, &out, err, sizeof err), 0);
    CHECK_EQ(out, 99);
    CHECK_EQ(td_config_get_size(c, "s", "n", 64, &out, err, sizeof err), 0);
    CHECK_EQ(out, 64);
    CHECK_EQ(td_config_get_duration_ns(c, "s", "n", 5, &out, err, sizeof err), 0);
    CHECK_EQ(out, 5);
    CHECK_EQ(td_config_get_bool(c, "s", "n", 1, &b, err, sizeof err), 0);
    CHECK_EQ(b, 1);
    CHECK_EQ(td_config_get_u64(c, "", "n", 99, &out, err, sizeof err), -1);
    CHECK_STR(err, "t.conf:1: n: expected a number, got 'abc'");
    /* a NULL config behaves as an empty one */
    CHECK_EQ(td_config_get_u64(NULL, "s", "n", 3, &out, err, sizeof err), 0);
    CHECK_EQ(out, 3);
    CHECK(td_config_get(NULL, "s", "n") == NULL);
    td_config_free(&c);
}

static void test_check_known(void)
{
    char err[256];
    static const char *const known[] = { "capture.interface", "capture.snaplen", "spool.dir", "sensor", NULL };
    struct td_config *c = P("sensor = s1\n[capture]\ninterface = eth0\n[spool]\ndir = /x\n", err);
    CHECK(c != NULL);
    CHECK_EQ(td_config_check_known(c, known, err, sizeof err), 0);
    td_config_free(&c);
    c = P("sensor = s1\n[capture]\ninterface = eth0\nsnaplne = 9\n", err);
    CHECK_EQ(td_config_check_known(c, known, err, sizeof err), -1);
    CHECK_STR(err, "t.conf:4: unknown key capture.snaplne");
    td_config_free(&c);
    c = P("dir = /x\n", err);
    CHECK_EQ(td_config_check_known(c, known, err, sizeof err), -1);
    CHECK_STR(err, "t.conf:1: unknown key dir");
    td_config_free(&c);
    c = P("[spool]\nsensor = x\n", err);
    CHECK_EQ(td_config_check_known(c, known, err, sizeof err), -1);
    CHECK_STR(err, "t.conf:2: unknown key spool.sensor");
    td_config_free(&c);
    c = P("[spool]\ndir = x\n", err);
    static const char *const none[] = { NULL };
    CHECK_EQ(td_config_check_known(c, none, err, sizeof err), -1);
    CHECK_STR(err, "t.conf:2: unknown key spool.dir");
    td_config_free(&c);
    c = P("", err);
    CHECK_EQ(td_config_check_known(c, none, err, sizeof err), 0);
    td_config_free(&c);
}

static void test_split_list(void)
{
    char items[8][256], err[256];
    CHECK_EQ(td_config_split_list("a, b c", items, 8, err, sizeof err), 3);
    CHECK_STR(items[0], "a");
    CHECK_STR(items[1], "b");
    CHECK_STR(items[2], "c");
    CHECK_EQ(td_config_split_list(" ,,10.0.0.0/8,,\t192.168.0.0/16 ,", items, 8, err, sizeof err), 2);
    CHECK_STR(items[0], "10.0.0.0/8");
    CHECK_STR(items[1], "192.168.0.0/16");
    CHECK_EQ(td_config_split_list("", items, 8, err, sizeof err), 0);
    CHECK_EQ(td_config_split_list(" , ", items, 8, err, sizeof err), 0);
    CHECK_EQ(td_config_split_list(NULL, items, 8, err, sizeof err), 0);
    CHECK_EQ(td_config_split_list("single", items, 1, err, sizeof err), 1);
    CHECK_STR(items[0], "single");
    CHECK_EQ(td_config_split_list("a b c", items, 2, err, sizeof err), -1);
    CHECK_STR(err, "too many list items (max 2)");
    char v[300];
    memset(v, 'x', 255);
    v[255] = 0;
    CHECK_EQ(td_config_split_list(v, items, 8, err, sizeof err), 1);
    CHECK_EQ(strlen(items[0]), 255);
    memset(v, 'y', 256);
    v[256] = 0;
    CHECK_EQ(td_config_split_list(v, items, 8, err, sizeof err), -1);
    CHECK_STR(err, "list item too long (max 255 octets): 'yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy...'");
}

int main(void)
{
    TT_RUN(test_syntax_ok);
    TT_RUN(test_parse_errors);
    TT_RUN(test_limits);
    TT_RUN(test_load);
    TT_RUN(test_getters);
    TT_RUN(test_check_known);
    TT_RUN(test_split_list);
    return tt_finish();
}
