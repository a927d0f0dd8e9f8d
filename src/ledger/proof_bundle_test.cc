#include "ledger/proof_bundle.h"

#include <gtest/gtest.h>

#include "ledger/encoding.h"
#include "ledger/internal/test_vectors.h"
#include "ledger/proof.h"
#include "ledger/tree.h"

namespace ftz::ledger {
namespace {

class ProofBundleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (uint64_t i = 0; i < 1000; ++i)
      ASSERT_TRUE(tree_.AppendData(AsBytes(internal::LeafData(i))).ok());
    ASSERT_TRUE(known_.Add(log_.verifier()).ok());
    Checkpoint cp{"ftz.example/ledger", tree_.size(), tree_.Root(), {}};
    // The log signs last so that no truncation leaves a complete log signature.
    std::vector<Signer> signers = {witness_, log_};
    checkpoint_ = *SignCheckpoint(cp, signers);
  }

  std::string Bundle(uint64_t index, std::optional<std::string> extra = std::nullopt) {
    ProofBundle b;
    b.extra = std::move(extra);
    b.index = index;
    b.proof = *InclusionProof(index, tree_.size(), tree_);
    b.checkpoint = checkpoint_;
    return *EncodeProofBundle(b);
  }

  MemoryTree tree_;
  Signer log_ = *Signer::Generate("ftz.example/ledger", KeyType::kEd25519);
  Signer witness_ = *Signer::Generate("witness.example/w1", KeyType::kSm2Sm3);
  VerifierSet known_;
  std::string checkpoint_;
};

TEST_F(ProofBundleTest, LayoutFollowsTheSpec) {
  std::string text = Bundle(73, std::string("extra-bytes"));
  std::vector<Hash> proof = *InclusionProof(73, 1000, tree_);
  std::string want =
      "c2sp.org/tlog-proof@v1\nextra " + Base64Encode(std::string("extra-bytes")) + "\nindex 73\n";
  for (const Hash& h : proof) want += Base64Encode(h) + "\n";
  want += "\n" + checkpoint_;
  EXPECT_EQ(text, want);
  EXPECT_EQ(Bundle(0).substr(0, 31), "c2sp.org/tlog-proof@v1\nindex 0\n");
}

TEST_F(ProofBundleTest, RoundTripAndVerify) {
  for (uint64_t index : {0ull, 1ull, 500ull, 998ull, 999ull}) {
    std::string text = Bundle(index, index % 2 ? std::optional<std::string>("ctx") : std::nullopt);
    Result<ProofBundle> parsed = ParseProofBundle(text);
    ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
    EXPECT_EQ(parsed->index, index);
    EXPECT_EQ(*EncodeProofBundle(*parsed), text);
    Result<VerifiedProofBundle> v =
        VerifyProofBundle(text, HashLeaf(internal::LeafData(index)), known_, "ftz.example/ledger");
    ASSERT_TRUE(v.ok()) << v.status().ToString();
    EXPECT_EQ(v->checkpoint.checkpoint.size, 1000u);
    EXPECT_EQ(v->checkpoint.note.unverified.size(), 1u);  // the witness is not trusted here
  }
}

TEST_F(ProofBundleTest, SingleLeafTreeHasNoProofLines) {
  MemoryTree one;
  ASSERT_TRUE(one.AppendData(AsBytes(std::string("only"))).ok());
  Checkpoint cp{"ftz.example/ledger", 1, one.Root(), {}};
  ProofBundle b{std::nullopt, 0, {}, *SignCheckpoint(cp, std::span<const Signer>(&log_, 1))};
  std::string text = *EncodeProofBundle(b);
  EXPECT_NE(text.find("index 0\n\nftz.example/ledger\n1\n"), std::string::npos);
  EXPECT_TRUE(VerifyProofBundle(text, HashLeaf(std::string("only")), known_).ok());
}

TEST_F(ProofBundleTest, AlteredBundlesAreRejected) {
  const uint64_t index = 321;
  const Hash leaf = HashLeaf(internal::LeafData(index));
  const std::string good = Bundle(index);
  ASSERT_TRUE(VerifyProofBundle(good, leaf, known_).ok());

  auto code = [&](const std::string& text, const Hash& h = Hash{}) {
    return VerifyProofBundle(text, h == Hash{} ? HashLeaf(internal::LeafData(index)) : h, known_)
        .status()
        .code();
  };
  // Wrong leaf, wrong index.
  EXPECT_EQ(code(good, HashLeaf(internal::LeafData(index + 1))), StatusCode::kFailedPrecondition);
  std::string moved = good;
  moved.replace(moved.find("index 321"), 9, "index 322");
  EXPECT_EQ(code(moved), StatusCode::kFailedPrecondition);
  moved = good;
  moved.replace(moved.find("index 321"), 9, "index 1321");
  EXPECT_EQ(code(moved), StatusCode::kInvalidArgument);  // beyond the tree
  // A changed proof hash (still valid base64).
  std::string flipped = good;
  size_t first_hash = flipped.find("index 321\n") + 10;
  flipped[first_hash] = flipped[first_hash] == 'A' ? 'B' : 'A';
  EXPECT_EQ(code(flipped), StatusCode::kFailedPrecondition);
  // A removed proof line and an extra proof line.
  std::string removed = good;
  size_t line_end = removed.find('\n', first_hash);
  removed.erase(first_hash, line_end - first_hash + 1);
  EXPECT_EQ(code(removed), StatusCode::kInvalidArgument);
  std::string added = good;
  added.insert(first_hash, Base64Encode(Sha256("x")) + "\n");
  EXPECT_EQ(code(added), StatusCode::kInvalidArgument);
  // A changed checkpoint (size) breaks its signature.
  std::string cp_changed = good;
  cp_changed.replace(cp_changed.find("\n1000\n"), 6, "\n1001\n");
  EXPECT_EQ(code(cp_changed), StatusCode::kFailedPrecondition);
  // Every truncation is rejected.
  for (size_t n = 0; n < good.size(); ++n) {
    Result<VerifiedProofBundle> v = VerifyProofBundle(good.substr(0, n), leaf, known_);
    ASSERT_FALSE(v.ok()) << "accepted truncation to " << n << " bytes";
  }
  // Unknown log key.
  VerifierSet other;
  ASSERT_TRUE(
      other.Add(Signer::Generate("ftz.example/ledger", KeyType::kEd25519)->verifier()).ok());
  EXPECT_EQ(VerifyProofBundle(good, leaf, other).status().code(), StatusCode::kFailedPrecondition);
  // Wrong origin.
  EXPECT_EQ(VerifyProofBundle(good, leaf, known_, "elsewhere.example").status().code(),
            StatusCode::kInvalidArgument);
}

TEST_F(ProofBundleTest, MalformedBundles) {
  const std::string cp = checkpoint_;
  const std::vector<std::string> bad = {
      "",
      "wrong-header\nindex 0\n\n" + cp,
      "c2sp.org/tlog-proof@v2\nindex 0\n\n" + cp,
      "c2sp.org/tlog-proof@v1\nextra !!notbase64!!\nindex 0\n\n" + cp,
      "c2sp.org/tlog-proof@v1\n\n\n" + cp,
      "c2sp.org/tlog-proof@v1\nindex notanumber\n\n" + cp,
      "c2sp.org/tlog-proof@v1\nindex -5\n\n" + cp,
      "c2sp.org/tlog-proof@v1\nindex 07\n\n" + cp,
      "c2sp.org/tlog-proof@v1\nindex  7\n\n" + cp,
      "c2sp.org/tlog-proof@v1\nindex 0\n!!notbase64!!\n\n" + cp,
      "c2sp.org/tlog-proof@v1\nindex 0\n" + Base64Encode(std::string(64, 'a')) + "\n\n" + cp,
      "c2sp.org/tlog-proof@v1\nindex 0\n" + Base64Encode(std::string(31, 'a')) + "\n\n" + cp,
      "c2sp.org/tlog-proof@v1\nindex 0\n",
      "c2sp.org/tlog-proof@v1\nindex 0\n\n",
  };
  for (const std::string& text : bad) {
    EXPECT_EQ(ParseProofBundle(text).status().code(), StatusCode::kInvalidArgument) << text;
  }
  ProofBundle b;
  b.checkpoint = "no newline";
  EXPECT_FALSE(EncodeProofBundle(b).ok());
}

}  // namespace
}  // namespace ftz::ledger
