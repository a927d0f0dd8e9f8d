#include "clearance/quota.h"

#include <algorithm>
#include <cstring>
#include <limits>

namespace ftz::clearance {

uint64_t QuotaBook::Hash(std::string_view id) {
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

std::string_view QuotaBook::IdAt(uint32_t offset) const {
  size_t len = static_cast<unsigned char>(ids_[offset]);
  return std::string_view(ids_).substr(offset + 1, len);
}

size_t QuotaBook::Probe(std::string_view id, uint64_t hash) const {
  size_t mask = slots_.size() - 1;
  for (size_t i = hash & mask;; i = (i + 1) & mask) {
    const Slot& s = slots_[i];
    if (s.head == 0) return i;
    if (s.hash == hash && IdAt(s.id_offset) == id) return i;
  }
}

void QuotaBook::Grow() {
  size_t n = slots_.empty() ? 16 : slots_.size() * 2;
  std::vector<Slot> old = std::move(slots_);
  slots_.assign(n, Slot{});
  size_t mask = n - 1;
  for (const Slot& s : old) {
    if (s.head == 0) continue;
    size_t i = s.hash & mask;
    while (slots_[i].head != 0) i = (i + 1) & mask;
    slots_[i] = s;
  }
}

void QuotaBook::Reserve(size_t buyers) {
  size_t want = 16;
  while (want * 3 / 4 < buyers) want *= 2;
  while (slots_.size() < want) Grow();
  counters_.reserve(buyers);
  ids_.reserve(buyers * 19);
}

QuotaCounter QuotaBook::Get(std::string_view buyer_id, int32_t year, uint32_t kind) const {
  if (slots_.empty()) return {};
  const Slot& s = slots_[Probe(buyer_id, Hash(buyer_id))];
  for (uint32_t c = s.head; c != 0; c = counters_[c - 1].next) {
    const Counter& k = counters_[c - 1];
    if (k.year == year && k.kind == kind) return {Decimal::FromUnits(k.amount), k.lists};
  }
  return {};
}

Status QuotaBook::Add(const QuotaDelta& d) {
  if (d.buyer_id.empty() || d.buyer_id.size() > 255) {
    return Status::InvalidArgument("quota: buyer ID number must be 1..255 bytes");
  }
  if ((buyers_ + 1) * 4 > slots_.size() * 3) Grow();
  uint64_t h = Hash(d.buyer_id);
  size_t i = Probe(d.buyer_id, h);
  Slot& s = slots_[i];
  Counter* found = nullptr;
  for (uint32_t c = s.head; c != 0; c = counters_[c - 1].next) {
    Counter& k = counters_[c - 1];
    if (k.year == d.year && k.kind == d.kind) {
      found = &k;
      break;
    }
  }
  int64_t have = found ? found->amount : 0;
  int64_t have_lists = found ? found->lists : 0;
  if (have + d.amount.units() < 0 || have_lists + d.lists < 0) {
    return Status::FailedPrecondition("quota: counter " + std::to_string(d.year) + "/" +
                                      std::to_string(d.kind) + " would go below zero");
  }
  if (!found) {
    if (counters_.size() >= std::numeric_limits<uint32_t>::max() - 1) {
      return Status::ResourceExhausted("quota: too many counters");
    }
    if (s.head == 0) {
      if (ids_.size() + 1 + d.buyer_id.size() > std::numeric_limits<uint32_t>::max()) {
        return Status::ResourceExhausted("quota: ID arena full");
      }
      s.hash = h;
      s.id_offset = static_cast<uint32_t>(ids_.size());
      ids_.push_back(static_cast<char>(d.buyer_id.size()));
      ids_.append(d.buyer_id);
      ++buyers_;
    }
    counters_.push_back(Counter{d.year, d.kind, 0, 0, s.head});
    s.head = static_cast<uint32_t>(counters_.size());
    found = &counters_.back();
  }
  found->amount += d.amount.units();
  found->lists = static_cast<uint32_t>(found->lists + d.lists);
  return Status::Ok();
}

size_t QuotaBook::MemoryBytes() const {
  return slots_.capacity() * sizeof(Slot) + ids_.capacity() +
         counters_.capacity() * sizeof(Counter);
}

std::vector<QuotaEntry> QuotaBook::Entries() const {
  std::vector<QuotaEntry> out;
  out.reserve(counters_.size());
  for (const Slot& s : slots_) {
    if (s.head == 0) continue;
    std::string_view id = IdAt(s.id_offset);
    for (uint32_t c = s.head; c != 0; c = counters_[c - 1].next) {
      const Counter& k = counters_[c - 1];
      out.push_back({std::string(id), k.year, k.kind, Decimal::FromUnits(k.amount), k.lists});
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
  for (const QuotaEntry& e : entries) {
    if (e.amount < Decimal()) return Status::Corruption("quota snapshot: negative counter");
    if (book.Get(e.buyer_id, e.year, e.kind).amount != Decimal() ||
        book.Get(e.buyer_id, e.year, e.kind).lists != 0) {
      return Status::Corruption("quota snapshot: counter listed twice");
    }
    FTZ_RETURN_IF_ERROR(book.Add(
        {e.buyer_id, e.year, e.kind, e.amount, static_cast<int32_t>(e.lists)}));
  }
  return book;
}

}  // namespace ftz::clearance
