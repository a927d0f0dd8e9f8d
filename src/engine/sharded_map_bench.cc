// The longest single insert while a key map grows to N entries: one absl
// table (every doubling moves all entries at once) against the engine's
// ShardedMap (internal/sharded_map.h: 64 tables, each doubling on its own).
// The longest insert is the pause the engine thread takes at a doubling,
// which every record queued behind it waits out. Reported as the counter
// max_insert_us; the time per iteration is the whole fill.
//
//   build/release/src/engine/sharded_map_bench --benchmark_repetitions=3
#include <absl/container/flat_hash_map.h>
#include <absl/container/node_hash_map.h>
#include <benchmark/benchmark.h>

#include <chrono>
#include <string>
#include <vector>

#include "engine/internal/sharded_map.h"

namespace ftz::engine::internal {
namespace {

// The engine's keys: "ebpCode/orderNo".
std::vector<std::string> Keys(size_t n) {
  std::vector<std::string> keys;
  keys.reserve(n);
  for (size_t i = 0; i < n; ++i) keys.push_back("3301964J31/ORDER2026" + std::to_string(i * 7919));
  return keys;
}

template <class Map>
void BM_GrowToN(benchmark::State& state) {
  const std::vector<std::string> keys = Keys(static_cast<size_t>(state.range(0)));
  double max_us = 0;
  for (auto _ : state) {
    Map m;
    for (const std::string& k : keys) {
      const auto t0 = std::chrono::steady_clock::now();
      m.try_emplace(k);
      const double us =
          std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count();
      if (us > max_us) max_us = us;
    }
    benchmark::DoNotOptimize(m);
  }
  state.counters["max_insert_us"] = max_us;
}

struct DocState {  // as the engine's: where declared, the preNo
  uint64_t seq = 0;
  std::string pre_no;
};
using Flat = absl::flat_hash_map<std::string, DocState>;
using Node = absl::node_hash_map<std::string, DocState>;

BENCHMARK_TEMPLATE(BM_GrowToN, Flat)->Arg(1 << 20)->Arg(1 << 22)->Unit(benchmark::kMillisecond);
BENCHMARK_TEMPLATE(BM_GrowToN, ShardedMap<Flat>)
    ->Arg(1 << 20)
    ->Arg(1 << 22)
    ->Unit(benchmark::kMillisecond);
BENCHMARK_TEMPLATE(BM_GrowToN, Node)->Arg(1 << 20)->Arg(1 << 22)->Unit(benchmark::kMillisecond);
BENCHMARK_TEMPLATE(BM_GrowToN, ShardedMap<Node>)
    ->Arg(1 << 20)
    ->Arg(1 << 22)
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace ftz::engine::internal

BENCHMARK_MAIN();
