/* test_readfile: lib/readfile.h: a missing file (0 and the ENOENT reason), an empty file, a
 * file of exactly max octets and one of max + 1 (-2), a directory (-1), a file larger than its
 * first buffer (grown), and the NUL after the content. */
#include "readfile.h"
#include "tt.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[64];

static const char *put(const char *name, size_t n)
{
    static char path[128];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    for (size_t i = 0; f && i < n; i++)
        fputc('a' + (int)(i % 26), f);
    if (f)
        fclose(f);
    return path;
}

static void test_read_file(void)
{
    char err[256], *buf, path[128];
    size_t len;
    snprintf(path, sizeof path, "%s/missing", dir);
    CHECK_EQ(td_read_file(path, 100, &buf, &len, err, sizeof err), 0);
    CHECK(buf == NULL && strstr(err, "No such file") != NULL);
    CHECK_EQ(td_read_file(put("empty", 0), 100, &buf, &len, err, sizeof err), 1);
    CHECK(buf != NULL && len == 0 && buf[0] == '\0');
    free(buf);
    CHECK_EQ(td_read_file(put("exact", 100), 100, &buf, &len, err, sizeof err), 1);
    CHECK(buf != NULL && len == 100 && buf[99] == 'v' && buf[100] == '\0');
    free(buf);
    CHECK_EQ(td_read_file(put("over", 101), 100, &buf, &len, err, sizeof err), -2);
    CHECK(buf == NULL);
    CHECK_EQ(td_read_file(put("big", 100000), 1u << 20, &buf, &len, err, sizeof err), 1);
    CHECK(buf != NULL && len == 100000 && buf[99999] == 'a' + 99999 % 26);
    free(buf);
    CHECK_EQ(td_read_file(dir, 100, &buf, &len, err, sizeof err), -1);
    CHECK(strstr(err, "not a regular file") != NULL);
}

int main(void)
{
    snprintf(dir, sizeof dir, "/tmp/test_readfile.XXXXXX");
    if (!mkdtemp(dir))
        return 1;
    TT_RUN(test_read_file);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0)
        return 1;
    return tt_finish();
}
