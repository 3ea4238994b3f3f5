/* gen_reader.c: see gen_reader.h. */
#include "gen_reader.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bloom.h"
#include "errf.h"
#include "generation.h"
#include "hex.h"
#include "obs.h"
#include "readfile.h"

#define TABLES_MAX (64u << 20)  /* TABLES file */
#define BLOOM_MAX (1u << 30)    /* one filter file */

struct table {
    char name[24];              /* NNNNNN.sst */
    uint64_t entries;
    uint8_t *last;              /* its last key */
    size_t last_len;
    struct td_sst *t;           /* NULL: closed */
    struct td_sst_iter *probe;  /* td_gen_get's iterator, made on first use, kept while open */
    struct td_bloom bloom;
    unsigned pins;              /* iterators standing on it */
    uint64_t used;              /* LRU tick */
};

struct td_gen {
    char *dir;
    struct td_sst_cache *cache;
    unsigned max_open, nopen;
    uint64_t tick, entries;
    size_t n;
    struct table *tab;
};

struct td_gen_iter {
    struct td_gen *g;
    size_t cur;                 /* table of it; g->n: none */
    struct td_sst_iter *it;
    int fill;
    char err[256];              /* set: failed */
};

/* ---------- TABLES ---------- */

static int parse_tables(struct td_gen *g, char *buf, char *err, size_t errlen)
{
    char *save = NULL, *line = strtok_r(buf, "\n", &save);
    char head[32];
    snprintf(head, sizeof head, "tapdns-generation %d", TD_GEN_FORMAT);
    if (!line || strcmp(line, head) != 0) {
        td_errf(err, errlen, "%s/%s: not a format %d generation", g->dir, TD_GEN_TABLES, TD_GEN_FORMAT);
        return -1;
    }
    size_t cap = 0;
    while ((line = strtok_r(NULL, "\n", &save)) != NULL) {
        char name[24];
        unsigned long long entries;
        int off = 0;
        if (sscanf(line, "%20s %llu %n", name, &entries, &off) != 2 || off == 0 || strlen(name) != 10 ||
            strspn(name, "0123456789") != 6 || strcmp(name + 6, ".sst") != 0) {
            td_errf(err, errlen, "%s/%s: line %zu malformed", g->dir, TD_GEN_TABLES, g->n + 2);
            return -1;
        }
        const char *hex = line + off;
        size_t hl = strlen(hex);
        if (hl == 0 || hl % 2) {
            td_errf(err, errlen, "%s/%s: line %zu: malformed last key", g->dir, TD_GEN_TABLES, g->n + 2);
            return -1;
        }
        if (g->n == cap) {
            cap = cap ? 2 * cap : 8;
            struct table *t = realloc(g->tab, cap * sizeof *t);
            if (!t) {
                td_errf(err, errlen, "out of memory");
                return -1;
            }
            g->tab = t;
        }
        struct table *t = &g->tab[g->n];
        memset(t, 0, sizeof *t);
        if (!(t->last = malloc(hl / 2))) {
            td_errf(err, errlen, "out of memory");
            return -1;
        }
        g->n++;
        for (size_t i = 0; i < hl / 2; i++) {
            int hi = td_hex_digit(hex[2 * i]), lo = td_hex_digit(hex[2 * i + 1]);
            if (hi < 0 || lo < 0) {
                td_errf(err, errlen, "%s/%s: line %zu: malformed last key", g->dir, TD_GEN_TABLES, g->n + 1);
                return -1;
            }
            t->last[i] = (uint8_t)(hi << 4 | lo);
        }
        t->last_len = hl / 2;
        if (g->n > 1 && td_key_cmp(g->tab[g->n - 2].last, g->tab[g->n - 2].last_len, t->last, t->last_len) >= 0) {
            td_errf(err, errlen, "%s/%s: tables out of key order", g->dir, TD_GEN_TABLES);
            return -1;
        }
        memcpy(t->name, name, 11);
        t->entries = entries;
        g->entries += entries;
    }
    if (g->n == 0) {
        td_errf(err, errlen, "%s/%s: no table", g->dir, TD_GEN_TABLES);
        return -1;
    }
    return 0;
}

struct td_gen *td_gen_open(const char *dir, struct td_sst_cache *cache, unsigned max_open, char *err,
                           size_t errlen)
{
    struct td_gen *g = calloc(1, sizeof *g);
    if (!g || !(g->dir = strdup(dir))) {
        free(g);
        td_errf(err, errlen, "out of memory");
        return NULL;
    }
    g->cache = cache;
    g->max_open = max_open ? max_open : TD_GEN_OPEN_TABLES_DEFAULT;
    char path[PATH_MAX], *buf = NULL;
    size_t len;
    struct stat sb;
    snprintf(path, sizeof path, "%s/%s", dir, TD_GEN_TABLES);
    if (stat(path, &sb) != 0 && errno == ENOENT) {
        snprintf(path, sizeof path, "%s/CURRENT", dir);
        if (stat(path, &sb) == 0)
            td_errf(err, errlen, "%s: a LevelDB database (generation format 1): run `tapdns-index rebuild`", dir);
        else
            td_errf(err, errlen, "%s: no %s: not a generation", dir, TD_GEN_TABLES);
        td_gen_close(g);
        return NULL;
    }
    int r = td_read_file(path, TABLES_MAX, &buf, &len, err, errlen);
    if (r == -2)
        td_errf(err, errlen, "%s: larger than %u octets", path, TABLES_MAX);
    if (r != 1 || parse_tables(g, buf, err, errlen) != 0) {
        free(buf);
        td_gen_close(g);
        return NULL;
    }
    free(buf);
    return g;
}

static void table_shut(struct td_gen *g, struct table *t)
{
    if (!t->t)
        return;
    td_sst_iter_free(t->probe);
    t->probe = NULL;
    td_sst_close(t->t);
    t->t = NULL;
    td_bloom_free(&t->bloom);
    g->nopen--;
}

void td_gen_close(struct td_gen *g)
{
    if (!g)
        return;
    for (size_t i = 0; i < g->n; i++) {
        table_shut(g, &g->tab[i]);
        free(g->tab[i].last);
    }
    free(g->tab);
    free(g->dir);
    free(g);
}

uint64_t td_gen_entries(const struct td_gen *g)
{
    return g->entries;
}

unsigned td_gen_open_tables(const struct td_gen *g)
{
    return g->nopen;
}

/* ---------- tables ---------- */

/* The first table whose last key is >= key; g->n if none. */
static size_t find_table(const struct td_gen *g, const uint8_t *key, size_t klen)
{
    size_t lo = 0, hi = g->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (td_key_cmp(g->tab[mid].last, g->tab[mid].last_len, key, klen) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* The table's keys must lie where TABLES says: its last key as listed, its first key above the
 * previous table's last. Otherwise seeks would pick the wrong table and scans would go out of
 * order, so a damaged manifest or a table from elsewhere is an error, not wrong answers. */
static int check_bounds(const struct td_gen *g, size_t i, char *err, size_t errlen)
{
    const struct table *t = &g->tab[i];
    struct td_sst_iter *si = td_sst_iter_new(t->t, 0);
    size_t kl = 0;
    const uint8_t *k;
    int ok = 1;
    td_sst_iter_last(si);
    if (!td_sst_iter_valid(si) || (k = td_sst_iter_key(si, &kl), td_key_cmp(k, kl, t->last, t->last_len) != 0))
        ok = 0;
    td_sst_iter_first(si);
    if (ok && i > 0 &&
        (!td_sst_iter_valid(si) ||
         (k = td_sst_iter_key(si, &kl), td_key_cmp(k, kl, g->tab[i - 1].last, g->tab[i - 1].last_len) <= 0)))
        ok = 0;
    char e[200] = "";
    int ioerr = td_sst_iter_error(si, e, sizeof e);
    td_sst_iter_free(si);
    if (ioerr)
        td_errf(err, errlen, "%s/%s: %s", g->dir, t->name, e);
    else if (!ok)
        td_errf(err, errlen, "%s/%s: its keys are not where %s says", g->dir, t->name, TD_GEN_TABLES);
    return ioerr || !ok ? -1 : 0;
}

static int table_use(struct td_gen *g, size_t i, char *err, size_t errlen)
{
    struct table *t = &g->tab[i];
    t->used = ++g->tick;
    if (t->t)
        return 0;
    if (g->nopen >= g->max_open) {
        struct table *lru = NULL;
        for (size_t j = 0; j < g->n; j++) {
            struct table *c = &g->tab[j];
            if (c->t && !c->pins && (!lru || c->used < lru->used))
                lru = c;
        }
        if (lru)
            table_shut(g, lru);
    }
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", g->dir, t->name);
    if (!(t->t = td_sst_open(path, g->cache, err, errlen)))
        return -1;
    if (check_bounds(g, i, err, errlen) != 0) {
        td_sst_close(t->t);
        t->t = NULL;
        return -1;
    }
    snprintf(path, sizeof path, "%s/%.6s.bloom", g->dir, t->name);
    if (td_bloom_load(path, BLOOM_MAX, &t->bloom, err, errlen) != 0) {
        td_sst_close(t->t);
        t->t = NULL;
        return -1;
    }
    g->nopen++;
    return 0;
}

int td_gen_get(struct td_gen *g, const uint8_t *key, size_t klen, uint8_t *val, size_t cap, size_t *vlen,
               char *err, size_t errlen)
{
    size_t i = find_table(g, key, klen);
    if (i == g->n)
        return 0;
    if (table_use(g, i, err, errlen) != 0)
        return -1;
    struct table *t = &g->tab[i];
    if (!td_bloom_may_contain(&t->bloom, key, klen))
        return 0;
    if (!t->probe)
        t->probe = td_sst_iter_new(t->t, 1);
    struct td_sst_iter *si = t->probe;
    td_sst_iter_seek(si, key, klen);
    int rc = 0;
    if (td_sst_iter_valid(si)) {
        size_t kl, vl;
        const uint8_t *k = td_sst_iter_key(si, &kl);
        if (kl == klen && memcmp(k, key, klen) == 0) {
            const uint8_t *v = td_sst_iter_value(si, &vl);
            memcpy(val, v, vl < cap ? vl : cap);
            *vlen = vl;
            rc = 1;
        }
    } else if (td_sst_iter_error(si, err, errlen) != 0) {
        td_sst_iter_free(t->probe); /* an iterator keeps its first error: the next get starts afresh */
        t->probe = NULL;
        rc = -1;
    }
    return rc;
}

/* ---------- iterators ---------- */

struct td_gen_iter *td_gen_iter_new(struct td_gen *g, int fill_cache)
{
    struct td_gen_iter *it = calloc(1, sizeof *it);
    if (!it)
        return NULL;
    it->g = g;
    it->cur = g->n;
    it->fill = fill_cache;
    return it;
}

static void release(struct td_gen_iter *it)
{
    if (it->it) {
        td_sst_iter_free(it->it);
        it->it = NULL;
        it->g->tab[it->cur].pins--;
    }
    it->cur = it->g->n;
}

void td_gen_iter_free(struct td_gen_iter *it)
{
    if (!it)
        return;
    release(it);
    free(it);
}

/* Stands it on table i (opened if needed), unpositioned. 0 or -1 (it->err set). */
static int stand_on(struct td_gen_iter *it, size_t i)
{
    if (it->it && it->cur == i)
        return 0;
    release(it);
    if (table_use(it->g, i, it->err, sizeof it->err) != 0)
        return -1;
    it->it = td_sst_iter_new(it->g->tab[i].t, it->fill);
    it->cur = i;
    it->g->tab[i].pins++;
    return 0;
}

/* After a move: if the table ran out, on to the first key of the next ones. */
static void settle(struct td_gen_iter *it)
{
    while (it->it && !td_sst_iter_valid(it->it)) {
        char e[200];
        if (td_sst_iter_error(it->it, e, sizeof e) != 0) {
            td_errf(it->err, sizeof it->err, "%s/%s: %s", it->g->dir, it->g->tab[it->cur].name, e);
            release(it);
            return;
        }
        size_t next = it->cur + 1;
        if (next >= it->g->n) {
            release(it);
            return;
        }
        if (stand_on(it, next) != 0) {
            release(it);
            return;
        }
        td_sst_iter_first(it->it);
    }
}

void td_gen_iter_seek(struct td_gen_iter *it, const uint8_t *key, size_t klen)
{
    if (it->err[0])
        return;
    size_t i = find_table(it->g, key, klen);
    if (i == it->g->n) {
        release(it);
        return;
    }
    if (stand_on(it, i) != 0) {
        release(it);
        return;
    }
    td_sst_iter_seek(it->it, key, klen);
    settle(it);
}

void td_gen_iter_first(struct td_gen_iter *it)
{
    if (it->err[0])
        return;
    if (stand_on(it, 0) != 0) {
        release(it);
        return;
    }
    td_sst_iter_first(it->it);
    settle(it);
}

int td_gen_iter_valid(const struct td_gen_iter *it)
{
    return it->it && td_sst_iter_valid(it->it);
}

void td_gen_iter_next(struct td_gen_iter *it)
{
    td_sst_iter_next(it->it);
    settle(it);
}

const uint8_t *td_gen_iter_key(const struct td_gen_iter *it, size_t *klen)
{
    return td_sst_iter_key(it->it, klen);
}

const uint8_t *td_gen_iter_value(const struct td_gen_iter *it, size_t *vlen)
{
    return td_sst_iter_value(it->it, vlen);
}

int td_gen_iter_error(const struct td_gen_iter *it, char *err, size_t errlen)
{
    if (!it->err[0])
        return 0;
    td_errf(err, errlen, "%s", it->err);
    return -1;
}
