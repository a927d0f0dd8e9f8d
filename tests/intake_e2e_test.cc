// The single window over real HTTP: what an enterprise sends, what it gets
// back, and that bad input of every kind named in the intake issue gets a
// precise refusal and changes nothing.
#include <gtest/gtest.h>
#include <sys/socket.h>

#include <algorithm>
#include <fstream>
#include <future>
#include <sstream>

#include "ceb/ceb.h"
#include "test_server.h"
#include "workload/workload.h"

namespace ftz {
namespace {

using testing::Client;
using testing::HttpResult;
using testing::TestServer;

class IntakeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = std::make_unique<TestServer>(
        ::testing::UnitTest::GetInstance()->current_test_info()->name(), Limits());
    workload::Workload w({});
    for (int i = 0; i < 12; ++i) parcels_.push_back(w.Next());
  }
  virtual server::ApiLimits Limits() {
    server::ApiLimits l;
    l.max_body = 1 << 20;
    return l;
  }

  std::string Xml(MessageType t, size_t per = 1, size_t index = 0) {
    return ceb::EncodeMessageXml(workload::Workload::Messages(t, parcels_, per, 1).at(index));
  }
  const Message& Msg(MessageType t, size_t per = 1, size_t index = 0) {
    cache_.push_back(workload::Workload::Messages(t, parcels_, per, 1).at(index));
    return cache_.back();
  }
  HttpResult Post(Client& c, const std::string& body, const std::string& accept = "application/xml",
                  const std::string& type = "application/xml") {
    return c.Request("POST", "/v1/messages", body, {{"Content-Type", type}, {"Accept", accept}});
  }
  uint64_t LogSize() { return server_->node().log().next_seq(); }
  // `n` orders of a workload of their own (order numbers from `prefix`).
  static std::vector<Message> Orders(const std::string& prefix, int n) {
    workload::Options wo;
    wo.order_prefix = prefix;
    workload::Workload w(wo);
    std::vector<workload::Parcel> ps;
    for (int i = 0; i < n; ++i) ps.push_back(w.Next());
    return workload::Workload::Messages(MessageType::kOrder, ps, 1, 1);
  }
  // After a stop and a restart: each order answered 200 (`answer`, in
  // order; anything else: not answered) is in the log, a duplicate when
  // sent again; each other one is not, and is accepted. Returns how many
  // were answered 200.
  size_t ExpectAnsweredExactlyTheLogged(const std::vector<Message>& orders,
                                        const std::vector<int>& answer) {
    Client c(server_->port());
    size_t answered = 0;
    EXPECT_EQ(answer.size(), orders.size());
    for (size_t i = 0; i < orders.size() && i < answer.size(); ++i) {
      if (answer[i] == -2) continue;  // never sent
      const int again = Post(c, ceb::EncodeMessageXml(orders[i])).status;
      if (answer[i] == 200) {
        ++answered;
        EXPECT_EQ(again, 409) << "order " << i << " was answered 200 but is not in the log";
      } else {
        EXPECT_EQ(again, 200) << "order " << i << " (answer " << answer[i]
                              << ") was logged, yet its sender got no 200";
      }
    }
    return answered;
  }
  // Until `n` long-polls wait in the feed (they are then registered: a
  // commit from here on wakes them).
  void WaitForWaiters(size_t n) {
    for (int i = 0; i < 1000 && server_->feed().waiters() < n; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    ASSERT_EQ(server_->feed().waiters(), n);
  }

  void WaitForReadModel() {
    for (int i = 0; i < 500 && server_->node().read_model_lag() > 0; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }

  std::unique_ptr<TestServer> server_;
  std::vector<workload::Parcel> parcels_;
  std::deque<Message> cache_;
};

// The port `ftzport serve` takes before it recovers is held from then on: a
// second bind of it fails even though nothing is served there yet (a socket
// bound but not listening could be bound again by another SO_REUSEADDR
// socket, which then took the port during the first one's replay).
TEST(BindListenAddress, HoldsThePortBeforeItIsServed) {
  auto first = server::BindListenAddress("127.0.0.1", 0);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  ASSERT_NE(first->port(), 0);
  auto second = server::BindListenAddress("127.0.0.1", first->port());
  ASSERT_FALSE(second.ok());
  EXPECT_NE(second.status().message().find("Address already in use"), std::string::npos)
      << second.status().ToString();
  EXPECT_EQ(server::BindListenAddress("300.1.1.1", 0).status().code(),
            StatusCode::kInvalidArgument);
}

TEST_F(IntakeTest, EachEnterpriseGetsItsReceipt) {
  Client c(server_->port());
  for (MessageType t : {MessageType::kOrder, MessageType::kPayment, MessageType::kWaybill,
                        MessageType::kInventoryList}) {
    HttpResult r = Post(c, Xml(t, 3));
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.headers["Content-Type"], "application/xml; charset=utf-8");
    ReceiptMessage receipt;
    ASSERT_TRUE(ceb::DecodeReceiptXml(r.body, &receipt).ok()) << r.body;
    EXPECT_EQ(receipt.type, ReceiptTypeFor(t));
    ASSERT_GE(receipt.BlockCount(), 1u);
    ceb::ReturnView v = ceb::ViewReturn(receipt, 0);
    EXPECT_EQ(v.status, 2);
    EXPECT_EQ(v.time.size(), 17u);  // YYYYMMDDhhmmssSSS
    EXPECT_NE(v.info.find("新增申报成功"), std::string::npos);
    EXPECT_FALSE(r.headers["X-Ftz-Message-Seq"].empty());
  }
  // The list's receipt carries the e-port's preNo (18 characters).
  HttpResult list = Post(c, Xml(MessageType::kInventoryList, 3, 1));
  ReceiptMessage receipt;
  ASSERT_TRUE(ceb::DecodeReceiptXml(list.body, &receipt).ok());
  EXPECT_EQ(std::get<std::vector<InventoryReturn>>(receipt.blocks)[0].preNo.size(), 18u);
}

TEST_F(IntakeTest, JsonInJsonOutAndDxpEnvelope) {
  Client c(server_->port());
  const Message& m = Msg(MessageType::kOrder, 2);
  HttpResult r = Post(c, ceb::EncodeMessageJson(m), "application/json", "application/json");
  ASSERT_EQ(r.status, 200) << r.body;
  ReceiptMessage receipt;
  ASSERT_TRUE(ceb::DecodeReceiptJson(r.body, &receipt).ok()) << r.body;
  EXPECT_EQ(receipt.type, MessageType::kOrderReceipt);
  EXPECT_EQ(ceb::ViewReturn(receipt, 0).status, 2);

  std::string dxp = ceb::WrapInDxp(Xml(MessageType::kPayment, 2), "COPMSG-1", "DXPENT0000000001",
                                   "DXPEDCCEB0000002", "CEB411Message");
  r = Post(c, dxp);
  ASSERT_EQ(r.status, 200) << r.body;
  // With a BOM and another namespace prefix, as some enterprises send it.
  std::string odd = Xml(MessageType::kWaybill, 2);
  for (size_t p; (p = odd.find("ceb:")) != std::string::npos;) odd.replace(p, 4, "n1:");
  for (size_t p; (p = odd.find("xmlns:ceb")) != std::string::npos;) odd.replace(p, 9, "xmlns:n1");
  r = Post(c, "\xEF\xBB\xBF" + odd);
  ASSERT_EQ(r.status, 200) << r.body;
}

TEST_F(IntakeTest, BadInputGetsAPreciseRefusalAndChangesNothing) {
  Client c(server_->port());
  // An acknowledged message that every refusal below must leave in place.
  const Message& first = Msg(MessageType::kOrder, 1, 0);
  ASSERT_EQ(Post(c, ceb::EncodeMessageXml(first)).status, 200);
  WaitForReadModel();
  const uint64_t before = LogSize();
  const std::string good = Xml(MessageType::kOrder, 1, 1);
  auto replace = [&](std::string s, const std::string& from, const std::string& to) {
    size_t p = s.find(from);
    EXPECT_NE(p, std::string::npos) << from;
    return s.replace(p, from.size(), to);
  };
  const auto& head = std::get<std::vector<Order>>(cache_.front().blocks)[0].head;
  std::string order_no_elem = "<ceb:orderNo>" + head.orderNo + "</ceb:orderNo>";
  std::string good_order_no =
      "<ceb:orderNo>" +
      std::get<std::vector<Order>>(Msg(MessageType::kOrder, 1, 1).blocks)[0].head.orderNo +
      "</ceb:orderNo>";

  struct Case {
    std::string name, body;
    int http;
    std::string expect;  // in the body
    std::string type = "application/xml";
  };
  std::vector<Case> cases = {
      {"malformed XML", good.substr(0, good.size() / 2), 400, "malformed XML"},
      {"wrong root",
       replace(replace(good, "CEB311Message", "CEB999Message"), "CEB311Message", "CEB999Message"),
       400, "not an import message"},
      {"wrong namespace",
       replace(good, "http://www.chinaport.gov.cn/ceb", "http://example.com/ceb"), 400,
       "namespace"},
      {"missing required field", replace(good, good_order_no, ""), 400,
       "Order[1]/OrderHead/orderNo: missing required field"},
      {"over-long field",
       replace(good, good_order_no, "<ceb:orderNo>" + std::string(61, '9') + "</ceb:orderNo>"), 400,
       "Order[1]/OrderHead/orderNo: longer than 60 characters (61)"},
      {"bad code",
       replace(good, "<ceb:currency>142</ceb:currency>", "<ceb:currency>999</ceb:currency>"), 400,
       "is not a valid currency code"},
      {"bad decimal", replace(good, "<ceb:freight>", "<ceb:freight>1.234567"), 400,
       "OrderHead/freight"},
      {"empty body", "", 400, "empty message body"},
      {"billion laughs",
       "<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\"><!ENTITY lol2 "
       "\"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">]><ceb:CEB311Message "
       "xmlns:ceb=\"http://www.chinaport.gov.cn/ceb\">&lol2;</ceb:CEB311Message>",
       400, "DOCTYPE"},
      {"external entity",
       "<?xml version=\"1.0\"?><!DOCTYPE r [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>"
       "<ceb:CEB311Message xmlns:ceb=\"http://www.chinaport.gov.cn/ceb\">&x;</ceb:CEB311Message>",
       400, "DOCTYPE"},
      {"DXP bad base64",
       replace(ceb::WrapInDxp(good, "M1", "S", "R", "CEB311Message"), "<dxp:Data>", "<dxp:Data>!!"),
       400, "not valid base64"},
      {"duplicate business key", ceb::EncodeMessageXml(first), 409, "-301010"},
      {"JSON with trailing garbage", ceb::EncodeMessageJson(first) + "}", 400, "malformed JSON",
       "application/json"},
  };
  for (const Case& k : cases) {
    HttpResult r = Post(c, k.body, "application/xml", k.type);
    EXPECT_EQ(r.status, k.http) << k.name << ": " << r.body;
    EXPECT_NE(r.body.find(k.expect), std::string::npos) << k.name << ": " << r.body;
    EXPECT_EQ(LogSize(), before) << k.name << " changed the log";
  }
  // Validation refusals use the message's own receipt and the spec's code.
  HttpResult r = Post(c, cases[4].body);
  ReceiptMessage receipt;
  ASSERT_TRUE(ceb::DecodeReceiptXml(r.body, &receipt).ok()) << r.body;
  EXPECT_EQ(ceb::ViewReturn(receipt, 0).status, -301008);
  // The server is still up, on the same connection, and the first order is still there.
  WaitForReadModel();
  HttpResult got = c.Request("GET", "/v1/orders/" + head.ebpCode + "/" + head.orderNo);
  EXPECT_EQ(got.status, 200) << got.body;
  // Record 0 is the start's rules file; the order is record 1.
  EXPECT_NE(got.body.find("\"logIndex\":1"), std::string::npos) << got.body;
}

class SmallLimitTest : public IntakeTest {
  server::ApiLimits Limits() override {
    server::ApiLimits l;
    l.max_body = 4096;
    return l;
  }
};

TEST_F(SmallLimitTest, BodyOverTheLimitIs413) {
  Client c(server_->port());
  std::string big = Xml(MessageType::kOrder, 12);
  ASSERT_GT(big.size(), 4096u);
  HttpResult r = Post(c, big);
  EXPECT_EQ(r.status, 413);
  EXPECT_NE(r.body.find("larger than the limit of 4096 bytes"), std::string::npos) << r.body;
  EXPECT_EQ(LogSize(), 1u);  // the start's rules file only
  Client again(server_->port());
  EXPECT_EQ(Post(again, Xml(MessageType::kOrder, 1)).status, 200);
  // Counted like every other answer.
  const std::string metrics = again.Request("GET", "/metrics").body;
  EXPECT_NE(metrics.find("ftz_http_requests_total{route=\"messages\",code=\"413\"} 1"),
            std::string::npos);
  EXPECT_NE(metrics.find("ftz_messages_total{outcome=\"invalid\"} 1\n"), std::string::npos)
      << metrics;
  // Any other route: a JSON error, not a CEB900, and no CEB message counted.
  HttpResult rules = again.Request("POST", "/v1/admin/rules", big);
  EXPECT_EQ(rules.status, 413);
  EXPECT_EQ(rules.headers["Content-Type"], "application/json") << rules.body;
  EXPECT_NE(rules.body.find("\"too_large\""), std::string::npos) << rules.body;
  Client third(server_->port());  // a 413 closes its connection
  const std::string after = third.Request("GET", "/metrics").body;
  EXPECT_NE(after.find("ftz_messages_total{outcome=\"invalid\"} 1\n"), std::string::npos) << after;
}

// A message with field errors in some of its blocks is refused whole — no
// block of it applied, the good ones neither — and its receipt names every
// error of every block (docs/errors.md §1).
TEST_F(IntakeTest, AMessageWithBadBlocksIsRefusedWholeNamingEveryError) {
  Client c(server_->port());
  const uint64_t before = LogSize();
  Message m = Msg(MessageType::kOrder, 3, 0);
  auto& blocks = std::get<std::vector<Order>>(m.blocks);
  ASSERT_EQ(blocks.size(), 3u);
  blocks[1].head.orderNo = std::string(61, '9');
  blocks[2].head.ebpCode.clear();
  HttpResult r = Post(c, ceb::EncodeMessageXml(m));
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("Order[2]/OrderHead/orderNo"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("Order[3]/OrderHead/ebpCode"), std::string::npos) << r.body;
  EXPECT_EQ(r.body.find("Order[1]/"), std::string::npos) << r.body;
  EXPECT_EQ(LogSize(), before);
  // The good block was not applied: alone, it is accepted now.
  Message first = m;
  first.blocks = std::vector<Order>{blocks[0]};
  EXPECT_EQ(Post(c, ceb::EncodeMessageXml(first)).status, 200);
}

TEST_F(IntakeTest, QueryByBusinessKey) {
  Client c(server_->port());
  for (MessageType t : {MessageType::kOrder, MessageType::kPayment, MessageType::kWaybill,
                        MessageType::kInventoryList}) {
    ASSERT_EQ(Post(c, Xml(t, 12)).status, 200);
  }
  WaitForReadModel();
  const workload::Parcel& p = parcels_[0];
  struct Q {
    std::string path, expect;
  } queries[] = {
      {"/v1/orders/" + p.order.head.ebpCode + "/" + p.order.head.orderNo, "\"CEB311Message\""},
      {"/v1/payments/" + p.payment.head.payCode + "/" + p.payment.head.payTransactionId,
       "\"CEB411Message\""},
      {"/v1/waybills/" + p.waybill.head.logisticsCode + "/" + p.waybill.head.logisticsNo,
       "\"CEB511Message\""},
      {"/v1/inventory-lists/" + p.list.head.ebpCode + "/" + p.list.head.orderNo,
       "\"CEB621Message\""},
      {"/v1/inventory-lists?agentCode=" + p.list.head.agentCode + "&copNo=" + p.list.head.copNo,
       p.list.head.copNo},
  };
  for (const Q& q : queries) {
    HttpResult r = c.Request("GET", q.path);
    EXPECT_EQ(r.status, 200) << q.path << " " << r.body;
    EXPECT_NE(r.body.find(q.expect), std::string::npos) << q.path << " " << r.body;
    EXPECT_NE(r.body.find(p.order.head.orderNo), std::string::npos) << q.path;
  }
  EXPECT_EQ(c.Request("GET", "/v1/orders/nobody/nothing").status, 404);
  EXPECT_EQ(c.Request("GET", "/v1/orders/onlyone").status, 400);
  // An empty segment names no document: not read as the path without it.
  const std::string order = p.order.head.ebpCode + "/" + p.order.head.orderNo;
  for (const std::string& path :
       {"/v1/orders//" + order, "/v1/orders/" + order + "/",
        "/v1/orders/" + p.order.head.ebpCode + "//" + p.order.head.orderNo}) {
    HttpResult r = c.Request("GET", path);
    EXPECT_EQ(r.status, 400) << path;
    EXPECT_NE(r.body.find("expected /v1/orders/{code}/{number}"), std::string::npos) << r.body;
  }
  HttpResult not_allowed = c.Request("DELETE", "/v1/messages");
  EXPECT_EQ(not_allowed.status, 405);
  EXPECT_EQ(not_allowed.headers["Allow"], "POST");
  EXPECT_EQ(c.Request("POST", "/v1/orders/nobody/nothing").headers["Allow"], "GET, HEAD");
}

TEST_F(IntakeTest, ReceiptsInOrderWithCursorLongPollAndSse) {
  Client c(server_->port());
  const Message& a = Msg(MessageType::kOrder, 4, 0);
  const std::string cop = a.transfer.copCode;
  ASSERT_EQ(Post(c, ceb::EncodeMessageXml(a)).status, 200);
  WaitForReadModel();
  // Record 0 is the start's rules file, 1 the order, 2 its receipt.
  HttpResult r = c.Request("GET", "/v1/receipts?copCode=" + cop);
  ASSERT_EQ(r.status, 200);
  EXPECT_NE(r.body.find("\"cursor\":2"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("\"next\":2"), std::string::npos) << r.body;
  // Nothing newer yet: an immediate answer is empty, with the same cursor.
  r = c.Request("GET", "/v1/receipts?copCode=" + cop + "&after=2");
  EXPECT_NE(r.body.find("\"receipts\":[]"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("\"next\":2"), std::string::npos);

  // A long-poll is answered as soon as the next receipt is committed.
  Client stream(server_->port());
  std::string sse_start = stream.Raw(
      "GET /v1/receipts/stream?copCode=" + cop + "&after=2 HTTP/1.1\r\nHost: x\r\n\r\n", "retry:");
  EXPECT_NE(sse_start.find("text/event-stream"), std::string::npos);
  auto poll = std::async(std::launch::async, [&] {
    Client p(server_->port());
    return p.Request("GET", "/v1/receipts?copCode=" + cop + "&after=2&timeout=20");
  });
  WaitForWaiters(1);
  const Message* b = nullptr;
  for (size_t i = 1; i < 6 && !b; ++i) {
    const Message& m = Msg(MessageType::kOrder, 4, i);
    if (m.transfer.copCode == cop) b = &m;
  }
  ASSERT_NE(b, nullptr);
  HttpResult posted = Post(c, ceb::EncodeMessageXml(*b));
  ASSERT_EQ(posted.status, 200);
  // Woken by the commit (a timeout would answer an empty page, without the
  // cursor looked for below).
  HttpResult res = poll.get();
  EXPECT_EQ(res.status, 200);
  const std::string receipt_seq = posted.headers["X-Ftz-Receipt-Seq"];
  EXPECT_NE(res.body.find("\"cursor\":" + receipt_seq), std::string::npos) << res.body;
  // The SSE stream delivered the same receipt as an event with its cursor as id.
  std::string events = stream.ReadUntil("id: " + receipt_seq);
  EXPECT_NE(events.find("id: " + receipt_seq + "\nevent: receipt\ndata: {"), std::string::npos)
      << events;
  // A long-poll with nothing to come times out with an empty page.
  HttpResult empty = c.Request("GET", "/v1/receipts?copCode=nobody&timeout=1");
  EXPECT_NE(empty.body.find("\"receipts\":[]"), std::string::npos);
  EXPECT_EQ(c.Request("GET", "/v1/receipts?copCode=" + cop + "&after=x").status, 400);
  // Any int64 is a cursor (openapi: format int64); one past it is not.
  HttpResult last = c.Request("GET", "/v1/receipts?copCode=" + cop + "&after=9223372036854775807");
  EXPECT_EQ(last.status, 200) << last.body;
  EXPECT_NE(last.body.find("\"receipts\":[]"), std::string::npos) << last.body;
  EXPECT_EQ(c.Request("GET", "/v1/receipts?copCode=" + cop + "&after=9223372036854775808").status,
            400);
}

// A HEAD answer is the GET's header without its body (RFC 9110 §9.3.2): on a
// kept-alive connection the next answer follows the header directly.
TEST_F(IntakeTest, AHeadAnswerHasNoBody) {
  Client c(server_->port());
  const std::string both =
      c.Raw("HEAD /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /healthz HTTP/1.1\r\nHost: x\r\n\r\n",
            "{\"status\":\"ok\"}");
  const size_t first_end = both.find("\r\n\r\n");
  ASSERT_NE(first_end, std::string::npos) << both;
  EXPECT_NE(both.substr(0, first_end).find("Content-Length: 15"), std::string::npos) << both;
  EXPECT_EQ(both.compare(first_end + 4, 9, "HTTP/1.1 "), 0) << both;
  // The GET's answer, body and all, comes once.
  EXPECT_EQ(both.find("{\"status\":\"ok\"}"), both.rfind("{\"status\":\"ok\"}")) << both;
  // The event stream is GET alone: its 405 says so (a HEAD of it never ends).
  Client d(server_->port());
  HttpResult r = d.Request("POST", "/v1/receipts/stream?copCode=x", "");
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.headers["Allow"], "GET");
  // Its path exactly: a longer one is no route (it streamed, and its HEAD
  // was 404).
  for (const char* path : {"/v1/receipts/streamXYZ?copCode=x", "/v1/receipts/stream/x"}) {
    Client e(server_->port());
    EXPECT_EQ(e.Request("GET", path).status, 404) << path;
  }
}

// A stop while long-polls wait: each is ended while the Api and the Node it
// reads are still there (a waiting poll's answer read them after they were
// destroyed: a crash at every stop), and the server starts again.
TEST_F(IntakeTest, AStopWithLongPollsWaitingEndsThemCleanly) {
  std::vector<std::future<HttpResult>> polls;
  const uint16_t port = server_->port();  // not after Stop(): the server is gone then
  for (int i = 0; i < 3; ++i) {
    polls.push_back(std::async(std::launch::async, [port] {
      try {
        Client p(port);
        return p.Request("GET", "/v1/receipts?copCode=nobody&after=0&timeout=30");
      } catch (const std::exception&) {
        return HttpResult{};  // the connection closed unanswered (status 0)
      }
    }));
  }
  WaitForWaiters(3);
  server_->Stop();
  for (auto& f : polls) {
    // Answered (an empty page) as the stop drains: never cut off or left
    // hanging.
    HttpResult r = f.get();
    EXPECT_EQ(r.status, 200);
    EXPECT_NE(r.body.find("\"receipts\":[]"), std::string::npos) << r.body;
  }
  server_->Start();
  Client c(server_->port());
  EXPECT_EQ(c.Request("GET", "/healthz").status, 200);
}

// A stop under load drains: every message the node logged is answered
// before the connections go. A message sent but never answered must
// therefore not be in the log: sent again after the restart, it is
// accepted, never refused as a duplicate.
TEST_F(IntakeTest, AStopUnderLoadAnswersEveryMessageItLogged) {
  const std::vector<Message> orders = Orders("SL", 800);
  constexpr int kSenders = 4;
  std::vector<int> answer(orders.size(), -2);  // -2: never sent; -1: sent, no answer
  std::vector<std::thread> senders;
  for (int t = 0; t < kSenders; ++t) {
    senders.emplace_back([&, t] {
      Client c(server_->port());
      for (size_t i = t; i < orders.size(); i += kSenders) {
        answer[i] = -1;
        try {
          answer[i] = Post(c, ceb::EncodeMessageXml(orders[i])).status;
        } catch (const std::exception&) {
          return;  // the connection closed
        }
        if (answer[i] != 200) return;  // 503: the server is stopping
      }
    });
  }
  // Stop once the load is under way.
  for (int i = 0; i < 2000 && LogSize() < 100; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  server_->Stop();
  for (auto& t : senders) t.join();
  server_->Start();
  EXPECT_GT(ExpectAnsweredExactlyTheLogged(orders, answer), 0u);
}

// The same with one client pipelining everything without reading until the
// stop: the answers the server wrote are still in the kernel's buffers, and
// closing with the client's further requests unread would reset the
// connection and discard them. The drain half-closes and waits for the
// client instead: every answered message is logged, every logged one answered.
TEST_F(IntakeTest, AStopDeliversAPipeliningClientsAnswers) {
  const std::vector<Message> orders = Orders("SP", 1000);
  std::string all;
  for (const Message& m : orders) {
    const std::string body = ceb::EncodeMessageXml(m);
    all +=
        "POST /v1/messages HTTP/1.1\r\nHost: x\r\nContent-Type: application/xml\r\n"
        "Content-Length: " +
        std::to_string(body.size()) + "\r\n\r\n" + body;
  }
  boost::asio::io_context io;
  boost::asio::ip::tcp::socket sock(io);
  // A small receive buffer: most answers wait in the server's send queue.
  sock.open(boost::asio::ip::tcp::v4());
  sock.set_option(boost::asio::socket_base::receive_buffer_size(8192));
  sock.connect({boost::asio::ip::make_address("127.0.0.1"), server_->port()});
  // Written by a thread of its own (it blocks once the server stops
  // reading), on the descriptor, so that this thread may shut it down.
  const int fd = sock.native_handle();
  std::thread writer([&] {
    for (size_t done = 0; done < all.size();) {
      const ssize_t n = ::send(fd, all.data() + done, all.size() - done, MSG_NOSIGNAL);
      if (n <= 0) return;  // the server closed
      done += static_cast<size_t>(n);
    }
  });
  for (int i = 0; i < 5000 && LogSize() < 200; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  std::thread stopper([&] { server_->Stop(); });
  // The client reads only a moment later: the answers wait in the kernel's
  // buffers meanwhile, where a reset would discard them.
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  std::string got;
  char buf[65536];
  for (;;) {
    boost::system::error_code ec;
    const size_t n = sock.read_some(boost::asio::buffer(buf), ec);
    if (ec) break;
    got.append(buf, n);
  }
  ::shutdown(fd, SHUT_RDWR);  // the end of the answers read: done, as a client is
  writer.join();
  stopper.join();
  sock.close();
  // The answers, in request order: each status line.
  std::vector<int> answer;
  for (size_t at = got.find("HTTP/1.1 "); at != std::string::npos;
       at = got.find("HTTP/1.1 ", at + 1)) {
    answer.push_back(std::atoi(got.c_str() + at + 9));
  }
  answer.resize(orders.size(), -1);  // the rest: no answer (sent or not)
  server_->Start();
  EXPECT_GT(ExpectAnsweredExactlyTheLogged(orders, answer), 0u);
}

// HTTP/1.1 pipelining: requests written back to back on one connection are
// answered in the order sent, whatever order their answers are ready in (an
// order takes a group commit, a health check does not).
TEST_F(IntakeTest, PipelinedRequestsAreAnsweredInOrder) {
  Client c(server_->port());
  const std::string order = Xml(MessageType::kOrder, 1, 0);
  const std::string payment = Xml(MessageType::kPayment, 1, 0);
  auto post = [](const std::string& body) {
    return "POST /v1/messages HTTP/1.1\r\nHost: x\r\nContent-Type: application/xml\r\n"
           "Content-Length: " +
           std::to_string(body.size()) + "\r\n\r\n" + body;
  };
  const std::string all = post(order) + "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n" + post(payment) +
                          "GET /nowhere HTTP/1.1\r\nHost: x\r\n\r\n" + post(order) +
                          "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
  // The server closes the connection after the last answer: read to the end.
  const std::string got = c.Raw(all, "(never sent)", 10000);
  // Six answers, in request order: 200 (order), 200 (health), 200 (payment),
  // 404, 409 (the order again: a duplicate), 200 (health, then close).
  std::vector<std::string> lines;
  for (size_t at = got.find("HTTP/1.1 "); at != std::string::npos;
       at = got.find("HTTP/1.1 ", at + 1)) {
    lines.push_back(got.substr(at + 9, 3));
  }
  EXPECT_EQ(lines, (std::vector<std::string>{"200", "200", "200", "404", "409", "200"})) << got;
  EXPECT_LT(got.find("CEB312Message"), got.find("CEB412Message"));
  EXPECT_NE(got.find("Connection: close"), std::string::npos);
  EXPECT_EQ(LogSize(), 5u);  // rules, order + receipt, payment + receipt
}

// Messages larger than the server's read buffer (16 KiB, 64 KiB once a
// connection has sent a large one), pipelined back to back with small
// requests: each is read whole, in order, and the connection goes on.
TEST_F(IntakeTest, LargeMessagesPipelinedWithSmallOnesAreReadWhole) {
  workload::Workload w({});
  std::vector<workload::Parcel> many;
  for (int i = 0; i < 100; ++i) many.push_back(w.Next());
  auto xml = [&](MessageType t) {
    return ceb::EncodeMessageXml(workload::Workload::Messages(t, many, 100, 1).at(0));
  };
  const std::string orders = xml(MessageType::kOrder), payments = xml(MessageType::kPayment),
                    waybills = xml(MessageType::kWaybill);
  ASSERT_GT(orders.size(), 64u * 1024);
  auto post = [](const std::string& body) {
    return "POST /v1/messages HTTP/1.1\r\nHost: x\r\nContent-Type: application/xml\r\n"
           "Content-Length: " +
           std::to_string(body.size()) + "\r\n\r\n" + body;
  };
  Client c(server_->port());
  const std::string got =
      c.Raw(post(orders) + post(payments) + "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n" +
                post(waybills) + "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
            "(never sent)", 10000);
  std::vector<std::string> lines;
  for (size_t at = got.find("HTTP/1.1 "); at != std::string::npos;
       at = got.find("HTTP/1.1 ", at + 1)) {
    lines.push_back(got.substr(at + 9, 3));
  }
  EXPECT_EQ(lines, (std::vector<std::string>{"200", "200", "200", "200", "200"})) << got;
  EXPECT_LT(got.find("CEB312Message"), got.find("CEB412Message"));
  EXPECT_LT(got.find("CEB412Message"), got.find("CEB512Message"));
  EXPECT_EQ(LogSize(), 7u);  // rules, then three messages and their receipts
}

// A request the server cannot parse behind a pipelined one: the first is
// still answered (its message is logged, its receipt owed), then a 400, then
// the connection closes.
TEST_F(IntakeTest, GarbageBehindAPipelinedRequestStillGetsTheFirstAnswered) {
  Client c(server_->port());
  const std::string order = Xml(MessageType::kOrder, 1, 0);
  const std::string got = c.Raw(
      "POST /v1/messages HTTP/1.1\r\nHost: x\r\nContent-Type: application/xml\r\n"
      "Content-Length: " +
          std::to_string(order.size()) + "\r\n\r\n" + order + "GARBAGE\r\n\r\n",
      "(never sent)", 10000);
  const size_t first = got.find("HTTP/1.1 200");
  const size_t second = got.find("HTTP/1.1 400");
  ASSERT_NE(first, std::string::npos) << got;
  ASSERT_NE(second, std::string::npos) << got;
  EXPECT_LT(first, second);
  EXPECT_NE(got.find("CEB312Message"), std::string::npos);
  EXPECT_NE(got.find("malformed HTTP request"), std::string::npos) << got;
  EXPECT_EQ(LogSize(), 3u);  // rules, the order, its receipt
}

TEST_F(IntakeTest, HealthReadinessAndPrometheusMetrics) {
  Client c(server_->port());
  ASSERT_EQ(Post(c, Xml(MessageType::kOrder, 3)).status, 200);
  EXPECT_EQ(c.Request("GET", "/healthz").status, 200);
  HttpResult ready = c.Request("GET", "/readyz");
  EXPECT_EQ(ready.status, 200);
  HttpResult m = c.Request("GET", "/metrics");
  EXPECT_EQ(m.status, 200);
  EXPECT_NE(m.headers["Content-Type"].find("text/plain; version=0.0.4"), std::string::npos);
  EXPECT_NE(m.body.find("# TYPE ftz_documents_total counter"), std::string::npos) << m.body;
  // The order is the one CEB message; the start's rules record is an
  // operator's command, not counted as one. Each took a group commit.
  EXPECT_NE(m.body.find("ftz_messages_total{outcome=\"logged\"} 1\n"), std::string::npos) << m.body;
  EXPECT_NE(m.body.find("ftz_log_sync_seconds_bucket{le=\"+Inf\"} 2\n"), std::string::npos);
  EXPECT_NE(m.body.find("ftz_http_requests_total{route=\"messages\",code=\"200\"} 1\n"),
            std::string::npos);
  // A duplicate (nothing written: no batch, no fdatasync counted) and a
  // message refused for field errors (counted as invalid).
  ASSERT_EQ(Post(c, Xml(MessageType::kOrder, 3)).status, 409);
  std::string bad = Xml(MessageType::kPayment, 1);
  bad.replace(bad.find("<ceb:currency>142"), 17, "<ceb:currency>XYZ");
  ASSERT_EQ(Post(c, bad).status, 400);
  m = c.Request("GET", "/metrics");
  EXPECT_NE(m.body.find("ftz_messages_total{outcome=\"nothing_accepted\"} 1\n"), std::string::npos)
      << m.body;
  EXPECT_NE(m.body.find("ftz_messages_total{outcome=\"invalid\"} 1\n"), std::string::npos)
      << m.body;
  EXPECT_NE(m.body.find("ftz_log_sync_seconds_bucket{le=\"+Inf\"} 2\n"), std::string::npos)
      << m.body;
  EXPECT_NE(m.body.find("ftz_log_batches_total 2\n"), std::string::npos) << m.body;
  EXPECT_NE(m.body.find("ftz_read_model_failed 0\n"), std::string::npos) << m.body;
  // Records: the rules, the order and its receipt, all durable (answered);
  // the bytes written only grow, so they are a counter.
  EXPECT_NE(m.body.find("\nftz_log_durable_seq 3\n"), std::string::npos) << m.body;
  EXPECT_NE(m.body.find("\nftz_log_next_seq 3\n"), std::string::npos) << m.body;
  EXPECT_NE(m.body.find("# TYPE ftz_log_written_bytes_total counter\n"), std::string::npos)
      << m.body;
}

TEST_F(IntakeTest, SurvivesARestart) {
  {
    Client c(server_->port());
    ASSERT_EQ(Post(c, Xml(MessageType::kOrder, 6)).status, 200);
  }
  server_->Stop();
  server_->Start();
  Client c(server_->port());
  EXPECT_EQ(server_->node().recovery().messages_replayed, 1u);
  EXPECT_EQ(server_->node().recovery().receipt_mismatches, 0u);
  EXPECT_EQ(Post(c, Xml(MessageType::kOrder, 6)).status, 409);  // still a duplicate
}

// A record damaged on disk, in a sealed segment that a start from a snapshot
// did not read: the query that needs it answers 500 naming the record and
// its failed checksum (never a crash, never the damaged bytes), and the
// server goes on answering everything else.
TEST_F(IntakeTest, ADamagedRecordThatASnapshotStartDidNotReadIs500WhenQueried) {
  server_->Stop();
  server_->adjust_options = [](node::Options* o) {
    o->snapshot_on_close = true;
    o->log.segment_bytes = 4 << 10;  // a few messages a segment
  };
  server_->Start();
  const std::vector<Message> orders = Orders("DM", 12);
  const OrderHead& damaged = std::get<std::vector<Order>>(orders[0].blocks).at(0).head;
  uint64_t damaged_seq = 0;
  {
    Client c(server_->port());
    for (const Message& m : orders) ASSERT_EQ(Post(c, ceb::EncodeMessageXml(m)).status, 200);
    WaitForReadModel();
    HttpResult q = c.Request("GET", "/v1/orders/" + damaged.ebpCode + "/" + damaged.orderNo);
    ASSERT_EQ(q.status, 200) << q.body;
    const size_t at = q.body.find("\"logIndex\":");
    ASSERT_NE(at, std::string::npos) << q.body;
    damaged_seq = std::stoull(q.body.substr(at + 11));
  }
  server_->Stop();
  const OrderHead& intact = std::get<std::vector<Order>>(orders[11].blocks).at(0).head;
  std::vector<std::filesystem::path> segments;
  for (const auto& e : std::filesystem::directory_iterator(server_->dir() + "/log")) {
    if (e.path().extension() == ".log") segments.push_back(e.path());
  }
  std::sort(segments.begin(), segments.end());
  ASSERT_GE(segments.size(), 3u);
  // The first order's message record is the first place its number appears.
  bool flipped = false;
  for (size_t i = 0; i + 1 < segments.size() && !flipped; ++i) {
    std::fstream f(segments[i], std::ios::in | std::ios::out | std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    const size_t at = bytes.find(damaged.orderNo);
    if (at == std::string::npos) continue;
    ASSERT_TRUE(
        std::filesystem::exists(std::filesystem::path(segments[i]).replace_extension(".idx")))
        << "a sealed segment has its index, so a start from a snapshot skips it";
    f.seekp(static_cast<std::streamoff>(at + damaged.orderNo.size() - 1));
    f.put(damaged.orderNo.back() == '0' ? '1' : '0');
    flipped = true;
  }
  ASSERT_TRUE(flipped) << "the first order is not in a sealed segment";
  server_->Start();
  EXPECT_EQ(server_->node().recovery().snapshot_seq, LogSize()) << "started from the snapshot";
  EXPECT_EQ(server_->node().recovery().messages_replayed, 0u);
  Client c(server_->port());
  HttpResult bad = c.Request("GET", "/v1/orders/" + damaged.ebpCode + "/" + damaged.orderNo);
  EXPECT_EQ(bad.status, 500) << bad.body;
  // The client reads which record and what kind of failure; the file and
  // the data directory's path are for the operator (stderr), not the client.
  EXPECT_NE(bad.body.find("log record " + std::to_string(damaged_seq) + " could not be read"),
            std::string::npos)
      << bad.body;
  EXPECT_NE(bad.body.find("(Corruption)"), std::string::npos) << bad.body;
  EXPECT_EQ(bad.body.find(server_->dir()), std::string::npos) << bad.body;
  EXPECT_EQ(bad.body.find("<CEB311Message"), std::string::npos) << bad.body;
  HttpResult good = c.Request("GET", "/v1/orders/" + intact.ebpCode + "/" + intact.orderNo);
  EXPECT_EQ(good.status, 200) << good.body;
  EXPECT_NE(good.body.find(intact.orderNo), std::string::npos) << good.body;
  EXPECT_EQ(c.Request("GET", "/healthz").status, 200);
  EXPECT_EQ(Post(c, ceb::EncodeMessageXml(Orders("DN", 1).at(0))).status, 200);
}

}  // namespace
}  // namespace ftz

// Regression cases from a review of the first version.
namespace ftz {
namespace {

TEST_F(IntakeTest, NoHeaderInjectionFromSubmittedValues) {
  Client c(server_->port());
  std::string json = ceb::EncodeMessageJson(Msg(MessageType::kOrder, 1));
  size_t p = json.find("\"goodsValue\":\"");
  ASSERT_NE(p, std::string::npos);
  json.insert(p + 14, "1\\r\\nX-Evil: yes");
  HttpResult r = Post(c, json, "application/json", "application/json");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.headers.count("X-Evil"), 0u);
  // The refusal's summary rides in X-Ftz-Error, on one line.
  ASSERT_EQ(r.headers.count("X-Ftz-Error"), 1u);
  const std::string& why = r.headers["X-Ftz-Error"];
  EXPECT_NE(why.find("goodsValue"), std::string::npos) << why;
  EXPECT_EQ(why.find_first_of("\r\n"), std::string::npos) << why;
  HttpResult malformed = Post(c, "<hello>&foo;</hello>");
  EXPECT_EQ(malformed.status, 400);
  EXPECT_NE(malformed.headers["X-Ftz-Error"].find("malformed XML"), std::string::npos);
}

TEST_F(IntakeTest, LongPollPastTheNewestReceiptWaitsInsteadOfHangingUp) {
  Client c(server_->port());
  const Message& a = Msg(MessageType::kOrder, 1, 0);
  ASSERT_EQ(Post(c, ceb::EncodeMessageXml(a)).status, 200);
  auto poll = std::async(std::launch::async, [&] {
    Client p(server_->port());
    // A cursor far ahead: the next commit for this enterprise brings nothing for it.
    return p.Request("GET",
                     "/v1/receipts?copCode=" + a.transfer.copCode + "&after=1000000&timeout=2");
  });
  WaitForWaiters(1);
  for (size_t i = 1; i < 6; ++i) {
    const Message& m = Msg(MessageType::kOrder, 1, i);
    if (m.transfer.copCode == a.transfer.copCode) {
      ASSERT_EQ(Post(c, ceb::EncodeMessageXml(m)).status, 200);
      break;
    }
  }
  HttpResult r = poll.get();  // answered at the deadline, not dropped
  EXPECT_EQ(r.status, 200);
  EXPECT_NE(r.body.find("\"receipts\":[]"), std::string::npos) << r.body;
}

TEST_F(IntakeTest, RefusedResendsGetReceiptGuidsOfTheirOwn) {
  Client c(server_->port());
  const Message& a = Msg(MessageType::kOrder, 1, 0);
  ASSERT_EQ(Post(c, ceb::EncodeMessageXml(a)).status, 200);
  HttpResult dup = Post(c, ceb::EncodeMessageXml(a));
  ASSERT_EQ(dup.status, 409);
  HttpResult next = Post(c, Xml(MessageType::kOrder, 1, 1));
  ASSERT_EQ(next.status, 200);
  ReceiptMessage r1, r2;
  ASSERT_TRUE(ceb::DecodeReceiptXml(dup.body, &r1).ok());
  ASSERT_TRUE(ceb::DecodeReceiptXml(next.body, &r2).ok());
  EXPECT_NE(r1.guid, r2.guid);
}

TEST_F(IntakeTest, JsonOuterObjectIsCheckedWhole) {
  Client c(server_->port());
  std::string json = ceb::EncodeMessageJson(Msg(MessageType::kOrder, 1));
  HttpResult extra = Post(c, json.substr(0, json.size() - 1) + ",\"Other\":{}}", "application/json",
                          "application/json");
  EXPECT_EQ(extra.status, 400);
  EXPECT_NE(extra.body.find("exactly one member"), std::string::npos) << extra.body;
  std::string twice = json;
  size_t p = twice.find("\"BaseTransfer\":");
  twice.insert(p,
               "\"BaseTransfer\":{\"copCode\":\"9999999999\",\"copName\":\"x\",\"dxpMode\":\"DXP\","
               "\"dxpId\":\"x\"},");
  HttpResult rep = Post(c, twice, "application/json", "application/json");
  EXPECT_EQ(rep.status, 400);
  EXPECT_NE(rep.body.find("appears more than once"), std::string::npos) << rep.body;
  HttpResult bom = Post(c, "\xEF\xBB\xBF" + json, "application/json", "application/json");
  EXPECT_EQ(bom.status, 200) << bom.body;
}

// Media types are case-insensitive (RFC 9110); a charset other than UTF-8
// is refused before the body is read, and refusing it stores nothing.
TEST_F(IntakeTest, MediaTypesAreCaseInsensitiveAndOnlyUtf8IsRead) {
  Client c(server_->port());
  const std::string json = ceb::EncodeMessageJson(Msg(MessageType::kOrder, 1));
  HttpResult gbk = Post(c, json, "application/json", "application/json; charset=gbk");
  EXPECT_EQ(gbk.status, 415);
  EXPECT_NE(gbk.body.find("\"CEB900Message\""), std::string::npos) << gbk.body;
  EXPECT_NE(gbk.body.find("names charset gbk"), std::string::npos) << gbk.body;
  HttpResult latin = Post(c, Xml(MessageType::kOrder, 1), "application/xml",
                          "application/xml; charset=ISO-8859-1");
  EXPECT_EQ(latin.status, 415);
  EXPECT_NE(latin.body.find("charset iso-8859-1"), std::string::npos) << latin.body;
  // The same message, labelled in capitals: read as JSON, answered as JSON,
  // and accepted (not a duplicate: the refusals stored nothing).
  HttpResult ok = Post(c, json, "Application/JSON", "Application/JSON; Charset=\"UTF-8\"");
  ASSERT_EQ(ok.status, 200) << ok.body;
  ReceiptMessage receipt;
  ASSERT_TRUE(ceb::DecodeReceiptJson(ok.body, &receipt).ok()) << ok.body;
  EXPECT_EQ(ceb::ViewReturn(receipt, 0).status, 2);
}

class SmallPageTest : public IntakeTest {
  server::ApiLimits Limits() override {
    server::ApiLimits l;
    l.max_receipts_per_page = 3;
    return l;
  }
};

TEST_F(SmallPageTest, SseDeliversEveryReceiptOwedBeyondOnePage) {
  Client c(server_->port());
  std::string cop;
  std::string last_seq;
  int sent = 0;
  for (size_t i = 0; i < 12; ++i) {
    const Message& m = Msg(MessageType::kOrder, 1, i);
    if (cop.empty()) cop = m.transfer.copCode;
    if (m.transfer.copCode != cop) continue;
    HttpResult r = Post(c, ceb::EncodeMessageXml(m));
    ASSERT_EQ(r.status, 200);
    last_seq = r.headers["X-Ftz-Receipt-Seq"];
    ++sent;
  }
  ASSERT_GT(sent, 3);  // more than one page
  WaitForReadModel();
  Client stream(server_->port());
  std::string events =
      stream.Raw("GET /v1/receipts/stream?copCode=" + cop + " HTTP/1.1\r\nHost: x\r\n\r\n",
                 "id: " + last_seq + "\n");
  size_t n = 0;
  for (size_t p = 0; (p = events.find("event: receipt", p)) != std::string::npos; ++p) ++n;
  EXPECT_EQ(n, static_cast<size_t>(sent)) << events.substr(0, 500);
}

}  // namespace
}  // namespace ftz

namespace ftz {
namespace {

std::string ReadSample(const std::string& name) {
  const char* src = std::getenv("FTZ_SOURCE_DIR");
  std::ifstream in(std::string(src ? src : ".") + "/tests/data/ceb/official-202205-import/" + name,
                   std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST_F(IntakeTest, EveryOfficialInboundSampleIsAcceptedAndStored) {
  Client c(server_->port());
  struct S {
    const char* file;
    MessageType receipt;
  } samples[] = {{"CEB311Message.xml", MessageType::kOrderReceipt},
                 {"CEB411Message.xml", MessageType::kPaymentReceipt},
                 {"CEB511Message.xml", MessageType::kWaybillReceipt},
                 {"CEB513Message.xml", MessageType::kWaybillStatusReceipt},
                 {"CEB621Message.xml", MessageType::kInventoryListReceipt},
                 {"CEB623Message.xml", MessageType::kCancellationReceipt},
                 {"CEB625Message.xml", MessageType::kReturnReceipt},
                 {"CEB711Message.xml", MessageType::kWarehouseEntryReceipt}};
  for (const S& s : samples) {
    const uint64_t before = LogSize();
    HttpResult r = Post(c, ReadSample(s.file));
    // The samples repeat their business keys: the first block is accepted, the
    // repeats are refused as duplicates, so the message is logged.
    ASSERT_EQ(r.status, 200) << s.file << ": " << r.body.substr(0, 400);
    ReceiptMessage receipt;
    ASSERT_TRUE(ceb::DecodeReceiptXml(r.body, &receipt).ok()) << s.file;
    EXPECT_EQ(receipt.type, s.receipt) << s.file;
    EXPECT_EQ(ceb::ViewReturn(receipt, 0).status, 2) << s.file;
    // The message and its receipt; a cancellation or return is also decided
    // at once (here refused with its own receipt: the sample's list is unknown).
    const bool decided_now =
        s.receipt == MessageType::kCancellationReceipt || s.receipt == MessageType::kReturnReceipt;
    EXPECT_EQ(LogSize() > before + 2, decided_now) << s.file << " " << LogSize() - before;
  }
}

}  // namespace
}  // namespace ftz

namespace ftz {
namespace {

// A client that sends its whole body before reading (as most do) must still
// read the 413: the server answers, then drains what is still coming instead
// of closing on unread bytes (which resets the connection and can destroy the
// answer before the client reads it).
TEST_F(SmallLimitTest, A413IsReadByAClientStillSendingItsBody) {
  Client c(server_->port());
  const std::string body(2 << 20, 'x');  // far over the 4096-byte limit
  std::string request =
      "POST /v1/messages HTTP/1.1\r\nHost: x\r\nContent-Type: application/xml\r\n"
      "Content-Length: " +
      std::to_string(body.size()) + "\r\n\r\n" + body;
  std::string answer;
  ASSERT_NO_THROW(answer = c.Raw(request, "larger than the limit"));
  EXPECT_EQ(answer.rfind("HTTP/1.1 413", 0), 0u) << answer.substr(0, 200);
  EXPECT_EQ(LogSize(), 1u);  // the start's rules file only
}

}  // namespace
}  // namespace ftz

namespace ftz {
namespace {

// An event stream whose reader stops reading is ended once a write has
// waited longer than the request timeout, so it cannot hold its connection
// and subscription for ever.
TEST_F(IntakeTest, AnEventStreamWhoseReaderStoppedIsClosed) {
  server_->Stop();
  server_->http_options.request_timeout_seconds = 1;
  server_->Start();
  workload::Workload w({});
  std::vector<workload::Parcel> parcels;
  for (int i = 0; i < 4000; ++i) parcels.push_back(w.Next());
  std::vector<Message> orders = workload::Workload::Messages(MessageType::kOrder, parcels, 100, 1);
  const std::string cop = orders.front().transfer.copCode;

  // A reader with a small window that never reads.
  boost::asio::io_context ioc;
  boost::asio::ip::tcp::socket reader(ioc);
  reader.open(boost::asio::ip::tcp::v4());
  reader.set_option(boost::asio::socket_base::receive_buffer_size(4096));
  reader.connect({boost::asio::ip::make_address("127.0.0.1"), server_->port()});
  boost::asio::write(reader, boost::asio::buffer("GET /v1/receipts/stream?copCode=" + cop +
                                                 " HTTP/1.1\r\nHost: x\r\n\r\n"));
  for (int i = 0; i < 500 && server_->feed().subscribers() == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_EQ(server_->feed().subscribers(), 1u);
  Client c(server_->port());
  EXPECT_NE(c.Request("GET", "/metrics").body.find("\nftz_event_streams 1\n"), std::string::npos);

  size_t sent = 0;
  for (const Message& m : orders) {
    if (m.transfer.copCode != cop) continue;
    ASSERT_EQ(Post(c, ceb::EncodeMessageXml(m)).status, 200);
    ++sent;
  }
  ASSERT_GE(sent, 5u);
  for (int i = 0; i < 1000 && server_->feed().subscribers() != 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(server_->feed().subscribers(), 0u) << sent << " messages of 100 orders sent";
}

}  // namespace
}  // namespace ftz
