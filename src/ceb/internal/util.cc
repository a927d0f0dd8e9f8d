#include "ceb/internal/util.h"

#include <openssl/evp.h>

#include <array>
#include <cstdio>

namespace ftz::ceb::internal {

bool Base64Decode(std::string_view in, std::string* out) {
  // OpenSSL's streaming decoder skips line breaks and spaces, as DXP senders use them.
  out->assign(in.size() / 4 * 3 + 3, '\0');
  EVP_ENCODE_CTX* ctx = EVP_ENCODE_CTX_new();
  if (ctx == nullptr) return false;
  EVP_DecodeInit(ctx);
  int n1 = 0, n2 = 0;
  int rc = EVP_DecodeUpdate(ctx, reinterpret_cast<unsigned char*>(out->data()), &n1,
                            reinterpret_cast<const unsigned char*>(in.data()),
                            static_cast<int>(in.size()));
  bool ok =
      rc >= 0 && EVP_DecodeFinal(ctx, reinterpret_cast<unsigned char*>(out->data()) + n1, &n2) >= 0;
  EVP_ENCODE_CTX_free(ctx);
  if (!ok) return false;
  out->resize(n1 + n2);
  return true;
}

std::string Base64Encode(std::string_view in) {
  std::string out(4 * ((in.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(in.data()),
                          static_cast<int>(in.size()));
  out.resize(n);
  return out;
}

namespace {

// The five characters XML escapes, as a table: the receipts' text is scanned
// byte by byte on the sequencer, and a load is cheaper than five compares.
constexpr std::array<bool, 256> kXmlSpecial = [] {
  std::array<bool, 256> t{};
  for (unsigned char c : {'&', '<', '>', '"', '\''}) t[c] = true;
  return t;
}();

size_t FirstXmlSpecial(std::string_view s, size_t from) {
  for (size_t i = from; i < s.size(); ++i) {
    if (kXmlSpecial[static_cast<unsigned char>(s[i])]) return i;
  }
  return s.size();
}

}  // namespace

bool NeedsXmlEscape(std::string_view s) { return FirstXmlSpecial(s, 0) < s.size(); }

void AppendXmlEscaped(std::string* out, std::string_view s) {
  size_t start = 0;
  for (size_t i = FirstXmlSpecial(s, 0); i < s.size(); i = FirstXmlSpecial(s, start)) {
    out->append(s.data() + start, i - start);
    switch (s[i]) {
      case '&':
        out->append("&amp;");
        break;
      case '<':
        out->append("&lt;");
        break;
      case '>':
        out->append("&gt;");
        break;
      case '"':
        out->append("&quot;");
        break;
      default:
        out->append("&apos;");
        break;
    }
    start = i + 1;
  }
  out->append(s.data() + start, s.size() - start);
}

void AppendJsonString(std::string* out, std::string_view s) {
  out->push_back('"');
  size_t start = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out->append(s.data() + start, i - start);
    switch (c) {
      case '"':
        out->append("\\\"");
        break;
      case '\\':
        out->append("\\\\");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\r':
        out->append("\\r");
        break;
      case '\t':
        out->append("\\t");
        break;
      default: {
        char buf[8];
        std::snprintf(buf, sizeof buf, "\\u%04x", c);
        out->append(buf);
      }
    }
    start = i + 1;
  }
  out->append(s.data() + start, s.size() - start);
  out->push_back('"');
}

std::string Indexed(std::string_view name, size_t zero_based) {
  return std::string(name) + "[" + std::to_string(zero_based + 1) + "]";
}

}  // namespace ftz::ceb::internal

#include "ceb/field_tables.h"
#include "ceb/internal/blocks.h"

namespace ftz::ceb::internal {

bool IsReceiptType(MessageType t) {
  switch (t) {
    case MessageType::kOrderReceipt:
    case MessageType::kPaymentReceipt:
    case MessageType::kWaybillReceipt:
    case MessageType::kWaybillStatusReceipt:
    case MessageType::kInventoryListReceipt:
    case MessageType::kCancellationReceipt:
    case MessageType::kReturnReceipt:
    case MessageType::kWarehouseEntryReceipt:
    case MessageType::kTaxBill:
      return true;
    default:
      return false;
  }
}

}  // namespace ftz::ceb::internal

namespace ftz::ceb::internal {

template <class Part>
std::string_view ReceiptElementOf() {
  if constexpr (std::is_same_v<Part, TaxBillDoc>) {
    return "Tax";
  } else {
    return ElementOf<Part>();
  }
}

template std::string_view ReceiptElementOf<OrderReturn>();
template std::string_view ReceiptElementOf<PaymentReturn>();
template std::string_view ReceiptElementOf<LogisticsReturn>();
template std::string_view ReceiptElementOf<LogisticsStatusReturn>();
template std::string_view ReceiptElementOf<InventoryReturn>();
template std::string_view ReceiptElementOf<InvtCancelReturn>();
template std::string_view ReceiptElementOf<InvtRefundReturn>();
template std::string_view ReceiptElementOf<DeliveryReturn>();
template std::string_view ReceiptElementOf<TaxBillDoc>();

}  // namespace ftz::ceb::internal
