// Text encodings used by the ledger's wire formats: standard base64 (RFC 4648
// §4, with padding), lower-case hex, and the unsigned decimals of checkpoints
// and proofs.
//
// Contract:
//  * Ownership: functions return new strings; inputs are only read.
//  * Thread safety: pure functions, callable from any thread.
//  * Errors: decoders are strict and return InvalidArgument for anything that
//    is not the one canonical spelling of a value: base64 must have correct
//    padding, no whitespace and zero unused trailing bits (so two different
//    strings never decode to the same bytes); decimals have no sign, no
//    leading zeros (except "0") and must fit in 64 bits.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "core/status.h"

namespace ftz::ledger {

std::string Base64Encode(std::span<const uint8_t> data);
inline std::string Base64Encode(std::string_view data) {
  return Base64Encode(
      std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(data.data()), data.size()));
}
Result<std::string> Base64Decode(std::string_view text);

std::string HexEncode(std::span<const uint8_t> data);
// Accepts upper or lower case; the length must be even.
Result<std::string> HexDecode(std::string_view text);

std::string FormatDecimal(uint64_t v);
Result<uint64_t> ParseDecimal(std::string_view text);

}  // namespace ftz::ledger
