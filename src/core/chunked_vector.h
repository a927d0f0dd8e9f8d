// ChunkedVector: an append-only array kept in fixed chunks, so that
// appending never moves what is already there.
//
// Why: a std::vector that grows doubles by copying every element, a pause
// that grows with its size, on whatever thread appends — the log's record
// index on the acknowledgement path (4 bytes a record: a 32 MB copy at 8 M
// records), the quota book's chained counters at the new year's first
// purchases (237 ms at 10 M buyers; docs/performance.md, session 7). Here
// an append allocates at most one chunk; indexing costs a shift and a mask.
//
// Elements stay where they are once appended: references to them remain
// valid (unlike std::vector). Copies are deep. Not thread-safe (callers
// lock, as for a std::vector).
#pragma once

#include <algorithm>
#include <cstddef>
#include <memory>
#include <vector>

namespace ftz {

template <class T, size_t kChunk = 4096>
class ChunkedVector {
  static_assert(kChunk > 0 && (kChunk & (kChunk - 1)) == 0, "chunk size is a power of two");

 public:
  ChunkedVector() = default;
  ChunkedVector(ChunkedVector&&) noexcept = default;
  ChunkedVector& operator=(ChunkedVector&&) noexcept = default;
  ChunkedVector(const ChunkedVector& o) : size_(o.size_) {
    chunks_.reserve(o.chunks_.size());
    for (const auto& chunk : o.chunks_) {
      chunks_.push_back(std::make_unique<T[]>(kChunk));
      std::copy(chunk.get(), chunk.get() + kChunk, chunks_.back().get());
    }
  }
  ChunkedVector& operator=(const ChunkedVector& o) {
    if (this != &o) *this = ChunkedVector(o);
    return *this;
  }

  T& operator[](size_t i) { return chunks_[i / kChunk][i % kChunk]; }
  const T& operator[](size_t i) const { return chunks_[i / kChunk][i % kChunk]; }
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

  // Appends and returns the new element.
  T& push_back(const T& value) {
    if (size_ == chunks_.size() * kChunk) chunks_.push_back(std::make_unique<T[]>(kChunk));
    T& slot = (*this)[size_++];
    slot = value;
    return slot;
  }

  // Bytes held (chunks allocated, and the chunk table's capacity).
  size_t capacity_bytes() const {
    return chunks_.size() * kChunk * sizeof(T) + chunks_.capacity() * sizeof(chunks_[0]);
  }

 private:
  std::vector<std::unique_ptr<T[]>> chunks_;
  size_t size_ = 0;
};

}  // namespace ftz
