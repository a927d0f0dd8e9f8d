#include "clearance/digest.h"

#include <openssl/evp.h>

#include <cstdlib>
#include <memory>
#include <string>

namespace ftz::clearance {

namespace {

// The digest is fetched once and each thread reuses one context: a cache with
// no observable state (OpenSSL 3's one-shot SHA256() fetches the algorithm
// under a lock on every call, which costs more than the hashing here).
struct CtxDeleter {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};

const EVP_MD* Sha256Md() {
  static const EVP_MD* md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  return md;
}

}  // namespace

std::array<uint8_t, 32> Sha256Parts(std::initializer_list<std::string_view> parts) {
  thread_local std::unique_ptr<EVP_MD_CTX, CtxDeleter> ctx(EVP_MD_CTX_new());
  std::array<uint8_t, 32> out{};
  unsigned int n = 0;
  bool ok = ctx && Sha256Md() && EVP_DigestInit_ex2(ctx.get(), Sha256Md(), nullptr) == 1;
  for (std::string_view p : parts) {
    uint32_t len = static_cast<uint32_t>(p.size());
    unsigned char prefix[4] = {
        static_cast<unsigned char>(len >> 24), static_cast<unsigned char>(len >> 16),
        static_cast<unsigned char>(len >> 8), static_cast<unsigned char>(len)};
    ok = ok && EVP_DigestUpdate(ctx.get(), prefix, 4) == 1 &&
         EVP_DigestUpdate(ctx.get(), p.data(), p.size()) == 1;
  }
  ok = ok && EVP_DigestFinal_ex(ctx.get(), out.data(), &n) == 1 && n == out.size();
  // Without SHA-256 no decision can be reproduced: cannot continue
  // (docs/errors.md: a broken invariant stops the process).
  if (!ok) std::abort();
  return out;
}

uint32_t DrawPpm(std::initializer_list<std::string_view> parts) {
  std::array<uint8_t, 32> d = Sha256Parts(parts);
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = v << 8 | d[i];
  return static_cast<uint32_t>(v % 1'000'000);
}

std::string DerivedGuid(std::initializer_list<std::string_view> parts) {
  std::array<uint8_t, 32> d = Sha256Parts(parts);
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(36);
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out.push_back('-');
    out.push_back(kHex[d[i] >> 4]);
    out.push_back(kHex[d[i] & 15]);
  }
  return out;
}

}  // namespace ftz::clearance
