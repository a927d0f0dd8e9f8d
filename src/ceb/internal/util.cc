#include "ceb/internal/util.h"

#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <cstdint>
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

int DecodeUtf8(const unsigned char* p, const unsigned char* end, uint32_t* cp) {
  const unsigned char c = *p;
  const int len = c < 0x80             ? 1
                  : (c & 0xE0) == 0xC0 ? 2
                  : (c & 0xF0) == 0xE0 ? 3
                  : (c & 0xF8) == 0xF0 ? 4
                                       : 0;
  if (len == 0 || end - p < len) return 0;
  uint32_t v = len == 1 ? c : c & (0x7F >> len);
  for (int i = 1; i < len; ++i) {
    if ((p[i] & 0xC0) != 0x80) return 0;
    v = (v << 6) | (p[i] & 0x3F);
  }
  static constexpr uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
  if (v < kMin[len] || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) return 0;
  *cp = v;
  return len;
}

std::string SafeText(std::string_view s, size_t max_chars) {
  std::string out;
  out.reserve(std::min(s.size(), 4 * max_chars + 3));
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const auto* end = p + s.size();
  size_t chars = 0, before_last = 0;
  while (p < end) {
    if (chars == max_chars) {
      // More is left: the last character kept gives way to "…".
      out.resize(before_last);
      out += "…";
      break;
    }
    before_last = out.size();
    uint32_t cp = 0;
    const int len = DecodeUtf8(p, end, &cp);
    const bool ok = len > 0 && !(cp < 0x20 && cp != '\t' && cp != '\n' && cp != '\r') &&
                    cp != 0xFFFE && cp != 0xFFFF;
    if (ok) {
      out.append(reinterpret_cast<const char*>(p), static_cast<size_t>(len));
      p += len;
    } else {
      out += "\xEF\xBF\xBD";  // U+FFFD
      ++p;
    }
    ++chars;
  }
  return out;
}

}  // namespace ftz::ceb::internal
