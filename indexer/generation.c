/* generation.c: see generation.h. */
#include "generation.h"
#include "errf.h"
#include "keys.h"
#include "durable.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <leveldb/c.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct td_gen_build {
    leveldb_t *db;
    leveldb_options_t *opt;
    leveldb_filterpolicy_t *bloom;
    leveldb_writeoptions_t *wopt;
    leveldb_writebatch_t *batch;
    size_t batch_entries, in_batch;
    uint8_t *prev;            /* previous key (copy) */
    size_t prev_len, prev_cap;
    uint8_t used[256];        /* type bytes seen: one VERSION entry each */
    struct td_gen_stats st;
    char dir[PATH_MAX];
};

static void destroy(struct td_gen_build *b)
{
    if (b->db)
        leveldb_close(b->db);
    if (b->batch)
        leveldb_writebatch_destroy(b->batch);
    if (b->wopt)
        leveldb_writeoptions_destroy(b->wopt);
    if (b->opt)
        leveldb_options_destroy(b->opt);
    if (b->bloom)
        leveldb_filterpolicy_destroy(b->bloom);
    free(b->prev);
    free(b);
}

struct td_gen_build *td_gen_build_open(const char *dir_tmp, const struct td_gen_opts *opts, char *err,
                                       size_t errlen)
{
    struct td_gen_opts o = { 0, 0, 0, 0 };
    if (opts)
        o = *opts;
    if (strlen(dir_tmp) >= PATH_MAX) {
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
    b->batch_entries = o.batch_entries ? o.batch_entries : TD_GEN_BATCH_ENTRIES;
    b->opt = leveldb_options_create();
    b->bloom = leveldb_filterpolicy_create_bloom(10);
    b->wopt = leveldb_writeoptions_create();
    b->batch = leveldb_writebatch_create();
    if (!b->opt || !b->bloom || !b->wopt || !b->batch) {
        td_errf(err, errlen, "out of memory");
        destroy(b);
        return NULL;
    }
    leveldb_options_set_create_if_missing(b->opt, 1);
    leveldb_options_set_error_if_exists(b->opt, 1);
    leveldb_options_set_compression(b->opt, leveldb_snappy_compression);
    leveldb_options_set_filter_policy(b->opt, b->bloom);
    leveldb_options_set_block_size(b->opt, o.block_size ? o.block_size : TD_GEN_BLOCK_SIZE);
    leveldb_options_set_write_buffer_size(b->opt, o.write_buffer ? o.write_buffer : TD_GEN_WRITE_BUFFER);
    leveldb_options_set_max_file_size(b->opt, o.max_file ? o.max_file : TD_GEN_MAX_FILE);
    leveldb_writeoptions_set_sync(b->wopt, 0);
    char *lerr = NULL;
    b->db = leveldb_open(b->opt, dir_tmp, &lerr);
    if (!b->db) {
        td_errf(err, errlen, "%s: leveldb open: %s", dir_tmp, lerr ? lerr : "failed");
        leveldb_free(lerr);
        destroy(b);
        return NULL;
    }
    return b;
}

static int flush_batch(struct td_gen_build *b, char *err, size_t errlen)
{
    if (!b->in_batch)
        return 0;
    char *lerr = NULL;
    leveldb_write(b->db, b->wopt, b->batch, &lerr);
    if (lerr) {
        td_errf(err, errlen, "%s: leveldb write: %s", b->dir, lerr);
        leveldb_free(lerr);
        return -1;
    }
    leveldb_writebatch_clear(b->batch);
    b->in_batch = 0;
    b->st.batches++;
    return 0;
}

int td_gen_build_put(struct td_gen_build *b, const uint8_t *key, size_t klen, const uint8_t *value, size_t vlen,
                     char *err, size_t errlen)
{
    if (klen == 0) {
        td_errf(err, errlen, "empty key refused");
        return -1;
    }
    if (key[0] >= TD_GEN_KEY_SOURCE) {
        td_errf(err, errlen, "key type 0x%02X is reserved for metadata", key[0]);
        return -1;
    }
    if (b->st.entries) {
        size_t n = klen < b->prev_len ? klen : b->prev_len;
        int c = memcmp(key, b->prev, n);
        if (c < 0 || (c == 0 && klen <= b->prev_len)) {
            td_errf(err, errlen, "key %llu out of order (%s the previous key): input must be sorted and distinct",
                    (unsigned long long)b->st.entries, c == 0 && klen == b->prev_len ? "equal to" : "below");
            return -1;
        }
    }
    if (klen > b->prev_cap) {
        size_t cap = b->prev_cap ? b->prev_cap : 256;
        while (cap < klen)
            cap *= 2;
        uint8_t *p = realloc(b->prev, cap);
        if (!p) {
            td_errf(err, errlen, "out of memory");
            return -1;
        }
        b->prev = p;
        b->prev_cap = cap;
    }
    memcpy(b->prev, key, klen);
    b->prev_len = klen;
    b->used[key[0]] = 1;
    leveldb_writebatch_put(b->batch, (const char *)key, klen, (const char *)value, vlen);
    b->st.entries++;
    b->st.key_bytes += klen;
    b->st.value_bytes += vlen;
    if (++b->in_batch >= b->batch_entries)
        return flush_batch(b, err, errlen);
    return 0;
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
    uint8_t key[256], val[32];
    if (flush_batch(b, err, errlen) != 0)
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
        leveldb_writebatch_put(b->batch, (const char *)key, n + 2, "", 0);
    }
    key[0] = TD_GEN_KEY_TIME_RANGE;
    size_t vn = td_index_time_range_encode(min_time_first, max_time_last, val);
    leveldb_writebatch_put(b->batch, (const char *)key, 1, (const char *)val, vn);
    for (unsigned tb = 0; tb < TD_GEN_KEY_SOURCE; tb++) {
        if (!b->used[tb])
            continue;
        vn = td_index_version_entry((uint8_t)tb, key, val);
        leveldb_writebatch_put(b->batch, (const char *)key, 2, (const char *)val, vn);
    }
    b->in_batch = 1;
    if (flush_batch(b, err, errlen) != 0)
        goto out;
    /* One compaction over everything: sorted input leaves few overlapping tables. The C API
     * reports no background error here; a disk-full compaction shows at fsync or on reading. */
    leveldb_compact_range(b->db, NULL, 0, NULL, 0);
    leveldb_close(b->db);
    b->db = NULL;
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
    destroy(b);
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
