/* sst_ref: LevelDB's own TableBuilder behind a C face, the reference that test_sstable holds
 * indexer/sstable_write.c to (same options: bytewise comparator, snappy, no filter policy). */
#ifndef SST_REF_H
#define SST_REF_H
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct sst_ref;
/* NULL if path cannot be created. */
struct sst_ref *sst_ref_open(const char *path, size_t block_size, int restart_interval);
void sst_ref_add(struct sst_ref *r, const uint8_t *key, size_t klen, const uint8_t *val, size_t vlen);
/* Finishes and closes the file, frees r; 0 or -1. */
int sst_ref_finish(struct sst_ref *r);

#ifdef __cplusplus
}
#endif
#endif
