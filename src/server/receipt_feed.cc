#include "server/receipt_feed.h"

namespace ftz::server {

ReceiptFeed::ReceiptFeed() : expirer_([this] { ExpireLoop(); }) {}

ReceiptFeed::~ReceiptFeed() {
  Shutdown();
  expirer_.join();
}

void ReceiptFeed::Shutdown() {
  std::vector<std::function<void(bool)>> expired;
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
    for (auto& [cop, w] : waiters_) expired.push_back(std::move(w.wake));
    waiters_.clear();
  }
  cv_.notify_all();
  for (auto& f : expired) f(false);
}

void ReceiptFeed::Wait(const std::string& cop, Clock::time_point deadline,
                       std::function<void(bool)> wake) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!stop_) {
      waiters_.emplace(cop, Waiter{deadline, std::move(wake)});
      return;
    }
  }
  wake(false);  // shut down: answered now, as at its deadline
}

size_t ReceiptFeed::subscribers() {
  std::lock_guard<std::mutex> lock(mu_);
  return subscribers_.size();
}

size_t ReceiptFeed::waiters() {
  std::lock_guard<std::mutex> lock(mu_);
  return waiters_.size();
}

uint64_t ReceiptFeed::Subscribe(const std::string& cop, std::function<void()> notify) {
  std::lock_guard<std::mutex> lock(mu_);
  uint64_t id = next_id_++;
  subscribers_[id] = {cop, std::move(notify)};
  return id;
}

void ReceiptFeed::Unsubscribe(uint64_t id) {
  std::lock_guard<std::mutex> lock(mu_);
  subscribers_.erase(id);
}

void ReceiptFeed::Notify(const std::vector<std::string>& cops) {
  std::vector<std::function<void(bool)>> woken;
  std::vector<std::function<void()>> notified;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const std::string& cop : cops) {
      auto [a, b] = waiters_.equal_range(cop);
      for (auto it = a; it != b; ++it) woken.push_back(std::move(it->second.wake));
      waiters_.erase(a, b);
    }
    for (auto& [id, sub] : subscribers_) {
      for (const std::string& cop : cops) {
        if (sub.first == cop) notified.push_back(sub.second);
      }
    }
  }
  for (auto& f : woken) f(true);
  for (auto& f : notified) f();
}

void ReceiptFeed::ExpireLoop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop_) {
    cv_.wait_for(lock, std::chrono::milliseconds(50));
    auto now = Clock::now();
    std::vector<std::function<void(bool)>> expired;
    for (auto it = waiters_.begin(); it != waiters_.end();) {
      if (it->second.deadline <= now) {
        expired.push_back(std::move(it->second.wake));
        it = waiters_.erase(it);
      } else {
        ++it;
      }
    }
    lock.unlock();
    for (auto& f : expired) f(false);
    lock.lock();
  }
}

}  // namespace ftz::server
