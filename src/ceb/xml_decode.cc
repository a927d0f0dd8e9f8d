// XML decoding of inbound CEB messages and receipts with pugixml.
//
// pugixml is not namespace-aware, so names are split into prefix and local
// part here and the prefix is resolved against the xmlns declarations in
// scope. pugixml never expands entities other than the five predefined ones
// and character references; a DOCTYPE (the carrier of billion-laughs and
// external-entity attacks) is refused outright.

#include <pugixml.hpp>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <optional>
#include <vector>

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

// A piece of the input quoted in a refusal: bounded, valid UTF-8, no control
// characters (the refusal goes into a receipt, XML or JSON).
std::string Shown(std::string_view raw) { return internal::SafeText(raw, 40); }

bool IsXmlChar(uint64_t c) {
  return c == 0x9 || c == 0xA || c == 0xD || (c >= 0x20 && c <= 0xD7FF) ||
         (c >= 0xE000 && c <= 0xFFFD) || (c >= 0x10000 && c <= 0x10FFFF);
}

// text[from, to), `to` moved past the rest of a character it cuts.
std::string_view UpToCharacter(std::string_view text, size_t from, size_t to) {
  to = std::min(to, text.size());
  while (to < text.size() && (static_cast<unsigned char>(text[to]) & 0xC0) == 0x80) ++to;
  return text.substr(from, to - from);
}

// The first reference in `text` that XML does not define, as written ("" if
// none), read as XML reads one: `&`, a name or `#` digits or `#x` hex
// digits (any number of them), `;`. Without a DTD XML defines five entities
// and references to the characters it allows (XML 1.0 §2.2, §4.1, §4.6).
// pugixml keeps anything else as written (`&foo;`, a lone `&`) and decodes
// `&#1;`, `&#0;` or (its sum wraps at 32 bits) `&#4294967296;` to characters
// XML has no place for: `&#0;` even ends the text it stands in. Such a body
// is not XML, and would otherwise be accepted and logged. *code_point is the
// character a well-formed character reference names (past U+10FFFF:
// 0x110000), or UINT64_MAX for anything else.
std::string_view BadReference(std::string_view text, uint64_t* code_point) {
  for (size_t at = text.find('&'); at != std::string_view::npos; at = text.find('&', at + 1)) {
    size_t i = at + 1;
    *code_point = UINT64_MAX;
    if (i < text.size() && text[i] == '#') {
      const bool hex = i + 1 < text.size() && text[i + 1] == 'x';
      i += hex ? 2 : 1;
      const size_t digits_from = i;
      uint64_t cp = 0;
      for (; i < text.size(); ++i) {
        const unsigned int u = static_cast<unsigned char>(text[i]), lower = u | ' ';
        const unsigned int d = u - '0' <= 9u              ? u - '0'
                               : hex && lower - 'a' <= 5u ? lower - 'a' + 10
                                                          : 99;
        if (d == 99) break;
        cp = std::min<uint64_t>(cp * (hex ? 16 : 10) + d, 0x110000);
      }
      const bool whole = i > digits_from && i < text.size() && text[i] == ';';
      if (whole) *code_point = cp;
      if (!whole || !IsXmlChar(cp)) return UpToCharacter(text, at, i + 1);
      continue;
    }
    while (i < text.size() &&
           (std::isalnum(static_cast<unsigned char>(text[i])) || text[i] == '_' || text[i] == '-' ||
            text[i] == '.' || text[i] == ':')) {
      ++i;
    }
    const std::string_view name = text.substr(at + 1, i - at - 1);
    const bool whole = i < text.size() && text[i] == ';';
    if (!whole ||
        !(name == "amp" || name == "lt" || name == "gt" || name == "quot" || name == "apos")) {
      return UpToCharacter(text, at, i + 1);
    }
  }
  return {};
}

// The first attribute name `n` carries twice, or null: XML allows one
// (§3.1, "Unique Att Spec"); pugixml keeps both. Elements below the root
// rarely carry any, so this costs nothing on the usual path; a hostile one
// with thousands is sorted, not compared pair by pair.
const char* RepeatedAttribute(pugi::xml_node n) {
  pugi::xml_attribute first = n.first_attribute();
  if (!first || !first.next_attribute()) return nullptr;
  std::vector<std::string_view> names;
  for (pugi::xml_attribute a = first; a; a = a.next_attribute()) names.emplace_back(a.name());
  std::sort(names.begin(), names.end());
  auto twice = std::adjacent_find(names.begin(), names.end());
  return twice == names.end() ? nullptr : twice->data();
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
    if (const char* twice = RepeatedAttribute(n); twice != nullptr && malformed_.empty()) {
      malformed_ =
          "malformed XML: attribute " + Shown(twice) + " appears twice on <" + Shown(name) + ">";
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
      if (const char* twice = RepeatedAttribute(c); twice != nullptr && malformed_.empty()) {
        malformed_ = "malformed XML: attribute " + Shown(twice) + " appears twice on <" +
                     Shown(c.name()) + ">";
      }
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
        // Kept verbatim, but it is written back into receipts and logs as
        // XML: only characters XML allows (a raw U+FFFF passes pugixml).
        if (Utf8Length(sink.s) < 0) Error(-1, "ExtendMessage", WhyNotText(sink.s));
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
  std::string malformed_;  // not XML after all: the message is unreadable

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

// Whether a reference BadReference finds stands in text or an attribute
// value, where it would be decoded, rather than in CDATA or a comment, where
// it is literal: the body parsed again with references left as written (only
// for a body where BadReference found one). Returns it, or "" if none.
std::string BadReferenceInTextOrAttribute(std::string_view body, uint64_t* code_point) {
  pugi::xml_document raw;
  if (!raw.load_buffer(body.data(), body.size(),
                       (pugi::parse_default | pugi::parse_doctype) & ~pugi::parse_escapes,
                       pugi::encoding_utf8)) {
    return {};  // malformed: the parse proper says where
  }
  struct Finder : pugi::xml_tree_walker {
    std::string found;
    uint64_t* code_point;
    void Check(std::string_view text) {
      if (!found.empty()) return;
      uint64_t cp = UINT64_MAX;
      found = std::string(BadReference(text, &cp));
      if (!found.empty()) *code_point = cp;
    }
    bool for_each(pugi::xml_node& n) override {
      if (n.type() == pugi::node_pcdata) Check(n.value());
      for (pugi::xml_attribute a = n.first_attribute(); a && found.empty();
           a = a.next_attribute()) {
        Check(a.value());
      }
      return found.empty();
    }
  } finder;
  finder.code_point = code_point;
  raw.traverse(finder);
  return finder.found;
}

bool StartsWithNoCase(std::string_view s, std::string_view lower) {
  if (s.size() < lower.size()) return false;
  for (size_t i = 0; i < lower.size(); ++i) {
    if ((s[i] | ' ') != lower[i]) return false;
  }
  return true;
}

// The XML declaration, when the body opens with one, as XML 1.0 §2.8 has
// it: a version, and an encoding (if named) of UTF-8, the only one CEB
// messages use; pugixml skips the declaration unread, so a body declared GBK
// would have been read as UTF-8 and refused field by field as "not valid
// UTF-8". Returns why the body is not acceptable, or "".
std::string CheckDeclaration(std::string_view body) {
  if (!body.starts_with("<?xml") || body.size() < 6 ||
      !(body[5] == ' ' || body[5] == '\t' || body[5] == '\r' || body[5] == '\n')) {
    return {};
  }
  const size_t end = body.find("?>");
  if (end == std::string_view::npos) return {};  // the parse says where
  const std::string_view decl = body.substr(0, end);
  auto value_of = [&](std::string_view name) -> std::optional<std::string_view> {
    for (size_t at = decl.find(name); at != std::string_view::npos; at = decl.find(name, at + 1)) {
      size_t i = at + name.size();
      auto space = [&] {
        return decl[i] == ' ' || decl[i] == '\t' || decl[i] == '\r' || decl[i] == '\n';
      };
      while (i < decl.size() && space()) ++i;
      if (i >= decl.size() || decl[i] != '=') continue;
      ++i;
      while (i < decl.size() && space()) ++i;
      if (i >= decl.size() || (decl[i] != '"' && decl[i] != '\'')) continue;
      const size_t close = decl.find(decl[i], i + 1);
      if (close == std::string_view::npos) continue;
      return decl.substr(i + 1, close - i - 1);
    }
    return std::nullopt;
  };
  const std::optional<std::string_view> version = value_of("version");
  if (!version || !version->starts_with("1.")) {
    return "malformed XML: the XML declaration has no version=\"1.0\"";
  }
  // "UTF8" too: not a registered name, but what Java writes and every common
  // parser reads as UTF-8.
  if (const std::optional<std::string_view> encoding = value_of("encoding");
      encoding && !((encoding->size() == 5 && StartsWithNoCase(*encoding, "utf-8")) ||
                    (encoding->size() == 4 && StartsWithNoCase(*encoding, "utf8")))) {
    return "the XML declaration names encoding " + Shown(*encoding) + ": CEB messages are UTF-8";
  }
  return {};
}

// What pugixml lets pass around the root element, which XML does not: text
// before or after it (pugixml drops it), a second root (pugixml keeps both),
// an XML declaration anywhere but at the very start (pugixml skips it). Only
// whitespace, comments and processing instructions may stand there (XML 1.0
// §2.1, §2.8). Returns why the body is not XML, or "".
std::string OutsideRoot(std::string_view body, const pugi::xml_document& doc) {
  const pugi::xml_node root = doc.document_element();
  for (pugi::xml_node n = root.next_sibling(); n; n = n.next_sibling()) {
    if (n.type() == pugi::node_element) {
      return "malformed XML: more than one root element (<" + Shown(root.name()) + "> and <" +
             Shown(n.name()) + ">)";
    }
  }
  auto space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  // The usual message, surely fine: [declaration] [whitespace] the root's
  // start tag ... the root's end tag [whitespace]. (The parse found one
  // root, so an end tag of its name at the very end is its own.)
  const std::string_view name(root.name());
  std::string_view head = body;
  if (head.starts_with("<?xml") && head.size() > 5 && space(head[5])) {
    const size_t e = head.find("?>");
    head.remove_prefix(e == std::string_view::npos ? 0 : e + 2);
    while (!head.empty() && space(head.front())) head.remove_prefix(1);
  }
  const bool prolog_plain = head.size() > name.size() + 1 && head[0] == '<' &&
                            head.substr(1, name.size()) == name &&
                            (space(head[name.size() + 1]) || head[name.size() + 1] == '>' ||
                             head[name.size() + 1] == '/');
  std::string_view tail = body;
  while (!tail.empty() && space(tail.back())) tail.remove_suffix(1);
  bool epilog_plain = tail.ends_with('>');
  if (epilog_plain) {
    tail.remove_suffix(1);
    while (!tail.empty() && space(tail.back())) tail.remove_suffix(1);
    epilog_plain = (tail.ends_with(name) && tail.size() >= name.size() + 2 &&
                    tail.substr(tail.size() - name.size() - 2, 2) == "</") ||
                   (tail.ends_with('/') && !root.first_child() && *root.value() == '\0');
  }
  if (prolog_plain && epilog_plain) return {};
  // Otherwise read what stands beside the root exactly: the body parsed
  // again as a fragment, which keeps top-level text, comments, processing
  // instructions and declarations as nodes.
  pugi::xml_document all;
  const pugi::xml_parse_result pr =
      all.load_buffer(body.data(), body.size(),
                      (pugi::parse_default | pugi::parse_fragment | pugi::parse_pi |
                       pugi::parse_comments | pugi::parse_declaration | pugi::parse_doctype) &
                          ~pugi::parse_escapes,
                      pugi::encoding_utf8);
  if (!pr) {
    return std::string("malformed XML beside the root element at byte ") +
           std::to_string(pr.offset) + ": " + pr.description();
  }
  bool after = false;
  bool first = true;
  for (pugi::xml_node n = all.first_child(); n; n = n.next_sibling(), first = false) {
    switch (n.type()) {
      case pugi::node_element:
        after = true;
        break;
      case pugi::node_pcdata:
      case pugi::node_cdata:
        return after ? "malformed XML: text after the root element"
                     : "malformed XML: text before the root element";
      case pugi::node_declaration:
        if (first && body.starts_with("<?xml")) break;
        return "malformed XML: an XML declaration may only open the document";
      case pugi::node_pi:
        if (StartsWithNoCase(n.name(), "xml") && n.name()[3] == '\0') {
          return "malformed XML: an XML declaration may only open the document";
        }
        break;
      default:
        break;  // comments
    }
  }
  return {};
}

bool ParseXml(std::string_view body, pugi::xml_document* doc, DecodeResult* r) {
  if (body.size() >= 3 && std::memcmp(body.data(), "\xEF\xBB\xBF", 3) == 0) body.remove_prefix(3);
  if (body.find_first_not_of(" \t\r\n") == std::string_view::npos) {
    Unreadable(r, 1, "empty message body");
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
  uint64_t code_point = UINT64_MAX;
  if (!BadReference(body, &code_point).empty()) {
    code_point = UINT64_MAX;
    if (std::string bad = BadReferenceInTextOrAttribute(body, &code_point); !bad.empty()) {
      std::string why = "malformed XML: ";
      if (code_point != UINT64_MAX) {
        char cp[16] = "";
        if (code_point < 0x110000) std::snprintf(cp, sizeof cp, " (U+%04X)", unsigned(code_point));
        why += "the character reference " + Shown(bad) + cp + " is not a character XML allows";
      } else {
        why += "\"" + Shown(bad) +
               "\" is not a reference XML defines without a DTD (&amp; &lt; &gt; &quot; &apos; "
               "and character references; a literal & is written &amp;)";
      }
      Unreadable(r, 1, std::move(why));
      return false;
    }
  }
  if (!doc->document_element()) {
    Unreadable(r, 1, "no root element");
    return false;
  }
  if (const char* twice = RepeatedAttribute(doc->document_element())) {
    Unreadable(r, 1,
               "malformed XML: attribute " + Shown(twice) + " appears twice on <" +
                   Shown(doc->document_element().name()) + ">");
    return false;
  }
  if (std::string why = CheckDeclaration(body); !why.empty()) {
    Unreadable(r, 1, std::move(why));
    return false;
  }
  if (std::string why = OutsideRoot(body, *doc); !why.empty()) {
    Unreadable(r, 1, std::move(why));
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
  if (!reader.malformed_.empty()) {
    r->errors.clear();
    Unreadable(r, 1, std::move(reader.malformed_));
    return;
  }
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
    reader->Error(
        -1, "@guid",
        n < 0 ? WhyNotText(m->guid) : "must be exactly 36 characters (" + std::to_string(n) + ")");
  }
  if (!version) {
    reader->Error(-1, "@version", "missing required attribute");
  } else if (int n = Utf8Length(m->version); n < 1 || n > 10) {
    reader->Error(-1, "@version", n < 0 ? WhyNotText(m->version) : "must be 1 to 10 characters");
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
