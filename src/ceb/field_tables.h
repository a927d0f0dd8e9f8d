// The specification's field tables, one per document part: for each field its
// CEB name, type, length, whether it is required, the code list it draws on
// and its format. Generated from the customs XSD (tools/gen_documents.py) and
// used by every codec (XML, JSON) and by validation, so a rule is stated once.
//
// Thread safety: immutable after static initialisation.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "ceb/code_lists.h"
#include "core/documents.h"

namespace ftz::ceb {

enum class FieldKind : uint8_t {
  kText,     // xs:string: min_len..max_len characters (Unicode code points)
  kDecimal,  // xs:decimal N19,5: min_len = totalDigits, max_len = fractionDigits
  kInteger,  // xs:int: at most max_len digits
};

enum class Format : uint8_t {
  kNone,
  kDateTime14,  // YYYYMMDDhhmmss
  kDateTime17,  // YYYYMMDDhhmmssSSS
  kDate8,       // YYYYMMDD
  kDigits,      // only 0-9 (customs codes, HS codes)
  kCode,        // only 0-9, A-Z, a-z (enterprise codes: they lead business keys)
};

template <class T>
struct FieldDef {
  std::string_view name;
  FieldKind kind;
  bool required;
  uint16_t min_len;
  uint16_t max_len;
  CodeList codes;
  Format format;
  std::string T::*text = nullptr;
  Decimal T::*decimal = nullptr;
  int64_t T::*integer = nullptr;
};

template <class T>
constexpr FieldDef<T> F(std::string_view name, FieldKind kind, bool required, int lo, int hi,
                        CodeList codes, Format format, std::string T::*m) {
  return {name, kind, required, uint16_t(lo), uint16_t(hi), codes, format, m, nullptr, nullptr};
}
template <class T>
constexpr FieldDef<T> F(std::string_view name, FieldKind kind, bool required, int lo, int hi,
                        CodeList codes, Format format, Decimal T::*m) {
  return {name, kind, required, uint16_t(lo), uint16_t(hi), codes, format, nullptr, m, nullptr};
}
template <class T>
constexpr FieldDef<T> F(std::string_view name, FieldKind kind, bool required, int lo, int hi,
                        CodeList codes, Format format, int64_t T::*m) {
  return {name, kind, required, uint16_t(lo), uint16_t(hi), codes, format, nullptr, nullptr, m};
}

// The field table of a part (OrderHead, OrderItem, ..., OrderReturn, TaxItem).
template <class T>
std::span<const FieldDef<T>> FieldsOf();
// The XML element name of a part ("OrderHead", "OrderList", "LogisticsHead", ...).
template <class T>
std::string_view ElementOf();

// Index of the field called `name`, starting the search at `hint` (fields
// usually arrive in schema order, so the hint makes lookup O(1)); -1 if none.
template <class T>
int FindField(std::span<const FieldDef<T>> fields, std::string_view name, int hint) {
  const int n = static_cast<int>(fields.size());
  for (int k = 0; k < n; ++k) {
    int i = (hint + k) % n;
    if (fields[i].name == name) return i;
  }
  return -1;
}

// Checks one field's text against its definition. Returns an empty string if
// valid, else a short English reason ("longer than 60 characters", ...).
// On success stores the typed value into `obj`. Lenient mode (for reading
// receipts, which may echo a refused message's empty or invalid keys) checks
// only that numbers are numbers and text is UTF-8.
template <class T>
std::string SetField(const FieldDef<T>& def, std::string_view value, T* obj, bool lenient = false);

// Text of a field as the XML spells it (decimals canonical).
template <class T>
std::string GetField(const FieldDef<T>& def, const T& obj);

// Counts Unicode code points; -1 if `s` is not valid UTF-8 or has a control
// character XML does not allow (below U+0020 other than tab, LF, CR).
int Utf8Length(std::string_view s);
// Why Utf8Length refused `s`: "not valid UTF-8 text", or which character is
// a control character XML does not allow.
std::string WhyNotText(std::string_view s);
// For free text a person types (a write-off's reason, an officer's note):
// which character is DEL or a C1 control (U+007F-U+009F), which XML allows
// but no report shows; "not valid UTF-8 text"; or "" if none.
std::string WhyNotPlainText(std::string_view s);

}  // namespace ftz::ceb
