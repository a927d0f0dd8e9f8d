#include "ledger/tiles.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "ledger/internal/test_vectors.h"
#include "ledger/proof.h"

namespace ftz::ledger {
namespace {

namespace fs = std::filesystem;

// A fresh directory removed at the end of the test.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = ::testing::TempDir() + "ftz-ledger-tiles-XXXXXX";
    char* p = ::mkdtemp(tmpl.data());
    EXPECT_NE(p, nullptr);
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void WriteRaw(const std::string& path, const std::string& data, std::ios::openmode extra = {}) {
  std::ofstream out(path, std::ios::binary | std::ios::in | std::ios::out | extra);
  out << data;
}

std::unique_ptr<TileStore> OpenStore(const std::string& dir, TileStoreOptions options) {
  Result<std::unique_ptr<TileStore>> store = TileStore::Open(dir, options);
  EXPECT_TRUE(store.ok()) << store.status().ToString();
  return store.ok() ? std::move(store).value() : nullptr;
}

// ---------- paths ----------

TEST(TilePathTest, SpecExamples) {
  EXPECT_EQ(TilePath({0, 1234067, 256}), "tile/0/x001/x234/067");
  EXPECT_EQ(TilePath({0, 0, 256}), "tile/0/000");
  EXPECT_EQ(TilePath({1, 5, 17}), "tile/1/005.p/17");
  EXPECT_EQ(TilePath({2, 1000, 1}), "tile/2/x001/000.p/1");
  EXPECT_EQ(TilePath({63, 999, 255}), "tile/63/999.p/255");
  EXPECT_EQ(EntryBundlePath(1234067), "tile/entries/x001/x234/067");
  EXPECT_EQ(EntryBundlePath(273, 112), "tile/entries/273.p/112");
}

TEST(TilePathTest, ParseRoundTrip) {
  std::mt19937_64 rng(7);
  std::vector<TileId> ids = {
      {0, 0, 256}, {0, 1234067, 256}, {5, 999, 1}, {63, UINT64_MAX, 255}, {7, 1000000, 256}};
  for (int i = 0; i < 500; ++i) {
    uint64_t n = rng() >> (rng() % 64);
    ids.push_back({static_cast<uint32_t>(rng() % 64), n, static_cast<uint32_t>(1 + rng() % 256)});
  }
  for (const TileId& id : ids) {
    Result<TileId> back = ParseTilePath(TilePath(id));
    ASSERT_TRUE(back.ok()) << TilePath(id) << ": " << back.status().ToString();
    EXPECT_EQ(*back, id) << TilePath(id);
  }
}

TEST(TilePathTest, ParseRejectsNonCanonical) {
  for (const char* bad : {"tile/0/x000/005",  "tile/0/1234",
                          "tile/0/05",        "tile/0/0005",
                          "tile/64/000",      "tile/00/000",
                          "tile/0/000.p/0",   "tile/0/000.p/256",
                          "tile/0/000.p/07",  "tile/0/000.p/",
                          "tile/0/x001",      "tile/0/x001/",
                          "tile/0/x1/000",    "tiles/0/000",
                          "tile/entries/000", "tile/0/000/",
                          "tile/0/00a",       "tile/0/000.q/5",
                          "tile//000",        "tile/0/x018/x446/x744/x073/x709/x551/616"}) {
    EXPECT_EQ(ParseTilePath(bad).status().code(), StatusCode::kInvalidArgument) << bad;
  }
}

// ---------- which tiles a size needs ----------

TEST(TileSetTest, SpecExampleSize70000) {
  // "a tree of size 70,000 will be represented by 273 full level 0 tiles,
  // one partial level 0 tile of width 112, one full level 1 tile, one partial
  // level 1 tile of width 17, and one partial level 2 tile of width 1."
  std::vector<TileId> tiles = TilesForSize(70000);
  std::vector<TileId> want;
  for (uint64_t n = 0; n < 273; ++n) want.push_back({0, n, 256});
  want.push_back({0, 273, 112});
  want.push_back({1, 0, 256});
  want.push_back({1, 1, 17});
  want.push_back({2, 0, 1});
  EXPECT_EQ(tiles, want);
}

TEST(TileSetTest, Size256AndSmall) {
  // "a tree of size 256 will be represented by a full level 0 tile and a
  // partial level 1 tile of width 1."
  EXPECT_EQ(TilesForSize(256), (std::vector<TileId>{{0, 0, 256}, {1, 0, 1}}));
  EXPECT_TRUE(TilesForSize(0).empty());
  EXPECT_EQ(TilesForSize(1), (std::vector<TileId>{{0, 0, 1}}));
}

TEST(TileSetTest, NewTiles) {
  EXPECT_EQ(NewTiles(100, 100), std::vector<TileId>{});
  EXPECT_EQ(NewTiles(100, 101), (std::vector<TileId>{{0, 0, 101}}));
  EXPECT_EQ(NewTiles(255, 257), (std::vector<TileId>{{0, 0, 256}, {0, 1, 1}, {1, 0, 1}}));
  EXPECT_EQ(NewTiles(256, 300), (std::vector<TileId>{{0, 1, 44}}));
  EXPECT_EQ(NewTiles(0, 70000), TilesForSize(70000));
}

TEST(TileDataTest, BuildAndParse) {
  MemoryTree tree;
  for (uint64_t i = 0; i < 70000; ++i)
    ASSERT_TRUE(tree.AppendData(AsBytes(internal::LeafData(i))).ok());
  for (const TileId& id :
       {TileId{0, 3, 256}, TileId{0, 273, 112}, TileId{1, 1, 17}, TileId{2, 0, 1}}) {
    Result<std::string> bytes = BuildTile(id, tree);
    ASSERT_TRUE(bytes.ok()) << bytes.status().ToString();
    ASSERT_EQ(bytes->size(), id.width * 32u);
    Result<std::vector<Hash>> hashes = ParseTileData(id, *bytes);
    ASSERT_TRUE(hashes.ok());
    for (uint32_t i = 0; i < id.width; ++i) {
      EXPECT_EQ((*hashes)[i], *tree.NodeHash(8 * id.level, id.index * 256 + i));
    }
    EXPECT_FALSE(ParseTileData(id, bytes->substr(1)).ok());
  }
  // A level-1 entry is the root of the level-0 tile below it.
  std::vector<Hash> l0 = *ParseTileData({0, 5, 256}, *BuildTile({0, 5, 256}, tree));
  std::vector<Hash> layer = l0;
  while (layer.size() > 1) {
    std::vector<Hash> up;
    for (size_t i = 0; i < layer.size(); i += 2) up.push_back(HashChildren(layer[i], layer[i + 1]));
    layer = up;
  }
  EXPECT_EQ(layer[0], *tree.NodeHash(8, 5));
  EXPECT_EQ(BuildTile({0, 274, 256}, tree).status().code(), StatusCode::kNotFound);
}

// ---------- the store ----------

class TileStoreTest : public ::testing::Test {
 protected:
  static constexpr uint64_t kLeaves = 100000;
  static void SetUpTestSuite() {
    memory_ = new MemoryTree();
    for (uint64_t i = 0; i < kLeaves; ++i)
      ASSERT_TRUE(memory_->AppendData(AsBytes(internal::LeafData(i))).ok());
  }
  static void TearDownTestSuite() {
    delete memory_;
    memory_ = nullptr;
  }
  static Hash Leaf(uint64_t i) { return *memory_->NodeHash(0, i); }

  // Fills `store` up to `size`, flushing at the sizes in `flush_at`.
  static void Fill(TileStore* store, uint64_t size, const std::vector<uint64_t>& flush_at) {
    size_t next = 0;
    for (uint64_t i = store->size(); i < size; ++i) {
      ASSERT_TRUE(store->Append(Leaf(i)).ok());
      while (next < flush_at.size() && flush_at[next] < i + 1) ++next;
      if (next < flush_at.size() && flush_at[next] == i + 1) {
        ASSERT_TRUE(store->Flush().ok());
      }
    }
  }

  static void ExpectSameProofs(const HashReader& reader, uint64_t size, int samples,
                               uint64_t seed) {
    std::mt19937_64 rng(seed);
    ASSERT_EQ(*RootAt(size, reader), *RootAt(size, *memory_)) << size;
    std::vector<uint64_t> indices = {0, size - 1, size / 2};
    for (int i = 0; i < samples; ++i) indices.push_back(rng() % size);
    for (uint64_t index : indices) {
      Result<std::vector<Hash>> a = InclusionProof(index, size, reader);
      ASSERT_TRUE(a.ok()) << index << "/" << size << ": " << a.status().ToString();
      ASSERT_EQ(*a, *InclusionProof(index, size, *memory_)) << index << "/" << size;
      uint64_t old_size = 1 + rng() % size;
      Result<std::vector<Hash>> c = ConsistencyProof(old_size, size, reader);
      ASSERT_TRUE(c.ok()) << c.status().ToString();
      ASSERT_EQ(*c, *ConsistencyProof(old_size, size, *memory_)) << old_size << "->" << size;
    }
  }

  static MemoryTree* memory_;
};
MemoryTree* TileStoreTest::memory_ = nullptr;

TEST_F(TileStoreTest, HundredThousandLeavesProofsFromDiskEqualMemory) {
  TempDir dir;
  std::vector<uint64_t> flushes;
  for (uint64_t s = 7919; s < kLeaves; s += 7919) flushes.push_back(s);
  flushes.push_back(kLeaves);
  {
    auto store = TileStore::Open(dir.path(), {SyncMode::kNone, 64, true});
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    Fill(store->get(), kLeaves, flushes);
    EXPECT_EQ((*store)->flushed_size(), kLeaves);
    EXPECT_EQ((*store)->Root(), memory_->Root());
    ExpectSameProofs(**store, kLeaves, 3000, 1);
  }
  // Every tile of the final tree is stored with the right bytes: full
  // level-0 tiles as node-file blocks (no file each), the others as files.
  TileReader reader(dir.path(), kLeaves, 256);
  for (const TileId& id : TilesForSize(kLeaves)) {
    ASSERT_EQ(*reader.ReadTile(id), *BuildTile(id, *memory_)) << TilePath(id);
    const bool block = id.level == 0 && id.full();
    ASSERT_EQ(fs::exists(dir.path() + "/" + TilePath(id)), !block) << TilePath(id);
    if (!block) {
      ASSERT_EQ(ReadFile(dir.path() + "/" + TilePath(id)), *reader.ReadTile(id));
    }
  }
  ExpectSameProofs(reader, kLeaves, 3000, 2);
  // The export is the whole tree as plain files: a reader of it alone (no
  // node file, no state) gives the same tiles and proofs.
  TempDir out;
  Result<uint64_t> exported = ExportTiles(reader, out.path() + "/site");
  ASSERT_TRUE(exported.ok()) << exported.status().ToString();
  EXPECT_EQ(*exported, TilesForSize(kLeaves).size());
  EXPECT_FALSE(fs::exists(out.path() + "/site/" + std::string(kNodeFile)));
  for (const TileId& id : TilesForSize(kLeaves)) {
    ASSERT_EQ(ReadFile(out.path() + "/site/" + TilePath(id)), *BuildTile(id, *memory_))
        << TilePath(id);
  }
  TileReader from_export(out.path() + "/site", kLeaves, 64);
  ExpectSameProofs(from_export, kLeaves, 300, 13);
  // An older size exports its partial tiles too, though no flush wrote them.
  TileReader older(dir.path(), 12345, 64);
  ASSERT_TRUE(ExportTiles(older, out.path() + "/older").ok());
  EXPECT_EQ(ReadFile(out.path() + "/older/" + TilePath({0, 12345 / 256, 12345 % 256})),
            *BuildTile({0, 12345 / 256, 12345 % 256}, *memory_));
  EXPECT_GT(reader.cache_stats().hits, 0u);
  // Readers at older checkpoint sizes still work, though the partial tiles of
  // those sizes were pruned once their full tiles were written.
  for (uint64_t old : {flushes[0], flushes[5], flushes[11]}) {
    TileReader at_old(dir.path(), old, 16);
    ExpectSameProofs(at_old, old, 300, old);
  }
  EXPECT_FALSE(fs::exists(dir.path() + "/" + TilePath({0, 7919 / 256, 7919 % 256})));
}

TEST_F(TileStoreTest, ReopenRecoversFlushedPrefixAndContinues) {
  TempDir dir;
  {
    auto store = OpenStore(dir.path(), {SyncMode::kSyncfs, 64, true});
    Fill(store.get(), 5000, {1000, 4321});
    // Appended after the last flush: not durable, lost on reopen.
    Fill(store.get(), 5000 + 77, {});
    EXPECT_EQ(store->flushed_size(), 4321u);
  }
  auto store = OpenStore(dir.path(), {SyncMode::kFsyncEach, 64, true});
  EXPECT_EQ(store->size(), 4321u);
  EXPECT_EQ(store->Root(), *RootAt(4321, *memory_));
  ExpectSameProofs(*store, 4321, 200, 3);
  Fill(store.get(), 20000, {9999, 20000});
  EXPECT_EQ(store->Root(), *RootAt(20000, *memory_));
  ExpectSameProofs(*store, 20000, 500, 4);
  // Nodes beyond the tree are not found.
  EXPECT_EQ(store->NodeHash(0, 20000).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store->NodeHash(64, 0).status().code(), StatusCode::kNotFound);
}

TEST_F(TileStoreTest, UnflushedNodesServeProofs) {
  TempDir dir;
  auto store = OpenStore(dir.path(), {SyncMode::kNone, 64, true});
  Fill(store.get(), 3000, {1024});
  EXPECT_EQ(store->flushed_size(), 1024u);
  ExpectSameProofs(*store, 3000, 300, 5);
  ExpectSameProofs(*store, 1500, 100, 6);
}

TEST_F(TileStoreTest, TornNewestStateSlotFallsBackToPrevious) {
  TempDir dir;
  {
    auto store = OpenStore(dir.path(), {SyncMode::kNone, 64, true});
    Fill(store.get(), 1010, {1000, 1010});  // the second flush completes no tile
  }
  // The newest record is in slot (seq % 2): seq 2 -> offset 0. Tear it.
  WriteRaw(dir.path() + "/ftz-tiles.state", std::string(20, '\x5a'));
  auto store = TileStore::Open(dir.path(), {SyncMode::kNone, 64, true});
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  EXPECT_EQ((*store)->size(), 1000u);
  EXPECT_EQ((*store)->Root(), *RootAt(1000, *memory_));
}

TEST_F(TileStoreTest, CorruptionIsDetected) {
  TempDir dir;
  {
    auto store = OpenStore(dir.path(), {SyncMode::kNone, 64, true});
    Fill(store.get(), 3000, {3000});
  }
  // A flipped byte in the right-edge tile: the tiles no longer hash to the
  // recorded root.
  std::string edge = dir.path() + "/" + TilePath({0, 3000 / 256, 3000 % 256});
  std::string bytes = ReadFile(edge);
  bytes[5] ^= 1;
  WriteRaw(edge, bytes);
  EXPECT_EQ(TileStore::Open(dir.path()).status().code(), StatusCode::kCorruption);
  bytes[5] ^= 1;
  WriteRaw(edge, bytes);
  ASSERT_TRUE(TileStore::Open(dir.path()).ok());
  // A truncated full tile is reported by readers (a store from before the
  // node file kept level-0 tiles as files; without the node file a reader
  // takes them from there).
  fs::rename(dir.path() + "/" + std::string(kNodeFile), dir.path() + "/nodes.keep");
  std::string full = dir.path() + "/" + TilePath({0, 2, 256});
  fs::create_directories(dir.path() + "/tile/0");
  WriteRaw(full, std::string(8000, 'x'), std::ios::trunc);
  TileReader reader(dir.path(), 3000);
  EXPECT_EQ(reader.NodeHash(0, 2 * 256 + 1).status().code(), StatusCode::kCorruption);
  fs::remove(full);
  fs::rename(dir.path() + "/nodes.keep", dir.path() + "/" + std::string(kNodeFile));
  // A state file with no valid record.
  WriteRaw(dir.path() + "/ftz-tiles.state", std::string(1024, '\0'));
  EXPECT_EQ(TileStore::Open(dir.path()).status().code(), StatusCode::kCorruption);
}

// The full level-0 tiles live only in the node file: losing it, cutting it
// short or damaging its newest block makes the store refuse to open
// (Corruption), so its owner rebuilds the tree from the leaves instead of
// serving a tree with holes.
TEST_F(TileStoreTest, NodeFileLossOrDamageIsCorruption) {
  TempDir dir;
  {
    auto store = OpenStore(dir.path(), {SyncMode::kNone, 64, true});
    Fill(store.get(), 1800, {1000, 1800});
  }
  const std::string path = dir.path() + "/" + std::string(kNodeFile);
  const std::string good = ReadFile(path);
  ASSERT_EQ(good.size(), kNodeFileHeader + 7 * kNodeBlockBytes);
  auto expect_refused = [&](const std::string& bytes, const char* what) {
    WriteRaw(path, bytes, std::ios::trunc);
    Result<std::unique_ptr<TileStore>> store = TileStore::Open(dir.path());
    EXPECT_EQ(store.status().code(), StatusCode::kCorruption) << what;
    EXPECT_NE(store.status().message().find("rebuilt from its leaves"), std::string::npos)
        << store.status().ToString();
  };
  expect_refused(good.substr(0, good.size() - kNodeBlockBytes), "short by a block");
  std::string bad = good;
  bad[kNodeFileHeader + 6 * kNodeBlockBytes + 100] ^= 1;  // a leaf of the newest block
  expect_refused(bad, "newest block damaged");
  expect_refused(std::string("FTZNODE0") + good.substr(8), "bad magic");
  fs::remove(path);
  EXPECT_EQ(TileStore::Open(dir.path()).status().code(), StatusCode::kCorruption) << "missing";
  WriteRaw(path, good, std::ios::trunc);
  auto store = OpenStore(dir.path(), {SyncMode::kNone, 64, true});
  EXPECT_EQ(store->Root(), *RootAt(1800, *memory_));
  // Blocks beyond the durable state (a flush cut short) are cut off and
  // written again.
  store.reset();
  WriteRaw(path, good + std::string(kNodeBlockBytes, 'z'), std::ios::trunc);
  store = OpenStore(dir.path(), {SyncMode::kNone, 64, true});
  Fill(store.get(), 2100, {2100});
  TileReader reader(dir.path(), 2100);
  ExpectSameProofs(reader, 2100, 200, 14);
}

// The node file answers every node of a full level-0 tile exactly as the
// tile itself does — across flushes, a reopen in the middle of a tile (the
// block is rebuilt from the tile's leaves) and a store written before the
// node file existed (every full level-0 tile a file).
TEST_F(TileStoreTest, NodeFileAnswersLikeTheTiles) {
  TempDir dir;
  {
    auto store = OpenStore(dir.path(), {SyncMode::kNone, 64, true});
    Fill(store.get(), 700, {100, 300, 700});
  }
  {
    auto store = OpenStore(dir.path(), {SyncMode::kNone, 64, true});  // mid-tile 2
    Fill(store.get(), 1800, {1000, 1800});
  }
  {
    // The older layout: tiles 0..6 as files, no node file. It is started at
    // the first tile not yet full.
    TileReader reader(dir.path(), 1800);
    for (uint64_t n = 0; n < 1800 / kTileWidth; ++n) {
      fs::create_directories(dir.path() + "/tile/0");
      WriteRaw(dir.path() + "/" + TilePath({0, n, kTileWidth}), *reader.ReadTile({0, n, 256}),
               std::ios::trunc);
    }
    fs::remove(dir.path() + "/" + std::string(kNodeFile));
    auto store = OpenStore(dir.path(), {SyncMode::kNone, 64, true});
    Fill(store.get(), 3000, {2500, 3000});
  }
  const uint64_t size = 3000;
  TileReader with(dir.path(), size);
  std::string node_file = ReadFile(dir.path() + "/" + std::string(kNodeFile));
  // Tiles 7..10 are in the file (1800 / 256 = 7 was the first not yet full),
  // and only there.
  ASSERT_EQ(node_file.size(), kNodeFileHeader + 4 * kNodeBlockBytes);
  for (uint64_t n = 0; n < size / kTileWidth; ++n) {
    EXPECT_EQ(fs::exists(dir.path() + "/" + TilePath({0, n, kTileWidth})), n < 7) << n;
  }
  for (uint32_t level = 0; level < kTileHeight; ++level) {
    for (uint64_t i = 0; i < (size / kTileWidth * kTileWidth) >> level; ++i) {
      auto a = with.NodeHash(level, i);
      ASSERT_TRUE(a.ok()) << level << "/" << i;
      ASSERT_EQ(*a, *memory_->NodeHash(level, i)) << level << "/" << i;
    }
  }
  // Tiles 7..10 came from the file: only tiles 0..6 were read and expanded.
  EXPECT_EQ(with.cache_stats().misses, 7u);
  ExpectSameProofs(with, size, 200, 9);
  // A reader of a smaller tree uses no block beyond it; grown to the full
  // size it serves both sizes right (complete nodes never change).
  TileReader small(dir.path(), 1900);
  ExpectSameProofs(small, 1900, 100, 10);
  small.Grow(size);
  EXPECT_EQ(small.size(), size);
  ExpectSameProofs(small, size, 100, 11);
  ExpectSameProofs(small, 1900, 100, 12);
  small.Grow(100);  // never shrinks
  EXPECT_EQ(small.size(), size);
}

TEST_F(TileStoreTest, WriteFailureStopsTheStore) {
  TempDir dir;
  auto store = OpenStore(dir.path(), {SyncMode::kNone, 64, true});
  std::ofstream(dir.path() + "/tile") << "a file where a directory must go";
  Fill(store.get(), 10, {});
  Status st = store->Flush();
  EXPECT_EQ(st.code(), StatusCode::kIOError);
  EXPECT_EQ(store->Append(Leaf(10)).code(), StatusCode::kIOError);
  EXPECT_EQ(store->Flush().code(), StatusCode::kIOError);
}

TEST_F(TileStoreTest, ReaderRejectsNodesBeyondItsSize) {
  TempDir dir;
  {
    auto store = OpenStore(dir.path(), {SyncMode::kNone, 64, true});
    Fill(store.get(), 600, {600});
  }
  TileReader reader(dir.path(), 600);
  EXPECT_TRUE(reader.NodeHash(0, 599).ok());
  EXPECT_EQ(reader.NodeHash(0, 600).status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(reader.NodeHash(9, 0).ok());  // 512 leaves: inside the level-1 partial tile
  EXPECT_EQ(reader.NodeHash(10, 0).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(reader.NodeHash(3, UINT64_MAX).status().code(), StatusCode::kNotFound);
  TileReader missing(dir.path() + "/nope", 600);
  EXPECT_EQ(missing.NodeHash(0, 0).status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace ftz::ledger
