#include "engine/internal/sharded_map.h"

#include "engine/internal/key.h"

#include <absl/container/flat_hash_map.h>
#include <absl/container/node_hash_map.h>
#include <gtest/gtest.h>

#include <map>
#include <random>
#include <string>

namespace ftz::engine::internal {
namespace {

// As the engine's maps: keys held in the entries (internal/key.h).
using Flat = ShardedMap<absl::flat_hash_map<Key, int, KeyHash, KeyEq>>;
using Node = ShardedMap<absl::node_hash_map<std::string, std::string>>;

// Whatever is done to it, the sharded map holds what a std::map given the
// same operations holds, and its iteration visits each entry exactly once.
TEST(ShardedMapTest, BehavesAsAMapUnderRandomOperations) {
  Flat m;
  std::map<std::string, int> want;
  std::mt19937_64 rng(7);
  auto check_iteration = [&] {
    std::map<std::string, int> seen;
    for (const auto& [k, v] : m) ASSERT_TRUE(seen.emplace(k, v).second) << "twice: " << k.view();
    ASSERT_EQ(seen, want);
    ASSERT_EQ(m.size(), want.size());
    ASSERT_EQ(m.empty(), want.empty());
  };
  check_iteration();
  EXPECT_TRUE(m.begin() == m.end());
  for (int step = 0; step < 40000; ++step) {
    // Every third key is too long to be held inline.
    const uint64_t id = rng() % 5000;
    const std::string key =
        (id % 3 == 0 ? "3301960001/HZ2026010100000000000000000000000000000000/" : "3301/ORDER") +
        std::to_string(id);
    switch (rng() % 6) {
      case 0: {
        auto [it, inserted] = m.try_emplace(key, step);
        auto [wit, winserted] = want.try_emplace(key, step);
        ASSERT_EQ(inserted, winserted);
        ASSERT_EQ(it->first, key);
        ASSERT_EQ(it->second, wit->second);
        break;
      }
      case 1:
        m[key] = step;
        want[key] = step;
        break;
      case 2:
        ASSERT_EQ(m.erase(key), want.erase(key));
        break;
      case 3: {
        auto it = m.find(std::string_view(key));
        ASSERT_EQ(it != m.end(), want.count(key) == 1);
        if (it != m.end()) {
          ASSERT_EQ(it->second, want.at(key));
          m.erase(it);
          want.erase(key);
        }
        break;
      }
      case 4:
        ASSERT_EQ(m.count(key), want.count(key));
        if (want.count(key)) {
          ASSERT_EQ(m.at(key), want.at(key));
        }
        break;
      case 5: {
        auto [it, inserted] = m.emplace(key, -step);
        ASSERT_EQ(inserted, want.emplace(key, -step).second);
        ASSERT_EQ(it->second, want.at(key));
        break;
      }
    }
    if (step % 5000 == 0) check_iteration();
  }
  check_iteration();
  const Flat& c = m;
  ASSERT_FALSE(want.empty());
  EXPECT_EQ(c.find(want.begin()->first)->second, want.begin()->second);
  EXPECT_TRUE(c.find(std::string("absent")) == c.end());
}

// The keys spread over every shard, and a growing node map keeps its
// entries where they are (the engine holds references into them).
TEST(ShardedMapTest, KeysSpreadAndNodeEntriesStayPut) {
  Node m;
  m.reserve(1000);
  const std::string* first = &m["3301/ORDER0"];
  *const_cast<std::string*>(first) = "kept";
  for (int i = 1; i < 100000; ++i) m.try_emplace("3301/ORDER" + std::to_string(i), "x");
  EXPECT_EQ(&m.at(std::string("3301/ORDER0")), first);
  EXPECT_EQ(*first, "kept");
  EXPECT_EQ(m.size(), 100000u);
  // Each shard holds its share, within 30% (six standard deviations of
  // 5%), so none grows much later than the others, nor holds them all.
  const double share = 100000.0 / Node::kShards;
  for (size_t i = 0; i < Node::kShards; ++i) {
    EXPECT_GT(m.shard_size(i), share * 0.7) << i;
    EXPECT_LT(m.shard_size(i), share * 1.3) << i;
  }
  size_t n = 0;
  for (auto it = m.begin(); it != m.end(); ++it) ++n;
  EXPECT_EQ(n, m.size());
}

TEST(ShardedMapTest, AMovedMapKeepsItsEntriesAndTheMovedFromOneIsEmpty) {
  Flat a;
  for (int i = 0; i < 1000; ++i) a.try_emplace("3301/ORDER" + std::to_string(i), i);
  Flat b = std::move(a);
  EXPECT_EQ(b.size(), 1000u);
  EXPECT_EQ(a.size(), 0u);  // NOLINT(bugprone-use-after-move): checked on purpose
  EXPECT_TRUE(a.begin() == a.end());
  Flat c;
  c.try_emplace(std::string("other"), 1);
  c = std::move(b);
  EXPECT_EQ(c.size(), 1000u);
  EXPECT_EQ(c.count("other"), 0u);
  EXPECT_EQ(b.size(), 0u);  // NOLINT(bugprone-use-after-move)
  size_t n = 0;
  for (auto it = b.begin(); it != b.end(); ++it) ++n;
  EXPECT_EQ(n, 0u);
  a.try_emplace(std::string("3301/ORDER1"), 7);  // a moved-from map is usable again
  EXPECT_EQ(a.size(), 1u);
}

TEST(KeyTest, HoldsShortKeysInlineAndLongOnesOnTheHeapAlike) {
  for (size_t n : {size_t{0}, size_t{1}, size_t{15}, size_t{16}, Key::kInline, Key::kInline + 1,
                   size_t{255}, size_t{300}}) {
    std::string s;
    for (size_t i = 0; i < n; ++i) s.push_back(static_cast<char>('a' + i % 26));
    Key k(s);
    EXPECT_EQ(k.view(), s) << n;
    EXPECT_EQ(k.size(), n);
    Key copy = k;
    EXPECT_EQ(copy.view(), s);
    EXPECT_NE(copy.view().data(), k.view().data());  // its own bytes
    Key moved = std::move(copy);
    EXPECT_EQ(moved.view(), s);
    EXPECT_TRUE(copy.empty());  // NOLINT(bugprone-use-after-move): a moved-from key is empty
    Key assigned("x");
    assigned = k;
    EXPECT_EQ(assigned.view(), s);
    assigned = Key(std::string(400, 'z'));
    EXPECT_EQ(assigned.view(), std::string(400, 'z'));
    assigned = std::move(moved);
    EXPECT_EQ(assigned.view(), s);
    // The map hashes a key as absl hashes its bytes, whichever way it is held,
    // so a lookup by a view finds it (ShardedMap's prehashed find).
    EXPECT_EQ(KeyHash{}(k), KeyHash{}(std::string_view(s)));
    EXPECT_TRUE(KeyEq{}(k, std::string_view(s)));
    EXPECT_TRUE(KeyEq{}(s, k));
  }
  EXPECT_FALSE(KeyEq{}(Key("3301/A"), std::string_view("3301/B")));
  static_assert(sizeof(Key) == 48);
}

}  // namespace
}  // namespace ftz::engine::internal
