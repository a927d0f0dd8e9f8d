// Audit of a stopped data directory (`ftzport audit --data DIR`): recomputes
// every log record's leaf from its bytes and checks it against the ledger
// the window published -- the stored hash tiles and a signed checkpoint --
// reporting the first record whose bytes no longer match.
//
// What is compared, in log order, stopping at the first finding:
//  1. each segment's framing: header, record bounds, CRC-32 and sequence
//     numbers (docs/log-format.md). A record whose CRC fails was altered (or
//     its segment damaged); it is reported with its index and byte offset.
//     Only damage past everything the ledger covers, at the end of the last
//     segment, is taken for an unsynced tail a crash left (a note, not a
//     finding): the window never published anything about those bytes.
//  2. each record's leaf (record_proof.h) against the level-0 tile hash of
//     the tile store: this catches a tamperer who also fixed the CRC.
//  3. the root of the recomputed tree at the signed checkpoint's size
//     against the checkpoint's root (after verifying its signature), and at
//     the tile store's size against the store's recorded root. This catches
//     a tamperer who rewrote the tiles too; the record can then not be
//     pinpointed (Finding::seq is kUnknownSeq).
//  4. a log shorter than what the ledger covers (records removed).
//
// The audit never writes: it reads the segments, the tile state file and
// the tiles itself (no Log::Open, no TileStore::Open, both of which repair),
// so a tampered directory is left exactly as found.
//
// Contract:
//  * Ownership: values in, a report out.
//  * Thread safety: reentrant; runs on a stopped directory (on a live one the
//    tail may be reported as unsynced).
//  * Errors: the returned Status is for an audit that could not be made at
//    all (no log directory, unreadable files, a malformed or unverifiable
//    checkpoint or key: InvalidArgument / FailedPrecondition / IOError).
//    Tampering is not an error: it is AuditReport::finding.
#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "env/env.h"
#include "ledger/note.h"

namespace ftz::node {

struct AuditOptions {
  std::string data_dir;
  // A signed checkpoint (the note text). Empty: DATA/ledger/checkpoint if that
  // file exists, else the audit checks against the tiles only.
  std::string checkpoint;
  // Keys to verify the checkpoint with. Empty: the public half of
  // DATA/keys/ledger.key (weaker: whoever can rewrite the directory can
  // replace that key too, so an auditor should pass the key it trusts).
  ledger::VerifierSet keys;
  std::string origin;  // expected checkpoint origin; empty: any
  Env* env = nullptr;  // null: Env::Default()
};

inline constexpr uint64_t kUnknownSeq = std::numeric_limits<uint64_t>::max();

struct AuditFinding {
  uint64_t seq = kUnknownSeq;  // leaf index of the first record that does not match
  std::string segment;         // its segment file ("" if unknown)
  uint64_t offset = 0;         // byte offset of the record in the segment
  std::string what;            // what does not match
};

struct AuditReport {
  uint64_t records = 0;          // records read and checked
  uint64_t segments = 0;         // segment files read
  uint64_t tiles_size = 0;       // leaves in the tile store's committed state
  uint64_t checkpoint_size = 0;  // size of the verified checkpoint (0 if none)
  bool checkpoint_verified = false;
  std::optional<AuditFinding> finding;  // the first mismatch; none: all match
  std::vector<std::string> notes;       // informational (key source, unsynced tail, ...)
  bool clean() const { return !finding.has_value(); }
};

Result<AuditReport> AuditDataDir(const AuditOptions& options);

}  // namespace ftz::node
