// ReadModel: the query side, a SQLite database (WAL) in the data directory.
// It holds only an index — which log record declared each document, its
// current status, which receipts each enterprise is owed — while the bytes
// stay in the log (read back by sequence number). So it is small, and it can
// always be rebuilt from the log: delete the file and restart.
//
// Thread safety: Apply from one writer thread; the Find/Receipts readers from
// any thread (each takes a pooled read connection; WAL lets them run beside
// the writer).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/time.h"

struct sqlite3;

namespace ftz::store {

struct DocumentRow {
  int type = 0;              // CEB message number (311, 411, ...)
  std::string key;           // ceb::BlockKey
  uint64_t seq = 0;          // log record of the message that declared it
  int block = 0;             // index of the block in that message
  int status = 0;            // returnStatus in force
  std::string info;          // returnInfo in force
  std::string cop_code;      // sender
  UnixMillis time = 0;       // when it last changed
  std::string cop_no;        // lists: agentCode/copNo, for lookup by copNo
  std::string invt_no;       // lists: customs list number once assigned
  bool removed = false;      // deleted (appType 3): the row goes away
  bool status_only = false;  // a later decision: update status, info and time only
};

struct ReceiptRow {
  uint64_t seq = 0;      // the receipt's own log record (its leaf index)
  std::string cop_code;  // the enterprise it is for
  int type = 0;          // 312, 412, ...
  uint64_t answers = 0;  // the message record it answers
  UnixMillis time = 0;
};

// A buyer's annual quota. The buyer is stored only as BuyerKey(ID number):
// the read model holds no ID numbers (Personal Information Protection Law).
struct QuotaRow {
  std::string buyer;  // BuyerKey(id)
  int32_t year = 0;
  int64_t used_units = 0;  // Decimal units (1e-5 CNY)
  int64_t lists = 0;
};

// Hex SHA-256 of a buyer's ID number (CanonicalBuyerId: a check character
// 'x' counts as 'X'): the key of their quota row.
std::string BuyerKey(std::string_view id_number);

// A bonded account line (emsNo, itemRecordNo) and what it holds now.
struct StockRow {
  std::string ems_no;
  std::string item_record_no;
  int64_t qty_units = 0;  // Decimal units (1e-5)
};

struct Batch {
  uint64_t next_seq = 0;  // after this batch, records [0, next_seq) are reflected
  std::vector<DocumentRow> documents;
  std::vector<ReceiptRow> receipts;
  std::vector<QuotaRow> quota;
  std::vector<StockRow> stock;
};

class ReadModel {
 public:
  static Result<std::unique_ptr<ReadModel>> Open(const std::string& path);
  ~ReadModel();

  uint64_t applied_seq() const;
  // Empties every table (to rebuild from the log).
  Status Reset();
  Status Apply(const Batch& b);

  Result<DocumentRow> FindDocument(int type, const std::string& key);
  // Lists by "copNo" (agentCode/copNo) or "invtNo".
  Result<DocumentRow> FindListBy(const std::string& index, const std::string& value);
  // Receipts for `cop_code` with seq > after (after = -1: from the start), oldest first.
  Result<std::vector<ReceiptRow>> ReceiptsAfter(const std::string& cop_code, int64_t after,
                                                int limit);
  Result<QuotaRow> FindQuota(const std::string& buyer_key, int32_t year);
  // The stock report of a bonded account: every line goods-in ever loaded
  // (held at zero when used up), by itemRecordNo; empty for an unknown emsNo.
  Result<std::vector<StockRow>> StockOf(const std::string& ems_no);
  // Counts for /metrics and the status command.
  Result<int64_t> CountDocuments(int type);

 private:
  explicit ReadModel(std::string path);
  Result<sqlite3*> AcquireReader();
  void ReleaseReader(sqlite3* db);

  // The writer's statements, prepared once (a batch is often a few dozen
  // rows; preparing seven statements per batch cost more than the rows).
  struct WriterStatements;
  std::unique_ptr<WriterStatements> stmts_;
  std::string path_;
  sqlite3* writer_ = nullptr;
  // Written by the writer thread after each commit (release), read by any
  // (acquire): a reader that saw N then reads rows at least that new.
  std::atomic<uint64_t> applied_seq_{0};
  std::mutex pool_mu_;
  std::vector<sqlite3*> readers_;
};

}  // namespace ftz::store
