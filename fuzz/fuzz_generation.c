/* fuzz_generation: the readers of a generation directory (gen_reader.h) on damaged files. A
 * real generation of several small tables is built once; each input replaces one of its files
 * (first octet: 0 TABLES, 1 a bloom filter, 2 a table) for td_gen_open, a full iteration,
 * seeks and gets, then the file is put back. Anything may fail; nothing may crash, and a
 * generation that opens must give keys in strictly increasing order. */
#include "gen_reader.h"
#include "generation.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char top[64], dir[80];
static const char *const victims[] = { "TABLES", "000001.bloom", "000002.sst" };
static char *orig[3];
static size_t orig_len[3];

static void cleanup(void)
{
    td_gen_remove_tree(top, NULL, 0);
}

static int slurp(const char *path, char **buf, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    *buf = malloc(n > 0 ? (size_t)n : 1);
    *len = n > 0 && fread(*buf, 1, (size_t)n, f) == (size_t)n ? (size_t)n : 0;
    fclose(f);
    return 0;
}

static int spill(const char *path, const void *p, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    int rc = fwrite(p, 1, n, f) == n ? 0 : -1;
    return fclose(f) == 0 ? rc : -1;
}

static int setup(void)
{
    char base[] = "/tmp/fuzz_generation.XXXXXX", err[256], tmp[128];
    if (!mkdtemp(base))
        return -1;
    snprintf(tmp, sizeof tmp, "%s/tmp", base);
    snprintf(dir, sizeof dir, "%s/gen", base);
    struct td_gen_opts o = { .time_base = 0, .block_size = 512, .max_file = 2048 };
    struct td_gen_build *b = td_gen_build_open(tmp, &o, err, sizeof err);
    for (unsigned i = 0; b && i < 600; i++) {
        uint8_t k[16] = { 0x02, (uint8_t)(i >> 8), (uint8_t)i, 'x', 'y' }, v[3] = { 1, 2, (uint8_t)i };
        if (td_gen_build_put(b, k, 5 + i % 9, v, sizeof v, err, sizeof err) != 0)
            td_gen_build_abort(&b);
    }
    if (!b || td_gen_build_finish(&b, 1, 2, "fuzz", dir, err, sizeof err) != 0) {
        fprintf(stderr, "fuzz_generation: setup: %s\n", err);
        return -1;
    }
    snprintf(top, sizeof top, "%s", base); /* removed at exit */
    atexit(cleanup);
    for (int i = 0; i < 3; i++) {
        char p[128];
        snprintf(p, sizeof p, "%s/%s", dir, victims[i]);
        if (slurp(p, &orig[i], &orig_len[i]) != 0)
            return -1;
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int ready;
    if (!ready) {
        if (setup() != 0)
            abort();
        ready = 1;
    }
    if (size == 0)
        return 0;
    int v = data[0] % 3;
    char p[128], err[256];
    snprintf(p, sizeof p, "%s/%s", dir, victims[v]);
    if (spill(p, data + 1, size - 1) != 0)
        abort();
    struct td_gen *g = td_gen_open(dir, NULL, 2, err, sizeof err);
    if (g) {
        struct td_gen_iter *it = td_gen_iter_new(g, 1);
        uint8_t prev[300];
        size_t prev_len = 0, n = 0;
        for (td_gen_iter_first(it); td_gen_iter_valid(it); td_gen_iter_next(it), n++) {
            size_t kl;
            const uint8_t *k = td_gen_iter_key(it, &kl);
            if (kl > sizeof prev)
                kl = sizeof prev;
            if (n > 0) {
                int c = memcmp(prev, k, kl < prev_len ? kl : prev_len);
                if (c > 0 || (c == 0 && kl <= prev_len))
                    abort(); /* a table's keys out of order would break every scan */
            }
            memcpy(prev, k, kl);
            prev_len = kl;
        }
        (void)td_gen_iter_error(it, err, sizeof err);
        static const uint8_t probes[][3] = { { 0x02, 0, 7 }, { 0x02, 1, 200 }, { 0xfe, 0, 0 }, { 0xff, 0xff, 0xff } };
        for (size_t i = 0; i < sizeof probes / sizeof probes[0]; i++) {
            uint8_t val[16];
            size_t vl;
            td_gen_iter_seek(it, probes[i], i == 2 ? 1 : 3);
            (void)td_gen_get(g, probes[i], i == 2 ? 1 : 3, val, sizeof val, &vl, err, sizeof err);
        }
        td_gen_iter_free(it);
        td_gen_close(g);
    }
    if (spill(p, orig[v], orig_len[v]) != 0)
        abort();
    return 0;
}
