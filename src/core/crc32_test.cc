#include "core/crc32.h"

#include <zlib.h>

#include <random>
#include <string>

#include <gtest/gtest.h>

namespace ftz {
namespace {

uint32_t ZlibCrc(std::string_view s) {
  return static_cast<uint32_t>(
      crc32(0L, reinterpret_cast<const Bytef*>(s.data()), static_cast<uInt>(s.size())));
}

TEST(Crc32, CheckValue) {
  EXPECT_EQ(Crc32("123456789"), 0xCBF43926u);
  EXPECT_EQ(Crc32(""), 0u);
  EXPECT_EQ(Crc32("", 0x12345678u), 0x12345678u);
}

// The log's files were written with zlib's crc32: every length and alignment
// the vector kernel treats differently must give zlib's value.
TEST(Crc32, SameAsZlibAtEveryLengthAndOffset) {
  std::mt19937 rng(8);
  std::string buf(70000, '\0');
  for (char& c : buf) c = static_cast<char>(rng());
  for (size_t off = 0; off < 17; ++off) {
    for (size_t len : {0,   1,   3,   7,   15,  16,   17,   31,   63,    64,   65,
                       127, 128, 129, 255, 256, 1023, 4096, 4099, 65536, 69983}) {
      if (off + len > buf.size()) continue;
      std::string_view s(buf.data() + off, len);
      ASSERT_EQ(Crc32(s), ZlibCrc(s)) << "offset " << off << " length " << len;
    }
  }
}

TEST(Crc32, ContinuesFromAnEarlierCrc) {
  const std::string a = "<CEB311Message guid=\"", b = "4CBF5E8A-0B6E-4B9B-9E8A-000000000001\">";
  EXPECT_EQ(Crc32(b, Crc32(a)), Crc32(a + b));
  EXPECT_NE(Crc32(a + b), Crc32(b + a));
}

}  // namespace
}  // namespace ftz
