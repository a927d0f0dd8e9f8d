#include "clearance/quota.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <utility>

namespace ftz::clearance {

uint64_t QuotaBook::DefaultHash(std::string_view id) {
  // 8 bytes at a time, multiply-xorshift mixing, splitmix64 finalizer. The
  // hash only chooses a slot (lookups compare the full ID), so it needs to
  // spread, not to resist forgery; it is fixed so that a table built twice
  // from the same log has the same layout.
  constexpr uint64_t kMul = 0x9E3779B97F4A7C15ull;
  uint64_t h = 0x243F6A8885A308D3ull ^ (id.size() * kMul);
  size_t i = 0;
  for (; i + 8 <= id.size(); i += 8) {
    uint64_t w;
    std::memcpy(&w, id.data() + i, 8);
    h = (h ^ w) * kMul;
    h ^= h >> 29;
  }
  uint64_t tail = 0;
  std::memcpy(&tail, id.data() + i, id.size() - i);
  h = (h ^ tail) * kMul;
  h ^= h >> 30;
  h *= 0xBF58476D1CE4E5B9ull;
  h ^= h >> 27;
  h *= 0x94D049BB133111EBull;
  h ^= h >> 31;
  return h;
}

std::string_view QuotaBook::IdOf(const Slot& s) const {
  if (s.id_len != kIdInArena) return std::string_view(s.id, s.id_len);
  uint32_t offset;
  std::memcpy(&offset, s.id, sizeof offset);
  size_t len = static_cast<unsigned char>(ids_[offset]);
  return std::string_view(ids_).substr(offset + 1, len);
}

size_t QuotaBook::Probe(const Table& t, std::string_view id, uint64_t hash) const {
  size_t mask = t.slots.size() - 1;
  for (size_t i = hash & mask;; i = (i + 1) & mask) {
    const Slot& s = t.slots[i];
    if (s.id_len == 0) return i;
    if (s.hash == hash && IdOf(s) == id) return i;
  }
}

const QuotaBook::Counter* QuotaBook::FindChained(const Slot& s, int32_t year, uint32_t kind) const {
  for (uint32_t c = s.next; c != 0; c = counters_[c - 1].next) {
    const Counter& k = counters_[c - 1];
    if (k.year == year && k.kind == kind) return &k;
  }
  return nullptr;
}

QuotaBook::Counter* QuotaBook::FindChained(const Slot& s, int32_t year, uint32_t kind) {
  return const_cast<Counter*>(std::as_const(*this).FindChained(s, year, kind));
}

void QuotaBook::Grow(Table* t) {
  size_t n = t->slots.empty() ? 16 : t->slots.size() * 2;
  std::vector<Slot> old = std::move(t->slots);
  t->slots.assign(n, Slot{});
  size_t mask = n - 1;
  for (const Slot& s : old) {
    if (s.id_len == 0) continue;
    size_t i = s.hash & mask;
    while (t->slots[i].id_len != 0) i = (i + 1) & mask;
    t->slots[i] = s;
  }
}

void QuotaBook::Reserve(size_t buyers) {
  // Each table's share, with room for the spread of a random split.
  const size_t share = buyers / kTables + buyers / (kTables * 8) + 1;
  size_t want = 16;
  while (want * 3 / 4 < share) want *= 2;
  for (Table& t : tables_) {
    while (t.slots.size() < want) Grow(&t);
  }
}

QuotaCounter QuotaBook::Get(std::string_view id, int32_t year, uint32_t kind) const {
  char buf[18];
  const std::string_view buyer_id = CanonicalBuyerId(id, buf);
  const uint64_t h = hash_(buyer_id);
  const Table& t = TableOf(h);
  if (t.slots.empty()) return {};
  const Slot& s = t.slots[Probe(t, buyer_id, h)];
  if (s.id_len == 0) return {};
  if (kind == kMoneyCounter && s.year == year) return {Decimal::FromUnits(s.amount), s.lists};
  if (const Counter* c = FindChained(s, year, kind)) {
    return {Decimal::FromUnits(c->amount), c->lists};
  }
  return {};
}

Status QuotaBook::Add(const QuotaDelta& d) {
  if (d.buyer_id.empty() || d.buyer_id.size() > 255) {
    return Status::InvalidArgument("quota: buyer ID number must be 1..255 bytes");
  }
  char buf[18];
  const std::string_view buyer_id = CanonicalBuyerId(d.buyer_id, buf);
  const uint64_t h = hash_(buyer_id);
  Table& t = TableOf(h);
  if ((t.buyers + 1) * 4 > t.slots.size() * 3) Grow(&t);
  Slot& s = t.slots[Probe(t, buyer_id, h)];
  bool known = s.id_len != 0;
  bool in_slot = known && d.kind == kMoneyCounter && s.year == d.year;
  Counter* chained = known && !in_slot ? FindChained(s, d.year, d.kind) : nullptr;
  int64_t have = in_slot ? s.amount : chained ? chained->amount : 0;
  int64_t have_lists = in_slot ? s.lists : chained ? chained->lists : 0;
  if (have + d.amount.units() < 0 || have_lists + d.lists < 0) {
    return Status::FailedPrecondition("quota: counter " + std::to_string(d.year) + "/" +
                                      std::to_string(d.kind) + " would go below zero");
  }
  if (counters_.size() >= std::numeric_limits<uint32_t>::max() - 2) {
    return Status::ResourceExhausted("quota: too many counters");
  }
  if (!known) {
    if (buyer_id.size() <= kInlineId) {
      s.id_len = static_cast<uint8_t>(buyer_id.size());
      std::memcpy(s.id, buyer_id.data(), buyer_id.size());
    } else {
      if (ids_.size() + 1 + buyer_id.size() >= std::numeric_limits<uint32_t>::max()) {
        return Status::ResourceExhausted("quota: ID arena full");
      }
      uint32_t offset = static_cast<uint32_t>(ids_.size());
      ids_.push_back(static_cast<char>(buyer_id.size()));
      ids_.append(buyer_id);
      s.id_len = kIdInArena;
      std::memcpy(s.id, &offset, sizeof offset);
    }
    s.hash = h;
    ++t.buyers;
    ++buyers_;
  }
  if (!in_slot && !chained) {
    if (d.kind == kMoneyCounter && (s.year == kNoYear || d.year > s.year)) {
      // The slot keeps the latest money year; an older one moves to the chain.
      if (s.year != kNoYear) {
        counters_.push_back(Counter{s.year, kMoneyCounter, s.amount, s.lists, s.next});
        s.next = static_cast<uint32_t>(counters_.size());
      } else {
        ++inline_counters_;
      }
      s.year = d.year;
      s.amount = 0;
      s.lists = 0;
      in_slot = true;
    } else {
      chained = &counters_.push_back(Counter{d.year, d.kind, 0, 0, s.next});
      s.next = static_cast<uint32_t>(counters_.size());
    }
  }
  if (in_slot) {
    s.amount += d.amount.units();
    s.lists = static_cast<uint32_t>(s.lists + d.lists);
  } else {
    chained->amount += d.amount.units();
    chained->lists = static_cast<uint32_t>(chained->lists + d.lists);
  }
  return Status::Ok();
}

size_t QuotaBook::MemoryBytes() const {
  size_t bytes = sizeof(tables_) + ids_.capacity() + counters_.capacity_bytes();
  for (const Table& t : tables_) bytes += t.slots.capacity() * sizeof(Slot);
  return bytes;
}

std::vector<QuotaEntry> QuotaBook::Entries() const {
  std::vector<QuotaEntry> out;
  out.reserve(counters());
  for (const Table& t : tables_) {
    for (const Slot& s : t.slots) {
      if (s.id_len == 0) continue;
      std::string_view id = IdOf(s);
      if (s.year != kNoYear) {
        out.push_back(
            {std::string(id), s.year, kMoneyCounter, Decimal::FromUnits(s.amount), s.lists});
      }
      for (uint32_t c = s.next; c != 0; c = counters_[c - 1].next) {
        const Counter& k = counters_[c - 1];
        out.push_back({std::string(id), k.year, k.kind, Decimal::FromUnits(k.amount), k.lists});
      }
    }
  }
  std::sort(out.begin(), out.end(), [](const QuotaEntry& a, const QuotaEntry& b) {
    if (a.buyer_id != b.buyer_id) return a.buyer_id < b.buyer_id;
    if (a.year != b.year) return a.year < b.year;
    return a.kind < b.kind;
  });
  return out;
}

Result<QuotaBook> QuotaBook::FromEntries(const std::vector<QuotaEntry>& entries) {
  QuotaBook book;
  book.Reserve(entries.size());
  for (size_t i = 0; i < entries.size(); ++i) {
    const QuotaEntry& e = entries[i];
    if (e.amount < Decimal()) return Status::Corruption("quota snapshot: negative counter");
    if (i > 0 && entries[i - 1].buyer_id == e.buyer_id && entries[i - 1].year == e.year &&
        entries[i - 1].kind == e.kind) {
      return Status::Corruption("quota snapshot: counter listed twice");
    }
    FTZ_RETURN_IF_ERROR(
        book.Add({e.buyer_id, e.year, e.kind, e.amount, static_cast<int32_t>(e.lists)}));
  }
  return book;
}

}  // namespace ftz::clearance
