/* Unit tests for lib/cli.c: exact usage text, every option form, GNU-style interleaving
 * with argv permutation, "--", every error message, lists, config-then-command-line
 * precedence, required options satisfied by the config. */
#include "cli.h"
#include "config.h"
#include "tt.h"

#include <stdlib.h>
#include <string.h>

static const char *out_dir, *sensor, *longopt;
static int verbose, quiet, promisc;
static uint64_t snaplen, max_size, interval;
static struct td_cli_list exclude;

static const struct td_option opts[] = {
    { "out", 'o', TD_OPT_STRING, &out_dir, "DIR", "spool directory", "spool.dir", 1 },
    { "sensor", 0, TD_OPT_STRING, &sensor, "NAME", "sensor name", "sensor.name", 0 },
    { "verbose", 'v', TD_OPT_FLAG, &verbose, NULL, "more output", NULL, 0 },
    { "quiet", 'q', TD_OPT_FLAG, &quiet, NULL, NULL, NULL, 0 },
    { "snaplen", 's', TD_OPT_UINT, &snaplen, "BYTES", "capture length", "capture.snaplen", 0 },
    { "max-size", 0, TD_OPT_SIZE, &max_size, NULL, "rotate after this size", "spool.max_size", 0 },
    { "interval", 'i', TD_OPT_DURATION, &interval, "TIME", "flush interval", "spool.flush", 0 },
    { "exclude", 'x', TD_OPT_LIST, &exclude, "NET", "networks to skip", "privacy.exclude", 0 },
    { "promisc", 0, TD_OPT_FLAG, &promisc, NULL, "promiscuous mode", "capture.promisc", 0 },
    { "a-rather-long-option-name", 0, TD_OPT_STRING, &longopt, "VALUE", "long one", NULL, 0 },
    { NULL, 0, 0, NULL, NULL, NULL, NULL, 0 },
};

static void reset(void)
{
    out_dir = sensor = longopt = NULL;
    verbose = quiet = promisc = 0;
    snaplen = max_size = interval = 0;
    td_cli_free_list(&exclude);
}

static char errbuf[256];
static int first;

/* Runs the parser over a NULL-terminated list of arguments (argv[0] = "prog"). */
static enum td_cli_res run(char **argv, FILE *out)
{
    int argc = 0;
    while (argv[argc])
        argc++;
    errbuf[0] = 0;
    first = -1;
    return td_cli_parse("prog", "import-pcap [options] FILE...", opts, argc, argv, &first,
                        out ? out : stdout, errbuf, sizeof errbuf);
}
#define ARGV(...) ((char *[]){ "prog", __VA_ARGS__, NULL })

static const char usage_text[] =
    "usage: prog import-pcap [options] FILE...\n"
    "  -o, --out DIR        spool directory (required)\n"
    "      --sensor NAME    sensor name\n"
    "  -v, --verbose        more output\n"
    "  -q, --quiet\n"
    "  -s, --snaplen BYTES  capture length\n"
    "      --max-size SIZE  rotate after this size\n"
    "  -i, --interval TIME  flush interval\n"
    "  -x, --exclude NET    networks to skip\n"
    "      --promisc        promiscuous mode\n"
    "      --a-rather-long-option-name VALUE\n"
    "                       long one\n"
    "  -h, --help           show this help and exit\n";

static void test_usage(void)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    CHECK(f != NULL);
    if (!f)
        return;
    td_cli_usage(f, "prog", "import-pcap [options] FILE...", opts);
    fclose(f);
    CHECK_STR(buf, usage_text);
    free(buf);

    /* --help and -h print the same and return TD_CLI_HELP, wherever they are */
    char *const *cases[] = { ARGV("--help"), ARGV("-h"), ARGV("x.pcap", "-vh"), ARGV("-o", "D", "--help", "--bogus") };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        reset();
        buf = NULL;
        f = open_memstream(&buf, &len);
        if (!f)
            continue;
        CHECK_EQ(run((char **)cases[i], f), TD_CLI_HELP);
        fclose(f);
        CHECK_STR(buf, usage_text);
        free(buf);
    }
    reset();
    CHECK_EQ(run(ARGV("--help=1"), NULL), TD_CLI_ERROR);
    CHECK_STR(errbuf, "option --help takes no value");

    /* a table that uses 'h' itself keeps it; --help still works; no synopsis */
    static int human;
    static const struct td_option t2[] = {
        { "human", 'h', TD_OPT_FLAG, &human, NULL, "human-readable", NULL, 0 },
        { NULL, 0, 0, NULL, NULL, NULL, NULL, 0 },
    };
    buf = NULL;
    f = open_memstream(&buf, &len);
    if (f) {
        char *av[] = { "p", "-h", NULL };
        CHECK_EQ(td_cli_parse("p", NULL, t2, 2, av, &first, f, errbuf, sizeof errbuf), TD_CLI_OK);
        CHECK_EQ(human, 1);
        char *av2[] = { "p", "--help", NULL };
        CHECK_EQ(td_cli_parse("p", NULL, t2, 2, av2, &first, f, errbuf, sizeof errbuf), TD_CLI_HELP);
        fclose(f);
        CHECK_STR(buf, "usage: p [options]\n"
                       "  -h, --human  human-readable\n"
                       "      --help   show this help and exit\n");
        free(buf);
    }
}

static void test_forms(void)
{
    reset();
    CHECK_EQ(run(ARGV("--out", "D1"), NULL), TD_CLI_OK);
    CHECK_STR(out_dir, "D1");
    CHECK_EQ(first, 3);
    reset();
    CHECK_EQ(run(ARGV("--out=D2", "--sensor=s=1", "--snaplen=128"), NULL), TD_CLI_OK);
    CHECK_STR(out_dir, "D2");
    CHECK_STR(sensor, "s=1");
    CHECK_EQ(snaplen, 128);
    reset();
    CHECK_EQ(run(ARGV("-o", "D3", "-s", "64", "-i", "500ms"), NULL), TD_CLI_OK);
    CHECK_STR(out_dir, "D3");
    CHECK_EQ(snaplen, 64);
    CHECK(interval == 500000000ULL);
    reset();
    CHECK_EQ(run(ARGV("-oD4", "-s1500", "--max-size", "16M", "--interval=2d"), NULL), TD_CLI_OK);
    CHECK_STR(out_dir, "D4");
    CHECK_EQ(snaplen, 1500);
    CHECK(max_size == 16777216ULL);
    CHECK(interval == 172800000000000ULL);
    reset();
    CHECK_EQ(run(ARGV("-vq", "-o", "D"), NULL), TD_CLI_OK);
    CHECK_EQ(verbose, 1);
    CHECK_EQ(quiet, 1);
    reset();
    CHECK_EQ(run(ARGV("-vs10", "-qoD5"), NULL), TD_CLI_OK);   /* flag then value in one bundle */
    CHECK_EQ(verbose, 1);
    CHECK_EQ(snaplen, 10);
    CHECK_EQ(quiet, 1);
    CHECK_STR(out_dir, "D5");
    reset();
    CHECK_EQ(run(ARGV("--out", "-weird", "--sensor="), NULL), TD_CLI_OK); /* values may start with '-' */
    CHECK_STR(out_dir, "-weird");
    CHECK_STR(sensor, "");
    reset();
    CHECK_EQ(run(ARGV("--out", "A", "-o", "B", "--verbose", "--promisc"), NULL), TD_CLI_OK); /* last wins */
    CHECK_STR(out_dir, "B");
    CHECK_EQ(verbose, 1);
    CHECK_EQ(promisc, 1);
    reset();
    CHECK_EQ(run(ARGV("--a-rather-long-option-name", "L", "-o", "D"), NULL), TD_CLI_OK);
    CHECK_STR(longopt, "L");
    /* no arguments at all: only the required option fails */
    reset();
    char *av[] = { "prog", NULL };
    CHECK_EQ(td_cli_parse("prog", "", opts, 1, av, &first, stdout, errbuf, sizeof errbuf), TD_CLI_ERROR);
    CHECK_STR(errbuf, "missing --out");
    reset();
    out_dir = "preset";
    CHECK_EQ(td_cli_parse("prog", "", opts, 1, av, &first, stdout, errbuf, sizeof errbuf), TD_CLI_OK);
    CHECK_EQ(first, 1);
}

static void test_interleave(void)
{
    reset();
    char **a = ARGV("--out", "D", "a.pcap", "--sensor", "S", "b.pcap", "-v", "-", "c.pcap");
    CHECK_EQ(run(a, NULL), TD_CLI_OK);
    CHECK_STR(out_dir, "D");
    CHECK_STR(sensor, "S");
    CHECK_EQ(verbose, 1);
    CHECK_EQ(first, 6);
    CHECK_STR(a[0], "prog");
    CHECK_STR(a[1], "--out");
    CHECK_STR(a[2], "D");
    CHECK_STR(a[3], "--sensor");
    CHECK_STR(a[4], "S");
    CHECK_STR(a[5], "-v");
    CHECK_STR(a[6], "a.pcap");
    CHECK_STR(a[7], "b.pcap");
    CHECK_STR(a[8], "-");
    CHECK_STR(a[9], "c.pcap");
    CHECK(a[10] == NULL);

    /* "--" ends options: what follows is positional even if it looks like an option */
    reset();
    char **b = ARGV("x", "-o", "D", "--", "-v", "--out", "y");
    CHECK_EQ(run(b, NULL), TD_CLI_OK);
    CHECK_EQ(verbose, 0);
    CHECK_STR(out_dir, "D");
    CHECK_EQ(first, 4);
    CHECK_STR(b[3], "--");
    CHECK_STR(b[4], "x");
    CHECK_STR(b[5], "-v");
    CHECK_STR(b[6], "--out");
    CHECK_STR(b[7], "y");

    /* only positionals */
    reset();
    out_dir = "x";
    char **c = ARGV("p1", "p2");
    CHECK_EQ(run(c, NULL), TD_CLI_OK);
    CHECK_EQ(first, 1);
    CHECK_STR(c[1], "p1");
    CHECK_STR(c[2], "p2");
    /* no positionals */
    reset();
    char **d = ARGV("-oD", "-v");
    CHECK_EQ(run(d, NULL), TD_CLI_OK);
    CHECK_EQ(first, 3);
}

static void test_errors(void)
{
    static const struct { char *args[6]; const char *err; } cases[] = {
        { { "--foo" }, "unknown option --foo" },
        { { "--foo=bar" }, "unknown option --foo" },
        { { "--" "out-dir", "x" }, "unknown option --out-dir" },
        { { "--ou", "x" }, "unknown option --ou" },
        { { "-z" }, "unknown option -z" },
        { { "-vz" }, "unknown option -z" },
        { { "-o", "D", "--verbose=yes" }, "option --verbose takes no value" },
        { { "--out" }, "option --out needs a value (DIR)" },
        { { "-o" }, "option -o needs a value (DIR)" },
        { { "-o", "D", "--max-size" }, "option --max-size needs a value (SIZE)" },
        { { "-o", "D", "-vx" }, "option -x needs a value (NET)" },
        { { "-o", "D", "--snaplen", "abc" }, "option --snaplen: expected a number, got 'abc'" },
        { { "-o", "D", "-s", "99999999999999999999" }, "option -s: number too large, got '99999999999999999999'" },
        { { "-o", "D", "-s-1" }, "option -s: expected a number, got '-1'" },
        { { "-o", "D", "--max-size=1KB" }, "option --max-size: expected a size like 64K, 16M or 2G, got '1KB'" },
        { { "-o", "D", "--max-size=16777216T" }, "option --max-size: size too large, got '16777216T'" },
        { { "-o", "D", "-i", "5 min" }, "option -i: expected a duration like 500ms, 30s, 5m, 1h or 2d, got '5 min'" },
        { { "-o", "D", "--interval=213504d" }, "option --interval: duration too large, got '213504d'" },
        { { "-v", "file" }, "missing --out" },
        { { "--bogus", "--out" }, "unknown option --bogus" },   /* the first error wins */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        reset();
        char *argv[8] = { "prog" };
        int n = 1;
        for (int k = 0; k < 6 && cases[i].args[k]; k++)
            argv[n++] = cases[i].args[k];
        argv[n] = NULL;
        CHECK_EQ(run(argv, NULL), TD_CLI_ERROR);
        CHECK_STR(errbuf, cases[i].err);
    }
    /* a small error buffer truncates */
    reset();
    char small[8];
    char *av[] = { "prog", "--unknown", NULL };
    CHECK_EQ(td_cli_parse("prog", "", opts, 2, av, &first, stdout, small, sizeof small), TD_CLI_ERROR);
    CHECK_STR(small, "unknown");
    reset();
}

static void test_lists(void)
{
    reset();
    char **a = ARGV("-x", "10.0.0.0/8", "-o", "D", "--exclude", "a,b", "--exclude=c d", "-xe,", "f");
    CHECK_EQ(run(a, NULL), TD_CLI_OK);
    CHECK_EQ(exclude.count, 6);
    const char *want[] = { "10.0.0.0/8", "a", "b", "c", "d", "e" };
    for (int i = 0; i < 6 && i < exclude.count; i++)
        CHECK_STR(exclude.items[i], want[i]);
    CHECK(exclude.items[0] == a[2]);          /* a single item points into argv */
    CHECK(exclude.owned[0] == NULL);
    CHECK(exclude.owned[1] != NULL);
    CHECK_EQ(first, 9);
    CHECK_STR(a[first], "f");
    td_cli_free_list(&exclude);
    CHECK_EQ(exclude.count, 0);
    CHECK(exclude.owned[1] == NULL);

    /* 64 values fit, 65 do not */
    char val[64 * 4 + 8];
    size_t len = 0;
    for (int i = 0; i < 64; i++)
        len += (size_t)snprintf(val + len, sizeof val - len, "%s%d", i ? "," : "", i);
    reset();
    CHECK_EQ(run(ARGV("-o", "D", "-x", val), NULL), TD_CLI_OK);
    CHECK_EQ(exclude.count, 64);
    CHECK_STR(exclude.items[63], "63");
    reset();
    CHECK_EQ(run(ARGV("-o", "D", "-x", val, "--exclude", "x"), NULL), TD_CLI_ERROR);
    CHECK_STR(errbuf, "option --exclude: too many values (max 64)");
    reset();
    /* an empty value gives an empty list */
    CHECK_EQ(run(ARGV("-o", "D", "--exclude="), NULL), TD_CLI_OK);
    CHECK_EQ(exclude.count, 0);
    reset();
}

static void test_config_then_cli(void)
{
    char err[256];
    const char *text =
        "[spool]\n"
        "dir = /var/spool/tapdns\n"
        "max_size = 64K\n"
        "flush = 30s\n"
        "[sensor]\n"
        "name = s1\n"
        "[capture]\n"
        "snaplen = 1500\n"
        "promisc = yes\n"
        "[privacy]\n"
        "exclude = 10.0.0.0/8, 192.168.0.0/16\n";
    struct td_config *c = td_config_parse(text, strlen(text), "t.conf", err, sizeof err);
    CHECK(c != NULL);
    if (!c)
        return;
    /* config alone; --out is required but satisfied by spool.dir */
    reset();
    CHECK_EQ(td_cli_apply_config(opts, c, err, sizeof err), 0);
    CHECK_STR(out_dir, "/var/spool/tapdns");
    CHECK(out_dir == td_config_get(c, "spool", "dir")); /* points into the config */
    CHECK_STR(sensor, "s1");
    CHECK_EQ(snaplen, 1500);
    CHECK_EQ(max_size, 65536);
    CHECK(interval == 30000000000ULL);
    CHECK_EQ(promisc, 1);
    CHECK_EQ(exclude.count, 2);
    CHECK_STR(exclude.items[0], "10.0.0.0/8");
    CHECK_STR(exclude.items[1], "192.168.0.0/16");
    CHECK_EQ(run(ARGV("in.pcap"), NULL), TD_CLI_OK);
    CHECK_STR(out_dir, "/var/spool/tapdns");
    CHECK_EQ(exclude.count, 2);

    /* then the command line overrides; a list given on the command line replaces */
    reset();
    CHECK_EQ(td_cli_apply_config(opts, c, err, sizeof err), 0);
    CHECK_EQ(run(ARGV("--out", "/tmp/o", "in.pcap", "-s", "96", "-x", "172.16.0.0/12", "-x", "fd00::/8"), NULL),
             TD_CLI_OK);
    CHECK_STR(out_dir, "/tmp/o");
    CHECK_STR(sensor, "s1");
    CHECK_EQ(snaplen, 96);
    CHECK_EQ(max_size, 65536);
    CHECK_EQ(exclude.count, 2);
    CHECK_STR(exclude.items[0], "172.16.0.0/12");
    CHECK_STR(exclude.items[1], "fd00::/8");
    /* applying the config twice does not duplicate list items */
    CHECK_EQ(td_cli_apply_config(opts, c, err, sizeof err), 0);
    CHECK_EQ(td_cli_apply_config(opts, c, err, sizeof err), 0);
    CHECK_EQ(exclude.count, 2);
    CHECK_STR(exclude.items[0], "10.0.0.0/8");
    reset();
    td_config_free(&c);

    /* a false boolean in the config clears a flag; NULL config is a no-op */
    const char *off = "[capture]\npromisc = off\n";
    c = td_config_parse(off, strlen(off), "t.conf", err, sizeof err);
    CHECK(c != NULL);
    promisc = 1;
    CHECK_EQ(td_cli_apply_config(opts, c, err, sizeof err), 0);
    CHECK_EQ(promisc, 0);
    td_config_free(&c);
    CHECK_EQ(td_cli_apply_config(opts, NULL, err, sizeof err), 0);

    /* bad values in the config are reported with file and line */
    static const struct { const char *text; const char *err; } bad[] = {
        { "[capture]\nsnaplen = big\n", "t.conf:2: capture.snaplen: expected a number, got 'big'" },
        { "[capture]\n\npromisc = maybe\n", "t.conf:3: capture.promisc: expected true/false, yes/no, on/off or 1/0, got 'maybe'" },
        { "[spool]\nmax_size = 1X\n", "t.conf:2: spool.max_size: expected a size like 64K, 16M or 2G, got '1X'" },
        { "[spool]\nflush = soon\n", "t.conf:2: spool.flush: expected a duration like 500ms, 30s, 5m, 1h or 2d, got 'soon'" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        reset();
        c = td_config_parse(bad[i].text, strlen(bad[i].text), "t.conf", err, sizeof err);
        CHECK(c != NULL);
        err[0] = 0;
        CHECK_EQ(td_cli_apply_config(opts, c, err, sizeof err), -1);
        CHECK_STR(err, bad[i].err);
        td_config_free(&c);
    }
    char many[1024] = "[privacy]\nexclude = ";
    for (int i = 0; i < 65; i++)
        snprintf(many + strlen(many), sizeof many - strlen(many), "%d ", i);
    strcat(many, "\n");
    c = td_config_parse(many, strlen(many), "t.conf", err, sizeof err);
    CHECK(c != NULL);
    CHECK_EQ(td_cli_apply_config(opts, c, err, sizeof err), -1);
    CHECK_STR(err, "privacy.exclude: too many values (max 64)");
    td_config_free(&c);
    reset();
}

static void test_find_value(void)
{
    static const char *cfg;
    const struct td_option fopts[] = {
        { "config", 'c', TD_OPT_STRING, &cfg, "FILE", "config", NULL, 0 },
        { "out", 'o', TD_OPT_STRING, &cfg, "DIR", "out", NULL, 0 },
        { NULL, 0, 0, NULL, NULL, NULL, NULL, 0 },
    };
    char *a1[] = { "p", "--out", "d", "--config", "a.conf", "x", NULL };
    CHECK_STR(td_cli_find_value(fopts, "config", 6, a1), "a.conf");
    char *a2[] = { "p", "--config=b.conf", NULL };
    CHECK_STR(td_cli_find_value(fopts, "config", 2, a2), "b.conf");
    char *a3[] = { "p", "-cc.conf", "-c", "d.conf", NULL };
    CHECK_STR(td_cli_find_value(fopts, "config", 4, a3), "d.conf");
    char *a4[] = { "p", "--", "--config", "e.conf", NULL };
    CHECK(td_cli_find_value(fopts, "config", 4, a4) == NULL);
    char *a5[] = { "p", "--configx", "f", "--config", NULL };
    CHECK(td_cli_find_value(fopts, "config", 4, a5) == NULL);
}

int main(void)
{
    TT_RUN(test_usage);
    TT_RUN(test_forms);
    TT_RUN(test_interleave);
    TT_RUN(test_errors);
    TT_RUN(test_lists);
    TT_RUN(test_config_then_cli);
    TT_RUN(test_find_value);
    reset();
    return tt_finish();
}
