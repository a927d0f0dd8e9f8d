// The verifiable ledger over HTTP: every log record is a leaf; the window
// publishes signed checkpoints; anyone holding the log's public key can check
// an inclusion proof and a consistency proof offline, with nothing else.
#include <gtest/gtest.h>

#include <openssl/evp.h>

#include "ceb/ceb.h"
#include "ledger/checkpoint.h"
#include "ledger/proof.h"
#include "node/ledger_writer.h"
#include "test_server.h"
#include "workload/workload.h"

namespace ftz {
namespace {

using testing::Client;
using testing::HttpResult;
using testing::TestServer;

std::vector<ledger::Hash> Hashes(const std::string& body, const std::string& member) {
  std::vector<ledger::Hash> out;
  size_t p = body.find("\"" + member + "\":");
  if (p == std::string::npos) return out;
  p = body.find_first_of("[\"", p + member.size() + 3);
  size_t end = body[p] == '[' ? body.find(']', p) : body.find('"', p + 1) + 1;
  for (size_t q = body.find('"', p); q != std::string::npos && q < end; q = body.find('"', q + 1)) {
    size_t e = body.find('"', q + 1);
    std::string b64 = body.substr(q + 1, e - q - 1);
    unsigned char raw[48];
    int n = EVP_DecodeBlock(raw, reinterpret_cast<const unsigned char*>(b64.data()),
                            static_cast<int>(b64.size()));
    ledger::Hash h{};
    if (n >= 32) std::copy(raw, raw + 32, h.begin());
    out.push_back(h);
    q = e;
  }
  return out;
}

std::string Unescape(std::string s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 1 < s.size()) {
      ++i;
      out.push_back(s[i] == 'n' ? '\n' : s[i]);
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

TEST(LedgerTest, ReceiptsAreProvablyInTheSignedLog) {
  TestServer server("ledger");
  Client c(server.port());
  workload::Workload w({});
  std::vector<workload::Parcel> ps;
  for (int i = 0; i < 6; ++i) ps.push_back(w.Next());
  std::string receipt_seq;
  for (const Message& m : workload::Workload::Messages(MessageType::kOrder, ps, 2, 1)) {
    HttpResult r = c.Request("POST", "/v1/messages", ceb::EncodeMessageXml(m),
                             {{"Content-Type", "application/xml"}});
    ASSERT_EQ(r.status, 200);
    receipt_seq = r.headers["X-Ftz-Receipt-Seq"];
  }
  const uint64_t index = std::stoull(receipt_seq);
  // A checkpoint covering the receipt is published within a second or so.
  HttpResult proof;
  for (int i = 0; i < 100; ++i) {
    proof = c.Request("GET", "/v1/proofs/inclusion?index=" + receipt_seq);
    if (proof.status == 200) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_EQ(proof.status, 200) << proof.body;
  // Two verifier keys, one per line: Ed25519 first, then SM2-SM3.
  ledger::VerifierSet keys, sm2_only;
  const std::string key_lines = c.Request("GET", "/tlog/key").body;
  std::vector<ledger::Verifier> log_keys;
  for (size_t at = 0, nl; (nl = key_lines.find('\n', at)) != std::string::npos; at = nl + 1) {
    auto v = ledger::Verifier::Parse(key_lines.substr(at, nl - at));
    ASSERT_TRUE(v.ok()) << key_lines;
    log_keys.push_back(*v);
  }
  ASSERT_EQ(log_keys.size(), 2u) << key_lines;
  EXPECT_EQ(log_keys[0].type(), ledger::KeyType::kEd25519);
  EXPECT_EQ(log_keys[1].type(), ledger::KeyType::kSm2Sm3);
  ASSERT_TRUE(keys.Add(log_keys[0]).ok());
  ASSERT_TRUE(sm2_only.Add(log_keys[1]).ok());
  size_t cp_at = proof.body.find("\"checkpoint\":\"") + 14;
  std::string cp_text = Unescape(proof.body.substr(cp_at, proof.body.rfind('"') - cp_at));
  auto cp = ledger::OpenCheckpoint(cp_text, keys, "ftzport.local/log");
  ASSERT_TRUE(cp.ok()) << cp.status().ToString() << "\n" << cp_text;
  const uint64_t size = cp->checkpoint.size;
  ASSERT_GT(size, index);
  // The same checkpoint verifies with the SM2 key alone.
  auto cp_sm2 = ledger::OpenCheckpoint(cp_text, sm2_only, "ftzport.local/log");
  ASSERT_TRUE(cp_sm2.ok()) << cp_sm2.status().ToString();
  EXPECT_EQ(cp_sm2->checkpoint, cp->checkpoint);
  ASSERT_EQ(cp_sm2->note.verified.size(), 1u);
  EXPECT_EQ(cp_sm2->note.verified[0].key_id, log_keys[1].key_id());
  std::vector<ledger::Hash> leaf = Hashes(proof.body, "leafHash");
  std::vector<ledger::Hash> path = Hashes(proof.body, "proof");
  ASSERT_EQ(leaf.size(), 1u);
  EXPECT_TRUE(ledger::VerifyInclusion(index, size, leaf[0], path, cp->checkpoint.root).ok());
  // The leaf commits to the record exactly as logged.
  stream::RecordType type;
  UnixMillis time;
  std::string payload;
  ASSERT_TRUE(server.node().log().Read(index, &type, &time, &payload).ok());
  EXPECT_EQ(node::RecordLeaf(type, index, time, payload), leaf[0]);
  // A flipped proof node, or the leaf of another record, does not verify.
  path[0][0] ^= 1;
  EXPECT_FALSE(ledger::VerifyInclusion(index, size, leaf[0], path, cp->checkpoint.root).ok());
  // A forged checkpoint (size changed) is refused.
  std::string forged = cp_text;
  forged.replace(forged.find('\n') + 1, std::to_string(size).size(), std::to_string(size + 1));
  EXPECT_FALSE(ledger::OpenCheckpoint(forged, keys).ok());
  EXPECT_FALSE(ledger::OpenCheckpoint(forged, sm2_only).ok());
  // Later checkpoints extend earlier ones: a consistency proof from size 1.
  HttpResult cons = c.Request("GET", "/v1/proofs/consistency?from=1&to=" + std::to_string(size));
  ASSERT_EQ(cons.status, 200) << cons.body;
  auto root1 = ledger::RootAt(
      1, *std::make_unique<ledger::TileReader>(server.node().ledger().tiles_dir(), size));
  ASSERT_TRUE(root1.ok());
  EXPECT_TRUE(
      ledger::VerifyConsistency(1, size, Hashes(cons.body, "proof"), *root1, cp->checkpoint.root)
          .ok());
  // Bad requests get a clear error.
  EXPECT_EQ(c.Request("GET", "/v1/proofs/inclusion?index=999999").status, 404);
  EXPECT_EQ(c.Request("GET", "/v1/proofs/inclusion").status, 400);
  EXPECT_EQ(c.Request("GET", "/v1/proofs/consistency?from=5&to=2").status, 400);
  // Numbers only as the server writes them.
  for (const char* q : {"/v1/proofs/inclusion?index=-0", "/v1/proofs/inclusion?index=05",
                        "/v1/proofs/inclusion?index=+5", "/v1/proofs/consistency?from=01"}) {
    EXPECT_EQ(c.Request("GET", q).status, 400) << q;
  }
  EXPECT_EQ(c.Request("GET", "/v1/proofs/inclusion?index=0").status, 200);
  // After a restart the ledger is the same tree (same root at the same size).
  const ledger::Hash root = cp->checkpoint.root;
  server.Stop();
  server.Start();
  Client c2(server.port());
  std::string again = c2.Request("GET", "/tlog/checkpoint").body;
  auto cp2 = ledger::OpenCheckpoint(again, keys);
  ASSERT_TRUE(cp2.ok()) << again;
  EXPECT_TRUE(ledger::OpenCheckpoint(again, sm2_only).ok()) << again;  // same keys after restart
  EXPECT_EQ(cp2->checkpoint.size, size);
  EXPECT_EQ(cp2->checkpoint.root, root);
}

}  // namespace
}  // namespace ftz
