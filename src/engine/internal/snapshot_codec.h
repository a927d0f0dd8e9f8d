// The primitives of the engine's snapshot body (docs/snapshot-format.md):
// integers as LEB128 varints (signed ones zigzag-coded first), strings as a
// varint length and the bytes. Most values are small (lengths, amounts in
// fen, counts), and a decided list keeps its record in this encoding for
// good: fixed widths made it a third larger. Reader never reads past its
// input: a short or damaged body makes ok() false and every later read
// return zero values.
#pragma once

#include <algorithm>
#include <bit>
#include <cassert>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace ftz::engine::internal {

// Writes at the end of *out through a pointer, not std::string::append (an
// out-of-line call per field cost more than the bytes: a decided list's
// record, encoded at every decision, holds about 90 fields). *out may hold
// slack past what was written until Finish() trims it: call Finish before
// reading *out.
class SnapshotWriter {
 public:
  explicit SnapshotWriter(std::string* out) : SnapshotWriter(out, out->size()) {}
  // Writes over *out from byte `at` on (a scratch buffer reused between
  // encodings: what lies past written() is slack, left as it is).
  SnapshotWriter(std::string* out, size_t at) : out_(out), used_(at) {
    assert(at <= out->size());  // else Room's size - used_ would wrap
  }
  [[gnu::always_inline]] void U8(uint8_t v) { *Room(1) = static_cast<char>(v); }
  [[gnu::always_inline]] void U32(uint32_t v) { Var(v); }
  [[gnu::always_inline]] void U64(uint64_t v) { Var(v); }
  // Zigzag: small negative amounts stay short too.
  [[gnu::always_inline]] void I64(int64_t v) {
    Var((static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63));
  }
  void Bool(bool v) { U8(v ? 1 : 0); }
  [[gnu::always_inline]] void Str(std::string_view s) {
    Var(s.size());
    Raw(s);
  }
  // Bytes already in this encoding (a part written earlier), as they are;
  // never a view into *out (growing it may move its bytes).
  [[gnu::always_inline]] void Raw(std::string_view s) {
    if (!s.empty()) std::memcpy(Room(s.size()), s.data(), s.size());
  }
  // What has been written so far (valid until the next write).
  std::string_view written() const { return {out_->data(), used_}; }
  // Cuts *out to what was written.
  void Finish() { out_->resize(used_); }

 private:
  [[gnu::always_inline]] void Var(uint64_t v) {
    // Written in place: room for the longest (10 bytes), then only what it
    // took is counted as written.
    if (out_->size() - used_ < 10) Grow(10);
    char* p = out_->data() + used_;
    size_t n = 0;
    for (; v >= 0x80; v >>= 7) p[n++] = static_cast<char>((v & 0x7F) | 0x80);
    p[n++] = static_cast<char>(v);
    used_ += n;
  }
  [[gnu::always_inline]] char* Room(size_t n) {
    if (out_->size() - used_ < n) Grow(n);
    char* p = out_->data() + used_;
    used_ += n;
    return p;
  }
  // Capacity grows geometrically, but the string's size (which resize
  // zero-fills) only a piece at a time: a snapshot body of a gigabyte would
  // otherwise have its whole doubled capacity written, and kept resident.
  [[gnu::noinline]] void Grow(size_t n) {
    constexpr size_t kPiece = 64 << 10;
    const size_t need = used_ + n;
    if (need > out_->capacity()) out_->reserve(std::max(need, 2 * out_->capacity()));
    out_->resize(std::min(out_->capacity(), std::max(need, used_ + kPiece)));
  }
  std::string* out_;
  size_t used_;
};

class SnapshotReader {
 public:
  explicit SnapshotReader(std::string_view in) : in_(in) {}
  bool ok() const { return ok_; }
  bool done() const { return pos_ == in_.size(); }
  uint8_t U8() {
    if (!ok_ || pos_ == in_.size()) return Fail(), 0;
    return static_cast<uint8_t>(in_[pos_++]);
  }
  // A value past 32 bits where 32 were written is damage.
  uint32_t U32() {
    const uint64_t v = Var();
    if (v > UINT32_MAX) Fail();
    return ok_ ? static_cast<uint32_t>(v) : 0;
  }
  uint64_t U64() { return Var(); }
  int64_t I64() {
    const uint64_t v = Var();
    return static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1);
  }
  bool Bool() { return U8() != 0; }
  std::string Str() {
    const uint64_t n = Var();
    if (!ok_ || in_.size() - pos_ < n) return Fail(), std::string();
    std::string s(in_.substr(pos_, n));
    pos_ += n;
    return s;
  }
  // The next n bytes, unparsed (empty and !ok() if fewer are left).
  std::string_view Take(uint64_t n) {
    if (!ok_ || in_.size() - pos_ < n) return Fail(), std::string_view();
    std::string_view s = in_.substr(pos_, n);
    pos_ += n;
    return s;
  }
  // A count of items each at least `min_bytes` long: refused if the rest of
  // the input cannot hold them, so a damaged count cannot make us reserve
  // gigabytes.
  uint64_t Count(size_t min_bytes) {
    const uint64_t n = U64();
    if (ok_ && min_bytes > 0 && n > (in_.size() - pos_) / min_bytes) Fail();
    return ok_ ? n : 0;
  }
  void Fail() { ok_ = false; }
  // Where the next read starts, and the bytes read since such a position.
  size_t pos() const { return pos_; }
  std::string_view Since(size_t pos) const { return in_.substr(pos, pos_ - pos); }

 private:
  // At most 10 bytes; a varint longer than that, or cut short, is damage.
  uint64_t Var() {
    uint64_t v = 0;
    for (int shift = 0; ok_ && pos_ < in_.size() && shift < 64; shift += 7) {
      const auto b = static_cast<uint8_t>(in_[pos_++]);
      v |= uint64_t(b & 0x7F) << shift;
      if (b < 0x80) return v;
    }
    return Fail(), 0;
  }
  std::string_view in_;
  size_t pos_ = 0;
  bool ok_ = true;
};

}  // namespace ftz::engine::internal
