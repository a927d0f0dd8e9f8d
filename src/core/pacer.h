// Pacer: lets a loop run at most once per interval. Wait() sleeps out what is
// left of the interval since the previous Wait returned (nothing the first
// time), then returns.
//
// Why: the read model and ledger threads were woken by every group commit;
// at moderate load that is two or three messages each, and their per-pass
// cost (a SQLite commit, a wake-up of the sequencer) dominated. Paced, a pass
// takes everything queued during the interval (docs/performance.md, session
// 10). The thread sleeps rather than waits on its condition variable, so a
// producer's notify meanwhile finds no waiter and costs it no wake-up.
//
// Thread safety: one thread per Pacer. Time is the monotonic clock: pacing is
// scheduling, not a decision, so it does not come from the record.
#pragma once

#include <chrono>
#include <thread>

namespace ftz {

class Pacer {
 public:
  explicit Pacer(std::chrono::steady_clock::duration interval) : interval_(interval) {}

  void Wait() {
    const auto due = last_ + interval_;
    if (std::chrono::steady_clock::now() < due) std::this_thread::sleep_until(due);
    last_ = std::chrono::steady_clock::now();
  }

 private:
  std::chrono::steady_clock::duration interval_;
  std::chrono::steady_clock::time_point last_{};
};

}  // namespace ftz
