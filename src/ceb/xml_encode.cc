// XML writers: inbound messages (for `ftzport gen` and round-trip tests) and
// receipts (what the window answers). Plain string building: receipts are on
// the hot path and their shape is fixed.

#include <cstdio>
#include <cstring>

#include "ceb/ceb.h"
#include "ceb/field_tables.h"
#include "ceb/internal/blocks.h"
#include "ceb/internal/util.h"
#include "core/sha256.h"

namespace ftz::ceb {
namespace {

using internal::AppendXmlEscaped;
using internal::BlockTraits;

// `indent<prefix name>v</prefix name>` and a line break. A receipt is ~10
// such lines per block, encoded on the sequencer: when `v` needs no escaping
// (nearly always) the line is sized once and copied in, not appended in ten
// pieces (docs/performance.md, session 15).
void AppendField(std::string* out, std::string_view indent, std::string_view prefix,
                 std::string_view name, std::string_view v) {
  if (internal::NeedsXmlEscape(v)) {
    out->append(indent).append("<").append(prefix).append(name).append(">");
    AppendXmlEscaped(out, v);
    out->append("</").append(prefix).append(name).append(">\n");
    return;
  }
  const size_t at = out->size();
  out->resize(at + indent.size() + 2 * (prefix.size() + name.size()) + v.size() + 6);
  char* p = out->data() + at;
  auto put = [&p](std::string_view s) {
    std::memcpy(p, s.data(), s.size());
    p += s.size();
  };
  put(indent);
  *p++ = '<';
  put(prefix);
  put(name);
  *p++ = '>';
  put(v);
  *p++ = '<';
  *p++ = '/';
  put(prefix);
  put(name);
  *p++ = '>';
  *p++ = '\n';
}

template <class T>
void AppendPart(std::string* out, std::string_view prefix, const T& obj, std::string_view indent) {
  for (const auto& f : FieldsOf<T>()) {
    // Text is appended from the document itself; only numbers are formatted
    // (receipts are encoded on the sequencer: a copy per field showed there).
    std::string number;
    std::string_view v;
    if (f.kind == FieldKind::kText) {
      v = obj.*f.text;
    } else {
      number = GetField(f, obj);
      v = number;
    }
    // Optional text fields that are empty are left out; numbers are always written.
    if (v.empty() && !f.required) continue;
    AppendField(out, indent, prefix, f.name, v);
  }
}

// `indent` is one tab or four spaces deeper for the element's fields.
template <class T>
void AppendElement(std::string* out, std::string_view prefix, std::string_view name, const T& obj,
                   std::string_view indent, std::string_view inner) {
  out->append(indent).append("<").append(prefix).append(name).append(">\n");
  AppendPart(out, prefix, obj, inner);
  out->append(indent).append("</").append(prefix).append(name).append(">\n");
}

template <class Block>
void AppendBlock(std::string* out, const Block& b) {
  using Traits = BlockTraits<Block>;
  using Head = typename Traits::Head;
  constexpr std::string_view p = "ceb:";
  if constexpr (Traits::kWrapper.empty()) {
    AppendElement(out, p, ElementOf<Head>(), Traits::head(b), "\t", "\t\t");
  } else {
    out->append("\t<ceb:").append(Traits::kWrapper).append(">\n");
    AppendElement(out, p, ElementOf<Head>(), Traits::head(b), "\t\t", "\t\t\t");
    if constexpr (internal::kHasItems<Block>) {
      using Item = typename Traits::Item;
      for (const auto& item : Traits::items(b))
        AppendElement(out, p, ElementOf<Item>(), item, "\t\t", "\t\t\t");
    }
    out->append("\t</ceb:").append(Traits::kWrapper).append(">\n");
  }
}

}  // namespace

std::string EncodeMessageXml(const Message& m) {
  std::string out;
  out.reserve(2048 * m.BlockCount() + 512);
  out.append("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ceb:");
  out.append(RootElementName(m.type));
  out.append(" guid=\"");
  AppendXmlEscaped(&out, m.guid);
  out.append("\" version=\"");
  AppendXmlEscaped(&out, m.version);
  out.append("\" xmlns:ceb=\"http://www.chinaport.gov.cn/ceb\">\n");
  std::visit(
      [&](const auto& blocks) {
        for (const auto& b : blocks) AppendBlock(&out, b);
      },
      m.blocks);
  AppendElement(&out, "ceb:", "BaseTransfer", m.transfer, "\t", "\t\t");
  for (const auto& s : m.subscribe) AppendElement(&out, "ceb:", "BaseSubscribe", s, "\t", "\t\t");
  if (!m.extend_message.empty()) {
    out.append("\t<ceb:ExtendMessage>").append(m.extend_message).append("</ceb:ExtendMessage>\n");
  }
  out.append("</ceb:").append(RootElementName(m.type)).append(">\n");
  return out;
}

std::string EncodeReceiptXml(const ReceiptMessage& r) {
  std::string out;
  out.reserve(400 * r.BlockCount() + 256);
  out.append("<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<");
  out.append(RootElementName(r.type));
  out.append(" xmlns=\"http://www.chinaport.gov.cn/ceb\" guid=\"");
  AppendXmlEscaped(&out, r.guid);
  out.append("\" version=\"");
  AppendXmlEscaped(&out, r.version);
  out.append("\">\n");
  std::visit(
      [&](const auto& blocks) {
        for (const auto& b : blocks) {
          using Part = std::decay_t<decltype(b)>;
          if constexpr (std::is_same_v<Part, TaxBillDoc>) {
            out.append("    <Tax>\n");
            AppendElement(&out, "", ElementOf<TaxHead>(), b.head, "        ", "        \t");
            for (const auto& item : b.items)
              AppendElement(&out, "", ElementOf<TaxItem>(), item, "        ", "        \t");
            out.append("    </Tax>\n");
          } else {
            AppendElement(&out, "", ElementOf<Part>(), b, "    ", "    \t");
          }
        }
      },
      r.blocks);
  out.append("</").append(RootElementName(r.type)).append(">\n");
  return out;
}

std::string EncodeFormatReceiptXml(const FormatReceipt& r) {
  std::string out =
      "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"
      "<CEB900Message xmlns=\"http://www.chinaport.gov.cn/ceb\" guid=\"";
  AppendXmlEscaped(&out, r.guid);
  out.append("\" version=\"1.0\">\n");
  auto field = [&](std::string_view name, std::string_view v) {
    AppendField(&out, "    ", "", name, v);
  };
  field("guid", r.guid);
  field("returnStatus", r.returnStatus);
  field("returnInfo", r.returnInfo);
  field("returnTime", r.returnTime);
  field("oriCopMsgId", r.oriCopMsgId);
  field("oriMessageType", r.oriMessageType);
  // CDATA cannot contain "]]>": split it across two sections.
  out.append("    <oriBizMessage><![CDATA[");
  std::string_view s = r.oriBizMessage;
  for (size_t pos; (pos = s.find("]]>")) != std::string_view::npos; s.remove_prefix(pos + 3)) {
    out.append(s.substr(0, pos + 2)).append("]]><![CDATA[>");
  }
  out.append(s).append("]]></oriBizMessage>\n</CEB900Message>\n");
  return out;
}

std::string WrapInDxp(std::string_view ceb_xml, std::string_view copmsgid, std::string_view sender,
                      std::string_view receiver, std::string_view msg_type) {
  std::string out =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<dxp:DxpMsg ver=\"1.0\" xmlns:dxp=\"http://www.chinaport.gov.cn/dxp\">\n"
      "  <dxp:TransInfo>\n    <dxp:CopMsgId>";
  AppendXmlEscaped(&out, copmsgid);
  out.append("</dxp:CopMsgId>\n    <dxp:SenderId>");
  AppendXmlEscaped(&out, sender);
  out.append("</dxp:SenderId>\n    <dxp:ReceiverIds><dxp:ReceiverId>");
  AppendXmlEscaped(&out, receiver);
  out.append(
      "</dxp:ReceiverId></dxp:ReceiverIds>\n    "
      "<dxp:CreatTime>2026-01-01T00:00:00</dxp:CreatTime>\n    <dxp:MsgType>");
  AppendXmlEscaped(&out, msg_type);
  out.append("</dxp:MsgType>\n  </dxp:TransInfo>\n  <dxp:Data>");
  out.append(internal::Base64Encode(ceb_xml));
  out.append("</dxp:Data>\n</dxp:DxpMsg>\n");
  return out;
}

std::string DeriveGuid(std::string_view seed) { return GuidFromDigest(Sha256(seed)); }

}  // namespace ftz::ceb
