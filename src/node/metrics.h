// Metrics: counters, gauges and histograms rendered in the Prometheus text
// exposition format (version 0.0.4) for /metrics.
//
// Thread safety: updates are lock-free atomics; registration and Render take a
// mutex. Metrics live as long as the registry.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace ftz::node {

class Counter {
 public:
  void Add(uint64_t n = 1) { v_.fetch_add(n, std::memory_order_relaxed); }
  uint64_t value() const { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> v_{0};
};

// Fixed buckets (upper bounds, in the unit of the metric).
class Histogram {
 public:
  explicit Histogram(std::vector<double> bounds);
  void Observe(double v);
  void Render(const std::string& name, const std::string& labels, std::string* out) const;

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> counts_;  // one per bound, plus +Inf
  std::atomic<uint64_t> count_{0};
  std::atomic<uint64_t> sum_micro_{0};  // sum scaled by 1e6 to stay integral
};

class Registry {
 public:
  // name{labels}; labels like `type="311"` (may be empty). Returned references stay valid.
  Counter& GetCounter(const std::string& name, const std::string& help,
                      const std::string& labels = "");
  Histogram& GetHistogram(const std::string& name, const std::string& help,
                          const std::vector<double>& bounds, const std::string& labels = "");
  // A gauge computed when scraped.
  void AddGauge(const std::string& name, const std::string& help, std::function<double()> read);
  // A counter kept elsewhere and read when scraped (`read` must never
  // decrease while the process runs); the name should end in _total.
  void AddCounterFunc(const std::string& name, const std::string& help,
                      std::function<double()> read);
  std::string Render() const;

 private:
  void AddRead(const std::string& name, const std::string& help, const char* type,
               std::function<double()> read);
  struct Family {
    std::string help, type;
    std::map<std::string, Counter*> counters;
    std::map<std::string, Histogram*> histograms;
    std::function<double()> gauge;  // or a counter read when scraped
  };
  mutable std::mutex mu_;
  std::map<std::string, Family> families_;
  std::deque<Counter> counter_store_;
  std::deque<Histogram> histogram_store_;
};

}  // namespace ftz::node
