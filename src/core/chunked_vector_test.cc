#include "core/chunked_vector.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

namespace ftz {
namespace {

// Over several chunks it holds what a std::vector holds, its elements stay
// where they were put, and a copy is a value of its own.
TEST(ChunkedVectorTest, AppendsAcrossChunksWithoutMovingElements) {
  ChunkedVector<uint32_t, 16> v;
  std::vector<uint32_t> want;
  EXPECT_TRUE(v.empty());
  const uint32_t& first = v.push_back(7);
  want.push_back(7);
  for (uint32_t i = 1; i < 1000; ++i) {
    EXPECT_EQ(v.push_back(i * 3), i * 3);
    want.push_back(i * 3);
  }
  EXPECT_EQ(&first, &v[0]);  // never moved
  ASSERT_EQ(v.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) ASSERT_EQ(v[i], want[i]) << i;
  // 63 chunks of 16, and the table of 63 chunk pointers.
  EXPECT_GE(v.capacity_bytes(), 63 * 16 * sizeof(uint32_t) + 63 * sizeof(void*));
  EXPECT_LE(v.capacity_bytes(), 63 * 16 * sizeof(uint32_t) + 128 * sizeof(void*));

  ChunkedVector<uint32_t, 16> copy = v;
  copy[500] = 1;
  copy.push_back(9);
  EXPECT_EQ(v[500], want[500]);
  EXPECT_EQ(v.size(), 1000u);
  EXPECT_EQ(copy.size(), 1001u);
  v = copy;
  EXPECT_EQ(v[500], 1u);
  EXPECT_EQ(v[1000], 9u);
  ChunkedVector<uint32_t, 16> moved = std::move(v);
  EXPECT_EQ(moved[1000], 9u);
}

}  // namespace
}  // namespace ftz
