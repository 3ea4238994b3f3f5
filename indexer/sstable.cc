// sstable.cc: see sstable.h. The only C++ of the tree: a thin C face over LevelDB's public table
// API (leveldb/table_builder.h, leveldb/table.h). No exception crosses it (LevelDB throws none;
// allocation failures abort as in the rest of LevelDB).
#include "sstable.h"

#include <leveldb/cache.h>
#include <leveldb/env.h>
#include <leveldb/iterator.h>
#include <leveldb/options.h>
#include <leveldb/table.h>
#include <leveldb/table_builder.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <string>

// The table file as TableBuilder sees it. LevelDB's own PosixWritableFile writes out its buffer at
// every Flush(), which TableBuilder calls after each data block: one write(2) of about 7 KiB per
// block, each starting mid-page (the kernel zeroes the rest of every new page first). A table is
// only complete, and only read, after Sync, so here Flush() does nothing and the file is written
// in whole buffers of kBufferSize octets. Contract as WritableFile: Append copies, Sync writes
// out and fdatasyncs, Close writes out and closes; the first error sticks.
class BatchedTableFile : public leveldb::WritableFile {
  public:
    static constexpr size_t kBufferSize = 1u << 20;

    BatchedTableFile(int fd, std::string path) : fd_(fd), path_(std::move(path)) { buf_.reserve(kBufferSize); }
    ~BatchedTableFile() override
    {
        if (fd_ >= 0)
            ::close(fd_);
    }

    leveldb::Status Append(const leveldb::Slice &data) override
    {
        if (!status_.ok())
            return status_;
        if (buf_.size() + data.size() > kBufferSize) {
            WriteOut();
            if (data.size() >= kBufferSize) {
                WriteAll(data.data(), data.size());
                return status_;
            }
        }
        buf_.append(data.data(), data.size());
        return status_;
    }
    leveldb::Status Flush() override { return status_; }
    leveldb::Status Sync() override
    {
        WriteOut();
        if (status_.ok() && ::fdatasync(fd_) != 0)
            status_ = Error();
        return status_;
    }
    leveldb::Status Close() override
    {
        WriteOut();
        if (fd_ >= 0 && ::close(fd_) != 0 && status_.ok())
            status_ = Error();
        fd_ = -1;
        return status_;
    }

  private:
    leveldb::Status Error() const { return leveldb::Status::IOError(path_, strerror(errno)); }
    void WriteOut()
    {
        if (status_.ok())
            WriteAll(buf_.data(), buf_.size());
        buf_.clear();
    }
    void WriteAll(const char *p, size_t n)
    {
        while (n > 0 && status_.ok()) {
            ssize_t w = ::write(fd_, p, n);
            if (w < 0 && errno == EINTR)
                continue;
            if (w < 0) {
                status_ = Error();
                return;
            }
            p += w;
            n -= static_cast<size_t>(w);
        }
    }

    int fd_;
    std::string path_;
    std::string buf_;
    leveldb::Status status_;
};

struct td_sst_writer {
    leveldb::Options opt;
    leveldb::WritableFile *file = nullptr;
    leveldb::TableBuilder *tb = nullptr;
    std::string path;
};

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

struct td_sst_writer *td_sst_writer_open(const char *path, size_t block_size, int restart_interval, char *err,
                                         size_t errlen)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) {
        if (err && errlen)
            snprintf(err, errlen, "%s: %s", path, errno == EEXIST ? "already exists" : strerror(errno));
        return nullptr;
    }
    td_sst_writer *w = new td_sst_writer;
    w->path = path;
    w->opt.compression = leveldb::kSnappyCompression;
    w->opt.block_size = block_size;
    w->opt.block_restart_interval = restart_interval;
    w->opt.filter_policy = nullptr;
    w->file = new BatchedTableFile(fd, w->path);
    w->tb = new leveldb::TableBuilder(w->opt, w->file);
    return w;
}

int td_sst_add(struct td_sst_writer *w, const uint8_t *key, size_t klen, const uint8_t *val, size_t vlen,
               char *err, size_t errlen)
{
    w->tb->Add(leveldb::Slice(reinterpret_cast<const char *>(key), klen),
               leveldb::Slice(reinterpret_cast<const char *>(val), vlen));
    if (!w->tb->status().ok()) {
        put_err(err, errlen, w->path, w->tb->status());
        return -1;
    }
    return 0;
}

uint64_t td_sst_writer_size(const struct td_sst_writer *w)
{
    return w->tb->FileSize();
}

uint64_t td_sst_writer_entries(const struct td_sst_writer *w)
{
    return w->tb->NumEntries();
}

static void writer_free(td_sst_writer *w)
{
    delete w->tb;
    delete w->file;
    delete w;
}

int td_sst_finish(struct td_sst_writer **wp, char *err, size_t errlen)
{
    td_sst_writer *w = *wp;
    *wp = nullptr;
    leveldb::Status s = w->tb->Finish();
    if (s.ok())
        s = w->file->Sync();
    if (s.ok())
        s = w->file->Close();
    int rc = 0;
    if (!s.ok()) {
        put_err(err, errlen, w->path, s);
        rc = -1;
    }
    writer_free(w);
    return rc;
}

void td_sst_abandon(struct td_sst_writer **wp)
{
    td_sst_writer *w = *wp;
    if (!w)
        return;
    *wp = nullptr;
    w->tb->Abandon();
    w->file->Close();
    writer_free(w);
}

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
