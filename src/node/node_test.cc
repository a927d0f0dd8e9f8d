#include "node/node.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <future>
#include <map>
#include <thread>

#include "engine/default_rules.h"
#include "engine/records.h"
#include "env/fault_injection_env.h"
#include "ledger/tiles.h"
#include "node/ledger_writer.h"
#include "node/snapshots.h"
#include "stream/log.h"
#include "workload/workload.h"

namespace ftz::node {
namespace {

class NodeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("ftz-node-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    workload::Workload w({});
    for (int i = 0; i < 30; ++i) parcels_.push_back(w.Next());
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::unique_ptr<Node> Open(
      Env* env = nullptr, uint64_t snapshot_every = 0, bool snapshot_on_close = false,
      std::string rules_toml = "",
      std::chrono::microseconds read_model_commit_interval = Options().read_model_commit_interval) {
    Options o;
    o.read_model_commit_interval = read_model_commit_interval;
    o.data_dir = dir_;
    o.rules_toml = std::move(rules_toml);
    o.env = env;
    o.snapshot_every = snapshot_every;
    o.snapshot_on_close = snapshot_on_close;
    auto n = Node::Open(o, &registry_);
    EXPECT_TRUE(n.ok()) << n.status().ToString();
    return n.ok() ? std::move(*n) : nullptr;
  }

  // A node over `env` that a test crashes: no snapshots, so a start replays.
  Options CrashOptions(Env* env) const {
    Options o;
    o.data_dir = dir_;
    o.env = env;
    o.snapshot_every = 0;
    o.snapshot_on_close = false;
    return o;
  }

  static SubmitResult SubmitAndWait(Node* n, const Message& m) {
    Submission s;
    s.body = ceb::EncodeMessageXml(m);
    s.message = m;
    s.want_receipt = true;  // the tests read it as a value
    std::promise<SubmitResult> p;
    n->Submit(std::move(s), [&](SubmitResult r) { p.set_value(std::move(r)); });
    return p.get_future().get();
  }

  // Points dir_ at a fresh directory (dir_ + suffix) holding only this
  // window's keys, so that another log is signed as this window; returns
  // the directory it left (tests set dir_ back to it when done).
  std::string MoveToADirWithThisWindowsKeys(const std::string& suffix) {
    const std::string mine = dir_;
    dir_ += suffix;
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    std::filesystem::copy(mine + "/keys", dir_ + "/keys");
    return mine;
  }

  std::string dir_;
  Registry registry_;
  std::vector<workload::Parcel> parcels_;
};

// A first start killed while it made its keys or its MODE leaves at most
// their temporary files (never an empty key or MODE, which would refuse
// every later start): the next start makes them again, whole, and keeps
// them from then on.
TEST_F(NodeTest, AFirstStartCutOffWhileMakingItsKeysAndModeStartsAgain) {
  std::filesystem::create_directories(dir_ + "/keys");
  const std::vector<std::string> left = {"/keys/ledger.key.tmp", "/keys/ledger-sm2.key.tmp",
                                         "/MODE.tmp"};
  for (const std::string& f : left) std::ofstream(dir_ + f) << "";
  auto read = [this](const std::string& f) {
    std::ifstream in(dir_ + f, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  };
  {
    auto n = Open();
    ASSERT_NE(n, nullptr);
  }
  for (const std::string& f : left) EXPECT_FALSE(std::filesystem::exists(dir_ + f)) << f;
  EXPECT_EQ(read("/MODE"), "clearance\n");
  const std::string key = read("/keys/ledger.key"), sm2 = read("/keys/ledger-sm2.key");
  EXPECT_NE(key.find("PRIVATE+KEY"), std::string::npos) << key;
  EXPECT_NE(sm2.find("PRIVATE+KEY"), std::string::npos) << sm2;
  EXPECT_EQ(std::filesystem::status(dir_ + "/keys/ledger.key").permissions() &
                std::filesystem::perms::all,
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  {
    auto n = Open();
    ASSERT_NE(n, nullptr);
  }
  EXPECT_EQ(read("/keys/ledger.key"), key);
  EXPECT_EQ(read("/keys/ledger-sm2.key"), sm2);
}

// While the ledger's thread is held up (here: not started; in a server, a
// witness slow to answer), at most LedgerWriter::kMaxQueuedBytes of records
// wait whole; beyond, Enqueue computes the leaves itself. Either way every
// record gets its own leaf, in order.
TEST_F(NodeTest, ALedgerWriterHeldUpQueuesLeavesNotRecordsPastItsCap) {
  auto w = LedgerWriter::Open(dir_, "ftzport.test/log");
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  auto log = stream::Log::Open(Env::Default(), dir_ + "/log", {}, nullptr, nullptr);
  ASSERT_TRUE(log.ok()) << log.status().ToString();
  constexpr int kBatches = 80;  // of 1 MiB: past the 64 MiB cap
  std::vector<ledger::Hash> expected;
  for (int b = 0; b < kBatches; ++b) {
    std::string payload(1 << 20, static_cast<char>('a' + b % 26));
    payload[0] = static_cast<char>(b);
    const auto type = b % 2 ? stream::RecordType::kReceipt : stream::RecordType::kMessage;
    const uint64_t seq = (*log)->Append(type, 1000 + b, payload);
    expected.push_back(RecordLeaf(type, seq, 1000 + b, payload));
    WrittenBatch batch;
    ASSERT_TRUE((*log)->Write(&batch.bytes).ok());
    // A message's digest known in advance, a receipt's from the bytes.
    if (b % 2) {
      batch.digests.emplace_back();
    } else {
      batch.digests.emplace_back(ledger::Sha256(payload));
    }
    (*w)->Enqueue(std::move(batch));
    EXPECT_LE((*w)->queued_bytes(), LedgerWriter::kMaxQueuedBytes) << b;
  }
  EXPECT_GT((*w)->queued_bytes(), LedgerWriter::kMaxQueuedBytes / 2);
  (*w)->Start();
  for (int i = 0; i < 1000 && (*w)->checkpoint().size < kBatches; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_EQ((*w)->checkpoint().size, static_cast<uint64_t>(kBatches));
  EXPECT_EQ((*w)->queued_bytes(), 0u);
  ledger::TileReader tiles((*w)->tiles_dir(), kBatches);
  for (int b = 0; b < kBatches; ++b) {
    auto leaf = tiles.NodeHash(0, static_cast<uint64_t>(b));
    ASSERT_TRUE(leaf.ok()) << leaf.status().ToString();
    EXPECT_EQ(*leaf, expected[b]) << b;
  }
}

// A read model that cannot write (here another connection holds SQLite's
// write lock past the writer's 5 s busy timeout) stops where it was: said
// once on stderr, in /metrics (ftz_read_model_failed 1) and by
// read_model_failed(); intake goes on; the next start catches it up from
// the log.
TEST_F(NodeTest, AReadModelThatCannotWriteStopsAndTheNextStartCatchesItUp) {
  auto orders = workload::Workload::Messages(MessageType::kOrder, parcels_, 1, 1);
  ASSERT_GE(orders.size(), 3u);
  auto key = [&](size_t i) {
    const auto& o = std::get<std::vector<Order>>(orders[i].blocks)[0].head;
    return o.ebpCode + "/" + o.orderNo;
  };
  auto caught_up = [](Node* n) {
    for (int tries = 0; tries < 500 && n->read_model_lag() > 0; ++tries) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return n->read_model_lag() == 0;
  };
  {
    auto n = Open();
    ASSERT_TRUE(SubmitAndWait(n.get(), orders[0]).status.ok());
    ASSERT_TRUE(caught_up(n.get()));
    sqlite3* other = nullptr;
    ASSERT_EQ(sqlite3_open((dir_ + "/readmodel.sqlite").c_str(), &other), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(other, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);
    ::testing::internal::CaptureStderr();
    SubmitResult held = SubmitAndWait(n.get(), orders[1]);
    EXPECT_TRUE(held.status.ok()) << "intake goes on";
    for (int i = 0; i < 1000 && !n->read_model_failed(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    EXPECT_TRUE(n->read_model_failed());
    EXPECT_NE(registry_.Render().find("\nftz_read_model_failed 1"), std::string::npos);
    sqlite3_exec(other, "ROLLBACK", nullptr, nullptr, nullptr);
    sqlite3_close(other);
    // Stopped where it was, even with the lock gone: a later batch is not
    // applied over the lost one.
    EXPECT_TRUE(SubmitAndWait(n.get(), orders[2]).status.ok());
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    EXPECT_EQ(n->read_model().FindDocument(311, key(2)).status().code(), StatusCode::kNotFound);
    const std::string err = ::testing::internal::GetCapturedStderr();
    EXPECT_NE(err.find("read model: "), std::string::npos) << err;
    EXPECT_NE(err.find("catches up from the log at the next start"), std::string::npos) << err;
  }
  auto n = Open();
  ASSERT_TRUE(caught_up(n.get()));
  EXPECT_FALSE(n->read_model_failed());
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_TRUE(n->read_model().FindDocument(311, key(i)).ok()) << i;
  }
}

TEST_F(NodeTest, AcceptsLogsAndRecoversAfterRestart) {
  auto orders = workload::Workload::Messages(MessageType::kOrder, parcels_, 10, 1);
  ASSERT_GE(orders.size(), 3u);
  {
    auto n = Open();
    // Record 0 is the start's rules file (logged by a new log's first start).
    SubmitResult a = SubmitAndWait(n.get(), orders[0]);
    ASSERT_TRUE(a.status.ok());
    EXPECT_TRUE(a.logged);
    EXPECT_EQ(a.accepted, orders[0].BlockCount());
    EXPECT_EQ(a.message_seq, 1u);
    EXPECT_EQ(a.receipt_seq, 2u);
    // The same message again: every block is a duplicate, nothing is logged.
    SubmitResult dup = SubmitAndWait(n.get(), orders[0]);
    EXPECT_FALSE(dup.logged);
    EXPECT_EQ(dup.refused, orders[0].BlockCount());
    EXPECT_EQ(ceb::ViewReturn(dup.receipt, 0).status, -301010);
    SubmitResult b = SubmitAndWait(n.get(), orders[1]);
    EXPECT_EQ(b.message_seq, 3u);
  }
  auto n = Open();
  EXPECT_EQ(n->recovery().messages_replayed, 2u);
  EXPECT_EQ(n->recovery().receipts_checked, 2u);
  EXPECT_EQ(n->recovery().receipt_mismatches, 0u);
  // State survived: a resend of an acknowledged order is still a duplicate.
  SubmitResult again = SubmitAndWait(n.get(), orders[1]);
  EXPECT_EQ(again.refused, orders[1].BlockCount());
  SubmitResult c = SubmitAndWait(n.get(), orders[2]);
  EXPECT_EQ(c.message_seq, 5u);
  // The read model knows every accepted order.
  for (int tries = 0; tries < 200 && n->read_model_lag() > 0; ++tries) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  const auto& o = std::get<std::vector<Order>>(orders[2].blocks)[3].head;
  auto row = n->read_model().FindDocument(311, o.ebpCode + "/" + o.orderNo);
  ASSERT_TRUE(row.ok()) << row.status().ToString();
  EXPECT_EQ(row->seq, 5u);
  EXPECT_EQ(row->block, 3);
  EXPECT_EQ(row->status, 2);
  // Each enterprise is owed exactly the receipts of the messages it sent.
  std::map<std::string, std::vector<uint64_t>> expected;  // copCode -> message seqs
  expected[orders[0].transfer.copCode].push_back(1);
  expected[orders[1].transfer.copCode].push_back(3);
  expected[orders[2].transfer.copCode].push_back(5);
  for (const auto& [cop, seqs] : expected) {
    auto receipts = n->read_model().ReceiptsAfter(cop, -1, 100);
    ASSERT_TRUE(receipts.ok());
    ASSERT_EQ(receipts->size(), seqs.size()) << cop;
    for (size_t i = 0; i < seqs.size(); ++i) {
      EXPECT_EQ((*receipts)[i].answers, seqs[i]);
      EXPECT_EQ((*receipts)[i].seq, seqs[i] + 1);
      EXPECT_EQ((*receipts)[i].type, 312);
    }
  }
}

TEST_F(NodeTest, ReadModelTakesTheGroupCommitsOfAnIntervalInOneTransaction) {
  // A long interval, so that the messages below (each its own group commit,
  // as each waits for its answer) come within the one after the first commit.
  auto n = Open(nullptr, 0, false, "", std::chrono::seconds(1));
  auto orders = workload::Workload::Messages(MessageType::kOrder, parcels_, 1, 1);
  ASSERT_GE(orders.size(), 6u);
  const uint64_t batches0 = registry_.GetCounter("ftz_log_batches_total", "").value();
  const uint64_t commits0 = registry_.GetCounter("ftz_read_model_commits_total", "").value();
  for (size_t i = 0; i < 6; ++i) ASSERT_TRUE(SubmitAndWait(n.get(), orders[i]).logged);
  for (int tries = 0; tries < 300 && n->read_model_lag() > 0; ++tries) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_EQ(n->read_model_lag(), 0u);
  const uint64_t batches = registry_.GetCounter("ftz_log_batches_total", "").value() - batches0;
  const uint64_t commits =
      registry_.GetCounter("ftz_read_model_commits_total", "").value() - commits0;
  EXPECT_EQ(batches, 6u);
  EXPECT_LT(commits, batches);
  // Every order is there, whichever transaction took it.
  for (size_t i = 0; i < 6; ++i) {
    const auto& o = std::get<std::vector<Order>>(orders[i].blocks)[0].head;
    EXPECT_TRUE(n->read_model().FindDocument(311, o.ebpCode + "/" + o.orderNo).ok()) << i;
  }
}

TEST_F(NodeTest, ReadModelIsRebuiltFromTheLog) {
  auto orders = workload::Workload::Messages(MessageType::kOrder, parcels_, 30, 1);
  {
    auto n = Open();
    ASSERT_TRUE(SubmitAndWait(n.get(), orders[0]).logged);
  }
  std::filesystem::remove(dir_ + "/readmodel.sqlite");
  std::filesystem::remove(dir_ + "/readmodel.sqlite-wal");
  std::filesystem::remove(dir_ + "/readmodel.sqlite-shm");
  auto n = Open();
  // Every order of the message and its receipt.
  EXPECT_EQ(n->recovery().read_model_caught_up, orders[0].BlockCount() + 1);
  const auto& o = std::get<std::vector<Order>>(orders[0].blocks).back().head;
  EXPECT_TRUE(n->read_model().FindDocument(311, o.ebpCode + "/" + o.orderNo).ok());
}

TEST_F(NodeTest, FailedSyncStopsIntakeAndLosesNothingAcknowledged) {
  FaultInjectionEnv env(Env::Default());
  auto orders = workload::Workload::Messages(MessageType::kOrder, parcels_, 10, 1);
  {
    auto n = Open(&env);
    ASSERT_TRUE(SubmitAndWait(n.get(), orders[0]).status.ok());
    env.FailSyncs(true);
    SubmitResult failed = SubmitAndWait(n.get(), orders[1]);
    EXPECT_EQ(failed.status.code(), StatusCode::kUnavailable);
    EXPECT_TRUE(n->intake_stopped());
    env.FailSyncs(false);
    // Never retried: intake stays stopped even though syncs would work now.
    SubmitResult later = SubmitAndWait(n.get(), orders[2]);
    EXPECT_EQ(later.status.code(), StatusCode::kUnavailable);
  }
  ASSERT_TRUE(env.DropUnsyncedData().ok());  // the power cut
  auto n = Open(&env);
  EXPECT_EQ(n->recovery().messages_replayed, 1u);
  SubmitResult dup = SubmitAndWait(n.get(), orders[0]);
  EXPECT_EQ(dup.refused, orders[0].BlockCount());  // the acknowledged message is still there
  SubmitResult resend = SubmitAndWait(n.get(), orders[1]);
  EXPECT_EQ(resend.accepted, orders[1].BlockCount());
}

// A failed write of a batch (not only its fdatasync) stops intake the same
// way (docs/errors.md §2): nothing of the batch is acknowledged, nothing is
// retried, and what was acknowledged before is there after a restart.
TEST_F(NodeTest, FailedWriteStopsIntakeAndLosesNothingAcknowledged) {
  FaultInjectionEnv env(Env::Default());
  auto orders = workload::Workload::Messages(MessageType::kOrder, parcels_, 10, 1);
  {
    auto n = Open(&env);
    ASSERT_TRUE(SubmitAndWait(n.get(), orders[0]).status.ok());
    env.FailWrites(true);
    SubmitResult failed = SubmitAndWait(n.get(), orders[1]);
    EXPECT_EQ(failed.status.code(), StatusCode::kUnavailable);
    EXPECT_TRUE(n->intake_stopped());
    env.FailWrites(false);
    EXPECT_EQ(SubmitAndWait(n.get(), orders[2]).status.code(), StatusCode::kUnavailable);
  }
  auto n = Open(&env);
  EXPECT_EQ(n->recovery().messages_replayed, 1u);
  EXPECT_EQ(SubmitAndWait(n.get(), orders[0]).refused, orders[0].BlockCount());
  EXPECT_EQ(SubmitAndWait(n.get(), orders[1]).accepted, orders[1].BlockCount());
}

// A process killed between a batch's write and its fdatasync leaves records
// that are readable but not durable. The next start replays them into the
// read model; were they not made durable first, a power cut during that
// start would keep their rows and lose them, and every later start would be
// refused (the read model ahead of the log).
TEST_F(NodeTest, AStartMakesTheRecordsItReplaysDurableFirst) {
  for (bool preallocate : {false, true}) {
    SCOPED_TRACE(preallocate ? "segments written in place" : "segments appended to");
    std::filesystem::remove_all(dir_);
    FaultInjectionEnv env(Env::Default());
    Options o = CrashOptions(&env);
    o.log.preallocate = preallocate;
    auto orders = workload::Workload::Messages(MessageType::kOrder, parcels_, 10, 1);
    const auto& o1 = std::get<std::vector<Order>>(orders[1].blocks)[0].head;
    {
      auto n = Node::Open(o, &registry_);
      ASSERT_TRUE(n.ok()) << n.status().ToString();
      ASSERT_TRUE(SubmitAndWait(n->get(), orders[0]).status.ok());
      env.FailSyncs(true);
      // Written, its sync failed: never acknowledged, and the process dies.
      ASSERT_FALSE(SubmitAndWait(n->get(), orders[1]).status.ok());
    }
    env.FailSyncs(false);
    {
      auto n = Node::Open(o, &registry_);
      ASSERT_TRUE(n.ok()) << n.status().ToString();
      EXPECT_EQ((*n)->recovery().messages_replayed, 2u);
      EXPECT_TRUE((*n)->read_model().FindDocument(311, o1.ebpCode + "/" + o1.orderNo).ok());
      env.FailSyncs(true);  // nothing more of this run reaches the disk
    }
    ASSERT_TRUE(env.DropUnsyncedData().ok());  // the power cut
    env.FailSyncs(false);
    auto n = Node::Open(o, &registry_);
    ASSERT_TRUE(n.ok()) << n.status().ToString();
    EXPECT_EQ((*n)->recovery().messages_replayed, 2u);
    EXPECT_EQ(SubmitAndWait(n->get(), orders[1]).accepted, 0u);  // still there: a duplicate
  }
}

TEST_F(NodeTest, PipelinedCommitsAnswerEveryMessageAndLoseNothingAcknowledged) {
  // Batches of at most 3 messages: while one batch's fdatasync runs, the next
  // is applied (the commit thread). Syncs start failing after the k-th
  // acknowledgement, for every k, with batches in flight behind it, small
  // segments (the failure then often comes in Log::Write's roll) and
  // snapshots every 5 records.
  auto orders = workload::Workload::Messages(MessageType::kOrder, parcels_, 1, 1);
  ASSERT_EQ(orders.size(), 30u);
  for (int k = 1; k <= 28; ++k) {
    SCOPED_TRACE(k);
    std::filesystem::remove_all(dir_);
    FaultInjectionEnv env(Env::Default());
    Options o = CrashOptions(&env);
    o.max_batch = 3;
    o.log.segment_bytes = 8 << 10;
    o.log.preallocate = k % 2 == 0;
    o.snapshot_every = 5;
    std::vector<std::promise<SubmitResult>> answers(orders.size());
    std::atomic<int> acknowledged{0};
    {
      auto n = Node::Open(o, &registry_);
      ASSERT_TRUE(n.ok()) << n.status().ToString();
      for (size_t i = 0; i < orders.size(); ++i) {
        Submission s;
        s.body = ceb::EncodeMessageXml(orders[i]);
        s.message = orders[i];
        (*n)->Submit(std::move(s), [&, i](SubmitResult r) {
          if (r.status.ok() && ++acknowledged == k) env.FailSyncs(true);
          answers[i].set_value(std::move(r));
        });
      }
      int ok = 0, stopped = 0;
      for (size_t i = 0; i < orders.size(); ++i) {
        SubmitResult r = answers[i].get_future().get();
        if (r.status.ok()) {
          ++ok;
          EXPECT_EQ(r.accepted, 1u) << i;
          EXPECT_EQ(stopped, 0) << "message " << i << " acknowledged after one that was not";
        } else {
          ++stopped;
          EXPECT_EQ(r.status.code(), StatusCode::kUnavailable) << i;
        }
      }
      EXPECT_EQ(ok, acknowledged.load());
      EXPECT_GE(ok, k);
      // Batches hold 3 at most, so up to k = 27 some message comes after
      // the k-th acknowledgement's batch and meets a failing sync.
      if (k <= 27) {
        EXPECT_GT(stopped, 0);
      }
      EXPECT_EQ((*n)->intake_stopped(), stopped > 0);
    }
    ASSERT_TRUE(env.DropUnsyncedData().ok());  // the power cut
    env.FailSyncs(false);
    auto n = Node::Open(o, &registry_);
    ASSERT_TRUE(n.ok()) << n.status().ToString();
    // Exactly the acknowledged messages are in the log: a failed batch was
    // never synced, and those behind it were never written.
    for (size_t i = 0; i < orders.size(); ++i) {
      const bool was_acknowledged = i < static_cast<size_t>(acknowledged.load());
      EXPECT_EQ(SubmitAndWait(n->get(), orders[i]).accepted, was_acknowledged ? 0u : 1u) << i;
    }
  }
}

TEST_F(NodeTest, PreallocatedSegmentsLoseNothingAcknowledgedInACrash) {
  // Small segments, each written over a zero-filled file prepared in
  // advance (docs/log-format.md §5.1): the crash zeroes what was not synced.
  FaultInjectionEnv env(Env::Default());
  Options o = CrashOptions(&env);
  o.log.segment_bytes = 16 << 10;
  o.log.preallocate = true;
  std::vector<Message> messages;
  for (MessageType t : {MessageType::kOrder, MessageType::kPayment, MessageType::kWaybill,
                        MessageType::kInventoryList}) {
    for (Message& m : workload::Workload::Messages(t, parcels_, 1, messages.size() + 1)) {
      messages.push_back(std::move(m));
    }
  }
  ASSERT_EQ(messages.size(), 120u);
  {
    auto n = Node::Open(o, &registry_);
    ASSERT_TRUE(n.ok()) << n.status().ToString();
    // Each message once the next segment's file is ready (it is prepared in
    // the background): every roll then starts a segment in place.
    const std::string prepared = dir_ + "/log/" + stream::kPreallocatedName;
    for (size_t i = 0; i + 1 < messages.size(); ++i) {
      for (int w = 0; w < 400 && !std::filesystem::exists(prepared); ++w) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
      }
      ASSERT_TRUE(std::filesystem::exists(prepared)) << "not prepared in 2 s";
      ASSERT_TRUE(SubmitAndWait(n->get(), messages[i]).status.ok()) << i;
    }
    env.FailSyncs(true);
    EXPECT_FALSE(SubmitAndWait(n->get(), messages.back()).status.ok());
  }
  size_t segments = 0;
  bool zero_tail = false;
  for (const auto& e : std::filesystem::directory_iterator(dir_ + "/log")) {
    if (e.path().extension() != ".log") continue;
    ++segments;
    // Sealed segments are cut to their records; the open one is not.
    zero_tail |= e.file_size() == o.log.segment_bytes;
  }
  EXPECT_GT(segments, 5u);
  EXPECT_TRUE(zero_tail) << "the last segment is written in place";
  ASSERT_TRUE(env.DropUnsyncedData().ok());  // the power cut
  env.FailSyncs(false);
  auto n = Node::Open(o, &registry_);
  ASSERT_TRUE(n.ok()) << n.status().ToString();
  EXPECT_EQ((*n)->recovery().messages_replayed, messages.size() - 1);
  EXPECT_EQ((*n)->recovery().receipt_mismatches, 0u);
  // Every acknowledged message is there (a resend is a duplicate); the one
  // whose sync failed is not.
  EXPECT_EQ(SubmitAndWait(n->get(), messages[messages.size() - 2]).accepted, 0u);
  EXPECT_EQ(SubmitAndWait(n->get(), messages.back()).accepted, 1u);
}

}  // namespace
}  // namespace ftz::node

namespace ftz::node {
namespace {

// The read model holds only records the log made durable: one ahead of
// the log shows acknowledged records are gone from it. The start is refused
// (nothing is guessed, nothing changes); moving the read model aside, as the
// message says, rebuilds it from the log there is.
TEST_F(NodeTest, AReadModelAheadOfTheLogRefusesToStart) {
  auto orders = workload::Workload::Messages(MessageType::kOrder, parcels_, 5, 1);
  {
    auto n = Open();
    for (size_t i = 0; i < 3; ++i) ASSERT_TRUE(SubmitAndWait(n.get(), orders[i]).logged);
  }
  // The log and the ledger lost (the ledger too: one ahead of its log is
  // refused on its own account).
  std::filesystem::remove_all(dir_ + "/log");
  std::filesystem::remove_all(dir_ + "/ledger");
  Options o;
  o.data_dir = dir_;
  {
    auto refused = Node::Open(o, &registry_);
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.status().code(), StatusCode::kCorruption);
    EXPECT_NE(refused.status().message().find("acknowledged records are missing"),
              std::string::npos)
        << refused.status().ToString();
  }
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/log/" + std::string(20, '0') + ".log"));
  for (const char* suffix : {"", "-wal", "-shm"}) {
    std::filesystem::remove(dir_ + "/readmodel.sqlite" + suffix);
  }
  auto n = Open();
  ASSERT_NE(n, nullptr);
  const auto& first = std::get<std::vector<Order>>(orders[0].blocks)[0].head;
  EXPECT_FALSE(n->read_model().FindDocument(311, first.ebpCode + "/" + first.orderNo).ok());
  EXPECT_EQ(SubmitAndWait(n.get(), orders[0]).accepted, orders[0].BlockCount());
}

}  // namespace
}  // namespace ftz::node

namespace ftz::node {
namespace {

TEST_F(NodeTest, RefusesToReplayADirectoryInTheOtherMode) {
  { auto n = Open(); }  // written with clearance (the default)
  Options o;
  o.data_dir = dir_;
  o.clearance = false;
  auto n = Node::Open(o, &registry_);
  ASSERT_FALSE(n.ok());
  EXPECT_EQ(n.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(n.status().message().find("intake-only"), std::string::npos) << n.status().ToString();
}

}  // namespace
}  // namespace ftz::node

namespace ftz::node {
namespace {

TEST_F(NodeTest, ALedgerAheadOfItsLogRefusesToStart) {
  auto orders = workload::Workload::Messages(MessageType::kOrder, parcels_, 5, 1);
  {
    auto n = Open();
    ASSERT_TRUE(SubmitAndWait(n.get(), orders[0]).logged);
  }  // closing flushes the ledger and signs a last checkpoint
  std::filesystem::remove_all(dir_ + "/log");  // records the checkpoint covers are gone
  // (The read model too: one ahead of the log is refused on its own account.)
  for (const char* suffix : {"", "-wal", "-shm"}) {
    std::filesystem::remove(dir_ + "/readmodel.sqlite" + suffix);
  }
  Options o;
  o.data_dir = dir_;
  auto n = Node::Open(o, &registry_);
  ASSERT_FALSE(n.ok());
  EXPECT_EQ(n.status().code(), StatusCode::kCorruption);
  EXPECT_NE(n.status().message().find("ledger holds"), std::string::npos);
}

// --- snapshots ---------------------------------------------------------

// Sends every document of `parcels` (orders, payments, waybills, lists; up to
// 5 to a message, by sender) and returns how many messages were logged;
// *sent (if given) is how many were sent.
size_t SendParcels(Node* n, const std::vector<workload::Parcel>& parcels, uint64_t seed,
                   size_t* sent = nullptr) {
  size_t logged = 0;
  if (sent) *sent = 0;
  for (MessageType t : {MessageType::kInventoryList, MessageType::kOrder, MessageType::kPayment,
                        MessageType::kWaybill}) {
    for (const Message& m : workload::Workload::Messages(t, parcels, 5, seed)) {
      Submission s;
      s.body = ceb::EncodeMessageXml(m);
      s.message = m;
      std::promise<SubmitResult> p;
      n->Submit(std::move(s), [&](SubmitResult r) { p.set_value(std::move(r)); });
      logged += p.get_future().get().logged ? 1 : 0;
      if (sent) ++*sent;
    }
  }
  return logged;
}

// The full level-0 tiles live only in the ledger's node file. A window whose
// node file is lost moves the tile store aside and rebuilds the tree from
// the log, to the root it signed before; a log that is not the published
// one (here: another window's, under this window's keys) is refused.
TEST_F(NodeTest, ALostLedgerIsRebuiltFromTheLogToTheSignedRoot) {
  workload::Workload w({});
  std::vector<workload::Parcel> parcels;
  for (int i = 0; i < 160; ++i) parcels.push_back(w.Next());
  auto signed_checkpoint = [&](const std::string& dir) {
    std::ifstream in(dir + "/ledger/checkpoint");
    std::string origin, size, root;
    std::getline(in, origin);
    std::getline(in, size);
    std::getline(in, root);
    return size + " " + root;
  };
  {
    auto n = Open(nullptr, 0, /*snapshot_on_close=*/true);
    SendParcels(n.get(), parcels, 1);
  }  // closing signs the last checkpoint, of every record
  const std::string before = signed_checkpoint(dir_);
  const uint64_t size = std::stoull(before.substr(0, before.find(' ')));
  ASSERT_GT(size, 2 * ledger::kTileWidth);  // full level-0 tiles exist
  std::filesystem::remove(dir_ + "/ledger/tiles/" + std::string(ledger::kNodeFile));
  {
    auto n = Open(nullptr, 0, /*snapshot_on_close=*/true);
    ASSERT_NE(n, nullptr);
    EXPECT_EQ(n->ledger().size(), size);
    EXPECT_EQ(n->ledger().checkpoint().size, size);
  }
  EXPECT_EQ(signed_checkpoint(dir_), before);  // the same root at the same size
  EXPECT_TRUE(std::filesystem::exists(dir_ + "/ledger/tiles.damaged-1"));
  EXPECT_TRUE(std::filesystem::exists(dir_ + "/ledger/tiles/" + std::string(ledger::kNodeFile)));

  // Another window's log under this window's keys and saved checkpoint.
  const std::string mine = MoveToADirWithThisWindowsKeys("-other");
  for (int i = 0; i < 80; ++i) parcels.push_back(w.Next());
  {
    auto n = Open();
    SendParcels(n.get(), parcels, 2);  // more parcels: a longer, other log
  }
  std::filesystem::copy_file(mine + "/ledger/checkpoint", dir_ + "/ledger/checkpoint",
                             std::filesystem::copy_options::overwrite_existing);
  Options o;
  o.data_dir = dir_;
  auto n = Node::Open(o, &registry_);
  ASSERT_FALSE(n.ok());
  EXPECT_EQ(n.status().code(), StatusCode::kCorruption);
  EXPECT_NE(n.status().message().find("not the one that was published"), std::string::npos)
      << n.status().ToString();
  std::filesystem::remove_all(dir_);
  dir_ = mine;
}

// A log shorter than the checkpoint this window signed last (restored from
// an older copy, or cut) lost records it published: the window refuses to
// start rather than sign the shorter tree and then, at the same size, a
// different one (a fork every verifier and witness would hold against it).
TEST_F(NodeTest, ALogShorterThanThePublishedCheckpointRefusesToStart) {
  workload::Workload w({});
  std::vector<workload::Parcel> parcels;
  for (int i = 0; i < 60; ++i) parcels.push_back(w.Next());
  {
    auto n = Open();
    SendParcels(n.get(), parcels, 1);
  }  // closing signs the last checkpoint, of every record
  const std::string mine = MoveToADirWithThisWindowsKeys("-older");
  {
    auto n = Open();
    const std::vector<workload::Parcel> fewer(parcels.begin(), parcels.begin() + 10);
    SendParcels(n.get(), fewer, 1);  // the same start, a shorter log
  }
  std::filesystem::copy_file(mine + "/ledger/checkpoint", dir_ + "/ledger/checkpoint",
                             std::filesystem::copy_options::overwrite_existing);
  const std::string saved = [&] {
    std::ifstream in(dir_ + "/ledger/checkpoint");
    return std::string(std::istreambuf_iterator<char>(in), {});
  }();
  Options o;
  o.data_dir = dir_;
  auto n = Node::Open(o, &registry_);
  ASSERT_FALSE(n.ok());
  EXPECT_EQ(n.status().code(), StatusCode::kCorruption);
  EXPECT_NE(n.status().message().find("published records are missing"), std::string::npos)
      << n.status().ToString();
  // The evidence stays: the saved checkpoint was not overwritten.
  std::ifstream in(dir_ + "/ledger/checkpoint");
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(in), {}), saved);
  std::filesystem::remove_all(dir_);
  dir_ = mine;
}

// A log cut into records the ledger already holds (published, so
// acknowledged) is refused, and the refusal writes nothing: no regenerated
// receipt appended to the log (which made a second start succeed), no
// snapshot taken on the way out (which pruned an older good one).
TEST_F(NodeTest, ARefusedStartWritesNothingAndStaysRefused) {
  workload::Workload w({});
  std::vector<workload::Parcel> parcels;
  for (int i = 0; i < 20; ++i) parcels.push_back(w.Next());
  {
    auto n = Open();
    SendParcels(n.get(), parcels, 1);
  }
  const std::string segment = dir_ + "/log/" + std::string(20, '0') + ".log";
  const auto size = std::filesystem::file_size(segment);
  std::filesystem::resize_file(segment, size - 1);  // the last record torn
  // (The read model too is gone, so that the ledger is what finds the loss:
  // a read model ahead of the log is refused before the log is opened.)
  for (const char* suffix : {"", "-wal", "-shm"}) {
    std::filesystem::remove(dir_ + "/readmodel.sqlite" + suffix);
  }
  Options o;
  o.data_dir = dir_;
  o.snapshot_on_close = true;
  std::uintmax_t cut = 0;
  for (int start = 0; start < 2; ++start) {
    auto n = Node::Open(o, &registry_);
    ASSERT_FALSE(n.ok()) << "start " << start;
    EXPECT_EQ(n.status().code(), StatusCode::kCorruption);
    EXPECT_NE(n.status().message().find("ledger holds"), std::string::npos)
        << n.status().ToString();
    // Only the torn record is gone; the second start finds the log as the
    // first left it.
    if (start == 0) cut = std::filesystem::file_size(segment);
    EXPECT_LT(cut, size);
    EXPECT_EQ(std::filesystem::file_size(segment), cut);
    EXPECT_TRUE(ListSnapshots(Env::Default(), dir_).empty());
  }
}

// A snapshot cut by a crash leaves its .tmp file, as large as the state: the
// next start removes it.
TEST_F(NodeTest, ASnapshotCutByACrashLeavesNoFileBehind) {
  {
    auto n = Open();
    ASSERT_TRUE(
        SubmitAndWait(n.get(), workload::Workload::Messages(MessageType::kOrder, parcels_, 5, 1)[0])
            .logged);
  }
  std::filesystem::create_directories(dir_ + "/snapshots");
  const std::string leftover = SnapshotPath(dir_, 3) + ".tmp";
  std::ofstream(leftover) << "half a snapshot";
  auto n = Open();
  ASSERT_NE(n, nullptr);
  EXPECT_FALSE(std::filesystem::exists(leftover));
}

TEST_F(NodeTest, RestartsFromTheSnapshotTakenAtShutdown) {
  const std::vector<workload::Parcel> first(parcels_.begin(), parcels_.begin() + 20);
  const std::vector<workload::Parcel> second(parcels_.begin() + 20, parcels_.end());
  uint64_t records = 0;
  {
    auto n = Open(nullptr, 0, /*snapshot_on_close=*/true);
    size_t sent = 0;
    ASSERT_EQ(SendParcels(n.get(), first, 1, &sent), sent);
    records = n->log().next_seq();
  }
  ASSERT_EQ(std::filesystem::exists(SnapshotPath(dir_, records)), true);
  uint64_t records2 = 0;
  size_t tail = 0;
  {
    auto n = Open();
    EXPECT_EQ(n->recovery().snapshot_seq, records);
    EXPECT_EQ(n->recovery().messages_replayed, 0u);
    EXPECT_TRUE(n->recovery().snapshots_skipped.empty());
    // The restored state refuses what it has seen and decides what is new.
    EXPECT_EQ(SendParcels(n.get(), first, 1), 0u);
    size_t sent = 0;
    EXPECT_EQ(SendParcels(n.get(), second, 2, &sent), sent);
    tail = sent;
    records2 = n->log().next_seq();
  }
  // No snapshot at that close: the tail after the first one is replayed and
  // every regenerated receipt (releases included) matches the logged one.
  auto n = Open();
  EXPECT_EQ(n->recovery().snapshot_seq, records);
  EXPECT_EQ(n->recovery().messages_replayed, tail);
  EXPECT_GT(n->recovery().receipts_checked, tail);
  EXPECT_EQ(n->recovery().receipt_mismatches, 0u);
  EXPECT_EQ(n->log().next_seq(), records2);
  // Releases happened and the quota the snapshot carried is in the state.
  auto lists = n->read_model().FindDocument(
      621, second[0].list.head.ebpCode + "/" + second[0].list.head.orderNo);
  ASSERT_TRUE(lists.ok()) << lists.status().ToString();
  EXPECT_NE(lists->status, 2);  // decided, not merely declared
}

TEST_F(NodeTest, PeriodicSnapshotsKeepTheNewestTwoAndADamagedOneIsSkipped) {
  {
    auto n = Open(nullptr, /*snapshot_every=*/10);
    size_t sent = 0;
    ASSERT_EQ(SendParcels(n.get(), parcels_, 3, &sent), sent);
    // Let the last snapshot writer finish (it runs on its own thread).
  }
  std::vector<uint64_t> snaps = ListSnapshots(Env::Default(), dir_);
  ASSERT_EQ(snaps.size(), 2u);
  EXPECT_GT(snaps[0], snaps[1]);
  // Flip one byte of the newest: it is skipped with the reason, the older
  // one is used, and the tail is replayed with no mismatch.
  {
    std::fstream f(SnapshotPath(dir_, snaps[0]), std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(60);
    f.put('\x5a');
  }
  auto n = Open();
  ASSERT_EQ(n->recovery().snapshots_skipped.size(), 1u);
  EXPECT_NE(n->recovery().snapshots_skipped[0].find("CRC"), std::string::npos)
      << n->recovery().snapshots_skipped[0];
  EXPECT_EQ(n->recovery().snapshot_seq, snaps[1]);
  EXPECT_GT(n->recovery().messages_replayed, 0u);
  EXPECT_EQ(n->recovery().receipt_mismatches, 0u);
  EXPECT_EQ(SendParcels(n.get(), parcels_, 3), 0u);  // every one a duplicate still
}

TEST_F(NodeTest, ASnapshotNewerThanTheReadModelIsNotUsed) {
  size_t sent = 0;
  {
    auto n = Open(nullptr, 0, /*snapshot_on_close=*/true);
    ASSERT_EQ(SendParcels(n.get(), parcels_, 4, &sent), sent);
  }
  // The read model is lost: its rows for the records the snapshot covers can
  // only come from replaying them, so the start replays the whole log.
  std::filesystem::remove(dir_ + "/readmodel.sqlite");
  std::filesystem::remove(dir_ + "/readmodel.sqlite-wal");
  std::filesystem::remove(dir_ + "/readmodel.sqlite-shm");
  auto n = Open();
  EXPECT_EQ(n->recovery().snapshot_seq, 0u);
  EXPECT_EQ(n->recovery().snapshots_skipped.size(), 1u);
  EXPECT_EQ(n->recovery().messages_replayed, sent);
  EXPECT_EQ(n->recovery().receipt_mismatches, 0u);
}

}  // namespace
}  // namespace ftz::node

namespace ftz::node {
namespace {

// The start rules records (kAdmin kind 4) in the log, as (seq, TOML).
std::vector<std::pair<uint64_t, std::string>> LoggedStartRules(const std::string& dir) {
  std::vector<std::pair<uint64_t, std::string>> out;
  Status s = stream::Log::Scan(Env::Default(), dir + "/log", 0, [&](const stream::Record& r) {
    engine::AdminRecord a;
    if (r.type == stream::RecordType::kAdmin && engine::DecodeAdminRecord(r.payload, &a) &&
        a.kind == engine::AdminRecord::kStartRules) {
      out.emplace_back(r.seq, a.rules_toml);
    }
    return Status::Ok();
  });
  EXPECT_TRUE(s.ok()) << s.ToString();
  return out;
}

TEST_F(NodeTest, TheRulesFileOfEachStartIsLoggedAndReplayUsesIt) {
  const std::vector<workload::Parcel> first(parcels_.begin(), parcels_.begin() + 10);
  const std::vector<workload::Parcel> second(parcels_.begin() + 10, parcels_.begin() + 20);
  // A second rules file: another version with a single-transaction limit so
  // low that every list under it is refused.
  std::string strict(engine::DefaultRulesToml());
  auto set = [&strict](const std::string& key, const std::string& value) {
    const size_t at = strict.find("\n" + key + " = ") + 1;
    strict.replace(at, strict.find('\n', at) - at, key + " = " + value);
  };
  set("version", "\"test-strict\"");
  set("single", "\"1\"");
  {
    auto n = Open();
    // The first record of a new log is the start's rules file.
    EXPECT_EQ(LoggedStartRules(dir_), (std::vector<std::pair<uint64_t, std::string>>{
                                          {0, std::string(engine::DefaultRulesToml())}}));
    size_t sent = 0;
    ASSERT_EQ(SendParcels(n.get(), first, 1, &sent), sent);
  }
  uint64_t changed_at = 0;
  {
    auto n = Open();  // the same file: nothing more is logged
    EXPECT_EQ(LoggedStartRules(dir_).size(), 1u);
    EXPECT_EQ(n->recovery().receipt_mismatches, 0u);
  }
  {
    auto n = Open(nullptr, 0, false, strict);
    auto logged = LoggedStartRules(dir_);
    ASSERT_EQ(logged.size(), 2u);
    EXPECT_EQ(logged[1].second, strict);
    changed_at = logged[1].first;
    // Lists decided before the change were replayed under the rules that
    // decided them: every regenerated receipt matches the logged one.
    EXPECT_EQ(n->recovery().receipt_mismatches, 0u);
    EXPECT_GT(n->recovery().receipts_checked, 10u);
    ASSERT_NE(n->rules(), nullptr);
    ASSERT_EQ(n->rules()->size(), 1u);
    EXPECT_EQ(n->rules()->At(0).version, "test-strict");
    size_t sent = 0;
    SendParcels(n.get(), second, 2, &sent);
    for (int tries = 0; tries < 200 && n->read_model_lag() > 0; ++tries) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    auto list = n->read_model().FindDocument(
        621, second[0].list.head.ebpCode + "/" + second[0].list.head.orderNo);
    ASSERT_TRUE(list.ok()) << list.status().ToString();
    EXPECT_EQ(list->status, 100) << "decided under the strict file: " << list->info;
  }
  // Back to the default file, replaying everything from the start: each part
  // of the log is decided under its own start's rules, again with no
  // mismatch, and the default file is logged once more.
  auto n = Open();
  EXPECT_EQ(n->recovery().receipt_mismatches, 0u);
  auto logged = LoggedStartRules(dir_);
  ASSERT_EQ(logged.size(), 3u);
  EXPECT_GT(logged[1].first, 0u);
  EXPECT_EQ(logged[1].first, changed_at);
  EXPECT_EQ(logged[2].second, std::string(engine::DefaultRulesToml()));
}

}  // namespace
}  // namespace ftz::node

namespace ftz::node {
namespace {

// Two nodes on one data directory would append to the same log segment and
// overwrite each other's acknowledged records: the second is refused, and
// the directory opens again once the first has closed.
TEST_F(NodeTest, ASecondNodeOnTheSameDataDirectoryIsRefused) {
  auto orders = workload::Workload::Messages(MessageType::kOrder, parcels_, 5, 1);
  {
    auto first = Open();
    ASSERT_NE(first, nullptr);
    ASSERT_TRUE(SubmitAndWait(first.get(), orders[0]).logged);
    Options o;
    o.data_dir = dir_;
    auto second = Node::Open(o, &registry_);
    ASSERT_FALSE(second.ok());
    EXPECT_EQ(second.status().code(), StatusCode::kFailedPrecondition);
    EXPECT_NE(second.status().message().find("another process has this data directory open"),
              std::string::npos)
        << second.status().ToString();
    // The refusal touched nothing of the first's.
    ASSERT_TRUE(SubmitAndWait(first.get(), orders[1]).logged);
  }
  auto again = Open();
  ASSERT_NE(again, nullptr);
  // Both orders are there: sent again, each is a duplicate.
  for (size_t i = 0; i < 2; ++i) {
    SubmitResult r = SubmitAndWait(again.get(), orders[i]);
    EXPECT_EQ(r.accepted, 0u) << i;
    EXPECT_FALSE(r.logged) << i;
  }
}

TEST_F(NodeTest, AStopAskedForDuringRecoveryEndsTheStartAndLosesNothing) {
  auto orders = workload::Workload::Messages(MessageType::kOrder, parcels_, 5, 1);
  {
    auto n = Open();
    ASSERT_NE(n, nullptr);
    for (const Message& m : orders) ASSERT_TRUE(SubmitAndWait(n.get(), m).logged);
  }
  // A stop asked for as the start replays (ftzport serve's SIGTERM): the
  // start ends at the record it had reached, changing nothing.
  std::atomic<bool> stop{true};
  Options o = CrashOptions(nullptr);
  o.stop_recovery = &stop;
  auto stopped = Node::Open(o, &registry_);
  ASSERT_FALSE(stopped.ok());
  EXPECT_EQ(stopped.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(stopped.status().message().find("recovery stopped at log record 0"), std::string::npos)
      << stopped.status().ToString();
  // The next start replays everything (the stopped one left the directory
  // unlocked), and every order is still there.
  auto n = Open();
  ASSERT_NE(n, nullptr);
  EXPECT_EQ(n->recovery().messages_replayed, orders.size());
  for (const Message& m : orders) {
    SubmitResult r = SubmitAndWait(n.get(), m);
    EXPECT_EQ(r.accepted, 0u);
    EXPECT_FALSE(r.logged);
  }
}

}  // namespace
}  // namespace ftz::node
