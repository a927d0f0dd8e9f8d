// Engine paths the case files cannot tell (their core run has no officer
// holding a list for stock, no document left over once a list is decided,
// and no intake refusal): an officer's release short of bonded stock,
// changes to the documents a decided list was matched with, and who may
// correct a refused list.
#include <gtest/gtest.h>

#include <vector>

#include "ceb/ceb.h"
#include "clearance/test_documents.h"
#include "clearance/testing/case_file.h"
#include "engine/engine.h"

namespace ftz::engine {
namespace {

using clearance::testing::BuildList;
using clearance::testing::BuildOrder;
using clearance::testing::BuildPayment;
using clearance::testing::BuildWaybill;
using clearance::testing::LogisticsNoOf;
using clearance::testing::Purchase;

class EngineDecisionsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto rules = clearance::testing::LoadCaseRules({"rules", "default", "+norandom", "+risk"});
    ASSERT_TRUE(rules.ok()) << rules.status().ToString();
    ASSERT_TRUE(book_.Add(rules->rules).ok());
    engine_ = std::make_unique<Engine>(&book_);
    t_ = *clearance::testing::ParseClock("2026-12-01T10:00:00");
  }

  template <class Doc>
  Outcome Send(MessageType type, Doc doc, const std::string& sender, std::string app_type = "1") {
    doc.head.appType = app_type;
    Message m;
    m.type = type;
    m.guid = ceb::DeriveGuid("decisions:" + std::to_string(seq_ + 1));
    m.version = "1.0";
    m.blocks = std::vector<Doc>{std::move(doc)};
    m.transfer.copCode = sender;
    return engine_->Apply(++seq_, t_, m);
  }

  // The four documents; returns the list's invtNo.
  std::string Declare(const Purchase& p) {
    Send(MessageType::kOrder, BuildOrder(p, t_), p.ebp_code);
    Send(MessageType::kPayment, BuildPayment(p, t_), p.pay_code);
    Send(MessageType::kWaybill, BuildWaybill(p, t_), p.logistics_code);
    Outcome o = Send(MessageType::kInventoryList, BuildList(p, t_), p.agent_code);
    last_ = o;
    return std::get<std::vector<InventoryReturn>>(o.receipt.blocks).at(0).invtNo;
  }

  static std::vector<int> Sent(const Outcome& o) {
    std::vector<int> v;
    for (const Emitted& e : o.emitted) {
      v.push_back(e.receipt.type == MessageType::kTaxBill ? 816
                                                          : ceb::ViewReturn(e.receipt, 0).status);
    }
    return v;
  }

  static Purchase Parcel(const std::vector<std::pair<std::string, std::string>>& kv) {
    Purchase p;
    p.name = "p";
    for (const auto& [k, v] : kv) EXPECT_TRUE(clearance::testing::SetPurchase(&p, k, v).ok()) << k;
    return p;
  }

  Result<Outcome> Admin(AdminRecord a) {
    a.operator_id = "officer-1";
    return engine_->ApplyAdmin(++seq_, t_, a);
  }

  clearance::RuleBook book_;
  std::unique_ptr<Engine> engine_;
  UnixMillis t_ = 0;
  uint64_t seq_ = 0;
  Outcome last_;
};

TEST_F(EngineDecisionsTest, OfficerReleaseShortOfStockIsHeldUntilGoodsIn) {
  AdminRecord in;
  in.kind = AdminRecord::kGoodsIn;
  in.ems_no = "T2900W000001";
  in.item_record_no = "R001";
  in.qty = Decimal::FromInt(1);
  ASSERT_TRUE(Admin(in).ok());
  // Two pieces against one in stock, declared by a watched agent: review.
  const std::string invt = Declare(Parcel({{"tradeMode", "1210"},
                                           {"emsNo", "T2900W000001"},
                                           {"lines", "1901101000*2@150/rec=R001"},
                                           {"agentCode", "3301969999"}}));
  ASSERT_EQ(Sent(last_), (std::vector<int>{120, 300}));
  AdminRecord release;
  release.kind = AdminRecord::kConclude;
  release.invt_no = invt;
  release.release = true;
  Result<Outcome> held = Admin(release);
  ASSERT_TRUE(held.ok()) << held.status().ToString();
  EXPECT_EQ(Sent(*held), std::vector<int>{120});  // released, but the stock is short
  // Goods-in releases it, as it releases a list held on arrival.
  in.qty = Decimal::FromInt(5);
  Result<Outcome> goods_in = Admin(in);
  ASSERT_TRUE(goods_in.ok()) << goods_in.status().ToString();
  EXPECT_EQ(Sent(*goods_in), (std::vector<int>{800, 816}));
  // Released later, the 800 still carries the list's e-port number.
  EXPECT_EQ(std::get<std::vector<InventoryReturn>>(goods_in->emitted[0].receipt.blocks)[0].preNo,
            std::get<std::vector<InventoryReturn>>(last_.emitted[0].receipt.blocks)[0].preNo);
  EXPECT_EQ(std::get<std::vector<InventoryReturn>>(held->emitted[0].receipt.blocks)[0].preNo.size(),
            18u);
  // Both pieces left the account; a second goods-in releases nothing more.
  EXPECT_EQ(engine_->stock().Stock("T2900W000001", "R001"), Decimal::FromInt(4));
  Result<Outcome> again = Admin(in);
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(Sent(*again).empty());
}

// A goods-in that names its entry number loads once: a retry (the operator
// saw no answer) is refused naming the first, and the stock is unchanged.
// Goods-in without one are each loaded.
TEST_F(EngineDecisionsTest, AGoodsInWithAnEntryNumberLoadsOnce) {
  AdminRecord in;
  in.kind = AdminRecord::kGoodsIn;
  in.ems_no = "T2900W000001";
  in.item_record_no = "R001";
  in.qty = Decimal::FromInt(5);
  in.entry_no = "GI-20261201-001";
  ASSERT_TRUE(Admin(in).ok());
  const uint64_t first = seq_;
  Result<Outcome> again = Admin(in);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.status().code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(again.status().message(),
            "goods-in entryNo GI-20261201-001 was loaded already at log index " +
                std::to_string(first) + "; nothing loaded");
  in.qty = Decimal::FromInt(7);  // the same number, other content: refused, the first named
  again = Admin(in);
  ASSERT_FALSE(again.ok());
  EXPECT_NE(again.status().message().find("(T2900W000001 R001 qty 5)"), std::string::npos)
      << again.status().ToString();
  EXPECT_EQ(engine_->stock().Stock("T2900W000001", "R001"), Decimal::FromInt(5));
  in.entry_no.clear();
  ASSERT_TRUE(Admin(in).ok());
  ASSERT_TRUE(Admin(in).ok());
  EXPECT_EQ(engine_->stock().Stock("T2900W000001", "R001"), Decimal::FromInt(19));
  // The record's encoding carries the number, and reads back without one too.
  in.entry_no = "GI-2";
  AdminRecord back;
  ASSERT_TRUE(DecodeAdminRecord(EncodeAdminRecord(in), &back));
  EXPECT_EQ(back.entry_no, "GI-2");
  in.entry_no.clear();
  ASSERT_TRUE(DecodeAdminRecord(EncodeAdminRecord(in), &back));
  EXPECT_EQ(back.entry_no, "");
  EXPECT_EQ(back.qty, Decimal::FromInt(7));
}

// A write-off takes stock off a line that goods-in loaded (damaged goods, a
// count short, a goods-in keyed too large), never more than is on hand;
// with a document number it applies once, sharing the numbers of goods-in.
TEST_F(EngineDecisionsTest, AWriteOffTakesStockOffNeverBelowZero) {
  AdminRecord in;
  in.kind = AdminRecord::kGoodsIn;
  in.ems_no = "T2900W000001";
  in.item_record_no = "R001";
  in.qty = Decimal::FromInt(5);
  in.entry_no = "GI-1";
  ASSERT_TRUE(Admin(in).ok());
  AdminRecord off;
  off.kind = AdminRecord::kWriteOff;
  off.ems_no = "T2900W000001";
  off.item_record_no = "R001";
  off.qty = Decimal::FromInt(2);
  off.note = "两件破损";
  off.entry_no = "WO-1";
  Result<Outcome> done = Admin(off);
  ASSERT_TRUE(done.ok()) << done.status().ToString();
  const uint64_t first = seq_;
  EXPECT_EQ(engine_->stock().Stock("T2900W000001", "R001"), Decimal::FromInt(3));
  ASSERT_EQ(done->stock.size(), 1u);  // the stock report's row
  EXPECT_EQ(done->stock[0].qty, Decimal::FromInt(3));
  EXPECT_TRUE(done->emitted.empty());
  // A retry, and a goods-in naming the write-off's number: nothing changes.
  Result<Outcome> again = Admin(off);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.status().code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(again.status().message(), "write-off entryNo WO-1 was applied already at log index " +
                                          std::to_string(first) + "; nothing written off");
  in.entry_no = "WO-1";
  again = Admin(in);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.status().message(), "write-off entryNo WO-1 was applied already at log index " +
                                          std::to_string(first) +
                                          " (T2900W000001 R001 qty 2); nothing loaded");
  // More than is on hand: refused, naming the stock; nothing taken.
  off.entry_no = "WO-2";
  off.qty = Decimal::FromInt(4);
  again = Admin(off);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(
      again.status().message(),
      "write-off of 4 exceeds the stock on hand of T2900W000001 R001, 3; nothing written off");
  // WO-2 was refused, so its number is still free.
  off.qty = Decimal::FromInt(3);
  ASSERT_TRUE(Admin(off).ok());
  EXPECT_EQ(engine_->stock().Stock("T2900W000001", "R001"), Decimal::FromInt(0));
  // A line no goods-in ever loaded.
  off.entry_no.clear();
  off.item_record_no = "R404";
  again = Admin(off);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.status().code(), StatusCode::kNotFound);
  // The record carries the reason; one without a reason does not decode.
  off.entry_no = "WO-3";
  AdminRecord back;
  ASSERT_TRUE(DecodeAdminRecord(EncodeAdminRecord(off), &back));
  EXPECT_EQ(back.kind, AdminRecord::kWriteOff);
  EXPECT_EQ(back.note, "两件破损");
  EXPECT_EQ(back.entry_no, "WO-3");
  EXPECT_EQ(back.qty, Decimal::FromInt(3));
  off.note.clear();
  EXPECT_FALSE(DecodeAdminRecord(EncodeAdminRecord(off), &back));
}

// Stock a return puts back releases a list held for it, as goods-in does
// (the held list stayed at 120 while a newer list took that stock).
TEST_F(EngineDecisionsTest, StockAReturnPutsBackReleasesAHeldList) {
  AdminRecord in;
  in.kind = AdminRecord::kGoodsIn;
  in.ems_no = "T2900W000001";
  in.item_record_no = "R001";
  in.qty = Decimal::FromInt(2);
  ASSERT_TRUE(Admin(in).ok());
  auto bonded = [&](const std::string& buyer) {
    return Parcel({{"tradeMode", "1210"},
                   {"emsNo", "T2900W000001"},
                   {"lines", "1901101000*2@150/rec=R001"},
                   {"buyer", buyer}});
  };
  Purchase first = bonded("330106199001011234");
  const std::string released = Declare(first);
  ASSERT_EQ(Sent(last_), (std::vector<int>{120, 800, 816}));
  Purchase second = bonded("330106199003033333");
  second.name = "held";
  Declare(second);
  ASSERT_EQ(Sent(last_), (std::vector<int>{120, 120}));  // entered, held: the stock is gone
  // The first list comes back whole.
  const InventoryHead l = BuildList(first, t_).head;
  ReturnRequest r;
  r.head.customsCode = l.customsCode;
  r.head.orderNo = l.orderNo;
  r.head.ebpCode = l.ebpCode;
  r.head.ebcCode = l.ebcCode;
  r.head.logisticsCode = l.logisticsCode;
  r.head.logisticsNo = l.logisticsNo;
  r.head.copNo = "RET-" + l.copNo;
  r.head.invtNo = released;
  r.head.buyerIdType = "1";
  r.head.buyerIdNumber = l.buyerIdNumber;
  r.head.buyerName = l.buyerName;
  r.head.agentCode = l.agentCode;
  r.head.reason = "七天无理由退货";
  for (const InventoryItem& item : BuildList(first, t_).items) {
    ReturnItem ri;
    ri.gnum = item.gnum;
    ri.gcode = item.gcode;
    ri.gname = item.gname;
    ri.qty = item.qty;
    ri.unit = item.unit;
    r.items.push_back(ri);
  }
  Outcome o = Send(MessageType::kReturn, r, first.agent_code);
  // The 626, the voided bill, then the held list's release and its bill.
  EXPECT_EQ(Sent(o), (std::vector<int>{399, 816, 800, 816}));
  EXPECT_EQ(engine_->stock().Stock("T2900W000001", "R001"), Decimal());
}

// Two lists waiting for the same waybill (the second names another
// parcel's): when it arrives both are decided, the right one released and
// the other refused. The second used to take the first's place in the
// index, and the first waited for its deadline.
TEST_F(EngineDecisionsTest, AWaybillDecidesEveryListWaitingForIt) {
  const Purchase mine = Parcel({{"lines", "0402210000*1@100"}});
  Purchase other = Parcel({{"lines", "0402210000*1@100"}, {"buyer", "330106199003033333"}});
  other.name = "other";
  other.logistics_no = LogisticsNoOf(mine);
  for (const Purchase* p : {&mine, static_cast<const Purchase*>(&other)}) {
    Send(MessageType::kOrder, BuildOrder(*p, t_), p->ebp_code);
    Send(MessageType::kPayment, BuildPayment(*p, t_), p->pay_code);
    Outcome waiting = Send(MessageType::kInventoryList, BuildList(*p, t_), p->agent_code);
    ASSERT_TRUE(Sent(waiting).empty());
  }
  Outcome o = Send(MessageType::kWaybill, BuildWaybill(mine, t_), mine.logistics_code);
  // The first list's 120, 800 and bill, then the second's refusal.
  ASSERT_EQ(Sent(o), (std::vector<int>{120, 800, 816, 100}));
  EXPECT_NE(ceb::ViewReturn(o.emitted[3].receipt, 0).info.find("orderNo"), std::string::npos)
      << ceb::ViewReturn(o.emitted[3].receipt, 0).info;
  EXPECT_EQ(engine_->NextDeadline(), 0);  // neither waits any more
}

TEST_F(EngineDecisionsTest, DocumentsOfADecidedListCannotBeChangedOrDeleted) {
  const Purchase p = Parcel({{"lines", "0402210000*1@100"}});
  Declare(p);
  ASSERT_EQ(Sent(last_), (std::vector<int>{120, 800, 816}));
  for (const std::string app_type : {"2", "3"}) {
    SCOPED_TRACE("appType " + app_type);
    Outcome order = Send(MessageType::kOrder, BuildOrder(p, t_), p.ebp_code, app_type);
    EXPECT_EQ(ceb::ViewReturn(order.receipt, 0).status, -301011);
    EXPECT_EQ(ceb::ViewReturn(order.receipt, 0).info.find("该订单已向海关申报清单，状态不符"), 0u);
    Outcome payment = Send(MessageType::kPayment, BuildPayment(p, t_), p.pay_code, app_type);
    EXPECT_EQ(ceb::ViewReturn(payment.receipt, 0).status, -401008);
    Outcome waybill = Send(MessageType::kWaybill, BuildWaybill(p, t_), p.logistics_code, app_type);
    EXPECT_EQ(ceb::ViewReturn(waybill.receipt, 0).status, -504016);
    for (const Outcome* o : {&order, &payment, &waybill}) {
      EXPECT_EQ(o->accepted, 0u);
      EXPECT_TRUE(o->changes.empty());
    }
  }
  // The documents of a list still waiting can still be changed.
  Purchase q = Parcel({{"lines", "0402210000*1@100"}, {"buyer", "330106199003033333"}});
  q.name = "q";
  Send(MessageType::kOrder, BuildOrder(q, t_), q.ebp_code);
  Outcome changed = Send(MessageType::kOrder, BuildOrder(q, t_), q.ebp_code, "2");
  EXPECT_EQ(ceb::ViewReturn(changed.receipt, 0).status, 2);
}

// One payment per order: a second one (another transaction) for an order
// still waiting is refused, -401003, and the first stays the one matched;
// once the list is decided the first payment is used (a change to it is
// refused as such), and nothing of either is left behind.
// A waiting list is changed or deleted only by the agent that declared it:
// another agent's appType 2 or 3 is refused (-621016) and changes nothing
// (it took over the list's receipts and tax bill).
TEST_F(EngineDecisionsTest, AnotherAgentCannotChangeOrDeleteAWaitingList) {
  const Purchase p = Parcel({{"lines", "0402210000*1@100"}});
  Send(MessageType::kInventoryList, BuildList(p, t_), p.agent_code);
  InventoryList taken = BuildList(p, t_);
  taken.head.agentCode = "3301960402";
  taken.head.assureCode = "3301960402";
  for (const std::string app_type : {"2", "3"}) {
    Outcome o = Send(MessageType::kInventoryList, taken, "3301960402", app_type);
    EXPECT_EQ(ceb::ViewReturn(o.receipt, 0).status, -621016) << app_type;
    EXPECT_NE(ceb::ViewReturn(o.receipt, 0).info.find("申报企业[3301960402]没有权限进行操作"),
              std::string::npos)
        << ceb::ViewReturn(o.receipt, 0).info;
    EXPECT_EQ(o.accepted, 0u);
  }
  // Its own agent may change it while it waits.
  EXPECT_EQ(ceb::ViewReturn(
                Send(MessageType::kInventoryList, BuildList(p, t_), p.agent_code, "2").receipt, 0)
                .status,
            2);
  // The list still belongs to its agent: its receipts go there.
  Send(MessageType::kOrder, BuildOrder(p, t_), p.ebp_code);
  Send(MessageType::kPayment, BuildPayment(p, t_), p.pay_code);
  Outcome o = Send(MessageType::kWaybill, BuildWaybill(p, t_), p.logistics_code);
  ASSERT_EQ(Sent(o), (std::vector<int>{120, 800, 816}));
  EXPECT_EQ(o.emitted[0].cop_code, p.agent_code);
  EXPECT_EQ(o.emitted[2].cop_code, BuildList(p, t_).head.assureCode);
}

TEST_F(EngineDecisionsTest, ASecondPaymentForAnOrderIsRefused) {
  const Purchase p = Parcel({{"lines", "0402210000*1@100"}});
  Send(MessageType::kOrder, BuildOrder(p, t_), p.ebp_code);
  Payment first = BuildPayment(p, t_);
  Send(MessageType::kPayment, first, p.pay_code);
  Payment second = first;
  second.head.payTransactionId += "-2";
  second.head.amountPaid = Decimal();  // it would not match: it must not replace the first
  Outcome o = Send(MessageType::kPayment, second, p.pay_code);
  EXPECT_EQ(ceb::ViewReturn(o.receipt, 0).status, -401003);
  EXPECT_NE(ceb::ViewReturn(o.receipt, 0).info.find("对应多条支付凭证"), std::string::npos)
      << ceb::ViewReturn(o.receipt, 0).info;
  EXPECT_EQ(o.accepted, 0u);
  EXPECT_TRUE(o.changes.empty());
  // Nor may a change move another payment onto the order.
  Purchase other = Parcel({{"lines", "0402210000*1@100"}, {"buyer", "330106199003033333"}});
  other.name = "other";
  Payment moved = BuildPayment(other, t_);
  Send(MessageType::kPayment, moved, other.pay_code);
  moved.head.orderNo = first.head.orderNo;
  o = Send(MessageType::kPayment, moved, other.pay_code, "2");
  EXPECT_EQ(ceb::ViewReturn(o.receipt, 0).status, -401003);
  // The first payment itself can still be changed while its list waits.
  EXPECT_EQ(ceb::ViewReturn(Send(MessageType::kPayment, first, p.pay_code, "2").receipt, 0).status,
            2);
  Send(MessageType::kWaybill, BuildWaybill(p, t_), p.logistics_code);
  o = Send(MessageType::kInventoryList, BuildList(p, t_), p.agent_code);
  // Released, matched with the first payment (the second's amount would
  // have refused it); a change to the first is now refused as used.
  EXPECT_EQ(Sent(o), (std::vector<int>{120, 800, 816}));
  EXPECT_EQ(ceb::ViewReturn(Send(MessageType::kPayment, first, p.pay_code, "2").receipt, 0).status,
            -401008);
}

TEST_F(EngineDecisionsTest, ACancellationStandsAsDecidedWithItsOwnNumber) {
  // A list still waiting for its documents, then its cancellation.
  const Purchase p = Parcel({{"lines", "0402210000*1@100"}});
  Outcome declared = Send(MessageType::kInventoryList, BuildList(p, t_), p.agent_code);
  const InventoryReturn& list = std::get<std::vector<InventoryReturn>>(declared.receipt.blocks)[0];
  clearance::ListRecord record;
  record.invt_no = list.invtNo;
  record.order_no = clearance::testing::OrderNoOf(p);
  record.ebp_code = p.ebp_code;
  record.ebc_code = p.ebc_code;
  record.buyer_id_number = p.buyer_id;
  record.buyer_name = p.buyer_name;
  record.agent_code = p.agent_code;
  record.customs_code = p.customs_code;
  Cancellation cancel;
  clearance::testing::FillFromRecord(record, p, t_, &cancel.head);
  cancel.head.reason = "买家取消订单";
  cancel.head.preNo = "B20160308000000001";  // as the enterprise filled it in
  Outcome o = Send(MessageType::kCancellation, cancel, p.agent_code);
  ASSERT_EQ(ceb::ViewReturn(o.receipt, 0).status, 2);
  const std::string own_pre_no = std::get<std::vector<InvtCancelReturn>>(o.receipt.blocks)[0].preNo;
  ASSERT_EQ(own_pre_no.size(), 18u);
  EXPECT_NE(own_pre_no, list.preNo);
  // The CEB624 399 carries the application's number, and the application's
  // row (written once) says 399, as does the list's.
  ASSERT_EQ(o.emitted.size(), 1u);
  EXPECT_EQ(ceb::ViewReturn(o.emitted[0].receipt, 0).status, 399);
  EXPECT_EQ(std::get<std::vector<InvtCancelReturn>>(o.emitted[0].receipt.blocks)[0].preNo,
            own_pre_no);
  int application_rows = 0;
  for (const DocumentChange& c : o.changes) {
    if (c.type == MessageType::kCancellation) {
      ++application_rows;
      EXPECT_EQ(c.status, 399);
      EXPECT_FALSE(c.status_only);
    } else {
      EXPECT_EQ(c.type, MessageType::kInventoryList);
      EXPECT_EQ(c.status, 399);
    }
  }
  EXPECT_EQ(application_rows, 1);
  // A corrected application (appType 2) refused: the application now stands
  // refused, the list as it was.
  cancel.head.reason = "again";
  Outcome again = Send(MessageType::kCancellation, cancel, p.agent_code, "2");
  ASSERT_EQ(again.emitted.size(), 1u);
  EXPECT_EQ(ceb::ViewReturn(again.emitted[0].receipt, 0).status, 100);
  ASSERT_EQ(again.changes.size(), 1u);
  EXPECT_EQ(again.changes[0].type, MessageType::kCancellation);
  EXPECT_EQ(again.changes[0].status, 100);
}

// 改单 after 退单 (src/clearance/testdata/correct_refused_list.case tells
// the decisions): what intake allows on a list the rules refused. Only its
// own agent may change or delete it; deleted, its order may be declared
// with a new list; a snapshot keeps it correctable.
TEST_F(EngineDecisionsTest, ARefusedListIsCorrectedOrDeletedByItsAgent) {
  const Purchase p = Parcel({{"lines", "0402210000*1@100"}});
  Send(MessageType::kOrder, BuildOrder(p, t_), p.ebp_code);
  Send(MessageType::kPayment, BuildPayment(p, t_), p.pay_code);
  Send(MessageType::kWaybill, BuildWaybill(p, t_), p.logistics_code);
  InventoryList wrong = BuildList(p, t_);
  wrong.head.buyerName = "赵六";
  Outcome refused = Send(MessageType::kInventoryList, wrong, p.agent_code);
  ASSERT_EQ(Sent(refused), std::vector<int>{100});
  const std::string invt = std::get<std::vector<InventoryReturn>>(refused.receipt.blocks)[0].invtNo;
  // Declared again as new: a duplicate. Another agent: no right to it.
  EXPECT_EQ(
      ceb::ViewReturn(Send(MessageType::kInventoryList, wrong, p.agent_code).receipt, 0).status,
      -621004);
  InventoryList taken = BuildList(p, t_);
  taken.head.agentCode = "3301960402";
  for (const std::string app_type : {"2", "3"}) {
    Outcome o = Send(MessageType::kInventoryList, taken, "3301960402", app_type);
    EXPECT_EQ(ceb::ViewReturn(o.receipt, 0).status, -621016) << app_type;
    EXPECT_TRUE(o.emitted.empty());
  }
  // Its agent deletes it: the order, payment and waybill stay, and a new
  // list of the same order is matched with them (a new invtNo).
  Outcome deleted = Send(MessageType::kInventoryList, wrong, p.agent_code, "3");
  ASSERT_EQ(ceb::ViewReturn(deleted.receipt, 0).status, 2)
      << ceb::ViewReturn(deleted.receipt, 0).info;
  // Its answer names the list deleted; its invtNo leaves the read model.
  EXPECT_EQ(std::get<std::vector<InventoryReturn>>(deleted.receipt.blocks)[0].invtNo, invt);
  EXPECT_EQ(std::get<std::vector<InventoryReturn>>(deleted.receipt.blocks)[0].preNo,
            std::get<std::vector<InventoryReturn>>(refused.receipt.blocks)[0].preNo);
  ASSERT_EQ(deleted.changes.size(), 1u);
  EXPECT_TRUE(deleted.changes[0].removed);
  EXPECT_EQ(deleted.changes[0].invt_no, invt);
  // Deleted: a change or delete of it now names nothing (the spec's text).
  Outcome gone = Send(MessageType::kInventoryList, wrong, p.agent_code, "2");
  EXPECT_EQ(ceb::ViewReturn(gone.receipt, 0).status, -621011);
  EXPECT_EQ(ceb::ViewReturn(gone.receipt, 0).info,
            "不存在已申报的清单[" + deleted.changes[0].key + "]，无法进行改单操作");
  Outcome again = Send(MessageType::kInventoryList, BuildList(p, t_), p.agent_code);
  ASSERT_EQ(Sent(again), (std::vector<int>{120, 800, 816}));
  EXPECT_NE(std::get<std::vector<InventoryReturn>>(again.receipt.blocks)[0].invtNo, invt);

  // A refused list in a snapshot is still one its agent may correct.
  Purchase q = Parcel({{"lines", "0402210000*1@100"}, {"buyer", "330106199003033333"}});
  q.name = "q";
  Send(MessageType::kOrder, BuildOrder(q, t_), q.ebp_code);
  Send(MessageType::kPayment, BuildPayment(q, t_), q.pay_code);
  Send(MessageType::kWaybill, BuildWaybill(q, t_), q.logistics_code);
  InventoryList q_wrong = BuildList(q, t_);
  q_wrong.head.buyerName = "赵六";
  ASSERT_EQ(Sent(Send(MessageType::kInventoryList, q_wrong, q.agent_code)), std::vector<int>{100});
  const std::string body = engine_->EncodeSnapshot();
  engine_ = std::make_unique<Engine>(&book_);
  ASSERT_TRUE(engine_->RestoreSnapshot(body).ok());
  EXPECT_EQ(engine_->EncodeSnapshot().size(), body.size());
  Outcome corrected = Send(MessageType::kInventoryList, BuildList(q, t_), q.agent_code, "2");
  EXPECT_EQ(ceb::ViewReturn(corrected.receipt, 0).status, 2);
  EXPECT_EQ(Sent(corrected), (std::vector<int>{120, 800, 816}));
  // Released now: no further change.
  EXPECT_EQ(ceb::ViewReturn(
                Send(MessageType::kInventoryList, BuildList(q, t_), q.agent_code, "2").receipt, 0)
                .status,
            -621012);
}

// An officer's refusal after review or inspection is final: the list is not
// declared again (-621012), and the documents it was matched with stay used.
TEST_F(EngineDecisionsTest, AnOfficersRefusalIsFinal) {
  const Purchase p = Parcel({{"lines", "0402210000*1@100"}, {"agentCode", "3301969999"}});
  const std::string invt = Declare(p);
  ASSERT_EQ(Sent(last_), (std::vector<int>{120, 300}));
  AdminRecord refuse;
  refuse.kind = AdminRecord::kConclude;
  refuse.invt_no = invt;
  refuse.release = false;
  refuse.note = "查验不符";
  Result<Outcome> refused = Admin(refuse);
  ASSERT_TRUE(refused.ok()) << refused.status().ToString();
  ASSERT_EQ(Sent(*refused), std::vector<int>{100});
  // The officer's 100 carries the list's e-port number, as its 120 did.
  const std::string pre_no =
      std::get<std::vector<InventoryReturn>>(refused->emitted[0].receipt.blocks)[0].preNo;
  EXPECT_EQ(pre_no.size(), 18u);
  EXPECT_EQ(pre_no,
            std::get<std::vector<InventoryReturn>>(last_.emitted[0].receipt.blocks)[0].preNo);
  Outcome o = Send(MessageType::kInventoryList, BuildList(p, t_), p.agent_code, "2");
  EXPECT_EQ(ceb::ViewReturn(o.receipt, 0).status, -621012);
  // The answer names the list and says why, with its numbers.
  EXPECT_EQ(ceb::ViewReturn(o.receipt, 0).info,
            "清单[" + invt + "]的申报状态不符合改单申报的条件（海关已审结退单，不能再改单或删除）");
  EXPECT_EQ(std::get<std::vector<InventoryReturn>>(o.receipt.blocks)[0].invtNo, invt);
  EXPECT_EQ(std::get<std::vector<InventoryReturn>>(o.receipt.blocks)[0].preNo, pre_no);
  EXPECT_TRUE(o.emitted.empty());
  // Another agent learns nothing of it: refused as not its list.
  InventoryList taken = BuildList(p, t_);
  taken.head.agentCode = "3301960402";
  Outcome other = Send(MessageType::kInventoryList, taken, "3301960402", "2");
  EXPECT_EQ(ceb::ViewReturn(other.receipt, 0).status, -621016);
  EXPECT_TRUE(std::get<std::vector<InventoryReturn>>(other.receipt.blocks)[0].invtNo.empty());
  EXPECT_EQ(
      ceb::ViewReturn(Send(MessageType::kOrder, BuildOrder(p, t_), p.ebp_code, "2").receipt, 0)
          .status,
      -301011);
}

}  // namespace
}  // namespace ftz::engine
