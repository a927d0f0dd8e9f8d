#include "store/internal/wal_vfs.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <stdlib.h>

#include <cstdint>
#include <filesystem>
#include <random>
#include <string>

namespace ftz::store::internal {
namespace {

class WalVfsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/ftz-walvfs-XXXXXX";
    dir_ = mkdtemp(tmpl);
    path_ = dir_ + "/t.db";
    // The writer as the read model opens it, with a page cache small enough
    // that transactions spill frames before they commit, and checkpoints
    // often enough that the WAL starts over from its beginning many times.
    ASSERT_EQ(sqlite3_open_v2(path_.c_str(), &writer_,
                              SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                              CoalescingWalVfsName()),
              SQLITE_OK);
    Exec(writer_,
         "PRAGMA journal_mode=WAL; PRAGMA synchronous=OFF; PRAGMA cache_size=8;"
         "PRAGMA wal_autocheckpoint=64;"
         "CREATE TABLE t(k INTEGER PRIMARY KEY, v BLOB NOT NULL);");
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
    EXPECT_EQ(sqlite3_step(q), SQLITE_ROW);
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
};

// Commits of every size — one small row, several writes' worth of pages,
// transactions that spill and then roll back — are each read by another
// connection (SQLite's own VFS) the moment they are committed, and the file
// is whole afterwards.
TEST_F(WalVfsTest, EveryCommitIsReadByAnotherConnectionAtOnce) {
  std::mt19937_64 rng(20261127);
  Totals want;
  int64_t next_key = 0;
  sqlite3_stmt* ins = nullptr;
  ASSERT_EQ(
      sqlite3_prepare_v2(writer_, "INSERT INTO t(k, v) VALUES(?, zeroblob(?))", -1, &ins, nullptr),
      SQLITE_OK);
  for (int txn = 0; txn < 150; ++txn) {
    Totals change;
    Exec(writer_, "BEGIN");
    const int rows = 1 + static_cast<int>(rng() % 150);
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
    if (txn % 7 == 3) {
      Exec(writer_, "ROLLBACK");
    } else {
      Exec(writer_, "COMMIT");
      want.rows += change.rows;
      want.bytes += change.bytes;
      want.keys += change.keys;
    }
    ASSERT_EQ(Read(reader_), want) << "after transaction " << txn;
  }
  sqlite3_finalize(ins);
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

// What the VFS is for: a commit of many pages reaches the file in a few
// writes, not two per page.
TEST_F(WalVfsTest, ACommitOfManyPagesIsAFewWrites) {
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
