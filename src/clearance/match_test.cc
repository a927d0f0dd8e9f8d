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

std::vector<std::string> Texts(const Docs& d) {
  std::vector<std::string> out;
  for (const Mismatch& m : MatchDocuments(d.list, d.order, d.payment, d.waybill, MatchRules())) {
    out.push_back(m.ToString());
  }
  return out;
}

TEST(Match, AgreeingDocumentsMatch) {
  Docs d = Agreeing();
  EXPECT_TRUE(Texts(d).empty()) << JoinMismatches(
      MatchDocuments(d.list, d.order, d.payment, d.waybill, MatchRules()));
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
  EXPECT_TRUE(MatchDocuments(d.list, d.order, d.payment, d.waybill, lax).empty());
}

TEST(Match, MissingDocumentsAreNamed) {
  Docs d = Agreeing();
  MissingDocuments m = FindMissing(&d.order, nullptr, nullptr);
  EXPECT_TRUE(m.any());
  EXPECT_EQ(m.Names(), "payment,waybill");
  EXPECT_EQ(m.ChineseNames(), "支付单、运单");
  EXPECT_FALSE(FindMissing(&d.order, &d.payment, &d.waybill).any());
}

}  // namespace
}  // namespace ftz::clearance
