// Hashing for the ledger's Merkle tree: RFC 6962 §2.1 leaf and node hashes
// over SHA-256, plus SM3 (GB/T 32905-2016) for verifiers that need the Chinese
// national standard digest.
//
//   leaf hash  = SHA-256(0x00 || leaf bytes)
//   node hash  = SHA-256(0x01 || left child hash || right child hash)
//   empty root = SHA-256("")   (the root of a tree with no leaves)
//
// Contract:
//  * Ownership: all functions return values; nothing is retained.
//  * Thread safety: every function may be called from any number of threads
//    at once. Each thread keeps its own OpenSSL digest context
//    (thread_local), so there is no locking on the hot path.
//  * Errors: SHA-256 comes from OpenSSL's default provider; if it cannot be
//    fetched or a digest call fails the process cannot continue (the log's
//    integrity depends on it), so the process aborts with a message. SM3 may
//    legitimately be absent (a FIPS-only OpenSSL), so Sm3() returns a Result.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "core/status.h"

namespace ftz::ledger {

inline constexpr size_t kHashSize = 32;

// A SHA-256 (or SM3) digest. Value type; compare with ==.
using Hash = std::array<uint8_t, kHashSize>;

// A read-only view of bytes.
using ByteView = std::span<const uint8_t>;

inline ByteView AsBytes(std::string_view s) {
  return ByteView(reinterpret_cast<const uint8_t*>(s.data()), s.size());
}

// Plain SHA-256 of `data`.
Hash Sha256(ByteView data);
inline Hash Sha256(std::string_view data) { return Sha256(AsBytes(data)); }

// RFC 6962 leaf hash: SHA-256(0x00 || data).
Hash HashLeaf(ByteView data);
inline Hash HashLeaf(std::string_view data) { return HashLeaf(AsBytes(data)); }

// RFC 6962 interior node hash: SHA-256(0x01 || left || right).
Hash HashChildren(const Hash& left, const Hash& right);

// Root hash of the empty tree: SHA-256 of no bytes (e3b0c442...b855).
const Hash& EmptyRoot();

// SM3 digest (OpenSSL "SM3"). FailedPrecondition if this OpenSSL build has no
// SM3 implementation.
Result<Hash> Sm3(ByteView data);
inline Result<Hash> Sm3(std::string_view data) { return Sm3(AsBytes(data)); }

// Lower-case hex of a hash, and its inverse (exactly 64 hex digits, either
// case; InvalidArgument otherwise).
std::string HashToHex(const Hash& h);
Result<Hash> HashFromHex(std::string_view hex);

}  // namespace ftz::ledger
