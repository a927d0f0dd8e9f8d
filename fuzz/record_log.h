// The record log of proof_bundle_fuzz and seed_gen: leaf i commits to
// RecordOf(i) as the node's ledger does (node/record_proof.h), signed with the
// kRecordsOrigin keys of fuzz_fixture.h.
#pragma once

#include <cstdint>
#include <string>

#include "fuzz_fixture.h"
#include "ledger/tree.h"
#include "node/ledger_writer.h"
#include "node/record_proof.h"

namespace ftz::fuzzing {

inline constexpr uint64_t kRecords = 21;

inline node::OwnedRecord RecordOf(uint64_t seq) {
  node::OwnedRecord r;
  r.seq = seq;
  r.time = 1'700'000'000'000 + static_cast<UnixMillis>(seq) * 1000;
  r.type = static_cast<stream::RecordType>(1 + seq % 4);
  r.payload = r.type == stream::RecordType::kTick ? "" : "record " + std::to_string(seq);
  return r;
}

inline ledger::MemoryTree RecordTree() {
  ledger::MemoryTree t;
  for (uint64_t i = 0; i < kRecords; ++i) {
    const node::OwnedRecord r = RecordOf(i);
    Must(t.Append(node::RecordLeaf(r.type, r.seq, r.time, r.payload)));
  }
  return t;
}

}  // namespace ftz::fuzzing
