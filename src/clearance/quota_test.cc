#include "clearance/quota.h"

#include <gtest/gtest.h>

#include <cstdio>

namespace ftz::clearance {
namespace {

Decimal Y(int64_t yuan) { return Decimal::FromInt(yuan); }

std::string Id(int i) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "33010619%010d", i);
  return buf;
}

TEST(QuotaBook, CountersByBuyerYearAndKind) {
  QuotaBook q;
  EXPECT_EQ(q.Get("330106199001011234", 2026).amount, Decimal());
  ASSERT_TRUE(q.Add({"330106199001011234", 2026, kMoneyCounter, Y(100), 1}).ok());
  ASSERT_TRUE(q.Add({"330106199001011234", 2026, kMoneyCounter, Y(50), 1}).ok());
  ASSERT_TRUE(q.Add({"330106199001011234", 2027, kMoneyCounter, Y(7), 1}).ok());
  ASSERT_TRUE(q.Add({"330106199001011234", 2026, 17019910, Decimal::FromFen(150), 0}).ok());
  EXPECT_EQ(q.Get("330106199001011234", 2026).amount, Y(150));
  EXPECT_EQ(q.Get("330106199001011234", 2026).lists, 2u);
  EXPECT_EQ(q.Get("330106199001011234", 2027).amount, Y(7));
  EXPECT_EQ(q.Get("330106199001011234", 2026, 17019910).amount, Decimal::FromFen(150));
  EXPECT_EQ(q.Get("330106199001011235", 2026).amount, Decimal());
  EXPECT_EQ(q.buyers(), 1u);
  EXPECT_EQ(q.counters(), 3u);
}

// An ID card's check character is 'X' whether written upper or lower case:
// one buyer, one annual total (else a buyer could split it in two).
TEST(QuotaBook, AnIdCardsCheckCharacterCountsAsOneBuyerInEitherCase) {
  QuotaBook q;
  ASSERT_TRUE(q.Add({"33010619900101123x", 2026, kMoneyCounter, Y(100), 1}).ok());
  ASSERT_TRUE(q.Add({"33010619900101123X", 2026, kMoneyCounter, Y(50), 1}).ok());
  EXPECT_EQ(q.Get("33010619900101123X", 2026).amount, Y(150));
  EXPECT_EQ(q.Get("33010619900101123x", 2026).lists, 2u);
  q.Prefetch("33010619900101123x");  // the same slot; no effect to see
  EXPECT_EQ(q.buyers(), 1u);
  ASSERT_EQ(q.Entries().size(), 1u);
  EXPECT_EQ(q.Entries()[0].buyer_id, "33010619900101123X");
  // Only the check character of an 18-character number: others as given.
  ASSERT_TRUE(q.Add({"x", 2026, kMoneyCounter, Y(1), 1}).ok());
  ASSERT_TRUE(q.Add({"3301061990010112x", 2026, kMoneyCounter, Y(1), 1}).ok());
  EXPECT_EQ(q.Get("X", 2026).amount, Decimal());
  EXPECT_EQ(q.Get("3301061990010112X", 2026).amount, Decimal());
  EXPECT_EQ(q.buyers(), 3u);
}

TEST(QuotaBook, NeverBelowZero) {
  QuotaBook q;
  EXPECT_EQ(q.Add({"A1", 2026, kMoneyCounter, Y(-1), 0}).code(), StatusCode::kFailedPrecondition);
  ASSERT_TRUE(q.Add({"A1", 2026, kMoneyCounter, Y(10), 1}).ok());
  EXPECT_EQ(q.Add({"A1", 2026, kMoneyCounter, Y(-11), -1}).code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(q.Add({"A1", 2026, kMoneyCounter, Y(-1), -2}).code(), StatusCode::kFailedPrecondition);
  ASSERT_TRUE(q.Add({"A1", 2026, kMoneyCounter, Y(-10), -1}).ok());
  EXPECT_EQ(q.Get("A1", 2026).amount, Decimal());
  EXPECT_EQ(q.Add({"", 2026, kMoneyCounter, Y(1), 1}).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(q.Add({std::string(256, '1'), 2026, kMoneyCounter, Y(1), 1}).code(),
            StatusCode::kInvalidArgument);
}

TEST(QuotaBook, OlderYearsAndQuantitiesLiveBesideTheLatestYear) {
  QuotaBook q;
  ASSERT_TRUE(q.Add({"B", 2026, 17019910, Y(1), 0}).ok());  // a quantity first
  ASSERT_TRUE(q.Add({"B", 2026, kMoneyCounter, Y(10), 1}).ok());
  ASSERT_TRUE(q.Add({"B", 2025, kMoneyCounter, Y(5), 1}).ok());  // an older year
  ASSERT_TRUE(q.Add({"B", 2027, kMoneyCounter, Y(7), 1}).ok());  // a newer one
  ASSERT_TRUE(q.Add({"B", 2026, kMoneyCounter, Y(-4), 0}).ok());
  EXPECT_EQ(q.Get("B", 2025).amount, Y(5));
  EXPECT_EQ(q.Get("B", 2026).amount, Y(6));
  EXPECT_EQ(q.Get("B", 2027).amount, Y(7));
  EXPECT_EQ(q.Get("B", 2026, 17019910).amount, Y(1));
  EXPECT_EQ(q.Get("B", 2028).amount, Decimal());
  EXPECT_EQ(q.counters(), 4u);
  std::vector<QuotaEntry> want = {{"B", 2025, 0, Y(5), 1},
                                  {"B", 2026, 0, Y(6), 1},
                                  {"B", 2026, 17019910, Y(1), 0},
                                  {"B", 2027, 0, Y(7), 1}};
  EXPECT_EQ(q.Entries(), want);
  // A refused change leaves no trace, not even a new buyer.
  EXPECT_FALSE(q.Add({"C", 2026, kMoneyCounter, Y(-1), 0}).ok());
  EXPECT_EQ(q.buyers(), 1u);
}

// Every buyer hashes alike: the full ID comparison keeps their quotas apart.
TEST(QuotaBook, CollidingHashesNeverShareAQuota) {
  QuotaBook q([](std::string_view) -> uint64_t { return 42; });
  for (int i = 0; i < 300; ++i) ASSERT_TRUE(q.Add({Id(i), 2026, kMoneyCounter, Y(i), 1}).ok());
  for (int i = 0; i < 300; ++i) EXPECT_EQ(q.Get(Id(i), 2026).amount, Y(i)) << i;
  EXPECT_EQ(q.Get(Id(300), 2026).amount, Decimal());
  EXPECT_EQ(q.buyers(), 300u);
}

// ID numbers longer than the slot holds (passports, other documents) live in
// the arena and behave the same, colliding or not.
TEST(QuotaBook, LongIdNumbersLiveInTheArena) {
  QuotaBook q([](std::string_view id) -> uint64_t { return id.size(); });
  std::string long_id(200, 'P');
  for (int i = 0; i < 50; ++i) {
    ASSERT_TRUE(q.Add({long_id + std::to_string(i), 2026, kMoneyCounter, Y(i + 1), 1}).ok());
    ASSERT_TRUE(q.Add({"E" + std::to_string(i), 2026, kMoneyCounter, Y(i + 100), 1}).ok());
  }
  ASSERT_TRUE(q.Add({std::string(255, '9'), 2026, kMoneyCounter, Y(3), 1}).ok());
  for (int i = 0; i < 50; ++i) {
    EXPECT_EQ(q.Get(long_id + std::to_string(i), 2026).amount, Y(i + 1));
    EXPECT_EQ(q.Get("E" + std::to_string(i), 2026).amount, Y(i + 100));
  }
  EXPECT_EQ(q.Get(std::string(255, '9'), 2026).amount, Y(3));
  Result<QuotaBook> copy = QuotaBook::FromEntries(q.Entries());
  ASSERT_TRUE(copy.ok());
  EXPECT_EQ(copy->Entries(), q.Entries());
}

TEST(QuotaBook, GrowsAndSnapshotsByValue) {
  QuotaBook q;
  const int n = 50'000;
  for (int i = 0; i < n; ++i) {
    ASSERT_TRUE(q.Add({Id(i), 2026, kMoneyCounter, Decimal::FromFen(i), 1}).ok());
    if (i % 7 == 0) {
      ASSERT_TRUE(q.Add({Id(i), 2025, kMoneyCounter, Y(1), 1}).ok());
    }
  }
  for (int i = 0; i < n; i += 997) EXPECT_EQ(q.Get(Id(i), 2026).amount, Decimal::FromFen(i));
  EXPECT_EQ(q.buyers(), static_cast<size_t>(n));
  // Well under the 256-byte budget per buyer.
  EXPECT_LT(q.MemoryBytes() / q.buyers(), 256u);
  std::vector<QuotaEntry> entries = q.Entries();
  EXPECT_EQ(entries.size(), q.counters());
  EXPECT_TRUE(
      std::is_sorted(entries.begin(), entries.end(), [](const QuotaEntry& a, const QuotaEntry& b) {
        return std::tie(a.buyer_id, a.year, a.kind) < std::tie(b.buyer_id, b.year, b.kind);
      }));
  Result<QuotaBook> copy = QuotaBook::FromEntries(entries);
  ASSERT_TRUE(copy.ok()) << copy.status().ToString();
  EXPECT_EQ(copy->Entries(), entries);
  EXPECT_EQ(copy->Get(Id(49'000), 2025).amount, Y(1));
  // A copy is a value of its own (the chained counters, >4,096 here, are
  // stored in chunks): changing it leaves the original as it was.
  QuotaBook value = q;
  EXPECT_EQ(value.Entries(), entries);
  ASSERT_TRUE(value.Add({Id(49'000), 2025, kMoneyCounter, Y(2), 1}).ok());
  EXPECT_EQ(value.Get(Id(49'000), 2025).amount, Y(3));
  EXPECT_EQ(q.Get(Id(49'000), 2025).amount, Y(1));
}

}  // namespace
}  // namespace ftz::clearance
