// The engine's answers to a cancellation (623) or a return (625) of a
// declared list (engine.h), under the rules in force at the time.
#include "engine/engine.h"

#include <string>

#include "core/guid.h"

namespace ftz::engine {

namespace {

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
  changes->push_back(
      DocumentChange::StatusOnly(app.type, *app.key, d.return_status, d.return_info));
  if (known && d.outcome != clearance::Outcome::kRejected) {
    changes->push_back(DocumentChange::StatusOnly(MessageType::kInventoryList, list_key,
                                                  d.return_status, d.return_info));
  }
}

}  // namespace

const clearance::Rules* Engine::RulesForAnswer(UnixMillis time) const {
  if (const clearance::Rules* now = book_.InForceAt(time)) return now;
  // Before the first version takes effect every list waits for it; a
  // cancellation or return is still answered, under that version (the one
  // that will decide those lists), never left without a receipt.
  const UnixMillis first = book_.NextEffectiveAfter(time);
  return first == 0 ? nullptr : book_.InForceAt(first);
}

Engine::NamedList Engine::ListNamed(const std::string& invt_no) {
  NamedList named;
  auto key = list_by_invt_.find(invt_no);
  if (key == list_by_invt_.end()) return named;
  auto found = lists_.find(key->second);
  if (found == lists_.end()) return named;
  named.st = &found->second;
  named.key = key->second.str();
  // A list still waiting has no decision record yet: one is made of its
  // declaration; a decided list's kept record is read back.
  named.record = RecordOf(found->second);
  return named;
}

void Engine::OnCancellation(const Cancellation& c, const Application& app, const std::string& cop,
                            UnixMillis time, Outcome* out) {
  const clearance::Rules* rules = RulesForAnswer(time);
  if (rules == nullptr) return;  // an empty book: clearance has nothing to apply
  NamedList named = ListNamed(c.head.invtNo);
  ListState* st = named.st;
  const std::string& list_key = named.key;
  clearance::Decision d = clearance::DecideCancellation(c, named.record_or_null(), *rules, time);
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
  // A list still waiting is known too: the rule core refuses its return as
  // not released (-625004), not as a list it has never seen (-625016).
  NamedList named = ListNamed(r.head.invtNo);
  ListState* st = named.st;
  const std::string& list_key = named.key;
  clearance::Decision d = clearance::DecideReturn(r, named.record_or_null(), *rules, time);
  if (d.outcome != clearance::Outcome::kRejected) {
    ApplyEffects(d, "return of", r.head.invtNo, out);
    if (st != nullptr) KeepRecord(st, d.record);
  }
  ConcludeOnList(r, app, d, clearance::MakeReturnReceipt, MessageType::kReturnReceipt, cop,
                 list_key, st != nullptr, &out->emitted, &out->changes, &emitted_serial_);
  // The bill reduced (or voided) by what was returned.
  if (st != nullptr) EmitTaxBill(*st, d, out);
  // Bonded stock put back may release lists held for it.
  if (d.outcome != clearance::Outcome::kRejected && !d.stock.empty()) {
    ReleaseHeld(d.record.ems_no, time, out);
  }
}

}  // namespace ftz::engine
