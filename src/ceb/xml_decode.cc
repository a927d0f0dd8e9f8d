// XML decoding of inbound CEB messages and receipts with pugixml.
//
// pugixml is not namespace-aware, so names are split into prefix and local
// part here and the prefix is resolved against the xmlns declarations in
// scope. pugixml never expands entities other than the five predefined ones
// and character references; a DOCTYPE (the carrier of billion-laughs and
// external-entity attacks) is refused outright.

#include <pugixml.hpp>

#include <cstdint>
#include <cstring>

#include "ceb/ceb.h"
#include "ceb/field_tables.h"
#include "ceb/internal/blocks.h"
#include "ceb/internal/util.h"
#include "ceb/internal/xml_parse.h"

namespace ftz::ceb {
namespace {

using internal::BlockTraits;
using internal::Indexed;

constexpr std::string_view kDxpNamespace = "http://www.chinaport.gov.cn/dxp";

std::string_view LocalName(const char* qname, std::string_view* prefix) {
  // One pass to the colon or the end (not a length, then a search).
  const size_t colon = std::strcspn(qname, ":");
  if (qname[colon] == '\0') {
    *prefix = {};
    return std::string_view(qname, colon);
  }
  *prefix = std::string_view(qname, colon);
  return std::string_view(qname + colon + 1);
}

// True if element `n` holds text of its own (its first content, which
// kXmlParseOptions keeps in the element instead of a child node).
bool HasText(pugi::xml_node n) { return *n.value() != '\0'; }

bool SameText(std::string_view a, std::string_view b) {
  // An empty view may hold a null pointer, which memcmp must not be given.
  return a.size() == b.size() && (a.empty() || std::memcmp(a.data(), b.data(), a.size()) == 0);
}

// True if `text` has a character reference that pugixml decodes to U+0000
// (`&#0;`, `&#x0000;`, or a number past 32 bits that wraps to 0): as
// pugixml reads one, digits into an unsigned 32-bit sum, `x` for hex, up to
// `;`. XML allows no U+0000, and pugixml would give it as a string's end.
bool HasNulReference(std::string_view text) {
  for (size_t at = text.find("&#"); at != std::string_view::npos; at = text.find("&#", at + 2)) {
    size_t i = at + 2;
    const bool hex = i < text.size() && text[i] == 'x';
    if (hex) ++i;
    uint32_t value = 0;
    size_t digits = 0;
    for (; i < text.size(); ++i, ++digits) {
      const unsigned int c = static_cast<unsigned char>(text[i]);
      if (c - '0' <= 9) {
        value = value * (hex ? 16 : 10) + (c - '0');
      } else if (hex && (c | ' ') - 'a' <= 5) {
        value = value * 16 + ((c | ' ') - 'a' + 10);
      } else {
        break;
      }
    }
    if (digits > 0 && i < text.size() && text[i] == ';' && value == 0) return true;
  }
  return false;
}

// The namespace URI bound to `prefix` at element `n` ("" if none).
std::string_view NamespaceOf(pugi::xml_node n, std::string_view prefix) {
  for (; n && n.type() == pugi::node_element; n = n.parent()) {
    // CEB elements below the root carry no attributes: skip them cheaply.
    for (pugi::xml_attribute a = n.first_attribute(); a; a = a.next_attribute()) {
      std::string_view name = a.name();
      if (name.substr(0, 5) != "xmlns") continue;
      std::string_view bound = name.size() == 5 ? std::string_view() : name.substr(6);
      if ((name.size() == 5 || name[5] == ':') && bound == prefix) return a.value();
    }
  }
  return {};
}

// Walks one message, collecting every error rather than stopping at the first.
class Reader {
 public:
  Reader(DecodeResult* out, bool lenient) : out_(out), lenient_(lenient) {}

  void Error(int block, std::string path, std::string reason) {
    if (out_->errors.size() < 100)
      out_->errors.push_back({block, std::move(path), std::move(reason)});
  }

  // Remembers which prefix the root binds to the CEB namespace, so elements
  // below it (which carry no attributes) resolve without walking up the tree.
  void SetRoot(pugi::xml_node root) {
    std::string_view prefix;
    LocalName(root.name(), &prefix);
    std::string_view ns = NamespaceOf(root, prefix);
    root_is_ceb_ = ns == kCebNamespace || (lenient_ && ns.empty());
    root_prefix_ = prefix;
  }

  // True if `n` is a CEB element; its local name in *local.
  bool IsCeb(pugi::xml_node n, std::string_view* local) {
    const char* name = n.name();
    std::string_view prefix;
    if (!n.first_attribute() && !redeclared_) {
      // The usual case: the root's prefix (it has no colon, so the colon
      // after it is the name's first), checked without searching the name.
      const size_t k = root_prefix_.size();
      if (k > 0 && std::strncmp(name, root_prefix_.data(), k) == 0 && name[k] == ':') {
        *local = std::string_view(name + k + 1);
        return root_is_ceb_;
      }
      *local = LocalName(name, &prefix);
      return root_is_ceb_ && SameText(prefix, root_prefix_);
    }
    *local = LocalName(name, &prefix);
    for (pugi::xml_attribute a = n.first_attribute(); a; a = a.next_attribute()) {
      if (std::string_view(a.name()).substr(0, 5) == "xmlns") redeclared_ = true;
    }
    std::string_view ns = NamespaceOf(n, prefix);
    return ns == kCebNamespace || (lenient_ && ns.empty());
  }

  // Reads the fields of one part (a head, a line, BaseTransfer) from the
  // children of `node`. Unknown, repeated and missing required fields are errors.
  template <class T>
  void ReadPart(pugi::xml_node node, int block, const internal::LazyPath& path, T* obj) {
    auto fields = FieldsOf<T>();
    uint64_t seen[2] = {0, 0};  // bit per field; no part has more than 128 fields
    int hint = 0;
    if (HasText(node)) Error(block, path.str(), "text outside any field");
    for (pugi::xml_node c = node.first_child(); c; c = c.next_sibling()) {
      if (c.type() != pugi::node_element) {
        if (c.type() == pugi::node_pcdata || c.type() == pugi::node_cdata) {
          Error(block, path.str(), "text outside any field");
        }
        continue;
      }
      std::string_view local;
      if (!IsCeb(c, &local)) {
        Error(block, path.str() + "/" + std::string(c.name()),
              "element is not in the CEB namespace");
        continue;
      }
      int i = FindField(fields, local, hint);
      if (i < 0) {
        Error(block, path.str() + "/" + std::string(local), "unknown field");
        continue;
      }
      hint = i + 1;
      if (seen[i / 64] & (1ULL << (i % 64))) {
        Error(block, path.str() + "/" + std::string(local), "field appears more than once");
        continue;
      }
      seen[i / 64] |= 1ULL << (i % 64);
      // The field's text is the element's own value (kXmlParseOptions); a
      // child is there only for CDATA, for text after a comment or an
      // element, or for an element: one CDATA section alone is text too.
      const char* text = c.value();
      if (pugi::xml_node inner = c.first_child()) {
        if (*text != '\0' || inner.type() == pugi::node_element || inner.next_sibling()) {
          Error(block, path.str() + "/" + std::string(local), "must contain text only");
          continue;
        }
        text = inner.value();
      }
      std::string reason = SetField(fields[i], text, obj, lenient_);
      if (!reason.empty()) Error(block, path.str() + "/" + std::string(local), std::move(reason));
    }
    for (size_t i = 0; i < fields.size() && !lenient_; ++i) {
      if (fields[i].required && !(seen[i / 64] & (1ULL << (i % 64)))) {
        Error(block, path.str() + "/" + std::string(fields[i].name), "missing required field");
      }
    }
  }

  template <class Block>
  void ReadBlock(pugi::xml_node node, int index, Block* b) {
    using Traits = BlockTraits<Block>;
    using Head = typename Traits::Head;
    if constexpr (Traits::kWrapper.empty()) {
      ReadPart(node, index, internal::LazyPath{nullptr, ElementOf<Head>(), index},
               &Traits::head(*b));
    } else {
      const internal::LazyPath path{nullptr, Traits::kWrapper, index};
      int heads = 0;
      if (HasText(node)) Error(index, path.str(), "text outside any element");
      for (pugi::xml_node c = node.first_child(); c; c = c.next_sibling()) {
        if (c.type() != pugi::node_element) {
          if (c.type() == pugi::node_pcdata || c.type() == pugi::node_cdata) {
            Error(index, path.str(), "text outside any element");
          }
          continue;
        }
        std::string_view local;
        if (!IsCeb(c, &local)) {
          Error(index, path.str() + "/" + std::string(c.name()),
                "element is not in the CEB namespace");
          continue;
        }
        if (local == ElementOf<Head>()) {
          if (++heads > 1) {
            Error(index, path.str() + "/" + std::string(local), "more than one head");
            continue;
          }
          ReadPart(c, index, internal::LazyPath{&path, ElementOf<Head>()}, &Traits::head(*b));
          continue;
        }
        if constexpr (internal::kHasItems<Block>) {
          using Item = typename Traits::Item;
          if (local == ElementOf<Item>()) {
            auto& items = Traits::items(*b);
            if (static_cast<int>(items.size()) >= Traits::kMaxItems) {
              if (static_cast<int>(items.size()) == Traits::kMaxItems) {
                Error(index, path.str() + "/" + std::string(local),
                      "more than " + std::to_string(Traits::kMaxItems) + " lines");
                too_many_ = true;
              }
              items.emplace_back();  // counted, not read
              continue;
            }
            items.emplace_back();
            ReadPart(
                c, index,
                internal::LazyPath{&path, ElementOf<Item>(), static_cast<long>(items.size() - 1)},
                &items.back());
            continue;
          }
        }
        Error(index, path.str() + "/" + std::string(local), "unexpected element");
      }
      if (heads == 0)
        Error(index, path.str() + "/" + std::string(ElementOf<Head>()), "missing head");
      if constexpr (internal::kHasItems<Block>) {
        auto& items = Traits::items(*b);
        if (items.size() > static_cast<size_t>(Traits::kMaxItems)) {
          items.resize(Traits::kMaxItems);
        }
        using Item = typename Traits::Item;
        internal::CheckLines<Block>(items, [&](int k, std::string reason) {
          std::string where =
              Indexed(path.str() + "/" + std::string(ElementOf<Item>()), k < 0 ? 0 : k);
          Error(index, k < 0 ? path.str() + "/" + std::string(ElementOf<Item>()) : where + "/gnum",
                std::move(reason));
        });
      }
    }
  }

  template <class Block>
  void ReadMessage(pugi::xml_node root, std::vector<Block>* blocks) {
    using Traits = BlockTraits<Block>;
    using Head = typename Traits::Head;
    const std::string_view block_name =
        Traits::kWrapper.empty() ? ElementOf<Head>() : Traits::kWrapper;
    int transfers = 0, subscribes = 0, extends = 0, signatures = 0;
    if (HasText(root)) Error(-1, root.name(), "text outside any element");
    for (pugi::xml_node c = root.first_child(); c; c = c.next_sibling()) {
      if (c.type() != pugi::node_element) {
        if (c.type() == pugi::node_pcdata || c.type() == pugi::node_cdata) {
          Error(-1, root.name(), "text outside any element");
        }
        continue;
      }
      std::string_view prefix;
      std::string_view local = LocalName(c.name(), &prefix);
      std::string_view ns = NamespaceOf(c, prefix);
      if (local == "Signature" && ns == kDsigNamespace) {
        if (++signatures > 1) Error(-1, "Signature", "more than one signature");
        out_->message.signed_ = true;
        continue;
      }
      if (!(ns == kCebNamespace || (lenient_ && ns.empty()))) {
        Error(-1, std::string(c.name()), "element is not in the CEB namespace");
        continue;
      }
      if (local == block_name) {
        if (transfers > 0)
          Error(-1, Indexed(block_name, blocks->size()), "business block after BaseTransfer");
        if (static_cast<int>(blocks->size()) >= Traits::kMaxBlocks) {
          if (!too_many_) {
            Error(-1, Indexed(block_name, blocks->size()),
                  "more than " + std::to_string(Traits::kMaxBlocks) + " business blocks");
          }
          too_many_ = true;
          continue;
        }
        if (blocks->empty()) {
          // Sized once for the blocks that follow (a block is a large value
          // to move each time the vector would grow).
          size_t n = 0;
          for (pugi::xml_node b = c; b && n < Traits::kMaxBlocks; b = b.next_sibling()) ++n;
          blocks->reserve(n);
        }
        blocks->emplace_back();
        ReadBlock(c, static_cast<int>(blocks->size()) - 1, &blocks->back());
      } else if (local == "BaseTransfer") {
        if (++transfers > 1) {
          Error(-1, "BaseTransfer", "more than one BaseTransfer");
          continue;
        }
        ReadPart(c, -1, internal::LazyPath{nullptr, "BaseTransfer"}, &out_->message.transfer);
      } else if (local == "BaseSubscribe") {
        if (++subscribes > 5) {
          Error(-1, "BaseSubscribe", "more than 5 BaseSubscribe");
          continue;
        }
        out_->message.subscribe.emplace_back();
        ReadPart(c, -1, internal::LazyPath{nullptr, "BaseSubscribe", subscribes - 1},
                 &out_->message.subscribe.back());
      } else if (local == "ExtendMessage") {
        if (++extends > 1) {
          Error(-1, "ExtendMessage", "more than one ExtendMessage");
          continue;
        }
        struct Sink : pugi::xml_writer {
          std::string s;
          void write(const void* d, size_t n) override { s.append(static_cast<const char*>(d), n); }
        } sink;
        if (HasText(c)) {
          // Leading text is the element's value (kXmlParseOptions): written
          // by pugixml as the text node it would otherwise have been.
          pugi::xml_document text;
          text.append_child(pugi::node_pcdata).set_value(c.value());
          text.print(sink, "", pugi::format_raw);
        }
        for (pugi::xml_node e = c.first_child(); e; e = e.next_sibling()) {
          e.print(sink, "", pugi::format_raw);
        }
        out_->message.extend_message = std::move(sink.s);
      } else {
        Error(-1, std::string(local), "unexpected element in " + RootElementName(Traits::kType));
      }
    }
    if (blocks->empty()) {
      Error(-1, std::string(block_name), "no business block: at least one is required");
      empty_ = true;
    }
    if (transfers == 0) Error(-1, "BaseTransfer", "missing BaseTransfer");
  }

  bool too_many_ = false, empty_ = false, no_lines_ = false;

 private:
  DecodeResult* out_;
  bool lenient_;
  bool root_is_ceb_ = false;
  bool redeclared_ = false;  // some element below the root declares a namespace
  std::string_view root_prefix_;
};

void Unreadable(DecodeResult* r, int code, std::string why) {
  r->outcome = DecodeResult::Outcome::kUnreadable;
  r->ceb_code = code;
  r->summary = why;
  r->errors.push_back({-1, "", std::move(why)});
}

// Whether a reference to U+0000 stands in text or an attribute value, where
// it would be decoded, rather than in CDATA or a comment, where it is
// literal: the body parsed again with references left as written (only for
// a body where HasNulReference found one). Refused, such a character never
// reaches the decoder, where it would end a text where it begins: hide text
// kept in an element (kXmlParseOptions) and empty a field (a helper's
// review found both, docs/performance.md, session 16).
bool NulInTextOrAttribute(std::string_view body) {
  pugi::xml_document raw;
  if (!raw.load_buffer(body.data(), body.size(),
                       (pugi::parse_default | pugi::parse_doctype) & ~pugi::parse_escapes,
                       pugi::encoding_utf8)) {
    return false;  // malformed: the parse proper says where
  }
  struct Finder : pugi::xml_tree_walker {
    bool found = false;
    bool for_each(pugi::xml_node& n) override {
      if (n.type() == pugi::node_pcdata) found = HasNulReference(n.value());
      for (pugi::xml_attribute a = n.first_attribute(); a && !found; a = a.next_attribute()) {
        found = HasNulReference(a.value());
      }
      return !found;
    }
  } finder;
  raw.traverse(finder);
  return finder.found;
}

bool ParseXml(std::string_view body, pugi::xml_document* doc, DecodeResult* r) {
  if (body.size() >= 3 && std::memcmp(body.data(), "\xEF\xBB\xBF", 3) == 0) body.remove_prefix(3);
  if (body.find_first_not_of(" \t\r\n") == std::string_view::npos) {
    Unreadable(r, 1, "empty message body");
    return false;
  }
  if (HasNulReference(body) && NulInTextOrAttribute(body)) {
    Unreadable(r, 1,
               "malformed XML: a character reference to U+0000 (such as &#0;), which XML does "
               "not allow");
    return false;
  }
  pugi::xml_parse_result pr =
      doc->load_buffer(body.data(), body.size(), internal::kXmlParseOptions, pugi::encoding_utf8);
  if (!pr) {
    Unreadable(r, 1,
               std::string("malformed XML at byte ") + std::to_string(pr.offset) + ": " +
                   pr.description());
    return false;
  }
  for (pugi::xml_node n = doc->first_child(); n; n = n.next_sibling()) {
    if (n.type() == pugi::node_doctype) {
      Unreadable(r, 1, "a DOCTYPE is not allowed (no DTDs, no entity declarations)");
      return false;
    }
  }
  if (!doc->document_element()) {
    Unreadable(r, 1, "no root element");
    return false;
  }
  return true;
}

// Unwraps a DxpMsg envelope: the CEB message is the base64 Data element.
bool UnwrapDxp(pugi::xml_node root, std::string* inner, DecodeResult* r) {
  r->wrapped_in_dxp = true;
  pugi::xml_node data, trans;
  for (pugi::xml_node c = root.first_child(); c; c = c.next_sibling()) {
    if (c.type() != pugi::node_element) continue;
    std::string_view prefix;
    std::string_view local = LocalName(c.name(), &prefix);
    if (NamespaceOf(c, prefix) != kDxpNamespace) continue;
    if (local == "Data") data = c;
    if (local == "TransInfo") trans = c;
  }
  if (trans) {
    for (pugi::xml_node c = trans.first_child(); c; c = c.next_sibling()) {
      std::string_view prefix;
      if (LocalName(c.name(), &prefix) == "CopMsgId") r->dxp_copmsgid = c.child_value();
    }
  }
  if (!data) {
    Unreadable(r, 2, "DxpMsg has no Data element");
    return false;
  }
  if (!internal::Base64Decode(data.child_value(), inner)) {
    Unreadable(r, 1, "DxpMsg Data is not valid base64");
    return false;
  }
  if (inner->empty()) {
    Unreadable(r, 1, "DxpMsg Data is empty");
    return false;
  }
  return true;
}

template <class Block>
void ReadInbound(pugi::xml_node root, DecodeResult* r) {
  using Traits = BlockTraits<Block>;
  Reader reader(r, /*lenient=*/false);
  reader.SetRoot(root);
  auto& blocks = r->message.blocks.template emplace<std::vector<Block>>();
  reader.ReadMessage(root, &blocks);
  const auto& codes = Traits::kCodes;
  if (r->errors.empty()) {
    r->outcome = DecodeResult::Outcome::kOk;
    return;
  }
  r->outcome = DecodeResult::Outcome::kInvalid;
  if (reader.empty_) {
    r->ceb_code = codes.empty;
  } else if (reader.too_many_) {
    r->ceb_code = codes.too_many;
  } else {
    r->ceb_code = codes.invalid;
  }
  const FieldError& e = r->errors.front();
  r->summary = e.path + ": " + e.reason;
  if (r->errors.size() > 1)
    r->summary += " (and " + std::to_string(r->errors.size() - 1) + " more)";
}

void CheckRootAttributes(pugi::xml_node root, Reader* reader, Message* m) {
  pugi::xml_attribute guid = root.attribute("guid"), version = root.attribute("version");
  m->guid = guid.value();
  m->version = version.value();
  if (!guid) {
    reader->Error(-1, "@guid", "missing required attribute");
  } else if (int n = Utf8Length(m->guid); n != 36) {
    reader->Error(-1, "@guid", "must be exactly 36 characters (" + std::to_string(n) + ")");
  }
  if (!version) {
    reader->Error(-1, "@version", "missing required attribute");
  } else if (int n = Utf8Length(m->version); n < 1 || n > 10) {
    reader->Error(-1, "@version", "must be 1 to 10 characters");
  }
}

}  // namespace

DecodeResult DecodeXml(std::string_view body, const DecodeLimits& limits) {
  DecodeResult r;
  pugi::xml_document doc;
  if (!ParseXml(body, &doc, &r)) return r;
  pugi::xml_node root = doc.document_element();
  std::string_view prefix;
  std::string_view local = LocalName(root.name(), &prefix);

  pugi::xml_document inner_doc;
  std::string inner;
  if (local == "DxpMsg" && NamespaceOf(root, prefix) == kDxpNamespace) {
    if (!UnwrapDxp(root, &inner, &r)) return r;
    if (!ParseXml(inner, &inner_doc, &r)) {
      r.summary = "DxpMsg Data: " + r.summary;
      r.errors.back().reason = r.summary;
      return r;
    }
    root = inner_doc.document_element();
    local = LocalName(root.name(), &prefix);
  }
  MessageType type;
  if (!ParseRootElementName(local, &type) || !IsInboundMessage(type)) {
    Unreadable(&r, 2,
               "root element <" + std::string(root.name()) +
                   "> is not an import message this window accepts (CEB311, 411, 511, 513, 621, "
                   "623, 625, 711)");
    return r;
  }
  if (NamespaceOf(root, prefix) != kCebNamespace) {
    Unreadable(&r, 2,
               "root element <" + std::string(root.name()) + "> is not in the namespace " +
                   std::string(kCebNamespace));
    return r;
  }
  r.message.type = type;
  {
    Reader attrs(&r, false);
    CheckRootAttributes(root, &attrs, &r.message);
  }
  (void)limits;  // depth is bounded by the fixed CEB structure this reader walks
  internal::WithBlockType(type, [&](auto id) {
    using Block = typename decltype(id)::type;
    ReadInbound<Block>(root, &r);
  });
  return r;
}

DecodeResult DecodeReceiptXml(std::string_view body, ReceiptMessage* out) {
  DecodeResult r;
  pugi::xml_document doc;
  if (!ParseXml(body, &doc, &r)) return r;
  pugi::xml_node root = doc.document_element();
  std::string_view prefix;
  std::string_view local = LocalName(root.name(), &prefix);
  MessageType type;
  if (!ParseRootElementName(local, &type) || !internal::IsReceiptType(type)) {
    Unreadable(&r, 2, "root element <" + std::string(root.name()) + "> is not a CEB receipt");
    return r;
  }
  std::string_view ns = NamespaceOf(root, prefix);
  if (!ns.empty() && ns != kCebNamespace) {
    Unreadable(&r, 2, "root element is not in the namespace " + std::string(kCebNamespace));
    return r;
  }
  out->type = type;
  out->guid = root.attribute("guid").value();
  out->version = root.attribute("version").value();
  Reader reader(&r, /*lenient=*/true);
  reader.SetRoot(root);
  internal::WithReceiptType(type, [&](auto id) {
    using Part = typename decltype(id)::type;
    auto& blocks = out->blocks.template emplace<std::vector<Part>>();
    for (pugi::xml_node c = root.first_child(); c; c = c.next_sibling()) {
      if (c.type() != pugi::node_element) continue;
      std::string_view l;
      if (!reader.IsCeb(c, &l) || l != internal::ReceiptElementOf<Part>()) {
        reader.Error(-1, std::string(c.name()), "unexpected element");
        continue;
      }
      blocks.emplace_back();
      const internal::LazyPath path{nullptr, internal::ReceiptElementOf<Part>(),
                                    static_cast<long>(blocks.size() - 1)};
      if constexpr (std::is_same_v<Part, TaxBillDoc>) {
        for (pugi::xml_node t = c.first_child(); t; t = t.next_sibling()) {
          std::string_view tl;
          if (t.type() != pugi::node_element || !reader.IsCeb(t, &tl)) continue;
          if (tl == ElementOf<TaxHead>()) {
            reader.ReadPart(t, -1, internal::LazyPath{&path, tl}, &blocks.back().head);
          } else if (tl == ElementOf<TaxItem>()) {
            blocks.back().items.emplace_back();
            reader.ReadPart(
                t, -1,
                internal::LazyPath{&path, tl, static_cast<long>(blocks.back().items.size() - 1)},
                &blocks.back().items.back());
          } else {
            reader.Error(-1, path.str() + "/" + std::string(tl), "unexpected element");
          }
        }
      } else {
        reader.ReadPart(c, static_cast<int>(blocks.size()) - 1, path, &blocks.back());
      }
    }
    if (blocks.empty())
      reader.Error(-1, std::string(internal::ReceiptElementOf<Part>()), "no receipt block");
  });
  r.outcome = r.errors.empty() ? DecodeResult::Outcome::kOk : DecodeResult::Outcome::kInvalid;
  if (!r.errors.empty()) r.summary = r.errors.front().path + ": " + r.errors.front().reason;
  return r;
}

DecodeResult Decode(std::string_view body, Syntax syntax, const DecodeLimits& limits) {
  return syntax == Syntax::kJson ? DecodeJson(body, limits) : DecodeXml(body, limits);
}

}  // namespace ftz::ceb
