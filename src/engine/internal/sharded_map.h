// ShardedMap: a string-keyed hash map split into 256 shards by key hash, so
// that growing it rehashes one shard — 1/256 of its entries — at a time.
//
// Why: an absl table that reaches its load limit moves every entry into a
// table twice the size, in one call. The engine's key maps (documents by
// type, the three documents' facts, the lists and their indexes) all grow
// at the same pace, so they doubled within the same few hundred records and
// stalled the engine thread: the slow answers at 3.67 s and 7.37 s into
// every half-load run (~7,200 and ~14,300 entries a map; docs/performance.md,
// session 7). The stall grows with the table: at millions of entries it
// would be a pause of a large fraction of a second. With shards, each grows
// on its own when its own (random) share of the keys crosses the limit, so
// a doubling is spread over thousands of inserts, each moving 1/256 of the
// entries. src/engine/sharded_map_bench.cc measures the longest insert while
// a map grows to 4 M entries: ~1 s for one absl table, ~7 ms sharded.
//
// Interface: the subset of absl::flat_hash_map the engine uses (find, end,
// count, at, operator[], try_emplace, emplace, erase, size, reserve, and
// iteration in an unspecified order — as absl's, which the engine never
// depends on). Iterators stay valid as absl's do (until the shard they point
// into grows; for node maps, until their entry is erased).
//
// Thread safety: as the wrapped map (none; the engine is single-threaded).
#pragma once

#include <absl/hash/hash.h>
#include <absl/strings/string_view.h>

#include <array>
#include <cstddef>
#include <iterator>
#include <string_view>
#include <type_traits>
#include <utility>

#include "engine/internal/key.h"

namespace ftz::engine::internal {

template <class Inner>
class ShardedMap {
 public:
  static constexpr size_t kShards = 256;
  using key_type = typename Inner::key_type;
  using mapped_type = typename Inner::mapped_type;
  using value_type = typename Inner::value_type;

  template <bool kConst>
  class Iter {
   public:
    using Shards =
        std::conditional_t<kConst, const std::array<Inner, kShards>, std::array<Inner, kShards>>;
    using InnerIt =
        std::conditional_t<kConst, typename Inner::const_iterator, typename Inner::iterator>;
    using iterator_category = std::forward_iterator_tag;
    using value_type = ShardedMap::value_type;
    using difference_type = std::ptrdiff_t;
    using reference = std::conditional_t<kConst, const value_type&, value_type&>;
    using pointer = std::conditional_t<kConst, const value_type*, value_type*>;

    Iter() = default;
    Iter(Shards* shards, size_t shard, InnerIt it) : shards_(shards), shard_(shard), it_(it) {
      SkipEmpty();
    }
    // iterator -> const_iterator
    template <bool kOther, class = std::enable_if_t<kConst && !kOther>>
    Iter(const Iter<kOther>& o) : shards_(o.shards_), shard_(o.shard_), it_(o.it_) {}

    reference operator*() const { return *it_; }
    pointer operator->() const { return &*it_; }
    Iter& operator++() {
      ++it_;
      SkipEmpty();
      return *this;
    }
    Iter operator++(int) {
      Iter old = *this;
      ++*this;
      return old;
    }
    // End iterators (shard kShards) compare equal whatever their inner one.
    friend bool operator==(const Iter& a, const Iter& b) {
      return a.shard_ == b.shard_ && (a.shard_ == kShards || a.it_ == b.it_);
    }

   private:
    friend class ShardedMap;
    template <bool>
    friend class Iter;
    // Moves past the end of a shard to the first entry of the next non-empty one.
    void SkipEmpty() {
      while (shard_ < kShards && it_ == (*shards_)[shard_].end()) {
        if (++shard_ < kShards) it_ = (*shards_)[shard_].begin();
      }
    }
    Shards* shards_ = nullptr;
    size_t shard_ = kShards;
    InnerIt it_{};
  };
  using iterator = Iter<false>;
  using const_iterator = Iter<true>;

  ShardedMap() = default;
  ShardedMap(const ShardedMap&) = default;
  ShardedMap& operator=(const ShardedMap&) = default;
  // A moved-from map is empty, as absl's are, and says so.
  ShardedMap(ShardedMap&& o) noexcept
      : shards_(std::move(o.shards_)), size_(std::exchange(o.size_, 0)) {}
  ShardedMap& operator=(ShardedMap&& o) noexcept {
    shards_ = std::move(o.shards_);
    size_ = std::exchange(o.size_, 0);
    return *this;
  }

  iterator begin() { return iterator(&shards_, 0, shards_[0].begin()); }
  iterator end() { return iterator(); }
  const_iterator begin() const { return const_iterator(&shards_, 0, shards_[0].begin()); }
  const_iterator end() const { return const_iterator(); }

  // Kept as entries come and go (the sequencer reads it after every batch
  // for a gauge: summing 256 shards there cost more than the gauge is worth).
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  // Entries in shard i < kShards (tests: the keys spread evenly).
  size_t shard_size(size_t i) const { return shards_[i].size(); }
  // Room for n entries in all (keys spread evenly, with a little slack).
  void reserve(size_t n) {
    for (Inner& s : shards_) s.reserve(n / kShards + n / (kShards * 8) + 1);
  }

  // Lookups hash the key once: the shard is the hash's top bits and the
  // wrapped table takes the same hash (absl's prehashed find).
  iterator find(std::string_view key) {
    const size_t h = Hash(key);
    Inner& shard = shards_[h >> kShardShift];
    auto it = shard.find(Absl(key), h);
    return it == shard.end() ? end() : iterator(&shards_, h >> kShardShift, it);
  }
  const_iterator find(std::string_view key) const {
    const size_t h = Hash(key);
    const Inner& shard = shards_[h >> kShardShift];
    auto it = shard.find(Absl(key), h);
    return it == shard.end() ? end() : const_iterator(&shards_, h >> kShardShift, it);
  }
  size_t count(std::string_view key) const { return find(key) == end() ? 0 : 1; }
  // Starts loading the memory a lookup of `key` first reads (its group of
  // control bytes and slots), so that the cache miss overlaps other work.
  // A hint only (the key is hashed once, as for find).
  void Prefetch(std::string_view key) const {
    const size_t h = Hash(key);
    shards_[h >> kShardShift].prefetch(Arg(key, h));
  }
  mapped_type& at(std::string_view key) { return shards_[ShardOf(key)].at(Absl(key)); }
  const mapped_type& at(std::string_view key) const { return shards_[ShardOf(key)].at(Absl(key)); }

  template <class K>
  mapped_type& operator[](K&& key) {
    return try_emplace(std::forward<K>(key)).first->second;
  }
  template <class K, class... Args>
  std::pair<iterator, bool> try_emplace(K&& key, Args&&... args) {
    const std::string_view view(key);
    const size_t h = Hash(view);
    const size_t s = h >> kShardShift;
    auto [it, inserted] = [&] {
      if constexpr (kHashed) {
        return shards_[s].try_emplace(HashedKey{view, h}, std::forward<Args>(args)...);
      } else {
        return shards_[s].try_emplace(std::forward<K>(key), std::forward<Args>(args)...);
      }
    }();
    size_ += inserted;
    return {iterator(&shards_, s, it), inserted};
  }
  template <class K, class V>
  std::pair<iterator, bool> emplace(K&& key, V&& value) {
    return try_emplace(std::forward<K>(key), std::forward<V>(value));
  }

  size_t erase(std::string_view key) {
    const size_t h = Hash(key);
    Inner& shard = shards_[h >> kShardShift];
    auto it = shard.find(Absl(key), h);
    if (it == shard.end()) return 0;
    shard.erase(it);
    --size_;
    return 1;
  }
  void erase(iterator it) {
    shards_[it.shard_].erase(it.it_);
    --size_;
  }
  void erase(const_iterator it) {
    shards_[it.shard_].erase(it.it_);
    --size_;
  }

 private:
  // The wrapped table's own hash of the key (absl's string_view, which is
  // what its transparent string hash takes).
  static absl::string_view Absl(std::string_view key) { return {key.data(), key.size()}; }
  static size_t Hash(std::string_view key) { return absl::Hash<absl::string_view>{}(Absl(key)); }
  // The hash's top bits: the wrapped table places keys by its low bits.
  static constexpr int kShardShift = 64 - 8;
  static_assert(kShards == size_t{1} << (64 - kShardShift));
  static_assert(sizeof(size_t) == 8);
  static size_t ShardOf(std::string_view key) { return Hash(key) >> kShardShift; }
  // Tables keyed by Key take the hash along with the key (HashedKey); others
  // (tests) hash it again.
  static constexpr bool kHashed =
      std::is_same_v<typename Inner::hasher, KeyHash> && std::is_same_v<key_type, Key>;
  static auto Arg(std::string_view key, size_t h) {
    if constexpr (kHashed) {
      return HashedKey{key, h};
    } else {
      return Absl(key);
    }
  }

  std::array<Inner, kShards> shards_;
  size_t size_ = 0;
};

}  // namespace ftz::engine::internal
