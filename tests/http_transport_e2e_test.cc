// The HTTP transport against hostile and unusual clients (docs/errors.md §1):
// what a request's framing or header refuses is answered and changes nothing;
// no client can end the process, hold unbounded memory, or take the
// descriptors the storage needs; and the HTTP/1.1 forms a client may use
// (absolute-form targets, Expect: 100-continue) are served.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "ceb/ceb.h"
#include "env/fault_injection_env.h"
#include "test_server.h"
#include "workload/workload.h"

namespace ftz {
namespace {

using testing::Client;
using testing::HttpResult;
using testing::TestServer;

class TransportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = std::make_unique<TestServer>(
        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    workload::Options o;
    o.order_prefix = "TR";
    workload::Workload w(o);
    for (int i = 0; i < 4; ++i) {
      orders_.push_back(ceb::EncodeMessageXml(
          workload::Workload::Messages(MessageType::kOrder, {w.Next()}, 1, 1)[0]));
    }
  }
  uint64_t LogSize() { return server_->node().log().next_seq(); }
  static std::string Post(const std::string& body, const std::string& extra_headers = "") {
    return "POST /v1/messages HTTP/1.1\r\nHost: x\r\nContent-Type: application/xml\r\n" +
           extra_headers + "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  }
  // The server still answers, on a new connection.
  void ExpectAlive() {
    Client c(server_->port());
    EXPECT_EQ(c.Request("GET", "/healthz").status, 200);
  }

  std::unique_ptr<TestServer> server_;
  std::vector<std::string> orders_;
};

// A trailer field over 64 KiB made Beast throw out of the I/O thread: the
// process ended. Now the framing Beast keeps whole (a chunk's header line,
// the trailer fields) is bounded: 431, and nothing else changes.
TEST_F(TransportTest, OversizedTrailerOrChunkHeaderIs431) {
  const uint64_t before = LogSize();
  const std::string head =
      "POST /v1/messages HTTP/1.1\r\nHost: x\r\nContent-Type: application/xml\r\n"
      "Transfer-Encoding: chunked\r\n\r\n";
  const std::string cases[] = {
      head + "5\r\nhello\r\n0\r\nX-T: " + std::string(70000, 'a') + "\r\n\r\n",  // a field
      head + "5\r\nhello\r\n0\r\n" + std::string(70000, 'X') + ": v\r\n\r\n",    // a name
      head + "5;" + std::string(100000, 'e') + "\r\nhello\r\n0\r\n\r\n",         // extensions
      head + std::string(100000, '0') + "5\r\nhello\r\n0\r\n\r\n",               // a size
  };
  for (const std::string& request : cases) {
    Client c(server_->port());
    const std::string got = c.Raw(request, "}}");
    EXPECT_NE(got.find("HTTP/1.1 431 "), std::string::npos) << got.substr(0, 200);
    EXPECT_NE(got.find("a chunk header or the trailer fields over 64 KiB"), std::string::npos);
    ExpectAlive();
  }
  EXPECT_EQ(LogSize(), before);
  // A chunked message of an ordinary size is read as before.
  const std::string& order = orders_[0];
  Client c(server_->port());
  const std::string got = c.Raw(
      head + "10\r\n" + order.substr(0, 16) + "\r\n" +
          [&] {
            char size[16];
            std::snprintf(size, sizeof size, "%zx", order.size() - 16);
            return std::string(size);
          }() +
          "\r\n" + order.substr(16) + "\r\n0\r\nX-Ok: 1\r\n\r\n",
      "</CEB312Message>");
  EXPECT_NE(got.find("HTTP/1.1 200 "), std::string::npos) << got.substr(0, 300);
  EXPECT_GT(LogSize(), before);  // logged (the message, then its receipt)
}

// A transfer coding that does not end in chunked: the body's length is
// unknown (RFC 9112 §6.3). Read as "no body", the bytes after the header
// were taken for a request of their own, and a message hidden there was
// logged. Now 400, the connection closes, and nothing is logged.
TEST_F(TransportTest, ATransferCodingOtherThanChunkedIsRefusedWithoutReadingOn) {
  const uint64_t before = LogSize();
  for (const char* coding : {"gzip", "identity", "chunked, identity"}) {
    Client c(server_->port());
    const std::string got =
        c.Raw(std::string("POST /v1/admin/rules HTTP/1.1\r\nHost: x\r\n") +
                  "Transfer-Encoding: " + coding + "\r\n\r\n" + Post(orders_[1]),
              "(closed)", 3000);
    EXPECT_NE(got.find("HTTP/1.1 400 "), std::string::npos) << coding << ": " << got;
    EXPECT_NE(got.find("Transfer-Encoding must end in chunked"), std::string::npos) << got;
    EXPECT_EQ(got.find("HTTP/1.1 200 "), std::string::npos) << coding << ": " << got;
  }
  EXPECT_EQ(LogSize(), before);
}

// A compressed body is not decoded: 415 naming the coding, nothing logged
// (before, gzip with a plain body was accepted, and a gzipped one was
// "malformed XML").
TEST_F(TransportTest, AContentEncodingIsRefused) {
  const uint64_t before = LogSize();
  Client c(server_->port());
  HttpResult r = c.Request("POST", "/v1/messages", orders_[0],
                           {{"Content-Type", "application/xml"}, {"Content-Encoding", "gzip"}});
  EXPECT_EQ(r.status, 415);
  EXPECT_NE(r.body.find("Content-Encoding gzip is not accepted"), std::string::npos) << r.body;
  EXPECT_EQ(LogSize(), before);
  Client d(server_->port());
  r = d.Request("POST", "/v1/messages", orders_[0],
                {{"Content-Type", "application/xml"}, {"Content-Encoding", "identity"}});
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_GT(LogSize(), before);  // logged (the message, then its receipt)
}

// RFC 9110 §10.1.1: a client that sends Expect: 100-continue waits for the
// 100 (curl does, for bodies over 1 MB: a second on every such message
// before).
TEST_F(TransportTest, Expect100ContinueIsAnsweredBeforeTheBody) {
  Client c(server_->port());
  const std::string& order = orders_[2];
  const std::string header =
      "POST /v1/messages HTTP/1.1\r\nHost: x\r\nContent-Type: application/xml\r\n"
      "Expect: 100-continue\r\nContent-Length: " +
      std::to_string(order.size()) + "\r\n\r\n";
  const std::string interim = c.Raw(header, "\r\n\r\n", 3000);
  EXPECT_EQ(interim, "HTTP/1.1 100 Continue\r\n\r\n");
  const std::string got = c.Raw(order, "</CEB312Message>");
  EXPECT_NE(got.find("HTTP/1.1 200 "), std::string::npos) << got.substr(0, 300);
}

// Behind a pipelined request, the 100 follows that request's answer; an
// HTTP/1.0 request's Expect is ignored (RFC 9110 §10.1.1: no 100 to it).
TEST_F(TransportTest, Expect100ContinueBehindAPipelinedRequestAndOnHttp10) {
  const std::string& order = orders_[3];
  Client c(server_->port());
  const std::string both = c.Raw(
      "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
      "POST /v1/messages HTTP/1.1\r\nHost: x\r\nContent-Type: application/xml\r\n"
      "Expect: 100-continue\r\nContent-Length: " +
          std::to_string(order.size()) + "\r\n\r\n",
      "100 Continue\r\n\r\n", 3000);
  const size_t ok = both.find("{\"status\":\"ok\"}");
  const size_t go = both.find("HTTP/1.1 100 Continue\r\n\r\n");
  ASSERT_NE(ok, std::string::npos) << both;
  ASSERT_NE(go, std::string::npos) << both;
  EXPECT_LT(ok, go) << both;
  const std::string got = c.Raw(order, "</CEB312Message>");
  EXPECT_NE(got.find("HTTP/1.1 200 ", go), std::string::npos) << got.substr(0, 400);
  // HTTP/1.0: no 100; the body sent at once is read and answered.
  Client d(server_->port());
  const std::string old =
      d.Raw("POST /healthz HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n{}",
            "(closed)", 3000);
  EXPECT_EQ(old.find(" 100 "), std::string::npos) << old;
  EXPECT_NE(old.find("HTTP/1.0 405 "), std::string::npos) << old;
}

// Chunked last but another transfer coding before it: not decoded, 501; a
// second Content-Encoding line does not slip past "identity"; and the 413
// of an absolute-form /v1/messages target is the CEB900 a message gets.
TEST_F(TransportTest, CodingsInAnyFieldLineAndAbsoluteForm413) {
  const uint64_t before = LogSize();
  Client a(server_->port());
  std::string got = a.Raw(
      "POST /v1/messages HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"
      "0\r\n\r\n",
      "}}");
  EXPECT_NE(got.find("HTTP/1.1 501 "), std::string::npos) << got;
  EXPECT_NE(got.find("Transfer-Encoding gzip is not implemented"), std::string::npos) << got;
  Client b(server_->port());
  got = b.Raw(Post(orders_[0], "Content-Encoding: identity\r\nContent-Encoding: gzip\r\n"), "}}");
  EXPECT_NE(got.find("HTTP/1.1 415 "), std::string::npos) << got;
  EXPECT_EQ(LogSize(), before);
  Client c(server_->port());
  got = c.Raw("POST http://window/v1/messages HTTP/1.1\r\nHost: x\r\nContent-Length: " +
                  std::to_string((64u << 20)) + "\r\n\r\n",
              "</CEB900Message>", 3000);
  EXPECT_NE(got.find("HTTP/1.1 413 "), std::string::npos) << got.substr(0, 300);
  EXPECT_NE(got.find("CEB900Message"), std::string::npos) << got.substr(0, 300);
}

// RFC 9112 §3.2.2 (absolute form is accepted) and §3.2 (HTTP/1.1 needs Host).
TEST_F(TransportTest, AbsoluteFormTargetsAndTheHostHeader) {
  Client a(server_->port());
  std::string got = a.Raw("GET http://window.example/healthz HTTP/1.1\r\nHost: x\r\n\r\n", "}");
  EXPECT_NE(got.find("HTTP/1.1 200 "), std::string::npos) << got;
  EXPECT_NE(got.find("{\"status\":\"ok\"}"), std::string::npos) << got;
  Client b(server_->port());
  got = b.Raw("GET /healthz HTTP/1.1\r\n\r\n", "}}");
  EXPECT_NE(got.find("HTTP/1.1 400 "), std::string::npos) << got;
  EXPECT_NE(got.find("needs a Host header"), std::string::npos) << got;
  Client b2(server_->port());
  got = b2.Raw("GET /healthz HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", "}}");
  EXPECT_NE(got.find("HTTP/1.1 400 "), std::string::npos) << got;
  EXPECT_NE(got.find("more than one Host header"), std::string::npos) << got;
  Client c(server_->port());
  got = c.Raw("GET /healthz HTTP/1.0\r\n\r\n", "}");
  EXPECT_NE(got.find("HTTP/1.0 200 "), std::string::npos) << got;  // 1.0 has no Host
}

// Connections beyond the cap are answered 503 at once and closed: clients
// can never hold every descriptor (the log's next segment could then not be
// opened, and intake would stop until a restart). Below the cap again, new
// connections are served.
TEST_F(TransportTest, ConnectionsBeyondTheCapAre503AndClosed) {
  server_->Stop();
  server_->http_options.max_connections = 2;
  server_->Start();
  auto a = std::make_unique<Client>(server_->port());
  Client b(server_->port());
  ASSERT_EQ(a->Request("GET", "/healthz").status, 200);
  ASSERT_EQ(b.Request("GET", "/healthz").status, 200);
  {
    Client over(server_->port());
    const std::string got = over.Raw("", "(closed)", 3000);
    EXPECT_NE(got.find("HTTP/1.1 503 "), std::string::npos) << got;
    EXPECT_NE(got.find("Retry-After: 1"), std::string::npos) << got;
    EXPECT_NE(got.find("too_many_connections"), std::string::npos) << got;
  }
  EXPECT_NE(b.Request("GET", "/metrics").body.find("ftz_http_connections_refused_total 1"),
            std::string::npos);
  a.reset();  // one closes: a new connection is served
  HttpResult r;
  for (int i = 0; i < 200; ++i) {
    try {
      Client again(server_->port());
      r = again.Request("GET", "/healthz");
      if (r.status == 200) break;
    } catch (const std::exception&) {
      // refused while the closed session is still being torn down
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(r.status, 200);
}

// A request header over 16 KiB: 431, the connection closes, the server goes
// on.
TEST_F(TransportTest, AHeaderOver16KiBIs431) {
  Client c(server_->port());
  const std::string got = c.Raw(
      "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(17 * 1024, 'b') + "\r\n\r\n",
      "}}");
  EXPECT_NE(got.find("HTTP/1.1 431 "), std::string::npos) << got.substr(0, 200);
  EXPECT_NE(got.find("request header over 16 KiB"), std::string::npos) << got.substr(0, 300);
  ExpectAlive();
}

// A failed fdatasync stops intake for good (docs/errors.md §2), as HTTP
// clients see it: the message in the failed batch and every later one get
// 503 intake_stopped, /readyz is 503, /healthz and queries still answer.
TEST(IntakeStoppedTest, AFailedSyncIs503ForMessagesAndReadyzQueriesGoOn) {
  FaultInjectionEnv env(Env::Default());
  TestServer server("intake-stopped", {}, &env);
  workload::Workload w{workload::Options{}};
  std::vector<std::string> orders;
  workload::Parcel first = w.Next();
  for (int i = 0; i < 3; ++i) {
    orders.push_back(ceb::EncodeMessageXml(
        workload::Workload::Messages(MessageType::kOrder, {i == 0 ? first : w.Next()}, 1, 1)[0]));
  }
  Client c(server.port());
  const std::map<std::string, std::string> xml = {{"Content-Type", "application/xml"}};
  ASSERT_EQ(c.Request("POST", "/v1/messages", orders[0], xml).status, 200);
  env.FailSyncs(true);
  for (int i = 1; i < 3; ++i) {
    HttpResult r = c.Request("POST", "/v1/messages", orders[i], xml);
    EXPECT_EQ(r.status, 503) << r.body;
    EXPECT_NE(r.body.find("intake_stopped"), std::string::npos) << r.body;
    // The message whose batch failed reads the kind of failure; none reads
    // the log file's path (the operator's, on stderr).
    if (i == 1) {
      EXPECT_NE(r.body.find("could not be made durable (IOError)"), std::string::npos) << r.body;
    }
    EXPECT_EQ(r.body.find(server.dir()), std::string::npos) << r.body;
    env.FailSyncs(false);  // never retried: still stopped
  }
  HttpResult ready = c.Request("GET", "/readyz");
  EXPECT_EQ(ready.status, 503);
  EXPECT_NE(ready.body.find("intake_stopped"), std::string::npos) << ready.body;
  EXPECT_EQ(c.Request("GET", "/healthz").status, 200);
  EXPECT_NE(c.Request("GET", "/metrics").body.find("\nftz_intake_stopped 1"), std::string::npos);
  EXPECT_EQ(
      c.Request("GET", "/v1/orders/" + first.order.head.ebpCode + "/" + first.order.head.orderNo)
          .status,
      200);
}

// A ledger that cannot write its tiles (here: a file where its tile
// directory was) stops signing, says so once in /metrics and /readyz (still
// 200), and intake goes on (docs/errors.md §4). Before, only stderr said it,
// once per leaf.
TEST(LedgerFailedTest, AFailedLedgerIsShownAndIntakeGoesOn) {
  TestServer server("ledger-failed");
  workload::Workload w{workload::Options{}};
  auto order = [&] {
    return ceb::EncodeMessageXml(
        workload::Workload::Messages(MessageType::kOrder, {w.Next()}, 1, 1)[0]);
  };
  Client c(server.port());
  const std::map<std::string, std::string> xml = {{"Content-Type", "application/xml"}};
  ASSERT_EQ(c.Request("POST", "/v1/messages", order(), xml).status, 200);
  EXPECT_NE(c.Request("GET", "/metrics").body.find("\nftz_ledger_failed 0"), std::string::npos);
  const std::string tiles = server.dir() + "/ledger/tiles/tile";
  std::filesystem::remove_all(tiles);
  { std::ofstream(tiles) << "not a directory"; }
  HttpResult ready;
  for (int i = 0; i < 100; ++i) {
    EXPECT_EQ(c.Request("POST", "/v1/messages", order(), xml).status, 200);  // intake goes on
    ready = c.Request("GET", "/readyz");
    if (ready.body.find("\"ledgerFailed\":true") != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(ready.status, 200);
  EXPECT_NE(ready.body.find("\"ledgerFailed\":true"), std::string::npos) << ready.body;
  EXPECT_NE(c.Request("GET", "/metrics").body.find("\nftz_ledger_failed 1"), std::string::npos);
}

}  // namespace
}  // namespace ftz
