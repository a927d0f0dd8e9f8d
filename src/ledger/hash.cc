#include "ledger/hash.h"

#include <openssl/evp.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "ledger/encoding.h"

namespace ftz::ledger {
namespace {

[[noreturn]] void Die(const char* what) {
  std::fprintf(stderr, "ftz::ledger: fatal: %s\n", what);
  std::abort();
}

// Digest algorithms are fetched once per process; EVP_MD objects are
// reference counted and immutable, so sharing them between threads is safe.
const EVP_MD* Sha256Md() {
  static const EVP_MD* md = [] {
    EVP_MD* m = EVP_MD_fetch(nullptr, "SHA256", nullptr);
    if (m == nullptr) Die("OpenSSL has no SHA256");
    return m;
  }();
  return md;
}

const EVP_MD* Sm3Md() {
  static const EVP_MD* md = EVP_MD_fetch(nullptr, "SM3", nullptr);
  return md;  // may be null: reported by Sm3()
}

// Per-thread digest state. Creating an EVP_MD_CTX per hash costs an
// allocation; instead each hash starts by copying a context initialised once
// with the RFC 6962 prefix byte already absorbed (one EVP call fewer per hash,
// and no slower than re-initialising: see docs/ledger-format.md, "Measured").
class ThreadDigest {
 public:
  ThreadDigest() {
    for (EVP_MD_CTX** c : {&work_, &plain_, &leaf_, &node_}) {
      *c = EVP_MD_CTX_new();
      if (*c == nullptr) Die("EVP_MD_CTX_new failed");
    }
    static constexpr uint8_t kLeafPrefix = 0x00;
    static constexpr uint8_t kNodePrefix = 0x01;
    const EVP_MD* md = Sha256Md();
    if (EVP_DigestInit_ex2(plain_, md, nullptr) != 1 ||
        EVP_DigestInit_ex2(leaf_, md, nullptr) != 1 ||
        EVP_DigestUpdate(leaf_, &kLeafPrefix, 1) != 1 ||
        EVP_DigestInit_ex2(node_, md, nullptr) != 1 ||
        EVP_DigestUpdate(node_, &kNodePrefix, 1) != 1) {
      Die("SHA-256 initialisation failed");
    }
  }
  ~ThreadDigest() {
    for (EVP_MD_CTX* c : {work_, plain_, leaf_, node_}) EVP_MD_CTX_free(c);
  }
  ThreadDigest(const ThreadDigest&) = delete;
  ThreadDigest& operator=(const ThreadDigest&) = delete;

  enum Start { kPlain, kLeaf, kNode };
  void Begin(Start start) {
    EVP_MD_CTX* from = start == kPlain ? plain_ : start == kLeaf ? leaf_ : node_;
    if (EVP_MD_CTX_copy_ex(work_, from) != 1) Die("EVP_MD_CTX_copy_ex failed");
  }
  void BeginWith(const EVP_MD* md) {
    if (EVP_DigestInit_ex2(work_, md, nullptr) != 1) Die("EVP_DigestInit_ex2 failed");
  }
  void Update(const void* p, size_t n) {
    if (n != 0 && EVP_DigestUpdate(work_, p, n) != 1) Die("EVP_DigestUpdate failed");
  }
  Hash Finish() {
    Hash out;
    unsigned int len = 0;
    if (EVP_DigestFinal_ex(work_, out.data(), &len) != 1 || len != kHashSize) {
      Die("EVP_DigestFinal_ex failed");
    }
    return out;
  }

 private:
  EVP_MD_CTX* work_ = nullptr;
  EVP_MD_CTX* plain_ = nullptr;  // SHA-256, nothing absorbed
  EVP_MD_CTX* leaf_ = nullptr;   // SHA-256 after 0x00
  EVP_MD_CTX* node_ = nullptr;   // SHA-256 after 0x01
};

ThreadDigest& Digest() {
  thread_local ThreadDigest d;
  return d;
}

}  // namespace

Hash Sha256(ByteView data) {
  ThreadDigest& d = Digest();
  d.Begin(ThreadDigest::kPlain);
  d.Update(data.data(), data.size());
  return d.Finish();
}

Hash HashLeaf(ByteView data) {
  ThreadDigest& d = Digest();
  d.Begin(ThreadDigest::kLeaf);  // 0x00 already absorbed
  d.Update(data.data(), data.size());
  return d.Finish();
}

Hash HashChildren(const Hash& left, const Hash& right) {
  // One contiguous buffer means one EVP_DigestUpdate call instead of two.
  uint8_t buf[2 * kHashSize];
  std::memcpy(buf, left.data(), kHashSize);
  std::memcpy(buf + kHashSize, right.data(), kHashSize);
  ThreadDigest& d = Digest();
  d.Begin(ThreadDigest::kNode);  // 0x01 already absorbed
  d.Update(buf, sizeof(buf));
  return d.Finish();
}

const Hash& EmptyRoot() {
  static const Hash empty = Sha256(ByteView());
  return empty;
}

Result<Hash> Sm3(ByteView data) {
  const EVP_MD* md = Sm3Md();
  if (md == nullptr) return Status::FailedPrecondition("this OpenSSL build has no SM3 digest");
  ThreadDigest& d = Digest();
  d.BeginWith(md);
  d.Update(data.data(), data.size());
  return d.Finish();
}

std::string HashToHex(const Hash& h) { return HexEncode(h); }

Result<Hash> HashFromHex(std::string_view hex) {
  if (hex.size() != 2 * kHashSize) {
    return Status::InvalidArgument("hash hex must be 64 digits, got " + std::to_string(hex.size()));
  }
  Result<std::string> raw = HexDecode(hex);
  if (!raw.ok()) return raw.status();
  Hash h;
  std::memcpy(h.data(), raw->data(), kHashSize);
  return h;
}

}  // namespace ftz::ledger
