// Operators' commands the engine applies from the log (kAdmin records,
// engine.h): goods-in and write-offs of bonded stock, rules versions, an
// officer's conclusion on a list under review or inspection.
#include "engine/engine.h"

#include <string>

namespace ftz::engine {

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

}  // namespace ftz::engine
