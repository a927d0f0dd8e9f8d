#include "store/read_model.h"

#include <openssl/sha.h>
#include <sqlite3.h>

#include "core/buyer_id.h"
#include "store/internal/wal_vfs.h"

namespace ftz::store {
namespace {

constexpr const char* kSchema = R"sql(
PRAGMA journal_mode=WAL;
CREATE TABLE IF NOT EXISTS meta(name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS documents(
  type INTEGER NOT NULL, key TEXT NOT NULL, seq INTEGER NOT NULL, block INTEGER NOT NULL,
  status INTEGER NOT NULL, info TEXT NOT NULL, cop_code TEXT NOT NULL, time_ms INTEGER NOT NULL,
  PRIMARY KEY(type, key)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS list_index(
  name TEXT NOT NULL, value TEXT NOT NULL, key TEXT NOT NULL,
  PRIMARY KEY(name, value)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS receipts(
  cop_code TEXT NOT NULL, seq INTEGER NOT NULL, type INTEGER NOT NULL,
  answers INTEGER NOT NULL, time_ms INTEGER NOT NULL,
  PRIMARY KEY(cop_code, seq)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS quota(
  buyer TEXT NOT NULL, year INTEGER NOT NULL, used_units INTEGER NOT NULL, lists INTEGER NOT NULL,
  PRIMARY KEY(buyer, year)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS stock(
  ems_no TEXT NOT NULL, item_record_no TEXT NOT NULL, qty_units INTEGER NOT NULL,
  PRIMARY KEY(ems_no, item_record_no)) WITHOUT ROWID;
)sql";

// Until session 8 the receipts were a rowid table with a second B-tree,
// receipts_by_cop(cop_code, seq), for the only query made of them. Keyed by
// (cop_code, seq) without a rowid, each receipt is one B-tree insert instead
// of two (docs/performance.md, session 8). A database of the older layout is
// moved over once, rows and all, when it is opened.
constexpr const char* kMigrateReceipts = R"sql(
BEGIN;
CREATE TABLE receipts_v2(
  cop_code TEXT NOT NULL, seq INTEGER NOT NULL, type INTEGER NOT NULL,
  answers INTEGER NOT NULL, time_ms INTEGER NOT NULL,
  PRIMARY KEY(cop_code, seq)) WITHOUT ROWID;
INSERT INTO receipts_v2 SELECT cop_code, seq, type, answers, time_ms FROM receipts;
DROP TABLE receipts;
ALTER TABLE receipts_v2 RENAME TO receipts;
COMMIT;
)sql";

Status SqlError(sqlite3* db, const std::string& what) {
  return Status::IOError(what + ": " + (db ? sqlite3_errmsg(db) : "sqlite"));
}

// A prepared statement that finalizes itself.
class Stmt {
 public:
  Stmt(sqlite3* db, const char* sql) : db_(db) {
    rc_ = sqlite3_prepare_v2(db, sql, -1, &s_, nullptr);
  }
  ~Stmt() { sqlite3_finalize(s_); }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  bool ok() const { return rc_ == SQLITE_OK; }
  sqlite3_stmt* get() { return s_; }
  Stmt& Bind(int i, int64_t v) {
    sqlite3_bind_int64(s_, i, v);
    return *this;
  }
  // Text is bound where it lies, not copied (SQLITE_STATIC): the bytes must
  // stay until the statement is stepped and Reset, as they do when the bind
  // and the step are one expression over strings that outlive it. A
  // temporary std::string is refused at compile time; literals come as
  // string_view.
  Stmt& Bind(int i, std::string_view v) {
    sqlite3_bind_text(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_STATIC);
    return *this;
  }
  Stmt& Bind(int i, std::string&& v) = delete;
  int Step() { return sqlite3_step(s_); }
  void Reset() {
    sqlite3_reset(s_);
    sqlite3_clear_bindings(s_);
  }
  int64_t Int(int col) { return sqlite3_column_int64(s_, col); }
  std::string Text(int col) {
    const unsigned char* t = sqlite3_column_text(s_, col);
    return t ? std::string(reinterpret_cast<const char*>(t), sqlite3_column_bytes(s_, col)) : "";
  }

 private:
  sqlite3* db_;
  sqlite3_stmt* s_ = nullptr;
  int rc_;
};

Result<sqlite3*> OpenDb(const std::string& path, bool read_only) {
  sqlite3* db = nullptr;
  int flags = read_only ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  // The writer's WAL commits go to the file in one write each
  // (internal/wal_vfs.h); readers use SQLite's own VFS.
  const char* vfs = read_only ? nullptr : internal::CoalescingWalVfsName();
  if (sqlite3_open_v2(path.c_str(), &db, flags | SQLITE_OPEN_NOMUTEX, vfs) != SQLITE_OK) {
    Status s = SqlError(db, "open " + path);
    sqlite3_close(db);
    return s;
  }
  sqlite3_busy_timeout(db, 5000);
  return db;
}

DocumentRow RowFrom(Stmt& q) {
  DocumentRow r;
  r.type = static_cast<int>(q.Int(0));
  r.key = q.Text(1);
  r.seq = static_cast<uint64_t>(q.Int(2));
  r.block = static_cast<int>(q.Int(3));
  r.status = static_cast<int>(q.Int(4));
  r.info = q.Text(5);
  r.cop_code = q.Text(6);
  r.time = q.Int(7);
  return r;
}

}  // namespace

Result<std::unique_ptr<ReadModel>> ReadModel::Open(const std::string& path) {
  std::unique_ptr<ReadModel> m(new ReadModel(path));
  auto db = OpenDb(path, false);
  if (!db.ok()) return db.status();
  m->writer_ = *db;
  char* err = nullptr;
  // A read model from before the stock table has no rows for the stock its
  // records moved: it is emptied below and rebuilt from the log at start.
  auto has_table = [&](const char* name) {
    Stmt q(m->writer_, "SELECT 1 FROM sqlite_master WHERE type='table' AND name=?");
    return q.ok() && q.Bind(1, std::string_view(name)).Step() == SQLITE_ROW;
  };
  const bool without_stock = has_table("documents") && !has_table("stock");
  if (sqlite3_exec(m->writer_, kSchema, nullptr, nullptr, &err) != SQLITE_OK) {
    Status s = Status::IOError(std::string("schema: ") + (err ? err : ""));
    sqlite3_free(err);
    return s;
  }
  bool old_layout = false;
  {
    Stmt q(m->writer_, "SELECT 1 FROM sqlite_master WHERE type='index' AND name='receipts_by_cop'");
    old_layout = q.ok() && q.Step() == SQLITE_ROW;
  }
  if (old_layout) {
    if (sqlite3_exec(m->writer_, kMigrateReceipts, nullptr, nullptr, &err) != SQLITE_OK) {
      Status s =
          Status::IOError(std::string("moving receipts to the keyed layout: ") + (err ? err : ""));
      sqlite3_free(err);
      sqlite3_exec(m->writer_, "ROLLBACK", nullptr, nullptr, nullptr);
      return s;
    }
  }
  // The log is the source of truth and is fsynced; the read model can be
  // rebuilt from it, so it need not pay for its own fsyncs.
  sqlite3_exec(m->writer_, "PRAGMA synchronous=OFF", nullptr, nullptr, nullptr);
  // The writer touches B-tree pages all over the documents and receipts
  // tables (keys from many platforms and agents interleave): 64 MiB of page
  // cache instead of SQLite's 2 MiB keeps their inner pages in memory, and a
  // checkpoint every 10,000 WAL pages (~40 MiB) instead of 1,000 writes a page
  // changed by many commits into the database once. read_model_bench with
  // spread keys: -27% per batch (docs/performance.md, session 9).
  sqlite3_exec(m->writer_, "PRAGMA cache_size=-65536; PRAGMA wal_autocheckpoint=10000", nullptr,
               nullptr, nullptr);
  if (without_stock) FTZ_RETURN_IF_ERROR(m->Reset());
  Stmt q(m->writer_, "SELECT value FROM meta WHERE name='applied_seq'");
  if (q.ok() && q.Step() == SQLITE_ROW) m->applied_seq_.store(static_cast<uint64_t>(q.Int(0)));
  return m;
}

struct ReadModel::WriterStatements {
  explicit WriterStatements(sqlite3* db)
      : up(db,
           "INSERT INTO documents(type,key,seq,block,status,info,cop_code,time_ms) "
           "VALUES(?,?,?,?,?,?,?,?) ON CONFLICT(type,key) DO UPDATE SET seq=excluded.seq, "
           "block=excluded.block, status=excluded.status, info=excluded.info, "
           "cop_code=excluded.cop_code, time_ms=excluded.time_ms"),
        del(db, "DELETE FROM documents WHERE type=? AND key=?"),
        status(db, "UPDATE documents SET status=?, info=?, time_ms=? WHERE type=? AND key=?"),
        idx(db, "INSERT OR REPLACE INTO list_index(name,value,key) VALUES(?,?,?)"),
        idx_del(db, "DELETE FROM list_index WHERE name=? AND value=? AND key=?"),
        rec(db,
            "INSERT OR REPLACE INTO receipts(seq,cop_code,type,answers,time_ms) VALUES(?,?,?,?,?)"),
        rec_many(db, ReceiptInsert(kReceiptsPerStatement).c_str()),
        meta(db, "INSERT OR REPLACE INTO meta(name,value) VALUES('applied_seq',?)"),
        quota(db, "INSERT OR REPLACE INTO quota(buyer,year,used_units,lists) VALUES(?,?,?,?)"),
        stock(db, "INSERT OR REPLACE INTO stock(ems_no,item_record_no,qty_units) VALUES(?,?,?)") {}
  bool ok() const {
    return up.ok() && del.ok() && status.ok() && idx.ok() && idx_del.ok() && rec.ok() &&
           rec_many.ok() && meta.ok() && quota.ok();
  }
  // Receipts go in this many to a statement (a parcel makes seven): one
  // step of SQLite's program instead of eight (read_model_bench).
  static constexpr int kReceiptsPerStatement = 8;
  static std::string ReceiptInsert(int rows) {
    std::string sql = "INSERT OR REPLACE INTO receipts(seq,cop_code,type,answers,time_ms) VALUES";
    for (int i = 0; i < rows; ++i) sql += i == 0 ? "(?,?,?,?,?)" : ",(?,?,?,?,?)";
    return sql;
  }
  Stmt up, del, status, idx, idx_del, rec, rec_many, meta, quota, stock;
};

ReadModel::ReadModel(std::string path) : path_(std::move(path)) {}

ReadModel::~ReadModel() {
  stmts_.reset();  // statements before their connection
  for (sqlite3* db : readers_) sqlite3_close(db);
  sqlite3_close(writer_);
}

uint64_t ReadModel::applied_seq() const { return applied_seq_.load(std::memory_order_acquire); }

Status ReadModel::Reset() {
  char* err = nullptr;
  if (sqlite3_exec(writer_,
                   "BEGIN; DELETE FROM documents; DELETE FROM list_index; DELETE FROM receipts; "
                   "DELETE FROM quota; DELETE FROM stock; DELETE FROM meta; COMMIT;",
                   nullptr, nullptr, &err) != SQLITE_OK) {
    Status s = Status::IOError(std::string("reset read model: ") + (err ? err : ""));
    sqlite3_free(err);
    return s;
  }
  applied_seq_.store(0);
  return Status::Ok();
}

Status ReadModel::Apply(const Batch& b) {
  if (sqlite3_exec(writer_, "BEGIN", nullptr, nullptr, nullptr) != SQLITE_OK) {
    return SqlError(writer_, "begin");
  }
  if (!stmts_) {
    auto prepared = std::make_unique<WriterStatements>(writer_);
    if (!prepared->ok()) {
      Status s = SqlError(writer_, "prepare");
      sqlite3_exec(writer_, "ROLLBACK", nullptr, nullptr, nullptr);
      return s;
    }
    stmts_ = std::move(prepared);
  }
  WriterStatements& w = *stmts_;
  Stmt &up = w.up, &del = w.del, &status = w.status, &idx = w.idx, &idx_del = w.idx_del,
       &rec = w.rec, &stock = w.stock, &rec_many = w.rec_many, &meta = w.meta, &quota = w.quota;
  bool ok = true;
  // After a failed statement the rest are not run: the batch is rolled back
  // anyway, and each would wait out the busy timeout again (5 s).
  auto done = [&](Stmt& s) {
    if (!ok) return false;
    int rc = s.Step();
    s.Reset();
    return rc == SQLITE_DONE;
  };
  for (const DocumentRow& d : b.documents) {
    if (d.removed) {
      ok &= done(del.Bind(1, d.type).Bind(2, d.key));
      // Its invtNo names nothing now (a list declared again for the same
      // order gets another). A copNo entry may stay: the API checks that the
      // list it leads to still has that copNo.
      if (!d.invt_no.empty())
        ok &= done(idx_del.Bind(1, std::string_view("invtNo")).Bind(2, d.invt_no).Bind(3, d.key));
      continue;
    }
    if (d.status_only) {
      ok &= done(
          status.Bind(1, d.status).Bind(2, d.info).Bind(3, d.time).Bind(4, d.type).Bind(5, d.key));
      if (!d.invt_no.empty())
        ok &= done(idx.Bind(1, std::string_view("invtNo")).Bind(2, d.invt_no).Bind(3, d.key));
      continue;
    }
    ok &= done(up.Bind(1, d.type)
                   .Bind(2, d.key)
                   .Bind(3, static_cast<int64_t>(d.seq))
                   .Bind(4, d.block)
                   .Bind(5, d.status)
                   .Bind(6, d.info)
                   .Bind(7, d.cop_code)
                   .Bind(8, d.time));
    if (!d.cop_no.empty())
      ok &= done(idx.Bind(1, std::string_view("copNo")).Bind(2, d.cop_no).Bind(3, d.key));
    if (!d.invt_no.empty())
      ok &= done(idx.Bind(1, std::string_view("invtNo")).Bind(2, d.invt_no).Bind(3, d.key));
  }
  // Binds one row's text in place: only rows of `b`, which outlive the step
  // (several rows are bound before rec_many is stepped).
  auto bind_receipt = [](Stmt& s, int first, const ReceiptRow& r) -> Stmt& {
    return s.Bind(first, static_cast<int64_t>(r.seq))
        .Bind(first + 1, r.cop_code)
        .Bind(first + 2, r.type)
        .Bind(first + 3, static_cast<int64_t>(r.answers))
        .Bind(first + 4, r.time);
  };
  size_t next = 0;
  for (constexpr size_t kMany = WriterStatements::kReceiptsPerStatement;
       b.receipts.size() - next >= kMany; next += kMany) {
    for (size_t k = 0; k < kMany; ++k) {
      bind_receipt(rec_many, static_cast<int>(5 * k + 1), b.receipts[next + k]);
    }
    ok &= done(rec_many);
  }
  for (; next < b.receipts.size(); ++next) ok &= done(bind_receipt(rec, 1, b.receipts[next]));
  for (const QuotaRow& q : b.quota) {
    ok &= done(quota.Bind(1, q.buyer).Bind(2, q.year).Bind(3, q.used_units).Bind(4, q.lists));
  }
  for (const StockRow& r : b.stock) {
    ok &= done(stock.Bind(1, r.ems_no).Bind(2, r.item_record_no).Bind(3, r.qty_units));
  }
  ok &= done(meta.Bind(1, static_cast<int64_t>(b.next_seq)));
  if (!ok || sqlite3_exec(writer_, "COMMIT", nullptr, nullptr, nullptr) != SQLITE_OK) {
    Status s = SqlError(writer_, "apply batch");
    sqlite3_exec(writer_, "ROLLBACK", nullptr, nullptr, nullptr);
    return s;
  }
  applied_seq_.store(b.next_seq, std::memory_order_release);  // after the COMMIT
  return Status::Ok();
}

Result<sqlite3*> ReadModel::AcquireReader() {
  {
    std::lock_guard<std::mutex> lock(pool_mu_);
    if (!readers_.empty()) {
      sqlite3* db = readers_.back();
      readers_.pop_back();
      return db;
    }
  }
  return OpenDb(path_, true);
}

void ReadModel::ReleaseReader(sqlite3* db) {
  std::lock_guard<std::mutex> lock(pool_mu_);
  readers_.push_back(db);
}

Result<DocumentRow> ReadModel::FindDocument(int type, const std::string& key) {
  auto db = AcquireReader();
  if (!db.ok()) return db.status();
  Result<DocumentRow> out = Status::NotFound("no document " + std::to_string(type) + " " + key);
  {
    Stmt q(*db,
           "SELECT type,key,seq,block,status,info,cop_code,time_ms FROM documents "
           "WHERE type=? AND key=?");
    if (!q.ok()) {
      out = SqlError(*db, "query");
    } else if (int rc = q.Bind(1, type).Bind(2, key).Step(); rc == SQLITE_ROW) {
      out = RowFrom(q);
    } else if (rc != SQLITE_DONE) {
      out = SqlError(*db, "query");
    }
  }
  ReleaseReader(*db);
  return out;
}

Result<DocumentRow> ReadModel::FindListBy(const std::string& index, const std::string& value) {
  std::string key;
  {
    auto db = AcquireReader();
    if (!db.ok()) return db.status();
    {
      Stmt q(*db, "SELECT key FROM list_index WHERE name=? AND value=?");
      if (q.ok() && q.Bind(1, index).Bind(2, value).Step() == SQLITE_ROW) key = q.Text(0);
    }
    ReleaseReader(*db);
  }
  if (key.empty()) return Status::NotFound("no inventory list with " + index + " " + value);
  return FindDocument(621, key);
}

Result<std::vector<ReceiptRow>> ReadModel::ReceiptsAfter(const std::string& cop_code, int64_t after,
                                                         int limit) {
  auto db = AcquireReader();
  if (!db.ok()) return db.status();
  std::vector<ReceiptRow> out;
  Status st;
  {
    Stmt q(*db,
           "SELECT seq,cop_code,type,answers,time_ms FROM receipts WHERE cop_code=? AND seq>? "
           "ORDER BY seq LIMIT ?");
    if (!q.ok()) {
      st = SqlError(*db, "query");
    } else {
      q.Bind(1, cop_code).Bind(2, after).Bind(3, limit);
      int rc;
      while ((rc = q.Step()) == SQLITE_ROW) {
        out.push_back({static_cast<uint64_t>(q.Int(0)), q.Text(1), static_cast<int>(q.Int(2)),
                       static_cast<uint64_t>(q.Int(3)), q.Int(4)});
      }
      if (rc != SQLITE_DONE) st = SqlError(*db, "query");
    }
  }
  ReleaseReader(*db);
  if (!st.ok()) return st;
  return out;
}

std::string BuyerKey(std::string_view id) {
  char buf[18];
  const std::string_view id_number = CanonicalBuyerId(id, buf);  // "…x" and "…X": one buyer
  unsigned char md[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(id_number.data()), id_number.size(), md);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : md) {
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 15]);
  }
  return out;
}

Result<QuotaRow> ReadModel::FindQuota(const std::string& buyer_key, int32_t year) {
  auto db = AcquireReader();
  if (!db.ok()) return db.status();
  QuotaRow row{buyer_key, year, 0, 0};
  {
    Stmt q(*db, "SELECT used_units, lists FROM quota WHERE buyer=? AND year=?");
    if (q.ok() && q.Bind(1, buyer_key).Bind(2, year).Step() == SQLITE_ROW) {
      row.used_units = q.Int(0);
      row.lists = q.Int(1);
    }
  }
  ReleaseReader(*db);
  return row;  // a buyer with no row has used nothing
}

Result<std::vector<StockRow>> ReadModel::StockOf(const std::string& ems_no) {
  auto db = AcquireReader();
  if (!db.ok()) return db.status();
  std::vector<StockRow> out;
  Status st;
  {
    Stmt q(*db,
           "SELECT item_record_no, qty_units FROM stock WHERE ems_no=? ORDER BY item_record_no");
    if (!q.ok()) {
      st = SqlError(*db, "query");
    } else {
      q.Bind(1, ems_no);
      int rc;
      while ((rc = q.Step()) == SQLITE_ROW) out.push_back({ems_no, q.Text(0), q.Int(1)});
      if (rc != SQLITE_DONE) st = SqlError(*db, "query");
    }
  }
  ReleaseReader(*db);
  if (!st.ok()) return st;
  return out;
}

Result<int64_t> ReadModel::CountDocuments(int type) {
  auto db = AcquireReader();
  if (!db.ok()) return db.status();
  int64_t n = 0;
  {
    Stmt q(*db, "SELECT count(*) FROM documents WHERE type=?");
    if (q.ok() && q.Bind(1, type).Step() == SQLITE_ROW) n = q.Int(0);
  }
  ReleaseReader(*db);
  return n;
}

}  // namespace ftz::store
