#include "engine/engine.h"

#include <gtest/gtest.h>

#include "ceb/ceb.h"

namespace ftz::engine {
namespace {

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

}  // namespace
}  // namespace ftz::engine
