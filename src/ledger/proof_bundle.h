// Offline-verifiable proofs of inclusion (c2sp.org/tlog-proof@v1): one text
// file carrying everything needed to check that a record is in the ledger --
// the leaf index, the inclusion proof and the log's signed checkpoint
// (possibly with witness cosignatures).
//
//   c2sp.org/tlog-proof@v1\n
//   [extra <base64 opaque data>\n]      optional, NOT authenticated
//   index <decimal leaf index>\n
//   <base64 proof hash>\n                zero or more, leaf's sibling first
//   \n
//   <signed checkpoint, verbatim>
//
// Contract:
//  * Ownership: values in, values out.
//  * Thread safety: pure functions; callable concurrently.
//  * Errors: InvalidArgument for malformed or truncated bundles (wrong header,
//    bad base64, hash not 32 bytes, missing index or separator, leading
//    zeros, wrong number of proof hashes, wrong origin); FailedPrecondition
//    when the checkpoint's signatures or the inclusion proof do not verify.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "ledger/checkpoint.h"
#include "ledger/hash.h"
#include "ledger/note.h"

namespace ftz::ledger {

inline constexpr std::string_view kProofBundleHeader = "c2sp.org/tlog-proof@v1";

struct ProofBundle {
  std::optional<std::string> extra;  // raw bytes; unauthenticated
  uint64_t index = 0;
  std::vector<Hash> proof;
  std::string checkpoint;  // signed note, verbatim

  bool operator==(const ProofBundle&) const = default;
};

// The wire form. InvalidArgument if the checkpoint is empty or does not end
// with a newline.
Result<std::string> EncodeProofBundle(const ProofBundle& bundle);

// Syntax only (no signature or proof checking).
Result<ProofBundle> ParseProofBundle(std::string_view text);

struct VerifiedProofBundle {
  ProofBundle bundle;
  VerifiedCheckpoint checkpoint;
};

// Parses `text`, verifies the checkpoint against `known` (and `origin` if not
// empty) and verifies that `leaf_hash` is at bundle.index in that tree.
Result<VerifiedProofBundle> VerifyProofBundle(std::string_view text, const Hash& leaf_hash,
                                              const VerifierSet& known,
                                              std::string_view origin = {});

}  // namespace ftz::ledger
