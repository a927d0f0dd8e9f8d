// Receipt builders: what the window answers for each block of a message.

#include <charconv>

#include "ceb/ceb.h"
#include "ceb/field_tables.h"
#include "ceb/internal/blocks.h"
#include "ceb/internal/util.h"

namespace ftz::ceb {
namespace {

using internal::BlockTraits;

template <class R>
void SetCommon(R* r, const std::string& guid, int status, std::string_view info,
               std::string_view time) {
  r->guid = guid;
  r->returnStatus = std::to_string(status);
  r->returnInfo = std::string(info);
  r->returnTime = std::string(time);
}

OrderReturn ReturnOf(const Order& b) {
  OrderReturn r;
  r.ebpCode = b.head.ebpCode;
  r.ebcCode = b.head.ebcCode;
  r.orderNo = b.head.orderNo;
  r.guid = b.head.guid;
  return r;
}
PaymentReturn ReturnOf(const Payment& b) {
  PaymentReturn r;
  r.payCode = b.head.payCode;
  r.payTransactionId = b.head.payTransactionId;
  r.guid = b.head.guid;
  return r;
}
LogisticsReturn ReturnOf(const Waybill& b) {
  LogisticsReturn r;
  r.logisticsCode = b.head.logisticsCode;
  r.logisticsNo = b.head.logisticsNo;
  r.guid = b.head.guid;
  return r;
}
LogisticsStatusReturn ReturnOf(const WaybillStatus& b) {
  LogisticsStatusReturn r;
  r.logisticsCode = b.logisticsCode;
  r.logisticsNo = b.logisticsNo;
  r.logisticsStatus = b.logisticsStatus;
  r.guid = b.guid;
  return r;
}
InventoryReturn ReturnOf(const InventoryList& b) {
  InventoryReturn r;
  r.customsCode = b.head.customsCode;
  r.ebpCode = b.head.ebpCode;
  r.ebcCode = b.head.ebcCode;
  r.agentCode = b.head.agentCode;
  r.copNo = b.head.copNo;
  r.preNo = b.head.preNo;
  r.invtNo = b.head.invtNo;
  r.guid = b.head.guid;
  return r;
}
template <class R, class H>
R CancelOrRefundReturn(const H& h) {
  R r;
  r.customsCode = h.customsCode;
  r.agentCode = h.agentCode;
  r.ebpCode = h.ebpCode;
  r.ebcCode = h.ebcCode;
  r.copNo = h.copNo;
  r.preNo = h.preNo;
  r.invtNo = h.invtNo;
  r.guid = h.guid;
  return r;
}
InvtCancelReturn ReturnOf(const Cancellation& b) {
  return CancelOrRefundReturn<InvtCancelReturn>(b.head);
}
InvtRefundReturn ReturnOf(const ReturnRequest& b) {
  return CancelOrRefundReturn<InvtRefundReturn>(b.head);
}
DeliveryReturn ReturnOf(const WarehouseEntry& b) {
  DeliveryReturn r;
  r.customsCode = b.head.customsCode;
  r.operatorCode = b.head.operatorCode;
  r.copNo = b.head.copNo;
  r.preNo = b.head.preNo;
  r.rkdNo = b.head.rkdNo;
  r.guid = b.head.guid;
  return r;
}

template <class Block>
const internal::MessageCodes& CodesOf(const std::vector<Block>&) {
  return BlockTraits<Block>::kCodes;
}

}  // namespace

RefusalCodes CodesFor(MessageType t) {
  return internal::WithBlockType(t, [](auto id) {
    const internal::MessageCodes& c = BlockTraits<typename decltype(id)::type>::kCodes;
    return RefusalCodes{c.invalid, c.duplicate, c.not_found, c.not_found_text};
  });
}

ReceiptMessage NewReceiptFor(const Message& m, std::string guid) {
  ReceiptMessage r;
  r.type = ReceiptTypeFor(m.type);
  r.guid = std::move(guid);
  r.version = "1.0";
  std::visit(
      [&](const auto& blocks) {
        using Part = decltype(ReturnOf(blocks.front()));
        r.blocks.template emplace<std::vector<Part>>();
      },
      m.blocks);
  return r;
}

void AddReturn(const Message& m, size_t i, int status, std::string_view info,
               std::string_view return_time, ReceiptMessage* r) {
  std::visit(
      [&](const auto& blocks) {
        auto part = ReturnOf(blocks.at(i));
        SetCommon(&part, part.guid, status, info, return_time);
        std::get<std::vector<decltype(part)>>(r->blocks).push_back(std::move(part));
      },
      m.blocks);
}

ReturnView ViewReturn(const ReceiptMessage& r, size_t i) {
  return std::visit(
      [&](const auto& blocks) {
        const auto& b = blocks.at(i);
        ReturnView v;
        if constexpr (std::is_same_v<std::decay_t<decltype(b)>, TaxBillDoc>) {
          v.guid = b.head.guid;  // a tax bill has no returnStatus
          v.time = b.head.returnTime;
          v.info = "税单[" + b.head.taxNo + "]";
        } else {
          v.guid = b.guid;
          std::from_chars(b.returnStatus.data(), b.returnStatus.data() + b.returnStatus.size(),
                          v.status);
          v.info = b.returnInfo;
          v.time = b.returnTime;
        }
        return v;
      },
      r.blocks);
}

ReceiptMessage MakeRefusalReceipt(const DecodeResult& d, UnixMillis now) {
  const Message& m = d.message;
  const std::string time = FormatReturnTime(now);
  ReceiptMessage r = NewReceiptFor(m, DeriveGuid("refusal:" + m.guid + ":" + time));
  const internal::MessageCodes& codes = std::visit(
      [](const auto& b) -> const internal::MessageCodes& { return CodesOf(b); }, m.blocks);
  std::string message_errors;
  for (const FieldError& e : d.errors) {
    if (e.block < 0)
      message_errors += (message_errors.empty() ? "" : "; ") + e.path + ": " + e.reason;
  }
  const char* prefix = d.ceb_code == codes.empty      ? codes.empty_text
                       : d.ceb_code == codes.too_many ? codes.too_many_text
                                                      : codes.invalid_text;
  const size_t n = m.BlockCount();
  for (size_t i = 0; i < n; ++i) {
    std::string info;
    for (const FieldError& e : d.errors) {
      if (e.block == static_cast<int>(i))
        info += (info.empty() ? "" : "; ") + e.path + ": " + e.reason;
    }
    if (!message_errors.empty()) info += (info.empty() ? "" : "; ") + message_errors;
    if (info.empty()) {
      info =
          "未受理：本报文其他业务块校验不通过，整份报文不予接收 (not accepted: another block of "
          "this message failed validation, so the whole message was refused)";
    } else {
      info = prefix + info;
    }
    // returnInfo is C..1000 characters, and paths quote the sender's element
    // names, which may be anything: made safe for the receipt.
    info = internal::SafeText(info, 1000);
    AddReturn(m, i, d.ceb_code, info, time, &r);
  }
  if (n == 0) {
    // No block could be read: one return block without keys carries the error.
    std::visit(
        [&](auto& blocks) {
          if constexpr (!std::is_same_v<typename std::decay_t<decltype(blocks)>::value_type,
                                        TaxBillDoc>) {
            blocks.emplace_back();
            SetCommon(&blocks.back(), m.guid, d.ceb_code,
                      internal::SafeText(std::string(prefix) + message_errors, 1000), time);
          }
        },
        r.blocks);
  }
  return r;
}

FormatReceipt MakeFormatReceipt(const DecodeResult& d, std::string_view body, UnixMillis now) {
  FormatReceipt f;
  f.returnTime = FormatReturnTime(now);
  f.guid = DeriveGuid("format:" + std::string(body.substr(0, 4096)) + f.returnTime);
  char code[8];
  std::snprintf(code, sizeof code, "-%04d", d.ceb_code);
  f.returnStatus = code;
  f.returnInfo = internal::SafeText(d.summary, 1000);  // it may quote the body
  f.oriCopMsgId = d.dxp_copmsgid;
  f.oriMessageType = d.message.guid.empty() ? "Unknown" : RootElementName(d.message.type);
  // At most 4 KiB of the original, cut at a character boundary; nothing if it is not text.
  std::string_view original = body.substr(0, 4096);
  if (original.size() == 4096) {
    size_t cut = original.size();
    while (cut > 0 && (static_cast<unsigned char>(original[cut - 1]) & 0xC0) == 0x80) --cut;
    // original[cut - 1] now starts the last character: keep it only if it is whole.
    if (cut > 0) {
      unsigned char lead = static_cast<unsigned char>(original[cut - 1]);
      size_t need = lead < 0x80 ? 1 : lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : 2;
      if (original.size() - (cut - 1) < need) original = original.substr(0, cut - 1);
    }
  }
  if (Utf8Length(original) >= 0) f.oriBizMessage = std::string(original);
  return f;
}

std::string BlockKey(const Message& m, size_t i) {
  struct V {
    size_t i;
    std::string operator()(const std::vector<Order>& b) const {
      return b[i].head.ebpCode + "/" + b[i].head.orderNo;
    }
    std::string operator()(const std::vector<Payment>& b) const {
      return b[i].head.payCode + "/" + b[i].head.payTransactionId;
    }
    std::string operator()(const std::vector<Waybill>& b) const {
      return b[i].head.logisticsCode + "/" + b[i].head.logisticsNo;
    }
    std::string operator()(const std::vector<WaybillStatus>& b) const {
      return b[i].logisticsCode + "/" + b[i].logisticsNo + "/" + b[i].logisticsStatus;
    }
    // One inventory list per order: the list is keyed by its order (copNo is optional).
    std::string operator()(const std::vector<InventoryList>& b) const {
      return b[i].head.ebpCode + "/" + b[i].head.orderNo;
    }
    std::string operator()(const std::vector<Cancellation>& b) const {
      return b[i].head.agentCode + "/" + b[i].head.invtNo;
    }
    std::string operator()(const std::vector<ReturnRequest>& b) const {
      return b[i].head.agentCode + "/" + b[i].head.invtNo;
    }
    std::string operator()(const std::vector<WarehouseEntry>& b) const {
      return b[i].head.operatorCode + "/" +
             (b[i].head.copNo.empty() ? b[i].head.guid : b[i].head.copNo);
    }
  };
  return std::visit(V{i}, m.blocks);
}

}  // namespace ftz::ceb
