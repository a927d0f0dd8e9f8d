#include "ceb/field_tables.h"

#include <charconv>
#include <cstdio>
#include <cstring>

#include "ceb/internal/util.h"
#include "core/time.h"

namespace ftz::ceb {

namespace {

// True if the eight bytes at `p` are all printable ASCII (0x20-0x7F).
bool PrintableAscii8(const unsigned char* p) {
  uint64_t x;
  std::memcpy(&x, p, 8);
  constexpr uint64_t kOnes = ~0ULL / 255, kHigh = kOnes * 0x80;
  const bool non_ascii = x & kHigh;
  const bool has_control = ((x - kOnes * 0x20) & ~x & kHigh) != 0;  // some byte < 0x20
  return !non_ascii && !has_control;
}

// A field's text into its (usually empty) string: appended, which sizes and
// copies once, where assign or a moved temporary each did more (callgrind,
// docs/performance.md, session 16).
void SetText(std::string* field, std::string_view v) {
  field->clear();
  field->append(v);
}

}  // namespace

int Utf8Length(std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const auto* end = p + s.size();
  // Most CEB fields of eight bytes or more are printable ASCII throughout
  // (codes, numbers, times, GUIDs): eight bytes at a time, the last eight
  // read again instead of a byte-by-byte tail.
  int count = 0;
  if (s.size() >= 8) {
    while (end - p >= 8 && PrintableAscii8(p)) p += 8;
    if (p == end || (end - p < 8 && PrintableAscii8(end - 8))) return static_cast<int>(s.size());
    count = static_cast<int>(p - reinterpret_cast<const unsigned char*>(s.data()));
  }
  while (p < end) {
    // Fast path: eight printable ASCII bytes at a time.
    if (end - p >= 8) {
      if (PrintableAscii8(p)) {
        p += 8;
        count += 8;
        continue;
      }
    }
    unsigned char c = *p;
    // Printable ASCII one at a time (short fields, the tails of long ones),
    // and a whole three-byte sequence (Chinese text) in one step: the same
    // checks as the general path below, without its table and loop.
    if (c >= 0x20 && c < 0x80) {
      ++p;
      ++count;
      continue;
    }
    if ((c & 0xF0) == 0xE0 && end - p >= 3 && (p[1] & 0xC0) == 0x80 && (p[2] & 0xC0) == 0x80) {
      const uint32_t cp3 = (c & 0x0Fu) << 12 | (p[1] & 0x3Fu) << 6 | (p[2] & 0x3Fu);
      // Overlong, a surrogate, or U+FFFE/U+FFFF, which XML's Char excludes.
      if (cp3 < 0x800 || (cp3 >= 0xD800 && cp3 <= 0xDFFF) || cp3 >= 0xFFFE) return -1;
      p += 3;
      ++count;
      continue;
    }
    int len;
    uint32_t cp;
    if (c < 0x80) {
      len = 1;
      cp = c;
    } else if ((c & 0xE0) == 0xC0) {
      len = 2;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4;
      cp = c & 0x07;
    } else {
      return -1;
    }
    if (end - p < len) return -1;
    for (int i = 1; i < len; ++i) {
      if ((p[i] & 0xC0) != 0x80) return -1;
      cp = (cp << 6) | (p[i] & 0x3F);
    }
    // Overlong forms, surrogates and values past U+10FFFF are not UTF-8.
    static constexpr uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMin[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return -1;
    if (cp < 0x20 && cp != '\t' && cp != '\n' && cp != '\r') return -1;  // XML forbids these
    if (cp == 0xFFFE || cp == 0xFFFF) return -1;
    p += len;
    ++count;
  }
  return count;
}

namespace {

// "character N is U+XXXX, <what>" for the first character of `s` that
// `refuse` names (what: non-null), characters counted from 1 as a reader
// counts them; "not valid UTF-8 text" where `s` stops being UTF-8; "" if
// neither.
template <class Refuse>
std::string FirstRefusedCharacter(std::string_view s, Refuse refuse) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const auto* end = p + s.size();
  for (int at = 1; p < end; ++at) {
    uint32_t cp = 0;
    const int len = internal::DecodeUtf8(p, end, &cp);
    if (len == 0) return "not valid UTF-8 text";
    if (const char* what = refuse(cp)) {
      char hex[8];
      std::snprintf(hex, sizeof hex, "%04X", cp);
      return "character " + std::to_string(at) + " is U+" + hex + ", " + what;
    }
    p += len;
  }
  return "";
}

}  // namespace

std::string WhyNotText(std::string_view s) {
  // Only for a text Utf8Length refused: which of its two reasons it is.
  std::string why = FirstRefusedCharacter(s, [](uint32_t cp) -> const char* {
    if (cp < 0x20 && cp != '\t' && cp != '\n' && cp != '\r') {
      return "a control character XML does not allow";
    }
    return cp == 0xFFFE || cp == 0xFFFF ? "a noncharacter XML does not allow" : nullptr;
  });
  return why.empty() ? "not valid UTF-8 text" : why;
}

std::string WhyNotPlainText(std::string_view s) {
  return FirstRefusedCharacter(s, [](uint32_t cp) -> const char* {
    return cp >= 0x7F && cp <= 0x9F ? "a control character" : nullptr;
  });
}

namespace {

std::string CheckFormat(Format f, std::string_view v) {
  CivilTime t;
  switch (f) {
    case Format::kNone:
      return {};
    case Format::kDateTime14:
      return ParseDateTime14(v, &t) ? std::string() : "not a time of the form YYYYMMDDhhmmss";
    case Format::kDateTime17:
      return ParseDateTime17(v, &t) ? std::string() : "not a time of the form YYYYMMDDhhmmssSSS";
    case Format::kDate8:
      return ParseDate8(v, &t) ? std::string() : "not a date of the form YYYYMMDD";
    case Format::kDigits:
      for (char c : v) {
        if (c < '0' || c > '9') return "must be digits only";
      }
      return {};
    case Format::kCode:
      for (char c : v) {
        if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'))) {
          return "must be letters and digits only (an enterprise code)";
        }
      }
      return {};
  }
  return {};
}

std::string_view TrimSpace(std::string_view v) {
  while (!v.empty() &&
         (v.front() == ' ' || v.front() == '\t' || v.front() == '\n' || v.front() == '\r')) {
    v.remove_prefix(1);
  }
  while (!v.empty() &&
         (v.back() == ' ' || v.back() == '\t' || v.back() == '\n' || v.back() == '\r')) {
    v.remove_suffix(1);
  }
  return v;
}

}  // namespace

template <class T>
std::string SetField(const FieldDef<T>& def, std::string_view v, T* obj, bool lenient) {
  switch (def.kind) {
    case FieldKind::kText: {
      int len = Utf8Length(v);
      if (len < 0) return WhyNotText(v);
      if (len == 0 && !def.required) {  // an optional field sent empty is absent
        obj->*def.text = std::string();
        return {};
      }
      if (lenient) {
        SetText(&(obj->*def.text), v);
        return {};
      }
      if (len > def.max_len) {
        return "longer than " + std::to_string(def.max_len) + " characters (" +
               std::to_string(len) + ")";
      }
      if (len < def.min_len) {
        if (def.min_len == def.max_len) {
          return "must be exactly " + std::to_string(def.min_len) + " characters (" +
                 std::to_string(len) + ")";
        }
        return len == 0 ? std::string("must not be empty")
                        : "shorter than " + std::to_string(def.min_len) + " characters";
      }
      if (len > 0) {
        if (std::string r = CheckFormat(def.format, v); !r.empty()) return r;
        if (!IsValidCode(def.codes, v)) {
          return "'" + std::string(v) + "' is not a valid " + std::string(CodeListName(def.codes));
        }
      }
      SetText(&(obj->*def.text), v);
      return {};
    }
    case FieldKind::kDecimal: {
      v = TrimSpace(v);  // xs:decimal collapses whitespace
      if (v.empty()) {
        if (def.required) return "must not be empty";
        obj->*def.decimal = Decimal();
        return {};
      }
      Result<Decimal> d = Decimal::Parse(v, def.min_len, def.max_len);
      if (!d.ok()) return "'" + std::string(v.substr(0, 40)) + "' " + d.status().message();
      if (d->units() < 0) return "must not be negative";
      obj->*def.decimal = *d;
      return {};
    }
    case FieldKind::kInteger: {
      v = TrimSpace(v);
      if (v.empty()) {
        if (def.required) return "must not be empty";
        obj->*def.integer = 0;
        return {};
      }
      int64_t n = 0;
      auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
      if (ec != std::errc() || p != v.data() + v.size() || n < 0 ||
          v.size() > std::max<size_t>(def.max_len, 1) || v[0] == '+' || v[0] == '-') {
        return "'" + std::string(v.substr(0, 40)) + "' is not a whole number of at most " +
               std::to_string(def.max_len) + " digits";
      }
      obj->*def.integer = n;
      return {};
    }
  }
  return "unknown field kind";
}

template <class T>
std::string GetField(const FieldDef<T>& def, const T& obj) {
  switch (def.kind) {
    case FieldKind::kText:
      return obj.*def.text;
    case FieldKind::kDecimal:
      return (obj.*def.decimal).ToString();
    case FieldKind::kInteger:
      return std::to_string(obj.*def.integer);
  }
  return {};
}

#define FTZ_INSTANTIATE(T)                                                          \
  template std::string SetField<T>(const FieldDef<T>&, std::string_view, T*, bool); \
  template std::string GetField<T>(const FieldDef<T>&, const T&);

FTZ_INSTANTIATE(OrderHead)
FTZ_INSTANTIATE(OrderItem)
FTZ_INSTANTIATE(PaymentHead)
FTZ_INSTANTIATE(WaybillHead)
FTZ_INSTANTIATE(WaybillStatus)
FTZ_INSTANTIATE(InventoryHead)
FTZ_INSTANTIATE(InventoryItem)
FTZ_INSTANTIATE(CancellationHead)
FTZ_INSTANTIATE(ReturnHead)
FTZ_INSTANTIATE(ReturnItem)
FTZ_INSTANTIATE(WarehouseEntryHead)
FTZ_INSTANTIATE(WarehouseEntryItem)
FTZ_INSTANTIATE(BaseTransfer)
FTZ_INSTANTIATE(BaseSubscribe)
FTZ_INSTANTIATE(OrderReturn)
FTZ_INSTANTIATE(PaymentReturn)
FTZ_INSTANTIATE(LogisticsReturn)
FTZ_INSTANTIATE(LogisticsStatusReturn)
FTZ_INSTANTIATE(InventoryReturn)
FTZ_INSTANTIATE(InvtCancelReturn)
FTZ_INSTANTIATE(InvtRefundReturn)
FTZ_INSTANTIATE(DeliveryReturn)
FTZ_INSTANTIATE(TaxHead)
FTZ_INSTANTIATE(TaxItem)

}  // namespace ftz::ceb
