// A second, deliberately naive Merkle tree implementation written straight
// from the recursive definitions of RFC 6962 §2.1 (MTH), §2.1.1 (PATH) and
// §2.1.2 (PROOF / SUBPROOF), working on the complete list of leaves. Tests use
// it to cross-check proof.h, which computes the same values iteratively from
// stored nodes and verifies them with RFC 9162's bit-twiddling algorithms.
//
// It shares no hashing code with hash.cc (it calls OpenSSL's one-shot
// EVP_Digest itself and spells out the 0x00/0x01 prefixes), so a bug in one
// implementation cannot hide the same bug in the other.
//
// Contract: test-only; pure functions over the inputs; thread-safe. Costs are
// O(n) hashes per call (no caching), fine for the small trees tests use.
// Preconditions (checked with assert, as this never sees untrusted input):
// m < n for Path, 0 < m <= n for Proof.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ledger/hash.h"

namespace ftz::ledger::internal {

// RFC 6962 MTH over leaf *data* (the inputs D[0..n)).
Hash ReferenceMth(const std::vector<std::string>& leaves);

// RFC 6962 PATH(m, D[n]): audit path for leaf m.
std::vector<Hash> ReferencePath(uint64_t m, const std::vector<std::string>& leaves);

// RFC 6962 PROOF(m, D[n]): consistency proof from size m to size n.
std::vector<Hash> ReferenceProof(uint64_t m, const std::vector<std::string>& leaves);

// Independent checks: recompute what a correct proof must be and compare.
bool ReferenceInclusionHolds(uint64_t m, const std::vector<std::string>& leaves,
                             const std::vector<Hash>& proof);
bool ReferenceConsistencyHolds(uint64_t m, const std::vector<std::string>& leaves,
                               const std::vector<Hash>& proof);

}  // namespace ftz::ledger::internal
