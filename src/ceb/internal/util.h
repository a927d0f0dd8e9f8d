// Small helpers shared by the CEB codecs.
#pragma once

#include <string>
#include <string_view>

namespace ftz::ceb::internal {

// Base64 (RFC 4648, line breaks allowed). False on any invalid character.
bool Base64Decode(std::string_view in, std::string* out);
std::string Base64Encode(std::string_view in);

// Whether `s` holds one of the five XML special characters.
bool NeedsXmlEscape(std::string_view s);
// Appends `s` with the five XML special characters escaped.
void AppendXmlEscaped(std::string* out, std::string_view s);
// Appends `s` as a JSON string literal (quotes included).
void AppendJsonString(std::string* out, std::string_view s);

// "Order[2]" (1-based).
std::string Indexed(std::string_view name, size_t zero_based);

// A path into a message ("Order[2]/OrderList[1]") kept as a chain of views and
// spelled out only when an error needs it: decoding valid messages builds no
// strings for paths.
struct LazyPath {
  const LazyPath* parent = nullptr;
  std::string_view name;
  long index = -1;  // 0-based; -1: not indexed
  std::string str() const {
    std::string s = parent ? parent->str() + "/" : std::string();
    return index < 0 ? s + std::string(name) : s + Indexed(name, static_cast<size_t>(index));
  }
};

}  // namespace ftz::ceb::internal
