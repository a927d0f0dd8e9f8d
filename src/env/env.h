// Env: everything ftzport does to the file system and the clock goes through
// this interface (leveldb's Env), so tests can inject faults — a failed
// fdatasync, a crash that loses unsynced bytes — and a replay never reads the
// wall clock.
//
// Thread safety: Env methods may be called from any thread. A WritableFile is
// used by one thread at a time.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "core/time.h"

namespace ftz {

class WritableFile {
 public:
  virtual ~WritableFile() = default;
  virtual Status Append(std::string_view data) = 0;
  // Appends `data`, then writes `pad` zero bytes after it that are not part
  // of the file's contents: Size() grows by data.size() alone, and the next
  // Append writes over the zeros. For a file written in place over zeros
  // (ReopenWritableFile): a write that ends on a page boundary spares the
  // kernel reading the partly written last page from the disk first, when
  // that page is not in memory. A file opened for appending ignores `pad`.
  virtual Status AppendPadded(std::string_view data, size_t pad) {
    (void)pad;
    return Append(data);
  }
  // Makes everything appended so far durable (fdatasync). A failure here is
  // not retryable: the caller must stop (docs/errors.md, "fsync").
  virtual Status Sync() = 0;
  virtual Status Close() = 0;
  virtual uint64_t Size() const = 0;
};

// A lock held on a file; released when destroyed (or when the process ends,
// however it ends).
class FileLock {
 public:
  virtual ~FileLock() = default;
};

class Env {
 public:
  virtual ~Env() = default;

  // Takes an exclusive lock on `path` (created if needed), held until the
  // FileLock is destroyed: one process, one owner, per data directory (as
  // leveldb's LOCK file). FailedPrecondition if another holder has it; the
  // kernel releases it when its holder dies, so a crash leaves no stale lock.
  virtual Result<std::unique_ptr<FileLock>> LockFile(const std::string& path) = 0;

  // Opens `path` for appending, creating it if needed.
  virtual Result<std::unique_ptr<WritableFile>> NewAppendableFile(const std::string& path) = 0;
  // As NewAppendableFile, for bytes this process will not read back soon (a
  // log segment's zeros, written ahead): where the file system allows it,
  // appends whose address and length are multiples of 4096 bypass the page
  // cache (O_DIRECT), which spares copying them into memory, and the memory.
  // Other appends, and file systems without O_DIRECT, go through the cache.
  virtual Result<std::unique_ptr<WritableFile>> NewUncachedFile(const std::string& path) {
    return NewAppendableFile(path);
  }
  // Opens the existing file `path` for writing from `offset` on, over the
  // bytes already there (a preallocated log segment: its blocks are allocated
  // and written, so a Sync need not update the file's size or extents). The
  // file keeps its length; Size() is `offset` plus what was appended.
  virtual Result<std::unique_ptr<WritableFile>> ReopenWritableFile(const std::string& path,
                                                                   uint64_t offset) = 0;
  virtual Result<std::string> ReadFile(const std::string& path) = 0;
  // Reads `n` bytes at `offset` (fewer only at the end of the file).
  virtual Result<std::string> ReadFileRange(const std::string& path, uint64_t offset, size_t n) = 0;
  // Names (not paths) of the entries of `dir`, sorted.
  virtual Result<std::vector<std::string>> ListDir(const std::string& dir) = 0;
  virtual Status CreateDirs(const std::string& dir) = 0;
  virtual Status Truncate(const std::string& path, uint64_t size) = 0;
  virtual Status RemoveFile(const std::string& path) = 0;
  virtual Status RenameFile(const std::string& from, const std::string& to) = 0;
  // Makes a directory's entries (new, renamed files) durable.
  virtual Status SyncDir(const std::string& dir) = 0;
  // Makes a file's contents durable (fdatasync) without writing to it: what
  // an earlier process wrote but never synced is still in the page cache,
  // readable but not yet durable.
  virtual Status SyncFile(const std::string& path) = 0;
  virtual bool FileExists(const std::string& path) = 0;
  // Wall clock, for the edges only (the sequencer stamps records with it).
  virtual UnixMillis NowMillis() = 0;

  // The real POSIX file system and clock; never deleted.
  static Env* Default();
};

}  // namespace ftz
