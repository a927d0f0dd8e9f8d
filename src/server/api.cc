#include "server/api.h"

#include <chrono>
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

namespace ftz::server {
namespace {

using Clock = std::chrono::steady_clock;
using ceb::internal::AppendJsonString;

constexpr const char* kXml = "application/xml; charset=utf-8";
constexpr const char* kJson = "application/json";

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

bool WantsJson(const std::string& accept) { return accept.find("json") != std::string::npos; }

ceb::Syntax SyntaxOf(const ApiRequest& req) {
  if (req.content_type.find("json") != std::string::npos) return ceb::Syntax::kJson;
  if (req.content_type.find("xml") != std::string::npos) return ceb::Syntax::kXml;
  std::string_view b = req.body;
  if (b.size() >= 3 && std::memcmp(b.data(), "\xEF\xBB\xBF", 3) == 0) b.remove_prefix(3);
  size_t i = b.find_first_not_of(" \t\r\n");
  return i != std::string_view::npos && b[i] == '{' ? ceb::Syntax::kJson : ceb::Syntax::kXml;
}

UnixMillis WallNow() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

}  // namespace

bool ParseInt(std::string_view s, int64_t* out) {
  if (s.empty() || s.size() > 18) return false;  // no overflow: at most 18 digits
  bool neg = s[0] == '-';
  if (neg) s.remove_prefix(1);
  if (s.empty()) return false;
  int64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  *out = neg ? -v : v;
  return true;
}

namespace {

std::vector<std::string> Segments(std::string_view path) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < path.size()) {
    size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    if (j > i) out.push_back(UrlDecode(path.substr(i, j - i)));
    i = j + 1;
  }
  return out;
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
  if (path == "/v1/admin/bonded/goods-in") {
    if (req.method != "POST") {
      return counted("admin")(JsonError(405, "method_not_allowed", "use POST"));
    }
    return PostGoodsIn(req, counted("admin"));
  }
  if (path == "/v1/admin/lists/conclude") {
    if (req.method != "POST") {
      return counted("admin")(JsonError(405, "method_not_allowed", "use POST"));
    }
    return PostConclusion(req, counted("admin"));
  }
  if (path == "/v1/admin/rules") {
    if (req.method != "POST") {
      return counted("admin")(JsonError(405, "method_not_allowed", "use POST"));
    }
    return PostRules(req, counted("admin"));
  }
  if (path == "/v1/messages") {
    if (req.method != "POST")
      return counted("messages")(JsonError(405, "method_not_allowed", "use POST"));
    return PostMessage(std::move(req), counted("messages"));
  }
  if (req.method != "GET" && req.method != "HEAD") {
    return counted("other")(JsonError(405, "method_not_allowed", "use GET"));
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
      if (seg.size() != 2 + route.key_parts) {
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
  static constexpr const char* kRoutes[] = {"messages",        "receipts",
                                            "orders",          "payments",
                                            "waybills",        "waybill-statuses",
                                            "inventory-lists", "cancellations",
                                            "returns",         "warehouse-entries",
                                            "healthz",         "readyz",
                                            "metrics",         "index",
                                            "unknown",         "other",
                                            "receipts-stream", "quota",
                                            "admin",           "tlog",
                                            "proofs",          "rules"};
  static constexpr int kCodes[] = {200, 400, 404, 405, 409, 413, 431, 500, 503};
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

ApiResponse Api::BodyTooLarge(const ApiRequest& req) const {
  ceb::DecodeResult d;
  d.ceb_code = 1;
  d.summary =
      "message body larger than the limit of " + std::to_string(limits_.max_body) + " bytes";
  ceb::FormatReceipt f = ceb::MakeFormatReceipt(d, "", WallNow());
  ApiResponse r;
  r.status = 413;
  bool json = WantsJson(req.accept);
  r.content_type = json ? kJson : kXml;
  r.body = json ? ceb::EncodeFormatReceiptJson(f) : ceb::EncodeFormatReceiptXml(f);
  return r;
}

void Api::PostMessage(ApiRequest req, std::function<void(ApiResponse)> reply) {
  const auto t0 = Clock::now();
  const bool json = WantsJson(req.accept);
  if (req.body.size() > limits_.max_body) return reply(BodyTooLarge(req));
  const ceb::Syntax syntax = SyntaxOf(req);
  ceb::DecodeResult d = ceb::Decode(req.body, syntax);
  if (d.outcome == ceb::DecodeResult::Outcome::kUnreadable) {
    ceb::FormatReceipt f = ceb::MakeFormatReceipt(d, req.body, WallNow());
    ApiResponse r;
    r.status = 400;
    r.content_type = json ? kJson : kXml;
    r.body = json ? ceb::EncodeFormatReceiptJson(f) : ceb::EncodeFormatReceiptXml(f);
    return reply(std::move(r));
  }
  if (d.outcome == ceb::DecodeResult::Outcome::kInvalid) {
    ReceiptMessage receipt = ceb::MakeRefusalReceipt(d, WallNow());
    ApiResponse r;
    r.status = 400;
    r.content_type = json ? kJson : kXml;
    r.body = json ? ceb::EncodeReceiptJson(receipt) : ceb::EncodeReceiptXml(receipt);
    return reply(std::move(r));
  }
  node::Submission s;
  s.syntax = syntax;
  s.body = std::move(req.body);
  s.caller = req.caller.enterprise;
  s.message = std::move(d.message);
  node_->Submit(std::move(s), [this, reply = std::move(reply), json, t0](node::SubmitResult res) {
    if (!res.status.ok()) return reply(JsonError(503, "intake_stopped", res.status.message()));
    accept_seconds_->Observe(std::chrono::duration<double>(Clock::now() - t0).count());
    ApiResponse r;
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

ApiResponse Api::GetDocument(int type, const std::string& key, const Caller& caller) {
  (void)caller;  // per-enterprise authorization will check caller.enterprise here
  auto row = node_->read_model().FindDocument(type, key);
  if (!row.ok()) {
    if (row.status().code() == StatusCode::kNotFound) {
      return JsonError(404, "not_found", "no CEB" + std::to_string(type) + " document " + key);
    }
    return JsonError(500, "read_model", row.status().message());
  }
  stream::RecordType rt;
  UnixMillis time;
  std::string payload;
  Status st = node_->log().Read(row->seq, &rt, &time, &payload);
  engine::MessageRecord mr;
  if (!st.ok() || rt != stream::RecordType::kMessage ||
      !engine::DecodeMessageRecord(payload, &mr)) {
    return JsonError(500, "log", st.ok() ? "record is not a message" : st.message());
  }
  ceb::DecodeResult d = ceb::Decode(mr.body, mr.syntax);
  if (d.outcome == ceb::DecodeResult::Outcome::kUnreadable ||
      static_cast<size_t>(row->block) >= d.message.BlockCount()) {
    return JsonError(500, "log", "logged message no longer decodes");
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
               : JsonError(500, "read_model", row.status().message());
  }
  return GetDocument(621, row->key, caller);
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
      reply(JsonError(500, "read_model", list.status().message()));
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
    std::lock_guard<std::mutex> lock(poll->mu);
    if (!poll->reply) return;
    if (answer(poll->reply, final)) {
      poll->reply = nullptr;
      return;
    }
    if (auto again = weak.lock(); again && rearm) {
      feed_->Wait(cop, poll->deadline, [again](bool woke) { (*again)(!woke, true); });
    }
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

void Api::PostGoodsIn(const ApiRequest& req, std::function<void(ApiResponse)> reply) {
  // {"emsNo": "...", "itemRecordNo": "...", "qty": "120"} — an operator's
  // administrative goods-in for a bonded account (1210). Authorization of the
  // operator will be checked here (req.caller) when authentication lands.
  simdjson::ondemand::parser parser;
  simdjson::padded_string ps(req.body);
  simdjson::ondemand::document doc;
  std::string ems, item, qty_text;
  std::string_view v;
  auto field = [&](const char* name, std::string* out) {
    return !doc[name].get_string().get(v) && (*out = std::string(v), true);
  };
  if (parser.iterate(ps).get(doc) || !field("emsNo", &ems) || !field("itemRecordNo", &item) ||
      !field("qty", &qty_text)) {
    return reply(JsonError(400, "bad_request",
                           "expected {\"emsNo\":\"...\",\"itemRecordNo\":\"...\",\"qty\":\"...\"} "
                           "(strings)"));
  }
  Result<Decimal> qty = Decimal::Parse(qty_text);
  if (ems.empty() || ems.size() > 30 || item.empty() || item.size() > 30 || !qty.ok() ||
      qty->units() <= 0) {
    return reply(
        JsonError(400, "bad_request",
                  "emsNo and itemRecordNo: 1-30 characters; qty: a positive N19,5 number"));
  }
  node::Submission s;
  s.caller = req.caller.enterprise;
  engine::AdminRecord a;
  a.kind = engine::AdminRecord::kGoodsIn;
  a.operator_id = req.caller.enterprise;
  a.ems_no = ems;
  a.item_record_no = item;
  a.qty = *qty;
  s.admin = std::move(a);
  node_->Submit(std::move(s), [reply](node::SubmitResult res) {
    if (res.status.code() == StatusCode::kUnavailable) {
      return reply(JsonError(503, "intake_stopped", res.status.message()));
    }
    if (!res.status.ok()) return reply(JsonError(400, "bad_request", res.status.message()));
    ApiResponse r;
    r.body = "{\"logIndex\":" + std::to_string(res.message_seq) + "}";
    reply(std::move(r));
  });
}

namespace {

// Admin submissions answer with the record's place in the log, or why not.
std::function<void(node::SubmitResult)> AdminAnswer(std::function<void(ApiResponse)> reply,
                                                    std::string extra_json = "") {
  return [reply = std::move(reply), extra_json](node::SubmitResult res) {
    switch (res.status.code()) {
      case StatusCode::kOk:
        break;
      case StatusCode::kUnavailable:
        return reply(JsonError(503, "intake_stopped", res.status.message()));
      case StatusCode::kNotFound:
        return reply(JsonError(404, "not_found", res.status.message()));
      case StatusCode::kFailedPrecondition:
      case StatusCode::kAlreadyExists:
        return reply(JsonError(409, "conflict", res.status.message()));
      default:
        return reply(JsonError(400, "bad_request", res.status.message()));
    }
    ApiResponse r;
    r.body = "{\"logIndex\":" + std::to_string(res.message_seq) + extra_json + "}";
    reply(std::move(r));
  };
}

std::string DateOf(UnixMillis t) {
  const std::string d = FormatDateTime14(t);
  return d.substr(0, 4) + "-" + d.substr(4, 2) + "-" + d.substr(6, 2);
}

}  // namespace

void Api::PostConclusion(const ApiRequest& req, std::function<void(ApiResponse)> reply) {
  // {"invtNo": "...", "release": true|false, "note": "..."} — a customs
  // officer's outcome for a list under manual review (300) or inspection
  // (500). Logged like any input, so replay reaches the same decision. The
  // officer's authorization will be checked here (req.caller).
  simdjson::ondemand::parser parser;
  simdjson::padded_string ps(req.body);
  simdjson::ondemand::document doc;
  std::string_view invt, note;
  bool release = false;
  const bool parsed = !parser.iterate(ps).get(doc) && !doc["invtNo"].get_string().get(invt) &&
                      !doc["release"].get_bool().get(release);
  if (parsed) {
    auto n = doc["note"];
    if (n.error() == simdjson::NO_SUCH_FIELD) {
      note = {};
    } else if (n.get_string().get(note)) {
      note = "\x01";  // not a string: refused below
    }
  }
  if (!parsed || invt.empty() || invt.size() > 18 || note == "\x01" || ceb::Utf8Length(note) < 0 ||
      ceb::Utf8Length(note) > 500) {
    return reply(JsonError(400, "bad_request",
                           "expected {\"invtNo\":\"<18 characters>\",\"release\":true|false,"
                           "\"note\":\"<up to 500 characters, the reason of a refusal>\"}"));
  }
  node::Submission s;
  s.caller = req.caller.enterprise;
  engine::AdminRecord a;
  a.kind = engine::AdminRecord::kConclude;
  a.operator_id = req.caller.enterprise;
  a.invt_no = std::string(invt);
  a.release = release;
  a.note = std::string(note);
  s.admin = std::move(a);
  node_->Submit(std::move(s), AdminAnswer(std::move(reply)));
}

void Api::PostRules(const ApiRequest& req, std::function<void(ApiResponse)> reply) {
  // A new version of the clearance rules (the TOML of docs/clearance.md),
  // logged like any input: replay and every later decision see the same
  // versions. The operator's authorization will be checked here (req.caller).
  auto parsed = clearance::ParseRules(req.body, "rules");
  if (!parsed.ok()) return reply(JsonError(400, "bad_rules", parsed.status().message()));
  std::string extra = ",\"version\":";
  AppendJsonString(&extra, parsed->version);
  extra += ",\"effectiveFrom\":";
  AppendJsonString(&extra, DateOf(parsed->effective_from));
  node::Submission s;
  s.caller = req.caller.enterprise;
  engine::AdminRecord a;
  a.kind = engine::AdminRecord::kRules;
  a.operator_id = req.caller.enterprise;
  a.rules_toml = req.body;
  s.admin = std::move(a);
  node_->Submit(std::move(s), AdminAnswer(std::move(reply), extra));
}

ApiResponse Api::GetRules(const Caller& caller) {
  (void)caller;  // public: the rules in force are published
  const std::shared_ptr<const clearance::RuleBook> book = node_->rules();
  if (!book) return JsonError(404, "not_found", "clearance is off on this node");
  const clearance::Rules* now = book->InForceAt(WallNow());
  ApiResponse r;
  r.body = "{\"inForce\":";
  AppendJsonString(&r.body, now ? now->version : "");
  r.body += ",\"versions\":[";
  for (size_t i = 0; i < book->size(); ++i) {
    const clearance::Rules& v = book->At(i);
    r.body += i ? ",{\"version\":" : "{\"version\":";
    AppendJsonString(&r.body, v.version);
    r.body += ",\"title\":";
    AppendJsonString(&r.body, v.title);
    r.body += ",\"effectiveFrom\":";
    AppendJsonString(&r.body, v.effective_from <= 0 ? "" : DateOf(v.effective_from));
    r.body += "}";
  }
  r.body += "]}";
  return r;
}

ApiResponse Api::GetQuota(const std::string& id_number, const std::string& year_text,
                          const Caller& caller) {
  (void)caller;  // the operator's authentication of the buyer will be checked here
  if (id_number.empty() || id_number.size() > 60 || id_number.find('/') != std::string::npos) {
    return JsonError(400, "bad_request", "expected /v1/quota/{buyerIdNumber}[?year=YYYY]");
  }
  const UnixMillis now = WallNow();
  int64_t year = CstYear(now);
  if (!year_text.empty() && (!ParseInt(year_text, &year) || year < 2000 || year > 9999)) {
    return JsonError(400, "bad_request", "year must be a calendar year such as 2026");
  }
  auto row = node_->read_model().FindQuota(store::BuyerKey(id_number), static_cast<int32_t>(year));
  if (!row.ok()) return JsonError(500, "read_model", row.status().message());
  const std::shared_ptr<const clearance::RuleBook> book = node_->rules();
  const clearance::Rules* rules = book ? book->InForceAt(now) : nullptr;
  const Decimal used = Decimal::FromUnits(row->used_units);
  ApiResponse r;
  r.body = "{\"buyer\":";
  AppendJsonString(&r.body, clearance::MaskId(id_number));
  r.body += ",\"year\":" + std::to_string(year) + ",\"used\":";
  AppendJsonString(&r.body, used.ToString());
  r.body += ",\"lists\":" + std::to_string(row->lists);
  if (rules != nullptr) {
    Decimal left = rules->annual_limit - used;
    if (left < Decimal()) left = Decimal();
    r.body += ",\"annualLimit\":";
    AppendJsonString(&r.body, rules->annual_limit.ToString());
    r.body += ",\"remaining\":";
    AppendJsonString(&r.body, left.ToString());
    r.body += ",\"rulesVersion\":";
    AppendJsonString(&r.body, rules->version);
  }
  r.body += "}";
  return r;
}

namespace {

std::string HashJson(const ledger::Hash& h) {
  std::string out;
  AppendJsonString(&out, ceb::internal::Base64Encode(
                             std::string_view(reinterpret_cast<const char*>(h.data()), h.size())));
  return out;
}

std::string HashesJson(const std::vector<ledger::Hash>& hashes) {
  std::string out = "[";
  for (size_t i = 0; i < hashes.size(); ++i) out += (i ? "," : "") + HashJson(hashes[i]);
  return out + "]";
}

}  // namespace

namespace {

// The ?index= of a record a signed checkpoint covers, or the refusal.
std::optional<ApiResponse> CheckpointedIndex(const std::string& query, uint64_t size,
                                             int64_t* index) {
  if (!ParseInt(QueryParam(query, "index"), index) || *index < 0) {
    return JsonError(400, "bad_request", "index (a log record's sequence number) is required");
  }
  if (static_cast<uint64_t>(*index) >= size) {
    return JsonError(404, "not_yet_checkpointed",
                     "record " + std::to_string(*index) +
                         " is not in the latest checkpoint (size " + std::to_string(size) +
                         "); try again in a second");
  }
  return std::nullopt;
}

}  // namespace

ApiResponse Api::InclusionProof(const std::string& query) {
  // Proofs are against the latest signed checkpoint, so a verifier needs
  // nothing else from this server: the checkpoint travels with the proof.
  const node::LedgerWriter::Signed cp = node_->ledger().checkpoint();
  int64_t index = -1;
  if (std::optional<ApiResponse> refused = CheckpointedIndex(query, cp.size, &index)) {
    return *refused;
  }
  stream::RecordType type;
  UnixMillis time;
  std::string payload;
  Status st = node_->log().Read(static_cast<uint64_t>(index), &type, &time, &payload);
  if (!st.ok()) return JsonError(500, "log", st.message());
  ledger::TileReader reader(node_->ledger().tiles_dir(), cp.size, 64);
  auto proof = ledger::InclusionProof(static_cast<uint64_t>(index), cp.size, reader);
  if (!proof.ok()) return JsonError(500, "ledger", proof.status().message());
  const ledger::Hash leaf = node::RecordLeaf(type, static_cast<uint64_t>(index), time, payload);
  ApiResponse r;
  r.body = "{\"index\":" + std::to_string(index) + ",\"size\":" + std::to_string(cp.size) +
           ",\"leafHash\":" + HashJson(leaf) + ",\"proof\":" + HashesJson(*proof) +
           ",\"checkpoint\":";
  AppendJsonString(&r.body, cp.text);
  r.body += "}";
  return r;
}

ApiResponse Api::ConsistencyProof(const std::string& query) {
  const node::LedgerWriter::Signed cp = node_->ledger().checkpoint();
  int64_t from = -1, to = static_cast<int64_t>(cp.size);
  std::string to_text = QueryParam(query, "to");
  if (!ParseInt(QueryParam(query, "from"), &from) || from < 1 ||
      (!to_text.empty() && !ParseInt(to_text, &to)) || to < from) {
    return JsonError(400, "bad_request", "need 1 <= from <= to (tree sizes)");
  }
  if (static_cast<uint64_t>(to) > cp.size) {
    return JsonError(404, "not_yet_checkpointed",
                     "size " + std::to_string(to) + " is beyond the latest checkpoint (" +
                         std::to_string(cp.size) + ")");
  }
  ledger::TileReader reader(node_->ledger().tiles_dir(), cp.size, 64);
  auto proof =
      ledger::ConsistencyProof(static_cast<uint64_t>(from), static_cast<uint64_t>(to), reader);
  if (!proof.ok()) return JsonError(500, "ledger", proof.status().message());
  ApiResponse r;
  r.body = "{\"from\":" + std::to_string(from) + ",\"to\":" + std::to_string(to) +
           ",\"proof\":" + HashesJson(*proof) + ",\"checkpoint\":";
  AppendJsonString(&r.body, cp.text);
  r.body += "}";
  return r;
}

ApiResponse Api::Tile(const std::string& rel) {
  // Only what the latest signed checkpoint covers is served: a client can
  // check every tile against a root it has a signature for, and tiles the
  // writer flushed ahead of the next checkpoint stay private until then.
  const node::LedgerWriter::Signed cp = node_->ledger().checkpoint();
  constexpr std::string_view kEntries = "tile/entries/";
  const bool entries = rel.compare(0, kEntries.size(), kEntries) == 0;
  // Entry bundles share the level-0 path encoding.
  Result<ledger::TileId> id =
      ledger::ParseTilePath(entries ? "tile/0/" + rel.substr(kEntries.size()) : rel);
  if (!id.ok()) {
    return JsonError(400, "bad_tile_path",
                     "/tlog/" + rel + ": " + id.status().message() +
                         " (expected /tlog/tile/<L>/<N>[.p/<W>] or "
                         "/tlog/tile/entries/<N>[.p/<W>], N in 3-digit groups like x001/234)");
  }
  // Complete nodes at the tile's level in the checkpointed tree.
  const uint64_t count = id->level >= 8 ? 0 : cp.size >> (ledger::kTileHeight * id->level);
  if (id->index > count / ledger::kTileWidth ||
      id->index * ledger::kTileWidth + id->width > count) {
    return JsonError(404, "beyond_checkpoint",
                     "/tlog/" + rel + " is beyond the latest checkpoint (tree size " +
                         std::to_string(cp.size) + ")");
  }
  ApiResponse r;
  r.content_type = "application/octet-stream";
  // A full tile never changes; a partial one (p/W) never changes either but may
  // be deleted once its full tile exists, so clients should not keep it long.
  r.headers.emplace_back("Cache-Control",
                         id->full() ? "public, max-age=31536000, immutable" : "public, max-age=60");
  if (entries) {
    // The entries are the records' 32-byte commitments (docs/ledger-format.md
    // §4.6), computed from the log on request: the records themselves are not
    // public, and nothing but the log is stored.
    const uint64_t first = id->index * ledger::kTileWidth;
    r.body.reserve(size_t{id->width} * (2 + ledger::kHashSize));
    for (uint64_t seq = first; seq < first + id->width; ++seq) {
      stream::RecordType type;
      UnixMillis time;
      std::string payload;
      Status st = node_->log().Read(seq, &type, &time, &payload);
      if (!st.ok()) return JsonError(500, "log", st.message());
      const ledger::Hash c = node::RecordCommitment(type, seq, time, payload);
      r.body.push_back(0);  // big-endian uint16 length: 32
      r.body.push_back(static_cast<char>(ledger::kHashSize));
      r.body.append(reinterpret_cast<const char*>(c.data()), c.size());
    }
    return r;
  }
  ledger::TileReader reader(node_->ledger().tiles_dir(), cp.size, 4);
  Result<std::string> data = reader.ReadTile(*id);
  if (!data.ok() && data.status().code() == StatusCode::kNotFound) {
    // A partial width no flush wrote (tiles are written per flush, not per
    // checkpointed width): the same hashes, from the tiles that exist.
    data = ledger::BuildTile(*id, reader);
  }
  if (!data.ok()) return JsonError(500, "ledger", data.status().message());
  r.body = std::move(*data);
  return r;
}

ApiResponse Api::RecordBundle(const std::string& query, const Caller& caller) {
  const node::LedgerWriter::Signed cp = node_->ledger().checkpoint();
  int64_t index = -1;
  if (std::optional<ApiResponse> refused = CheckpointedIndex(query, cp.size, &index)) {
    return *refused;
  }
  node::OwnedRecord rec;
  rec.seq = static_cast<uint64_t>(index);
  Status st = node_->log().Read(rec.seq, &rec.type, &rec.time, &rec.payload);
  if (!st.ok()) return JsonError(500, "log", st.message());
  // Authorization (a later issue) goes here: the bundle carries the record
  // itself, so only a party entitled to it may fetch it -- for a receipt only
  // its addressee (caller.enterprise == the receipt record's copCode), for a
  // message only its sender (the record's caller), ticks to anyone, operator
  // commands to operators.
  (void)caller;
  ledger::TileReader reader(node_->ledger().tiles_dir(), cp.size, 64);
  auto proof = ledger::InclusionProof(rec.seq, cp.size, reader);
  if (!proof.ok()) return JsonError(500, "ledger", proof.status().message());
  auto bundle = node::MakeRecordBundle(rec, *proof, cp.text);
  if (!bundle.ok()) return JsonError(500, "ledger", bundle.status().message());
  ApiResponse r;
  r.content_type = "text/plain; charset=utf-8";
  r.headers.emplace_back("Content-Disposition", "attachment; filename=\"ftzport-" +
                                                    std::to_string(index) + ".tlog-proof\"");
  r.body = std::move(*bundle);
  return r;
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
           ",\"readModelLag\":" + std::to_string(node_->read_model_lag()) + "}";
  return r;
}

}  // namespace ftz::server
