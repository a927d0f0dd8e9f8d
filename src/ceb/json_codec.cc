// The JSON spelling of CEB messages and receipts (docs/json-mapping.md):
//   {"CEB311Message": {"guid": "...", "version": "1.0",
//                      "Order": [{"OrderHead": {...}, "OrderList": [{...}]}],
//                      "BaseTransfer": {...}}}
// Field names are the specification's; values are strings exactly as in the
// XML. Decimal and integer fields also accept JSON numbers, read from their
// source text so no value passes through a double.

#include <simdjson.h>

#include <algorithm>

#include "ceb/ceb.h"
#include "ceb/field_tables.h"
#include "ceb/internal/blocks.h"
#include "ceb/internal/util.h"

namespace ftz::ceb {
namespace {

namespace od = simdjson::ondemand;
using internal::AppendJsonString;
using internal::BlockTraits;
using internal::Indexed;

class JsonReader {
 public:
  explicit JsonReader(DecodeResult* out, bool lenient = false) : out_(out), lenient_(lenient) {}

  void Error(int block, std::string path, std::string reason) {
    if (out_->errors.size() < 100)
      out_->errors.push_back({block, std::move(path), std::move(reason)});
  }

  // Reads a scalar's text: a string as is, a number from its source text.
  bool Scalar(od::value v, std::string* text, std::string* why) {
    od::json_type t;
    if (v.type().get(t)) {
      *why = "malformed JSON value";
      return false;
    }
    if (t == od::json_type::string) {
      std::string_view s;
      if (v.get_string().get(s)) {
        *why = "malformed JSON string";
        return false;
      }
      *text = std::string(s);
      return true;
    }
    if (t == od::json_type::number) {
      std::string_view raw = v.raw_json_token();
      while (!raw.empty() && (raw.back() == ' ' || raw.back() == '\n' || raw.back() == '\r' ||
                              raw.back() == '\t')) {
        raw.remove_suffix(1);
      }
      *text = std::string(raw);
      return true;
    }
    *why = "must be a string";
    return false;
  }

  template <class T>
  void ReadPart(od::value v, int block, const internal::LazyPath& path, T* obj) {
    od::object o;
    if (v.get_object().get(o)) {
      Error(block, path.str(), "must be a JSON object");
      return;
    }
    auto fields = FieldsOf<T>();
    uint64_t seen[2] = {0, 0};
    int hint = 0;
    for (auto member : o) {
      std::string_view key;
      if (member.unescaped_key().get(key)) {
        Error(block, path.str(), "malformed JSON key");
        return;
      }
      std::string name(key);
      od::value fv;
      if (member.value().get(fv)) {
        Error(block, path.str() + "/" + name, "malformed JSON value");
        return;
      }
      int i = FindField(fields, name, hint);
      if (i < 0) {
        Error(block, path.str() + "/" + name, "unknown field");
        continue;
      }
      hint = i + 1;
      if (seen[i / 64] & (1ULL << (i % 64))) {
        Error(block, path.str() + "/" + name, "field appears more than once");
        continue;
      }
      bool is_null = false;
      if (!fv.is_null().get(is_null) && is_null) continue;  // null is absent
      seen[i / 64] |= 1ULL << (i % 64);
      std::string text, why;
      if (!Scalar(fv, &text, &why)) {
        Error(block, path.str() + "/" + name, why);
        continue;
      }
      std::string reason = SetField(fields[i], text, obj, lenient_);
      if (!reason.empty()) Error(block, path.str() + "/" + name, std::move(reason));
    }
    for (size_t i = 0; i < fields.size() && !lenient_; ++i) {
      if (fields[i].required && !(seen[i / 64] & (1ULL << (i % 64)))) {
        Error(block, path.str() + "/" + std::string(fields[i].name), "missing required field");
      }
    }
  }

  // Calls f(value, index) for each element of an array, or once for a lone object.
  template <class F>
  bool ForEach(od::value v, const std::string& path, int block, F&& f) {
    od::json_type t;
    if (v.type().get(t)) {
      Error(block, path, "malformed JSON");
      return false;
    }
    if (t == od::json_type::object) {
      f(v, 0);
      return true;
    }
    od::array a;
    if (t != od::json_type::array || v.get_array().get(a)) {
      Error(block, path, "must be a JSON array of objects");
      return false;
    }
    size_t i = 0;
    for (auto e : a) {
      od::value ev;
      if (e.get(ev)) {
        Error(block, path, "malformed JSON array");
        return false;
      }
      f(ev, i++);
    }
    return true;
  }

  template <class Block>
  void ReadBlock(od::value v, int index, Block* b) {
    using Traits = BlockTraits<Block>;
    using Head = typename Traits::Head;
    if constexpr (Traits::kWrapper.empty()) {
      ReadPart(v, index, internal::LazyPath{nullptr, ElementOf<Head>(), index}, &Traits::head(*b));
    } else {
      const internal::LazyPath path{nullptr, Traits::kWrapper, index};
      const std::string base = path.str();
      od::object o;
      if (v.get_object().get(o)) {
        Error(index, base, "must be a JSON object");
        return;
      }
      bool head = false, lines = false;
      for (auto member : o) {
        std::string_view key;
        od::value mv;
        if (member.unescaped_key().get(key) || member.value().get(mv)) {
          Error(index, base, "malformed JSON");
          return;
        }
        if (key == ElementOf<Head>()) {
          // As in XML: a second head would otherwise overwrite the first's
          // fields one by one, leaving a document neither head described.
          if (head) {
            Error(index, base + "/" + std::string(key), "more than one head");
            continue;
          }
          head = true;
          ReadPart(mv, index, internal::LazyPath{&path, ElementOf<Head>()}, &Traits::head(*b));
          continue;
        }
        if constexpr (internal::kHasItems<Block>) {
          using Item = typename Traits::Item;
          if (key == ElementOf<Item>()) {
            auto& items = Traits::items(*b);
            const std::string ipath = base + "/" + std::string(key);
            if (lines) {  // the lines are one array, named once
              Error(index, ipath, "appears more than once");
              continue;
            }
            lines = true;
            ForEach(mv, ipath, index, [&](od::value iv, size_t k) {
              if (static_cast<int>(items.size()) >= Traits::kMaxItems) {
                if (!too_many_) {
                  Error(index, ipath, "more than " + std::to_string(Traits::kMaxItems) + " lines");
                }
                too_many_ = true;
                return;
              }
              items.emplace_back();
              ReadPart(iv, index,
                       internal::LazyPath{&path, ElementOf<Item>(), static_cast<long>(k)},
                       &items.back());
            });
            continue;
          }
        }
        Error(index, base + "/" + std::string(key), "unexpected member");
      }
      if (!head) Error(index, base + "/" + std::string(ElementOf<Head>()), "missing head");
      if constexpr (internal::kHasItems<Block>) {
        using Item = typename Traits::Item;
        auto& items = Traits::items(*b);
        internal::CheckLines<Block>(items, [&](int k, std::string reason) {
          std::string where = Indexed(base + "/" + std::string(ElementOf<Item>()), k < 0 ? 0 : k);
          Error(index, k < 0 ? base + "/" + std::string(ElementOf<Item>()) : where + "/gnum",
                std::move(reason));
        });
      }
    }
  }

  template <class Block>
  void ReadMessage(od::object root, Message* m, std::vector<Block>* blocks) {
    using Traits = BlockTraits<Block>;
    using Head = typename Traits::Head;
    const std::string_view block_name =
        Traits::kWrapper.empty() ? ElementOf<Head>() : Traits::kWrapper;
    bool transfer = false, have_guid = false, have_version = false, have_blocks = false,
         have_subscribe = false, have_extend = false, have_signature = false;
    for (auto member : root) {
      std::string_view key;
      od::value v;
      if (member.unescaped_key().get(key) || member.value().get(v)) {
        Error(-1, "", "malformed JSON");
        return;
      }
      std::string k(key);
      std::string text, why;
      bool& seen = k == "guid"            ? have_guid
                   : k == "version"       ? have_version
                   : k == block_name      ? have_blocks
                   : k == "BaseTransfer"  ? transfer
                   : k == "BaseSubscribe" ? have_subscribe
                                          : have_extend;
      const bool attribute = k == "guid" || k == "version";
      if (seen && (attribute || k == block_name || k == "BaseTransfer" || k == "BaseSubscribe" ||
                   k == "ExtendMessage")) {
        Error(-1, attribute ? "@" + k : k, "appears more than once");
        continue;
      }
      if (attribute) {
        bool is_null = false;
        if (!v.is_null().get(is_null) && is_null) continue;  // null is absent, as for fields
        if (!Scalar(v, &text, &why)) {
          Error(-1, "@" + k, why);
          continue;
        }
        (k == "guid" ? m->guid : m->version) = text;
        seen = true;
      } else if (k == block_name) {
        seen = true;
        ForEach(v, k, -1, [&](od::value bv, size_t) {
          if (static_cast<int>(blocks->size()) >= Traits::kMaxBlocks) {
            if (!too_many_) {
              Error(-1, Indexed(block_name, blocks->size()),
                    "more than " + std::to_string(Traits::kMaxBlocks) + " business blocks");
            }
            too_many_ = true;
            return;
          }
          blocks->emplace_back();
          ReadBlock(bv, static_cast<int>(blocks->size()) - 1, &blocks->back());
        });
      } else if (k == "BaseTransfer") {
        seen = true;
        ReadPart(v, -1, internal::LazyPath{nullptr, "BaseTransfer"}, &m->transfer);
      } else if (k == "BaseSubscribe") {
        seen = true;
        ForEach(v, k, -1, [&](od::value sv, size_t i) {
          if (m->subscribe.size() >= 5) {
            Error(-1, "BaseSubscribe", "more than 5 BaseSubscribe");
            return;
          }
          m->subscribe.emplace_back();
          ReadPart(sv, -1, internal::LazyPath{nullptr, "BaseSubscribe", static_cast<long>(i)},
                   &m->subscribe.back());
        });
      } else if (k == "ExtendMessage") {
        seen = true;
        if (!Scalar(v, &text, &why)) {
          Error(-1, k, why);
        } else if (Utf8Length(text) < 0) {
          Error(-1, k, WhyNotText(text));  // written back as XML: as in the XML reader
        }
        m->extend_message = text;
      } else if (k == "Signature") {
        // Carried as an opaque (but well-formed) value; verification is
        // XMLDSig's job.
        if (have_signature) Error(-1, "Signature", "more than one signature");
        have_signature = true;
        m->signed_ = true;
      } else {
        Error(-1, k, "unexpected member in " + RootElementName(Traits::kType));
      }
    }
    if (!have_guid)
      Error(-1, "@guid", "missing required attribute");
    else if (int n = Utf8Length(m->guid); n != 36) {
      Error(-1, "@guid",
            n < 0 ? WhyNotText(m->guid)
                  : "must be exactly 36 characters (" + std::to_string(n) + ")");
    }
    if (!have_version)
      Error(-1, "@version", "missing required attribute");
    else if (int n = Utf8Length(m->version); n < 1 || n > 10) {
      Error(-1, "@version", n < 0 ? WhyNotText(m->version) : "must be 1 to 10 characters");
    }
    if (blocks->empty()) {
      Error(-1, std::string(block_name), "no business block: at least one is required");
      empty_ = true;
    }
    if (!transfer) Error(-1, "BaseTransfer", "missing BaseTransfer");
  }

  bool too_many_ = false, empty_ = false;

 private:
  DecodeResult* out_;
  bool lenient_;
};

void Unreadable(DecodeResult* r, int code, std::string why) {
  r->outcome = DecodeResult::Outcome::kUnreadable;
  r->ceb_code = code;
  r->summary = why;
  r->errors.push_back({-1, "", std::move(why)});
}

// The on-demand parser checks only the values it is asked for: a value it
// skips (a Signature, a member after an error) and a number's text are not
// checked. So the whole body is first parsed once, strictly, by the DOM
// parser: what the log records as JSON is JSON. "" if it is, else why not;
// `*members`: how many members the body's outer object has (0 if it is not
// an object), which the on-demand reader, stopping at the first, would not see.
std::string WhyNotJson(const simdjson::padded_string& ps, size_t max_depth, size_t* members) {
  thread_local simdjson::dom::parser strict;
  if (strict.max_depth() != max_depth || strict.capacity() < ps.size()) {
    if (strict.allocate(std::max(ps.size(), strict.capacity()), max_depth) != simdjson::SUCCESS) {
      return "the body could not be parsed: out of memory";
    }
  }
  *members = 0;
  simdjson::dom::element root;
  switch (strict.parse(ps).get(root)) {
    case simdjson::SUCCESS:
      if (simdjson::dom::object outer; !root.get_object().get(outer)) *members = outer.size();
      return {};
    case simdjson::DEPTH_ERROR:
      return "malformed JSON: nested more than " + std::to_string(max_depth) + " levels deep";
    case simdjson::NUMBER_ERROR:
    case simdjson::NUMBER_OUT_OF_RANGE:
      return "malformed JSON: a number that is not a JSON number, or one too large to read "
             "(send codes, numbers with leading zeros and long numbers as strings)";
    case simdjson::T_ATOM_ERROR:
    case simdjson::F_ATOM_ERROR:
    case simdjson::N_ATOM_ERROR:
      return "malformed JSON: a bare word that is not true, false or null";
    case simdjson::STRING_ERROR:
    case simdjson::UNCLOSED_STRING:
      return "malformed JSON: a string with a bad escape or no closing quote";
    case simdjson::UTF8_ERROR:
      return "malformed JSON: the body is not valid UTF-8";
    case simdjson::UNESCAPED_CHARS:
      return "malformed JSON: a control character inside a string (escape it)";
    default:
      return "malformed JSON: missing or extra commas, colons, brackets or braces, or content "
             "after the message object";
  }
}

// Opens {"CEBnnnMessage": {...}} and returns the inner object.
bool OpenRoot(od::parser& parser, const simdjson::padded_string& ps, od::document& doc,
              od::object* inner, std::string* root_name, DecodeResult* r) {
  od::object outer;
  if (parser.iterate(ps).get(doc) || doc.get_object().get(outer)) {
    Unreadable(r, 1, "malformed JSON: the body must be one object {\"CEBnnnMessage\": {...}}");
    return false;
  }
  size_t count = 0;
  for (auto member : outer) {
    std::string_view key;
    if (member.unescaped_key().get(key)) {
      Unreadable(r, 1, "malformed JSON key");
      return false;
    }
    if (++count > 1) {
      Unreadable(r, 2, "the body object must have exactly one member, the message");
      return false;
    }
    *root_name = std::string(key);
    od::value v;
    if (member.value().get(v) || v.get_object().get(*inner)) {
      Unreadable(r, 1, "\"" + *root_name + "\" must be a JSON object");
      return false;
    }
    return true;
  }
  Unreadable(r, 1, "empty JSON object");
  return false;
}

}  // namespace

DecodeResult DecodeJson(std::string_view body, const DecodeLimits& limits) {
  DecodeResult r;
  if (body.find_first_not_of(" \t\r\n") == std::string_view::npos) {
    Unreadable(&r, 1, "empty message body");
    return r;
  }
  if (body.size() >= 3 && body.substr(0, 3) == "\xEF\xBB\xBF") body.remove_prefix(3);
  simdjson::padded_string ps(body);
  size_t members = 0;
  if (std::string why = WhyNotJson(ps, limits.max_depth, &members); !why.empty()) {
    Unreadable(&r, 1, why);
    return r;
  }
  if (members > 1) {
    Unreadable(&r, 2, "the body object must have exactly one member, the message");
    return r;
  }
  thread_local od::parser parser;
  od::document doc;
  od::object inner;
  std::string root_name;
  if (!OpenRoot(parser, ps, doc, &inner, &root_name, &r)) return r;
  MessageType type;
  if (!ParseRootElementName(root_name, &type) || !IsInboundMessage(type)) {
    Unreadable(&r, 2,
               "\"" + root_name.substr(0, 60) +
                   "\" is not an import message this window accepts (CEB311Message, ...)");
    return r;
  }
  r.message.type = type;
  JsonReader reader(&r);
  internal::WithBlockType(type, [&](auto id) {
    using Block = typename decltype(id)::type;
    auto& blocks = r.message.blocks.template emplace<std::vector<Block>>();
    reader.ReadMessage(inner, &r.message, &blocks);
    const auto& codes = BlockTraits<Block>::kCodes;
    if (r.errors.empty()) {
      r.outcome = DecodeResult::Outcome::kOk;
      return;
    }
    r.outcome = DecodeResult::Outcome::kInvalid;
    r.ceb_code = reader.empty_ ? codes.empty : reader.too_many_ ? codes.too_many : codes.invalid;
    r.summary = r.errors.front().path + ": " + r.errors.front().reason;
    if (r.errors.size() > 1) r.summary += " (and " + std::to_string(r.errors.size() - 1) + " more)";
  });
  return r;
}

DecodeResult DecodeReceiptJson(std::string_view body, ReceiptMessage* out) {
  DecodeResult r;
  thread_local od::parser parser;
  simdjson::padded_string ps(body);
  od::document doc;
  od::object inner;
  std::string root_name;
  if (!OpenRoot(parser, ps, doc, &inner, &root_name, &r)) return r;
  MessageType type;
  if (!ParseRootElementName(root_name, &type) || !internal::IsReceiptType(type)) {
    Unreadable(&r, 2, "\"" + root_name.substr(0, 60) + "\" is not a CEB receipt");
    return r;
  }
  out->type = type;
  JsonReader reader(&r, /*lenient=*/true);
  internal::WithReceiptType(type, [&](auto id) {
    using Part = typename decltype(id)::type;
    auto& blocks = out->blocks.template emplace<std::vector<Part>>();
    for (auto member : inner) {
      std::string_view key;
      od::value v;
      if (member.unescaped_key().get(key) || member.value().get(v)) {
        reader.Error(-1, "", "malformed JSON");
        return;
      }
      std::string text, why;
      if (key == "guid" || key == "version") {
        if (reader.Scalar(v, &text, &why)) (key == "guid" ? out->guid : out->version) = text;
      } else if (key == internal::ReceiptElementOf<Part>()) {
        reader.ForEach(v, std::string(key), -1, [&](od::value bv, size_t i) {
          blocks.emplace_back();
          const internal::LazyPath path{nullptr, internal::ReceiptElementOf<Part>(),
                                        static_cast<long>(i)};
          if constexpr (std::is_same_v<Part, TaxBillDoc>) {
            od::object o;
            if (bv.get_object().get(o)) {
              reader.Error(-1, path.str(), "must be a JSON object");
              return;
            }
            for (auto m : o) {
              std::string_view k;
              od::value mv;
              if (m.unescaped_key().get(k) || m.value().get(mv)) return;
              if (k == ElementOf<TaxHead>()) {
                reader.ReadPart(mv, -1, internal::LazyPath{&path, ElementOf<TaxHead>()},
                                &blocks.back().head);
              } else if (k == ElementOf<TaxItem>()) {
                reader.ForEach(mv, std::string(k), -1, [&](od::value iv, size_t n) {
                  blocks.back().items.emplace_back();
                  reader.ReadPart(
                      iv, -1, internal::LazyPath{&path, ElementOf<TaxItem>(), static_cast<long>(n)},
                      &blocks.back().items.back());
                });
              } else {
                reader.Error(-1, path.str() + "/" + std::string(k), "unexpected member");
              }
            }
          } else {
            reader.ReadPart(bv, static_cast<int>(i), path, &blocks.back());
          }
        });
      } else {
        reader.Error(-1, std::string(key), "unexpected member");
      }
    }
  });
  r.outcome = r.errors.empty() ? DecodeResult::Outcome::kOk : DecodeResult::Outcome::kInvalid;
  if (!r.errors.empty()) r.summary = r.errors.front().path + ": " + r.errors.front().reason;
  return r;
}

// ---- writers ----

namespace {

template <class T>
void AppendPartJson(std::string* out, const T& obj) {
  out->push_back('{');
  bool first = true;
  for (const auto& f : FieldsOf<T>()) {
    std::string v = GetField(f, obj);
    if (v.empty() && !f.required) continue;
    if (!first) out->push_back(',');
    first = false;
    AppendJsonString(out, f.name);
    out->push_back(':');
    AppendJsonString(out, v);
  }
  out->push_back('}');
}

template <class Block>
void AppendBlockJson(std::string* out, const Block& b) {
  using Traits = BlockTraits<Block>;
  using Head = typename Traits::Head;
  if constexpr (Traits::kWrapper.empty()) {
    AppendPartJson(out, Traits::head(b));
  } else {
    out->append("{");
    AppendJsonString(out, ElementOf<Head>());
    out->push_back(':');
    AppendPartJson(out, Traits::head(b));
    if constexpr (internal::kHasItems<Block>) {
      using Item = typename Traits::Item;
      out->push_back(',');
      AppendJsonString(out, ElementOf<Item>());
      out->append(":[");
      bool first = true;
      for (const auto& item : Traits::items(b)) {
        if (!first) out->push_back(',');
        first = false;
        AppendPartJson(out, item);
      }
      out->push_back(']');
    }
    out->push_back('}');
  }
}

}  // namespace

std::string EncodeMessageJson(const Message& m) {
  std::string out = "{";
  AppendJsonString(&out, RootElementName(m.type));
  out.append(":{\"guid\":");
  AppendJsonString(&out, m.guid);
  out.append(",\"version\":");
  AppendJsonString(&out, m.version);
  std::visit(
      [&](const auto& blocks) {
        using Block = typename std::decay_t<decltype(blocks)>::value_type;
        using Traits = BlockTraits<Block>;
        out.push_back(',');
        AppendJsonString(
            &out, Traits::kWrapper.empty() ? ElementOf<typename Traits::Head>() : Traits::kWrapper);
        out.append(":[");
        for (size_t i = 0; i < blocks.size(); ++i) {
          if (i) out.push_back(',');
          AppendBlockJson(&out, blocks[i]);
        }
        out.push_back(']');
      },
      m.blocks);
  out.append(",\"BaseTransfer\":");
  AppendPartJson(&out, m.transfer);
  if (!m.subscribe.empty()) {
    out.append(",\"BaseSubscribe\":[");
    for (size_t i = 0; i < m.subscribe.size(); ++i) {
      if (i) out.push_back(',');
      AppendPartJson(&out, m.subscribe[i]);
    }
    out.push_back(']');
  }
  if (!m.extend_message.empty()) {
    out.append(",\"ExtendMessage\":");
    AppendJsonString(&out, m.extend_message);
  }
  out.append("}}");
  return out;
}

std::string EncodeBlockJson(const Message& m, size_t i) {
  std::string out;
  std::visit([&](const auto& blocks) { AppendBlockJson(&out, blocks.at(i)); }, m.blocks);
  return out;
}

std::string EncodeReceiptJson(const ReceiptMessage& r) {
  std::string out = "{";
  AppendJsonString(&out, RootElementName(r.type));
  out.append(":{\"guid\":");
  AppendJsonString(&out, r.guid);
  out.append(",\"version\":");
  AppendJsonString(&out, r.version);
  std::visit(
      [&](const auto& blocks) {
        using Part = typename std::decay_t<decltype(blocks)>::value_type;
        out.push_back(',');
        if constexpr (std::is_same_v<Part, TaxBillDoc>) {
          out.append("\"Tax\":[");
          for (size_t i = 0; i < blocks.size(); ++i) {
            if (i) out.push_back(',');
            out.append("{\"TaxHeadRd\":");
            AppendPartJson(&out, blocks[i].head);
            out.append(",\"TaxListRd\":[");
            for (size_t k = 0; k < blocks[i].items.size(); ++k) {
              if (k) out.push_back(',');
              AppendPartJson(&out, blocks[i].items[k]);
            }
            out.append("]}");
          }
          out.push_back(']');
        } else {
          AppendJsonString(&out, ElementOf<Part>());
          out.append(":[");
          for (size_t i = 0; i < blocks.size(); ++i) {
            if (i) out.push_back(',');
            AppendPartJson(&out, blocks[i]);
          }
          out.push_back(']');
        }
      },
      r.blocks);
  out.append("}}");
  return out;
}

std::string EncodeFormatReceiptJson(const FormatReceipt& f) {
  std::string out = "{\"CEB900Message\":{\"guid\":";
  AppendJsonString(&out, f.guid);
  out.append(",\"version\":\"1.0\"");
  auto field = [&](std::string_view k, std::string_view v) {
    out.push_back(',');
    AppendJsonString(&out, k);
    out.push_back(':');
    AppendJsonString(&out, v);
  };
  field("returnStatus", f.returnStatus);
  field("returnInfo", f.returnInfo);
  field("returnTime", f.returnTime);
  field("oriCopMsgId", f.oriCopMsgId);
  field("oriMessageType", f.oriMessageType);
  field("oriBizMessage", f.oriBizMessage);
  out.append("}}");
  return out;
}

}  // namespace ftz::ceb
