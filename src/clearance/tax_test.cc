#include "clearance/tax.h"

#include <gtest/gtest.h>

#include <numeric>

namespace ftz::clearance {
namespace {

Decimal D(const char* s) { return Decimal::Parse(s).value(); }

TaxRate Rate(Ppm vat, Ppm ct, std::optional<Ppm> mfn = {}, const char* min_price = "0") {
  TaxRate r;
  r.prefix = "99";
  r.vat = vat;
  r.consumption = ct;
  r.mfn = mfn;
  r.consumption_min_unit_price = D(min_price);
  return r;
}

LineTax Line(const char* value, const TaxRate& rate, TaxRegime regime, const char* price = "1") {
  LineTax t;
  Status st = ComputeLineTax(D(value), D(price), rate, regime, 700'000, &t);
  EXPECT_TRUE(st.ok()) << st.ToString();
  return t;
}

TEST(Tax, MilkPowderIsNinePointOnePercent) {
  // 310.00 × 13% × 70% = 28.21 exactly.
  LineTax t = Line("310", Rate(130'000, 0), TaxRegime::kCrossBorderReduced);
  EXPECT_EQ(t.customs_tax_fen, 0);
  EXPECT_EQ(t.consumption_tax_fen, 0);
  EXPECT_EQ(t.vat_fen, 2821);
}

TEST(Tax, LipstickIsTwentyThreePointOhSixPercent) {
  // CT = 200 / 0.85 × 0.15 × 0.7 = 24.70588 -> 24.71;
  // VAT = 200 / 0.85 × 0.13 × 0.7 = 21.41176 -> 21.41; total 46.12 = 23.06%.
  LineTax t = Line("200", Rate(130'000, 150'000), TaxRegime::kCrossBorderReduced);
  EXPECT_EQ(t.consumption_tax_fen, 2471);
  EXPECT_EQ(t.vat_fen, 2141);
  EXPECT_EQ(t.consumption_tax_fen + t.vat_fen, 4612);
}

TEST(Tax, RoundsHalfUpOnceFromTheExactAmount) {
  // 15.00 × 9.1% = 1.365 exactly: half up gives 1.37 (banker's would give 1.36).
  EXPECT_EQ(Line("15", Rate(130'000, 0), TaxRegime::kCrossBorderReduced).vat_fen, 137);
  // 5.00 × 9.1% = 0.455 -> 0.46.
  EXPECT_EQ(Line("5", Rate(130'000, 0), TaxRegime::kCrossBorderReduced).vat_fen, 46);
  // Just under a half fen rounds down: 14.99 × 9.1% = 1.36409 -> 1.36.
  EXPECT_EQ(Line("14.99", Rate(130'000, 0), TaxRegime::kCrossBorderReduced).vat_fen, 136);
}

TEST(Tax, FullRateChargesTariffAndFullTaxes) {
  // 6000 at MFN 10%: duty 600.00; CT = 6600 / 0.85 × 0.15 = 1164.70588 -> 1164.71;
  // VAT = 6600 / 0.85 × 0.13 = 1009.41176 -> 1009.41.
  LineTax t = Line("6000", Rate(130'000, 150'000, 100'000), TaxRegime::kFullGoodsRate);
  EXPECT_EQ(t.customs_tax_fen, 60000);
  EXPECT_EQ(t.consumption_tax_fen, 116471);
  EXPECT_EQ(t.vat_fen, 100941);
  // Without an MFN rate the full path cannot be taxed.
  LineTax u;
  Status st = ComputeLineTax(D("6000"), D("6000"), Rate(130'000, 0), TaxRegime::kFullGoodsRate,
                             700'000, &u);
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(st.message().find("最惠国税率"), std::string::npos);
}

TEST(Tax, ConsumptionTaxThresholdOnUnitPrice) {
  // 高档手表: CT only at >= 10,000 per piece.
  TaxRate watch = Rate(130'000, 200'000, 0, "10000");
  LineTax cheap = Line("9999.99", watch, TaxRegime::kFullGoodsRate, "9999.99");
  EXPECT_EQ(cheap.consumption_tax_fen, 0);
  EXPECT_EQ(cheap.vat_fen, 130000);  // 9999.99 × 13% = 1299.9987 -> 1300.00
  LineTax dear = Line("10000", watch, TaxRegime::kFullGoodsRate, "10000");
  EXPECT_EQ(dear.consumption_tax_fen, 250000);  // 10000 / 0.8 × 0.2
  EXPECT_EQ(dear.vat_fen, 162500);              // 10000 / 0.8 × 0.13
}

TEST(Tax, AllocationIsExactAndDeterministic) {
  std::vector<Decimal> three = {D("100"), D("100"), D("100")};
  std::vector<Decimal> a = AllocateCharges(three, D("10"));
  EXPECT_EQ(a, (std::vector<Decimal>{D("3.34"), D("3.33"), D("3.33")}));  // tie: first line
  std::vector<Decimal> w = {D("300"), D("200")};
  EXPECT_EQ(AllocateCharges(w, D("15")), (std::vector<Decimal>{D("9"), D("6")}));
  // Largest remainder: 0.05 over 1:2 -> 0.0167 / 0.0333 -> 0.02 / 0.03.
  std::vector<Decimal> w2 = {D("1"), D("2")};
  EXPECT_EQ(AllocateCharges(w2, D("0.05")), (std::vector<Decimal>{D("0.02"), D("0.03")}));
  // Zero weights (gifts at price 0): split evenly.
  std::vector<Decimal> zero = {D("0"), D("0")};
  EXPECT_EQ(AllocateCharges(zero, D("0.03")), (std::vector<Decimal>{D("0.02"), D("0.01")}));
  // A sub-fen charge is split in 1e-5 units.
  EXPECT_EQ(AllocateCharges(w2, D("0.00002")), (std::vector<Decimal>{D("0.00001"), D("0.00001")}));
  // Many lines (the sorting path above 64 lines, the selection path below)
  // share ties the same way: the earlier lines get the leftover fen.
  for (size_t n : {64u, 70u}) {
    std::vector<Decimal> equal(n, D("10"));
    std::vector<Decimal> s = AllocateCharges(equal, D("1"));
    size_t leftover = 100 - n;
    for (size_t i = 0; i < n; ++i)
      EXPECT_EQ(s[i], D(i < leftover ? "0.02" : "0.01")) << n << " " << i;
  }
  // Σ shares == charges, never negative, over many shapes.
  for (int n = 1; n <= 7; ++n) {
    for (int c = 0; c < 500; c += 37) {
      std::vector<Decimal> ws;
      for (int i = 0; i < n; ++i) ws.push_back(Decimal::FromFen(1 + (i * 7919 + c) % 1000));
      Decimal charges = Decimal::FromFen(c * 13 + n);
      std::vector<Decimal> s = AllocateCharges(ws, charges);
      Decimal sum;
      for (Decimal x : s) {
        EXPECT_GE(x, Decimal());
        sum += x;
      }
      EXPECT_EQ(sum, charges);
    }
  }
}

TEST(Tax, ListTaxSumsRoundedLines) {
  Rules rules;
  rules.version = "t";
  rules.single_limit = Decimal::FromInt(5000);
  rules.annual_limit = Decimal::FromInt(26000);
  rules.list_wait_ms = rules.return_window_ms = 1;
  rules.tax_rates = {Rate(130'000, 0), Rate(130'000, 150'000)};
  rules.tax_rates[0].prefix = "0402";
  rules.tax_rates[1].prefix = "3304";
  ASSERT_TRUE(rules.Finalize().ok());
  InventoryList list;
  list.head.freight = D("15");
  list.head.insuredFee = D("0");
  InventoryItem milk, lipstick;
  milk.gnum = 1;
  milk.gcode = "0402210000";
  milk.qty = D("2");
  milk.price = D("150");
  milk.totalPrice = D("300");
  lipstick.gnum = 2;
  lipstick.gcode = "3304100000";
  lipstick.qty = D("1");
  lipstick.price = D("200");
  lipstick.totalPrice = D("200");
  list.items = {milk, lipstick};
  Result<TaxComputation> t = ComputeTax(list, rules, TaxRegime::kCrossBorderReduced);
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(t->customs_value, D("515"));
  // Freight 15 over 300:200 -> 9 : 6. Milk 309 × 9.1% = 28.119 -> 28.12.
  // Lipstick 206: CT 206/0.85×0.105 = 25.4470 -> 25.45; VAT 206/0.85×0.091 = 22.0541 -> 22.05.
  EXPECT_EQ(t->lines[0].value, D("309"));
  EXPECT_EQ(t->lines[0].vat_fen, 2812);
  EXPECT_EQ(t->lines[1].value, D("206"));
  EXPECT_EQ(t->lines[1].consumption_tax_fen, 2545);
  EXPECT_EQ(t->lines[1].vat_fen, 2205);
  EXPECT_EQ(t->vat_fen, 2812 + 2205);
  EXPECT_EQ(t->total_fen(), 2812 + 2545 + 2205);
  TaxBill bill = MakeTaxBill(*t, list, "290020260000000001", 0);
  EXPECT_EQ(bill.head.valueAddedTax, Decimal::FromFen(5017));
  EXPECT_EQ(bill.head.consumptionTax, Decimal::FromFen(2545));
  EXPECT_EQ(bill.items[1].taxPrice, D("206"));
  EXPECT_TRUE(bill.head.guid.empty()) << "numbered by the sender (the engine)";
  EXPECT_EQ(bill.head.status, "1");

  list.items[1].gcode = "3401110000";  // soap: no rate in this table
  Result<TaxComputation> none = ComputeTax(list, rules, TaxRegime::kCrossBorderReduced);
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.status().message().find("第2项商品编码[3401110000]"), std::string::npos);
}

}  // namespace
}  // namespace ftz::clearance
