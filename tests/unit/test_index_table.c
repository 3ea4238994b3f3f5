/* test_index_table: the index-linked pool (lib/index_table.h): free list, hash chains, age
 * list, random operations checked against a plain reference model, and the key hash. */
#include "tt.h"
#include "index_table.h"

#define NIL TD_ITAB_NIL

/* Entries of the age list from oldest to youngest into out; returns the count (stops at cap). */
static uint32_t
age_walk(const struct td_itab *t, uint32_t *out, uint32_t cap)
{
    uint32_t n = 0;
    for (uint32_t i = td_itab_oldest(t); i != NIL && n < cap; i = td_itab_younger(t, i))
        out[n++] = i;
    return n;
}

/* Same, youngest to oldest, through the `older` links. */
static uint32_t
age_walk_back(const struct td_itab *t, uint32_t *out, uint32_t cap)
{
    uint32_t n = 0;
    for (uint32_t i = t->youngest; i != NIL && n < cap; i = t->link[i].older)
        out[n++] = i;
    return n;
}

static uint32_t
chain_walk(const struct td_itab *t, uint64_t hash, uint32_t *out, uint32_t cap)
{
    uint32_t n = 0;
    for (uint32_t i = td_itab_first(t, hash); i != NIL && n < cap; i = td_itab_next(t, i))
        out[n++] = i;
    return n;
}

static void
test_init(void)
{
    static const struct { uint32_t n; uint64_t minb; int rc; uint32_t mask; } cases[] = {
        { 4, 0, 0, 0 }, { 4, 1, 0, 0 }, { 4, 2, 0, 1 }, { 4, 5, 0, 7 }, { 4, 8, 0, 7 },
        { 1, 1000, 0, 1023 }, { 0, 1, 0, 0 }, { 4, (1ull << 31) + 1, -1, 0 },
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        struct td_itab t;
        int rc = td_itab_init(&t, cases[c].n, cases[c].minb);
        CHECK_EQ(rc, cases[c].rc);
        if (rc == 0) {
            CHECK_EQ(t.mask, cases[c].mask);
            CHECK_EQ(t.n, cases[c].n);
            CHECK_EQ(td_itab_oldest(&t), NIL);
            CHECK_EQ(td_itab_full(&t), cases[c].n == 0);
            for (uint64_t b = 0; b <= t.mask; b++)
                CHECK_EQ(td_itab_first(&t, b), NIL);
        } else {
            CHECK(t.link == NULL && t.bucket == NULL);
        }
        td_itab_destroy(&t);
        td_itab_destroy(&t);          /* twice is harmless */
    }
}

static void
test_insert_find_remove(void)
{
    struct td_itab t;
    CHECK_EQ(td_itab_init(&t, 8, 4), 0);
    /* Hashes 1, 5, 9 share bucket 1 (mask 3); 2 is alone; only the low bits count. */
    uint32_t a = td_itab_insert(&t, 1);
    uint32_t b = td_itab_insert(&t, 5);
    uint32_t c = td_itab_insert(&t, 2);
    uint32_t d = td_itab_insert(&t, 9 + (7ull << 40));
    CHECK_EQ(a, 0);
    CHECK_EQ(b, 1);
    CHECK_EQ(c, 2);
    CHECK_EQ(d, 3);
    uint32_t got[8], n;
    n = chain_walk(&t, 1, got, 8);    /* newest first */
    CHECK_EQ(n, 3);
    CHECK_EQ(got[0], d);
    CHECK_EQ(got[1], b);
    CHECK_EQ(got[2], a);
    CHECK_EQ(chain_walk(&t, 2, got, 8), 1);
    CHECK_EQ(got[0], c);
    CHECK_EQ(chain_walk(&t, 0, got, 8), 0);
    CHECK_EQ(chain_walk(&t, 3, got, 8), 0);

    td_itab_remove(&t, b);            /* middle of the chain */
    n = chain_walk(&t, 1, got, 8);
    CHECK_EQ(n, 2);
    CHECK_EQ(got[0], d);
    CHECK_EQ(got[1], a);
    td_itab_remove(&t, d);            /* head of the chain */
    n = chain_walk(&t, 1, got, 8);
    CHECK_EQ(n, 1);
    CHECK_EQ(got[0], a);
    td_itab_remove(&t, a);            /* last one */
    CHECK_EQ(chain_walk(&t, 1, got, 8), 0);
    CHECK_EQ(chain_walk(&t, 2, got, 8), 1);
    n = age_walk(&t, got, 8);
    CHECK_EQ(n, 1);
    CHECK_EQ(got[0], c);
    td_itab_remove(&t, c);
    CHECK_EQ(td_itab_oldest(&t), NIL);
    CHECK_EQ(t.youngest, NIL);
    td_itab_destroy(&t);
}

static void
test_free_list(void)
{
    struct td_itab t;
    CHECK_EQ(td_itab_init(&t, 4, 4), 0);
    for (uint32_t i = 0; i < 4; i++) {
        CHECK_EQ(td_itab_full(&t), 0);
        CHECK_EQ(td_itab_insert(&t, i * 3), i);   /* index order after init */
    }
    CHECK_EQ(td_itab_full(&t), 1);
    uint32_t before[4], after[4];
    CHECK_EQ(age_walk(&t, before, 4), 4);
    CHECK_EQ(td_itab_insert(&t, 7), NIL);         /* full: nothing changes */
    CHECK_EQ(age_walk(&t, after, 4), 4);
    CHECK_MEM(before, after, sizeof before);
    uint32_t got[4];
    CHECK_EQ(chain_walk(&t, 7, got, 4), 1);       /* bucket 3 still holds only entry 1 */
    CHECK_EQ(got[0], 1);

    td_itab_remove(&t, 2);
    CHECK_EQ(td_itab_full(&t), 0);
    CHECK_EQ(td_itab_insert(&t, 1), 2);
    td_itab_remove(&t, 1);                        /* LIFO: last freed comes out first */
    td_itab_remove(&t, 3);
    CHECK_EQ(td_itab_insert(&t, 0), 3);
    CHECK_EQ(td_itab_insert(&t, 0), 1);
    CHECK_EQ(td_itab_insert(&t, 0), NIL);
    /* Empty it and fill it again: every index comes back exactly once. */
    for (uint32_t i = 0; i < 4; i++)
        td_itab_remove(&t, i);
    CHECK_EQ(td_itab_oldest(&t), NIL);
    uint32_t seen = 0;
    for (uint32_t i = 0; i < 4; i++) {
        uint32_t x = td_itab_insert(&t, i);
        CHECK(x < 4);
        if (x < 4)
            seen |= 1u << x;
    }
    CHECK_EQ(seen, 0xf);
    CHECK_EQ(td_itab_full(&t), 1);
    td_itab_destroy(&t);
}

static void
test_age_order(void)
{
    struct td_itab t;
    CHECK_EQ(td_itab_init(&t, 6, 8), 0);
    for (uint32_t i = 0; i < 5; i++)
        td_itab_insert(&t, i);
    uint32_t got[8], back[8], n;
    static const uint32_t e0[] = { 0, 1, 2, 3, 4 };
    CHECK_EQ(age_walk(&t, got, 8), 5);
    CHECK_MEM(got, e0, sizeof e0);

    td_itab_touch(&t, 0);             /* oldest becomes youngest */
    static const uint32_t e1[] = { 1, 2, 3, 4, 0 };
    CHECK_EQ(age_walk(&t, got, 8), 5);
    CHECK_MEM(got, e1, sizeof e1);
    td_itab_touch(&t, 3);             /* middle */
    static const uint32_t e2[] = { 1, 2, 4, 0, 3 };
    CHECK_EQ(age_walk(&t, got, 8), 5);
    CHECK_MEM(got, e2, sizeof e2);
    td_itab_touch(&t, 3);             /* already youngest */
    CHECK_EQ(age_walk(&t, got, 8), 5);
    CHECK_MEM(got, e2, sizeof e2);

    td_itab_remove(&t, 4);            /* middle */
    static const uint32_t e3[] = { 1, 2, 0, 3 };
    n = age_walk(&t, got, 8);
    CHECK_EQ(n, 4);
    CHECK_MEM(got, e3, sizeof e3);
    td_itab_remove(&t, 1);            /* oldest */
    static const uint32_t e4[] = { 2, 0, 3 };
    CHECK_EQ(age_walk(&t, got, 8), 3);
    CHECK_MEM(got, e4, sizeof e4);
    CHECK_EQ(td_itab_oldest(&t), 2);
    td_itab_remove(&t, 3);            /* youngest */
    static const uint32_t e5[] = { 2, 0 };
    CHECK_EQ(age_walk(&t, got, 8), 2);
    CHECK_MEM(got, e5, sizeof e5);
    CHECK_EQ(age_walk_back(&t, back, 8), 2);
    CHECK_EQ(back[0], 0);
    CHECK_EQ(back[1], 2);
    CHECK_EQ(td_itab_younger(&t, 0), NIL);

    uint32_t x = td_itab_insert(&t, 9);   /* new entries are youngest; freed 3 is reused */
    CHECK_EQ(x, 3);
    static const uint32_t e6[] = { 2, 0, 3 };
    CHECK_EQ(age_walk(&t, got, 8), 3);
    CHECK_MEM(got, e6, sizeof e6);
    td_itab_touch(&t, 2);
    td_itab_remove(&t, 0);
    td_itab_remove(&t, 3);
    CHECK_EQ(td_itab_oldest(&t), 2);
    CHECK_EQ(t.youngest, 2);
    td_itab_touch(&t, 2);             /* the only entry */
    CHECK_EQ(age_walk(&t, got, 8), 1);
    CHECK_EQ(age_walk_back(&t, back, 8), 1);
    td_itab_destroy(&t);
}

/* Reference model: plain arrays, searched linearly. */
#define MN 48
#define MB 8          /* few buckets: long chains */
struct model {
    int live[MN];
    uint64_t hash[MN];
    uint32_t age[MN], nage;          /* oldest first */
    uint32_t freestk[MN], nfree;     /* top is freestk[nfree - 1] */
    uint32_t chain[MB][MN], nchain[MB];  /* head first */
};

static void
list_del(uint32_t *a, uint32_t *n, uint32_t x)
{
    for (uint32_t k = 0; k < *n; k++) {
        if (a[k] == x) {
            memmove(a + k, a + k + 1, (*n - k - 1) * sizeof *a);
            (*n)--;
            return;
        }
    }
}

static uint32_t rng;
static uint32_t
rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 17;
    rng ^= rng << 5;
    return rng;
}

/* Returns 1 if t and the model agree on everything observable. */
static int
model_agrees(const struct td_itab *t, const struct model *m)
{
    uint32_t got[MN + 1], n;
    n = age_walk(t, got, MN + 1);
    if (n != m->nage || memcmp(got, m->age, n * sizeof *got) != 0)
        return 0;
    n = age_walk_back(t, got, MN + 1);
    if (n != m->nage)
        return 0;
    for (uint32_t k = 0; k < n; k++)
        if (got[k] != m->age[m->nage - 1 - k])
            return 0;
    for (uint32_t b = 0; b < MB; b++) {
        n = chain_walk(t, b, got, MN + 1);
        if (n != m->nchain[b] || memcmp(got, m->chain[b], n * sizeof *got) != 0)
            return 0;
    }
    if (td_itab_full(t) != (m->nfree == 0))
        return 0;
    return 1;
}

static void
random_run(uint32_t seed, int ops)
{
    struct td_itab t;
    struct model m;
    memset(&m, 0, sizeof m);
    CHECK_EQ(td_itab_init(&t, MN, MB), 0);
    for (uint32_t k = 0; k < MN; k++)
        m.freestk[k] = MN - 1 - k;    /* 0 on top */
    m.nfree = MN;
    rng = seed;
    int bad_at = -1, counts[5] = { 0 };
    for (int op = 0; op < ops && bad_at < 0; op++) {
        uint32_t r = rnd() % 100;
        if (r < 40 || m.nage == 0) {               /* insert */
            uint64_t h = (uint64_t)rnd() << 32 | rnd();
            uint32_t i = td_itab_insert(&t, h);
            if (m.nfree == 0) {
                if (i != NIL)
                    bad_at = op;
                counts[4]++;
                continue;
            }
            if (i != m.freestk[--m.nfree]) {
                bad_at = op;
                break;
            }
            m.live[i] = 1;
            m.hash[i] = h;
            m.age[m.nage++] = i;
            uint32_t b = (uint32_t)(h % MB);
            memmove(m.chain[b] + 1, m.chain[b], m.nchain[b] * sizeof(uint32_t));
            m.chain[b][0] = i;
            m.nchain[b]++;
            counts[0]++;
        } else if (r < 75) {                       /* remove any live entry */
            uint32_t i = m.age[rnd() % m.nage];
            if (r < 50)
                i = td_itab_oldest(&t);            /* expiry/eviction path */
            td_itab_remove(&t, i);
            m.live[i] = 0;
            list_del(m.age, &m.nage, i);
            list_del(m.chain[m.hash[i] % MB], &m.nchain[m.hash[i] % MB], i);
            m.freestk[m.nfree++] = i;
            counts[1]++;
        } else if (r < 95) {                       /* touch */
            uint32_t i = m.age[rnd() % m.nage];
            td_itab_touch(&t, i);
            list_del(m.age, &m.nage, i);
            m.age[m.nage++] = i;
            counts[2]++;
        } else {                                   /* lookup by hash, as a module does */
            uint32_t i = m.age[rnd() % m.nage], found = NIL;
            for (uint32_t j = td_itab_first(&t, m.hash[i]); j != NIL; j = td_itab_next(&t, j))
                if (m.hash[j] == m.hash[i]) {
                    found = j;
                    break;
                }
            if (found != i)
                bad_at = op;
            counts[3]++;
        }
        if (bad_at < 0 && !model_agrees(&t, &m))
            bad_at = op;
    }
    if (bad_at >= 0)
        TT_FAIL("seed %u: table and model differ after op %d", seed, bad_at);
    /* Every kind of operation ran, including inserts into a full table. */
    for (int k = 0; k < 5; k++)
        CHECK(counts[k] > 0);
    /* Drain from the oldest, as flush does. */
    while (td_itab_oldest(&t) != NIL) {
        uint32_t i = td_itab_oldest(&t);
        CHECK_EQ(i, m.age[0]);
        td_itab_remove(&t, i);
        list_del(m.age, &m.nage, i);
    }
    CHECK_EQ(m.nage, 0);
    for (uint32_t b = 0; b < MB; b++)
        CHECK_EQ(td_itab_first(&t, b), NIL);
    td_itab_destroy(&t);
}

static void
test_random_vs_model(void)
{
    static const uint32_t seeds[] = { 1, 12345, 0xdeadbeef, 777 };
    for (size_t s = 0; s < sizeof seeds / sizeof seeds[0]; s++)
        random_run(seeds[s], 5000);
}

/* Values computed independently (FNV-1a 32 then the mix) so a change of the function shows. */
static void
test_hash_bytes(void)
{
    static const uint8_t zeros[40];
    CHECK_EQ(td_itab_hash_bytes("", 0, 0), 0x1ab1854e);
    CHECK_EQ(td_itab_hash_bytes("a", 1, 0), 0x0b2da1f5);
    CHECK_EQ(td_itab_hash_bytes("abc", 3, 0), 0x15711630);
    CHECK_EQ(td_itab_hash_bytes("abc", 3, 1), 0x76dca188);
    CHECK_EQ(td_itab_hash_bytes(zeros, sizeof zeros, 0x12345678), 0x1519f1b6);
    /* Each octet of a 40-octet key changes the low 12 bits (what a 4096-bucket table uses)
     * for most positions: a weak check that the mix reaches the low bits. */
    uint8_t k[40];
    memset(k, 0, sizeof k);
    uint32_t h0 = td_itab_hash_bytes(k, sizeof k, 7), differ = 0;
    for (size_t i = 0; i < sizeof k; i++) {
        k[i] = 1;
        differ += (td_itab_hash_bytes(k, sizeof k, 7) & 0xfff) != (h0 & 0xfff);
        k[i] = 0;
    }
    CHECK(differ >= 39);
}

int
main(void)
{
    TT_RUN(test_init);
    TT_RUN(test_insert_find_remove);
    TT_RUN(test_free_list);
    TT_RUN(test_age_order);
    TT_RUN(test_random_vs_model);
    TT_RUN(test_hash_bytes);
    return tt_finish();
}
