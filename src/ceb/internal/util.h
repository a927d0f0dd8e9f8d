// Small helpers shared by the CEB codecs.
#pragma once

#include <cstdint>
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

// Decodes the UTF-8 character at p (before end) into *cp: its length in
// bytes, or 0 if the bytes there are not one (truncated, overlong, a
// surrogate, past U+10FFFF).
int DecodeUtf8(const unsigned char* p, const unsigned char* end, uint32_t* cp);

// `s` as text a receipt can carry: at most `max_chars` characters (the last
// one "…" when `s` is longer), every byte that is not valid UTF-8 and every control character XML
// does not allow replaced by U+FFFD. For refusal messages that quote the
// input, which may be anything.
std::string SafeText(std::string_view s, size_t max_chars);

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
