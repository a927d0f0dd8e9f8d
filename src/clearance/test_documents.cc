#include "clearance/test_documents.h"

namespace ftz::clearance::testing {

namespace {
std::string ConsigneeOf(const Purchase& p) {
  return p.consignee.empty() ? p.buyer_name : p.consignee;
}
}  // namespace

bool ParseInt(std::string_view s, int64_t* out) {
  if (s.empty() || s.size() > 18) return false;
  bool neg = s[0] == '-';
  if (neg) s.remove_prefix(1);
  if (s.empty()) return false;
  int64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  *out = neg ? -v : v;
  return true;
}

std::pair<std::string, std::string> SplitKv(const std::string& token) {
  size_t eq = token.find('=');
  if (eq == std::string::npos) return {token, ""};
  return {token.substr(0, eq), token.substr(eq + 1)};
}

Result<Decimal> Dec(std::string_view s) { return Decimal::Parse(s); }

Status ParseLines(std::string_view spec, std::vector<LineSpec>* out) {
  out->clear();
  size_t start = 0;
  while (start < spec.size()) {
    size_t end = spec.find(',', start);
    if (end == std::string_view::npos) end = spec.size();
    std::string_view one = spec.substr(start, end - start);
    start = end + 1;
    std::vector<std::string_view> parts;
    size_t p = 0;
    while (p <= one.size()) {
      size_t q = one.find('/', p);
      if (q == std::string_view::npos) q = one.size();
      parts.push_back(one.substr(p, q - p));
      p = q + 1;
    }
    std::string_view core = parts[0];
    size_t star = core.find('*'), at = core.find('@');
    if (star == std::string_view::npos || at == std::string_view::npos || at < star) {
      return Status::InvalidArgument("line spec GCODE*QTY@PRICE, got " + std::string(one));
    }
    LineSpec l;
    l.gcode = std::string(core.substr(0, star));
    Result<Decimal> qty = Dec(core.substr(star + 1, at - star - 1));
    Result<Decimal> price = Dec(core.substr(at + 1));
    if (!qty.ok() || !price.ok())
      return Status::InvalidArgument("bad qty/price in " + std::string(one));
    l.qty = *qty;
    l.price = *price;
    for (size_t i = 1; i < parts.size(); ++i) {
      auto [k, v] = SplitKv(std::string(parts[i]));
      if (k == "name")
        l.name = v;
      else if (k == "country")
        l.country = v;
      else if (k == "unit")
        l.unit = v;
      else if (k == "unit1")
        l.unit1 = v;
      else if (k == "rec")
        l.item_record_no = v;
      else if (k == "qty1") {
        Result<Decimal> d = Dec(v);
        if (!d.ok()) return Status::InvalidArgument("bad qty1 " + v);
        l.qty1 = *d;
      } else {
        return Status::InvalidArgument("unknown line key " + k);
      }
    }
    out->push_back(std::move(l));
  }
  return Status::Ok();
}

Status SetPurchase(Purchase* p, const std::string& k, const std::string& v) {
  auto money = [&](Decimal* out) -> Status {
    Result<Decimal> d = Dec(v);
    if (!d.ok()) return Status::InvalidArgument(k + ": " + d.status().message());
    *out = *d;
    return Status::Ok();
  };
  if (k == "lines") return ParseLines(v, &p->lines);
  if (k == "buyer")
    p->buyer_id = v;
  else if (k == "buyerName")
    p->buyer_name = v;
  else if (k == "buyerTelephone")
    p->buyer_tel = v;
  else if (k == "consignee")
    p->consignee = v;
  else if (k == "consigneeTelephone")
    p->consignee_tel = v;
  else if (k == "consigneeAddress")
    p->consignee_address = v;
  else if (k == "freight")
    return money(&p->freight);
  else if (k == "insuredFee")
    return money(&p->insured_fee);
  else if (k == "discount")
    return money(&p->discount);
  else if (k == "taxTotal")
    return money(&p->tax_total);
  else if (k == "tradeMode")
    p->trade_mode = v;
  else if (k == "emsNo")
    p->ems_no = v;
  else if (k == "customsCode")
    p->customs_code = v;
  else if (k == "ebpCode")
    p->ebp_code = v;
  else if (k == "ebcCode")
    p->ebc_code = v;
  else if (k == "agentCode")
    p->agent_code = v;
  else if (k == "logisticsCode")
    p->logistics_code = v;
  else if (k == "logisticsNo")
    p->logistics_no = v;
  else if (k == "orderNo")
    p->order_no = v;
  else if (k == "copNo")
    p->cop_no = v;
  else
    return Status::InvalidArgument("unknown purchase key " + k);
  return Status::Ok();
}

std::string OrderNoOf(const Purchase& p) { return p.order_no.empty() ? p.name : p.order_no; }
static std::string ConsigneeTelOf(const Purchase& p) {
  return p.consignee_tel.empty() ? p.buyer_tel : p.consignee_tel;
}
std::string LogisticsNoOf(const Purchase& p) {
  return p.logistics_no.empty() ? StrCat({"LN", OrderNoOf(p)}) : p.logistics_no;
}
static std::string ItemName(const LineSpec& l, size_t i) {
  return l.name.empty() ? StrCat({"商品", std::to_string(i + 1)}) : l.name;
}
Decimal GoodsValue(const Purchase& p) {
  Decimal g;
  for (const LineSpec& l : p.lines) g += Decimal::MultiplyExact(l.price, l.qty).value();
  return g;
}
Decimal ActuralPaid(const Purchase& p) {
  return GoodsValue(p) + p.freight + p.tax_total - p.discount;
}

Order BuildOrder(const Purchase& p, UnixMillis t) {
  Order o;
  OrderHead& h = o.head;
  h.guid = DerivedGuid({"311", p.name});
  h.appType = "1";
  h.appTime = FormatDateTime14(t);
  h.appStatus = "2";
  h.orderType = "I";
  h.orderNo = OrderNoOf(p);
  h.ebpCode = p.ebp_code;
  h.ebpName = "示例电商平台";
  h.ebcCode = p.ebc_code;
  h.ebcName = "示例电商企业";
  h.goodsValue = GoodsValue(p);
  h.freight = p.freight;
  h.discount = p.discount;
  h.taxTotal = p.tax_total;
  h.acturalPaid = ActuralPaid(p);
  h.currency = "142";
  h.buyerRegNo = "U" + p.buyer_id.substr(p.buyer_id.size() > 6 ? p.buyer_id.size() - 6 : 0);
  h.buyerName = p.buyer_name;
  h.buyerTelephone = p.buyer_tel;
  h.buyerIdType = "1";
  h.buyerIdNumber = p.buyer_id;
  h.payCode = p.pay_code;
  h.payName = "示例支付企业";
  h.payTransactionId = StrCat({"PAY", OrderNoOf(p)});
  h.consignee = ConsigneeOf(p);
  h.consigneeTelephone = ConsigneeTelOf(p);
  h.consigneeAddress = p.consignee_address;
  for (size_t i = 0; i < p.lines.size(); ++i) {
    const LineSpec& l = p.lines[i];
    OrderItem it;
    it.gnum = static_cast<int64_t>(i + 1);
    it.itemNo = StrCat({"SKU", std::to_string(i + 1)});
    it.itemName = ItemName(l, i);
    it.gmodel = StrCat({"规格", std::to_string(i + 1)});
    it.unit = l.unit;
    it.qty = l.qty;
    it.price = l.price;
    it.totalPrice = Decimal::MultiplyExact(l.price, l.qty).value();
    it.currency = "142";
    it.country = l.country;
    o.items.push_back(std::move(it));
  }
  return o;
}

Payment BuildPayment(const Purchase& p, UnixMillis t) {
  Payment pay;
  PaymentHead& h = pay.head;
  h.guid = DerivedGuid({"411", p.name});
  h.appType = "1";
  h.appTime = FormatDateTime14(t);
  h.appStatus = "2";
  h.payCode = p.pay_code;
  h.payName = "示例支付企业";
  h.payTransactionId = StrCat({"PAY", OrderNoOf(p)});
  h.orderNo = OrderNoOf(p);
  h.ebpCode = p.ebp_code;
  h.ebpName = "示例电商平台";
  h.payerIdType = "1";
  h.payerIdNumber = p.buyer_id;
  h.payerName = p.buyer_name;
  h.telephone = p.buyer_tel;
  h.amountPaid = ActuralPaid(p);
  h.currency = "142";
  h.payTime = FormatDateTime14(t);
  return pay;
}

Waybill BuildWaybill(const Purchase& p, UnixMillis t) {
  Waybill w;
  WaybillHead& h = w.head;
  h.guid = DerivedGuid({"511", p.name});
  h.appType = "1";
  h.appTime = FormatDateTime14(t);
  h.appStatus = "2";
  h.logisticsCode = p.logistics_code;
  h.logisticsName = "示例物流企业";
  h.logisticsNo = LogisticsNoOf(p);
  h.orderNo = OrderNoOf(p);
  h.freight = p.freight;
  h.insuredFee = p.insured_fee;
  h.currency = "142";
  h.weight = Decimal::FromInt(1);
  h.packNo = 1;
  h.consignee = ConsigneeOf(p);
  h.consigneeAddress = p.consignee_address;
  h.consigneeTelephone = ConsigneeTelOf(p);
  return w;
}

InventoryList BuildList(const Purchase& p, UnixMillis t) {
  InventoryList l;
  InventoryHead& h = l.head;
  h.guid = DerivedGuid({"621", p.name});
  h.appType = "1";
  h.appTime = FormatDateTime14(t);
  h.appStatus = "2";
  h.orderNo = OrderNoOf(p);
  h.ebpCode = p.ebp_code;
  h.ebpName = "示例电商平台";
  h.ebcCode = p.ebc_code;
  h.ebcName = "示例电商企业";
  h.logisticsNo = LogisticsNoOf(p);
  h.logisticsCode = p.logistics_code;
  h.logisticsName = "示例物流企业";
  h.copNo = p.cop_no.empty() ? StrCat({"COP", OrderNoOf(p)}) : p.cop_no;
  h.assureCode = p.ebc_code;
  h.emsNo = p.ems_no;
  h.ieFlag = "I";
  h.declTime = FormatDateTime14(t).substr(0, 8);
  h.customsCode = p.customs_code;
  h.portCode = p.customs_code;
  h.buyerIdType = "1";
  h.buyerIdNumber = p.buyer_id;
  h.buyerName = p.buyer_name;
  h.buyerTelephone = p.buyer_tel;
  h.consigneeAddress = p.consignee_address;
  h.agentCode = p.agent_code;
  h.agentName = "示例申报企业";
  h.tradeMode = p.trade_mode;
  h.trafMode = "5";
  h.country = p.trade_mode == "1210" ? "142" : "502";
  h.freight = p.freight;
  h.insuredFee = p.insured_fee;
  h.currency = "142";
  h.packNo = 1;
  h.grossWeight = Decimal::FromInt(1);
  h.netWeight = Decimal::FromInt(1);
  for (size_t i = 0; i < p.lines.size(); ++i) {
    const LineSpec& s = p.lines[i];
    InventoryItem it;
    it.gnum = static_cast<int64_t>(i + 1);
    it.itemRecordNo = s.item_record_no;
    it.itemNo = StrCat({"SKU", std::to_string(i + 1)});
    it.itemName = ItemName(s, i);
    it.gcode = s.gcode;
    it.gname = ItemName(s, i);
    it.gmodel = StrCat({"规格", std::to_string(i + 1)});
    it.country = s.country;
    it.currency = "142";
    it.qty = s.qty;
    it.unit = s.unit;
    it.qty1 = s.qty1.value_or(s.qty);
    it.unit1 = s.unit1.empty() ? s.unit : s.unit1;
    it.price = s.price;
    it.totalPrice = Decimal::MultiplyExact(s.price, s.qty).value();
    l.items.push_back(std::move(it));
  }
  return l;
}

}  // namespace ftz::clearance::testing
