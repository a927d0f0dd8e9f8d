#include "node/node.h"

#include <pthread.h>

#include <chrono>
#include <cstdio>
#include <future>
#include <set>

#include "core/pacer.h"
#include "engine/default_rules.h"
#include "engine/records.h"
#include "node/replay.h"
#include "node/snapshots.h"

namespace ftz::node {
namespace {

using Clock = std::chrono::steady_clock;

// Read-model rows for the documents a message changed.
void AddDocumentRows(const Message* m, const engine::Outcome& o, uint64_t seq, UnixMillis time,
                     store::Batch* b) {
  for (const engine::QuotaChange& q : o.quota) {
    b->quota.push_back({store::BuyerKey(q.buyer_id), q.year, q.used.units(), q.lists});
  }
  for (const engine::StockChange& c : o.stock) {
    b->stock.push_back({c.ems_no, c.item_record_no, c.qty.units()});
  }
  for (const engine::DocumentChange& c : o.changes) {
    store::DocumentRow r;
    r.type = MessageNumber(c.type);
    r.key = c.key;
    r.seq = seq;
    r.block = static_cast<int>(c.block);
    r.status = c.status;
    r.info = c.info;
    r.cop_code = m ? m->transfer.copCode : "";
    r.time = time;
    r.removed = c.removed;
    r.status_only = c.status_only;
    if (c.status_only) {
      r.invt_no = c.invt_no;
      b->documents.push_back(std::move(r));
      continue;
    }
    // A deleted list's invtNo leaves the index with it.
    if (c.type == MessageType::kInventoryList && c.removed) r.invt_no = c.invt_no;
    if (c.type == MessageType::kInventoryList && !c.removed) {
      const auto& h = std::get<std::vector<InventoryList>>(m->blocks)[c.block].head;
      if (!h.copNo.empty()) r.cop_no = h.agentCode + "/" + h.copNo;
      if (!c.invt_no.empty()) r.invt_no = c.invt_no;
    }
    b->documents.push_back(std::move(r));
  }
}

}  // namespace

Node::Node(const Options& options, Registry* metrics)
    : options_(options), metrics_(metrics), engine_(options.clearance ? &rules_ : nullptr) {
  if (options_.env == nullptr) options_.env = Env::Default();
  messages_accepted_ = &metrics->GetCounter(
      "ftz_messages_total", "CEB messages answered, by outcome", "outcome=\"logged\"");
  messages_refused_ = &metrics->GetCounter(
      "ftz_messages_total", "CEB messages answered, by outcome", "outcome=\"nothing_accepted\"");
  documents_accepted_ = &metrics->GetCounter("ftz_documents_total", "Business blocks, by outcome",
                                             "outcome=\"accepted\"");
  documents_refused_ = &metrics->GetCounter("ftz_documents_total", "Business blocks, by outcome",
                                            "outcome=\"refused\"");
  batches_ = &metrics->GetCounter("ftz_log_batches_total", "Group commits (one fdatasync each)");
  read_model_commits_ =
      &metrics->GetCounter("ftz_read_model_commits_total",
                           "Read model transactions (each takes the group commits queued)");
  batch_size_ = &metrics->GetHistogram("ftz_log_batch_messages", "Messages per group commit",
                                       {1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048});
  sync_seconds_ = &metrics->GetHistogram(
      "ftz_log_sync_seconds", "Time to fdatasync one batch (the commit thread)",
      {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1});
  snapshot_seconds_ = &metrics->GetHistogram(
      "ftz_snapshot_encode_seconds",
      "Time the sequencer paused to encode an engine snapshot (written on another thread)",
      {0.001, 0.01, 0.1, 0.5, 1, 2.5, 5, 10, 30});
}

struct Node::Commit {
  std::deque<Pending> work;           // the submissions, in order
  std::vector<SubmitResult> results;  // their answers, one each
  store::Batch rm;                    // the read model's rows
  WrittenBatch written;               // its records as written, for the ledger
  bool rules_changed = false;
  std::shared_ptr<const clearance::RuleBook> rules;  // to publish, when changed
};

Result<std::unique_ptr<Node>> Node::Open(const Options& options, Registry* metrics) {
  std::unique_ptr<Node> n(new Node(options, metrics));
  if (options.clearance) {
    auto rules = clearance::ParseRules(
        options.rules_toml.empty() ? engine::DefaultRulesToml() : options.rules_toml,
        options.rules_toml.empty() ? "default.toml (built in)" : "file");
    if (!rules.ok()) return rules.status();
    FTZ_RETURN_IF_ERROR(n->rules_.Add(std::move(*rules)));
    // The engine keeps its own copy of the book (run-time versions join it).
    n->engine_ = engine::Engine(&n->rules_);
  }
  FTZ_RETURN_IF_ERROR(n->options_.env->CreateDirs(options.data_dir));
  // One node per data directory: a second would append to the same log
  // segments and overwrite what the first acknowledged.
  auto lock = n->options_.env->LockFile(options.data_dir + "/LOCK");
  if (!lock.ok()) return lock.status();
  n->lock_ = std::move(*lock);
  FTZ_RETURN_IF_ERROR(n->CheckMode());
  auto ledger =
      LedgerWriter::Open(options.data_dir, options.ledger_origin, {options.witnesses, metrics});
  if (!ledger.ok()) return ledger.status();
  n->ledger_ = std::move(*ledger);
  auto rm = store::ReadModel::Open(options.data_dir + "/readmodel.sqlite");
  if (!rm.ok()) return rm.status();
  n->read_model_ = std::move(*rm);
  FTZ_RETURN_IF_ERROR(n->Recover());
  n->recovered_ = true;
  // The rules file this start runs with goes into the log when it is not the
  // one the log last recorded (the first start, or a changed file): records
  // from here on are decided under it, and a replay knows it.
  std::optional<engine::AdminRecord> start_rules;
  if (options.clearance) {
    const std::string_view file =
        options.rules_toml.empty() ? engine::DefaultRulesToml() : options.rules_toml;
    if (n->engine_.logged_start_rules() != file) {
      start_rules.emplace();
      start_rules->kind = engine::AdminRecord::kStartRules;
      start_rules->operator_id = "ftzport serve";
      start_rules->rules_toml = std::string(file);
    }
  }
  Node* self = n.get();
  // Named threads, so `top -H` and perf show who does what.
  n->ledger_->Start();
  n->sequencer_ = std::thread([self] {
    pthread_setname_np(pthread_self(), "ftz-sequencer");
    self->SequencerLoop();
  });
  n->commit_thread_ = std::thread([self] {
    pthread_setname_np(pthread_self(), "ftz-commit");
    self->CommitLoop();
  });
  n->read_model_thread_ = std::thread([self] {
    pthread_setname_np(pthread_self(), "ftz-readmodel");
    self->ReadModelLoop();
  });
  if (start_rules) {
    Submission sub;
    sub.admin = std::move(start_rules);
    std::promise<Status> logged;
    n->Submit(std::move(sub), [&logged](SubmitResult r) { logged.set_value(r.status); });
    FTZ_RETURN_IF_ERROR(logged.get_future().get());
  }
  // Registered last: a Node that failed to open must leave no gauge behind.
  metrics->AddGauge("ftz_log_next_seq",
                    "Next log sequence number (records appended, durable or not yet)",
                    [self] { return static_cast<double>(self->log_->next_seq()); });
  metrics->AddGauge("ftz_log_durable_seq",
                    "Log records made durable (fdatasync done; all acknowledged ones)",
                    [self] { return static_cast<double>(self->log_->durable_seq()); });
  metrics->AddCounterFunc("ftz_log_written_bytes_total", "Bytes written to the log by this process",
                          [self] { return static_cast<double>(self->log_->bytes_written()); });
  metrics->AddGauge("ftz_read_model_lag_records", "Log records not yet in the read model",
                    [self] { return static_cast<double>(self->read_model_lag()); });
  metrics->AddGauge("ftz_read_model_failed",
                    "1 after a read-model write failed (queries stale until a restart)",
                    [self] { return self->rm_failed_.load() ? 1.0 : 0.0; });
  metrics->AddGauge("ftz_intake_stopped", "1 after a failed fdatasync stopped intake",
                    [self] { return self->stopped_.load() ? 1.0 : 0.0; });
  metrics->AddGauge("ftz_engine_documents", "Documents held in the engine's state",
                    [self] { return static_cast<double>(self->engine_documents_.load()); });
  // (The ledger writer's, here too: registered by LedgerWriter::Open, it
  // outlived a writer whose node then failed to open.)
  metrics->AddGauge("ftz_ledger_checkpoint_size", "Tree size of the latest checkpoint",
                    [self] { return static_cast<double>(self->ledger_->checkpoint().size); });
  metrics->AddGauge("ftz_ledger_failed",
                    "1 after the ledger could not write its tiles or sign (until a restart)",
                    [self] { return self->ledger_failed() ? 1.0 : 0.0; });
  return n;
}

Node::~Node() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    shutting_down_ = true;
  }
  cv_.notify_all();
  if (sequencer_.joinable()) sequencer_.join();
  {
    std::lock_guard<std::mutex> lock(mu_);
    commit_stop_ = true;
  }
  commit_cv_.notify_all();
  if (commit_thread_.joinable()) commit_thread_.join();
  // Every record appended was made durable by the last commit, so
  // the state is exactly the log's: the next start replays nothing. Not after
  // a failed Sync: the engine then holds records the log may not; nor after
  // a refused start (the state may be half rebuilt, and writing a snapshot
  // would prune an older good one).
  if (log_ && recovered_ && !stopped_ && options_.snapshot_on_close &&
      log_->next_seq() > snapshot_seq_) {
    TakeSnapshot(/*wait=*/true);
  }
  if (snapshot_writer_.joinable()) snapshot_writer_.join();
  {
    std::lock_guard<std::mutex> lock(rm_mu_);
    rm_stop_ = true;
  }
  rm_cv_.notify_all();
  if (read_model_thread_.joinable()) read_model_thread_.join();
}

Status Node::CheckMode() {
  const std::string path = options_.data_dir + "/MODE";
  const std::string mode = options_.clearance ? "clearance\n" : "intake-only\n";
  if (options_.env->FileExists(path)) {
    auto have = options_.env->ReadFile(path);
    if (!have.ok()) return have.status();
    if (*have != mode) {
      return Status::FailedPrecondition(
          "data directory " + options_.data_dir + " was written in mode '" +
          have->substr(0, have->find('\n')) + "', not '" + mode.substr(0, mode.size() - 1) +
          "': replaying it in another mode would decide differently");
    }
    return Status::Ok();
  }
  // Written whole, then renamed: a start cut off here leaves no MODE (or
  // its temporary file, made again now), never an empty one that would
  // refuse every later start.
  const std::string tmp = path + ".tmp";
  if (options_.env->FileExists(tmp)) FTZ_RETURN_IF_ERROR(options_.env->RemoveFile(tmp));
  Status st;
  if (auto f = options_.env->NewAppendableFile(tmp); !f.ok()) {
    st = f.status();
  } else if (st = (*f)->Append(mode);
             st.ok() && (st = (*f)->Sync()).ok() && (st = (*f)->Close()).ok()) {
    st = options_.env->RenameFile(tmp, path);
  }
  if (!st.ok()) {
    (void)options_.env->RemoveFile(tmp);
    return st;
  }
  return options_.env->SyncDir(options_.data_dir);
}

Status Node::Recover() {
  // A snapshot being written when the process died stays as its .tmp file.
  RemoveSnapshotLeftovers(options_.env, options_.data_dir);
  uint64_t rm_from = read_model_->applied_seq();
  // The newest snapshot written, whether or not it is used below.
  const std::vector<uint64_t> snapshots = ListSnapshots(options_.env, options_.data_dir);
  const uint64_t newest_snapshot = snapshots.empty() ? 0 : snapshots.front();
  {
    // The read model holds only records the log had made durable: one ahead
    // of the log means acknowledged records are gone from it (cut, or an
    // older copy restored). Nothing is guessed: the start is refused, and
    // nothing here has changed yet. Only the segment holding record
    // rm_from - 1 is read.
    bool present = rm_from == 0;
    if (!present) {
      // A missing log counts as not holding it; a damaged one is reported
      // as such (not as records missing).
      Status scan = stream::Log::Scan(options_.env, options_.data_dir + "/log", rm_from - 1,
                                      [&](const stream::Record& r) {
                                        present |= r.seq == rm_from - 1;
                                        return Status::Ok();
                                      });
      if (!present && scan.code() == StatusCode::kCorruption) return scan;
    }
    if (!present) {
      return Status::Corruption(
          "the read model has seen " + std::to_string(rm_from) +
          " records but the log holds fewer: acknowledged records are missing from the log "
          "(if an older copy of the log was restored on purpose, move " +
          options_.data_dir + "/readmodel.sqlite aside to rebuild it from this log)");
    }
  }
  store::Batch batch;
  Replayer replayer(&engine_);
  // Start from the newest snapshot the read model has seen past: the rows of
  // earlier records are then in the read model already.
  {
    const uint64_t snap = LoadSnapshot(snapshots, rm_from);
    if (snap > 0) replayer.StartAt(snap, last_time_);
    recovery_.snapshot_seq = snapshot_seq_ = snap;
  }
  auto flush = [&](uint64_t next) -> Status {
    if (next <= rm_from) return Status::Ok();
    batch.next_seq = next;
    FTZ_RETURN_IF_ERROR(read_model_->Apply(batch));
    recovery_.read_model_caught_up += batch.documents.size() + batch.receipts.size();
    batch = store::Batch();
    return Status::Ok();
  };
  auto on_applied = [&](const stream::Record& r, const Message* m, const engine::Outcome& o) {
    if (r.seq >= rm_from) AddDocumentRows(m, o, r.seq, r.time, &batch);
  };
  auto on_receipt = [&](const stream::Record& r, const engine::ReceiptRecord& rr) {
    if (r.seq >= rm_from) {
      batch.receipts.push_back(
          {r.seq, std::string(rr.cop_code), ReceiptTypeOf(rr.xml), rr.answers_seq, r.time});
    }
  };
  auto visit = [&](const stream::Record& r) -> Status {
    if (options_.stop_recovery != nullptr &&
        options_.stop_recovery->load(std::memory_order_relaxed)) {
      return Status::Unavailable("recovery stopped at log record " + std::to_string(r.seq));
    }
    FTZ_RETURN_IF_ERROR(replayer.Visit(r, on_applied, on_receipt));
    // The ledger catches up with the log (it may lag by the last second).
    if (r.seq == ledger_->size()) {
      FTZ_RETURN_IF_ERROR(ledger_->Append(RecordLeaf(r.type, r.seq, r.time, r.payload)));
    }
    if (batch.documents.size() + batch.receipts.size() >= 20000) return flush(r.seq + 1);
    return Status::Ok();
  };
  // Records before the snapshot and already in the ledger need not be read.
  auto log = stream::Log::Open(options_.env, options_.data_dir + "/log", options_.log, visit,
                               &recovery_.log, std::min(snapshot_seq_, ledger_->size()));
  if (!log.ok()) return log.status();
  log_ = std::move(*log);
  if (log_->next_seq() < newest_snapshot) {
    // Snapshots are written only after the log has made their records
    // durable: a log shorter than one lost acknowledged records (even when
    // that snapshot is not the one used).
    return Status::Corruption("the engine snapshot covers " + std::to_string(newest_snapshot) +
                              " records but the log holds only " +
                              std::to_string(log_->next_seq()) +
                              "; acknowledged records are missing (move " + options_.data_dir +
                              "/snapshots aside to start from the log alone)");
  }
  // The ledger caught up with the log while it was read; one holding more
  // leaves, or a tree smaller than the checkpoint last published, means the
  // log lost records that were acknowledged and published. Checked before
  // anything is written, so a refused start leaves the log as it found it
  // (the torn tail aside).
  if (ledger_->size() != log_->next_seq()) {
    return Status::Corruption("the ledger holds " + std::to_string(ledger_->size()) +
                              " leaves but the log " + std::to_string(log_->next_seq()) +
                              " records: acknowledged records are missing from the log");
  }
  FTZ_RETURN_IF_ERROR(ledger_->CheckNothingPublishedIsMissing());
  last_time_ = std::max(last_time_, replayer.last_time());
  recovery_.messages_replayed = replayer.messages();
  recovery_.receipts_checked = replayer.receipts_checked();
  recovery_.receipt_mismatches = replayer.mismatches();
  // A crash can cut a batch after a message but before its receipts (nobody
  // was answered: the batch never synced). Replay regenerated them: log them
  // now, so every logged message has its receipts in the log.
  for (const Replayer::Owed& e : replayer.owed()) {
    uint64_t seq = AppendRecord(stream::RecordType::kReceipt, last_time_,
                                engine::EncodeReceiptRecord({e.answers, e.cop_code, e.xml}));
    batch.receipts.push_back({seq, e.cop_code, ReceiptTypeOf(e.xml), e.answers, last_time_});
    ++recovery_.receipts_restored;
  }
  WrittenBatch restored;
  FTZ_RETURN_IF_ERROR(WritePending(&restored));
  FTZ_RETURN_IF_ERROR(log_->SyncWritten());
  std::vector<ledger::Hash> leaves;
  AppendLeaves(restored, &leaves);
  for (const ledger::Hash& leaf : leaves) FTZ_RETURN_IF_ERROR(ledger_->Append(leaf));
  FTZ_RETURN_IF_ERROR(ledger_->MaybeCheckpoint(/*force=*/true));
  FTZ_RETURN_IF_ERROR(flush(log_->next_seq()));
  rm_applied_ = std::max(rm_from, log_->next_seq());
  PublishRules();
  engine_documents_ = engine_.DocumentCount();
  return Status::Ok();
}

void Node::Submit(Submission submission, std::function<void(SubmitResult)> done) {
  // Allocated here, on the submitting thread, as everything in it was: it
  // comes back in SubmitResult::submission to be freed there too.
  auto s = std::make_unique<Submission>(std::move(submission));
  if (!s->admin) {
    s->record = engine::EncodeMessageRecord({s->syntax, s->caller, s->body});
    s->record_digest = ledger::Sha256(s->record);
    s->body = std::string();  // the record holds it now
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!stopped_ && !shutting_down_) {
      pending_.emplace_back(std::move(s), std::move(done));
      cv_.notify_one();
      return;
    }
  }
  SubmitResult r;
  r.status = Status::Unavailable(
      "intake has stopped: a log write could not be made durable; "
      "restart the server to recover");
  done(std::move(r));
}

void Node::FailAll(std::deque<Pending>* q, const std::string& why) {
  for (auto& [s, done] : *q) {
    SubmitResult r;
    r.status = Status::Unavailable(why);
    r.submission = std::move(s);
    done(std::move(r));
  }
  q->clear();
}

uint64_t Node::AppendRecord(stream::RecordType type, UnixMillis time, std::string_view payload) {
  const uint64_t seq = log_->Append(type, time, payload);
  pending_digests_.emplace_back();  // hashed on the ledger's thread
  return seq;
}

uint64_t Node::AppendRecord(stream::RecordType type, UnixMillis time, std::string_view payload,
                            const ledger::Hash& payload_digest) {
  const uint64_t seq = log_->Append(type, time, payload);
  pending_digests_.emplace_back(payload_digest);
  return seq;
}

void Node::AppendEmitted(const engine::Outcome& o, uint64_t answers, UnixMillis time,
                         store::Batch* rm) {
  for (const engine::Emitted& e : o.emitted) {
    std::string xml = ceb::EncodeReceiptXml(e.receipt);
    uint64_t seq = AppendRecord(stream::RecordType::kReceipt, time,
                                engine::EncodeReceiptRecord({answers, e.cop_code, xml}));
    rm->receipts.push_back({seq, e.cop_code, MessageNumber(e.receipt.type), answers, time});
  }
}

Status Node::WritePending(WrittenBatch* out) {
  FTZ_RETURN_IF_ERROR(log_->Write(&out->bytes));
  out->digests = std::move(pending_digests_);
  pending_digests_.clear();
  return Status::Ok();
}

void Node::SequencerLoop() {
  // The batch being applied: it grows while the batch before it is being
  // made durable, and is written as soon as that one is. So a batch holds
  // what arrived during one fdatasync, as in a plain group commit, but the
  // engine's work on it is done by then.
  std::unique_ptr<Commit> batch;
  for (;;) {
    std::deque<Pending> work;
    bool tick = false, can_write = false;
    std::optional<std::string> stopped_why;
    {
      std::unique_lock<std::mutex> lock(mu_);
      const size_t held = batch ? batch->work.size() : 0;
      // Wake for work (while the batch has room), for the batch in flight
      // to be durable, or every 100 ms to see whether a waiting list's
      // deadline has passed (deadlines act through logged tick records).
      // Shutting down wakes it too, but not while its batch waits for the
      // one in flight (that would spin until the fdatasync ends).
      cv_.wait_for(lock, std::chrono::milliseconds(100), [&] {
        return stopped_ || (shutting_down_ && (!batch || in_flight_ == nullptr)) ||
               (!pending_.empty() && held < options_.max_batch) || (batch && in_flight_ == nullptr);
      });
      if (stopped_) {
        stopped_why = stop_reason_;
        work = std::move(pending_);
        pending_.clear();
      } else {
        if (pending_.empty() && shutting_down_ && !batch) break;
        const UnixMillis due = engine_.NextDeadline();
        tick = due != 0 && options_.env->NowMillis() >= due;
        const size_t n = std::min(pending_.size(), options_.max_batch - held);
        for (size_t i = 0; i < n; ++i) {
          work.push_back(std::move(pending_.front()));
          pending_.pop_front();
        }
        can_write = in_flight_ == nullptr;
      }
    }
    if (stopped_why) {
      // A write or fdatasync failed: what is applied or queued fails too
      // (answered outside the lock: an answer may submit again).
      if (batch) FailAll(&batch->work, *stopped_why);
      FailAll(&work, *stopped_why);
      break;
    }
    if (!work.empty() || tick) {
      if (!batch) {
        batch = std::make_unique<Commit>();
        batch->written.bytes = ledger_->SpareBuffer();
      }
      ApplyRound(std::move(work), tick, batch.get());
    }
    if (!batch || !can_write) continue;
    // One batch in flight: the log's file is the commit thread's while it
    // syncs, so this one is written only now that the one before is durable.
    if (Status st = WritePending(&batch->written); !st.ok()) {
      StopIntake(st);
      continue;  // fails the batch and the queue above
    }
    batch->rm.next_seq = log_->next_seq();
    // Readers see a new rules version only once its record is durable: the
    // commit thread publishes this copy then (the engine is this thread's).
    if (batch->rules_changed && engine_.rules() != nullptr) {
      batch->rules = std::make_shared<clearance::RuleBook>(*engine_.rules());
    }
    engine_documents_ = engine_.DocumentCount();
    {
      std::lock_guard<std::mutex> lock(mu_);
      in_flight_ = std::move(batch);
    }
    commit_cv_.notify_one();
    // (Not while the previous snapshot is still being written: TakeSnapshot
    // would skip it, and waiting for each commit until then would stop the
    // pipeline for seconds.)
    if (options_.snapshot_every != 0 && !snapshot_writing_.load() &&
        log_->next_seq() - snapshot_seq_ >= options_.snapshot_every && WaitForCommit()) {
      TakeSnapshot(/*wait=*/false);
    }
  }
  // Whatever is in flight is answered before the node closes.
  WaitForCommit();
}

void Node::ApplyRound(std::deque<Pending> work, bool tick, Commit* batch) {
  // One time for the round, never going backwards even if the wall clock does.
  const UnixMillis time = std::max(last_time_, options_.env->NowMillis());
  last_time_ = time;
  store::Batch& rm = batch->rm;
  std::vector<SubmitResult>& results = batch->results;
  if (results.empty()) results.reserve(work.size());  // later rounds grow it geometrically
  if (tick) {
    const uint64_t seq = AppendRecord(stream::RecordType::kTick, time, "");
    engine::Outcome o = engine_.Tick(seq, time);
    AddDocumentRows(nullptr, o, seq, time, &rm);
    AppendEmitted(o, seq, time, &rm);
  }
  for (size_t w = 0; w < work.size(); ++w) {
    Submission& s = *work[w].first;
    // The next message's state is fetched while this one is applied.
    if (w + 1 < work.size() && !work[w + 1].first->admin)
      engine_.Prefetch(work[w + 1].first->message);
    SubmitResult r;
    const uint64_t seq = log_->next_seq();
    if (s.admin) {
      // An operator's command: logged, then applied; its answer is a status.
      auto o = engine_.ApplyAdmin(seq, time, *s.admin);
      if (!o.ok()) {
        r.status = o.status();
      } else {
        r.logged = true;
        r.accepted = 1;
        r.message_seq =
            AppendRecord(stream::RecordType::kAdmin, time, engine::EncodeAdminRecord(*s.admin));
        AddDocumentRows(nullptr, *o, r.message_seq, time, &rm);
        AppendEmitted(*o, r.message_seq, time, &rm);
        batch->rules_changed |= s.admin->kind == engine::AdminRecord::kRules ||
                                s.admin->kind == engine::AdminRecord::kStartRules;
      }
      results.push_back(std::move(r));
      continue;
    }
    engine::Outcome o = engine_.Apply(seq, time, s.message);
    r.accepted = o.accepted;
    r.refused = o.refused;
    if (o.accepted == 0) {
      // Not logged, so its sequence number will be reused: give the receipt
      // a guid of its own (unlogged receipts need not replay).
      o.receipt.guid = ceb::DeriveGuid("unlogged:" + std::to_string(unlogged_receipts_++) + ":" +
                                       std::to_string(time) + ":" + s.message.guid);
    }
    r.receipt_xml = ceb::EncodeReceiptXml(o.receipt);
    if (o.accepted > 0) {
      r.logged = true;
      r.message_seq = AppendRecord(stream::RecordType::kMessage, time, s.record, s.record_digest);
      r.receipt_seq = AppendRecord(stream::RecordType::kReceipt, time,
                                   engine::EncodeReceiptRecord({seq, o.cop_code, r.receipt_xml}));
      AddDocumentRows(&s.message, o, r.message_seq, time, &rm);
      rm.receipts.push_back(
          {r.receipt_seq, o.cop_code, MessageNumber(o.receipt.type), r.message_seq, time});
      AppendEmitted(o, r.message_seq, time, &rm);
    }
    if (s.want_receipt) r.receipt = std::move(o.receipt);
    results.push_back(std::move(r));
  }
  for (Pending& p : work) batch->work.push_back(std::move(p));
}

bool Node::WaitForCommit() {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait(lock, [&] { return in_flight_ == nullptr; });
  return !stopped_;
}

void Node::StopIntake(const Status& why) {
  // Never retry a failed write or fdatasync: the kernel may have dropped the
  // dirty pages, so a later success would prove nothing (docs/errors.md).
  std::fprintf(stderr, "ftzport: FATAL: %s; intake stopped\n", why.ToString().c_str());
  {
    std::lock_guard<std::mutex> lock(mu_);
    // (The client reads the kind of failure; its file and path are the
    // operator's, on stderr above.)
    stop_reason_ = "intake stopped: the log could not be made durable (" +
                   std::string(StatusCodeName(why.code())) +
                   "); the outcome of this message is unknown: resend it after the "
                   "server restarts (a duplicate receipt then means it was recorded)";
    stopped_ = true;
  }
  cv_.notify_all();
}

void Node::CommitLoop() {
  for (;;) {
    Commit* batch = nullptr;
    {
      std::unique_lock<std::mutex> lock(mu_);
      commit_cv_.wait(lock, [&] { return commit_stop_ || in_flight_ != nullptr; });
      if (in_flight_ == nullptr) return;  // stopping, nothing in flight
      batch = in_flight_.get();           // stays in flight (the sequencer waits) until done
    }
    Complete(batch);
    std::unique_ptr<Commit> done;
    {
      std::lock_guard<std::mutex> lock(mu_);
      done = std::move(in_flight_);
    }
    cv_.notify_all();
  }
}

void Node::Complete(Commit* c) {
  // A round whose every message was refused wrote no record: no batch, no
  // fdatasync worth timing (every record appended has its ledger leaf).
  const bool wrote = !c->written.digests.empty();
  auto t0 = Clock::now();
  Status st = log_->SyncWritten();
  if (wrote) sync_seconds_->Observe(std::chrono::duration<double>(Clock::now() - t0).count());
  if (!st.ok()) {
    StopIntake(st);
    FailAll(&c->work, StopReason());
    return;
  }
  if (c->rules_changed) PublishRules(std::move(c->rules));
  ledger_->Enqueue(std::move(c->written));
  if (wrote) {
    batches_->Add();
    batch_size_->Observe(static_cast<double>(c->work.size()));
  }
  for (size_t i = 0; i < c->work.size(); ++i) {
    SubmitResult& r = c->results[i];
    // CEB messages only: an operator's command (goods-in, rules) is not one.
    if (!c->work[i].first->admin) {
      (r.logged ? messages_accepted_ : messages_refused_)->Add();
      documents_accepted_->Add(r.accepted);
      documents_refused_->Add(r.refused);
    }
    r.submission = std::move(c->work[i].first);
    c->work[i].second(std::move(r));
  }
  {
    std::lock_guard<std::mutex> lock(rm_mu_);
    rm_queue_.push_back(std::move(c->rm));
  }
  rm_cv_.notify_one();
}

std::string Node::StopReason() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stop_reason_;
}

void Node::PublishRules() {
  std::shared_ptr<const clearance::RuleBook> view;
  if (engine_.rules() != nullptr) view = std::make_shared<clearance::RuleBook>(*engine_.rules());
  PublishRules(std::move(view));
}

void Node::PublishRules(std::shared_ptr<const clearance::RuleBook> view) {
  std::lock_guard<std::mutex> lock(rules_view_mu_);
  rules_view_ = std::move(view);
}

uint64_t Node::LoadSnapshot(const std::vector<uint64_t>& snapshots, uint64_t max_seq) {
  Env* env = options_.env;
  for (uint64_t seq : snapshots) {
    const std::string path = SnapshotPath(options_.data_dir, seq);
    auto skip = [&](const std::string& why) {
      recovery_.snapshots_skipped.push_back(path + ": " + why);
      std::fprintf(stderr, "ftzport: not using snapshot %s: %s\n", path.c_str(), why.c_str());
    };
    if (seq > max_seq) {
      skip("the read model has seen only " + std::to_string(max_seq) + " records");
      continue;
    }
    auto file = env->ReadFile(path);
    if (!file.ok()) {
      skip(file.status().ToString());
      continue;
    }
    SnapshotHeader h;
    std::string_view body;
    if (Status s = DecodeSnapshotFile(*file, &h, &body); !s.ok()) {
      skip(s.message());
      continue;
    }
    if (h.seq != seq || h.schema != engine::Engine::SnapshotSchema() ||
        h.clearance != options_.clearance) {
      skip("written by another version or mode (schema " + std::to_string(h.schema) + ")");
      continue;
    }
    if (Status s = engine_.RestoreSnapshot(body); !s.ok()) {
      skip(s.ToString());
      continue;
    }
    last_time_ = h.last_time;
    return seq;
  }
  return 0;
}

void Node::TakeSnapshot(bool wait) {
  if (snapshot_writing_.load()) return;
  if (snapshot_writer_.joinable()) snapshot_writer_.join();
  const auto t0 = Clock::now();
  SnapshotHeader h;
  h.schema = engine::Engine::SnapshotSchema();
  h.clearance = options_.clearance;
  h.seq = log_->next_seq();
  h.last_time = last_time_;
  std::string body = engine_.EncodeSnapshot();
  snapshot_seconds_->Observe(std::chrono::duration<double>(Clock::now() - t0).count());
  snapshot_seq_ = h.seq;
  snapshot_writing_ = true;
  auto write = [this, h, body = std::move(body)] {
    // A snapshot only saves start-up time; failing to write one is reported
    // and intake goes on (the log remains the truth).
    if (Status s = WriteSnapshot(options_.env, options_.data_dir, h, body); !s.ok()) {
      std::fprintf(stderr, "ftzport: snapshot at record %llu not written: %s\n",
                   static_cast<unsigned long long>(h.seq), s.ToString().c_str());
    }
    snapshot_writing_ = false;
  };
  if (wait) {
    write();
  } else {
    snapshot_writer_ = std::thread([write = std::move(write)] {
      pthread_setname_np(pthread_self(), "ftz-snapshot");
      write();
    });
  }
}

void Node::ReadModelLoop() {
  Pacer pacer(options_.read_model_commit_interval);
  for (;;) {
    std::deque<store::Batch> q;
    {
      std::unique_lock<std::mutex> lock(rm_mu_);
      rm_cv_.wait(lock, [&] { return rm_stop_ || !rm_queue_.empty(); });
      if (rm_queue_.empty()) return;
    }
    // At most one commit per interval: what the sequencer queues meanwhile
    // joins this transaction (core/pacer.h).
    pacer.Wait();
    {
      std::lock_guard<std::mutex> lock(rm_mu_);
      q.swap(rm_queue_);
    }
    // Merge queued batches into one transaction: the read model keeps up by
    // committing less often when it falls behind.
    store::Batch merged;
    std::set<std::string> cops;
    for (store::Batch& b : q) {
      merged.next_seq = b.next_seq;
      for (auto& d : b.documents) merged.documents.push_back(std::move(d));
      for (auto& q : b.quota) merged.quota.push_back(std::move(q));
      for (auto& l : b.stock) merged.stock.push_back(std::move(l));
      for (auto& r : b.receipts) {
        cops.insert(r.cop_code);
        merged.receipts.push_back(std::move(r));
      }
    }
    // After a failed write the read model stops where it was, so that a
    // restart catches it up from the log instead of skipping the lost batch.
    Status st = rm_failed_ ? Status::Unavailable("stopped after an earlier failure")
                           : read_model_->Apply(merged);
    if (!st.ok()) {
      if (!rm_failed_) {
        std::fprintf(stderr,
                     "ftzport: read model: %s; it stops here and catches up from the log "
                     "at the next start\n",
                     st.ToString().c_str());
      }
      rm_failed_ = true;
      continue;
    }
    read_model_commits_->Add();
    rm_applied_ = merged.next_seq;
    std::vector<std::string> list(cops.begin(), cops.end());
    std::vector<std::function<void(const std::vector<std::string>&)>> ls;
    {
      std::lock_guard<std::mutex> lock(rm_mu_);
      ls = listeners_;
    }
    for (auto& l : ls) l(list);
  }
}

void Node::AddReceiptListener(std::function<void(const std::vector<std::string>&)> listener) {
  std::lock_guard<std::mutex> lock(rm_mu_);
  listeners_.push_back(std::move(listener));
}

uint64_t Node::read_model_lag() const {
  uint64_t durable = log_->durable_seq(), applied = rm_applied_.load();
  return durable > applied ? durable - applied : 0;
}

}  // namespace ftz::node
