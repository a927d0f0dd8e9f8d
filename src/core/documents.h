// The trade documents of a cross-border e-commerce import, as typed values.
//
// A CEB message carries 1-100 business blocks of one kind (an order with its
// lines, a payment, a waybill, an inventory list with its lines, ...), who sent
// it (BaseTransfer) and optionally a signature. The parts come from the XSD
// (documents_gen.h); this file composes them into documents and messages.
//
// Nothing here knows XML or JSON: that is ceb/'s job. Thread safety: values.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/documents_gen.h"

namespace ftz {

// CEB message numbers, as the root element names them (CEB311Message, ...).
enum class MessageType : uint16_t {
  kOrder = 311,
  kOrderReceipt = 312,
  kPayment = 411,
  kPaymentReceipt = 412,
  kWaybill = 511,
  kWaybillReceipt = 512,
  kWaybillStatus = 513,
  kWaybillStatusReceipt = 514,
  kInventoryList = 621,
  kInventoryListReceipt = 622,
  kCancellation = 623,
  kCancellationReceipt = 624,
  kReturn = 625,
  kReturnReceipt = 626,
  kWarehouseEntry = 711,
  kWarehouseEntryReceipt = 712,
  kTaxBill = 816,
  kFormatReceipt = 900,
};

constexpr int MessageNumber(MessageType t) { return static_cast<int>(t); }
// "CEB311Message" for kOrder, etc.
std::string RootElementName(MessageType t);
// kOrder for "CEB311Message"; false if not an import message or receipt we know.
bool ParseRootElementName(std::string_view name, MessageType* out);
// The receipt type an enterprise gets back for a message type (311 -> 312).
MessageType ReceiptTypeFor(MessageType t);
// True for the eight messages enterprises send in (311 411 511 513 621 623 625 711).
bool IsInboundMessage(MessageType t);

struct Order {  // CEB311
  OrderHead head;
  std::vector<OrderItem> items;
  bool operator==(const Order&) const = default;
};
struct Payment {  // CEB411
  PaymentHead head;
  bool operator==(const Payment&) const = default;
};
struct Waybill {  // CEB511
  WaybillHead head;
  bool operator==(const Waybill&) const = default;
};
// CEB513: WaybillStatus is itself the block.
struct InventoryList {  // CEB621
  InventoryHead head;
  std::vector<InventoryItem> items;
  bool operator==(const InventoryList&) const = default;
};
struct Cancellation {  // CEB623
  CancellationHead head;
  bool operator==(const Cancellation&) const = default;
};
struct ReturnRequest {  // CEB625
  ReturnHead head;
  std::vector<ReturnItem> items;
  bool operator==(const ReturnRequest&) const = default;
};
struct WarehouseEntry {  // CEB711
  WarehouseEntryHead head;
  std::vector<WarehouseEntryItem> items;
  bool operator==(const WarehouseEntry&) const = default;
};

using Blocks =
    std::variant<std::vector<Order>, std::vector<Payment>, std::vector<Waybill>,
                 std::vector<WaybillStatus>, std::vector<InventoryList>, std::vector<Cancellation>,
                 std::vector<ReturnRequest>, std::vector<WarehouseEntry>>;

// One inbound CEB message, decoded.
struct Message {
  MessageType type = MessageType::kOrder;
  std::string guid;     // root attribute, 36 characters
  std::string version;  // root attribute ("1.0", "v1.0")
  Blocks blocks;
  BaseTransfer transfer;
  std::vector<BaseSubscribe> subscribe;
  std::string extend_message;  // ExtendMessage kept verbatim (inner XML), empty if absent
  bool signed_ = false;        // a ds:Signature element was present

  size_t BlockCount() const;
  bool operator==(const Message&) const = default;
};

// CEB816: one electronic tax bill (a list's taxes, per line and in total).
struct TaxBillDoc {
  TaxHead head;
  std::vector<TaxItem> items;
  bool operator==(const TaxBillDoc&) const = default;
};

using ReceiptBlocks =
    std::variant<std::vector<OrderReturn>, std::vector<PaymentReturn>, std::vector<LogisticsReturn>,
                 std::vector<LogisticsStatusReturn>, std::vector<InventoryReturn>,
                 std::vector<InvtCancelReturn>, std::vector<InvtRefundReturn>,
                 std::vector<DeliveryReturn>, std::vector<TaxBillDoc>>;

// A receipt message (CEB312/412/512/514/622/624/626/712): one block per block
// of the message it answers, in the same order; or a CEB816 tax bill message.
struct ReceiptMessage {
  MessageType type = MessageType::kOrderReceipt;
  std::string guid;
  std::string version = "1.0";
  ReceiptBlocks blocks;

  size_t BlockCount() const;
  bool operator==(const ReceiptMessage&) const = default;
};

// Receipt status codes (returnStatus), from the specification's receipt tables.
namespace return_status {
inline constexpr int kSaved = 1;      // 电子口岸已暂存
inline constexpr int kDeclaring = 2;  // 电子口岸申报中 (accepted onto the log)
inline constexpr int kSentToCustoms = 3;
inline constexpr int kRejected = 100;  // 海关退单
inline constexpr int kEntered = 120;   // 海关入库
inline constexpr int kManualReview = 300;
inline constexpr int kConcluded = 399;   // 海关审结
inline constexpr int kInspection = 500;  // 查验
inline constexpr int kReleased = 800;    // 放行
}  // namespace return_status

}  // namespace ftz
