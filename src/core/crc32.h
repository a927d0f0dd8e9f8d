// CRC-32 (ISO-HDLC, the polynomial of zlib, gzip and PNG: check value
// 0xCBF43926 for "123456789"), the checksum of every log record, snapshot
// and audit bundle frame (docs/log-format.md).
//
// Computed by ISA-L's carry-less-multiply kernel, which gives zlib's values
// 8-13 times faster (docs/performance.md, session 8): the log checksums each
// record on the sequencer thread, before its group commit.
//
// Thread-safe; no state.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace ftz {

// CRC-32 of `data`, continuing from `crc`, the CRC-32 of the bytes before it
// (0 to start): Crc32(b, Crc32(a)) == Crc32(a + b).
uint32_t Crc32(std::string_view data, uint32_t crc = 0);

}  // namespace ftz
