#include "env/fault_injection_env.h"

#include <algorithm>
#include <filesystem>

namespace ftz {
namespace {

class FaultFile final : public WritableFile {
 public:
  FaultFile(FaultInjectionEnv* env, std::string path, std::unique_ptr<WritableFile> base)
      : env_(env), path_(std::move(path)), base_(std::move(base)) {}
  Status Append(std::string_view data) override {
    if (env_->write_should_fail()) return Status::IOError("injected write failure on " + path_);
    return base_->Append(data);
  }
  Status AppendPadded(std::string_view data, size_t pad) override {
    if (env_->write_should_fail()) return Status::IOError("injected write failure on " + path_);
    return base_->AppendPadded(data, pad);
  }
  Status Sync() override {
    if (env_->sync_should_fail()) {
      env_->CountFailedSync();
      return Status::IOError("injected fdatasync failure on " + path_);
    }
    FTZ_RETURN_IF_ERROR(base_->Sync());
    env_->RecordSynced(path_, base_->Size());
    return Status::Ok();
  }
  Status Close() override { return base_->Close(); }
  uint64_t Size() const override { return base_->Size(); }

 private:
  FaultInjectionEnv* env_;
  std::string path_;
  std::unique_ptr<WritableFile> base_;
};

}  // namespace

Result<std::unique_ptr<WritableFile>> FaultInjectionEnv::NewAppendableFile(
    const std::string& path) {
  return TrackAppended(path, base_->NewAppendableFile(path));
}

Result<std::unique_ptr<WritableFile>> FaultInjectionEnv::NewUncachedFile(const std::string& path) {
  return TrackAppended(path, base_->NewUncachedFile(path));
}

Result<std::unique_ptr<WritableFile>> FaultInjectionEnv::TrackAppended(
    const std::string& path, Result<std::unique_ptr<WritableFile>> f) {
  if (!f.ok()) return f.status();
  {
    std::lock_guard<std::mutex> lock(mu_);
    // What was on disk when opened counts as durable.
    if (!synced_.count(path)) synced_[path] = (*f)->Size();
    in_place_[path] = false;
  }
  return std::unique_ptr<WritableFile>(new FaultFile(this, path, std::move(*f)));
}

Result<std::unique_ptr<WritableFile>> FaultInjectionEnv::ReopenWritableFile(const std::string& path,
                                                                            uint64_t offset) {
  auto f = base_->ReopenWritableFile(path, offset);
  if (!f.ok()) return f.status();
  {
    std::lock_guard<std::mutex> lock(mu_);
    // What follows `offset` is written over in place. Reopening makes
    // nothing durable: bytes before `offset` that an earlier writer never
    // synced (a process killed between its write and its sync) stay
    // undurable until a sync.
    auto known = synced_.find(path);
    synced_[path] = known == synced_.end() ? offset : std::min(known->second, offset);
    in_place_[path] = true;
  }
  return std::unique_ptr<WritableFile>(new FaultFile(this, path, std::move(*f)));
}

Status FaultInjectionEnv::RemoveFile(const std::string& path) {
  FTZ_RETURN_IF_ERROR(base_->RemoveFile(path));
  std::lock_guard<std::mutex> lock(mu_);
  synced_.erase(path);
  in_place_.erase(path);
  return Status::Ok();
}

Status FaultInjectionEnv::RenameFile(const std::string& from, const std::string& to) {
  FTZ_RETURN_IF_ERROR(base_->RenameFile(from, to));
  std::lock_guard<std::mutex> lock(mu_);
  synced_.erase(to);
  in_place_.erase(to);
  if (auto it = synced_.find(from); it != synced_.end()) {
    synced_[to] = it->second;
    synced_.erase(it);
  }
  if (auto it = in_place_.find(from); it != in_place_.end()) {
    in_place_[to] = it->second;
    in_place_.erase(it);
  }
  return Status::Ok();
}

Status FaultInjectionEnv::Truncate(const std::string& path, uint64_t size) {
  FTZ_RETURN_IF_ERROR(base_->Truncate(path, size));
  std::lock_guard<std::mutex> lock(mu_);
  auto it = synced_.find(path);
  if (it != synced_.end() && it->second > size) it->second = size;
  return Status::Ok();
}

Status FaultInjectionEnv::SyncFile(const std::string& path) {
  if (fail_syncs_) {
    CountFailedSync();
    return Status::IOError("injected fdatasync failure on " + path);
  }
  FTZ_RETURN_IF_ERROR(base_->SyncFile(path));
  std::error_code ec;
  const uintmax_t size = std::filesystem::file_size(path, ec);
  if (ec) return Status::IOError("size of " + path + ": " + ec.message());
  RecordSynced(path, size);
  return Status::Ok();
}

void FaultInjectionEnv::RecordSynced(const std::string& path, uint64_t size) {
  std::lock_guard<std::mutex> lock(mu_);
  synced_[path] = size;
}

Status FaultInjectionEnv::DropUnsyncedData() {
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [path, size] : synced_) {
    if (!base_->FileExists(path)) continue;
    auto in_place = in_place_.find(path);
    if (in_place == in_place_.end() || !in_place->second) {
      FTZ_RETURN_IF_ERROR(base_->Truncate(path, size));
      continue;
    }
    auto data = base_->ReadFile(path);
    if (!data.ok()) return data.status();
    if (data->size() <= size) continue;
    auto f = base_->ReopenWritableFile(path, size);
    if (!f.ok()) return f.status();
    FTZ_RETURN_IF_ERROR((*f)->Append(std::string(data->size() - size, '\0')));
    FTZ_RETURN_IF_ERROR((*f)->Close());
  }
  return Status::Ok();
}

}  // namespace ftz
