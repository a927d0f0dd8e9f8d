// ReceiptFeed: who is waiting for receipts. Long-poll requests and SSE
// streams register here by copCode; when the read model commits receipts for
// an enterprise, its waiters are woken (their callbacks run on the read-model
// thread and must only post work elsewhere). Long-poll waiters also expire at
// their deadline (checked every 50 ms by the feed's own thread).
//
// Thread safety: all methods are safe from any thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace ftz::server {

class ReceiptFeed {
 public:
  using Clock = std::chrono::steady_clock;
  ReceiptFeed();
  // Shutdown(), if not done yet.
  ~ReceiptFeed();

  // Wakes every waiter now with `wake(false)` (as at its deadline), and any
  // that registers later at once: a server stopping answers its long-polls
  // while what their answers read (the Api, the Node) is still there. Call
  // it before destroying those; the feed itself may go later.
  void Shutdown();

  // One-shot waiter: `wake(true)` when receipts arrive for `cop`, or
  // `wake(false)` at the deadline (or at Shutdown); exactly one call.
  void Wait(const std::string& cop, Clock::time_point deadline, std::function<void(bool)> wake);
  // Standing subscriber (SSE): `notify()` on every commit for `cop`.
  uint64_t Subscribe(const std::string& cop, std::function<void()> notify);
  void Unsubscribe(uint64_t id);
  // Standing subscribers now (open event streams).
  size_t subscribers();
  // One-shot waiters now (long-polls not yet woken).
  size_t waiters();

  // Called by the node when receipts were committed for these enterprises.
  void Notify(const std::vector<std::string>& cops);

 private:
  struct Waiter {
    Clock::time_point deadline;
    std::function<void(bool)> wake;
  };
  void ExpireLoop();

  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::multimap<std::string, Waiter> waiters_;
  std::map<uint64_t, std::pair<std::string, std::function<void()>>> subscribers_;
  uint64_t next_id_ = 1;
  std::thread expirer_;
};

}  // namespace ftz::server
