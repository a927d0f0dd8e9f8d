#include "ledger/checkpoint.h"

#include <cstring>

#include "ledger/encoding.h"

namespace ftz::ledger {
namespace {

bool HasControlOrNewline(std::string_view s) {
  for (char c : s) {
    if (static_cast<uint8_t>(c) < 0x20) return true;
  }
  return false;
}

}  // namespace

Result<std::string> FormatCheckpoint(const Checkpoint& cp) {
  if (cp.origin.empty() || HasControlOrNewline(cp.origin)) {
    return Status::InvalidArgument("checkpoint: origin must be a non-empty single line");
  }
  std::string out = cp.origin;
  out.push_back('\n');
  out.append(FormatDecimal(cp.size));
  out.push_back('\n');
  out.append(Base64Encode(cp.root));
  out.push_back('\n');
  for (const std::string& ext : cp.extensions) {
    if (ext.empty() || HasControlOrNewline(ext)) {
      return Status::InvalidArgument("checkpoint: extension lines must be non-empty single lines");
    }
    out.append(ext);
    out.push_back('\n');
  }
  return out;
}

Result<Checkpoint> ParseCheckpoint(std::string_view text) {
  if (text.empty() || text.back() != '\n') {
    return Status::InvalidArgument("checkpoint: text must end with a newline");
  }
  std::vector<std::string_view> lines;
  for (std::string_view rest = text; !rest.empty();) {
    size_t nl = rest.find('\n');
    std::string_view line = rest.substr(0, nl);
    rest.remove_prefix(nl + 1);
    if (line.empty()) return Status::InvalidArgument("checkpoint: empty line");
    if (HasControlOrNewline(line)) return Status::InvalidArgument("checkpoint: control character");
    lines.push_back(line);
  }
  if (lines.size() < 3) {
    return Status::InvalidArgument("checkpoint: needs origin, size and root hash lines, got " +
                                   std::to_string(lines.size()));
  }
  Checkpoint cp;
  cp.origin = std::string(lines[0]);
  Result<uint64_t> size = ParseDecimal(lines[1]);
  if (!size.ok())
    return Status::InvalidArgument("checkpoint: tree size: " + size.status().message());
  cp.size = *size;
  Result<std::string> root = Base64Decode(lines[2]);
  if (!root.ok())
    return Status::InvalidArgument("checkpoint: root hash: " + root.status().message());
  if (root->size() != kHashSize) {
    return Status::InvalidArgument("checkpoint: root hash is " + std::to_string(root->size()) +
                                   " bytes, want 32");
  }
  std::memcpy(cp.root.data(), root->data(), kHashSize);
  for (size_t i = 3; i < lines.size(); ++i) cp.extensions.emplace_back(lines[i]);
  return cp;
}

Result<std::string> SignCheckpoint(const Checkpoint& cp, std::span<const Signer> signers) {
  Result<std::string> text = FormatCheckpoint(cp);
  if (!text.ok()) return text.status();
  return SignNote(*text, signers);
}

Result<VerifiedCheckpoint> OpenCheckpoint(std::string_view signed_checkpoint,
                                          const VerifierSet& known,
                                          std::string_view expected_origin) {
  Result<VerifiedNote> note = OpenNote(signed_checkpoint, known);
  if (!note.ok()) return note.status();
  Result<Checkpoint> cp = ParseCheckpoint(note->text);
  if (!cp.ok()) return cp.status();
  if (!expected_origin.empty() && cp->origin != expected_origin) {
    return Status::InvalidArgument("checkpoint: origin \"" + cp->origin +
                                   "\" is not the expected \"" + std::string(expected_origin) +
                                   "\"");
  }
  return VerifiedCheckpoint{std::move(*cp), std::move(*note)};
}

}  // namespace ftz::ledger
