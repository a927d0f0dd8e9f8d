// Time as the CEB messages spell it. The engine never reads a clock: every
// record carries the time it was received (Unix milliseconds, assigned at the
// edge), and all formatting is a pure function of that number.
//
// CEB times (appTime, payTime, returnTime, ...) are China Standard Time
// (UTC+8, no daylight saving), as the customs systems use them.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace ftz {

using UnixMillis = int64_t;

struct CivilTime {
  int year = 1970, month = 1, day = 1, hour = 0, minute = 0, second = 0, millis = 0;
  bool operator==(const CivilTime&) const = default;
};

// "YYYYMMDDhhmmss" (14) — false unless every part is a real calendar value.
bool ParseDateTime14(std::string_view text, CivilTime* out);
// "YYYYMMDD" (8).
bool ParseDate8(std::string_view text, CivilTime* out);
// "YYYYMMDDhhmmssSSS" (17), the receipts' returnTime.
bool ParseDateTime17(std::string_view text, CivilTime* out);

UnixMillis ToUnixMillisCst(const CivilTime& t);
CivilTime FromUnixMillisCst(UnixMillis ms);

// returnTime spelling of a moment: YYYYMMDDhhmmssSSS in China Standard Time.
std::string FormatReturnTime(UnixMillis ms);
// appTime spelling: YYYYMMDDhhmmss in China Standard Time.
std::string FormatDateTime14(UnixMillis ms);
// Calendar year (CST) of a moment: the key of the annual quota.
int CstYear(UnixMillis ms);

}  // namespace ftz
