/* state.h: what tapdns-batch has done, kept in STATE_DIR/state (text, versioned):
 *     tapdns-batch-state 1
 *     bailiwick FILE            bailiwick cache file of this state (in STATE_DIR), or "-"
 *     next YYYYMMDDHH SEQ       next output sequence number of that hour
 *     done SPOOLFILE            a spool file (base name) whose records are in an output
 * A run commits by writing the whole state to state.tmp, fsync, rename to state, fsync of
 * the directory: a reader (or the next run) sees the old state or the new one. The done list
 * keeps only names still present in the spool directory, so it stays as small as the spool.
 * Library code: errors come back as one line in err. */
#ifndef TD_BATCH_STATE_H
#define TD_BATCH_STATE_H
#include <stddef.h>
#include <stdint.h>

struct td_hour_seq {
    uint32_t hour;  /* hours since the epoch */
    uint32_t next;
};

struct td_batch_state {
    char bailiwick[256];       /* "" when none */
    size_t ndone, done_cap;
    char **done;               /* sorted */
    size_t nseq, seq_cap;
    struct td_hour_seq *seq;   /* sorted by hour */
};

/* Loads STATE_DIR/state; a missing file is a fresh state. -1 with err on a bad file. */
int td_batch_state_load(const char *dir, struct td_batch_state *s, char *err, size_t errlen);
void td_batch_state_free(struct td_batch_state *s);
int td_batch_state_is_done(const struct td_batch_state *s, const char *name);
/* Adds a name to the done list (kept sorted); -1 on allocation failure. */
int td_batch_state_add_done(struct td_batch_state *s, const char *name);
/* Next sequence number of an hour (0 if never used), and its increment. */
uint32_t td_batch_state_next_seq(const struct td_batch_state *s, uint32_t hour);
int td_batch_state_bump_seq(struct td_batch_state *s, uint32_t hour);
/* Drops done names for which keep(ctx, name) returns 0. */
void td_batch_state_prune(struct td_batch_state *s, int (*keep)(void *ctx, const char *name), void *ctx);
/* Atomic write as described above. */
int td_batch_state_commit(const char *dir, const struct td_batch_state *s, char *err, size_t errlen);

#endif
