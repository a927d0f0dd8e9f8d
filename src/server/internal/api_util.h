// Helpers shared by the files of Api (api.cc, api_admin.cc, api_ledger.cc).
#pragma once

#include <string>
#include <string_view>

#include "core/time.h"
#include "server/api.h"

namespace ftz::server::internal {

inline constexpr const char* kXml = "application/xml; charset=utf-8";
inline constexpr const char* kJson = "application/json";

// {"error":{"code":..., "message":...}} with that HTTP status.
ApiResponse JsonError(int status, std::string_view code, std::string_view message);
// A 500: the server's own storage failed (a damaged log record, the query
// index, a tile). The whole status, file paths and all, goes to the
// operator on stderr; the client reads `what` failed (say "log record 12")
// and that the operator has the details, never the server's paths.
ApiResponse ServerFault(std::string_view code, std::string_view what, const Status& why);
// The wall clock, for the edges only (e.g. the year of a quota query).
UnixMillis WallNow();
// An operator's command body (goods-in, write-off, conclusion) is one JSON
// object of string, number, boolean or null members, each named once,
// nothing after it. "" if `body` is, else why not. (The on-demand parser
// reads only the members asked for: junk after them, or a second value of a
// member, would otherwise pass, and be logged.)
std::string WhyNotCommandJson(std::string_view body);
// Whether `text` holds nothing but white space (ASCII and Unicode: U+00A0,
// U+3000 and the other spaces of category Zs, U+0085, U+2028, U+2029,
// U+200B, U+FEFF) — a "reason" of spaces says nothing.
bool IsBlank(std::string_view text);

}  // namespace ftz::server::internal
