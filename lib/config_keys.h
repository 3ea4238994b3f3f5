/* config_keys.h: every key of the one tapdns config file, for every program. A program checks
 * the file it loads against this list (td_config_check_known), so a typo is an error, while
 * keys meant for the other programs sharing the file pass. Add a program's keys here. */
#ifndef TD_CONFIG_KEYS_H
#define TD_CONFIG_KEYS_H

extern const char *const td_config_known_keys[];

#endif
