/* Without libFuzzer, every fuzz target links this main: it runs the target over each file
 * given (or each file in each directory given), so the corpus is a regression test.
 * Prints TAP: one "ok - fuzz NAME: N inputs" line; a crash fails the test run. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "cannot open %s\n", path);
        return -1;
    }
    uint8_t *buf = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (len == cap) {
            cap = cap ? cap * 2 : 4096;
            uint8_t *nb = realloc(buf, cap);
            if (!nb) {
                free(buf);
                fclose(f);
                return -1;
            }
            buf = nb;
        }
        size_t n = fread(buf + len, 1, cap - len, f);
        if (n == 0)
            break;
        len += n;
    }
    fclose(f);
    /* copy to an exact-size buffer so ASan catches overreads */
    uint8_t *exact = malloc(len ? len : 1);
    if (!exact) {
        free(buf);
        return -1;
    }
    if (len)
        memcpy(exact, buf, len);
    free(buf);
    LLVMFuzzerTestOneInput(exact, len);
    free(exact);
    return 0;
}

int main(int argc, char **argv)
{
    long inputs = 0, errors = 0;
    for (int i = 1; i < argc; i++) {
        struct stat st;
        if (stat(argv[i], &st) != 0) {
            errors++;
            continue;
        }
        if (S_ISDIR(st.st_mode)) {
            DIR *d = opendir(argv[i]);
            struct dirent *e;
            while (d && (e = readdir(d))) {
                if (e->d_name[0] == '.')
                    continue;
                char p[4096];
                snprintf(p, sizeof p, "%s/%s", argv[i], e->d_name);
                if (run_file(p) == 0)
                    inputs++;
                else
                    errors++;
            }
            if (d)
                closedir(d);
        } else if (run_file(argv[i]) == 0) {
            inputs++;
        } else {
            errors++;
        }
    }
    const char *name = strrchr(argv[0], '/');
    name = name ? name + 1 : argv[0];
    if (errors || inputs == 0)
        printf("not ok - %s: %ld inputs, %ld unreadable\n", name, inputs, errors);
    else
        printf("ok - %s: %ld inputs replayed\n", name, inputs);
    return errors || inputs == 0;
}
