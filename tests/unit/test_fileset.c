/* test_fileset: FILESET parse (valid and refused texts), put/remove order, store/load round
 * trip, atomic replace (a failed store leaves the old file). */
#include "fileset.h"
#include "tt.h"
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static char root[256];

static void mkroot(void)
{
    snprintf(root, sizeof root, "/tmp/test_fileset.%d", (int)getpid());
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", root);
    if (system(cmd) != 0 || mkdir(root, 0755) != 0)
        TT_FAIL("cannot make %s", root);
}

static void rmroot(void)
{
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", root);
    if (system(cmd) != 0)
        TT_FAIL("cannot remove %s", root);
}

static void test_parse_valid(void)
{
    static const struct {
        const char *text;
        unsigned n;
    } cases[] = {
        { "tapdns-fileset 1\n", 0 },
        { "tapdns-fileset 1\nh.2026112703.0 h 100 200\n", 1 },
        { "tapdns-fileset 1\nd.20261127.0 d 0 0\nh.2026112703.0 h 100 100\nm.202611.3 m 5 4294967295\n", 3 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct td_fileset fs;
        char err[256] = "";
        int rc = td_fileset_parse(cases[i].text, strlen(cases[i].text), &fs, err, sizeof err);
        if (rc != 0)
            TT_FAIL("case %zu: %s", i, err);
        CHECK_EQ(fs.n, cases[i].n);
        td_fileset_free(&fs);
    }
    struct td_fileset fs;
    const char *t = "tapdns-fileset 1\nh.2026112703.0 h 100 200\nm.202611.3 m 5 4294967295\n";
    CHECK_EQ(td_fileset_parse(t, strlen(t), &fs, NULL, 0), 0);
    CHECK_EQ(fs.n, 2);
    CHECK_STR(fs.gens[0].name, "h.2026112703.0");
    CHECK_EQ(fs.gens[0].tier, 'h');
    CHECK_EQ(fs.gens[0].min_time_first, 100);
    CHECK_EQ(fs.gens[0].max_time_last, 200);
    CHECK_STR(fs.gens[1].name, "m.202611.3");
    CHECK_EQ(fs.gens[1].max_time_last, 4294967295u);
    size_t len;
    char *back = td_fileset_format(&fs, &len);
    CHECK(back && len == strlen(t) && memcmp(back, t, len) == 0);
    free(back);
    td_fileset_free(&fs);
}

static void test_parse_refused(void)
{
    static const struct {
        const char *text, *err;
    } cases[] = {
        { "", "FILESET: empty file (no version line)" },
        { "tapdns-fileset 1", "FILESET:1: line not ended (truncated file)" },
        { "tapdns-fileset 2\n", "FILESET:1: unsupported version (this program reads version 1)" },
        { "hello\n", "FILESET:1: not a FILESET (expected \"tapdns-fileset 1\")" },
        { "tapdns-fileset 1\nh.2026112703.0 h 100 200", "FILESET:2: line not ended (truncated file)" },
        { "tapdns-fileset 1\nh.2026112703.0 h 100\n", "FILESET:2: expected NAME TIER MIN_TIME_FIRST MAX_TIME_LAST" },
        { "tapdns-fileset 1\nh.2026112703.0 h 1 2 3\n", "FILESET:2: more than 4 fields" },
        { "tapdns-fileset 1\nh.2026112703.0  h 1 2\n", "FILESET:2: more than 4 fields" },
        { "tapdns-fileset 1\nh.2026112703.0 x 1 2\n", "FILESET:2: tier must be h, d or m" },
        { "tapdns-fileset 1\nh.2026112703.0 hh 1 2\n", "FILESET:2: tier must be h, d or m" },
        { "tapdns-fileset 1\nh.2026112703.0 d 1 2\n", "FILESET:2: name must start with its tier letter and '.'" },
        { "tapdns-fileset 1\nh/../x h 1 2\n", "FILESET:2: bad generation name" },
        { "tapdns-fileset 1\nH.1 h 1 2\n", "FILESET:2: bad generation name" },
        { "tapdns-fileset 1\nh.1 h -1 2\n", "FILESET:2: times must be decimal seconds" },
        { "tapdns-fileset 1\nh.1 h 01 2\n", "FILESET:2: times must be decimal seconds" },
        { "tapdns-fileset 1\nh.1 h 1 4294967296\n", "FILESET:2: times must be decimal seconds" },
        { "tapdns-fileset 1\nh.1 h 3 2\n", "FILESET:2: min time_first above max time_last" },
        { "tapdns-fileset 1\nh.2 h 1 2\nh.1 h 1 2\n", "FILESET:3: h.1: names not sorted or duplicated" },
        { "tapdns-fileset 1\nh.1 h 1 2\nh.1 h 1 2\n", "FILESET:3: h.1: names not sorted or duplicated" },
        { "tapdns-fileset 1\n\n", "FILESET:2: expected NAME TIER MIN_TIME_FIRST MAX_TIME_LAST" },
        { "tapdns-fileset 1\nh.1234567890123456789012345678901234567890123456789012345678901234 h 1 2\n",
          "FILESET:2: bad generation name" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct td_fileset fs;
        char err[256] = "";
        int rc = td_fileset_parse(cases[i].text, strlen(cases[i].text), &fs, err, sizeof err);
        CHECK_EQ(rc, -1);
        if (strcmp(err, cases[i].err) != 0)
            TT_FAIL("case %zu: err \"%s\", expected \"%s\"", i, err, cases[i].err);
        CHECK(fs.gens == NULL && fs.n == 0);
    }
}

static struct td_fileset_gen gen(const char *name, char tier, uint32_t a, uint32_t b)
{
    struct td_fileset_gen g;
    memset(&g, 0, sizeof g);
    snprintf(g.name, sizeof g.name, "%s", name);
    g.tier = tier;
    g.min_time_first = a;
    g.max_time_last = b;
    return g;
}

static void test_put_remove(void)
{
    struct td_fileset fs = { 0, 0, NULL };
    const char *names[] = { "h.2026112705.0", "h.2026112703.0", "d.20261126.0", "h.2026112704.1", "m.202610.0" };
    for (int i = 0; i < 5; i++) {
        struct td_fileset_gen g = gen(names[i], names[i][0], (uint32_t)i, (uint32_t)i + 10);
        CHECK_EQ(td_fileset_put(&fs, &g, NULL, 0), 0);
    }
    CHECK_EQ(fs.n, 5);
    const char *sorted[] = { "d.20261126.0", "h.2026112703.0", "h.2026112704.1", "h.2026112705.0", "m.202610.0" };
    for (int i = 0; i < 5; i++)
        CHECK_STR(fs.gens[i].name, sorted[i]);
    struct td_fileset_gen g = gen("h.2026112703.0", 'h', 50, 60);
    CHECK_EQ(td_fileset_put(&fs, &g, NULL, 0), 0);
    CHECK_EQ(fs.n, 5);
    CHECK_EQ(fs.gens[td_fileset_find(&fs, "h.2026112703.0")].min_time_first, 50);
    CHECK_EQ(td_fileset_find(&fs, "h.2026112799.0"), -1);
    char err[128];
    g = gen("tmp", 'h', 1, 2);
    CHECK_EQ(td_fileset_put(&fs, &g, err, sizeof err), -1);
    g = gen("h.x", 'h', 3, 2);
    CHECK_EQ(td_fileset_put(&fs, &g, err, sizeof err), -1);
    CHECK_STR(err, "min time_first above max time_last");
    CHECK_EQ(td_fileset_remove(&fs, "h.2026112704.1"), 1);
    CHECK_EQ(td_fileset_remove(&fs, "h.2026112704.1"), 0);
    CHECK_EQ(fs.n, 4);
    CHECK_STR(fs.gens[2].name, "h.2026112705.0");
    td_fileset_free(&fs);
}

static void test_store_load(void)
{
    mkroot();
    struct td_fileset fs;
    char err[256] = "";
    CHECK_EQ(td_fileset_load(root, &fs, err, sizeof err), 0); /* missing = empty */
    CHECK_EQ(fs.n, 0);
    struct td_fileset_gen g = gen("h.2026112703.0", 'h', 1700000000, 1700003599);
    CHECK_EQ(td_fileset_put(&fs, &g, err, sizeof err), 0);
    g = gen("d.20261126.2", 'd', 1690000000, 1690086399);
    CHECK_EQ(td_fileset_put(&fs, &g, err, sizeof err), 0);
    CHECK_EQ(td_fileset_store(root, &fs, err, sizeof err), 0);
    char path[300];
    snprintf(path, sizeof path, "%s/FILESET.tmp", root);
    CHECK(access(path, F_OK) != 0);
    struct td_fileset back;
    CHECK_EQ(td_fileset_load(root, &back, err, sizeof err), 0);
    CHECK_EQ(back.n, 2);
    CHECK(back.n == 2 && memcmp(back.gens, fs.gens, 2 * sizeof *fs.gens) == 0);
    td_fileset_free(&back);

    /* A failed store (FILESET.tmp cannot be created) leaves the old FILESET. */
    CHECK_EQ(mkdir(path, 0755), 0);
    g = gen("h.2026112704.0", 'h', 5, 6);
    CHECK_EQ(td_fileset_put(&fs, &g, err, sizeof err), 0);
    CHECK_EQ(td_fileset_store(root, &fs, err, sizeof err), -1);
    CHECK(strstr(err, "FILESET.tmp") != NULL);
    CHECK_EQ(td_fileset_load(root, &back, err, sizeof err), 0);
    CHECK_EQ(back.n, 2);
    td_fileset_free(&back);
    rmdir(path);
    CHECK_EQ(td_fileset_store(root, &fs, err, sizeof err), 0);
    CHECK_EQ(td_fileset_load(root, &back, err, sizeof err), 0);
    CHECK_EQ(back.n, 3);
    td_fileset_free(&back);

    /* An unsorted set is refused before anything is written. */
    struct td_fileset_gen t = fs.gens[0];
    fs.gens[0] = fs.gens[1];
    fs.gens[1] = t;
    CHECK_EQ(td_fileset_store(root, &fs, err, sizeof err), -1);
    CHECK_STR(err, "generation 1: names not sorted or duplicated");
    td_fileset_free(&fs);

    /* Load errors carry the line; a directory or a huge file is refused. */
    snprintf(path, sizeof path, "%s/FILESET", root);
    FILE *f = fopen(path, "w");
    fputs("tapdns-fileset 1\nh.1 h 1 2\nbroken\n", f);
    fclose(f);
    CHECK_EQ(td_fileset_load(root, &fs, err, sizeof err), -1);
    CHECK_STR(err, "FILESET:3: expected NAME TIER MIN_TIME_FIRST MAX_TIME_LAST");
    unlink(path);
    CHECK_EQ(mkdir(path, 0755), 0);
    CHECK_EQ(td_fileset_load(root, &fs, err, sizeof err), -1);
    rmdir(path);
    rmroot();
}

int main(void)
{
    TT_RUN(test_parse_valid);
    TT_RUN(test_parse_refused);
    TT_RUN(test_put_remove);
    TT_RUN(test_store_load);
    return tt_finish();
}
