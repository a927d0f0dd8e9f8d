#include "node/snapshots.h"

#include <algorithm>
#include <cstdio>

#include "core/crc32.h"

namespace ftz::node {
namespace {

constexpr std::string_view kMagic = "FTZSNAP1";
constexpr size_t kHeaderSize = 8 + 4 + 1 + 3 + 8 + 8 + 8;  // up to the body

void Put(std::string* out, uint64_t v, int n) {
  for (int i = 0; i < n; ++i) out->push_back(static_cast<char>(v >> (8 * i)));
}
uint64_t Get(std::string_view in, size_t at, int n) {
  uint64_t v = 0;
  for (int i = 0; i < n; ++i) v |= uint64_t(static_cast<uint8_t>(in[at + i])) << (8 * i);
  return v;
}

}  // namespace

std::string SnapshotPath(const std::string& data_dir, uint64_t seq) {
  char name[32];
  std::snprintf(name, sizeof name, "%020llu.snap", static_cast<unsigned long long>(seq));
  return data_dir + "/snapshots/" + name;
}

namespace {

std::string EncodeHeader(const SnapshotHeader& h, uint64_t body_size) {
  std::string out;
  out.append(kMagic);
  Put(&out, h.schema, 4);
  Put(&out, h.clearance ? 1 : 0, 1);
  Put(&out, 0, 3);
  Put(&out, h.seq, 8);
  Put(&out, static_cast<uint64_t>(h.last_time), 8);
  Put(&out, body_size, 8);
  return out;
}

}  // namespace

std::string EncodeSnapshotFile(const SnapshotHeader& h, std::string_view body) {
  std::string out = EncodeHeader(h, body.size());
  out.append(body);
  Put(&out, Crc32(out), 4);
  return out;
}

Status DecodeSnapshotFile(std::string_view file, SnapshotHeader* h, std::string_view* body) {
  if (file.size() < kHeaderSize + 4 || file.substr(0, 8) != kMagic) {
    return Status::Corruption("not a snapshot (bad magic or shorter than its header)");
  }
  const uint64_t len = Get(file, 32, 8);
  if (len != file.size() - kHeaderSize - 4) {
    return Status::Corruption("snapshot length " + std::to_string(len) +
                              " does not match the file");
  }
  const uint32_t crc = static_cast<uint32_t>(Get(file, file.size() - 4, 4));
  if (crc != Crc32(file.substr(0, file.size() - 4)))
    return Status::Corruption("snapshot CRC mismatch");
  h->schema = static_cast<uint32_t>(Get(file, 8, 4));
  h->clearance = file[12] != 0;
  h->seq = Get(file, 16, 8);
  h->last_time = static_cast<UnixMillis>(Get(file, 24, 8));
  *body = file.substr(kHeaderSize, len);
  return Status::Ok();
}

std::vector<uint64_t> ListSnapshots(Env* env, const std::string& data_dir) {
  std::vector<uint64_t> out;
  auto names = env->ListDir(data_dir + "/snapshots");
  if (!names.ok()) return out;
  for (const std::string& n : *names) {
    if (n.size() != 25 || n.substr(20) != ".snap") continue;
    if (!std::all_of(n.begin(), n.begin() + 20, [](char c) { return c >= '0' && c <= '9'; })) {
      continue;
    }
    out.push_back(std::stoull(n.substr(0, 20)));
  }
  std::sort(out.rbegin(), out.rend());
  return out;
}

void RemoveSnapshotLeftovers(Env* env, const std::string& data_dir) {
  auto names = env->ListDir(data_dir + "/snapshots");
  if (!names.ok()) return;
  for (const std::string& n : *names) {
    if (n.size() != 29 || n.compare(20, 9, ".snap.tmp") != 0) continue;
    const std::string path = data_dir + "/snapshots/" + n;
    if (Status s = env->RemoveFile(path); !s.ok()) {
      std::fprintf(stderr, "ftzport: cannot remove %s: %s\n", path.c_str(), s.ToString().c_str());
    }
  }
}

Status WriteSnapshot(Env* env, const std::string& data_dir, const SnapshotHeader& h,
                     std::string_view body, size_t keep) {
  const std::string dir = data_dir + "/snapshots";
  FTZ_RETURN_IF_ERROR(env->CreateDirs(dir));
  const std::string path = SnapshotPath(data_dir, h.seq);
  const std::string tmp = path + ".tmp";
  if (env->FileExists(tmp)) FTZ_RETURN_IF_ERROR(env->RemoveFile(tmp));
  {
    auto f = env->NewAppendableFile(tmp);
    if (!f.ok()) return f.status();
    // Header, body and CRC in three appends: the body (gigabytes for a large
    // state) is not copied again.
    const std::string head = EncodeHeader(h, body.size());
    std::string tail;
    Put(&tail, Crc32(body, Crc32(head)), 4);
    FTZ_RETURN_IF_ERROR((*f)->Append(head));
    FTZ_RETURN_IF_ERROR((*f)->Append(body));
    FTZ_RETURN_IF_ERROR((*f)->Append(tail));
    FTZ_RETURN_IF_ERROR((*f)->Sync());
    FTZ_RETURN_IF_ERROR((*f)->Close());
  }
  FTZ_RETURN_IF_ERROR(env->RenameFile(tmp, path));
  FTZ_RETURN_IF_ERROR(env->SyncDir(dir));
  const std::vector<uint64_t> all = ListSnapshots(env, data_dir);
  for (size_t i = keep; i < all.size(); ++i) {
    FTZ_RETURN_IF_ERROR(env->RemoveFile(SnapshotPath(data_dir, all[i])));
  }
  return Status::Ok();
}

}  // namespace ftz::node
