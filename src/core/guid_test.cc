#include "core/guid.h"

#include <gtest/gtest.h>

#include <set>

namespace ftz {
namespace {

TEST(GuidTest, SixteenBytesInCebForm) {
  const uint8_t bytes[16] = {0x01, 0x23, 0x45, 0x67, 0x89, 0xAB, 0xCD, 0xEF,
                             0xFE, 0xDC, 0xBA, 0x98, 0x76, 0x54, 0x32, 0x10};
  EXPECT_EQ(FormatGuid(bytes), "01234567-89AB-CDEF-FEDC-BA9876543210");
}

TEST(GuidTest, SerialGuidsAreDistinctAcrossNumbersAndSequences) {
  std::set<std::string> seen;
  size_t made = 0;
  // Small numbers (where a weak mix would collide first), the ends of the
  // range, and numbers one bit apart.
  std::set<uint64_t> ns;
  for (uint64_t n = 0; n < 20'000; ++n) ns.insert(n);
  for (int b = 0; b < 64; ++b) ns.insert(uint64_t{1} << b);
  ns.insert(~uint64_t{0});
  for (uint64_t n : ns) {
    for (GuidSequence s : {GuidSequence::kReceipt, GuidSequence::kEmitted}) {
      const std::string g = SerialGuid(s, n);
      ASSERT_EQ(g.size(), 36u);
      seen.insert(g);
      ++made;
    }
  }
  EXPECT_EQ(seen.size(), made);
}

TEST(GuidTest, SerialGuidIsAFunctionOfItsInputsAlone) {
  // Logged receipts are compared byte for byte when the log is replayed:
  // the same (sequence, n) must give the same GUID in every process.
  EXPECT_EQ(SerialGuid(GuidSequence::kReceipt, 1), SerialGuid(GuidSequence::kReceipt, 1));
  // And the same in every version: a change here changes every receipt a
  // replay of an older log compares against (docs/json-mapping.md §5).
  // The low half of n = 0 is SplitMix64's first output from seed 0
  // (0xE220A8397B1DCDAF, the published reference value).
  EXPECT_EQ(SerialGuid(GuidSequence::kReceipt, 0), "D28F0491-68BD-D34C-E220-A8397B1DCDAF");
  EXPECT_EQ(SerialGuid(GuidSequence::kEmitted, 7), "64CC7FAD-E952-A057-63CB-E1E459320DD7");
}

}  // namespace
}  // namespace ftz
