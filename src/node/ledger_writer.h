// LedgerWriter: the verifiable ledger over the log (docs/ledger-format.md).
// Every log record is a leaf: leaf = HashLeaf(commitment), where
//   commitment = SHA-256( u8 record type || u64 seq LE || i64 time ms LE ||
//                         SHA-256(payload) )
// so the public tree commits to each record without revealing it (personal
// data stays in the log, served only to whom it concerns). A leaf's index is
// its record's sequence number. Leaf hashes are kept as tlog tiles under
// DIR/ledger; at most once a second, after the log is durable, the tiles are
// flushed and a checkpoint is signed with the log's Ed25519 key
// (DIR/keys/ledger.key, made on first start).
//
// Thread safety: before Start(), Append/MaybeCheckpoint from one thread (the
// recovery). After Start(), only Enqueue (from the sequencer): the writer's
// own thread appends, flushes and signs, so the sequencer never waits for a
// tile flush or a signature. checkpoint() and verifier_key() from any thread.
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/status.h"
#include "ledger/checkpoint.h"
#include "ledger/note.h"
#include "ledger/tiles.h"
#include "stream/log.h"

namespace ftz::node {

ledger::Hash RecordLeaf(stream::RecordType type, uint64_t seq, UnixMillis time,
                        std::string_view payload);

class LedgerWriter {
 public:
  // `origin` is the checkpoints' first line (the log's name).
  static Result<std::unique_ptr<LedgerWriter>> Open(const std::string& data_dir,
                                                    const std::string& origin);

  ~LedgerWriter();

  // Starts the writer's thread (after recovery).
  void Start();
  // Hands over the leaves of a durable batch, in log order.
  void Enqueue(std::vector<ledger::Hash> leaves);

  uint64_t size() const { return tiles_->size(); }
  Status Append(const ledger::Hash& leaf) { return tiles_->Append(leaf); }
  // Flushes the tiles and signs a new checkpoint when the tree grew and
  // `force` or a second has passed since the last one (steady clock).
  Status MaybeCheckpoint(bool force);

  struct Signed {
    std::string text;  // the signed checkpoint note
    uint64_t size = 0;
  };
  Signed checkpoint() const;
  std::string verifier_key() const { return signer_->verifier().ToString(); }
  const std::string& tiles_dir() const { return tiles_->dir(); }

 private:
  LedgerWriter() = default;
  void Loop();

  std::string origin_;
  std::unique_ptr<ledger::TileStore> tiles_;
  std::unique_ptr<ledger::Signer> signer_;
  int64_t last_signed_ms_ = 0;
  mutable std::mutex mu_;
  Signed latest_;
  // The writer's queue (after Start).
  std::mutex queue_mu_;
  std::condition_variable queue_cv_;
  std::vector<ledger::Hash> queue_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace ftz::node
