#include "core/sha256.h"

#include <gtest/gtest.h>

namespace ftz {
namespace {

std::string Hex(const Sha256Digest& d) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string s;
  for (uint8_t b : d) s += {kHex[b >> 4], kHex[b & 15]};
  return s;
}

TEST(Sha256, KnownVectors) {
  // FIPS 180-2, appendix B.1, and the empty string.
  EXPECT_EQ(Hex(Sha256("abc")), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(Hex(Sha256("")), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(Sha256, PartsAreLengthPrefixed) {
  EXPECT_NE(Sha256Parts({"ab", "c"}), Sha256Parts({"a", "bc"}));
  // The same as hashing the framed bytes by hand.
  const std::string framed = std::string("\0\0\0\2ab\0\0\0\1c", 11);
  EXPECT_EQ(Sha256Parts({"ab", "c"}), Sha256(framed));
}

TEST(Sha256, PartsGatheredOrNotHashTheSameFraming) {
  // Inputs up to 512 framed bytes are hashed from one buffer, longer ones
  // piece by piece: both are the framed bytes' hash, at the edge and past it.
  for (size_t n : {0u, 1u, 500u, 503u, 504u, 505u, 2000u}) {
    const std::string a(n, 'x'), b = "tail";
    std::string framed;
    for (const std::string* p : {&a, &b}) {
      const auto len = static_cast<uint32_t>(p->size());
      for (int shift : {24, 16, 8, 0}) framed += static_cast<char>((len >> shift) & 0xff);
      framed += *p;
    }
    EXPECT_EQ(Sha256Parts({a, b}), Sha256(framed)) << n;
    EXPECT_EQ(Sha256Parts({a, "", b}), Sha256Parts({a, std::string_view(), b})) << n;
  }
}

TEST(Sha256, GuidIsTheFirstSixteenBytesInCebForm) {
  EXPECT_EQ(GuidFromDigest(Sha256("abc")), "BA7816BF-8F01-CFEA-4141-40DE5DAE2223");
}

}  // namespace
}  // namespace ftz
