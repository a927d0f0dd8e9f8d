#include "server/api.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <iterator>
#include <optional>

#include <simdjson.h>
#include "ceb/field_tables.h"
#include "ceb/internal/util.h"
#include "clearance/codes.h"
#include "engine/records.h"
#include "ledger/proof.h"
#include "ledger/tiles.h"
#include "node/record_proof.h"
#include "server/internal/api_util.h"

namespace ftz::server {
namespace {

using Clock = std::chrono::steady_clock;
using ceb::internal::AppendJsonString;
using internal::JsonError;
using internal::kJson;
using internal::kXml;
using internal::ServerFault;
using internal::WallNow;

// Media types and their parameters' names are case-insensitive (RFC 9110
// §8.3.1): compared in lower case.
std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
  return out;
}

bool WantsJson(const std::string& accept) {
  return Lower(accept).find("json") != std::string::npos;
}

// The charset a Content-Type names ("" for none), lower case, unquoted.
std::string CharsetOf(std::string_view content_type) {
  const std::string ct = Lower(content_type);
  for (size_t semi = ct.find(';'); semi != std::string::npos; semi = ct.find(';', semi + 1)) {
    size_t at = ct.find_first_not_of(" \t", semi + 1);
    if (at == std::string::npos || ct.compare(at, 8, "charset=") != 0) continue;
    std::string v = ct.substr(at + 8, ct.find(';', at) - (at + 8));
    while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.pop_back();
    if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
    return v;
  }
  return {};
}

ceb::Syntax SyntaxOf(const ApiRequest& req) {
  const std::string ct = Lower(req.content_type);
  if (ct.find("json") != std::string::npos) return ceb::Syntax::kJson;
  if (ct.find("xml") != std::string::npos) return ceb::Syntax::kXml;
  std::string_view b = req.body;
  if (b.size() >= 3 && std::memcmp(b.data(), "\xEF\xBB\xBF", 3) == 0) b.remove_prefix(3);
  size_t i = b.find_first_not_of(" \t\r\n");
  return i != std::string_view::npos && b[i] == '{' ? ceb::Syntax::kJson : ceb::Syntax::kXml;
}

}  // namespace

namespace internal {

ApiResponse JsonError(int status, std::string_view code, std::string_view message) {
  ApiResponse r;
  r.status = status;
  r.body = "{\"error\":{\"code\":";
  AppendJsonString(&r.body, code);
  r.body += ",\"message\":";
  AppendJsonString(&r.body, message);
  r.body += "}}";
  return r;
}

ApiResponse ServerFault(std::string_view code, std::string_view what, const Status& why) {
  // At most a line a second: a client asking again and again for a damaged
  // record must not flood the operator's log (the count says how many
  // were not shown).
  static std::atomic<int64_t> last_line_ms{0};
  static std::atomic<uint64_t> not_shown{0};
  const int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::steady_clock::now().time_since_epoch())
                          .count();
  int64_t last = last_line_ms.load();
  if (now - last >= 1000 && last_line_ms.compare_exchange_strong(last, now)) {
    const uint64_t more = not_shown.exchange(0);
    std::fprintf(stderr, "ftzport: answered 500: %.*s: %s%s\n", static_cast<int>(what.size()),
                 what.data(), why.ToString().c_str(),
                 more == 0 ? "" : (" (" + std::to_string(more) + " more 500s not shown)").c_str());
  } else {
    ++not_shown;
  }
  return JsonError(500, code,
                   std::string(what) + " could not be read (" +
                       std::string(StatusCodeName(why.code())) +
                       "); the server's log has the details for its operator");
}

std::string WhyNotCommandJson(std::string_view body) {
  thread_local simdjson::dom::parser parser;
  const simdjson::padded_string ps(body);
  simdjson::dom::element root;
  simdjson::dom::object members;
  if (parser.parse(ps).get(root) != simdjson::SUCCESS) {
    return "malformed JSON (or content after the object)";
  }
  if (root.get_object().get(members) != simdjson::SUCCESS) return "the body is not a JSON object";
  std::vector<std::string_view> seen;
  for (const auto& [key, value] : members) {
    if (value.is_array() || value.is_object()) {
      return "member \"" + std::string(key) + "\" is an array or object";
    }
    if (std::find(seen.begin(), seen.end(), key) != seen.end()) {
      return "member \"" + std::string(key) + "\" is given twice";
    }
    seen.push_back(key);
  }
  return {};
}

bool IsBlank(std::string_view text) {
  for (size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f') {
      ++i;
      continue;
    }
    // The multi-byte spaces, as their UTF-8 bytes.
    static constexpr std::string_view kSpaces[] = {
        "\xC2\x85",     "\xC2\xA0",     "\xE1\x9A\x80", "\xE2\x80\x80", "\xE2\x80\x81",
        "\xE2\x80\x82", "\xE2\x80\x83", "\xE2\x80\x84", "\xE2\x80\x85", "\xE2\x80\x86",
        "\xE2\x80\x87", "\xE2\x80\x88", "\xE2\x80\x89", "\xE2\x80\x8A", "\xE2\x80\x8B",
        "\xE2\x80\xA8", "\xE2\x80\xA9", "\xE2\x80\xAF", "\xE2\x81\x9F", "\xE3\x80\x80",
        "\xEF\xBB\xBF"};
    size_t n = 0;
    for (std::string_view s : kSpaces) {
      if (text.substr(i, s.size()) == s) n = s.size();
    }
    if (n == 0) return false;
    i += n;
  }
  return true;
}

UnixMillis WallNow() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

}  // namespace internal

bool ParseInt(std::string_view s, int64_t* out) {
  if (s.empty() || s.size() > 20) return false;
  bool neg = s[0] == '-';
  if (neg) s.remove_prefix(1);
  if (s.empty()) return false;
  // Canonical decimal only: "05" and "-0" name nothing the server ever
  // writes (a cursor, a record's sequence number, a tree size).
  if (s[0] == '0' && (s.size() > 1 || neg)) return false;
  int64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    // Every int64 (the API's integers are int64): beyond it, not a number.
    if (__builtin_mul_overflow(v, 10, &v) || __builtin_add_overflow(v, c - '0', &v)) return false;
  }
  *out = neg ? -v : v;
  return true;
}

namespace {

// The path's segments after its leading '/', empty ones kept: "/v1/orders//a"
// and "/v1/orders/a/b/" name no document, and are answered so, not read as
// "/v1/orders/a" and "/v1/orders/a/b".
std::vector<std::string> Segments(std::string_view path) {
  std::vector<std::string> out;
  if (path.empty() || path[0] != '/') return out;
  size_t i = 1;
  for (;;) {
    size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    out.push_back(UrlDecode(path.substr(i, j - i)));
    if (j == path.size()) return out;
    i = j + 1;
  }
}

struct DocRoute {
  const char* name;
  int type;
  size_t key_parts;
};
constexpr DocRoute kDocRoutes[] = {
    {"orders", 311, 2},           {"payments", 411, 2},          {"waybills", 511, 2},
    {"waybill-statuses", 513, 3}, {"inventory-lists", 621, 2},   {"cancellations", 623, 2},
    {"returns", 625, 2},          {"warehouse-entries", 711, 2},
};

}  // namespace

std::string UrlDecode(std::string_view s) {
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      int a = hex(s[i + 1]), b = hex(s[i + 2]);
      if (a >= 0 && b >= 0) {
        out.push_back(static_cast<char>(a * 16 + b));
        i += 2;
        continue;
      }
    }
    out.push_back(s[i]);
  }
  return out;
}

std::string QueryParam(std::string_view query, std::string_view name) {
  size_t i = 0;
  while (i <= query.size()) {
    size_t j = query.find('&', i);
    if (j == std::string_view::npos) j = query.size();
    std::string_view kv = query.substr(i, j - i);
    size_t eq = kv.find('=');
    if (kv.substr(0, eq) == name)
      return eq == std::string_view::npos ? "" : UrlDecode(kv.substr(eq + 1));
    i = j + 1;
  }
  return "";
}

Api::Api(node::Node* node, node::Registry* metrics, ReceiptFeed* feed, ApiLimits limits)
    : node_(node), metrics_(metrics), feed_(feed), limits_(limits) {
  accept_seconds_ =
      &metrics->GetHistogram("ftz_accept_seconds", "From a decoded message to its durable receipt",
                             {0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 1});
  messages_invalid_ = &metrics->GetCounter(
      "ftz_messages_total", "CEB messages answered, by outcome", "outcome=\"invalid\"");
  if (feed != nullptr) {
    metrics->AddGauge("ftz_event_streams", "Open receipt event streams (SSE)",
                      [feed] { return static_cast<double>(feed->subscribers()); });
  }
}

void Api::Handle(ApiRequest req, std::function<void(ApiResponse)> reply) {
  const std::string target = req.target;
  const size_t q = target.find('?');
  const std::string path = target.substr(0, q);
  const std::string query = q == std::string::npos ? "" : target.substr(q + 1);
  auto counted = [this, reply = std::move(reply)](std::string route) {
    return [this, reply, route = std::move(route)](ApiResponse r) {
      RequestCounter(route, r.status).Add();
      reply(std::move(r));
    };
  };
  // 405 names the methods the path takes (RFC 9110 §15.5.6).
  auto not_allowed = [](const char* allow) {
    ApiResponse r = JsonError(405, "method_not_allowed", std::string("use ") + allow);
    r.headers.emplace_back("Allow", allow);
    return r;
  };
  if (path == "/v1/admin/bonded/goods-in" || path == "/v1/admin/bonded/write-off") {
    if (req.method != "POST") {
      return counted("admin")(not_allowed("POST"));
    }
    return PostStockCommand(req, path.ends_with("write-off"), counted("admin"));
  }
  if (path == "/v1/admin/lists/conclude") {
    if (req.method != "POST") {
      return counted("admin")(not_allowed("POST"));
    }
    return PostConclusion(req, counted("admin"));
  }
  if (path == "/v1/admin/rules") {
    if (req.method != "POST") {
      return counted("admin")(not_allowed("POST"));
    }
    return PostRules(req, counted("admin"));
  }
  if (path == "/v1/messages") {
    if (req.method != "POST") return counted("messages")(not_allowed("POST"));
    return PostMessage(std::move(req), counted("messages"));
  }
  // The event stream is GET alone (the HTTP server takes a GET of it before
  // it reaches here): no HEAD, since its answer never ends.
  if (path == "/v1/receipts/stream") return counted("other")(not_allowed("GET"));
  if (req.method != "GET" && req.method != "HEAD") {
    return counted("other")(not_allowed("GET, HEAD"));
  }
  if (path == "/healthz") return counted("healthz")(Health());
  if (path == "/readyz") return counted("readyz")(Ready());
  if (path == "/metrics") {
    ApiResponse r;
    r.content_type = "text/plain; version=0.0.4; charset=utf-8";
    r.body = metrics_->Render();
    return counted("metrics")(std::move(r));
  }
  if (path == "/v1/receipts") return GetReceipts(req, counted("receipts"));
  if (path == "/v1/rules") return counted("rules")(GetRules(req.caller));
  if (path == "/tlog/checkpoint" || path == "/tlog/key") {
    ApiResponse r;
    r.content_type = "text/plain; charset=utf-8";
    r.body =
        path == "/tlog/key" ? node_->ledger().verifier_keys() : node_->ledger().checkpoint().text;
    return counted("tlog")(std::move(r));
  }
  if (path.rfind("/tlog/tile/", 0) == 0) return counted("tlog")(Tile(path.substr(6)));
  if (path == "/v1/proofs/bundle") return counted("proofs")(RecordBundle(query, req.caller));
  if (path == "/v1/proofs/inclusion") return counted("proofs")(InclusionProof(query));
  if (path == "/v1/proofs/consistency") return counted("proofs")(ConsistencyProof(query));
  if (path.rfind("/v1/bonded/", 0) == 0 && path.size() > 17 &&
      path.compare(path.size() - 6, 6, "/stock") == 0) {
    return counted("bonded")(GetStock(UrlDecode(path.substr(11, path.size() - 17)), req.caller));
  }
  if (path.rfind("/v1/quota/", 0) == 0) {
    return counted("quota")(
        GetQuota(UrlDecode(path.substr(10)), QueryParam(query, "year"), req.caller));
  }
  if (path == "/" || path == "/v1") {
    ApiResponse r;
    r.body = R"({"service":"ftzport single window","api":"/v1","docs":"docs/openapi.yaml",)"
             R"("submit":"POST /v1/messages","receipts":"GET /v1/receipts?copCode=...",)"
             R"("stream":"GET /v1/receipts/stream?copCode=...","metrics":"/metrics"})";
    return counted("index")(std::move(r));
  }
  std::vector<std::string> seg = Segments(path);
  if (seg.size() >= 2 && seg[0] == "v1") {
    for (const DocRoute& route : kDocRoutes) {
      if (seg[1] != route.name) continue;
      if (route.type == 621 && seg.size() == 2) {
        std::string copno = QueryParam(query, "copNo"), agent = QueryParam(query, "agentCode");
        std::string invt = QueryParam(query, "invtNo");
        if (!invt.empty()) return counted(route.name)(GetListBy("invtNo", invt, req.caller));
        if (!copno.empty() && !agent.empty()) {
          return counted(route.name)(GetListBy("copNo", agent + "/" + copno, req.caller));
        }
        return counted(route.name)(
            JsonError(400, "bad_request",
                      "give ebpCode/orderNo in the path, or ?agentCode=&copNo=, "
                      "or ?invtNo="));
      }
      if (seg.size() != 2 + route.key_parts ||
          std::any_of(seg.begin() + 2, seg.end(), [](const std::string& s) { return s.empty(); })) {
        return counted(route.name)(
            JsonError(400, "bad_request",
                      std::string("expected /v1/") + route.name + "/" +
                          (route.key_parts == 3 ? "{code}/{number}/{status}" : "{code}/{number}")));
      }
      std::string key = seg[2];
      for (size_t i = 3; i < seg.size(); ++i) key += "/" + seg[i];
      return counted(route.name)(GetDocument(route.type, key, req.caller));
    }
  }
  counted("unknown")(JsonError(404, "not_found", "no such endpoint: " + path));
}

node::Counter& Api::RequestCounter(const std::string& route, int status) {
  // Every request counts once: find its counter without the registry's mutex
  // for the routes and statuses the API uses; anything else takes the slow path.
  static constexpr const char* kRoutes[] = {"messages",
                                            "receipts",
                                            "orders",
                                            "payments",
                                            "waybills",
                                            "waybill-statuses",
                                            "inventory-lists",
                                            "cancellations",
                                            "returns",
                                            "warehouse-entries",
                                            "healthz",
                                            "readyz",
                                            "metrics",
                                            "index",
                                            "unknown",
                                            "other",
                                            "receipts-stream",
                                            "quota",
                                            "bonded",
                                            "admin",
                                            "tlog",
                                            "proofs",
                                            "rules"};
  static constexpr int kCodes[] = {200, 400, 404, 405, 409, 413, 431, 500, 503};
  static_assert(std::size(kRoutes) == kRequestRoutes, "a route without a counter slot");
  int r = -1, c = -1;
  for (int i = 0; i < static_cast<int>(std::size(kRoutes)); ++i) {
    if (route == kRoutes[i]) r = i;
  }
  for (int i = 0; i < static_cast<int>(std::size(kCodes)); ++i) {
    if (status == kCodes[i]) c = i;
  }
  auto lookup = [&] {
    return &metrics_->GetCounter("ftz_http_requests_total", "HTTP requests, by route and status",
                                 "route=\"" + route + "\",code=\"" + std::to_string(status) + "\"");
  };
  if (r < 0 || c < 0) return *lookup();
  std::atomic<node::Counter*>& slot = request_counters_[r * kRequestCodes + c];
  node::Counter* counter = slot.load(std::memory_order_acquire);
  if (counter == nullptr) {
    counter = lookup();  // the registry returns the same counter to racing threads
    slot.store(counter, std::memory_order_release);
  }
  return *counter;
}

namespace {

// X-Ftz-Error: the decoder's one-line summary, cut to 200 bytes at a
// character's edge, with any control character (a CR or LF would end the
// header) made a space.
std::pair<std::string, std::string> ErrorHeader(std::string_view summary) {
  size_t n = std::min<size_t>(summary.size(), 200);
  while (n > 0 && n < summary.size() && (static_cast<unsigned char>(summary[n]) & 0xC0) == 0x80) {
    --n;
  }
  std::string v(summary.substr(0, n));
  for (char& c : v) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) c = ' ';
  }
  return {"X-Ftz-Error", std::move(v)};
}

// A CEB900 answer: a body that could not be read as a message (or was not
// read at all: too large, another charset), quoting `body` if given.
ApiResponse FormatRefusal(int status, const ceb::DecodeResult& d, std::string_view body,
                          bool json) {
  ceb::FormatReceipt f = ceb::MakeFormatReceipt(d, body, WallNow());
  ApiResponse r;
  r.status = status;
  r.content_type = json ? kJson : kXml;
  r.body = json ? ceb::EncodeFormatReceiptJson(f) : ceb::EncodeFormatReceiptXml(f);
  r.headers.push_back(ErrorHeader(d.summary));
  return r;
}

}  // namespace

ApiResponse Api::BodyTooLarge(const ApiRequest& req, bool message) const {
  const std::string why =
      "body larger than the limit of " + std::to_string(limits_.max_body) + " bytes";
  // Only a CEB message is answered with a CEB900 (and counted as one).
  if (!message) return JsonError(413, "too_large", "request " + why);
  ceb::DecodeResult d;
  d.ceb_code = 1;
  d.summary = "message " + why;
  messages_invalid_->Add();
  return FormatRefusal(413, d, "", WantsJson(req.accept));
}

void Api::PostMessage(ApiRequest req, std::function<void(ApiResponse)> reply) {
  const auto t0 = Clock::now();
  const bool json = WantsJson(req.accept);
  if (req.body.size() > limits_.max_body) return reply(BodyTooLarge(req, /*message=*/true));
  // CEB messages are UTF-8 (an XML declaration naming another encoding is
  // refused by the decoder); a body labelled otherwise would be read as
  // something its sender did not write.
  if (std::string charset = CharsetOf(req.content_type);
      !charset.empty() && charset != "utf-8" && charset != "utf8") {
    ceb::DecodeResult d;
    d.ceb_code = 1;
    d.summary = "the Content-Type names charset " + charset.substr(0, 40) +
                ": CEB messages are UTF-8 (send charset=utf-8 or no charset)";
    messages_invalid_->Add();
    return reply(FormatRefusal(415, d, "", json));
  }
  const ceb::Syntax syntax = SyntaxOf(req);
  ceb::DecodeResult d = ceb::Decode(req.body, syntax);
  if (d.outcome != ceb::DecodeResult::Outcome::kOk) messages_invalid_->Add();
  if (d.outcome == ceb::DecodeResult::Outcome::kUnreadable) {
    return reply(FormatRefusal(400, d, req.body, json));
  }
  if (d.outcome == ceb::DecodeResult::Outcome::kInvalid) {
    ReceiptMessage receipt = ceb::MakeRefusalReceipt(d, WallNow());
    ApiResponse r;
    r.status = 400;
    r.content_type = json ? kJson : kXml;
    r.body = json ? ceb::EncodeReceiptJson(receipt) : ceb::EncodeReceiptXml(receipt);
    r.headers.push_back(ErrorHeader(d.summary));
    return reply(std::move(r));
  }
  node::Submission s;
  s.syntax = syntax;
  s.body = std::move(req.body);
  s.caller = req.caller.enterprise;
  s.message = std::move(d.message);
  s.want_receipt = json;
  node_->Submit(std::move(s), [this, reply = std::move(reply), json, t0](node::SubmitResult res) {
    if (!res.status.ok()) {
      ApiResponse r = JsonError(503, "intake_stopped", res.status.message());
      r.retained = std::move(res.submission);
      return reply(std::move(r));
    }
    accept_seconds_->Observe(std::chrono::duration<double>(Clock::now() - t0).count());
    ApiResponse r;
    r.retained = std::move(res.submission);
    // 409: every block was refused for a state reason (duplicate, nothing to
    // change); the receipt says which and why, and nothing was recorded.
    r.status = res.logged ? 200 : 409;
    r.content_type = json ? kJson : kXml;
    r.body = json ? ceb::EncodeReceiptJson(res.receipt) : std::move(res.receipt_xml);
    if (res.logged) {
      r.headers.emplace_back("X-Ftz-Message-Seq", std::to_string(res.message_seq));
      r.headers.emplace_back("X-Ftz-Receipt-Seq", std::to_string(res.receipt_seq));
      // A record's leaf index in the ledger is its log sequence number; these
      // headers say so explicitly (the CEB XML itself has no place for it).
      r.headers.emplace_back("Ftz-Leaf-Index", std::to_string(res.receipt_seq));
      r.headers.emplace_back("Ftz-Message-Leaf-Index", std::to_string(res.message_seq));
      if (json && !r.body.empty() && r.body.back() == '}') {
        // A member beside the CEB root: {"CEB312Message":{...},"ledger":{...}}.
        r.body.pop_back();
        r.body += ",\"ledger\":{\"leafIndex\":" + std::to_string(res.receipt_seq) +
                  ",\"messageLeafIndex\":" + std::to_string(res.message_seq) + "}}";
      }
    }
    reply(std::move(r));
  });
}

ApiResponse Api::GetDocument(int type, const std::string& key, const Caller& caller,
                             const std::function<bool(const Message&, size_t)>& names_it,
                             std::string_view not_named) {
  (void)caller;  // per-enterprise authorization will check caller.enterprise here
  auto row = node_->read_model().FindDocument(type, key);
  if (!row.ok()) {
    if (row.status().code() == StatusCode::kNotFound) {
      return JsonError(404, "not_found", "no CEB" + std::to_string(type) + " document " + key);
    }
    return ServerFault("read_model", "the query index", row.status());
  }
  stream::RecordType rt;
  UnixMillis time;
  std::string payload;
  Status st = node_->log().Read(row->seq, &rt, &time, &payload);
  engine::MessageRecord mr;
  if (!st.ok() || rt != stream::RecordType::kMessage ||
      !engine::DecodeMessageRecord(payload, &mr)) {
    return ServerFault("log", "log record " + std::to_string(row->seq),
                       st.ok() ? Status::Corruption("the record is not a message") : st);
  }
  ceb::DecodeResult d = ceb::Decode(mr.body, mr.syntax);
  if (d.outcome == ceb::DecodeResult::Outcome::kUnreadable ||
      static_cast<size_t>(row->block) >= d.message.BlockCount()) {
    return ServerFault("log", "log record " + std::to_string(row->seq),
                       Status::Corruption("the logged message no longer decodes"));
  }
  if (names_it && !names_it(d.message, static_cast<size_t>(row->block))) {
    return JsonError(404, "not_found", std::string(not_named));
  }
  ApiResponse r;
  r.body = "{\"type\":";
  AppendJsonString(&r.body, RootElementName(static_cast<MessageType>(type)));
  r.body += ",\"key\":";
  AppendJsonString(&r.body, row->key);
  r.body += ",\"returnStatus\":" + std::to_string(row->status) + ",\"returnInfo\":";
  AppendJsonString(&r.body, row->info);
  r.body += ",\"copCode\":";
  AppendJsonString(&r.body, row->cop_code);
  r.body += ",\"updated\":";
  AppendJsonString(&r.body, FormatReturnTime(row->time));
  r.body +=
      ",\"logIndex\":" + std::to_string(row->seq) + ",\"block\":" + std::to_string(row->block);
  r.body += ",\"document\":" + ceb::EncodeBlockJson(d.message, row->block) + "}";
  return r;
}

ApiResponse Api::GetListBy(const std::string& index, const std::string& value,
                           const Caller& caller) {
  auto row = node_->read_model().FindListBy(index, value);
  if (!row.ok()) {
    return row.status().code() == StatusCode::kNotFound
               ? JsonError(404, "not_found", row.status().message())
               : ServerFault("read_model", "the query index", row.status());
  }
  if (index != "copNo") return GetDocument(621, row->key, caller);
  // A copNo's index entry outlives a change of the list's copNo or its
  // deletion (the order's next list then has the same key): the list the
  // entry leads to must still be declared under that agentCode/copNo.
  return GetDocument(
      621, row->key, caller,
      [&](const Message& m, size_t block) {
        const InventoryHead& h = std::get<std::vector<InventoryList>>(m.blocks).at(block).head;
        return h.agentCode + "/" + h.copNo == value;
      },
      "no inventory list with copNo " + value);
}

Result<std::string> Api::ReceiptsJson(const std::string& cop, int64_t after, int limit,
                                      int64_t* last, size_t* count) {
  auto rows = node_->read_model().ReceiptsAfter(cop, after, limit);
  if (!rows.ok()) return rows.status();
  std::string out = "[";
  *count = rows->size();
  for (size_t i = 0; i < rows->size(); ++i) {
    const store::ReceiptRow& row = (*rows)[i];
    stream::RecordType rt;
    UnixMillis time;
    std::string payload;
    FTZ_RETURN_IF_ERROR(node_->log().Read(row.seq, &rt, &time, &payload));
    engine::ReceiptRecord rr;
    ReceiptMessage receipt;
    if (rt != stream::RecordType::kReceipt || !engine::DecodeReceiptRecord(payload, &rr) ||
        !ceb::DecodeReceiptXml(rr.xml, &receipt).ok()) {
      return Status::Corruption("log record " + std::to_string(row.seq) + " is not a receipt");
    }
    if (i) out += ",";
    out += "{\"cursor\":" + std::to_string(row.seq) + ",\"leafIndex\":" + std::to_string(row.seq) +
           ",\"answers\":" + std::to_string(row.answers) + ",\"messageType\":";
    AppendJsonString(&out, RootElementName(receipt.type));
    out += ",\"receipt\":" + ceb::EncodeReceiptJson(receipt) + ",\"xml\":";
    AppendJsonString(&out, rr.xml);
    out += "}";
    *last = static_cast<int64_t>(row.seq);
  }
  out += "]";
  return out;
}

void Api::GetReceipts(const ApiRequest& req, std::function<void(ApiResponse)> reply) {
  const size_t q = req.target.find('?');
  const std::string query = q == std::string::npos ? "" : req.target.substr(q + 1);
  const std::string cop = QueryParam(query, "copCode");
  if (cop.empty()) return reply(JsonError(400, "bad_request", "copCode is required"));
  int64_t after = -1, limit = 100, timeout = 0;
  std::string a = QueryParam(query, "after"), l = QueryParam(query, "limit"),
              t = QueryParam(query, "timeout");
  if ((!a.empty() && (!ParseInt(a, &after) || after < -1)) ||
      (!l.empty() &&
       (!ParseInt(l, &limit) || limit < 1 || limit > limits_.max_receipts_per_page)) ||
      (!t.empty() &&
       (!ParseInt(t, &timeout) || timeout < 0 || timeout > limits_.max_poll_seconds))) {
    return reply(JsonError(400, "bad_request",
                           "after must be an integer >= -1, limit 1.." +
                               std::to_string(limits_.max_receipts_per_page) + ", timeout 0.." +
                               std::to_string(limits_.max_poll_seconds) + " seconds"));
  }
  auto answer = [this, cop, after, limit](std::function<void(ApiResponse)>& reply, bool final) {
    int64_t last = after;
    size_t count = 0;
    auto list = ReceiptsJson(cop, after, static_cast<int>(limit), &last, &count);
    if (!list.ok()) {
      reply(ServerFault("read_model", "the receipts", list.status()));
      return true;
    }
    if (count == 0 && !final) return false;
    ApiResponse r;
    r.body = "{\"copCode\":";
    AppendJsonString(&r.body, cop);
    r.body += ",\"receipts\":" + *list + ",\"next\":" + std::to_string(last) + "}";
    reply(std::move(r));
    return true;
  };
  if (timeout == 0) {
    answer(reply, true);
    return;
  }
  // Register first, then look: a commit between the two still wakes us. A
  // wake that brings nothing for this cursor waits again until the deadline.
  struct Poll {
    std::mutex mu;
    std::function<void(ApiResponse)> reply;
    ReceiptFeed::Clock::time_point deadline;
  };
  auto poll = std::make_shared<Poll>();
  poll->reply = std::move(reply);
  poll->deadline = ReceiptFeed::Clock::now() + std::chrono::seconds(timeout);
  // attempt(woke): look; answer if there is something (or it is the deadline);
  // after a wake that brought nothing for this cursor, wait again.
  auto attempt = std::make_shared<std::function<void(bool, bool)>>();
  *attempt = [this, poll, answer, cop,
              weak = std::weak_ptr<std::function<void(bool, bool)>>(attempt)](bool final,
                                                                              bool rearm) mutable {
    std::shared_ptr<std::function<void(bool, bool)>> again;
    {
      std::lock_guard<std::mutex> lock(poll->mu);
      if (!poll->reply) return;
      if (answer(poll->reply, final)) {
        poll->reply = nullptr;
        return;
      }
      if (rearm) again = weak.lock();
    }
    // Outside the lock: a feed shut down meanwhile calls back at once, into
    // this function.
    if (again) feed_->Wait(cop, poll->deadline, [again](bool woke) { (*again)(!woke, true); });
  };
  // The feed's waiter owns the attempt from here on.
  feed_->Wait(cop, poll->deadline, [attempt](bool woke) { (*attempt)(!woke, true); });
  (*attempt)(false, false);
}

Result<std::string> Api::SseEvents(const std::string& cop, int64_t* cursor, const Caller& caller,
                                   bool* more) {
  (void)caller;  // per-enterprise authorization will check caller.enterprise here
  auto rows = node_->read_model().ReceiptsAfter(cop, *cursor, limits_.max_receipts_per_page);
  if (!rows.ok()) return rows.status();
  *more = static_cast<int>(rows->size()) == limits_.max_receipts_per_page;
  std::string out;
  for (const store::ReceiptRow& row : *rows) {
    int64_t last = *cursor;
    size_t count = 0;
    auto one = ReceiptsJson(cop, static_cast<int64_t>(row.seq) - 1, 1, &last, &count);
    if (!one.ok()) return one.status();
    // data: the single receipt object (strip the surrounding [ ]).
    out += "id: " + std::to_string(row.seq) +
           "\nevent: receipt\ndata: " + one->substr(1, one->size() - 2) + "\n\n";
    *cursor = static_cast<int64_t>(row.seq);
  }
  return out;
}

ApiResponse Api::Health() const {
  ApiResponse r;
  r.body = "{\"status\":\"ok\"}";
  return r;
}

ApiResponse Api::Ready() const {
  ApiResponse r;
  if (node_->intake_stopped()) {
    r.status = 503;
    r.body = "{\"status\":\"intake_stopped\",\"reason\":\"a log write could not be made durable\"}";
    return r;
  }
  r.body = "{\"status\":\"ready\",\"logNextSeq\":" + std::to_string(node_->log().next_seq()) +
           ",\"readModelLag\":" + std::to_string(node_->read_model_lag()) +
           (node_->read_model_failed() ? ",\"readModelFailed\":true" : "") +
           (node_->ledger_failed() ? ",\"ledgerFailed\":true" : "") + "}";
  return r;
}

}  // namespace ftz::server
