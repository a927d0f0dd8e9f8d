#include "ledger/note.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/param_build.h>

#include <algorithm>
#include <cstring>
#include <set>
#include <utility>
#include <vector>

#include "ledger/encoding.h"

namespace ftz::ledger {
namespace {

constexpr uint8_t kEd25519TypeByte = 0x01;
constexpr std::string_view kEd25519Prefix("\x01", 1);
// 0xFF followed by this project's identifier (signed-note: "Reserved for
// signature types without an identifier byte assigned by this specification.
// It is RECOMMENDED that this byte be followed by a longer identifier").
constexpr std::string_view kSm2Prefix(
    "\xff"
    "ftzport/sm2-sm3/v1",
    19);
// GB/T 32918.2 / GM/T 0009 default distinguishing identifier.
constexpr std::string_view kSm2DistId = "1234567812345678";
constexpr size_t kRawKeySize = 32;
constexpr size_t kSm2PointSize = 65;
constexpr std::string_view kSigPrefix = "\xe2\x80\x94 ";  // U+2014 em dash, space

using PkeyPtr = std::shared_ptr<EVP_PKEY>;

PkeyPtr Own(EVP_PKEY* p) { return PkeyPtr(p, EVP_PKEY_free); }

std::string_view AsChars(ByteView b) {
  return std::string_view(reinterpret_cast<const char*>(b.data()), b.size());
}

Status Malformed(std::string what) { return Status::InvalidArgument("malformed note: " + what); }

// ---------- UTF-8 (strict: no overlongs, surrogates or > U+10FFFF) ----------

// Decodes the rune at s[i]; returns its length, or 0 if invalid.
size_t DecodeRune(std::string_view s, size_t i, uint32_t* rune) {
  auto byte = [&](size_t k) { return static_cast<uint8_t>(s[k]); };
  uint8_t b0 = byte(i);
  if (b0 < 0x80) {
    *rune = b0;
    return 1;
  }
  size_t n;
  uint32_t min;
  uint32_t r;
  if ((b0 & 0xe0) == 0xc0) {
    n = 2, min = 0x80, r = b0 & 0x1f;
  } else if ((b0 & 0xf0) == 0xe0) {
    n = 3, min = 0x800, r = b0 & 0x0f;
  } else if ((b0 & 0xf8) == 0xf0) {
    n = 4, min = 0x10000, r = b0 & 0x07;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  for (size_t k = 1; k < n; ++k) {
    uint8_t b = byte(i + k);
    if ((b & 0xc0) != 0x80) return 0;
    r = (r << 6) | (b & 0x3f);
  }
  if (r < min || r > 0x10ffff || (r >= 0xd800 && r <= 0xdfff)) return 0;
  *rune = r;
  return n;
}

// Unicode White_Space (what Go's unicode.IsSpace reports).
bool IsUnicodeSpace(uint32_t r) {
  switch (r) {
    case '\t':
    case '\n':
    case '\v':
    case '\f':
    case '\r':
    case ' ':
    case 0x85:
    case 0xa0:
    case 0x1680:
    case 0x2028:
    case 0x2029:
    case 0x202f:
    case 0x205f:
    case 0x3000:
      return true;
    default:
      return r >= 0x2000 && r <= 0x200a;
  }
}

// Valid UTF-8 with no ASCII control characters other than newline.
bool IsValidNoteBytes(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    uint32_t r;
    size_t n = DecodeRune(s, i, &r);
    if (n == 0) return false;
    if (r < 0x20 && r != '\n') return false;
    i += n;
  }
  return true;
}

bool IsValidNoteText(std::string_view text) {
  return !text.empty() && text.back() == '\n' && IsValidNoteBytes(text);
}

uint32_t ReadBigEndian32(std::string_view b) {
  return (uint32_t{static_cast<uint8_t>(b[0])} << 24) |
         (uint32_t{static_cast<uint8_t>(b[1])} << 16) |
         (uint32_t{static_cast<uint8_t>(b[2])} << 8) | uint32_t{static_cast<uint8_t>(b[3])};
}

std::string Hex32(uint32_t v) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string s(8, '0');
  for (int i = 7; i >= 0; --i, v >>= 4) s[static_cast<size_t>(i)] = kDigits[v & 15];
  return s;
}

// Exactly 8 hex digits (either case), as Go's note package requires.
Result<uint32_t> ParseHex32(std::string_view s) {
  if (s.size() != 8) return Status::InvalidArgument("key ID must be 8 hex digits");
  Result<std::string> raw = HexDecode(s);
  if (!raw.ok()) return Status::InvalidArgument("key ID is not hex");
  return ReadBigEndian32(*raw);
}

// Splits at the first '+': "a+b+c" -> ("a", "b+c"). No '+' -> (s, "") and false.
bool Chop(std::string_view s, std::string_view* before, std::string_view* after) {
  size_t i = s.find('+');
  if (i == std::string_view::npos) {
    *before = s;
    *after = {};
    return false;
  }
  *before = s.substr(0, i);
  *after = s.substr(i + 1);
  return true;
}

// ---------- OpenSSL: Ed25519 ----------

Result<PkeyPtr> Ed25519PublicKey(std::string_view pub) {
  EVP_PKEY* p = EVP_PKEY_new_raw_public_key_ex(
      nullptr, "ED25519", nullptr, reinterpret_cast<const unsigned char*>(pub.data()), pub.size());
  if (p == nullptr) return Status::InvalidArgument("invalid Ed25519 public key");
  return Own(p);
}

Result<PkeyPtr> Ed25519PrivateKey(std::string_view seed) {
  EVP_PKEY* p = EVP_PKEY_new_raw_private_key_ex(nullptr, "ED25519", nullptr,
                                                reinterpret_cast<const unsigned char*>(seed.data()),
                                                seed.size());
  if (p == nullptr) return Status::InvalidArgument("invalid Ed25519 private key");
  return Own(p);
}

Result<std::string> Ed25519RawPublic(EVP_PKEY* p) {
  std::string out(kRawKeySize, '\0');
  size_t len = out.size();
  if (EVP_PKEY_get_raw_public_key(p, reinterpret_cast<unsigned char*>(out.data()), &len) != 1 ||
      len != kRawKeySize) {
    return Status::FailedPrecondition("cannot extract Ed25519 public key");
  }
  return out;
}

// ---------- OpenSSL: SM2 ----------

struct BnFree {
  void operator()(BIGNUM* b) const { BN_clear_free(b); }
};
struct GroupFree {
  void operator()(EC_GROUP* g) const { EC_GROUP_free(g); }
};
struct PointFree {
  void operator()(EC_POINT* p) const { EC_POINT_free(p); }
};
struct ParamBldFree {
  void operator()(OSSL_PARAM_BLD* b) const { OSSL_PARAM_BLD_free(b); }
};
struct ParamFree {
  void operator()(OSSL_PARAM* p) const { OSSL_PARAM_free(p); }
};
struct PkeyCtxFree {
  void operator()(EVP_PKEY_CTX* c) const { EVP_PKEY_CTX_free(c); }
};

std::unique_ptr<EC_GROUP, GroupFree> Sm2Group() {
  return std::unique_ptr<EC_GROUP, GroupFree>(EC_GROUP_new_by_curve_name(NID_sm2));
}

// Checks that `pub` is an uncompressed point on the SM2 curve.
Status CheckSm2Point(std::string_view pub) {
  if (pub.size() != kSm2PointSize || pub[0] != '\x04') {
    return Status::InvalidArgument("SM2 public key must be a 65-byte uncompressed point");
  }
  auto group = Sm2Group();
  if (!group) return Status::FailedPrecondition("this OpenSSL build has no SM2 curve");
  std::unique_ptr<EC_POINT, PointFree> point(EC_POINT_new(group.get()));
  if (!point || EC_POINT_oct2point(group.get(), point.get(),
                                   reinterpret_cast<const unsigned char*>(pub.data()), pub.size(),
                                   nullptr) != 1) {
    return Status::InvalidArgument("SM2 public key is not a point on the curve");
  }
  return Status::Ok();
}

// d must satisfy 1 <= d <= n - 2 (GB/T 32918.1: the signer inverts 1 + d).
Result<std::string> Sm2PublicFromPrivate(std::string_view d_bytes, BIGNUM** d_out) {
  auto group = Sm2Group();
  if (!group) return Status::FailedPrecondition("this OpenSSL build has no SM2 curve");
  std::unique_ptr<BIGNUM, BnFree> d(
      BN_bin2bn(reinterpret_cast<const unsigned char*>(d_bytes.data()),
                static_cast<int>(d_bytes.size()), nullptr));
  std::unique_ptr<BIGNUM, BnFree> limit(BN_dup(EC_GROUP_get0_order(group.get())));
  if (!d || !limit || BN_sub_word(limit.get(), 2) != 1) {
    return Status::FailedPrecondition("OpenSSL bignum failure");
  }
  if (BN_is_zero(d.get()) || BN_cmp(d.get(), limit.get()) > 0) {
    return Status::InvalidArgument("SM2 private key out of range");
  }
  std::unique_ptr<EC_POINT, PointFree> pub(EC_POINT_new(group.get()));
  std::string out(kSm2PointSize, '\0');
  if (!pub || EC_POINT_mul(group.get(), pub.get(), d.get(), nullptr, nullptr, nullptr) != 1 ||
      EC_POINT_point2oct(group.get(), pub.get(), POINT_CONVERSION_UNCOMPRESSED,
                         reinterpret_cast<unsigned char*>(out.data()), out.size(),
                         nullptr) != kSm2PointSize) {
    return Status::FailedPrecondition("SM2 public key derivation failed");
  }
  if (d_out != nullptr) *d_out = d.release();
  return out;
}

Result<PkeyPtr> Sm2Key(std::string_view pub, const BIGNUM* priv) {
  std::unique_ptr<OSSL_PARAM_BLD, ParamBldFree> bld(OSSL_PARAM_BLD_new());
  if (!bld ||
      OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, "SM2", 0) != 1 ||
      OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, pub.data(),
                                       pub.size()) != 1 ||
      (priv != nullptr && OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_PRIV_KEY, priv) != 1)) {
    return Status::FailedPrecondition("OpenSSL parameter build failed");
  }
  std::unique_ptr<OSSL_PARAM, ParamFree> params(OSSL_PARAM_BLD_to_param(bld.get()));
  std::unique_ptr<EVP_PKEY_CTX, PkeyCtxFree> ctx(
      EVP_PKEY_CTX_new_from_name(nullptr, "SM2", nullptr));
  EVP_PKEY* key = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &key, priv != nullptr ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY,
                        params.get()) != 1) {
    return Status::InvalidArgument("OpenSSL rejected the SM2 key");
  }
  return Own(key);
}

// A signing/verification context. Ed25519 is one-shot with no digest; SM2
// uses SM3 and the distinguishing ID (which feeds Z_A). OpenSSL 3.0 has no
// default SM2 ID, so it is set on a PKEY context handed to the MD context
// before init; EVP_MD_CTX_free does not free a context given that way, so
// this object owns both.
class SigContext {
 public:
  SigContext() : md_(EVP_MD_CTX_new()) {}
  ~SigContext() {
    EVP_MD_CTX_free(md_);
    EVP_PKEY_CTX_free(pkey_);
  }
  SigContext(const SigContext&) = delete;
  SigContext& operator=(const SigContext&) = delete;

  bool Init(EVP_PKEY* key, KeyType type, bool sign) {
    if (md_ == nullptr || key == nullptr) return false;
    const char* digest = nullptr;
    if (type == KeyType::kSm2Sm3) {
      pkey_ = EVP_PKEY_CTX_new_from_pkey(nullptr, key, nullptr);
      if (pkey_ == nullptr || EVP_PKEY_CTX_set1_id(pkey_, kSm2DistId.data(),
                                                   static_cast<int>(kSm2DistId.size())) != 1) {
        return false;
      }
      EVP_MD_CTX_set_pkey_ctx(md_, pkey_);
      digest = "SM3";
    }
    return sign
               ? EVP_DigestSignInit_ex(md_, nullptr, digest, nullptr, nullptr, key, nullptr) == 1
               : EVP_DigestVerifyInit_ex(md_, nullptr, digest, nullptr, nullptr, key, nullptr) == 1;
  }
  EVP_MD_CTX* get() { return md_; }

 private:
  EVP_MD_CTX* md_;
  EVP_PKEY_CTX* pkey_ = nullptr;
};

// ---------- key string parsing ----------

struct ParsedKey {
  KeyType type;
  std::string raw;  // key material without the type prefix
};

Result<ParsedKey> SplitEncodedKey(std::string_view encoded) {
  if (encoded.empty()) return Status::InvalidArgument("empty key");
  if (static_cast<uint8_t>(encoded[0]) == kEd25519TypeByte) {
    return ParsedKey{KeyType::kEd25519, std::string(encoded.substr(1))};
  }
  if (encoded.substr(0, kSm2Prefix.size()) == kSm2Prefix) {
    return ParsedKey{KeyType::kSm2Sm3, std::string(encoded.substr(kSm2Prefix.size()))};
  }
  return Status::InvalidArgument("unknown signature type in key");
}

}  // namespace

std::string_view KeyTypePrefix(KeyType type) {
  return type == KeyType::kEd25519 ? kEd25519Prefix : kSm2Prefix;
}

bool IsValidKeyName(std::string_view name) {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size();) {
    uint32_t r;
    size_t n = DecodeRune(name, i, &r);
    if (n == 0 || r == '+' || IsUnicodeSpace(r)) return false;
    i += n;
  }
  return true;
}

uint32_t ComputeKeyId(std::string_view name, std::string_view encoded_key) {
  std::string buf;
  buf.reserve(name.size() + 1 + encoded_key.size());
  buf.append(name);
  buf.push_back('\n');
  buf.append(encoded_key);
  Hash h = Sha256(buf);
  return (uint32_t{h[0]} << 24) | (uint32_t{h[1]} << 16) | (uint32_t{h[2]} << 8) | h[3];
}

// ---------------- Verifier ----------------

Result<Verifier> Verifier::FromEd25519(std::string_view name, ByteView public_key) {
  if (!IsValidKeyName(name)) return Status::InvalidArgument("invalid key name");
  if (public_key.size() != kRawKeySize)
    return Status::InvalidArgument("Ed25519 public key must be 32 bytes");
  Result<PkeyPtr> key = Ed25519PublicKey(AsChars(public_key));
  if (!key.ok()) return key.status();
  Verifier v;
  v.name_ = std::string(name);
  v.type_ = KeyType::kEd25519;
  v.encoded_key_ = std::string(kEd25519Prefix).append(AsChars(public_key));
  v.key_id_ = ComputeKeyId(name, v.encoded_key_);
  v.key_ = std::move(*key);
  return v;
}

Result<Verifier> Verifier::FromSm2(std::string_view name, ByteView uncompressed_point) {
  if (!IsValidKeyName(name)) return Status::InvalidArgument("invalid key name");
  std::string_view pub = AsChars(uncompressed_point);
  FTZ_RETURN_IF_ERROR(CheckSm2Point(pub));
  Result<PkeyPtr> key = Sm2Key(pub, nullptr);
  if (!key.ok()) return key.status();
  Verifier v;
  v.name_ = std::string(name);
  v.type_ = KeyType::kSm2Sm3;
  v.encoded_key_ = std::string(kSm2Prefix).append(pub);
  v.key_id_ = ComputeKeyId(name, v.encoded_key_);
  v.key_ = std::move(*key);
  return v;
}

Result<Verifier> Verifier::Parse(std::string_view vkey) {
  std::string_view name, rest, hex, b64;
  Chop(vkey, &name, &rest);
  Chop(rest, &hex, &b64);
  if (!IsValidKeyName(name)) return Status::InvalidArgument("verifier key: invalid name");
  Result<uint32_t> id = ParseHex32(hex);
  if (!id.ok()) return Status::InvalidArgument("verifier key: " + id.status().message());
  Result<std::string> encoded = Base64Decode(b64);
  if (!encoded.ok() || encoded->empty())
    return Status::InvalidArgument("verifier key: bad base64 key");
  if (ComputeKeyId(name, *encoded) != *id) {
    return Status::InvalidArgument("verifier key: key ID does not match the key");
  }
  Result<ParsedKey> parsed = SplitEncodedKey(*encoded);
  if (!parsed.ok()) return Status::InvalidArgument("verifier key: " + parsed.status().message());
  return parsed->type == KeyType::kEd25519 ? FromEd25519(name, AsBytes(parsed->raw))
                                           : FromSm2(name, AsBytes(parsed->raw));
}

std::string Verifier::ToString() const {
  return name_ + "+" + Hex32(key_id_) + "+" + Base64Encode(encoded_key_);
}

bool Verifier::Verify(std::string_view message, std::string_view signature) const {
  if (!key_) return false;
  if (type_ == KeyType::kEd25519 && signature.size() != 64) return false;
  SigContext ctx;
  if (!ctx.Init(key_.get(), type_, /*sign=*/false)) return false;
  return EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()),
                          signature.size(), reinterpret_cast<const unsigned char*>(message.data()),
                          message.size()) == 1;
}

// ---------------- Signer ----------------

Result<Signer> Signer::FromPrivateKey(std::string_view name, KeyType type, ByteView private_key) {
  if (!IsValidKeyName(name)) return Status::InvalidArgument("invalid key name");
  if (private_key.size() != kRawKeySize)
    return Status::InvalidArgument("private key must be 32 bytes");
  std::string_view raw = AsChars(private_key);
  Signer s;
  if (type == KeyType::kEd25519) {
    Result<PkeyPtr> key = Ed25519PrivateKey(raw);
    if (!key.ok()) return key.status();
    Result<std::string> pub = Ed25519RawPublic(key->get());
    if (!pub.ok()) return pub.status();
    Result<Verifier> v = Verifier::FromEd25519(name, AsBytes(*pub));
    if (!v.ok()) return v.status();
    s.verifier_ = std::move(*v);
    s.key_ = std::move(*key);
  } else {
    BIGNUM* d_raw = nullptr;
    Result<std::string> pub = Sm2PublicFromPrivate(raw, &d_raw);
    if (!pub.ok()) return pub.status();
    std::unique_ptr<BIGNUM, BnFree> d(d_raw);
    Result<PkeyPtr> key = Sm2Key(*pub, d.get());
    if (!key.ok()) return key.status();
    Result<Verifier> v = Verifier::FromSm2(name, AsBytes(*pub));
    if (!v.ok()) return v.status();
    s.verifier_ = std::move(*v);
    s.key_ = std::move(*key);
  }
  s.encoded_private_ = std::string(KeyTypePrefix(type)).append(raw);
  return s;
}

Result<Signer> Signer::Generate(std::string_view name, KeyType type) {
  EVP_PKEY* p = EVP_PKEY_Q_keygen(nullptr, nullptr, type == KeyType::kEd25519 ? "ED25519" : "SM2");
  if (p == nullptr) return Status::FailedPrecondition("key generation failed");
  PkeyPtr key = Own(p);
  std::string raw(kRawKeySize, '\0');
  if (type == KeyType::kEd25519) {
    size_t len = raw.size();
    if (EVP_PKEY_get_raw_private_key(key.get(), reinterpret_cast<unsigned char*>(raw.data()),
                                     &len) != 1 ||
        len != kRawKeySize) {
      return Status::FailedPrecondition("cannot extract Ed25519 private key");
    }
  } else {
    BIGNUM* d = nullptr;
    if (EVP_PKEY_get_bn_param(key.get(), OSSL_PKEY_PARAM_PRIV_KEY, &d) != 1) {
      return Status::FailedPrecondition("cannot extract SM2 private key");
    }
    std::unique_ptr<BIGNUM, BnFree> owned(d);
    if (BN_bn2binpad(d, reinterpret_cast<unsigned char*>(raw.data()),
                     static_cast<int>(raw.size())) != static_cast<int>(kRawKeySize)) {
      return Status::FailedPrecondition("cannot encode SM2 private key");
    }
  }
  Result<Signer> s = FromPrivateKey(name, type, AsBytes(raw));
  OPENSSL_cleanse(raw.data(), raw.size());
  return s;
}

Result<Signer> Signer::Parse(std::string_view skey) {
  std::string_view priv1, priv2, name, hex, b64, rest;
  Chop(skey, &priv1, &rest);
  Chop(rest, &priv2, &rest);
  Chop(rest, &name, &rest);
  Chop(rest, &hex, &b64);
  if (priv1 != "PRIVATE" || priv2 != "KEY")
    return Status::InvalidArgument("signer key: missing PRIVATE+KEY");
  if (!IsValidKeyName(name)) return Status::InvalidArgument("signer key: invalid name");
  Result<uint32_t> id = ParseHex32(hex);
  if (!id.ok()) return Status::InvalidArgument("signer key: " + id.status().message());
  Result<std::string> encoded = Base64Decode(b64);
  if (!encoded.ok() || encoded->empty())
    return Status::InvalidArgument("signer key: bad base64 key");
  Result<ParsedKey> parsed = SplitEncodedKey(*encoded);
  if (!parsed.ok()) return Status::InvalidArgument("signer key: " + parsed.status().message());
  Result<Signer> s = FromPrivateKey(name, parsed->type, AsBytes(parsed->raw));
  OPENSSL_cleanse(parsed->raw.data(), parsed->raw.size());
  if (!s.ok()) return Status::InvalidArgument("signer key: " + s.status().message());
  // The ID names the public key, which only exists after derivation.
  if (s->key_id() != *id)
    return Status::InvalidArgument("signer key: key ID does not match the key");
  return s;
}

std::string Signer::ToString() const {
  return "PRIVATE+KEY+" + name() + "+" + Hex32(key_id()) + "+" + Base64Encode(encoded_private_);
}

Result<std::string> Signer::Sign(std::string_view message) const {
  SigContext ctx;
  if (!ctx.Init(key_.get(), type(), /*sign=*/true)) {
    return Status::FailedPrecondition("signature initialisation failed");
  }
  size_t len = 0;
  const auto* msg = reinterpret_cast<const unsigned char*>(message.data());
  if (type() == KeyType::kEd25519) {
    len = 64;
  } else if (EVP_DigestSign(ctx.get(), nullptr, &len, msg, message.size()) != 1) {
    return Status::FailedPrecondition("signature size query failed");
  }
  std::string sig(len, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len, msg,
                     message.size()) != 1) {
    return Status::FailedPrecondition("signing failed");
  }
  sig.resize(len);
  return sig;
}

// ---------------- VerifierSet ----------------

Status VerifierSet::Add(Verifier v) {
  if (Find(v.name(), v.key_id()) != nullptr) {
    return Status::AlreadyExists("ambiguous key " + v.name() + "+" + Hex32(v.key_id()));
  }
  verifiers_.push_back(std::move(v));
  return Status::Ok();
}

Status VerifierSet::AddKey(std::string_view vkey) {
  Result<Verifier> v = Verifier::Parse(vkey);
  if (!v.ok()) return v.status();
  return Add(std::move(*v));
}

const Verifier* VerifierSet::Find(std::string_view name, uint32_t key_id) const {
  for (const Verifier& v : verifiers_) {
    if (v.key_id() == key_id && v.name() == name) return &v;
  }
  return nullptr;
}

// ---------------- notes ----------------

Result<Note> ParseNote(std::string_view msg) {
  if (msg.size() > kMaxNoteBytes)
    return Malformed("larger than " + std::to_string(kMaxNoteBytes) + " bytes");
  if (!IsValidNoteBytes(msg)) return Malformed("not UTF-8 or contains control characters");
  // The text ends at the last blank line.
  size_t split = msg.rfind("\n\n");
  if (split == std::string_view::npos) return Malformed("no blank line before signatures");
  Note note;
  note.text = std::string(msg.substr(0, split + 1));
  std::string_view sigs = msg.substr(split + 2);
  if (sigs.empty() || sigs.back() != '\n')
    return Malformed("signature block must end with a newline");
  while (!sigs.empty()) {
    size_t nl = sigs.find('\n');
    std::string_view line = sigs.substr(0, nl);
    sigs.remove_prefix(nl + 1);
    if (line.substr(0, kSigPrefix.size()) != kSigPrefix)
      return Malformed("signature line must start with an em dash");
    line.remove_prefix(kSigPrefix.size());
    size_t sp = line.find(' ');
    if (sp == std::string_view::npos) return Malformed("signature line has no signature");
    std::string_view name = line.substr(0, sp);
    std::string_view b64 = line.substr(sp + 1);
    if (!IsValidKeyName(name)) return Malformed("invalid key name in signature line");
    Result<std::string> raw = Base64Decode(b64);
    if (!raw.ok()) return Malformed("signature is not base64: " + raw.status().message());
    if (raw->size() < 5) return Malformed("signature too short");
    if (note.signatures.size() == kMaxNoteSignatures) {
      return Malformed("more than " + std::to_string(kMaxNoteSignatures) + " signatures");
    }
    note.signatures.push_back(
        NoteSignature{std::string(name), ReadBigEndian32(*raw), raw->substr(4)});
  }
  return note;
}

Result<std::string> FormatNote(const Note& note) {
  if (!IsValidNoteText(note.text))
    return Malformed("text must be non-empty UTF-8 ending in a newline");
  if (note.signatures.empty()) return Malformed("no signatures");
  std::string out = note.text;
  out.push_back('\n');
  for (const NoteSignature& s : note.signatures) {
    if (!IsValidKeyName(s.name)) return Malformed("invalid key name " + s.name);
    std::string blob(4, '\0');
    blob[0] = static_cast<char>(s.key_id >> 24);
    blob[1] = static_cast<char>(s.key_id >> 16);
    blob[2] = static_cast<char>(s.key_id >> 8);
    blob[3] = static_cast<char>(s.key_id);
    blob.append(s.signature);
    out.append(kSigPrefix);
    out.append(s.name);
    out.push_back(' ');
    out.append(Base64Encode(blob));
    out.push_back('\n');
  }
  return out;
}

namespace {

Status AppendSignatures(const std::string& text, std::span<const Signer> signers,
                        std::vector<NoteSignature>* sigs) {
  for (const Signer& s : signers) {
    std::erase_if(*sigs, [&](const NoteSignature& old) {
      return old.name == s.name() && old.key_id == s.key_id();
    });
  }
  for (const Signer& s : signers) {
    Result<std::string> sig = s.Sign(text);
    if (!sig.ok()) return sig.status();
    sigs->push_back(NoteSignature{s.name(), s.key_id(), std::move(*sig)});
  }
  return Status::Ok();
}

}  // namespace

Result<std::string> SignNote(std::string_view text, std::span<const Signer> signers) {
  if (!IsValidNoteText(text)) return Malformed("text must be non-empty UTF-8 ending in a newline");
  if (signers.empty()) return Status::InvalidArgument("no signers");
  Note note;
  note.text = std::string(text);
  FTZ_RETURN_IF_ERROR(AppendSignatures(note.text, signers, &note.signatures));
  return FormatNote(note);
}

Result<std::string> AddSignatures(std::string_view signed_note, std::span<const Signer> signers) {
  Result<Note> note = ParseNote(signed_note);
  if (!note.ok()) return note.status();
  FTZ_RETURN_IF_ERROR(AppendSignatures(note->text, signers, &note->signatures));
  if (note->signatures.size() > kMaxNoteSignatures) return Malformed("too many signatures");
  return FormatNote(*note);
}

Result<VerifiedNote> OpenNote(std::string_view msg, const VerifierSet& known) {
  Result<Note> note = ParseNote(msg);
  if (!note.ok()) return note.status();
  VerifiedNote out;
  out.text = std::move(note->text);
  std::set<std::pair<std::string, uint32_t>> seen;
  for (NoteSignature& s : note->signatures) {
    const Verifier* v = known.Find(s.name, s.key_id);
    if (v == nullptr) {
      // Unknown key: ignored, but remembered once for the caller.
      if (std::find(out.unverified.begin(), out.unverified.end(), s) == out.unverified.end()) {
        out.unverified.push_back(std::move(s));
      }
      continue;
    }
    if (!seen.insert({s.name, s.key_id}).second) continue;  // one vote per key
    if (!v->Verify(out.text, s.signature)) {
      return Status::FailedPrecondition("invalid signature for key " + s.name + "+" +
                                        Hex32(s.key_id));
    }
    out.verified.push_back(std::move(s));
  }
  if (out.verified.empty()) return Status::FailedPrecondition("note has no verifiable signatures");
  return out;
}

}  // namespace ftz::ledger
