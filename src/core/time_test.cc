#include "core/time.h"

#include <gtest/gtest.h>

namespace ftz {
namespace {

TEST(TimeTest, ParsesCebTimes) {
  CivilTime t;
  ASSERT_TRUE(ParseDateTime14("20160308112701", &t));
  EXPECT_EQ(t, (CivilTime{2016, 3, 8, 11, 27, 1, 0}));
  EXPECT_TRUE(ParseDate8("20240229", &t));
  EXPECT_FALSE(ParseDate8("20230229", &t));
  EXPECT_FALSE(ParseDateTime14("20160308246000", &t));
  EXPECT_FALSE(ParseDateTime14("2016030811270", &t));
  EXPECT_FALSE(ParseDateTime14("2016-03-08 11:2", &t));
  ASSERT_TRUE(ParseDateTime17("20201208172711594", &t));
  EXPECT_EQ(t.millis, 594);
}

TEST(TimeTest, ChinaStandardTimeRoundTrip) {
  // 2020-12-08 17:27:11.594 CST = 09:27:11.594 UTC.
  CivilTime t{2020, 12, 8, 17, 27, 11, 594};
  UnixMillis ms = ToUnixMillisCst(t);
  EXPECT_EQ(ms, 1607419631594);
  EXPECT_EQ(FromUnixMillisCst(ms), t);
  EXPECT_EQ(FormatReturnTime(ms), "20201208172711594");
  EXPECT_EQ(FormatDateTime14(ms), "20201208172711");
  // 2024-12-31 20:00 UTC is already 2025 in Hangzhou.
  EXPECT_EQ(CstYear(ToUnixMillisCst({2025, 1, 1, 4, 0, 0, 0})), 2025);
  EXPECT_EQ(CstYear(1735675200000), 2025);
}

}  // namespace
}  // namespace ftz
