/* Tests for batch/filter.c: each rule kind with exact rule numbers; "x" vs "*.x" vs "**.x"
 * at x, below x, two below x and at a name that only ends with x's text; case; lowest rule
 * wins across kinds; regex anchors and escaped owners; 5000 regex + 5000 name rules against a
 * reference model (POSIX regex + td_dns_name_is_below over every rule); error texts of bad
 * regexes and bad rules files with line numbers; rule texts as written. Prints ns per check
 * with 10 and 10 000 rules of each kind (not asserted). */
#include "dns_wire.h"
#include "filter.h"
#include "tt.h"

#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* text -> wire, case kept */
static int W(const char *text, uint8_t *out)
{
    return td_dns_name_from_text(text, out, TD_DNS_NAME_MAX);
}

static int chk(const struct td_filter *f, const char *owner, uint16_t type)
{
    uint8_t w[TD_DNS_NAME_MAX];
    int n = W(owner, w);
    if (n <= 0) {
        printf("#   bad test owner %s\n", owner);
        return -100;
    }
    return td_filter_check(f, w, (size_t)n, type);
}

static struct td_filter *mk(const char *const *rules, int n)
{
    char err[256];
    struct td_filter *f = td_filter_init();
    for (int i = 0; i < n; i++) {
        const char *r = rules[i];
        int got;
        if (strcmp(r, "soa") == 0)
            got = td_filter_add_soa(f, err, sizeof err);
        else if (strncmp(r, "name ", 5) == 0)
            got = td_filter_add_name(f, r + 5, err, sizeof err);
        else if (strncmp(r, "regex ", 6) == 0)
            got = td_filter_add_regex(f, r + 6, err, sizeof err);
        else
            got = td_filter_add_local_zone(f, r + 6, err, sizeof err);
        if (got != i + 1)
            printf("#   rule %s got %d: %s\n", r, got, err);
    }
    if (td_filter_compile(f, err, sizeof err) != 0)
        printf("#   compile: %s\n", err);
    return f;
}

static void test_each_kind(void)
{
    static const char *const rules[] = {
        "soa", "name exact.test", "name *.below.test", "name **.self.test",
        "local corp.internal", "regex ^ads\\.",
    };
    struct td_filter *f = mk(rules, 6);
    CHECK_EQ(td_filter_rule_count(f), 6);
    CHECK_EQ(chk(f, "example.com", 6), 1);
    CHECK_EQ(chk(f, "example.com", 1), 0);
    CHECK_EQ(chk(f, "exact.test", 1), 2);
    CHECK_EQ(chk(f, "a.exact.test", 1), 0);
    CHECK_EQ(chk(f, "a.below.test", 28), 3);
    CHECK_EQ(chk(f, "below.test", 28), 0);
    CHECK_EQ(chk(f, "self.test", 16), 4);
    CHECK_EQ(chk(f, "x.y.self.test", 16), 4);
    CHECK_EQ(chk(f, "corp.internal", 1), 5);
    CHECK_EQ(chk(f, "host.corp.internal", 1), 5);
    CHECK_EQ(chk(f, "internal", 1), 0);
    CHECK_EQ(chk(f, "ads.example.net", 1), 6);
    CHECK_EQ(chk(f, "bads.example.net", 1), 0);
    CHECK_EQ(chk(f, "ads.corp.internal", 1), 5); /* local (5) before regex (6) */
    CHECK_EQ(chk(f, "ads.corp.internal", 6), 1); /* soa (1) first */
    CHECK_STR(td_filter_rule_text(f, 1), "soa");
    CHECK_STR(td_filter_rule_text(f, 2), "name exact.test");
    CHECK_STR(td_filter_rule_text(f, 3), "name *.below.test");
    CHECK_STR(td_filter_rule_text(f, 4), "name **.self.test");
    CHECK_STR(td_filter_rule_text(f, 5), "local corp.internal");
    CHECK_STR(td_filter_rule_text(f, 6), "regex ^ads\\.");
    CHECK(td_filter_rule_text(f, 0) == NULL);
    CHECK(td_filter_rule_text(f, 7) == NULL);
    CHECK(td_filter_rule_text(f, -1) == NULL);
    td_filter_destroy(&f);
    CHECK(f == NULL);
    td_filter_destroy(&f);
}

/* one rule at a time, then the same owners against a filter holding all three */
static void test_wildcard_forms(void)
{
    static const struct { const char *rule, *owner; int match; } cases[] = {
        {"name example.com", "example.com", 1},
        {"name example.com", "a.example.com", 0},
        {"name example.com", "b.a.example.com", 0},
        {"name example.com", "xexample.com", 0},
        {"name example.com", "com", 0},
        {"name *.example.com", "example.com", 0},
        {"name *.example.com", "a.example.com", 1},
        {"name *.example.com", "b.a.example.com", 1},
        {"name *.example.com", "xexample.com", 0},
        {"name *.example.com", "a.xexample.com", 0},
        {"name *.example.com", "com", 0},
        {"name **.example.com", "example.com", 1},
        {"name **.example.com", "a.example.com", 1},
        {"name **.example.com", "b.a.example.com", 1},
        {"name **.example.com", "xexample.com", 0},
        {"name **.example.com", "example.com.evil", 0},
        {"name **.example.com", "com", 0},
        {"local example.com", "example.com", 1},
        {"local example.com", "b.a.example.com", 1},
        {"local example.com", "xexample.com", 0},
        {"name example.com.", "example.com", 1},       /* trailing dot optional */
        {"name **.", "example.com", 1},                /* the root and everything */
        {"name **.", ".", 1},
        {"name *.", ".", 0},
        {"name *.", "com", 1},
        {"name *", "com", 1},
        {"name **", ".", 1},
        {"name .", ".", 1},
        {"name .", "com", 0},
        {"name a\\.b.example.com", "a\\.b.example.com", 1}, /* a dot inside a label */
        {"name a\\.b.example.com", "b.example.com", 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        const char *r = cases[i].rule;
        struct td_filter *f = mk(&r, 1);
        int got = chk(f, cases[i].owner, 1);
        if (got != cases[i].match)
            TT_FAIL("case %zu: rule \"%s\" owner %s -> %d, expected %d", i, r, cases[i].owner,
                    got, cases[i].match);
        td_filter_destroy(&f);
    }
    /* all three at once: 1 = x, 2 = *.x, 3 = **.x */
    static const char *const three[] = { "name x.test", "name *.x.test", "name **.x.test" };
    struct td_filter *f = mk(three, 3);
    CHECK_EQ(chk(f, "x.test", 1), 1);
    CHECK_EQ(chk(f, "a.x.test", 1), 2);
    CHECK_EQ(chk(f, "b.a.x.test", 1), 2);
    CHECK_EQ(chk(f, "xx.test", 1), 0);
    CHECK_EQ(chk(f, "a.xx.test", 1), 0);
    td_filter_destroy(&f);
    /* reversed order: **.x is rule 1 and wins everywhere it matches */
    static const char *const rev[] = { "name **.x.test", "name *.x.test", "name x.test" };
    f = mk(rev, 3);
    CHECK_EQ(chk(f, "x.test", 1), 1);
    CHECK_EQ(chk(f, "a.x.test", 1), 1);
    CHECK_EQ(chk(f, "xx.test", 1), 0);
    td_filter_destroy(&f);
}

static void test_case_insensitive(void)
{
    static const char *const rules[] = {
        "name **.example.com", "name Exact.Example.ORG", "local CORP.Internal", "regex ^www\\.",
    };
    struct td_filter *f = mk(rules, 4);
    CHECK_EQ(chk(f, "WWW.EXAMPLE.COM", 1), 1);
    CHECK_EQ(chk(f, "Example.Com", 1), 1);
    CHECK_EQ(chk(f, "exact.example.org", 1), 2);
    CHECK_EQ(chk(f, "EXACT.EXAMPLE.ORG", 1), 2);
    CHECK_EQ(chk(f, "a.corp.INTERNAL", 1), 3);
    CHECK_EQ(chk(f, "WWW.Other.NET", 1), 4);
    CHECK_STR(td_filter_rule_text(f, 2), "name Exact.Example.ORG"); /* as written */
    td_filter_destroy(&f);
    /* the owner buffer itself is not modified */
    static const char *const one[] = { "name **.example.com" };
    f = mk(one, 1);
    uint8_t w[TD_DNS_NAME_MAX], copy[TD_DNS_NAME_MAX];
    int n = W("WWW.EXAMPLE.COM", w);
    memcpy(copy, w, (size_t)n);
    CHECK_EQ(td_filter_check(f, w, (size_t)n, 1), 1);
    CHECK_MEM(w, copy, (size_t)n);
    td_filter_destroy(&f);
}

static void test_lowest_wins(void)
{
    static const char *const rules[] = {
        "regex \\.com\\.$", "name **.example.com", "soa", "name www.example.com",
        "regex ^www\\.", "local example.com", "name *.com",
    };
    struct td_filter *f = mk(rules, 7);
    CHECK_EQ(chk(f, "www.example.com", 1), 1);
    CHECK_EQ(chk(f, "www.example.com", 6), 1);
    CHECK_EQ(chk(f, "www.example.net", 1), 5);
    CHECK_EQ(chk(f, "www.example.net", 6), 3);
    CHECK_EQ(chk(f, "example.net", 6), 3);
    CHECK_EQ(chk(f, "example.net", 1), 0);
    td_filter_destroy(&f);
    static const char *const rules2[] = {
        "name a.example.com", "regex example", "name **.example.com", "soa",
    };
    f = mk(rules2, 4);
    CHECK_EQ(chk(f, "a.example.com", 6), 1);
    CHECK_EQ(chk(f, "b.example.com", 6), 2);
    CHECK_EQ(chk(f, "b.exampl.com", 6), 4);
    td_filter_destroy(&f);
    /* several regexes matching one owner: the lowest id, whatever order Hyperscan reports */
    static const char *const rx[] = {
        "regex zzz", "regex com\\.$", "regex ^a", "regex b", "regex \\.", "regex exa",
    };
    f = mk(rx, 6);
    CHECK_EQ(chk(f, "a.b.example.com", 1), 2);
    CHECK_EQ(chk(f, "a.b.example.net", 1), 3);
    CHECK_EQ(chk(f, "x.b.example.net", 1), 4);
    CHECK_EQ(chk(f, "x.y.example.net", 1), 5);
    CHECK_EQ(chk(f, "zzz.example.net", 1), 1);
    CHECK_EQ(chk(f, ".", 1), 5);
    td_filter_destroy(&f);
}

static void test_regex_text(void)
{
    static const char *const rules[] = {
        "regex ^ads\\.", "regex \\.example\\.com\\.$", "regex a\\\\032b", "regex ^[0-9]+\\.in-addr",
        "regex \\\\\\.", "regex x-y_z",
    };
    struct td_filter *f = mk(rules, 6);
    CHECK_EQ(chk(f, "ads.tracker.net", 1), 1);
    CHECK_EQ(chk(f, "ADS.tracker.net", 1), 1);
    CHECK_EQ(chk(f, "x.ads.tracker.net", 1), 0);
    CHECK_EQ(chk(f, "adsl.tracker.net", 1), 0);
    CHECK_EQ(chk(f, "www.example.com", 1), 2);
    CHECK_EQ(chk(f, "example.com", 1), 0);          /* "example.com." has no leading dot */
    CHECK_EQ(chk(f, "www.example.com.evil", 1), 0);
    CHECK_EQ(chk(f, "www.example.community", 1), 0);
    CHECK_EQ(chk(f, "a\\032b.net", 1), 3);          /* a space in a label is \032 */
    CHECK_EQ(chk(f, "A\\032B.net", 1), 3);
    CHECK_EQ(chk(f, "10.in-addr.arpa", 1), 4);
    CHECK_EQ(chk(f, "a\\.b.net", 1), 5);            /* a dot in a label is "\." */
    CHECK_EQ(chk(f, "X-Y_Z.net", 1), 6);
    CHECK_EQ(chk(f, "plain.net", 1), 0);
    td_filter_destroy(&f);
}

static void test_bad_regex(void)
{
    char err[256];
    struct td_filter *f = td_filter_init();
    CHECK_EQ(td_filter_add_name(f, "a.test", err, sizeof err), 1);
    CHECK_EQ(td_filter_add_regex(f, "(ads", err, sizeof err), -1);
    CHECK_STR(err, "rule 2 (regex (ads): Missing close parenthesis for group started at index 0.");
    CHECK_EQ(td_filter_add_regex(f, "(a)\\1", err, sizeof err), -1);
    CHECK_STR(err, "rule 2 (regex (a)\\1): Back-references are unsupported.");
    CHECK_EQ(td_filter_add_regex(f, "a*", err, sizeof err), -1);
    CHECK_STR(err, "rule 2 (regex a*): matches the empty string (so every name)");
    CHECK_EQ(td_filter_add_regex(f, "^(abcdefghij){101}", err, sizeof err), -1);
    CHECK_STR(err, "rule 2 (regex ^(abcdefghij){101}): needs 1010 characters, a name has at most 1004");
    CHECK_EQ(td_filter_add_regex(f, "", err, sizeof err), -1);
    CHECK_STR(err, "rule 2: empty regex");
    CHECK_EQ(td_filter_rule_count(f), 1);
    CHECK_EQ(td_filter_add_regex(f, "ok", err, sizeof err), 2);
    CHECK_EQ(td_filter_compile(f, err, sizeof err), 0);
    CHECK_EQ(td_filter_add_name(f, "b.test", err, sizeof err), -1);
    CHECK_STR(err, "rule added after td_filter_compile");
    CHECK_EQ(td_filter_compile(f, err, sizeof err), 0);
    CHECK_EQ(chk(f, "ok.test", 1), 2);
    td_filter_destroy(&f);
    /* bad names */
    f = td_filter_init();
    CHECK_EQ(td_filter_add_name(f, "a..b", err, sizeof err), -1);
    CHECK_STR(err, "invalid domain name \"a..b\"");
    CHECK_EQ(td_filter_add_name(f, "*.*.x", err, sizeof err), -1);
    CHECK_STR(err, "'*' is only allowed as a leading \"*.\" or \"**.\"");
    CHECK_EQ(td_filter_add_name(f, "", err, sizeof err), -1);
    CHECK_STR(err, "empty name pattern");
    CHECK_EQ(td_filter_add_local_zone(f, "", err, sizeof err), -1);
    CHECK_STR(err, "empty local zone");
    CHECK_EQ(td_filter_rule_count(f), 0);
    td_filter_destroy(&f);
}

static void test_malformed_owner(void)
{
    static const char *const rules[] = { "soa", "name **.", "regex a" };
    struct td_filter *f = mk(rules + 1, 2);
    static const uint8_t bad1[] = { 3, 'a', 'b' };            /* label past the end */
    static const uint8_t bad2[] = { 1, 'a' };                 /* no root label */
    static const uint8_t bad3[] = { 1, 'a', 0, 0 };           /* octets after the root */
    static const uint8_t bad4[] = { 64, 'a', 0 };             /* label length 64 */
    CHECK_EQ(td_filter_check(f, bad1, sizeof bad1, 1), 0);
    CHECK_EQ(td_filter_check(f, bad2, sizeof bad2, 1), 0);
    CHECK_EQ(td_filter_check(f, bad3, sizeof bad3, 1), 0);
    CHECK_EQ(td_filter_check(f, bad4, sizeof bad4, 1), 0);
    CHECK_EQ(td_filter_check(f, NULL, 0, 1), 0);
    static const uint8_t good[] = { 1, 'a', 0 };
    CHECK_EQ(td_filter_check(f, good, sizeof good, 1), 1);
    td_filter_destroy(&f);
    f = mk(rules, 3);
    CHECK_EQ(td_filter_check(f, bad1, sizeof bad1, 6), 1);
    CHECK_EQ(td_filter_check(f, bad1, sizeof bad1, 1), 0);
    td_filter_destroy(&f);
    /* a 255-octet owner of 127 one-octet labels: text 254 characters */
    uint8_t longn[255];
    for (int i = 0; i < 127; i++) {
        longn[2 * i] = 1;
        longn[2 * i + 1] = 'A';
    }
    longn[254] = 0;
    static const char *const r2[] = { "regex ^(a\\.){127}$", "name *.a.a" };
    f = mk(r2, 2);
    CHECK_EQ(td_filter_check(f, longn, sizeof longn, 1), 1);
    td_filter_destroy(&f);
    /* a 255-octet owner of escaped octets goes through the slow text path */
    for (int i = 0; i < 127; i++)
        longn[2 * i + 1] = 0xff;
    /* the longest text: 63+63+63+61 octets of \255 -> 1004 characters, all of them matched */
    uint8_t widest[255];
    size_t o = 0;
    static const int lens[] = { 63, 63, 63, 61 };
    for (int l = 0; l < 4; l++) {
        widest[o++] = (uint8_t)lens[l];
        memset(widest + o, 0xff, (size_t)lens[l]);
        o += (size_t)lens[l];
    }
    widest[o++] = 0;
    static const char *const r4[] = { "regex ^((\\\\255){61,63}\\.){4}$" };
    f = mk(r4, 1);
    CHECK_EQ(o, 255);
    CHECK_EQ(td_filter_check(f, widest, o, 1), 1);
    td_filter_destroy(&f);
    static const char *const r3[] = { "regex ^(\\\\255\\.){127}$" };
    f = mk(r3, 1);
    CHECK_EQ(td_filter_check(f, longn, sizeof longn, 1), 1);
    td_filter_destroy(&f);
}

/* ---- rules files ---- */

static char tmpdir[64];

static const char *write_file(const char *name, const char *content, size_t len)
{
    static char path[128];
    snprintf(path, sizeof path, "%s/%s", tmpdir, name);
    FILE *fp = fopen(path, "wb");
    if (!fp)
        return path;
    fwrite(content, 1, len, fp);
    fclose(fp);
    return path;
}

static void test_load(void)
{
    char err[512];
    static const char good[] =
        "# tapdns batch filters\n"
        "\n"
        "soa\n"
        "   # indented comment\n"
        "name *.doubleclick.net\r\n"
        "  name **.tracker.example\n"
        "regex ^ads\\.\n"
        "regex ^(a|b) ?c\\.\n"      /* spaces belong to the pattern */
        "local corp.internal\n"
        "name\texact.test\n"
        "regex \\.example\\.com\\.$"; /* no final newline */
    const char *path = write_file("good.rules", good, sizeof good - 1);
    struct td_filter *f = td_filter_init();
    CHECK_EQ(td_filter_load(f, path, err, sizeof err), 0);
    CHECK_EQ(td_filter_compile(f, err, sizeof err), 0);
    CHECK_EQ(td_filter_rule_count(f), 8);
    CHECK_STR(td_filter_rule_text(f, 1), "soa");
    CHECK_STR(td_filter_rule_text(f, 2), "name *.doubleclick.net");
    CHECK_STR(td_filter_rule_text(f, 3), "name **.tracker.example");
    CHECK_STR(td_filter_rule_text(f, 4), "regex ^ads\\.");
    CHECK_STR(td_filter_rule_text(f, 5), "regex ^(a|b) ?c\\.");
    CHECK_STR(td_filter_rule_text(f, 6), "local corp.internal");
    CHECK_STR(td_filter_rule_text(f, 7), "name exact.test");
    CHECK_STR(td_filter_rule_text(f, 8), "regex \\.example\\.com\\.$");
    CHECK_EQ(chk(f, "ad.doubleclick.net", 1), 2);
    CHECK_EQ(chk(f, "doubleclick.net", 1), 0);
    CHECK_EQ(chk(f, "tracker.example", 1), 3);
    CHECK_EQ(chk(f, "ads.corp.internal", 1), 4);
    CHECK_EQ(chk(f, "ac.net", 1), 5);
    CHECK_EQ(chk(f, "a\\032c.net", 1), 0);  /* a space is "\032" in the text */
    CHECK_EQ(chk(f, "mail.corp.internal", 1), 6);
    CHECK_EQ(chk(f, "exact.test", 1), 7);
    CHECK_EQ(chk(f, "www.example.com", 1), 8);
    CHECK_EQ(chk(f, "www.example.com", 6), 1);
    td_filter_destroy(&f);

    static const struct { const char *content; size_t len; const char *err; } bad[] = {
#define B(s, e) { s, sizeof s - 1, e }
        B("soa\n\nbogus x\n", "bad.rules:3: unknown rule \"bogus\" (soa, name, regex or local)"),
        B("name\n", "bad.rules:1: \"name\" needs a pattern"),
        B("# c\nregex   \n", "bad.rules:2: \"regex\" needs a pattern"),
        B("soa extra\n", "bad.rules:1: \"soa\" takes no argument"),
        B("name a.b\nname c\nregex (x\n",
          "bad.rules:3: rule 3 (regex (x): Missing close parenthesis for group started at index 0."),
        B("name a.b\nname a..b\n", "bad.rules:2: invalid domain name \"a..b\""),
        B("local x\nlocal *.y\n", "bad.rules:2: '*' is only allowed as a leading \"*.\" or \"**.\""),
        B("soa\nname a\0b\n", "bad.rules:2: NUL byte in line"),
        B("SOA\n", "bad.rules:1: unknown rule \"SOA\" (soa, name, regex or local)"),
        B("name  x.y\n", "bad.rules:1: blank in domain name \" x.y\" (write \\032 for a space)"),
#undef B
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        path = write_file("bad.rules", bad[i].content, bad[i].len);
        f = td_filter_init();
        err[0] = 0;
        int rc = td_filter_load(f, path, err, sizeof err);
        const char *e = strstr(err, "bad.rules");
        if (rc != -1 || !e || strcmp(e, bad[i].err) != 0 || strncmp(err, tmpdir, strlen(tmpdir)) != 0)
            TT_FAIL("bad file %zu: rc %d err \"%s\", expected \"%s\"", i, rc, err, bad[i].err);
        td_filter_destroy(&f);
    }
    /* a line over the limit */
    size_t biglen = 8192;
    char *big = malloc(biglen);
    memset(big, 'a', biglen);
    memcpy(big, "soa\nregex ", 10);
    path = write_file("bad.rules", big, biglen);
    free(big);
    f = td_filter_init();
    CHECK_EQ(td_filter_load(f, path, err, sizeof err), -1);
    CHECK(strstr(err, "bad.rules:2: line longer than 4112 octets") != NULL);
    td_filter_destroy(&f);
    /* a missing file */
    f = td_filter_init();
    char missing[128];
    snprintf(missing, sizeof missing, "%s/none.rules", tmpdir);
    CHECK_EQ(td_filter_load(f, missing, err, sizeof err), -1);
    char want[256];
    snprintf(want, sizeof want, "%s: No such file or directory", missing);
    CHECK_STR(err, want);
    td_filter_destroy(&f);
}

/* ---- many rules against a reference model ---- */

struct ref_rule {
    int kind;           /* 0 exact, 1 below, 2 self_below, 3 regex */
    uint8_t wire[TD_DNS_NAME_MAX];
    int wlen;
    regex_t re;
};

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint32_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)(rng_state >> 11);
}

static void rnd_word(char *out, int minlen, int maxlen)
{
    int n = minlen + (int)(rnd() % (uint32_t)(maxlen - minlen + 1));
    for (int i = 0; i < n; i++)
        out[i] = (char)('a' + rnd() % 26);
    out[n] = 0;
}

static const char *const tlds[] = { "com", "net", "org", "de", "example" };

static int ref_check(const struct ref_rule *rr, int n, const char *owner_text_lc)
{
    uint8_t w[TD_DNS_NAME_MAX];
    int wl = W(owner_text_lc, w);
    char text[1100];
    td_dns_name_to_text(w, (size_t)wl, text, sizeof text);
    for (int i = 0; i < n; i++) {
        const struct ref_rule *r = &rr[i];
        int m = 0;
        if (r->kind == 3)
            m = regexec(&r->re, text, 0, NULL, 0) == 0;
        else if (r->kind == 0)
            m = td_dns_name_equal_nocase(w, (size_t)wl, r->wire, (size_t)r->wlen);
        else {
            m = td_dns_name_is_below(w, (size_t)wl, r->wire, (size_t)r->wlen);
            if (r->kind == 1 && td_dns_name_equal_nocase(w, (size_t)wl, r->wire, (size_t)r->wlen))
                m = 0;
        }
        if (m)
            return i + 1;
    }
    return 0;
}

/* Builds nrx regex + nname name rules interleaved; fills names[] with owners to test. */
static struct td_filter *build_many(int nrx, int nname, struct ref_rule *rr, char (*owners)[200],
                                    int *nowners, int maxowners)
{
    char err[256];
    struct td_filter *f = td_filter_init();
    int irx = 0, iname = 0, no = 0;
    while (irx < nrx || iname < nname) {
        int rule = irx + iname + 1;
        int do_rx = iname >= nname || (irx < nrx && rnd() % 2);
        char w1[16], w2[16], pat[128], owner[200];
        rnd_word(w1, 5, 8);
        rnd_word(w2, 2, 6);
        const char *tld = tlds[rnd() % 5];
        struct ref_rule *r = &rr[rule - 1];
        if (do_rx) {
            switch (rnd() % 4) {
            case 0:
                snprintf(pat, sizeof pat, "^%s\\.", w1);
                snprintf(owner, sizeof owner, "%s.%s.%s", w1, w2, tld);
                break;
            case 1:
                snprintf(pat, sizeof pat, "\\.%s\\.%s\\.$", w1, tld);
                snprintf(owner, sizeof owner, "%s.%s.%s", w2, w1, tld);
                break;
            case 2:
                snprintf(pat, sizeof pat, "%s[0-9]+", w1);
                snprintf(owner, sizeof owner, "x%s42.%s", w1, tld);
                break;
            default:
                snprintf(pat, sizeof pat, "^[a-z]+-%s\\.", w1);
                snprintf(owner, sizeof owner, "%s-%s.%s", w2, w1, tld);
                break;
            }
            r->kind = 3;
            if (regcomp(&r->re, pat, REG_EXTENDED | REG_NOSUB) != 0)
                printf("#   regcomp %s failed\n", pat);
            if (td_filter_add_regex(f, pat, err, sizeof err) != rule)
                printf("#   add regex %s: %s\n", pat, err);
            irx++;
        } else {
            char base[64];
            snprintf(base, sizeof base, "%s.%s", w1, tld);
            r->kind = (int)(rnd() % 4);
            const char *prefix = "";
            if (r->kind == 1)
                prefix = "*.";
            else if (r->kind == 2)
                prefix = "**.";
            snprintf(pat, sizeof pat, "%s%s", prefix, base);
            r->wlen = W(base, r->wire);
            int got;
            if (r->kind == 3) {
                r->kind = 2;    /* local zone = self and below */
                got = td_filter_add_local_zone(f, base, err, sizeof err);
            } else {
                got = td_filter_add_name(f, pat, err, sizeof err);
            }
            if (got != rule)
                printf("#   add name %s: %s\n", pat, err);
            switch (rnd() % 3) {
            case 0: snprintf(owner, sizeof owner, "%s", base); break;
            case 1: snprintf(owner, sizeof owner, "%s.%s", w2, base); break;
            default: snprintf(owner, sizeof owner, "a.%s.%s", w2, base); break;
            }
            iname++;
        }
        if (no < maxowners) {
            snprintf(owners[no++], 200, "%s", owner);
            /* a near miss: the name with one letter changed */
            if (no < maxowners) {
                snprintf(owners[no], 200, "%s", owner);
                owners[no][strlen(owner) / 2] = owners[no][strlen(owner) / 2] == 'q' ? 'r' : 'q';
                no++;
            }
        }
    }
    *nowners = no;
    if (td_filter_compile(f, err, sizeof err) != 0)
        printf("#   compile: %s\n", err);
    return f;
}

static void free_ref(struct ref_rule *rr, int n)
{
    for (int i = 0; i < n; i++)
        if (rr[i].kind == 3)
            regfree(&rr[i].re);
}

static double ns_per_check(const struct td_filter *f, const char *owner, int iters)
{
    uint8_t w[TD_DNS_NAME_MAX];
    int n = W(owner, w);
    struct timespec a, b;
    volatile int sink = 0;
    clock_gettime(CLOCK_MONOTONIC, &a);
    for (int i = 0; i < iters; i++)
        sink += td_filter_check(f, w, (size_t)n, 1);
    clock_gettime(CLOCK_MONOTONIC, &b);
    (void)sink;
    return ((double)(b.tv_sec - a.tv_sec) * 1e9 + (double)(b.tv_nsec - a.tv_nsec)) / iters;
}

static void report(const char *what, const struct td_filter *f)
{
    printf("# %s: %.0f ns/check www.example.com, %.0f mail.google.com, %.0f 10-label owner\n",
           what, ns_per_check(f, "www.example.com", 200000), ns_per_check(f, "mail.google.com", 200000),
           ns_per_check(f, "a.very.long.owner.name.with.many.labels.example.com", 200000));
}

static void test_many_rules(void)
{
    enum { NRX = 5000, NNAME = 5000, MAXO = 3000 };
    struct ref_rule *rr = calloc(NRX + NNAME, sizeof *rr);
    char (*owners)[200] = calloc(MAXO + 8, 200);
    int no = 0;
    struct td_filter *f = build_many(NRX, NNAME, rr, owners, &no, MAXO);
    CHECK_EQ(td_filter_rule_count(f), NRX + NNAME);
    strcpy(owners[no++], "www.example.com");
    strcpy(owners[no++], "nothing.at.all.invalid");
    strcpy(owners[no++], ".");
    int mismatches = 0, matched = 0;
    for (int i = 0; i < no; i++) {
        int want = ref_check(rr, NRX + NNAME, owners[i]);
        for (int t = 0; t < 2; t++) {
            char upper[200];
            snprintf(upper, sizeof upper, "%s", owners[i]);
            if (t)
                for (char *p = upper; *p; p++)
                    if (*p >= 'a' && *p <= 'z')
                        *p = (char)(*p - 32);
            int got = chk(f, upper, 1);
            if (got != want && mismatches++ < 10)
                TT_FAIL("owner %s: %d, reference %d", upper, got, want);
        }
        matched += want != 0;
    }
    CHECK_EQ(mismatches, 0);
    CHECK(matched > no / 3);      /* the table really exercises matches */
    CHECK(matched < no);          /* and misses */
    printf("# %d owners checked against the reference model, %d matching\n", no, matched);
    report("5000 regex + 5000 name rules", f);
    td_filter_destroy(&f);
    free_ref(rr, NRX + NNAME);
    free(rr);
    free(owners);
}

/* ns per check with 10 and 10 000 rules of each kind (printed, not asserted: the machine
 * may be shared); correctness of the owners used is asserted. */
static void test_timing(void)
{
#ifdef __SANITIZE_ADDRESS__
    static const int sizes[] = { 10 };  /* ASan makes a 10 000-pattern compile very slow */
#else
    static const int sizes[] = { 10, 10000 };
#endif
    for (size_t s = 0; s < sizeof sizes / sizeof *sizes; s++) {
        int n = sizes[s];
        struct ref_rule *rr = calloc((size_t)(2 * n), sizeof *rr);
        char (*owners)[200] = calloc(4, 200);
        int no = 0;
        char what[96];
        struct td_filter *f = build_many(0, n, rr, owners, &no, 2);
        CHECK_EQ(chk(f, "www.example.com", 1), 0);
        snprintf(what, sizeof what, "%d name rules", n);
        report(what, f);
        td_filter_destroy(&f);
        struct timespec a, b;
        clock_gettime(CLOCK_MONOTONIC, &a);
        f = build_many(n, 0, rr, owners, &no, 2);
        clock_gettime(CLOCK_MONOTONIC, &b);
        CHECK_EQ(td_filter_rule_count(f), n);
        CHECK_EQ(chk(f, "www.example.com", 1), 0);
        snprintf(what, sizeof what, "%d regex rules (build %.0f ms)", n,
                 (double)(b.tv_sec - a.tv_sec) * 1e3 + (double)(b.tv_nsec - a.tv_nsec) / 1e6);
        report(what, f);
        td_filter_destroy(&f);
        free_ref(rr, 2 * n);
        free(rr);
        free(owners);
    }
}

int main(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/test_filter.XXXXXX");
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 1;
    }
    TT_RUN(test_each_kind);
    TT_RUN(test_wildcard_forms);
    TT_RUN(test_case_insensitive);
    TT_RUN(test_lowest_wins);
    TT_RUN(test_regex_text);
    TT_RUN(test_bad_regex);
    TT_RUN(test_malformed_owner);
    TT_RUN(test_load);
    TT_RUN(test_many_rules);
    TT_RUN(test_timing);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
    if (system(cmd) != 0)
        printf("# could not remove %s\n", tmpdir);
    return tt_finish();
}
