#include "witness/state.h"

#include <cstring>

namespace ftz::witness {
namespace {

constexpr std::string_view kMagic = "FTZWIT01";
constexpr size_t kMaxOrigin = 0xFFFF;  // the u16 length field

void PutBe(std::string* out, uint64_t v, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) out->push_back(static_cast<char>(v >> (8 * i)));
}

uint64_t GetBe(std::string_view b, size_t at, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v = (v << 8) | static_cast<uint8_t>(b[at + i]);
  return v;
}

}  // namespace

std::string StateStore::Encode(const std::map<std::string, LogState>& logs) {
  std::string out(kMagic);
  PutBe(&out, logs.size(), 4);
  for (const auto& [origin, st] : logs) {
    PutBe(&out, origin.size(), 2);
    out += origin;
    PutBe(&out, st.size, 8);
    out.append(reinterpret_cast<const char*>(st.root.data()), st.root.size());
  }
  const ledger::Hash check = ledger::Sha256(out);
  out.append(reinterpret_cast<const char*>(check.data()), check.size());
  return out;
}

Result<std::map<std::string, LogState>> StateStore::Decode(std::string_view b) {
  constexpr size_t kCheck = ledger::kHashSize;
  if (b.size() < kMagic.size() + 4 + kCheck || b.substr(0, kMagic.size()) != kMagic) {
    return Status::Corruption("witness state: not a witness state file (bad magic or length)");
  }
  const std::string_view body = b.substr(0, b.size() - kCheck);
  const ledger::Hash check = ledger::Sha256(body);
  if (std::memcmp(check.data(), b.data() + body.size(), kCheck) != 0) {
    return Status::Corruption("witness state: checksum mismatch");
  }
  std::map<std::string, LogState> logs;
  const uint64_t count = GetBe(body, kMagic.size(), 4);
  size_t at = kMagic.size() + 4;
  for (uint64_t i = 0; i < count; ++i) {
    if (body.size() - at < 2) return Status::Corruption("witness state: truncated entry");
    const size_t n = GetBe(body, at, 2);
    at += 2;
    if (n == 0 || body.size() - at < n + 8 + ledger::kHashSize) {
      return Status::Corruption("witness state: truncated or empty entry");
    }
    std::string origin(body.substr(at, n));
    at += n;
    LogState st;
    st.size = GetBe(body, at, 8);
    at += 8;
    std::memcpy(st.root.data(), body.data() + at, ledger::kHashSize);
    at += ledger::kHashSize;
    if (!logs.emplace(std::move(origin), st).second) {
      return Status::Corruption("witness state: an origin appears twice");
    }
  }
  if (at != body.size()) return Status::Corruption("witness state: trailing bytes");
  return logs;
}

Result<std::unique_ptr<StateStore>> StateStore::Open(Env* env, const std::string& dir) {
  std::unique_ptr<StateStore> s(new StateStore(env, dir));
  FTZ_RETURN_IF_ERROR(env->CreateDirs(dir));
  const std::string path = dir + "/" + kFileName;
  if (env->FileExists(path)) {
    Result<std::string> bytes = env->ReadFile(path);
    if (!bytes.ok()) return bytes.status();
    auto logs = Decode(*bytes);
    if (!logs.ok()) return Status::Corruption(path + ": " + logs.status().message());
    s->logs_ = std::move(*logs);
  }
  return s;
}

std::optional<LogState> StateStore::Get(const std::string& origin) const {
  auto it = logs_.find(origin);
  if (it == logs_.end()) return std::nullopt;
  return it->second;
}

Status StateStore::Put(const std::string& origin, const LogState& state) {
  if (failed_) {
    return Status::FailedPrecondition(
        "witness state: an earlier write failed; restart the witness to reread its state");
  }
  if (origin.empty() || origin.size() > kMaxOrigin) {
    return Status::InvalidArgument("witness state: origin must be 1..65535 bytes");
  }
  std::map<std::string, LogState> next = logs_;
  next[origin] = state;
  const std::string path = dir_ + "/" + kFileName;
  const std::string tmp = path + ".tmp";
  // A failed fsync is never retried (docs/errors.md): once the rename may
  // have happened the disk state is unknown, so any failure stops the store.
  auto write = [&]() -> Status {
    if (env_->FileExists(tmp)) FTZ_RETURN_IF_ERROR(env_->RemoveFile(tmp));
    auto f = env_->NewAppendableFile(tmp);
    if (!f.ok()) return f.status();
    FTZ_RETURN_IF_ERROR((*f)->Append(Encode(next)));
    FTZ_RETURN_IF_ERROR((*f)->Sync());
    FTZ_RETURN_IF_ERROR((*f)->Close());
    FTZ_RETURN_IF_ERROR(env_->RenameFile(tmp, path));
    return env_->SyncDir(dir_);
  };
  if (Status s = write(); !s.ok()) {
    failed_ = true;
    return s;
  }
  logs_ = std::move(next);
  return Status::Ok();
}

}  // namespace ftz::witness
