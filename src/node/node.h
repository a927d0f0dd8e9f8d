// Node: one ftzport process's core — the log, the engine and the read model
// wired together. Enterprises' messages come in through Submit (from any
// thread); one sequencer thread stamps them with the time, applies them to the
// engine, appends them and the receipts to the log and makes each batch
// durable with one fdatasync (group commit) before anyone is answered. A
// second thread keeps the read model up to date from committed batches.
//
// Start-up is recovery: the log is scanned (a torn tail truncated), every
// message is replayed through the engine to rebuild its state, the regenerated
// receipts are compared with the logged ones, and the read model catches up
// from where it stopped.
//
// A failed fdatasync stops intake for good (docs/errors.md): every pending and
// later Submit is answered Unavailable; reads go on; a restart recovers.
//
// Thread safety: Submit, the readers and Stats are safe from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "ceb/ceb.h"
#include "engine/engine.h"
#include "env/env.h"
#include "node/ledger_writer.h"
#include "node/metrics.h"
#include "store/read_model.h"
#include "stream/log.h"

namespace ftz::node {

struct Options {
  std::string data_dir;
  Env* env = nullptr;  // null: Env::Default()
  stream::LogOptions log;
  size_t max_batch = 2048;  // messages per group commit
  // Clearance rules (TOML, docs/clearance.md); empty: the built-in default.
  std::string rules_toml;
  bool clearance = true;  // false: intake rules only (duplicates, appType)
  // The ledger's origin line (its checkpoints' name); the log's keys are
  // made on first start in DIR/keys/ledger.key (Ed25519) and
  // DIR/keys/ledger-sm2.key (SM2-SM3).
  std::string ledger_origin = "ftzport.local/log";
  // Witnesses asked to cosign each checkpoint, each "URL VKEY"
  // (node/ledger_writer.h); a failing witness never stops the log.
  std::vector<std::string> witnesses;
  // A snapshot of the engine's state every this many log records (0: none
  // while running), and one at a clean shutdown; a start then replays only
  // the log after the newest usable snapshot (docs/snapshot-format.md).
  uint64_t snapshot_every = 1'000'000;
  bool snapshot_on_close = true;
  // The read model commits at most this often: the group commits that come
  // meanwhile join its next transaction. Each SQLite commit writes every
  // page it dirtied to the WAL, so at moderate load, where a group commit
  // holds two or three messages, committing each cost the read model three
  // times its closed-loop CPU per document (docs/performance.md, session
  // 10). Queries and the receipt feed see a batch at most this much later.
  std::chrono::microseconds read_model_commit_interval{2000};
  // Read at every record recovery replays: once true, Open stops there and
  // returns Unavailable (a stop asked for during a long start; nothing is
  // lost, the next start replays from the log again). Null: never.
  const std::atomic<bool>* stop_recovery = nullptr;
};

struct Submission {
  ceb::Syntax syntax = ceb::Syntax::kXml;
  std::string body;    // exactly as received
  std::string caller;  // who sent it (authenticated identity; "" until auth lands)
  Message message;     // decoded and valid
  // An operator's command instead of a message (body and message unused).
  std::optional<engine::AdminRecord> admin;
  // The caller wants SubmitResult::receipt (to write it as JSON). Otherwise
  // the receipt's strings stay with the sequencer thread that made them: a
  // block freed by another thread is dear to reclaim (docs/performance.md,
  // session 15).
  bool want_receipt = false;

  // Filled by Node::Submit on the submitting thread, so that the one
  // sequencer thread does not spend its time on them: the message's log
  // record (docs/log-format.md §4.1) and the SHA-256 of it for its ledger leaf.
  std::string record;
  ledger::Hash record_digest{};
};

struct SubmitResult {
  Status status;             // ok, or Unavailable when intake has stopped
  bool logged = false;       // false when every block was refused (nothing changed)
  uint64_t message_seq = 0;  // the message's log record (leaf index), when logged
  uint64_t receipt_seq = 0;  // the receipt's log record, when logged
  size_t accepted = 0, refused = 0;
  ReceiptMessage receipt;   // only when Submission::want_receipt
  std::string receipt_xml;  // exactly the bytes logged
  // The submission itself, handed back once applied: its decoded message,
  // body and record were allocated by the submitting thread, and a block
  // freed by another thread is dear to reclaim for both (docs/performance.md,
  // session 17). Let it die on the thread that submitted it. Empty when
  // intake has stopped.
  std::unique_ptr<Submission> submission;
};

struct RecoveryReport {
  stream::RecoveryInfo log;
  uint64_t messages_replayed = 0;
  uint64_t receipts_checked = 0;
  uint64_t receipt_mismatches = 0;    // replay produced a different receipt: must be 0
  uint64_t receipts_restored = 0;     // owed receipts a crash cut off, logged again at start
  uint64_t read_model_caught_up = 0;  // records applied to the read model at start
  uint64_t snapshot_seq = 0;          // the start began after records [0, snapshot_seq)
  std::vector<std::string> snapshots_skipped;  // why a snapshot present was not used
};

class Node {
 public:
  static Result<std::unique_ptr<Node>> Open(const Options& options, Registry* metrics);
  ~Node();

  // Queues a message; `done` runs on the node's commit thread once the batch
  // is durable or its fdatasync failed, on the sequencer when intake stopped
  // while the message waited, or here when intake had already stopped. Keep
  // it short: post the answer elsewhere.
  void Submit(Submission s, std::function<void(SubmitResult)> done);

  // Called on the read-model thread after each committed read-model batch,
  // with the copCodes that were sent new receipts.
  void AddReceiptListener(std::function<void(const std::vector<std::string>&)> listener);

  stream::Log& log() { return *log_; }
  LedgerWriter& ledger() { return *ledger_; }
  store::ReadModel& read_model() { return *read_model_; }
  const RecoveryReport& recovery() const { return recovery_; }
  // The rules versions as the engine has them now, those an operator added
  // at run time included (safe from any thread; a copy that later additions
  // do not change). Null without clearance.
  std::shared_ptr<const clearance::RuleBook> rules() const {
    std::lock_guard<std::mutex> lock(rules_view_mu_);
    return rules_view_;
  }
  bool intake_stopped() const { return stopped_.load(); }
  uint64_t read_model_lag() const;
  // True once a read-model write failed: queries answer what it held then,
  // until a restart catches it up from the log (docs/errors.md §4).
  bool read_model_failed() const { return rm_failed_.load(); }
  // True once the ledger could not write its tiles or sign (LedgerWriter::failed).
  bool ledger_failed() const { return ledger_ && ledger_->failed(); }

 private:
  Node(const Options& options, Registry* metrics);
  Status Recover();
  // A data directory is written either with clearance or without it; replay
  // with the other mode would decide differently, so the mode is recorded on
  // first use and a start in the other mode is refused.
  Status CheckMode();
  void SequencerLoop();
  // Appends what the engine emitted besides a message's own receipt, and
  // the read-model rows that go with it.
  void AppendEmitted(const engine::Outcome& o, uint64_t answers, UnixMillis time, store::Batch* rm);
  // A batch written to the log whose fdatasync the commit thread runs while
  // the sequencer applies the next one; then it answers its submissions and
  // hands its rows and leaves on. One at a time (Log::SyncWritten).
  using Pending = std::pair<std::unique_ptr<Submission>, std::function<void(SubmitResult)>>;
  struct Commit;
  // Applies `work` (and a tick first, when `tick`) to the engine, appending
  // its records to the log's buffer and its answers to `batch`.
  void ApplyRound(std::deque<Pending> work, bool tick, Commit* batch);
  void CommitLoop();
  void Complete(Commit* c);
  // Waits until no batch is in flight; false once intake has stopped.
  bool WaitForCommit();
  // A failed write or fdatasync: intake stops for good (docs/errors.md).
  void StopIntake(const Status& why);
  std::string StopReason() const;
  void ReadModelLoop();
  // Restores the newest usable one of `snapshots` (ListSnapshots: newest
  // first) at or before `max_seq` into the engine and last_time_; returns
  // its seq (0: none, full replay).
  uint64_t LoadSnapshot(const std::vector<uint64_t>& snapshots, uint64_t max_seq);
  // Encodes the engine's state (on the sequencer: the only pause) and writes
  // it on a thread of its own, or here when `wait`. Skipped while the
  // previous one is still being written.
  void TakeSnapshot(bool wait);
  void FailAll(std::deque<Pending>* q, const std::string& why);

  // The data directory's LOCK, held for the node's life: first, so that it
  // is released last, after every file below is closed.
  std::unique_ptr<FileLock> lock_;
  Options options_;
  Registry* metrics_;
  std::unique_ptr<stream::Log> log_;
  std::unique_ptr<store::ReadModel> read_model_;
  std::unique_ptr<LedgerWriter> ledger_;
  // Per record appended since the last Write: its payload's SHA-256 if known.
  std::vector<std::optional<ledger::Hash>> pending_digests_;
  // Appends a record to the log and remembers what its ledger leaf needs.
  uint64_t AppendRecord(stream::RecordType type, UnixMillis time, std::string_view payload);
  // The same, with SHA-256(payload) already known.
  uint64_t AppendRecord(stream::RecordType type, UnixMillis time, std::string_view payload,
                        const ledger::Hash& payload_digest);
  // Log::Write of what was appended since the last one; its bytes and
  // their digests into *out (out->bytes: a spare buffer, or empty).
  Status WritePending(WrittenBatch* out);
  clearance::RuleBook rules_;
  engine::Engine engine_;
  RecoveryReport recovery_;
  UnixMillis last_time_ = 0;
  std::atomic<size_t> engine_documents_{0};  // for the gauge; the engine is the sequencer's
  uint64_t unlogged_receipts_ = 0;
  uint64_t snapshot_seq_ = 0;  // the newest snapshot taken or loaded
  mutable std::mutex rules_view_mu_;
  std::shared_ptr<const clearance::RuleBook> rules_view_;
  void PublishRules();
  void PublishRules(std::shared_ptr<const clearance::RuleBook> view);
  std::thread snapshot_writer_;
  std::atomic<bool> snapshot_writing_{false};
  Histogram* snapshot_seconds_ = nullptr;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Pending> pending_;
  bool shutting_down_ = false;
  std::atomic<bool> stopped_{false};
  bool recovered_ = false;   // Recover succeeded: the state is the log's
  std::string stop_reason_;  // guarded by mu_; set with stopped_

  // The batch the commit thread is making durable (guarded by mu_; cv_ says
  // when it is done, commit_cv_ when there is one).
  std::condition_variable commit_cv_;
  std::unique_ptr<Commit> in_flight_;
  bool commit_stop_ = false;

  std::mutex rm_mu_;
  bool rm_stop_ = false;
  std::condition_variable rm_cv_;
  std::deque<store::Batch> rm_queue_;
  std::atomic<uint64_t> rm_applied_{0};
  std::atomic<bool> rm_failed_{false};  // written by the read-model thread only
  std::vector<std::function<void(const std::vector<std::string>&)>> listeners_;

  Counter* messages_accepted_;
  Counter* messages_refused_;
  Counter* documents_accepted_;
  Counter* documents_refused_;
  Counter* batches_;
  Counter* read_model_commits_;
  Histogram* batch_size_;
  Histogram* sync_seconds_;

  std::thread sequencer_;
  std::thread commit_thread_;
  std::thread read_model_thread_;
};

}  // namespace ftz::node
