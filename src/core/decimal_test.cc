#include "core/decimal.h"

#include <gtest/gtest.h>

namespace ftz {
namespace {

TEST(DecimalTest, ParsesSchemaLexicalForms) {
  EXPECT_EQ(Decimal::Parse("12")->units(), 1200000);
  EXPECT_EQ(Decimal::Parse("0.5")->units(), 50000);
  EXPECT_EQ(Decimal::Parse(".5")->units(), 50000);
  EXPECT_EQ(Decimal::Parse("5.")->units(), 500000);
  EXPECT_EQ(Decimal::Parse("-3.10000")->units(), -310000);
  EXPECT_EQ(Decimal::Parse("+0.00001")->units(), 1);
  EXPECT_EQ(Decimal::Parse("00012.3400000")->units(), 1234000);
}

TEST(DecimalTest, RefusesWhatIsNotN19_5) {
  for (const char* bad : {"", "-", ".", "1e5", "1,5", " 1", "1 ", "0x10", "1.2.3", "NaN", "１"}) {
    EXPECT_FALSE(Decimal::Parse(bad).ok()) << bad;
  }
  EXPECT_FALSE(Decimal::Parse("0.000001").ok());              // six fraction digits
  EXPECT_TRUE(Decimal::Parse("0.000010").ok());               // trailing zero does not count
  EXPECT_TRUE(Decimal::Parse("12345678901234.12345").ok());   // 19 digits
  EXPECT_FALSE(Decimal::Parse("123456789012345.1234").ok());  // 19 digits but out of int64 range
  EXPECT_FALSE(Decimal::Parse("12345678901234567890").ok());
}

TEST(DecimalTest, CanonicalText) {
  EXPECT_EQ(Decimal::Parse("19050")->ToString(), "19050");
  EXPECT_EQ(Decimal::Parse("0.10")->ToString(), "0.1");
  EXPECT_EQ(Decimal::Parse("-0.00001")->ToString(), "-0.00001");
  EXPECT_EQ(Decimal().ToString(), "0");
}

TEST(DecimalTest, RoundsToFenHalfAwayFromZero) {
  EXPECT_EQ(Decimal::Parse("1.005")->RoundToFen(), 101);
  EXPECT_EQ(Decimal::Parse("1.00499")->RoundToFen(), 100);
  EXPECT_EQ(Decimal::Parse("-1.005")->RoundToFen(), -101);
}

TEST(DecimalTest, MultiplyExact) {
  auto p = Decimal::MultiplyExact(*Decimal::Parse("19.9"), *Decimal::Parse("3"));
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->ToString(), "59.7");
  EXPECT_FALSE(Decimal::MultiplyExact(*Decimal::Parse("0.001"), *Decimal::Parse("0.001")).ok());
}

TEST(DecimalTest, SumsSaturateInsteadOfWrapping) {
  // Three amounts each inside N19,5 and int64, whose sum is not: it stays the
  // largest amount (beyond every limit) instead of wrapping to a small one.
  const Decimal big = *Decimal::Parse("61489146912365");
  Decimal sum = big + big;
  sum += big;
  EXPECT_EQ(sum.units(), Decimal::kMaxUnits);
  EXPECT_GT(sum, *Decimal::Parse("5000"));
  EXPECT_EQ((-big - big - big).units(), Decimal::kMinUnits);
  EXPECT_EQ((big - -big - -big).units(), Decimal::kMaxUnits);
  EXPECT_EQ((-(-big - big - big)).units(), Decimal::kMaxUnits);
  // Away from the ends nothing changes.
  const Decimal small = *Decimal::Parse("1000.5");
  EXPECT_EQ((small + small - small).units(), small.units());
  EXPECT_EQ((big + small - small).units(), big.units());
  EXPECT_EQ((Decimal::FromUnits(Decimal::kMaxUnits) + -big).units(),
            Decimal::kMaxUnits - big.units());
}

}  // namespace
}  // namespace ftz
