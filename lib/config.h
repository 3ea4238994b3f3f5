/* config.h: the one config-file layer (INI syntax read with inih: "[section]", "key = value",
 * "#" or ";" comments). Values are strings; typed getters parse them with clear errors.
 * Errors are written into a caller buffer as "FILE:LINE: reason" (or "section.key: reason"). */
#ifndef TD_CONFIG_H
#define TD_CONFIG_H
#include <stddef.h>
#include <stdint.h>

struct td_config;

/* NULL on error (unreadable file, syntax error, duplicate key) with err filled. */
struct td_config *td_config_load(const char *path, char *err, size_t errlen);
/* Same from a string (tests, fuzzing). name is used in error messages. */
struct td_config *td_config_parse(const char *text, size_t len, const char *name, char *err, size_t errlen);
void td_config_free(struct td_config **cp);

/* Raw value or NULL if absent. */
const char *td_config_get(const struct td_config *c, const char *section, const char *key);
/* Typed getters: return 0 and set *out (to def when absent), or -1 with err on a bad value.
 * Sizes take K/M/G suffixes (powers of 1024); durations take s/m/h/d suffixes (default s). */
int td_config_get_u64(const struct td_config *c, const char *section, const char *key,
                      uint64_t def, uint64_t *out, char *err, size_t errlen);
int td_config_get_size(const struct td_config *c, const char *section, const char *key,
                       uint64_t def, uint64_t *out, char *err, size_t errlen);
int td_config_get_duration_ns(const struct td_config *c, const char *section, const char *key,
                              uint64_t def, uint64_t *out, char *err, size_t errlen);
int td_config_get_bool(const struct td_config *c, const char *section, const char *key,
                       int def, int *out, char *err, size_t errlen);
/* Every "section.key" in the file must be in `known` (NULL-terminated), else -1 with err
 * naming the first unknown one (typos must not pass silently). */
int td_config_check_known(const struct td_config *c, const char *const *known, char *err, size_t errlen);

/* Splits a list value ("a, b c") into at most max items copied into `items` (each
 * item_cap octets); returns the count or -1 (too many / too long) with err. */
int td_config_split_list(const char *value, char (*items)[256], int max, char *err, size_t errlen);

/* Value parsers shared by the getters and the CLI layer: NULL on success, else the reason
 * (without the value), e.g. "expected a number". Same suffix rules as the getters. */
const char *td_config_parse_u64(const char *s, uint64_t *out);
const char *td_config_parse_size(const char *s, uint64_t *out);
const char *td_config_parse_duration_ns(const char *s, uint64_t *out);
const char *td_config_parse_bool(const char *s, int *out);

#endif
