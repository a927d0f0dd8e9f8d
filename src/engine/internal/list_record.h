// A list's decision record as bytes (clearance::ListRecord): the engine keeps
// a decided list's record this way, and these are exactly the bytes its
// snapshot holds for it (docs/snapshot-format.md, "lists"). Defined in
// snapshot.cc beside the rest of the snapshot body.
#pragma once

#include <string>
#include <string_view>

#include "clearance/clearance.h"

namespace ftz::engine::internal {

std::string EncodeListRecord(const clearance::ListRecord& record);
// False, with *out unspecified, unless `bytes` is one whole record.
bool DecodeListRecord(std::string_view bytes, clearance::ListRecord* out);

}  // namespace ftz::engine::internal
