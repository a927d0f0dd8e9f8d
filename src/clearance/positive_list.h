// The positive list check (跨境电子商务零售进口商品清单): only goods whose
// 8-digit tariff line is on the list in force may be imported as
// cross-border e-commerce retail (财关税〔2016〕18号 art. 4; the 2019 list and
// its adjustment of 2022-01-28). The list is data in the rules (versioned,
// each entry with its own effective dates). A pilot entry (e.g. OTC drugs and
// household medical devices, piloted in Hangzhou under task 1 of the
// construction plan) applies only in its named zones: the list's customsCode
// must start with one of the zone's customs-code prefixes.
//
// Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "clearance/rules.h"
#include "core/documents.h"
#include "core/time.h"

namespace ftz::clearance {

struct ListingVerdict {
  bool listed = false;
  const PositiveListEntry* entry = nullptr;  // the entry that admits it (listed)
  std::string reason;                        // why not (not listed), naming the gcode
};

// Is the line with this gcode on the list in force at `at`, in this zone?
ListingVerdict CheckListed(std::string_view gcode, std::string_view customs_code, UnixMillis at,
                           const Rules& rules);

// Every line of the list must be listed; the first refusal, naming its gnum
// and gcode, or an empty string.
std::string FirstUnlisted(const InventoryList& list, UnixMillis at, const Rules& rules,
                          std::vector<const PositiveListEntry*>* entries);

}  // namespace ftz::clearance
