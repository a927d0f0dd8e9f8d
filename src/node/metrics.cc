#include "node/metrics.h"

#include <cstdio>

namespace ftz::node {
namespace {

std::string Num(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.10g", v);
  return buf;
}

std::string Labels(const std::string& labels, const std::string& extra = "") {
  if (labels.empty() && extra.empty()) return "";
  if (labels.empty()) return "{" + extra + "}";
  if (extra.empty()) return "{" + labels + "}";
  return "{" + labels + "," + extra + "}";
}

}  // namespace

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)), counts_(new std::atomic<uint64_t>[bounds_.size() + 1]) {
  for (size_t i = 0; i <= bounds_.size(); ++i) counts_[i] = 0;
}

void Histogram::Observe(double v) {
  size_t i = 0;
  while (i < bounds_.size() && v > bounds_[i]) ++i;
  counts_[i].fetch_add(1, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
  sum_micro_.fetch_add(static_cast<uint64_t>(v * 1e6), std::memory_order_relaxed);
}

void Histogram::Render(const std::string& name, const std::string& labels, std::string* out) const {
  uint64_t cumulative = 0;
  for (size_t i = 0; i < bounds_.size(); ++i) {
    cumulative += counts_[i].load(std::memory_order_relaxed);
    *out += name + "_bucket" + Labels(labels, "le=\"" + Num(bounds_[i]) + "\"") + " " +
            std::to_string(cumulative) + "\n";
  }
  cumulative += counts_[bounds_.size()].load(std::memory_order_relaxed);
  *out +=
      name + "_bucket" + Labels(labels, "le=\"+Inf\"") + " " + std::to_string(cumulative) + "\n";
  *out += name + "_sum" + Labels(labels) + " " + Num(sum_micro_.load() / 1e6) + "\n";
  *out += name + "_count" + Labels(labels) + " " + std::to_string(count_.load()) + "\n";
}

Counter& Registry::GetCounter(const std::string& name, const std::string& help,
                              const std::string& labels) {
  std::lock_guard<std::mutex> lock(mu_);
  Family& f = families_[name];
  f.help = help;
  f.type = "counter";
  auto it = f.counters.find(labels);
  if (it != f.counters.end()) return *it->second;
  counter_store_.emplace_back();
  f.counters[labels] = &counter_store_.back();
  return counter_store_.back();
}

Histogram& Registry::GetHistogram(const std::string& name, const std::string& help,
                                  const std::vector<double>& bounds, const std::string& labels) {
  std::lock_guard<std::mutex> lock(mu_);
  Family& f = families_[name];
  f.help = help;
  f.type = "histogram";
  auto it = f.histograms.find(labels);
  if (it != f.histograms.end()) return *it->second;
  histogram_store_.emplace_back(bounds);
  f.histograms[labels] = &histogram_store_.back();
  return histogram_store_.back();
}

void Registry::AddGauge(const std::string& name, const std::string& help,
                        std::function<double()> read) {
  AddRead(name, help, "gauge", std::move(read));
}

void Registry::AddCounterFunc(const std::string& name, const std::string& help,
                              std::function<double()> read) {
  AddRead(name, help, "counter", std::move(read));
}

void Registry::AddRead(const std::string& name, const std::string& help, const char* type,
                       std::function<double()> read) {
  std::lock_guard<std::mutex> lock(mu_);
  Family& f = families_[name];
  f.help = help;
  f.type = type;
  f.gauge = std::move(read);
}

std::string Registry::Render() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::string out;
  for (const auto& [name, f] : families_) {
    out += "# HELP " + name + " " + f.help + "\n# TYPE " + name + " " + f.type + "\n";
    for (const auto& [labels, c] : f.counters) {
      out += name + Labels(labels) + " " + std::to_string(c->value()) + "\n";
    }
    for (const auto& [labels, h] : f.histograms) h->Render(name, labels, &out);
    if (f.gauge) out += name + " " + Num(f.gauge()) + "\n";
  }
  return out;
}

}  // namespace ftz::node
