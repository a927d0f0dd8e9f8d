// Fixed keys and logs shared by the fuzz targets and by seed_gen.cc, which
// made their seed corpora: everything here is deterministic (fixed Ed25519
// seeds and SM2 scalars, fixed leaves), so a checkpoint or bundle signed once
// by seed_gen verifies in every later run of the targets.
//
// Not test support for anything else: keys made from public constants sign
// nothing real.
#pragma once

#include <array>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "ledger/checkpoint.h"
#include "ledger/hash.h"
#include "ledger/note.h"
#include "ledger/proof.h"
#include "ledger/tree.h"

namespace ftz::fuzzing {

// A property failure is a bug: stop loudly so that libFuzzer keeps the input
// (and the replay test fails).
inline void Check(bool ok, const char* what) {
  if (!ok) __builtin_trap();
  (void)what;
}

// Setup that cannot fail unless the fixture itself is wrong.
template <class T>
T Must(Result<T> r) {
  if (!r.ok()) std::abort();
  return std::move(*r);
}

inline constexpr const char* kLogOrigin = "fuzz.example/log";
// The record log of record_log.h (proof bundles): its own keys.
inline constexpr const char* kRecordsOrigin = "fuzz.example/records";
inline constexpr const char* kWitnessName = "witness.example/w1";
// The witness's clock (POSIX seconds) in witness_fuzz.
inline constexpr uint64_t kWitnessTime = 1'700'000'000;

inline ledger::Hash Bytes32(uint8_t first, uint8_t step) {
  ledger::Hash b{};
  for (size_t i = 0; i < b.size(); ++i) b[i] = static_cast<uint8_t>(first + step * i);
  return b;
}

// The log's two keys: Ed25519 (seed 01 08 0f ...) and SM2 (d = 11 14 17 ...);
// the record log's: seed 02 0b 14 ... and d = 21 26 2b ...
inline ledger::Signer LogEd25519(const std::string& name = kLogOrigin) {
  ledger::Hash seed = name == kRecordsOrigin ? Bytes32(2, 9) : Bytes32(1, 7);
  return Must(ledger::Signer::FromPrivateKey(name, ledger::KeyType::kEd25519, seed));
}
inline ledger::Signer LogSm2(const std::string& name = kLogOrigin) {
  ledger::Hash d = name == kRecordsOrigin ? Bytes32(0x21, 5) : Bytes32(0x11, 3);
  return Must(ledger::Signer::FromPrivateKey(name, ledger::KeyType::kSm2Sm3, d));
}
// A key nobody trusts (same name as the log's: a signature by it must be
// ignored or rejected, never counted).
inline ledger::Signer StrangerEd25519(const std::string& name = kLogOrigin) {
  ledger::Hash seed = Bytes32(0x42, 5);
  return Must(ledger::Signer::FromPrivateKey(name, ledger::KeyType::kEd25519, seed));
}

// What a port or an auditor trusts: the log's two keys.
inline ledger::VerifierSet LogVerifiers(const std::string& name = kLogOrigin) {
  ledger::VerifierSet set;
  if (!set.Add(LogEd25519(name).verifier()).ok() || !set.Add(LogSm2(name).verifier()).ok()) {
    std::abort();
  }
  return set;
}

// The witness key of src/witness/test_log.h (seed 00 01 .. 1f).
inline ledger::Hash WitnessSeed() { return Bytes32(0, 1); }

// The leaves of the plain log ("leaf 0", "leaf 1", ...) and of a fork that
// shares its first kForkAt leaves.
inline constexpr uint64_t kLogLeaves = 70;
inline constexpr uint64_t kForkAt = 5;
inline std::string LeafData(uint64_t i) { return "leaf " + std::to_string(i); }
inline std::string ForkLeafData(uint64_t i) {
  return i < kForkAt ? LeafData(i) : "fork " + std::to_string(i);
}

inline std::vector<std::string> LeafDatas(bool fork, uint64_t n = kLogLeaves) {
  std::vector<std::string> out;
  for (uint64_t i = 0; i < n; ++i) out.push_back(fork ? ForkLeafData(i) : LeafData(i));
  return out;
}

inline ledger::MemoryTree TreeOf(const std::vector<std::string>& leaves) {
  ledger::MemoryTree t;
  for (const std::string& l : leaves) Must(t.AppendData(ledger::AsBytes(l)));
  return t;
}

inline ledger::Checkpoint CheckpointAt(const ledger::MemoryTree& tree, uint64_t size,
                                       const std::string& origin = kLogOrigin) {
  return ledger::Checkpoint{origin, size, Must(ledger::RootAt(size, tree)), {}};
}

}  // namespace ftz::fuzzing
