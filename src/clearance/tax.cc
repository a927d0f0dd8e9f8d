#include "clearance/tax.h"

#include <algorithm>
#include <numeric>

#include "clearance/codes.h"
#include "clearance/digest.h"

namespace ftz::clearance {

namespace {

using i128 = __int128;

constexpr int64_t kUnitsPerFen = Decimal::kScale / 100;  // 1000

// num / den rounded half up; num >= 0, den > 0.
int64_t RoundHalfUp(i128 num, i128 den) {
  return static_cast<int64_t>((2 * num + den) / (2 * den));
}

}  // namespace

Decimal CustomsValue(const InventoryList& list) {
  Decimal v = list.head.freight + list.head.insuredFee;
  for (const InventoryItem& item : list.items) v += item.totalPrice;
  return v;
}

std::vector<Decimal> AllocateCharges(std::span<const Decimal> weights, Decimal charges) {
  size_t n = weights.size();
  std::vector<Decimal> out(n);
  if (n == 0 || charges == Decimal()) return out;
  if (n == 1) {
    out[0] = charges;
    return out;
  }
  bool negative = charges < Decimal();
  int64_t mag = negative ? -charges.units() : charges.units();
  // Whole fen when the charges are whole fen: a bill shows fen.
  int64_t granule = mag % kUnitsPerFen == 0 ? kUnitsPerFen : 1;
  i128 total = mag / granule;
  i128 wsum = 0;
  for (Decimal w : weights) wsum += std::max<int64_t>(w.units(), 0);
  bool even = wsum == 0;
  if (even) wsum = static_cast<i128>(n);
  // share[i] = floor(total × w / wsum) granules, kept in `share`; rem[i] the
  // remainder of that division.
  std::vector<int64_t> share(n);
  std::vector<i128> rem(n);
  i128 given = 0;
  for (size_t i = 0; i < n; ++i) {
    i128 w = even ? 1 : std::max<int64_t>(weights[i].units(), 0);
    share[i] = static_cast<int64_t>(total * w / wsum);
    rem[i] = total * w % wsum;
    given += share[i];
  }
  // The leftover (fewer than n granules) goes one each to the largest
  // remainders, ties to the earlier line.
  size_t left = static_cast<size_t>(total - given);
  if (n <= 64) {
    for (size_t k = 0; k < left; ++k) {
      size_t best = 0;
      for (size_t i = 1; i < n; ++i) {
        if (rem[i] > rem[best]) best = i;
      }
      ++share[best];
      rem[best] = -1;  // taken: remainders are never negative
    }
  } else {
    std::vector<size_t> order(n);
    std::iota(order.begin(), order.end(), size_t{0});
    std::stable_sort(order.begin(), order.end(),
                     [&](size_t a, size_t b) { return rem[a] > rem[b]; });
    for (size_t k = 0; k < left; ++k) ++share[order[k]];
  }
  for (size_t i = 0; i < n; ++i) {
    int64_t units = share[i] * granule;
    out[i] = Decimal::FromUnits(negative ? -units : units);
  }
  return out;
}

Status ComputeLineTax(Decimal value, Decimal unit_price, const TaxRate& rate, TaxRegime regime,
                      Ppm reduced_rate, LineTax* out) {
  i128 v = value.units();
  if (v < 0) return Status::InvalidArgument("negative customs value");
  i128 t = 0, f = kPpmOne;
  if (regime == TaxRegime::kFullGoodsRate) {
    if (!rate.mfn) {
      return Status::InvalidArgument("税则号列前缀[" + rate.prefix +
                                     "]缺少最惠国税率，无法按货物税率全额征税");
    }
    t = *rate.mfn;
  } else {
    f = reduced_rate;  // 49号: tariff 0, CT and VAT at 70%
  }
  bool ct_applies = rate.consumption > 0 && (rate.consumption_min_unit_price == Decimal() ||
                                             unit_price >= rate.consumption_min_unit_price);
  i128 c = ct_applies ? rate.consumption : 0;
  const i128 one = kPpmOne;
  // Units -> fen is / 1000; each ppm factor is / 1e6.
  out->customs_tax_fen = RoundHalfUp(v * t, one * kUnitsPerFen);
  // (V + D) = V (1 + t); CT = (V + D) c / (1 - c) × f; VAT = (V + D) v / (1 - c) × f.
  i128 base_num = v * (one + t);  // / one
  i128 den = one * (one - c) * one * kUnitsPerFen;
  out->consumption_tax_fen = c == 0 ? 0 : RoundHalfUp(base_num * c * f, den);
  out->vat_fen = RoundHalfUp(base_num * rate.vat * f, den);
  return Status::Ok();
}

Result<TaxComputation> ComputeTax(const InventoryList& list, const Rules& rules, TaxRegime regime) {
  TaxComputation tax;
  tax.regime = regime;
  tax.customs_value = CustomsValue(list);
  // Freight and insurance by line (AllocateCharges); a one-line list, the
  // common case, takes them whole without building the vectors.
  Decimal all_charges = list.head.freight + list.head.insuredFee;
  std::vector<Decimal> charges;
  if (list.items.size() > 1 && all_charges != Decimal()) {
    std::vector<Decimal> weights;
    weights.reserve(list.items.size());
    for (const InventoryItem& item : list.items) weights.push_back(item.totalPrice);
    charges = AllocateCharges(weights, all_charges);
  }
  tax.lines.reserve(list.items.size());
  for (size_t i = 0; i < list.items.size(); ++i) {
    const InventoryItem& item = list.items[i];
    const TaxRate* rate = rules.FindTaxRate(item.gcode);
    if (!rate) {
      return Status::InvalidArgument("第" + std::to_string(item.gnum) + "项商品编码[" + item.gcode +
                                     "]在税率表中没有税率");
    }
    LineTax line;
    line.gnum = item.gnum;
    line.gcode = item.gcode;
    line.value = item.totalPrice + (charges.empty() ? all_charges : charges[i]);
    Status st = ComputeLineTax(line.value, item.price, *rate, regime, rules.reduced_rate, &line);
    if (!st.ok()) {
      return Status::InvalidArgument("第" + std::to_string(item.gnum) + "项商品编码[" + item.gcode +
                                     "]" + st.message());
    }
    tax.customs_tax_fen += line.customs_tax_fen;
    tax.consumption_tax_fen += line.consumption_tax_fen;
    tax.vat_fen += line.vat_fen;
    tax.lines.push_back(std::move(line));
  }
  return tax;
}

TaxBill MakeTaxBill(const TaxComputation& tax, const InventoryList& list, std::string_view invt_no,
                    UnixMillis at) {
  TaxBill bill;
  TaxHead& h = bill.head;
  h.returnTime = ReturnTimeText(at);
  h.invtNo = std::string(invt_no);
  h.taxNo = StrCat({invt_no, "01"});  // one bill per list: the list number + "01"
  h.customsTax = Decimal::FromFen(tax.customs_tax_fen);
  h.valueAddedTax = Decimal::FromFen(tax.vat_fen);
  h.consumptionTax = Decimal::FromFen(tax.consumption_tax_fen);
  h.status = "1";  // 已生成
  h.assureCode = list.head.assureCode;
  h.ebcCode = list.head.ebcCode;
  h.logisticsCode = list.head.logisticsCode;
  h.agentCode = list.head.agentCode;
  h.customsCode = list.head.customsCode;
  bill.items.reserve(tax.lines.size());
  for (const LineTax& l : tax.lines) {
    TaxItem item;
    item.gnum = l.gnum;
    item.gcode = l.gcode;
    item.taxPrice = l.value;
    item.customsTax = Decimal::FromFen(l.customs_tax_fen);
    item.valueAddedTax = Decimal::FromFen(l.vat_fen);
    item.consumptionTax = Decimal::FromFen(l.consumption_tax_fen);
    bill.items.push_back(std::move(item));
  }
  return bill;
}

}  // namespace ftz::clearance
