/* fuzz_input.h: the fuzz input as a file, for targets whose parser reads files (spool,
 * observation files, filter rules). An anonymous memory file: nothing to clean up. */
#ifndef TD_FUZZ_INPUT_H
#define TD_FUZZ_INPUT_H
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

/* Writes data to a new memfd and puts "/proc/self/fd/N" in path. Returns the fd (the caller
 * closes it) or -1. */
static inline int fuzz_input_file(const uint8_t *data, size_t size, char *path, size_t cap)
{
    int fd = memfd_create("fuzz_input", MFD_CLOEXEC);
    if (fd < 0)
        return -1;
    size_t off = 0;
    while (off < size) {
        ssize_t n = write(fd, data + off, size - off);
        if (n <= 0)
            break;
        off += (size_t)n;
    }
    snprintf(path, cap, "/proc/self/fd/%d", fd);
    return fd;
}

#endif
