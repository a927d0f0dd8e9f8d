#include "clearance/codes.h"

#include <cstdio>

namespace ftz::clearance {

std::string ReturnInfo(int code, std::string_view desc) {
  std::string out = "[Code:" + std::to_string(code) + ";Desc:";
  out.append(desc);
  out.push_back(']');
  return out;
}

std::string StrCat(std::initializer_list<std::string_view> parts) {
  size_t n = 0;
  for (std::string_view p : parts) n += p.size();
  std::string out;
  out.reserve(n);
  for (std::string_view p : parts) out.append(p);
  return out;
}

std::string MaskId(std::string_view id) {
  size_t keep = id.size() >= 12 ? 4 : id.size() >= 6 ? 2 : 0;
  std::string out(id);
  for (size_t i = keep; i + keep < out.size(); ++i) out[i] = '*';
  return out;
}

std::string FormatYuan(Decimal amount) {
  int64_t u = amount.units();
  if (u % 1000 == 0) return FormatFen(u / 1000);
  return amount.ToString();
}

std::string FormatFen(int64_t fen) {
  // Without snprintf: every tax bill formats a dozen amounts.
  const uint64_t mag = fen < 0 ? 0 - static_cast<uint64_t>(fen) : static_cast<uint64_t>(fen);
  std::string out = fen < 0 ? "-" : "";
  out += std::to_string(mag / 100);
  out += '.';
  out += static_cast<char>('0' + mag % 100 / 10);
  out += static_cast<char>('0' + mag % 10);
  return out;
}

std::string ReturnTimeText(UnixMillis t) { return FormatReturnTime(t); }

std::string TruncateUtf8(std::string_view text, size_t max_chars) {
  if (max_chars == 0) return {};
  size_t chars = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) {
      if (chars == max_chars) {
        // Room for the ellipsis: drop one more character.
        size_t cut = i;
        do {
          --cut;
        } while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80);
        return std::string(text.substr(0, cut)) + "…";
      }
      ++chars;
    }
  }
  return std::string(text);
}

}  // namespace ftz::clearance
