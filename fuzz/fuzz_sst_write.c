/* fuzz_sst_write: the table writer (sstable_write.c) on any entries, any block size and restart
 * interval; LevelDB must read the table back with exactly those entries. Input: octet 0 the
 * restart interval - 1, octets 1-2 the block size (little endian, 0 read as 1), then entries
 * (octet klen, octet vlen, the key, the value; a truncated last entry is dropped), sorted and
 * made distinct here. test_sstable holds the writer to LevelDB's TableBuilder octet for octet. */
#include "obs.h"
#include "sstable.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct ent {
    const uint8_t *k, *v;
    size_t kl, vl;
};

static int ent_cmp(const void *x, const void *y)
{
    const struct ent *a = x, *b = y;
    return td_key_cmp(a->k, a->kl, b->k, b->kl);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 3)
        return 0;
    int restart = data[0] + 1;
    size_t block = (size_t)data[1] | (size_t)data[2] << 8;
    if (block == 0)
        block = 1;
    struct ent *e = malloc((size / 2 + 1) * sizeof *e);
    size_t n = 0;
    for (size_t o = 3; o + 2 <= size;) {
        size_t kl = data[o], vl = data[o + 1];
        if (o + 2 + kl + vl > size)
            break;
        e[n].k = data + o + 2;
        e[n].kl = kl;
        e[n].v = data + o + 2 + kl;
        e[n].vl = vl;
        n++;
        o += 2 + kl + vl;
    }
    qsort(e, n, sizeof *e, ent_cmp);
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (!m || ent_cmp(&e[m - 1], &e[i]) != 0)
            e[m++] = e[i];

    char path[64], err[256];
    snprintf(path, sizeof path, "/tmp/fuzz_sst_write.%d.sst", (int)getpid());
    unlink(path);
    struct td_sst_writer *w = td_sst_writer_open(path, block, restart, err, sizeof err);
    if (!w)
        abort();
    for (size_t i = 0; i < m; i++)
        if (td_sst_add(w, e[i].k, e[i].kl, e[i].v, e[i].vl, err, sizeof err) != 0)
            abort();
    if (td_sst_finish(&w, err, sizeof err) != 0)
        abort();
    struct td_sst *t = td_sst_open(path, NULL, err, sizeof err);
    if (!t) {
        fprintf(stderr, "LevelDB refuses the table: %s\n", err);
        abort();
    }
    struct td_sst_iter *it = td_sst_iter_new(t, 0);
    size_t i = 0;
    for (td_sst_iter_first(it); td_sst_iter_valid(it); td_sst_iter_next(it), i++) {
        size_t kl, vl;
        const uint8_t *k = td_sst_iter_key(it, &kl), *v = td_sst_iter_value(it, &vl);
        if (i >= m || kl != e[i].kl || vl != e[i].vl || (kl && memcmp(k, e[i].k, kl) != 0) ||
            (vl && memcmp(v, e[i].v, vl) != 0))
            abort();
    }
    if (i != m || td_sst_iter_error(it, err, sizeof err) != 0)
        abort();
    for (size_t j = 0; j < m; j++) {
        td_sst_iter_seek(it, e[j].k, e[j].kl);
        size_t kl;
        if (!td_sst_iter_valid(it))
            abort();
        const uint8_t *k = td_sst_iter_key(it, &kl);
        if (kl != e[j].kl || (kl && memcmp(k, e[j].k, kl) != 0))
            abort();
    }
    td_sst_iter_free(it);
    td_sst_close(t);
    unlink(path);
    free(e);
    return 0;
}
