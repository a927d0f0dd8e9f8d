#include "node/ledger_writer.h"

#include <pthread.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace ftz::node {

ledger::Hash RecordLeaf(stream::RecordType type, uint64_t seq, UnixMillis time,
                        std::string_view payload) {
  const ledger::Hash body = ledger::Sha256(payload);
  std::string c;
  c.reserve(1 + 8 + 8 + body.size());
  c.push_back(static_cast<char>(type));
  for (int i = 0; i < 8; ++i) c.push_back(static_cast<char>(seq >> (8 * i)));
  for (int i = 0; i < 8; ++i)
    c.push_back(static_cast<char>(static_cast<uint64_t>(time) >> (8 * i)));
  c.append(reinterpret_cast<const char*>(body.data()), body.size());
  const ledger::Hash commitment = ledger::Sha256(c);
  return ledger::HashLeaf(
      std::string_view(reinterpret_cast<const char*>(commitment.data()), commitment.size()));
}

Result<std::unique_ptr<LedgerWriter>> LedgerWriter::Open(const std::string& data_dir,
                                                         const std::string& origin) {
  std::unique_ptr<LedgerWriter> w(new LedgerWriter());
  w->origin_ = origin;
  std::error_code ec;
  std::filesystem::create_directories(data_dir + "/keys", ec);
  std::filesystem::create_directories(data_dir + "/ledger/tiles", ec);
  if (ec) return Status::IOError("create " + data_dir + "/keys: " + ec.message());
  const std::string key_path = data_dir + "/keys/ledger.key";
  std::string skey;
  if (std::ifstream in(key_path); in) {
    std::stringstream ss;
    ss << in.rdbuf();
    skey = ss.str();
    while (!skey.empty() && (skey.back() == '\n' || skey.back() == '\r')) skey.pop_back();
  } else {
    // First start: the log's own key. Operators keep it like any private key.
    auto made = ledger::Signer::Generate(origin, ledger::KeyType::kEd25519);
    if (!made.ok()) return made.status();
    skey = made->ToString();
    std::ofstream out(key_path, std::ios::trunc);
    out << skey << "\n";
    out.close();
    if (!out) return Status::IOError("cannot write " + key_path);
    std::filesystem::permissions(
        key_path, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write, ec);
  }
  auto signer = ledger::Signer::Parse(skey);
  if (!signer.ok()) return Status::Corruption(key_path + ": " + signer.status().message());
  w->signer_ = std::make_unique<ledger::Signer>(std::move(*signer));
  auto tiles = ledger::TileStore::Open(data_dir + "/ledger/tiles", {});
  if (!tiles.ok()) return tiles.status();
  w->tiles_ = std::move(*tiles);
  return w;
}

Status LedgerWriter::MaybeCheckpoint(bool force) {
  using namespace std::chrono;
  const int64_t now = duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
  if (tiles_->size() == checkpoint().size && tiles_->size() != 0) return Status::Ok();
  if (!force && now - last_signed_ms_ < 1000) return Status::Ok();
  FTZ_RETURN_IF_ERROR(tiles_->Flush());
  ledger::Checkpoint cp;
  cp.origin = origin_;
  cp.size = tiles_->size();
  cp.root = tiles_->Root();
  auto text = ledger::SignCheckpoint(cp, std::span<const ledger::Signer>(signer_.get(), 1));
  if (!text.ok()) return text.status();
  last_signed_ms_ = now;
  std::lock_guard<std::mutex> lock(mu_);
  latest_ = {std::move(*text), cp.size};
  return Status::Ok();
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

void LedgerWriter::Enqueue(std::vector<ledger::Hash> leaves) {
  {
    std::lock_guard<std::mutex> lock(queue_mu_);
    if (queue_.empty()) {
      queue_ = std::move(leaves);
    } else {
      queue_.insert(queue_.end(), leaves.begin(), leaves.end());
    }
  }
  queue_cv_.notify_one();
}

void LedgerWriter::Loop() {
  // The ledger is derived from the durable log: a failure is reported and the
  // next start rebuilds what is missing from the log.
  auto report = [](const Status& s) {
    if (!s.ok()) std::fprintf(stderr, "ftzport: ledger: %s\n", s.ToString().c_str());
  };
  for (;;) {
    std::vector<ledger::Hash> leaves;
    bool stopping;
    {
      std::unique_lock<std::mutex> lock(queue_mu_);
      queue_cv_.wait_for(lock, std::chrono::milliseconds(200),
                         [&] { return stop_ || !queue_.empty(); });
      leaves.swap(queue_);
      stopping = stop_;
    }
    for (const ledger::Hash& leaf : leaves) report(tiles_->Append(leaf));
    report(MaybeCheckpoint(/*force=*/stopping));
    if (stopping) return;
  }
}

LedgerWriter::Signed LedgerWriter::checkpoint() const {
  std::lock_guard<std::mutex> lock(mu_);
  return latest_;
}

}  // namespace ftz::node
