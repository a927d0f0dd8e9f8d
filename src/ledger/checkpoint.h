// Checkpoints (c2sp.org/tlog-checkpoint): the signed statement "the log
// named <origin> had <size> leaves with root hash <root>", as the text of a
// signed note (note.h).
//
//   <origin>\n                 non-empty; by convention a schema-less URL
//   <tree size>\n              ASCII decimal, no leading zeros ("0" if empty)
//   <base64 root hash>\n       standard base64 of the 32-byte RFC 6962 root
//   [<extension line>\n ...]   optional, each non-empty (not recommended)
//
// Contract:
//  * Ownership: values in, values out.
//  * Thread safety: pure functions; callable concurrently.
//  * Errors: InvalidArgument for a malformed body (missing line, leading
//    zero, bad base64, hash not 32 bytes, empty line, control characters)
//    or wrong origin; FailedPrecondition when signatures do not verify (see
//    OpenNote in note.h).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "ledger/hash.h"
#include "ledger/note.h"

namespace ftz::ledger {

struct Checkpoint {
  std::string origin;
  uint64_t size = 0;
  Hash root{};
  std::vector<std::string> extensions;  // without their newlines

  bool operator==(const Checkpoint&) const = default;
};

// The note text of a checkpoint. InvalidArgument if a field cannot be
// represented (empty origin, a newline inside a line, empty extension).
Result<std::string> FormatCheckpoint(const Checkpoint& cp);

// Parses a checkpoint note text (not a signed note).
Result<Checkpoint> ParseCheckpoint(std::string_view text);

// Formats and signs with every signer (the log's key, optionally more, e.g.
// an Ed25519 key for the public witness network and an SM2 key).
Result<std::string> SignCheckpoint(const Checkpoint& cp, std::span<const Signer> signers);

struct VerifiedCheckpoint {
  Checkpoint checkpoint;
  VerifiedNote note;
};

// Verifies a signed checkpoint against `known` and parses it. If
// `expected_origin` is not empty the origin line must equal it.
Result<VerifiedCheckpoint> OpenCheckpoint(std::string_view signed_checkpoint,
                                          const VerifierSet& known,
                                          std::string_view expected_origin = {});

}  // namespace ftz::ledger
