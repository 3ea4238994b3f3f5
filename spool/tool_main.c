/* tapdns-spool: import captures into spool files and inspect them. */
#include "cli.h"
#include "config_keys.h"
#include "tool.h"
#include <stdio.h>
#include <string.h>

static const struct {
    const char *name;
    int (*fn)(int, char **);
    const char *help;
} commands[] = {
    { "import-pcap", tool_import_pcap, "read pcap/pcapng files through the capture core into spool files" },
    { "cat", tool_cat, "print the records of spool files as JSON lines" },
    { "verify", tool_verify, "check spool files (exit 0 all good, 1 any bad)" },
    { "stats", tool_stats, "summarise spool files" },
    { "to-pcap", tool_to_pcap, "write the records of spool files back as a pcap file" },
    { "recover", tool_recover, "turn .open files left by a crashed writer into closed files" },
};

static void usage(FILE *out)
{
    fprintf(out, "usage: tapdns-spool COMMAND [OPTIONS] [FILE...]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(out, "  %-12s %s\n", commands[i].name, commands[i].help);
    fprintf(out, "\n'tapdns-spool COMMAND --help' describes each command's options.\n");
}

int tool_parse(const char *prog, const char *synopsis, const struct td_option *opts,
               int argc, char **argv, int *first, int need_args, struct td_config **cfg)
{
    int r = td_cli_main_parse(prog, synopsis, opts, argc, argv, first, td_config_known_keys, cfg, stdout, stderr);
    if (r != 0)
        return r;
    if (need_args && *first >= argc) {
        fprintf(stderr, "%s: no FILE given (see --help)\n", prog);
        return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return 0;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (!strcmp(argv[1], commands[i].name))
            return commands[i].fn(argc - 1, argv + 1);
    fprintf(stderr, "tapdns-spool: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return 2;
}
