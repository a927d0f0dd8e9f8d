#include "engine/records.h"

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

}  // namespace

std::string EncodeMessageRecord(const MessageRecord& r) {
  std::string out;
  out.reserve(4 + r.caller.size() + r.body.size());
  out.push_back(static_cast<char>(r.syntax));
  out.push_back('\0');
  PutU16(&out, static_cast<uint16_t>(r.caller.size()));
  out.append(r.caller);
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
  PutU16(&out, static_cast<uint16_t>(r.cop_code.size()));
  out.append(r.cop_code);
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
  for (const std::string* f : {&r.operator_id, &r.ems_no, &r.item_record_no}) {
    PutU16(&out, static_cast<uint16_t>(f->size()));
    out.append(*f);
  }
  uint64_t units = static_cast<uint64_t>(r.qty.units());
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>(units >> (8 * i)));
  return out;
}

bool DecodeAdminRecord(std::string_view p, AdminRecord* out) {
  if (p.empty() || static_cast<uint8_t>(p[0]) != AdminRecord::kGoodsIn) return false;
  out->kind = AdminRecord::kGoodsIn;
  size_t pos = 1;
  for (std::string* f : {&out->operator_id, &out->ems_no, &out->item_record_no}) {
    if (p.size() < pos + 2) return false;
    uint16_t n = GetU16(p.data() + pos);
    pos += 2;
    if (p.size() < pos + n) return false;
    *f = std::string(p.substr(pos, n));
    pos += n;
  }
  if (p.size() != pos + 8) return false;
  uint64_t units = 0;
  for (int i = 7; i >= 0; --i) units = (units << 8) | static_cast<unsigned char>(p[pos + i]);
  out->qty = Decimal::FromUnits(static_cast<int64_t>(units));
  return true;
}

}  // namespace ftz::engine
