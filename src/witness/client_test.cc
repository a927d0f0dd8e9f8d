#include "witness/client.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <thread>

#include "witness/server.h"
#include "witness/test_log.h"

namespace ftz::witness {
namespace {

using testing_support::TestLog;

class WitnessClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("ftz-witness-client-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    auto w = Witness::Open(nullptr, dir_, TestLog::WitnessSigner(), {log_.known()},
                           [] { return uint64_t{1'700'000'000}; });
    ASSERT_TRUE(w.ok()) << w.status().ToString();
    witness_ = std::move(*w);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // A transport that hands the body to the in-process witness.
  Transport Direct() {
    return [this](const std::string& url, const std::string& body) -> Result<HttpReply> {
      ++requests_;
      last_url_ = url;
      WitnessResponse r = witness_->AddCheckpoint(body);
      return HttpReply{r.status, r.content_type, r.body};
    };
  }

  std::unique_ptr<WitnessClient> Client(Transport t) {
    auto c = WitnessClient::Create(
        {"http://127.0.0.1:1/w", std::string(TestLog::WitnessSigner().verifier().ToString())},
        std::move(t));
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    return c.ok() ? std::move(*c) : nullptr;
  }

  ProofSource Proofs() {
    return [this](uint64_t old_size, uint64_t size) -> Result<std::vector<ledger::Hash>> {
      proofs_asked_.push_back({old_size, size});
      return ledger::ConsistencyProof(old_size, size, log_.tree());
    };
  }

  std::string dir_;
  TestLog log_{16};
  std::unique_ptr<Witness> witness_;
  int requests_ = 0;
  std::string last_url_;
  std::vector<std::pair<uint64_t, uint64_t>> proofs_asked_;
};

TEST_F(WitnessClientTest, CollectsVerifiedCosignatures) {
  auto c = Client(Direct());
  auto lines = c->Cosign(log_.Signed(4), 4, Proofs());
  ASSERT_TRUE(lines.ok()) << lines.status().ToString();
  EXPECT_EQ(last_url_, "http://127.0.0.1:1/w/add-checkpoint");
  EXPECT_EQ(c->acknowledged_size(), 4u);
  EXPECT_TRUE(c->key().VerifyNote(log_.Signed(4) + *lines).ok());
  lines = c->Cosign(log_.Signed(11), 11, Proofs());
  ASSERT_TRUE(lines.ok()) << lines.status().ToString();
  EXPECT_EQ(proofs_asked_, (std::vector<std::pair<uint64_t, uint64_t>>{{4, 11}}));
  EXPECT_EQ(c->acknowledged_size(), 11u);
  EXPECT_EQ(requests_, 2);
}

TEST_F(WitnessClientTest, On409ProvesFromTheWitnessSize) {
  ASSERT_TRUE(Client(Direct())->Cosign(log_.Signed(6), 6, Proofs()).ok());
  // A new client (e.g. after the log restarted) does not know the size.
  auto c = Client(Direct());
  requests_ = 0;
  auto lines = c->Cosign(log_.Signed(9), 9, Proofs());
  ASSERT_TRUE(lines.ok()) << lines.status().ToString();
  EXPECT_EQ(requests_, 2);
  EXPECT_EQ(proofs_asked_, (std::vector<std::pair<uint64_t, uint64_t>>{{6, 9}}));
  EXPECT_EQ(c->acknowledged_size(), 9u);
}

TEST_F(WitnessClientTest, AWitnessAheadOfTheLogIsAnError) {
  ASSERT_TRUE(Client(Direct())->Cosign(log_.Signed(12), 12, Proofs()).ok());
  auto c = Client(Direct());
  auto lines = c->Cosign(log_.Signed(5), 5, Proofs());
  ASSERT_FALSE(lines.ok());
  EXPECT_EQ(lines.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(lines.status().message().find("holds size 12"), std::string::npos)
      << lines.status().message();
}

TEST_F(WitnessClientTest, RefusalsAndBadAnswersAreErrors) {
  // Transport failure.
  auto down = Client([](const std::string&, const std::string&) -> Result<HttpReply> {
    return Status::Unavailable("connect: refused");
  });
  EXPECT_EQ(down->Cosign(log_.Signed(3), 3, Proofs()).status().code(), StatusCode::kUnavailable);
  // A refusal names the status and the witness's reason.
  TestLog stranger(4);
  auto c = Client(Direct());
  auto r = c->Cosign(stranger.Signed(4), 4, Proofs());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("answered 403"), std::string::npos) << r.status().message();
  EXPECT_EQ(c->acknowledged_size(), 0u);
  // 200 with something that is not a cosignature by the witness's key.
  auto liar = Client([](const std::string&, const std::string&) -> Result<HttpReply> {
    return HttpReply{200, "text/plain", "hello\n"};
  });
  EXPECT_EQ(liar->Cosign(log_.Signed(3), 3, Proofs()).status().code(),
            StatusCode::kFailedPrecondition);
  const std::string other_line =
      *CosignatureSigner::Generate("witness.example/w1")
           ->SignLine(log_.Signed(3).substr(0, log_.Signed(3).find("\n\n") + 1), 1);
  auto impostor = Client([&](const std::string&, const std::string&) -> Result<HttpReply> {
    return HttpReply{200, "text/plain", other_line};
  });
  auto bad = impostor->Cosign(log_.Signed(3), 3, Proofs());
  EXPECT_EQ(bad.status().code(), StatusCode::kFailedPrecondition);
  // A 409 without a usable size is not retried.
  int calls = 0;
  auto odd = Client([&](const std::string&, const std::string&) -> Result<HttpReply> {
    ++calls;
    return HttpReply{409, "text/plain", "conflict\n"};
  });
  EXPECT_FALSE(odd->Cosign(log_.Signed(3), 3, Proofs()).ok());
  EXPECT_EQ(calls, 1);
}

TEST_F(WitnessClientTest, AnAnswerWithAnEmptyLineIsRefused) {
  // The witness's own key over the whole signed checkpoint (its signature
  // line included), behind an empty line: read with the checkpoint as one
  // note, that text would become the note's and the line would verify,
  // while over the checkpoint's text, as tlog-cosignature defines it, it
  // does not.
  const std::string signed3 = log_.Signed(3);
  const std::string line = *TestLog::WitnessSigner().SignLine(signed3, 1'700'000'000);
  for (const std::string& body : {"\n" + line, line + "\n", line.substr(0, line.size() - 1)}) {
    auto c = Client([&](const std::string&, const std::string&) -> Result<HttpReply> {
      return HttpReply{200, "text/plain", body};
    });
    auto r = c->Cosign(signed3, 3, Proofs());
    EXPECT_EQ(r.status().code(), StatusCode::kFailedPrecondition) << body;
    EXPECT_NE(r.status().message().find("not cosignature lines"), std::string::npos)
        << r.status().message();
    EXPECT_EQ(c->acknowledged_size(), 0u);
  }
}

TEST(WitnessSpecTest, ParsesUrlAndKey) {
  const std::string vkey(TestLog::kWitnessVkey);
  auto s = ParseWitnessSpec("http://127.0.0.1:9000 " + vkey);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->url, "http://127.0.0.1:9000");
  EXPECT_EQ(s->vkey, vkey);
  EXPECT_TRUE(ParseWitnessSpec("http://[::1]:9000/prefix/ " + vkey).ok());
  EXPECT_TRUE(ParseWitnessSpec("http://witness.example " + vkey).ok());
  for (std::string bad :
       {std::string("http://127.0.0.1:9000"), "https://w.example " + vkey, "127.0.0.1:9000 " + vkey,
        "http://127.0.0.1:99999 " + vkey, "http://:9000 " + vkey,
        std::string("http://127.0.0.1:9000 not-a-key"), std::string("")}) {
    EXPECT_EQ(ParseWitnessSpec(bad).status().code(), StatusCode::kInvalidArgument) << bad;
  }
}

// Over a real socket: the witness's HTTP server and the client's transport.
TEST_F(WitnessClientTest, OverHttp) {
  auto server = std::make_unique<WitnessServer>(witness_.get());
  ASSERT_TRUE(server->Listen("127.0.0.1", 0).ok());
  std::thread t([&] { server->Run(1, false); });
  const std::string base = "http://127.0.0.1:" + std::to_string(server->port());
  const std::string vkey(TestLog::kWitnessVkey);
  auto c = WitnessClient::Create({base, vkey}, HttpTransport(std::chrono::seconds(5)));
  ASSERT_TRUE(c.ok());
  auto lines = (*c)->Cosign(log_.Signed(7), 7, Proofs());
  ASSERT_TRUE(lines.ok()) << lines.status().ToString();
  // The same connection is kept alive for the next request.
  lines = (*c)->Cosign(log_.Signed(10), 10, Proofs());
  ASSERT_TRUE(lines.ok()) << lines.status().ToString();
  EXPECT_TRUE((*c)->key().VerifyNote(log_.Signed(10) + *lines).ok());
  // Wrong path: the server's 404 is reported.
  auto wrong =
      WitnessClient::Create({base + "/nope", vkey}, HttpTransport(std::chrono::seconds(5)));
  ASSERT_TRUE(wrong.ok());
  auto r = (*wrong)->Cosign(log_.Signed(10), 10, Proofs());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("answered 404"), std::string::npos) << r.status().message();
  // Raw transport: wrong method is refused, a malformed body is 400.
  Transport raw = HttpTransport(std::chrono::seconds(5));
  auto bad = raw(base + "/add-checkpoint", "garbage");
  ASSERT_TRUE(bad.ok()) << bad.status().ToString();
  EXPECT_EQ(bad->status, 400);
  server->Stop();
  t.join();
  server.reset();  // closes the listening socket and the kept-alive connection
  // Nobody listening: Unavailable, not a hang or a crash.
  auto gone = (*c)->Cosign(log_.Signed(12), 12, Proofs());
  EXPECT_EQ(gone.status().code(), StatusCode::kUnavailable) << gone.status().ToString();
}

// Raw bytes to 127.0.0.1:port, and what comes back until the server closes
// (or 3 s pass).
std::string Exchange(uint16_t port, const std::string& bytes, int* fd_out = nullptr) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return "(connect failed)";
  }
  timeval tv{3, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  if (!bytes.empty()) (void)::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
  if (fd_out != nullptr) {  // kept open by the caller, nothing read
    *fd_out = fd;
    return "";
  }
  std::string got;
  char buf[4096];
  for (ssize_t n; (n = ::recv(fd, buf, sizeof buf, 0)) > 0;)
    got.append(buf, static_cast<size_t>(n));
  ::close(fd);
  return got;
}

// The witness's transport against hostile clients (http/guard.h), as the
// window's (tests/http_transport_e2e_test.cc): an oversized trailer is 431
// (it ended the process), a transfer coding other than chunked is 400 with
// nothing read after it, and connections beyond the cap are 503.
TEST_F(WitnessClientTest, HostileRequestsOverHttp) {
  auto server = std::make_unique<WitnessServer>(witness_.get(), /*max_connections=*/2);
  ASSERT_TRUE(server->Listen("127.0.0.1", 0).ok());
  std::thread t([&] { server->Run(1, false); });
  const uint16_t port = server->port();
  const std::string health = "GET /healthz HTTP/1.1\r\nHost: w\r\nConnection: close\r\n\r\n";
  std::string got = Exchange(port,
                             "POST /add-checkpoint HTTP/1.1\r\nHost: w\r\nTransfer-Encoding: "
                             "chunked\r\n\r\n5\r\nhello\r\n0\r\nX-T: " +
                                 std::string(70000, 'a') + "\r\n\r\n");
  EXPECT_NE(got.find("HTTP/1.1 431 "), std::string::npos) << got.substr(0, 200);
  got = Exchange(
      port, "POST /add-checkpoint HTTP/1.1\r\nHost: w\r\nTransfer-Encoding: gzip\r\n\r\n" + health);
  EXPECT_NE(got.find("HTTP/1.1 400 "), std::string::npos) << got;
  EXPECT_EQ(got.find("HTTP/1.1 200 "), std::string::npos) << got;  // the smuggled one unread
  int held1 = -1, held2 = -1;
  Exchange(port, "", &held1);
  Exchange(port, "", &held2);
  for (int i = 0; i < 100; ++i) {  // until both are accepted
    got = Exchange(port, health);
    if (got.find(" 503 ") != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_NE(got.find("HTTP/1.1 503 "), std::string::npos) << got;
  EXPECT_NE(got.find("too_many_connections"), std::string::npos) << got;
  ::close(held1);
  ::close(held2);
  for (int i = 0; i < 100; ++i) {
    got = Exchange(port, health);
    if (got.find(" 200 ") != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_NE(got.find("HTTP/1.1 200 "), std::string::npos) << got;
  server->Stop();
  t.join();
}

}  // namespace
}  // namespace ftz::witness
