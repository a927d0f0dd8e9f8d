// SHA-256 for the deterministic parts of the core: derived identifiers
// (receipt GUIDs), reproducible draws (lanes), digests of records.
//
// OpenSSL 3's one-shot SHA256() fetches the algorithm under a lock on every
// call, which costs more than hashing a short seed; here the algorithm is
// fetched once and each thread reuses one context (a cache with no
// observable state).
//
// Thread-safe. A failure inside OpenSSL aborts: without SHA-256 no decision
// can be reproduced (docs/errors.md: a broken invariant stops the process).
#pragma once

#include <array>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>

namespace ftz {

using Sha256Digest = std::array<uint8_t, 32>;

// SHA-256 of the bytes.
Sha256Digest Sha256(std::string_view bytes);

// SHA-256 of the parts, each prefixed by its 4-byte big-endian length, so
// ("ab","c") and ("a","bc") never hash alike.
Sha256Digest Sha256Parts(std::initializer_list<std::string_view> parts);

// The first 16 bytes of a digest as a 36-character upper-case GUID
// (8-4-4-4-12 hex), the form CEB messages carry.
std::string GuidFromDigest(const Sha256Digest& d);

}  // namespace ftz
