// The read model alone: how much SQLite costs per document as the node feeds
// it, one committed batch at a time (docs/performance.md). Each batch is what
// 100 parcels decided on arrival give the read model: an order, a payment, a
// waybill and a list row, the list's decision as a second row (a status
// update), seven receipt rows, a quota row. Two kinds of keys:
//   /spread:1 — hashed serials: rows land on random B-tree pages, as when
//               many platforms and agents interleave their numbers;
//   /spread:0 — serials in order (what `ftzport gen` sends, nearly): rows
//               are appended at a few places.
// The database grows across iterations, as a window's does.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "store/read_model.h"

namespace ftz::store {
namespace {

// A serial as a key part: as it is (zero-padded), or made to look random.
std::string Serial(uint64_t n, bool spread) {
  if (!spread) {
    std::string s = std::to_string(n);
    return std::string(20 - s.size(), '0') + s;
  }
  // A serial made to look random (splitmix64).
  uint64_t z = n + 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return std::to_string(z ^ (z >> 31));
}

Batch Parcels(uint64_t first, size_t n, bool spread, uint64_t* seq) {
  Batch b;
  const UnixMillis time = 1'767'225'600'000;
  for (uint64_t p = first; p < first + n; ++p) {
    const std::string order = "3301960002/O" + Serial(p, spread);
    auto row = [&](int type, std::string key) {
      DocumentRow r;
      r.type = type;
      r.key = std::move(key);
      r.seq = (*seq)++;
      r.status = 2;
      r.info = "新增申报成功[8D5C2B1A-0E3F-4A6B-9C7D-" + Serial(p, spread).substr(0, 12) + "]";
      r.cop_code = "3301960002";
      r.time = time;
      return r;
    };
    b.documents.push_back(row(311, order));
    b.documents.push_back(row(411, "3301980001/P" + Serial(p, spread)));
    b.documents.push_back(row(511, "3301970001/W" + Serial(p, spread)));
    // The list comes last and is decided as it arrives: one row, with the
    // decision's status (engine::DocumentChange).
    DocumentRow list = row(621, order);
    list.cop_no = "3301960401/C" + Serial(p, spread);
    list.invt_no = "29912026I" + Serial(p, spread).substr(0, 9);
    list.status = 800;
    list.info = "[Code:2600;Desc:放行]";
    b.documents.push_back(std::move(list));
    for (int r = 0; r < 7; ++r) {
      b.receipts.push_back({(*seq)++, r < 4 ? "3301960002" : "3301960401", 622, *seq - 2, time});
    }
    b.quota.push_back(
        {BuyerKey("1101011990" + Serial(p, spread).substr(0, 8)), 2026, 1'000'000, 1});
  }
  b.next_seq = *seq;
  return b;
}

void BM_ApplyParcels(benchmark::State& state) {
  const bool spread = state.range(0) != 0;
  const size_t per_batch = 100;
  char tmpl[] = "/tmp/ftz-rm-bench-XXXXXX";
  const std::string dir = mkdtemp(tmpl);
  auto model = ReadModel::Open(dir + "/read.db");
  if (!model.ok()) {
    state.SkipWithError(model.status().ToString().c_str());
    return;
  }
  uint64_t parcel = 0, seq = 0;
  for (auto _ : state) {
    state.PauseTiming();
    Batch b = Parcels(parcel, per_batch, spread, &seq);
    parcel += per_batch;
    state.ResumeTiming();
    Status s = (*model)->Apply(b);
    if (!s.ok()) {
      // The loop must end here: the next PauseTiming would abort.
      state.SkipWithError(s.ToString().c_str());
      break;
    }
  }
  state.SetItemsProcessed(static_cast<int64_t>(parcel * 4));  // documents
  state.counters["parcels"] = static_cast<double>(parcel);
  model->reset();
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_ApplyParcels)->ArgName("spread")->Arg(1)->Arg(0)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace ftz::store

BENCHMARK_MAIN();
