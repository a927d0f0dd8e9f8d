#include "clearance/digest.h"

namespace ftz::clearance {

uint32_t DrawPpm(std::initializer_list<std::string_view> parts) {
  const Sha256Digest d = Sha256Parts(parts);
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = v << 8 | d[i];
  return static_cast<uint32_t>(v % 1'000'000);
}

std::string DerivedGuid(std::initializer_list<std::string_view> parts) {
  return GuidFromDigest(Sha256Parts(parts));
}

}  // namespace ftz::clearance
