#include "ledger/proof.h"

#include <array>
#include <bit>
#include <string>

namespace ftz::ledger {
namespace {

std::string Str(uint64_t v) { return std::to_string(v); }

Status CheckSize(uint64_t size) {
  if (size > kMaxTreeSize)
    return Status::InvalidArgument("tree size " + Str(size) + " exceeds 2^63");
  return Status::Ok();
}

// The nodes a proof (or root) is made of, gathered first so that the reader
// can fetch them in one batch, then combined. Each element of the result is
// either one complete node or the RFC 6962 hash of a range [begin, end) whose
// begin is a multiple of a power of two larger than end - begin -- what every
// ephemeral node on a tree's right edge is. Such a range splits into complete
// nodes, one per set bit of its length, which fold from the right.
class ProofPlan {
 public:
  void AddNode(uint32_t level, uint64_t index) {
    elements_[num_elements_++] = {num_ids_, 1};
    ids_[num_ids_++] = {level, index};
  }
  void AddRange(uint64_t begin, uint64_t end) {
    uint32_t first = num_ids_;
    uint64_t pos = begin;
    uint64_t len = end - begin;
    for (int b = 63; b >= 0; --b) {
      if (((len >> b) & 1) == 0) continue;
      ids_[num_ids_++] = {static_cast<uint32_t>(b), pos >> b};
      pos += uint64_t{1} << b;
    }
    elements_[num_elements_++] = {first, num_ids_ - first};
  }
  Status Resolve(const HashReader& reader, std::vector<Hash>* out) const {
    std::array<Hash, kMaxIds> hashes;
    FTZ_RETURN_IF_ERROR(reader.NodeHashes(std::span<const NodeId>(ids_.data(), num_ids_),
                                          std::span<Hash>(hashes.data(), num_ids_)));
    out->reserve(out->size() + num_elements_);
    for (uint32_t e = 0; e < num_elements_; ++e) {
      auto [first, count] = elements_[e];
      Hash r = hashes[first + count - 1];
      for (uint32_t i = count - 1; i-- > 0;) r = HashChildren(hashes[first + i], r);
      out->push_back(r);
    }
    return Status::Ok();
  }

 private:
  // At most 64 elements (63 path hashes + a leading node); the single
  // partial range of a path adds at most 63 ids.
  static constexpr size_t kMaxIds = 192;
  std::array<NodeId, kMaxIds> ids_;
  std::array<std::pair<uint32_t, uint32_t>, 65> elements_;
  uint32_t num_ids_ = 0;
  uint32_t num_elements_ = 0;
};

// Adds to `plan` the audit path of complete node (level, index) inside the
// tree of `size` leaves: at each level up to the root, the sibling -- a stored
// node if the sibling is complete, recomputed if it straddles the end of the
// tree, nothing at all if it lies wholly beyond the end (then the node is
// promoted unchanged, as in RFC 6962's unbalanced split).
void AddPath(uint32_t level, uint64_t index, uint64_t size, ProofPlan* plan) {
  for (uint32_t l = level; l < 64 && ((size - 1) >> l) != 0; ++l, index >>= 1) {
    uint64_t sibling = index ^ 1;
    uint64_t begin = sibling << l;
    if (begin >= size) continue;
    if (size - begin >= (uint64_t{1} << l)) {
      plan->AddNode(l, sibling);
    } else {
      plan->AddRange(begin, size);
    }
  }
}

int BitLength(uint64_t v) { return 64 - std::countl_zero(v); }

// Audit path length of node `index` in a level with last node index `last`.
uint64_t PathLength(uint64_t index, uint64_t last) {
  int inner = BitLength(index ^ last);
  uint64_t border = inner >= 64 ? 0 : static_cast<uint64_t>(std::popcount(index >> inner));
  return static_cast<uint64_t>(inner) + border;
}

Status RootMismatch(const char* what) {
  return Status::FailedPrecondition(std::string(what) + ": recomputed root does not match");
}

}  // namespace

Result<Hash> RootAt(uint64_t size, const HashReader& reader) {
  FTZ_RETURN_IF_ERROR(CheckSize(size));
  if (size == 0) return EmptyRoot();
  ProofPlan plan;
  plan.AddRange(0, size);
  std::vector<Hash> root;
  FTZ_RETURN_IF_ERROR(plan.Resolve(reader, &root));
  return root[0];
}

Result<std::vector<Hash>> InclusionProof(uint64_t index, uint64_t size, const HashReader& reader) {
  FTZ_RETURN_IF_ERROR(CheckSize(size));
  if (index >= size) {
    return Status::InvalidArgument("leaf index " + Str(index) + " >= tree size " + Str(size));
  }
  ProofPlan plan;
  AddPath(0, index, size, &plan);
  std::vector<Hash> proof;
  FTZ_RETURN_IF_ERROR(plan.Resolve(reader, &proof));
  return proof;
}

Result<std::vector<Hash>> ConsistencyProof(uint64_t size1, uint64_t size2,
                                           const HashReader& reader) {
  FTZ_RETURN_IF_ERROR(CheckSize(size2));
  if (size1 > size2) {
    return Status::InvalidArgument("old size " + Str(size1) + " > new size " + Str(size2));
  }
  std::vector<Hash> proof;
  if (size1 == 0 || size1 == size2) return proof;
  // The old tree's smallest peak, node (level, index), is the last complete
  // subtree the two trees share; the proof is that node (unless it is the
  // whole old tree, which the verifier already has as root1) followed by its
  // audit path in the new tree.
  uint32_t level = static_cast<uint32_t>(std::countr_zero(size1));
  uint64_t index = (size1 - 1) >> level;
  ProofPlan plan;
  if (index != 0) plan.AddNode(level, index);
  AddPath(level, index, size2, &plan);
  FTZ_RETURN_IF_ERROR(plan.Resolve(reader, &proof));
  return proof;
}

uint64_t InclusionProofLength(uint64_t index, uint64_t size) {
  if (index >= size) return 0;
  return PathLength(index, size - 1);
}

uint64_t ConsistencyProofLength(uint64_t size1, uint64_t size2) {
  if (size1 == 0 || size1 >= size2) return 0;
  int level = std::countr_zero(size1);
  uint64_t index = (size1 - 1) >> level;
  return (index != 0 ? 1 : 0) + PathLength(index, (size2 - 1) >> level);
}

Result<Hash> RootFromInclusionProof(uint64_t index, uint64_t size, const Hash& leaf_hash,
                                    std::span<const Hash> proof) {
  FTZ_RETURN_IF_ERROR(CheckSize(size));
  // RFC 9162 §2.1.3.2 step 1.
  if (index >= size) {
    return Status::InvalidArgument("leaf index " + Str(index) + " >= tree size " + Str(size));
  }
  uint64_t want = InclusionProofLength(index, size);
  if (proof.size() != want) {
    return Status::InvalidArgument("inclusion proof has " + Str(proof.size()) + " hashes, want " +
                                   Str(want) + " for leaf " + Str(index) + " of " + Str(size));
  }
  // Steps 2-4.
  uint64_t fn = index;
  uint64_t sn = size - 1;
  Hash r = leaf_hash;
  for (const Hash& p : proof) {
    if (sn == 0) return Status::InvalidArgument("inclusion proof is too long");
    if ((fn & 1) != 0 || fn == sn) {
      r = HashChildren(p, r);
      if ((fn & 1) == 0) {
        while ((fn & 1) == 0 && fn != 0) {
          fn >>= 1;
          sn >>= 1;
        }
      }
    } else {
      r = HashChildren(r, p);
    }
    fn >>= 1;
    sn >>= 1;
  }
  // Step 5 (first half): every level must have been consumed.
  if (sn != 0) return Status::InvalidArgument("inclusion proof is too short");
  return r;
}

Status VerifyInclusion(uint64_t index, uint64_t size, const Hash& leaf_hash,
                       std::span<const Hash> proof, const Hash& root) {
  Result<Hash> r = RootFromInclusionProof(index, size, leaf_hash, proof);
  if (!r.ok()) return r.status();
  if (*r != root) return RootMismatch("inclusion proof");
  return Status::Ok();
}

Status VerifyConsistency(uint64_t size1, uint64_t size2, std::span<const Hash> proof,
                         const Hash& root1, const Hash& root2) {
  FTZ_RETURN_IF_ERROR(CheckSize(size2));
  if (size1 > size2) {
    return Status::InvalidArgument("old size " + Str(size1) + " > new size " + Str(size2));
  }
  if (size1 == size2 || size1 == 0) {
    if (!proof.empty()) {
      return Status::InvalidArgument("consistency proof from size " + Str(size1) + " to " +
                                     Str(size2) + " must be empty, has " + Str(proof.size()) +
                                     " hashes");
    }
    if (size1 == 0) {
      if (root1 != EmptyRoot()) return RootMismatch("consistency proof (empty old tree)");
    } else if (root1 != root2) {
      return RootMismatch("consistency proof (equal sizes)");
    }
    return Status::Ok();
  }
  // RFC 9162 §2.1.4.2 step 1.
  if (proof.empty()) return Status::InvalidArgument("consistency proof is empty");
  uint64_t want = ConsistencyProofLength(size1, size2);
  if (proof.size() != want) {
    return Status::InvalidArgument("consistency proof has " + Str(proof.size()) + " hashes, want " +
                                   Str(want) + " for sizes " + Str(size1) + " -> " + Str(size2));
  }
  // Step 2: a power-of-two old tree is itself the first shared subtree.
  bool prepend = std::has_single_bit(size1);
  auto path_at = [&](size_t i) -> const Hash& {
    if (prepend) return i == 0 ? root1 : proof[i - 1];
    return proof[i];
  };
  size_t path_len = proof.size() + (prepend ? 1 : 0);
  // Steps 3-4.
  uint64_t fn = size1 - 1;
  uint64_t sn = size2 - 1;
  while ((fn & 1) != 0) {
    fn >>= 1;
    sn >>= 1;
  }
  // Step 5.
  Hash fr = path_at(0);
  Hash sr = path_at(0);
  // Step 6.
  for (size_t i = 1; i < path_len; ++i) {
    const Hash& c = path_at(i);
    if (sn == 0) return Status::InvalidArgument("consistency proof is too long");
    if ((fn & 1) != 0 || fn == sn) {
      fr = HashChildren(c, fr);
      sr = HashChildren(c, sr);
      if ((fn & 1) == 0) {
        while ((fn & 1) == 0 && fn != 0) {
          fn >>= 1;
          sn >>= 1;
        }
      }
    } else {
      sr = HashChildren(sr, c);
    }
    fn >>= 1;
    sn >>= 1;
  }
  // Step 7.
  if (sn != 0) return Status::InvalidArgument("consistency proof is too short");
  if (fr != root1) return RootMismatch("consistency proof (old root)");
  if (sr != root2) return RootMismatch("consistency proof (new root)");
  return Status::Ok();
}

}  // namespace ftz::ledger
