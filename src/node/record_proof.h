// Proofs about single log records: the commitment a record's leaf is made
// of, the record encoding carried in a proof bundle's `extra` line, and the
// offline check of such a bundle (`ftzport verify`, GET /v1/proofs/bundle).
//
// A leaf commits to its record (docs/ledger-format.md §0):
//   commitment = SHA-256(u8 type || u64 seq LE || i64 time LE || SHA-256(payload))
//   leaf hash  = SHA-256(0x00 || commitment)
// The public entry bundles (tile/entries/...) hold the commitments; a proof
// bundle's `extra` holds one record (this file's RecordExtra, docs §7.1), so
// whoever was given the bundle recomputes the commitment and the leaf and
// needs nothing else from the log. `extra` is not authenticated by itself: it
// is trusted only because its recomputed leaf is proven to be in a checkpoint
// signed by a trusted key.
//
// Contract:
//  * Ownership: values in, values out.
//  * Thread safety: pure functions; callable concurrently.
//  * Errors (never a crash): InvalidArgument for a malformed extra or bundle
//    (wrong magic, truncated, trailing bytes, seq not the bundle's index,
//    commitment not matching the record, wrong number of proof hashes);
//    FailedPrecondition when a signature or the inclusion proof does not
//    verify.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "core/time.h"
#include "ledger/checkpoint.h"
#include "ledger/hash.h"
#include "ledger/note.h"
#include "node/ledger_writer.h"
#include "stream/log.h"

namespace ftz::node {

// RecordCommitment and RecordLeaf: ledger_writer.h.

// "message", "receipt", "tick", "admin", or "type N".
std::string RecordTypeName(stream::RecordType type);

// A record that owns its payload.
struct OwnedRecord {
  uint64_t seq = 0;
  UnixMillis time = 0;
  stream::RecordType type = stream::RecordType::kMessage;
  std::string payload;
  bool operator==(const OwnedRecord&) const = default;
};

inline constexpr std::string_view kRecordExtraMagic = "FTZREC01";

// The bytes of a bundle's `extra` for `r` (before base64):
//   "FTZREC01" | u64 seq | i64 time | u8 type | 3 zero bytes |
//   commitment (32) | u32 payload length | payload          (integers LE)
std::string EncodeRecordExtra(const OwnedRecord& r);
// Checks the layout and that the commitment matches the record.
Result<OwnedRecord> DecodeRecordExtra(std::string_view extra);

// A tlog-proof bundle for record `r` (extra = EncodeRecordExtra(r)).
Result<std::string> MakeRecordBundle(const OwnedRecord& r, const std::vector<ledger::Hash>& proof,
                                     std::string_view signed_checkpoint);

struct VerifiedRecord {
  OwnedRecord record;
  ledger::Hash commitment{};
  ledger::Hash leaf{};
  ledger::VerifiedCheckpoint checkpoint;
};

// Verifies a bundle made by MakeRecordBundle: the checkpoint's signatures
// against `keys` (and `origin` if not empty), the record in `extra` against
// its commitment, and the inclusion of its leaf at the bundle's index.
Result<VerifiedRecord> VerifyRecordBundle(std::string_view bundle, const ledger::VerifierSet& keys,
                                          std::string_view origin = {});

}  // namespace ftz::node
