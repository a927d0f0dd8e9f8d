#include "core/time.h"

#include <chrono>
#include <cstdio>
#include <limits>

namespace ftz {
namespace {

constexpr int64_t kCstOffsetMs = 8LL * 3600 * 1000;

bool Digits(std::string_view s, size_t pos, size_t n, int* out) {
  int v = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  *out = v;
  return true;
}

bool ValidDate(const CivilTime& t) {
  using namespace std::chrono;
  if (t.year < 1900 || t.year > 9999) return false;
  year_month_day ymd{year{t.year}, month{static_cast<unsigned>(t.month)},
                     day{static_cast<unsigned>(t.day)}};
  return ymd.ok();
}

bool ValidTimeOfDay(const CivilTime& t) {
  return t.hour < 24 && t.minute < 60 && t.second < 60 && t.millis < 1000;
}

}  // namespace

bool ParseDate8(std::string_view s, CivilTime* out) {
  CivilTime t;
  if (s.size() != 8 || !Digits(s, 0, 4, &t.year) || !Digits(s, 4, 2, &t.month) ||
      !Digits(s, 6, 2, &t.day) || !ValidDate(t)) {
    return false;
  }
  *out = t;
  return true;
}

bool ParseDateTime14(std::string_view s, CivilTime* out) {
  CivilTime t;
  if (s.size() != 14 || !ParseDate8(s.substr(0, 8), &t) || !Digits(s, 8, 2, &t.hour) ||
      !Digits(s, 10, 2, &t.minute) || !Digits(s, 12, 2, &t.second) || !ValidTimeOfDay(t)) {
    return false;
  }
  *out = t;
  return true;
}

bool ParseDateTime17(std::string_view s, CivilTime* out) {
  CivilTime t;
  if (s.size() != 17 || !ParseDateTime14(s.substr(0, 14), &t) || !Digits(s, 14, 3, &t.millis)) {
    return false;
  }
  *out = t;
  return true;
}

UnixMillis ToUnixMillisCst(const CivilTime& t) {
  using namespace std::chrono;
  sys_days d = year_month_day{year{t.year}, month{static_cast<unsigned>(t.month)},
                              day{static_cast<unsigned>(t.day)}};
  int64_t days = d.time_since_epoch().count();
  int64_t ms = ((days * 24 + t.hour) * 60 + t.minute) * 60'000LL + t.second * 1000LL + t.millis;
  return ms - kCstOffsetMs;
}

CivilTime FromUnixMillisCst(UnixMillis ms) {
  using namespace std::chrono;
  int64_t local = ms + kCstOffsetMs;
  int64_t days = local >= 0 ? local / 86'400'000 : (local - 86'399'999) / 86'400'000;
  int64_t rem = local - days * 86'400'000;
  year_month_day ymd{sys_days{std::chrono::days{days}}};
  CivilTime t;
  t.year = static_cast<int>(ymd.year());
  t.month = static_cast<int>(static_cast<unsigned>(ymd.month()));
  t.day = static_cast<int>(static_cast<unsigned>(ymd.day()));
  t.hour = static_cast<int>(rem / 3'600'000);
  t.minute = static_cast<int>(rem / 60'000 % 60);
  t.second = static_cast<int>(rem / 1000 % 60);
  t.millis = static_cast<int>(rem % 1000);
  return t;
}

std::string FormatReturnTime(UnixMillis ms) {
  // The last time formatted on this thread, kept: a batch's records share
  // one time, and each decision stamps several receipts with it.
  thread_local UnixMillis last_ms = std::numeric_limits<UnixMillis>::min();
  thread_local std::string last;
  if (ms == last_ms) return last;
  // Hand-formatted: receipts carry one each, and snprintf's parsing of the
  // format costs more than the conversion itself.
  const CivilTime t = FromUnixMillisCst(ms);
  std::string out(17, '0');
  auto put = [&out](size_t at, size_t width, int v) {
    for (size_t i = at + width; i-- > at; v /= 10) out[i] = static_cast<char>('0' + v % 10);
  };
  put(0, 4, t.year);
  put(4, 2, t.month);
  put(6, 2, t.day);
  put(8, 2, t.hour);
  put(10, 2, t.minute);
  put(12, 2, t.second);
  put(14, 3, t.millis);
  last_ms = ms;
  last = out;
  return out;
}

std::string FormatDateTime14(UnixMillis ms) { return FormatReturnTime(ms).substr(0, 14); }

int CstYear(UnixMillis ms) { return FromUnixMillisCst(ms).year; }

}  // namespace ftz
