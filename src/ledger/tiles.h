// Hash tiles (c2sp.org/tlog-tiles): the Merkle tree stored as tiles of 256
// consecutive node hashes, plus a reader that answers NodeHash() and serves
// tiles from them so proofs work from disk.
//
// A tile at level L, index N holds the hashes of tree nodes (8L, 256N + i)
// for i in [0, W): W = 256 for a full tile (8,192 bytes), 1..255 for a partial
// tile on the right edge. Paths (relative to the store directory):
//     tile/<L>/<N>            full tile (level >= 1; full level-0 tiles are
//                             blocks of the node file, see kNodeFile)
//     tile/<L>/<N>.p/<W>      partial tile of width W
//     tile/entries/<N>[.p/<W>] entry bundles (path encoding only, not stored here)
// with N written in 3-digit groups, all but the last prefixed with "x":
// 1234067 -> x001/x234/067. Nodes at levels between multiples of 8 are
// recomputed from the tile below them (at most 255 hashes per tile).
// ExportTiles writes the whole tree as plain tile files, to be served
// statically.
//
// TileStore additionally keeps a small state file, ftz-tiles.state, naming
// the tree size and root the tiles were last made durable at (format in
// docs/ledger-format.md).
//
// Contract:
//  * Ownership: TileStore/TileReader own their directory handles and caches;
//    returned hashes and strings are copies.
//  * Thread safety: TileReader is safe for concurrent NodeHash/ReadTile calls
//    (its cache has an internal mutex). TileStore is single-writer: Append,
//    Flush and NodeHash must not run concurrently; open TileReaders on the
//    same directory for concurrent proof serving (tiles are written with
//    rename, and a reader takes node-file blocks only of tiles full at its
//    flushed size, so readers never see a torn tile).
//  * Durability: Append only updates memory. Flush writes every new full and
//    partial tile (full level-0 ones into the node file), makes each durable
//    (fsync of each tile file and directory it touched and fdatasync of the
//    node file: SyncMode::kFsyncEach, default), then records size and root
//    in the state file with one fdatasync(). Once Flush returns Ok the tree
//    of flushed_size() leaves survives a crash. After a failed Flush the
//    store refuses further work (IOError): reopen it, the durable prefix is
//    intact.
//  * Errors: InvalidArgument for bad paths/ids; NotFound for nodes or tiles
//    not present at the view's size; IOError from the file system;
//    Corruption for a tile of the wrong length, a state file whose root
//    does not match the tiles, or a node file missing, damaged or shorter
//    than the state's full level-0 tiles (TileStore::Open: the tree must
//    then be rebuilt from its leaves, e.g. by the log it commits to).
#pragma once

#include <atomic>
#include <cstdint>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "core/status.h"
#include "ledger/hash.h"
#include "ledger/tree.h"

namespace ftz::ledger {

inline constexpr uint32_t kTileHeight = 8;
inline constexpr uint32_t kTileWidth = 256;  // hashes in a full tile
inline constexpr uint32_t kMaxTileLevel = 63;

struct TileId {
  uint32_t level = 0;           // L: holds tree level 8L
  uint64_t index = 0;           // N
  uint32_t width = kTileWidth;  // 1..256; 256 means full
  bool full() const { return width == kTileWidth; }
  bool operator==(const TileId&) const = default;
};

// "tile/<L>/<N>[.p/<W>]". The id must be valid (level <= 63, 1 <= width <= 256).
std::string TilePath(const TileId& id);
// "tile/entries/<N>[.p/<W>]".
std::string EntryBundlePath(uint64_t index, uint32_t width = kTileWidth);
// Inverse of TilePath; only the canonical spelling is accepted.
Result<TileId> ParseTilePath(std::string_view path);

// All tiles (full and partial) making up the tree of `size` leaves, level 0
// first. O(size / 256) entries: meant for tests and small trees.
std::vector<TileId> TilesForSize(uint64_t size);
// Tiles that exist at new_size and not at old_size (what a log publishes when
// it grows from old_size to new_size).
std::vector<TileId> NewTiles(uint64_t old_size, uint64_t new_size);

// The bytes of tile `id` (32 * width), read from `reader`.
Result<std::string> BuildTile(const TileId& id, const HashReader& reader);
// Splits tile bytes into hashes; InvalidArgument unless exactly 32 * width bytes.
Result<std::vector<Hash>> ParseTileData(const TileId& id, std::string_view data);

// Every node of each full level-0 tile (heights 0..7: 256 + 128 + ... + 2 =
// 510 hashes), kept by the TileStore in DIR/level0.nodes. It is the only
// durable copy of the full level-0 tiles from its first tile on (creating a
// file per 256 leaves stalled the log's fsync), and lets a proof for any leaf
// read its 8 lowest siblings instead of rehashing the tile's 255 interior
// nodes (docs/ledger-format.md §4.4.1). Project-private: never served as a
// file; TileReader::ReadTile serves the tiles out of it. Layout: "FTZNODE1" |
// u64 BE first tile | blocks of 510 hashes, tile N at kNodeFileHeader + (N -
// first) * kNodeBlockBytes.
inline constexpr std::string_view kNodeFile = "level0.nodes";
inline constexpr size_t kNodeFileHeader = 16;
inline constexpr size_t kNodeBlockHashes = 2 * kTileWidth - 2;
inline constexpr size_t kNodeBlockBytes = kNodeBlockHashes * kHashSize;
// Where height h (0..7) starts inside a block, in hashes.
constexpr size_t NodeBlockOffset(uint32_t h) {
  size_t off = 0;
  for (uint32_t k = 0; k < h; ++k) off += kTileWidth >> k;
  return off;
}

// Read-only view of the tree of `size` leaves stored under `dir`.
class TileReader final : public HashReader {
 public:
  // `cache_tiles`: how many expanded tiles (16 KiB each) to keep in memory.
  TileReader(std::string dir, uint64_t size, size_t cache_tiles = 4096);
  ~TileReader() override;

  uint64_t size() const { return size_.load(std::memory_order_acquire); }
  // Moves the view to a larger tree (a newer checkpoint's size, whose tiles
  // are flushed). Complete nodes never change, so the cached full tiles stay
  // valid and proofs for smaller sizes still come out right. Any thread.
  void Grow(uint64_t size);

  Result<Hash> NodeHash(uint32_t level, uint64_t index) const override;
  // One lock and one cache lookup per distinct tile in the batch.
  Status NodeHashes(std::span<const NodeId> ids, std::span<Hash> out) const override;

  // The raw bytes of a tile (docs/ledger-format.md §4.2): a full level-0
  // tile from the node file, any other from its file. A pruned partial tile
  // is served from the full tile that replaced it (its first W hashes are
  // the same).
  Result<std::string> ReadTile(const TileId& id) const;

  // Node (8 * id.level + sub, pos-th node of that height inside tile `id`).
  Result<Hash> NodeInTile(const TileId& id, uint32_t sub, uint64_t pos) const;

  struct CacheStats {
    uint64_t hits = 0;
    uint64_t misses = 0;
  };
  CacheStats cache_stats() const;

 private:
  struct Expanded;
  struct Key {
    uint64_t index;
    uint32_t level;
    uint32_t width;
    bool operator==(const Key&) const = default;
  };
  struct KeyHash {
    size_t operator()(const Key& k) const;
  };
  using Entry = std::pair<std::shared_ptr<const Expanded>, std::list<Key>::iterator>;

  struct Location {
    TileId tile;
    uint32_t sub;  // height inside the tile
    uint64_t pos;  // index among the tile's nodes of that height
  };
  Result<Location> Locate(uint32_t level, uint64_t index) const;
  // A node of a full level-0 tile from the node file; false if the file
  // does not cover that tile (then the tile is read and expanded).
  bool NodeFromNodeFile(const Location& w, Hash* out) const;
  void OpenNodeFile() const;  // once; node_fd_ stays -1 if absent or unusable
  // The whole block of a full level-0 tile into block[kNodeBlockHashes];
  // false if the node file does not hold it.
  bool ReadNodeBlock(uint64_t tile, Hash* block) const;
  // The 256 leaf hashes of full level-0 tile `tile` from the node file;
  // false if it does not hold them for this view (`beyond_view`: also for a
  // tile full only in a larger tree, once the file holds its whole block).
  bool ReadNodeLeaves(uint64_t tile, bool beyond_view, std::string* out) const;
  Result<std::shared_ptr<const Expanded>> Load(const TileId& id) const;

  std::string dir_;
  std::atomic<uint64_t> size_;
  size_t capacity_;
  mutable std::mutex mu_;
  mutable std::list<Key> lru_;  // front = most recent
  mutable std::unordered_map<Key, Entry, KeyHash> cache_;
  mutable CacheStats stats_;
  // The node file, opened on first use (-1: absent or unusable).
  mutable std::once_flag node_file_once_;
  mutable int node_fd_ = -1;
  mutable uint64_t node_first_tile_ = 0;
  mutable std::atomic<uint64_t> node_tiles_{0};  // blocks present (Grow re-reads)
};

// Writes every tile of the tree of reader.size() leaves (TilesForSize: full
// level-0 tiles included, partial widths the store never flushed built from
// the nodes) as plain files under out_dir at their §4.1 paths, replacing
// any there: a copy of the tree anyone can serve as static files. Returns
// the number of tiles written. IOError from the file system, Corruption or
// NotFound from the reader (a store that does not hold its size).
Result<uint64_t> ExportTiles(const TileReader& reader, const std::string& out_dir);

enum class SyncMode {
  kNone,  // no syncing (tests, benchmarks of the CPU path)
  // One syncfs() per Flush for all tiles + one fdatasync for the state. It
  // writes back everything dirty on the file system (the read model's pages
  // too), which delays the log's fdatasync on the same disk.
  kSyncfs,
  // fsync every tile file and directory written, fdatasync the node file.
  // Default: with full level-0 tiles in the node file a flush writes a few
  // files, and this kept p99 at half load lower than syncfs in 12 of 13
  // alternating pairs (docs/performance.md, session 7).
  kFsyncEach,
};

struct TileStoreOptions {
  SyncMode sync = SyncMode::kFsyncEach;
  size_t cache_tiles = 4096;
  // Delete a tile's partial versions once its full tile is durable (the
  // spec allows it; readers fall back to the full tile).
  bool prune_partials = true;
};

// Appends leaf hashes and persists the tree as hash tiles under `dir`.
class TileStore final : public HashReader {
 public:
  // Opens (creating if needed) the store in `dir` and recovers the last
  // flushed tree. Corruption if the state file and the tiles disagree.
  static Result<std::unique_ptr<TileStore>> Open(const std::string& dir,
                                                 TileStoreOptions options = {});
  ~TileStore() override;
  TileStore(const TileStore&) = delete;
  TileStore& operator=(const TileStore&) = delete;

  const std::string& dir() const { return dir_; }
  uint64_t size() const { return range_.size(); }  // including unflushed leaves
  uint64_t flushed_size() const { return flushed_size_; }
  Hash Root() const { return range_.Root(); }

  Status Append(const Hash& leaf_hash);
  Status AppendData(ByteView data) { return Append(HashLeaf(data)); }
  // Writes and syncs everything appended since the last Flush.
  Status Flush();

  // Any complete node of the tree of size() leaves (memory or disk).
  Result<Hash> NodeHash(uint32_t level, uint64_t index) const override;

 private:
  class Sink;
  TileStore(std::string dir, TileStoreOptions options);
  Status Recover();
  Result<Hash> NodeHashAt(uint32_t level, uint64_t index, uint64_t size) const;
  Status WriteFile(const std::string& rel_path, std::string_view data);
  Status EnsureDir(const std::string& rel_dir);
  Status WriteState();
  void PrunePartials(const TileId& full);

  std::string dir_;
  TileStoreOptions options_;
  int dir_fd_ = -1;
  int state_fd_ = -1;
  uint64_t state_seq_ = 0;
  Status broken_;
  CompactRange range_;
  uint64_t flushed_size_ = 0;
  // Right edge of each tile level: the entries of its newest (partial) tile.
  std::vector<std::vector<Hash>> edge_;
  // Full tiles completed since the last Flush, keyed by (level, index).
  std::map<std::pair<uint32_t, uint64_t>, std::vector<Hash>> pending_full_;
  // The node file (see kNodeFile): the block being filled for the current
  // level-0 tile, completed blocks not yet written, and where it starts.
  Status OpenNodeFile();
  void KeepLevel0Node(uint32_t level, uint64_t index, const Hash& hash);
  int node_fd_ = -1;
  uint64_t node_first_tile_ = 0;
  uint64_t node_block_tile_ = 0;
  std::vector<Hash> node_block_;
  std::map<uint64_t, std::vector<Hash>> pending_blocks_;
  std::unique_ptr<TileReader> disk_;      // full tiles already on disk
  std::vector<std::string> synced_dirs_;  // kFsyncEach: dirs touched this flush
  std::unordered_set<std::string> known_dirs_;
};

}  // namespace ftz::ledger
