#include "core/decimal.h"

#include <limits>

namespace ftz {

Result<Decimal> Decimal::Parse(std::string_view text, int total_digits, int fraction_digits) {
  if (text.empty()) return Status::InvalidArgument("empty number");
  bool negative = false;
  if (text[0] == '+' || text[0] == '-') {
    negative = text[0] == '-';
    text.remove_prefix(1);
  }
  size_t point = text.find('.');
  std::string_view whole = text.substr(0, point);
  std::string_view frac =
      point == std::string_view::npos ? std::string_view{} : text.substr(point + 1);
  if (whole.empty() && frac.empty()) return Status::InvalidArgument("not a decimal number");
  for (std::string_view part : {whole, frac}) {
    for (char c : part) {
      if (c < '0' || c > '9') return Status::InvalidArgument("not a decimal number");
    }
  }
  // XML Schema totalDigits/fractionDigits count significant digits: leading
  // zeros of the whole part and trailing zeros of the fraction do not count.
  while (!whole.empty() && whole.front() == '0') whole.remove_prefix(1);
  while (!frac.empty() && frac.back() == '0') frac.remove_suffix(1);
  if (static_cast<int>(frac.size()) > fraction_digits) {
    return Status::InvalidArgument("more than " + std::to_string(fraction_digits) +
                                   " digits after the decimal point");
  }
  if (static_cast<int>(whole.size() + frac.size()) > total_digits) {
    return Status::InvalidArgument("more than " + std::to_string(total_digits) + " digits");
  }
  __int128 units = 0;
  for (char c : whole) {
    units = units * 10 + (c - '0');
    if (units > (__int128)std::numeric_limits<int64_t>::max()) break;
  }
  for (int k = 0; k < kFractionDigits; ++k) {
    units = units * 10 + (k < static_cast<int>(frac.size()) ? frac[k] - '0' : 0);
  }
  if (units > (__int128)std::numeric_limits<int64_t>::max()) {
    return Status::InvalidArgument("number out of range");
  }
  int64_t v = static_cast<int64_t>(units);
  return Decimal(negative ? -v : v);
}

int64_t Decimal::RoundToFen() const {
  int64_t q = units_ / 1000, r = units_ % 1000;
  if (r >= 500) ++q;
  if (r <= -500) --q;
  return q;
}

std::string Decimal::ToString() const {
  uint64_t mag = units_ < 0 ? 0 - static_cast<uint64_t>(units_) : static_cast<uint64_t>(units_);
  std::string out = units_ < 0 ? "-" : "";
  out += std::to_string(mag / kScale);
  uint64_t frac = mag % kScale;
  if (frac != 0) {
    char buf[6];
    for (int k = 4; k >= 0; --k) {
      buf[k] = static_cast<char>('0' + frac % 10);
      frac /= 10;
    }
    int len = 5;
    while (len > 0 && buf[len - 1] == '0') --len;
    out += '.';
    out.append(buf, len);
  }
  return out;
}

Result<Decimal> Decimal::MultiplyExact(Decimal a, Decimal b) {
  __int128 p = (__int128)a.units_ * b.units_;
  if (p % kScale != 0) return Status::InvalidArgument("product has more than 5 fraction digits");
  p /= kScale;
  if (p > (__int128)std::numeric_limits<int64_t>::max() ||
      p < (__int128)std::numeric_limits<int64_t>::min()) {
    return Status::InvalidArgument("product out of range");
  }
  return Decimal(static_cast<int64_t>(p));
}

}  // namespace ftz
