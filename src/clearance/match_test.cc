#include "clearance/match.h"

#include <gtest/gtest.h>

#include "clearance/test_documents.h"

namespace ftz::clearance {
namespace {

using testing::Purchase;

struct Docs {
  Order order;
  Payment payment;
  Waybill waybill;
  InventoryList list;
};

Docs Agreeing() {
  Purchase p;
  p.name = "m1";
  p.freight = Decimal::FromInt(10);
  Status st = testing::ParseLines("0402100000*2@150,3304100000*1@200", &p.lines);
  EXPECT_TRUE(st.ok());
  return {testing::BuildOrder(p, 0), testing::BuildPayment(p, 0), testing::BuildWaybill(p, 0),
          testing::BuildList(p, 0)};
}

Rules MatchRules() {
  Rules r;
  r.match_freight = true;
  return r;
}

// The match reads the three documents as the engine keeps them.
std::vector<Mismatch> Match(const Docs& d, const Rules& rules) {
  return MatchDocuments(d.list, OrderFacts::Of(d.order), PaymentFacts::Of(d.payment),
                        WaybillFacts::Of(d.waybill), rules);
}

std::vector<std::string> Texts(const Docs& d) {
  std::vector<std::string> out;
  for (const Mismatch& m : Match(d, MatchRules())) {
    out.push_back(m.ToString());
  }
  return out;
}

TEST(Match, AgreeingDocumentsMatch) {
  Docs d = Agreeing();
  EXPECT_TRUE(Texts(d).empty()) << JoinMismatches(Match(d, MatchRules()));
}

TEST(Match, EachFailureNamesDocumentFieldAndBothValues) {
  Docs d = Agreeing();
  d.payment.head.amountPaid = Decimal::Parse("509.99").value();
  EXPECT_EQ(Texts(d),
            std::vector<std::string>{"payment.amountPaid 509.99 != order.acturalPaid 510"});

  d = Agreeing();
  d.list.items[1].gname = "口红";
  EXPECT_EQ(Texts(d), std::vector<std::string>{
                          "list.items[gnum=2].gname 口红 != order.items[gnum=2].itemName 商品2"});

  d = Agreeing();
  d.waybill.head.consigneeTelephone = "";
  EXPECT_EQ(Texts(d),
            std::vector<std::string>{
                "waybill.consigneeTelephone (empty) != order.consigneeTelephone 13800000000"});

  d = Agreeing();
  d.list.head.currency = "502";
  EXPECT_EQ(Texts(d), std::vector<std::string>{"list.currency 502 != required 142"});
}

TEST(Match, LinesMatchByGnumNotByPosition) {
  Docs d = Agreeing();
  std::swap(d.list.items[0], d.list.items[1]);
  EXPECT_TRUE(Texts(d).empty());
  d.list.items[0].gnum = 3;
  std::vector<std::string> t = Texts(d);
  ASSERT_EQ(t.size(), 1u);
  EXPECT_EQ(t[0], "list.items[gnum=3] present != order.items[gnum=3] missing");
}

TEST(Match, FreightComparisonIsARule) {
  Docs d = Agreeing();
  d.list.head.freight = Decimal::FromInt(8);
  EXPECT_EQ(Texts(d).size(), 2u);  // against the waybill and the order
  Rules lax;
  lax.match_freight = false;
  EXPECT_TRUE(Match(d, lax).empty());
}

TEST(Match, MissingDocumentsAreNamed) {
  Docs d = Agreeing();
  const OrderFacts o = OrderFacts::Of(d.order);
  const PaymentFacts p = PaymentFacts::Of(d.payment);
  const WaybillFacts w = WaybillFacts::Of(d.waybill);
  MissingDocuments m = FindMissing(&o, nullptr, nullptr);
  EXPECT_TRUE(m.any());
  EXPECT_EQ(m.Names(), "payment,waybill");
  EXPECT_EQ(m.ChineseNames(), "支付单、运单");
  EXPECT_FALSE(FindMissing(&o, &p, &w).any());
}

TEST(Facts, KeepEveryFieldTheRulesReadAndNothingElse) {
  Docs d = Agreeing();
  d.order.head.payCode = "4403169D3W";
  d.order.head.consignee = "收货人不同";
  const OrderFacts o = OrderFacts::Of(d.order);
  const OrderHead& h = d.order.head;
  EXPECT_EQ(o[OrderFacts::kOrderNo], h.orderNo);
  EXPECT_EQ(o[OrderFacts::kEbpCode], h.ebpCode);
  EXPECT_EQ(o[OrderFacts::kEbcCode], h.ebcCode);
  EXPECT_EQ(o[OrderFacts::kBuyerIdNumber], h.buyerIdNumber);
  EXPECT_EQ(o[OrderFacts::kBuyerName], h.buyerName);
  EXPECT_EQ(o[OrderFacts::kPayCode], "4403169D3W");
  EXPECT_EQ(o[OrderFacts::kConsignee], "收货人不同");
  EXPECT_EQ(o[OrderFacts::kConsigneeAddress], h.consigneeAddress);
  EXPECT_EQ(o.actural_paid, h.acturalPaid);
  ASSERT_EQ(o.lines.size(), d.order.items.size());
  for (size_t i = 0; i < o.lines.size(); ++i) {
    EXPECT_EQ(o.lines[i].gnum, d.order.items[i].gnum);
    EXPECT_EQ(o[o.lines[i].item_name], d.order.items[i].itemName);
    EXPECT_EQ(o[o.lines[i].country], d.order.items[i].country);
    EXPECT_EQ(o.lines[i].total_price, d.order.items[i].totalPrice);
  }
  // One string holds every text field: the head's and the lines'.
  size_t text = 0;
  for (TextRef r : o.fields) text += r.size;
  for (const OrderFacts::Line& l : o.lines)
    text += l.item_name.size + l.currency.size + l.country.size;
  EXPECT_EQ(o.text.bytes().size(), text);

  const PaymentFacts p = PaymentFacts::Of(d.payment);
  EXPECT_EQ(p[PaymentFacts::kPayTransactionId], d.payment.head.payTransactionId);
  EXPECT_EQ(p[PaymentFacts::kPayerName], d.payment.head.payerName);
  EXPECT_EQ(p.amount_paid, d.payment.head.amountPaid);
  const WaybillFacts w = WaybillFacts::Of(d.waybill);
  EXPECT_EQ(w[WaybillFacts::kLogisticsNo], d.waybill.head.logisticsNo);
  EXPECT_EQ(w[WaybillFacts::kConsigneeTelephone], d.waybill.head.consigneeTelephone);
  EXPECT_EQ(w.pack_no, d.waybill.head.packNo);
  EXPECT_EQ(w.insured_fee, d.waybill.head.insuredFee);
}

}  // namespace
}  // namespace ftz::clearance
