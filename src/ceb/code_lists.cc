#include "ceb/code_lists.h"

#include <algorithm>
#include <fstream>
#include <sstream>

namespace ftz::ceb {
namespace {

struct Tables {
  std::vector<std::string> currency = internal::kCurrencyCodes;
  std::vector<std::string> country = internal::kCountryCodes;
  std::vector<std::string> unit = internal::kUnitCodes;
  std::vector<std::string> trade_mode = internal::kTradeModeCodes;
  std::vector<std::string> transport_mode = internal::kTransportModeCodes;
};

Tables& tables() {
  static Tables t;
  return t;
}

bool In(const std::vector<std::string>& sorted, std::string_view code) {
  return std::binary_search(sorted.begin(), sorted.end(), code,
                            [](std::string_view a, std::string_view b) { return a < b; });
}

// Reads one column of a CSV file with a header row (no quoted commas in these tables).
Status ReadColumn(const std::string& path, const std::string& column,
                  std::vector<std::string>* out) {
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
  std::sort(codes.begin(), codes.end());
  *out = std::move(codes);
  return Status::Ok();
}

}  // namespace

bool IsValidCode(CodeList list, std::string_view code) {
  const Tables& t = tables();
  switch (list) {
    case CodeList::kNone:
      return true;
    case CodeList::kCurrency:
      return In(t.currency, code);
    case CodeList::kCountry:
      return In(t.country, code);
    case CodeList::kUnit:
      return In(t.unit, code);
    case CodeList::kTradeMode:
      return In(t.trade_mode, code);
    case CodeList::kTransportMode:
      return In(t.transport_mode, code);
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
