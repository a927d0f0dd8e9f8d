// ftz-engine-bench: the engine alone, records already decoded — how many
// inventory lists it decides per second on one core with N buyers in state
// (docs/performance.md; the target: 500,000 lists/s with 1,000,000
// buyers).
//
//   ftz-engine-bench [--buyers 1000000] [--lists 200000]
//
// 1. Warm-up (untimed): one parcel per buyer — order, payment, waybill and
//    list applied through Engine::Apply — so every buyer has quota state
//    and a decided list.
// (Before 1, untimed: what a waiting document and a decided parcel take in
// memory, each in an engine of its own: steps 0 and 0b below.)
// 2. Timed: `--lists` new parcels of the same buyers. Their orders, payments
//    and waybills are applied first (timed apart: what keeping a document
//    until its list comes costs); then the lists, each the
//    document that completes its parcel, are applied and timed: each is a
//    full decision (match, limits and annual quota, positive list, tax,
//    lane) with its receipts built (CEB622 120 + 800/300/500, CEB816).
// The same, with the pure rule core alone (clearance::Decide on the same
// inputs), is src/clearance/clearance_bench.cc.
#include <CLI/CLI.hpp>

#include <malloc.h>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <new>

#include "engine/default_rules.h"
#include "engine/engine.h"
#include "workload/workload.h"

// Heap bytes alive, counted only while `g_counting` (step 0b): every C++
// allocation of the engine (strings, maps, vectors) comes through here.
namespace {
bool g_counting = false;
int64_t g_live_bytes = 0;
uint64_t g_allocations = 0;  // every allocation, counted always (a cheap add)
void* Allocate(size_t n) {
  void* p = std::malloc(n == 0 ? 1 : n);
  if (p == nullptr) throw std::bad_alloc();
  ++g_allocations;
  if (g_counting) g_live_bytes += static_cast<int64_t>(malloc_usable_size(p));
  return p;
}
void Release(void* p) noexcept {
  if (p == nullptr) return;
  if (g_counting) g_live_bytes -= static_cast<int64_t>(malloc_usable_size(p));
  std::free(p);
}
}  // namespace
void* operator new(size_t n) { return Allocate(n); }
void* operator new[](size_t n) { return Allocate(n); }
void operator delete(void* p) noexcept { Release(p); }
void operator delete[](void* p) noexcept { Release(p); }
void operator delete(void* p, size_t) noexcept { Release(p); }
void operator delete[](void* p, size_t) noexcept { Release(p); }

namespace {

size_t ResidentBytes() {
  std::ifstream in("/proc/self/statm");
  size_t pages = 0, resident = 0;
  in >> pages >> resident;
  return resident * 4096;
}

// The two timed steps, each a function of its own so that a profiler can
// count them alone, e.g. instructions per list, which unlike time do not
// move with the machine's load (one command line):
//   valgrind --tool=callgrind --collect-atstart=no
//     --toggle-collect='*KeepWaitingDocuments*' --toggle-collect='*DecideLists*'
//     ftz-engine-bench --buyers 2000 --lists 10000
// then callgrind_annotate --inclusive=yes on its output.

// The engine is told of the next message while it applies this one
// (Engine::Prefetch), as the sequencer does; --compare-prefetch times lists
// with and without that hint, in alternating chunks of one run.
bool no_prefetch = false;

[[gnu::noinline]] void KeepWaitingDocuments(ftz::engine::Engine& e,
                                            const std::vector<std::vector<ftz::Message>>& kinds,
                                            uint64_t& seq, ftz::UnixMillis time) {
  for (const auto& docs : kinds) {
    for (size_t i = 0; i < docs.size(); ++i) {
      if (i + 1 < docs.size() && !no_prefetch) e.Prefetch(docs[i + 1]);
      (void)e.Apply(seq++, time, docs[i]);
    }
  }
}

// Returns the lists decided; counts those released with a tax bill.
[[gnu::noinline]] size_t DecideLists(ftz::engine::Engine& e, const std::vector<ftz::Message>& lists,
                                     uint64_t& seq, ftz::UnixMillis time, size_t* released) {
  size_t decided = 0;
  for (size_t i = 0; i < lists.size(); ++i) {
    const ftz::Message& m = lists[i];
    if (i + 1 < lists.size() && !no_prefetch) e.Prefetch(lists[i + 1]);
    ftz::engine::Outcome o = e.Apply(seq++, time, m);
    decided += o.emitted.empty() ? 0 : 1;
    for (const ftz::engine::Emitted& x : o.emitted) {
      *released += x.receipt.type == ftz::MessageType::kTaxBill;
    }
  }
  return decided;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace ftz;
  CLI::App app{"The clearance engine alone: lists decided per second"};
  size_t buyers = 1'000'000, lists = 200'000;
  // Ranges also catch a negative number, which would wrap in an unsigned option.
  app.add_option("--buyers", buyers, "Buyers in state before timing")
      ->check(CLI::Range(size_t{1}, size_t{1'000'000'000}))
      ->capture_default_str();
  app.add_option("--lists", lists, "Lists decided while timed")
      ->check(CLI::Range(size_t{1}, size_t{1'000'000'000}))
      ->capture_default_str();
  bool compare_prefetch = false;
  app.add_flag("--compare-prefetch", compare_prefetch,
               "Also time lists without Engine::Prefetch, alternating chunks of 2,000");
  CLI11_PARSE(app, argc, argv);

  auto rules = clearance::ParseRules(engine::DefaultRulesToml(), "rules");
  if (!rules.ok()) return std::fprintf(stderr, "%s\n", rules.status().ToString().c_str()), 1;
  clearance::RuleBook book;
  (void)book.Add(std::move(*rules));
  engine::Engine e(&book);
  // The bonded warehouse is stocked before its parcels are declared, as in
  // practice: the 1210 lists (40%) are released, deducting stock, not
  // refused for account lines never loaded.
  auto stock_warehouse = [](engine::Engine& eng, uint64_t* s, UnixMillis at) {
    for (const std::string& rec : workload::Workload::BondedItemRecords()) {
      engine::AdminRecord a;
      a.kind = engine::AdminRecord::kGoodsIn;
      a.ems_no = workload::Workload::kBondedAccount;
      a.item_record_no = rec;
      a.qty = Decimal::FromInt(1'000'000'000'000);
      if (!eng.ApplyAdmin((*s)++, at, a).ok()) std::abort();
    }
  };
  workload::Options wo;
  wo.buyers = buyers;
  wo.seconds_between_parcels = 0;
  workload::Workload w(wo);
  uint64_t seq = 0;
  UnixMillis time = wo.start;
  stock_warehouse(e, &seq, time);
  auto apply_all = [&](const std::vector<workload::Parcel>& ps, MessageType t) {
    for (const Message& m : workload::Workload::Messages(t, ps, 1, seq)) {
      (void)e.Apply(seq++, time, m);
    }
  };
  // 0. What a document costs in memory while it waits for its list: the
  //    orders, payments and waybills of `--lists` parcels in an engine of
  //    their own, counted as heap bytes alive (steps 0 and 0b; resident
  //    memory would not do: the allocator reuses and hands back what was
  //    freed before, and a reading could even fall).
  workload::Workload fresh_parcels(wo);
  std::vector<workload::Parcel> ps;
  for (size_t i = 0; i < lists; ++i) ps.push_back(fresh_parcels.Next());
  std::vector<std::vector<Message>> docs;
  for (MessageType t : {MessageType::kOrder, MessageType::kPayment, MessageType::kWaybill}) {
    docs.push_back(workload::Workload::Messages(t, ps, 1, 0));
  }
  auto fresh = std::make_unique<engine::Engine>(&book);
  g_counting = true;
  uint64_t fresh_seq = 0;
  for (const auto& kind : docs) {
    for (const Message& m : kind) (void)fresh->Apply(fresh_seq++, time, m);
  }
  g_counting = false;
  const double waiting_bytes = static_cast<double>(g_live_bytes) / (3.0 * lists);
  fresh.reset();
  g_live_bytes = 0;
  // 0b. What a decided parcel leaves in the engine: the same parcels, all
  //     four documents a thousand parcels at a time, in an engine of their
  //     own. Each list is decided as it arrives and its three documents are
  //     let go, so what stays is the record of the list and the business
  //     keys that refuse a duplicate.
  docs.push_back(workload::Workload::Messages(MessageType::kInventoryList, ps, 1, 0));
  auto decided_engine = std::make_unique<engine::Engine>(&book);
  uint64_t decided_seq = 0;
  stock_warehouse(*decided_engine, &decided_seq, time);
  g_counting = true;
  for (size_t first = 0; first < lists; first += 1000) {
    for (const auto& kind : docs) {
      for (size_t i = first; i < std::min(lists, first + 1000); ++i) {
        (void)decided_engine->Apply(decided_seq++, time, kind[i]);
      }
    }
  }
  g_counting = false;
  const double decided_bytes = static_cast<double>(g_live_bytes) / static_cast<double>(lists);
  decided_engine.reset();
  size_t released = 0, decided = 0;
  for (size_t done = 0; done < buyers;) {
    std::vector<workload::Parcel> chunk;
    for (size_t i = 0; i < 50'000 && done < buyers; ++i, ++done) chunk.push_back(w.Next());
    for (MessageType t : {MessageType::kOrder, MessageType::kPayment, MessageType::kWaybill,
                          MessageType::kInventoryList}) {
      apply_all(chunk, t);
    }
  }
  const size_t rss_warm = ResidentBytes();
  // The whole process (step 0's engine and messages included): the allocator
  // hands freed pages back, so a difference of two readings would not do.
  std::fprintf(stderr, "warm: %zu buyers in the quota book, %.0f MB resident\n", e.quota().buyers(),
               rss_warm / 1e6);

  std::vector<workload::Parcel> timed;
  for (size_t i = 0; i < lists; ++i) timed.push_back(w.Next());
  // The documents that wait for these lists, applied and timed apart.
  std::vector<std::vector<Message>> waiting;
  for (MessageType t : {MessageType::kOrder, MessageType::kPayment, MessageType::kWaybill}) {
    waiting.push_back(workload::Workload::Messages(t, timed, 1, seq));
  }
  const uint64_t waiting_allocations_before = g_allocations;
  const auto w0 = std::chrono::steady_clock::now();
  KeepWaitingDocuments(e, waiting, seq, time);
  const double waiting_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - w0).count();
  const double allocations_per_waiting_document =
      static_cast<double>(g_allocations - waiting_allocations_before) / (3.0 * lists);
  std::printf(
      "orders, payments, waybills kept to wait for their lists: %.0f documents/s (%.2f us "
      "each, %.1f heap allocations each); %.0f heap bytes each (step 0); a decided parcel keeps "
      "%.0f heap bytes (step 0b)\n",
      3.0 * lists / waiting_s, waiting_s * 1e6 / (3.0 * lists), allocations_per_waiting_document,
      waiting_bytes, decided_bytes);
  const std::vector<Message> msgs =
      workload::Workload::Messages(MessageType::kInventoryList, timed, 1, seq);
  std::fprintf(stderr, "timing %zu lists\n", msgs.size());  // a profiler may attach here
  if (compare_prefetch) {
    // Chunks alternate so that both see the same machine and a state of the
    // same size; each chunk's lists are fresh parcels of the same workload.
    double with_s = 0, without_s = 0;
    size_t with_n = 0, without_n = 0;
    constexpr size_t kChunk = 2000;
    for (size_t at = 0; at < msgs.size(); at += kChunk) {
      const std::vector<Message> chunk(msgs.begin() + at,
                                       msgs.begin() + std::min(msgs.size(), at + kChunk));
      no_prefetch = (at / kChunk) % 2 == 1;
      const auto c0 = std::chrono::steady_clock::now();
      decided += DecideLists(e, chunk, seq, time, &released);
      const double cs =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - c0).count();
      (no_prefetch ? without_s : with_s) += cs;
      (no_prefetch ? without_n : with_n) += chunk.size();
    }
    std::printf("lists/s with Engine::Prefetch %.0f, without %.0f (ratio %.3f)\n", with_n / with_s,
                without_n / without_s, (with_n / with_s) / (without_n / without_s));
    std::fflush(stdout);
    std::_Exit(0);
  }
  const uint64_t allocations_before = g_allocations;
  const auto t0 = std::chrono::steady_clock::now();
  decided = DecideLists(e, msgs, seq, time, &released);
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  // Heap allocations per list: unlike time, a count that does not move with
  // the machine's load (each is a malloc and, later, a free).
  const double allocations_per_list =
      static_cast<double>(g_allocations - allocations_before) / static_cast<double>(msgs.size());
  std::printf(
      "buyers in state %zu, lists %zu (%zu decided, %zu released with a tax bill): %.0f lists/s "
      "(%.2f us each, %.1f heap allocations each); %.0f MB resident after warm-up (whole "
      "process)\n",
      e.quota().buyers(), msgs.size(), decided, released, msgs.size() / s, s * 1e6 / msgs.size(),
      allocations_per_list, rss_warm / 1e6);
  std::printf(
      "RESULT {\"buyers\":%zu,\"lists\":%zu,\"decided\":%zu,\"lists_per_s\":%.0f,"
      "\"waiting_documents_per_s\":%.0f,\"waiting_document_heap_bytes\":%.0f,"
      "\"decided_parcel_heap_bytes\":%.0f,\"allocations_per_list\":%.1f,"
      "\"allocations_per_waiting_document\":%.1f}\n",
      e.quota().buyers(), msgs.size(), decided, msgs.size() / s, 3.0 * lists / waiting_s,
      waiting_bytes, decided_bytes, allocations_per_list, allocations_per_waiting_document);
  // Tearing down millions of map entries takes longer than the timed part;
  // nothing is left to flush but stdout.
  std::fflush(stdout);
  std::_Exit(decided == msgs.size() ? 0 : 1);
}
