// Second-level clearance (秒级通关) of cross-border e-commerce retail imports:
// the decision on an inventory list (CEB621), and on the cancellations (623)
// and returns (625) that follow it.
//
// The engine calls these pure functions in log order, one writer per shard:
//
//   Decide(input, quota, stock, rules, at)       a list, each time one of its
//                                                documents arrives, and when
//                                                its deadline passes
//   Conclude(record, release, ..., at)           an officer's outcome for a
//                                                list under review (300) or
//                                                inspection (500), or a retry
//                                                of a list held for stock (120)
//   DecideCancellation(cancel, record, ...)      a CEB623
//   DecideReturn(refund, record, ...)            a CEB625
//
// Each returns a Decision: the receipt status and text, the failing rule, the
// tax bill, and the EFFECTS to apply — quota deltas and bonded stock moves —
// plus the list's new ListRecord. Nothing here mutates state: the engine logs
// the decision, then ApplyDecision() applies its effects to the QuotaBook and
// BondedAccounts it owns and stores decision.record under the list's key.
// Decisions must be applied before the next Decide (the next list of the same
// buyer must see this one's quota).
//
// When quota is counted: when a list
// passes every check and is ACCEPTED — released (800), sent to review (300) or
// inspection (500), or held for bonded stock (120) — its customs value is
// added to the buyer's annual total at once, so two lists waiting for an
// officer cannot spend the same quota twice (the specification's -621014
// "核增个人消费金额" is likewise done at declaration). It is given back by a
// cancellation of a not-yet-released list (-623025 "核增" on cancel), by an
// officer's refusal, and by a return (海关总署公告2020年第45号). Bonded stock
// is deducted only on release (二线出区核减).
//
// Deterministic: the same inputs and rules version give the same Decision,
// byte for byte (no clock, no global random: time is `at`, the record's
// time; lanes come from SHA-256 of the list's key, see selectivity.h).
// Errors: every refusal is a Decision (outcome kRejected, the code and text
// of the specification); nothing is thrown. ApplyDecision returns a Status.
// Thread safety: pure functions of their const arguments.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bonded/accounts.h"
#include "clearance/codes.h"
#include "clearance/limits.h"
#include "clearance/match.h"
#include "clearance/quota.h"
#include "clearance/rules.h"
#include "clearance/selectivity.h"
#include "clearance/tax.h"
#include "core/documents.h"
#include "core/time.h"

namespace ftz::clearance {

enum class Outcome : uint8_t {
  kWaiting,       // documents missing, deadline not reached: no receipt yet
  kReleased,      // 800 放行 (green, or blue with post-clearance audit)
  kManualReview,  // 300 人工审核 (yellow)
  kInspection,    // 500 查验 (red)
  kHeld,          // 120 海关入库: accepted, bonded stock short
  kRejected,      // 100 退单, or a refused cancellation/return; error_code says why
  kConcluded,     // 399 审结: a cancellation or return accepted
};
std::string_view OutcomeName(Outcome o);

enum class ListPhase : uint8_t {
  kWaiting,
  kManualReview,
  kInspection,
  kHeld,
  kReleased,
  kRejected,
  kCancelled,
  kReturned,  // every line fully returned
};
std::string_view ListPhaseName(ListPhase p);  // "waiting", "review", ... (logs, case files)
std::string_view ListPhaseText(ListPhase p);  // as a receipt says it: "人工审核", "查验", ...

// CEB622 returnStatus values this module emits.
namespace receipt {
inline constexpr int kRejected = 100;
inline constexpr int kEntered = 120;
inline constexpr int kManualReview = 300;
inline constexpr int kConcluded = 399;
inline constexpr int kInspection = 500;
inline constexpr int kReleased = 800;
}  // namespace receipt

// One line of a decided list, as the record keeps it for returns.
struct RecordLine {
  int64_t gnum = 0;
  std::string gcode;
  std::string item_record_no;   // 1210 only
  Decimal qty;                  // declared quantity
  Decimal returned_qty;         // returned so far
  Decimal value;                // customs value (taxPrice)
  int64_t customs_tax_fen = 0;  // as billed
  int64_t consumption_tax_fen = 0;
  int64_t vat_fen = 0;
  uint32_t qty_kind = 0;  // tariff line counted toward an annual quantity limit (0: none)
  Decimal qty_counted;    // quantity counted toward it
  bool operator==(const RecordLine&) const = default;
};

// What the engine keeps per list after a decision (decision.record).
struct ListRecord {
  ListPhase phase = ListPhase::kWaiting;
  std::string invt_no, cop_no, pre_no, order_no, ebp_code, ebc_code, agent_code, customs_code,
      trade_mode, ems_no, logistics_no;
  std::string buyer_id_number, buyer_name;
  std::string rules_version;
  UnixMillis received_at = 0;  // the list's arrival (deadline start)
  UnixMillis decided_at = 0;   // accepted (quota counted) or rejected
  UnixMillis released_at = 0;  // 0 until released
  Lane lane = Lane::kGreen;
  std::string lane_reason;
  TaxRegime regime = TaxRegime::kCrossBorderReduced;
  int32_t quota_year = 0;
  bool quota_counted = false;  // the value is in the buyer's annual total
  Decimal value;               // customs value of the whole list
  std::vector<RecordLine> lines;
  std::optional<TaxBill> tax_bill;
  bool operator==(const ListRecord&) const = default;
};

struct Decision {
  Outcome outcome = Outcome::kWaiting;
  int return_status = 0;    // CEB622/624/626 returnStatus; 0 while waiting
  int error_code = 0;       // the specification's negative code, 0 if none
  std::string return_info;  // "[Code:2600;Desc:放行]", "[Code:-621005;Desc:…]"
  std::string rule;         // the deciding rule: "match", "limits.annual", "selectivity", …
  std::string detail;       // for the log, not the receipt (lane reason, stock shortage)
  std::vector<Mismatch> mismatches;
  MissingDocuments missing;
  LaneDecision lane;
  // The CEB816 tax bill goes out with this decision (a release; a voided or
  // reduced bill with a return or cancellation); the bill is record.tax_bill.
  bool tax_bill_issued = false;
  std::vector<QuotaDelta> quota;  // effects to apply, in order
  std::vector<bonded::StockMove> stock;
  ListRecord record;  // the list's state after this decision
  std::string rules_version;
  UnixMillis at = 0;
  bool operator==(const Decision&) const = default;
  // The bill to send, or nullptr.
  const TaxBill* tax_bill() const {
    return tax_bill_issued && record.tax_bill ? &*record.tax_bill : nullptr;
  }
  // A canonical one-line text of everything above (for logs, replay
  // comparison and the case files).
  std::string ToString() const;
};

// A list and whatever of its three documents has arrived (as the engine
// keeps them: facts.h).
struct ClearanceInput {
  const InventoryList* list = nullptr;  // required
  const OrderFacts* order = nullptr;    // nullptr while not arrived
  const PaymentFacts* payment = nullptr;
  const WaybillFacts* waybill = nullptr;
  UnixMillis received_at = 0;  // when the list was logged: its deadline starts here
  std::string_view invt_no;    // the list number the engine assigned (MakeInvtNo)
};

// The record of a declared list before any decision (phase kWaiting): its
// keys and parties as declared. A cancellation or return of a list still
// waiting is decided on it.
ListRecord RecordOfDeclaration(const InventoryList& list, std::string_view invt_no,
                               UnixMillis received_at);

// When a list still missing documents is refused: received_at + list_wait.
UnixMillis ListDeadline(UnixMillis received_at, const Rules& rules);

// "2991" + "2026" + "I" + 9-digit sequence: the 18-character invtNo
// (spec table 3-59: 4位关区+4位年+1位进出口标记+9位流水号).
std::string MakeInvtNo(std::string_view customs_code, int year, uint64_t sequence);

Decision Decide(const ClearanceInput& input, const QuotaBook& quota,
                const bonded::BondedAccounts& stock, const Rules& rules, UnixMillis at);

// An officer's outcome for a list in review or inspection (release or refuse;
// `note` goes into the returnInfo of a refusal), or a retry of a held list
// (release = true). A record in any other phase gives a decision with
// outcome kRejected, return_status 0 (nothing to send) and rule "state".
Decision Conclude(const ListRecord& record, bool release, std::string_view note,
                  const bonded::BondedAccounts& stock, const Rules& rules, UnixMillis at);

// `record` is the list the cancellation names (by invtNo), nullptr if none.
Decision DecideCancellation(const Cancellation& cancel, const ListRecord* record,
                            const Rules& rules, UnixMillis at);

// `record` is the list the return names (by invtNo), nullptr if none.
Decision DecideReturn(const ReturnRequest& refund, const ListRecord* record, const Rules& rules,
                      UnixMillis at);

// Applies a decision's quota deltas and stock moves; stock all-or-nothing
// first (FailedPrecondition, nothing changed, if the stock moved since the
// decision), then quota.
Status ApplyDecision(const Decision& decision, QuotaBook* quota, bonded::BondedAccounts* stock);

// Receipts for a decision. The guid is left empty: it is the sender's to
// number (the engine gives each receipt it sends a serial GUID, core/guid.h;
// deriving it from the decision made the 120 and the lane's answer to one
// list share it, and cost a SHA-256 each).
InventoryReturn MakeInventoryReturn(const Decision& d);  // CEB622
// The same CEB622 fields written into a receipt already in place (its guid
// and any field not set above are left as they are).
void FillInventoryReturn(const Decision& d, InventoryReturn* out);
// The same list, another returnStatus and returnInfo (the 120 that comes
// before the decision's own receipt).
void FillInventoryReturn(const Decision& d, int return_status, std::string return_info,
                         InventoryReturn* out);
InvtCancelReturn MakeCancellationReturn(const Decision& d);  // CEB624
InvtRefundReturn MakeReturnReceipt(const Decision& d);       // CEB626

}  // namespace ftz::clearance
