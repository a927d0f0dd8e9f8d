// FaultInjectionEnv: an Env for tests (leveldb db/fault_injection_test.cc).
// It forwards to a real Env, remembers how much of each file was synced, and
// can (a) make the next Sync fail, (b) simulate a crash by cutting every file
// back to its last synced length, and (c) run on a manual clock.
//
// Thread safety: all methods are safe from several threads.
#pragma once

#include <atomic>
#include <map>
#include <mutex>

#include "env/env.h"

namespace ftz {

class FaultInjectionEnv final : public Env {
 public:
  explicit FaultInjectionEnv(Env* base) : base_(base) {}

  void FailSyncs(bool fail) { fail_syncs_ = fail; }
  // How many syncs failed so far (a test waits on a background thread's).
  uint64_t syncs_failed() const { return syncs_failed_.load(); }
  // Appends to files this Env handed out fail (IOError, nothing written),
  // as a full disk or a device error fails a write.
  void FailWrites(bool fail) { fail_writes_ = fail; }
  // Cuts every file written through this Env back to its last synced size,
  // as a power cut would leave it: an appended file is truncated; a file
  // written over in place (ReopenWritableFile) keeps its length and gets
  // zeros, what its preallocated blocks held, from the synced size on.
  Status DropUnsyncedData();
  void SetNow(UnixMillis ms) { now_ = ms; }

  Result<std::unique_ptr<WritableFile>> NewAppendableFile(const std::string& path) override;
  Result<std::unique_ptr<WritableFile>> NewUncachedFile(const std::string& path) override;
  Result<std::unique_ptr<WritableFile>> ReopenWritableFile(const std::string& path,
                                                           uint64_t offset) override;
  Result<std::string> ReadFile(const std::string& path) override { return base_->ReadFile(path); }
  Result<std::string> ReadFileRange(const std::string& path, uint64_t offset, size_t n) override {
    return base_->ReadFileRange(path, offset, n);
  }
  Result<std::vector<std::string>> ListDir(const std::string& dir) override {
    return base_->ListDir(dir);
  }
  Result<std::unique_ptr<FileLock>> LockFile(const std::string& path) override {
    return base_->LockFile(path);
  }
  Status CreateDirs(const std::string& dir) override { return base_->CreateDirs(dir); }
  Status Truncate(const std::string& path, uint64_t size) override;
  Status RemoveFile(const std::string& path) override;
  // What is known of `from` (its synced length, how it is written) moves to
  // `to`. Renames and removals themselves are not undone by a crash here.
  Status RenameFile(const std::string& from, const std::string& to) override;
  Status SyncDir(const std::string& dir) override {
    if (fail_syncs_) {
      CountFailedSync();
      return Status::IOError("injected fsync failure on " + dir);
    }
    return base_->SyncDir(dir);
  }
  // The whole file as it is now counts as durable.
  Status SyncFile(const std::string& path) override;
  bool FileExists(const std::string& path) override { return base_->FileExists(path); }
  UnixMillis NowMillis() override { return now_; }

  // Internal: called by the files this Env hands out.
  bool sync_should_fail() const { return fail_syncs_; }
  void CountFailedSync() { ++syncs_failed_; }
  bool write_should_fail() const { return fail_writes_; }
  void RecordSynced(const std::string& path, uint64_t size);

 private:
  // Wraps a file opened for appending, what was on disk counted as durable.
  Result<std::unique_ptr<WritableFile>> TrackAppended(const std::string& path,
                                                      Result<std::unique_ptr<WritableFile>> f);

  Env* base_;
  std::atomic<bool> fail_syncs_{false};
  std::atomic<bool> fail_writes_{false};
  std::atomic<uint64_t> syncs_failed_{0};
  std::atomic<UnixMillis> now_{1'700'000'000'000};
  std::mutex mu_;
  std::map<std::string, uint64_t> synced_;  // path -> durable length
  std::map<std::string, bool> in_place_;    // path -> written over (not appended)
};

}  // namespace ftz
