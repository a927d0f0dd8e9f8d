// LedgerWriter: the verifiable ledger over the log (docs/ledger-format.md).
// Every log record is a leaf: leaf = HashLeaf(commitment), where
//   commitment = SHA-256( u8 record type || u64 seq LE || i64 time ms LE ||
//                         SHA-256(payload) )
// so the public tree commits to each record without revealing it (personal
// data stays in the log, served only to whom it concerns). A leaf's index is
// its record's sequence number. Leaf hashes are kept as tlog tiles under
// DIR/ledger; at most once a second, after the log is durable, the tiles are
// flushed and a checkpoint is signed with two keys of the same name (the
// origin): the log's Ed25519 key (DIR/keys/ledger.key) and its SM2-SM3 key
// (DIR/keys/ledger-sm2.key, this project's signature type, for verifiers
// that need the Chinese national standard); both are made on first start
// with mode 0600.
//
// Witnesses (c2sp.org/tlog-witness, witness/client.h): after signing, the
// writer's thread asks each configured witness to cosign, with a consistency
// proof from the size that witness last acknowledged, and publishes the
// checkpoint with the cosignature lines it got appended. A witness that
// fails or does not answer within the timeout is logged, counted
// (ftz_witness_failures_total) and retried after a backoff (1 s doubling to
// 60 s, then for the latest checkpoint); the checkpoint is published without
// its cosignature meanwhile, so a witness can never stop the log or intake.
//
// Thread safety: before Start(), Append/MaybeCheckpoint from one thread (the
// recovery; no witness is asked then). After Start(), only Enqueue (from the
// sequencer): the writer's own thread appends, flushes, signs and talks to
// witnesses, so the sequencer never waits for a tile flush, a signature or
// a witness. checkpoint() and the verifier keys from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/status.h"
#include "ledger/checkpoint.h"
#include "ledger/note.h"
#include "ledger/tiles.h"
#include "node/metrics.h"
#include "stream/log.h"
#include "witness/client.h"

namespace ftz::node {

// The 32-byte commitment of a record (the entry of the tlog entry bundles):
// SHA-256(u8 type || u64 seq LE || i64 time LE || SHA-256(payload)).
ledger::Hash RecordCommitment(stream::RecordType type, uint64_t seq, UnixMillis time,
                              std::string_view payload);
// The same from SHA-256(payload), which needs neither seq nor time: a caller
// can digest a payload before the record has its place in the log.
ledger::Hash RecordCommitmentOfDigest(stream::RecordType type, uint64_t seq, UnixMillis time,
                                      const ledger::Hash& payload_digest);
// Its leaf: HashLeaf(RecordCommitment(...)).
ledger::Hash RecordLeaf(stream::RecordType type, uint64_t seq, UnixMillis time,
                        std::string_view payload);
ledger::Hash RecordLeafOfDigest(stream::RecordType type, uint64_t seq, UnixMillis time,
                                const ledger::Hash& payload_digest);

// A batch of records as the log wrote them, on its way to the ledger. Their
// leaves are computed on the ledger writer's thread: hashing every receipt
// on the sequencer cost it 11% of its time (docs/performance.md, session 24).
struct WrittenBatch {
  std::string bytes;  // whole records (stream::Log::Write's `written`)
  // One per record, in order: SHA-256 of its payload where the caller
  // already has it (a message is digested on arrival, off the sequencer).
  std::vector<std::optional<ledger::Hash>> digests;
  // Its leaves, once computed (LedgerWriter::Enqueue when the writer's
  // thread is far behind); the bytes are then let go.
  std::vector<ledger::Hash> leaves;
};
// Appends the leaves of `batch`'s records to *leaves. A batch whose digests
// do not match its records one for one is a broken invariant: abort.
void AppendLeaves(const WrittenBatch& batch, std::vector<ledger::Hash>* leaves);

struct LedgerWriterOptions {
  // Witnesses asked to cosign every checkpoint, each "URL VKEY" (the
  // witness's submission prefix and its cosignature/v1 verifier key).
  std::vector<std::string> witnesses;
  Registry* metrics = nullptr;                      // witness counters; null: not counted
  std::chrono::milliseconds witness_timeout{2000};  // per connect, send, receive
};

class LedgerWriter {
 public:
  // `origin` is the checkpoints' first line (the log's name) and its keys'
  // name. InvalidArgument for a malformed witness; Corruption for a key file
  // that does not hold a key of the expected type, or a tree whose root at
  // the size of DATA/ledger/checkpoint differs from that checkpoint's. A tile
  // store that will not open (Corruption: e.g. its level-0 node file is lost)
  // is moved aside to DATA/ledger/tiles.damaged-N and started empty, so the
  // caller's recovery rebuilds it from the log (size() is then 0).
  static Result<std::unique_ptr<LedgerWriter>> Open(const std::string& data_dir,
                                                    const std::string& origin,
                                                    const LedgerWriterOptions& options = {});

  ~LedgerWriter();

  // Starts the writer's thread (after recovery).
  void Start();
  // Hands over a durable batch, in log order; the writer's thread computes
  // its leaves. While that thread is held up (a witness slow to answer
  // holds it for seconds), at most kMaxQueuedBytes of records wait whole:
  // beyond, the caller computes the leaves here and only they wait.
  void Enqueue(WrittenBatch batch);
  static constexpr size_t kMaxQueuedBytes = 64u << 20;
  // Bytes of records waiting whole in the queue (for tests).
  size_t queued_bytes() const;
  // A cleared string that an enqueued batch's bytes left, keeping its
  // capacity, for the next Log::Write (an empty one if none is spare).
  std::string SpareBuffer();

  uint64_t size() const { return tiles_->size(); }
  // Appends during recovery. Corruption once the tree reaches the size of
  // the checkpoint saved in DATA/ledger/checkpoint with another root (the log
  // is not the one that was published; checked at Open if already there).
  Status Append(const ledger::Hash& leaf);
  // After recovery has appended the whole log: Corruption when the tree is
  // smaller than the checkpoint this window saved last. That checkpoint was
  // signed over durable records only, so the log lost records it published
  // (restored from an old copy, cut, or replaced); signing the shorter tree,
  // and later a different one of the same size, would fork the history
  // every verifier and witness holds.
  Status CheckNothingPublishedIsMissing() const;
  // Flushes the tiles and signs a new checkpoint when the tree grew and
  // `force` or a second has passed since the last one (steady clock).
  Status MaybeCheckpoint(bool force);

  struct Signed {
    std::string text;  // the signed checkpoint note, with any cosignatures
    uint64_t size = 0;
  };
  Signed checkpoint() const;
  // True once writing the tiles or signing a checkpoint failed (reported on
  // stderr once): no later leaf is added until a restart rebuilds the
  // ledger from the log. Intake goes on.
  bool failed() const { return failed_.load(); }
  // The Ed25519 verifier key.
  std::string verifier_key() const { return signers_[0].verifier().ToString(); }
  // Every verifier key of the log, one per line (each ending in a newline),
  // Ed25519 first, then SM2.
  std::string verifier_keys() const;
  const std::string& tiles_dir() const { return tiles_->dir(); }

 private:
  void SaveCheckpoint(const std::string& text);
  Status LoadSavedCheckpoint(const std::string& path);
  Status CheckSavedCheckpoint();
  struct WitnessLink {
    std::unique_ptr<witness::WitnessClient> client;
    bool cosigned = false;  // its cosignature is on the latest checkpoint
    bool failing = false;
    int64_t next_try_ms = 0;  // steady clock
    int64_t backoff_ms = 0;
    Counter* cosignatures = nullptr;
    Counter* failures = nullptr;
  };

  LedgerWriter() = default;
  void Loop();
  Status SignCheckpoint(bool force, bool ask_witnesses);
  // Asks every witness that has not cosigned the latest checkpoint and is
  // not backing off; republishes the checkpoint if any answered.
  void AskWitnesses();

  std::string origin_;
  Histogram* flush_seconds_ = nullptr;  // tile flush + sync, per checkpoint
  std::unique_ptr<ledger::TileStore> tiles_;
  // The last checkpoint saved by an earlier run, until the tree is checked
  // against it (a tree rebuilt from the log reaches its size during recovery).
  ledger::Checkpoint saved_;
  std::string saved_path_;
  bool saved_pending_ = false;
  std::vector<ledger::Signer> signers_;  // Ed25519, SM2
  int64_t last_signed_ms_ = 0;
  // Witnesses and the latest checkpoint as the log signed it (writer's
  // thread only after Start).
  std::vector<WitnessLink> witnesses_;
  std::string log_signed_;
  std::atomic<bool> failed_{false};
  uint64_t log_signed_size_ = 0;
  std::string cosignatures_;
  mutable std::mutex mu_;
  Signed latest_;
  // The writer's queue (after Start).
  mutable std::mutex queue_mu_;
  std::condition_variable queue_cv_;
  std::vector<WrittenBatch> queue_;
  size_t queued_bytes_ = 0;          // of the records in queue_
  std::vector<std::string> spare_;   // batches' buffers, cleared, for SpareBuffer
  void Recycle(std::string buffer);  // into spare_ (queue_mu_ held)
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace ftz::node
