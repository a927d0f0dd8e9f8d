#include "core/documents.h"

#include <charconv>

namespace ftz {

std::string RootElementName(MessageType t) {
  return "CEB" + std::to_string(MessageNumber(t)) + "Message";
}

bool ParseRootElementName(std::string_view name, MessageType* out) {
  if (name.size() != 13 || name.substr(0, 3) != "CEB" || name.substr(6) != "Message") return false;
  int n = 0;
  auto [p, ec] = std::from_chars(name.data() + 3, name.data() + 6, n);
  if (ec != std::errc() || p != name.data() + 6) return false;
  switch (n) {
    case 311:
    case 312:
    case 411:
    case 412:
    case 511:
    case 512:
    case 513:
    case 514:
    case 621:
    case 622:
    case 623:
    case 624:
    case 625:
    case 626:
    case 711:
    case 712:
    case 816:
    case 900:
      *out = static_cast<MessageType>(n);
      return true;
    default:
      return false;
  }
}

MessageType ReceiptTypeFor(MessageType t) { return static_cast<MessageType>(MessageNumber(t) + 1); }

bool IsInboundMessage(MessageType t) {
  switch (t) {
    case MessageType::kOrder:
    case MessageType::kPayment:
    case MessageType::kWaybill:
    case MessageType::kWaybillStatus:
    case MessageType::kInventoryList:
    case MessageType::kCancellation:
    case MessageType::kReturn:
    case MessageType::kWarehouseEntry:
      return true;
    default:
      return false;
  }
}

size_t Message::BlockCount() const {
  return std::visit([](const auto& v) { return v.size(); }, blocks);
}

size_t ReceiptMessage::BlockCount() const {
  return std::visit([](const auto& v) { return v.size(); }, blocks);
}

}  // namespace ftz
