#include "ledger/hash.h"

#include <gtest/gtest.h>

#include <cctype>
#include <thread>
#include <tuple>
#include <vector>

#include "ledger/internal/test_vectors.h"
#include "ledger/tree.h"

namespace ftz::ledger {
namespace {

using internal::H;

TEST(HashTest, EmptyRootIsSha256OfNothing) {
  EXPECT_EQ(HashToHex(EmptyRoot()),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Sha256(std::string_view()), EmptyRoot());
}

TEST(HashTest, Sha256KnownAnswer) {
  // FIPS 180-2 example "abc".
  EXPECT_EQ(HashToHex(Sha256("abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(HashTest, LeafHashPrefixesZeroByte) {
  // RFC 6962 leaf hash of the empty leaf, from the CT test vectors.
  EXPECT_EQ(HashToHex(HashLeaf(std::string_view())),
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d");
  EXPECT_EQ(HashLeaf("abc"), Sha256(std::string("\x00"
                                                "abc",
                                                4)));
  EXPECT_NE(HashLeaf("abc"), Sha256("abc"));
}

TEST(HashTest, NodeHashPrefixesOneByte) {
  auto nodes = internal::Rfc6962NodesHex();
  // Level-1 node 0 is the hash of leaves 0 and 1.
  EXPECT_EQ(HashToHex(HashChildren(H(nodes[0][0]), H(nodes[0][1]))), nodes[1][0]);
  Hash l = Sha256("l");
  Hash r = Sha256("r");
  std::string buf("\x01");
  buf.append(reinterpret_cast<const char*>(l.data()), 32);
  buf.append(reinterpret_cast<const char*>(r.data()), 32);
  EXPECT_EQ(HashChildren(l, r), Sha256(buf));
  EXPECT_NE(HashChildren(l, r), HashChildren(r, l));
}

TEST(HashTest, Sm3KnownAnswers) {
  // GB/T 32905-2016 Appendix A, examples 1 and 2.
  Result<Hash> abc = Sm3("abc");
  ASSERT_TRUE(abc.ok()) << abc.status().ToString();
  EXPECT_EQ(HashToHex(*abc), "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0");
  std::string abcd16;
  for (int i = 0; i < 16; ++i) abcd16 += "abcd";
  Result<Hash> longer = Sm3(abcd16);
  ASSERT_TRUE(longer.ok());
  EXPECT_EQ(HashToHex(*longer), "debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732");
}

TEST(HashTest, HexRoundTripAndErrors) {
  Hash h = Sha256("x");
  EXPECT_EQ(*HashFromHex(HashToHex(h)), h);
  std::string upper = HashToHex(h);
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  EXPECT_EQ(*HashFromHex(upper), h);
  EXPECT_EQ(HashFromHex("abcd").status().code(), StatusCode::kInvalidArgument);
  std::string bad = HashToHex(h);
  bad[10] = 'g';
  EXPECT_EQ(HashFromHex(bad).status().code(), StatusCode::kInvalidArgument);
}

TEST(HashTest, ThreadsHashIndependently) {
  // Each thread has its own digest context; results must not interfere.
  std::vector<std::thread> threads;
  std::vector<int> bad(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([t, &bad] {
      for (int i = 0; i < 2000; ++i) {
        std::string data = std::to_string(t) + ":" + std::to_string(i);
        Hash a = HashLeaf(data);
        Hash b = Sha256(std::string(1, '\0') + data);
        if (a != b) ++bad[t];
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int b : bad) EXPECT_EQ(b, 0);
}

TEST(CompactRangeTest, RootsMatchPublishedVectors) {
  auto leaves = internal::Rfc6962Leaves();
  auto roots = internal::Rfc6962RootsHex();
  CompactRange range;
  EXPECT_EQ(HashToHex(range.Root()), roots[0]);
  for (size_t i = 0; i < leaves.size(); ++i) {
    ASSERT_TRUE(range.Append(HashLeaf(leaves[i])).ok());
    EXPECT_EQ(HashToHex(range.Root()), roots[i + 1]) << "size " << i + 1;
    EXPECT_EQ(range.peaks().size(), static_cast<size_t>(__builtin_popcountll(i + 1)));
  }
}

TEST(CompactRangeTest, SinkSeesEveryNodeInOrder) {
  auto leaves = internal::Rfc6962Leaves();
  auto nodes = internal::Rfc6962NodesHex();
  struct Recorder : NodeSink {
    std::vector<std::tuple<uint32_t, uint64_t, Hash>> seen;
    void PutNode(uint32_t level, uint64_t index, const Hash& h) override {
      seen.emplace_back(level, index, h);
    }
  } rec;
  CompactRange range;
  for (const auto& leaf : leaves) ASSERT_TRUE(range.Append(HashLeaf(leaf), &rec).ok());
  ASSERT_EQ(rec.seen.size(), 15u);  // 8 leaves + 4 + 2 + 1
  for (const auto& [level, index, h] : rec.seen) EXPECT_EQ(HashToHex(h), nodes[level][index]);
}

TEST(CompactRangeTest, FromPeaksRestoresAndRejectsWrongCount) {
  CompactRange a;
  for (int i = 0; i < 13; ++i) ASSERT_TRUE(a.Append(HashLeaf(std::to_string(i))).ok());
  Result<CompactRange> b = CompactRange::FromPeaks(13, a.peaks());
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->Root(), a.Root());
  ASSERT_TRUE(a.Append(HashLeaf("x")).ok());
  ASSERT_TRUE(b->Append(HashLeaf("x")).ok());
  EXPECT_EQ(b->Root(), a.Root());
  EXPECT_EQ(CompactRange::FromPeaks(13, {}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(CompactRange::FromPeaks(12, a.peaks()).status().code(), StatusCode::kInvalidArgument);
}

TEST(MemoryTreeTest, StoresEveryCompleteNode) {
  auto leaves = internal::Rfc6962Leaves();
  auto nodes = internal::Rfc6962NodesHex();
  MemoryTree tree;
  for (size_t i = 0; i < leaves.size(); ++i) {
    Result<uint64_t> idx = tree.AppendData(AsBytes(leaves[i]));
    ASSERT_TRUE(idx.ok());
    EXPECT_EQ(*idx, i);
  }
  for (uint32_t level = 0; level < nodes.size(); ++level) {
    for (uint64_t i = 0; i < nodes[level].size(); ++i) {
      Result<Hash> h = tree.NodeHash(level, i);
      ASSERT_TRUE(h.ok());
      EXPECT_EQ(HashToHex(*h), nodes[level][i]);
    }
  }
  EXPECT_EQ(tree.NodeHash(0, 8).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(tree.NodeHash(4, 0).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(tree.NodeHash(63, 0).status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace ftz::ledger
