#include "store/internal/wal_vfs.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <stdlib.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <random>
#include <string>
#include <tuple>

namespace ftz::store::internal {
namespace {

// Checked by SQLite's WAL hook, which runs in the writer after each commit is
// published in the WAL index: nothing of it may be left gathered.
int NothingGathered(void* published, sqlite3*, const char*, int) {
  EXPECT_EQ(CoalescingWalVfsCounts().pending, 0) << "a commit was published with bytes gathered";
  ++*static_cast<int*>(published);
  return SQLITE_OK;
}

// The writer as the read model opens it (synchronous and powersafe overwrite
// as the parameter says), with a page cache small enough that transactions
// spill frames before they commit and write pages again over their own
// frames (SQLite then rewrites their checksums at the commit), and checkpoints
// often enough that the WAL starts over from its beginning many times.
class WalVfsTest : public ::testing::TestWithParam<std::tuple<const char*, int>> {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/ftz-walvfs-XXXXXX";
    dir_ = mkdtemp(tmpl);
    path_ = dir_ + "/t.db";
    const auto [sync, psow] = GetParam();
    const std::string uri = "file:" + path_ + "?psow=" + std::to_string(psow);
    ASSERT_EQ(sqlite3_open_v2(uri.c_str(), &writer_,
                              SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX |
                                  SQLITE_OPEN_URI,
                              CoalescingWalVfsName()),
              SQLITE_OK);
    Exec(writer_, std::string("PRAGMA journal_mode=WAL; PRAGMA synchronous=") + sync +
                      "; PRAGMA cache_size=8; PRAGMA wal_autocheckpoint=64;"
                      "CREATE TABLE t(k INTEGER PRIMARY KEY, v BLOB NOT NULL);");
    sqlite3_wal_hook(writer_, NothingGathered, &published_);
    ASSERT_EQ(sqlite3_open_v2(path_.c_str(), &reader_, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  }
  void TearDown() override {
    sqlite3_close(reader_);
    sqlite3_close(writer_);
    std::filesystem::remove_all(dir_);
  }

  static void Exec(sqlite3* db, const std::string& sql) {
    char* err = nullptr;
    const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err);
    ASSERT_EQ(rc, SQLITE_OK) << sql << ": " << (err ? err : "");
  }

  struct Totals {
    int64_t rows = 0, bytes = 0, keys = 0;
    bool operator==(const Totals&) const = default;
  };
  static Totals Read(sqlite3* db) {
    Totals t;
    sqlite3_stmt* q = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db, "SELECT count(*), total(length(v)), total(k) FROM t", -1, &q,
                                 nullptr),
              SQLITE_OK);
    EXPECT_EQ(sqlite3_step(q), SQLITE_ROW) << sqlite3_errmsg(db);
    t.rows = sqlite3_column_int64(q, 0);
    t.bytes = static_cast<int64_t>(sqlite3_column_double(q, 1));
    t.keys = static_cast<int64_t>(sqlite3_column_double(q, 2));
    sqlite3_finalize(q);
    return t;
  }
  static std::string IntegrityOf(sqlite3* db) {
    sqlite3_stmt* q = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &q, nullptr), SQLITE_OK);
    std::string out = sqlite3_step(q) == SQLITE_ROW
                          ? reinterpret_cast<const char*>(sqlite3_column_text(q, 0))
                          : "no answer";
    sqlite3_finalize(q);
    return out;
  }

  std::string dir_, path_;
  sqlite3* writer_ = nullptr;
  sqlite3* reader_ = nullptr;
  int published_ = 0;
};

INSTANTIATE_TEST_SUITE_P(SyncAndPowersafeOverwrite, WalVfsTest,
                         ::testing::Combine(::testing::Values("OFF", "NORMAL", "FULL"),
                                            ::testing::Values(1, 0)));

// Commits of every size — one small row, several writes' worth of pages,
// transactions that spill, write pages again and then commit or roll back —
// are each read by another connection (SQLite's own VFS) the moment they are
// committed, nothing of them is left gathered, and the file is whole
// afterwards.
TEST_P(WalVfsTest, EveryCommitIsReadByAnotherConnectionAtOnce) {
  std::mt19937_64 rng(20261127);
  Totals want;
  int64_t next_key = 0;
  sqlite3_stmt* ins = nullptr;
  ASSERT_EQ(
      sqlite3_prepare_v2(writer_, "INSERT INTO t(k, v) VALUES(?, zeroblob(?))", -1, &ins, nullptr),
      SQLITE_OK);
  int committed = 0;
  for (int txn = 0; txn < 80; ++txn) {
    Totals change;
    Exec(writer_, "BEGIN");
    const int rows = rng() % 4 == 0 ? 1 : 1 + static_cast<int>(rng() % 120);
    const int size = 10 + static_cast<int>(rng() % 3000);
    for (int r = 0; r < rows; ++r) {
      const int64_t k = next_key++;
      sqlite3_bind_int64(ins, 1, k);
      sqlite3_bind_int(ins, 2, size);
      ASSERT_EQ(sqlite3_step(ins), SQLITE_DONE);
      sqlite3_reset(ins);
      change.rows += 1;
      change.bytes += size;
      change.keys += k;
    }
    if (rng() % 3 == 0) {
      // Pages spilled earlier in the transaction are dirtied again.
      const int64_t shrink = 1 + static_cast<int64_t>(rng() % 7);
      const int64_t from = std::max<int64_t>(0, next_key - 150);
      Exec(writer_, "UPDATE t SET v = zeroblob(length(v) - " + std::to_string(shrink) +
                        ") WHERE k >= " + std::to_string(from) + " AND length(v) > 10");
      sqlite3_stmt* q = nullptr;
      // The rows this transaction can see lost `shrink` bytes each, if longer than 10.
      ASSERT_EQ(sqlite3_prepare_v2(writer_, "SELECT total(length(v)), total(k), count(*) FROM t",
                                   -1, &q, nullptr),
                SQLITE_OK);
      ASSERT_EQ(sqlite3_step(q), SQLITE_ROW);
      change.bytes = static_cast<int64_t>(sqlite3_column_double(q, 0)) - want.bytes;
      sqlite3_finalize(q);
    }
    if (txn % 7 == 3) {
      Exec(writer_, "ROLLBACK");
    } else {
      Exec(writer_, "COMMIT");
      ++committed;
      want.rows += change.rows;
      want.bytes += change.bytes;
      want.keys += change.keys;
    }
    ASSERT_EQ(Read(reader_), want) << "after transaction " << txn;
  }
  sqlite3_finalize(ins);
  EXPECT_GE(published_, committed);  // the hook saw every commit (and the table's creation)
  EXPECT_EQ(IntegrityOf(reader_), "ok");
  // And from the files alone, after both connections are gone.
  sqlite3_close(reader_);
  reader_ = nullptr;
  sqlite3_close(writer_);
  writer_ = nullptr;
  sqlite3* again = nullptr;
  ASSERT_EQ(sqlite3_open_v2(path_.c_str(), &again, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  EXPECT_EQ(Read(again), want);
  EXPECT_EQ(IntegrityOf(again), "ok");
  sqlite3_close(again);
}

// A transaction that spills, writes its spilled pages again (so SQLite
// rewrites frame headers at the commit, the commit frame's last), then a
// commit of one page: the second must be on disk when another connection
// reads it. (The first version of this VFS waited for a page after that last
// rewritten header, so the next one-page commit was published while gathered:
// a helper's review found it.)
TEST_P(WalVfsTest, AOnePageCommitAfterRewrittenChecksumsIsRead) {
  // No checkpoint between the two: the WAL must not start over.
  Exec(writer_, "PRAGMA wal_autocheckpoint=0");
  Exec(writer_,
       "BEGIN; WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 199) "
       "INSERT INTO t(k, v) SELECT i, zeroblob(500) FROM n;"
       "UPDATE t SET v = zeroblob(400); UPDATE t SET v = zeroblob(300); COMMIT;");
  for (int round = 0; round < 3; ++round) {
    Exec(writer_, "UPDATE t SET v = zeroblob(" + std::to_string(10 + round) + ") WHERE k = 0");
    sqlite3_stmt* q = nullptr;
    ASSERT_EQ(sqlite3_prepare_v2(reader_, "SELECT length(v) FROM t WHERE k = 0", -1, &q, nullptr),
              SQLITE_OK);
    ASSERT_EQ(sqlite3_step(q), SQLITE_ROW) << sqlite3_errmsg(reader_);
    EXPECT_EQ(sqlite3_column_int(q, 0), 10 + round);
    sqlite3_finalize(q);
  }
  EXPECT_EQ(Read(reader_).rows, 200);
}

// The count of writes is the read model's: synchronous=OFF, powersafe
// overwrite (with synchronous=FULL on a disk without it, SQLite pads a commit
// to a sector boundary with frames that go out one by one).
class WalVfsWritesTest : public WalVfsTest {};
INSTANTIATE_TEST_SUITE_P(ReadModel, WalVfsWritesTest, ::testing::Values(std::make_tuple("OFF", 1)));

// What the VFS is for: a commit of many pages reaches the file in a few
// writes, not two per page.
TEST_P(WalVfsWritesTest, ACommitOfManyPagesIsAFewWrites) {
  Exec(writer_, "PRAGMA cache_size=-65536");  // no spills: one commit, all its frames at its end
  const WalVfsCounts before = CoalescingWalVfsCounts();
  Exec(writer_,
       "BEGIN; WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 399) "
       "INSERT INTO t(k, v) SELECT i, zeroblob(1000) FROM n; COMMIT;");
  const WalVfsCounts after = CoalescingWalVfsCounts();
  const uint64_t gathered = after.gathered - before.gathered;
  const uint64_t written = after.written - before.written;
  // ~100 pages of rows: two writes each from SQLite, ~400 KiB in all.
  EXPECT_GE(gathered, 200u);
  EXPECT_LE(written, 5u) << gathered << " writes from SQLite";
  EXPECT_EQ(Read(reader_).rows, 400);
}

}  // namespace
}  // namespace ftz::store::internal
