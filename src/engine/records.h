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
//   kind 1, bonded goods-in: u8 1 | u16 len | operator | u16 len | emsNo |
//     u16 len | itemRecordNo | i64 quantity in Decimal units
//   kind 2, an officer's conclusion of a list under review (300) or
//     inspection (500): u8 2 | u16 len | operator | u16 len | invtNo |
//     u8 release (1) or refuse (0) | u16 len | note
//   kind 3, a new version of the clearance rules: u8 3 | u16 len | operator |
//     u32 len | the rules file (TOML, docs/clearance.md) as sent
//   kind 4, the rules file the window was started with, logged when it
//     differs from the last one logged (so a replay decides every record
//     under the rules that decided it): the layout of kind 3, with u8 4
// Every length is checked when encoding: a field over 65535 bytes is a bug
// of the caller (the API bounds them far below) and aborts.
struct AdminRecord {
  enum Kind : uint8_t { kGoodsIn = 1, kConclude = 2, kRules = 3, kStartRules = 4, kWriteOff = 5 };
  Kind kind = kGoodsIn;
  std::string operator_id;
  // kGoodsIn, kWriteOff: the account line and the quantity loaded or taken
  // off (positive either way).
  std::string ems_no;
  std::string item_record_no;
  Decimal qty;
  // The goods-in's or write-off's own document number (入库单号, 核减单号;
  // optional): a second command with it is refused, so an operator's retry
  // changes nothing twice.
  std::string entry_no;
  // kConclude
  std::string invt_no;
  bool release = false;
  // kConclude: the officer's note; kWriteOff: why the stock is taken off
  // (required).
  std::string note;
  // kRules, kStartRules
  std::string rules_toml;
};
std::string EncodeAdminRecord(const AdminRecord& r);
bool DecodeAdminRecord(std::string_view payload, AdminRecord* out);

}  // namespace ftz::engine
