#include "ledger/encoding.h"

#include <gtest/gtest.h>

namespace ftz::ledger {
namespace {

TEST(Base64Test, Rfc4648Vectors) {
  // RFC 4648 §10.
  const std::pair<std::string, std::string> cases[] = {{"", ""},
                                                       {"f", "Zg=="},
                                                       {"fo", "Zm8="},
                                                       {"foo", "Zm9v"},
                                                       {"foob", "Zm9vYg=="},
                                                       {"fooba", "Zm9vYmE="},
                                                       {"foobar", "Zm9vYmFy"}};
  for (const auto& [plain, enc] : cases) {
    EXPECT_EQ(Base64Encode(plain), enc);
    Result<std::string> dec = Base64Decode(enc);
    ASSERT_TRUE(dec.ok()) << enc;
    EXPECT_EQ(*dec, plain);
  }
}

TEST(Base64Test, AllByteValuesRoundTrip) {
  std::string all;
  for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(i));
  for (size_t n = 0; n <= all.size(); n += 7) {
    std::string part = all.substr(0, n);
    EXPECT_EQ(*Base64Decode(Base64Encode(part)), part);
  }
}

TEST(Base64Test, RejectsNonCanonicalAndMalformed) {
  for (const char* bad : {"Zg=", "Zg", "Zh==", "Zm9=", "Z===", "====", "Zm9v\n", " Zm9v", "Zm-v",
                          "Zm_v", "Zg==Zg==", "=Zm9", "Zm=v"}) {
    EXPECT_EQ(Base64Decode(bad).status().code(), StatusCode::kInvalidArgument) << bad;
  }
}

TEST(HexTest, RoundTripAndErrors) {
  std::string raw("\x00\x01\xab\xff", 4);
  EXPECT_EQ(
      HexEncode(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(raw.data()), raw.size())),
      "0001abff");
  EXPECT_EQ(*HexDecode("0001ABff"), raw);
  EXPECT_FALSE(HexDecode("abc").ok());
  EXPECT_FALSE(HexDecode("zz").ok());
}

TEST(DecimalTest, StrictParsing) {
  EXPECT_EQ(*ParseDecimal("0"), 0u);
  EXPECT_EQ(*ParseDecimal("20852163"), 20852163u);
  EXPECT_EQ(*ParseDecimal("18446744073709551615"), UINT64_MAX);
  for (const char* bad : {"", "01", "00", "-1", "+1", "1 ", " 1", "1a", "18446744073709551616",
                          "99999999999999999999"}) {
    EXPECT_FALSE(ParseDecimal(bad).ok()) << bad;
  }
  EXPECT_EQ(FormatDecimal(UINT64_MAX), "18446744073709551615");
}

}  // namespace
}  // namespace ftz::ledger
