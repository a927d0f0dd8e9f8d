// Replayer: runs log records through an engine in order and checks that the
// receipts the engine produces now are, byte for byte, the receipts the log
// holds (the engine is deterministic, so any difference is a bug or a rules
// change without a new version). Used at every start (Node) and by
// `ftzport replay`, which reads a data directory without changing it.
//
// Thread safety: one thread.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <string>
#include <vector>

#include "core/documents.h"
#include "engine/engine.h"
#include "engine/records.h"
#include "env/env.h"
#include "stream/log.h"

namespace ftz::node {

struct ReplayMismatch {
  uint64_t seq = 0;    // the receipt record that differs
  std::string logged;  // what the log holds: 300 bytes from a little before
                       // the first difference ("…" where cut)
  std::string replayed;
};

class Replayer {
 public:
  // Called for each message or tick applied, with its outcome.
  using OnApplied =
      std::function<void(const stream::Record&, const Message*, const engine::Outcome&)>;
  // Called for each receipt record read.
  using OnReceipt = std::function<void(const stream::Record&, const engine::ReceiptRecord&)>;

  explicit Replayer(engine::Engine* engine) : engine_(engine) {}

  Status Visit(const stream::Record& r, const OnApplied& applied = {},
               const OnReceipt& receipt = {});

  // A what-if: keep the rules the engine was built with, skipping the start
  // rules the log recorded (kAdmin kind 4), to see which receipts other
  // rules would change.
  void KeepEngineRules() { keep_engine_rules_ = true; }

  // The engine was restored from a snapshot of the records before `seq`:
  // Visit skips those (they are in the state already).
  void StartAt(uint64_t seq, UnixMillis last_time) {
    start_ = seq;
    last_time_ = last_time;
  }

  // Receipts the engine produced that the log does not hold (yet): a crash
  // cut them off. In order: (answers seq, copCode, xml).
  struct Owed {
    std::string xml, cop_code;
    uint64_t answers = 0;
  };
  const std::deque<Owed>& owed() const { return expected_; }

  uint64_t messages() const { return messages_; }
  uint64_t ticks() const { return ticks_; }
  uint64_t receipts_checked() const { return receipts_; }
  uint64_t mismatches() const { return mismatches_; }
  const std::vector<ReplayMismatch>& first_mismatches() const { return first_; }
  UnixMillis last_time() const { return last_time_; }

 private:
  void Expect(const engine::Outcome& o, uint64_t seq, bool own);

  engine::Engine* engine_;
  std::deque<Owed> expected_;
  uint64_t messages_ = 0, ticks_ = 0, receipts_ = 0, mismatches_ = 0;
  std::vector<ReplayMismatch> first_;
  UnixMillis last_time_ = 0;
  uint64_t start_ = 0;
  bool keep_engine_rules_ = false;
};

// The CEB message number of a receipt's XML, from its root element (0 if none).
int ReceiptTypeOf(std::string_view xml);

}  // namespace ftz::node
