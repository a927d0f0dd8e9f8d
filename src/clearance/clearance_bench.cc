// Clearance decisions per second on one core, documents already decoded, with
// 1,000,000 buyers in the quota book; and the quota book's memory per buyer.
//
//   cmake -S . -B build/clearance-rel -G Ninja -DCMAKE_BUILD_TYPE=Release -DFTZ_SANITIZE=OFF
//   cmake --build build/clearance-rel --target clearance_bench -j2
//   ./build/clearance-rel/src/clearance/clearance_bench      (from the repository root)
//
// Rules: data/rules/default.toml (random selection at its default rates, so
// about 0.7% of lists go to review or inspection, as in production).
#include <benchmark/benchmark.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "clearance/clearance.h"
#include "clearance/test_documents.h"

namespace ftz::clearance {
namespace {

constexpr int kBuyers = 1'000'000;
// The engine decides a list right after decoding it, so its documents are in
// cache: a small ring of document sets, each given the next buyer's ID number
// before its decision (the buyers, and so the quota book, are spread over the
// whole million).
constexpr int kDocumentSets = 256;

std::string Id(int i) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "33010619%010d", i);
  return buf;
}

Rules LoadDefaultRules() {
  namespace fs = std::filesystem;
  fs::path root =
      std::getenv("FTZ_SOURCE_DIR") ? fs::path(std::getenv("FTZ_SOURCE_DIR")) : fs::current_path();
  for (int i = 0; i < 6 && !fs::exists(root / "data/rules/default.toml"); ++i) {
    root = root.parent_path();
  }
  std::ifstream in(root / "data/rules/default.toml");
  std::ostringstream ss;
  ss << in.rdbuf();
  Result<Rules> r = ParseRules(ss.str(), "default.toml");
  if (!r.ok()) {
    std::fprintf(stderr, "rules: %s (run from the repository root)\n",
                 r.status().ToString().c_str());
    std::abort();
  }
  return std::move(*r);
}

// The order, payment and waybill as the engine keeps them (facts.h).
struct DocumentSet {
  OrderFacts order;
  PaymentFacts payment;
  WaybillFacts waybill;
  InventoryList list;
  std::string invt_no;
};

// Writes a buyer's 10 digits over positions 8..17 of a packed ID number.
template <class Facts>
void SetIdDigits(Facts* f, typename Facts::Text field, const char* digits) {
  std::string bytes = f->text.bytes();
  bytes.replace(f->fields[field].begin + 8, 10, digits, 10);
  f->text = PackedText::FromBytes(std::move(bytes));
}

struct Fixture {
  Rules rules = LoadDefaultRules();
  QuotaBook quota;
  bonded::BondedAccounts stock;
  std::vector<DocumentSet> sets;

  explicit Fixture(int lines) {
    quota.Reserve(kBuyers);
    for (int i = 0; i < kBuyers; ++i) {
      Status st = quota.Add({Id(i), 2026, kMoneyCounter, Decimal::FromInt(100 + i % 5000), 1});
      if (!st.ok()) std::abort();
    }
    const char* specs[] = {"0402100000*2@15", "3304100000*1@12", "2106909090*3@5"};
    sets.reserve(kDocumentSets);
    for (int i = 0; i < kDocumentSets; ++i) {
      testing::Purchase p;
      p.name = StrCat({"B", std::to_string(i)});
      p.buyer_id = Id(i);
      p.freight = Decimal::FromInt(1);
      std::string spec;
      for (int k = 0; k < lines; ++k) {
        if (k) spec += ",";
        spec += specs[k % 3];
      }
      if (!testing::ParseLines(spec, &p.lines).ok()) std::abort();
      DocumentSet s{OrderFacts::Of(testing::BuildOrder(p, 0)),
                    PaymentFacts::Of(testing::BuildPayment(p, 0)),
                    WaybillFacts::Of(testing::BuildWaybill(p, 0)), testing::BuildList(p, 0),
                    MakeInvtNo("2900", 2026, static_cast<uint64_t>(i))};
      sets.push_back(std::move(s));
    }
  }
};

// The n-th list's documents: the next set of the ring, with buyer n·7919 mod 1M.
const DocumentSet& Next(Fixture& f, size_t n) {
  DocumentSet& s = f.sets[n % kDocumentSets];
  // Id(k) = "33010619" + 10 digits of k: write the digits in place.
  char digits[10];
  uint64_t k = (n * 7919) % kBuyers;
  for (int i = 9; i >= 0; --i, k /= 10) digits[i] = static_cast<char>('0' + k % 10);
  s.list.head.buyerIdNumber.replace(8, 10, digits, 10);
  // The packed copies: one string copy each, a little more than the digits.
  SetIdDigits(&s.order, OrderFacts::kBuyerIdNumber, digits);
  SetIdDigits(&s.payment, PaymentFacts::kPayerIdNumber, digits);
  return s;
}

Fixture& GetFixture(int lines) {
  static Fixture one(1);
  if (lines == 1) return one;
  static Fixture three(3);
  return three;
}

// Decide + apply the effects, as the engine does for each list.
void BM_DecideAndApply(benchmark::State& state) {
  Fixture& f = GetFixture(static_cast<int>(state.range(0)));
  UnixMillis at = *ParseCstDate("2026-06-01");
  size_t i = 0;
  int64_t released = 0;
  for (auto _ : state) {
    const DocumentSet& s = Next(f, i++);
    ClearanceInput in{&s.list, &s.order, &s.payment, &s.waybill, at, s.invt_no};
    Decision d = Decide(in, f.quota, f.stock, f.rules, at);
    released += d.outcome == Outcome::kReleased;
    if (!ApplyDecision(d, &f.quota, &f.stock).ok()) state.SkipWithError("apply failed");
    benchmark::DoNotOptimize(d);
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["released_share"] =
      benchmark::Counter(static_cast<double>(released) / static_cast<double>(state.iterations()));
  state.counters["buyers"] = static_cast<double>(f.quota.buyers());
}
BENCHMARK(BM_DecideAndApply)->Arg(1)->Arg(3)->Unit(benchmark::kNanosecond);

// The same, as an engine deciding a batch would run it: while deciding one
// list it prefetches the quota slot of the next (QuotaBook::Prefetch).
void BM_DecideAndApplyPipelined(benchmark::State& state) {
  Fixture& f = GetFixture(static_cast<int>(state.range(0)));
  UnixMillis at = *ParseCstDate("2026-06-01");
  size_t i = 0;
  const DocumentSet* cur = &Next(f, i);
  for (auto _ : state) {
    const DocumentSet* next = &Next(f, i + 1);
    f.quota.Prefetch(next->list.head.buyerIdNumber);
    ClearanceInput in{&cur->list, &cur->order, &cur->payment, &cur->waybill, at, cur->invt_no};
    Decision d = Decide(in, f.quota, f.stock, f.rules, at);
    if (!ApplyDecision(d, &f.quota, &f.stock).ok()) state.SkipWithError("apply failed");
    benchmark::DoNotOptimize(d);
    cur = next;
    ++i;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_DecideAndApplyPipelined)->Arg(1)->Arg(3)->Unit(benchmark::kNanosecond);

// The pure decision only (quota untouched).
void BM_DecideOnly(benchmark::State& state) {
  Fixture& f = GetFixture(1);
  UnixMillis at = *ParseCstDate("2026-06-01");
  size_t i = 0;
  for (auto _ : state) {
    const DocumentSet& s = Next(f, i++);
    ClearanceInput in{&s.list, &s.order, &s.payment, &s.waybill, at, s.invt_no};
    benchmark::DoNotOptimize(Decide(in, f.quota, f.stock, f.rules, at));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_DecideOnly)->Unit(benchmark::kNanosecond);

void BM_QuotaLookup(benchmark::State& state) {
  Fixture& f = GetFixture(1);
  std::vector<std::string> ids;
  for (int i = 0; i < 4096; ++i) ids.push_back(Id((i * 7919) % kBuyers));
  size_t i = 0;
  for (auto _ : state) benchmark::DoNotOptimize(f.quota.Get(ids[i++ & 4095], 2026));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_QuotaLookup);

// Memory of the quota state: N buyers, one year each.
void BM_QuotaMemory(benchmark::State& state) {
  int64_t n = state.range(0);
  double per_buyer = 0, total_mib = 0;
  for (auto _ : state) {
    QuotaBook q;
    q.Reserve(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) {
      Status st = q.Add({Id(static_cast<int>(i)), 2026, kMoneyCounter, Decimal::FromInt(1), 1});
      if (!st.ok()) state.SkipWithError("add failed");
    }
    per_buyer = static_cast<double>(q.MemoryBytes()) / static_cast<double>(n);
    total_mib = static_cast<double>(q.MemoryBytes()) / (1024.0 * 1024.0);
  }
  state.counters["bytes_per_buyer"] = per_buyer;
  state.counters["total_MiB"] = total_mib;
}
BENCHMARK(BM_QuotaMemory)
    ->Arg(1'000'000)
    ->Arg(10'000'000)
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond);

// The longest single Add while the book grows to N buyers, not reserved
// (counter max_add_us): the pause a list waits out when the table it lands
// in doubles. The book grows table by table (quota.h); one table of all
// buyers moved every slot at each doubling.
void BM_QuotaGrowth(benchmark::State& state) {
  const int64_t n = state.range(0);
  std::vector<std::string> ids;
  ids.reserve(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) ids.push_back(Id(static_cast<int>(i)));
  // Then every buyer buys again in the new year: each older year moves from
  // the buyer's slot to the chained counters (max_new_year_add_us).
  double max_us = 0, max_new_year_us = 0;
  auto add_all = [&](QuotaBook* q, int32_t year, double* max) {
    for (const std::string& id : ids) {
      const auto t0 = std::chrono::steady_clock::now();
      Status st = q->Add({id, year, kMoneyCounter, Decimal::FromInt(1), 1});
      const double us =
          std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count();
      if (!st.ok()) state.SkipWithError("add failed");
      if (us > *max) *max = us;
    }
  };
  for (auto _ : state) {
    QuotaBook q;
    add_all(&q, 2026, &max_us);
    add_all(&q, 2027, &max_new_year_us);
  }
  state.counters["max_add_us"] = max_us;
  state.counters["max_new_year_add_us"] = max_new_year_us;
}
BENCHMARK(BM_QuotaGrowth)
    ->Arg(1'000'000)
    ->Arg(10'000'000)
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace ftz::clearance

BENCHMARK_MAIN();
