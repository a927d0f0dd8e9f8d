// Merkle audit paths (inclusion proofs) and consistency proofs: produced
// from stored subtree hashes (RFC 6962 §2.1.1, §2.1.2) and verified exactly
// as RFC 9162 §2.1.3.2 and §2.1.4.2 prescribe.
//
// Proof layout (identical to RFC 6962/9162 and c2sp.org/tlog-proof): an
// inclusion proof lists sibling hashes from the leaf's sibling up to the
// root's child; a consistency proof is RFC 6962's PROOF(m, D[n]) -- its first
// hash is omitted when the old size is a power of two.
//
// Contract:
//  * Ownership: results are returned by value; the HashReader is borrowed
//    for the duration of the call.
//  * Thread safety: all functions are reentrant; producing proofs from one
//    reader in several threads is safe if that reader allows concurrent
//    NodeHash calls.
//  * Errors (never a crash, whatever the input):
//      InvalidArgument     -- impossible request or malformed proof: index >=
//                             size, size1 > size2, size above 2^63, a proof
//                             with missing or extra hashes.
//      FailedPrecondition  -- a well-formed proof that does not verify: the
//                             recomputed root differs from the given root.
//      NotFound / IOError  -- (producers only) the reader lacks a node the
//                             proof needs, e.g. size > stored size.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "core/status.h"
#include "ledger/hash.h"
#include "ledger/tree.h"

namespace ftz::ledger {

// ---- producing (from stored complete nodes) ----

// Root hash of the tree made of the first `size` leaves.
Result<Hash> RootAt(uint64_t size, const HashReader& reader);

// Audit path for leaf `index` in the tree of `size` leaves.
Result<std::vector<Hash>> InclusionProof(uint64_t index, uint64_t size, const HashReader& reader);

// Consistency proof between the trees of size1 and size2 leaves
// (0 <= size1 <= size2). Empty when size1 == 0 or size1 == size2.
Result<std::vector<Hash>> ConsistencyProof(uint64_t size1, uint64_t size2,
                                           const HashReader& reader);

// Number of hashes a correct proof has.
uint64_t InclusionProofLength(uint64_t index, uint64_t size);
uint64_t ConsistencyProofLength(uint64_t size1, uint64_t size2);

// ---- verifying (RFC 9162) ----

// Recomputes the root from an inclusion proof (RFC 9162 §2.1.3.2 steps 1-4).
Result<Hash> RootFromInclusionProof(uint64_t index, uint64_t size, const Hash& leaf_hash,
                                    std::span<const Hash> proof);

// Ok iff `proof` proves that `leaf_hash` is leaf `index` of the tree of
// `size` leaves whose root is `root`.
Status VerifyInclusion(uint64_t index, uint64_t size, const Hash& leaf_hash,
                       std::span<const Hash> proof, const Hash& root);

// Ok iff `proof` proves that the tree (size1, root1) is a prefix of the tree
// (size2, root2). size1 == size2 needs an empty proof and equal roots;
// size1 == 0 needs an empty proof and root1 == EmptyRoot().
Status VerifyConsistency(uint64_t size1, uint64_t size2, std::span<const Hash> proof,
                         const Hash& root1, const Hash& root2);

}  // namespace ftz::ledger
