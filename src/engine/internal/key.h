// Key: a business key ("ebpCode/orderNo", "logisticsCode/logisticsNo", an
// invtNo) held inside the map entry that it keys, up to 46 bytes; longer
// ones on the heap.
//
// Why: the engine's maps were keyed by std::string, which keeps anything
// over 15 bytes on the heap, and a business key is 30–40 bytes (a 10-byte
// enterprise code, '/', a 20–25 byte number). With a million buyers in state
// every lookup then waited on two cache misses — the table's slot, then the
// key's own block to compare it — and every insert allocated. Kept in the
// slot (or the node), the key is compared where it was found, and an entry
// needs no second allocation. docs/performance.md (session 10) measures it.
//
// Hash and equality (KeyHash, KeyEq) are absl's string hash and comparison
// of the key's bytes, transparent over std::string_view, so a lookup by a
// view builds no Key and ShardedMap's prehashed find gives the same hash the
// table stored.
//
// Thread safety: a value type (as std::string).
#pragma once

#include <absl/hash/hash.h>
#include <absl/strings/string_view.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>
#include <string_view>

namespace ftz::engine::internal {

// A key with its hash already computed (ShardedMap hashes a key once to
// pick its shard, and passes the hash on instead of having the shard's table
// hash the same bytes again).
struct HashedKey {
  std::string_view key;
  size_t hash;
};

class Key {
 public:
  // Bytes held inline; the 48th byte is the size (or kOnHeap).
  static constexpr size_t kInline = 46;

  Key() noexcept { b_[kTag] = 0; }
  // Implicit: maps take keys made from the views and strings that name them.
  Key(std::string_view s) { Init(s); }                     // NOLINT(google-explicit-constructor)
  Key(const std::string& s) : Key(std::string_view(s)) {}  // NOLINT
  Key(const char* s) : Key(std::string_view(s)) {}         // NOLINT
  Key(const HashedKey& k) : Key(k.key) {}                  // NOLINT
#if !ABSL_USES_STD_STRING_VIEW  // else the same constructor as the std::string_view one
  Key(absl::string_view s) : Key(std::string_view(s.data(), s.size())) {}  // NOLINT
#endif
  Key(const Key& o) { Init(o.view()); }
  Key(Key&& o) noexcept {
    std::memcpy(b_, o.b_, sizeof b_);
    o.b_[kTag] = 0;
  }
  Key& operator=(const Key& o) {
    if (this != &o) {
      Free();
      Init(o.view());
    }
    return *this;
  }
  Key& operator=(Key&& o) noexcept {
    if (this != &o) {
      Free();
      std::memcpy(b_, o.b_, sizeof b_);
      o.b_[kTag] = 0;
    }
    return *this;
  }
  ~Key() { Free(); }

  std::string_view view() const noexcept {
    if (OnHeap()) {
      const char* p;
      size_t n;
      std::memcpy(&p, b_, sizeof p);
      std::memcpy(&n, b_ + sizeof p, sizeof n);
      return {p, n};
    }
    return {b_, static_cast<unsigned char>(b_[kTag])};
  }
  operator std::string_view() const noexcept { return view(); }  // NOLINT
  std::string str() const { return std::string(view()); }
  size_t size() const noexcept { return view().size(); }
  bool empty() const noexcept { return size() == 0; }

  friend bool operator==(const Key& a, const Key& b) noexcept { return a.view() == b.view(); }
  friend bool operator==(const Key& a, std::string_view b) noexcept { return a.view() == b; }
  friend bool operator==(const Key& a, const std::string& b) noexcept { return a.view() == b; }

 private:
  static constexpr size_t kTag = 47;
  static constexpr unsigned char kOnHeap = 0xFF;
  static_assert(kInline < kOnHeap);
  bool OnHeap() const noexcept { return static_cast<unsigned char>(b_[kTag]) == kOnHeap; }
  void Init(std::string_view s) {
    if (s.size() <= kInline) {
      if (!s.empty()) std::memcpy(b_, s.data(), s.size());
      b_[kTag] = static_cast<char>(s.size());
      return;
    }
    char* p = static_cast<char*>(std::malloc(s.size()));
    if (p == nullptr) throw std::bad_alloc();
    std::memcpy(p, s.data(), s.size());
    const size_t n = s.size();
    std::memcpy(b_, &p, sizeof p);
    std::memcpy(b_ + sizeof p, &n, sizeof n);
    b_[kTag] = static_cast<char>(kOnHeap);
  }
  void Free() noexcept {
    if (!OnHeap()) return;
    char* p;
    std::memcpy(&p, b_, sizeof p);
    std::free(p);
    b_[kTag] = 0;
  }

  alignas(8) char b_[48];
};
static_assert(sizeof(Key) == 48);

struct KeyHash {
  using is_transparent = void;
  size_t operator()(std::string_view k) const {
    return absl::Hash<absl::string_view>{}(absl::string_view(k.data(), k.size()));
  }
#if !ABSL_USES_STD_STRING_VIEW
  size_t operator()(absl::string_view k) const { return absl::Hash<absl::string_view>{}(k); }
#endif
  size_t operator()(const Key& k) const { return (*this)(k.view()); }
  size_t operator()(const std::string& k) const { return (*this)(std::string_view(k)); }
  size_t operator()(const HashedKey& k) const { return k.hash; }
};

struct KeyEq {
  using is_transparent = void;
  static std::string_view V(std::string_view k) { return k; }
#if !ABSL_USES_STD_STRING_VIEW
  static std::string_view V(absl::string_view k) { return {k.data(), k.size()}; }
#endif
  static std::string_view V(const Key& k) { return k.view(); }
  static std::string_view V(const std::string& k) { return k; }
  static std::string_view V(const HashedKey& k) { return k.key; }
  template <class A, class B>
  bool operator()(const A& a, const B& b) const {
    return V(a) == V(b);
  }
};

}  // namespace ftz::engine::internal
