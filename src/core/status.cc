#include "core/status.h"

namespace ftz {

std::string_view StatusCodeName(StatusCode code) {
  static constexpr const char* kNames[] = {"OK",
                                           "InvalidArgument",
                                           "NotFound",
                                           "AlreadyExists",
                                           "FailedPrecondition",
                                           "ResourceExhausted",
                                           "Corruption",
                                           "IOError",
                                           "Unavailable"};
  return kNames[static_cast<int>(code)];
}

std::string Status::ToString() const {
  std::string out(StatusCodeName(code_));
  if (!message_.empty()) {
    out += ": ";
    out += message_;
  }
  return out;
}

}  // namespace ftz
