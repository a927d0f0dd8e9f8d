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
// Layout, for 10 million buyers in well under 3 GiB: an open-addressing table
// of 16-byte buyer slots (64-bit hash, offset of the ID number in an arena,
// first counter), the ID numbers once each in a byte arena (length byte +
// bytes), and 24-byte counters chained per buyer. A typical buyer (one year,
// money only, 18-character ID) costs 16/load + 19 + 24 ≈ 70 bytes; the
// measured figure is in docs/clearance.md. The hash only places a buyer: a
// lookup always compares the full ID number, so two buyers whose hashes
// collide still have separate quotas (collision-safe, no probabilistic
// identity).
//
// Snapshot: Entries() lists every counter sorted by (id, year, kind) and
// FromEntries() rebuilds the same book, so a snapshot does not depend on the
// table's layout; sharding by buyer ID splits the entries.
//
// Ownership and threads: a plain value owned by the engine; one writer, no
// locks; const methods may be called concurrently with each other.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

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
  QuotaBook() = default;

  // Zero counter if the buyer or year is unknown.
  QuotaCounter Get(std::string_view buyer_id, int32_t year, uint32_t kind = kMoneyCounter) const;

  // Adds (or, negative, takes back) an amount. A counter never goes below
  // zero: FailedPrecondition, nothing changed. InvalidArgument for an empty or
  // over-long (> 255 bytes) ID number.
  Status Add(const QuotaDelta& delta);

  size_t buyers() const { return buyers_; }
  size_t counters() const { return counters_.size(); }
  // Bytes held by the book's containers (capacity, not size): the memory
  // figure of the benchmark.
  size_t MemoryBytes() const;
  // Pre-sizes for n buyers (avoids rehashing while loading a snapshot).
  void Reserve(size_t buyers);

  std::vector<QuotaEntry> Entries() const;
  static Result<QuotaBook> FromEntries(const std::vector<QuotaEntry>& entries);

 private:
  struct Slot {
    uint64_t hash = 0;
    uint32_t id_offset = 0;
    uint32_t head = 0;  // 1 + index of the first counter; 0: empty slot
  };
  struct Counter {
    int32_t year = 0;
    uint32_t kind = 0;
    int64_t amount = 0;  // Decimal units
    uint32_t lists = 0;
    uint32_t next = 0;  // 1 + index of the next counter of the buyer; 0: last
  };
  static_assert(sizeof(Slot) == 16);
  static_assert(sizeof(Counter) == 24);

  static uint64_t Hash(std::string_view id);
  std::string_view IdAt(uint32_t offset) const;
  // Slot index holding this buyer, or the empty slot where it would go.
  size_t Probe(std::string_view id, uint64_t hash) const;
  void Grow();

  std::vector<Slot> slots_;
  std::string ids_;  // arena: [length byte][bytes]...
  std::vector<Counter> counters_;
  size_t buyers_ = 0;
};

}  // namespace ftz::clearance
