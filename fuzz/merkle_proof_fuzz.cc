// Fuzz target: inclusion and consistency proof verification (ledger/proof.h)
// with fuzzed indices, sizes and proof paths -- what a proof bundle or a
// witness request hands the verifiers. Entry points: ledger::VerifyInclusion,
// RootFromInclusionProof, VerifyConsistency, InclusionProofLength,
// ConsistencyProofLength, and the producers InclusionProof/ConsistencyProof.
//
// Input layout (first byte = mode):
//   mode & 3 == 0  inclusion in the fixture's 70-leaf log: [size][index][leaf]
//                  [count] then `count` proof elements
//   mode & 3 == 1  consistency in that log: [size1][size2][root1][count] ...
//     A proof element is one byte: below 0xF0 it picks a hash from a pool (the
//     correct proof first, then every complete node and every root of the
//     log), 0xF0 and above takes the next 32 input bytes as the hash. The
//     leaf/root1 byte picks the real one below 0x80, else a pool hash.
//   mode & 3 == 2  inclusion, raw: u64 index, u64 size (big-endian), [count],
//                  then raw 32-byte hashes; count is the expected length when
//                  mode & 0x10 (so huge trees get well-formed proofs)
//   mode & 3 == 3  consistency, raw: u64 size1, u64 size2, [count], root1,
//                  root2, raw hashes (same 0x10 rule)
//
// Properties (besides no crash and no sanitizer report): in the real log, a
// proof verifies if and only if it is the RFC 6962 one computed by the
// independent recursive implementation (src/ledger/internal) for a true
// leaf/old root -- so every hostile path is refused and every honest one
// accepted; the producers agree with it and with the length functions. Raw:
// errors are InvalidArgument/FailedPrecondition only, an accepted proof has
// the expected length and sizes within 2^63, and RootFromInclusionProof
// agrees with VerifyInclusion.
//
// libFuzzer (clang, -DFTZ_FUZZ=ON):  build/fuzz/fuzz/merkle_proof_fuzz fuzz/corpus/merkle_proof
// CI replays the committed corpus with any compiler: ctest -R merkle_proof_fuzz_replay
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <vector>

#include "fuzz_fixture.h"
#include "ledger/hash.h"
#include "ledger/internal/independent_verifier.h"
#include "ledger/proof.h"
#include "ledger/tree.h"

namespace {

using ftz::StatusCode;
using ftz::fuzzing::Check;
namespace ledger = ftz::ledger;
namespace ref = ftz::ledger::internal;
using ledger::Hash;

class Input {
 public:
  Input(const uint8_t* data, size_t size) : data_(data), size_(size) {}
  uint8_t Byte() { return pos_ < size_ ? data_[pos_++] : 0; }
  uint64_t U64() {
    uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v = (v << 8) | Byte();
    return v;
  }
  Hash Raw() {
    Hash h{};
    for (auto& b : h) b = Byte();
    return h;
  }

 private:
  const uint8_t* data_;
  size_t size_;
  size_t pos_ = 0;
};

struct Fixture {
  std::vector<std::string> leaves = ftz::fuzzing::LeafDatas(false);
  ledger::MemoryTree tree = ftz::fuzzing::TreeOf(leaves);
  std::vector<std::vector<std::string>> prefixes;  // prefixes[s]: the first s leaves
  std::vector<Hash> roots;                         // roots[s]: their root
  std::vector<Hash> nodes;                         // every complete node
  Fixture() {
    for (uint64_t s = 0; s <= leaves.size(); ++s) {
      prefixes.emplace_back(leaves.begin(), leaves.begin() + static_cast<ptrdiff_t>(s));
      roots.push_back(ref::ReferenceMth(prefixes.back()));
      Check(*ledger::RootAt(s, tree) == roots.back(), "RootAt matches the reference");
    }
    for (uint32_t level = 0; (uint64_t{1} << level) <= leaves.size(); ++level) {
      for (uint64_t i = 0; ((i + 1) << level) <= leaves.size(); ++i) {
        nodes.push_back(*tree.NodeHash(level, i));
      }
    }
  }
};

const Fixture& F() {
  static const Fixture* f = new Fixture();
  return *f;
}

// The pool a proof element is picked from: the correct proof first.
std::vector<Hash> Pool(const std::vector<Hash>& correct) {
  const Fixture& f = F();
  std::vector<Hash> pool = correct;
  pool.insert(pool.end(), f.nodes.begin(), f.nodes.end());
  pool.insert(pool.end(), f.roots.begin(), f.roots.end());
  return pool;
}

Hash Pick(Input* in, const std::vector<Hash>& pool) {
  uint8_t e = in->Byte();
  if (e >= 0xF0) return in->Raw();
  return pool[e % pool.size()];
}

std::vector<Hash> ReadProof(Input* in, const std::vector<Hash>& pool) {
  std::vector<Hash> proof(in->Byte() % 72);
  for (Hash& h : proof) h = Pick(in, pool);
  return proof;
}

bool ErrorKindOk(const ftz::Status& s) {
  return s.ok() || s.code() == StatusCode::kInvalidArgument ||
         s.code() == StatusCode::kFailedPrecondition;
}

void RealInclusion(Input* in) {
  const Fixture& f = F();
  const uint64_t n = f.leaves.size();
  const uint64_t size = 1 + in->Byte() % n;
  const uint64_t index = in->Byte() % (size + 2);
  const bool inside = index < size;
  std::vector<Hash> correct;
  if (inside) {
    correct = ref::ReferencePath(index, f.prefixes[size]);
    auto produced = ledger::InclusionProof(index, size, f.tree);
    Check(produced.ok() && *produced == correct, "InclusionProof is RFC 6962's PATH");
    Check(ledger::InclusionProofLength(index, size) == correct.size(), "inclusion length");
    Check(ledger::VerifyInclusion(index, size, *f.tree.NodeHash(0, index), correct, f.roots[size])
              .ok(),
          "the honest proof verifies");
  }
  const std::vector<Hash> pool = Pool(correct);
  const uint8_t leaf_sel = in->Byte();
  const Hash real_leaf = *f.tree.NodeHash(0, index % n);
  const Hash leaf = leaf_sel < 0x80 ? real_leaf : pool[leaf_sel % pool.size()];
  const std::vector<Hash> proof = ReadProof(in, pool);

  const ftz::Status st = ledger::VerifyInclusion(index, size, leaf, proof, f.roots[size]);
  Check(ErrorKindOk(st), "error kinds");
  const bool truth = inside && leaf == real_leaf && proof == correct;
  Check(st.ok() == truth, "an inclusion proof verifies iff it is the true path of the true leaf");
  ftz::Result<Hash> r = ledger::RootFromInclusionProof(index, size, leaf, proof);
  Check(r.ok() ? (*r == f.roots[size]) == truth : !truth, "RootFromInclusionProof agrees");
}

void RealConsistency(Input* in) {
  const Fixture& f = F();
  const uint64_t n = f.leaves.size();
  const uint64_t size1 = in->Byte() % (n + 1);
  const uint64_t size2 = in->Byte() % (n + 1);
  std::vector<Hash> correct;
  if (0 < size1 && size1 < size2) {
    correct = ref::ReferenceProof(size1, f.prefixes[size2]);
    auto produced = ledger::ConsistencyProof(size1, size2, f.tree);
    Check(produced.ok() && *produced == correct, "ConsistencyProof is RFC 6962's PROOF");
    Check(ledger::ConsistencyProofLength(size1, size2) == correct.size(), "consistency length");
    Check(ledger::VerifyConsistency(size1, size2, correct, f.roots[size1], f.roots[size2]).ok(),
          "the honest proof verifies");
  }
  const std::vector<Hash> pool = Pool(correct);
  const uint8_t root_sel = in->Byte();
  const Hash root1 = root_sel < 0x80 ? f.roots[size1] : pool[root_sel % pool.size()];
  const std::vector<Hash> proof = ReadProof(in, pool);

  const ftz::Status st = ledger::VerifyConsistency(size1, size2, proof, root1, f.roots[size2]);
  Check(ErrorKindOk(st), "error kinds");
  bool truth;
  if (size1 > size2) {
    truth = false;
  } else if (size1 == 0) {
    truth = proof.empty() && root1 == ledger::EmptyRoot();
  } else if (size1 == size2) {
    truth = proof.empty() && root1 == f.roots[size2];
  } else {
    truth = proof == correct && root1 == f.roots[size1];
  }
  Check(st.ok() == truth, "a consistency proof verifies iff it is the true proof of the true root");
}

void RawInclusion(Input* in, bool exact) {
  const uint64_t index = in->U64();
  const uint64_t size = in->U64();
  const uint8_t count = in->Byte();
  const uint64_t want = ledger::InclusionProofLength(index, size);
  Check(want <= 64, "a path has at most 64 hashes");
  Check(size > ledger::kMaxTreeSize || want <= 63, "at most 63 within 2^63 leaves");
  std::vector<Hash> proof(exact ? want : count % 72);
  const Hash leaf = in->Raw();
  for (Hash& h : proof) h = in->Raw();
  ftz::Result<Hash> r = ledger::RootFromInclusionProof(index, size, leaf, proof);
  Check(ErrorKindOk(r.status()), "error kinds");
  if (r.ok()) {
    Check(index < size && size <= ledger::kMaxTreeSize, "accepted sizes are in range");
    Check(proof.size() == want, "accepted proofs have the expected length");
    Check(ledger::VerifyInclusion(index, size, leaf, proof, *r).ok(),
          "the recomputed root verifies");
  } else {
    Check(!ledger::VerifyInclusion(index, size, leaf, proof, leaf).ok(),
          "a refused proof stays refused");
  }
}

void RawConsistency(Input* in, bool exact) {
  const uint64_t size1 = in->U64();
  const uint64_t size2 = in->U64();
  const uint8_t count = in->Byte();
  const uint64_t want = ledger::ConsistencyProofLength(size1, size2);
  Check(want <= 65, "a consistency proof has at most 65 hashes");
  std::vector<Hash> proof(exact ? want : count % 72);
  const Hash root1 = in->Raw();
  const Hash root2 = in->Raw();
  for (Hash& h : proof) h = in->Raw();
  const ftz::Status st = ledger::VerifyConsistency(size1, size2, proof, root1, root2);
  Check(ErrorKindOk(st), "error kinds");
  if (st.ok()) {
    Check(size1 <= size2 && size2 <= ledger::kMaxTreeSize, "accepted sizes are in range");
    const bool trivial = size1 == 0 || size1 == size2;
    Check(proof.size() == (trivial ? 0 : want), "accepted proofs have the expected length");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Input in(data, size);
  const uint8_t mode = in.Byte();
  switch (mode & 3) {
    case 0:
      RealInclusion(&in);
      break;
    case 1:
      RealConsistency(&in);
      break;
    case 2:
      RawInclusion(&in, (mode & 0x10) != 0);
      break;
    case 3:
      RawConsistency(&in, (mode & 0x10) != 0);
      break;
  }
  return 0;
}
