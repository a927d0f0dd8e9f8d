// Limits of cross-border e-commerce retail imports (财关税〔2018〕49号, in
// force from 2019-01-01), and the positive list's per-person annual quantity
// limits.
//
// Both money limits compare the customs value (完税价格: goods + freight +
// insurance, discount not deducted), not the amount paid, exactly (Decimal):
// an amount equal to a limit passes, one fen over fails.
//  - customs value <= single limit (5,000): the reduced regime (tariff 0,
//    VAT and CT × 70%), if the annual limit also holds;
//  - customs value > single limit, and the list has ONE line of qty 1 (one
//    indivisible item): allowed at the full tariff, VAT and CT, and it still
//    counts toward (and must fit in) the annual limit;
//  - customs value > single limit otherwise: refused, -621005;
//  - used this CST calendar year + customs value > annual limit (26,000):
//    refused, -621018, naming the used amount and the limit.
// The year is the CST calendar year of the record time (CstYear), the key of
// the QuotaBook together with the buyer's ID number.
//
// Pure functions of their arguments; thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "clearance/quota.h"
#include "clearance/rules.h"
#include "clearance/tax.h"
#include "core/documents.h"
#include "core/time.h"

namespace ftz::clearance {

struct LimitVerdict {
  bool ok = false;
  int error_code = 0;   // codes::kSingleLimit or codes::kAnnualLimit when !ok
  std::string message;  // the specification's wording, filled in
  TaxRegime regime = TaxRegime::kCrossBorderReduced;
  Decimal value;        // customs value of the list
  Decimal used_before;  // buyer's annual amount before this list
  uint32_t lists_before = 0;
  int32_t year = 0;
};

// `list_ref` names the list in messages (its invtNo, else copNo).
LimitVerdict CheckLimits(const InventoryList& list, std::string_view list_ref,
                         const QuotaBook& quota, const Rules& rules, UnixMillis at);

// True for the 49号 indivisible item: one line, quantity exactly 1.
bool IsOneIndivisibleItem(const InventoryList& list);

// Positive-list quantity limits: for each line whose entry (entries[i], as
// returned by FirstUnlisted) carries annual_qty, the line's quantity in the
// entry's unit (qty1 when unit1 matches, else qty when unit matches) is added
// to the buyer's counter for that tariff line. Returns the first refusal
// text, or empty with the counters to add in `deltas`.
std::string CheckQuantityLimits(const InventoryList& list,
                                const std::vector<const PositiveListEntry*>& entries,
                                const QuotaBook& quota, int32_t year,
                                std::vector<QuotaDelta>* deltas);

}  // namespace ftz::clearance
