// Signed notes (c2sp.org/signed-note; Go's golang.org/x/mod/sumdb/note): a
// UTF-8 text signed by one or more keys.
//
//   <text, ending in a newline>
//   <blank line>
//   — <key name> <base64(4-byte big-endian key ID || signature)>    (one or more)
//
// Keys are written as in Go's note package:
//   verifier key: <name>+<8 hex digits key ID>+<base64(type || public key)>
//   signer key:   PRIVATE+KEY+<name>+<8 hex digits key ID>+<base64(type || private key)>
//   key ID      = first 4 bytes (big-endian) of SHA-256(name || 0x0A || type || public key)
//
// Signature types:
//   0x01                          Ed25519 (RFC 8032) over the note text; public key
//                                 32 bytes, private key the 32-byte seed. (C2SP)
//   0xFF "ftzport/sm2-sm3/v1"     this project's SM2 type (GB/T 32918.2-2016 with SM3,
//                                 distinguishing ID "1234567812345678"); public key the
//                                 65-byte uncompressed point 0x04||X||Y, private key the
//                                 32-byte scalar d, signature the DER SM2Signature
//                                 SEQUENCE{r, s} of GM/T 0009. The spec reserves 0xFF
//                                 for types it does not assign, followed by a longer
//                                 identifier; see docs/ledger-format.md.
//
// Verification follows the spec and Go's note.Open: signatures from unknown
// keys (name and ID not both matching a known key) are ignored; a signature
// from a known key that fails to verify rejects the whole note; at least one
// known key must have signed. Repeated signatures by one key count once.
//
// Contract:
//  * Ownership: Signer and Verifier are cheap-to-copy values that share an
//    immutable OpenSSL key. Everything else is returned by value.
//  * Thread safety: Signer, Verifier and VerifierSet are immutable after
//    construction (VerifierSet: after the last Add); Sign/Verify/OpenNote may
//    run concurrently on shared instances.
//  * Errors: InvalidArgument for malformed keys, names and notes (including
//    bad base64 and notes over the limits); FailedPrecondition for a note
//    that does not verify (bad signature from a known key, or no known
//    signature); AlreadyExists for a duplicate key in a VerifierSet.
//    A failure inside OpenSSL while signing is reported as FailedPrecondition.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "ledger/hash.h"

struct evp_pkey_st;  // OpenSSL's EVP_PKEY, kept out of this header.

namespace ftz::ledger {

enum class KeyType {
  kEd25519,  // type byte 0x01
  kSm2Sm3,   // type bytes 0xFF "ftzport/sm2-sm3/v1"
};

// Limits applied when reading notes (the spec requires accepting >= 16
// signatures; Go accepts 100).
inline constexpr size_t kMaxNoteBytes = 1 << 20;
inline constexpr size_t kMaxNoteSignatures = 100;

// The signature-type prefix that starts an encoded key of each type.
std::string_view KeyTypePrefix(KeyType type);

// A key name: non-empty UTF-8 without Unicode spaces or '+'.
bool IsValidKeyName(std::string_view name);

// key ID = SHA-256(name || 0x0A || encoded_key)[:4] big-endian, where
// encoded_key = type prefix || public key.
uint32_t ComputeKeyId(std::string_view name, std::string_view encoded_key);

class Verifier {
 public:
  // Parses "<name>+<hex id>+<base64 key>"; checks the ID against the key.
  static Result<Verifier> Parse(std::string_view vkey);
  static Result<Verifier> FromEd25519(std::string_view name, ByteView public_key);
  static Result<Verifier> FromSm2(std::string_view name, ByteView uncompressed_point);

  const std::string& name() const { return name_; }
  uint32_t key_id() const { return key_id_; }
  KeyType type() const { return type_; }
  // type prefix || public key
  const std::string& encoded_key() const { return encoded_key_; }
  // The verifier key string.
  std::string ToString() const;

  // True iff `signature` (without the 4-byte key ID) is valid for `message`.
  bool Verify(std::string_view message, std::string_view signature) const;

 private:
  friend class Signer;
  Verifier() = default;
  std::string name_;
  uint32_t key_id_ = 0;
  KeyType type_ = KeyType::kEd25519;
  std::string encoded_key_;
  std::shared_ptr<evp_pkey_st> key_;
};

class Signer {
 public:
  // Parses "PRIVATE+KEY+<name>+<hex id>+<base64 key>"; checks the ID against
  // the derived public key.
  static Result<Signer> Parse(std::string_view skey);
  // A fresh key from the OS random source.
  static Result<Signer> Generate(std::string_view name, KeyType type);
  // From raw private key bytes (Ed25519 seed, or SM2 scalar d; 32 bytes).
  static Result<Signer> FromPrivateKey(std::string_view name, KeyType type, ByteView private_key);

  const std::string& name() const { return verifier_.name(); }
  uint32_t key_id() const { return verifier_.key_id(); }
  KeyType type() const { return verifier_.type(); }
  const Verifier& verifier() const { return verifier_; }
  // The signer key string. It contains the private key: keep it secret.
  std::string ToString() const;

  // Signature over `message` (without the 4-byte key ID).
  Result<std::string> Sign(std::string_view message) const;

 private:
  Signer() = default;
  Verifier verifier_;
  std::string encoded_private_;  // type prefix || private key
  std::shared_ptr<evp_pkey_st> key_;
};

// The keys a reader trusts. Lookup is by (name, key ID).
class VerifierSet {
 public:
  VerifierSet() = default;
  // AlreadyExists if a key with the same name and ID is already present.
  Status Add(Verifier v);
  Status AddKey(std::string_view vkey);
  const Verifier* Find(std::string_view name, uint32_t key_id) const;
  size_t size() const { return verifiers_.size(); }

 private:
  std::vector<Verifier> verifiers_;
};

struct NoteSignature {
  std::string name;
  uint32_t key_id = 0;
  std::string signature;  // raw bytes, without the key ID
  bool operator==(const NoteSignature&) const = default;
};

struct Note {
  std::string text;  // ends with '\n'; excludes the separating blank line
  std::vector<NoteSignature> signatures;
};

// Syntax only: splits a signed note into text and signature lines (no
// signature is checked). InvalidArgument if malformed.
Result<Note> ParseNote(std::string_view msg);

// The wire form of a note. The note must be well formed (valid text, valid
// names, at least one signature) or InvalidArgument.
Result<std::string> FormatNote(const Note& note);

// Signs `text` with every signer, in order.
Result<std::string> SignNote(std::string_view text, std::span<const Signer> signers);

// Adds signatures to an existing signed note (e.g. a cosigner's or a second
// key type); an existing signature by the same key is replaced.
Result<std::string> AddSignatures(std::string_view signed_note, std::span<const Signer> signers);

struct VerifiedNote {
  std::string text;
  std::vector<NoteSignature> verified;    // by known keys, each key once
  std::vector<NoteSignature> unverified;  // by unknown keys
};

// Parses and verifies `msg` against `known` (rules in the header comment).
Result<VerifiedNote> OpenNote(std::string_view msg, const VerifierSet& known);

}  // namespace ftz::ledger
