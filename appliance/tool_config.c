/* tapdns-config: the config file from the shell, through the one config layer (lib/config.h),
 * so scripts (appliance/tapdns-jobs, the systemd units) never parse INI themselves.
 *
 *   tapdns-config [--config FILE] check            every key known, file readable; exit 0/1
 *   tapdns-config [--config FILE] get SECTION.KEY [DEFAULT]
 *       prints the value (or DEFAULT) and a newline; exit 1 when unset and no DEFAULT given
 *   tapdns-config keys                             every key a config file may hold
 *
 * FILE defaults to /etc/tapdns/tapdns.conf, or $TAPDNS_CONFIG when set. Exit 2: usage. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "config.h"
#include "config_keys.h"

static const char *prog = "tapdns-config";

static int get(const struct td_config *cfg, const char *key, const char *dflt)
{
    char section[64];
    const char *dot = strchr(key, '.');
    if (!dot || dot == key || (size_t)(dot - key) >= sizeof section || !dot[1]) {
        fprintf(stderr, "%s get: %s: want SECTION.KEY\n", prog, key);
        return 2;
    }
    memcpy(section, key, (size_t)(dot - key));
    section[dot - key] = '\0';
    int known = 0;
    for (const char *const *k = td_config_known_keys; *k; k++)
        known |= strcmp(*k, key) == 0;
    if (!known) {
        fprintf(stderr, "%s get: %s: no such key (tapdns-config keys lists them)\n", prog, key);
        return 2;
    }
    const char *v = cfg ? td_config_get(cfg, section, dot + 1) : NULL;
    if (!v)
        v = dflt;
    if (!v)
        return 1;
    printf("%s\n", v);
    return 0;
}

int main(int argc, char **argv)
{
    const char *config = getenv("TAPDNS_CONFIG");
    if (!config || !*config)
        config = "/etc/tapdns/tapdns.conf";
    const struct td_option opts[] = {
        { "config", 'c', TD_OPT_STRING, &config, "FILE", "config file (default $TAPDNS_CONFIG or /etc/tapdns/tapdns.conf)",
          NULL, 0 },
        { NULL, 0, 0, NULL, NULL, NULL, NULL, 0 },
    };
    int first;
    int pr = td_cli_main_parse(prog, "check | get SECTION.KEY [DEFAULT] | keys", opts, argc, argv, &first, NULL, NULL,
                               stdout, stderr);
    if (pr != 0)
        return pr < 0 ? 2 : 0;
    if (first >= argc) {
        fprintf(stderr, "%s: no command (check, get, keys; see --help)\n", prog);
        return 2;
    }
    const char *cmd = argv[first];
    if (strcmp(cmd, "keys") == 0) {
        for (const char *const *k = td_config_known_keys; *k; k++)
            printf("%s\n", *k);
        return 0;
    }
    if (strcmp(cmd, "check") != 0 && strcmp(cmd, "get") != 0) {
        fprintf(stderr, "%s: unknown command %s (check, get, keys)\n", prog, cmd);
        return 2;
    }
    char err[512];
    struct td_config *cfg = td_config_load(config, err, sizeof err);
    if (!cfg) {
        fprintf(stderr, "%s: %s\n", prog, err);
        return 1;
    }
    int rc;
    if (td_config_check_known(cfg, td_config_known_keys, err, sizeof err) != 0) {
        fprintf(stderr, "%s: %s\n", prog, err);
        rc = 1;
    } else if (strcmp(cmd, "check") == 0) {
        printf("%s: ok\n", config);
        rc = 0;
    } else if (first + 1 >= argc || first + 3 < argc) {
        fprintf(stderr, "%s get: want SECTION.KEY [DEFAULT]\n", prog);
        rc = 2;
    } else {
        rc = get(cfg, argv[first + 1], first + 2 < argc ? argv[first + 2] : NULL);
    }
    td_config_free(&cfg);
    return rc;
}
