// Fuzz target: any bytes as the body of a log's POST /add-checkpoint
// (c2sp.org/tlog-witness), answered by witness::Witness::AddCheckpoint -- the
// function WitnessServer calls with the request body -- with no network: the
// witness's state lives in an in-memory Env (below) and its clock is fixed.
// Each input is put to three fresh witnesses following fuzz_fixture's log
// (Ed25519 + SM2 keys): one that has cosigned nothing, one that holds the
// log's size 3 and one that holds size 8.
//
// Properties (besides no crash and no sanitizer report):
//  * the status is one of the spec's (200, 400, 403, 404, 409, 422; never
//    500/503 with a healthy disk); a 409 is text/x.tlog.size with our size;
//  * the state changes only on a 200, and is then durable (a reopened
//    StateStore reads it back);
//  * a 200 is a cosignature line by the witness's key, at the witness's
//    clock, over a checkpoint that a trusted log key signed, whose `old`
//    was the size held;
//  * the witness never rolls back and never cosigns a fork: the held and the
//    new tree are one tree's prefixes (the fixture's log or its fork that
//    shares the first 5 leaves -- the only trees the log key ever signed);
//  * sending the same body again is answered as the spec says (200 only when
//    the size did not change, else 409 with the new size).
//
// libFuzzer (clang, -DFTZ_FUZZ=ON):  build/fuzz/fuzz/witness_fuzz fuzz/corpus/witness
// CI replays the committed corpus with any compiler: ctest -R witness_fuzz_replay
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "env/env.h"
#include "fuzz_fixture.h"
#include "ledger/checkpoint.h"
#include "ledger/note.h"
#include "witness/cosignature.h"
#include "witness/state.h"
#include "witness/witness.h"

namespace {

using ftz::Result;
using ftz::Status;
using ftz::fuzzing::Check;
namespace ledger = ftz::ledger;
namespace witness = ftz::witness;

// ---------- an Env that keeps its files in memory ----------

class MemEnv final : public ftz::Env {
 public:
  class File final : public ftz::WritableFile {
   public:
    File(MemEnv* env, std::string path) : env_(env), path_(std::move(path)) {}
    Status Append(std::string_view data) override {
      std::lock_guard<std::mutex> l(env_->mu_);
      env_->files_[path_].append(data);
      return Status::Ok();
    }
    Status Sync() override { return Status::Ok(); }
    Status Close() override { return Status::Ok(); }
    uint64_t Size() const override {
      std::lock_guard<std::mutex> l(env_->mu_);
      return env_->files_[path_].size();
    }

   private:
    MemEnv* env_;
    std::string path_;
  };

  Result<std::unique_ptr<ftz::FileLock>> LockFile(const std::string& path) override {
    return std::unique_ptr<ftz::FileLock>(new ftz::FileLock());
  }
  Result<std::unique_ptr<ftz::WritableFile>> NewAppendableFile(const std::string& path) override {
    {
      std::lock_guard<std::mutex> l(mu_);
      files_[path];
    }
    return std::unique_ptr<ftz::WritableFile>(new File(this, path));
  }
  Result<std::unique_ptr<ftz::WritableFile>> ReopenWritableFile(const std::string& path,
                                                                uint64_t offset) override {
    return Status::IOError("MemEnv: ReopenWritableFile is not used by the witness");
  }
  Result<std::string> ReadFile(const std::string& path) override {
    std::lock_guard<std::mutex> l(mu_);
    auto it = files_.find(path);
    if (it == files_.end()) return Status::NotFound(path);
    return it->second;
  }
  Result<std::string> ReadFileRange(const std::string& path, uint64_t offset, size_t n) override {
    Result<std::string> all = ReadFile(path);
    if (!all.ok()) return all;
    if (offset >= all->size()) return std::string();
    return all->substr(offset, n);
  }
  Result<std::vector<std::string>> ListDir(const std::string& dir) override {
    std::lock_guard<std::mutex> l(mu_);
    std::vector<std::string> out;
    const std::string prefix = dir + "/";
    for (const auto& [p, _] : files_) {
      if (p.starts_with(prefix) && p.find('/', prefix.size()) == std::string::npos) {
        out.push_back(p.substr(prefix.size()));
      }
    }
    return out;
  }
  Status CreateDirs(const std::string& dir) override { return Status::Ok(); }
  Status Truncate(const std::string& path, uint64_t size) override {
    std::lock_guard<std::mutex> l(mu_);
    auto it = files_.find(path);
    if (it == files_.end()) return Status::NotFound(path);
    it->second.resize(size);
    return Status::Ok();
  }
  Status RemoveFile(const std::string& path) override {
    std::lock_guard<std::mutex> l(mu_);
    return files_.erase(path) ? Status::Ok() : Status::NotFound(path);
  }
  Status RenameFile(const std::string& from, const std::string& to) override {
    std::lock_guard<std::mutex> l(mu_);
    auto it = files_.find(from);
    if (it == files_.end()) return Status::NotFound(from);
    std::string bytes = std::move(it->second);
    files_.erase(it);
    files_[to] = std::move(bytes);
    return Status::Ok();
  }
  Status SyncDir(const std::string& dir) override { return Status::Ok(); }
  Status SyncFile(const std::string& path) override { return Status::Ok(); }
  bool FileExists(const std::string& path) override {
    std::lock_guard<std::mutex> l(mu_);
    return files_.contains(path);
  }
  ftz::UnixMillis NowMillis() override { return 0; }

  void Put(const std::string& path, std::string bytes) { files_[path] = std::move(bytes); }

 private:
  mutable std::mutex mu_;
  mutable std::map<std::string, std::string> files_;
};

// ---------- the fixture ----------

constexpr const char* kDir = "mem/witness";
constexpr uint64_t kHeldSizes[] = {0, 3, 8};

struct Fixture {
  witness::CosignatureSigner signer = ftz::fuzzing::Must(witness::CosignatureSigner::FromSeed(
      ftz::fuzzing::kWitnessName, ftz::fuzzing::WitnessSeed()));
  ledger::VerifierSet known = ftz::fuzzing::LogVerifiers();
  std::vector<witness::KnownLog> logs;
  // The only trees the log key signs (seed_gen.cc): the log and its fork.
  std::vector<ledger::Hash> roots, fork_roots;
  Fixture() {
    logs.push_back(witness::KnownLog{ftz::fuzzing::kLogOrigin,
                                     {ftz::fuzzing::LogEd25519().verifier().ToString(),
                                      ftz::fuzzing::LogSm2().verifier().ToString()}});
    ledger::MemoryTree tree = ftz::fuzzing::TreeOf(ftz::fuzzing::LeafDatas(false));
    ledger::MemoryTree fork = ftz::fuzzing::TreeOf(ftz::fuzzing::LeafDatas(true));
    for (uint64_t s = 0; s <= tree.size(); ++s) {
      roots.push_back(*ledger::RootAt(s, tree));
      fork_roots.push_back(*ledger::RootAt(s, fork));
    }
  }
  // Whether (size, root) is a tree the log signed, and (size2, root2) one of
  // its extensions.
  bool OneTree(uint64_t size1, const ledger::Hash& root1, uint64_t size2,
               const ledger::Hash& root2) const {
    if (size2 >= roots.size() || size1 > size2) return false;
    return (roots[size1] == root1 && roots[size2] == root2) ||
           (fork_roots[size1] == root1 && fork_roots[size2] == root2);
  }
};

const Fixture& F() {
  static const Fixture* f = new Fixture();
  return *f;
}

std::unique_ptr<witness::Witness> OpenWitness(MemEnv* env, uint64_t held) {
  const Fixture& f = F();
  if (held > 0) {
    std::map<std::string, witness::LogState> st;
    st[ftz::fuzzing::kLogOrigin] = witness::LogState{held, f.roots[held]};
    env->Put(std::string(kDir) + "/" + witness::StateStore::kFileName,
             witness::StateStore::Encode(st));
  }
  return ftz::fuzzing::Must(witness::Witness::Open(env, kDir, f.signer, f.logs,
                                                   [] { return ftz::fuzzing::kWitnessTime; }));
}

witness::LogState Held(const witness::Witness& w) {
  return w.state(ftz::fuzzing::kLogOrigin).value_or(witness::LogState{0, ledger::EmptyRoot()});
}

// The note a body carries: after the first blank line (proof lines are never
// empty).
std::string_view NoteOf(std::string_view body) {
  const size_t sep = body.find("\n\n");
  return sep == std::string_view::npos ? std::string_view() : body.substr(sep + 2);
}

void CheckAnswer(std::string_view body, uint64_t held_size) {
  const Fixture& f = F();
  MemEnv env;
  std::unique_ptr<witness::Witness> w = OpenWitness(&env, held_size);
  const witness::LogState before = Held(*w);
  Check(before.size == held_size, "the witness read its state");

  const witness::WitnessResponse r = w->AddCheckpoint(body);
  const witness::LogState after = Held(*w);
  const int s = r.status;
  Check(s == 200 || s == 400 || s == 403 || s == 404 || s == 409 || s == 422, "a spec status");
  if (s == 409) {
    Check(r.content_type == witness::kTlogSizeType, "409 is text/x.tlog.size");
    Check(r.body == std::to_string(before.size) + "\n", "409 carries the size held");
  }
  if (s != 200) {
    Check(after == before, "the state changes only on a 200");
    return;
  }

  // What was cosigned: a checkpoint a trusted key signed, `old` = held size.
  Check(body.starts_with("old " + std::to_string(before.size) + "\n"), "old is the size held");
  const std::string_view note = NoteOf(body);
  Result<ledger::VerifiedCheckpoint> cp =
      ledger::OpenCheckpoint(note, f.known, ftz::fuzzing::kLogOrigin);
  Check(cp.ok(), "the cosigned checkpoint is signed by the log");
  const ledger::Checkpoint& c = cp->checkpoint;
  Check(after == witness::LogState{c.size, c.root}, "the state is the cosigned checkpoint");
  Check(c.size >= before.size, "never a rollback");
  Check(c.size != before.size || c.root == before.root, "never a second root at one size");
  Check(before.size == 0 || f.OneTree(before.size, before.root, c.size, c.root),
        "never a fork: held and new are prefixes of one tree");

  // The answer is the witness's cosignature over that checkpoint.
  Result<ledger::Note> line = ledger::ParseNote(cp->note.text + "\n" + r.body);
  Check(line.ok() && line->signatures.size() == 1, "the answer is one signature line");
  Result<uint64_t> ts = f.signer.verifier().Verify(cp->note.text, line->signatures[0]);
  Check(ts.ok() && *ts == ftz::fuzzing::kWitnessTime, "a valid cosignature at our clock");

  // Durable: a store reopened on the same files holds the new state.
  auto reopened = witness::StateStore::Open(&env, kDir);
  Check(reopened.ok() && (*reopened)->Get(ftz::fuzzing::kLogOrigin) == after,
        "the state was made durable");

  // The same request again.
  const witness::WitnessResponse again = w->AddCheckpoint(body);
  if (c.size == before.size) {
    Check(again.status == 200, "re-sending a same-size request is cosigned again");
  } else {
    Check(again.status == 409 && again.body == std::to_string(c.size) + "\n",
          "re-sending a stale old size is 409 with the new size");
  }
  Check(Held(*w) == after, "the state did not move");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view body(reinterpret_cast<const char*>(data), size);
  for (uint64_t held : kHeldSizes) CheckAnswer(body, held);
  return 0;
}
