// Intake micro-benchmarks: the raw pugixml parse of a message (the ceiling),
// the full decode + validation, JSON decode, receipt encoding, and the log's
// group commit with fdatasync. Same bytes for parse and decode, so the ratio
// is the cost of validation and the typed model.
#include <benchmark/benchmark.h>
#include <pugixml.hpp>

#include <filesystem>

#include <zlib.h>

#include "ceb/ceb.h"
#include "ceb/internal/xml_parse.h"
#include "core/crc32.h"
#include "core/time.h"
#include "engine/engine.h"
#include "stream/log.h"
#include "workload/workload.h"

namespace {

using ftz::MessageType;

std::vector<ftz::Message> Messages(MessageType t, size_t per_message, size_t count) {
  ftz::workload::Workload w({});
  std::vector<ftz::workload::Parcel> ps;
  for (size_t i = 0; i < per_message * count; ++i) ps.push_back(w.Next());
  std::vector<ftz::Message> out;
  for (auto& m : ftz::workload::Workload::Messages(t, ps, per_message, 1)) {
    if (m.BlockCount() == per_message) out.push_back(std::move(m));
  }
  return out;
}

std::vector<std::string> Bodies(MessageType t, size_t per, bool json) {
  std::vector<std::string> out;
  for (auto& m : Messages(t, per, per == 1 ? 64 : 4)) {
    out.push_back(json ? ftz::ceb::EncodeMessageJson(m) : ftz::ceb::EncodeMessageXml(m));
  }
  return out;
}

void BM_PugixmlParse(benchmark::State& state) {
  auto bodies = Bodies(static_cast<MessageType>(state.range(0)), state.range(1), false);
  size_t i = 0, bytes = 0;
  for (auto _ : state) {
    const std::string& b = bodies[i++ % bodies.size()];
    pugi::xml_document doc;
    benchmark::DoNotOptimize(doc.load_buffer(
        b.data(), b.size(), ftz::ceb::internal::kXmlParseOptions, pugi::encoding_utf8));
    bytes += b.size();
  }
  state.SetItemsProcessed(state.iterations() * state.range(1));
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
}

void BM_DecodeXml(benchmark::State& state) {
  auto bodies = Bodies(static_cast<MessageType>(state.range(0)), state.range(1), false);
  size_t i = 0, bytes = 0;
  for (auto _ : state) {
    const std::string& b = bodies[i++ % bodies.size()];
    auto d = ftz::ceb::DecodeXml(b);
    if (!d.ok()) state.SkipWithError(d.summary.c_str());
    benchmark::DoNotOptimize(d);
    bytes += b.size();
  }
  state.SetItemsProcessed(state.iterations() * state.range(1));
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
}

void BM_DecodeJson(benchmark::State& state) {
  auto bodies = Bodies(static_cast<MessageType>(state.range(0)), state.range(1), true);
  size_t i = 0, bytes = 0;
  for (auto _ : state) {
    const std::string& b = bodies[i++ % bodies.size()];
    auto d = ftz::ceb::DecodeJson(b);
    if (!d.ok()) state.SkipWithError(d.summary.c_str());
    benchmark::DoNotOptimize(d);
    bytes += b.size();
  }
  state.SetItemsProcessed(state.iterations() * state.range(1));
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
}

void BM_EngineApplyAndReceipt(benchmark::State& state) {
  auto msgs = Messages(MessageType::kOrder, state.range(0), state.range(0) == 1 ? 20000 : 200);
  ftz::engine::Engine e;
  uint64_t seq = 0;
  for (auto _ : state) {
    const ftz::Message& m = msgs[seq % msgs.size()];
    auto o = e.Apply(seq++, 1'767'225'600'000, m);
    benchmark::DoNotOptimize(ftz::ceb::EncodeReceiptXml(o.receipt));
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}

// The receipts of a message of `per` inventory lists (CEB622, each block
// 2 entered) encoded as XML: what the sequencer does for every receipt it logs.
void BM_EncodeReceiptXml(benchmark::State& state) {
  auto msgs = Messages(MessageType::kInventoryList, state.range(0), 1);
  const ftz::Message& m = msgs.front();
  ftz::ReceiptMessage r = ftz::ceb::NewReceiptFor(m, ftz::ceb::DeriveGuid("receipt:1"));
  const std::string time = ftz::FormatReturnTime(1'767'225'600'000);
  for (size_t i = 0; i < m.BlockCount(); ++i)
    ftz::ceb::AddReturn(m, i, 2, "新增申报成功", time, &r);
  for (auto _ : state) benchmark::DoNotOptimize(ftz::ceb::EncodeReceiptXml(r));
  state.SetItemsProcessed(state.iterations() * state.range(0));
}

// A log record's checksum: zlib's crc32 (arg 0) against core/crc32.h (arg 1),
// the same CRC-32 value, for a single-document record and a 100-document one.
void BM_RecordChecksum(benchmark::State& state) {
  std::string record(state.range(1), '\0');
  for (size_t i = 0; i < record.size(); ++i) record[i] = static_cast<char>(i * 131 + 7);
  for (auto _ : state) {
    if (state.range(0) == 0) {
      benchmark::DoNotOptimize(crc32(0L, reinterpret_cast<const Bytef*>(record.data()),
                                     static_cast<uInt>(record.size())));
    } else {
      benchmark::DoNotOptimize(ftz::Crc32(record));
    }
  }
  state.SetBytesProcessed(state.iterations() * state.range(1));
}

// Group commit: `batch` records of `size` bytes, one write + fdatasync.
void BM_LogGroupCommit(benchmark::State& state) {
  std::string dir =
      std::filesystem::temp_directory_path() / ("ftz-bench-log-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  auto log = ftz::stream::Log::Open(ftz::Env::Default(), dir, {}, nullptr, nullptr);
  std::string payload(state.range(1), 'x');
  for (auto _ : state) {
    for (int i = 0; i < state.range(0); ++i)
      (*log)->Append(ftz::stream::RecordType::kMessage, 0, payload);
    if (!(*log)->Sync().ok()) state.SkipWithError("sync failed");
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
  state.SetBytesProcessed(state.iterations() * state.range(0) * state.range(1));
  log->reset();
  std::filesystem::remove_all(dir);
}

}  // namespace

BENCHMARK(BM_PugixmlParse)->Args({311, 1})->Args({311, 100})->Args({621, 1})->Args({621, 100});
BENCHMARK(BM_DecodeXml)->Args({311, 1})->Args({311, 100})->Args({621, 1})->Args({621, 100});
BENCHMARK(BM_DecodeJson)->Args({311, 1})->Args({311, 100});
BENCHMARK(BM_EngineApplyAndReceipt)->Arg(1)->Arg(100);
BENCHMARK(BM_EncodeReceiptXml)->Arg(1)->Arg(100);
BENCHMARK(BM_RecordChecksum)->ArgNames({"isal", "bytes"})->ArgsProduct({{0, 1}, {2048, 150000}});
BENCHMARK(BM_LogGroupCommit)->Args({1, 2048})->Args({64, 2048})->Args({512, 2048})->UseRealTime();

BENCHMARK_MAIN();
