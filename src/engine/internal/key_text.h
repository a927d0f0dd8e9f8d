// Business-key text for the engine's lookups and receipts: "code/number"
// keys (as ceb::BlockKey spells them) and "text[value]" receipt wording,
// each built in one allocation or none. Shared by the engine's source files
// (engine.cc: intake; decide.cc: lists; applications.cc; admin.cc).
//
// Thread safety: free functions and a value type that owns its text.
#pragma once

#include <cstring>
#include <string>
#include <string_view>

namespace ftz::engine::internal {

// "text[value]" in one allocation ("a" + b + "]" makes two: the first
// result is sized exactly, and the "]" grows it).
inline std::string Bracketed(std::string_view text, std::string_view value) {
  std::string out;
  out.reserve(text.size() + value.size() + 2);
  out.append(text).append("[").append(value).append("]");
  return out;
}

// A two-part business key as ceb::BlockKey spells it: "code/number"
// (logisticsCode/logisticsNo, ebpCode/orderNo, payCode/payTransactionId).
inline std::string KeyOf(std::string_view code, std::string_view no) {
  std::string key;
  key.reserve(code.size() + 1 + no.size());
  key.append(code).append(1, '/').append(no);
  return key;
}

// The same key for a lookup, built on the stack: the maps find by
// string_view, and a temporary string was an allocation per lookup. (CEB
// codes are at most 18 characters and numbers 60, so a key fits; a longer
// one goes to the heap.) Holds its text, so it is neither copied nor moved.
class KeyText {
 public:
  KeyText(std::string_view code, std::string_view no) {
    const size_t n = code.size() + 1 + no.size();
    char* p = buf_;
    if (n > sizeof buf_) {
      heap_.resize(n);
      p = heap_.data();
    }
    std::memcpy(p, code.data(), code.size());
    p[code.size()] = '/';
    std::memcpy(p + code.size() + 1, no.data(), no.size());
    view_ = std::string_view(p, n);
  }
  KeyText(const KeyText&) = delete;
  KeyText& operator=(const KeyText&) = delete;
  operator std::string_view() const { return view_; }

 private:
  char buf_[96];
  std::string heap_;
  std::string_view view_;
};

}  // namespace ftz::engine::internal
