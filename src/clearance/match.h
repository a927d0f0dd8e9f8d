// Three-document match (三单对碰): an inventory list (CEB621) against its
// order (311), payment (411) and waybill (511).
//
// Customs announcement 2018 No. 194 arts. 6 and 8: the platform, the payment
// company and the logistics company each send their document, and the list is
// declared "on the basis of the three documents"; customs compares them
// automatically. The rules below are the consistency the specification's field
// tables demand (spec/ceb/spec-202205-text.txt, tables 3-3, 3-10, 3-17, 3-31)
// as summarised in spec/clearance-rules.md; each failure names the document,
// the field and both values, e.g.
//   payment.amountPaid 190.5 != order.acturalPaid 190.6
//
// Documents arrive in any order: FindMissing() says which are not there yet,
// so the engine can keep the list waiting until its deadline
// (Rules::list_wait_ms) instead of refusing it at once.
//
// Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "clearance/facts.h"
#include "clearance/rules.h"
#include "core/documents.h"

namespace ftz::clearance {

struct Mismatch {
  std::string field;           // "payment.amountPaid", "list.items[gnum=2].gname"
  std::string value;           // as the XML spells it ("190.5")
  std::string expected_field;  // "order.acturalPaid", or "required" for a fixed value
  std::string expected;
  // "payment.amountPaid 190.5 != order.acturalPaid 190.6"
  std::string ToString() const;
  bool operator==(const Mismatch&) const = default;
};

struct MissingDocuments {
  bool order = false, payment = false, waybill = false;
  bool any() const { return order || payment || waybill; }
  // "order,payment" (English, for logs and the case files) ...
  std::string Names() const;
  // ... and "订单、支付单" (for receipts).
  std::string ChineseNames() const;
  bool operator==(const MissingDocuments&) const = default;
};

MissingDocuments FindMissing(const OrderFacts* order, const PaymentFacts* payment,
                             const WaybillFacts* waybill);

// Every rule, in a fixed order; empty when the four documents agree. Also
// checks the list itself where the specification fixes a value (currency 142,
// buyerIdType 1, packNo 1, tradeMode 9610/1210, 1210 needs emsNo and
// itemRecordNo, lines present with unique gnum, totalPrice = price × qty,
// amounts not negative).
// The three documents come as the engine keeps them (facts.h).
std::vector<Mismatch> MatchDocuments(const InventoryList& list, const OrderFacts& order,
                                     const PaymentFacts& payment, const WaybillFacts& waybill,
                                     const Rules& rules);

// "a; b; c" — the returnInfo text of a list of mismatches.
std::string JoinMismatches(const std::vector<Mismatch>& mismatches);

}  // namespace ftz::clearance
