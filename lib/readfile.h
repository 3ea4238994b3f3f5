/* readfile.h: a whole small file into memory, for the loaders of FILESET, the bailiwick
 * cache, the API keys and the metrics files (one copy of the open / size / read-loop code).
 *
 * td_read_file() reads path into a malloc'd buffer (*buf, NUL-terminated after its *len
 * octets; the caller frees it). Returns 1 when read; 0 when the file does not exist (ENOENT:
 * *buf NULL, err set to "PATH: No such file or directory" for callers that want it); -1 on
 * any other error with err "PATH: reason" (not a regular file, read error, out of memory);
 * -2 when the file holds more than max octets (nothing kept; the caller words the limit).
 * The size is not trusted: reading stops at max + 1 octets, so a growing file cannot make the
 * buffer larger than max + 1. */
#ifndef TD_READFILE_H
#define TD_READFILE_H
#include <stddef.h>

int td_read_file(const char *path, size_t max, char **buf, size_t *len, char *err, size_t errlen);

#endif
