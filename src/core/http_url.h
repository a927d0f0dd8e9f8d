// HttpUrl: the "http://HOST[:PORT][/PATH]" addresses the command line and the
// witness client are given (the window, a witness). Pure parsing, no I/O.
//
// Errors: InvalidArgument naming what is wrong (the scheme, the host, the
// port); callers add which URL it was.
#pragma once

#include <string>
#include <string_view>

#include "core/status.h"

namespace ftz {

struct HttpUrl {
  std::string host;         // without brackets for an IPv6 literal
  std::string port = "80";  // digits, 1..65535
  std::string path = "/";   // from the first '/' on; "/" when none
};

// Only plain http:// (the window and the witnesses speak HTTP/1.1; TLS is a
// proxy's job). An IPv6 literal is written in brackets: http://[::1]:8080.
Result<HttpUrl> ParseHttpUrl(std::string_view url);

}  // namespace ftz
