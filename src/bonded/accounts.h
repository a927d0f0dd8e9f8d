// Bonded-warehouse accounts for bonded online shopping (1210, 保税网购进口).
//
// Goods enter a special customs zone in bulk under a warehouse account book
// (账册, `emsNo`), one stock line per item record number (账册备案料号,
// `itemRecordNo`). Each released inventory list (CEB621 with tradeMode 1210)
// deducts its quantities from the book (二线出区核减); a deduction that would
// make any stock line negative is refused as a whole, so the list is held
// rather than released; a return (CEB625) puts the returned quantity back.
//
// Quantities are counted in the list's declared unit (`qty`, 成交数量), the
// same unit the account line was loaded in: the account book records items,
// not legal units. Exact Decimal arithmetic, no rounding anywhere.
//
// Goods-in: the CEB711 warehouse-entry list (入库明细单) names only parcels
// (`logisticsNo`) arriving at a supervised site, with no item record number or
// quantity (spec tables 3-51, 3-52), so stock is loaded by an administrative
// goods-in (the first-line entry into the zone is not a CEB message):
// `GoodsIn(emsNo, itemRecordNo, qty)`.
//
// Ownership and threads: a plain value owned by the engine (one writer per
// shard); no locks. Deterministic: `Report()` is sorted, so a snapshot of the
// same history is the same bytes.
#pragma once

#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/decimal.h"
#include "core/status.h"

namespace ftz::bonded {

// One change of one stock line: negative qty deducts (release), positive
// puts back (return) or loads (goods-in).
struct StockMove {
  std::string ems_no;
  std::string item_record_no;
  Decimal qty;
  bool operator==(const StockMove&) const = default;
};

// One line of the stock report.
struct StockLine {
  std::string ems_no;
  std::string item_record_no;
  Decimal qty;
  bool operator==(const StockLine&) const = default;
};

class BondedAccounts {
 public:
  // Administrative goods-in. InvalidArgument unless qty > 0 and both keys are
  // non-empty.
  Status GoodsIn(std::string_view ems_no, std::string_view item_record_no, Decimal qty);

  // Stock on hand (zero for a line never loaded).
  Decimal Stock(std::string_view ems_no, std::string_view item_record_no) const;
  // Whether goods-in ever loaded this line (it may hold zero now): a line
  // never loaded is not in the account book at all.
  bool Loaded(std::string_view ems_no, std::string_view item_record_no) const;

  // The first line a set of moves would take below zero.
  struct Shortage {
    std::string ems_no, item_record_no;
    Decimal need;  // what the moves take from it (positive)
    Decimal have;  // what it holds
  };
  // Whether every move can be applied together without a negative line
  // (moves on the same line are summed first). FailedPrecondition names the
  // first short line: "emsNo E itemRecordNo R: need 3, stock 2"; so does
  // `*shortage` when given.
  Status CheckMoves(std::span<const StockMove> moves, Shortage* shortage = nullptr) const;

  // Applies all moves or none (same check as CheckMoves).
  Status Apply(std::span<const StockMove> moves);

  // Every line ever loaded, sorted by (emsNo, itemRecordNo), zero lines kept.
  std::vector<StockLine> Report() const;
  // The accounts a Report() describes (an engine snapshot). InvalidArgument
  // for an empty key, a negative quantity or a line given twice.
  static Result<BondedAccounts> FromReport(const std::vector<StockLine>& lines);

  size_t LineCount() const { return stock_.size(); }

 private:
  // Key: emsNo + '\x1f' + itemRecordNo (the unit separator cannot occur in
  // a customs code), so the map orders by emsNo, then itemRecordNo.
  static std::string KeyOf(std::string_view ems_no, std::string_view item_record_no);
  std::map<std::string, Decimal, std::less<>> stock_;
};

}  // namespace ftz::bonded
