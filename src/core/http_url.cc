#include "core/http_url.h"

namespace ftz {

Result<HttpUrl> ParseHttpUrl(std::string_view url) {
  constexpr std::string_view kScheme = "http://";
  const std::string shown(url);
  if (url.substr(0, kScheme.size()) != kScheme) {
    return Status::InvalidArgument("URL must start with http:// ('" + shown + "')");
  }
  url.remove_prefix(kScheme.size());
  const size_t slash = url.find('/');
  std::string_view authority = url.substr(0, slash);
  HttpUrl u;
  if (slash != std::string_view::npos) u.path = std::string(url.substr(slash));
  if (!authority.empty() && authority.front() == '[') {  // [v6]:port
    const size_t close = authority.find(']');
    if (close == std::string_view::npos) {
      return Status::InvalidArgument("URL with an unclosed '[' ('" + shown + "')");
    }
    u.host = std::string(authority.substr(1, close - 1));
    authority.remove_prefix(close + 1);
    if (!authority.empty()) {
      if (authority.front() != ':') {
        return Status::InvalidArgument("URL with text after ']' ('" + shown + "')");
      }
      u.port = std::string(authority.substr(1));
    }
  } else {
    const size_t colon = authority.rfind(':');
    u.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) u.port = std::string(authority.substr(colon + 1));
  }
  if (u.host.empty()) return Status::InvalidArgument("URL without a host ('" + shown + "')");
  if (u.port.empty() || u.port.size() > 5 ||
      u.port.find_first_not_of("0123456789") != std::string::npos || std::stoi(u.port) == 0 ||
      std::stoi(u.port) > 65535) {
    return Status::InvalidArgument("URL with a bad port '" + u.port + "' ('" + shown + "')");
  }
  return u;
}

}  // namespace ftz
