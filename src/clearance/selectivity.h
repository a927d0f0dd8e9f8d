// Selectivity: the risk channel (lane) of a list.
//
// The international model (WCO Revised Kyoto Convention General Annex ch. 6,
// WTO TFA art. 7.4, ASYCUDA's selectivity module): rule profiles over the
// declaration's fields route a list to a lane, and a random draw at each
// lane's minimum rate keeps every list inspectable, whatever the profiles say:
//   green  -> release (800)
//   blue   -> release (800), marked for post-clearance audit
//   yellow -> documentary check by an officer (300 人工审核)
//   red    -> physical inspection (500 查验)
// When several apply, the most severe lane wins; the reason names the first
// profile that chose it, or "random".
//
// Reproducible: the draw is DrawPpm(salt, rules version, ebpCode, orderNo,
// purpose) — a SHA-256 of the list's business key, the rules version and the
// salt of the rules file — so the same list under the same rules always gets
// the same lane, on replay and on a second site, and a new rules version
// reshuffles the sample. Lanes: random red if draw < red.min_random, else
// yellow if draw < red + yellow, else blue if draw < red + yellow + blue.
// A profile with rate < 100% samples the matching lists with a second draw
// (purpose "profile:<name>").
//
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <string>

#include "clearance/facts.h"
#include "clearance/rules.h"
#include "core/documents.h"

namespace ftz::clearance {

// What the profiles look at besides the list itself.
struct SelectivityFacts {
  const InventoryList* list = nullptr;
  const OrderFacts* order = nullptr;  // for consignee_differs; may be null
  Decimal customs_value;
  Decimal buyer_used;        // buyer's annual amount before this list
  uint32_t buyer_lists = 0;  // buyer's lists counted this year before this one
};

struct LaneDecision {
  Lane lane = Lane::kGreen;
  std::string reason;     // "profile:<name>", "random", or "none" (green by default)
  uint32_t draw_ppm = 0;  // the random draw, kept for audit
  bool operator==(const LaneDecision&) const = default;
};

bool ProfileMatches(const RiskProfile& profile, const SelectivityFacts& facts);

LaneDecision SelectLane(const SelectivityFacts& facts, const Rules& rules);

// The draw for one list and purpose ("random", "profile:<name>").
uint32_t SelectionDraw(const Rules& rules, const InventoryHead& head, std::string_view purpose);

}  // namespace ftz::clearance
