// The engine's intake (engine.h): each block of a message checked against
// the key spaces and the appType life cycle, given its receipt, and passed on
// (decide.cc for lists, applications.cc for cancellations and returns);
// deadlines. Operators' commands are in admin.cc.
#include "engine/engine.h"

#include "ceb/ceb.h"
#include "core/guid.h"
#include "engine/internal/key_text.h"
#include "engine/internal/list_record.h"

namespace ftz::engine {

using internal::Bracketed;
using internal::KeyOf;
using internal::KeyText;

namespace {

std::string DuplicateText(MessageType t, const std::string& key) {
  switch (t) {
    case MessageType::kOrder:
      return "已存在相同编号的订单[" + key + "]";
    case MessageType::kPayment:
      return "已存在相同编号的支付单[" + key + "]";
    case MessageType::kWaybill:
      return "已存在相同编号的运单[" + key + "]";
    case MessageType::kWaybillStatus:
      return "物流运单状态已存在[" + key + "]";
    case MessageType::kInventoryList:
      return "清单[" + key + "]已经申报过，请勿重复申报";
    case MessageType::kCancellation:
      return "撤单清单[" + key + "]已经申报过";
    case MessageType::kReturn:
      return "退货申请单[" + key + "]已经申报过，请勿重复申报";
    default:
      return "入库明细单报已存在[" + key + "]";
  }
}

// The head of a block (the block itself where CEB has no head, as in CEB513).
template <class B>
const auto& HeadOf(const B& b) {
  if constexpr (requires { b.head; }) {
    return b.head;
  } else {
    return b;
  }
}

const std::string& AppTypeOf(const Message& m, size_t i) {
  return std::visit(
      [i](const auto& blocks) -> const std::string& { return HeadOf(blocks[i]).appType; },
      m.blocks);
}

const std::string& GuidOf(const Message& m, size_t i) {
  return std::visit(
      [i](const auto& blocks) -> const std::string& { return HeadOf(blocks[i]).guid; }, m.blocks);
}

}  // namespace

int KeySpace(MessageType t) {
  switch (t) {
    case MessageType::kOrder:
      return 0;
    case MessageType::kPayment:
      return 1;
    case MessageType::kWaybill:
      return 2;
    case MessageType::kWaybillStatus:
      return 3;
    case MessageType::kInventoryList:
      return 4;
    case MessageType::kCancellation:
      return 5;
    case MessageType::kReturn:
      return 6;
    default:
      return 7;
  }
}

Engine::Engine(const clearance::RuleBook* rules) {
  if (rules != nullptr) {
    base_book_ = *rules;
    book_ = *rules;
    clearance_ = true;
  }
}

const char* Engine::UsedByDecidedList(MessageType type, const std::string& key) const {
  if (!clearance_) return nullptr;
  // A document stays in its key space (duplicates are refused) after the
  // decision of its list dropped its facts (ForgetMatched): declared but no
  // longer in the facts is exactly "matched with a decided list".
  const auto& space = docs_[KeySpace(type)];
  switch (type) {
    case MessageType::kOrder:
      return space.count(key) != 0 && orders_.find(key) == orders_.end()
                 ? "该订单已向海关申报清单，状态不符"
                 : nullptr;
    case MessageType::kPayment:
      return space.count(key) != 0 && payment_link_.find(key) == payment_link_.end()
                 ? "该支付单已向海关申报支付单，状态不符"
                 : nullptr;
    case MessageType::kWaybill:
      return space.count(key) != 0 && waybills_.find(key) == waybills_.end()
                 ? "该运单已向海关申报运单，状态不符"
                 : nullptr;
    default:
      return nullptr;
  }
}

const std::string* Engine::OtherAgentsList(const Message& m, size_t i,
                                           const ListState* named) const {
  if (named == nullptr) return nullptr;
  const ListState& st = *named;
  const std::string& agent = std::get<std::vector<InventoryList>>(m.blocks)[i].head.agentCode;
  // A decided list keeps no declaration; its record names the agent.
  const std::string declared_by = st.list ? st.list->head.agentCode : RecordOf(st).agent_code;
  return agent == declared_by ? nullptr : &agent;
}

std::string Engine::PaymentOfOrderElsewhere(const Message& m, size_t i, const std::string& key,
                                            const std::string& app_type) const {
  if (!clearance_ || m.type != MessageType::kPayment || app_type == "3") return {};
  // A duplicate (appType 1) or an unknown payment (2) gets its own refusal.
  if (docs_[KeySpace(m.type)].count(key) != (app_type == "2" ? 1u : 0u)) return {};
  const PaymentHead& h = std::get<std::vector<Payment>>(m.blocks)[i].head;
  auto it = payments_.find(KeyText(h.ebpCode, h.orderNo));
  if (it == payments_.end()) return {};
  const clearance::PaymentFacts& f = it->second;
  std::string other =
      KeyOf(f[clearance::PaymentFacts::kPayCode], f[clearance::PaymentFacts::kPayTransactionId]);
  return other == key ? std::string() : other;
}

int Engine::InUseCode(MessageType type) {
  // Table 7-2 of the specification.
  return type == MessageType::kOrder ? -301011 : type == MessageType::kPayment ? -401008 : -504016;
}

std::string PreNo::str() const {
  if (empty()) return {};
  std::string out(18, '0');
  out[0] = 'B';
  uint64_t day = day_;
  for (size_t i = 9; i-- > 1; day /= 10) out[i] = static_cast<char>('0' + day % 10);
  uint64_t serial = serial_;
  for (size_t i = 18; i-- > 9; serial /= 10) out[i] = static_cast<char>('0' + serial % 10);
  return out;
}

bool PreNo::Parse(std::string_view text, PreNo* out) {
  if (text.empty()) {
    *out = {};
    return true;
  }
  if (text.size() != 18 || text[0] != 'B') return false;
  uint64_t day = 0, serial = 0;
  for (size_t i = 1; i < 18; ++i) {
    if (text[i] < '0' || text[i] > '9') return false;
    (i < 9 ? day : serial) = (i < 9 ? day : serial) * 10 + static_cast<uint64_t>(text[i] - '0');
  }
  if (day == 0) return false;
  *out = PreNo(static_cast<uint32_t>(day), static_cast<uint32_t>(serial));
  return true;
}

namespace {
// -621012 for a change or delete (appType 2, 3) of a list customs has
// decided: the specification's text, then what the agent can still do.
std::string NotChangeableText(const std::string& invt_no, clearance::ListPhase phase) {
  const char* why = "已审结";
  switch (phase) {
    case clearance::ListPhase::kReleased:
      why = "已放行：可在规定期限内申请撤单或退货";
      break;
    case clearance::ListPhase::kManualReview:
      why = "海关人工审核中：可申请撤单";
      break;
    case clearance::ListPhase::kInspection:
      why = "海关查验中：可申请撤单";
      break;
    case clearance::ListPhase::kHeld:
      why = "已入库，待账册库存补足后放行：可申请撤单";
      break;
    case clearance::ListPhase::kRejected:
      why = "海关已审结退单，不能再改单或删除";
      break;
    case clearance::ListPhase::kCancelled:
      why = "已撤单";
      break;
    case clearance::ListPhase::kReturned:
      why = "已退货";
      break;
    case clearance::ListPhase::kWaiting:
      break;  // never: a waiting list may be changed
  }
  return "清单[" + invt_no + "]的申报状态不符合改单申报的条件（" + why + "）";
}
}  // namespace

PreNo Engine::NextPreNo(std::string_view return_time) {
  // The date is the CST day of the returnTime text already made; the serial
  // restarts each day.
  if (return_time.compare(0, 8, pre_no_day_) != 0) {
    pre_no_day_.assign(return_time.substr(0, 8));
    pre_no_serial_ = 0;
  }
  uint32_t day = 0;
  for (char c : return_time.substr(0, 8)) day = day * 10 + static_cast<uint32_t>(c - '0');
  return PreNo(day, static_cast<uint32_t>(++pre_no_serial_ % 1'000'000'000ULL));
}

size_t Engine::DocumentCount() const {
  size_t n = 0;
  for (const auto& m : docs_) n += m.size();
  return n;
}

Outcome Engine::Apply(uint64_t seq, UnixMillis time, const Message& m) {
  Outcome out;
  out.cop_code = m.transfer.copCode;
  // Every message of a group commit has the same time: formatted once.
  if (time != return_time_of_ || return_time_.empty()) {
    return_time_ = FormatReturnTime(time);
    return_time_of_ = time;
  }
  const std::string& return_time = return_time_;
  out.receipt = ceb::NewReceiptFor(m, SerialGuid(GuidSequence::kReceipt, seq));
  auto& space = docs_[KeySpace(m.type)];
  const size_t n = m.BlockCount();
  for (size_t i = 0; i < n; ++i) {
    PrefetchBlock(m, i + 1);
    std::string key = ceb::BlockKey(m, i);
    const std::string& app_type = AppTypeOf(m, i);
    const std::string& guid = GuidOf(m, i);
    int status = return_status::kDeclaring;
    DocState* doc = nullptr;  // the key's state once accepted (no map insert follows)
    std::string info;
    bool removed = false;
    // The list a change or delete (appType 2, 3) names, if known: its own
    // agent's answer carries its numbers (invtNo, preNo).
    const ListState* named_list = nullptr;
    if (clearance_ && m.type == MessageType::kInventoryList && app_type != "1") {
      if (auto it = lists_.find(key); it != lists_.end()) named_list = &it->second;
    }
    std::string numbered_invt_no;
    PreNo numbered_pre_no;
    if (const std::string* agent = OtherAgentsList(m, i, named_list)) {
      // A change or delete of a list comes from the agent that declared it:
      // another would take over its receipts and tax bill. Checked first, so
      // that nothing of the list's state reaches another agent.
      status = -621016;
      info = "申报企业[" + *agent + "]没有权限进行操作（清单[" + key + "]不是其申报的清单）";
    } else if (named_list != nullptr && !named_list->waiting && !named_list->correctable) {
      // A list customs has decided can be neither changed nor deleted (a 623
      // cancellation or a 625 return is the way then): refused, nothing
      // changes. A list the rules refused may be corrected (correctable).
      status = -621012;
      info = NotChangeableText(named_list->invt_no, named_list->phase);
      numbered_invt_no = named_list->invt_no;
      numbered_pre_no = ListPreNo(key);
    } else if (const char* in_use = app_type != "1" ? UsedByDecidedList(m.type, key) : nullptr) {
      // Likewise an order, payment or waybill a decided list was matched
      // with: changing it now would change nothing customs decided on.
      status = InUseCode(m.type);
      info = std::string(in_use) + "[" + key + "]";
    } else if (std::string other = PaymentOfOrderElsewhere(m, i, key, app_type); !other.empty()) {
      // One payment per order: a second one (another payment company or
      // transaction) for an order still waiting would replace the first in
      // the match, and leave the first linked to nothing.
      status = -401003;
      info = Bracketed("订单", KeyOf(std::get<std::vector<Payment>>(m.blocks)[i].head.ebpCode,
                                     std::get<std::vector<Payment>>(m.blocks)[i].head.orderNo)) +
             Bracketed("对应多条支付凭证，已有支付单", other);
    } else if (app_type == "1") {
      auto [at, inserted] = space.try_emplace(key);
      if (!inserted) {
        status = ceb::CodesFor(m.type).duplicate;
        info = DuplicateText(m.type, key);
      } else {
        doc = &at->second;
        doc->seq = seq;
        // The e-port numbers the documents it forwards to customs (preNo).
        if (m.type == MessageType::kInventoryList || m.type == MessageType::kCancellation ||
            m.type == MessageType::kReturn) {
          doc->pre_no = NextPreNo(return_time);
        }
        info = Bracketed("新增申报成功", guid);
      }
    } else if (auto it = space.find(key); it == space.end()) {
      const ceb::RefusalCodes codes = ceb::CodesFor(m.type);
      status = codes.not_found;
      info = m.type == MessageType::kInventoryList
                 ? std::string(codes.not_found_text) + "[" + key + "]，无法进行" +
                       (app_type == "2" ? "改单" : "删除") + "操作"
                 : std::string(codes.not_found_text) + "[" + key + "]";
    } else if (app_type == "2") {
      doc = &it->second;
      doc->seq = seq;
      info = Bracketed("变更申报成功", guid);
    } else {
      // The answer to a deleted list names it (its numbers go with it).
      numbered_pre_no = it->second.pre_no;
      if (named_list != nullptr) numbered_invt_no = named_list->invt_no;
      space.erase(it);
      removed = true;
      info = Bracketed("删除申报成功", guid);
    }
    ceb::AddReturn(m, i, status, info, return_time, &out.receipt);
    if (!numbered_invt_no.empty()) {
      InventoryReturn& r = std::get<std::vector<InventoryReturn>>(out.receipt.blocks).back();
      r.invtNo = numbered_invt_no;
      if (!numbered_pre_no.empty()) r.preNo = numbered_pre_no.str();
    }
    // Decisions this block triggers (a list released, a cancellation
    // concluded) are recorded after the block's own row.
    const size_t mark = out.changes.size();
    if (status > 0) {
      ++out.accepted;
      // The customs list number is assigned on arrival; the agent learns it
      // here (and needs it for a cancellation or return).
      const std::string* invt_no = OnAccepted(m, i, key, removed, time, &out, doc);
      if (invt_no != nullptr) {
        std::get<std::vector<InventoryReturn>>(out.receipt.blocks).back().invtNo = *invt_no;
      }
      if (!removed) {
        const PreNo pre_no = doc->pre_no;
        std::visit(
            [&](auto& blocks) {
              if constexpr (requires { blocks.back().preNo; }) {
                if (!pre_no.empty()) blocks.back().preNo = pre_no.str();
              }
            },
            out.receipt.blocks);
      }
      if (out.changes.size() > mark && out.changes[mark].status_only &&
          out.changes[mark].type == m.type && out.changes[mark].key == key) {
        // A list decided as it arrives: its row is written once, as it ends
        // up (the decision's status and text), instead of written and then
        // overwritten in the same batch (two read-model statements fewer).
        DocumentChange& decided = out.changes[mark];
        decided.status_only = false;
        decided.block = i;
        if (invt_no != nullptr) decided.invt_no = *invt_no;
        continue;
      }
      DocumentChange change;
      change.type = m.type;
      change.key = std::move(key);
      change.block = i;
      change.status = status;
      change.info = std::move(info);
      change.removed = removed;
      if (invt_no != nullptr) change.invt_no = *invt_no;
      if (removed) change.invt_no = std::move(numbered_invt_no);  // its index entry goes
      out.changes.insert(out.changes.begin() + static_cast<long>(mark), std::move(change));
    } else {
      ++out.refused;
    }
  }
  return out;
}

void Engine::PrefetchBlock(const Message& m, size_t i) const {
  if (i >= m.BlockCount()) return;
  const auto& space = docs_[KeySpace(m.type)];
  switch (m.type) {
    case MessageType::kOrder: {
      const auto& h = std::get<std::vector<Order>>(m.blocks)[i].head;
      const KeyText k(h.ebpCode, h.orderNo);
      space.Prefetch(k);
      if (clearance_) {
        orders_.Prefetch(k);
        lists_.Prefetch(k);
      }
      break;
    }
    case MessageType::kPayment: {
      const auto& h = std::get<std::vector<Payment>>(m.blocks)[i].head;
      const KeyText own(h.payCode, h.payTransactionId);
      space.Prefetch(own);
      if (clearance_) {
        payment_link_.Prefetch(own);
        const KeyText k(h.ebpCode, h.orderNo);
        payments_.Prefetch(k);
        lists_.Prefetch(k);
      }
      break;
    }
    case MessageType::kWaybill: {
      const auto& h = std::get<std::vector<Waybill>>(m.blocks)[i].head;
      const KeyText k(h.logisticsCode, h.logisticsNo);
      space.Prefetch(k);
      if (clearance_) {
        waybills_.Prefetch(k);
        list_by_waybill_.Prefetch(k);
      }
      break;
    }
    case MessageType::kInventoryList: {
      const auto& h = std::get<std::vector<InventoryList>>(m.blocks)[i].head;
      const KeyText k(h.ebpCode, h.orderNo);
      space.Prefetch(k);
      if (clearance_) {
        lists_.Prefetch(k);
        orders_.Prefetch(k);
        payments_.Prefetch(k);
        waybills_.Prefetch(KeyText(h.logisticsCode, h.logisticsNo));
        quota_.Prefetch(h.buyerIdNumber);
      }
      break;
    }
    default:
      break;  // rarer messages: no hint
  }
}

Outcome Engine::Tick(uint64_t seq, UnixMillis time) {
  Outcome out;
  (void)seq;
  while (!deadlines_.empty() && deadlines_.begin()->first <= time) {
    std::string key = deadlines_.begin()->second;
    deadlines_.erase(deadlines_.begin());
    deadline_of_.erase(key);
    TryDecide(key, time, &out);
  }
  return out;
}

UnixMillis Engine::NextDeadline() const {
  return deadlines_.empty() ? 0 : deadlines_.begin()->first;
}

}  // namespace ftz::engine
