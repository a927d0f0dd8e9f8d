// GUIDs the port gives to what it sends (receipts, tax bills): 36 upper-case
// hex digits and dashes, 8-4-4-4-12, the form CEB messages carry.
//
// Thread-safe (pure functions).
#pragma once

#include <cstdint>
#include <string>

namespace ftz {

// 16 bytes as a GUID, in order.
std::string FormatGuid(const uint8_t (&bytes)[16]);

// The sequences a serial GUID can number; each is its own.
enum class GuidSequence : uint64_t {
  kReceipt = 1,  // a logged message's own receipt, numbered by its log position
  kEmitted = 2,  // a further receipt the engine sends (CEB622, CEB624, CEB816)
  // The block inside such a receipt (its InventoryReturn, its tax bill's
  // head), numbered as its message: each receipt's block has a GUID of its own.
  kEmittedBlock = 3,
};

// The GUID of the n-th identifier of a sequence. Distinct (sequence, n) give
// distinct GUIDs by construction: the low eight bytes are a bijection of n and
// the high eight a bijection of n mixed with the sequence (SplitMix64's
// finaliser, which is invertible). The digits look random but hold no secret:
// like a SHA-256 of "receipt:<n>", which this replaces (a hash per receipt
// cost ~100 ns and could collide), anyone can tell n from the GUID.
std::string SerialGuid(GuidSequence sequence, uint64_t n);

}  // namespace ftz
