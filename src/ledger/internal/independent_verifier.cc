#include "ledger/internal/independent_verifier.h"

#include <openssl/evp.h>

#include <cassert>
#include <cstdlib>
#include <cstring>

namespace ftz::ledger::internal {
namespace {

using Leaves = std::vector<std::string>;

Hash Sha256Of(const std::string& bytes) {
  Hash out;
  unsigned int len = 0;
  if (EVP_Digest(bytes.data(), bytes.size(), out.data(), &len, EVP_sha256(), nullptr) != 1 ||
      len != out.size()) {
    std::abort();
  }
  return out;
}

// Leaf hash: SHA-256(0x00 || d(0)).
Hash LeafHash(const std::string& data) { return Sha256Of(std::string(1, '\0') + data); }

// Node hash: SHA-256(0x01 || MTH(left) || MTH(right)).
Hash NodeHash(const Hash& l, const Hash& r) {
  std::string buf(1, '\x01');
  buf.append(reinterpret_cast<const char*>(l.data()), l.size());
  buf.append(reinterpret_cast<const char*>(r.data()), r.size());
  return Sha256Of(buf);
}

// "k be the largest power of two smaller than n (i.e., k < n <= 2k)".
uint64_t LargestPowerOfTwoBelow(uint64_t n) {
  assert(n > 1);
  uint64_t k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

// MTH(D[begin:end]) -- the spec's D[n] is the subsequence leaves[begin, end).
Hash Mth(const Leaves& d, uint64_t begin, uint64_t end) {
  uint64_t n = end - begin;
  if (n == 0) return Sha256Of(std::string());  // MTH({}) = SHA-256()
  if (n == 1) return LeafHash(d[begin]);       // MTH({d(0)}) = SHA-256(0x00 || d(0))
  uint64_t k = LargestPowerOfTwoBelow(n);
  return NodeHash(Mth(d, begin, begin + k), Mth(d, begin + k, end));
}

// PATH(m, D[n]) over D = leaves[begin, end).
void Path(uint64_t m, const Leaves& d, uint64_t begin, uint64_t end, std::vector<Hash>* out) {
  uint64_t n = end - begin;
  assert(m < n);
  if (n == 1) return;  // PATH(0, {d(0)}) = {}
  uint64_t k = LargestPowerOfTwoBelow(n);
  if (m < k) {
    // PATH(m, D[n]) = PATH(m, D[0:k]) : MTH(D[k:n])
    Path(m, d, begin, begin + k, out);
    out->push_back(Mth(d, begin + k, end));
  } else {
    // PATH(m, D[n]) = PATH(m - k, D[k:n]) : MTH(D[0:k])
    Path(m - k, d, begin + k, end, out);
    out->push_back(Mth(d, begin, begin + k));
  }
}

// SUBPROOF(m, D[n], b) over D = leaves[begin, end).
void Subproof(uint64_t m, const Leaves& d, uint64_t begin, uint64_t end, bool b,
              std::vector<Hash>* out) {
  uint64_t n = end - begin;
  if (m == n) {
    // SUBPROOF(m, D[m], true) = {};  SUBPROOF(m, D[m], false) = {MTH(D[m])}
    if (!b) out->push_back(Mth(d, begin, end));
    return;
  }
  uint64_t k = LargestPowerOfTwoBelow(n);
  if (m <= k) {
    // SUBPROOF(m, D[n], b) = SUBPROOF(m, D[0:k], b) : MTH(D[k:n])
    Subproof(m, d, begin, begin + k, b, out);
    out->push_back(Mth(d, begin + k, end));
  } else {
    // SUBPROOF(m, D[n], b) = SUBPROOF(m - k, D[k:n], false) : MTH(D[0:k])
    Subproof(m - k, d, begin + k, end, false, out);
    out->push_back(Mth(d, begin, begin + k));
  }
}

}  // namespace

Hash ReferenceMth(const Leaves& leaves) { return Mth(leaves, 0, leaves.size()); }

std::vector<Hash> ReferencePath(uint64_t m, const Leaves& leaves) {
  std::vector<Hash> out;
  Path(m, leaves, 0, leaves.size(), &out);
  return out;
}

std::vector<Hash> ReferenceProof(uint64_t m, const Leaves& leaves) {
  assert(m > 0 && m <= leaves.size());
  std::vector<Hash> out;
  // PROOF(m, D[n]) = SUBPROOF(m, D[n], true)
  Subproof(m, leaves, 0, leaves.size(), true, &out);
  return out;
}

bool ReferenceInclusionHolds(uint64_t m, const Leaves& leaves, const std::vector<Hash>& proof) {
  if (m >= leaves.size()) return false;
  return ReferencePath(m, leaves) == proof;
}

bool ReferenceConsistencyHolds(uint64_t m, const Leaves& leaves, const std::vector<Hash>& proof) {
  if (m == 0 || m > leaves.size()) return false;
  return ReferenceProof(m, leaves) == proof;
}

}  // namespace ftz::ledger::internal
