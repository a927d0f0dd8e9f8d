#include "clearance/digest.h"

#include <openssl/sha.h>

#include <string>

namespace ftz::clearance {

std::array<uint8_t, 32> Sha256Parts(std::initializer_list<std::string_view> parts) {
  std::string buf;
  size_t total = 0;
  for (std::string_view p : parts) total += 4 + p.size();
  buf.reserve(total);
  for (std::string_view p : parts) {
    uint32_t n = static_cast<uint32_t>(p.size());
    buf.push_back(static_cast<char>(n >> 24));
    buf.push_back(static_cast<char>(n >> 16));
    buf.push_back(static_cast<char>(n >> 8));
    buf.push_back(static_cast<char>(n));
    buf.append(p);
  }
  std::array<uint8_t, 32> out;
  SHA256(reinterpret_cast<const unsigned char*>(buf.data()), buf.size(), out.data());
  return out;
}

uint32_t DrawPpm(std::initializer_list<std::string_view> parts) {
  std::array<uint8_t, 32> d = Sha256Parts(parts);
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = v << 8 | d[i];
  return static_cast<uint32_t>(v % 1'000'000);
}

std::string DerivedGuid(std::initializer_list<std::string_view> parts) {
  std::array<uint8_t, 32> d = Sha256Parts(parts);
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(36);
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out.push_back('-');
    out.push_back(kHex[d[i] >> 4]);
    out.push_back(kHex[d[i] & 15]);
  }
  return out;
}

}  // namespace ftz::clearance
