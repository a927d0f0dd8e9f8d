#include "clearance/facts.h"

namespace ftz::clearance {

TextRef PackedText::Add(std::string_view s) {
  TextRef r{static_cast<uint32_t>(bytes_.size()), static_cast<uint32_t>(s.size())};
  bytes_.append(s);
  return r;
}

PackedText PackedText::FromBytes(std::string bytes) {
  PackedText t;
  t.bytes_ = std::move(bytes);
  return t;
}

namespace {

// Packs the named fields in order; one allocation for all of them.
template <class Facts, size_t N>
void Pack(Facts* f, const std::array<const std::string*, N>& values, size_t extra = 0) {
  static_assert(N == Facts::kTextCount);
  size_t total = extra;
  for (const std::string* v : values) total += v->size();
  f->text.Reserve(total);
  for (size_t i = 0; i < N; ++i) f->fields[i] = f->text.Add(*values[i]);
}

}  // namespace

OrderFacts OrderFacts::Of(const Order& order) {
  const OrderHead& h = order.head;
  OrderFacts f;
  f.goods_value = h.goodsValue;
  f.freight = h.freight;
  f.discount = h.discount;
  f.tax_total = h.taxTotal;
  f.actural_paid = h.acturalPaid;
  size_t line_text = 0;
  for (const OrderItem& it : order.items) {
    line_text += it.itemName.size() + it.currency.size() + it.country.size();
  }
  // In the order of the Text enum.
  Pack(&f,
       std::array{&h.orderNo, &h.ebpCode, &h.ebcCode, &h.currency, &h.buyerIdType, &h.buyerIdNumber,
                  &h.buyerName, &h.payCode, &h.payTransactionId, &h.consignee,
                  &h.consigneeTelephone, &h.consigneeAddress},
       line_text);
  f.lines.reserve(order.items.size());
  for (const OrderItem& it : order.items) {
    f.lines.push_back({it.gnum, it.qty, it.price, it.totalPrice, f.text.Add(it.itemName),
                       f.text.Add(it.currency), f.text.Add(it.country)});
  }
  return f;
}

PaymentFacts PaymentFacts::Of(const Payment& payment) {
  const PaymentHead& h = payment.head;
  PaymentFacts f;
  f.amount_paid = h.amountPaid;
  Pack(&f, std::array{&h.orderNo, &h.ebpCode, &h.payCode, &h.payTransactionId, &h.payerIdType,
                      &h.payerIdNumber, &h.payerName, &h.currency});
  return f;
}

WaybillFacts WaybillFacts::Of(const Waybill& waybill) {
  const WaybillHead& h = waybill.head;
  WaybillFacts f;
  f.pack_no = h.packNo;
  f.freight = h.freight;
  f.insured_fee = h.insuredFee;
  Pack(&f, std::array{&h.logisticsCode, &h.logisticsNo, &h.orderNo, &h.consignee,
                      &h.consigneeTelephone, &h.consigneeAddress, &h.currency});
  return f;
}

}  // namespace ftz::clearance
