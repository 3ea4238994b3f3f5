/* readfile.c: see readfile.h. */
#include "readfile.h"
#include "errf.h"
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int td_read_file(const char *path, size_t max, char **buf, size_t *len, char *err, size_t errlen)
{
    *buf = NULL;
    *len = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        int missing = errno == ENOENT;
        td_errf(err, errlen, "%s: %s", path, strerror(errno));
        return missing ? 0 : -1;
    }
    struct stat sb;
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        td_errf(err, errlen, "%s: not a regular file", path);
        close(fd);
        return -1;
    }
    /* start from the size fstat gives, grow if the file grew; never beyond max + 1 */
    size_t cap = (uint64_t)sb.st_size < max ? (size_t)sb.st_size + 1 : max + 1;
    if (cap < 64)
        cap = 64 < max + 1 ? 64 : max + 1;
    char *b = malloc(cap + 1);
    size_t got = 0;
    while (b) {
        if (got == cap) {
            if (cap > max)
                break; /* max + 1 octets: too large */
            size_t ncap = cap * 2 < max + 1 ? cap * 2 : max + 1;
            char *nb = realloc(b, ncap + 1);
            if (!nb) {
                free(b);
                b = NULL;
                break;
            }
            b = nb;
            cap = ncap;
        }
        ssize_t r = read(fd, b + got, cap - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            td_errf(err, errlen, "%s: read: %s", path, strerror(errno));
            free(b);
            close(fd);
            return -1;
        }
        if (r == 0)
            break;
        got += (size_t)r;
    }
    close(fd);
    if (!b) {
        td_errf(err, errlen, "%s: out of memory", path);
        return -1;
    }
    if (got > max) {
        free(b);
        return -2;
    }
    b[got] = '\0';
    *buf = b;
    *len = got;
    return 1;
}
