/* test_sstable: indexer/sstable_write.c writes the same octets as LevelDB's TableBuilder
 * (tests/unit/sst_ref.cc) on random tables and on the edge cases of its index keys (a key that is
 * a prefix of the next, octets 0xff, neighbours one apart), for several block sizes and restart
 * intervals; LevelDB reads every table back with the same entries; a key not above the last is
 * refused (TD_SST_ORDER) and the writer goes on; a full disk, an existing file and an oversized
 * key are errors. */
#include "tt.h"
#include "obs.h"
#include "readfile.h"
#include "sst_ref.h"
#include "sstable.h"

#include <signal.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <unistd.h>

static char dir[128];

struct entry {
    uint8_t *k, *v;
    size_t kl, vl;
};

struct table {
    struct entry *e;
    size_t n;
};

static int entry_cmp(const void *x, const void *y)
{
    const struct entry *a = x, *b = y;
    return td_key_cmp(a->k, a->kl, b->k, b->kl);
}

/* Sorts t and drops duplicate keys. */
static void settle(struct table *t)
{
    qsort(t->e, t->n, sizeof *t->e, entry_cmp);
    size_t o = 0;
    for (size_t i = 0; i < t->n; i++) {
        if (o && entry_cmp(&t->e[o - 1], &t->e[i]) == 0) {
            free(t->e[i].k);
            free(t->e[i].v);
            continue;
        }
        t->e[o++] = t->e[i];
    }
    t->n = o;
}

static void table_free(struct table *t)
{
    for (size_t i = 0; i < t->n; i++) {
        free(t->e[i].k);
        free(t->e[i].v);
    }
    free(t->e);
}

static void push(struct table *t, size_t *cap, const uint8_t *k, size_t kl, const uint8_t *v, size_t vl)
{
    if (t->n == *cap) {
        *cap = *cap ? 2 * *cap : 64;
        t->e = realloc(t->e, *cap * sizeof *t->e);
    }
    struct entry *e = &t->e[t->n++];
    e->k = malloc(kl ? kl : 1);
    e->v = malloc(vl ? vl : 1);
    memcpy(e->k, k, kl);
    if (vl)
        memcpy(e->v, v, vl);
    e->kl = kl;
    e->vl = vl;
}

/* n random entries: keys from a small alphabet that has 0x00, 0xfe and 0xff (long shared
 * prefixes, separators at every kind of octet), values mostly short, a few above any block. */
static struct table random_table(unsigned seed, size_t n)
{
    static const uint8_t alphabet[] = { 0x00, 0x01, 0x02, 'a', 'b', 0x7f, 0x80, 0xfe, 0xff };
    srand(seed);
    struct table t = { 0 };
    size_t cap = 0;
    uint8_t k[64], v[20000];
    for (size_t i = 0; i < n; i++) {
        size_t kl = (size_t)rand() % 24;
        for (size_t j = 0; j < kl; j++)
            k[j] = (rand() % 4) ? alphabet[rand() % sizeof alphabet] : (uint8_t)rand();
        size_t vl = (rand() % 200 == 0) ? 10000 + (size_t)rand() % 10000 : (size_t)rand() % 40;
        for (size_t j = 0; j < vl; j++)
            v[j] = (rand() % 3) ? 'x' : (uint8_t)rand();
        push(&t, &cap, k, kl, v, vl);
    }
    settle(&t);
    return t;
}

/* Keys given as strings with \xNN escapes; value = the key. */
static struct table listed_table(const char *const *keys, const size_t *lens, size_t n)
{
    struct table t = { 0 };
    size_t cap = 0;
    for (size_t i = 0; i < n; i++)
        push(&t, &cap, (const uint8_t *)keys[i], lens[i], (const uint8_t *)keys[i], lens[i]);
    settle(&t);
    return t;
}

static int write_ours(const char *path, const struct table *t, size_t bs, int ri)
{
    char err[256] = "";
    struct td_sst_writer *w = td_sst_writer_open(path, bs, ri, err, sizeof err);
    if (!w) {
        TT_FAIL("open %s: %s", path, err);
        return -1;
    }
    for (size_t i = 0; i < t->n; i++)
        if (td_sst_add(w, t->e[i].k, t->e[i].kl, t->e[i].v, t->e[i].vl, err, sizeof err) != 0) {
            TT_FAIL("add: %s", err);
            td_sst_abandon(&w);
            return -1;
        }
    if (td_sst_writer_entries(w) != t->n)
        TT_FAIL("entries %llu, expected %zu", (unsigned long long)td_sst_writer_entries(w), t->n);
    if (td_sst_finish(&w, err, sizeof err) != 0) {
        TT_FAIL("finish: %s", err);
        return -1;
    }
    return 0;
}

static int write_ref(const char *path, const struct table *t, size_t bs, int ri)
{
    struct sst_ref *r = sst_ref_open(path, bs, ri);
    if (!r)
        return -1;
    for (size_t i = 0; i < t->n; i++)
        sst_ref_add(r, t->e[i].k, t->e[i].kl, t->e[i].v, t->e[i].vl);
    return sst_ref_finish(r);
}

/* Reads path through LevelDB; 0 when its entries are exactly t's. */
static int read_back(const char *path, const struct table *t)
{
    char err[256] = "";
    struct td_sst *s = td_sst_open(path, NULL, err, sizeof err);
    if (!s) {
        TT_FAIL("reopen: %s", err);
        return -1;
    }
    struct td_sst_iter *it = td_sst_iter_new(s, 0);
    size_t i = 0;
    int bad = 0;
    for (td_sst_iter_first(it); td_sst_iter_valid(it); td_sst_iter_next(it), i++) {
        size_t kl, vl;
        const uint8_t *k = td_sst_iter_key(it, &kl), *v = td_sst_iter_value(it, &vl);
        if (i >= t->n || kl != t->e[i].kl || vl != t->e[i].vl || memcmp(k, t->e[i].k, kl) != 0 ||
            memcmp(v, t->e[i].v, vl) != 0)
            bad = 1;
    }
    if (td_sst_iter_error(it, err, sizeof err) != 0)
        bad = 1;
    /* a seek to every 7th key lands on it */
    for (size_t j = 0; j < t->n && !bad; j += 7) {
        td_sst_iter_seek(it, t->e[j].k, t->e[j].kl);
        size_t kl;
        const uint8_t *k = td_sst_iter_valid(it) ? td_sst_iter_key(it, &kl) : NULL;
        if (!k || kl != t->e[j].kl || memcmp(k, t->e[j].k, kl) != 0)
            bad = 1;
    }
    td_sst_iter_free(it);
    td_sst_close(s);
    if (bad || i != t->n) {
        TT_FAIL("%s: read back %zu entries, expected %zu%s", path, i, t->n, bad ? ", some differ" : "");
        return -1;
    }
    return 0;
}

/* Ours and LevelDB's files are the same octets, and read back as t. */
static void same_as_leveldb(const struct table *t, size_t bs, int ri, const char *what)
{
    char a[256], b[256], err[256];
    snprintf(a, sizeof a, "%s/ours.sst", dir);
    snprintf(b, sizeof b, "%s/ref.sst", dir);
    unlink(a);
    unlink(b);
    if (write_ours(a, t, bs, ri) != 0 || write_ref(b, t, bs, ri) != 0) {
        TT_FAIL("%s: a writer failed", what);
        return;
    }
    char *x = NULL, *y = NULL;
    size_t xl = 0, yl = 0;
    if (td_read_file(a, 1u << 28, &x, &xl, err, sizeof err) != 1 || td_read_file(b, 1u << 28, &y, &yl, err, sizeof err) != 1) {
        TT_FAIL("%s: %s", what, err);
    } else if (xl != yl || memcmp(x, y, xl) != 0) {
        size_t d = 0;
        while (d < xl && d < yl && x[d] == y[d])
            d++;
        TT_FAIL("%s (block size %zu, restart %d, %zu entries): %zu octets, LevelDB %zu, first difference at %zu",
                what, bs, ri, t->n, xl, yl, d);
    } else {
        read_back(a, t);
    }
    free(x);
    free(y);
}

static const struct {
    size_t bs;
    int ri;
} shapes[] = { { 8192, 16 }, { 4096, 16 }, { 1, 1 }, { 64, 1 }, { 256, 3 }, { 1024, 2 }, { 100000, 1000 } };

static void test_random_tables(void)
{
    for (unsigned seed = 1; seed <= 6; seed++) {
        struct table t = random_table(seed, seed == 1 ? 20000 : 3000);
        for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++)
            same_as_leveldb(&t, shapes[s].bs, shapes[s].ri, "random");
        table_free(&t);
    }
}

/* Blocks of one entry each make every neighbour pair an index separator. */
static void test_separator_cases(void)
{
    static const char *const keys[] = {
        "", "\x00", "\x00\x00", "a", "ab", "abc", "abd", "abf", "ac\xff", "ad", "ad\xff\xff", "ae",
        "b\xfe", "b\xff", "b\xff\x00", "c\x01", "c\x03", "c\x7f", "c\x80", "c\x82", "d",
        "\xfe\xff", "\xff", "\xff\xff", "\xff\xff\xff",
    };
    static const size_t lens[] = { 0, 1, 2, 1, 2, 3, 3, 3, 3, 2, 4, 2, 2, 2, 3, 2, 2, 2, 2, 2, 1, 2, 1, 2, 3 };
    struct table t = listed_table(keys, lens, sizeof keys / sizeof keys[0]);
    CHECK_EQ(t.n, sizeof keys / sizeof keys[0]);
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++)
        same_as_leveldb(&t, shapes[s].bs, shapes[s].ri, "separators");
    /* the last key not all 0xff: its successor is cut short */
    struct table u = listed_table(keys, lens, 21);
    same_as_leveldb(&u, 1, 1, "successor");
    table_free(&t);
    table_free(&u);
}

static void test_small_tables(void)
{
    struct table none = { 0 };
    same_as_leveldb(&none, 8192, 16, "empty table");
    static const char *const one[] = { "only" };
    static const size_t one_len[] = { 4 };
    struct table t = listed_table(one, one_len, 1);
    same_as_leveldb(&t, 8192, 16, "one key");
    same_as_leveldb(&t, 1, 1, "one key, one-octet blocks");
    table_free(&t);
}

static void test_errors(void)
{
    char path[256], err[256] = "";
    snprintf(path, sizeof path, "%s/exists.sst", dir);
    FILE *f = fopen(path, "w");
    fclose(f);
    CHECK(td_sst_writer_open(path, 8192, 16, err, sizeof err) == NULL);
    CHECK(strstr(err, "already exists") != NULL);
    unlink(path);
    CHECK(td_sst_writer_open(path, 0, 16, err, sizeof err) == NULL);
    CHECK(td_sst_writer_open(path, 8192, 0, err, sizeof err) == NULL);

    /* keys not above the last: TD_SST_ORDER, nothing added, the writer goes on */
    struct td_sst_writer *o = td_sst_writer_open(path, 8192, 16, err, sizeof err);
    CHECK(o != NULL);
    static const char *const seq[] = { "b", "b", "a", "ba", "ab", "ba", "bb" };
    static const int seq_rc[] = { 0, TD_SST_ORDER, TD_SST_ORDER, 0, TD_SST_ORDER, TD_SST_ORDER, 0 };
    for (size_t i = 0; i < 7; i++)
        CHECK_EQ(td_sst_add(o, (const uint8_t *)seq[i], strlen(seq[i]), (const uint8_t *)"v", 1, err, sizeof err),
                 seq_rc[i]);
    CHECK_EQ(td_sst_writer_entries(o), 3);
    size_t ll;
    const uint8_t *lk = td_sst_writer_last_key(o, &ll);
    CHECK(ll == 2 && memcmp(lk, "bb", 2) == 0);
    CHECK_EQ(td_sst_finish(&o, err, sizeof err), 0);
    unlink(path);

    /* a key of 1 GiB is refused before it is read (the pointer covers one octet) */
    struct td_sst_writer *w = td_sst_writer_open(path, 8192, 16, err, sizeof err);
    CHECK(w != NULL);
    uint8_t one = 'k';
    err[0] = 0;
    CHECK(td_sst_add(w, &one, (size_t)1 << 30, &one, 1, err, sizeof err) != 0);
    CHECK(strstr(err, "too large") != NULL);
    /* the error sticks */
    CHECK(td_sst_add(w, &one, 1, &one, 1, err, sizeof err) != 0);
    CHECK(td_sst_finish(&w, err, sizeof err) != 0);
    CHECK(w == NULL);
    unlink(path);

    /* a file size limit stands for a full disk: the write fails, the error names it */
    struct rlimit old;
    getrlimit(RLIMIT_FSIZE, &old);
    struct rlimit small = { 50000, old.rlim_max };
    signal(SIGXFSZ, SIG_IGN);
    struct table t = random_table(9, 20000);
    w = td_sst_writer_open(path, 4096, 16, err, sizeof err);
    CHECK(w != NULL);
    CHECK(setrlimit(RLIMIT_FSIZE, &small) == 0);
    int rc = 0;
    for (size_t i = 0; i < t.n && rc == 0; i++)
        rc = td_sst_add(w, t.e[i].k, t.e[i].kl, t.e[i].v, t.e[i].vl, err, sizeof err);
    if (rc == 0)
        rc = td_sst_finish(&w, err, sizeof err);
    else
        td_sst_abandon(&w);
    setrlimit(RLIMIT_FSIZE, &old);
    signal(SIGXFSZ, SIG_DFL);
    CHECK(rc != 0);
    CHECK(strstr(err, "File too large") != NULL);
    CHECK(strstr(err, path) != NULL);
    table_free(&t);
    unlink(path);
}

int main(void)
{
    snprintf(dir, sizeof dir, "/tmp/test_sstable.%d", (int)getpid());
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s && mkdir -p %s", dir, dir);
    if (system(cmd) != 0)
        return 1;
    TT_RUN(test_random_tables);
    TT_RUN(test_separator_cases);
    TT_RUN(test_small_tables);
    TT_RUN(test_errors);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0)
        return 1;
    return tt_finish();
}
