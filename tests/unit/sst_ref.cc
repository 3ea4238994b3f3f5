// sst_ref.cc: see sst_ref.h.
#include "sst_ref.h"

#include <leveldb/env.h>
#include <leveldb/options.h>
#include <leveldb/table_builder.h>

struct sst_ref {
    leveldb::Options opt;
    leveldb::WritableFile *file = nullptr;
    leveldb::TableBuilder *tb = nullptr;
};

extern "C" {

struct sst_ref *sst_ref_open(const char *path, size_t block_size, int restart_interval)
{
    sst_ref *r = new sst_ref;
    r->opt.compression = leveldb::kSnappyCompression;
    r->opt.block_size = block_size;
    r->opt.block_restart_interval = restart_interval;
    r->opt.filter_policy = nullptr;
    if (!leveldb::Env::Default()->NewWritableFile(path, &r->file).ok()) {
        delete r;
        return nullptr;
    }
    r->tb = new leveldb::TableBuilder(r->opt, r->file);
    return r;
}

void sst_ref_add(struct sst_ref *r, const uint8_t *key, size_t klen, const uint8_t *val, size_t vlen)
{
    r->tb->Add(leveldb::Slice(reinterpret_cast<const char *>(key), klen),
               leveldb::Slice(reinterpret_cast<const char *>(val), vlen));
}

int sst_ref_finish(struct sst_ref *r)
{
    leveldb::Status s = r->tb->Finish();
    if (s.ok())
        s = r->file->Close();
    delete r->tb;
    delete r->file;
    delete r;
    return s.ok() ? 0 : -1;
}

} // extern "C"
