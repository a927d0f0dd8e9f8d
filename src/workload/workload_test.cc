#include "workload/workload.h"

#include <gtest/gtest.h>

#include <set>

#include "ceb/ceb.h"

namespace ftz::workload {
namespace {

TEST(WorkloadTest, IdNumbersCarryAValidCheckDigit) {
  // GB 11643 example: 11010519491231002X.
  EXPECT_EQ(MakeIdNumber("110105", 1949, 12, 31, 2), "11010519491231002X");
  EXPECT_TRUE(ValidIdNumber("11010519491231002X"));
  EXPECT_FALSE(ValidIdNumber("110105194912310021"));
}

TEST(WorkloadTest, ParcelsAreConsistentAndValidCeb) {
  Workload w({});
  std::vector<Parcel> parcels;
  for (int i = 0; i < 200; ++i) parcels.push_back(w.Next());
  std::set<std::string> orders;
  for (const Parcel& p : parcels) {
    const auto& o = p.order.head;
    EXPECT_TRUE(orders.insert(o.orderNo).second);
    EXPECT_TRUE(ValidIdNumber(o.buyerIdNumber));
    EXPECT_EQ(o.acturalPaid, o.goodsValue + o.freight + o.taxTotal - o.discount);
    EXPECT_EQ(p.payment.head.amountPaid, o.acturalPaid);
    EXPECT_EQ(p.payment.head.payerIdNumber, o.buyerIdNumber);
    EXPECT_EQ(p.waybill.head.consignee, o.consignee);
    EXPECT_EQ(p.list.head.logisticsNo, p.waybill.head.logisticsNo);
    EXPECT_LE(o.goodsValue, Decimal::FromInt(5000));
    Decimal sum;
    for (size_t i = 0; i < p.order.items.size(); ++i) {
      sum += p.order.items[i].totalPrice;
      EXPECT_EQ(p.list.items[i].gnum, p.order.items[i].gnum);
      EXPECT_EQ(*Decimal::MultiplyExact(p.list.items[i].price, p.list.items[i].qty),
                p.list.items[i].totalPrice);
    }
    EXPECT_EQ(sum, o.goodsValue);
  }
  for (MessageType t : {MessageType::kOrder, MessageType::kPayment, MessageType::kWaybill,
                        MessageType::kInventoryList}) {
    for (size_t per : {1u, 100u}) {
      for (const Message& m : Workload::Messages(t, parcels, per, 7)) {
        ceb::DecodeResult d = ceb::DecodeXml(ceb::EncodeMessageXml(m));
        ASSERT_TRUE(d.ok()) << d.summary;
        EXPECT_EQ(d.message.blocks, m.blocks);
      }
    }
  }
}

TEST(WorkloadTest, SameSeedSameParcels) {
  Workload a({}), b({});
  for (int i = 0; i < 50; ++i) {
    EXPECT_EQ(ceb::EncodeMessageXml(Workload::Messages(MessageType::kOrder, {a.Next()}, 1, 1)[0]),
              ceb::EncodeMessageXml(Workload::Messages(MessageType::kOrder, {b.Next()}, 1, 1)[0]));
  }
}

}  // namespace
}  // namespace ftz::workload
