#include "bonded/accounts.h"

#include <limits>

namespace ftz::bonded {

std::string BondedAccounts::KeyOf(std::string_view ems_no, std::string_view item_record_no) {
  std::string key;
  key.reserve(ems_no.size() + 1 + item_record_no.size());
  key.append(ems_no);
  key.push_back('\x1f');
  key.append(item_record_no);
  return key;
}

Status BondedAccounts::GoodsIn(std::string_view ems_no, std::string_view item_record_no,
                               Decimal qty) {
  if (ems_no.empty() || item_record_no.empty()) {
    return Status::InvalidArgument("goods-in needs emsNo and itemRecordNo");
  }
  if (ems_no.find('\x1f') != std::string_view::npos ||
      item_record_no.find('\x1f') != std::string_view::npos) {
    return Status::InvalidArgument("goods-in: control character in emsNo or itemRecordNo");
  }
  if (qty <= Decimal()) {
    return Status::InvalidArgument("goods-in qty must be positive, got " + qty.ToString());
  }
  Decimal& stock = stock_[KeyOf(ems_no, item_record_no)];
  if (stock.units() > std::numeric_limits<int64_t>::max() - qty.units()) {
    return Status::InvalidArgument("goods-in: stock of " + std::string(item_record_no) +
                                   " would exceed the largest quantity representable");
  }
  stock += qty;
  return Status::Ok();
}

Decimal BondedAccounts::Stock(std::string_view ems_no, std::string_view item_record_no) const {
  auto it = stock_.find(KeyOf(ems_no, item_record_no));
  return it == stock_.end() ? Decimal() : it->second;
}

bool BondedAccounts::Loaded(std::string_view ems_no, std::string_view item_record_no) const {
  return stock_.find(KeyOf(ems_no, item_record_no)) != stock_.end();
}

Status BondedAccounts::CheckMoves(std::span<const StockMove> moves, Shortage* shortage) const {
  // Sum per line first: two list lines may draw on the same record number.
  std::map<std::string, Decimal, std::less<>> net;
  for (const StockMove& m : moves) {
    if (m.ems_no.empty() || m.item_record_no.empty()) {
      return Status::InvalidArgument("stock move needs emsNo and itemRecordNo");
    }
    net[KeyOf(m.ems_no, m.item_record_no)] += m.qty;
  }
  for (const auto& [key, delta] : net) {
    auto it = stock_.find(key);
    Decimal have = it == stock_.end() ? Decimal() : it->second;
    if (have + delta < Decimal()) {
      size_t sep = key.find('\x1f');
      if (shortage != nullptr) {
        *shortage = {key.substr(0, sep), key.substr(sep + 1), -delta, have};
      }
      return Status::FailedPrecondition("emsNo " + key.substr(0, sep) + " itemRecordNo " +
                                        key.substr(sep + 1) + ": need " + (-delta).ToString() +
                                        ", stock " + have.ToString());
    }
  }
  return Status::Ok();
}

Status BondedAccounts::Apply(std::span<const StockMove> moves) {
  FTZ_RETURN_IF_ERROR(CheckMoves(moves));
  for (const StockMove& m : moves) stock_[KeyOf(m.ems_no, m.item_record_no)] += m.qty;
  return Status::Ok();
}

std::vector<StockLine> BondedAccounts::Report() const {
  std::vector<StockLine> out;
  out.reserve(stock_.size());
  for (const auto& [key, qty] : stock_) {
    size_t sep = key.find('\x1f');
    out.push_back({key.substr(0, sep), key.substr(sep + 1), qty});
  }
  return out;
}

Result<BondedAccounts> BondedAccounts::FromReport(const std::vector<StockLine>& lines) {
  BondedAccounts a;
  for (const StockLine& l : lines) {
    if (l.ems_no.empty() || l.item_record_no.empty() || l.qty < Decimal()) {
      return Status::InvalidArgument("stock line " + l.ems_no + "/" + l.item_record_no +
                                     ": empty key or negative quantity");
    }
    if (!a.stock_.emplace(KeyOf(l.ems_no, l.item_record_no), l.qty).second) {
      return Status::InvalidArgument("stock line " + l.ems_no + "/" + l.item_record_no +
                                     " given twice");
    }
  }
  return a;
}

}  // namespace ftz::bonded
