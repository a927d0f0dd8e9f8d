// Case files: the parser and the core player of src/clearance/testdata/*.case,
// shared by the core-run test (clearance/case_driver_test.cc) and the engine
// run (engine/engine_cases_test.cc). Test support only, not part of
// ftz_clearance; no GoogleTest here (failures are collected as text).
//
// A case file is a short story — rules, documents arriving, clock moving —
// and the decisions expected, in the spirit of duckdb's sqllogictest files.
// One command per line; '#' starts a comment; tokens are separated by spaces,
// "double quotes" group a token with spaces. CaseRun plays a minimal engine:
// it keeps the documents per purchase, calls Decide() whenever a document of
// a waiting list arrives or its deadline passes, applies every decision's
// effects to one QuotaBook and one BondedAccounts, and keeps each list's
// ListRecord for cancellations and returns. The format is also described in
// docs/clearance.md.
//
//   rules NAME [+OVERLAY ...] [dotted.key=TOML ...]
//       load data/rules/NAME.toml, merge testdata/OVERLAY.toml files (tables
//       merged, [[arrays]] appended), then set keys, e.g.
//       selectivity.red.min_random="5%". Must come first.
//   time 2026-03-01T10:00:00     set the clock (CST); only forward
//   advance 25h                  move the clock (d/h/m/s/ms)
//       Both run the deadline timer: waiting lists whose deadline passed are
//       decided at their deadline, in deadline order.
//   stock EMS RECORDNO QTY       administrative goods-in
//   quota BUYERID YEAR AMOUNT [lists=N]   seed a buyer's annual total
//   purchase NAME key=value ...  define a purchase (sends nothing). Keys:
//       lines=GCODE*QTY@PRICE[/name=..][/country=..][/unit=..][/unit1=..]
//             [/qty1=..][/rec=ITEMRECORDNO],...   (gnum 1, 2, ... in order)
//       buyer (ID number), buyerName, buyerTelephone, consignee,
//       consigneeTelephone, consigneeAddress, freight, insuredFee, discount,
//       taxTotal, tradeMode, emsNo, customsCode, ebpCode, ebcCode, agentCode,
//       logisticsCode, logisticsNo, orderNo (default: NAME), copNo
//     Documents are built from the purchase so that they agree: goodsValue =
//     Σ lines, acturalPaid = goods + freight + taxTotal − discount, payment
//     and waybill copy the order; the list copies the lines.
//   order|payment|waybill|list NAME [Field=value ...] [N.field=value ...]
//       send one document; overrides use the CEB field names (N = gnum)
//   send NAME [list overrides]   order, payment, waybill, then list
//   conclude NAME release|reject [note=TEXT]   officer outcome / retry held
//   cancel NAME [Field=value ...]              CEB623 built from the list
//   return NAME [lines=GNUM*QTY,...] [Field=value ...]   CEB625 (default: all)
//   batch PREFIX COUNT from=NAME send COUNT copies of a purchase named
//       PREFIX0.., each with its own orderNo and buyer ID
//   expect list|cancel|return NAME key=value ...   the last such decision:
//       status= outcome= code= rule= lane= reason= phase= missing=
//       info= info~= (contains, not inside a longer number) detail~=
//       mismatches= (count) mismatch= (one of them, whole)
//       tax=none tax.duty= tax.ct= tax.vat= tax.total= tax.status=
//       lineN.value= lineN.duty= lineN.ct= lineN.vat=
//       quota= (money delta of the decision) stock= (number of moves)
//       same_draw_as=NAME (same lane and random draw as that list)
//   expect quota BUYERID YEAR [used=AMOUNT] [lists=N] [kind=TARIFFLINE]
//       (used= or lists= or both)
//   expect stock EMS RECORDNO QTY
//   expect lanes PREFIX green=LO..HI blue=.. yellow=.. red=.. total=..
//       [reason=R]   counts over lists named PREFIX<number>; reason: every
//       list outside the green lane has this lane reason
//
// Data files are found through FTZ_SOURCE_DIR (set by ftz_test), else by
// walking up from the current directory to the folder with data/rules/.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bonded/accounts.h"
#include "clearance/clearance.h"
#include "clearance/test_documents.h"
#include "core/documents.h"
#include "core/status.h"
#include "core/time.h"

namespace ftz::clearance::testing {

std::filesystem::path SourceDir();
Result<std::string> ReadFile(const std::filesystem::path& path);
// The case files in src/clearance/testdata/, by file name, sorted.
std::vector<std::string> CaseFiles();
// A GoogleTest parameter name for a case file ("annual_limit.case" -> "annual_limit").
std::string CaseTestName(const std::string& file);

Result<std::vector<std::string>> Tokenize(std::string_view line);
// 2026-03-01T10:00:00, 2026-03-01T10:00 or 2026-03-01 (CST).
Result<UnixMillis> ParseClock(std::string_view s);

// The rules of a `rules` command: parsed, and the merged TOML they were
// parsed from (what an operator would send to the engine).
struct CaseRules {
  Rules rules;
  std::string toml;
  bool uses_tables = false;  // [tables]: CSV files read beside the TOML
};
Result<CaseRules> LoadCaseRules(const std::vector<std::string>& tokens);

struct PurchaseState {
  Purchase spec;
  std::optional<Order> order;
  std::optional<Payment> payment;
  std::optional<Waybill> waybill;
  std::optional<InventoryList> list;
  UnixMillis list_at = 0;
  std::string invt_no;
  std::optional<ListRecord> record;
  std::optional<Decision> list_decision, cancel_decision, return_decision;
  // The rules refused the list as it was decided (not an officer, not since
  // changed): `list NAME` may send it again, corrected (改单, appType 2).
  bool correctable = false;
};

// What the story does, in order, for a second player (the engine run): every
// document exactly as the core run built it, and every decision the core run
// made. `line` is the case file's line of the command. Document callbacks
// come before the decisions they cause; OnDecision comes after the decision's
// effects are applied (ps.record is the record after it).
class CaseObserver {
 public:
  enum class DecisionKind { kList, kConclude, kCancel, kReturn };
  virtual ~CaseObserver() = default;
  virtual void OnRules(int line, const CaseRules& rules) {}
  virtual void OnClock(int line, UnixMillis to) {}  // after the deadlines due are decided
  virtual void OnStock(int line, const std::string& ems_no, const std::string& record_no,
                       Decimal qty) {}
  // An operator's write-off of `qty` (positive) from a line.
  virtual void OnWriteOff(int line, const std::string& ems_no, const std::string& record_no,
                          Decimal qty) {}
  virtual void OnQuota(int line, const QuotaDelta& seed) {}
  virtual void OnOrder(int line, const PurchaseState& ps, const Order& o) {}
  virtual void OnPayment(int line, const PurchaseState& ps, const Payment& p) {}
  virtual void OnWaybill(int line, const PurchaseState& ps, const Waybill& w) {}
  virtual void OnList(int line, const PurchaseState& ps, const InventoryList& l) {}
  virtual void OnConclude(int line, const PurchaseState& ps, bool release,
                          const std::string& note) {}
  virtual void OnCancel(int line, const PurchaseState& ps, const Cancellation& c) {}
  virtual void OnReturn(int line, const PurchaseState& ps, const ReturnRequest& r) {}
  virtual void OnDecision(int line, const PurchaseState& ps, DecisionKind kind, const Decision& d) {
  }
};

class CaseRun {
 public:
  explicit CaseRun(std::string file, CaseObserver* observer = nullptr)
      : file_(std::move(file)), observer_(observer) {}

  void Run(std::string_view text);

  const std::vector<std::string>& failures() const { return failures_; }
  const std::vector<std::string>& transcript() const { return transcript_; }
  int expectations() const { return expectations_; }
  const QuotaBook& quota() const { return quota_; }
  const bonded::BondedAccounts& stock() const { return stock_; }
  const std::map<std::string, PurchaseState>& purchases() const { return purchases_; }
  UnixMillis now() const { return now_; }

 private:
  void Fail(std::string_view msg);
  Status Command(const std::vector<std::string>& t);
  Status LoadRules(const std::vector<std::string>& t);
  void MoveClock(UnixMillis to);
  Status SeedQuota(const std::vector<std::string>& t);
  Status DefinePurchase(const std::vector<std::string>& t);
  Result<PurchaseState*> Find(const std::string& name);
  Status SendOne(const std::vector<std::string>& t);
  void TryDecide(PurchaseState& ps, UnixMillis at);
  void Keep(PurchaseState& ps, Decision d, std::optional<Decision>* slot,
            CaseObserver::DecisionKind kind);
  Status DoConclude(const std::vector<std::string>& t);
  Status DoCancel(const std::vector<std::string>& t);
  Status DoReturn(const std::vector<std::string>& t);
  Status DoBatch(const std::vector<std::string>& t);
  Status Expect(const std::vector<std::string>& t);
  Status CheckDecision(const Decision& d, const std::string& key, const std::string& want,
                       std::string* why);
  Status ExpectQuota(const std::vector<std::string>& t);
  Status ExpectStock(const std::vector<std::string>& t);
  Status ExpectLanes(const std::vector<std::string>& t);

  std::string file_;
  CaseObserver* observer_ = nullptr;
  int line_no_ = 0;
  std::optional<Rules> rules_;
  QuotaBook quota_;
  bonded::BondedAccounts stock_;
  UnixMillis now_ = 0;
  bool clock_set_ = false;
  uint64_t invt_seq_ = 0;
  std::map<std::string, PurchaseState> purchases_;
  std::vector<std::string> transcript_;
  std::vector<std::string> failures_;
  int expectations_ = 0;
};

}  // namespace ftz::clearance::testing
