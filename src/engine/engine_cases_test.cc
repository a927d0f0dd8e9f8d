// The clearance case files (src/clearance/testdata/*.case) through the real
// engine: a differential check of engine::Engine against the rule core.
//
// The story is played once by the core run (clearance/testing/case_file.h),
// which calls the pure rule functions itself; an observer replays every
// event, as it happens, into one Engine constructed with the case's rules:
// each document one message with one block (appType 1, BaseTransfer copCode
// the sender), `stock` an admin goods-in, `conclude` an officer's conclusion
// naming the invtNo the engine assigned, a mid-case `rules` an admin rules
// record, and clock moves the node's ticks (every deadline due, at its time).
// For each command the receipts the engine emits (Outcome.emitted) must be,
// in order, those the core run's decisions give, addressed as the engine
// addresses them; at the end the buyers' quota counters must agree.
//
// Where the engine cannot play the story as the core run tells it, the part
// it cannot play is left out of the comparison (printed "[ left out ]",
// naming the command and why) and everything else is still compared. What
// each case file may leave out is listed in kMayLeaveOut: anything more, or
// less, fails.
#include <gtest/gtest.h>

#include <toml++/toml.h>
#include <climits>
#include <cstdio>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "ceb/ceb.h"
#include "clearance/testing/case_file.h"
#include "core/buyer_id.h"
#include "engine/engine.h"

namespace ftz::engine {
namespace {

using clearance::ListPhase;
using clearance::testing::CaseObserver;
using clearance::testing::CaseRules;
using clearance::testing::CaseRun;
using clearance::testing::PurchaseState;

// One receipt of a stream, as compared.
struct Entry {
  int line = 0;          // the case file's command that caused it
  std::string purchase;  // the list it is about ("" if none is known)
  MessageType type = MessageType::kInventoryListReceipt;
  int status = 0;    // returnStatus (0 for a tax bill)
  std::string text;  // canonical form: addressee + the receipt as JSON
};

std::string OneLine(std::string s) {
  for (char& c : s) {
    if (c == '\n') c = ' ';
  }
  return s;
}

// The receipt as compared: the message's and its block's guid left out (the
// engine numbers what it sends, the core run has none; BlockGuids checks
// them apart). preNo is left out too and checked apart (see PreNoOf): it is
// the e-port number the engine assigns on intake, which the rule core never
// sees.
std::string Canonical(const std::string& to, ReceiptMessage r) {
  r.guid.clear();
  std::visit(
      [](auto& blocks) {
        for (auto& b : blocks) {
          if constexpr (requires { b.preNo; }) b.preNo.clear();
          if constexpr (requires { b.guid; }) b.guid.clear();
          if constexpr (requires { b.head.guid; }) b.head.guid.clear();
        }
      },
      r.blocks);
  return "to=" + to + " " + OneLine(ceb::EncodeReceiptJson(r));
}

template <class Block>
ReceiptMessage Wrap(MessageType type, Block b) {
  ReceiptMessage m;
  m.type = type;
  m.blocks = std::vector<Block>{std::move(b)};
  return m;
}

std::string InvtNoOf(const ReceiptMessage& r) {
  return std::visit(
      [](const auto& blocks) -> std::string {
        if (blocks.empty()) return "";
        if constexpr (requires { blocks.front().invtNo; }) {
          return blocks.front().invtNo;
        } else if constexpr (requires { blocks.front().head.invtNo; }) {
          return blocks.front().head.invtNo;
        } else {
          return "";
        }
      },
      r.blocks);
}

std::string PreNoOf(const ReceiptMessage& r) {
  return std::visit(
      [](const auto& blocks) -> std::string {
        if constexpr (requires { blocks.front().preNo; }) {
          return blocks.empty() ? "" : blocks.front().preNo;
        } else {
          return "";
        }
      },
      r.blocks);
}

int StatusOf(const ReceiptMessage& r) {
  if (r.type == MessageType::kTaxBill || r.BlockCount() == 0) return 0;
  return ceb::ViewReturn(r, 0).status;
}

// The observer that plays the story into an Engine and records both streams.
class EngineRun : public CaseObserver {
 public:
  explicit EngineRun(std::string file) : file_(std::move(file)) {}
  void Attach(const CaseRun* core) { core_ = core; }

  // --- the story ------------------------------------------------------------

  void OnRules(int line, const CaseRules& r) override {
    if (stopped_at_) return;
    if (!engine_) {
      // Nothing has happened yet: the engine starts with these rules.
      book_ = clearance::RuleBook();
      Status st = book_.Add(r.rules);
      if (!st.ok()) Fail(line, "RuleBook::Add: " + st.ToString());
      return;
    }
    // A rules change mid-story: the operator's rules record (admin kind 3).
    if (r.uses_tables) {
      return Stop(line,
                  "`rules` with [tables]: CSV tables are read beside the TOML, and the admin "
                  "rules record carries the TOML alone");
    }
    const std::string day = FormatDateTime14(now_).substr(0, 8);
    if (const clearance::Rules* in_force = engine_->rules()->InForceAt(now_);
        in_force && in_force->effective_from != clearance::kBeginningOfTime &&
        FormatDateTime14(in_force->effective_from).substr(0, 8) == day) {
      return Stop(line, "a second `rules` change on one day: versions take effect at midnight");
    }
    // A version takes effect at a CST midnight, and the book refuses a
    // version name twice: the new version is effective from today (every
    // decision from now on uses it, as in the core run) under a name of its
    // own. Lanes draw on the version too, so a random draw after such a
    // change would differ for that reason alone: the case files that change
    // rules mid-story take random selection out (+norandom).
    toml::table t;
    try {
      t = toml::parse(r.toml);
    } catch (const toml::parse_error& e) {
      return Fail(line, std::string("toml: ") + std::string(e.description()));
    }
    t.insert_or_assign("version", r.rules.version + "+line" + std::to_string(line));
    t.insert_or_assign("effective_from",
                       day.substr(0, 4) + "-" + day.substr(4, 2) + "-" + day.substr(6, 2));
    std::ostringstream toml_text;
    toml_text << t;
    AdminRecord a;
    a.kind = AdminRecord::kRules;
    a.operator_id = "case";
    a.rules_toml = toml_text.str();
    Result<Outcome> out = engine_->ApplyAdmin(++seq_, now_, a);
    if (!out.ok()) return Fail(line, "the engine refused the rules: " + out.status().ToString());
    Collect(line, "", *out);
  }

  void OnClock(int line, UnixMillis to) override {
    if (stopped_at_) return;
    Engine& e = E();
    // The node's clock: a tick at each deadline due, in order, then the new time.
    while (e.NextDeadline() != 0 && e.NextDeadline() <= to) {
      const UnixMillis at = e.NextDeadline();
      Collect(line, "", e.Tick(++seq_, at));
      if (e.NextDeadline() == at) {
        Fail(line, "a tick at " + FormatDateTime14(at) + " left its deadline in place");
        break;
      }
    }
    now_ = to;
  }

  // A goods-in (kGoodsIn) or a write-off (kWriteOff) of one account line, as
  // an operator's command; what the engine sent is collected.
  Result<Outcome> Stock(int line, AdminRecord::Kind kind, const std::string& ems_no,
                        const std::string& record_no, Decimal qty) {
    AdminRecord a;
    a.kind = kind;
    a.operator_id = "case";
    a.ems_no = ems_no;
    a.item_record_no = record_no;
    a.qty = qty;
    if (kind == AdminRecord::kWriteOff) a.note = "case";
    Result<Outcome> out = E().ApplyAdmin(++seq_, now_, a);
    if (!out.ok()) {
      Fail(line, "the engine refused the stock command: " + out.status().ToString());
    } else {
      Collect(line, "", *out);
    }
    return out;
  }

  void OnStock(int line, const std::string& ems_no, const std::string& record_no,
               Decimal qty) override {
    if (stopped_at_) return;
    const size_t mark = got_.size();
    if (!Stock(line, AdminRecord::kGoodsIn, ems_no, record_no, qty).ok()) return;
    // Goods-in releases the lists held for that stock (engine.h); the core
    // run releases a held list only when the story retries it (`conclude`).
    for (size_t i = mark; i < got_.size(); ++i) {
      const std::string& p = got_[i].purchase;
      if (auto s = sent_.find(p); s != sent_.end() && s->second.phase == ListPhase::kHeld) {
        Exclude(p, line,
                "held for stock: the engine releases held lists on goods-in, the story "
                "retries them with `conclude`; until both have released it",
                /*held=*/true);
      }
    }
    for (size_t i = mark; i < got_.size(); ++i) {
      if (auto x = excluded_.find(got_[i].purchase);
          x != excluded_.end() && x->second.held && got_[i].status == 800) {
        x->second.engine_released = true;
      }
    }
  }

  // A write-off sends nothing and releases nothing: what it collects must
  // match the core run's nothing.
  void OnWriteOff(int line, const std::string& ems_no, const std::string& record_no,
                  Decimal qty) override {
    if (!stopped_at_) (void)Stock(line, AdminRecord::kWriteOff, ems_no, record_no, qty);
  }

  void OnQuota(int line, const clearance::QuotaDelta& seed) override {
    if (stopped_at_) return;
    seeded_.insert(Buyer(seed.buyer_id));
    skips_.push_back("line " + std::to_string(line) + ": `quota " + seed.buyer_id + " " +
                     std::to_string(seed.year) +
                     " ...`: the engine has no record that seeds a buyer's annual total; that "
                     "buyer's purchases and quota are left out");
    for (const auto& [name, ps] : core_->purchases()) Touch(line, ps);
  }

  void OnOrder(int line, const PurchaseState& ps, const Order& o) override {
    if (stopped_at_) return;
    Touch(line, ps);
    sent_[ps.spec.name].order_key = o.head.ebpCode + "/" + o.head.orderNo;
    Order doc = o;
    doc.head.appType = AppTypeFor(MessageType::kOrder, doc.head.ebpCode, doc.head.orderNo);
    Send(line, ps, MessageType::kOrder, doc, o.head.ebpCode, "order");
    CheckPairing(line, ps);
  }
  void OnPayment(int line, const PurchaseState& ps, const Payment& p) override {
    if (stopped_at_) return;
    Touch(line, ps);
    sent_[ps.spec.name].payment_key = p.head.ebpCode + "/" + p.head.orderNo;
    Payment doc = p;
    doc.head.appType =
        AppTypeFor(MessageType::kPayment, doc.head.payCode, doc.head.payTransactionId);
    Send(line, ps, MessageType::kPayment, doc, p.head.payCode, "payment");
    CheckPairing(line, ps);
  }
  void OnWaybill(int line, const PurchaseState& ps, const Waybill& w) override {
    if (stopped_at_) return;
    Touch(line, ps);
    sent_[ps.spec.name].waybill_key = w.head.logisticsCode + "/" + w.head.logisticsNo;
    Waybill doc = w;
    doc.head.appType =
        AppTypeFor(MessageType::kWaybill, doc.head.logisticsCode, doc.head.logisticsNo);
    Send(line, ps, MessageType::kWaybill, doc, w.head.logisticsCode, "waybill");
    CheckPairing(line, ps);
  }
  void OnList(int line, const PurchaseState& ps, const InventoryList& l) override {
    if (stopped_at_) return;
    Touch(line, ps);
    sent_[ps.spec.name].list = l.head;
    core_invt_[ps.spec.name] = ps.invt_no;
    InventoryList doc = l;
    doc.head.appType = AppTypeFor(MessageType::kInventoryList, doc.head.ebpCode, doc.head.orderNo);
    Send(line, ps, MessageType::kInventoryList, doc, l.head.agentCode, "list");
    CheckPairing(line, ps);
  }

  void OnConclude(int line, const PurchaseState& ps, bool release,
                  const std::string& note) override {
    if (stopped_at_) return;
    Touch(line, ps);
    const std::string& name = ps.spec.name;
    if (sent_[name].phase == ListPhase::kHeld) {
      return Exclude(name, line,
                     "`conclude` retries a list held for stock: the engine has no record that "
                     "retries one (goods-in releases it); until both have released it",
                     /*held=*/true);
    }
    auto invt = engine_invt_.find(name);
    if (invt == engine_invt_.end()) {
      return Note(line, "conclude " + name + ": the engine never assigned it an invtNo");
    }
    AdminRecord a;
    a.kind = AdminRecord::kConclude;
    a.operator_id = "case";
    a.invt_no = invt->second;
    a.release = release;
    a.note = note;
    Result<Outcome> out = E().ApplyAdmin(++seq_, now_, a);
    if (!out.ok()) return Note(line, "engine: " + out.status().ToString());
    Collect(line, name, *out);
  }

  void OnCancel(int line, const PurchaseState& ps, const Cancellation& c) override {
    if (stopped_at_) return;
    Touch(line, ps);
    Cancellation doc = c;
    doc.head.invtNo = ToEngineInvt(ps.spec.name, c.head.invtNo);
    sent_[ps.spec.name].cancel_cop = doc.head.agentCode;
    doc.head.appType = AppTypeFor(MessageType::kCancellation, doc.head.agentCode, doc.head.invtNo);
    Send(line, ps, MessageType::kCancellation, doc, doc.head.agentCode, "cancellation");
  }
  void OnReturn(int line, const PurchaseState& ps, const ReturnRequest& r) override {
    if (stopped_at_) return;
    Touch(line, ps);
    ReturnRequest doc = r;
    doc.head.invtNo = ToEngineInvt(ps.spec.name, r.head.invtNo);
    sent_[ps.spec.name].return_cop = doc.head.agentCode;
    doc.head.appType = AppTypeFor(MessageType::kReturn, doc.head.agentCode, doc.head.invtNo);
    Send(line, ps, MessageType::kReturn, doc, doc.head.agentCode, "return");
  }

  // What the engine should emit for a decision of the core run.
  void OnDecision(int line, const PurchaseState& ps, DecisionKind kind,
                  const clearance::Decision& d) override {
    if (stopped_at_) return;
    Touch(line, ps);
    const std::string& name = ps.spec.name;
    Sent& s = sent_[name];
    s.phase = d.record.phase;
    if (auto x = excluded_.find(name); x != excluded_.end() && x->second.Covers(line)) {
      if (!d.quota.empty()) {
        for (const clearance::QuotaDelta& q : d.quota) quota_unsure_.insert(q.buyer_id);
      }
      // A list held for stock is back in step once both have released it.
      if (x->second.held && x->second.engine_released && d.record.phase == ListPhase::kReleased) {
        x->second.to = line + 1;
      }
    }
    const std::string agent = s.list ? s.list->agentCode : "";
    const std::string assure = s.list ? s.list->assureCode : "";
    auto want = [&](std::string to, ReceiptMessage r) {
      Entry e;
      e.line = line;
      e.purchase = name;
      e.type = r.type;
      e.status = StatusOf(r);
      e.text = Canonical(to, std::move(r));
      want_.push_back(std::move(e));
    };
    auto tax_bill = [&] {
      if (const clearance::TaxBill* bill = d.tax_bill()) {
        // The tax bill goes to the enterprise that withholds the tax (the
        // list's assureCode), after the receipt of the decision.
        want(assure, Wrap(MessageType::kTaxBill, TaxBillDoc{bill->head, bill->items}));
      }
    };
    switch (kind) {
      case DecisionKind::kList: {
        if (d.outcome == clearance::Outcome::kWaiting) return;  // no receipt yet
        InventoryReturn r = clearance::MakeInventoryReturn(d);
        if (d.outcome != clearance::Outcome::kRejected) {
          // engine.h: a list customs takes in is first answered 120 "entered"
          // (the decision's receipt with that status and text), then the lane.
          InventoryReturn entered = r;
          entered.returnStatus = std::to_string(clearance::receipt::kEntered);
          entered.returnInfo = "[Code:2100;Desc:海关入库][" + d.record.invt_no + "]";
          want(agent, Wrap(MessageType::kInventoryListReceipt, std::move(entered)));
        }
        want(agent, Wrap(MessageType::kInventoryListReceipt, std::move(r)));
        tax_bill();
        return;
      }
      case DecisionKind::kConclude:
        if (d.return_status == 0) return;  // nothing to send (a list in another state)
        want(agent, Wrap(MessageType::kInventoryListReceipt, clearance::MakeInventoryReturn(d)));
        tax_bill();
        return;
      case DecisionKind::kCancel:
        want(s.cancel_cop,
             Wrap(MessageType::kCancellationReceipt, clearance::MakeCancellationReturn(d)));
        tax_bill();
        return;
      case DecisionKind::kReturn:
        want(s.return_cop, Wrap(MessageType::kReturnReceipt, clearance::MakeReturnReceipt(d)));
        tax_bill();
        return;
    }
  }

  // --- the comparison ---------------------------------------------------------

  // Compares the two streams, command by command and in order, and the quota
  // books; returns what was left out (empty: the whole case ran through the
  // engine). Lists due at one same moment would be decided by purchase name
  // in the core run and by arrival in the engine: no case file has such.
  std::vector<std::string> Finish() {
    if (!stopped_at_) SnapshotQuota();
    std::map<int, std::pair<std::vector<const Entry*>, std::vector<const Entry*>>> by_line;
    for (const Entry& e : want_) {
      if (Compared(e)) by_line[e.line].first.push_back(&e);
    }
    for (const Entry& e : got_) {
      if (Compared(e)) by_line[e.line].second.push_back(&e);
    }
    int differing = 0;
    for (const auto& [line, streams] : by_line) {
      const auto& [want, got] = streams;
      compared_ += want.size();
      bool same = want.size() == got.size();
      for (size_t i = 0; same && i < want.size(); ++i) same = Same(*want[i], *got[i]);
      if (same) continue;
      if (++differing > 12) continue;
      std::string msg = file_ + ":" + std::to_string(line) +
                        ": the engine's receipts differ from the core run's\n  core run (" +
                        std::to_string(want.size()) + "):\n";
      for (const Entry* e : want) msg += "    [" + e->purchase + "] " + e->text + "\n";
      msg += "  engine (" + std::to_string(got.size()) + "):\n";
      for (const Entry* e : got) msg += "    [" + e->purchase + "] " + e->text + "\n";
      if (auto n = notes_.find(line); n != notes_.end()) {
        for (const std::string& s : n->second) msg += "  note: " + s + "\n";
      }
      failures_.push_back(msg);
    }
    if (differing > 12) {
      failures_.push_back(file_ + ": " + std::to_string(differing - 12) +
                          " more commands whose receipts differ");
    }
    if (!renumber_.empty() && !list_refused_at_intake_) {
      failures_.push_back(file_ +
                          ": the engine numbers lists (invtNo) differently from the core run "
                          "although it took in every list");
    }
    CompareQuota();
    std::vector<std::string> left_out = skips_;
    if (stopped_at_) left_out.push_back(stop_reason_);
    return left_out;
  }

  const std::vector<std::string>& failures() const { return failures_; }
  size_t compared() const { return compared_; }

 private:
  struct Sent {
    std::optional<std::string> order_key, payment_key, waybill_key;
    std::optional<InventoryHead> list;
    std::string cancel_cop, return_cop;
    ListPhase phase = ListPhase::kWaiting;
    bool unpaired = false;
  };
  struct Exclusion {
    int from = 0;
    int to = INT_MAX;  // back in the comparison from this line on
    bool held = false;
    bool engine_released = false;
    bool Covers(int line) const { return from <= line && line < to; }
  };

  Engine& E() {
    if (!engine_) engine_ = std::make_unique<Engine>(&book_);
    return *engine_;
  }

  void Fail(int line, const std::string& msg) {
    failures_.push_back(file_ + ":" + std::to_string(line) + ": " + msg);
  }
  void Note(int line, const std::string& msg) { notes_[line].push_back(msg); }

  // The engine cannot play the rest of the story: compare what came before.
  void Stop(int line, const std::string& why) {
    SnapshotQuota();
    stopped_at_ = line;
    stop_reason_ = "line " + std::to_string(line) + ": " + why + " (the engine run stops here)";
  }

  void Exclude(const std::string& purchase, int line, const std::string& why, bool held = false) {
    auto it = excluded_.find(purchase);
    if (it != excluded_.end() && it->second.Covers(line)) return;
    Exclusion x;
    x.from = line;
    x.held = held;
    excluded_[purchase] = x;
    skips_.push_back("line " + std::to_string(line) + ": " + purchase + ": " + why +
                     "; left out of the comparison from here");
  }

  bool Compared(const Entry& e) const {
    if (stopped_at_ && e.line >= *stopped_at_) return false;
    auto x = excluded_.find(e.purchase);
    return x == excluded_.end() || !x->second.Covers(e.line);
  }

  static bool Same(const Entry& want, const Entry& got) { return want.text == got.text; }

  // Each document is one declaration per business key (a second appType 1
  // is refused as a duplicate at intake): the next one sent under the same
  // key — an order, payment or waybill corrected, a list corrected after the
  // rules refused it, a cancellation corrected after a refusal, a further
  // partial return — is a change of it (appType 2), and the engine decides
  // each as the rule core does. The key is the type's (e.g. agentCode/invtNo
  // for a 623, ebpCode/orderNo for an order or a list).
  std::string AppTypeFor(MessageType type, const std::string& a, const std::string& b) {
    return declared_.insert(std::to_string(static_cast<int>(type)) + "|" + a + "/" + b).second
               ? "1"
               : "2";
  }
  std::set<std::string> declared_;

  // A purchase of a buyer whose quota was seeded cannot be compared.
  void Touch(int line, const PurchaseState& ps) {
    if (seeded_.empty()) return;
    bool seeded = seeded_.count(Buyer(ps.spec.buyer_id)) > 0;
    if (ps.list && seeded_.count(Buyer(ps.list->head.buyerIdNumber))) seeded = true;
    if (seeded) Exclude(ps.spec.name, line, "its buyer's quota was seeded with `quota`");
  }

  // The engine pairs a list with its order and payment by ebpCode/orderNo and
  // with its waybill by logisticsCode/logisticsNo; the core run pairs the
  // documents of one purchase whatever they say.
  void CheckPairing(int line, const PurchaseState& ps) {
    Sent& s = sent_[ps.spec.name];
    if (!s.list || s.unpaired) return;
    const std::string list_key = s.list->ebpCode + "/" + s.list->orderNo;
    const std::string waybill_key = s.list->logisticsCode + "/" + s.list->logisticsNo;
    std::string why;
    auto add = [&](const std::string& what) { why += (why.empty() ? "" : ", ") + what; };
    if (s.order_key && *s.order_key != list_key) add("order " + *s.order_key);
    if (s.payment_key && *s.payment_key != list_key) add("payment's order " + *s.payment_key);
    if (s.waybill_key && *s.waybill_key != waybill_key) add("waybill " + *s.waybill_key);
    if (why.empty()) return;
    s.unpaired = true;
    Exclude(ps.spec.name, line,
            "the engine pairs documents by business key, and the list (order " + list_key +
                ", waybill " + waybill_key + ") is not paired with its " + why +
                "; the core run pairs them by purchase");
  }

  template <class Doc>
  void Send(int line, const PurchaseState& ps, MessageType type, Doc doc, const std::string& sender,
            const std::string& what) {
    // A new declaration (a 623/625 built without a list record to copy has
    // no appType at all).
    if (doc.head.appType.empty()) doc.head.appType = "1";
    Message m;
    m.type = type;
    m.guid = ceb::DeriveGuid("case:" + file_ + ":" + std::to_string(seq_ + 1));
    m.version = "1.0";
    m.blocks = std::vector<Doc>{std::move(doc)};
    m.transfer.copCode = sender;
    m.transfer.dxpMode = "DXP";
    m.transfer.dxpId = "DXPENT" + sender;
    Outcome out = E().Apply(++seq_, now_, m);
    const std::string& name = ps.spec.name;
    const ceb::ReturnView own = ceb::ViewReturn(out.receipt, 0);
    if (own.status < 0) {
      Note(line, "the engine refused the " + what + " of " + name +
                     " at intake: " + std::to_string(own.status) + " " + own.info);
      if (type == MessageType::kCancellation || type == MessageType::kReturn) {
        Entry e;
        e.line = line;
        e.purchase = name;
        e.type = out.receipt.type;
        e.status = own.status;
        e.text = "refused at intake: " + std::to_string(own.status) + " " + own.info;
        got_.push_back(std::move(e));
      } else {
        // A document whose business key another purchase already used: the
        // engine keeps the first one, the core run decides both.
        if (type == MessageType::kInventoryList) list_refused_at_intake_ = true;
        Exclude(name, line,
                "the engine refused its " + what + " at intake (" + std::to_string(own.status) +
                    " " + own.info + ")");
      }
    }
    if (type == MessageType::kInventoryList && own.status > 0) {
      const InventoryReturn& r = std::get<std::vector<InventoryReturn>>(out.receipt.blocks)[0];
      engine_invt_[name] = r.invtNo;
      invt_owner_[r.invtNo] = name;
      pre_no_[name] = r.preNo;
      if (r.invtNo != ps.invt_no) renumber_[r.invtNo] = ps.invt_no;
    }
    Collect(line, name, out);
  }

  // The core run's invtNo of a purchase's list, as the engine numbered it.
  std::string ToEngineInvt(const std::string& purchase, const std::string& invt) const {
    auto core = core_invt_.find(purchase);
    auto engine = engine_invt_.find(purchase);
    if (core != core_invt_.end() && engine != engine_invt_.end() && core->second == invt) {
      return engine->second;
    }
    return invt;
  }

  // The engine's receipt texts with its invtNo numbers spelled as the core
  // run numbers the same lists (identical unless the engine refused a list at
  // intake, which shifts its numbering; checked in Finish).
  std::string ToCoreNumbers(std::string text) const {
    for (const auto& [engine_invt, core_invt] : renumber_) {
      for (size_t at = text.find(engine_invt); at != std::string::npos;
           at = text.find(engine_invt, at + core_invt.size())) {
        text.replace(at, engine_invt.size(), core_invt);
      }
    }
    return text;
  }

  static std::vector<std::string> GuidsOf(const ReceiptMessage& r) {
    std::vector<std::string> out{r.guid};
    std::visit(
        [&](const auto& blocks) {
          for (const auto& b : blocks) {
            if constexpr (requires { b.guid; }) out.push_back(b.guid);
            if constexpr (requires { b.head.guid; }) out.push_back(b.head.guid);
          }
        },
        r.blocks);
    return out;
  }

  void Collect(int line, const std::string& purchase, const Outcome& out) {
    bool touches_excluded = false;
    for (const Emitted& x : out.emitted) {
      Entry e;
      e.line = line;
      const std::string invt = InvtNoOf(x.receipt);
      auto owner = invt_owner_.find(invt);
      e.purchase = owner != invt_owner_.end() ? owner->second : purchase;
      e.type = x.receipt.type;
      e.status = StatusOf(x.receipt);
      // The e-port number on a list's receipt (CEB622), when there is one, is
      // the one the list was given on intake. (A CEB624 or CEB626 carries the
      // cancellation's or return's own, which the engine test checks.)
      if (const std::string pre = PreNoOf(x.receipt);
          e.type == MessageType::kInventoryListReceipt && !pre.empty() &&
          pre != pre_no_[e.purchase]) {
        Fail(line, "receipt for " + e.purchase + " carries preNo " + pre + ", the list has " +
                       pre_no_[e.purchase]);
      }
      // Every receipt the engine sends, and the block inside it, has a GUID
      // of its own (a 120 and the lane's answer to one list too).
      for (const std::string& guid : GuidsOf(x.receipt)) {
        if (guid.size() != 36 || !guids_.insert(guid).second) {
          Fail(line, "receipt GUID '" + guid + "' is malformed or was given before");
        }
      }
      e.text = ToCoreNumbers(Canonical(x.cop_code, x.receipt));
      if (!Compared(e)) touches_excluded = true;
      got_.push_back(std::move(e));
    }
    // Quota an excluded purchase changed cannot be compared either.
    if (touches_excluded) {
      for (const QuotaChange& q : out.quota) quota_unsure_.insert(q.buyer_id);
    }
  }

  void SnapshotQuota() {
    core_quota_ = core_->quota().Entries();
    engine_quota_ = engine_ ? engine_->quota().Entries() : std::vector<clearance::QuotaEntry>{};
  }

  void CompareQuota() {
    // A counter back at zero means nothing used, whether or not it is kept.
    auto text = [&](const std::vector<clearance::QuotaEntry>& entries) {
      std::set<std::string> out;
      for (const clearance::QuotaEntry& q : entries) {
        if (seeded_.count(Buyer(q.buyer_id)) || quota_unsure_.count(q.buyer_id)) continue;
        if (q.amount == Decimal() && q.lists == 0) continue;
        out.insert(q.buyer_id + " " + std::to_string(q.year) + " kind " + std::to_string(q.kind) +
                   ": used " + q.amount.ToString() + ", lists " + std::to_string(q.lists));
      }
      return out;
    };
    const std::set<std::string> want = text(core_quota_), got = text(engine_quota_);
    quota_compared_ = want.size();
    if (want == got) return;
    std::string msg = file_ + ": the engine's quota counters differ from the core run's\n";
    for (const std::string& s : want) {
      if (!got.count(s)) msg += "  core run only: " + s + "\n";
    }
    for (const std::string& s : got) {
      if (!want.count(s)) msg += "  engine only:   " + s + "\n";
    }
    failures_.push_back(msg);
  }

  const std::string file_;
  const CaseRun* core_ = nullptr;
  clearance::RuleBook book_;
  std::unique_ptr<Engine> engine_;
  uint64_t seq_ = 0;
  UnixMillis now_ = 0;

  std::vector<Entry> want_, got_;
  std::map<int, std::vector<std::string>> notes_;
  std::map<std::string, Sent> sent_;
  std::map<std::string, std::string> core_invt_, engine_invt_, invt_owner_, pre_no_;
  std::set<std::string> guids_;  // every GUID the engine has sent, message and block
  std::map<std::string, std::string> renumber_;  // engine invtNo -> core run's, where they differ
  bool list_refused_at_intake_ = false;

  std::map<std::string, Exclusion> excluded_;
  // Buyers as the quota book counts them (core/buyer_id.h).
  static std::string Buyer(std::string_view id) {
    char buf[18];
    return std::string(CanonicalBuyerId(id, buf));
  }
  std::set<std::string> seeded_, quota_unsure_;
  std::optional<int> stopped_at_;
  std::string stop_reason_;
  std::vector<std::string> skips_;

  std::vector<clearance::QuotaEntry> core_quota_, engine_quota_;
  size_t compared_ = 0;
  size_t quota_compared_ = 0;
  std::vector<std::string> failures_;
};

// How many case files ran whole through the engine, printed after the run.
struct Tally {
  std::vector<std::string> full, partial;
};
Tally& Counts() {
  static Tally t;
  return t;
}
class TallyPrinter : public ::testing::Environment {
 public:
  void TearDown() override {
    const Tally& t = Counts();
    if (t.full.empty() && t.partial.empty()) return;
    std::printf("[ engine  ] %zu of %zu case files ran whole through the engine; in part: ",
                t.full.size(), t.full.size() + t.partial.size());
    for (const std::string& p : t.partial) std::printf("%s ", p.c_str());
    std::printf("\n");
  }
};
[[maybe_unused]] ::testing::Environment* const kTally =
    ::testing::AddGlobalTestEnvironment(new TallyPrinter);

// What the engine run may leave out of each case file, and why: each entry
// must match one left-out line (by its "line N: NAME" start) and each
// left-out line an entry. Anything else fails, so that a regression which
// makes the engine refuse or pair documents differently cannot pass as one
// more purchase left out. Most are stories that pair documents by purchase
// where the engine pairs them by business key (a list naming another order's
// waybill); bonded.case retries held lists with `conclude`, which the engine
// does by goods-in; positive_list.case's CSV tables do not travel in the
// admin rules record.
struct LeftOut {
  const char* file;
  const char* line;  // "line N: NAME" as the engine run reports it
  const char* why;   // a phrase of the reason it gives
};
constexpr LeftOut kMayLeaveOut[] = {
    {"bonded.case", "line 25: b2", "`conclude` retries a list held for stock"},
    {"bonded.case", "line 63: b6", "the engine releases held lists on goods-in"},
    {"match_list.case", "line 11: l1", "the engine pairs documents by business key"},
    {"match_order_payment.case", "line 59: a6", "the engine pairs documents by business key"},
    {"match_waybill.case", "line 33: w3", "the engine pairs documents by business key"},
    {"positive_list.case", "line 69: `rules`", "CSV tables are read beside the TOML"},
    {"random_selection.case", "line 20: b", "the engine refused its order at intake (-301011"},
};

class EngineCaseTest : public ::testing::TestWithParam<std::string> {};

TEST_P(EngineCaseTest, ReceiptsMatchTheCoreRun) {
  const std::filesystem::path path =
      clearance::testing::SourceDir() / "src" / "clearance" / "testdata" / GetParam();
  Result<std::string> text = clearance::testing::ReadFile(path);
  ASSERT_TRUE(text.ok()) << text.status().ToString();
  EngineRun engine(GetParam());
  CaseRun core(GetParam(), &engine);
  engine.Attach(&core);
  core.Run(*text);
  // The core run's own expectations are case_driver_test's business; a case
  // that does not play in the core run cannot be compared.
  for (const std::string& f : core.failures()) ADD_FAILURE() << "core run: " << f;
  const std::vector<std::string> left_out = engine.Finish();
  for (const std::string& f : engine.failures()) ADD_FAILURE() << f;
  EXPECT_GT(engine.compared(), 0u) << "no receipt compared: this case cannot fail";
  std::vector<const LeftOut*> allowed;
  for (const LeftOut& l : kMayLeaveOut) {
    if (GetParam() == l.file) allowed.push_back(&l);
  }
  for (const std::string& s : left_out) {
    // The same purchase or command, left out for the same reason.
    auto it = std::find_if(allowed.begin(), allowed.end(), [&](const LeftOut* a) {
      const std::string_view line = a->line;
      return s.starts_with(line) && s.size() > line.size() &&
             (s[line.size()] == ':' || s[line.size()] == ' ') &&
             s.find(a->why) != std::string::npos;
    });
    if (it == allowed.end()) {
      ADD_FAILURE() << "left out of the comparison, and not so in kMayLeaveOut: " << s;
    } else {
      allowed.erase(it);
    }
  }
  for (const LeftOut* a : allowed) {
    ADD_FAILURE() << "kMayLeaveOut names " << a->line << " of " << GetParam()
                  << ", which the engine run no longer leaves out so: remove it";
  }
  (left_out.empty() ? Counts().full : Counts().partial).push_back(GetParam());
  for (const std::string& s : left_out) std::printf("[ left out ] %s\n", s.c_str());
}

INSTANTIATE_TEST_SUITE_P(Cases, EngineCaseTest,
                         ::testing::ValuesIn(clearance::testing::CaseFiles()),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           return clearance::testing::CaseTestName(info.param);
                         });

TEST(EngineCases, Found) {
  EXPECT_GE(clearance::testing::CaseFiles().size(), 10u) << clearance::testing::SourceDir();
}

}  // namespace
}  // namespace ftz::engine
