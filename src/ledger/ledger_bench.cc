// Ledger benchmarks: hashing, appends (memory and tile store), proof
// generation for large trees (memory and tiles on disk), verification, and
// checkpoint signatures.
//
// Environment:
//   FTZ_BENCH_MEM_LEAVES   leaves in the in-memory proof tree   (default 10,000,000)
//   FTZ_BENCH_TILE_LEAVES  leaves in the on-disk proof tree     (default 100,000,000)
//   FTZ_BENCH_DIR          where the on-disk tree lives; reused across runs
//                          when its state matches   (default /tmp/ftz-ledger-bench)
#include <benchmark/benchmark.h>
#include <stdlib.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "ledger/checkpoint.h"
#include "ledger/hash.h"
#include "ledger/proof.h"
#include "ledger/tiles.h"
#include "ledger/tree.h"

namespace ftz::ledger {
namespace {

uint64_t EnvU64(const char* name, uint64_t def) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? std::strtoull(v, nullptr, 10) : def;
}

std::string BenchDir() {
  const char* v = std::getenv("FTZ_BENCH_DIR");
  return v != nullptr && *v != '\0' ? v : "/tmp/ftz-ledger-bench";
}

// A record of `n` bytes whose first 8 bytes are the counter, so every leaf
// differs like real messages do.
class Records {
 public:
  explicit Records(size_t n) : buf_(n, 'x') {}
  ByteView Next() {
    std::memcpy(buf_.data(), &counter_, sizeof(counter_));
    ++counter_;
    return AsBytes(buf_);
  }

 private:
  std::string buf_;
  uint64_t counter_ = 0;
};

// ---------------- hashing ----------------

void BM_Sha256Raw(benchmark::State& state) {
  Records rec(static_cast<size_t>(state.range(0)));
  for (auto _ : state) benchmark::DoNotOptimize(Sha256(rec.Next()));
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_Sha256Raw)->Arg(256)->Arg(1024);

void BM_HashChildren(benchmark::State& state) {
  Hash a = Sha256("a");
  Hash b = Sha256("b");
  for (auto _ : state) {
    a = HashChildren(a, b);
    benchmark::DoNotOptimize(a);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_HashChildren);

void BM_Sm3Raw(benchmark::State& state) {
  Records rec(static_cast<size_t>(state.range(0)));
  for (auto _ : state) benchmark::DoNotOptimize(Sm3(rec.Next()));
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_Sm3Raw)->Arg(1024);

// ---------------- appends ----------------

// Leaf hash + compact range only (the root of an ever-growing tree).
void BM_AppendCompactRange(benchmark::State& state) {
  Records rec(static_cast<size_t>(state.range(0)));
  CompactRange range;
  for (auto _ : state) benchmark::DoNotOptimize(range.Append(HashLeaf(rec.Next())));
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_AppendCompactRange)->Arg(256)->Arg(1024);

// Leaf hash + every node kept in memory.
void BM_AppendMemoryTree(benchmark::State& state) {
  Records rec(static_cast<size_t>(state.range(0)));
  MemoryTree tree;
  for (auto _ : state) benchmark::DoNotOptimize(tree.AppendData(rec.Next()));
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_AppendMemoryTree)->Arg(256)->Arg(1024);

// Leaf hash + tile store, flushing (group commit) every range(1) leaves;
// range(2): 0 = no sync, 1 = syncfs + fdatasync per flush.
void BM_AppendTileStore(benchmark::State& state) {
  std::string tmpl = BenchDir() + "-append-XXXXXX";
  std::filesystem::create_directories(std::filesystem::path(tmpl).parent_path());
  if (::mkdtemp(tmpl.data()) == nullptr) {
    state.SkipWithError("mkdtemp failed");
    return;
  }
  {
    TileStoreOptions opt;
    opt.sync = state.range(2) != 0 ? SyncMode::kSyncfs : SyncMode::kNone;
    auto store = TileStore::Open(tmpl, opt);
    if (!store.ok()) {
      state.SkipWithError(store.status().ToString().c_str());
      return;
    }
    Records rec(static_cast<size_t>(state.range(0)));
    const uint64_t flush_every = static_cast<uint64_t>(state.range(1));
    uint64_t n = 0;
    for (auto _ : state) {
      if (!(*store)->AppendData(rec.Next()).ok()) state.SkipWithError("append failed");
      if (++n % flush_every == 0 && !(*store)->Flush().ok()) state.SkipWithError("flush failed");
    }
    if (!(*store)->Flush().ok()) state.SkipWithError("flush failed");
    state.SetItemsProcessed(state.iterations());
    state.SetBytesProcessed(state.iterations() * state.range(0));
    state.counters["flushes"] = static_cast<double>(n / flush_every + 1);
  }
  std::error_code ec;
  std::filesystem::remove_all(tmpl, ec);
}
BENCHMARK(BM_AppendTileStore)
    ->Args({1024, 1024, 0})
    ->Args({1024, 1024, 1})
    ->Args({1024, 16384, 1})
    ->Args({256, 16384, 1})
    ->Unit(benchmark::kNanosecond);

// ---------------- large trees ----------------

MemoryTree* MemTree() {
  static MemoryTree* tree = [] {
    uint64_t n = EnvU64("FTZ_BENCH_MEM_LEAVES", 10'000'000);
    auto* t = new MemoryTree();
    t->Reserve(n);
    Records rec(256);
    auto start = std::chrono::steady_clock::now();
    for (uint64_t i = 0; i < n; ++i) (void)t->AppendData(rec.Next());
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::fprintf(stderr, "[setup] memory tree: %llu leaves of 256 B in %.1f s (%.0f leaves/s)\n",
                 static_cast<unsigned long long>(n), s, static_cast<double>(n) / s);
    return t;
  }();
  return tree;
}

// The on-disk tree: built once (flushing every 16,384 leaves with syncfs) and
// reused by later runs if the state file says it is complete.
uint64_t TileTreeSize() {
  static uint64_t size = [] {
    uint64_t n = EnvU64("FTZ_BENCH_TILE_LEAVES", 100'000'000);
    std::string dir = BenchDir() + "-tiles-" + std::to_string(n);
    auto store = TileStore::Open(dir);
    if (!store.ok()) {
      std::fprintf(stderr, "[setup] cannot open %s: %s\n", dir.c_str(),
                   store.status().ToString().c_str());
      std::abort();
    }
    if ((*store)->flushed_size() == n) return n;
    Records rec(256);
    for (uint64_t i = 0; i < (*store)->size(); ++i) rec.Next();
    auto start = std::chrono::steady_clock::now();
    uint64_t from = (*store)->size();
    for (uint64_t i = from; i < n; ++i) {
      if (!(*store)->AppendData(rec.Next()).ok()) std::abort();
      if ((i + 1) % 16384 == 0 && !(*store)->Flush().ok()) std::abort();
    }
    if (!(*store)->Flush().ok()) std::abort();
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::fprintf(
        stderr,
        "[setup] tile store: %llu leaves of 256 B appended+hashed+written (flush/syncfs every "
        "16384) in %.1f s (%.0f leaves/s)\n",
        static_cast<unsigned long long>(n - from), s, static_cast<double>(n - from) / s);
    return n;
  }();
  return size;
}

std::string TileTreeDir() {
  return BenchDir() + "-tiles-" + std::to_string(EnvU64("FTZ_BENCH_TILE_LEAVES", 100'000'000));
}

void BM_InclusionProofMemory(benchmark::State& state) {
  MemoryTree* tree = MemTree();
  std::mt19937_64 rng(1);
  uint64_t size = tree->size();
  for (auto _ : state) {
    auto p = InclusionProof(rng() % size, size, *tree);
    benchmark::DoNotOptimize(p);
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["tree_size"] = static_cast<double>(size);
}
BENCHMARK(BM_InclusionProofMemory);

void BM_ConsistencyProofMemory(benchmark::State& state) {
  MemoryTree* tree = MemTree();
  std::mt19937_64 rng(2);
  uint64_t size = tree->size();
  for (auto _ : state) {
    auto p = ConsistencyProof(1 + rng() % size, size, *tree);
    benchmark::DoNotOptimize(p);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ConsistencyProofMemory);

// Proofs for uniformly random leaves of the on-disk tree through a
// TileReader with range(0) cached tiles (16 KiB each). With 100M leaves
// there are 390,625 level-0 tiles, so a random leaf is almost always a
// cache miss: read 8 KiB + hash the tile's 255 interior nodes.
void BM_InclusionProofTilesRandom(benchmark::State& state) {
  uint64_t size = TileTreeSize();
  TileReader reader(TileTreeDir(), size, static_cast<size_t>(state.range(0)));
  std::mt19937_64 rng(3);
  for (auto _ : state) {
    auto p = InclusionProof(rng() % size, size, reader);
    if (!p.ok()) state.SkipWithError(p.status().ToString().c_str());
    benchmark::DoNotOptimize(p);
  }
  auto stats = reader.cache_stats();
  state.SetItemsProcessed(state.iterations());
  state.counters["tree_size"] = static_cast<double>(size);
  state.counters["hit_rate"] =
      static_cast<double>(stats.hits) / static_cast<double>(stats.hits + stats.misses);
}
BENCHMARK(BM_InclusionProofTilesRandom)->Arg(4096)->Arg(65536);

// Proofs for leaves among the newest range(0) leaves (receipts are asked
// for soon after their records are appended): the working set of tiles fits
// the cache.
void BM_InclusionProofTilesRecent(benchmark::State& state) {
  uint64_t size = TileTreeSize();
  TileReader reader(TileTreeDir(), size, 16384);
  uint64_t window = std::min<uint64_t>(static_cast<uint64_t>(state.range(0)), size);
  std::mt19937_64 rng(4);
  for (auto _ : state) {
    auto p = InclusionProof(size - 1 - rng() % window, size, reader);
    if (!p.ok()) state.SkipWithError(p.status().ToString().c_str());
    benchmark::DoNotOptimize(p);
  }
  auto stats = reader.cache_stats();
  state.SetItemsProcessed(state.iterations());
  state.counters["tree_size"] = static_cast<double>(size);
  state.counters["hit_rate"] =
      static_cast<double>(stats.hits) / static_cast<double>(stats.hits + stats.misses);
}
BENCHMARK(BM_InclusionProofTilesRecent)->Arg(1 << 20)->Arg(1 << 24);

void BM_VerifyInclusion(benchmark::State& state) {
  MemoryTree* tree = MemTree();
  uint64_t size = tree->size();
  Hash root = tree->Root();
  std::mt19937_64 rng(5);
  struct Case {
    uint64_t index;
    Hash leaf;
    std::vector<Hash> proof;
  };
  std::vector<Case> cases;
  for (int i = 0; i < 1024; ++i) {
    uint64_t index = rng() % size;
    cases.push_back({index, *tree->NodeHash(0, index), *InclusionProof(index, size, *tree)});
  }
  size_t i = 0;
  for (auto _ : state) {
    const Case& c = cases[i++ & 1023];
    Status st = VerifyInclusion(c.index, size, c.leaf, c.proof, root);
    if (!st.ok()) state.SkipWithError("verification failed");
    benchmark::DoNotOptimize(st);
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["tree_size"] = static_cast<double>(size);
}
BENCHMARK(BM_VerifyInclusion);

// ---------------- checkpoints ----------------

void BM_SignCheckpoint(benchmark::State& state) {
  Signer s = *Signer::Generate("ftz.example/ledger",
                               state.range(0) == 0 ? KeyType::kEd25519 : KeyType::kSm2Sm3);
  Checkpoint cp{"ftz.example/ledger", 123456789, Sha256("root"), {}};
  for (auto _ : state) benchmark::DoNotOptimize(SignCheckpoint(cp, std::span<const Signer>(&s, 1)));
  state.SetItemsProcessed(state.iterations());
  state.SetLabel(state.range(0) == 0 ? "Ed25519" : "SM2-SM3");
}
BENCHMARK(BM_SignCheckpoint)->Arg(0)->Arg(1);

void BM_OpenCheckpoint(benchmark::State& state) {
  Signer s = *Signer::Generate("ftz.example/ledger",
                               state.range(0) == 0 ? KeyType::kEd25519 : KeyType::kSm2Sm3);
  VerifierSet known;
  (void)known.Add(s.verifier());
  Checkpoint cp{"ftz.example/ledger", 123456789, Sha256("root"), {}};
  std::string text = *SignCheckpoint(cp, std::span<const Signer>(&s, 1));
  for (auto _ : state) {
    auto v = OpenCheckpoint(text, known);
    if (!v.ok()) state.SkipWithError("open failed");
    benchmark::DoNotOptimize(v);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetLabel(state.range(0) == 0 ? "Ed25519" : "SM2-SM3");
}
BENCHMARK(BM_OpenCheckpoint)->Arg(0)->Arg(1);

}  // namespace
}  // namespace ftz::ledger

BENCHMARK_MAIN();
