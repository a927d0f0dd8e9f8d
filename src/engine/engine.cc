#include "engine/engine.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "ceb/ceb.h"
#include "core/guid.h"
#include "engine/internal/list_record.h"

namespace ftz::engine {
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

// "text[value]" in one allocation ("a" + b + "]" makes two: the first
// result is sized exactly, and the "]" grows it).
std::string Bracketed(std::string_view text, std::string_view value) {
  std::string out;
  out.reserve(text.size() + value.size() + 2);
  out.append(text).append("[").append(value).append("]");
  return out;
}

const std::string& GuidOf(const Message& m, size_t i) {
  return std::visit(
      [i](const auto& blocks) -> const std::string& { return HeadOf(blocks[i]).guid; }, m.blocks);
}

// A two-part business key as ceb::BlockKey spells it: "code/number"
// (logisticsCode/logisticsNo, ebpCode/orderNo, payCode/payTransactionId).
std::string KeyOf(std::string_view code, std::string_view no) {
  std::string key;
  key.reserve(code.size() + 1 + no.size());
  key.append(code).append(1, '/').append(no);
  return key;
}

// The same key for a lookup, built on the stack: the maps find by
// string_view, and a temporary string was an allocation per lookup. (CEB
// codes are at most 18 characters and numbers 60, so a key fits; a longer
// one goes to the heap.) Holds its text, so it is neither copied nor moved.
class KeyText {
 public:
  KeyText(std::string_view code, std::string_view no) {
    const size_t n = code.size() + 1 + no.size();
    char* p = buf_;
    if (n > sizeof buf_) {
      heap_.resize(n);
      p = heap_.data();
    }
    std::memcpy(p, code.data(), code.size());
    p[code.size()] = '/';
    std::memcpy(p + code.size() + 1, no.data(), no.size());
    view_ = std::string_view(p, n);
  }
  KeyText(const KeyText&) = delete;
  KeyText& operator=(const KeyText&) = delete;
  operator std::string_view() const { return view_; }

 private:
  char buf_[96];
  std::string heap_;
  std::string_view view_;
};

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

clearance::ListRecord Engine::RecordOf(const ListState& st) {
  // No decision record yet: one is made of the declaration.
  if (st.waiting) return clearance::RecordOfDeclaration(*st.list, st.invt_no, st.received_at);
  clearance::ListRecord r;
  // The bytes were made by KeepRecord on this state: failing to read them
  // back is a broken invariant, and no decision could be trusted after it.
  if (!st.record.empty() && !internal::DecodeListRecord(st.record, &r)) {
    std::fprintf(stderr, "ftzport: FATAL: list %s: its kept record does not decode\n",
                 st.invt_no.c_str());
    std::abort();
  }
  return r;
}

void Engine::KeepRecord(ListState* st, const clearance::ListRecord& record) {
  st->phase = record.phase;
  st->record = internal::EncodeListRecord(record);
}

const std::string* Engine::OnAccepted(const Message& m, size_t i, const std::string& key,
                                      bool removed, UnixMillis time, Outcome* out,
                                      const DocState* doc) {
  if (!clearance_) return nullptr;
  switch (m.type) {
    case MessageType::kOrder: {
      if (removed) {
        orders_.erase(key);
      } else {
        orders_[key] = clearance::OrderFacts::Of(std::get<std::vector<Order>>(m.blocks)[i]);
        TryDecide(key, time, out);
      }
      break;
    }
    case MessageType::kPayment: {
      const Payment& p = std::get<std::vector<Payment>>(m.blocks)[i];
      // A payment links to its order by platform and order number, while its
      // own key is payCode/payTransactionId: a change may move the link, so
      // the old one goes first.
      if (auto old = payment_link_.find(key); old != payment_link_.end()) {
        payments_.erase(old->second);
        payment_link_.erase(old);
      }
      if (!removed) {
        const std::string k = KeyOf(p.head.ebpCode, p.head.orderNo);
        payments_[k] = clearance::PaymentFacts::Of(p);
        payment_link_[key] = k;
        TryDecide(k, time, out);
      }
      break;
    }
    case MessageType::kWaybill: {
      if (removed) {
        waybills_.erase(key);
      } else {
        waybills_[key] = clearance::WaybillFacts::Of(std::get<std::vector<Waybill>>(m.blocks)[i]);
        if (auto it = list_by_waybill_.find(key); it != list_by_waybill_.end()) {
          // Every list waiting for it, in the order they named it (a copy:
          // each decision takes its list off the index).
          const std::vector<std::string> waiting = it->second;
          for (const std::string& list_key : waiting) TryDecide(list_key, time, out);
        }
      }
      break;
    }
    case MessageType::kInventoryList: {
      const InventoryList& l = std::get<std::vector<InventoryList>>(m.blocks)[i];
      if (removed) {
        auto it = lists_.find(key);
        // Only a list still waiting or one the rules refused reaches here
        // (Apply refuses to delete any other decided list). A refused one
        // waits for nothing; the documents it was matched with stay, for a
        // new list of the same order.
        if (it != lists_.end() && (it->second.waiting || it->second.correctable)) {
          const ListState& st = it->second;
          list_by_invt_.erase(st.invt_no);
          if (st.waiting) {
            StopWaitingForWaybill(st.list->head, key);
            if (auto dl = deadline_of_.find(key); dl != deadline_of_.end()) {
              deadlines_.erase(dl->second);
              deadline_of_.erase(dl);
            }
          }
          lists_.erase(it);
        }
        break;
      }
      auto [it, inserted] = lists_.try_emplace(key);
      ListState& st = it->second;
      if (!inserted && !st.waiting) {
        if (!st.correctable) return &st.invt_no;  // decided: a change comes too late
        // 改单 after 退单: the corrected list is declared again, keeping its
        // invtNo and preNo, and decided afresh — with a deadline of its own
        // from now, the documents kept since its refusal, and the quota its
        // refusal never counted.
        st.waiting = true;
        st.correctable = false;
        st.phase = clearance::ListPhase::kWaiting;
        st.record.clear();
        st.received_at = time;
      }
      st.agent_cop = m.transfer.copCode;
      st.assure_code = l.head.assureCode;
      if (st.received_at == 0) {
        st.received_at = time;
        st.invt_no = clearance::MakeInvtNo(l.head.customsCode, CstYear(time), ++invt_serial_);
        list_by_invt_.emplace(st.invt_no, key);
      }
      if (st.list) {
        // A change to a list still waiting (its waybill may be another now).
        StopWaitingForWaybill(st.list->head, key);
        *st.list = l;
        WaitForWaybill(l.head, key);
        TryDecide(key, st, time, out);
      } else {
        TryDecide(key, st, time, out, {&l, doc != nullptr ? doc->pre_no : PreNo()});
      }
      return &st.invt_no;
    }
    case MessageType::kCancellation:
      if (!removed) {
        OnCancellation(std::get<std::vector<Cancellation>>(m.blocks)[i],
                       {m.type, &key, doc != nullptr ? doc->pre_no : PreNo()}, m.transfer.copCode,
                       time, out);
      }
      break;
    case MessageType::kReturn:
      if (!removed) {
        OnReturn(std::get<std::vector<ReturnRequest>>(m.blocks)[i],
                 {m.type, &key, doc != nullptr ? doc->pre_no : PreNo()}, m.transfer.copCode, time,
                 out);
      }
      break;
    default:
      break;  // 513 and 711 are stored; no clearance rule acts on them yet
  }
  return nullptr;
}

void Engine::TryDecide(const std::string& list_key, UnixMillis time, Outcome* out) {
  if (auto it = lists_.find(list_key); it != lists_.end())
    TryDecide(list_key, it->second, time, out);
}

void Engine::TryDecide(const std::string& list_key, ListState& st, UnixMillis time, Outcome* out,
                       Arrival arrival) {
  if (!st.waiting) return;
  const InventoryList& list = arrival.list != nullptr ? *arrival.list : *st.list;
  // A list that goes on waiting is kept (copied once, when it first waits),
  // and found again by its waybill when that arrives. One decided on
  // arrival never needs either.
  auto keep = [&] {
    if (st.list) return;
    st.list = std::make_unique<InventoryList>(list);
    WaitForWaybill(list.head, list_key);
  };
  const clearance::Rules* rules = book_.InForceAt(time);
  if (rules == nullptr) {
    keep();
    // No rules in force yet (a rules file effective from a later date): the
    // list waits, and a tick decides it when the first version takes effect.
    const UnixMillis from = book_.NextEffectiveAfter(time);
    if (from != 0 && !deadline_of_.count(list_key)) {
      deadline_of_[list_key] = deadlines_.emplace(from, list_key);
    }
    return;
  }
  const auto& h = list.head;
  clearance::ClearanceInput in;
  in.list = &list;
  const Matched found{orders_.find(list_key), payments_.find(list_key),
                      waybills_.find(KeyText(h.logisticsCode, h.logisticsNo))};
  in.order = found.order == orders_.end() ? nullptr : &found.order->second;
  in.payment = found.payment == payments_.end() ? nullptr : &found.payment->second;
  in.waybill = found.waybill == waybills_.end() ? nullptr : &found.waybill->second;
  in.received_at = st.received_at;
  in.invt_no = st.invt_no;
  clearance::Decision d = clearance::Decide(in, quota_, stock_, *rules, time);
  if (d.outcome == clearance::Outcome::kWaiting) {
    keep();
    const UnixMillis deadline = clearance::ListDeadline(st.received_at, *rules);
    // A deadline already past would tick forever; Decide refuses such a list.
    if (!deadline_of_.count(list_key) && deadline > time) {
      deadline_of_[list_key] = deadlines_.emplace(deadline, list_key);
    }
    return;
  }
  // Room for what a decision sends (120, the answer, the CEB816) and the
  // list's new state, so that growing the vectors moves no receipt. Grown
  // geometrically: a tick deciding thousands of lists into one Outcome would
  // otherwise move every receipt already there at each decision.
  auto room = [](auto& v, size_t n) {
    if (v.capacity() - v.size() < n) v.reserve(std::max(v.size() + n, 2 * v.capacity()));
  };
  room(out->emitted, 3);
  room(out->changes, 2);
  ApplyEffects(d, "list", list_key, out);
  // Only a list kept waiting (st.list set) can have a deadline; one decided
  // as it arrives never had one, and its lookup was a cache miss per list.
  if (st.list) {
    if (auto dl = deadline_of_.find(list_key); dl != deadline_of_.end()) {
      deadlines_.erase(dl->second);
      deadline_of_.erase(dl);
    }
  }
  st.waiting = false;
  // The e-port number the list was given on arrival.
  const std::string pre_no = (arrival.list != nullptr ? arrival.pre_no : ListPreNo(list_key)).str();
  // Each receipt is built where it stays, at the end of out->emitted.
  if (d.outcome != clearance::Outcome::kRejected) {
    // 120 入库 first: customs has taken the list in; the lane's answer follows.
    InventoryReturn& entered = New622(st, out);
    clearance::FillInventoryReturn(d, clearance::receipt::kEntered,
                                   Bracketed("[Code:2100;Desc:海关入库]", st.invt_no), &entered);
    if (!pre_no.empty()) entered.preNo = pre_no;
  }
  InventoryReturn& decided = New622(st, out);
  clearance::FillInventoryReturn(d, &decided);
  if (!pre_no.empty()) decided.preNo = pre_no;
  // A held list's own 120 says what it waits for (the stock short).
  if (d.outcome == clearance::Outcome::kHeld) {
    held_.emplace(++held_serial_, HeldList{list_key, d.record.ems_no});
  }
  KeepRecord(&st, d.record);
  EmitTaxBillAndState(st, d, list_key, out);
  if (d.outcome == clearance::Outcome::kRejected) {
    // Refused: the agent may correct and declare it again, and the order,
    // payment and waybill it was matched with stay to be matched again (or
    // corrected first). It no longer waits for its waybill.
    st.correctable = true;
    StopWaitingForWaybill(list.head, list_key);
    st.list.reset();  // last: `list` may be this very declaration
    return;
  }
  ForgetMatched(list_key, list.head, &st, found);
}

void Engine::WaitForWaybill(const InventoryHead& list, const std::string& list_key) {
  std::vector<std::string>& waiting =
      list_by_waybill_[KeyText(list.logisticsCode, list.logisticsNo)];
  if (std::find(waiting.begin(), waiting.end(), list_key) == waiting.end()) {
    waiting.push_back(list_key);
  }
}

bool Engine::StopWaitingForWaybill(const InventoryHead& list, const std::string& list_key) {
  auto w = list_by_waybill_.find(KeyText(list.logisticsCode, list.logisticsNo));
  if (w == list_by_waybill_.end()) return false;
  std::vector<std::string>& waiting = w->second;
  waiting.erase(std::remove(waiting.begin(), waiting.end(), list_key), waiting.end());
  if (!waiting.empty()) return true;
  list_by_waybill_.erase(w);
  return false;
}

void Engine::ForgetMatched(const std::string& list_key, const InventoryHead& list, ListState* st) {
  ForgetMatched(list_key, list, st,
                {orders_.find(list_key), payments_.find(list_key),
                 waybills_.find(KeyText(list.logisticsCode, list.logisticsNo))});
}

void Engine::ForgetMatched(const std::string& list_key, const InventoryHead& list, ListState* st,
                           Matched found) {
  // Only TryDecide reads the matched documents, and never again for a decided
  // list; without them the state (and each snapshot) keeps a decided list's
  // record alone.
  if (found.order != orders_.end()) orders_.erase(found.order);
  if (found.payment != payments_.end()) {
    const clearance::PaymentFacts& p = found.payment->second;
    payment_link_.erase(KeyText(p[clearance::PaymentFacts::kPayCode],
                                p[clearance::PaymentFacts::kPayTransactionId]));
    payments_.erase(found.payment);
  }
  // The waybill goes with the list unless another list still waiting for
  // it is registered under it, or it is another parcel's (its orderNo is
  // not this list's: the list was refused for naming it, and the parcel it
  // belongs to still needs it; a change to it would now be refused as used).
  const bool other_waits = StopWaitingForWaybill(list, list_key);
  if (found.waybill != waybills_.end() && !other_waits &&
      found.waybill->second[clearance::WaybillFacts::kOrderNo] == list.orderNo) {
    waybills_.erase(found.waybill);
  }
  st->list.reset();  // last: `list` may be this very declaration
}

void Engine::EmitTaxBill(const ListState& st, clearance::Decision& d, Outcome* out) {
  if (d.tax_bill() == nullptr) return;
  // The record was kept (encoded) already: the bill's strings move into the
  // receipt instead of being copied.
  clearance::TaxBill& bill = *d.record.tax_bill;
  ReceiptMessage tax;
  tax.type = MessageType::kTaxBill;
  tax.guid = SerialGuid(GuidSequence::kEmitted, ++emitted_serial_);
  // (Not a braced list: its elements are const, and would be copied again.)
  std::vector<TaxBillDoc> blocks(1);
  blocks[0].head = std::move(bill.head);
  blocks[0].head.guid = SerialGuid(GuidSequence::kEmittedBlock, emitted_serial_);
  blocks[0].items = std::move(bill.items);
  tax.blocks = std::move(blocks);
  // The tax bill goes to the enterprise that guarantees and withholds the tax.
  out->emitted.push_back({st.assure_code, std::move(tax)});
}

void Engine::EmitTaxBillAndState(const ListState& st, clearance::Decision& d,
                                 const std::string& list_key, Outcome* out) {
  EmitTaxBill(st, d, out);
  DocumentChange change;
  change.type = MessageType::kInventoryList;
  change.key = list_key;
  change.status = d.return_status;
  change.info = d.return_info;
  change.status_only = true;
  // (No invt_no: the list's declaration carried it, and the read model
  // indexed it then.)
  out->changes.push_back(std::move(change));
}

void Engine::ApplyEffects(const clearance::Decision& d, std::string_view what, std::string_view key,
                          Outcome* out) {
  // Decided on this very state, on this thread: applying cannot fail unless
  // an invariant is broken, and then nothing after it could be trusted.
  if (Status s = clearance::ApplyDecision(d, &quota_, &stock_); !s.ok()) {
    std::fprintf(stderr, "ftzport: FATAL: applying the decision on %.*s %.*s: %s\n",
                 static_cast<int>(what.size()), what.data(), static_cast<int>(key.size()),
                 key.data(), s.ToString().c_str());
    std::abort();
  }
  for (const clearance::QuotaDelta& q : d.quota) {
    if (q.kind != clearance::kMoneyCounter) continue;
    clearance::QuotaCounter now = quota_.Get(q.buyer_id, q.year);
    out->quota.push_back({q.buyer_id, q.year, now.amount, now.lists});
  }
  for (const bonded::StockMove& m : d.stock) {
    out->stock.push_back({m.ems_no, m.item_record_no, stock_.Stock(m.ems_no, m.item_record_no)});
  }
}

// A cancellation (623) or return (625) names its list by invtNo; the answer
// (624 / 626) goes to the sender, the application's and the list's new state
// to the read model.
template <class Doc, class MakeReturn>
void ConcludeOnList(const Doc& doc, const Engine::Application& app, const clearance::Decision& d,
                    MakeReturn make, MessageType receipt_type, const std::string& cop,
                    const std::string& list_key, bool known, std::vector<Emitted>* emitted,
                    std::vector<DocumentChange>* changes, uint64_t* serial) {
  ReceiptMessage m;
  m.type = receipt_type;
  m.guid = SerialGuid(GuidSequence::kEmitted, ++*serial);
  auto r = make(d);
  r.guid = SerialGuid(GuidSequence::kEmittedBlock, *serial);
  // The application's own e-port number, as its first receipt gave it (the
  // list's is the list's).
  r.preNo = !app.pre_no.empty() ? app.pre_no.str() : doc.head.preNo;
  using R = decltype(r);
  std::vector<R> blocks;
  blocks.push_back(std::move(r));
  m.blocks = std::move(blocks);
  emitted->push_back({cop, std::move(m)});
  // The application now stands as decided (first: an application decided as
  // it arrives then has its row written once, Engine::Apply).
  DocumentChange own;
  own.type = app.type;
  own.key = *app.key;
  own.status = d.return_status;
  own.info = d.return_info;
  own.status_only = true;
  changes->push_back(std::move(own));
  if (known && d.outcome != clearance::Outcome::kRejected) {
    DocumentChange change;
    change.type = MessageType::kInventoryList;
    change.key = list_key;
    change.status = d.return_status;
    change.info = d.return_info;
    change.status_only = true;
    changes->push_back(std::move(change));
  }
}

const clearance::Rules* Engine::RulesForAnswer(UnixMillis time) const {
  if (const clearance::Rules* now = book_.InForceAt(time)) return now;
  // Before the first version takes effect every list waits for it; a
  // cancellation or return is still answered, under that version (the one
  // that will decide those lists), never left without a receipt.
  const UnixMillis first = book_.NextEffectiveAfter(time);
  return first == 0 ? nullptr : book_.InForceAt(first);
}

void Engine::OnCancellation(const Cancellation& c, const Application& app, const std::string& cop,
                            UnixMillis time, Outcome* out) {
  const clearance::Rules* rules = RulesForAnswer(time);
  if (rules == nullptr) return;  // an empty book: clearance has nothing to apply
  auto key = list_by_invt_.find(c.head.invtNo);
  auto found = key == list_by_invt_.end() ? lists_.end() : lists_.find(key->second);
  ListState* st = found == lists_.end() ? nullptr : &found->second;
  const std::string list_key = st != nullptr ? key->second.str() : std::string();
  // A list still waiting has no decision record yet: one is made of its
  // declaration; a decided list's kept record is read back.
  clearance::ListRecord record;
  if (st != nullptr) record = RecordOf(*st);
  const clearance::ListRecord* rec = st != nullptr ? &record : nullptr;
  clearance::Decision d = clearance::DecideCancellation(c, rec, *rules, time);
  if (d.outcome != clearance::Outcome::kRejected) {
    ApplyEffects(d, "cancellation of", c.head.invtNo, out);
    if (st != nullptr) {
      if (st->phase == clearance::ListPhase::kHeld) {
        for (auto h = held_.begin(); h != held_.end(); ++h) {
          if (h->second.key == list_key) {
            held_.erase(h);
            break;
          }
        }
      }
      KeepRecord(st, d.record);
      if (st->waiting) {
        st->waiting = false;
        if (auto dl = deadline_of_.find(list_key); dl != deadline_of_.end()) {
          deadlines_.erase(dl->second);
          deadline_of_.erase(dl);
        }
        // Decided: like any decided list it keeps only its record.
        ForgetMatched(list_key, st->list->head, st);
      }
    }
  }
  ConcludeOnList(c, app, d, clearance::MakeCancellationReturn, MessageType::kCancellationReceipt,
                 cop, list_key, st != nullptr, &out->emitted, &out->changes, &emitted_serial_);
  // A released list's bill is voided with the cancellation.
  if (st != nullptr) EmitTaxBill(*st, d, out);
  // Bonded stock put back (a cancellation after release) may release lists
  // held for it.
  if (d.outcome != clearance::Outcome::kRejected && !d.stock.empty()) {
    ReleaseHeld(d.record.ems_no, time, out);
  }
}

void Engine::OnReturn(const ReturnRequest& r, const Application& app, const std::string& cop,
                      UnixMillis time, Outcome* out) {
  const clearance::Rules* rules = RulesForAnswer(time);
  if (rules == nullptr) return;  // an empty book: clearance has nothing to apply
  auto key = list_by_invt_.find(r.head.invtNo);
  auto found = key == list_by_invt_.end() ? lists_.end() : lists_.find(key->second);
  ListState* st = found == lists_.end() ? nullptr : &found->second;
  const std::string list_key = st != nullptr ? key->second.str() : std::string();
  // A list still waiting is known too: the rule core refuses its return as
  // not released (-625004), not as a list it has never seen (-625016).
  clearance::ListRecord record;
  if (st != nullptr) record = RecordOf(*st);
  const clearance::ListRecord* rec = st != nullptr ? &record : nullptr;
  clearance::Decision d = clearance::DecideReturn(r, rec, *rules, time);
  if (d.outcome != clearance::Outcome::kRejected) {
    ApplyEffects(d, "return of", r.head.invtNo, out);
    if (st != nullptr) KeepRecord(st, d.record);
  }
  ConcludeOnList(r, app, d, clearance::MakeReturnReceipt, MessageType::kReturnReceipt, cop,
                 list_key, rec != nullptr, &out->emitted, &out->changes, &emitted_serial_);
  // The bill reduced (or voided) by what was returned.
  if (st != nullptr) EmitTaxBill(*st, d, out);
  // Bonded stock put back may release lists held for it.
  if (d.outcome != clearance::Outcome::kRejected && !d.stock.empty()) {
    ReleaseHeld(d.record.ems_no, time, out);
  }
}

void Engine::FillLaterReturn(const clearance::Decision& d, std::string_view list_key,
                             InventoryReturn* r) const {
  clearance::FillInventoryReturn(d, r);
  if (const PreNo pre_no = ListPreNo(list_key); !pre_no.empty()) r->preNo = pre_no.str();
}

PreNo Engine::ListPreNo(std::string_view list_key) const {
  const auto& list_docs = docs_[KeySpace(MessageType::kInventoryList)];
  auto doc = list_docs.find(list_key);
  return doc == list_docs.end() ? PreNo() : doc->second.pre_no;
}

InventoryReturn& Engine::New622(const ListState& st, Outcome* out) {
  Emitted& e = out->emitted.emplace_back();
  e.cop_code = st.agent_cop;
  e.receipt.type = MessageType::kInventoryListReceipt;
  e.receipt.guid = SerialGuid(GuidSequence::kEmitted, ++emitted_serial_);
  InventoryReturn& block = e.receipt.blocks.emplace<std::vector<InventoryReturn>>(1)[0];
  block.guid = SerialGuid(GuidSequence::kEmittedBlock, emitted_serial_);
  return block;
}

Result<Outcome> Engine::ApplyAdmin(uint64_t seq, UnixMillis time, const AdminRecord& a) {
  if (!clearance_) return Status::FailedPrecondition("clearance is off");
  if (a.kind == AdminRecord::kConclude) return ConcludeByOfficer(time, a);
  if (a.kind == AdminRecord::kRules) return AddRules(time, a);
  if (a.kind == AdminRecord::kStartRules) return SetStartRules(a);
  return ApplyStockCommand(seq, time, a);
}

Result<Outcome> Engine::ApplyStockCommand(uint64_t seq, UnixMillis time, const AdminRecord& a) {
  Outcome out;
  const bool write_off = a.kind == AdminRecord::kWriteOff;
  const char* nothing = write_off ? "; nothing written off" : "; nothing loaded";
  if (!a.entry_no.empty()) {
    if (auto it = goods_in_.find(a.entry_no); it != goods_in_.end()) {
      // Kept with a negative quantity when it was a write-off: the two share
      // the warehouse's document numbers.
      const GoodsInEntry& g = it->second;
      const bool was_write_off = g.qty.units() < 0;
      const Decimal qty = was_write_off ? -g.qty : g.qty;
      const bool same = was_write_off == write_off && g.ems_no == a.ems_no &&
                        g.item_record_no == a.item_record_no && qty == a.qty;
      return Status::AlreadyExists(
          std::string(was_write_off ? "write-off entryNo " : "goods-in entryNo ") + a.entry_no +
          (was_write_off ? " was applied" : " was loaded") + " already at log index " +
          std::to_string(g.seq) +
          (same ? "" : " (" + g.ems_no + " " + g.item_record_no + " qty " + qty.ToString() + ")") +
          nothing);
    }
  }
  if (write_off) {
    if (a.qty.units() <= 0 || a.note.empty()) {
      return Status::InvalidArgument("a write-off takes a positive quantity and a reason");
    }
    if (!stock_.Loaded(a.ems_no, a.item_record_no)) {
      return Status::NotFound("bonded account " + a.ems_no + " has no line " + a.item_record_no +
                              " (no goods-in ever loaded it)" + nothing);
    }
    const bonded::StockMove move{a.ems_no, a.item_record_no, -a.qty};
    if (!stock_.CheckMoves({&move, 1}).ok()) {
      return Status::FailedPrecondition(
          "write-off of " + a.qty.ToString() + " exceeds the stock on hand of " + a.ems_no + " " +
          a.item_record_no + ", " + stock_.Stock(a.ems_no, a.item_record_no).ToString() + nothing);
    }
    FTZ_RETURN_IF_ERROR(stock_.Apply({&move, 1}));
  } else {
    FTZ_RETURN_IF_ERROR(stock_.GoodsIn(a.ems_no, a.item_record_no, a.qty));
  }
  if (!a.entry_no.empty()) {
    goods_in_.emplace(a.entry_no,
                      GoodsInEntry{a.ems_no, a.item_record_no, write_off ? -a.qty : a.qty, seq});
  }
  out.stock.push_back({a.ems_no, a.item_record_no, stock_.Stock(a.ems_no, a.item_record_no)});
  // Stock taken off releases nothing.
  if (!write_off) ReleaseHeld(a.ems_no, time, &out);
  return out;
}

void Engine::ReleaseHeld(std::string_view ems_no, UnixMillis time, Outcome* out) {
  const clearance::Rules* rules = book_.InForceAt(time);
  if (rules == nullptr) return;
  // Lists held for stock of this account, oldest first; one that still
  // cannot go stays held, and a later one the stock covers goes.
  for (auto it = held_.begin(); it != held_.end();) {
    ListState& st = lists_.at(it->second.key);
    if (it->second.ems_no != ems_no || st.phase != clearance::ListPhase::kHeld) {
      ++it;
      continue;
    }
    clearance::Decision d =
        clearance::Conclude(RecordOf(st), /*release=*/true, "", stock_, *rules, time);
    if (d.outcome == clearance::Outcome::kHeld || d.return_status == 0) {
      ++it;
      continue;
    }
    ApplyEffects(d, "held list", it->second.key, out);
    FillLaterReturn(d, it->second.key, &New622(st, out));
    KeepRecord(&st, d.record);
    EmitTaxBillAndState(st, d, it->second.key, out);
    it = held_.erase(it);
  }
}

Result<Outcome> Engine::AddRules(UnixMillis time, const AdminRecord& a) {
  auto parsed = clearance::ParseRules(a.rules_toml, "rules");
  if (!parsed.ok()) return parsed.status();
  const clearance::Rules* now = book_.InForceAt(time);
  if (now != nullptr && parsed->effective_from < now->effective_from) {
    // It would never be the version in force: refuse rather than keep a
    // version that silently does nothing.
    return Status::FailedPrecondition(
        "rules " + parsed->version + " take effect " + FormatDateTime14(parsed->effective_from) +
        ", before " + now->version + " now in force (from " +
        FormatDateTime14(now->effective_from) + "): they would never apply");
  }
  FTZ_RETURN_IF_ERROR(book_.Add(std::move(*parsed)));
  added_rules_.push_back(a.rules_toml);
  return Outcome();
}

Result<Outcome> Engine::SetStartRules(const AdminRecord& a) {
  auto parsed = clearance::ParseRules(a.rules_toml, "rules");
  if (!parsed.ok()) return parsed.status();
  clearance::RuleBook base;
  FTZ_RETURN_IF_ERROR(base.Add(std::move(*parsed)));
  const std::string base_version = base.At(0).version;
  clearance::RuleBook book = base;
  std::vector<std::string> added_rules;
  for (const std::string& toml : added_rules_) {
    auto added = clearance::ParseRules(toml, "rules");
    if (!added.ok()) return added.status();
    if (added->version == base_version) {
      // A version added at run time, made the start file: it is the base now.
      if (toml == a.rules_toml) continue;
      return Status::FailedPrecondition("rules version " + base_version +
                                        " in the start file differs from the version " +
                                        base_version + " added at run time: give it a new name");
    }
    FTZ_RETURN_IF_ERROR(book.Add(std::move(*added)));
    added_rules.push_back(toml);
  }
  base_book_ = std::move(base);
  book_ = std::move(book);
  added_rules_ = std::move(added_rules);
  start_rules_toml_ = a.rules_toml;
  return Outcome();
}

Result<Outcome> Engine::ConcludeByOfficer(UnixMillis time, const AdminRecord& a) {
  auto key = list_by_invt_.find(a.invt_no);
  if (key == list_by_invt_.end()) {
    return Status::NotFound("no inventory list with invtNo " + a.invt_no);
  }
  ListState& st = lists_.at(key->second);
  const clearance::ListPhase phase = st.phase;
  if (st.waiting || (phase != clearance::ListPhase::kManualReview &&
                     phase != clearance::ListPhase::kInspection)) {
    return Status::FailedPrecondition(
        "list " + a.invt_no + " is " +
        std::string(st.waiting ? "waiting for its documents"
                               : std::string(clearance::ListPhaseName(phase))) +
        ": an officer concludes only lists under manual review (300) or inspection (500)");
  }
  const clearance::Rules* rules = book_.InForceAt(time);
  if (rules == nullptr) return Status::FailedPrecondition("no clearance rules in force");
  clearance::Decision d =
      clearance::Conclude(RecordOf(st), a.release, a.note, stock_, *rules, time);
  if (d.return_status == 0) {
    return Status::FailedPrecondition("list " + a.invt_no + " cannot be concluded: " + d.detail);
  }
  Outcome out;
  ApplyEffects(d, "the officer's conclusion of list", key->second, &out);
  FillLaterReturn(d, key->second.view(), &New622(st, &out));
  // Released by the officer but short of bonded stock: held like a list
  // decided so on arrival, so that goods-in releases it.
  if (d.outcome == clearance::Outcome::kHeld) {
    held_.emplace(++held_serial_, HeldList{key->second.str(), d.record.ems_no});
  }
  KeepRecord(&st, d.record);
  EmitTaxBillAndState(st, d, key->second.str(), &out);
  return out;
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
