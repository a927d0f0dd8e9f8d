#include "ledger/proof.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "ledger/internal/independent_verifier.h"
#include "ledger/internal/test_vectors.h"
#include "ledger/tree.h"

namespace ftz::ledger {
namespace {

using internal::H;
using Proof = std::vector<Hash>;

MemoryTree TreeOf(const std::vector<std::string>& leaves) {
  MemoryTree tree;
  for (const auto& d : leaves) EXPECT_TRUE(tree.AppendData(AsBytes(d)).ok());
  return tree;
}

Proof Hashes(std::initializer_list<const char*> hex) {
  Proof p;
  for (const char* h : hex) p.push_back(H(h));
  return p;
}

// ---------- published vectors (transparency-dev/merkle proof/verify_test.go) ----------

TEST(ProofVectorsTest, RootsForEverySize) {
  auto leaves = internal::Rfc6962Leaves();
  auto roots = internal::Rfc6962RootsHex();
  MemoryTree tree = TreeOf(leaves);
  for (uint64_t size = 0; size <= leaves.size(); ++size) {
    Result<Hash> root = RootAt(size, tree);
    ASSERT_TRUE(root.ok()) << root.status().ToString();
    EXPECT_EQ(HashToHex(*root), roots[size]) << "size " << size;
  }
  EXPECT_EQ(RootAt(9, tree).status().code(), StatusCode::kNotFound);
}

struct InclusionVector {
  uint64_t index, size;
  Proof proof;
};

std::vector<InclusionVector> PublishedInclusion() {
  return {
      {0, 1, {}},
      {0, 8,
       Hashes({"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
               "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
               "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"})},
      {5, 8,
       Hashes({"bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
               "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
               "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"})},
      {2, 3, Hashes({"fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"})},
      {1, 5,
       Hashes({"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
               "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
               "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"})},
  };
}

TEST(ProofVectorsTest, InclusionProofsMatchPublished) {
  auto leaves = internal::Rfc6962Leaves();
  auto roots = internal::Rfc6962RootsHex();
  MemoryTree tree = TreeOf(leaves);
  for (const auto& v : PublishedInclusion()) {
    Result<Proof> p = InclusionProof(v.index, v.size, tree);
    ASSERT_TRUE(p.ok()) << p.status().ToString();
    EXPECT_EQ(*p, v.proof) << v.index << "/" << v.size;
    EXPECT_TRUE(
        VerifyInclusion(v.index, v.size, HashLeaf(leaves[v.index]), v.proof, H(roots[v.size]))
            .ok());
  }
}

struct ConsistencyVector {
  uint64_t size1, size2;
  Proof proof;
};

TEST(ProofVectorsTest, ConsistencyProofsMatchPublished) {
  const ConsistencyVector vectors[] = {
      {1, 1, {}},
      {1, 8,
       Hashes({"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
               "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
               "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"})},
      {6, 8,
       Hashes({"0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
               "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
               "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"})},
      {2, 5,
       Hashes({"5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
               "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"})},
      {6, 7,
       Hashes({"0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
               "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
               "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"})},
  };
  auto roots = internal::Rfc6962RootsHex();
  MemoryTree tree = TreeOf(internal::Rfc6962Leaves());
  for (const auto& v : vectors) {
    Result<Proof> p = ConsistencyProof(v.size1, v.size2, tree);
    ASSERT_TRUE(p.ok()) << p.status().ToString();
    EXPECT_EQ(*p, v.proof) << v.size1 << "->" << v.size2;
    Status st = VerifyConsistency(v.size1, v.size2, v.proof, H(roots[v.size1]), H(roots[v.size2]));
    EXPECT_TRUE(st.ok()) << st.ToString();
  }
}

// ---------- exhaustive cross-check against the RFC 6962 recursive definitions ----------

class ExhaustiveTest : public ::testing::Test {
 protected:
  static constexpr uint64_t kMax = 100;
  void SetUp() override {
    for (uint64_t i = 0; i < kMax; ++i) all_.push_back(internal::LeafData(i));
    tree_ = TreeOf(all_);
    for (uint64_t n = 0; n <= kMax; ++n)
      prefixes_.emplace_back(all_.begin(), all_.begin() + static_cast<long>(n));
  }
  std::vector<std::string> all_;
  std::vector<std::vector<std::string>> prefixes_;
  MemoryTree tree_;
};

TEST_F(ExhaustiveTest, RootsMatchReferenceMth) {
  for (uint64_t size = 0; size <= kMax; ++size) {
    Result<Hash> root = RootAt(size, tree_);
    ASSERT_TRUE(root.ok());
    EXPECT_EQ(*root, internal::ReferenceMth(prefixes_[size])) << size;
  }
  EXPECT_EQ(tree_.Root(), internal::ReferenceMth(all_));
}

TEST_F(ExhaustiveTest, EveryInclusionProofMatchesReferenceAndVerifies) {
  for (uint64_t size = 1; size <= kMax; ++size) {
    Hash root = internal::ReferenceMth(prefixes_[size]);
    for (uint64_t index = 0; index < size; ++index) {
      Result<Proof> p = InclusionProof(index, size, tree_);
      ASSERT_TRUE(p.ok()) << p.status().ToString();
      ASSERT_TRUE(internal::ReferenceInclusionHolds(index, prefixes_[size], *p))
          << index << "/" << size;
      ASSERT_EQ(p->size(), InclusionProofLength(index, size));
      Status st = VerifyInclusion(index, size, HashLeaf(all_[index]), *p, root);
      ASSERT_TRUE(st.ok()) << index << "/" << size << ": " << st.ToString();
    }
  }
}

TEST_F(ExhaustiveTest, EveryConsistencyProofMatchesReferenceAndVerifies) {
  std::vector<Hash> roots;
  for (uint64_t n = 0; n <= kMax; ++n) roots.push_back(internal::ReferenceMth(prefixes_[n]));
  for (uint64_t size2 = 1; size2 <= kMax; ++size2) {
    for (uint64_t size1 = 1; size1 <= size2; ++size1) {
      Result<Proof> p = ConsistencyProof(size1, size2, tree_);
      ASSERT_TRUE(p.ok()) << p.status().ToString();
      ASSERT_TRUE(internal::ReferenceConsistencyHolds(size1, prefixes_[size2], *p))
          << size1 << "->" << size2;
      ASSERT_EQ(p->size(), ConsistencyProofLength(size1, size2));
      Status st = VerifyConsistency(size1, size2, *p, roots[size1], roots[size2]);
      ASSERT_TRUE(st.ok()) << size1 << "->" << size2 << ": " << st.ToString();
    }
  }
}

// ---------- tampering: every corruption is rejected, never accepted ----------

Proof Flip(Proof p, size_t i, uint8_t mask) {
  p[i][0] ^= mask;
  return p;
}

TEST_F(ExhaustiveTest, CorruptedInclusionProofsAreRejected) {
  const Hash some = Sha256("some other hash");
  for (uint64_t size = 1; size <= kMax; ++size) {
    Hash root = internal::ReferenceMth(prefixes_[size]);
    for (uint64_t index = 0; index < size; ++index) {
      Proof p = *InclusionProof(index, size, tree_);
      Hash leaf = HashLeaf(all_[index]);
      struct Probe {
        uint64_t index, size;
        Hash leaf, root;
        Proof proof;
        const char* what;
      };
      std::vector<Probe> probes = {
          {index - 1, size, leaf, root, p, "index-1"},
          {index + 1, size, leaf, root, p, "index+1"},
          {index ^ 2, size, leaf, root, p, "index^2"},
          {index, size * 2, leaf, root, p, "size*2"},
          {index, size / 2, leaf, root, p, "size/2"},
          {index, size, HashLeaf("wrong leaf"), root, p, "wrong leaf"},
          {index, size, leaf, EmptyRoot(), p, "empty root"},
          {index, size, leaf, some, p, "random root"},
      };
      Proof extra = p;
      extra.push_back(root);
      probes.push_back({index, size, leaf, root, extra, "trailing root"});
      Proof front = p;
      front.insert(front.begin(), some);
      probes.push_back({index, size, leaf, root, front, "preceding hash"});
      for (size_t i = 0; i < p.size(); ++i)
        probes.push_back({index, size, leaf, root, Flip(p, i, 8), "bit flip"});
      if (!p.empty())
        probes.push_back({index, size, leaf, root, Proof(p.begin(), p.end() - 1), "missing node"});
      if (p.size() > 1) {
        Proof ins = p;
        ins.insert(ins.begin() + 1, some);
        probes.push_back({index, size, leaf, root, ins, "inserted node"});
      }
      for (const Probe& pr : probes) {
        Status st = VerifyInclusion(pr.index, pr.size, pr.leaf, pr.proof, pr.root);
        ASSERT_FALSE(st.ok()) << pr.what << " accepted for " << index << "/" << size;
        ASSERT_TRUE(st.code() == StatusCode::kInvalidArgument ||
                    st.code() == StatusCode::kFailedPrecondition);
      }
    }
  }
}

TEST_F(ExhaustiveTest, CorruptedConsistencyProofsAreRejected) {
  std::vector<Hash> roots;
  for (uint64_t n = 0; n <= kMax; ++n) roots.push_back(internal::ReferenceMth(prefixes_[n]));
  const Hash some = Sha256("some other hash");
  for (uint64_t size2 = 2; size2 <= kMax; ++size2) {
    for (uint64_t size1 = 1; size1 < size2; ++size1) {
      Proof p = *ConsistencyProof(size1, size2, tree_);
      ASSERT_FALSE(p.empty());
      const Hash& r1 = roots[size1];
      const Hash& r2 = roots[size2];
      struct Probe {
        uint64_t s1, s2;
        Hash r1, r2;
        Proof proof;
        const char* what;
      };
      std::vector<Probe> probes = {
          {size1 - 1, size2, r1, r2, p, "size1-1"},   {size1 + 1, size2, r1, r2, p, "size1+1"},
          {size1 ^ 2, size2, r1, r2, p, "size1^2"},   {size1, size2 * 2, r1, r2, p, "size2*2"},
          {size1, size2 / 2, r1, r2, p, "size2/2"},   {size1, size2, some, r2, p, "wrong root1"},
          {size1, size2, r1, some, p, "wrong root2"}, {size1, size2, r2, r1, p, "swapped roots"},
          {size1, size2, r1, r2, {}, "empty proof"},
      };
      for (const Hash& extra : {r1, r2, some}) {
        Proof tail = p;
        tail.push_back(extra);
        probes.push_back({size1, size2, r1, r2, tail, "trailing hash"});
        Proof head = p;
        head.insert(head.begin(), extra);
        probes.push_back({size1, size2, r1, r2, head, "preceding hash"});
      }
      probes.push_back({size1, size2, r1, r2, Proof(p.begin(), p.end() - 1), "truncated"});
      for (size_t i = 0; i < p.size(); ++i)
        probes.push_back({size1, size2, r1, r2, Flip(p, i, 16), "bit flip"});
      for (const Probe& pr : probes) {
        Status st = VerifyConsistency(pr.s1, pr.s2, pr.proof, pr.r1, pr.r2);
        ASSERT_FALSE(st.ok()) << pr.what << " accepted for " << size1 << "->" << size2;
      }
    }
  }
}

// ---------- error codes and edge cases ----------

TEST(ProofErrorsTest, ClearStatusCodes) {
  MemoryTree tree = TreeOf(internal::Rfc6962Leaves());
  auto roots = internal::Rfc6962RootsHex();
  Hash leaf = HashLeaf(std::string_view());
  // Producing.
  EXPECT_EQ(InclusionProof(8, 8, tree).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(InclusionProof(0, 0, tree).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(InclusionProof(3, 9, tree).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(ConsistencyProof(5, 3, tree).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ConsistencyProof(3, 12, tree).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(InclusionProof(0, kMaxTreeSize + 1, tree).status().code(),
            StatusCode::kInvalidArgument);
  // Verifying: index >= size, size1 > size2.
  Status st = VerifyInclusion(8, 8, leaf, {}, H(roots[8]));
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(st.message().find(">= tree size"), std::string::npos) << st.message();
  EXPECT_EQ(VerifyInclusion(0, 0, leaf, {}, EmptyRoot()).code(), StatusCode::kInvalidArgument);
  st = VerifyConsistency(5, 3, {}, H(roots[5]), H(roots[3]));
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  // Wrong root: well-formed proof that does not verify.
  Proof p = *InclusionProof(0, 8, tree);
  st = VerifyInclusion(0, 8, leaf, p, H(roots[7]));
  EXPECT_EQ(st.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(st.message().find("does not match"), std::string::npos);
  // Missing / extra node.
  EXPECT_EQ(VerifyInclusion(0, 8, leaf, Proof(p.begin(), p.end() - 1), H(roots[8])).code(),
            StatusCode::kInvalidArgument);
  p.push_back(p[0]);
  EXPECT_EQ(VerifyInclusion(0, 8, leaf, p, H(roots[8])).code(), StatusCode::kInvalidArgument);
}

TEST(ProofErrorsTest, TrivialConsistencyCases) {
  Hash a = Sha256("a");
  Hash b = Sha256("b");
  Proof none;
  Proof one = {EmptyRoot()};
  EXPECT_TRUE(VerifyConsistency(0, 0, none, EmptyRoot(), EmptyRoot()).ok());
  EXPECT_TRUE(VerifyConsistency(0, 1, none, EmptyRoot(), b).ok());
  EXPECT_TRUE(VerifyConsistency(1, 1, none, b, b).ok());
  EXPECT_FALSE(VerifyConsistency(0, 1, none, a, b).ok());  // old root must be the empty tree's
  EXPECT_FALSE(VerifyConsistency(1, 1, none, a, b).ok());
  EXPECT_FALSE(VerifyConsistency(1, 0, none, a, b).ok());
  EXPECT_FALSE(VerifyConsistency(2, 1, none, a, b).ok());
  EXPECT_EQ(VerifyConsistency(1, 2, none, a, b).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(VerifyConsistency(0, 0, one, EmptyRoot(), EmptyRoot()).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(VerifyConsistency(0, 1, one, EmptyRoot(), EmptyRoot()).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(VerifyConsistency(1, 1, one, EmptyRoot(), EmptyRoot()).code(),
            StatusCode::kInvalidArgument);
}

TEST(ProofErrorsTest, HugeSizesNeverCrash) {
  Proof p(63, Sha256("x"));
  Hash leaf = HashLeaf("leaf");
  EXPECT_EQ(VerifyInclusion(kMaxTreeSize - 1, kMaxTreeSize, leaf, p, leaf).code(),
            StatusCode::kFailedPrecondition);
  EXPECT_EQ(VerifyInclusion(0, kMaxTreeSize + 1, leaf, p, leaf).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(VerifyInclusion(UINT64_MAX - 1, UINT64_MAX, leaf, p, leaf).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(VerifyConsistency(kMaxTreeSize - 1, kMaxTreeSize, p, leaf, leaf).code(),
            StatusCode::kInvalidArgument);
  EXPECT_FALSE(VerifyConsistency(1, kMaxTreeSize, p, leaf, leaf).ok());
  EXPECT_EQ(InclusionProofLength(kMaxTreeSize - 1, kMaxTreeSize), 63u);
}

TEST(ProofLargeTreeTest, RandomProofsInA5000LeafTree) {
  MemoryTree tree;
  std::vector<Hash> leaves;
  for (uint64_t i = 0; i < 5000; ++i) {
    leaves.push_back(HashLeaf(internal::LeafData(i)));
    ASSERT_TRUE(tree.Append(leaves.back()).ok());
  }
  std::mt19937_64 rng(42);
  for (int t = 0; t < 2000; ++t) {
    uint64_t size2 = 1 + rng() % 5000;
    uint64_t size1 = 1 + rng() % size2;
    uint64_t index = rng() % size2;
    Hash root1 = *RootAt(size1, tree);
    Hash root2 = *RootAt(size2, tree);
    Proof inc = *InclusionProof(index, size2, tree);
    ASSERT_TRUE(VerifyInclusion(index, size2, leaves[index], inc, root2).ok());
    Proof con = *ConsistencyProof(size1, size2, tree);
    ASSERT_TRUE(VerifyConsistency(size1, size2, con, root1, root2).ok()) << size1 << "->" << size2;
  }
}

}  // namespace
}  // namespace ftz::ledger
