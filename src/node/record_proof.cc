#include "node/record_proof.h"

#include <cstring>

#include "ledger/proof.h"
#include "ledger/proof_bundle.h"

namespace ftz::node {
namespace {

constexpr size_t kExtraHeader = 8 + 8 + 8 + 1 + 3 + ledger::kHashSize + 4;  // 64

void PutLe(std::string* out, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out->push_back(static_cast<char>(v >> (8 * i)));
}
uint64_t GetLe(const char* p, int bytes) {
  uint64_t v = 0;
  for (int i = bytes - 1; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}

Status BadExtra(const std::string& why) {
  return Status::InvalidArgument("tlog-proof extra (FTZREC01 record): " + why);
}

}  // namespace

std::string RecordTypeName(stream::RecordType type) {
  switch (type) {
    case stream::RecordType::kMessage:
      return "message";
    case stream::RecordType::kReceipt:
      return "receipt";
    case stream::RecordType::kTick:
      return "tick";
    case stream::RecordType::kAdmin:
      return "admin";
  }
  return "type " + std::to_string(static_cast<int>(type));
}

std::string EncodeRecordExtra(const OwnedRecord& r) {
  std::string out(kRecordExtraMagic);
  out.reserve(kExtraHeader + r.payload.size());
  PutLe(&out, r.seq, 8);
  PutLe(&out, static_cast<uint64_t>(r.time), 8);
  out.push_back(static_cast<char>(r.type));
  out.append(3, '\0');
  const ledger::Hash c = RecordCommitment(r.type, r.seq, r.time, r.payload);
  out.append(reinterpret_cast<const char*>(c.data()), c.size());
  PutLe(&out, r.payload.size(), 4);
  out.append(r.payload);
  return out;
}

Result<OwnedRecord> DecodeRecordExtra(std::string_view extra) {
  if (extra.size() < kExtraHeader) {
    return BadExtra(std::to_string(extra.size()) + " bytes, shorter than the 64-byte header");
  }
  if (extra.substr(0, 8) != kRecordExtraMagic) return BadExtra("does not start with FTZREC01");
  const char* p = extra.data();
  OwnedRecord r;
  r.seq = GetLe(p + 8, 8);
  r.time = static_cast<UnixMillis>(GetLe(p + 16, 8));
  r.type = static_cast<stream::RecordType>(static_cast<uint8_t>(p[24]));
  if (p[25] != 0 || p[26] != 0 || p[27] != 0) return BadExtra("reserved bytes are not zero");
  ledger::Hash claimed;
  std::memcpy(claimed.data(), p + 28, claimed.size());
  const uint64_t len = GetLe(p + 60, 4);
  if (len != extra.size() - kExtraHeader) {
    return BadExtra("payload length " + std::to_string(len) + " but " +
                    std::to_string(extra.size() - kExtraHeader) + " bytes follow the header");
  }
  r.payload = std::string(extra.substr(kExtraHeader));
  if (RecordCommitment(r.type, r.seq, r.time, r.payload) != claimed) {
    return BadExtra("the record does not match its commitment (record " + std::to_string(r.seq) +
                    " was altered)");
  }
  return r;
}

Result<std::string> MakeRecordBundle(const OwnedRecord& r, const std::vector<ledger::Hash>& proof,
                                     std::string_view signed_checkpoint) {
  ledger::ProofBundle b;
  b.extra = EncodeRecordExtra(r);
  b.index = r.seq;
  b.proof = proof;
  b.checkpoint = std::string(signed_checkpoint);
  return ledger::EncodeProofBundle(b);
}

Result<VerifiedRecord> VerifyRecordBundle(std::string_view bundle, const ledger::VerifierSet& keys,
                                          std::string_view origin) {
  Result<ledger::ProofBundle> parsed = ledger::ParseProofBundle(bundle);
  if (!parsed.ok()) return parsed.status();
  if (!parsed->extra.has_value()) {
    return Status::InvalidArgument(
        "tlog-proof: no extra line, so no record to check (this bundle proves only a leaf "
        "index; ask the window for GET /v1/proofs/bundle)");
  }
  Result<OwnedRecord> record = DecodeRecordExtra(*parsed->extra);
  if (!record.ok()) return record.status();
  if (record->seq != parsed->index) {
    return Status::InvalidArgument("tlog-proof: the record in extra is record " +
                                   std::to_string(record->seq) + " but the bundle's index is " +
                                   std::to_string(parsed->index));
  }
  VerifiedRecord out;
  out.commitment = RecordCommitment(record->type, record->seq, record->time, record->payload);
  out.leaf = ledger::HashLeaf(std::string_view(reinterpret_cast<const char*>(out.commitment.data()),
                                               out.commitment.size()));
  Result<ledger::VerifiedProofBundle> v = ledger::VerifyProofBundle(bundle, out.leaf, keys, origin);
  if (!v.ok()) return v.status();
  out.record = std::move(*record);
  out.checkpoint = std::move(v->checkpoint);
  return out;
}

}  // namespace ftz::node
