#include "witness/cosignature.h"

#include <openssl/rand.h>

#include "ledger/encoding.h"

namespace ftz::witness {
namespace {

constexpr std::string_view kEmDash = "\xE2\x80\x94";
constexpr size_t kKeySize = 32;
constexpr size_t kEd25519SigSize = 64;
constexpr uint64_t kMaxTimestamp = (uint64_t{1} << 63) - 1;  // tlog-cosignature's bound

std::string Hex32(uint32_t v) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string s(8, '0');
  for (int i = 7; i >= 0; --i, v >>= 4) s[i] = kDigits[v & 0xF];
  return s;
}

// Splits "a+b+c" style keys at the first `parts - 1` '+' (base64, the last
// part, may itself contain '+').
std::vector<std::string_view> SplitPlus(std::string_view s, size_t parts) {
  std::vector<std::string_view> out;
  while (out.size() + 1 < parts) {
    size_t p = s.find('+');
    if (p == std::string_view::npos) break;
    out.push_back(s.substr(0, p));
    s.remove_prefix(p + 1);
  }
  out.push_back(s);
  return out;
}

Result<uint32_t> ParseKeyId(std::string_view hex) {
  if (hex.size() != 8) return Status::InvalidArgument("key ID must be 8 hex digits");
  Result<std::string> raw = ledger::HexDecode(hex);
  if (!raw.ok()) return Status::InvalidArgument("key ID must be 8 hex digits");
  uint32_t id = 0;
  for (char c : *raw) id = (id << 8) | static_cast<uint8_t>(c);
  return id;
}

// Decodes base64(0x04 || 32 bytes) into the 32 bytes.
Result<std::string> DecodeTypedKey(std::string_view b64) {
  Result<std::string> raw = ledger::Base64Decode(b64);
  if (!raw.ok()) return Status::InvalidArgument("bad base64 key");
  if (raw->size() != 1 + kKeySize || (*raw)[0] != kCosignatureType) {
    return Status::InvalidArgument("not a cosignature/v1 key (type 0x04, 32-byte Ed25519 key)");
  }
  return raw->substr(1);
}

uint32_t CosignatureKeyId(std::string_view name, std::string_view public_key) {
  return ledger::ComputeKeyId(name, std::string(1, kCosignatureType) + std::string(public_key));
}

void AppendBe(std::string* out, uint64_t v, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) out->push_back(static_cast<char>(v >> (8 * i)));
}

}  // namespace

std::string CosignedMessage(std::string_view checkpoint_text, uint64_t timestamp) {
  std::string m = "cosignature/v1\ntime " + std::to_string(timestamp) + "\n";
  m.append(checkpoint_text);
  return m;
}

// ---------------- CosignatureVerifier ----------------

Result<CosignatureVerifier> CosignatureVerifier::Parse(std::string_view vkey) {
  std::vector<std::string_view> parts = SplitPlus(vkey, 3);
  if (parts.size() != 3) {
    return Status::InvalidArgument("witness key: want <name>+<key ID>+<base64 key>");
  }
  if (!ledger::IsValidKeyName(parts[0])) return Status::InvalidArgument("witness key: bad name");
  Result<uint32_t> id = ParseKeyId(parts[1]);
  if (!id.ok()) return Status::InvalidArgument("witness key: " + id.status().message());
  Result<std::string> pub = DecodeTypedKey(parts[2]);
  if (!pub.ok()) return Status::InvalidArgument("witness key: " + pub.status().message());
  if (CosignatureKeyId(parts[0], *pub) != *id) {
    return Status::InvalidArgument("witness key: key ID does not match the key");
  }
  Result<ledger::Verifier> ed = ledger::Verifier::FromEd25519(parts[0], ledger::AsBytes(*pub));
  if (!ed.ok()) return Status::InvalidArgument("witness key: " + ed.status().message());
  CosignatureVerifier v;
  v.name_ = std::string(parts[0]);
  v.key_id_ = *id;
  v.public_key_ = std::move(*pub);
  v.ed25519_ = std::move(*ed);
  return v;
}

std::string CosignatureVerifier::ToString() const {
  return name_ + "+" + Hex32(key_id_) + "+" +
         ledger::Base64Encode(std::string(1, kCosignatureType) + public_key_);
}

Result<uint64_t> CosignatureVerifier::Verify(std::string_view checkpoint_text,
                                             const ledger::NoteSignature& sig) const {
  if (sig.name != name_ || sig.key_id != key_id_) {
    return Status::FailedPrecondition("signature is not by witness " + name_);
  }
  if (sig.signature.size() != 8 + kEd25519SigSize) {
    return Status::FailedPrecondition("cosignature by " + name_ + " is not 72 bytes");
  }
  uint64_t ts = 0;
  for (int i = 0; i < 8; ++i) ts = (ts << 8) | static_cast<uint8_t>(sig.signature[i]);
  if (ts > kMaxTimestamp) {
    return Status::FailedPrecondition("cosignature by " + name_ + ": timestamp above 2^63-1");
  }
  if (!ed25519_ || !ed25519_->Verify(CosignedMessage(checkpoint_text, ts),
                                     std::string_view(sig.signature).substr(8))) {
    return Status::FailedPrecondition("cosignature by " + name_ + " does not verify");
  }
  return ts;
}

Result<uint64_t> CosignatureVerifier::VerifyNote(std::string_view cosigned_note) const {
  Result<ledger::Note> note = ledger::ParseNote(cosigned_note);
  if (!note.ok()) return note.status();
  for (const ledger::NoteSignature& s : note->signatures) {
    if (s.name == name_ && s.key_id == key_id_) return Verify(note->text, s);
  }
  return Status::FailedPrecondition("no cosignature by witness " + name_);
}

// ---------------- CosignatureSigner ----------------

Result<CosignatureSigner> CosignatureSigner::FromSeed(std::string_view name,
                                                      ledger::ByteView seed) {
  if (!ledger::IsValidKeyName(name)) return Status::InvalidArgument("witness key: bad name");
  Result<ledger::Signer> ed = ledger::Signer::FromPrivateKey(name, ledger::KeyType::kEd25519, seed);
  if (!ed.ok()) return Status::InvalidArgument("witness key: " + ed.status().message());
  // The Ed25519 verifier key is type 0x01 || public key; the raw key follows.
  const std::string pub = ed->verifier().encoded_key().substr(1);
  CosignatureSigner s;
  s.verifier_.name_ = std::string(name);
  s.verifier_.key_id_ = CosignatureKeyId(name, pub);
  s.verifier_.public_key_ = pub;
  s.verifier_.ed25519_ = ed->verifier();
  s.seed_.assign(reinterpret_cast<const char*>(seed.data()), seed.size());
  s.ed25519_ = std::move(*ed);
  return s;
}

Result<CosignatureSigner> CosignatureSigner::Generate(std::string_view name) {
  uint8_t seed[kKeySize];
  if (RAND_bytes(seed, sizeof seed) != 1) {
    return Status::FailedPrecondition("no randomness for a witness key");
  }
  Result<CosignatureSigner> s = FromSeed(name, ledger::ByteView(seed, sizeof seed));
  OPENSSL_cleanse(seed, sizeof seed);
  return s;
}

Result<CosignatureSigner> CosignatureSigner::Parse(std::string_view skey) {
  std::vector<std::string_view> parts = SplitPlus(skey, 5);
  if (parts.size() != 5 || parts[0] != "PRIVATE" || parts[1] != "KEY") {
    return Status::InvalidArgument("witness signer key: want PRIVATE+KEY+<name>+<key ID>+<key>");
  }
  Result<uint32_t> id = ParseKeyId(parts[3]);
  if (!id.ok()) return Status::InvalidArgument("witness signer key: " + id.status().message());
  Result<std::string> seed = DecodeTypedKey(parts[4]);
  if (!seed.ok()) return Status::InvalidArgument("witness signer key: " + seed.status().message());
  Result<CosignatureSigner> s = FromSeed(parts[2], ledger::AsBytes(*seed));
  if (!s.ok()) return s.status();
  if (s->verifier().key_id() != *id) {
    return Status::InvalidArgument("witness signer key: key ID does not match the key");
  }
  return s;
}

std::string CosignatureSigner::ToString() const {
  return "PRIVATE+KEY+" + name() + "+" + Hex32(verifier_.key_id()) + "+" +
         ledger::Base64Encode(std::string(1, kCosignatureType) + seed_);
}

Result<std::string> CosignatureSigner::SignLine(std::string_view checkpoint_text,
                                                uint64_t timestamp) const {
  if (checkpoint_text.empty() || checkpoint_text.back() != '\n') {
    return Status::InvalidArgument("checkpoint text must end in a newline");
  }
  if (timestamp > kMaxTimestamp) return Status::InvalidArgument("timestamp above 2^63-1");
  Result<std::string> sig = ed25519_->Sign(CosignedMessage(checkpoint_text, timestamp));
  if (!sig.ok()) return sig.status();
  std::string blob;
  AppendBe(&blob, verifier_.key_id(), 4);
  AppendBe(&blob, timestamp, 8);
  blob += *sig;
  std::string line(kEmDash);
  line += " " + name() + " " + ledger::Base64Encode(blob) + "\n";
  return line;
}

}  // namespace ftz::witness
