// Decimal: an exact fixed-point number with five fraction digits, the CEB
// N19,5 type (amounts, quantities, weights). Stored as a signed 64-bit count of
// 1e-5 units, so money never passes through a double.
//
// Range: |value| <= 92,233,720,368,547.75807 (int64 / 1e5). N19,5 allows 14
// integer digits; values beyond int64 are refused by Parse with a clear error
// rather than rounded (no real declaration comes near it), and arithmetic
// saturates at the range's ends (below).
//
// Thread safety: a value type.
#pragma once

#include <compare>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/status.h"

namespace ftz {

class Decimal {
 public:
  static constexpr int64_t kScale = 100000;  // 1e5 units per 1
  static constexpr int kFractionDigits = 5;

  constexpr Decimal() = default;
  static constexpr Decimal FromUnits(int64_t units) { return Decimal(units); }
  static constexpr Decimal FromInt(int64_t whole) { return Decimal(whole * kScale); }
  // Fen (1/100 yuan) to Decimal.
  static constexpr Decimal FromFen(int64_t fen) { return Decimal(fen * 1000); }

  // Parses the XML Schema decimal lexical form ("12", "-0.5", "+3.10000"),
  // at most `total_digits` significant digits and `fraction_digits` after the
  // point. Rejects exponents, spaces, empty strings, and overflow.
  static Result<Decimal> Parse(std::string_view text, int total_digits = 19,
                               int fraction_digits = kFractionDigits);

  constexpr int64_t units() const { return units_; }
  // Rounds half away from zero to whole fen.
  int64_t RoundToFen() const;
  // Canonical text: no exponent, no trailing fraction zeros, "0" for zero.
  std::string ToString() const;

  // Sums and differences saturate at the range's ends instead of wrapping:
  // three valid N19,5 amounts can add past int64, and a wrapped sum would
  // turn an astronomically large list into a small one. A saturated amount
  // is beyond every limit the rules apply, so a list carrying one is refused.
  static constexpr int64_t kMaxUnits = INT64_MAX;
  static constexpr int64_t kMinUnits = -INT64_MAX;  // so that negation saturates too
  constexpr Decimal operator+(Decimal o) const {
    int64_t r = 0;
    if (__builtin_add_overflow(units_, o.units_, &r))
      return Decimal(o.units_ > 0 ? kMaxUnits : kMinUnits);
    return Decimal(r < kMinUnits ? kMinUnits : r);
  }
  constexpr Decimal operator-(Decimal o) const {
    int64_t r = 0;
    if (__builtin_sub_overflow(units_, o.units_, &r))
      return Decimal(o.units_ < 0 ? kMaxUnits : kMinUnits);
    return Decimal(r < kMinUnits ? kMinUnits : r);
  }
  constexpr Decimal operator-() const { return Decimal(units_ < kMinUnits ? kMaxUnits : -units_); }
  Decimal& operator+=(Decimal o) { return *this = *this + o; }
  Decimal& operator-=(Decimal o) { return *this = *this - o; }
  constexpr auto operator<=>(const Decimal&) const = default;

  // Exact product of two decimals, if it is representable with five fraction
  // digits and fits; used for price x qty = totalPrice checks.
  static Result<Decimal> MultiplyExact(Decimal a, Decimal b);

 private:
  constexpr explicit Decimal(int64_t units) : units_(units) {}
  int64_t units_ = 0;
};

}  // namespace ftz
