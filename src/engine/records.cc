#include "engine/records.h"

#include <cstdio>
#include <cstdlib>

namespace ftz::engine {
namespace {

void PutU16(std::string* out, uint16_t v) {
  out->push_back(static_cast<char>(v & 0xFF));
  out->push_back(static_cast<char>(v >> 8));
}
uint16_t GetU16(const char* p) {
  return static_cast<uint16_t>(static_cast<unsigned char>(p[0]) |
                               (static_cast<unsigned char>(p[1]) << 8));
}
// A length-prefixed field; the API bounds every field far below 64 KiB, so a
// longer one is a broken invariant, never user input.
void PutField(std::string* out, std::string_view f) {
  if (f.size() > 0xFFFF) {
    std::fprintf(stderr, "ftzport: FATAL: a %zu-byte field in a log record\n", f.size());
    std::abort();
  }
  PutU16(out, static_cast<uint16_t>(f.size()));
  out->append(f);
}
bool GetField(std::string_view p, size_t* pos, std::string* out) {
  if (p.size() < *pos + 2) return false;
  const uint16_t n = GetU16(p.data() + *pos);
  *pos += 2;
  if (p.size() < *pos + n) return false;
  *out = std::string(p.substr(*pos, n));
  *pos += n;
  return true;
}

}  // namespace

std::string EncodeMessageRecord(const MessageRecord& r) {
  std::string out;
  out.reserve(4 + r.caller.size() + r.body.size());
  out.push_back(static_cast<char>(r.syntax));
  out.push_back('\0');
  PutField(&out, r.caller);
  out.append(r.body);
  return out;
}

bool DecodeMessageRecord(std::string_view p, MessageRecord* out) {
  if (p.size() < 4 || static_cast<uint8_t>(p[0]) > 1) return false;
  uint16_t n = GetU16(p.data() + 2);
  if (p.size() < 4u + n) return false;
  out->syntax = static_cast<ceb::Syntax>(p[0]);
  out->caller = p.substr(4, n);
  out->body = p.substr(4 + n);
  return true;
}

std::string EncodeReceiptRecord(const ReceiptRecord& r) {
  std::string out;
  out.reserve(10 + r.cop_code.size() + r.xml.size());
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>(r.answers_seq >> (8 * i)));
  PutField(&out, r.cop_code);
  out.append(r.xml);
  return out;
}

bool DecodeReceiptRecord(std::string_view p, ReceiptRecord* out) {
  if (p.size() < 10) return false;
  uint64_t seq = 0;
  for (int i = 7; i >= 0; --i) seq = (seq << 8) | static_cast<unsigned char>(p[i]);
  uint16_t n = GetU16(p.data() + 8);
  if (p.size() < 10u + n) return false;
  out->answers_seq = seq;
  out->cop_code = p.substr(10, n);
  out->xml = p.substr(10 + n);
  return true;
}

std::string EncodeAdminRecord(const AdminRecord& r) {
  std::string out;
  out.push_back(static_cast<char>(r.kind));
  PutField(&out, r.operator_id);
  if (r.kind == AdminRecord::kRules || r.kind == AdminRecord::kStartRules) {
    const uint32_t n = static_cast<uint32_t>(r.rules_toml.size());
    for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>(n >> (8 * i)));
    out.append(r.rules_toml);
    return out;
  }
  if (r.kind == AdminRecord::kConclude) {
    PutField(&out, r.invt_no);
    out.push_back(r.release ? 1 : 0);
    PutField(&out, r.note);
    return out;
  }
  PutField(&out, r.ems_no);
  PutField(&out, r.item_record_no);
  uint64_t units = static_cast<uint64_t>(r.qty.units());
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>(units >> (8 * i)));
  if (r.kind == AdminRecord::kWriteOff) PutField(&out, r.note);
  if (!r.entry_no.empty()) PutField(&out, r.entry_no);  // absent in records before it
  return out;
}

bool DecodeAdminRecord(std::string_view p, AdminRecord* out) {
  if (p.empty()) return false;
  const uint8_t kind = static_cast<uint8_t>(p[0]);
  size_t pos = 1;
  if (kind == AdminRecord::kRules || kind == AdminRecord::kStartRules) {
    out->kind = static_cast<AdminRecord::Kind>(kind);
    if (!GetField(p, &pos, &out->operator_id) || p.size() < pos + 4) return false;
    uint32_t n = 0;
    for (int i = 3; i >= 0; --i) n = (n << 8) | static_cast<unsigned char>(p[pos + i]);
    pos += 4;
    if (p.size() != pos + n) return false;
    out->rules_toml = std::string(p.substr(pos));
    return true;
  }
  if (kind == AdminRecord::kConclude) {
    out->kind = AdminRecord::kConclude;
    if (!GetField(p, &pos, &out->operator_id) || !GetField(p, &pos, &out->invt_no)) return false;
    if (p.size() < pos + 1 || static_cast<uint8_t>(p[pos]) > 1) return false;
    out->release = p[pos++] == 1;
    return GetField(p, &pos, &out->note) && pos == p.size();
  }
  if (kind != AdminRecord::kGoodsIn && kind != AdminRecord::kWriteOff) return false;
  out->kind = static_cast<AdminRecord::Kind>(kind);
  for (std::string* f : {&out->operator_id, &out->ems_no, &out->item_record_no}) {
    if (!GetField(p, &pos, f)) return false;
  }
  if (p.size() < pos + 8) return false;
  uint64_t units = 0;
  for (int i = 7; i >= 0; --i) units = (units << 8) | static_cast<unsigned char>(p[pos + i]);
  out->qty = Decimal::FromUnits(static_cast<int64_t>(units));
  pos += 8;
  out->note.clear();
  if (kind == AdminRecord::kWriteOff && (!GetField(p, &pos, &out->note) || out->note.empty())) {
    return false;
  }
  out->entry_no.clear();
  if (pos == p.size()) return true;  // no entry number
  return GetField(p, &pos, &out->entry_no) && !out->entry_no.empty() && pos == p.size();
}

}  // namespace ftz::engine
