#include "core/status.h"

namespace ftz {

std::string Status::ToString() const {
  static constexpr const char* kNames[] = {"OK",
                                           "InvalidArgument",
                                           "NotFound",
                                           "AlreadyExists",
                                           "FailedPrecondition",
                                           "ResourceExhausted",
                                           "Corruption",
                                           "IOError",
                                           "Unavailable"};
  std::string out = kNames[static_cast<int>(code_)];
  if (!message_.empty()) {
    out += ": ";
    out += message_;
  }
  return out;
}

}  // namespace ftz
