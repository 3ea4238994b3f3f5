/* tool.h: subcommands of tapdns-spool. Each returns the process exit status
 * (0 good, 1 failure or bad input found, 2 usage error). */
#ifndef TD_SPOOL_TOOL_H
#define TD_SPOOL_TOOL_H
int tool_import_pcap(int argc, char **argv);
int tool_cat(int argc, char **argv);
int tool_verify(int argc, char **argv);
int tool_stats(int argc, char **argv);
int tool_to_pcap(int argc, char **argv);
int tool_recover(int argc, char **argv);
/* Parses options for a subcommand (and, when cfg is not NULL, the config file its --config
 * names: *cfg receives it, to free after use); prints errors/usage. Returns -1 (exit 2), 1
 * (help printed, exit 0) or 0 with *first set to the first positional argument. */
struct td_option;
struct td_config;
int tool_parse(const char *prog, const char *synopsis, const struct td_option *opts,
               int argc, char **argv, int *first, int need_args, struct td_config **cfg);
#endif
