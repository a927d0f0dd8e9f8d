#include "core/crc32.h"

#include <isa-l/crc.h>

namespace ftz {

uint32_t Crc32(std::string_view data, uint32_t crc) {
  return crc32_gzip_refl(crc, reinterpret_cast<const unsigned char*>(data.data()), data.size());
}

}  // namespace ftz
