#include "witness/witness.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "env/fault_injection_env.h"
#include "ledger/checkpoint.h"
#include "ledger/encoding.h"
#include "ledger/proof.h"
#include "ledger/tree.h"
#include "witness/test_log.h"

namespace ftz::witness {
namespace {

using testing_support::TestLog;

class WitnessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("ftz-witness-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    Reopen();
  }
  void TearDown() override {
    witness_.reset();
    std::filesystem::remove_all(dir_);
  }

  void Reopen(Env* env = nullptr) {
    witness_.reset();
    auto w =
        Witness::Open(env, dir_, TestLog::WitnessSigner(), {log_.known()}, [this] { return now_; });
    ASSERT_TRUE(w.ok()) << w.status().ToString();
    witness_ = std::move(*w);
  }

  // add-checkpoint for the log's checkpoint at `size`, with a correct proof
  // from `old`.
  WitnessResponse Add(uint64_t old, uint64_t size) {
    return witness_->AddCheckpoint(TestLog::Body(old, log_.Proof(old, size), log_.Signed(size)));
  }

  void ExpectCosigned(const WitnessResponse& r, uint64_t size) {
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.content_type, "text/plain; charset=utf-8");
    // The answer appended to the checkpoint verifies with the witness's key.
    auto ts = TestLog::WitnessSigner().verifier().VerifyNote(log_.Signed(size) + r.body);
    ASSERT_TRUE(ts.ok()) << ts.status().ToString();
    EXPECT_EQ(*ts, now_);
  }

  std::string dir_;
  TestLog log_{20};
  uint64_t now_ = 1'700'000'000;
  std::unique_ptr<Witness> witness_;
};

TEST_F(WitnessTest, CosignsAConsistentSequence) {
  ExpectCosigned(Add(0, 3), 3);
  EXPECT_EQ(witness_->state(log_.origin()), (LogState{3, log_.Root(3)}));
  now_ += 5;
  ExpectCosigned(Add(3, 8), 8);
  ExpectCosigned(Add(8, 13), 13);
  // The same checkpoint again is cosigned again (fresh timestamp), unchanged.
  now_ += 1;
  ExpectCosigned(Add(13, 13), 13);
  EXPECT_EQ(witness_->state(log_.origin()), (LogState{13, log_.Root(13)}));
}

TEST_F(WitnessTest, CosignsACheckpointWithOnlyTheSm2Key) {
  TestLog sm2_only(8, /*ed25519=*/false);
  auto w = Witness::Open(nullptr, dir_ + "/sm2", TestLog::WitnessSigner(), {sm2_only.known()},
                         [this] { return now_; });
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  WitnessResponse r = (*w)->AddCheckpoint(TestLog::Body(0, {}, sm2_only.Signed(8)));
  EXPECT_EQ(r.status, 200) << r.body;
}

TEST_F(WitnessTest, RefusesABadSignature) {
  std::string note = log_.Signed(5);
  // Flip one character of the first signature's base64 (still valid base64).
  size_t at = note.find("\xE2\x80\x94 ") + 4 + log_.origin().size() + 1 + 10;
  note[at] = note[at] == 'A' ? 'B' : 'A';
  WitnessResponse r = witness_->AddCheckpoint(TestLog::Body(0, {}, note));
  EXPECT_EQ(r.status, 403) << r.body;
  // A checkpoint signed by a key the witness does not trust.
  TestLog stranger(20);
  r = witness_->AddCheckpoint(TestLog::Body(0, {}, stranger.Signed(5)));
  EXPECT_EQ(r.status, 403) << r.body;
  EXPECT_FALSE(witness_->state(log_.origin()));
}

TEST_F(WitnessTest, UnknownOriginIs404) {
  TestLog other(5, true, "other.example/log");
  WitnessResponse r = witness_->AddCheckpoint(TestLog::Body(0, {}, other.Signed(5)));
  EXPECT_EQ(r.status, 404);
  EXPECT_NE(r.body.find("other.example/log"), std::string::npos) << r.body;
}

TEST_F(WitnessTest, WrongOldSizeIs409WithTheHeldSize) {
  ExpectCosigned(Add(0, 5), 5);
  WitnessResponse r = Add(0, 8);
  EXPECT_EQ(r.status, 409);
  EXPECT_EQ(r.content_type, "text/x.tlog.size");
  EXPECT_EQ(r.body, "5\n");
  r = Add(3, 8);
  EXPECT_EQ(r.status, 409);
  EXPECT_EQ(r.body, "5\n");
  ExpectCosigned(Add(5, 8), 8);
}

TEST_F(WitnessTest, AWrongProofIs422) {
  ExpectCosigned(Add(0, 5), 5);
  std::vector<ledger::Hash> proof = log_.Proof(5, 13);
  ASSERT_GE(proof.size(), 2u);
  auto add = [&](std::vector<ledger::Hash> p) {
    return witness_->AddCheckpoint(TestLog::Body(5, p, log_.Signed(13)));
  };
  std::vector<ledger::Hash> missing(proof.begin(), proof.end() - 1);
  EXPECT_EQ(add(missing).status, 422);
  std::vector<ledger::Hash> extra = proof;
  extra.push_back(proof[0]);
  EXPECT_EQ(add(extra).status, 422);
  std::vector<ledger::Hash> flipped = proof;
  flipped[1][7] ^= 0x20;
  WitnessResponse r = add(flipped);
  EXPECT_EQ(r.status, 422);
  EXPECT_NE(r.body.find("consistency proof from 5 to 13"), std::string::npos) << r.body;
  EXPECT_EQ(add({}).status, 422);
  // A proof where none is due (old 0, or the same size).
  EXPECT_EQ(witness_->AddCheckpoint(TestLog::Body(5, {proof[0]}, log_.Signed(5))).status, 422);
  // Nothing moved.
  EXPECT_EQ(witness_->state(log_.origin()), (LogState{5, log_.Root(5)}));
  ExpectCosigned(add(proof), 13);
}

TEST_F(WitnessTest, RefusesARollback) {
  ExpectCosigned(Add(0, 8), 8);
  // Claiming the held size with a smaller checkpoint: old > size.
  WitnessResponse r = witness_->AddCheckpoint(TestLog::Body(8, {}, log_.Signed(5)));
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("above the checkpoint"), std::string::npos) << r.body;
  // Claiming a smaller held size.
  r = Add(5, 5);
  EXPECT_EQ(r.status, 409);
  EXPECT_EQ(r.body, "8\n");
  EXPECT_EQ(witness_->state(log_.origin()), (LogState{8, log_.Root(8)}));
}

TEST_F(WitnessTest, RefusesASecondRootAtTheSameSize) {
  ExpectCosigned(Add(0, 8), 8);
  TestLog fork(8, true, log_.origin(), /*salt=*/"fork");
  fork.UseKeysOf(log_);
  WitnessResponse r = witness_->AddCheckpoint(TestLog::Body(8, {}, fork.Signed(8)));
  EXPECT_EQ(r.status, 409);
  EXPECT_EQ(r.body, "8\n");
  // Nor a fork that grows from it.
  r = witness_->AddCheckpoint(TestLog::Body(0, {}, fork.Signed(8)));
  EXPECT_EQ(r.status, 409);
  EXPECT_EQ(witness_->state(log_.origin()), (LogState{8, log_.Root(8)}));
}

TEST_F(WitnessTest, MalformedRequestsAre400) {
  const std::string cp = log_.Signed(5);
  const std::string good_hash = ledger::Base64Encode(log_.Root(1));
  struct Case {
    std::string body, why;
  } cases[] = {
      {"", "the body must start with"},
      {"old\n\n" + cp, "the body must start with"},
      {"old 01\n\n" + cp, "old size"},
      {"old -1\n\n" + cp, "old size"},
      {"old 18446744073709551616\n\n" + cp, "old size"},
      {"old 0\n" + good_hash + "\n", "no blank line"},
      {"old 0\n" + cp, "proof line 1"},  // without the blank line
      {"old 0\n\n", "no checkpoint"},
      {"old 0\nnot base64!\n\n" + cp, "proof line 1"},
      {"old 0\n" + good_hash.substr(4) + "\n\n" + cp, "proof line 1"},
      {"old 0\n\nexample.com/log\n5\n\n", "checkpoint"},
      {"old 0\n\nno signature at all\n", "checkpoint"},
      {"old 0\n\n" + cp.substr(0, cp.find('\n') + 1) + "x5\n" + cp.substr(cp.find('\n') + 3),
       "checkpoint"},
      {"old 9\n\n" + cp, "above the checkpoint"},
  };
  for (const Case& c : cases) {
    WitnessResponse r = witness_->AddCheckpoint(c.body);
    EXPECT_EQ(r.status, 400) << c.body << "\n" << r.body;
    EXPECT_NE(r.body.find(c.why), std::string::npos) << c.body << "\n" << r.body;
  }
  std::string many = "old 0\n";
  for (int i = 0; i < 64; ++i) many += good_hash + "\n";
  WitnessResponse r = witness_->AddCheckpoint(many + "\n" + cp);
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("63"), std::string::npos) << r.body;
  r = witness_->AddCheckpoint(std::string(kMaxRequestBytes + 1, 'x'));
  EXPECT_EQ(r.status, 400);
  EXPECT_FALSE(witness_->state(log_.origin()));
}

TEST_F(WitnessTest, StateSurvivesARestart) {
  ExpectCosigned(Add(0, 5), 5);
  Reopen();
  EXPECT_EQ(witness_->state(log_.origin()), (LogState{5, log_.Root(5)}));
  WitnessResponse r = Add(0, 8);
  EXPECT_EQ(r.status, 409);
  EXPECT_EQ(r.body, "5\n");
  ExpectCosigned(Add(5, 8), 8);
  Reopen();
  EXPECT_EQ(witness_->state(log_.origin()), (LogState{8, log_.Root(8)}));
}

TEST_F(WitnessTest, AFailedFsyncGivesNoCosignature) {
  FaultInjectionEnv env(Env::Default());
  Reopen(&env);
  ExpectCosigned(Add(0, 5), 5);
  env.FailSyncs(true);
  WitnessResponse r = Add(5, 8);
  EXPECT_EQ(r.status, 500);
  EXPECT_EQ(r.body.find("\xE2\x80\x94"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("injected"), std::string::npos) << r.body;
  // The outcome on disk is unknown: nothing more until a restart.
  env.FailSyncs(false);
  EXPECT_EQ(Add(5, 8).status, 503);
  EXPECT_EQ(Add(5, 5).status, 503);
  ASSERT_TRUE(env.DropUnsyncedData().ok());
  Reopen(&env);
  EXPECT_EQ(witness_->state(log_.origin()), (LogState{5, log_.Root(5)}));
  ExpectCosigned(Add(5, 8), 8);
}

TEST_F(WitnessTest, RacingRequestsNeverRollBack) {
  // Many threads submit increasing sizes from the same old size: at most one
  // wins per old size, and the held size only grows.
  ExpectCosigned(Add(0, 1), 1);
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (uint64_t size = 2; size <= 12; ++size) {
    threads.emplace_back([&, size] {
      if (Add(1, size).status == 200) ok.fetch_add(1);
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 1);
  auto st = witness_->state(log_.origin());
  ASSERT_TRUE(st);
  EXPECT_GT(st->size, 1u);
  EXPECT_EQ(st->root, log_.Root(st->size));
}

TEST(WitnessStateTest, FileRoundTripsAndDetectsDamage) {
  std::map<std::string, LogState> logs;
  logs["a.example/log"] = {5, ledger::Sha256(std::string_view("a"))};
  logs["b.example/log"] = {1ull << 40, ledger::Sha256(std::string_view("b"))};
  const std::string bytes = StateStore::Encode(logs);
  // magic 8 + count 4 + 2 * (2 + 13 + 8 + 32) + check 32
  EXPECT_EQ(bytes.size(), 8u + 4 + 2 * (2 + 13 + 8 + 32) + 32);
  EXPECT_EQ(bytes.substr(0, 8), "FTZWIT01");
  auto back = StateStore::Decode(bytes);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, logs);
  for (size_t i = 0; i < bytes.size(); i += 7) {
    std::string bad = bytes;
    bad[i] ^= 1;
    auto r = StateStore::Decode(bad);
    EXPECT_FALSE(r.ok()) << i;
    if (!r.ok()) {
      EXPECT_EQ(r.status().code(), StatusCode::kCorruption);
    }
  }
  EXPECT_FALSE(StateStore::Decode(bytes.substr(0, bytes.size() - 1)).ok());
  EXPECT_FALSE(StateStore::Decode("").ok());
  auto empty = StateStore::Decode(StateStore::Encode({}));
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());
}

TEST(WitnessStateTest, ADamagedStateFileStopsTheWitness) {
  const std::string dir = std::filesystem::temp_directory_path() /
                          ("ftz-witness-damaged-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::ofstream(dir + "/witness.state") << "FTZWIT01 not really";
  TestLog log(3);
  auto w = Witness::Open(nullptr, dir, TestLog::WitnessSigner(), {log.known()}, [] { return 1; });
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.status().code(), StatusCode::kCorruption);
  std::filesystem::remove_all(dir);
}

TEST(WitnessKeyTest, KeyIsMadeOnceWithMode0600) {
  const std::string dir =
      std::filesystem::temp_directory_path() / ("ftz-witness-key-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const std::string path = dir + "/witness.key";
  auto k1 = LoadOrCreateKey(path, "witness.example/w1");
  ASSERT_TRUE(k1.ok()) << k1.status().ToString();
  struct stat st;
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto k2 = LoadOrCreateKey(path, "");
  ASSERT_TRUE(k2.ok()) << k2.status().ToString();
  EXPECT_EQ(k2->verifier().ToString(), k1->verifier().ToString());
  EXPECT_EQ(LoadOrCreateKey(path, "someone.else/w").status().code(), StatusCode::kInvalidArgument);
  std::filesystem::remove_all(dir);
}

TEST(CosignatureTest, KeysRoundTripAndAreCheckedStrictly) {
  CosignatureSigner s = TestLog::WitnessSigner();
  auto again = CosignatureSigner::Parse(s.ToString());
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->verifier().ToString(), s.verifier().ToString());
  auto v = CosignatureVerifier::Parse(s.verifier().ToString());
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  const std::string vkey = s.verifier().ToString();
  // A log (type 0x01) key is not a cosignature key.
  EXPECT_FALSE(CosignatureVerifier::Parse(TestLog(1).known().vkeys[0]).ok());
  EXPECT_FALSE(CosignatureVerifier::Parse("").ok());
  EXPECT_FALSE(CosignatureVerifier::Parse("name+0000000+AAAA").ok());
  std::string wrong_id = vkey;
  wrong_id[wrong_id.find('+') + 1] ^= 1;
  EXPECT_FALSE(CosignatureVerifier::Parse(wrong_id).ok());
  EXPECT_FALSE(CosignatureSigner::Parse(vkey).ok());
}

// Fixed inputs, output computed independently (Python `cryptography`'s
// Ed25519 over the message of c2sp.org/tlog-cosignature): the line format,
// key ID and signed message are byte-exact.
TEST(CosignatureTest, MatchesAnIndependentComputation) {
  const std::string text =
      "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";
  EXPECT_EQ(CosignedMessage(text, 1679315147), "cosignature/v1\ntime 1679315147\n" + text);
  CosignatureSigner s = TestLog::WitnessSigner();
  EXPECT_EQ(s.verifier().ToString(), std::string(TestLog::kWitnessVkey));
  auto line = s.SignLine(text, 1679315147);
  ASSERT_TRUE(line.ok());
  EXPECT_EQ(*line, std::string(TestLog::kWitnessLine));
  EXPECT_TRUE(s.verifier().VerifyNote(text + "\n" + *line).ok());
  // Another text does not verify.
  EXPECT_FALSE(s.verifier().VerifyNote("x" + text + "\n" + *line).ok());
  EXPECT_EQ(s.verifier().VerifyNote(text + "\n\xE2\x80\x94 other AAAAAAAA\n").status().code(),
            StatusCode::kFailedPrecondition);
}

TEST(LogSpecTest, ParsesOriginAndKey) {
  TestLog log(1);
  const std::string vkey = log.known().vkeys[0];
  auto a = ParseLogSpec(log.origin() + " " + vkey);
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_EQ(a->origin, log.origin());
  auto b = ParseLogSpec(vkey);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->origin, log.origin());  // the key's name
  auto c = ParseLogSpec("some origin with spaces " + vkey);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->origin, "some origin with spaces");
  // GET /tlog/key's two lines: one log, two keys.
  auto d = ParseLogSpec(vkey + "\n" + log.known().vkeys[1] + "\n");
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->origin, log.origin());
  EXPECT_EQ(d->vkeys.size(), 2u);
  EXPECT_FALSE(ParseLogSpec(vkey + "\nother.example/log " + log.known().vkeys[1]).ok());
  EXPECT_EQ(ParseLogSpec("origin not-a-key").status().code(), StatusCode::kInvalidArgument);
  EXPECT_FALSE(ParseLogSpec("\n\n").ok());
  EXPECT_FALSE(ParseLogSpec("").ok());
}

}  // namespace
}  // namespace ftz::witness
