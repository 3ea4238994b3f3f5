// sstable.cc: the table reader of sstable.h. The programs' only C++: a thin C face over
// LevelDB's public table API (leveldb/table.h). No exception crosses it (LevelDB throws none;
// allocation failures abort as in the rest of LevelDB). The writer is sstable_write.c.
#include "sstable.h"

#include <leveldb/cache.h>
#include <leveldb/env.h>
#include <leveldb/iterator.h>
#include <leveldb/options.h>
#include <leveldb/table.h>

#include <stdio.h>

#include <string>

struct td_sst_cache {
    leveldb::Cache *cache;
};

struct td_sst {
    leveldb::RandomAccessFile *file = nullptr;
    leveldb::Table *table = nullptr;
};

struct td_sst_iter {
    leveldb::Iterator *it;
};

static void put_err(char *err, size_t errlen, const std::string &what, const leveldb::Status &s)
{
    if (err && errlen)
        snprintf(err, errlen, "%s: %s", what.c_str(), s.ToString().c_str());
}

extern "C" {

struct td_sst_cache *td_sst_cache_new(size_t bytes)
{
    td_sst_cache *c = new td_sst_cache;
    c->cache = leveldb::NewLRUCache(bytes);
    return c;
}

void td_sst_cache_free(struct td_sst_cache *c)
{
    if (!c)
        return;
    delete c->cache;
    delete c;
}

struct td_sst *td_sst_open(const char *path, struct td_sst_cache *cache, char *err, size_t errlen)
{
    leveldb::Env *env = leveldb::Env::Default();
    uint64_t size = 0;
    leveldb::Status s = env->GetFileSize(path, &size);
    td_sst *t = new td_sst;
    if (s.ok())
        s = env->NewRandomAccessFile(path, &t->file);
    if (s.ok()) {
        leveldb::Options opt;
        opt.block_cache = cache ? cache->cache : nullptr;
        opt.paranoid_checks = true; // block checksums are verified on every read
        s = leveldb::Table::Open(opt, t->file, size, &t->table);
    }
    if (!s.ok()) {
        put_err(err, errlen, path, s);
        td_sst_close(t);
        return nullptr;
    }
    return t;
}

void td_sst_close(struct td_sst *t)
{
    if (!t)
        return;
    delete t->table;
    delete t->file;
    delete t;
}

struct td_sst_iter *td_sst_iter_new(const struct td_sst *t, int fill_cache)
{
    leveldb::ReadOptions ro;
    ro.verify_checksums = true;
    ro.fill_cache = fill_cache != 0;
    td_sst_iter *it = new td_sst_iter;
    it->it = t->table->NewIterator(ro);
    return it;
}

void td_sst_iter_free(struct td_sst_iter *it)
{
    if (!it)
        return;
    delete it->it;
    delete it;
}

void td_sst_iter_seek(struct td_sst_iter *it, const uint8_t *key, size_t klen)
{
    it->it->Seek(leveldb::Slice(reinterpret_cast<const char *>(key), klen));
}

void td_sst_iter_first(struct td_sst_iter *it)
{
    it->it->SeekToFirst();
}

void td_sst_iter_last(struct td_sst_iter *it)
{
    it->it->SeekToLast();
}

int td_sst_iter_valid(const struct td_sst_iter *it)
{
    return it->it->Valid() ? 1 : 0;
}

void td_sst_iter_next(struct td_sst_iter *it)
{
    it->it->Next();
}

const uint8_t *td_sst_iter_key(const struct td_sst_iter *it, size_t *klen)
{
    leveldb::Slice k = it->it->key();
    *klen = k.size();
    return reinterpret_cast<const uint8_t *>(k.data());
}

const uint8_t *td_sst_iter_value(const struct td_sst_iter *it, size_t *vlen)
{
    leveldb::Slice v = it->it->value();
    *vlen = v.size();
    return reinterpret_cast<const uint8_t *>(v.data());
}

int td_sst_iter_error(const struct td_sst_iter *it, char *err, size_t errlen)
{
    leveldb::Status s = it->it->status();
    if (s.ok())
        return 0;
    put_err(err, errlen, "table", s);
    return -1;
}

} // extern "C"
