// ceb: the CEB spelling of the trade documents — decoding inbound messages
// (XML as enterprises send them, optionally in the DXP envelope, or the JSON
// mapping of docs/json-mapping.md), field validation against the
// specification's tables, and the receipt writers (CEB312/412/512/514/622/
// 624/626/712, CEB900 for messages that cannot be identified).
//
// Contract:
//  - Decode never throws and never crashes on any input; every refusal names
//    the field (a path such as "Order[2]/OrderList[1]/qty") and the reason.
//  - A message is accepted or refused whole: if any block has a field error,
//    Decode reports every error found and the message must not be applied.
//  - No DTD is processed and no entity is expanded: a DOCTYPE is refused.
//  - All functions are pure and safe to call from many threads at once.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/documents.h"
#include "core/time.h"

namespace ftz::ceb {

inline constexpr std::string_view kCebNamespace = "http://www.chinaport.gov.cn/ceb";
inline constexpr std::string_view kDsigNamespace = "http://www.w3.org/2000/09/xmldsig#";

enum class Syntax : uint8_t { kXml = 0, kJson = 1 };

struct FieldError {
  int block = -1;      // 0-based business block, -1 for the message itself
  std::string path;    // e.g. "Order[2]/OrderHead/orderNo" (1-based, as a reader counts)
  std::string reason;  // e.g. "longer than 60 characters (61)"
};

struct DecodeResult {
  enum class Outcome : uint8_t {
    kOk,          // `message` is valid and complete
    kUnreadable,  // not a CEB message we can identify: answer with CEB900
    kInvalid,     // a known message with field errors: answer with its own receipt
  };
  Outcome outcome = Outcome::kUnreadable;
  Message message;                 // as far as it was read (type and guid known when kInvalid)
  std::vector<FieldError> errors;  // kInvalid: every error found; kUnreadable: one
  int ceb_code = 0;                // spec table 7-1/7-2 code of the refusal
  std::string summary;             // one line for logs and HTTP errors
  bool wrapped_in_dxp = false;     // the body was a DxpMsg envelope
  std::string dxp_copmsgid;        // the envelope's CopMsgId, for CEB900's oriCopMsgId

  bool ok() const { return outcome == Outcome::kOk; }
};

struct DecodeLimits {
  size_t max_depth = 16;  // element nesting; CEB needs 4
};

// Decodes and validates one inbound message (311 411 511 513 621 623 625 711).
// XML may start with a UTF-8 BOM, use any namespace prefix, and be wrapped in
// a DxpMsg envelope whose Data is the base64 of the CEB message.
DecodeResult Decode(std::string_view body, Syntax syntax, const DecodeLimits& limits = {});
DecodeResult DecodeXml(std::string_view body, const DecodeLimits& limits = {});
DecodeResult DecodeJson(std::string_view body, const DecodeLimits& limits = {});

// Writers. XML uses the "ceb:" prefix for messages and the default namespace
// for receipts, as the official samples do.
std::string EncodeMessageXml(const Message& m);
std::string EncodeMessageJson(const Message& m);
// One business block of a message as JSON ({"OrderHead": {...}, "OrderList": [...]}).
std::string EncodeBlockJson(const Message& m, size_t i);
// Wraps a CEB message in a DxpMsg envelope (base64 Data), as a terminal node sends it.
std::string WrapInDxp(std::string_view ceb_xml, std::string_view copmsgid, std::string_view sender,
                      std::string_view receiver, std::string_view msg_type);

std::string EncodeReceiptXml(const ReceiptMessage& r);
std::string EncodeReceiptJson(const ReceiptMessage& r);
// Decodes a receipt (for `ftzport submit`, tests and other ports). Lenient:
// a missing namespace declaration is accepted, as real receipts sometimes
// lack it, and lengths and required fields are not checked, since a refusal
// receipt echoes whatever keys the refused message had (possibly none).
DecodeResult DecodeReceiptXml(std::string_view body, ReceiptMessage* out);
DecodeResult DecodeReceiptJson(std::string_view body, ReceiptMessage* out);

// CEB900: the format receipt for a message that could not be identified.
struct FormatReceipt {
  std::string guid;
  std::string returnStatus;  // negative: format error
  std::string returnInfo;
  std::string returnTime;  // YYYYMMDDhhmmssSSS
  std::string oriCopMsgId;
  std::string oriMessageType;  // "CEB311Message" or "Unknown"
  std::string oriBizMessage;   // the original, truncated to 4 KiB, only if valid UTF-8
};
std::string EncodeFormatReceiptXml(const FormatReceipt& r);
std::string EncodeFormatReceiptJson(const FormatReceipt& r);
FormatReceipt MakeFormatReceipt(const DecodeResult& d, std::string_view body, UnixMillis now);

// The receipt for a refused message: one block per block read, each naming
// its own errors, or the message-level error; returnStatus is the
// specification's negative code (e.g. -301008).
ReceiptMessage MakeRefusalReceipt(const DecodeResult& d, UnixMillis now);

// Starts the receipt that answers `m` (CEB311 -> CEB312, ...), with no blocks.
ReceiptMessage NewReceiptFor(const Message& m, std::string guid);
// Appends the return block for block `i` of `m`, carrying its keys (guid,
// order number, copNo, ...) and the given status, info and returnTime.
void AddReturn(const Message& m, size_t i, int status, std::string_view info,
               std::string_view return_time, ReceiptMessage* r);
// Parts of a receipt block for queries and feeds.
struct ReturnView {
  std::string guid;
  int status = 0;
  std::string info;
  std::string time;
};
ReturnView ViewReturn(const ReceiptMessage& r, size_t i);

// The specification's codes (table 7-2) for refusing blocks of a message type.
struct RefusalCodes {
  int invalid;                 // a field fails its check (e.g. -301008)
  int duplicate;               // the business key is already declared (e.g. -301010)
  int not_found;               // a change or delete of something never declared (e.g. -301009)
  const char* not_found_text;  // its text in the specification (table 7-2)
};
RefusalCodes CodesFor(MessageType inbound_type);

// A deterministic, upper-case, UUID-shaped guid derived from `seed` (SHA-256),
// so receipts are reproducible on replay.
std::string DeriveGuid(std::string_view seed);

// Business key of block `i` of a message, as the query API spells it
// ("ebpCode/orderNo" for orders, "payCode/payTransactionId" for payments,
// "logisticsCode/logisticsNo" for waybills, "ebpCode/orderNo" for lists (one
// list per order), "agentCode/invtNo" for cancellations and returns, ...).
std::string BlockKey(const Message& m, size_t i);

}  // namespace ftz::ceb
