/* index_fixture.h: generations and queries for the reading library's tests (test_index_read,
 * test_index_wild): observations written as text, built into generations with the generation
 * builder and keys.c (no CLI), queries built from text, results as one line each. */
#ifndef TD_INDEX_FIXTURE_H
#define TD_INDEX_FIXTURE_H
#include <stddef.h>
#include <stdint.h>
#include "index.h"

/* The test's scratch directory (set by main before mkroot). */
extern char ix_base[128];

/* One observation. rd: A/AAAA address, name, "PREF NAME" for MX, "#hex" raw; up to 3. */
struct tobs {
    const char *owner;
    uint16_t type;
    const char *bw;
    const char *rd[3];
    uint64_t count;
    uint32_t tf, tl;
};

/* Rdata of type from text into out; 0 on a bad text. */
size_t ix_rd_from_text(uint16_t type, const char *t, uint8_t *out);
/* Builds generation NAME under root from n observations (equal keys merged), the i-th given
 * by key_at (its observation key, batch/obs.h, into key, at most 4096 octets, and its value;
 * 0 = bad); adds it to FILESET. 0 or -1 (after TT_FAIL). */
struct td_obs_value;
int build_gen_keys(const char *root, const char *name, size_t n,
                   size_t (*key_at)(void *ctx, size_t i, uint8_t *key, struct td_obs_value *v), void *ctx);
/* The same from obs[] (values as given). */
int build_gen(const char *root, const char *name, const struct tobs *obs, size_t n);
/* obs as one generation under ix_base/one (root1), and the same data in 3 generations under
 * ix_base/three (root3): an observation of count >= 2 is split into (1, tf, tf) in gen 0 and
 * (count-1, tl, tl) in gen 2, so only the read-time merge gives back its values; count 1 goes to
 * generation i % 3. */
void build_one_and_three(const struct tobs *obs, size_t n, char *root1, char *root3, size_t cap);
/* root = ix_base/sub, emptied, with root/tmp. */
void mkroot(char *root, size_t cap, const char *sub);
/* A result as "owner type bailiwick rdata|rdata cCOUNT tf-tl\n". */
void rtext(const struct td_index_result *r, char *out, size_t cap);
/* All results of q over root as lines; "ERR: ..." on an error; *ngens (may be NULL) the
 * generations scanned. Caller frees. */
char *run_q(const char *root, const struct td_index_query *q, size_t *ngens);
/* A table case: the query and its expected run_q text. */
struct qcase {
    const char *what;
    struct td_index_query q;
    const char *expect;
};
/* Each case over root1 (one generation) and root3 (the same data in three): a failure names
 * the case and the set. */
void run_cases_on(const struct qcase *c, size_t n, const char *root1, const char *root3);
/* A 256-octet buffer from a ring of 128 (names of queries built into tables). */
uint8_t *slot(void);
/* Queries from text (names kept in a ring of 128 slots, enough for one table of cases). */
struct td_index_query qn(enum td_index_qkind kind, const char *name, int type, const char *bw);
struct td_index_query qip(const char *lo, const char *hi, unsigned pfx);

#define CHECK_Q(root, q, expect) do { char *_r = run_q(root, &(q), NULL); CHECK_STR(_r, expect); free(_r); } while (0)

#endif
