/* generation.c: see generation.h. */
#include "generation.h"
#include "bytes.h"
#include "bloom.h"
#include "sstable.h"
#include "errf.h"
#include "keys.h"
#include "durable.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct td_gen_build {
    struct td_sst_writer *w;  /* the table being filled; NULL between tables */
    struct td_bloom_build bloom;
    FILE *tables;             /* TABLES, being written (a side builder: its lines, in memory) */
    char *side_text;          /* a side builder: open_memstream's buffer of `tables` */
    size_t side_len;
    int is_side;
    uint64_t num;             /* number of the current (or last) table */
    uint8_t *first;           /* a side builder: its first key (copy), checked at join */
    size_t first_len;
    size_t block_size, max_file;
    int restart;
    uint32_t time_base;
    struct td_bytes prev;     /* the last key of the closed tables (copy): keep_prev */
    uint8_t used[256];        /* type bytes seen: one VERSION entry each */
    struct td_gen_stats st;
    char dir[PATH_MAX];
};

static void destroy(struct td_gen_build *b)
{
    td_sst_abandon(&b->w);
    if (b->tables)
        fclose(b->tables);
    free(b->side_text);
    td_bloom_build_free(&b->bloom);
    free(b->first);
    td_bytes_free(&b->prev);
    free(b);
}

static int table_path(const struct td_gen_build *b, uint64_t n, const char *ext, char *out, size_t cap)
{
    return snprintf(out, cap, "%s/%06llu.%s", b->dir, (unsigned long long)n, ext) < (int)cap ? 0 : -1;
}

struct td_gen_build *td_gen_build_open(const char *dir_tmp, const struct td_gen_opts *opts, char *err,
                                       size_t errlen)
{
    struct td_gen_opts o = { 0, 0, 0, 0 };
    if (opts)
        o = *opts;
    if (strlen(dir_tmp) >= PATH_MAX - 32) {
        td_errf(err, errlen, "%s: path too long", dir_tmp);
        return NULL;
    }
    struct stat sb;
    if (lstat(dir_tmp, &sb) == 0) {
        td_errf(err, errlen, "%s: already exists (a build never reuses a directory)", dir_tmp);
        return NULL;
    }
    struct td_gen_build *b = calloc(1, sizeof *b);
    if (!b) {
        td_errf(err, errlen, "out of memory");
        return NULL;
    }
    snprintf(b->dir, sizeof b->dir, "%s", dir_tmp);
    b->time_base = o.time_base;
    b->block_size = o.block_size ? o.block_size : TD_GEN_BLOCK_SIZE;
    b->restart = o.restart_interval > 0 ? o.restart_interval : TD_GEN_RESTART_INTERVAL;
    b->max_file = o.max_file ? o.max_file : TD_GEN_MAX_FILE;
    if (mkdir(dir_tmp, 0755) != 0) {
        td_errf(err, errlen, "%s: %s", dir_tmp, strerror(errno));
        free(b);
        return NULL;
    }
    char path[PATH_MAX + 16];
    snprintf(path, sizeof path, "%s/%s", b->dir, TD_GEN_TABLES);
    b->tables = fopen(path, "wx");
    if (!b->tables) {
        td_errf(err, errlen, "%s: %s", path, strerror(errno));
        destroy(b);
        return NULL;
    }
    fprintf(b->tables, "tapdns-generation %d\n", TD_GEN_FORMAT);
    return b;
}

static int keep_prev(struct td_gen_build *b, const uint8_t *key, size_t klen, char *err, size_t errlen);

/* The last key put: the open table's, else the last closed table's (b->prev). */
static const uint8_t *last_key(const struct td_gen_build *b, size_t *klen)
{
    if (b->w && td_sst_writer_entries(b->w))
        return td_sst_writer_last_key(b->w, klen);
    *klen = b->prev.len;
    return b->prev.p;
}

/* Finishes the current table: its filter, its TABLES line (its last key becomes b->prev). */
static int close_table(struct td_gen_build *b, char *err, size_t errlen)
{
    if (!b->w)
        return 0;
    uint64_t entries = td_sst_writer_entries(b->w);
    size_t klen;
    const uint8_t *last = last_key(b, &klen);
    if (keep_prev(b, last, klen, err, errlen) != 0 || td_sst_finish(&b->w, err, errlen) != 0)
        return -1;
    char path[PATH_MAX];
    if (table_path(b, b->num, "bloom", path, sizeof path) != 0 ||
        td_bloom_build_write(&b->bloom, path, err, errlen) != 0)
        return -1;
    fprintf(b->tables, "%06llu.sst %llu ", (unsigned long long)b->num, (unsigned long long)entries);
    for (size_t i = 0; i < b->prev.len; i++)
        fprintf(b->tables, "%02x", b->prev.p[i]);
    fputc('\n', b->tables);
    if (ferror(b->tables)) {
        td_errf(err, errlen, "%s/%s: write error", b->dir, TD_GEN_TABLES);
        return -1;
    }
    return 0;
}

/* b->prev becomes a copy of key (the last key of the closed tables: order checks, TABLES lines,
 * the join). While a table is open its writer holds the last key (last_key()). */
static int keep_prev(struct td_gen_build *b, const uint8_t *key, size_t klen, char *err, size_t errlen)
{
    b->prev.len = 0;
    if (td_bytes_put(&b->prev, key, klen) == 0)
        return 0;
    td_errf(err, errlen, "out of memory");
    return -1;
}

/* Appends one entry, starting a table when none is open (order checked here against the last
 * closed table, by the writer within a table: TD_SST_ORDER). Data entries and metadata alike;
 * the caller counts data entries. */
static int add(struct td_gen_build *b, const uint8_t *key, size_t klen, const uint8_t *value, size_t vlen,
               char *err, size_t errlen)
{
    if (!b->w) {
        char path[PATH_MAX];
        if (b->prev.len && td_key_cmp(key, klen, b->prev.p, b->prev.len) <= 0)
            return TD_SST_ORDER;
        b->st.tables++;
        if (table_path(b, ++b->num, "sst", path, sizeof path) != 0) {
            td_errf(err, errlen, "%s: path too long", b->dir);
            return -1;
        }
        if (!(b->w = td_sst_writer_open(path, b->block_size, b->restart, err, errlen)))
            return -1;
    }
    int rc = td_sst_add(b->w, key, klen, value, vlen, err, errlen);
    if (rc != 0)
        return rc;
    if (td_bloom_build_add(&b->bloom, key, klen) != 0) {
        td_errf(err, errlen, "out of memory");
        return -1;
    }
    if (td_sst_writer_size(b->w) >= b->max_file)
        return close_table(b, err, errlen);
    return 0;
}

int td_gen_build_put(struct td_gen_build *b, const uint8_t *key, size_t klen, const uint8_t *value, size_t vlen,
                     char *err, size_t errlen)
{
    if (klen == 0) {
        td_errf(err, errlen, "empty key refused");
        return -1;
    }
    if (key[0] >= TD_GEN_KEY_TIME_BASE) {
        td_errf(err, errlen, "key type 0x%02X is reserved for metadata", key[0]);
        return -1;
    }
    if (b->is_side && !b->first) {
        if (!(b->first = malloc(klen))) {
            td_errf(err, errlen, "out of memory");
            return -1;
        }
        memcpy(b->first, key, klen);
        b->first_len = klen;
    }
    int rc = add(b, key, klen, value, vlen, err, errlen);
    if (rc == TD_SST_ORDER) {
        size_t plen;
        const uint8_t *prev = last_key(b, &plen);
        td_errf(err, errlen, "key %llu out of order (%s the previous key): input must be sorted and distinct",
                (unsigned long long)b->st.entries, td_key_cmp(key, klen, prev, plen) == 0 ? "equal to" : "below");
        return -1;
    }
    if (rc != 0)
        return -1;
    b->used[key[0]] = 1;
    b->st.entries++;
    b->st.key_bytes += klen;
    b->st.value_bytes += vlen;
    return 0;
}

struct td_gen_build *td_gen_build_side(const struct td_gen_build *b, char *err, size_t errlen)
{
    if (b->is_side || b->num >= TD_GEN_SIDE_FIRST) {
        td_errf(err, errlen, "%s: no room for a side builder", b->dir);
        return NULL;
    }
    struct td_gen_build *s = calloc(1, sizeof *s);
    if (!s) {
        td_errf(err, errlen, "out of memory");
        return NULL;
    }
    memcpy(s->dir, b->dir, sizeof s->dir);
    s->block_size = b->block_size;
    s->restart = b->restart;
    s->max_file = b->max_file;
    s->time_base = b->time_base;
    s->is_side = 1;
    s->num = TD_GEN_SIDE_FIRST - 1;
    if (!(s->tables = open_memstream(&s->side_text, &s->side_len))) {
        td_errf(err, errlen, "out of memory");
        free(s);
        return NULL;
    }
    return s;
}

int td_gen_build_join(struct td_gen_build *b, struct td_gen_build **sp, char *err, size_t errlen)
{
    struct td_gen_build *s = *sp;
    *sp = NULL;
    int rc = -1;
    if (!s->is_side || b->is_side || strcmp(s->dir, b->dir) != 0) {
        td_errf(err, errlen, "%s: not a side builder of this build", s->dir);
        goto out;
    }
    if (b->num >= TD_GEN_SIDE_FIRST) {
        td_errf(err, errlen, "%s: %llu tables, more than a side builder leaves room for", b->dir,
                (unsigned long long)b->num);
        goto out;
    }
    if (s->st.entries && b->st.entries) {
        size_t blen;
        const uint8_t *blast = last_key(b, &blen);
        if (td_key_cmp(s->first, s->first_len, blast, blen) <= 0) {
            td_errf(err, errlen, "%s: the side builder's first key is not above the last key", b->dir);
            goto out;
        }
    }
    if (close_table(b, err, errlen) != 0 || close_table(s, err, errlen) != 0)
        goto out;
    if (fflush(s->tables) != 0 || ferror(s->tables)) {
        td_errf(err, errlen, "out of memory");
        goto out;
    }
    if (s->side_len && fwrite(s->side_text, 1, s->side_len, b->tables) != s->side_len) {
        td_errf(err, errlen, "%s/%s: write error", b->dir, TD_GEN_TABLES);
        goto out;
    }
    if (s->st.entries && keep_prev(b, s->prev.p, s->prev.len, err, errlen) != 0)
        goto out;
    if (s->st.tables)
        b->num = s->num;
    for (int i = 0; i < 256; i++)
        b->used[i] |= s->used[i];
    b->st.entries += s->st.entries;
    b->st.key_bytes += s->st.key_bytes;
    b->st.value_bytes += s->st.value_bytes;
    b->st.tables += s->st.tables;
    rc = 0;
out:
    destroy(s);
    return rc;
}

const struct td_gen_stats *td_gen_build_stats(const struct td_gen_build *b)
{
    return &b->st;
}

/* fsync every regular file of dir, then dir. */
static int fsync_all(const char *dir, char *err, size_t errlen)
{
    DIR *d = opendir(dir);
    if (!d) {
        td_errf(err, errlen, "%s: %s", dir, strerror(errno));
        return -1;
    }
    struct dirent *de;
    int rc = 0;
    while (rc == 0 && (de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.')
            continue;
        int fd = openat(dirfd(d), de->d_name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0 || fsync(fd) != 0) {
            td_errf(err, errlen, "%s/%s: fsync: %s", dir, de->d_name, strerror(errno));
            rc = -1;
        }
        if (fd >= 0)
            close(fd);
    }
    closedir(d);
    if (rc == 0 && td_fsync_dir(dir) != 0) {
        td_errf(err, errlen, "%s: fsync: %s", dir, strerror(errno));
        rc = -1;
    }
    return rc;
}

static int parent_of(const char *path, char *out, size_t cap)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        return snprintf(out, cap, ".") < (int)cap ? 0 : -1;
    size_t n = slash == path ? 1 : (size_t)(slash - path);
    if (n >= cap)
        return -1;
    memcpy(out, path, n);
    out[n] = 0;
    return 0;
}

int td_gen_build_finish(struct td_gen_build **bp, uint32_t min_time_first, uint32_t max_time_last,
                        const char *source, const char *final_dir, char *err, size_t errlen)
{
    struct td_gen_build *b = *bp;
    *bp = NULL;
    int rc = -1;
    uint8_t key[256], val[32] = { 0 };
    /* metadata, in key order: FC time base, FD source, FE time range, FF type byte */
    key[0] = TD_GEN_KEY_TIME_BASE;
    if (add(b, key, 1, val, td_index_time_base_encode(b->time_base, val), err, errlen) != 0)
        goto out;
    if (source) {
        size_t n = strlen(source);
        if (n > sizeof key - 2 || memchr(source, 0, n)) {
            td_errf(err, errlen, "source text too long");
            goto out;
        }
        key[0] = TD_GEN_KEY_SOURCE;
        memcpy(key + 1, source, n);
        key[n + 1] = 0;
        if (add(b, key, n + 2, val, 0, err, errlen) != 0)
            goto out;
    }
    key[0] = TD_GEN_KEY_TIME_RANGE;
    size_t vn = td_index_time_range_encode(min_time_first, max_time_last, val);
    if (add(b, key, 1, val, vn, err, errlen) != 0)
        goto out;
    for (unsigned tb = 0; tb < TD_GEN_KEY_TIME_BASE; tb++) {
        if (!b->used[tb])
            continue;
        vn = td_index_version_entry((uint8_t)tb, key, val);
        if (add(b, key, 2, val, vn, err, errlen) != 0)
            goto out;
    }
    if (close_table(b, err, errlen) != 0)
        goto out;
    int tf = fflush(b->tables) != 0; /* fsynced with every other file below */
    if (fclose(b->tables) != 0 || tf) {
        b->tables = NULL;
        td_errf(err, errlen, "%s/%s: %s", b->dir, TD_GEN_TABLES, strerror(errno));
        goto out;
    }
    b->tables = NULL;
    if (fsync_all(b->dir, err, errlen) != 0)
        goto out;
    char ptmp[PATH_MAX], pfin[PATH_MAX];
    if (parent_of(b->dir, ptmp, sizeof ptmp) != 0 || parent_of(final_dir, pfin, sizeof pfin) != 0) {
        td_errf(err, errlen, "%s: path too long", final_dir);
        goto out;
    }
    if (rename(b->dir, final_dir) != 0) {
        td_errf(err, errlen, "rename %s -> %s: %s", b->dir, final_dir, strerror(errno));
        goto out;
    }
    if (td_fsync_dir(pfin) != 0 || (strcmp(ptmp, pfin) != 0 && td_fsync_dir(ptmp) != 0)) {
        td_errf(err, errlen, "fsync of %s: %s", pfin, strerror(errno));
        goto out;
    }
    rc = 0;
out:
    destroy(b);
    return rc;
}

void td_gen_build_abort(struct td_gen_build **bp)
{
    struct td_gen_build *b = *bp;
    if (!b)
        return;
    *bp = NULL;
    char dir[PATH_MAX];
    memcpy(dir, b->dir, sizeof dir);
    int side = b->is_side;
    destroy(b);
    if (!side)
        td_gen_remove_tree(dir, NULL, 0);
}

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)ftw;
    int rc = (flag == FTW_DP || flag == FTW_D) ? rmdir(path) : unlink(path);
    return rc == 0 || errno == ENOENT ? 0 : -1;
}

int td_gen_remove_tree(const char *path, char *err, size_t errlen)
{
    struct stat sb;
    if (lstat(path, &sb) != 0)
        return errno == ENOENT ? 0 : (td_errf(err, errlen, "%s: %s", path, strerror(errno)), -1);
    if (nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS) != 0) {
        td_errf(err, errlen, "removing %s: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}
