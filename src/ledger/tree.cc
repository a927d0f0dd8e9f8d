#include "ledger/tree.h"

#include <bit>
#include <string>

namespace ftz::ledger {

Status HashReader::NodeHashes(std::span<const NodeId> ids, std::span<Hash> out) const {
  if (ids.size() != out.size())
    return Status::InvalidArgument("NodeHashes: ids and out differ in size");
  for (size_t i = 0; i < ids.size(); ++i) {
    Result<Hash> h = NodeHash(ids[i].level, ids[i].index);
    if (!h.ok()) return h.status();
    out[i] = *h;
  }
  return Status::Ok();
}

Result<CompactRange> CompactRange::FromPeaks(uint64_t size, std::vector<Hash> peaks) {
  if (size > kMaxTreeSize) return Status::InvalidArgument("tree size exceeds 2^63");
  if (peaks.size() != static_cast<size_t>(std::popcount(size))) {
    return Status::InvalidArgument("compact range of size " + std::to_string(size) + " needs " +
                                   std::to_string(std::popcount(size)) + " peaks, got " +
                                   std::to_string(peaks.size()));
  }
  CompactRange r;
  r.size_ = size;
  r.peaks_ = std::move(peaks);
  return r;
}

Status CompactRange::Append(const Hash& leaf_hash, NodeSink* sink) {
  if (size_ >= kMaxTreeSize) return Status::FailedPrecondition("tree is full (2^63 leaves)");
  uint64_t index = size_;
  if (sink != nullptr) sink->PutNode(0, index, leaf_hash);
  Hash h = leaf_hash;
  uint32_t level = 0;
  // Each trailing one bit of the old size is a peak of the same height as the
  // node being carried: merge them, exactly like binary addition.
  for (uint64_t s = size_; s & 1; s >>= 1) {
    h = HashChildren(peaks_.back(), h);
    peaks_.pop_back();
    ++level;
    index >>= 1;
    if (sink != nullptr) sink->PutNode(level, index, h);
  }
  peaks_.push_back(h);
  ++size_;
  return Status::Ok();
}

Hash CompactRange::Root() const {
  if (peaks_.empty()) return EmptyRoot();
  // RFC 6962 splits at the largest power of two below n, so the right edge
  // folds from the smallest peak leftwards.
  Hash r = peaks_.back();
  for (size_t i = peaks_.size() - 1; i-- > 0;) r = HashChildren(peaks_[i], r);
  return r;
}

class MemoryTree::Sink final : public NodeSink {
 public:
  explicit Sink(std::vector<std::vector<Hash>>* levels) : levels_(levels) {}
  void PutNode(uint32_t level, uint64_t index, const Hash& hash) override {
    if (levels_->size() <= level) levels_->resize(level + 1);
    (*levels_)[level].push_back(hash);  // nodes of a level complete in index order
  }

 private:
  std::vector<std::vector<Hash>>* levels_;
};

Result<uint64_t> MemoryTree::Append(const Hash& leaf_hash) {
  uint64_t index = range_.size();
  Sink sink(&levels_);
  FTZ_RETURN_IF_ERROR(range_.Append(leaf_hash, &sink));
  return index;
}

void MemoryTree::Reserve(uint64_t n) {
  for (uint32_t level = 0; level < 64 && (n >> level) != 0; ++level) {
    if (levels_.size() <= level) levels_.resize(level + 1);
    levels_[level].reserve(n >> level);
  }
}

Result<Hash> MemoryTree::NodeHash(uint32_t level, uint64_t index) const {
  if (level < levels_.size() && index < levels_[level].size()) return levels_[level][index];
  return Status::NotFound("node (" + std::to_string(level) + ", " + std::to_string(index) +
                          ") is not complete in a tree of size " + std::to_string(size()));
}

Status MemoryTree::NodeHashes(std::span<const NodeId> ids, std::span<Hash> out) const {
  if (ids.size() != out.size())
    return Status::InvalidArgument("NodeHashes: ids and out differ in size");
  for (size_t i = 0; i < ids.size(); ++i) {
    const NodeId& id = ids[i];
    if (id.level >= levels_.size() || id.index >= levels_[id.level].size()) {
      return NodeHash(id.level, id.index).status();
    }
    out[i] = levels_[id.level][id.index];
  }
  return Status::Ok();
}

}  // namespace ftz::ledger
