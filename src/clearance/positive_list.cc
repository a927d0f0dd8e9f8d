#include "clearance/positive_list.h"

namespace ftz::clearance {

namespace {
std::string DateText(UnixMillis t) {
  std::string s = FormatDateTime14(t);
  return s.substr(0, 4) + "-" + s.substr(4, 2) + "-" + s.substr(6, 2);
}
}  // namespace

ListingVerdict CheckListed(std::string_view gcode, std::string_view customs_code, UnixMillis at,
                           const Rules& rules) {
  ListingVerdict v;
  uint32_t line = 0;
  if (!TariffLineOf(gcode, &line)) {
    v.reason = "商品编码[" + std::string(gcode) + "]不是有效的税则号列";
    return v;
  }
  std::span<const PositiveListEntry> entries = rules.ListingsFor(line);
  if (entries.empty()) {
    v.reason = "商品编码[" + std::string(gcode) + "]不在跨境电子商务零售进口商品清单内";
    return v;
  }
  const PositiveListEntry* in_force_elsewhere = nullptr;
  const PositiveListEntry* out_of_force = nullptr;
  for (const PositiveListEntry& e : entries) {
    if (at < e.from || at >= e.until) {
      out_of_force = &e;
      continue;
    }
    if (e.zones.empty()) {
      v.listed = true;
      v.entry = &e;
      return v;
    }
    for (const std::string& z : e.zones) {
      if (rules.InZone(z, customs_code)) {
        v.listed = true;
        v.entry = &e;
        return v;
      }
    }
    in_force_elsewhere = &e;
  }
  if (in_force_elsewhere) {
    std::string zones;
    for (const std::string& z : in_force_elsewhere->zones) {
      if (!zones.empty()) zones += ",";
      zones += z;
    }
    v.reason = "商品编码[" + std::string(gcode) + "]为试点商品，仅限试点区域[" + zones +
               "]，本清单申报海关[" + std::string(customs_code) + "]不在其内";
  } else {
    std::string until = out_of_force->until == kEndOfTime ? "" : DateText(out_of_force->until);
    std::string from = out_of_force->from == kBeginningOfTime ? "" : DateText(out_of_force->from);
    v.reason = "商品编码[" + std::string(gcode) + "]在" + DateText(at) +
               "不在有效的跨境电子商务零售进口商品清单内（条目有效期[" + from + "," + until + ")）";
  }
  return v;
}

std::string FirstUnlisted(const InventoryList& list, UnixMillis at, const Rules& rules,
                          std::vector<const PositiveListEntry*>* entries) {
  entries->clear();
  for (const InventoryItem& item : list.items) {
    ListingVerdict v = CheckListed(item.gcode, list.head.customsCode, at, rules);
    if (!v.listed) return "第" + std::to_string(item.gnum) + "项" + v.reason;
    entries->push_back(v.entry);
  }
  return {};
}

}  // namespace ftz::clearance
