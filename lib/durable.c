/* durable.c: see durable.h. */
#include "durable.h"
#include "errf.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int td_write_all(int fd, const void *p, size_t n)
{
    const unsigned char *b = p;
    while (n) {
        ssize_t w = write(fd, b, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return -1;
        if (w == 0) {
            errno = EIO;
            return -1;
        }
        b += w;
        n -= (size_t)w;
    }
    return 0;
}

long long td_copy_fd(int in_fd, int out_fd)
{
    off_t off = 0;
    int in_kernel = 1;
    char buf[1 << 16];
    for (;;) {
        ssize_t n;
        if (in_kernel) {
            n = copy_file_range(in_fd, &off, out_fd, NULL, (size_t)1 << 30, 0);
            if (n < 0 && (errno == EXDEV || errno == ENOSYS || errno == EOPNOTSUPP || errno == EINVAL) && off == 0) {
                in_kernel = 0; /* not across these file systems: copy through a buffer */
                continue;
            }
        } else {
            n = pread(in_fd, buf, sizeof buf, off);
            if (n > 0 && td_write_all(out_fd, buf, (size_t)n) != 0)
                return -1;
            if (n > 0)
                off += n;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        if (n == 0)
            return (long long)off;
    }
}

int td_fsync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int rc = fsync(fd);
    int e = errno;
    close(fd);
    errno = e;
    return rc;
}

int td_fsync_parent(const char *path)
{
    char dir[4096];
    const char *slash = strrchr(path, '/');
    if (!slash)
        return td_fsync_dir(".");
    if (slash == path)
        return td_fsync_dir("/");
    if ((size_t)(slash - path) >= sizeof dir) {
        errno = ENAMETOOLONG;
        return -1;
    }
    memcpy(dir, path, (size_t)(slash - path));
    dir[slash - path] = '\0';
    return td_fsync_dir(dir);
}

int td_rename_durable(const char *tmp, const char *path, char *err, size_t errlen)
{
    if (rename(tmp, path) != 0) {
        td_errf(err, errlen, "rename %s -> %s: %s", tmp, path, strerror(errno));
        unlink(tmp);
        return -1;
    }
    if (td_fsync_parent(path) != 0) {
        td_errf(err, errlen, "%s: fsync of the directory: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}
