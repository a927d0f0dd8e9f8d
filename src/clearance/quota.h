// QuotaBook: each buyer's annual cross-border purchases, the state behind the
// annual limit (财关税〔2018〕49号: CNY 26,000 per person per calendar year,
// keyed by the buyer's ID number) and the positive list's per-person annual
// quantity limits.
//
// A counter is keyed by (buyer ID number, CST calendar year, kind): kind 0 is
// money (customs value in Decimal units, with the number of lists counted);
// kind N > 0 is a quantity of tariff line N (8 digits) for entries of the
// positive list that carry an annual quantity limit.
//
// Layout, for 10 million buyers in well under 3 GiB: 256 open-addressing
// tables, chosen by the top 8 bits of the buyer's hash (linear probing, load
// 3/8..3/4), of 48-byte buyer slots — 64-bit hash, the
// ID number itself (an 18-character ID card number fits; longer ones go to a
// byte arena) and the money counter of the buyer's latest year — plus 24-byte
// counters chained per buyer for other years and quantity limits. A typical
// buyer (one year, money only) costs 48/load bytes: 64-128; the measured
// figure is in docs/clearance.md. One buyer is one cache-resident slot, so a
// lookup in a table far larger than the cache costs one memory access.
// Each table doubles on its own when its share of the buyers reaches the
// load limit, so growing moves 1/256 of the book at a time: one table of
// 10 M buyers would move ~400 MB in one call, stalling every list behind
// it (docs/performance.md, session 7). The hash only places a
// buyer: a lookup always compares the full ID number, so two buyers whose hashes collide still have
// separate quotas (collision-safe, no probabilistic identity).
//
// Snapshot: Entries() lists every counter sorted by (id, year, kind) and
// FromEntries() rebuilds the same book, so a snapshot does not depend on the
// table's layout; sharding by buyer ID splits the entries.
//
// Ownership and threads: a plain value owned by the engine; one writer, no
// locks; const methods may be called concurrently with each other.
#pragma once

#include <array>
#include <climits>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/buyer_id.h"
#include "core/chunked_vector.h"
#include "core/decimal.h"
#include "core/status.h"

namespace ftz::clearance {

inline constexpr uint32_t kMoneyCounter = 0;

struct QuotaCounter {
  Decimal amount;      // money (kind 0) or quantity (kind = tariff line)
  uint32_t lists = 0;  // lists counted (kind 0 only)
};

// One counter, for snapshots and reports.
struct QuotaEntry {
  std::string buyer_id;
  int32_t year = 0;
  uint32_t kind = kMoneyCounter;
  Decimal amount;
  uint32_t lists = 0;
  bool operator==(const QuotaEntry&) const = default;
};

// A change the clearance decisions ask the engine to apply (positive on
// acceptance, negative on cancellation, rejection after review, or return).
struct QuotaDelta {
  std::string buyer_id;
  int32_t year = 0;
  uint32_t kind = kMoneyCounter;
  Decimal amount;
  int32_t lists = 0;
  bool operator==(const QuotaDelta&) const = default;
};

class QuotaBook {
 public:
  using HashFn = uint64_t (*)(std::string_view buyer_id);

  QuotaBook() = default;
  // Places buyers with another hash — for tests that force every buyer into
  // one probe chain to show that colliding hashes never share a quota.
  explicit QuotaBook(HashFn hash) : hash_(hash) {}

  // The fixed hash that places a buyer (see quota.cc).
  static uint64_t DefaultHash(std::string_view buyer_id);

  // Buyers are counted by CanonicalBuyerId (core/buyer_id.h): "…x" and
  // "…X" are one buyer. Zero counter if the buyer or year is unknown.
  QuotaCounter Get(std::string_view buyer_id, int32_t year, uint32_t kind = kMoneyCounter) const;

  // Adds (or, negative, takes back) an amount. A counter never goes below
  // zero: FailedPrecondition, nothing changed. InvalidArgument for an empty or
  // over-long (> 255 bytes) ID number.
  Status Add(const QuotaDelta& delta);

  // Asks the processor to fetch the buyer's slot; changes nothing. An engine
  // deciding a batch calls it for the next list while deciding this one, so
  // the one memory access of the next lookup overlaps useful work.
  void Prefetch(std::string_view id) const {
    char buf[18];
    const uint64_t h = hash_(CanonicalBuyerId(id, buf));
    const std::vector<Slot>& slots = TableOf(h).slots;
    if (!slots.empty()) __builtin_prefetch(&slots[h & (slots.size() - 1)]);
  }

  size_t buyers() const { return buyers_; }
  size_t counters() const { return inline_counters_ + counters_.size(); }
  // Bytes held by the book's containers (capacity, not size): the memory
  // figure of the benchmark.
  size_t MemoryBytes() const;
  // Pre-sizes for n buyers (avoids rehashing while loading a snapshot).
  void Reserve(size_t buyers);

  std::vector<QuotaEntry> Entries() const;
  static Result<QuotaBook> FromEntries(const std::vector<QuotaEntry>& entries);

 private:
  static constexpr int32_t kNoYear = INT32_MIN;
  // One buyer, 48 bytes: the ID number itself (up to 19 bytes, e.g. the 18
  // characters of an ID card; longer ones in the arena) and the money
  // counter of the buyer's latest year, so the common lookup touches one slot
  // and nothing else. Other years and quantity counters hang off `next`.
  static constexpr uint8_t kInlineId = 19;
  static constexpr uint8_t kIdInArena = 255;
  struct Slot {
    uint64_t hash = 0;
    int64_t amount = 0;      // inline money counter, Decimal units
    int32_t year = kNoYear;  // year of the inline counter (kNoYear: none)
    uint32_t lists = 0;
    uint32_t next = 0;   // 1 + index of the first chained counter; 0: none
    uint8_t id_len = 0;  // 0: empty slot; 1..19: inline; kIdInArena: offset in id[0..3]
    char id[kInlineId] = {};
  };
  struct Counter {
    int32_t year = 0;
    uint32_t kind = 0;
    int64_t amount = 0;  // Decimal units
    uint32_t lists = 0;
    uint32_t next = 0;  // 1 + index of the next counter of the buyer; 0: last
  };
  static_assert(sizeof(Slot) == 48);
  static_assert(sizeof(Counter) == 24);

  // One of the 256 tables: a power-of-two number of slots (0 until its
  // first buyer).
  struct Table {
    std::vector<Slot> slots;
    size_t buyers = 0;
  };
  static constexpr size_t kTables = 256;
  static constexpr int kTableShift = 64 - 8;  // the hash's top bits pick the table
  Table& TableOf(uint64_t hash) { return tables_[hash >> kTableShift]; }
  const Table& TableOf(uint64_t hash) const { return tables_[hash >> kTableShift]; }

  std::string_view IdOf(const Slot& s) const;
  // Slot index in `t` holding this buyer, or the empty slot where it would go.
  size_t Probe(const Table& t, std::string_view id, uint64_t hash) const;
  Counter* FindChained(const Slot& s, int32_t year, uint32_t kind);
  const Counter* FindChained(const Slot& s, int32_t year, uint32_t kind) const;
  static void Grow(Table* t);

  HashFn hash_ = &DefaultHash;
  std::array<Table, kTables> tables_;
  std::string ids_;  // arena for ID numbers over 19 bytes: [length byte][bytes]...
  // Chained counters, in chunks so that adding one never copies the others
  // (a buyer's older year moves here at the first purchase of a new year).
  ChunkedVector<Counter> counters_;
  size_t buyers_ = 0;
  size_t inline_counters_ = 0;
};

}  // namespace ftz::clearance
