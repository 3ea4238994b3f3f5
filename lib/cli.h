/* cli.h: the one option-table command-line layer. A program describes its options in a
 * table; td_cli_parse() handles "--name value", "--name=value", "-x value", flags, "--",
 * "--help" (prints usage from the table) and errors. Options and positional arguments may be
 * interleaved (argv is reordered: options first). An option may name a config key
 * ("section.key"). Order: td_cli_find_value() for the config path, td_config_load(),
 * td_cli_apply_config(), then td_cli_parse(), so the command line overrides the file. A
 * required option counts as given when the config set it. The first occurrence of a list
 * option on the command line replaces the config's list; later ones append. */
#ifndef TD_CLI_H
#define TD_CLI_H
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct td_config;

enum td_opt_kind {
    TD_OPT_FLAG,     /* int *: set to 1 */
    TD_OPT_STRING,   /* const char **: points into argv / config (lives as long as they do) */
    TD_OPT_UINT,     /* uint64_t * */
    TD_OPT_SIZE,     /* uint64_t *, K/M/G suffixes */
    TD_OPT_DURATION, /* uint64_t * in ns, s/m/h/d suffixes */
    TD_OPT_LIST,     /* struct td_cli_list *: repeatable, or comma-separated */
};

#define TD_CLI_LIST_MAX 64
struct td_cli_list {
    int count;
    const char *items[TD_CLI_LIST_MAX];
    char *owned[TD_CLI_LIST_MAX]; /* copies made when splitting "a,b" (freed by td_cli_free_list) */
};
void td_cli_free_list(struct td_cli_list *l);

struct td_option {
    const char *name;        /* long name without "--"; NULL ends the table */
    char short_name;         /* 0 if none */
    enum td_opt_kind kind;
    void *target;
    const char *metavar;     /* "DIR", "FILE", ... */
    const char *help;
    const char *config_key;  /* "section.key" or NULL */
    int required;
};

enum td_cli_res { TD_CLI_OK = 0, TD_CLI_HELP = 1, TD_CLI_ERROR = -1 };
/* Parses argv[1..]; on TD_CLI_OK *first_arg is the index of the first positional argument.
 * TD_CLI_HELP: usage was written to `out` (stdout), exit 0. TD_CLI_ERROR: err holds one
 * line; the caller prints it with a hint to --help and exits 2. */
enum td_cli_res td_cli_parse(const char *prog, const char *synopsis, const struct td_option *opts,
                             int argc, char **argv, int *first_arg, FILE *out, char *err, size_t errlen);
void td_cli_usage(FILE *out, const char *prog, const char *synopsis, const struct td_option *opts);
/* Value of option `name` (long name) as given in argv ("--name V", "--name=V", "-x V", "-xV"
 * with x its short name), before full parsing; the last occurrence wins; NULL if absent. */
const char *td_cli_find_value(const struct td_option *opts, const char *name, int argc, char **argv);
/* The common start of a program: when argv names a config file (option "config"), loads it,
 * checks its keys against `known` (NULL-terminated; NULL skips the check), applies it to the
 * table, then parses argv like td_cli_parse. *cfg receives the loaded config or NULL; the
 * caller frees it with td_config_free after the last use of string targets (they may point
 * into it). A config error is TD_CLI_ERROR with err set. */
enum td_cli_res td_cli_parse_with_config(const char *prog, const char *synopsis, const struct td_option *opts,
                                         int argc, char **argv, int *first_arg, const char *const *known,
                                         struct td_config **cfg, FILE *out, char *err, size_t errlen);
/* For a program's main(): td_cli_parse_with_config (or td_cli_parse when cfg is NULL), then
 * an error as one line "PROG: reason (see --help)" on errout. Returns 0 (parsed), 1 (usage
 * printed on out: exit 0) or -1 (error printed: exit 2). */
int td_cli_main_parse(const char *prog, const char *synopsis, const struct td_option *opts, int argc,
                      char **argv, int *first_arg, const char *const *known, struct td_config **cfg,
                      FILE *out, FILE *errout);
/* Fills targets of options that name a config key present in c; -1 with err on a bad value. */
int td_cli_apply_config(const struct td_option *opts, const struct td_config *c, char *err, size_t errlen);

#endif
