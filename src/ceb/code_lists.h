// Customs code lists the CEB fields draw on (currency, country, unit, trade
// mode, transport mode) and the small enumerations the specification fixes
// (appType, appStatus, ID type, ...).
//
// The default tables are compiled in from data/codes/*.csv (third-party
// transcriptions: data/codes/PROVENANCE.md). LoadCodeTables() replaces them
// from a directory of CSV files in the same layout, so an operator can install
// the official parameter tables without a rebuild.
//
// Thread safety: lookups are safe from any thread once loading is done;
// LoadCodeTables must be called before serving (it is not synchronised).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace ftz::ceb {

enum class CodeList : uint8_t {
  kNone,
  kCurrency,
  kCountry,
  kUnit,
  kTradeMode,
  kTransportMode,
  kAppType,    // 1 new, 2 change, 3 delete
  kAppStatus,  // 1 saved, 2 declared
  kIdType,     // 1 national ID card, 2 other
  kIeFlag,     // I import, E export
  kOrderType,  // I import
  kDxpMode,    // DXP
};

bool IsValidCode(CodeList list, std::string_view code);
// "currency code" etc., for error messages.
std::string_view CodeListName(CodeList list);

// Replaces the compiled-in tables with the CSV files found in `dir`
// (currencies-numeric.csv, countries-numeric.csv, units.csv, trade-modes.csv,
// transport-modes.csv; a missing file keeps the default).
Status LoadCodeTables(const std::string& dir);

namespace internal {
extern const std::vector<std::string> kCurrencyCodes, kCountryCodes, kUnitCodes, kTradeModeCodes,
    kTransportModeCodes;
}  // namespace internal

}  // namespace ftz::ceb
