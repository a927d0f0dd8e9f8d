#include "bonded/accounts.h"

#include <gtest/gtest.h>

namespace ftz::bonded {
namespace {

Decimal D(const char* s) { return Decimal::Parse(s).value(); }

TEST(BondedAccounts, GoodsInAccumulatesAndRefusesNonPositive) {
  BondedAccounts a;
  ASSERT_TRUE(a.GoodsIn("T2991W000001", "R001", D("10")).ok());
  ASSERT_TRUE(a.GoodsIn("T2991W000001", "R001", D("2.5")).ok());
  EXPECT_EQ(a.Stock("T2991W000001", "R001"), D("12.5"));
  EXPECT_EQ(a.Stock("T2991W000001", "R002"), Decimal());
  EXPECT_EQ(a.GoodsIn("T2991W000001", "R001", D("0")).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(a.GoodsIn("T2991W000001", "R001", D("-1")).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(a.GoodsIn("", "R001", D("1")).code(), StatusCode::kInvalidArgument);
}

TEST(BondedAccounts, DeductionIsAllOrNothingAndSumsSameLine) {
  BondedAccounts a;
  ASSERT_TRUE(a.GoodsIn("E1", "A", D("3")).ok());
  ASSERT_TRUE(a.GoodsIn("E1", "B", D("1")).ok());
  // Two lines of one list on record A: 2 + 2 > 3 must be refused although
  // each alone would fit; B is untouched because nothing is applied.
  std::vector<StockMove> moves = {{"E1", "B", D("-1")}, {"E1", "A", D("-2")}, {"E1", "A", D("-2")}};
  Status st = a.Apply(moves);
  EXPECT_EQ(st.code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(st.message(), "emsNo E1 itemRecordNo A: need 4, stock 3");
  EXPECT_EQ(a.Stock("E1", "B"), D("1"));
  moves.pop_back();
  ASSERT_TRUE(a.Apply(moves).ok());
  EXPECT_EQ(a.Stock("E1", "A"), D("1"));
  EXPECT_EQ(a.Stock("E1", "B"), D("0"));
  // A return puts stock back.
  std::vector<StockMove> back = {{"E1", "A", D("2")}};
  ASSERT_TRUE(a.Apply(back).ok());
  EXPECT_EQ(a.Stock("E1", "A"), D("3"));
}

TEST(BondedAccounts, ReportIsSortedAndKeepsEmptyLines) {
  BondedAccounts a;
  ASSERT_TRUE(a.GoodsIn("E2", "A", D("1")).ok());
  ASSERT_TRUE(a.GoodsIn("E1", "Z", D("5")).ok());
  ASSERT_TRUE(a.GoodsIn("E1", "B", D("1")).ok());
  std::vector<StockMove> out = {{"E1", "B", D("-1")}};
  ASSERT_TRUE(a.Apply(out).ok());
  std::vector<StockLine> want = {{"E1", "B", D("0")}, {"E1", "Z", D("5")}, {"E2", "A", D("1")}};
  EXPECT_EQ(a.Report(), want);
}

TEST(BondedAccounts, UnknownLineCannotBeDeducted) {
  BondedAccounts a;
  std::vector<StockMove> moves = {{"E9", "X", D("-1")}};
  EXPECT_EQ(a.CheckMoves(moves).code(), StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace ftz::bonded
