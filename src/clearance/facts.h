// What the clearance rules read of an order (CEB311), a payment (CEB411) and
// a waybill (CEB511), packed: the text fields back to back in one string,
// amounts as integers, an order's lines in one array.
//
// These documents wait in the engine until their list is decided. Kept whole
// (about 40 separately allocated strings each, most of them never read
// again), copying them in, reading them cold for the match and freeing them
// afterwards was a large part of the engine's time (docs/performance.md);
// packed, a document is one node, one string and (orders) one array.
//
// Field names in the accessors are the specification's, so the match's
// messages name the same fields as before ("order.acturalPaid").
// Thread safety: values.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/decimal.h"
#include "core/documents.h"

namespace ftz::clearance {

// Where one text field lies in its document's packed text.
struct TextRef {
  uint32_t begin = 0;
  uint32_t size = 0;
  bool operator==(const TextRef&) const = default;
};

// Text fields appended to one string.
class PackedText {
 public:
  TextRef Add(std::string_view s);
  std::string_view operator[](TextRef r) const {
    return std::string_view(bytes_).substr(r.begin, r.size);
  }
  void Reserve(size_t n) { bytes_.reserve(n); }
  // For the engine's snapshots: the bytes as they are, and whether a ref
  // read back from one lies inside them.
  const std::string& bytes() const { return bytes_; }
  static PackedText FromBytes(std::string bytes);
  bool Holds(TextRef r) const {
    return r.begin <= bytes_.size() && r.size <= bytes_.size() - r.begin;
  }
  bool operator==(const PackedText&) const = default;

 private:
  std::string bytes_;
};

struct OrderFacts {
  enum Text : uint8_t {
    kOrderNo,
    kEbpCode,
    kEbcCode,
    kCurrency,
    kBuyerIdType,
    kBuyerIdNumber,
    kBuyerName,
    kPayCode,
    kPayTransactionId,
    kConsignee,
    kConsigneeTelephone,
    kConsigneeAddress,
    kTextCount
  };
  struct Line {
    int64_t gnum = 0;
    Decimal qty, price, total_price;
    TextRef item_name, currency, country;
    bool operator==(const Line&) const = default;
  };
  Decimal goods_value, freight, discount, tax_total, actural_paid;
  std::vector<Line> lines;
  PackedText text;
  std::array<TextRef, kTextCount> fields{};

  std::string_view operator[](Text f) const { return text[fields[f]]; }
  std::string_view operator[](TextRef r) const { return text[r]; }
  static OrderFacts Of(const Order& order);
  bool operator==(const OrderFacts&) const = default;
};

struct PaymentFacts {
  enum Text : uint8_t {
    kOrderNo,
    kEbpCode,
    kPayCode,
    kPayTransactionId,
    kPayerIdType,
    kPayerIdNumber,
    kPayerName,
    kCurrency,
    kTextCount
  };
  Decimal amount_paid;
  PackedText text;
  std::array<TextRef, kTextCount> fields{};

  std::string_view operator[](Text f) const { return text[fields[f]]; }
  static PaymentFacts Of(const Payment& payment);
  bool operator==(const PaymentFacts&) const = default;
};

struct WaybillFacts {
  enum Text : uint8_t {
    kLogisticsCode,
    kLogisticsNo,
    kOrderNo,
    kConsignee,
    kConsigneeTelephone,
    kConsigneeAddress,
    kCurrency,
    kTextCount
  };
  int64_t pack_no = 0;
  Decimal freight, insured_fee;
  PackedText text;
  std::array<TextRef, kTextCount> fields{};

  std::string_view operator[](Text f) const { return text[fields[f]]; }
  static WaybillFacts Of(const Waybill& waybill);
  bool operator==(const WaybillFacts&) const = default;
};

}  // namespace ftz::clearance
