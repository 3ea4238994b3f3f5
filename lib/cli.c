/* cli.c: the one option-table command-line layer (contract in cli.h).
 *
 * What it does: parses argv against a table of options, fills their targets, prints usage
 * generated from the table, and fills targets from the config file for options that name
 * a config key.
 *
 * Syntax:
 *   --name VALUE, --name=VALUE, -x VALUE, -xVALUE      options with a value; the next
 *                        argument is taken as the value even if it starts with '-'
 *   --flag, -f, -abc     flags; short flags may be bundled ("-vq"); "--flag=x" is an error
 *   --                   ends options: everything after it is positional
 *   -                    a lone dash is a positional argument (stdin by convention)
 *   --help, -h           print usage to `out`, return TD_CLI_HELP (unless the table uses
 *                        the long name "help" or the short name 'h' itself)
 * Options and positional arguments may be interleaved (GNU style):
 * "import-pcap --out D FILE --sensor S" works. td_cli_parse permutes argv so that all
 * options (and "--") come first, in their order, followed by the positional arguments in
 * their order; *first_arg is the index of the first positional one (argc if none).
 *
 * Guarantees:
 * - Errors are one line, exact: "unknown option --foo", "unknown option -z",
 *   "option --out needs a value (DIR)", "option --verbose takes no value",
 *   "option --snaplen: expected a number, got 'abc'" (same reasons as config.c for sizes,
 *   durations and overflow), "option --exclude: too many values (max 64)", "missing --out".
 *   The option is named the way the user wrote it (-o or --out).
 * - A repeated option: strings and numbers take the last value. Lists: values are split
 *   on commas and whitespace; the first occurrence of a list option in one td_cli_parse call
 *   replaces whatever the list held (e.g. from the config file), later occurrences append;
 *   "--exclude ''" therefore empties a list set by the config.
 * - Precedence, config then command line: call td_cli_apply_config() before
 *   td_cli_parse(). A required option is satisfied when it is given on the command line or
 *   when its target already holds a value (non-NULL string, non-empty list, non-zero
 *   number or flag), e.g. one applied from the config file.
 * - String targets point into argv or into the config's storage. List items point there
 *   too when the value is a single item, else into copies owned by the list
 *   (td_cli_free_list frees them; lists must start zeroed).
 * - No output except usage on --help; no exit.
 */
#include "cli.h"
#include "config.h"
#include "errf.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#define USAGE_MAX_COLUMN 32

void td_cli_free_list(struct td_cli_list *l)
{
    if (!l)
        return;
    for (int i = 0; i < TD_CLI_LIST_MAX; i++)
        free(l->owned[i]);
    memset(l, 0, sizeof *l);
}

static const char *metavar(const struct td_option *o)
{
    if (o->metavar)
        return o->metavar;
    switch (o->kind) {
    case TD_OPT_FLAG: return "";
    case TD_OPT_UINT: return "N";
    case TD_OPT_SIZE: return "SIZE";
    case TD_OPT_DURATION: return "DURATION";
    case TD_OPT_LIST: return "LIST";
    case TD_OPT_STRING: break;
    }
    return "VALUE";
}

static int has_long(const struct td_option *opts, const char *name, size_t n)
{
    for (const struct td_option *o = opts; o->name; o++)
        if (strlen(o->name) == n && memcmp(o->name, name, n) == 0)
            return 1;
    return 0;
}

static int has_short(const struct td_option *opts, char c)
{
    for (const struct td_option *o = opts; o->name; o++)
        if (o->short_name == c)
            return 1;
    return 0;
}

/* Left column of a usage line: "  -o, --out DIR" */
static int usage_left(const struct td_option *o, char *buf, size_t cap)
{
    const char *mv = o->kind == TD_OPT_FLAG ? "" : metavar(o);
    int n;
    if (o->short_name)
        n = snprintf(buf, cap, "  -%c, --%s%s%s", o->short_name, o->name, *mv ? " " : "", mv);
    else
        n = snprintf(buf, cap, "      --%s%s%s", o->name, *mv ? " " : "", mv);
    return n < 0 ? 0 : (n >= (int)cap ? (int)cap - 1 : n);
}

static void usage_line(FILE *out, const char *left, int width, int col, const char *help, int required)
{
    if (!help && !required) {
        fprintf(out, "%s\n", left);
        return;
    }
    if (width + 2 > col)
        fprintf(out, "%s\n%*s", left, col, "");
    else
        fprintf(out, "%s%*s", left, col - width, "");
    fprintf(out, "%s%s%s\n", help ? help : "", help && required ? " " : "", required ? "(required)" : "");
}

void td_cli_usage(FILE *out, const char *prog, const char *synopsis, const struct td_option *opts)
{
    char left[256];
    int col = 0;
    int auto_help = !has_long(opts, "help", 4);
    int auto_h = auto_help && !has_short(opts, 'h');
    for (const struct td_option *o = opts; o->name; o++) {
        int w = usage_left(o, left, sizeof left) + 2;
        if (w > col && w <= USAGE_MAX_COLUMN)
            col = w;
    }
    if (auto_help) {
        int w = (int)strlen("      --help") + 2;
        if (w > col)
            col = w;
    }
    if (col == 0)
        col = USAGE_MAX_COLUMN;
    fprintf(out, "usage: %s %s\n", prog ? prog : "", synopsis && *synopsis ? synopsis : "[options]");
    for (const struct td_option *o = opts; o->name; o++) {
        int w = usage_left(o, left, sizeof left);
        usage_line(out, left, w, col, o->help, o->required);
    }
    if (auto_help) {
        snprintf(left, sizeof left, "%s--help", auto_h ? "  -h, " : "      ");
        usage_line(out, left, (int)strlen(left), col, "show this help and exit", 0);
    }
}

/* Adds the items of value to the list (split on commas and whitespace). */
static int list_add(struct td_cli_list *l, const char *value, const char *shown, char *err, size_t errlen)
{
    const char *p = value;
    for (;;) {
        while (*p == ',' || isspace((unsigned char)*p))
            p++;
        if (!*p)
            return 0;
        const char *s = p;
        while (*p && *p != ',' && !isspace((unsigned char)*p))
            p++;
        if (l->count >= TD_CLI_LIST_MAX) {
            td_errf(err, errlen, "%s: too many values (max %d)", shown, TD_CLI_LIST_MAX);
            return -1;
        }
        size_t n = (size_t)(p - s);
        if (s == value && !*p) {   /* the whole value is one item: no copy */
            l->owned[l->count] = NULL;
            l->items[l->count++] = value;
            return 0;
        }
        char *copy = strndup(s, n);
        if (!copy) {
            td_errf(err, errlen, "%s: out of memory", shown);
            return -1;
        }
        l->owned[l->count] = copy;
        l->items[l->count++] = copy;
    }
}

static void list_clear(struct td_cli_list *l)
{
    for (int i = 0; i < l->count && i < TD_CLI_LIST_MAX; i++) {
        free(l->owned[i]);
        l->owned[i] = NULL;
        l->items[i] = NULL;
    }
    l->count = 0;
}

/* Stores value into o's target. shown is "option --out" or "section.key"-style context. */
static int set_value(const struct td_option *o, const char *value, int replace_list, const char *shown,
                     char *err, size_t errlen)
{
    const char *reason = NULL;
    uint64_t v = 0;
    switch (o->kind) {
    case TD_OPT_FLAG:
        *(int *)o->target = 1;
        return 0;
    case TD_OPT_STRING:
        *(const char **)o->target = value;
        return 0;
    case TD_OPT_UINT:
        reason = td_config_parse_u64(value, &v);
        break;
    case TD_OPT_SIZE:
        reason = td_config_parse_size(value, &v);
        break;
    case TD_OPT_DURATION:
        reason = td_config_parse_duration_ns(value, &v);
        break;
    case TD_OPT_LIST: {
        struct td_cli_list *l = o->target;
        if (replace_list)
            list_clear(l);
        return list_add(l, value, shown, err, errlen);
    }
    }
    if (reason) {
        td_errf(err, errlen, "%s: %s, got '%s'", shown, reason, value);
        return -1;
    }
    *(uint64_t *)o->target = v;
    return 0;
}

static int target_set(const struct td_option *o)
{
    switch (o->kind) {
    case TD_OPT_FLAG: return *(const int *)o->target != 0;
    case TD_OPT_STRING: return *(const char *const *)o->target != NULL;
    case TD_OPT_LIST: return ((const struct td_cli_list *)o->target)->count > 0;
    case TD_OPT_UINT: case TD_OPT_SIZE: case TD_OPT_DURATION: return *(const uint64_t *)o->target != 0;
    }
    return 0;
}

/* Sets option o from value (NULL for a flag) as the user wrote it (`shown`); the first
 * occurrence of a list replaces the config's items, later ones append (*seen tracks it). */
static int take_value(const struct td_option *o, const char *value, const char *shown, unsigned char *seen,
                      char *err, size_t errlen)
{
    char ctx[180];
    snprintf(ctx, sizeof ctx, "option %s", shown);
    if (set_value(o, value, !*seen, ctx, err, errlen) != 0)
        return -1;
    *seen = 1;
    return 0;
}

enum td_cli_res td_cli_parse(const char *prog, const char *synopsis, const struct td_option *opts,
                             int argc, char **argv, int *first_arg, FILE *out, char *err, size_t errlen)
{
    int nopts = 0;
    while (opts[nopts].name)
        nopts++;
    int auto_help = !has_long(opts, "help", 4);
    int auto_h = auto_help && !has_short(opts, 'h');
    if (argc < 1) {
        *first_arg = argc < 0 ? 0 : argc;
        return TD_CLI_OK;
    }
    /* scratch: positional arguments in order, and "given on this command line" per option */
    char **pos = malloc((size_t)argc * sizeof *pos + (size_t)nopts + 1);
    if (!pos) {
        td_errf(err, errlen, "out of memory");
        return TD_CLI_ERROR;
    }
    unsigned char *seen = (unsigned char *)(pos + argc);
    memset(seen, 0, (size_t)nopts + 1);
    int npos = 0, w = 1, i = 1;
    enum td_cli_res res = TD_CLI_OK;
    char shown[160];

    while (i < argc && res == TD_CLI_OK) {
        char *a = argv[i];
        if (strcmp(a, "--") == 0) {
            argv[w++] = argv[i++];
            while (i < argc)
                pos[npos++] = argv[i++];
            break;
        }
        if (a[0] != '-' || a[1] == '\0') {
            pos[npos++] = argv[i++];
            continue;
        }
        int consumed = 1;
        if (a[1] == '-') {
            const char *name = a + 2;
            const char *eq = strchr(name, '=');
            size_t nl = eq ? (size_t)(eq - name) : strlen(name);
            int k = 0;
            while (k < nopts && !(strlen(opts[k].name) == nl && memcmp(opts[k].name, name, nl) == 0))
                k++;
            snprintf(shown, sizeof shown, "--%.*s", (int)(nl > 100 ? 100 : nl), name);
            if (k == nopts) {
                if (auto_help && nl == 4 && memcmp(name, "help", 4) == 0 && !eq) {
                    td_cli_usage(out, prog, synopsis, opts);
                    res = TD_CLI_HELP;
                } else if (auto_help && nl == 4 && memcmp(name, "help", 4) == 0) {
                    td_errf(err, errlen, "option --help takes no value");
                    res = TD_CLI_ERROR;
                } else {
                    td_errf(err, errlen, "unknown option %s", shown);
                    res = TD_CLI_ERROR;
                }
                break;
            }
            const struct td_option *o = &opts[k];
            const char *value = NULL;
            if (o->kind == TD_OPT_FLAG) {
                if (eq) {
                    td_errf(err, errlen, "option %s takes no value", shown);
                    res = TD_CLI_ERROR;
                    break;
                }
            } else if (eq) {
                value = eq + 1;
            } else if (i + 1 < argc) {
                value = argv[i + 1];
                consumed = 2;
            } else {
                td_errf(err, errlen, "option %s needs a value (%s)", shown, metavar(o));
                res = TD_CLI_ERROR;
                break;
            }
            if (take_value(o, value, shown, &seen[k], err, errlen) != 0) {
                res = TD_CLI_ERROR;
                break;
            }
        } else {
            for (const char *p = a + 1; *p; p++) {
                int k = 0;
                while (k < nopts && opts[k].short_name != *p)
                    k++;
                snprintf(shown, sizeof shown, "-%c", *p);
                if (k == nopts) {
                    if (auto_h && *p == 'h') {
                        td_cli_usage(out, prog, synopsis, opts);
                        res = TD_CLI_HELP;
                    } else {
                        if (!isprint((unsigned char)*p))
                            snprintf(shown, sizeof shown, "-\\x%02x", (unsigned char)*p);
                        td_errf(err, errlen, "unknown option %s", shown);
                        res = TD_CLI_ERROR;
                    }
                    break;
                }
                const struct td_option *o = &opts[k];
                const char *value = NULL;
                if (o->kind != TD_OPT_FLAG) {
                    if (p[1]) {
                        value = p + 1;
                    } else if (i + 1 < argc) {
                        value = argv[i + 1];
                        consumed = 2;
                    } else {
                        td_errf(err, errlen, "option %s needs a value (%s)", shown, metavar(o));
                        res = TD_CLI_ERROR;
                        break;
                    }
                }
                if (take_value(o, value, shown, &seen[k], err, errlen) != 0) {
                    res = TD_CLI_ERROR;
                    break;
                }
                if (value)
                    break; /* the rest of this argument was the value */
            }
        }
        if (res != TD_CLI_OK)
            break;
        for (int c = 0; c < consumed; c++)
            argv[w++] = argv[i++];
    }

    if (res == TD_CLI_OK) {
        for (int k = 0; k < nopts; k++) {
            if (opts[k].required && !seen[k] && !target_set(&opts[k])) {
                td_errf(err, errlen, "missing --%s", opts[k].name);
                res = TD_CLI_ERROR;
                break;
            }
        }
    }
    if (res == TD_CLI_OK) {
        for (int p = 0; p < npos; p++)
            argv[w + p] = pos[p];
        *first_arg = w;
    }
    /* On help or error argv may be partly permuted; callers exit then. */
    free(pos);
    return res;
}

int td_cli_apply_config(const struct td_option *opts, const struct td_config *c, char *err, size_t errlen)
{
    if (!c)
        return 0;
    for (const struct td_option *o = opts; o->name; o++) {
        if (!o->config_key)
            continue;
        char section[128];
        const char *key = o->config_key;
        const char *dot = strchr(key, '.');
        if (dot) {
            size_t n = (size_t)(dot - key);
            if (n >= sizeof section)
                continue;
            memcpy(section, key, n);
            section[n] = '\0';
            key = dot + 1;
        } else {
            section[0] = '\0';
        }
        const char *value = td_config_get(c, section, key);
        if (!value)
            continue;
        switch (o->kind) {
        case TD_OPT_FLAG: {
            int b = 0;
            if (td_config_get_bool(c, section, key, 0, &b, err, errlen) != 0)
                return -1;
            *(int *)o->target = b;
            break;
        }
        case TD_OPT_UINT:
            if (td_config_get_u64(c, section, key, 0, o->target, err, errlen) != 0)
                return -1;
            break;
        case TD_OPT_SIZE:
            if (td_config_get_size(c, section, key, 0, o->target, err, errlen) != 0)
                return -1;
            break;
        case TD_OPT_DURATION:
            if (td_config_get_duration_ns(c, section, key, 0, o->target, err, errlen) != 0)
                return -1;
            break;
        case TD_OPT_STRING:
        case TD_OPT_LIST:
            if (set_value(o, value, 1, o->config_key, err, errlen) != 0)
                return -1;
            break;
        }
    }
    return 0;
}

const char *td_cli_find_value(const struct td_option *opts, const char *name, int argc, char **argv)
{
    char short_name = 0;
    for (const struct td_option *o = opts; o->name; o++)
        if (!strcmp(o->name, name))
            short_name = o->short_name;
    size_t n = strlen(name);
    const char *found = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--"))
            break;
        if (a[0] == '-' && a[1] == '-' && !strncmp(a + 2, name, n)) {
            if (a[2 + n] == '=')
                found = a + 3 + n;
            else if (a[2 + n] == '\0' && i + 1 < argc)
                found = argv[++i];
        } else if (short_name && a[0] == '-' && a[1] == short_name) {
            if (a[2])
                found = a + 2;
            else if (i + 1 < argc)
                found = argv[++i];
        }
    }
    return found;
}

enum td_cli_res td_cli_parse_with_config(const char *prog, const char *synopsis, const struct td_option *opts,
                                         int argc, char **argv, int *first_arg, const char *const *known,
                                         struct td_config **cfg, FILE *out, char *err, size_t errlen)
{
    *cfg = NULL;
    const char *path = td_cli_find_value(opts, "config", argc, argv);
    if (path) {
        *cfg = td_config_load(path, err, errlen);
        if (!*cfg)
            return TD_CLI_ERROR;
        if ((known && td_config_check_known(*cfg, known, err, errlen) != 0) ||
            td_cli_apply_config(opts, *cfg, err, errlen) != 0)
            return TD_CLI_ERROR;
    }
    return td_cli_parse(prog, synopsis, opts, argc, argv, first_arg, out, err, errlen);
}

int td_cli_main_parse(const char *prog, const char *synopsis, const struct td_option *opts, int argc,
                      char **argv, int *first_arg, const char *const *known, struct td_config **cfg,
                      FILE *out, FILE *errout)
{
    char err[512];
    enum td_cli_res r = cfg ? td_cli_parse_with_config(prog, synopsis, opts, argc, argv, first_arg, known, cfg,
                                                       out, err, sizeof err)
                            : td_cli_parse(prog, synopsis, opts, argc, argv, first_arg, out, err, sizeof err);
    if (r == TD_CLI_HELP)
        return 1;
    if (r == TD_CLI_ERROR) {
        fprintf(errout, "%s: %s (see --help)\n", prog, err);
        return -1;
    }
    return 0;
}
