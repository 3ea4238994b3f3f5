/* durable.h: making renames and new files survive a power loss (POSIX: fsync the directory
 * that holds the entry). Both keep errno of the failing call. */
#ifndef TD_DURABLE_H
#define TD_DURABLE_H

/* fsync of the directory dir; 0 or -1. */
int td_fsync_dir(const char *dir);
/* fsync of the directory holding path ("." when path has no slash); 0 or -1. */
int td_fsync_parent(const char *path);

#endif
