/* test_generation: a generation round trip through its tables (entries, then metadata; seeks
 * and gets across table boundaries; the open-table bound; a missing table; format 1), the same
 * with the upper half of the keys put into a side builder on a second thread and joined,
 * refused keys and a refused join, abort, and a build killed (SIGKILL) mid-way: FILESET unchanged, no visible
 * generation, cleanup by the next build, which then succeeds. Also the writers' lock. */
#include "fileset.h"
#include "generation.h"
#include "tt.h"
#include "gen_reader.h"
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char root[128];

static void mkroot(void)
{
    snprintf(root, sizeof root, "/tmp/test_generation.%d", (int)getpid());
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s && mkdir -p %s/tmp", root, root);
    if (system(cmd) != 0)
        TT_FAIL("cannot make %s", root);
}

static void rmroot(void)
{
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", root);
    if (system(cmd) != 0)
        TT_FAIL("cannot remove %s", root);
}

static int exists(const char *fmt, const char *a)
{
    char p[512];
    snprintf(p, sizeof p, fmt, root, a);
    struct stat sb;
    return lstat(p, &sb) == 0;
}

/* Key i: type byte (i % 4), then a 4-octet big-endian counter, then 0..40 filler octets
 * depending on i: strictly increasing in i within a type; keys are generated per type in
 * order, type by type. */
static size_t make_key(uint32_t type, uint32_t i, uint8_t *k)
{
    k[0] = (uint8_t)type;
    k[1] = (uint8_t)(i >> 24);
    k[2] = (uint8_t)(i >> 16);
    k[3] = (uint8_t)(i >> 8);
    k[4] = (uint8_t)i;
    size_t n = 5 + (i * 7) % 41;
    for (size_t j = 5; j < n; j++)
        k[j] = (uint8_t)(i * 31 + j);
    return n;
}

static size_t make_value(uint32_t i, uint8_t *v)
{
    size_t n = i % 13;
    for (size_t j = 0; j < n; j++)
        v[j] = (uint8_t)(i + j);
    return n;
}

#define PER_TYPE 6000u

/* Puts the keys of types [t0, t1) into b. 0, or -1 (TT_FAIL'ed). */
struct put_job {
    struct td_gen_build *b;
    uint32_t t0, t1;
    int rc;
};

static void *put_types(void *arg)
{
    struct put_job *j = arg;
    uint8_t k[64], v[16];
    char err[256];
    j->rc = 0;
    for (uint32_t t = j->t0; t < j->t1; t++)
        for (uint32_t i = 0; i < PER_TYPE; i++) {
            size_t kl = make_key(t, i, k), vl = make_value(i, v);
            if (td_gen_build_put(j->b, k, kl, v, vl, err, sizeof err) != 0) {
                TT_FAIL("put %u/%u: %s", t, i, err);
                j->rc = -1;
                return NULL;
            }
        }
    return NULL;
}

/* with_side: types 2 and 3 go to a side builder, put on a second thread while types 0 and 1
 * go to the build; what is read back must not differ. */
static void round_trip(int with_side)
{
    mkroot();
    char tmp[300], fin[300], err[256] = "";
    snprintf(tmp, sizeof tmp, "%s/tmp/h.2026112703.0", root);
    snprintf(fin, sizeof fin, "%s/h.2026112703.0", root);
    struct td_gen_opts o = { .time_base = 1700000000, .max_file = 16u << 10 }; /* small tables: several */
    struct td_gen_build *b = td_gen_build_open(tmp, &o, err, sizeof err);
    if (!b) {
        TT_FAIL("open: %s", err);
        return;
    }
    uint8_t k[64], v[16];
    struct put_job lo = { b, 0, with_side ? 2 : 4, 0 }, hi = { NULL, 2, 4, 0 };
    pthread_t th;
    if (with_side) {
        hi.b = td_gen_build_side(b, err, sizeof err);
        CHECK(hi.b != NULL);
        if (!hi.b || pthread_create(&th, NULL, put_types, &hi) != 0) {
            TT_FAIL("side: %s", err);
            td_gen_build_abort(&hi.b);
            td_gen_build_abort(&b);
            return;
        }
    }
    put_types(&lo);
    if (with_side) {
        pthread_join(th, NULL);
        if (lo.rc == 0 && hi.rc == 0 && td_gen_build_join(b, &hi.b, err, sizeof err) != 0)
            TT_FAIL("join: %s", err);
        CHECK(hi.b == NULL);
    }
    if (lo.rc != 0 || hi.rc != 0) {
        td_gen_build_abort(&hi.b);
        td_gen_build_abort(&b);
        return;
    }
    CHECK_EQ(td_gen_build_stats(b)->entries, 4 * PER_TYPE);
    uint64_t tables = td_gen_build_stats(b)->tables;
    CHECK(tables >= 4);
    CHECK(exists("%s/tmp/%s", "h.2026112703.0"));
    CHECK(!exists("%s/%s", "h.2026112703.0"));
    CHECK_EQ(td_gen_build_finish(&b, 1700000000, 1700003599, "tapdns test", fin, err, sizeof err), 0);
    CHECK(b == NULL);
    CHECK(!exists("%s/tmp/%s", "h.2026112703.0"));
    CHECK(exists("%s/%s/TABLES", "h.2026112703.0"));
    CHECK(exists("%s/%s/000001.sst", "h.2026112703.0"));
    CHECK(exists("%s/%s/000001.bloom", "h.2026112703.0"));
    if (with_side) {
        char tpath[400];
        snprintf(tpath, sizeof tpath, "%s/TABLES", fin);
        FILE *tf = fopen(tpath, "r");
        char line[512], first_side[32] = "";
        unsigned lines = 0, side_lines = 0, order_bad = 0;
        int in_side = 0;
        while (tf && fgets(line, sizeof line, tf)) {
            if (lines++ == 0)
                continue;
            int side_line = strncmp(line, "5", 1) == 0;
            if (side_line && !in_side)
                snprintf(first_side, sizeof first_side, "%.10s", line);
            order_bad += in_side && !side_line; /* the side's tables last (metadata table too) */
            in_side |= side_line;
            side_lines += side_line;
        }
        if (tf)
            fclose(tf);
        CHECK_STR(first_side, "500000.sst");
        CHECK(side_lines >= 2);
        CHECK_EQ(order_bad, 0);
        CHECK_EQ(lines, tables + 2); /* header, tables, a table of the metadata after the join */
    }

    /* Read back through the generation reader, with at most 2 tables open. */
    struct td_gen *g = td_gen_open(fin, NULL, 2, err, sizeof err);
    if (!g) {
        TT_FAIL("td_gen_open: %s", err);
        return;
    }
    CHECK_EQ(td_gen_entries(g), 4 * PER_TYPE + 7);
    struct td_gen_iter *it = td_gen_iter_new(g, 1);
    td_gen_iter_first(it);
    uint32_t bad = 0, n = 0;
    for (uint32_t t = 0; t < 4; t++)
        for (uint32_t i = 0; i < PER_TYPE; i++, n++) {
            if (!td_gen_iter_valid(it)) {
                bad++;
                break;
            }
            size_t kl = make_key(t, i, k), vl = make_value(i, v), gkl, gvl;
            const uint8_t *gk = td_gen_iter_key(it, &gkl), *gv = td_gen_iter_value(it, &gvl);
            if (gkl != kl || memcmp(gk, k, kl) != 0 || gvl != vl || memcmp(gv, v, vl) != 0)
                bad++;
            td_gen_iter_next(it);
        }
    CHECK_EQ(bad, 0);
    CHECK_EQ(n, 4 * PER_TYPE);
    CHECK(td_gen_open_tables(g) <= 2);
    /* Metadata: time base, source, time range, version; then the end. */
    static const char src_key[] = "\xFDtapdns test";
    static const struct {
        const char *k, *v;
        size_t kl, vl;
    } meta[] = {
        { "\xFC", "\x80\xE2\xCF\xAA\x06", 1, 5 },                /* varint 1700000000 */
        { src_key, "", sizeof src_key, 0 },                    /* with the NUL */
        { "\xFE", "\x80\xE2\xCF\xAA\x06\x8F\xFE\xCF\xAA\x06", 1, 10 }, /* varints 1700000000, 1700003599 */
        { "\xFF\x00", "\x02", 2, 1 }, /* one VERSION per type byte used */
        { "\xFF\x01", "\x02", 2, 1 },
        { "\xFF\x02", "\x02", 2, 1 },
        { "\xFF\x03", "\x02", 2, 1 },
    };
    for (size_t m = 0; m < sizeof meta / sizeof meta[0]; m++) {
        CHECK(td_gen_iter_valid(it));
        if (!td_gen_iter_valid(it))
            break;
        size_t gkl, gvl;
        const uint8_t *gk = td_gen_iter_key(it, &gkl), *gv = td_gen_iter_value(it, &gvl);
        if (gkl != meta[m].kl || memcmp(gk, meta[m].k, gkl) != 0 || gvl != meta[m].vl ||
            memcmp(gv, meta[m].v, gvl) != 0)
            TT_FAIL("metadata entry %zu differs", m);
        td_gen_iter_next(it);
    }
    CHECK(!td_gen_iter_valid(it));
    CHECK_EQ(td_gen_iter_error(it, err, sizeof err), 0);

    /* Seeks: every key finds itself; a key between two finds the next one, across tables. */
    uint32_t seek_bad = 0, get_bad = 0, absent_found = 0;
    for (uint32_t t = 0; t < 4; t++)
        for (uint32_t i = 0; i < PER_TYPE; i += 7) {
            size_t kl = make_key(t, i, k), gkl, vl = make_value(i, v), gvl;
            td_gen_iter_seek(it, k, kl);
            const uint8_t *gk = td_gen_iter_valid(it) ? td_gen_iter_key(it, &gkl) : NULL;
            if (!gk || gkl != kl || memcmp(gk, k, kl) != 0)
                seek_bad++;
            uint8_t gv[16];
            if (td_gen_get(g, k, kl, gv, sizeof gv, &gvl, err, sizeof err) != 1 || gvl != vl ||
                memcmp(gv, v, vl) != 0)
                get_bad++;
            /* the key with one more octet is absent; seeking it gives the next key */
            k[kl] = 0;
            if (td_gen_get(g, k, kl + 1, gv, sizeof gv, &gvl, err, sizeof err) != 0)
                absent_found++;
            td_gen_iter_seek(it, k, kl + 1);
            size_t nkl = i + 1 < PER_TYPE ? make_key(t, i + 1, k) : t + 1 < 4 ? make_key(t + 1, 0, k) : 0;
            gk = td_gen_iter_valid(it) ? td_gen_iter_key(it, &gkl) : NULL;
            if (nkl && (!gk || gkl != nkl || memcmp(gk, k, nkl) != 0))
                seek_bad++;
        }
    CHECK_EQ(seek_bad, 0);
    CHECK_EQ(get_bad, 0);
    CHECK_EQ(absent_found, 0);
    CHECK(td_gen_open_tables(g) <= 2);
    k[0] = 0xFF;
    k[1] = 0xFF;
    td_gen_iter_seek(it, k, 2); /* past the last key */
    CHECK(!td_gen_iter_valid(it));
    td_gen_iter_free(it);
    td_gen_close(g);

    /* A table gone: an error naming it when first used, not before. */
    char path[400];
    snprintf(path, sizeof path, "%s/000002.sst", fin);
    CHECK_EQ(unlink(path), 0);
    g = td_gen_open(fin, NULL, 2, err, sizeof err);
    CHECK(g != NULL);
    if (g) {
        it = td_gen_iter_new(g, 1);
        uint64_t seen = 0;
        for (td_gen_iter_first(it); td_gen_iter_valid(it); td_gen_iter_next(it))
            seen++;
        CHECK(seen > 0 && seen < 4 * PER_TYPE);
        CHECK_EQ(td_gen_iter_error(it, err, sizeof err), -1);
        CHECK(strstr(err, "000002.sst") != NULL);
        td_gen_iter_free(it);
        td_gen_close(g);
    }
    /* A format 1 generation (a LevelDB database) is refused with the way out. */
    snprintf(path, sizeof path, "%s/TABLES", fin);
    CHECK_EQ(unlink(path), 0);
    snprintf(path, sizeof path, "%s/CURRENT", fin);
    FILE *f = fopen(path, "w");
    if (f)
        fclose(f);
    CHECK(td_gen_open(fin, NULL, 2, err, sizeof err) == NULL);
    CHECK(strstr(err, "tapdns-index rebuild") != NULL);
    rmroot();
}

static void test_round_trip(void)
{
    round_trip(0);
}

static void test_round_trip_side(void)
{
    round_trip(1);
}

/* Keys out of order are refused within a table (the table writer's check) and, with one entry
 * per table, across tables (the builder's). */
static void refused_across_tables(void)
{
    mkroot();
    char tmp[300], err[256] = "";
    snprintf(tmp, sizeof tmp, "%s/tmp/h.2026112703.0", root);
    struct td_gen_opts o = { 0 };
    o.block_size = 1;
    o.max_file = 1;
    struct td_gen_build *b = td_gen_build_open(tmp, &o, err, sizeof err);
    if (!b) {
        TT_FAIL("open: %s", err);
        return;
    }
    static const char *const keys[] = { "\x01" "abc", "\x01" "abc", "\x01" "ab", "\x01" "abd", "\x01" "abd" };
    static const int want[] = { 0, -1, -1, 0, -1 };
    for (size_t i = 0; i < 5; i++) {
        err[0] = 0;
        CHECK_EQ(td_gen_build_put(b, (const uint8_t *)keys[i], strlen(keys[i]), (const uint8_t *)"v", 1, err,
                                  sizeof err), want[i]);
        if (want[i])
            CHECK(strstr(err, i == 2 ? "(below the previous key)" : "(equal to the previous key)") != NULL);
    }
    CHECK_EQ(td_gen_build_stats(b)->entries, 2);
    CHECK_EQ(td_gen_build_stats(b)->tables, 2);
    td_gen_build_abort(&b);
}

static void test_refused(void)
{
    refused_across_tables();
    mkroot();
    char tmp[300], err[256] = "";
    snprintf(tmp, sizeof tmp, "%s/tmp/h.2026112703.0", root);
    struct td_gen_build *b = td_gen_build_open(tmp, NULL, err, sizeof err);
    if (!b) {
        TT_FAIL("open: %s", err);
        return;
    }
    static const struct {
        const char *k;
        size_t kl;
        int rc;
        const char *err;
    } cases[] = {
        { "\x01" "abc", 4, 0, NULL },
        { "\x01" "abc", 4, -1, "key 1 out of order (equal to the previous key): input must be sorted and distinct" },
        { "\x01" "ab", 3, -1, "key 1 out of order (below the previous key): input must be sorted and distinct" },
        { "\x01" "abb", 4, -1, "key 1 out of order (below the previous key): input must be sorted and distinct" },
        { "\x00" "zzz", 4, -1, "key 1 out of order (below the previous key): input must be sorted and distinct" },
        { "", 0, -1, "empty key refused" },
        { "\xFD", 1, -1, "key type 0xFD is reserved for metadata" },
        { "\xFE" "a", 2, -1, "key type 0xFE is reserved for metadata" },
        { "\xFF", 1, -1, "key type 0xFF is reserved for metadata" },
        { "\x01" "abc\x00", 5, 0, NULL }, /* longer with the same prefix: greater */
        { "\x01" "abd", 4, 0, NULL },
        { "\x02", 1, 0, NULL },
        { "\x02", 1, -1, "key 4 out of order (equal to the previous key): input must be sorted and distinct" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        err[0] = 0;
        int rc = td_gen_build_put(b, (const uint8_t *)cases[i].k, cases[i].kl, (const uint8_t *)"v", 1, err,
                                  sizeof err);
        if (rc != cases[i].rc)
            TT_FAIL("case %zu: rc %d, expected %d (%s)", i, rc, cases[i].rc, err);
        if (cases[i].err && strcmp(err, cases[i].err) != 0)
            TT_FAIL("case %zu: err \"%s\", expected \"%s\"", i, err, cases[i].err);
    }
    CHECK_EQ(td_gen_build_stats(b)->entries, 4);
    /* A side builder whose keys do not all sort above the build's is refused at the join. */
    struct td_gen_build *side = td_gen_build_side(b, err, sizeof err);
    CHECK(side != NULL);
    CHECK_EQ(td_gen_build_put(side, (const uint8_t *)"\x01zz", 3, (const uint8_t *)"v", 1, err, sizeof err), 0);
    CHECK_EQ(td_gen_build_join(b, &side, err, sizeof err), -1);
    CHECK(side == NULL);
    CHECK(strstr(err, "first key is not above the last key") != NULL);
    /* An existing directory is refused. */
    struct td_gen_build *b2 = td_gen_build_open(tmp, NULL, err, sizeof err);
    CHECK(b2 == NULL);
    CHECK(strstr(err, "already exists") != NULL);
    td_gen_build_abort(&b);
    CHECK(b == NULL);
    CHECK(!exists("%s/tmp/%s", "h.2026112703.0"));
    /* Finish onto an existing non-empty final directory fails and leaves both. */
    b = td_gen_build_open(tmp, NULL, err, sizeof err);
    CHECK(b != NULL);
    char fin[300], cmd[700];
    snprintf(fin, sizeof fin, "%s/h.2026112703.0", root);
    snprintf(cmd, sizeof cmd, "mkdir -p %s && touch %s/x", fin, fin);
    CHECK_EQ(system(cmd), 0);
    CHECK_EQ(td_gen_build_finish(&b, 1, 2, NULL, fin, err, sizeof err), -1);
    CHECK(strstr(err, "rename") != NULL);
    CHECK(exists("%s/tmp/%s/TABLES", "h.2026112703.0"));
    CHECK(exists("%s/%s/x", "h.2026112703.0"));
    rmroot();
}

/* The child builds like tapdns-index does: a temporary generation, then rename, then
 * FILESET. It is killed while putting entries. */
static void child_build(unsigned n)
{
    char tmp[300], err[256];
    snprintf(tmp, sizeof tmp, "%s/tmp/h.2026112704.0", root);
    struct td_gen_build *b = td_gen_build_open(tmp, NULL, err, sizeof err);
    if (!b)
        _exit(3);
    uint8_t k[64], v[16];
    for (uint32_t i = 0; i < n; i++) {
        size_t kl = make_key(1, i, k), vl = make_value(i, v);
        if (td_gen_build_put(b, k, kl, v, vl, err, sizeof err) != 0)
            _exit(4);
    }
    char fin[300];
    snprintf(fin, sizeof fin, "%s/h.2026112704.0", root);
    if (td_gen_build_finish(&b, 10, 20, NULL, fin, err, sizeof err) != 0)
        _exit(5);
    struct td_fileset fs;
    if (td_fileset_load(root, &fs, err, sizeof err) != 0)
        _exit(6);
    struct td_fileset_gen g;
    memset(&g, 0, sizeof g);
    snprintf(g.name, sizeof g.name, "h.2026112704.0");
    g.tier = 'h';
    g.min_time_first = 10;
    g.max_time_last = 20;
    if (td_fileset_put(&fs, &g, err, sizeof err) != 0 || td_fileset_store(root, &fs, err, sizeof err) != 0)
        _exit(7);
    _exit(0);
}

/* The child is a fresh exec of this binary ("child ROOT N"), as tapdns-index is a process of
 * its own. */
static pid_t spawn_child(unsigned n)
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        char num[16];
        snprintf(num, sizeof num, "%u", n);
        execl("/proc/self/exe", "test_generation", "child", root, num, (char *)NULL);
        _exit(127);
    }
    return pid;
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    static char buf[4096];
    *len = fread(buf, 1, sizeof buf, f);
    fclose(f);
    return buf;
}

static void test_killed_build(void)
{
    static const unsigned delays_ms[] = { 0, 5, 30, 120 };
    int saw_tmp = 0;
    for (size_t d = 0; d < sizeof delays_ms / sizeof delays_ms[0]; d++) {
        mkroot();
        char err[256] = "", path[300], before[4096];
        /* An existing FILESET with one generation (no directory needed for this test). */
        struct td_fileset fs = { 0, 0, NULL };
        struct td_fileset_gen g;
        memset(&g, 0, sizeof g);
        snprintf(g.name, sizeof g.name, "h.2026112703.0");
        g.tier = 'h';
        g.min_time_first = 1;
        g.max_time_last = 2;
        CHECK_EQ(td_fileset_put(&fs, &g, err, sizeof err), 0);
        CHECK_EQ(td_fileset_store(root, &fs, err, sizeof err), 0);
        td_fileset_free(&fs);
        snprintf(path, sizeof path, "%s/FILESET", root);
        size_t blen = 0, alen = 0;
        char *bp = slurp(path, &blen);
        CHECK(bp != NULL);
        if (bp)
            memcpy(before, bp, blen);
        pid_t pid = spawn_child(50000000u); /* far more than it can write before the kill */
        struct timespec ts = { 0, (long)delays_ms[d] * 1000000L };
        nanosleep(&ts, NULL);
        kill(pid, SIGKILL);
        int st;
        waitpid(pid, &st, 0);
        CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
        char *ap = slurp(path, &alen);
        CHECK(ap && alen == blen && memcmp(ap, before, blen) == 0);
        CHECK(!exists("%s/%s", "h.2026112704.0"));
        CHECK_EQ(td_fileset_load(root, &fs, err, sizeof err), 0);
        CHECK_EQ(fs.n, 1);
        /* The next build cleans up (the temporary directory, if the child got that far). */
        int lk = td_fileset_lock(root, err, sizeof err);
        CHECK(lk >= 0);
        int removed = td_fileset_cleanup(root, &fs, err, sizeof err);
        CHECK(removed == 0 || removed == 1);
        saw_tmp += removed == 1;
        CHECK(!exists("%s/tmp/%s", "h.2026112704.0"));
        td_fileset_free(&fs);
        if (lk >= 0)
            close(lk);
        pid = spawn_child(1000);
        waitpid(pid, &st, 0);
        CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
        CHECK(exists("%s/%s/TABLES", "h.2026112704.0"));
        CHECK_EQ(td_fileset_load(root, &fs, err, sizeof err), 0);
        CHECK_EQ(fs.n, 2);
        CHECK_EQ(td_fileset_find(&fs, "h.2026112704.0"), 1);
        td_fileset_free(&fs);
        rmroot();
    }
    CHECK(saw_tmp >= 1); /* at least one kill landed mid-build */
}

static void test_cleanup_unlisted(void)
{
    mkroot();
    char err[256] = "", cmd[700];
    /* Listed h.1.0 stays; unlisted h.1.1 (died after rename), tmp content, and non-generation
     * names (FILESET, index.lock, "notes") are handled as documented. */
    snprintf(cmd, sizeof cmd,
             "cd %s && mkdir h.1.0 h.1.1 notes tmp/h.2.0 tmp/spill && touch h.1.0/x h.1.1/x tmp/spill/run tmp/f", root);
    CHECK_EQ(system(cmd), 0);
    struct td_fileset fs = { 0, 0, NULL };
    struct td_fileset_gen g;
    memset(&g, 0, sizeof g);
    snprintf(g.name, sizeof g.name, "h.1.0");
    g.tier = 'h';
    CHECK_EQ(td_fileset_put(&fs, &g, err, sizeof err), 0);
    int lk = td_fileset_lock(root, err, sizeof err);
    CHECK(lk >= 0);
    /* A second lock (another open file description) is refused while held. */
    pid_t pid = fork();
    if (pid == 0) {
        char e2[256];
        _exit(td_fileset_lock(root, e2, sizeof e2) < 0 && strstr(e2, "held by another process") ? 0 : 1);
    }
    int st;
    waitpid(pid, &st, 0);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    CHECK_EQ(td_fileset_cleanup(root, &fs, err, sizeof err), 4); /* tmp/h.2.0, tmp/spill, tmp/f, h.1.1 */
    CHECK(exists("%s/%s/x", "h.1.0"));
    CHECK(!exists("%s/%s", "h.1.1"));
    CHECK(exists("%s/%s", "notes"));
    CHECK(exists("%s/%s", "tmp"));
    CHECK(!exists("%s/tmp/%s", "spill"));
    td_fileset_free(&fs);
    close(lk);
    rmroot();
}

int main(int argc, char **argv)
{
    if (argc == 4 && !strcmp(argv[1], "child")) {
        snprintf(root, sizeof root, "%s", argv[2]);
        child_build((unsigned)strtoul(argv[3], NULL, 10));
    }
    TT_RUN(test_round_trip);
    TT_RUN(test_round_trip_side);
    TT_RUN(test_refused);
    TT_RUN(test_killed_build);
    TT_RUN(test_cleanup_unlisted);
    return tt_finish();
}
