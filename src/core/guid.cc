#include "core/guid.h"

#include <array>
#include <cstring>

namespace ftz {
namespace {

// SplitMix64's finaliser: a bijection on 64 bits (each step is invertible)
// that spreads every input bit over the output.
uint64_t Mix(uint64_t x) {
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

}  // namespace

std::string FormatGuid(const uint8_t (&bytes)[16]) {
  // Two hex digits per byte from one table (a GUID is formatted for every
  // receipt and receipt block the engine sends: ~7 per decided list).
  static constexpr auto kPairs = [] {
    constexpr char kHex[] = "0123456789ABCDEF";
    std::array<char, 512> t{};
    for (int b = 0; b < 256; ++b) {
      t[2 * b] = kHex[b >> 4];
      t[2 * b + 1] = kHex[b & 15];
    }
    return t;
  }();
  std::string out(36, '-');
  char* p = out.data();
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) ++p;  // the dash already there
    std::memcpy(p, &kPairs[2 * bytes[i]], 2);
    p += 2;
  }
  return out;
}

std::string SerialGuid(GuidSequence sequence, uint64_t n) {
  // Different n: the low halves differ (adding a constant and Mix are both
  // bijections; the constant keeps n = 0 from giving zeros). Same n,
  // different sequences: the high halves differ, their inputs do.
  const uint64_t x = n + 0x9e3779b97f4a7c15ULL;
  const uint64_t high = Mix(x ^ (static_cast<uint64_t>(sequence) * 0xd1b54a32d192ed03ULL));
  const uint64_t low = Mix(x);
  uint8_t bytes[16];
  for (int i = 0; i < 8; ++i) {  // big-endian: the GUID reads as the numbers do
    bytes[i] = static_cast<uint8_t>(high >> (56 - 8 * i));
    bytes[8 + i] = static_cast<uint8_t>(low >> (56 - 8 * i));
  }
  return FormatGuid(bytes);
}

}  // namespace ftz
