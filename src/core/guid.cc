#include "core/guid.h"

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
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out(36, '-');
  size_t o = 0;
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) ++o;  // the dash already there
    out[o++] = kHex[bytes[i] >> 4];
    out[o++] = kHex[bytes[i] & 15];
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
  for (int i = 0; i < 8; ++i) {
    bytes[i] = static_cast<uint8_t>(high >> (56 - 8 * i));
    bytes[8 + i] = static_cast<uint8_t>(low >> (56 - 8 * i));
  }
  return FormatGuid(bytes);
}

}  // namespace ftz
