#include "clearance/limits.h"

#include <map>

#include "clearance/codes.h"

namespace ftz::clearance {

bool IsOneIndivisibleItem(const InventoryList& list) {
  return list.items.size() == 1 && list.items[0].qty == Decimal::FromInt(1);
}

LimitVerdict CheckLimits(const InventoryList& list, std::string_view list_ref,
                         const QuotaBook& quota, const Rules& rules, UnixMillis at) {
  LimitVerdict v;
  v.value = CustomsValue(list);
  v.year = CstYear(at);
  QuotaCounter used = quota.Get(list.head.buyerIdNumber, v.year);
  v.used_before = used.amount;
  v.lists_before = used.lists;
  auto ref = [list_ref] { return std::string(list_ref); };  // only for messages
  if (v.value > rules.single_limit) {
    if (!rules.indivisible_item_full_tax || !IsOneIndivisibleItem(list)) {
      v.error_code = codes::kSingleLimit;
      v.message = "清单[" + ref() + "]的购买金额超过单笔限额[[" + FormatYuan(rules.single_limit) +
                  "]]（完税价格" + FormatYuan(v.value) + "）";
      return v;
    }
    // 财关税〔2018〕49号 art. 2: one indivisible item may exceed the single
    // limit; it pays the goods' full tariff, VAT and CT and counts toward the
    // annual total.
    v.regime = TaxRegime::kFullGoodsRate;
  }
  if (v.used_before + v.value > rules.annual_limit) {
    v.error_code = codes::kAnnualLimit;
    v.message = "清单[" + ref() + "]中购买人[" + MaskId(list.head.buyerIdNumber) +
                "]已用购买额度为[" + FormatYuan(v.used_before) + "]，本次购买将超过年度限额[" +
                FormatYuan(rules.annual_limit) + "]（本次完税价格" + FormatYuan(v.value) + "）";
    return v;
  }
  v.ok = true;
  return v;
}

std::string CheckQuantityLimits(const InventoryList& list,
                                const std::vector<const PositiveListEntry*>& entries,
                                const QuotaBook& quota, int32_t year,
                                std::vector<QuotaDelta>* deltas) {
  // Sum per tariff line first: two lines of one list may share a line.
  std::map<uint32_t, std::pair<Decimal, const PositiveListEntry*>> use;
  for (size_t i = 0; i < list.items.size() && i < entries.size(); ++i) {
    const PositiveListEntry* e = entries[i];
    if (!e || !e->annual_qty) continue;
    const InventoryItem& item = list.items[i];
    Decimal qty;
    if (item.unit1 == e->annual_qty_unit) {
      qty = item.qty1;
    } else if (item.unit == e->annual_qty_unit) {
      qty = item.qty;
    } else {
      return "第" + std::to_string(item.gnum) + "项商品编码[" + item.gcode + "]的计量单位[" +
             item.unit + "/" + item.unit1 + "]与年度限量单位[" + e->annual_qty_unit +
             "]不符，无法核对年度限量";
    }
    auto& slot = use[e->tariff_line];
    slot.first += qty;
    slot.second = e;
  }
  for (const auto& [line, u] : use) {
    Decimal before = quota.Get(list.head.buyerIdNumber, year, line).amount;
    if (before + u.first > *u.second->annual_qty) {
      return "税则号列[" + TariffLineText(line) + "]购买人[" + MaskId(list.head.buyerIdNumber) +
             "]本年度已购数量为[" + before.ToString() + "]，本次[" + u.first.ToString() +
             "]将超过每人每年限量[" + u.second->annual_qty->ToString() + "]（单位" +
             u.second->annual_qty_unit + "）";
    }
    deltas->push_back({list.head.buyerIdNumber, year, line, u.first, 0});
  }
  return {};
}

}  // namespace ftz::clearance
