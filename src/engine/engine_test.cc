#include "engine/engine.h"

#include <gtest/gtest.h>

#include <map>

#include "ceb/ceb.h"
#include "engine/default_rules.h"
#include "workload/workload.h"

namespace ftz::engine {
namespace {

// A rules file with `key = value` in place of that key's line.
std::string WithLine(std::string toml, const std::string& key, const std::string& value) {
  const size_t at = toml.find("\n" + key + " = ") + 1;
  toml.replace(at, toml.find('\n', at) - at, key + " = " + value);
  return toml;
}

// A rule book holding one rules file (one that does not parse fails the test).
clearance::RuleBook BookOf(const std::string& toml) {
  clearance::RuleBook book;
  auto rules = clearance::ParseRules(toml, "rules");
  EXPECT_TRUE(rules.ok()) << rules.status().ToString();
  if (rules.ok()) {
    EXPECT_TRUE(book.Add(std::move(*rules)).ok());
  }
  return book;
}

// The status of the last CEB622 a decision sent, 0 if none.
int LastListReceiptStatus(const Outcome& o) {
  int status = 0;
  for (const Emitted& x : o.emitted) {
    if (x.receipt.type == MessageType::kInventoryListReceipt) {
      status = ceb::ViewReturn(x.receipt, 0).status;
    }
  }
  return status;
}

Message OrderMessage(
    std::vector<std::pair<std::string, std::string>> orders /* orderNo, appType */) {
  Message m;
  m.type = MessageType::kOrder;
  m.guid = "4CDE1CFD-EDED-46B1-946C-B8022E42FC94";
  m.version = "1.0";
  m.transfer.copCode = "1105910159";
  auto& blocks = m.blocks.emplace<std::vector<Order>>();
  for (auto& [no, app] : orders) {
    Order o;
    o.head.guid = "G-" + no;
    o.head.orderNo = no;
    o.head.ebpCode = "1105910159";
    o.head.appType = app;
    blocks.push_back(o);
  }
  return m;
}

TEST(EngineTest, NewDuplicateChangeDelete) {
  Engine e;
  Outcome a = e.Apply(0, 1607419631594, OrderMessage({{"o1", "1"}, {"o2", "1"}, {"o1", "1"}}));
  EXPECT_EQ(a.cop_code, "1105910159");
  EXPECT_EQ(a.accepted, 2u);
  EXPECT_EQ(a.refused, 1u);
  EXPECT_EQ(ceb::ViewReturn(a.receipt, 0).status, 2);
  EXPECT_EQ(ceb::ViewReturn(a.receipt, 0).info, "新增申报成功[G-o1]");
  EXPECT_EQ(ceb::ViewReturn(a.receipt, 0).time, "20201208172711594");
  EXPECT_EQ(ceb::ViewReturn(a.receipt, 2).status, -301010);
  EXPECT_EQ(ceb::ViewReturn(a.receipt, 2).info, "已存在相同编号的订单[1105910159/o1]");

  Outcome b = e.Apply(1, 1607419631600, OrderMessage({{"o1", "2"}, {"o9", "2"}, {"o2", "3"}}));
  EXPECT_EQ(ceb::ViewReturn(b.receipt, 0).status, 2);
  EXPECT_EQ(ceb::ViewReturn(b.receipt, 1).status, -301009);
  EXPECT_EQ(ceb::ViewReturn(b.receipt, 2).status, 2);
  ASSERT_EQ(b.changes.size(), 2u);
  EXPECT_TRUE(b.changes[1].removed);
  EXPECT_EQ(e.DocumentCount(), 1u);
  // A deleted order may be declared again.
  Outcome c = e.Apply(2, 1607419631700, OrderMessage({{"o2", "1"}}));
  EXPECT_EQ(c.accepted, 1u);
}

TEST(EngineTest, SameLogSameReceiptsByteForByte) {
  auto run = [] {
    Engine e;
    std::string all;
    for (uint64_t s = 0; s < 20; ++s) {
      Outcome o = e.Apply(s, 1700000000000 + s, OrderMessage({{"o" + std::to_string(s % 7), "1"}}));
      all += ceb::EncodeReceiptXml(o.receipt);
    }
    return all;
  };
  EXPECT_EQ(run(), run());
}

TEST(EngineTest, ListsGetDailyPreNumbers) {
  Engine e;
  Message m;
  m.type = MessageType::kInventoryList;
  m.guid = "4CDE1CFD-EDED-46B1-946C-B8022E42FC94";
  auto& lists = m.blocks.emplace<std::vector<InventoryList>>();
  for (int i = 0; i < 2; ++i) {
    InventoryList l;
    l.head.appType = "1";
    l.head.ebpCode = "E";
    l.head.orderNo = "o" + std::to_string(i);
    l.head.guid = "g";
    lists.push_back(l);
  }
  Outcome o = e.Apply(0, 1607419631594, m);  // 2020-12-08 CST
  const auto& r = std::get<std::vector<InventoryReturn>>(o.receipt.blocks);
  EXPECT_EQ(r[0].preNo, "B20201208000000001");
  EXPECT_EQ(r[1].preNo, "B20201208000000002");
}

// A rules file may take effect later than the first lists arrive: they wait
// for it, and a cancellation or return sent meanwhile is still answered.
TEST(EngineTest, CancellationBeforeAnyRulesInForceIsAnswered) {
  const clearance::RuleBook book =
      BookOf(WithLine(std::string(DefaultRulesToml()), "effective_from", "2027-01-01"));
  ASSERT_EQ(book.size(), 1u);
  Engine e(&book);
  workload::Options wo;
  wo.buyers = 3;
  workload::Workload w(wo);
  std::vector<workload::Parcel> ps = {w.Next()};
  const UnixMillis t = 1'767'225'600'000;  // 2026-01-01, a year before the rules
  uint64_t seq = 0;
  std::string invt_no;
  for (MessageType type : {MessageType::kOrder, MessageType::kPayment, MessageType::kWaybill,
                           MessageType::kInventoryList}) {
    for (const Message& m : workload::Workload::Messages(type, ps, 1, 7)) {
      Outcome o = e.Apply(seq++, t, m);
      EXPECT_TRUE(o.emitted.empty()) << "nothing is decided before the rules take effect";
      for (const DocumentChange& c : o.changes) {
        if (!c.invt_no.empty()) invt_no = c.invt_no;
      }
    }
  }
  ASSERT_FALSE(invt_no.empty());
  ASSERT_GT(e.NextDeadline(), t);

  auto cancel = [&](const std::string& no) {
    const InventoryHead& l = ps[0].list.head;
    Message m;
    m.type = MessageType::kCancellation;
    m.guid = "5CDE1CFD-EDED-46B1-946C-B8022E42FC94";
    m.version = "1.0";
    m.transfer.copCode = l.agentCode;
    Cancellation c;
    c.head.guid = "C-" + no;
    c.head.appType = "1";
    c.head.invtNo = no;
    c.head.orderNo = l.orderNo;
    c.head.ebpCode = l.ebpCode;
    c.head.ebcCode = l.ebcCode;
    c.head.buyerIdNumber = l.buyerIdNumber;
    c.head.agentCode = l.agentCode;
    c.head.copNo = l.copNo + no;
    c.head.reason = "buyer changed their mind";
    m.blocks = std::vector<Cancellation>{c};
    return e.Apply(seq++, t + 1000, m);
  };
  // An unknown list: refused with the specification's code, not ignored.
  Outcome unknown = cancel("29002026I999999999");
  ASSERT_EQ(unknown.emitted.size(), 1u);
  const auto& refused = std::get<std::vector<InvtCancelReturn>>(unknown.emitted[0].receipt.blocks);
  EXPECT_EQ(refused.at(0).returnStatus, "100");
  EXPECT_NE(refused.at(0).returnInfo.find("-623003"), std::string::npos)
      << refused.at(0).returnInfo;
  // The waiting list: withdrawn, and the tick at the rules' first day
  // decides nothing for it.
  Outcome withdrawn = cancel(invt_no);
  ASSERT_EQ(withdrawn.emitted.size(), 1u);
  const auto& ok = std::get<std::vector<InvtCancelReturn>>(withdrawn.emitted[0].receipt.blocks);
  EXPECT_EQ(ok.at(0).returnStatus, "399") << ok.at(0).returnInfo;
  EXPECT_EQ(e.NextDeadline(), 0);
  EXPECT_TRUE(e.Tick(seq++, 1'798'761'600'000).emitted.empty());  // 2027-01-01
}

// An operator makes a version added at run time the start file: it becomes
// the base; a start file reusing that name for other rules is refused.
// A list that names another parcel's waybill is refused (the waybill is for
// another order), and that waybill stays for the list still waiting for it:
// a wrong list cannot use up a document that is not its own.
// Parcels A and B, B's list naming A's waybill by mistake.
struct WaybillMistake {
  clearance::RuleBook book = BookOf(std::string(DefaultRulesToml()));
  Engine e{&book};
  workload::Options wo = [] {
    workload::Options o;
    o.buyers = 50;
    return o;
  }();
  workload::Workload w{wo};
  std::vector<workload::Parcel> a = {w.Next()}, b = {w.Next()};
  uint64_t seq = 0;
  WaybillMistake() {
    b[0].list.head.logisticsCode = a[0].waybill.head.logisticsCode;
    b[0].list.head.logisticsNo = a[0].waybill.head.logisticsNo;
  }
  // The list receipt status the last message of `type` got, 0 if none.
  int Apply(MessageType type, const std::vector<workload::Parcel>& ps) {
    Outcome last;
    for (const Message& m : workload::Workload::Messages(type, ps, 1, 7)) {
      last = e.Apply(seq++, wo.start + 60'000, m);
    }
    return LastListReceiptStatus(last);
  }
};

TEST(EngineTest, AListNamingAnotherParcelsWaybillDoesNotUseItUp) {
  WaybillMistake s;
  ASSERT_EQ(s.book.size(), 1u);
  // Parcel A: everything but its order; its list waits.
  s.Apply(MessageType::kPayment, s.a);
  s.Apply(MessageType::kWaybill, s.a);
  EXPECT_EQ(s.Apply(MessageType::kInventoryList, s.a), 0);
  // Parcel B's list names A's waybill: decided at once, refused.
  s.Apply(MessageType::kOrder, s.b);
  s.Apply(MessageType::kPayment, s.b);
  EXPECT_EQ(s.Apply(MessageType::kInventoryList, s.b), clearance::receipt::kRejected);
  // A's order arrives: A's list finds its waybill still there and is decided.
  const int a_status = s.Apply(MessageType::kOrder, s.a);
  EXPECT_NE(a_status, 0) << "A's list still waits";
  EXPECT_NE(a_status, clearance::receipt::kRejected);
  EXPECT_EQ(s.e.NextDeadline(), 0) << "no list is left waiting";
}

TEST(EngineTest, AListRefusedForAnotherParcelsWaybillLeavesItBeforeItsListArrives) {
  // The same mistake before any list waits for the waybill (a helper's
  // review): the refusal dropped the waybill, and A's list could only wait
  // for its deadline, a change to the waybill being refused as used.
  WaybillMistake s;
  s.Apply(MessageType::kWaybill, s.a);
  s.Apply(MessageType::kOrder, s.b);
  s.Apply(MessageType::kPayment, s.b);
  EXPECT_EQ(s.Apply(MessageType::kInventoryList, s.b), clearance::receipt::kRejected);
  s.Apply(MessageType::kOrder, s.a);
  s.Apply(MessageType::kPayment, s.a);
  const int a_status = s.Apply(MessageType::kInventoryList, s.a);
  EXPECT_NE(a_status, 0) << "A's list waits for a waybill it had";
  EXPECT_NE(a_status, clearance::receipt::kRejected);
}

// The read model writes a document's row from its change: a list decided as
// it arrives has one row write (the declaration, with the decision's status),
// a list decided later a declaration and then a status-only change.
TEST(EngineTest, AListDecidedOnArrivalHasOneChangeWithTheDecisionsStatus) {
  const clearance::RuleBook book = BookOf(std::string(DefaultRulesToml()));
  Engine e(&book);
  workload::Options wo;
  wo.buyers = 50;
  workload::Workload w(wo);
  const std::vector<workload::Parcel> last = {w.Next()}, first = {w.Next()};
  const UnixMillis t = wo.start + 60'000;
  uint64_t seq = 0;
  auto apply = [&](MessageType type, const std::vector<workload::Parcel>& ps) {
    return e.Apply(seq++, t, workload::Workload::Messages(type, ps, 1, 7).at(0));
  };
  // The list comes last: decided as it arrives.
  for (MessageType t : {MessageType::kOrder, MessageType::kPayment, MessageType::kWaybill}) {
    apply(t, last);
  }
  const Outcome on_arrival = apply(MessageType::kInventoryList, last);
  const int status = LastListReceiptStatus(on_arrival);
  ASSERT_NE(status, 0) << "decided";
  ASSERT_EQ(on_arrival.changes.size(), 1u);
  const DocumentChange& c = on_arrival.changes[0];
  EXPECT_EQ(c.type, MessageType::kInventoryList);
  EXPECT_FALSE(c.status_only);
  EXPECT_EQ(c.status, status);
  EXPECT_FALSE(c.invt_no.empty());
  EXPECT_EQ(on_arrival.receipt.BlockCount(), 1u);
  EXPECT_EQ(ceb::ViewReturn(on_arrival.receipt, 0).status, return_status::kDeclaring)
      << "the declaration's own receipt still says it was taken in";
  // The list comes first: its declaration now, its decision when the waybill
  // arrives (a status-only change then).
  for (MessageType t : {MessageType::kOrder, MessageType::kPayment}) apply(t, first);
  const Outcome waiting = apply(MessageType::kInventoryList, first);
  ASSERT_EQ(waiting.changes.size(), 1u);
  EXPECT_EQ(waiting.changes[0].status, return_status::kDeclaring);
  const Outcome decided = apply(MessageType::kWaybill, first);
  ASSERT_EQ(decided.changes.size(), 2u);
  EXPECT_EQ(decided.changes[0].type, MessageType::kWaybill);
  EXPECT_TRUE(decided.changes[1].status_only);
  EXPECT_EQ(decided.changes[1].status, LastListReceiptStatus(decided));
}

TEST(EngineTest, StartRulesMayBeAVersionAddedAtRunTime) {
  const clearance::RuleBook book = BookOf(std::string(DefaultRulesToml()));
  ASSERT_EQ(book.size(), 1u);
  const std::string x2 = WithLine(WithLine(std::string(DefaultRulesToml()), "version", "\"x2\""),
                                  "effective_from", "2026-01-01");
  AdminRecord added;
  added.kind = AdminRecord::kRules;
  added.rules_toml = x2;
  AdminRecord start;
  start.kind = AdminRecord::kStartRules;

  Engine e(&book);
  ASSERT_TRUE(e.ApplyAdmin(0, 1'767'225'600'000, added).ok());
  ASSERT_EQ(e.rules()->size(), 2u);
  start.rules_toml = WithLine(x2, "single", "\"100\"");  // same name, other rules
  auto refused = e.ApplyAdmin(1, 1'767'225'600'000, start);
  EXPECT_EQ(refused.status().code(), StatusCode::kFailedPrecondition)
      << refused.status().ToString();
  EXPECT_EQ(e.rules()->size(), 2u) << "nothing changed";
  start.rules_toml = x2;
  ASSERT_TRUE(e.ApplyAdmin(2, 1'767'225'600'000, start).ok());
  ASSERT_EQ(e.rules()->size(), 1u);
  EXPECT_EQ(e.rules()->At(0).version, "x2");
  EXPECT_EQ(e.logged_start_rules(), x2);
}

// --- snapshots ---------------------------------------------------------

namespace snapshot_test {

// Everything an outcome sends out, as bytes, so two engines can be compared.
std::string Sent(const Outcome& o) {
  std::string s = o.cop_code + "|" + ceb::EncodeReceiptXml(o.receipt);
  for (const Emitted& e : o.emitted) s += "|" + e.cop_code + "|" + ceb::EncodeReceiptXml(e.receipt);
  for (const QuotaChange& q : o.quota) s += "|" + q.buyer_id + ":" + q.used.ToString();
  return s;
}

class EngineSnapshotTest : public ::testing::Test {
 protected:
  void SetUp() override {
    book_ = BookOf(std::string(DefaultRulesToml()));
    ASSERT_EQ(book_.size(), 1u);
    workload::Options wo;
    wo.buyers = 40;
    workload::Workload w(wo);
    for (int i = 0; i < 90; ++i) parcels_.push_back(w.Next());
  }
  // Applies one document kind of parcels [from, to) as single-block messages.
  void Feed(Engine* e, std::vector<std::string>* sent, MessageType type, size_t from, size_t to) {
    std::vector<workload::Parcel> ps(parcels_.begin() + from, parcels_.begin() + to);
    for (const Message& m : workload::Workload::Messages(type, ps, 1, 7)) {
      const Outcome o = e->Apply(seq_, time_, m);
      for (const DocumentChange& c : o.changes) {
        if (!c.invt_no.empty()) invt_no_[c.key] = c.invt_no;
      }
      sent->push_back(Sent(o));
      ++seq_;
      time_ += 1000;
    }
  }
  // A 625 return of all of parcel i's goods, or a 623 cancellation of its
  // list, by the list's invtNo.
  Outcome ReturnOrCancel(Engine* e, size_t i, bool do_return) {
    const InventoryList& l = parcels_[i].list;
    Message m;
    m.guid = "5CDE1CFD-EDED-46B1-946C-B8022E42FC94";
    m.version = "1.0";
    m.transfer.copCode = l.head.agentCode;
    const std::string invt_no = invt_no_[l.head.ebpCode + "/" + l.head.orderNo];
    // The fields a 623 and a 625 head share, naming the list.
    auto name_list = [&](auto* head, const std::string& tag, const std::string& reason) {
      head->guid = tag + "-" + invt_no;
      head->appType = "1";
      head->invtNo = invt_no;
      head->orderNo = l.head.orderNo;
      head->ebpCode = l.head.ebpCode;
      head->ebcCode = l.head.ebcCode;
      head->buyerIdNumber = l.head.buyerIdNumber;
      head->agentCode = l.head.agentCode;
      head->copNo = tag + l.head.copNo;
      head->reason = reason;
    };
    if (do_return) {
      ReturnRequest r;
      name_list(&r.head, "R", "wrong size");
      for (const InventoryItem& item : l.items) {
        ReturnItem ri;
        ri.gnum = item.gnum;
        ri.gcode = item.gcode;
        ri.qty = item.qty;
        r.items.push_back(ri);
      }
      m.type = MessageType::kReturn;
      m.blocks = std::vector<ReturnRequest>{r};
    } else {
      Cancellation c;
      name_list(&c.head, "C", "buyer changed their mind");
      m.type = MessageType::kCancellation;
      m.blocks = std::vector<Cancellation>{c};
    }
    return e->Apply(seq_++, time_, m);
  }
  std::map<std::string, std::string> invt_no_;  // list key -> invtNo
  clearance::RuleBook book_;
  std::vector<workload::Parcel> parcels_;
  uint64_t seq_ = 0;
  UnixMillis time_ = 1'767'225'600'000;
};

TEST_F(EngineSnapshotTest, RestoredEngineDecidesExactlyAsTheOriginal) {
  Engine a(&book_);
  std::vector<std::string> ignored;
  // Parcels 0..49 complete; 50..59 have only a list (waiting, with deadlines);
  // 80..89 have their order, payment and waybill but no list yet.
  for (MessageType t : {MessageType::kOrder, MessageType::kPayment, MessageType::kWaybill,
                        MessageType::kInventoryList}) {
    Feed(&a, &ignored, t, 0, 50);
  }
  Feed(&a, &ignored, MessageType::kInventoryList, 50, 60);
  for (MessageType t : {MessageType::kOrder, MessageType::kPayment, MessageType::kWaybill}) {
    Feed(&a, &ignored, t, 80, 90);
  }
  ASSERT_TRUE(a.NextDeadline() > 0);
  // A rules version added at run time (a lower single limit, in force from
  // the continuation on): the restored engine must have it too.
  {
    std::string toml(DefaultRulesToml());
    auto set = [&toml](const std::string& key, const std::string& value) {
      const size_t at = toml.find("\n" + key + " = ") + 1;
      toml.replace(at, toml.find('\n', at) - at, key + " = " + value);
    };
    set("version", "\"test-lower-limit\"");
    set("effective_from", "2026-01-01");
    set("single", "\"2000\"");
    AdminRecord r;
    r.kind = AdminRecord::kRules;
    r.rules_toml = toml;
    ASSERT_TRUE(a.ApplyAdmin(seq_++, time_, r).ok());
    ASSERT_EQ(a.rules()->size(), 2u);
  }

  // A goods-in with an entry number: its repeat after the snapshot is refused
  // on both sides alike.
  AdminRecord entry;
  entry.ems_no = "T2991W000009";
  entry.item_record_no = "R-SNAP";
  entry.qty = Decimal::FromInt(3);
  entry.entry_no = "GI-SNAP-1";
  ASSERT_TRUE(a.ApplyAdmin(seq_++, time_, entry).ok());
  // And a write-off with its own number (kept with a negative quantity).
  AdminRecord off = entry;
  off.kind = AdminRecord::kWriteOff;
  off.qty = Decimal::FromInt(1);
  off.note = "damaged";
  off.entry_no = "WO-SNAP-1";
  ASSERT_TRUE(a.ApplyAdmin(seq_++, time_, off).ok());

  const std::string snap = a.EncodeSnapshot();
  Engine b(&book_);
  ASSERT_TRUE(b.RestoreSnapshot(snap).ok());
  EXPECT_EQ(b.DocumentCount(), a.DocumentCount());
  EXPECT_EQ(b.quota().buyers(), a.quota().buyers());
  EXPECT_EQ(b.NextDeadline(), a.NextDeadline());
  EXPECT_EQ(b.rules()->size(), 2u);

  // The same continuation on both: the missing documents of 50..54, new
  // parcels 60..79 (some duplicates of earlier keys), bonded goods-in, a
  // tick past every deadline.
  const uint64_t seq0 = seq_;
  const UnixMillis time0 = time_;
  auto continuation = [&](Engine* e) {
    seq_ = seq0;
    time_ = time0;
    std::vector<std::string> sent;
    for (MessageType t : {MessageType::kOrder, MessageType::kPayment, MessageType::kWaybill}) {
      Feed(e, &sent, t, 50, 55);
    }
    for (MessageType t : {MessageType::kInventoryList, MessageType::kOrder, MessageType::kPayment,
                          MessageType::kWaybill}) {
      Feed(e, &sent, t, 60, 80);
    }
    Feed(e, &sent, MessageType::kInventoryList, 80, 90);  // matched with restored documents
    Feed(e, &sent, MessageType::kOrder, 0, 5);            // duplicates: refused the same way
    // Lists decided before the snapshot, read back from their kept records:
    // returns of 0..9 (each accepted or refused for its list's state), then
    // cancellations of 10..19 (refused once released), then 0..4 again.
    for (size_t i = 0; i < 10; ++i) sent.push_back(Sent(ReturnOrCancel(e, i, true)));
    for (size_t i = 10; i < 20; ++i) sent.push_back(Sent(ReturnOrCancel(e, i, false)));
    for (size_t i = 0; i < 5; ++i) sent.push_back(Sent(ReturnOrCancel(e, i, true)));
    for (const auto& p : parcels_) {
      if (p.list.head.emsNo.empty()) continue;
      for (const auto& item : p.list.items) {
        AdminRecord g;
        g.ems_no = p.list.head.emsNo;
        g.item_record_no = item.itemRecordNo;
        g.qty = Decimal::FromInt(1000);
        auto o = e->ApplyAdmin(seq_++, time_, g);
        sent.push_back(o.ok() ? Sent(*o) : o.status().ToString());
      }
    }
    auto repeat = e->ApplyAdmin(seq_++, time_, entry);
    sent.push_back(repeat.ok() ? "loaded twice" : repeat.status().ToString());
    repeat = e->ApplyAdmin(seq_++, time_, off);
    sent.push_back(repeat.ok() ? "written off twice" : repeat.status().ToString());
    sent.push_back(e->stock().Stock(entry.ems_no, entry.item_record_no).ToString());
    sent.push_back(Sent(e->Tick(seq_++, time_ + 30LL * 24 * 3600 * 1000)));
    sent.push_back(e->EncodeSnapshot().size() > 0 ? "non-empty" : "empty");
    return sent;
  };
  const std::vector<std::string> from_a = continuation(&a);
  const std::vector<std::string> from_b = continuation(&b);
  ASSERT_EQ(from_a.size(), from_b.size());
  for (size_t i = 0; i < from_a.size(); ++i) EXPECT_EQ(from_a[i], from_b[i]) << "output " << i;
  // The continuation exercised the restored state: releases, and the tick
  // refusing the lists 55..59 whose documents never came.
  std::string all;
  for (const std::string& s : from_a) all += s;
  EXPECT_NE(all.find("returnStatus>800<"), std::string::npos);
  EXPECT_NE(all.find("[[2000.00]]"), std::string::npos) << "the run-time limit decided some";
  EXPECT_NE(all.find("goods-in entryNo GI-SNAP-1 was loaded already"), std::string::npos);
  EXPECT_NE(all.find("write-off entryNo WO-SNAP-1 was applied already"), std::string::npos);
  // Returns of lists decided before the snapshot were accepted (626 399
  // with a reduced tax bill) and refused as duplicates the second time.
  EXPECT_NE(all.find("[Code:399;Desc:退货审结]"), std::string::npos);
  EXPECT_NE(all.find("-625033"), std::string::npos)
      << "a second return of the same list is refused";
  EXPECT_NE(from_a[from_a.size() - 2].find("returnStatus>100<"), std::string::npos);
  EXPECT_EQ(a.NextDeadline(), 0);
  EXPECT_EQ(a.DocumentCount(), b.DocumentCount());
}

TEST_F(EngineSnapshotTest, DamagedSnapshotIsRefusedAndChangesNothing) {
  Engine a(&book_);
  std::vector<std::string> ignored;
  for (MessageType t : {MessageType::kOrder, MessageType::kPayment, MessageType::kWaybill,
                        MessageType::kInventoryList}) {
    Feed(&a, &ignored, t, 0, 10);
  }
  const std::string snap = a.EncodeSnapshot();
  Engine b(&book_);
  Feed(&b, &ignored, MessageType::kOrder, 20, 23);
  const size_t before = b.DocumentCount();
  for (size_t cut : {size_t{0}, size_t{1}, snap.size() / 2, snap.size() - 1}) {
    Status s = b.RestoreSnapshot(std::string_view(snap).substr(0, cut));
    EXPECT_EQ(s.code(), StatusCode::kCorruption) << cut << ": " << s.ToString();
  }
  std::string longer = snap + "x";
  EXPECT_EQ(b.RestoreSnapshot(longer).code(), StatusCode::kCorruption);
  // A count blown up to more items than the bytes could hold: the count of
  // rules versions added at run time (after the clearance flag and the
  // empty start rules), made 2^32 - 1.
  ASSERT_EQ(snap.substr(1, 2), std::string(2, '\0'));
  std::string huge = snap;
  huge.replace(2, 1, "\xff\xff\xff\xff\x0f");
  EXPECT_EQ(b.RestoreSnapshot(huge).code(), StatusCode::kCorruption);
  EXPECT_EQ(b.DocumentCount(), before);
  // Clearance on/off must match.
  Engine intake_only;
  EXPECT_EQ(intake_only.RestoreSnapshot(snap).code(), StatusCode::kFailedPrecondition);
}

TEST_F(EngineSnapshotTest, AFieldPointingOutsideItsDocumentsTextIsRefused) {
  Engine a(&book_);
  std::vector<std::string> ignored;
  Feed(&a, &ignored, MessageType::kOrder, 0, 1);  // waits for its list: kept as facts
  std::string snap = a.EncodeSnapshot();
  Engine b(&book_);
  ASSERT_TRUE(b.RestoreSnapshot(snap).ok());
  // The order's packed text, then where its first field (orderNo) lies.
  const std::string text = clearance::OrderFacts::Of(parcels_[0].order).text.bytes();
  const size_t at = snap.find(text);
  ASSERT_NE(at, std::string::npos);
  const size_t begin_at = at + text.size();  // its start, then its size (varints)
  ASSERT_EQ(snap[begin_at], '\0');
  ASSERT_EQ(static_cast<uint8_t>(snap[begin_at + 1]), parcels_[0].order.head.orderNo.size());
  snap.replace(begin_at, 1, "\xff\xff\x03");  // starting at 65,535: past the text's end
  EXPECT_EQ(b.RestoreSnapshot(snap).code(), StatusCode::kCorruption);
}

}  // namespace snapshot_test

}  // namespace
}  // namespace ftz::engine
