// Unit tests of the decision entry points where a case file would be awkward:
// byte-for-byte determinism of whole decisions, receipt shapes, the returnInfo
// length bound, and the helpers of codes.h.
#include "clearance/clearance.h"

#include <gtest/gtest.h>

#include <set>

#include "clearance/digest.h"
#include "clearance/test_documents.h"

namespace ftz::clearance {
namespace {

using testing::Purchase;

Rules TestRules() {
  Rules r;
  r.version = "unit-1";
  r.single_limit = Decimal::FromInt(5000);
  r.annual_limit = Decimal::FromInt(26000);
  r.list_wait_ms = 3'600'000;
  r.return_window_ms = 30LL * 86'400'000;
  r.selectivity_salt = "unit";
  r.red = {300'000, 300'000};  // high rates: the lane actually varies
  r.yellow = {300'000, 300'000};
  r.tax_rates.push_back({"0402", 130'000, 0, {}, {}, "", ""});
  r.positive_list.push_back({4021000, "milk", "", {}, "", kBeginningOfTime, kEndOfTime, {}});
  EXPECT_TRUE(r.Finalize().ok());
  return r;
}

Purchase Milk(std::string name) {
  Purchase p;
  p.name = std::move(name);
  EXPECT_TRUE(testing::ParseLines("0402100000*2@150", &p.lines).ok());
  return p;
}

TEST(Clearance, SameInputsSameDecisionByteForByte) {
  Rules rules = TestRules();
  QuotaBook quota;
  bonded::BondedAccounts stock;
  std::set<Lane> lanes;
  for (int i = 0; i < 40; ++i) {
    Purchase p = Milk("d" + std::to_string(i));
    OrderFacts o = OrderFacts::Of(testing::BuildOrder(p, 0));
    PaymentFacts pay = PaymentFacts::Of(testing::BuildPayment(p, 0));
    WaybillFacts w = WaybillFacts::Of(testing::BuildWaybill(p, 0));
    InventoryList l = testing::BuildList(p, 0);
    ClearanceInput in{&l, &o, &pay, &w, 0, "290020260000000001"};
    Decision a = Decide(in, quota, stock, rules, 1'000);
    Decision b = Decide(in, quota, stock, rules, 1'000);
    EXPECT_EQ(a, b);
    EXPECT_EQ(a.ToString(), b.ToString());
    EXPECT_NE(a.outcome, Outcome::kRejected) << a.ToString();
    lanes.insert(a.lane.lane);
  }
  // The rates are high: the 40 lists went to more than one lane, so the
  // sameness above covers the random draw too.
  EXPECT_GT(lanes.size(), 1u);
}

TEST(Clearance, ReceiptsCarryTheDecision) {
  Rules rules = TestRules();
  rules.red = rules.yellow = {0, 0};
  QuotaBook quota;
  bonded::BondedAccounts stock;
  Purchase p = Milk("r1");
  OrderFacts o = OrderFacts::Of(testing::BuildOrder(p, 0));
  PaymentFacts pay = PaymentFacts::Of(testing::BuildPayment(p, 0));
  WaybillFacts w = WaybillFacts::Of(testing::BuildWaybill(p, 0));
  InventoryList l = testing::BuildList(p, 0);
  ClearanceInput in{&l, &o, &pay, &w, 0, "290020260000000007"};
  Decision d = Decide(in, quota, stock, rules, *ParseCstDate("2026-03-01"));
  ASSERT_EQ(d.outcome, Outcome::kReleased) << d.ToString();
  InventoryReturn r = MakeInventoryReturn(d);
  EXPECT_EQ(r.returnStatus, "800");
  EXPECT_EQ(r.returnInfo, "[Code:2600;Desc:放行]");
  EXPECT_EQ(r.returnTime, "20260301000000000");
  EXPECT_EQ(r.invtNo, "290020260000000007");
  EXPECT_EQ(r.copNo, "COPr1");
  EXPECT_TRUE(r.guid.empty()) << "numbered by the sender (the engine), not the rule core";
  ASSERT_NE(d.tax_bill(), nullptr);
  EXPECT_EQ(d.tax_bill()->head.valueAddedTax, Decimal::FromFen(2730));  // 300 × 9.1%
  ASSERT_TRUE(ApplyDecision(d, &quota, &stock).ok());
  EXPECT_EQ(quota.Get(p.buyer_id, 2026).amount, Decimal::FromInt(300));

  Cancellation c;
  testing::FillFromRecord(d.record, p, 0, &c.head);
  c.head.reason = "test";
  Decision cd = DecideCancellation(c, &d.record, rules, *ParseCstDate("2026-03-02"));
  EXPECT_EQ(cd.error_code, codes::kCancelWrongState);
  InvtCancelReturn cr = MakeCancellationReturn(cd);
  EXPECT_EQ(cr.returnStatus, "100");
  EXPECT_EQ(cr.returnInfo.rfind("[Code:-623005;Desc:", 0), 0u) << cr.returnInfo;
}

TEST(Clearance, ReturnInfoStaysWithinOneThousandCharacters) {
  Rules rules = TestRules();
  QuotaBook quota;
  bonded::BondedAccounts stock;
  Purchase p = Milk("long");
  std::string lines;
  for (int i = 0; i < 99; ++i) lines += (i ? "," : "") + std::string("0402100000*1@1");
  ASSERT_TRUE(testing::ParseLines(lines, &p.lines).ok());
  OrderFacts o = OrderFacts::Of(testing::BuildOrder(p, 0));
  PaymentFacts pay = PaymentFacts::Of(testing::BuildPayment(p, 0));
  WaybillFacts w = WaybillFacts::Of(testing::BuildWaybill(p, 0));
  InventoryList l = testing::BuildList(p, 0);
  for (InventoryItem& it : l.items) it.gname = "一个与订单不一致的商品名称";
  ClearanceInput in{&l, &o, &pay, &w, 0, "X"};
  Decision d = Decide(in, quota, stock, rules, 0);
  EXPECT_EQ(d.error_code, codes::kListInvalid);
  EXPECT_EQ(d.mismatches.size(), 99u);
  size_t chars = 0;
  for (unsigned char ch : d.return_info) chars += (ch & 0xC0) != 0x80;
  EXPECT_LE(chars, 1000u);
  EXPECT_NE(d.return_info.find("…"), std::string::npos);
  EXPECT_NE(d.detail.find("gnum=99"), std::string::npos);  // the full text is kept
}

TEST(Clearance, ApplyIsAllOrNothingOnStock) {
  QuotaBook quota;
  bonded::BondedAccounts stock;
  Decision d;
  d.quota.push_back({"B1", 2026, kMoneyCounter, Decimal::FromInt(10), 1});
  d.stock.push_back({"E1", "R1", Decimal::FromInt(-1)});
  EXPECT_EQ(ApplyDecision(d, &quota, &stock).code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(quota.Get("B1", 2026).amount, Decimal());
}

// Pinned values (computed independently with Python's hashlib over the same
// length-prefixed framing): a change of framing would silently change every
// lane on replay, so it must fail here first.
TEST(Digest, FramingAndDrawArePinned) {
  std::array<uint8_t, 32> d = Sha256Parts({"abc"});
  std::string hex;
  for (uint8_t b : d) {
    static constexpr char kHex[] = "0123456789abcdef";
    hex += kHex[b >> 4];
    hex += kHex[b & 15];
  }
  EXPECT_EQ(hex, "d04b72a650ce0f8ce4963330a53ee2832733d2baeffff3c1d8e256cca096d120");
  EXPECT_EQ(DrawPpm({"salt", "v1", "3301960001", "o1", "random"}), 840275u);
  EXPECT_EQ(DerivedGuid({"CEB816", "X"}), "D81D243F-FEC3-B5DC-32CA-153BD69999F3");
  EXPECT_NE(Sha256Parts({"ab", "c"}), Sha256Parts({"a", "bc"}));
}

TEST(Codes, Helpers) {
  EXPECT_EQ(MaskId("130681196203023332"), "1306**********3332");
  EXPECT_EQ(MaskId("A1234567"), "A1****67");
  EXPECT_EQ(MaskId("1234"), "****");
  EXPECT_EQ(FormatYuan(Decimal::FromInt(5000)), "5000.00");
  EXPECT_EQ(FormatYuan(Decimal::Parse("0.125").value()), "0.125");
  EXPECT_EQ(FormatFen(-5), "-0.05");
  EXPECT_EQ(TruncateUtf8("放行放行", 4), "放行放行");
  EXPECT_EQ(TruncateUtf8("放行放行", 3), "放行…");
  EXPECT_EQ(ReturnInfo(2600, "放行"), "[Code:2600;Desc:放行]");
  EXPECT_EQ(MakeInvtNo("2900", 2026, 42), "29002026I000000042");
  for (UnixMillis t : {UnixMillis{0}, UnixMillis{1'772'330'400'123}, UnixMillis{-1},
                       UnixMillis{253'402'271'999'999}}) {
    EXPECT_EQ(ReturnTimeText(t), FormatReturnTime(t)) << t;
  }
}

}  // namespace
}  // namespace ftz::clearance
