#include "ledger/proof_bundle.h"

#include <cstring>

#include "ledger/encoding.h"
#include "ledger/proof.h"

namespace ftz::ledger {
namespace {

// A proof for a tree of at most 2^63 leaves has at most 63 hashes.
constexpr size_t kMaxProofHashes = 63;

Status Bad(const std::string& what) { return Status::InvalidArgument("tlog-proof: " + what); }

// Takes the next newline-terminated line off the front of *rest.
bool NextLine(std::string_view* rest, std::string_view* line) {
  size_t nl = rest->find('\n');
  if (nl == std::string_view::npos) return false;
  *line = rest->substr(0, nl);
  rest->remove_prefix(nl + 1);
  return true;
}

}  // namespace

Result<std::string> EncodeProofBundle(const ProofBundle& bundle) {
  if (bundle.checkpoint.empty() || bundle.checkpoint.back() != '\n') {
    return Bad("checkpoint must be a non-empty signed note ending in a newline");
  }
  if (bundle.proof.size() > kMaxProofHashes) return Bad("too many proof hashes");
  std::string out(kProofBundleHeader);
  out.push_back('\n');
  if (bundle.extra.has_value()) {
    out.append("extra ");
    out.append(Base64Encode(*bundle.extra));
    out.push_back('\n');
  }
  out.append("index ");
  out.append(FormatDecimal(bundle.index));
  out.push_back('\n');
  for (const Hash& h : bundle.proof) {
    out.append(Base64Encode(h));
    out.push_back('\n');
  }
  out.push_back('\n');
  out.append(bundle.checkpoint);
  return out;
}

Result<ProofBundle> ParseProofBundle(std::string_view text) {
  std::string_view rest = text;
  std::string_view line;
  if (!NextLine(&rest, &line) || line != kProofBundleHeader) {
    return Bad("missing header line \"" + std::string(kProofBundleHeader) + "\"");
  }
  ProofBundle bundle;
  if (!NextLine(&rest, &line)) return Bad("truncated before the index line");
  constexpr std::string_view kExtra = "extra ";
  if (line.substr(0, kExtra.size()) == kExtra) {
    Result<std::string> extra = Base64Decode(line.substr(kExtra.size()));
    if (!extra.ok()) return Bad("extra data: " + extra.status().message());
    bundle.extra = std::move(*extra);
    if (!NextLine(&rest, &line)) return Bad("truncated before the index line");
  }
  constexpr std::string_view kIndex = "index ";
  if (line.substr(0, kIndex.size()) != kIndex) return Bad("missing index line");
  Result<uint64_t> index = ParseDecimal(line.substr(kIndex.size()));
  if (!index.ok()) return Bad("index: " + index.status().message());
  bundle.index = *index;
  while (true) {
    if (!NextLine(&rest, &line)) return Bad("truncated: no blank line before the checkpoint");
    if (line.empty()) break;
    if (bundle.proof.size() == kMaxProofHashes) return Bad("too many proof hashes");
    Result<std::string> raw = Base64Decode(line);
    if (!raw.ok())
      return Bad("proof hash " + std::to_string(bundle.proof.size()) + ": " +
                 raw.status().message());
    if (raw->size() != kHashSize) {
      return Bad("proof hash " + std::to_string(bundle.proof.size()) + " is " +
                 std::to_string(raw->size()) + " bytes, want 32");
    }
    Hash h;
    std::memcpy(h.data(), raw->data(), kHashSize);
    bundle.proof.push_back(h);
  }
  if (rest.empty()) return Bad("truncated: no checkpoint");
  bundle.checkpoint = std::string(rest);
  return bundle;
}

Result<VerifiedProofBundle> VerifyProofBundle(std::string_view text, const Hash& leaf_hash,
                                              const VerifierSet& known, std::string_view origin) {
  Result<ProofBundle> bundle = ParseProofBundle(text);
  if (!bundle.ok()) return bundle.status();
  Result<VerifiedCheckpoint> cp = OpenCheckpoint(bundle->checkpoint, known, origin);
  if (!cp.ok()) return cp.status();
  Status st = VerifyInclusion(bundle->index, cp->checkpoint.size, leaf_hash, bundle->proof,
                              cp->checkpoint.root);
  if (!st.ok()) return Status(st.code(), "tlog-proof: " + st.message());
  return VerifiedProofBundle{std::move(*bundle), std::move(*cp)};
}

}  // namespace ftz::ledger
