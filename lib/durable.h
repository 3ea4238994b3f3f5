/* durable.h: making renames and new files survive a power loss (POSIX: fsync the directory
 * that holds the entry). Both keep errno of the failing call. */
#ifndef TD_DURABLE_H
#define TD_DURABLE_H
#include <stddef.h>

/* Writes all n octets to fd (retrying short writes and EINTR); 0, or -1 with errno (EIO when
 * write returns 0). */
int td_write_all(int fd, const void *p, size_t n);
/* Copies the whole of in_fd (from offset 0, in-kernel where the file systems allow) into
 * out_fd at its current offset; the number of octets copied, or -1 with errno. Does not
 * fsync. */
long long td_copy_fd(int in_fd, int out_fd);
/* fsync of the directory dir; 0 or -1. */
int td_fsync_dir(const char *dir);
/* fsync of the directory holding path ("." when path has no slash); 0 or -1. */
int td_fsync_parent(const char *path);

/* The last step of an atomic file replacement: rename tmp (written and fsynced by the
 * caller) to path, then fsync path's directory. On a failed rename tmp is removed. 0, or -1
 * with err ("... : reason"). */
int td_rename_durable(const char *tmp, const char *path, char *err, size_t errlen);

#endif
