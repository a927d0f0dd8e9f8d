// Helpers shared by the files of Api (api.cc, api_admin.cc, api_ledger.cc).
#pragma once

#include <string_view>

#include "core/time.h"
#include "server/api.h"

namespace ftz::server::internal {

inline constexpr const char* kXml = "application/xml; charset=utf-8";
inline constexpr const char* kJson = "application/json";

// {"error":{"code":..., "message":...}} with that HTTP status.
ApiResponse JsonError(int status, std::string_view code, std::string_view message);
// The wall clock, for the edges only (e.g. the year of a quota query).
UnixMillis WallNow();

}  // namespace ftz::server::internal
