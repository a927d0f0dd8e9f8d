#include "engine/engine.h"

#include <cstdio>

#include "ceb/ceb.h"

namespace ftz::engine {
namespace {

// "not found for change/delete" codes of table 7-2, per message.
int NotFoundCode(MessageType t) {
  switch (t) {
    case MessageType::kOrder: return -301009;
    case MessageType::kPayment: return -401006;
    case MessageType::kWaybill: return -504014;
    case MessageType::kWaybillStatus: return -505014;
    case MessageType::kInventoryList: return -621011;
    case MessageType::kCancellation: return -623004;
    case MessageType::kReturn: return -625016;
    default: return -800001;
  }
}

int DuplicateCode(MessageType t) {
  switch (t) {
    case MessageType::kOrder: return -301010;
    case MessageType::kPayment: return -401007;
    case MessageType::kWaybill: return -504015;
    case MessageType::kWaybillStatus: return -505012;
    case MessageType::kInventoryList: return -621004;
    case MessageType::kCancellation: return -623009;
    case MessageType::kReturn: return -625033;
    default: return -800003;
  }
}

std::string DuplicateText(MessageType t, const std::string& key) {
  switch (t) {
    case MessageType::kOrder: return "已存在相同编号的订单[" + key + "]";
    case MessageType::kPayment: return "已存在相同编号的支付单[" + key + "]";
    case MessageType::kWaybill: return "已存在相同编号的运单[" + key + "]";
    case MessageType::kWaybillStatus: return "物流运单状态已存在[" + key + "]";
    case MessageType::kInventoryList: return "清单[" + key + "]已经申报过，请勿重复申报";
    case MessageType::kCancellation: return "撤单清单[" + key + "]已经申报过";
    case MessageType::kReturn: return "退货申请单[" + key + "]已经申报过，请勿重复申报";
    default: return "入库明细单报已存在[" + key + "]";
  }
}

const std::string& AppTypeOf(const Message& m, size_t i) {
  return std::visit([i](const auto& blocks) -> const std::string& {
    const auto& b = blocks[i];
    if constexpr (requires { b.head.appType; }) {
      return b.head.appType;
    } else {
      return b.appType;
    }
  }, m.blocks);
}

const std::string& GuidOf(const Message& m, size_t i) {
  return std::visit([i](const auto& blocks) -> const std::string& {
    const auto& b = blocks[i];
    if constexpr (requires { b.head.guid; }) {
      return b.head.guid;
    } else {
      return b.guid;
    }
  }, m.blocks);
}


}  // namespace

int KeySpace(MessageType t) {
  switch (t) {
    case MessageType::kOrder: return 0;
    case MessageType::kPayment: return 1;
    case MessageType::kWaybill: return 2;
    case MessageType::kWaybillStatus: return 3;
    case MessageType::kInventoryList: return 4;
    case MessageType::kCancellation: return 5;
    case MessageType::kReturn: return 6;
    default: return 7;
  }
}

std::string Engine::NextPreNo(UnixMillis time) {
  // "B" + YYYYMMDD + a 9-digit serial that restarts each day (CST): 18 characters.
  std::string day = FormatDateTime14(time).substr(0, 8);
  if (day != pre_no_day_) {
    pre_no_day_ = day;
    pre_no_serial_ = 0;
  }
  char buf[24];
  std::snprintf(buf, sizeof buf, "B%s%09llu", day.c_str(),
                static_cast<unsigned long long>(++pre_no_serial_ % 1'000'000'000ULL));
  return buf;
}

size_t Engine::DocumentCount() const {
  size_t n = 0;
  for (const auto& m : docs_) n += m.size();
  return n;
}

Outcome Engine::Apply(uint64_t seq, UnixMillis time, const Message& m) {
  Outcome out;
  out.cop_code = m.transfer.copCode;
  const std::string return_time = FormatReturnTime(time);
  out.receipt = ceb::NewReceiptFor(m, ceb::DeriveGuid("receipt:" + std::to_string(seq)));
  auto& space = docs_[KeySpace(m.type)];
  const size_t n = m.BlockCount();
  for (size_t i = 0; i < n; ++i) {
    std::string key = ceb::BlockKey(m, i);
    const std::string& app_type = AppTypeOf(m, i);
    const std::string& guid = GuidOf(m, i);
    auto it = space.find(key);
    int status = return_status::kDeclaring;
    std::string info;
    bool removed = false;
    if (app_type == "1") {
      if (it != space.end()) {
        status = DuplicateCode(m.type);
        info = DuplicateText(m.type, key);
      } else {
        DocState st{seq, {}};
        // The e-port numbers the documents it forwards to customs (preNo).
        if (m.type == MessageType::kInventoryList || m.type == MessageType::kCancellation ||
            m.type == MessageType::kReturn) {
          st.pre_no = NextPreNo(time);
        }
        space.emplace(key, std::move(st));
        info = "新增申报成功[" + guid + "]";
      }
    } else if (it == space.end()) {
      status = NotFoundCode(m.type);
      info = (app_type == "2" ? "变更" : "删除") + std::string("失败：未找到[") + key + "]";
    } else if (app_type == "2") {
      it->second.seq = seq;
      info = "变更申报成功[" + guid + "]";
    } else {
      space.erase(it);
      removed = true;
      info = "删除申报成功[" + guid + "]";
    }
    ceb::AddReturn(m, i, status, info, return_time, &out.receipt);
    if (status > 0) {
      ++out.accepted;
      if (!removed) {
        const std::string& pre_no = space.at(key).pre_no;
        std::visit([&](auto& blocks) {
          if constexpr (requires { blocks.back().preNo; }) {
            if (!pre_no.empty()) blocks.back().preNo = pre_no;
          }
        }, out.receipt.blocks);
      }
      out.changes.push_back({m.type, std::move(key), i, status, std::move(info), removed});
    } else {
      ++out.refused;
    }
  }
  return out;
}

}  // namespace ftz::engine
