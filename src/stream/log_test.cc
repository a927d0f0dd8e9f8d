#include "stream/log.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>
#include <vector>

#include "env/fault_injection_env.h"

namespace ftz::stream {
namespace {

class LogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("ftz-log-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::vector<std::string> ReadAll(Env* env, RecoveryInfo* info = nullptr) {
    std::vector<std::string> out;
    auto log = Log::Open(
        env, dir_, options_,
        [&](const Record& r) {
          EXPECT_EQ(r.seq, out.size());
          out.emplace_back(r.payload);
          return Status::Ok();
        },
        info);
    EXPECT_TRUE(log.ok()) << log.status().ToString();
    return out;
  }

  std::string dir_;
  LogOptions options_;
};

TEST_F(LogTest, AppendSyncReopen) {
  {
    auto log = Log::Open(Env::Default(), dir_, options_, nullptr, nullptr);
    ASSERT_TRUE(log.ok());
    EXPECT_EQ((*log)->Append(RecordType::kMessage, 5, "first"), 0u);
    EXPECT_EQ((*log)->Append(RecordType::kReceipt, 6, ""), 1u);
    EXPECT_EQ((*log)->durable_seq(), 0u);
    ASSERT_TRUE((*log)->Sync().ok());
    EXPECT_EQ((*log)->durable_seq(), 2u);
  }
  EXPECT_EQ(ReadAll(Env::Default()), (std::vector<std::string>{"first", ""}));
  // Appends continue after a reopen with the next sequence number.
  {
    auto log = Log::Open(Env::Default(), dir_, options_, nullptr, nullptr);
    ASSERT_TRUE(log.ok());
    EXPECT_EQ((*log)->Append(RecordType::kMessage, 7, "third"), 2u);
    ASSERT_TRUE((*log)->Sync().ok());
  }
  EXPECT_EQ(ReadAll(Env::Default()).size(), 3u);
}

TEST_F(LogTest, WriteHandsOverTheRecordsItWroteAndKeepsBufferingInTheStringGiven) {
  auto log = Log::Open(Env::Default(), dir_, options_, nullptr, nullptr);
  ASSERT_TRUE(log.ok());
  (*log)->Append(RecordType::kMessage, 1700000000123, "an order");
  (*log)->Append(RecordType::kReceipt, -5, "");
  (*log)->Append(RecordType::kTick, 42, std::string(300, 'x'));
  std::string written = "left over from an earlier batch";
  written.reserve(1 << 16);
  const size_t capacity = written.capacity();
  ASSERT_TRUE((*log)->Write(&written).ok());
  std::vector<std::pair<uint64_t, std::string>> seen;
  std::vector<UnixMillis> times;
  std::vector<RecordType> types;
  ForEachWrittenRecord(written, [&](const Record& r) {
    seen.emplace_back(r.seq, std::string(r.payload));
    times.push_back(r.time);
    types.push_back(r.type);
  });
  EXPECT_EQ(seen, (std::vector<std::pair<uint64_t, std::string>>{
                      {0, "an order"}, {1, ""}, {2, std::string(300, 'x')}}));
  EXPECT_EQ(times, (std::vector<UnixMillis>{1700000000123, -5, 42}));
  EXPECT_EQ(types, (std::vector<RecordType>{RecordType::kMessage, RecordType::kReceipt,
                                            RecordType::kTick}));
  // The next batch is buffered in the string handed in (its capacity kept)
  // and handed over alone.
  (*log)->Append(RecordType::kAdmin, 43, "goods in");
  std::string next;
  ASSERT_TRUE((*log)->Write(&next).ok());
  EXPECT_GE(next.capacity(), capacity);
  seen.clear();
  ForEachWrittenRecord(next, [&](const Record& r) { seen.emplace_back(r.seq, r.payload); });
  EXPECT_EQ(seen, (std::vector<std::pair<uint64_t, std::string>>{{3, "goods in"}}));
  // Nothing appended: nothing handed over.
  ASSERT_TRUE((*log)->Write(&next).ok());
  EXPECT_TRUE(next.empty());
  ASSERT_TRUE((*log)->SyncWritten().ok());
  EXPECT_EQ(ReadAll(Env::Default()),
            (std::vector<std::string>{"an order", "", std::string(300, 'x'), "goods in"}));
}

TEST_F(LogTest, RollsSegmentsAndScansFromAnySequence) {
  options_.segment_bytes = 200;
  {
    auto log = Log::Open(Env::Default(), dir_, options_, nullptr, nullptr);
    ASSERT_TRUE(log.ok());
    for (int i = 0; i < 50; ++i) {
      (*log)->Append(RecordType::kMessage, i, "record-" + std::to_string(i));
      ASSERT_TRUE((*log)->Sync().ok());
    }
  }
  size_t segments = 0;
  for (auto& e : std::filesystem::directory_iterator(dir_))
    segments += e.path().extension() == ".log";
  EXPECT_GT(segments, 5u);
  RecoveryInfo info;
  auto all = ReadAll(Env::Default(), &info);
  ASSERT_EQ(all.size(), 50u);
  EXPECT_EQ(all[49], "record-49");
  EXPECT_EQ(info.segments, segments);
  std::vector<uint64_t> seqs;
  ASSERT_TRUE(Log::Scan(Env::Default(), dir_, 37, [&](const Record& r) {
                seqs.push_back(r.seq);
                return Status::Ok();
              }).ok());
  ASSERT_EQ(seqs.size(), 13u);
  EXPECT_EQ(seqs.front(), 37u);
}

TEST_F(LogTest, CrashLosesOnlyUnsyncedRecords) {
  FaultInjectionEnv env(Env::Default());
  {
    auto log = Log::Open(&env, dir_, options_, nullptr, nullptr);
    ASSERT_TRUE(log.ok());
    (*log)->Append(RecordType::kMessage, 1, "acknowledged");
    ASSERT_TRUE((*log)->Sync().ok());
    (*log)->Append(RecordType::kMessage, 2, "never synced");
    // Written to the file but not synced: simulate the write reaching the page
    // cache and the power failing before fdatasync.
  }
  ASSERT_TRUE(env.DropUnsyncedData().ok());
  EXPECT_EQ(ReadAll(&env), (std::vector<std::string>{"acknowledged"}));
}

TEST_F(LogTest, TornTailIsTruncatedToLastWholeRecord) {
  {
    auto log = Log::Open(Env::Default(), dir_, options_, nullptr, nullptr);
    ASSERT_TRUE(log.ok());
    (*log)->Append(RecordType::kMessage, 1, "one");
    (*log)->Append(RecordType::kMessage, 2, "two");
    ASSERT_TRUE((*log)->Sync().ok());
  }
  std::string seg = dir_ + "/" + SegmentName(0);
  uint64_t whole = std::filesystem::file_size(seg);
  {
    // Half a record: a header and part of a payload.
    std::ofstream out(seg, std::ios::app | std::ios::binary);
    out << std::string("\x01\x02\x03\x04\x50\x00\x00\x00partial", 15);
  }
  RecoveryInfo info;
  EXPECT_EQ(ReadAll(Env::Default(), &info), (std::vector<std::string>{"one", "two"}));
  EXPECT_EQ(info.torn_bytes, 15u);
  EXPECT_NE(info.torn_reason.find("record"), std::string::npos);
  EXPECT_FALSE(info.unstarted_segment_removed);
  EXPECT_EQ(std::filesystem::file_size(seg), whole);
}

// A segment missing between others (docs/log-format.md §6, step 2): the
// sequence has a gap, and the log refuses to open rather than skip records.
// So does a log whose first segment is gone.
TEST_F(LogTest, AMissingSegmentIsCorruption) {
  options_.segment_bytes = 100;
  std::vector<std::string> segments;
  {
    auto log = Log::Open(Env::Default(), dir_, options_, nullptr, nullptr);
    ASSERT_TRUE(log.ok());
    for (int i = 0; i < 12; ++i) {
      (*log)->Append(RecordType::kMessage, i, "payload-payload-" + std::to_string(i));
      ASSERT_TRUE((*log)->Sync().ok());
    }
  }
  for (const auto& e : std::filesystem::directory_iterator(dir_)) {
    uint64_t first = 0;
    if (ParseSegmentName(e.path().filename().string(), &first)) {
      segments.push_back(e.path().string());
    }
  }
  std::sort(segments.begin(), segments.end());
  ASSERT_GE(segments.size(), 3u);
  std::filesystem::rename(segments[1], dir_ + "/aside");
  auto log = Log::Open(Env::Default(), dir_, options_, nullptr, nullptr);
  ASSERT_FALSE(log.ok());
  EXPECT_EQ(log.status().code(), StatusCode::kCorruption) << log.status().ToString();
  std::filesystem::rename(dir_ + "/aside", segments[1]);
  std::filesystem::rename(segments[0], dir_ + "/aside");
  log = Log::Open(Env::Default(), dir_, options_, nullptr, nullptr);
  ASSERT_FALSE(log.ok());
  EXPECT_EQ(log.status().code(), StatusCode::kCorruption) << log.status().ToString();
}

TEST_F(LogTest, CorruptionBeforeTheLastSegmentRefusesToOpen) {
  options_.segment_bytes = 100;
  {
    auto log = Log::Open(Env::Default(), dir_, options_, nullptr, nullptr);
    ASSERT_TRUE(log.ok());
    for (int i = 0; i < 10; ++i) {
      (*log)->Append(RecordType::kMessage, i, "payload-payload-" + std::to_string(i));
      ASSERT_TRUE((*log)->Sync().ok());
    }
  }
  std::string seg = dir_ + "/" + SegmentName(0);
  {
    std::fstream f(seg, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(kSegmentHeaderSize + kRecordHeaderSize + 2);
    f.put('X');  // flip a payload byte of record 0
  }
  auto log = Log::Open(Env::Default(), dir_, options_, nullptr, nullptr);
  ASSERT_FALSE(log.ok());
  EXPECT_EQ(log.status().code(), StatusCode::kCorruption);
  EXPECT_NE(log.status().message().find("checksum mismatch"), std::string::npos);
}

TEST_F(LogTest, FailedSyncIsReported) {
  FaultInjectionEnv env(Env::Default());
  auto log = Log::Open(&env, dir_, options_, nullptr, nullptr);
  ASSERT_TRUE(log.ok());
  (*log)->Append(RecordType::kMessage, 1, "x");
  env.FailSyncs(true);
  Status s = (*log)->Sync();
  EXPECT_EQ(s.code(), StatusCode::kIOError);
  EXPECT_EQ((*log)->durable_seq(), 0u);
}

}  // namespace
}  // namespace ftz::stream

namespace ftz::stream {
namespace {

TEST_F(LogTest, ReadsAnyDurableRecordAcrossSegmentsAndReopen) {
  options_.segment_bytes = 150;
  {
    auto log = Log::Open(Env::Default(), dir_, options_, nullptr, nullptr);
    ASSERT_TRUE(log.ok());
    for (int i = 0; i < 30; ++i) {
      (*log)->Append(i % 2 ? RecordType::kReceipt : RecordType::kMessage, 1000 + i,
                     "p" + std::to_string(i));
      if (i % 3 == 2) {
        ASSERT_TRUE((*log)->Sync().ok());
      }
    }
    RecordType t;
    UnixMillis time;
    std::string payload;
    ASSERT_TRUE((*log)->Read(17, &t, &time, &payload).ok());
    EXPECT_EQ(payload, "p17");
    EXPECT_EQ(t, RecordType::kReceipt);
    EXPECT_EQ(time, 1017);
    EXPECT_EQ((*log)->Read(30, &t, &time, &payload).code(), StatusCode::kNotFound);
  }
  auto log = Log::Open(Env::Default(), dir_, options_, nullptr, nullptr);
  ASSERT_TRUE(log.ok());
  RecordType t;
  UnixMillis time;
  std::string payload;
  for (uint64_t s : {uint64_t{0}, uint64_t{5}, uint64_t{29}}) {
    ASSERT_TRUE((*log)->Read(s, &t, &time, &payload).ok());
    EXPECT_EQ(payload, "p" + std::to_string(s));
  }
}

}  // namespace
}  // namespace ftz::stream

namespace ftz::stream {
namespace {

TEST_F(LogTest, DamageFollowedByValidRecordsIsCorruptionNotATornTail) {
  {
    auto log = Log::Open(Env::Default(), dir_, options_, nullptr, nullptr);
    ASSERT_TRUE(log.ok());
    for (int i = 0; i < 5; ++i) {
      (*log)->Append(RecordType::kMessage, i, "acknowledged-" + std::to_string(i));
      ASSERT_TRUE((*log)->Sync().ok());
    }
  }
  std::string seg = dir_ + "/" + SegmentName(0);
  {
    std::fstream f(seg, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(kSegmentHeaderSize + kRecordHeaderSize + 3);  // inside record 0
    f.put('#');
  }
  // A reader (replay, audit) says so too, rather than take the damage for
  // the end of the log and stop there.
  size_t visited = 0;
  Status scan = Log::Scan(Env::Default(), dir_, 0, [&](const Record&) {
    ++visited;
    return Status::Ok();
  });
  EXPECT_EQ(scan.code(), StatusCode::kCorruption) << scan.ToString();
  EXPECT_NE(scan.message().find("valid records follow"), std::string::npos);
  EXPECT_EQ(visited, 0u);
  auto log = Log::Open(Env::Default(), dir_, options_, nullptr, nullptr);
  ASSERT_FALSE(log.ok());
  EXPECT_EQ(log.status().code(), StatusCode::kCorruption);
  EXPECT_NE(log.status().message().find("valid records follow"), std::string::npos);
}

TEST_F(LogTest, DamagedHeaderOfAFullSegmentIsCorruption) {
  {
    auto log = Log::Open(Env::Default(), dir_, options_, nullptr, nullptr);
    ASSERT_TRUE(log.ok());
    (*log)->Append(RecordType::kMessage, 1, "acknowledged");
    ASSERT_TRUE((*log)->Sync().ok());
  }
  std::string seg = dir_ + "/" + SegmentName(0);
  {
    std::fstream f(seg, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(2);
    f.put('?');
  }
  auto log = Log::Open(Env::Default(), dir_, options_, nullptr, nullptr);
  ASSERT_FALSE(log.ok());
  EXPECT_EQ(log.status().code(), StatusCode::kCorruption);
  EXPECT_TRUE(std::filesystem::exists(seg));  // nothing was deleted
}

}  // namespace
}  // namespace ftz::stream

namespace ftz::stream {
// ---- Preallocated segments (LogOptions::preallocate) ----

class PreallocatedLogTest : public LogTest {
 protected:
  // Records of 28 + 194 bytes: 18 fit a 4096-byte segment after its header.
  static constexpr uint64_t kRecord = kRecordHeaderSize + 194;
  static constexpr uint64_t kSealed = kSegmentHeaderSize + 18 * kRecord;

  void SetUp() override {
    LogTest::SetUp();
    options_.preallocate = true;
    options_.segment_bytes = 4096;
  }
  // The preparing thread works in the background: wait until the next
  // segment's file is ready.
  bool WaitPrepared() {
    const std::string path = dir_ + "/" + kPreallocatedName;
    for (int i = 0; i < 500; ++i) {
      std::error_code ec;
      if (std::filesystem::file_size(path, ec) == 4096 && !ec) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
  }
  std::vector<std::string> Segments() {
    std::vector<std::string> segs;
    for (const auto& e : std::filesystem::directory_iterator(dir_)) {
      if (e.path().extension() == ".log") segs.push_back(e.path().string());
    }
    std::sort(segs.begin(), segs.end());
    return segs;
  }
  // Appends records `first`.. one Sync each, each once the next segment's
  // file is ready, so that every segment after the log's first (started
  // before anything was prepared) is written in place.
  void AppendRecords(Log* log, int n, int first = 0) {
    for (int i = first; i < first + n; ++i) {
      ASSERT_TRUE(WaitPrepared());
      log->Append(RecordType::kMessage, i, std::string(190, 'x') + std::to_string(1000 + i));
      ASSERT_TRUE(log->Sync().ok());
    }
  }
};

TEST_F(PreallocatedLogTest, SegmentsAreWrittenInPlaceAndSealedToTheirLastRecord) {
  {
    auto log = Log::Open(Env::Default(), dir_, options_, nullptr, nullptr);
    ASSERT_TRUE(log.ok());
    AppendRecords(log->get(), 60);  // segments of records 0-17, 18-35, 36-53, 54-59
    std::vector<std::string> segs = Segments();
    ASSERT_EQ(segs.size(), 4u);
    // The open segment keeps its preallocated length; sealed ones end with
    // their last record.
    EXPECT_EQ(std::filesystem::file_size(segs.back()), 4096u);
    for (size_t i = 0; i + 1 < segs.size(); ++i) {
      EXPECT_EQ(std::filesystem::file_size(segs[i]), kSealed) << segs[i];
    }
  }
  RecoveryInfo info;
  std::vector<std::string> all = ReadAll(Env::Default(), &info);
  ASSERT_EQ(all.size(), 60u);
  EXPECT_EQ(all[59], std::string(190, 'x') + "1059");
  EXPECT_EQ(info.torn_bytes, 0u) << "zeros after the last record are no torn tail";
  // A reopened log goes on writing over the zeros of its last segment.
  {
    auto log = Log::Open(Env::Default(), dir_, options_, nullptr, nullptr);
    ASSERT_TRUE(log.ok());
    EXPECT_EQ((*log)->next_seq(), 60u);
    (*log)->Append(RecordType::kMessage, 60, "after reopen");
    ASSERT_TRUE((*log)->Sync().ok());
    EXPECT_EQ(std::filesystem::file_size(Segments().back()), 4096u);
    std::string payload;
    RecordType t;
    UnixMillis time;
    ASSERT_TRUE((*log)->Read(60, &t, &time, &payload).ok());
    EXPECT_EQ(payload, "after reopen");
  }
  EXPECT_EQ(ReadAll(Env::Default()).back(), "after reopen");
  std::vector<uint64_t> scanned;
  ASSERT_TRUE(Log::Scan(Env::Default(), dir_, 55, [&](const Record& r) {
                scanned.push_back(r.seq);
                return Status::Ok();
              }).ok());
  EXPECT_EQ(scanned, (std::vector<uint64_t>{55, 56, 57, 58, 59, 60}));
}

// A segment that cannot be prepared (here its fdatasync fails, as on a full
// disk) is warned about, the first at the open and the next on the
// preparing thread, and from then on the log appends to its segments:
// nothing is lost and intake goes on (only a failed sync of the log itself
// stops it).
TEST_F(PreallocatedLogTest, SegmentsThatCannotBePreparedAreAppendedToWithAWarning) {
  FaultInjectionEnv env(Env::Default());
  env.FailSyncs(true);
  ::testing::internal::CaptureStderr();
  {
    auto log = Log::Open(&env, dir_, options_, nullptr, nullptr);
    ASSERT_TRUE(log.ok()) << log.status().ToString();
    // The open's attempt failed; wait for the preparing thread's.
    for (int i = 0; i < 1000 && env.syncs_failed() < 2; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    ASSERT_GE(env.syncs_failed(), 2u);
    env.FailSyncs(false);
    for (int i = 0; i < 60; ++i) {
      (*log)->Append(RecordType::kMessage, i, std::string(194, static_cast<char>('a' + i % 26)));
      ASSERT_TRUE((*log)->Sync().ok()) << i;
    }
    EXPECT_FALSE(std::filesystem::exists(dir_ + "/" + kPreallocatedName));
  }
  const std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_NE(err.find("warning: log: cannot prepare the first segment"), std::string::npos) << err;
  EXPECT_NE(err.find("warning: log: cannot prepare the next segment"), std::string::npos) << err;
  EXPECT_NE(err.find("injected fdatasync failure"), std::string::npos) << err;
  std::vector<std::string> records = ReadAll(Env::Default());
  ASSERT_EQ(records.size(), 60u);
  EXPECT_EQ(records[59], std::string(194, static_cast<char>('a' + 59 % 26)));
  size_t segments = 0;
  for (auto& e : std::filesystem::directory_iterator(dir_))
    segments += e.path().extension() == ".log";
  EXPECT_GE(segments, 3u);
}

TEST_F(PreallocatedLogTest, ANewLogsFirstSegmentIsWrittenInPlaceToo) {
  {
    auto log = Log::Open(Env::Default(), dir_, options_, nullptr, nullptr);
    ASSERT_TRUE(log.ok());
    (*log)->Append(RecordType::kMessage, 1, "first");
    ASSERT_TRUE((*log)->Sync().ok());
    const std::vector<std::string> segs = Segments();
    ASSERT_EQ(segs.size(), 1u);
    // Prepared at Open, not appended to: it has its full length already.
    EXPECT_EQ(std::filesystem::file_size(segs[0]), 4096u);
  }
  RecoveryInfo info;
  std::vector<std::string> all = ReadAll(Env::Default(), &info);
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0], "first");
  EXPECT_EQ(info.torn_bytes, 0u);
}

TEST_F(PreallocatedLogTest, CrashLosesOnlyUnsyncedRecordsAndLeavesZeros) {
  FaultInjectionEnv env(Env::Default());
  {
    auto log = Log::Open(&env, dir_, options_, nullptr, nullptr);
    ASSERT_TRUE(log.ok());
    AppendRecords(log->get(), 20);  // the second segment holds two
    // Written over the zeros but never made durable: the fdatasync fails.
    env.FailSyncs(true);
    (*log)->Append(RecordType::kMessage, 99, "never synced");
    EXPECT_FALSE((*log)->Sync().ok());
  }
  ASSERT_TRUE(env.DropUnsyncedData().ok());
  env.FailSyncs(false);
  const std::string last = Segments().back();
  EXPECT_EQ(std::filesystem::file_size(last), 4096u) << "a file written in place keeps its length";
  RecoveryInfo info;
  std::vector<std::string> all = ReadAll(&env, &info);
  ASSERT_EQ(all.size(), 20u);
  EXPECT_EQ(all.back(), std::string(190, 'x') + "1019");
  EXPECT_EQ(info.torn_bytes, 0u);
}

TEST_F(PreallocatedLogTest, TornRecordBeforeTheZerosIsCutAndAppendingResumes) {
  {
    auto log = Log::Open(Env::Default(), dir_, options_, nullptr, nullptr);
    ASSERT_TRUE(log.ok());
    AppendRecords(log->get(), 20);
  }
  const std::string last = Segments().back();
  const uint64_t end = kSegmentHeaderSize + 2 * kRecord;  // records 18 and 19
  {
    // Half a record written over the zeros, as a crash mid-write leaves it.
    std::fstream f(last, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(end));
    f.write("\x01\x02\x03\x04\x50\x00\x00\x00partial", 15);
  }
  RecoveryInfo info;
  EXPECT_EQ(ReadAll(Env::Default(), &info).size(), 20u);
  EXPECT_EQ(info.torn_bytes, 4096u - end);
  EXPECT_EQ(std::filesystem::file_size(last), end);
  auto log = Log::Open(Env::Default(), dir_, options_, nullptr, nullptr);
  ASSERT_TRUE(log.ok());
  (*log)->Append(RecordType::kMessage, 20, "appended");
  ASSERT_TRUE((*log)->Sync().ok());
  EXPECT_EQ(std::filesystem::file_size(last), end + kRecordHeaderSize + 8);
}

TEST_F(PreallocatedLogTest, SegmentNeverStartedIsRemovedAndZerosBeforeItAreCut) {
  {
    auto log = Log::Open(Env::Default(), dir_, options_, nullptr, nullptr);
    ASSERT_TRUE(log.ok());
    AppendRecords(log->get(), 30);  // records 18-29 in the second segment, in place
  }
  std::vector<std::string> segs = Segments();
  ASSERT_EQ(segs.size(), 2u);
  // A crash after a roll renamed the prepared file into place, before the
  // new segment's header was written: the segment sealed just before still
  // has its zeros (its cut was never made durable either).
  { std::ofstream(dir_ + "/" + SegmentName(30), std::ios::binary) << std::string(4096, '\0'); }
  RecoveryInfo info;
  ASSERT_EQ(ReadAll(Env::Default(), &info).size(), 30u);
  // Removed, and started afresh by the open log (with its header this time).
  std::string head(8, '\0');
  std::ifstream(dir_ + "/" + SegmentName(30), std::ios::binary).read(head.data(), 8);
  EXPECT_EQ(head, "FTZLOG01");
  EXPECT_NE(info.torn_reason.find("never started"), std::string::npos) << info.torn_reason;
  EXPECT_TRUE(info.unstarted_segment_removed);
  EXPECT_EQ(std::filesystem::file_size(segs[1]), kSegmentHeaderSize + 12 * kRecord);
  // Anything but zeros after a sealed segment's records is still damage.
  std::filesystem::resize_file(segs[0], 4096);
  {
    std::fstream f(segs[0], std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(4050);
    f.write("x", 1);
  }
  auto log = Log::Open(Env::Default(), dir_, options_, nullptr, nullptr);
  ASSERT_FALSE(log.ok());
  EXPECT_EQ(log.status().code(), StatusCode::kCorruption) << log.status().ToString();
}

TEST_F(PreallocatedLogTest, APreparedFileWithAnythingButZerosIsNotUsed) {
  {
    auto log = Log::Open(Env::Default(), dir_, options_, nullptr, nullptr);
    ASSERT_TRUE(log.ok());
    AppendRecords(log->get(), 20);  // records 18 and 19 in the second segment
  }
  // The prepared file's name, holding records: what a lost rename of a roll
  // would leave (the log now makes the rename durable before writing).
  std::filesystem::rename(dir_ + "/" + SegmentName(18), dir_ + "/" + kPreallocatedName);
  {
    auto log = Log::Open(Env::Default(), dir_, options_, nullptr, nullptr);
    ASSERT_TRUE(log.ok());
    ASSERT_EQ((*log)->next_seq(), 18u);
    // The next record rolls to a new segment 18: over a file prepared
    // afresh, not over the stale records.
    AppendRecords(log->get(), 1, 18);
  }
  auto log = Log::Open(Env::Default(), dir_, options_, nullptr, nullptr);
  ASSERT_TRUE(log.ok()) << log.status().ToString();
  EXPECT_EQ((*log)->next_seq(), 19u) << "no stale record came back";
}

TEST_F(PreallocatedLogTest, ScanReportsRecordsMissingFromTheEndOfASealedSegment) {
  {
    auto log = Log::Open(Env::Default(), dir_, options_, nullptr, nullptr);
    ASSERT_TRUE(log.ok());
    AppendRecords(log->get(), 20);
  }
  // The last record of the first (sealed) segment zeroed: the segment now
  // looks as if it ended there, in zeros.
  const std::string first = dir_ + "/" + SegmentName(0);
  std::filesystem::resize_file(first, kSealed - kRecord);
  std::filesystem::resize_file(first, kSealed);
  Status scan = Log::Scan(Env::Default(), dir_, 0, [](const Record&) { return Status::Ok(); });
  EXPECT_EQ(scan.code(), StatusCode::kCorruption) << scan.ToString();
  auto log = Log::Open(Env::Default(), dir_, options_, nullptr, nullptr);
  EXPECT_EQ(log.status().code(), StatusCode::kCorruption);
}

namespace {

class LogIndexTest : public LogTest {
 protected:
  // 40 records over many small segments, each synced on its own.
  void Fill() {
    options_.segment_bytes = 150;
    auto log = Log::Open(Env::Default(), dir_, options_, nullptr, nullptr);
    ASSERT_TRUE(log.ok());
    for (int i = 0; i < 40; ++i) {
      (*log)->Append(RecordType::kMessage, 1000 + i, "payload-" + std::to_string(i));
      ASSERT_TRUE((*log)->Sync().ok());
    }
  }
  // Opens visiting from `from`; returns the seqs visited.
  std::vector<uint64_t> OpenFrom(uint64_t from, RecoveryInfo* info,
                                 std::unique_ptr<Log>* keep = nullptr) {
    std::vector<uint64_t> seen;
    auto log = Log::Open(
        Env::Default(), dir_, options_,
        [&](const Record& r) {
          seen.push_back(r.seq);
          return Status::Ok();
        },
        info, from);
    EXPECT_TRUE(log.ok()) << log.status().ToString();
    if (keep && log.ok()) *keep = std::move(*log);
    return seen;
  }
};

TEST_F(LogIndexTest, SealedSegmentsBeforeTheReplayPointAreNotRead) {
  Fill();
  RecoveryInfo info;
  std::unique_ptr<Log> log;
  std::vector<uint64_t> seen = OpenFrom(30, &info, &log);
  ASSERT_EQ(seen.size(), 10u);
  EXPECT_EQ(seen.front(), 30u);
  EXPECT_EQ(info.records, 40u);
  EXPECT_GT(info.segments_from_index, 5u);
  EXPECT_LT(info.segments_from_index, info.segments);
  // Records of indexed segments are still readable, CRC-checked.
  RecordType t;
  UnixMillis time;
  std::string payload;
  for (uint64_t s : {uint64_t{0}, uint64_t{13}, uint64_t{39}}) {
    ASSERT_TRUE(log->Read(s, &t, &time, &payload).ok()) << s;
    EXPECT_EQ(payload, "payload-" + std::to_string(s));
  }
  // And the log appends after them as before.
  log->Append(RecordType::kMessage, 2000, "next");
  ASSERT_TRUE(log->Sync().ok());
  EXPECT_EQ(log->next_seq(), 41u);
}

TEST_F(LogIndexTest, ADamagedOrStaleIndexMeansTheSegmentIsScanned) {
  Fill();
  namespace fs = std::filesystem;
  // A torn index, and an index whose segment was cut short behind its back.
  { std::ofstream(dir_ + "/" + IndexName(0), std::ios::trunc) << "FTZIDX01"; }
  std::vector<std::string> segs;
  for (const auto& e : fs::directory_iterator(dir_)) {
    if (e.path().extension() == ".log") segs.push_back(e.path().filename());
  }
  std::sort(segs.begin(), segs.end());
  ASSERT_GT(segs.size(), 4u);
  const std::string third = dir_ + "/" + segs[2];
  fs::resize_file(third, fs::file_size(third) - 1);
  RecoveryInfo info;
  // The cut segment is not the last one: scanning it finds the damage.
  auto log = Log::Open(Env::Default(), dir_, options_, nullptr, &info, 35);
  ASSERT_FALSE(log.ok());
  EXPECT_EQ(log.status().code(), StatusCode::kCorruption) << log.status().ToString();
}

TEST_F(LogIndexTest, MissingIndexesAreRebuiltByTheScan) {
  Fill();
  RecoveryInfo written_while_appending;
  EXPECT_EQ(OpenFrom(35, &written_while_appending).size(), 5u);
  ASSERT_GT(written_while_appending.segments_from_index, 5u);
  namespace fs = std::filesystem;
  for (const auto& e : fs::directory_iterator(dir_)) {
    if (e.path().extension() == ".idx") fs::remove(e.path());
  }
  RecoveryInfo first;
  EXPECT_EQ(OpenFrom(35, &first).size(), 5u);
  EXPECT_EQ(first.segments_from_index, 0u);
  RecoveryInfo second;
  EXPECT_EQ(OpenFrom(35, &second).size(), 5u);
  EXPECT_EQ(second.segments_from_index, written_while_appending.segments_from_index);
}

}  // namespace
}  // namespace ftz::stream
