/* filter.h: static filters applied to accepted RRsets, as the seed system had them.
 * Rules are numbered from 1 in the order they are added; a dropped RRset's discard entry
 * keeps the rule number, and td_filter_rule_text() tells what it was.
 *   - SOA discard (option): every SOA RRset.
 *   - DNS blacklist entries: "x" (exactly x), "*.x" (strictly below x), "**.x" (x and below).
 *   - Regex blacklist: PCRE2/Hyperscan-style patterns matched against the owner in
 *     presentation form, lowercased, with the trailing dot ("www.example.com."); thousands of
 *     patterns must stay fast (one compiled multi-pattern database, not a loop).
 *   - Local zones: "x" drops x and everything below (the sensor-side filter's batch twin).
 * A filter holds its own Hyperscan scratch: one td_filter per thread. Rules are added, then
 * td_filter_compile(); adding after compile is refused. td_filter_add_regex refuses patterns
 * Hyperscan cannot compile (back-references, lookaround), patterns that match the empty
 * string (they would drop everything) and patterns longer than any owner text can be.
 *
 */
#ifndef TD_FILTER_H
#define TD_FILTER_H
#include <stddef.h>
#include <stdint.h>

struct td_filter;
struct td_filter *td_filter_init(void);
void td_filter_destroy(struct td_filter **fp);
/* Each returns the new rule's number (>= 1) or -1 with err. */
int td_filter_add_soa(struct td_filter *f, char *err, size_t errlen);
int td_filter_add_name(struct td_filter *f, const char *pattern, char *err, size_t errlen);
int td_filter_add_regex(struct td_filter *f, const char *pattern, char *err, size_t errlen);
int td_filter_add_local_zone(struct td_filter *f, const char *zone, char *err, size_t errlen);
/* Loads rules from a file: one per line, "soa", "name PATTERN", "regex PATTERN",
 * "local ZONE"; '#' comments, blank lines. -1 with err (FILE:LINE: reason). */
int td_filter_load(struct td_filter *f, const char *path, char *err, size_t errlen);
/* Must be called after the last add and before check (compiles the regex database). */
int td_filter_compile(struct td_filter *f, char *err, size_t errlen);
/* 0 if the RRset passes, else the number of the first matching rule (lowest number). */
int td_filter_check(const struct td_filter *f, const uint8_t *owner, size_t owner_len, uint16_t type);
const char *td_filter_rule_text(const struct td_filter *f, int rule);
int td_filter_rule_count(const struct td_filter *f);

#endif
