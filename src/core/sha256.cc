#include "core/sha256.h"

#include <openssl/evp.h>

#include <cstdlib>
#include <cstring>
#include <memory>

#include "core/guid.h"

namespace ftz {
namespace {

struct CtxDeleter {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};

const EVP_MD* Sha256Md() {
  static const EVP_MD* md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  return md;
}

EVP_MD_CTX* Begin() {
  thread_local std::unique_ptr<EVP_MD_CTX, CtxDeleter> ctx(EVP_MD_CTX_new());
  if (!ctx || Sha256Md() == nullptr || EVP_DigestInit_ex2(ctx.get(), Sha256Md(), nullptr) != 1) {
    std::abort();
  }
  return ctx.get();
}

void Update(EVP_MD_CTX* ctx, const void* p, size_t n) {
  if (EVP_DigestUpdate(ctx, p, n) != 1) std::abort();
}

Sha256Digest Finish(EVP_MD_CTX* ctx) {
  Sha256Digest out{};
  unsigned int n = 0;
  if (EVP_DigestFinal_ex(ctx, out.data(), &n) != 1 || n != out.size()) std::abort();
  return out;
}

}  // namespace

Sha256Digest Sha256(std::string_view bytes) {
  EVP_MD_CTX* ctx = Begin();
  Update(ctx, bytes.data(), bytes.size());
  return Finish(ctx);
}

Sha256Digest Sha256Parts(std::initializer_list<std::string_view> parts) {
  // Each part is preceded by its length (4 bytes, big-endian). Small inputs
  // (a selection draw: salt, version, two keys, purpose) are gathered into
  // one buffer and hashed in one call: a call through EVP per piece cost
  // more than the hash itself.
  constexpr size_t kGathered = 512;
  size_t total = 0;
  for (std::string_view p : parts) total += 4 + p.size();
  auto put_length = [](unsigned char* out, size_t n) {
    const auto len = static_cast<uint32_t>(n);
    out[0] = static_cast<unsigned char>(len >> 24);
    out[1] = static_cast<unsigned char>(len >> 16);
    out[2] = static_cast<unsigned char>(len >> 8);
    out[3] = static_cast<unsigned char>(len);
  };
  EVP_MD_CTX* ctx = Begin();
  if (total <= kGathered) {
    unsigned char buf[kGathered];
    unsigned char* at = buf;
    for (std::string_view p : parts) {
      put_length(at, p.size());
      if (!p.empty()) std::memcpy(at + 4, p.data(), p.size());
      at += 4 + p.size();
    }
    Update(ctx, buf, total);
    return Finish(ctx);
  }
  for (std::string_view p : parts) {
    unsigned char prefix[4];
    put_length(prefix, p.size());
    Update(ctx, prefix, 4);
    Update(ctx, p.data(), p.size());
  }
  return Finish(ctx);
}

std::string GuidFromDigest(const Sha256Digest& d) {
  uint8_t first[16];
  std::memcpy(first, d.data(), sizeof first);
  return FormatGuid(first);
}

}  // namespace ftz
