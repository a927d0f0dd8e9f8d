#include "ceb/code_lists.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <sstream>

namespace ftz::ceb {
namespace {

// One code list, for lookups without string compares: a code of up to seven
// bytes (every code in the customs tables: at most four) packed with its
// length into one integer, searched in a sorted array; a longer one (an
// operator's table may have them) among sorted strings. Every field of every
// message is checked against one of these on the intake threads.
class CodeSet {
 public:
  CodeSet(const std::vector<std::string>& codes) {  // NOLINT: converts a table
    for (const std::string& c : codes) {
      if (c.size() <= kPacked) {
        packed_.push_back(Pack(c));
      } else {
        long_.push_back(c);
      }
    }
    std::sort(packed_.begin(), packed_.end());
    std::sort(long_.begin(), long_.end());
  }
  bool Contains(std::string_view code) const {
    if (code.size() <= kPacked)
      return std::binary_search(packed_.begin(), packed_.end(), Pack(code));
    return std::binary_search(long_.begin(), long_.end(), code,
                              [](std::string_view a, std::string_view b) { return a < b; });
  }

 private:
  static constexpr size_t kPacked = 7;
  static uint64_t Pack(std::string_view code) {
    uint64_t v = 0;
    std::memcpy(&v, code.data(), code.size());
    return v | (static_cast<uint64_t>(code.size()) << 56);
  }
  std::vector<uint64_t> packed_;
  std::vector<std::string> long_;
};

struct Tables {
  CodeSet currency = internal::kCurrencyCodes;
  CodeSet country = internal::kCountryCodes;
  CodeSet unit = internal::kUnitCodes;
  CodeSet trade_mode = internal::kTradeModeCodes;
  CodeSet transport_mode = internal::kTransportModeCodes;
};

Tables& tables() {
  static Tables t;
  return t;
}

// Reads one column of a CSV file with a header row (no quoted commas in these tables).
Status ReadColumn(const std::string& path, const std::string& column, CodeSet* out) {
  std::ifstream in(path);
  if (!in) return Status::Ok();  // keep the default
  std::string line;
  if (!std::getline(in, line)) return Status::InvalidArgument(path + ": empty file");
  std::vector<std::string> header;
  std::stringstream hs(line);
  for (std::string cell; std::getline(hs, cell, ',');) header.push_back(cell);
  auto it = std::find(header.begin(), header.end(), column);
  if (it == header.end()) return Status::InvalidArgument(path + ": no column '" + column + "'");
  size_t idx = it - header.begin();
  std::vector<std::string> codes;
  while (std::getline(in, line)) {
    std::stringstream ls(line);
    std::string cell;
    for (size_t i = 0; i <= idx && std::getline(ls, cell, ','); ++i) {
    }
    if (!cell.empty()) codes.push_back(cell);
  }
  if (codes.empty()) return Status::InvalidArgument(path + ": no codes");
  *out = CodeSet(codes);
  return Status::Ok();
}

}  // namespace

bool IsValidCode(CodeList list, std::string_view code) {
  const Tables& t = tables();
  switch (list) {
    case CodeList::kNone:
      return true;
    case CodeList::kCurrency:
      return t.currency.Contains(code);
    case CodeList::kCountry:
      return t.country.Contains(code);
    case CodeList::kUnit:
      return t.unit.Contains(code);
    case CodeList::kTradeMode:
      return t.trade_mode.Contains(code);
    case CodeList::kTransportMode:
      return t.transport_mode.Contains(code);
    case CodeList::kAppType:
      return code == "1" || code == "2" || code == "3";
    case CodeList::kAppStatus:
      return code == "1" || code == "2";
    case CodeList::kIdType:
      return code == "1" || code == "2";
    case CodeList::kIeFlag:
      return code == "I" || code == "E";
    case CodeList::kOrderType:
      return code == "I";
    case CodeList::kDxpMode:
      return code == "DXP";
  }
  return false;
}

std::string_view CodeListName(CodeList list) {
  switch (list) {
    case CodeList::kNone:
      return "value";
    case CodeList::kCurrency:
      return "currency code (JGS-20)";
    case CodeList::kCountry:
      return "country code (JGS-20)";
    case CodeList::kUnit:
      return "unit code (JGS-20)";
    case CodeList::kTradeMode:
      return "trade mode code";
    case CodeList::kTransportMode:
      return "transport mode code";
    case CodeList::kAppType:
      return "appType (1 new, 2 change, 3 delete)";
    case CodeList::kAppStatus:
      return "appStatus (1 saved, 2 declared)";
    case CodeList::kIdType:
      return "ID type (1 ID card, 2 other)";
    case CodeList::kIeFlag:
      return "ieFlag (I or E)";
    case CodeList::kOrderType:
      return "orderType (I)";
    case CodeList::kDxpMode:
      return "dxpMode (DXP)";
  }
  return "value";
}

Status LoadCodeTables(const std::string& dir) {
  Tables t;
  FTZ_RETURN_IF_ERROR(ReadColumn(dir + "/currencies-numeric.csv", "curr_code", &t.currency));
  FTZ_RETURN_IF_ERROR(ReadColumn(dir + "/countries-numeric.csv", "code", &t.country));
  FTZ_RETURN_IF_ERROR(ReadColumn(dir + "/units.csv", "code", &t.unit));
  FTZ_RETURN_IF_ERROR(ReadColumn(dir + "/trade-modes.csv", "code", &t.trade_mode));
  FTZ_RETURN_IF_ERROR(ReadColumn(dir + "/transport-modes.csv", "code", &t.transport_mode));
  tables() = std::move(t);
  return Status::Ok();
}

}  // namespace ftz::ceb
