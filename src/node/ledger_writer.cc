#include "node/ledger_writer.h"

#include <fcntl.h>
#include <pthread.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/pacer.h"
#include "env/env.h"
#include "ledger/proof.h"

namespace ftz::node {

ledger::Hash RecordCommitmentOfDigest(stream::RecordType type, uint64_t seq, UnixMillis time,
                                      const ledger::Hash& payload_digest) {
  char c[1 + 8 + 8 + sizeof payload_digest];
  c[0] = static_cast<char>(type);
  for (int i = 0; i < 8; ++i) c[1 + i] = static_cast<char>(seq >> (8 * i));
  for (int i = 0; i < 8; ++i) c[9 + i] = static_cast<char>(static_cast<uint64_t>(time) >> (8 * i));
  std::memcpy(c + 17, payload_digest.data(), payload_digest.size());
  return ledger::Sha256(std::string_view(c, sizeof c));
}

ledger::Hash RecordCommitment(stream::RecordType type, uint64_t seq, UnixMillis time,
                              std::string_view payload) {
  return RecordCommitmentOfDigest(type, seq, time, ledger::Sha256(payload));
}

ledger::Hash RecordLeafOfDigest(stream::RecordType type, uint64_t seq, UnixMillis time,
                                const ledger::Hash& payload_digest) {
  const ledger::Hash commitment = RecordCommitmentOfDigest(type, seq, time, payload_digest);
  return ledger::HashLeaf(
      std::string_view(reinterpret_cast<const char*>(commitment.data()), commitment.size()));
}

ledger::Hash RecordLeaf(stream::RecordType type, uint64_t seq, UnixMillis time,
                        std::string_view payload) {
  return RecordLeafOfDigest(type, seq, time, ledger::Sha256(payload));
}

void AppendLeaves(const WrittenBatch& batch, std::vector<ledger::Hash>* leaves) {
  size_t i = 0;
  stream::ForEachWrittenRecord(batch.bytes, [&](const stream::Record& r) {
    if (i >= batch.digests.size()) {
      std::fprintf(stderr, "ftzport: FATAL: a written batch has more records than digests\n");
      std::abort();
    }
    const std::optional<ledger::Hash>& known = batch.digests[i++];
    leaves->push_back(
        RecordLeafOfDigest(r.type, r.seq, r.time, known ? *known : ledger::Sha256(r.payload)));
  });
  if (i != batch.digests.size()) {
    std::fprintf(stderr, "ftzport: FATAL: a written batch has %zu records and %zu digests\n", i,
                 batch.digests.size());
    std::abort();
  }
}

namespace {

Status WriteKeyFile(const std::string& path, const std::string& content) {
  // Written whole before it takes its name: a temporary file, mode 0600
  // from its creation (never readable by others, not even for a moment),
  // synced, then linked to the key's name, which fails if a key appeared
  // meanwhile (never overwritten). A start cut off while making the key
  // leaves no key or the whole key, never an empty file that would refuse
  // every later start; a temporary file it left is made again here.
  const std::string tmp = path + ".tmp";
  (void)::unlink(tmp.c_str());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return Status::IOError("create " + tmp + ": " + std::strerror(errno));
  const bool ok =
      ::write(fd, content.data(), content.size()) == static_cast<ssize_t>(content.size()) &&
      ::fsync(fd) == 0;
  int err = errno;
  ::close(fd);
  // (A file system without hard links: the same, by a rename that refuses
  // to replace a name that exists.)
  if (ok && ::link(tmp.c_str(), path.c_str()) != 0 &&
      !((errno == EPERM || errno == ENOTSUP || errno == EOPNOTSUPP) &&
        ::renameat2(AT_FDCWD, tmp.c_str(), AT_FDCWD, path.c_str(), RENAME_NOREPLACE) == 0)) {
    err = errno;
    (void)::unlink(tmp.c_str());
    return Status::IOError("link " + tmp + " to " + path + ": " + std::strerror(err));
  }
  (void)::unlink(tmp.c_str());
  if (!ok) return Status::IOError("write " + tmp + ": " + std::strerror(err));
  return Env::Default()->SyncDir(path.substr(0, path.rfind('/')));
}

// The log's key of `type` in `path`, made on first start. The operator keeps
// it like any private key.
Result<ledger::Signer> LoadOrMakeKey(const std::string& path, const std::string& origin,
                                     ledger::KeyType type) {
  std::string skey;
  if (std::ifstream in(path); in) {
    std::stringstream ss;
    ss << in.rdbuf();
    skey = ss.str();
    while (!skey.empty() && (skey.back() == '\n' || skey.back() == '\r')) skey.pop_back();
  } else {
    auto made = ledger::Signer::Generate(origin, type);
    if (!made.ok()) return made.status();
    FTZ_RETURN_IF_ERROR(WriteKeyFile(path, made->ToString() + "\n"));
    return made;
  }
  auto signer = ledger::Signer::Parse(skey);
  if (!signer.ok()) return Status::Corruption(path + ": " + signer.status().message());
  if (signer->type() != type) {
    return Status::Corruption(path + ": holds a key of another signature type");
  }
  return signer;
}

std::string PromLabel(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  return out;
}

int64_t SteadyMillis() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

}  // namespace

Result<std::unique_ptr<LedgerWriter>> LedgerWriter::Open(const std::string& data_dir,
                                                         const std::string& origin,
                                                         const LedgerWriterOptions& options) {
  std::unique_ptr<LedgerWriter> w(new LedgerWriter());
  w->origin_ = origin;
  if (options.metrics) {
    w->flush_seconds_ = &options.metrics->GetHistogram(
        "ftz_ledger_flush_seconds", "Time to write and sync the tiles before a checkpoint",
        {0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5});
  }
  for (const std::string& spec : options.witnesses) {
    auto parsed = witness::ParseWitnessSpec(spec);
    if (!parsed.ok()) return parsed.status();
    auto client =
        witness::WitnessClient::Create(*parsed, witness::HttpTransport(options.witness_timeout));
    if (!client.ok()) return client.status();
    WitnessLink link;
    link.client = std::move(*client);
    if (options.metrics) {
      const std::string label = "witness=\"" + PromLabel(link.client->name()) + "\"";
      link.cosignatures = &options.metrics->GetCounter(
          "ftz_witness_cosignatures_total", "Checkpoints cosigned by each witness", label);
      link.failures = &options.metrics->GetCounter(
          "ftz_witness_failures_total",
          "Failed cosignature requests (unreachable, timed out or refused), per witness", label);
    }
    w->witnesses_.push_back(std::move(link));
  }
  for (const char* sub : {"/keys", "/ledger/tiles"}) {
    std::error_code ec;
    std::filesystem::create_directories(data_dir + sub, ec);
    if (ec) return Status::IOError("create " + data_dir + sub + ": " + ec.message());
  }
  // Two signatures on every checkpoint: Ed25519 for C2SP tooling and the
  // witness network, SM2-SM3 for verifiers held to the national standard.
  for (auto [file, type] : {std::pair{"ledger.key", ledger::KeyType::kEd25519},
                            std::pair{"ledger-sm2.key", ledger::KeyType::kSm2Sm3}}) {
    auto signer = LoadOrMakeKey(data_dir + "/keys/" + file, origin, type);
    if (!signer.ok()) return signer.status();
    w->signers_.push_back(std::move(*signer));
  }
  const std::string tiles_dir = data_dir + "/ledger/tiles";
  auto tiles = ledger::TileStore::Open(tiles_dir, {});
  if (!tiles.ok() && tiles.status().code() == StatusCode::kCorruption) {
    // The tree is derived from the log: the damaged store is kept for a look
    // and an empty one takes its place, which Node::Recover refills by
    // re-reading the log from record 0. The checkpoint check below proves
    // the rebuilt tree is the one this window signed.
    std::string aside;
    std::error_code ec;
    for (int i = 1; aside.empty() || std::filesystem::exists(aside); ++i)
      aside = tiles_dir + ".damaged-" + std::to_string(i);
    std::filesystem::rename(tiles_dir, aside, ec);
    if (ec) return Status::IOError("move " + tiles_dir + " aside: " + ec.message());
    std::fprintf(stderr,
                 "ftzport: ledger: WARNING: %s; moved to %s, rebuilding the tree from the log\n",
                 tiles.status().ToString().c_str(), aside.c_str());
    std::filesystem::create_directories(tiles_dir, ec);
    tiles = ledger::TileStore::Open(tiles_dir, {});
  }
  if (!tiles.ok()) return tiles.status();
  w->tiles_ = std::move(*tiles);
  FTZ_RETURN_IF_ERROR(w->LoadSavedCheckpoint(data_dir + "/ledger/checkpoint"));
  FTZ_RETURN_IF_ERROR(w->CheckSavedCheckpoint());
  return w;
}

Status LedgerWriter::LoadSavedCheckpoint(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::Ok();  // a new window, or one that could not save it
  std::stringstream ss;
  ss << in.rdbuf();
  ledger::VerifierSet own;
  for (const ledger::Signer& s : signers_) FTZ_RETURN_IF_ERROR(own.Add(s.verifier()));
  auto cp = ledger::OpenCheckpoint(ss.str(), own, origin_);
  if (!cp.ok()) {
    // Written whole by SaveCheckpoint, so this is not a torn write: report
    // it, but the ledger itself is still checked against its state file.
    std::fprintf(stderr,
                 "ftzport: ledger: WARNING: %s does not verify with this window's keys (%s)\n",
                 path.c_str(), cp.status().ToString().c_str());
    return Status::Ok();
  }
  saved_ = cp->checkpoint;
  saved_path_ = path;
  saved_pending_ = true;
  return Status::Ok();
}

Status LedgerWriter::CheckSavedCheckpoint() {
  if (!saved_pending_ || tiles_->size() < saved_.size) return Status::Ok();
  saved_pending_ = false;
  auto root = ledger::RootAt(saved_.size, *tiles_);
  if (!root.ok()) return root.status();
  if (*root == saved_.root) return Status::Ok();
  return Status::Corruption(
      "the ledger's tree of " + std::to_string(saved_.size) +
      " records does not have the root of the checkpoint this window signed at that size (" +
      saved_path_ +
      "): the log is not the one that was published; `ftzport audit --data` finds "
      "the first altered record");
}

Status LedgerWriter::Append(const ledger::Hash& leaf) {
  FTZ_RETURN_IF_ERROR(tiles_->Append(leaf));
  return saved_pending_ && tiles_->size() == saved_.size ? CheckSavedCheckpoint() : Status::Ok();
}

Status LedgerWriter::CheckNothingPublishedIsMissing() const {
  if (!saved_pending_ || tiles_->size() >= saved_.size) return Status::Ok();
  return Status::Corruption(
      "the log holds " + std::to_string(tiles_->size()) +
      " records but this window signed and published a checkpoint of " +
      std::to_string(saved_.size) + " (" + saved_path_ +
      "): published records are missing from the log, and signing the shorter tree would "
      "fork the published history (if the log was restored from an older copy on purpose, "
      "move " +
      saved_path_ + " aside to start from it)");
}

std::string LedgerWriter::verifier_keys() const {
  std::string out;
  for (const ledger::Signer& s : signers_) out += s.verifier().ToString() + "\n";
  return out;
}

void LedgerWriter::SaveCheckpoint(const std::string& text) {
  // DATA/ledger/checkpoint: what `ftzport audit` checks the records against.
  // Written whole (temporary file, fdatasync, rename); a failure only costs
  // the auditor the newest checkpoint, so it is reported, not fatal.
  const std::string path = tiles_->dir() + "/../checkpoint";
  const std::string tmp = path + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  bool ok = fd >= 0 && ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) &&
            ::fdatasync(fd) == 0;
  if (fd >= 0) ok = ::close(fd) == 0 && ok;
  ok = ok && ::rename(tmp.c_str(), path.c_str()) == 0;
  if (!ok) std::fprintf(stderr, "ftzport: ledger: cannot save %s\n", path.c_str());
}

Status LedgerWriter::MaybeCheckpoint(bool force) {
  return SignCheckpoint(force, /*ask_witnesses=*/false);
}

Status LedgerWriter::SignCheckpoint(bool force, bool ask_witnesses) {
  const int64_t now = SteadyMillis();
  const Signed published = checkpoint();
  // Nothing new (an empty log is signed once, not every second).
  if (tiles_->size() == published.size && !published.text.empty()) return Status::Ok();
  if (!force && now - last_signed_ms_ < 1000) return Status::Ok();
  const auto flush_start = std::chrono::steady_clock::now();
  FTZ_RETURN_IF_ERROR(tiles_->Flush());
  if (flush_seconds_) {
    flush_seconds_->Observe(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - flush_start).count());
  }
  ledger::Checkpoint cp;
  cp.origin = origin_;
  cp.size = tiles_->size();
  cp.root = tiles_->Root();
  auto text = ledger::SignCheckpoint(cp, signers_);
  if (!text.ok()) return text.status();
  last_signed_ms_ = now;
  log_signed_ = std::move(*text);
  log_signed_size_ = cp.size;
  cosignatures_.clear();
  for (WitnessLink& link : witnesses_) link.cosigned = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    latest_ = {log_signed_, cp.size};
  }
  SaveCheckpoint(log_signed_);
  // Published once more with the cosignatures (a moment later), so that a
  // slow witness delays the cosigned checkpoint, never the signed one.
  if (ask_witnesses) AskWitnesses();
  return Status::Ok();
}

void LedgerWriter::AskWitnesses() {
  if (witnesses_.empty() || log_signed_.empty()) return;
  const uint64_t size = log_signed_size_;
  // Proofs come from the tiles, which hold at least the signed size.
  auto proof = [this](uint64_t old_size, uint64_t new_size) -> Result<std::vector<ledger::Hash>> {
    ledger::TileReader reader(tiles_->dir(), new_size, 64);
    return ledger::ConsistencyProof(old_size, new_size, reader);
  };
  bool added = false;
  for (WitnessLink& link : witnesses_) {
    const int64_t now = SteadyMillis();
    if (link.cosigned || now < link.next_try_ms) continue;
    auto lines = link.client->Cosign(log_signed_, size, proof);
    if (lines.ok()) {
      cosignatures_ += *lines;
      link.cosigned = true;
      link.backoff_ms = 0;
      link.next_try_ms = 0;
      if (link.cosignatures) link.cosignatures->Add();
      if (link.failing) {
        std::fprintf(stderr, "ftzport: ledger: witness %s cosigns again (size %llu)\n",
                     link.client->name().c_str(), static_cast<unsigned long long>(size));
      }
      link.failing = false;
      added = true;
      continue;
    }
    link.failing = true;
    link.backoff_ms = std::clamp<int64_t>(link.backoff_ms * 2, 1000, 60'000);
    link.next_try_ms = SteadyMillis() + link.backoff_ms;
    if (link.failures) link.failures->Add();
    std::fprintf(stderr,
                 "ftzport: ledger: WARNING: witness %s: %s; checkpoint %llu published without "
                 "its cosignature, next try in %llds\n",
                 link.client->name().c_str(), lines.status().ToString().c_str(),
                 static_cast<unsigned long long>(size),
                 static_cast<long long>(link.backoff_ms / 1000));
  }
  if (added) {
    std::lock_guard<std::mutex> lock(mu_);
    if (latest_.size == size) latest_.text = log_signed_ + cosignatures_;
  }
}

LedgerWriter::~LedgerWriter() {
  if (thread_.joinable()) {
    {
      std::lock_guard<std::mutex> lock(queue_mu_);
      stop_ = true;
    }
    queue_cv_.notify_all();
    thread_.join();
  }
}

void LedgerWriter::Start() {
  thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "ftz-ledger");
    Loop();
  });
}

void LedgerWriter::Enqueue(WrittenBatch batch) {
  if (batch.digests.empty()) {  // nothing written (every message refused): no leaf
    std::lock_guard<std::mutex> lock(queue_mu_);
    Recycle(std::move(batch.bytes));
    return;
  }
  bool behind;
  {
    std::lock_guard<std::mutex> lock(queue_mu_);
    behind = queued_bytes_ + batch.bytes.size() > kMaxQueuedBytes;
  }
  if (behind) {
    // Memory stays bounded and intake slows by the hashing: the leaves
    // wait, not the records.
    AppendLeaves(batch, &batch.leaves);
    batch.digests.clear();
    std::string bytes = std::move(batch.bytes);
    std::lock_guard<std::mutex> lock(queue_mu_);
    Recycle(std::move(bytes));
  }
  {
    std::lock_guard<std::mutex> lock(queue_mu_);
    queued_bytes_ += batch.bytes.size();
    queue_.push_back(std::move(batch));
  }
  queue_cv_.notify_one();
}

size_t LedgerWriter::queued_bytes() const {
  std::lock_guard<std::mutex> lock(queue_mu_);
  return queued_bytes_;
}

void LedgerWriter::Recycle(std::string buffer) {
  // Two buffers cycle between the sequencer and this thread; a third covers
  // a batch in flight. More, or one grown past a few megabytes by a burst of
  // large messages, would only hold memory.
  if (spare_.size() >= 3 || buffer.capacity() > (16u << 20)) return;
  buffer.clear();
  spare_.push_back(std::move(buffer));
}

std::string LedgerWriter::SpareBuffer() {
  std::lock_guard<std::mutex> lock(queue_mu_);
  if (spare_.empty()) return {};
  std::string s = std::move(spare_.back());
  spare_.pop_back();
  return s;
}

void LedgerWriter::Loop() {
  // The ledger is derived from the durable log: a failure is reported and the
  // next start rebuilds what is missing from the log.
  // Reported once (the tile store keeps its first error: every later call
  // repeats it), and shown in /metrics (ftz_ledger_failed) and /readyz.
  auto report = [this](const Status& s) {
    if (s.ok() || failed_.exchange(true)) return;
    std::fprintf(stderr,
                 "ftzport: ledger: %s; no more checkpoints until a restart rebuilds the ledger "
                 "from the log (intake goes on)\n",
                 s.ToString().c_str());
  };
  // Leaves are taken at most every 2 ms (core/pacer.h): the group commits
  // queued meanwhile come in one go. Woken by every group commit, this thread
  // cost the sequencer a wake-up per batch and itself three times its
  // closed-loop CPU per document at half load. A leaf is in a signed
  // checkpoint within a second either way.
  Pacer pacer(std::chrono::milliseconds(2));
  std::vector<ledger::Hash> leaves;
  for (;;) {
    std::vector<WrittenBatch> batches;
    bool stopping;
    {
      std::unique_lock<std::mutex> lock(queue_mu_);
      queue_cv_.wait_for(lock, std::chrono::milliseconds(200),
                         [&] { return stop_ || !queue_.empty(); });
      if (!stop_ && !queue_.empty()) {
        lock.unlock();
        pacer.Wait();
        lock.lock();
      }
      batches.swap(queue_);
      queued_bytes_ = 0;
      stopping = stop_;
    }
    leaves.clear();
    for (const WrittenBatch& b : batches) {
      if (b.digests.empty()) {
        leaves.insert(leaves.end(), b.leaves.begin(), b.leaves.end());
      } else {
        AppendLeaves(b, &leaves);
      }
    }
    for (const ledger::Hash& leaf : leaves) report(tiles_->Append(leaf));
    {
      std::lock_guard<std::mutex> lock(queue_mu_);
      for (WrittenBatch& b : batches) Recycle(std::move(b.bytes));
    }
    // No witness at shutdown: a stop must not wait for the network.
    report(SignCheckpoint(/*force=*/stopping, /*ask_witnesses=*/!stopping));
    if (stopping) return;
    AskWitnesses();  // those backing off, once their time has come
  }
}

LedgerWriter::Signed LedgerWriter::checkpoint() const {
  std::lock_guard<std::mutex> lock(mu_);
  return latest_;
}

}  // namespace ftz::node
