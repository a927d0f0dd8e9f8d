// Every official sample of the specification (and the real-world ones) is
// decoded, checked field by field where it matters, and round-tripped through
// both writers: XML -> model -> XML -> model and model -> JSON -> model.

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "ceb/ceb.h"

namespace ftz::ceb {
namespace {

std::string SamplesDir() {
  const char* src = std::getenv("FTZ_SOURCE_DIR");
  return std::string(src ? src : ".") + "/tests/data/ceb";
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in) << path;
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct InboundCase {
  const char* file;
  MessageType type;
  size_t blocks;
};

class InboundSampleTest : public ::testing::TestWithParam<InboundCase> {};

TEST_P(InboundSampleTest, DecodesAndRoundTrips) {
  const InboundCase& c = GetParam();
  std::string xml = ReadFile(SamplesDir() + "/" + c.file);
  DecodeResult d = DecodeXml(xml);
  ASSERT_TRUE(d.ok()) << c.file << ": " << d.summary;
  EXPECT_EQ(d.message.type, c.type);
  EXPECT_EQ(d.message.BlockCount(), c.blocks);
  EXPECT_EQ(d.message.guid.size(), 36u);
  EXPECT_FALSE(d.message.transfer.copCode.empty());

  std::string again = EncodeMessageXml(d.message);
  DecodeResult d2 = DecodeXml(again);
  ASSERT_TRUE(d2.ok()) << d2.summary << "\n" << again;
  EXPECT_EQ(d2.message.blocks, d.message.blocks);
  EXPECT_EQ(d2.message.transfer, d.message.transfer);

  std::string json = EncodeMessageJson(d.message);
  DecodeResult d3 = DecodeJson(json);
  ASSERT_TRUE(d3.ok()) << d3.summary << "\n" << json;
  EXPECT_EQ(d3.message.blocks, d.message.blocks);
  EXPECT_EQ(d3.message.guid, d.message.guid);

  // The DXP envelope carries the same message.
  DecodeResult d4 = DecodeXml(
      WrapInDxp(xml, "MSG1", "DXPENT0000000001", "DXPEDCCEB0000002", RootElementName(c.type)));
  ASSERT_TRUE(d4.ok()) << d4.summary;
  EXPECT_TRUE(d4.wrapped_in_dxp);
  EXPECT_EQ(d4.message.blocks, d.message.blocks);
}

INSTANTIATE_TEST_SUITE_P(
    Official, InboundSampleTest,
    ::testing::Values(
        InboundCase{"official-202205-import/CEB311Message.xml", MessageType::kOrder, 6},
        InboundCase{"official-202205-import/CEB411Message.xml", MessageType::kPayment, 10},
        InboundCase{"official-202205-import/CEB511Message.xml", MessageType::kWaybill, 6},
        InboundCase{"official-202205-import/CEB513Message.xml", MessageType::kWaybillStatus, 10},
        InboundCase{"official-202205-import/CEB621Message.xml", MessageType::kInventoryList, 10},
        InboundCase{"official-202205-import/CEB623Message.xml", MessageType::kCancellation, 10},
        InboundCase{"official-202205-import/CEB625Message.xml", MessageType::kReturn, 10},
        InboundCase{"official-202205-import/CEB711Message.xml", MessageType::kWarehouseEntry, 1},
        InboundCase{"real-world/CEB621Message-9610-hainan.xml", MessageType::kInventoryList, 1},
        InboundCase{"real-world/CEB621Message-9610-hainan-signed-rsa-sha1.xml",
                    MessageType::kInventoryList, 1}));

TEST(SampleFieldsTest, OrderSampleFieldsAreExact) {
  std::string xml = ReadFile(SamplesDir() + "/official-202205-import/CEB311Message.xml");
  ASSERT_EQ(xml.substr(0, 3), "\xEF\xBB\xBF");  // the sample starts with a BOM
  DecodeResult d = DecodeXml(xml);
  ASSERT_TRUE(d.ok()) << d.summary;
  const auto& orders = std::get<std::vector<Order>>(d.message.blocks);
  const Order& o = orders[0];
  EXPECT_EQ(o.head.orderNo, "order20160321116421002");
  EXPECT_EQ(o.head.ebpName, "东方物通科技(北京)有限公司");
  EXPECT_EQ(o.head.goodsValue, Decimal::FromInt(14000));
  EXPECT_EQ(o.head.acturalPaid, Decimal::FromInt(19050));
  ASSERT_EQ(o.items.size(), 2u);
  EXPECT_EQ(o.items[1].gnum, 2);
  EXPECT_EQ(o.items[1].qty, Decimal::FromInt(200));
  EXPECT_EQ(o.items[1].country, "116");
  EXPECT_TRUE(d.message.signed_);
  EXPECT_EQ(d.message.transfer.dxpId, "EXP2016522002580001");
}

TEST(SampleFieldsTest, SignedRealWorldListKeepsVersionAndSignatureFlag) {
  DecodeResult d = DecodeXml(
      ReadFile(SamplesDir() + "/real-world/CEB621Message-9610-hainan-signed-rsa-sha1.xml"));
  ASSERT_TRUE(d.ok()) << d.summary;
  EXPECT_EQ(d.message.version, "v1.0");
  EXPECT_TRUE(d.message.signed_);
  const auto& lists = std::get<std::vector<InventoryList>>(d.message.blocks);
  EXPECT_EQ(lists[0].head.tradeMode, "9610");
}

struct ReceiptCase {
  const char* file;
  MessageType type;
};

class ReceiptSampleTest : public ::testing::TestWithParam<ReceiptCase> {};

TEST_P(ReceiptSampleTest, DecodesAndRoundTrips) {
  const ReceiptCase& c = GetParam();
  ReceiptMessage r;
  DecodeResult d = DecodeReceiptXml(ReadFile(SamplesDir() + "/" + c.file), &r);
  ASSERT_TRUE(d.ok()) << c.file << ": " << d.summary;
  EXPECT_EQ(r.type, c.type);
  ASSERT_GT(r.BlockCount(), 0u);
  ReceiptMessage r2;
  DecodeResult d2 = DecodeReceiptXml(EncodeReceiptXml(r), &r2);
  ASSERT_TRUE(d2.ok()) << d2.summary;
  EXPECT_EQ(r2, r);
  ReceiptMessage r3;
  DecodeResult d3 = DecodeReceiptJson(EncodeReceiptJson(r), &r3);
  ASSERT_TRUE(d3.ok()) << d3.summary;
  EXPECT_EQ(r3, r);
}

INSTANTIATE_TEST_SUITE_P(
    Official, ReceiptSampleTest,
    ::testing::Values(
        ReceiptCase{"official-202205-import/CEB312Message.xml", MessageType::kOrderReceipt},
        ReceiptCase{"official-202205-import/CEB412Message.xml", MessageType::kPaymentReceipt},
        ReceiptCase{"official-202205-import/CEB512Message.xml", MessageType::kWaybillReceipt},
        ReceiptCase{"official-202205-import/CEB514Message.xml", MessageType::kWaybillStatusReceipt},
        ReceiptCase{"official-202205-import/CEB622Message.xml", MessageType::kInventoryListReceipt},
        ReceiptCase{"official-202205-import/CEB624Message.xml", MessageType::kCancellationReceipt},
        ReceiptCase{"official-202205-import/CEB626Message.xml", MessageType::kReturnReceipt},
        ReceiptCase{"official-202205-import/CEB712Message.xml",
                    MessageType::kWarehouseEntryReceipt},
        ReceiptCase{"real-world/CEB622Message-release-800.xml",
                    MessageType::kInventoryListReceipt}));

TEST(ReceiptTest, ReleaseSampleFields) {
  ReceiptMessage r;
  ASSERT_TRUE(
      DecodeReceiptXml(ReadFile(SamplesDir() + "/real-world/CEB622Message-release-800.xml"), &r)
          .ok());
  ReturnView v = ViewReturn(r, 0);
  EXPECT_EQ(v.status, 800);
  EXPECT_EQ(v.info, "[Code:2600;Desc:放行]");
  EXPECT_EQ(v.time, "20201208172711594");
}

// The five XML special characters in a receipt's text come out escaped, at
// the start, middle and end of a value and side by side, and come back as
// they were; text without them is written as it is.
TEST(ReceiptTest, SpecialCharactersAreEscapedAndComeBack) {
  ReceiptMessage r;
  ASSERT_TRUE(
      DecodeReceiptXml(ReadFile(SamplesDir() + "/real-world/CEB622Message-release-800.xml"), &r)
          .ok());
  auto& block = std::get<std::vector<InventoryReturn>>(r.blocks).at(0);
  block.returnInfo = "<a & b> \"c\" 'd'&&";
  block.copNo = "&";
  const std::string xml = EncodeReceiptXml(r);
  EXPECT_NE(xml.find("<returnInfo>&lt;a &amp; b&gt; &quot;c&quot; &apos;d&apos;&amp;&amp;"
                     "</returnInfo>\n"),
            std::string::npos)
      << xml;
  EXPECT_NE(xml.find("<copNo>&amp;</copNo>\n"), std::string::npos) << xml;
  EXPECT_NE(xml.find("<returnTime>20201208172711594</returnTime>\n"), std::string::npos) << xml;
  ReceiptMessage back;
  DecodeResult d = DecodeReceiptXml(xml, &back);
  ASSERT_TRUE(d.ok()) << d.summary;
  EXPECT_EQ(back, r);
}

}  // namespace
}  // namespace ftz::ceb
