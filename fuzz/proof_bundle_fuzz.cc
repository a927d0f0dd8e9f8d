// Fuzz target: any bytes as a tlog-proof bundle verified offline (`ftzport
// verify --bundle`, GET /v1/proofs/bundle), with the fixed keys of the
// record log (record_log.h): leaf i commits to RecordOf(i) as in
// node/record_proof.h. Entry points: ledger::ParseProofBundle,
// EncodeProofBundle, VerifyProofBundle, and node::VerifyRecordBundle (what
// the CLI calls on a bundle file).
//
// Properties (besides no crash and no sanitizer report):
//  * ParseProofBundle/EncodeProofBundle round-trip byte for byte;
//  * whatever VerifyProofBundle accepts is true of the real log: the signed
//    root is the log's root at that size, the proof is the one audit path of
//    that leaf (nothing else verifies), and a neighbouring leaf is refused;
//  * whatever VerifyRecordBundle accepts is the log's real record at that
//    index (the unauthenticated extra line cannot smuggle another record);
//  * errors are InvalidArgument or FailedPrecondition only.
//
// libFuzzer (clang, -DFTZ_FUZZ=ON):  build/fuzz/fuzz/proof_bundle_fuzz fuzz/corpus/proof_bundle
// CI replays the committed corpus with any compiler: ctest -R proof_bundle_fuzz_replay
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_fixture.h"
#include "ledger/proof.h"
#include "ledger/proof_bundle.h"
#include "node/record_proof.h"
#include "record_log.h"

namespace {

using ftz::StatusCode;
using ftz::fuzzing::Check;
namespace ledger = ftz::ledger;

struct Fixture {
  ledger::VerifierSet known = ftz::fuzzing::LogVerifiers(ftz::fuzzing::kRecordsOrigin);
  ledger::MemoryTree tree = ftz::fuzzing::RecordTree();
  std::vector<ledger::Hash> roots;  // roots[s]: root of the first s leaves
  Fixture() {
    for (uint64_t s = 0; s <= tree.size(); ++s) roots.push_back(*ledger::RootAt(s, tree));
  }
};

const Fixture& F() {
  static const Fixture* f = new Fixture();
  return *f;
}

bool ErrorKindOk(const ftz::Status& s) {
  return s.code() == StatusCode::kInvalidArgument || s.code() == StatusCode::kFailedPrecondition;
}

void CheckRoundTrip(std::string_view in) {
  ftz::Result<ledger::ProofBundle> b = ledger::ParseProofBundle(in);
  if (!b.ok()) {
    Check(b.status().code() == StatusCode::kInvalidArgument, "syntax errors are InvalidArgument");
    return;
  }
  Check(b->proof.size() <= 63, "at most 63 proof hashes");
  Check(!b->checkpoint.empty(), "a bundle has a checkpoint");
  ftz::Result<std::string> out = ledger::EncodeProofBundle(*b);
  if (b->checkpoint.back() != '\n') {
    // Parse takes the checkpoint verbatim; Encode insists on a final newline
    // (which every signed note has), so such a bundle never verifies.
    Check(!out.ok(), "encode refuses a checkpoint without its newline");
    return;
  }
  Check(out.ok(), "a parsed bundle encodes");
  Check(*out == in, "bundle round trip is byte for byte");
  ftz::Result<ledger::ProofBundle> again = ledger::ParseProofBundle(*out);
  Check(again.ok() && *again == *b, "an encoded bundle parses to itself");
}

void CheckVerify(std::string_view in, std::string_view origin) {
  const Fixture& f = F();
  ftz::Result<ledger::ProofBundle> b = ledger::ParseProofBundle(in);
  const uint64_t index = b.ok() ? b->index : 0;
  // The leaf the verifier is asked about: the real leaf at the claimed index
  // (or, past the log's end, some leaf of the log).
  const uint64_t real = index < f.tree.size() ? index : index % f.tree.size();
  const ledger::Hash leaf = *f.tree.NodeHash(0, real);
  ftz::Result<ledger::VerifiedProofBundle> v = ledger::VerifyProofBundle(in, leaf, f.known, origin);
  if (!v.ok()) {
    Check(ErrorKindOk(v.status()), "errors are InvalidArgument or FailedPrecondition");
    return;
  }
  Check(b.ok() && v->bundle == *b, "verified bundle is the parsed one");
  const ledger::Checkpoint& cp = v->checkpoint.checkpoint;
  Check(origin.empty() || cp.origin == origin, "origin enforced");
  // Only fuzz_fixture's log signs with this key, and only real roots.
  Check(cp.size < f.roots.size() && cp.root == f.roots[cp.size], "signed root is the log's");
  Check(index < cp.size && index == real, "index inside the tree");
  ftz::Result<std::vector<ledger::Hash>> path = ledger::InclusionProof(index, cp.size, f.tree);
  Check(path.ok() && *path == b->proof, "the one audit path is the only one that verifies");
  // The same bundle must not prove a neighbouring leaf.
  const ledger::Hash other = *f.tree.NodeHash(0, (index + 1) % f.tree.size());
  Check(!ledger::VerifyProofBundle(in, other, f.known, origin).ok(), "another leaf is refused");
}

void CheckRecord(std::string_view in) {
  const Fixture& f = F();
  ftz::Result<ftz::node::VerifiedRecord> v = ftz::node::VerifyRecordBundle(in, f.known);
  if (!v.ok()) {
    Check(ErrorKindOk(v.status()), "errors are InvalidArgument or FailedPrecondition");
    return;
  }
  const uint64_t seq = v->record.seq;
  Check(seq < f.tree.size(), "a verified record is in the log");
  Check(v->record == ftz::fuzzing::RecordOf(seq), "a verified record is the log's record");
  Check(v->leaf == *f.tree.NodeHash(0, seq), "its leaf is the log's leaf");
  const ledger::Checkpoint& cp = v->checkpoint.checkpoint;
  Check(cp.size < f.roots.size() && cp.root == f.roots[cp.size] && seq < cp.size,
        "signed root is the log's");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  CheckRoundTrip(in);
  CheckVerify(in, "");
  CheckVerify(in, ftz::fuzzing::kRecordsOrigin);
  CheckRecord(in);
  return 0;
}
