// Digests that make "random" reproducible: every draw and every derived
// identifier is a SHA-256 of the record's own fields, so a replay of the same
// log under the same rules version gives the same lanes and the same ids.
//
// Parts are length-prefixed before hashing (4-byte big-endian length, then
// the bytes), so ("ab","c") and ("a","bc") never hash alike.
//
// Pure functions; thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>

#include "core/sha256.h"

namespace ftz::clearance {

using ::ftz::Sha256Parts;  // core/sha256.h

// A uniform draw in [0, 1'000'000) — parts per million — from the first 8
// bytes of the digest (big-endian) modulo 10^6 (bias below 1e-13).
uint32_t DrawPpm(std::initializer_list<std::string_view> parts);

// A 36-character upper-case GUID (8-4-4-4-12 hex) from the digest: a
// reproducible GUID for a document built from names (test_documents.h). What
// the engine sends is numbered by the engine instead (core/guid.h).
std::string DerivedGuid(std::initializer_list<std::string_view> parts);

}  // namespace ftz::clearance
