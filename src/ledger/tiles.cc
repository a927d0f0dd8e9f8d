#include "ledger/tiles.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstring>

#include "ledger/encoding.h"

namespace ftz::ledger {
namespace {

constexpr std::string_view kStateFile = "ftz-tiles.state";
constexpr std::string_view kStateMagic = "FTZTILE1";
constexpr size_t kStateSlotSize = 64;
constexpr size_t kStateSlotStride = 512;  // one slot per disk sector
constexpr uint32_t kTileLevels = 8;       // tile levels needed for 64-bit sizes

std::string Str(uint64_t v) { return std::to_string(v); }

Status Errno(const std::string& what, const std::string& path) {
  return Status::IOError(what + " " + path + ": " + std::strerror(errno));
}

// N in 3-digit groups: 1234067 -> "x001/x234/067".
std::string EncodeIndex(uint64_t n) {
  std::string digits = std::to_string(n);
  while (digits.size() % 3 != 0) digits.insert(digits.begin(), '0');
  std::string out;
  for (size_t i = 0; i < digits.size(); i += 3) {
    if (i + 3 < digits.size()) {
      out.push_back('x');
      out.append(digits, i, 3);
      out.push_back('/');
    } else {
      out.append(digits, i, 3);
    }
  }
  return out;
}

// Parses the <N> of a path from the front of `s`, consuming it.
Result<uint64_t> ParseIndex(std::string_view* s) {
  uint64_t n = 0;
  bool first = true;
  while (true) {
    bool more = !s->empty() && (*s)[0] == 'x';
    size_t skip = more ? 1 : 0;
    if (s->size() < skip + 3) return Status::InvalidArgument("tile path: short index group");
    std::string_view group = s->substr(skip, 3);
    for (char c : group) {
      if (c < '0' || c > '9')
        return Status::InvalidArgument("tile path: index group is not 3 digits");
    }
    if (more && first && group == "000")
      return Status::InvalidArgument("tile path: non-canonical index");
    uint64_t g =
        static_cast<uint64_t>((group[0] - '0') * 100 + (group[1] - '0') * 10 + (group[2] - '0'));
    if (n > (UINT64_MAX - g) / 1000)
      return Status::InvalidArgument("tile path: index exceeds 64 bits");
    n = n * 1000 + g;
    s->remove_prefix(skip + 3);
    first = false;
    if (!more) return n;
    if (s->empty() || (*s)[0] != '/')
      return Status::InvalidArgument("tile path: x-group not followed by /");
    s->remove_prefix(1);
  }
}

// mkdir -p.
Status MakeDirs(const std::string& path) {
  for (size_t i = 1; i <= path.size(); ++i) {
    if (i != path.size() && path[i] != '/') continue;
    const std::string part = path.substr(0, i);
    if (::mkdir(part.c_str(), 0755) != 0 && errno != EEXIST) return Errno("mkdir", part);
  }
  return Status::Ok();
}

// Hash of the 2^height consecutive hashes at `entries` (height <= 7).
Hash SubtreeHash(const Hash* entries, uint32_t height) {
  if (height == 0) return entries[0];
  Hash buf[kTileWidth / 2];
  size_t n = size_t{1} << height;
  for (size_t i = 0; i < n / 2; ++i) buf[i] = HashChildren(entries[2 * i], entries[2 * i + 1]);
  for (n /= 2; n > 1; n /= 2) {
    for (size_t i = 0; i < n / 2; ++i) buf[i] = HashChildren(buf[2 * i], buf[2 * i + 1]);
  }
  return buf[0];
}

std::string TileBytes(const std::vector<Hash>& hashes) {
  std::string out(hashes.size() * kHashSize, '\0');
  for (size_t i = 0; i < hashes.size(); ++i) {
    std::memcpy(out.data() + i * kHashSize, hashes[i].data(), kHashSize);
  }
  return out;
}

// Reads a whole file of at most max_len bytes. NotFound if it does not exist.
Result<std::string> ReadWholeFile(const std::string& path, size_t max_len) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return Status::NotFound("no file " + path);
    return Errno("open", path);
  }
  std::string out(max_len + 1, '\0');
  size_t got = 0;
  while (got < out.size()) {
    ssize_t r = ::read(fd, out.data() + got, out.size() - got);
    if (r < 0) {
      if (errno == EINTR) continue;
      Status st = Errno("read", path);
      ::close(fd);
      return st;
    }
    if (r == 0) break;
    got += static_cast<size_t>(r);
  }
  ::close(fd);
  if (got > max_len)
    return Status::Corruption("file " + path + " is longer than " + Str(max_len) + " bytes");
  out.resize(got);
  return out;
}

void PutBigEndian64(uint8_t* p, uint64_t v) {
  for (int i = 7; i >= 0; --i, v >>= 8) p[i] = static_cast<uint8_t>(v);
}
uint64_t GetBigEndian64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | p[i];
  return v;
}

// Where node (level, index) lives: tile level L = level / 8, height `sub`
// inside the tile, and its range of level-8L entries [first, first + 2^sub).
struct NodePlace {
  uint32_t tile_level;
  uint32_t sub;
  uint64_t first;
  uint64_t end;
};

Result<NodePlace> Place(uint32_t level, uint64_t index) {
  if (level >= 64) return Status::NotFound("no node at level " + Str(level));
  NodePlace p;
  p.tile_level = level / kTileHeight;
  p.sub = level % kTileHeight;
  if (index > (UINT64_MAX >> p.sub) - 1) return Status::NotFound("node index out of range");
  p.first = index << p.sub;
  p.end = p.first + (uint64_t{1} << p.sub);
  return p;
}

// Number of complete nodes at tree level 8L in a tree of `size` leaves.
uint64_t CountAt(uint64_t size, uint32_t tile_level) {
  uint32_t shift = tile_level * kTileHeight;
  return shift >= 64 ? 0 : size >> shift;
}

Status NotComplete(uint32_t level, uint64_t index, uint64_t size) {
  return Status::NotFound("node (" + Str(level) + ", " + Str(index) + ") is not complete at size " +
                          Str(size));
}

}  // namespace

// ---------------- paths and tile sets ----------------

std::string TilePath(const TileId& id) {
  std::string p = "tile/" + Str(id.level) + "/" + EncodeIndex(id.index);
  if (!id.full()) p += ".p/" + Str(id.width);
  return p;
}

std::string EntryBundlePath(uint64_t index, uint32_t width) {
  std::string p = "tile/entries/" + EncodeIndex(index);
  if (width != kTileWidth) p += ".p/" + Str(width);
  return p;
}

Result<TileId> ParseTilePath(std::string_view path) {
  constexpr std::string_view kPrefix = "tile/";
  if (path.substr(0, kPrefix.size()) != kPrefix)
    return Status::InvalidArgument("tile path must start with tile/");
  path.remove_prefix(kPrefix.size());
  size_t slash = path.find('/');
  if (slash == std::string_view::npos) return Status::InvalidArgument("tile path: missing level");
  Result<uint64_t> level = ParseDecimal(path.substr(0, slash));
  if (!level.ok() || *level > kMaxTileLevel)
    return Status::InvalidArgument("tile path: level must be 0..63");
  path.remove_prefix(slash + 1);
  Result<uint64_t> index = ParseIndex(&path);
  if (!index.ok()) return index.status();
  TileId id{static_cast<uint32_t>(*level), *index, kTileWidth};
  if (path.empty()) return id;
  constexpr std::string_view kPartial = ".p/";
  if (path.substr(0, kPartial.size()) != kPartial)
    return Status::InvalidArgument("tile path: trailing garbage");
  path.remove_prefix(kPartial.size());
  Result<uint64_t> width = ParseDecimal(path);
  if (!width.ok() || *width == 0 || *width >= kTileWidth) {
    return Status::InvalidArgument("tile path: partial width must be 1..255");
  }
  id.width = static_cast<uint32_t>(*width);
  return id;
}

std::vector<TileId> TilesForSize(uint64_t size) { return NewTiles(0, size); }

std::vector<TileId> NewTiles(uint64_t old_size, uint64_t new_size) {
  std::vector<TileId> out;
  if (new_size <= old_size) return out;
  for (uint32_t level = 0; level < kTileLevels; ++level) {
    uint64_t c_old = CountAt(old_size, level);
    uint64_t c_new = CountAt(new_size, level);
    if (c_new == c_old) continue;  // nothing changed here, nor above
    for (uint64_t n = c_old / kTileWidth; n < c_new / kTileWidth; ++n)
      out.push_back({level, n, kTileWidth});
    if (uint32_t w = static_cast<uint32_t>(c_new % kTileWidth); w != 0) {
      out.push_back({level, c_new / kTileWidth, w});
    }
  }
  return out;
}

Result<std::string> BuildTile(const TileId& id, const HashReader& reader) {
  if (id.level >= kTileLevels || id.width == 0 || id.width > kTileWidth) {
    return Status::InvalidArgument("invalid tile id");
  }
  std::string out;
  out.reserve(id.width * kHashSize);
  for (uint32_t i = 0; i < id.width; ++i) {
    Result<Hash> h = reader.NodeHash(id.level * kTileHeight, id.index * kTileWidth + i);
    if (!h.ok()) return h.status();
    out.append(reinterpret_cast<const char*>(h->data()), kHashSize);
  }
  return out;
}

Result<std::vector<Hash>> ParseTileData(const TileId& id, std::string_view data) {
  if (id.width == 0 || id.width > kTileWidth) return Status::InvalidArgument("invalid tile width");
  if (data.size() != size_t{id.width} * kHashSize) {
    return Status::InvalidArgument("tile " + TilePath(id) + " has " + Str(data.size()) +
                                   " bytes, want " + Str(size_t{id.width} * kHashSize));
  }
  std::vector<Hash> out(id.width);
  for (size_t i = 0; i < out.size(); ++i)
    std::memcpy(out[i].data(), data.data() + i * kHashSize, kHashSize);
  return out;
}

// ---------------- TileReader ----------------

// A tile with every node inside it computed: layer h (0..8) holds the
// width >> h nodes of height h.
struct TileReader::Expanded {
  uint32_t offset[kTileHeight + 2];
  std::vector<Hash> nodes;

  explicit Expanded(std::vector<Hash> entries) {
    uint32_t width = static_cast<uint32_t>(entries.size());
    uint32_t total = 0;
    for (uint32_t h = 0; h <= kTileHeight; ++h) {
      offset[h] = total;
      total += width >> h;
    }
    offset[kTileHeight + 1] = total;
    nodes = std::move(entries);
    nodes.resize(total);
    for (uint32_t h = 1; h <= kTileHeight; ++h) {
      uint32_t count = offset[h + 1] - offset[h];
      const Hash* below = nodes.data() + offset[h - 1];
      Hash* here = nodes.data() + offset[h];
      for (uint32_t i = 0; i < count; ++i) here[i] = HashChildren(below[2 * i], below[2 * i + 1]);
    }
  }
  bool Has(uint32_t h, uint64_t pos) const { return pos < offset[h + 1] - offset[h]; }
  const Hash& At(uint32_t h, uint64_t pos) const { return nodes[offset[h] + pos]; }
};

size_t TileReader::KeyHash::operator()(const Key& k) const {
  return std::hash<uint64_t>()(k.index * 0x9e3779b97f4a7c15ULL ^
                               (uint64_t{k.level} << 9 | k.width));
}

TileReader::TileReader(std::string dir, uint64_t size, size_t cache_tiles)
    : dir_(std::move(dir)), size_(size), capacity_(cache_tiles) {}

TileReader::~TileReader() {
  if (node_fd_ >= 0) ::close(node_fd_);
}

void TileReader::Grow(uint64_t size) {
  uint64_t now = size_.load(std::memory_order_acquire);
  while (size > now && !size_.compare_exchange_weak(now, size, std::memory_order_acq_rel)) {
  }
  OpenNodeFile();
  struct stat st;
  if (node_fd_ >= 0 && ::fstat(node_fd_, &st) == 0) {
    node_tiles_.store((static_cast<uint64_t>(st.st_size) - kNodeFileHeader) / kNodeBlockBytes,
                      std::memory_order_release);
  }
}

bool TileReader::ReadNodeBlock(uint64_t tile, Hash* block) const {
  OpenNodeFile();
  if (node_fd_ < 0 || tile < node_first_tile_ || tile - node_first_tile_ >= node_tiles_.load() ||
      tile >= size() / kTileWidth) {
    return false;
  }
  // Heights 1..7 only (8 KiB): a proof takes its height-0 sibling with a
  // 32-byte read, which costs less than copying the 256 leaf hashes.
  const size_t skip = NodeBlockOffset(1) * kHashSize;
  const off_t at =
      static_cast<off_t>(kNodeFileHeader + (tile - node_first_tile_) * kNodeBlockBytes + skip);
  return ::pread(node_fd_, block + NodeBlockOffset(1), kNodeBlockBytes - skip, at) ==
         static_cast<ssize_t>(kNodeBlockBytes - skip);
}

void TileReader::OpenNodeFile() const {
  std::call_once(node_file_once_, [this] {
    const std::string path = dir_ + "/" + std::string(kNodeFile);
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return;
    uint8_t head[kNodeFileHeader];
    struct stat st;
    if (::pread(fd, head, sizeof head, 0) != static_cast<ssize_t>(sizeof head) ||
        std::memcmp(head, "FTZNODE1", 8) != 0 || ::fstat(fd, &st) != 0) {
      ::close(fd);
      return;
    }
    node_first_tile_ = GetBigEndian64(head + 8);
    node_tiles_ = (static_cast<uint64_t>(st.st_size) - kNodeFileHeader) / kNodeBlockBytes;
    node_fd_ = fd;
  });
}

bool TileReader::NodeFromNodeFile(const Location& w, Hash* out) const {
  if (w.tile.level != 0 || !w.tile.full() || w.sub >= kTileHeight) return false;
  OpenNodeFile();
  const uint64_t n = w.tile.index;
  // Only blocks of tiles full at this view's size: those were written by a
  // completed flush (a block being written may be torn to a reader).
  if (node_fd_ < 0 || n < node_first_tile_ || n - node_first_tile_ >= node_tiles_.load() ||
      n >= size() / kTileWidth) {
    return false;
  }
  const off_t at = static_cast<off_t>(kNodeFileHeader + (n - node_first_tile_) * kNodeBlockBytes +
                                      (NodeBlockOffset(w.sub) + w.pos) * kHashSize);
  return ::pread(node_fd_, out->data(), kHashSize, at) == static_cast<ssize_t>(kHashSize);
}

bool TileReader::ReadNodeLeaves(uint64_t tile, bool beyond_view, std::string* out) const {
  OpenNodeFile();
  if (node_fd_ < 0 || tile < node_first_tile_) return false;
  if (!beyond_view && tile >= size() / kTileWidth) return false;
  if (tile - node_first_tile_ >= node_tiles_.load()) {
    // Only a pruned partial tile asks beyond the view: its full tile was
    // made durable before the prune, so the file already holds the block.
    struct stat st;
    if (!beyond_view || ::fstat(node_fd_, &st) != 0 ||
        tile - node_first_tile_ >=
            (static_cast<uint64_t>(st.st_size) - kNodeFileHeader) / kNodeBlockBytes) {
      return false;
    }
  }
  out->resize(kTileWidth * kHashSize);
  const off_t at =
      static_cast<off_t>(kNodeFileHeader + (tile - node_first_tile_) * kNodeBlockBytes);
  return ::pread(node_fd_, out->data(), out->size(), at) == static_cast<ssize_t>(out->size());
}

Result<std::string> TileReader::ReadTile(const TileId& id) const {
  if (id.level > kMaxTileLevel || id.width == 0 || id.width > kTileWidth) {
    return Status::InvalidArgument("invalid tile id");
  }
  size_t want = size_t{id.width} * kHashSize;
  // Full level-0 tiles are the first 256 hashes of their node-file block
  // (no file per tile: docs/ledger-format.md §4.4.1).
  if (std::string leaves; id.level == 0 && id.full() && ReadNodeLeaves(id.index, false, &leaves)) {
    return leaves;
  }
  Result<std::string> data = ReadWholeFile(dir_ + "/" + TilePath(id), want);
  if (!data.ok() && data.status().code() == StatusCode::kNotFound && !id.full()) {
    // Partial tiles may be pruned once the full tile exists.
    if (std::string leaves; id.level == 0 && ReadNodeLeaves(id.index, true, &leaves)) {
      data = std::move(leaves);
    } else {
      data = ReadWholeFile(dir_ + "/" + TilePath({id.level, id.index, kTileWidth}),
                           kTileWidth * kHashSize);
    }
    if (data.ok() && data->size() == kTileWidth * kHashSize) data->resize(want);
  }
  if (!data.ok()) return data.status();
  if (data->size() != want) {
    return Status::Corruption("tile " + TilePath(id) + " has " + Str(data->size()) +
                              " bytes, want " + Str(want));
  }
  return data;
}

Result<std::shared_ptr<const TileReader::Expanded>> TileReader::Load(const TileId& id) const {
  // Read and expand outside the lock so other threads keep serving hits.
  Result<std::string> data = ReadTile(id);
  if (!data.ok()) return data.status();
  Result<std::vector<Hash>> entries = ParseTileData(id, *data);
  if (!entries.ok()) return Status::Corruption(entries.status().message());
  auto tile = std::make_shared<const Expanded>(std::move(*entries));
  Key key{id.index, id.level, id.width};
  std::lock_guard<std::mutex> lock(mu_);
  auto it = cache_.find(key);
  if (it != cache_.end()) return it->second.first;  // another thread won the race
  if (capacity_ == 0) return tile;
  lru_.push_front(key);
  cache_.emplace(key, Entry{tile, lru_.begin()});
  while (cache_.size() > capacity_) {
    cache_.erase(lru_.back());
    lru_.pop_back();
  }
  return tile;
}

Result<Hash> TileReader::NodeInTile(const TileId& id, uint32_t sub, uint64_t pos) const {
  auto missing = [&] {
    return Status::NotFound("no node of height " + Str(sub) + " at " + Str(pos) + " in " +
                            TilePath(id));
  };
  if (sub > kTileHeight) return missing();
  if (Hash h; NodeFromNodeFile(Location{id, sub, pos}, &h)) return h;
  {
    // Hit path: copy the hash out under the lock (no reference counting).
    std::lock_guard<std::mutex> lock(mu_);
    auto it = cache_.find(Key{id.index, id.level, id.width});
    if (it != cache_.end()) {
      ++stats_.hits;
      lru_.splice(lru_.begin(), lru_, it->second.second);
      const Expanded& tile = *it->second.first;
      if (!tile.Has(sub, pos)) return missing();
      return tile.At(sub, pos);
    }
    ++stats_.misses;
  }
  Result<std::shared_ptr<const Expanded>> tile = Load(id);
  if (!tile.ok()) return tile.status();
  if (!(*tile)->Has(sub, pos)) return missing();
  return (*tile)->At(sub, pos);
}

Result<TileReader::Location> TileReader::Locate(uint32_t level, uint64_t index) const {
  Result<NodePlace> p = Place(level, index);
  if (!p.ok()) return p.status();
  const uint64_t size = this->size();
  uint64_t count = CountAt(size, p->tile_level);
  if (p->end > count) return NotComplete(level, index, size);
  uint64_t n = p->first / kTileWidth;
  uint32_t width = static_cast<uint32_t>(std::min<uint64_t>(kTileWidth, count - n * kTileWidth));
  return Location{{p->tile_level, n, width}, p->sub, (p->first % kTileWidth) >> p->sub};
}

Result<Hash> TileReader::NodeHash(uint32_t level, uint64_t index) const {
  Result<Location> loc = Locate(level, index);
  if (!loc.ok()) return loc.status();
  return NodeInTile(loc->tile, loc->sub, loc->pos);
}

Status TileReader::NodeHashes(std::span<const NodeId> ids, std::span<Hash> out) const {
  if (ids.size() != out.size())
    return Status::InvalidArgument("NodeHashes: ids and out differ in size");
  std::vector<Location> where;
  where.reserve(ids.size());
  for (const NodeId& id : ids) {
    Result<Location> loc = Locate(id.level, id.index);
    if (!loc.ok()) return loc.status();
    where.push_back(*loc);
  }
  // A level-0 tile's nodes come from the node file, no expansion, read
  // outside the lock: one read of the tile's block when it holds several
  // (a proof's lowest 8 siblings), else 32 bytes.
  std::vector<bool> from_node_file(where.size());
  Hash block[kNodeBlockHashes];  // 16 KiB on the stack, filled by the read
  uint64_t block_tile = UINT64_MAX;
  for (size_t i = 0; i < where.size(); ++i) {
    const Location& w = where[i];
    if (w.tile.level != 0 || !w.tile.full()) continue;
    const bool several = (i + 1 < where.size() && where[i + 1].tile == w.tile) ||
                         (i > 0 && where[i - 1].tile == w.tile);
    if (several && block_tile != w.tile.index) {
      block_tile = ReadNodeBlock(w.tile.index, block) ? w.tile.index : UINT64_MAX;
    }
    if (several && block_tile == w.tile.index && w.sub >= 1 && w.sub < kTileHeight) {
      out[i] = block[NodeBlockOffset(w.sub) + w.pos];
      from_node_file[i] = true;
    } else {
      from_node_file[i] = NodeFromNodeFile(w, &out[i]);
    }
  }
  std::vector<size_t> missing;
  {
    std::lock_guard<std::mutex> lock(mu_);
    const Expanded* tile = nullptr;
    const TileId* tile_id = nullptr;
    for (size_t i = 0; i < where.size(); ++i) {
      const Location& w = where[i];
      if (from_node_file[i]) continue;
      if (tile_id == nullptr || !(*tile_id == w.tile)) {
        tile_id = &w.tile;
        auto it = cache_.find(Key{w.tile.index, w.tile.level, w.tile.width});
        if (it != cache_.end()) {
          ++stats_.hits;
          lru_.splice(lru_.begin(), lru_, it->second.second);
          tile = it->second.first.get();
        } else {
          ++stats_.misses;
          tile = nullptr;
        }
      }
      if (tile != nullptr && tile->Has(w.sub, w.pos)) {
        out[i] = tile->At(w.sub, w.pos);
      } else {
        missing.push_back(i);
      }
    }
  }
  for (size_t i : missing) {  // loads each missing tile once, then hits
    Result<Hash> h = NodeInTile(where[i].tile, where[i].sub, where[i].pos);
    if (!h.ok()) return h.status();
    out[i] = *h;
  }
  return Status::Ok();
}

TileReader::CacheStats TileReader::cache_stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stats_;
}

Result<uint64_t> ExportTiles(const TileReader& reader, const std::string& out_dir) {
  FTZ_RETURN_IF_ERROR(MakeDirs(out_dir));
  std::unordered_set<std::string> made;  // tile directories already made
  uint64_t written = 0;
  for (const TileId& id : TilesForSize(reader.size())) {
    Result<std::string> data = reader.ReadTile(id);
    if (!data.ok() && data.status().code() == StatusCode::kNotFound && !id.full()) {
      data = BuildTile(id, reader);  // a width no flush wrote
    }
    if (!data.ok())
      return Status(data.status().code(), TilePath(id) + ": " + data.status().message());
    const std::string rel = TilePath(id);
    if (const std::string dir = out_dir + "/" + rel.substr(0, rel.rfind('/'));
        made.insert(dir).second) {
      FTZ_RETURN_IF_ERROR(MakeDirs(dir));
    }
    const std::string path = out_dir + "/" + rel;
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return Errno("create", path);
    const bool ok = ::write(fd, data->data(), data->size()) == static_cast<ssize_t>(data->size());
    if (::close(fd) != 0 || !ok) return Errno("write", path);
    ++written;
  }
  return written;
}

// ---------------- TileStore ----------------

class TileStore::Sink final : public NodeSink {
 public:
  explicit Sink(TileStore* store) : store_(store) {}
  void PutNode(uint32_t level, uint64_t index, const Hash& hash) override {
    if (level < kTileHeight) store_->KeepLevel0Node(level, index, hash);
    if (level % kTileHeight != 0) return;  // recomputed from the tile below
    uint32_t tile_level = level / kTileHeight;
    std::vector<Hash>& edge = store_->edge_[tile_level];
    edge.push_back(hash);
    if (edge.size() == kTileWidth) {
      store_->pending_full_.emplace(std::make_pair(tile_level, index / kTileWidth),
                                    std::move(edge));
      edge = std::vector<Hash>();
      edge.reserve(kTileWidth);
    }
  }

 private:
  TileStore* store_;
};

TileStore::TileStore(std::string dir, TileStoreOptions options)
    : dir_(std::move(dir)), options_(options), edge_(kTileLevels) {
  for (auto& e : edge_) e.reserve(kTileWidth);
  disk_ = std::make_unique<TileReader>(dir_, 0, options_.cache_tiles);
}

TileStore::~TileStore() {
  if (node_fd_ >= 0) ::close(node_fd_);
  if (state_fd_ >= 0) ::close(state_fd_);
  if (dir_fd_ >= 0) ::close(dir_fd_);
}

Result<std::unique_ptr<TileStore>> TileStore::Open(const std::string& dir,
                                                   TileStoreOptions options) {
  if (dir.empty()) return Status::InvalidArgument("tile store: empty directory name");
  std::unique_ptr<TileStore> store(new TileStore(dir, options));
  FTZ_RETURN_IF_ERROR(MakeDirs(dir));
  store->dir_fd_ = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (store->dir_fd_ < 0) return Errno("open", dir);
  std::string state_path = dir + "/" + std::string(kStateFile);
  store->state_fd_ = ::open(state_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (store->state_fd_ < 0) return Errno("open", state_path);
  FTZ_RETURN_IF_ERROR(store->Recover());
  FTZ_RETURN_IF_ERROR(store->OpenNodeFile());
  // Recovery's reader saw the node file before it was checked; this one
  // reads the full level-0 tiles out of it.
  store->disk_ = std::make_unique<TileReader>(dir, store->flushed_size_, options.cache_tiles);
  return store;
}

Status TileStore::Recover() {
  std::string path = dir_ + "/" + std::string(kStateFile);
  uint8_t buf[2 * kStateSlotStride] = {};
  ssize_t got = ::pread(state_fd_, buf, sizeof(buf), 0);
  if (got < 0) return Errno("read", path);
  bool found = false;
  uint64_t size = 0;
  Hash root{};
  for (size_t slot = 0; slot < 2; ++slot) {
    size_t off = slot * kStateSlotStride;
    if (static_cast<size_t>(got) < off + kStateSlotSize) continue;
    const uint8_t* p = buf + off;
    if (std::memcmp(p, kStateMagic.data(), kStateMagic.size()) != 0) continue;
    Hash check = Sha256(ByteView(p, kStateSlotSize - 8));
    if (std::memcmp(check.data(), p + kStateSlotSize - 8, 8) != 0) continue;  // torn slot
    uint64_t seq = GetBigEndian64(p + 8);
    if (found && seq <= state_seq_) continue;
    found = true;
    state_seq_ = seq;
    size = GetBigEndian64(p + 16);
    std::memcpy(root.data(), p + 24, kHashSize);
  }
  if (!found) {
    if (got > 0)
      return Status::Corruption("tile store state file " + path + " has no valid record");
    return Status::Ok();  // a new store
  }
  if (size > kMaxTreeSize) return Status::Corruption("tile store state: size exceeds 2^63");
  // The right edge of every tile level comes from that size's partial tiles.
  for (uint32_t level = 0; level < kTileLevels; ++level) {
    uint64_t count = CountAt(size, level);
    uint32_t width = static_cast<uint32_t>(count % kTileWidth);
    if (width == 0) continue;
    TileId id{level, count / kTileWidth, width};
    Result<std::string> data = ReadWholeFile(dir_ + "/" + TilePath(id), size_t{width} * kHashSize);
    if (!data.ok()) {
      return Status::Corruption("tile store at size " + Str(size) + " lacks " + TilePath(id) +
                                ": " + data.status().message());
    }
    Result<std::vector<Hash>> entries = ParseTileData(id, *data);
    if (!entries.ok()) return Status::Corruption(entries.status().message());
    edge_[level] = std::move(*entries);
    edge_[level].reserve(kTileWidth);
  }
  std::vector<Hash> peaks;
  uint64_t pos = 0;
  for (int b = 63; b >= 0; --b) {
    if (((size >> b) & 1) == 0) continue;
    Result<Hash> h = NodeHashAt(static_cast<uint32_t>(b), pos >> b, size);
    if (!h.ok())
      return Status::Corruption("tile store: cannot rebuild tree: " + h.status().message());
    peaks.push_back(*h);
    pos += uint64_t{1} << b;
  }
  Result<CompactRange> range = CompactRange::FromPeaks(size, std::move(peaks));
  if (!range.ok()) return range.status();
  range_ = std::move(*range);
  if (range_.Root() != root) {
    return Status::Corruption("tile store: tiles do not hash to the recorded root at size " +
                              Str(size));
  }
  flushed_size_ = size;
  return Status::Ok();
}

void TileStore::KeepLevel0Node(uint32_t level, uint64_t index, const Hash& hash) {
  const uint64_t tile = index >> (kTileHeight - level);
  if (node_block_.empty() || tile != node_block_tile_) {
    node_block_tile_ = tile;
    node_block_.assign(kNodeBlockHashes, Hash{});
  }
  const uint64_t pos = index & ((kTileWidth >> level) - 1);
  node_block_[NodeBlockOffset(level) + pos] = hash;
  // The second node of height 7 is the tile's last below its root.
  if (level == kTileHeight - 1 && pos == 1) {
    pending_blocks_[tile] = std::move(node_block_);
    node_block_.clear();
  }
}

Status TileStore::OpenNodeFile() {
  const std::string path = dir_ + "/" + std::string(kNodeFile);
  node_fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (node_fd_ < 0) return Errno("open", path);
  struct stat st;
  if (::fstat(node_fd_, &st) != 0) return Errno("fstat", path);
  const uint64_t full_tiles = flushed_size_ / kTileWidth;
  uint8_t head[kNodeFileHeader];
  bool usable = static_cast<size_t>(st.st_size) >= kNodeFileHeader &&
                ::pread(node_fd_, head, sizeof head, 0) == static_cast<ssize_t>(sizeof head) &&
                std::memcmp(head, "FTZNODE1", 8) == 0;
  if (usable) {
    node_first_tile_ = GetBigEndian64(head + 8);
    const uint64_t want =
        kNodeFileHeader + (full_tiles - std::min(full_tiles, node_first_tile_)) * kNodeBlockBytes;
    usable = node_first_tile_ <= full_tiles && static_cast<uint64_t>(st.st_size) >= want;
    // Blocks past the durable state (a flush cut short) are written again.
    if (usable && static_cast<uint64_t>(st.st_size) > want &&
        ::ftruncate(node_fd_, static_cast<off_t>(want)) != 0) {
      return Errno("ftruncate", path);
    }
    // The newest block is the one a lost write would damage: its leaves must
    // hash to the level-1 node the recovered tiles hold for it.
    if (usable && full_tiles > node_first_tile_) {
      std::vector<Hash> leaves(kTileWidth);
      const off_t at = static_cast<off_t>(kNodeFileHeader +
                                          (full_tiles - 1 - node_first_tile_) * kNodeBlockBytes);
      Result<Hash> parent = NodeHashAt(kTileHeight, full_tiles - 1, flushed_size_);
      const size_t half = kTileWidth / 2;
      usable = ::pread(node_fd_, leaves.data(), kTileWidth * kHashSize, at) ==
                   static_cast<ssize_t>(kTileWidth * kHashSize) &&
               parent.ok() &&
               HashChildren(SubtreeHash(leaves.data(), kTileHeight - 1),
                            SubtreeHash(leaves.data() + half, kTileHeight - 1)) == *parent;
    }
  }
  if (!usable) {
    // The node file is the only copy of the full level-0 tiles it covered.
    // Starting it afresh is right only for a new store, or one written before
    // it existed, whose full level-0 tiles are all files (then the last one
    // is, and tiles are only ever added).
    if (full_tiles > 0 &&
        ::access((dir_ + "/" + TilePath({0, full_tiles - 1, kTileWidth})).c_str(), F_OK) != 0) {
      return Status::Corruption("tile store " + dir_ + ": the level-0 node file " + path +
                                " is missing, damaged or shorter than the " + Str(full_tiles) +
                                " full level-0 tiles of the recorded size " + Str(flushed_size_) +
                                "; the tree must be rebuilt from its leaves");
    }
    node_first_tile_ = full_tiles;
    std::memcpy(head, "FTZNODE1", 8);
    PutBigEndian64(head + 8, node_first_tile_);
    if (::ftruncate(node_fd_, 0) != 0 ||
        ::pwrite(node_fd_, head, sizeof head, 0) != static_cast<ssize_t>(sizeof head)) {
      return Errno("write", path);
    }
  }
  // The current level-0 tile's nodes appended before this start.
  const std::vector<Hash>& edge = edge_[0];
  if (!edge.empty()) {
    node_block_tile_ = full_tiles;
    node_block_.assign(kNodeBlockHashes, Hash{});
    for (uint32_t h = 0; h < kTileHeight; ++h) {
      for (uint64_t pos = 0; pos < (edge.size() >> h); ++pos) {
        node_block_[NodeBlockOffset(h) + pos] = SubtreeHash(edge.data() + (pos << h), h);
      }
    }
  }
  return Status::Ok();
}

Status TileStore::Append(const Hash& leaf_hash) {
  if (!broken_.ok()) return broken_;
  Sink sink(this);
  return range_.Append(leaf_hash, &sink);
}

Result<Hash> TileStore::NodeHash(uint32_t level, uint64_t index) const {
  return NodeHashAt(level, index, size());
}

Result<Hash> TileStore::NodeHashAt(uint32_t level, uint64_t index, uint64_t size) const {
  Result<NodePlace> p = Place(level, index);
  if (!p.ok()) return p.status();
  uint64_t count = CountAt(size, p->tile_level);
  if (p->end > count) return NotComplete(level, index, size);
  uint64_t n = p->first / kTileWidth;
  uint64_t offset = p->first % kTileWidth;
  if (n == count / kTileWidth) {  // the in-memory right edge
    return SubtreeHash(edge_[p->tile_level].data() + offset, p->sub);
  }
  auto it = pending_full_.find({p->tile_level, n});
  if (it != pending_full_.end()) return SubtreeHash(it->second.data() + offset, p->sub);
  return disk_->NodeInTile({p->tile_level, n, kTileWidth}, p->sub, offset >> p->sub);
}

Status TileStore::EnsureDir(const std::string& rel_dir) {
  if (known_dirs_.count(rel_dir) != 0) return Status::Ok();
  for (size_t i = 0; i <= rel_dir.size(); ++i) {
    if (i != rel_dir.size() && rel_dir[i] != '/') continue;
    std::string part = rel_dir.substr(0, i);
    if (known_dirs_.count(part) != 0) continue;
    std::string full = dir_ + "/" + part;
    if (::mkdir(full.c_str(), 0755) == 0) {
      if (options_.sync == SyncMode::kFsyncEach) {
        size_t slash = part.rfind('/');
        synced_dirs_.push_back(slash == std::string::npos ? std::string() : part.substr(0, slash));
      }
    } else if (errno != EEXIST) {
      return Errno("mkdir", full);
    }
    known_dirs_.insert(part);
  }
  return Status::Ok();
}

Status TileStore::WriteFile(const std::string& rel_path, std::string_view data) {
  size_t slash = rel_path.rfind('/');
  std::string rel_dir = rel_path.substr(0, slash);
  FTZ_RETURN_IF_ERROR(EnsureDir(rel_dir));
  std::string full = dir_ + "/" + rel_path;
  std::string tmp = full + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Errno("create", tmp);
  size_t done = 0;
  while (done < data.size()) {
    ssize_t w = ::write(fd, data.data() + done, data.size() - done);
    if (w < 0) {
      if (errno == EINTR) continue;
      Status st = Errno("write", tmp);
      ::close(fd);
      return st;
    }
    done += static_cast<size_t>(w);
  }
  if (options_.sync == SyncMode::kFsyncEach && ::fsync(fd) != 0) {
    Status st = Errno("fsync", tmp);
    ::close(fd);
    return st;
  }
  if (::close(fd) != 0) return Errno("close", tmp);
  if (::rename(tmp.c_str(), full.c_str()) != 0) return Errno("rename", full);
  if (options_.sync == SyncMode::kFsyncEach) synced_dirs_.push_back(rel_dir);
  return Status::Ok();
}

Status TileStore::WriteState() {
  uint8_t slot[kStateSlotSize] = {};
  std::memcpy(slot, kStateMagic.data(), kStateMagic.size());
  uint64_t seq = state_seq_ + 1;
  PutBigEndian64(slot + 8, seq);
  PutBigEndian64(slot + 16, size());
  Hash root = Root();
  std::memcpy(slot + 24, root.data(), kHashSize);
  Hash check = Sha256(ByteView(slot, kStateSlotSize - 8));
  std::memcpy(slot + kStateSlotSize - 8, check.data(), 8);
  // Alternate slots: a torn write can only damage the slot being replaced.
  off_t off = static_cast<off_t>((seq % 2) * kStateSlotStride);
  if (::pwrite(state_fd_, slot, sizeof(slot), off) != static_cast<ssize_t>(sizeof(slot))) {
    return Errno("write", dir_ + "/" + std::string(kStateFile));
  }
  if (options_.sync != SyncMode::kNone && ::fdatasync(state_fd_) != 0) {
    return Errno("fdatasync", dir_ + "/" + std::string(kStateFile));
  }
  state_seq_ = seq;
  return Status::Ok();
}

void TileStore::PrunePartials(const TileId& full) {
  std::string pdir = dir_ + "/" + TilePath(full) + ".p";
  DIR* d = ::opendir(pdir.c_str());
  if (d == nullptr) return;  // usually: no partial was ever written
  while (struct dirent* e = ::readdir(d)) {
    std::string_view name = e->d_name;
    if (name == "." || name == "..") continue;
    ::unlinkat(::dirfd(d), e->d_name, 0);
  }
  ::closedir(d);
  ::rmdir(pdir.c_str());
}

Status TileStore::Flush() {
  if (!broken_.ok()) return broken_;
  uint64_t size = this->size();
  if (size == flushed_size_) return Status::Ok();
  synced_dirs_.clear();
  Status st = [&]() -> Status {
    for (const auto& [key, entries] : pending_full_) {
      if (key.first == 0 && key.second >= node_first_tile_) continue;  // a node-file block
      FTZ_RETURN_IF_ERROR(
          WriteFile(TilePath({key.first, key.second, kTileWidth}), TileBytes(entries)));
    }
    for (const auto& [tile, block] : pending_blocks_) {
      if (tile < node_first_tile_) continue;
      const off_t at =
          static_cast<off_t>(kNodeFileHeader + (tile - node_first_tile_) * kNodeBlockBytes);
      const ssize_t n = ::pwrite(node_fd_, block.data(), kNodeBlockBytes, at);
      if (n < 0) return Errno("write", dir_ + "/" + std::string(kNodeFile));
      if (n != static_cast<ssize_t>(kNodeBlockBytes)) {
        // A short write sets no errno: most likely the disk is full.
        return Status::IOError("write " + dir_ + "/" + std::string(kNodeFile) + ": wrote " +
                               std::to_string(n) + " of " + std::to_string(kNodeBlockBytes) +
                               " bytes (disk full?)");
      }
    }
    if (options_.sync == SyncMode::kFsyncEach && ::fdatasync(node_fd_) != 0) {
      return Errno("fdatasync", dir_ + "/" + std::string(kNodeFile));
    }
    for (uint32_t level = 0; level < kTileLevels; ++level) {
      uint64_t count = CountAt(size, level);
      if (count == CountAt(flushed_size_, level)) break;  // unchanged here and above
      uint32_t width = static_cast<uint32_t>(count % kTileWidth);
      if (width == 0) continue;
      FTZ_RETURN_IF_ERROR(
          WriteFile(TilePath({level, count / kTileWidth, width}), TileBytes(edge_[level])));
    }
    switch (options_.sync) {
      case SyncMode::kNone:
        break;
      case SyncMode::kSyncfs:
        if (::syncfs(dir_fd_) != 0) return Errno("syncfs", dir_);
        break;
      case SyncMode::kFsyncEach: {
        std::sort(synced_dirs_.begin(), synced_dirs_.end());
        synced_dirs_.erase(std::unique(synced_dirs_.begin(), synced_dirs_.end()),
                           synced_dirs_.end());
        for (const std::string& rel : synced_dirs_) {
          std::string full = rel.empty() ? dir_ : dir_ + "/" + rel;
          int fd = ::open(full.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
          if (fd < 0) return Errno("open", full);
          int rc = ::fsync(fd);
          ::close(fd);
          if (rc != 0) return Errno("fsync", full);
        }
        break;
      }
    }
    return WriteState();
  }();
  if (!st.ok()) {
    broken_ = st;  // what reached the disk is unknown: reopen to recover
    return st;
  }
  if (options_.prune_partials) {
    for (const auto& entry : pending_full_)
      PrunePartials({entry.first.first, entry.first.second, kTileWidth});
  }
  pending_full_.clear();
  pending_blocks_.clear();
  flushed_size_ = size;
  disk_->Grow(size);
  return Status::Ok();
}

}  // namespace ftz::ledger
