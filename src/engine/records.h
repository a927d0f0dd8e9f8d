// Payloads of the log's records (the framing is stream/log.h; the bytes are
// in docs/log-format.md).
//
//   kMessage: u8 syntax (0 XML, 1 JSON) | u8 0 | u16 caller length | caller |
//             the message body exactly as received
//   kReceipt: u64 seq of the message it answers | u16 copCode length |
//             copCode | the receipt XML exactly as sent
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "ceb/ceb.h"
#include "core/decimal.h"

namespace ftz::engine {

struct MessageRecord {
  ceb::Syntax syntax = ceb::Syntax::kXml;
  std::string_view caller;  // authenticated sender ("" until authentication lands)
  std::string_view body;
};
std::string EncodeMessageRecord(const MessageRecord& r);
bool DecodeMessageRecord(std::string_view payload, MessageRecord* out);

struct ReceiptRecord {
  uint64_t answers_seq = 0;
  std::string_view cop_code;  // the enterprise the receipt is addressed to
  std::string_view xml;
};
std::string EncodeReceiptRecord(const ReceiptRecord& r);
bool DecodeReceiptRecord(std::string_view payload, ReceiptRecord* out);

// kAdmin: an operator's command, logged like any input.
//   u8 kind (1 goods-in) | u16 len | operator | u16 len | emsNo |
//   u16 len | itemRecordNo | i64 quantity in Decimal units
struct AdminRecord {
  enum Kind : uint8_t { kGoodsIn = 1 };
  Kind kind = kGoodsIn;
  std::string operator_id;
  std::string ems_no;
  std::string item_record_no;
  Decimal qty;
};
std::string EncodeAdminRecord(const AdminRecord& r);
bool DecodeAdminRecord(std::string_view payload, AdminRecord* out);

}  // namespace ftz::engine
