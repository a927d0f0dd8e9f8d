#include "ledger/checkpoint.h"

#include <gtest/gtest.h>

#include "ledger/encoding.h"

namespace ftz::ledger {
namespace {

Checkpoint Example() {
  Checkpoint cp;
  cp.origin = "ftz.example/ledger";
  cp.size = 20852163;
  cp.root = Sha256("root");
  return cp;
}

TEST(CheckpointTest, ParsesSpecExampleBody) {
  // The checkpoint body from c2sp.org/tlog-checkpoint.
  const std::string body =
      "example.com/behind-the-sofa\n"
      "20852163\n"
      "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";
  Result<Checkpoint> cp = ParseCheckpoint(body);
  ASSERT_TRUE(cp.ok()) << cp.status().ToString();
  EXPECT_EQ(cp->origin, "example.com/behind-the-sofa");
  EXPECT_EQ(cp->size, 20852163u);
  EXPECT_EQ(Base64Encode(cp->root), "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=");
  EXPECT_TRUE(cp->extensions.empty());
  EXPECT_EQ(*FormatCheckpoint(*cp), body);
}

TEST(CheckpointTest, RoundTripWithExtensions) {
  Checkpoint cp = Example();
  cp.extensions = {"ext one", "ext-two"};
  Result<std::string> text = FormatCheckpoint(cp);
  ASSERT_TRUE(text.ok());
  Result<Checkpoint> back = ParseCheckpoint(*text);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, cp);
  Checkpoint empty = Example();
  empty.size = 0;
  empty.root = EmptyRoot();
  EXPECT_EQ(ParseCheckpoint(*FormatCheckpoint(empty))->size, 0u);
}

TEST(CheckpointTest, RejectsMalformedBodies) {
  const std::string root = Base64Encode(Sha256("root"));
  const std::vector<std::string> bad = {
      "",
      "origin\n",
      "origin\n5\n",
      "origin\n5\n" + root,          // no final newline
      "\n5\n" + root + "\n",         // empty origin
      "origin\n05\n" + root + "\n",  // leading zero
      "origin\n-5\n" + root + "\n",
      "origin\n5x\n" + root + "\n",
      "origin\n99999999999999999999\n" + root + "\n",
      "origin\n5\nnot base64!\n",
      "origin\n5\n" + root.substr(0, 40) + "\n",                  // truncated base64
      "origin\n5\n" + Base64Encode(std::string(31, 'a')) + "\n",  // 31-byte hash
      "origin\n5\n" + root + "\n\next\n",                         // empty extension line
      "origin\n5\n" + root + "\next\tx\n",                        // control character
  };
  for (const std::string& text : bad) {
    EXPECT_EQ(ParseCheckpoint(text).status().code(), StatusCode::kInvalidArgument) << text;
  }
  Checkpoint cp = Example();
  cp.origin = "two\nlines";
  EXPECT_FALSE(FormatCheckpoint(cp).ok());
  cp = Example();
  cp.extensions = {""};
  EXPECT_FALSE(FormatCheckpoint(cp).ok());
}

class SignedCheckpointTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(known_.Add(log_.verifier()).ok()); }
  Signer log_ = *Signer::Generate("ftz.example/ledger", KeyType::kEd25519);
  Signer sm2_ = *Signer::Generate("ftz.example/ledger", KeyType::kSm2Sm3);
  VerifierSet known_;
};

TEST_F(SignedCheckpointTest, SignAndOpen) {
  Checkpoint cp = Example();
  std::vector<Signer> signers = {log_, sm2_};
  Result<std::string> signed_cp = SignCheckpoint(cp, signers);
  ASSERT_TRUE(signed_cp.ok());
  Result<VerifiedCheckpoint> v = OpenCheckpoint(*signed_cp, known_, "ftz.example/ledger");
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_EQ(v->checkpoint, cp);
  EXPECT_EQ(v->note.verified.size(), 1u);
  EXPECT_EQ(v->note.unverified.size(), 1u);  // the SM2 key is not configured here
  // Wrong expected origin.
  EXPECT_EQ(OpenCheckpoint(*signed_cp, known_, "other.example/log").status().code(),
            StatusCode::kInvalidArgument);
}

TEST_F(SignedCheckpointTest, ForgedCheckpointsAreRejected) {
  Checkpoint cp = Example();
  std::string good = *SignCheckpoint(cp, std::span<const Signer>(&log_, 1));
  // Changed size.
  std::string forged = good;
  forged.replace(forged.find("20852163"), 8, "20852164");
  EXPECT_EQ(OpenCheckpoint(forged, known_).status().code(), StatusCode::kFailedPrecondition);
  // Changed root (same length, still valid base64).
  forged = good;
  size_t root_at = forged.find('\n', forged.find('\n') + 1) + 1;
  forged[root_at] = forged[root_at] == 'A' ? 'B' : 'A';
  EXPECT_EQ(OpenCheckpoint(forged, known_).status().code(), StatusCode::kFailedPrecondition);
  // Re-signed by an attacker's key with the log's name.
  Signer attacker = *Signer::Generate("ftz.example/ledger", KeyType::kEd25519);
  cp.size += 1;
  std::string by_attacker = *SignCheckpoint(cp, std::span<const Signer>(&attacker, 1));
  EXPECT_EQ(OpenCheckpoint(by_attacker, known_).status().code(), StatusCode::kFailedPrecondition);
  // Bad base64 in the signature line.
  forged = good;
  forged.insert(forged.size() - 5, "!");
  EXPECT_EQ(OpenCheckpoint(forged, known_).status().code(), StatusCode::kInvalidArgument);
  // Wrong key configured: no known signature.
  VerifierSet wrong;
  ASSERT_TRUE(wrong.Add(attacker.verifier()).ok());
  EXPECT_EQ(OpenCheckpoint(good, wrong).status().code(), StatusCode::kFailedPrecondition);
}

TEST_F(SignedCheckpointTest, SignedButMalformedBodyIsRejected) {
  // A validly signed note whose text is not a checkpoint.
  std::string note = *SignNote("just one line\n", std::span<const Signer>(&log_, 1));
  EXPECT_EQ(OpenCheckpoint(note, known_).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace ftz::ledger
