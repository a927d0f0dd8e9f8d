// Witness cosignatures (c2sp.org/tlog-cosignature, "cosignature/v1"): a
// timestamped Ed25519 note signature by a witness over a checkpoint, meaning
// "as of <time>, the largest consistent tree I have seen for this origin has
// this root".
//
//   signed message = "cosignature/v1\n" "time " <decimal POSIX seconds> "\n"
//                    <checkpoint note text, with its final newline>
//   signature      = u64be timestamp || Ed25519 signature (64 bytes)
//   key ID         = SHA-256(name || 0x0A || 0x04 || 32-byte public key)[:4]
//   verifier key   = <name>+<key ID hex>+base64(0x04 || public key)
//   signer key     = PRIVATE+KEY+<name>+<key ID hex>+base64(0x04 || 32-byte seed)
//
// The signature line is an ordinary signed-note line, so a cosigned
// checkpoint is the log's signed note with the witness's line appended, and
// verifiers that do not know the witness key ignore it. (The signer key
// spelling with type 0x04 is this project's; the spec only fixes vkeys.)
//
// Contract:
//  * Ownership: values; CosignatureSigner/Verifier share an immutable OpenSSL
//    key and are cheap to copy.
//  * Thread safety: immutable after construction; Sign/Verify may run
//    concurrently.
//  * Errors: InvalidArgument for malformed keys, notes or lines;
//    FailedPrecondition when a cosignature is absent or does not verify.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/status.h"
#include "ledger/note.h"

namespace ftz::witness {

// The signature type byte of timestamped Ed25519 cosignatures.
inline constexpr char kCosignatureType = 0x04;

// "cosignature/v1\ntime <timestamp>\n" || checkpoint_text.
std::string CosignedMessage(std::string_view checkpoint_text, uint64_t timestamp);

class CosignatureVerifier {
 public:
  // Parses "<name>+<hex id>+base64(0x04 || 32-byte key)" and checks the ID.
  static Result<CosignatureVerifier> Parse(std::string_view vkey);

  const std::string& name() const { return name_; }
  uint32_t key_id() const { return key_id_; }
  std::string ToString() const;

  // Checks one note signature (name, key ID, raw bytes) over the checkpoint
  // text; returns the cosignature's timestamp. FailedPrecondition if the name
  // or key ID is not this key's, or the signature does not verify.
  Result<uint64_t> Verify(std::string_view checkpoint_text, const ledger::NoteSignature& sig) const;

  // Finds and checks this witness's cosignature in a signed checkpoint note;
  // returns its timestamp. FailedPrecondition if there is none or it is bad.
  Result<uint64_t> VerifyNote(std::string_view cosigned_note) const;

 private:
  friend class CosignatureSigner;
  CosignatureVerifier() = default;
  std::string name_;
  uint32_t key_id_ = 0;
  std::string public_key_;  // 32 bytes
  // Raw Ed25519 verification (its note key ID, for type 0x01, is unused).
  std::optional<ledger::Verifier> ed25519_;
};

class CosignatureSigner {
 public:
  // A fresh key from the OS random source.
  static Result<CosignatureSigner> Generate(std::string_view name);
  // From a 32-byte Ed25519 seed.
  static Result<CosignatureSigner> FromSeed(std::string_view name, ledger::ByteView seed);
  // Parses "PRIVATE+KEY+<name>+<hex id>+base64(0x04 || seed)"; checks the ID.
  static Result<CosignatureSigner> Parse(std::string_view skey);

  const std::string& name() const { return verifier_.name(); }
  const CosignatureVerifier& verifier() const { return verifier_; }
  // The signer key string. It contains the private key: keep it secret.
  std::string ToString() const;

  // The note signature line "— <name> base64(key ID || ts || sig)\n" over
  // the checkpoint note text (which must end in a newline).
  Result<std::string> SignLine(std::string_view checkpoint_text, uint64_t timestamp) const;

 private:
  CosignatureSigner() = default;
  CosignatureVerifier verifier_;
  std::string seed_;
  std::optional<ledger::Signer> ed25519_;
};

}  // namespace ftz::witness
