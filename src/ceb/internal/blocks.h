// How each message type is laid out in CEB: the wrapper element of a business
// block, its head and line parts, the limits, and the specification's error
// codes (table 7-2) for that message. One table drives the XML and JSON codecs
// and the engine's receipts alike.
#pragma once

#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "core/documents.h"

namespace ftz::ceb::internal {

struct NoItem {};

// Error codes and wording of the specification's table 7-2, per message.
struct MessageCodes {
  int invalid;  // field check failed ("参数校验不通过")
  const char* invalid_text;
  int duplicate;  // same business key already declared
  const char* duplicate_text;
  int empty;  // no business block
  const char* empty_text;
  int too_many;  // over the block / line limit
  const char* too_many_text;
  int not_found;               // a change (appType 2) or delete (3) of nothing declared
  const char* not_found_text;  // the specification's text for it (table 7-2)
};

template <class Block>
struct BlockTraits;

template <>
struct BlockTraits<Order> {
  static constexpr MessageType kType = MessageType::kOrder;
  static constexpr std::string_view kWrapper = "Order";
  static constexpr int kMaxBlocks = 100, kMinItems = 1, kMaxItems = 99;
  using Head = OrderHead;
  using Item = OrderItem;
  static Head& head(Order& b) { return b.head; }
  static const Head& head(const Order& b) { return b.head; }
  static std::vector<Item>& items(Order& b) { return b.items; }
  static const std::vector<Item>& items(const Order& b) { return b.items; }
  static constexpr MessageCodes kCodes = {-301008, "参数校验不通过，",
                                          -301010, "已存在相同编号的订单",
                                          -301007, "订单业务报文信息不能为空",
                                          -301015, "订单报文处理失败，报文表头数据超过限制",
                                          -301009, "订单标识(appType)不正确,未找到操作的订单"};
};

template <>
struct BlockTraits<Payment> {
  static constexpr MessageType kType = MessageType::kPayment;
  static constexpr std::string_view kWrapper = "Payment";
  static constexpr int kMaxBlocks = 100, kMinItems = 0, kMaxItems = 0;
  using Head = PaymentHead;
  using Item = NoItem;
  static Head& head(Payment& b) { return b.head; }
  static const Head& head(const Payment& b) { return b.head; }
  static constexpr MessageCodes kCodes = {
      -401009, "参数校验不通过，",
      -401007, "已存在相同编号的支付单",
      -401005, "支付单业务报文不能为空",
      -401013, "支付单报文处理失败，报文表头数据超过限制",
      -401006, "支付单标识(appType)不正确,未找到对应操作的支付单"};
};

template <>
struct BlockTraits<Waybill> {
  static constexpr MessageType kType = MessageType::kWaybill;
  static constexpr std::string_view kWrapper = "Logistics";
  static constexpr int kMaxBlocks = 100, kMinItems = 0, kMaxItems = 0;
  using Head = WaybillHead;
  using Item = NoItem;
  static Head& head(Waybill& b) { return b.head; }
  static const Head& head(const Waybill& b) { return b.head; }
  static constexpr MessageCodes kCodes = {-504011, "参数校验不通过，",
                                          -504015, "已存在相同编号的运单",
                                          -504010, "运单业务报文不能为空",
                                          -504013, "物流运单报文数量超过限制",
                                          -504014, "运单标识(appType)不正确,未找到操作的运单"};
};

template <>
struct BlockTraits<WaybillStatus> {
  static constexpr MessageType kType = MessageType::kWaybillStatus;
  static constexpr std::string_view kWrapper = "";  // the LogisticsStatus element is the block
  static constexpr int kMaxBlocks = 100, kMinItems = 0, kMaxItems = 0;
  using Head = WaybillStatus;
  using Item = NoItem;
  static Head& head(WaybillStatus& b) { return b; }
  static const Head& head(const WaybillStatus& b) { return b; }
  static constexpr MessageCodes kCodes = {-505011, "参数校验不通过，",
                                          -505012, "物流运单状态已存在",
                                          -505010, "运单状态业务报文不能为空",
                                          -505013, "物流运单状态报文数量超过限制",
                                          -505014, "物流运单状态报文处理失败，未找到对应操作"};
};

template <>
struct BlockTraits<InventoryList> {
  static constexpr MessageType kType = MessageType::kInventoryList;
  static constexpr std::string_view kWrapper = "Inventory";
  static constexpr int kMaxBlocks = 100, kMinItems = 1, kMaxItems = 99;
  using Head = InventoryHead;
  using Item = InventoryItem;
  static Head& head(InventoryList& b) { return b.head; }
  static const Head& head(const InventoryList& b) { return b.head; }
  static std::vector<Item>& items(InventoryList& b) { return b.items; }
  static const std::vector<Item>& items(const InventoryList& b) { return b.items; }
  static constexpr MessageCodes kCodes = {-621001, "清单报文校验失败，",
                                          -621004, "清单已经申报过，请勿重复申报",
                                          -621000, "CEB621Message 接收失败，清单表体为空",
                                          -621030, "CEB621Message 接收失败，清单数据超过限制！",
                                          -621011, "不存在已申报的清单"};
};

template <>
struct BlockTraits<Cancellation> {
  static constexpr MessageType kType = MessageType::kCancellation;
  static constexpr std::string_view kWrapper = "";  // InvtCancel is the block
  static constexpr int kMaxBlocks = 100, kMinItems = 0, kMaxItems = 0;
  using Head = CancellationHead;
  using Item = NoItem;
  static Head& head(Cancellation& b) { return b.head; }
  static const Head& head(const Cancellation& b) { return b.head; }
  static constexpr MessageCodes kCodes = {-623001, "报文校验失败，",
                                          -623009, "撤单清单已经申报过",
                                          -623000, "CEB623Message 接收失败，撤单清单为空",
                                          -623008, "CEB623Message 接收失败，数据超过限制！",
                                          -623004, "查无此数据"};
};

template <>
struct BlockTraits<ReturnRequest> {
  static constexpr MessageType kType = MessageType::kReturn;
  static constexpr std::string_view kWrapper = "InvtRefund";
  static constexpr int kMaxBlocks = 100, kMinItems = 1, kMaxItems = 99;
  using Head = ReturnHead;
  using Item = ReturnItem;
  static Head& head(ReturnRequest& b) { return b.head; }
  static const Head& head(const ReturnRequest& b) { return b.head; }
  static std::vector<Item>& items(ReturnRequest& b) { return b.items; }
  static const std::vector<Item>& items(const ReturnRequest& b) { return b.items; }
  static constexpr MessageCodes kCodes = {-625001, "退货申请单报文校验失败，",
                                          -625033, "退货申请单已经申报过，请勿重复申报",
                                          -625200, "CEB625Message 接收失败，退货申请单为空",
                                          -625001, "退货申请单报文校验失败，数据超过限制",
                                          -625016, "查无此数据"};
};

template <>
struct BlockTraits<WarehouseEntry> {
  static constexpr MessageType kType = MessageType::kWarehouseEntry;
  static constexpr std::string_view kWrapper = "Delivery";
  // XSD: one Delivery per message, DeliveryList unbounded (bounded here by the body size limit).
  static constexpr int kMaxBlocks = 1, kMinItems = 1, kMaxItems = 100000;
  using Head = WarehouseEntryHead;
  using Item = WarehouseEntryItem;
  static Head& head(WarehouseEntry& b) { return b.head; }
  static const Head& head(const WarehouseEntry& b) { return b.head; }
  static std::vector<Item>& items(WarehouseEntry& b) { return b.items; }
  static const std::vector<Item>& items(const WarehouseEntry& b) { return b.items; }
  static constexpr MessageCodes kCodes = {-800001, "校验不通过，",
                                          -800003, "入库明细单报已存在",
                                          -800000, "入库明细单表体信息不存在",
                                          -800006, "入库明细单报文处理失败，报文表头数据超过限制",
                                          -800001, "校验不通过，未找到操作的入库明细单"};
};

template <class Block>
constexpr bool kHasItems = !std::is_same_v<typename BlockTraits<Block>::Item, NoItem>;

// Calls f(std::type_identity<Block>{}) for the block type of message type t.
template <class F>
decltype(auto) WithBlockType(MessageType t, F&& f) {
  switch (t) {
    case MessageType::kOrder:
      return f(std::type_identity<Order>{});
    case MessageType::kPayment:
      return f(std::type_identity<Payment>{});
    case MessageType::kWaybill:
      return f(std::type_identity<Waybill>{});
    case MessageType::kWaybillStatus:
      return f(std::type_identity<WaybillStatus>{});
    case MessageType::kInventoryList:
      return f(std::type_identity<InventoryList>{});
    case MessageType::kCancellation:
      return f(std::type_identity<Cancellation>{});
    case MessageType::kReturn:
      return f(std::type_identity<ReturnRequest>{});
    default:
      return f(std::type_identity<WarehouseEntry>{});
  }
}

// Receipt part type by receipt message type.
template <class F>
decltype(auto) WithReceiptType(MessageType t, F&& f) {
  switch (t) {
    case MessageType::kOrderReceipt:
      return f(std::type_identity<OrderReturn>{});
    case MessageType::kPaymentReceipt:
      return f(std::type_identity<PaymentReturn>{});
    case MessageType::kWaybillReceipt:
      return f(std::type_identity<LogisticsReturn>{});
    case MessageType::kWaybillStatusReceipt:
      return f(std::type_identity<LogisticsStatusReturn>{});
    case MessageType::kInventoryListReceipt:
      return f(std::type_identity<InventoryReturn>{});
    case MessageType::kCancellationReceipt:
      return f(std::type_identity<InvtCancelReturn>{});
    case MessageType::kReturnReceipt:
      return f(std::type_identity<InvtRefundReturn>{});
    case MessageType::kTaxBill:
      return f(std::type_identity<TaxBillDoc>{});
    default:
      return f(std::type_identity<DeliveryReturn>{});
  }
}

bool IsReceiptType(MessageType t);

// The element that holds one block of a receipt message: the part itself
// (OrderReturn, ...), or "Tax" around TaxHeadRd and TaxListRd for CEB816.
template <class Part>
std::string_view ReceiptElementOf();

// Checks a block's lines: at least kMinItems, and gnum numbering them 1..n
// without repeats (a return, 625, refers to the list's own line numbers, so
// only repeats are wrong there). Calls err(line, reason); line -1 = the block.
template <class Block, class Item, class Err>
void CheckLines(const std::vector<Item>& items, Err&& err) {
  using Traits = BlockTraits<Block>;
  if (static_cast<int>(items.size()) < Traits::kMinItems) {
    err(-1, "no lines: at least one is required");
  }
  const auto n = static_cast<int64_t>(items.size());
  std::vector<bool> seen(items.size() + 1, false);
  for (size_t k = 0; k < items.size(); ++k) {
    const int64_t g = items[k].gnum;
    bool repeat = false;
    if (Traits::kType == MessageType::kReturn) {
      for (size_t j = 0; j < k && !repeat; ++j) repeat = items[j].gnum == g;
      if (g < 1) err(static_cast<int>(k), "gnum must be at least 1");
    } else if (g < 1 || g > n) {
      err(static_cast<int>(k), "gnum " + std::to_string(g) + " is outside 1.." + std::to_string(n));
      continue;
    } else {
      repeat = seen[g];
      seen[g] = true;
    }
    if (repeat) err(static_cast<int>(k), "gnum " + std::to_string(g) + " repeats an earlier line");
  }
}

}  // namespace ftz::ceb::internal
