// ftz-restart-bench: how long a start takes with a large log, from the
// engine snapshot versus replaying the whole log (docs/performance.md).
//
//   ftz-restart-bench --data DIR --parcels N [--per-message K]
//
// Fills DIR (once; reused when it already holds the parcels) by driving a
// node in process with a `ftzport gen`-style workload — orders, payments,
// waybills and lists, each list decided (120 + 800/300/500 + CEB816) — so the
// log holds about 11 records a parcel with single-document messages. Then it
// times: (1) a start from the snapshot written at the clean shutdown, and
// (2) a start that replays the whole log (snapshots moved aside), both on the
// same data in the same run, and prints one RESULT line of JSON.
#include <CLI/CLI.hpp>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <future>

#include "node/node.h"
#include "node/snapshots.h"
#include "workload/workload.h"

namespace {

using Clock = std::chrono::steady_clock;
double Seconds(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Start-up time from an engine snapshot versus a full log replay"};
  std::string data;
  size_t parcels = 100000, per_message = 1;
  bool skip_full = false, top_up = false;
  std::string prefix = "HZ";
  app.add_option("--data", data, "Data directory (filled on first use)")->required();
  app.add_option("--parcels", parcels, "Parcels to fill it with")->capture_default_str();
  app.add_option("--per-message", per_message, "Documents per message (1..100)")
      ->capture_default_str();
  app.add_flag("--skip-full-replay", skip_full, "Time only the start from the snapshot");
  app.add_flag("--top-up", top_up,
               "Add --parcels more to an existing directory (use another --prefix)");
  app.add_option("--prefix", prefix, "Business-key prefix of the parcels (2 characters)")
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  namespace fs = std::filesystem;
  using namespace ftz;

  node::Registry metrics;
  node::Options o;
  o.data_dir = data;
  o.snapshot_every = 0;  // one snapshot, at the clean shutdown
  if (!fs::exists(data + "/log") || top_up) {
    auto n = node::Node::Open(o, &metrics);
    if (!n.ok()) return std::fprintf(stderr, "%s\n", n.status().ToString().c_str()), 1;
    workload::Options wo;
    wo.buyers = std::max<size_t>(1000, parcels / 3);
    wo.order_prefix = prefix;
    workload::Workload w(wo);
    const auto t0 = Clock::now();
    size_t done = 0;
    while (done < parcels) {
      std::vector<workload::Parcel> chunk;
      for (size_t i = 0; i < 2000 && done < parcels; ++i, ++done) chunk.push_back(w.Next());
      std::vector<std::future<node::SubmitResult>> waits;
      for (MessageType t : {MessageType::kOrder, MessageType::kPayment, MessageType::kWaybill,
                            MessageType::kInventoryList}) {
        for (Message& m : workload::Workload::Messages(t, chunk, per_message, done)) {
          node::Submission s;
          s.body = ceb::EncodeMessageXml(m);
          s.message = std::move(m);
          auto p = std::make_shared<std::promise<node::SubmitResult>>();
          waits.push_back(p->get_future());
          (*n)->Submit(std::move(s), [p](node::SubmitResult r) { p->set_value(std::move(r)); });
        }
      }
      for (auto& f : waits) f.get();
      if (done % 100000 < 2000) {
        std::fprintf(stderr, "filled %zu parcels, %llu records, %.0f s\n", done,
                     static_cast<unsigned long long>((*n)->log().next_seq()), Seconds(t0));
      }
    }
    // Let the read model catch up so the snapshot taken at close is usable.
    while ((*n)->read_model_lag() > 0) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }

  o.snapshot_on_close = false;  // the timed starts leave the data as they found it
  // Each time is Node::Open until it is ready to serve; closing is not timed.
  auto t1 = Clock::now();
  uint64_t records = 0, snapshot_seq = 0, replayed_a = 0;
  double from_snapshot = 0;
  {
    auto n = node::Node::Open(o, &metrics);
    from_snapshot = Seconds(t1);
    if (!n.ok()) return std::fprintf(stderr, "%s\n", n.status().ToString().c_str()), 1;
    records = (*n)->log().next_seq();
    snapshot_seq = (*n)->recovery().snapshot_seq;
    replayed_a = (*n)->recovery().messages_replayed;
  }
  size_t snapshot_bytes = 0;
  if (snapshot_seq) snapshot_bytes = fs::file_size(node::SnapshotPath(data, snapshot_seq));

  fs::rename(data + "/snapshots", data + "/snapshots.aside");
  auto t2 = Clock::now();
  uint64_t replayed_b = 0;
  double full_replay = 0;
  if (!skip_full) {
    auto n = node::Node::Open(o, &metrics);
    full_replay = Seconds(t2);
    if (!n.ok()) return std::fprintf(stderr, "%s\n", n.status().ToString().c_str()), 1;
    replayed_b = (*n)->recovery().messages_replayed;
  }
  fs::remove_all(data + "/snapshots");
  fs::rename(data + "/snapshots.aside", data + "/snapshots");

  std::printf(
      "records %llu, snapshot at %llu (%.1f MB): start from snapshot %.2f s (%llu messages "
      "replayed), full replay %.2f s (%llu messages): %.1fx\n",
      static_cast<unsigned long long>(records), static_cast<unsigned long long>(snapshot_seq),
      snapshot_bytes / 1e6, from_snapshot, static_cast<unsigned long long>(replayed_a), full_replay,
      static_cast<unsigned long long>(replayed_b), full_replay / from_snapshot);
  std::printf(
      "RESULT {\"records\":%llu,\"snapshot_bytes\":%zu,\"start_from_snapshot_s\":%.3f,"
      "\"full_replay_s\":%.3f}\n",
      static_cast<unsigned long long>(records), snapshot_bytes, from_snapshot, full_replay);
  return 0;
}
