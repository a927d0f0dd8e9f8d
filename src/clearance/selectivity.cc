#include "clearance/selectivity.h"

#include <algorithm>

#include "clearance/digest.h"

namespace ftz::clearance {

namespace {

bool Contains(const std::vector<std::string>& set, std::string_view v) {
  return std::find(set.begin(), set.end(), v) != set.end();
}

}  // namespace

uint32_t SelectionDraw(const Rules& rules, const InventoryHead& head, std::string_view purpose) {
  return DrawPpm({rules.selectivity_salt, rules.version, head.ebpCode, head.orderNo, purpose});
}

bool ProfileMatches(const RiskProfile& p, const SelectivityFacts& f) {
  const InventoryList& list = *f.list;
  const InventoryHead& h = list.head;
  if (!p.hs_prefixes.empty()) {
    bool any = false;
    for (const InventoryItem& it : list.items) {
      for (const std::string& prefix : p.hs_prefixes) any |= it.gcode.starts_with(prefix);
    }
    if (!any) return false;
  }
  if (!p.origins.empty()) {
    bool any = false;
    for (const InventoryItem& it : list.items) any |= Contains(p.origins, it.country);
    if (!any) return false;
  }
  if (!p.ebp_codes.empty() && !Contains(p.ebp_codes, h.ebpCode)) return false;
  if (!p.ebc_codes.empty() && !Contains(p.ebc_codes, h.ebcCode)) return false;
  if (!p.agent_codes.empty() && !Contains(p.agent_codes, h.agentCode)) return false;
  if (!p.trade_modes.empty() && !Contains(p.trade_modes, h.tradeMode)) return false;
  if (p.min_value && f.customs_value < *p.min_value) return false;
  if (p.max_value && f.customs_value > *p.max_value) return false;
  if (p.min_buyer_used && f.buyer_used < *p.min_buyer_used) return false;
  if (p.min_buyer_lists && f.buyer_lists < *p.min_buyer_lists) return false;
  if (p.consignee_differs) {
    // 代购 indicator: the goods go to someone other than the buyer whose
    // quota they use.
    if (!f.order || (*f.order)[OrderFacts::kConsignee] == (*f.order)[OrderFacts::kBuyerName]) {
      return false;
    }
  }
  return true;
}

LaneDecision SelectLane(const SelectivityFacts& f, const Rules& rules) {
  LaneDecision d;
  d.reason = "none";
  bool by_profile = false;
  for (const RiskProfile& p : rules.profiles) {
    if (by_profile && p.lane <= d.lane) continue;  // cannot change the outcome
    if (!ProfileMatches(p, f)) continue;
    if (p.rate < kPpmOne &&
        SelectionDraw(rules, f.list->head, "profile:" + p.name) >= static_cast<uint32_t>(p.rate)) {
      continue;
    }
    d.lane = p.lane;
    d.reason = "profile:" + p.name;
    by_profile = true;
  }
  d.draw_ppm = SelectionDraw(rules, f.list->head, "random");
  uint32_t red = rules.red.min_random;
  uint32_t yellow = red + rules.yellow.min_random;
  uint32_t blue = yellow + rules.blue.min_random;
  Lane random = d.draw_ppm < red      ? Lane::kRed
                : d.draw_ppm < yellow ? Lane::kYellow
                : d.draw_ppm < blue   ? Lane::kBlue
                                      : Lane::kGreen;
  if (random > d.lane) {
    d.lane = random;
    d.reason = "random";
  }
  return d;
}

}  // namespace ftz::clearance
