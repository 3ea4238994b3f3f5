/* fileset.h: ROOT/FILESET, the manifest of the live generations. A generation directory
 * that FILESET does not list is invisible to readers.
 *
 * Format (text, every line ends with '\n'):
 *     tapdns-fileset 1
 *     NAME TIER MIN_TIME_FIRST MAX_TIME_LAST
 *     ...
 * NAME: 1-63 octets of [a-z0-9.-], starting with its tier letter and '.', unique; it is
 * the directory ROOT/NAME (hours: h.YYYYMMDDHH.SEQ). TIER: h (hour), d (day) or m (month). Times: decimal seconds (u32),
 * min <= max, or both 0 for an empty generation. Lines are kept sorted by NAME.
 * A missing FILESET is an empty set. Anything else malformed is an error (never guessed).
 *
 * Replacement is atomic: ROOT/FILESET.tmp is written, fsynced, renamed over ROOT/FILESET,
 * and ROOT is fsynced; a reader sees the old set or the new one. Writers serialize among
 * themselves (tapdns-index holds a lock on ROOT); readers need no lock. */
#ifndef TD_FILESET_H
#define TD_FILESET_H
#include <stddef.h>
#include <stdint.h>

#define TD_FILESET_VERSION 1
#define TD_FILESET_NAME_MAX 64        /* including the NUL */
#define TD_FILESET_MAX_GENS 100000    /* bounded load */

struct td_fileset_gen {
    char name[TD_FILESET_NAME_MAX];
    char tier;                        /* 'h', 'd' or 'm' */
    uint32_t min_time_first, max_time_last;
};

struct td_fileset {
    uint32_t n, cap;
    struct td_fileset_gen *gens;      /* sorted by name */
};

/* Loads ROOT/FILESET into fs (initialized by this call; free with td_fileset_free). 0, or -1
 * with err ("FILESET:LINE: reason"). A missing file gives an empty set. */
int td_fileset_load(const char *root, struct td_fileset *fs, char *err, size_t errlen);
/* Same from text (tests). */
int td_fileset_parse(const char *text, size_t len, struct td_fileset *fs, char *err, size_t errlen);
/* Atomic replace of ROOT/FILESET with fs. 0 or -1 with err (the old FILESET stays). */
int td_fileset_store(const char *root, const struct td_fileset *fs, char *err, size_t errlen);
/* Text form into a malloc'd buffer (*len set); NULL on out of memory. */
char *td_fileset_format(const struct td_fileset *fs, size_t *len);
void td_fileset_free(struct td_fileset *fs);

/* 1 if name is a valid generation name. */
int td_fileset_name_ok(const char *name);
/* Index of the generation named name, or -1. */
int td_fileset_find(const struct td_fileset *fs, const char *name);
/* Inserts g (sorted); an existing entry of the same name is replaced. 0, or -1 with err
 * (bad name or tier, times, too many). */
int td_fileset_put(struct td_fileset *fs, const struct td_fileset_gen *g, char *err, size_t errlen);
/* Removes the entry named name; 1 if it was there, 0 if not. */
int td_fileset_remove(struct td_fileset *fs, const char *name);

/* Writers' lock: creates ROOT/index.lock and takes an exclusive flock on it (not waiting).
 * Returns the fd to keep open for the lock's life (close releases it), or -1 with err
 * ("held by another process" when busy). */
int td_fileset_lock(const char *root, char *err, size_t errlen);
/* Under the writers' lock, after a crash: removes everything in ROOT/tmp/ (temporary
 * generations, spill files) and every generation-named directory of ROOT that fs does not
 * list (a build that died between its rename and the FILESET replace). Returns the number
 * of entries removed, or -1 with err. */
int td_fileset_cleanup(const char *root, const struct td_fileset *fs, char *err, size_t errlen);

#endif
