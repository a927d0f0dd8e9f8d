#include "clearance/match.h"

#include "clearance/codes.h"

namespace ftz::clearance {

namespace {

constexpr std::string_view kCny = "142";   // 币制: 限定为人民币
constexpr std::string_view kIdCard = "1";  // 证件类型: 限定为身份证
constexpr std::string_view kRequired = "required";

std::string Shown(std::string_view v) { return v.empty() ? "(empty)" : std::string(v); }

std::string Line(std::string_view doc, int64_t gnum, std::string_view field) {
  return StrCat({doc, ".items[gnum=", std::to_string(gnum), "]", field.empty() ? "" : ".", field});
}

// Field names are string_views and become strings only on a mismatch: the
// match runs for every list and almost always passes.
class Checker {
 public:
  explicit Checker(std::vector<Mismatch>* out) : out_(out) {}

  void Same(std::string_view field, std::string_view value, std::string_view expected_field,
            std::string_view expected) {
    if (value != expected) Add(field, Shown(value), expected_field, Shown(expected));
  }
  void Same(std::string_view field, Decimal value, std::string_view expected_field,
            Decimal expected) {
    if (value != expected) Add(field, value.ToString(), expected_field, expected.ToString());
  }
  void Fixed(std::string_view field, std::string_view value, std::string_view required) {
    Same(field, value, kRequired, required);
  }
  void FixedInt(std::string_view field, int64_t value, int64_t required) {
    if (value != required) Add(field, std::to_string(value), kRequired, std::to_string(required));
  }
  void NotNegative(std::string_view field, Decimal value) {
    if (value < Decimal()) Add(field, value.ToString(), ">=", "0");
  }
  // Line fields: "list.items[gnum=2].gname" against "order.items[gnum=2].itemName".
  void LineSame(int64_t gnum, std::string_view field, std::string_view value,
                std::string_view other_field, std::string_view expected) {
    if (value != expected) {
      Add(Line("list", gnum, field), Shown(value), Line("order", gnum, other_field),
          Shown(expected));
    }
  }
  void LineSame(int64_t gnum, std::string_view field, Decimal value, Decimal expected) {
    if (value != expected) {
      Add(Line("list", gnum, field), value.ToString(), Line("order", gnum, field),
          expected.ToString());
    }
  }
  void LineFixed(std::string_view doc, int64_t gnum, std::string_view field, std::string_view value,
                 std::string_view required) {
    if (value != required) Add(Line(doc, gnum, field), Shown(value), kRequired, Shown(required));
  }
  void Add(std::string_view field, std::string value, std::string_view expected_field,
           std::string expected) {
    out_->push_back(
        {std::string(field), std::move(value), std::string(expected_field), std::move(expected)});
  }

 private:
  std::vector<Mismatch>* out_;
};

}  // namespace

std::string Mismatch::ToString() const {
  return field + " " + value + " != " + expected_field + " " + expected;
}

std::string MissingDocuments::Names() const {
  std::string out;
  for (auto [missing, name] :
       {std::pair{order, "order"}, std::pair{payment, "payment"}, std::pair{waybill, "waybill"}}) {
    if (!missing) continue;
    if (!out.empty()) out += ",";
    out += name;
  }
  return out;
}

std::string MissingDocuments::ChineseNames() const {
  std::string out;
  for (auto [missing, name] :
       {std::pair{order, "订单"}, std::pair{payment, "支付单"}, std::pair{waybill, "运单"}}) {
    if (!missing) continue;
    if (!out.empty()) out += "、";
    out += name;
  }
  return out;
}

MissingDocuments FindMissing(const OrderFacts* order, const PaymentFacts* payment,
                             const WaybillFacts* waybill) {
  return {order == nullptr, payment == nullptr, waybill == nullptr};
}

std::vector<Mismatch> MatchDocuments(const InventoryList& list, const OrderFacts& o,
                                     const PaymentFacts& p, const WaybillFacts& w,
                                     const Rules& rules) {
  std::vector<Mismatch> out;
  Checker c(&out);
  using O = OrderFacts;
  using P = PaymentFacts;
  using W = WaybillFacts;
  const InventoryHead& l = list.head;

  // Order, by itself. Table 3-3: 实际支付金额 = 商品价格 + 运杂费 + 代扣税款 -
  // 非现金抵扣金额; 商品价格 is the sum of the lines; 总价 = 单价 × 数量.
  c.Same("order.acturalPaid", o.actural_paid, "order.goodsValue+freight+taxTotal-discount",
         o.goods_value + o.freight + o.tax_total - o.discount);
  Decimal order_lines;
  for (const O::Line& it : o.lines) order_lines += it.total_price;
  c.Same("order.goodsValue", o.goods_value, "sum(order.items.totalPrice)", order_lines);
  for (const O::Line& it : o.lines) {
    Result<Decimal> product = Decimal::MultiplyExact(it.price, it.qty);
    if (!product.ok() || *product != it.total_price) {
      c.Add(Line("order", it.gnum, "totalPrice"), it.total_price.ToString(),
            Line("order", it.gnum, "price*qty"),
            product.ok() ? product->ToString() : "(not exact)");
    }
    c.LineFixed("order", it.gnum, "currency", o[it.currency], kCny);
  }
  c.Fixed("order.currency", o[O::kCurrency], kCny);
  c.Fixed("order.buyerIdType", o[O::kBuyerIdType], kIdCard);

  // Payment against order (table 3-10: 支付金额 = the order's 实际支付金额;
  // the payer is the buyer).
  c.Same("payment.amountPaid", p.amount_paid, "order.acturalPaid", o.actural_paid);
  c.Same("payment.orderNo", p[P::kOrderNo], "order.orderNo", o[O::kOrderNo]);
  c.Same("payment.ebpCode", p[P::kEbpCode], "order.ebpCode", o[O::kEbpCode]);
  c.Same("payment.payerIdNumber", p[P::kPayerIdNumber], "order.buyerIdNumber",
         o[O::kBuyerIdNumber]);
  c.Same("payment.payerName", p[P::kPayerName], "order.buyerName", o[O::kBuyerName]);
  c.Fixed("payment.payerIdType", p[P::kPayerIdType], kIdCard);
  c.Fixed("payment.currency", p[P::kCurrency], kCny);
  if (!o[O::kPayCode].empty())
    c.Same("payment.payCode", p[P::kPayCode], "order.payCode", o[O::kPayCode]);
  if (!o[O::kPayTransactionId].empty()) {
    c.Same("payment.payTransactionId", p[P::kPayTransactionId], "order.payTransactionId",
           o[O::kPayTransactionId]);
  }

  // Waybill against order (table 3-3: consignee, telephone and address
  // "必须与电子运单的…一致"; table 3-17: packNo "限定为1").
  c.Same("waybill.orderNo", w[W::kOrderNo], "order.orderNo", o[O::kOrderNo]);
  c.Same("waybill.consignee", w[W::kConsignee], "order.consignee", o[O::kConsignee]);
  c.Same("waybill.consigneeTelephone", w[W::kConsigneeTelephone], "order.consigneeTelephone",
         o[O::kConsigneeTelephone]);
  c.Same("waybill.consigneeAddress", w[W::kConsigneeAddress], "order.consigneeAddress",
         o[O::kConsigneeAddress]);
  c.FixedInt("waybill.packNo", w.pack_no, 1);
  c.Fixed("waybill.currency", w[W::kCurrency], kCny);

  // List head against the three.
  c.Same("list.orderNo", l.orderNo, "order.orderNo", o[O::kOrderNo]);
  c.Same("list.ebpCode", l.ebpCode, "order.ebpCode", o[O::kEbpCode]);
  c.Same("list.ebcCode", l.ebcCode, "order.ebcCode", o[O::kEbcCode]);
  c.Same("list.logisticsCode", l.logisticsCode, "waybill.logisticsCode", w[W::kLogisticsCode]);
  c.Same("list.logisticsNo", l.logisticsNo, "waybill.logisticsNo", w[W::kLogisticsNo]);
  c.Same("list.buyerIdNumber", l.buyerIdNumber, "order.buyerIdNumber", o[O::kBuyerIdNumber]);
  c.Same("list.buyerName", l.buyerName, "order.buyerName", o[O::kBuyerName]);
  c.Same("list.consigneeAddress", l.consigneeAddress, "waybill.consigneeAddress",
         w[W::kConsigneeAddress]);
  c.Fixed("list.buyerIdType", l.buyerIdType, kIdCard);
  c.Fixed("list.currency", l.currency, kCny);
  c.FixedInt("list.packNo", l.packNo, 1);
  c.NotNegative("list.freight", l.freight);
  c.NotNegative("list.insuredFee", l.insuredFee);
  if (rules.match_freight) {
    // The list's freight and insurance are "物流企业实际收取的" (table 3-31):
    // the waybill's; the order's 运杂费 is the same charge to the buyer.
    c.Same("list.freight", l.freight, "waybill.freight", w.freight);
    c.Same("list.insuredFee", l.insuredFee, "waybill.insuredFee", w.insured_fee);
    c.Same("list.freight", l.freight, "order.freight", o.freight);
  }
  bool bonded = l.tradeMode == "1210";
  if (!bonded && l.tradeMode != "9610") {
    c.Add("list.tradeMode", Shown(l.tradeMode), kRequired, "9610|1210");
  }
  if (bonded && l.emsNo.empty()) c.Add("list.emsNo", "(empty)", "required for", "1210");

  // List lines 1:1 with order lines by gnum (table 3-31: 与关联的电子订单表体
  // 序号一一对应; 商品名称…与电子订单一致).
  if (list.items.empty()) c.Add("list.items.count", "0", ">=", "1");
  if (list.items.size() != o.lines.size()) {
    c.Add("list.items.count", std::to_string(list.items.size()), "order.items.count",
          std::to_string(o.lines.size()));
  }
  // Linear scans: at most 99 lines, and the lines are nearly always in the
  // same order on both documents, so the first probe hits.
  auto find_order_line = [&o](size_t hint, int64_t gnum) -> const O::Line* {
    if (hint < o.lines.size() && o.lines[hint].gnum == gnum) return &o.lines[hint];
    for (const O::Line& oi : o.lines) {
      if (oi.gnum == gnum) return &oi;
    }
    return nullptr;
  };
  for (size_t i = 0; i < list.items.size(); ++i) {
    const InventoryItem& it = list.items[i];
    bool repeated = false;
    for (size_t j = 0; j < i && !repeated; ++j) repeated = list.items[j].gnum == it.gnum;
    if (repeated) {
      c.Add(Line("list", it.gnum, ""), "repeated", kRequired, "unique gnum");
      continue;
    }
    Result<Decimal> product = Decimal::MultiplyExact(it.price, it.qty);
    if (!product.ok() || *product != it.totalPrice) {
      c.Add(Line("list", it.gnum, "totalPrice"), it.totalPrice.ToString(),
            Line("list", it.gnum, "price*qty"), product.ok() ? product->ToString() : "(not exact)");
    }
    if (it.totalPrice < Decimal()) {
      c.Add(Line("list", it.gnum, "totalPrice"), it.totalPrice.ToString(), ">=", "0");
    }
    c.LineFixed("list", it.gnum, "currency", it.currency, kCny);
    if (bonded && it.itemRecordNo.empty()) {
      c.Add(Line("list", it.gnum, "itemRecordNo"), "(empty)", "required for", "1210");
    }
    const O::Line* found = find_order_line(i, it.gnum);
    if (!found) {
      c.Add(Line("list", it.gnum, ""), "present", Line("order", it.gnum, ""), "missing");
      continue;
    }
    const O::Line& oi = *found;
    c.LineSame(it.gnum, "gname", it.gname, "itemName", o[oi.item_name]);
    c.LineSame(it.gnum, "qty", it.qty, oi.qty);
    c.LineSame(it.gnum, "price", it.price, oi.price);
    c.LineSame(it.gnum, "totalPrice", it.totalPrice, oi.total_price);
    c.LineSame(it.gnum, "country", it.country, "country", o[oi.country]);
  }
  return out;
}

std::string JoinMismatches(const std::vector<Mismatch>& mismatches) {
  std::string out;
  for (const Mismatch& m : mismatches) {
    if (!out.empty()) out += "; ";
    out += m.ToString();
  }
  return out;
}

}  // namespace ftz::clearance
