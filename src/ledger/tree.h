// The ledger's Merkle tree (RFC 6962 §2.1): an incremental "compact range"
// that appends leaf hashes and yields the root for the current size, the
// HashReader interface through which proofs read stored subtree hashes, and an
// in-memory node store.
//
// Node addressing used throughout the ledger: node (level, index) is the root
// of the complete (perfect) subtree over leaves
//     [index * 2^level, (index + 1) * 2^level).
// Level 0 nodes are leaf hashes. A node exists once all its leaves exist; a
// complete node never changes afterwards, so nodes stored at one tree size
// serve every larger size. The RFC 6962 tree of size n is made of such nodes
// plus, along its right edge, "ephemeral" nodes over a partial range
// [k * 2^level, n); those are recomputed from complete nodes (proof.h).
//
// Contract:
//  * Ownership: CompactRange and MemoryTree own their hashes. NodeSink and
//    HashReader pointers/references passed in are borrowed for the call only.
//  * Thread safety: CompactRange and MemoryTree are not synchronised; one
//    writer, or readers only. HashReader implementations state their own
//    rules (MemoryTree: concurrent NodeHash calls are safe while nobody
//    appends).
//  * Errors: Append never fails (hashing failure aborts, see hash.h).
//    HashReader::NodeHash returns NotFound for a node that is not stored
//    (not yet complete, or out of range), IOError/Corruption for storage
//    failures.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "core/status.h"
#include "ledger/hash.h"

namespace ftz::ledger {

// Largest supported tree size. Sizes fit in 63 bits so that level arithmetic
// (2^level for level <= 63) never overflows.
inline constexpr uint64_t kMaxTreeSize = uint64_t{1} << 63;

// Receives every node as it becomes complete during appends, in order of
// completion: first the leaf (level 0), then each parent it completes.
class NodeSink {
 public:
  virtual ~NodeSink() = default;
  virtual void PutNode(uint32_t level, uint64_t index, const Hash& hash) = 0;
};

struct NodeId {
  uint32_t level = 0;
  uint64_t index = 0;
};

// Read access to stored complete-subtree hashes.
class HashReader {
 public:
  virtual ~HashReader() = default;
  // The hash of complete node (level, index). NotFound if not stored.
  virtual Result<Hash> NodeHash(uint32_t level, uint64_t index) const = 0;
  // Batch form used by proof.h: out[i] = hash of ids[i] (out.size() ==
  // ids.size()). The default calls NodeHash for each; stores override it to
  // look up each tile or page once per batch. On error, out is unspecified.
  virtual Status NodeHashes(std::span<const NodeId> ids, std::span<Hash> out) const;
};

// The right edge of a tree: the roots of the perfect subtrees that make up
// [0, size), largest (leftmost) first -- one per set bit of size. Appending is
// O(1) amortised (one node hash per leaf on average); Root() is O(log size).
class CompactRange {
 public:
  CompactRange() = default;

  // Rebuilds a range from its peaks (e.g. read back from a store). The number
  // of peaks must equal popcount(size); InvalidArgument otherwise.
  static Result<CompactRange> FromPeaks(uint64_t size, std::vector<Hash> peaks);

  uint64_t size() const { return size_; }
  const std::vector<Hash>& peaks() const { return peaks_; }

  // Appends one leaf hash (already RFC 6962 leaf-hashed). If sink is not null
  // it is told about the leaf node and every node the append completes.
  // FailedPrecondition if the tree already holds kMaxTreeSize leaves.
  Status Append(const Hash& leaf_hash, NodeSink* sink = nullptr);

  // RFC 6962 root of the current tree: EmptyRoot() for size 0.
  Hash Root() const;

 private:
  uint64_t size_ = 0;
  std::vector<Hash> peaks_;
};

// An in-memory tree that stores every complete node (2 hashes per leaf) so
// that proofs for any size up to size() can be produced (proof.h).
class MemoryTree final : public HashReader {
 public:
  MemoryTree() = default;

  uint64_t size() const { return range_.size(); }
  Hash Root() const { return range_.Root(); }
  const CompactRange& range() const { return range_; }

  // Appends a leaf hash / leaf data (hashed with HashLeaf); returns the new
  // leaf's index.
  Result<uint64_t> Append(const Hash& leaf_hash);
  Result<uint64_t> AppendData(ByteView data) { return Append(HashLeaf(data)); }

  // Reserves room for n leaves in advance (no regrowth of any level).
  void Reserve(uint64_t n);

  Result<Hash> NodeHash(uint32_t level, uint64_t index) const override;
  Status NodeHashes(std::span<const NodeId> ids, std::span<Hash> out) const override;

 private:
  class Sink;
  CompactRange range_;
  std::vector<std::vector<Hash>> levels_;
};

}  // namespace ftz::ledger
