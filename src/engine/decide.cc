// The engine's inventory lists (engine.h): a list matched with its order,
// payment and waybill and decided (TryDecide), what a decision changes
// (quota, bonded stock, the kept record, the documents it no longer needs)
// and the receipts it sends (CEB622, CEB816); lists held for stock.
#include "engine/engine.h"

#include <algorithm>
#include <string>

#include "core/guid.h"
#include "engine/internal/key_text.h"
#include "engine/internal/list_record.h"

namespace ftz::engine {

using internal::Bracketed;
using internal::KeyOf;
using internal::KeyText;

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
  // (No invt_no: the list's declaration carried it, and the read model
  // indexed it then.)
  out->changes.push_back(DocumentChange::StatusOnly(MessageType::kInventoryList, list_key,
                                                    d.return_status, d.return_info));
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

}  // namespace ftz::engine
