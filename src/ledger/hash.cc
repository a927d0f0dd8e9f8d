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

// One reusable digest context per thread: creating an EVP_MD_CTX per hash
// costs an allocation and dominates the cost of hashing 65 bytes.
class ThreadDigest {
 public:
  ThreadDigest() : ctx_(EVP_MD_CTX_new()) {
    if (ctx_ == nullptr) Die("EVP_MD_CTX_new failed");
  }
  ~ThreadDigest() { EVP_MD_CTX_free(ctx_); }
  ThreadDigest(const ThreadDigest&) = delete;
  ThreadDigest& operator=(const ThreadDigest&) = delete;

  void Begin(const EVP_MD* md) {
    if (EVP_DigestInit_ex2(ctx_, md, nullptr) != 1) Die("EVP_DigestInit_ex2 failed");
  }
  void Update(const void* p, size_t n) {
    if (n != 0 && EVP_DigestUpdate(ctx_, p, n) != 1) Die("EVP_DigestUpdate failed");
  }
  Hash Finish() {
    Hash out;
    unsigned int len = 0;
    if (EVP_DigestFinal_ex(ctx_, out.data(), &len) != 1 || len != kHashSize) {
      Die("EVP_DigestFinal_ex failed");
    }
    return out;
  }

 private:
  EVP_MD_CTX* ctx_;
};

ThreadDigest& Digest() {
  thread_local ThreadDigest d;
  return d;
}

}  // namespace

Hash Sha256(ByteView data) {
  ThreadDigest& d = Digest();
  d.Begin(Sha256Md());
  d.Update(data.data(), data.size());
  return d.Finish();
}

Hash HashLeaf(ByteView data) {
  static constexpr uint8_t kLeafPrefix = 0x00;
  ThreadDigest& d = Digest();
  d.Begin(Sha256Md());
  d.Update(&kLeafPrefix, 1);
  d.Update(data.data(), data.size());
  return d.Finish();
}

Hash HashChildren(const Hash& left, const Hash& right) {
  // One contiguous buffer means one EVP_DigestUpdate call instead of three.
  uint8_t buf[1 + 2 * kHashSize];
  buf[0] = 0x01;
  std::memcpy(buf + 1, left.data(), kHashSize);
  std::memcpy(buf + 1 + kHashSize, right.data(), kHashSize);
  ThreadDigest& d = Digest();
  d.Begin(Sha256Md());
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
  d.Begin(md);
  d.Update(data.data(), data.size());
  return d.Finish();
}

std::string HashToHex(const Hash& h) { return HexEncode(h); }

Result<Hash> HashFromHex(std::string_view hex) {
  if (hex.size() != 2 * kHashSize) {
    return Status::InvalidArgument("hash hex must be 64 digits, got " +
                                   std::to_string(hex.size()));
  }
  Result<std::string> raw = HexDecode(hex);
  if (!raw.ok()) return raw.status();
  Hash h;
  std::memcpy(h.data(), raw->data(), kHashSize);
  return h;
}

}  // namespace ftz::ledger
