// Witnesses over real sockets: a witness (c2sp.org/tlog-witness) on a
// loopback port, and a single window configured to ask it. The published
// checkpoint carries the witness's cosignature, verifiable with the witness's
// key alone; the log's SM2 key alone verifies the same checkpoint; a restart
// of the window (which forgets what the witness acknowledged) goes through
// the 409 path; a witness that goes away never stops intake or the log.
#include <gtest/gtest.h>

#include <filesystem>

#include "ceb/ceb.h"
#include "ledger/checkpoint.h"
#include "test_server.h"
#include "witness/server.h"
#include "witness/witness.h"
#include "workload/workload.h"

namespace ftz {
namespace {

using testing::Client;
using testing::HttpResult;
using testing::TestServer;

constexpr const char* kOrigin = "ftzport.local/log";

// A witness and its HTTP server on a free loopback port.
class RunningWitness {
 public:
  RunningWitness(const std::string& dir, const witness::KnownLog& log) {
    auto key = witness::LoadOrCreateKey(dir + "/witness.key", "witness.test/w1");
    if (!key.ok()) throw std::runtime_error(key.status().ToString());
    vkey_ = key->verifier().ToString();
    auto w = witness::Witness::Open(nullptr, dir, *key, {log}, witness::SystemSeconds);
    if (!w.ok()) throw std::runtime_error(w.status().ToString());
    witness_ = std::move(*w);
    server_ = std::make_unique<witness::WitnessServer>(witness_.get());
    Status s = server_->Listen("127.0.0.1", 0);
    if (!s.ok()) throw std::runtime_error(s.ToString());
    thread_ = std::thread([this] { server_->Run(1, false); });
  }
  ~RunningWitness() {
    server_->Stop();
    thread_.join();
    server_.reset();
  }
  // What `ftzport serve --witness` takes.
  std::string spec() const {
    return "http://127.0.0.1:" + std::to_string(server_->port()) + " " + vkey_;
  }
  const std::string& vkey() const { return vkey_; }
  witness::Witness& witness() { return *witness_; }

 private:
  std::string vkey_;
  std::unique_ptr<witness::Witness> witness_;
  std::unique_ptr<witness::WitnessServer> server_;
  std::thread thread_;
};

class WitnessE2eTest : public ::testing::Test {
 protected:
  void Submit(Client& c, int parcels) {
    std::vector<workload::Parcel> ps;
    for (int i = 0; i < parcels; ++i) ps.push_back(w_.Next());
    for (const Message& m : workload::Workload::Messages(MessageType::kOrder, ps, 2, 1)) {
      HttpResult r = c.Request("POST", "/v1/messages", ceb::EncodeMessageXml(m),
                               {{"Content-Type", "application/xml"}});
      ASSERT_EQ(r.status, 200) << r.body;
    }
  }

  // Polls /tlog/checkpoint (the ledger publishes at most once a second)
  // until `done` holds for it; returns the last one seen.
  template <class Pred>
  std::string WaitForCheckpoint(Client& c, Pred done) {
    std::string cp;
    for (int i = 0; i < 300; ++i) {
      cp = c.Request("GET", "/tlog/checkpoint").body;
      if (done(cp)) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return cp;
  }

  static uint64_t SizeOf(const std::string& cp) {
    auto parsed = ledger::ParseNote(cp);
    if (!parsed.ok()) return 0;
    auto c = ledger::ParseCheckpoint(parsed->text);
    return c.ok() ? c->size : 0;
  }

  workload::Workload w_{{}};
};

TEST_F(WitnessE2eTest, CheckpointsCarryAVerifiableCosignature) {
  TestServer server("witness");
  std::vector<std::string> log_vkeys;
  {
    Client c(server.port());
    Submit(c, 3);
    const std::string lines = c.Request("GET", "/tlog/key").body;
    for (size_t at = 0, nl; (nl = lines.find('\n', at)) != std::string::npos; at = nl + 1) {
      log_vkeys.push_back(lines.substr(at, nl - at));
    }
  }
  ASSERT_EQ(log_vkeys.size(), 2u);
  ledger::VerifierSet ed_only, sm2_only;
  ASSERT_TRUE(ed_only.AddKey(log_vkeys[0]).ok());
  ASSERT_TRUE(sm2_only.AddKey(log_vkeys[1]).ok());

  const std::string wdir = server.dir() + "-w";
  std::filesystem::remove_all(wdir);
  // The witness trusts only the log's SM2 key: it must verify that signature.
  auto witness = std::make_unique<RunningWitness>(wdir, witness::KnownLog{kOrigin, {log_vkeys[1]}});
  auto wkey = witness::CosignatureVerifier::Parse(witness->vkey());
  ASSERT_TRUE(wkey.ok());
  auto cosigned = [&](const std::string& cp) { return wkey->VerifyNote(cp).ok(); };

  server.Stop();
  server.set_witnesses({witness->spec()});
  server.Start();
  uint64_t size1 = 0;
  {
    Client c(server.port());
    Submit(c, 2);
    const std::string cp = WaitForCheckpoint(c, cosigned);
    ASSERT_TRUE(cosigned(cp)) << cp;
    // One note, three kinds of signature: Ed25519, SM2 and the cosignature.
    auto by_sm2 = ledger::OpenCheckpoint(cp, sm2_only, kOrigin);
    ASSERT_TRUE(by_sm2.ok()) << by_sm2.status().ToString() << "\n" << cp;
    EXPECT_TRUE(ledger::OpenCheckpoint(cp, ed_only, kOrigin).ok()) << cp;
    size1 = by_sm2->checkpoint.size;
    EXPECT_GT(size1, 0u);
    auto held = witness->witness().state(kOrigin);
    ASSERT_TRUE(held);
    EXPECT_GE(held->size, size1);
    // A cosignature is for that checkpoint only: moved to another size it fails.
    std::string forged = cp;
    forged.replace(forged.find('\n') + 1, std::to_string(size1).size(), std::to_string(size1 + 1));
    EXPECT_FALSE(wkey->VerifyNote(forged).ok());
    const std::string metrics = c.Request("GET", "/metrics").body;
    EXPECT_NE(metrics.find("ftz_witness_cosignatures_total{witness=\"witness.test/w1\"}"),
              std::string::npos)
        << metrics;
  }

  // A restarted window does not know what the witness holds: it is told
  // (409) and proves consistency from there.
  server.Stop();
  server.Start();
  {
    Client c(server.port());
    Submit(c, 2);
    const std::string cp = WaitForCheckpoint(
        c, [&](const std::string& cp) { return SizeOf(cp) > size1 && cosigned(cp); });
    EXPECT_GT(SizeOf(cp), size1) << cp;
    EXPECT_TRUE(cosigned(cp)) << cp;
    EXPECT_TRUE(ledger::OpenCheckpoint(cp, sm2_only, kOrigin).ok()) << cp;
    size1 = SizeOf(cp);
  }

  // The witness goes away: intake and the log go on, without its cosignature.
  witness.reset();
  {
    Client c(server.port());
    Submit(c, 2);  // every message still answered 200
    const std::string cp =
        WaitForCheckpoint(c, [&](const std::string& cp) { return SizeOf(cp) > size1; });
    EXPECT_GT(SizeOf(cp), size1) << cp;
    EXPECT_FALSE(cosigned(cp)) << cp;
    EXPECT_TRUE(ledger::OpenCheckpoint(cp, sm2_only, kOrigin).ok()) << cp;
    std::string metrics;
    for (int i = 0; i < 300; ++i) {
      metrics = c.Request("GET", "/metrics").body;
      if (metrics.find("ftz_witness_failures_total{witness=\"witness.test/w1\"} ") !=
              std::string::npos &&
          metrics.find("ftz_witness_failures_total{witness=\"witness.test/w1\"} 0") ==
              std::string::npos) {
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    // The counter is there and above 0 (absent would not do).
    const std::string series = "ftz_witness_failures_total{witness=\"witness.test/w1\"} ";
    const size_t at = metrics.find(series);
    ASSERT_NE(at, std::string::npos) << metrics;
    EXPECT_GT(std::stod(metrics.substr(at + series.size())), 0.0) << metrics;
  }
  server.Stop();
  std::filesystem::remove_all(wdir);
}

}  // namespace
}  // namespace ftz
