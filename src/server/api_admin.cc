// The operators' routes of Api: bonded goods-in and write-off, an officer's
// conclusion of a list, rules versions, and a buyer's quota. Every command is
// submitted to the node as a logged admin record (engine/records.h) and
// answered with its place in the log.
#include <simdjson.h>

#include "ceb/field_tables.h"
#include "ceb/internal/util.h"
#include "clearance/codes.h"
#include "core/buyer_id.h"
#include "engine/records.h"
#include "server/api.h"
#include "server/internal/api_util.h"

namespace ftz::server {

using ceb::internal::AppendJsonString;
using internal::JsonError;
using internal::ServerFault;
using internal::WallNow;

namespace {

// Admin submissions answer with the record's place in the log, or why not:
// a refusal for the state it found is 409 with `duplicate` (AlreadyExists)
// or `precondition` (FailedPrecondition) as its code.
std::function<void(node::SubmitResult)> AdminAnswer(std::function<void(ApiResponse)> reply,
                                                    std::string extra_json = "",
                                                    const char* duplicate = "conflict",
                                                    const char* precondition = "conflict") {
  return [reply = std::move(reply), extra_json, duplicate, precondition](node::SubmitResult res) {
    switch (res.status.code()) {
      case StatusCode::kOk:
        break;
      case StatusCode::kUnavailable:
        return reply(JsonError(503, "intake_stopped", res.status.message()));
      case StatusCode::kNotFound:
        return reply(JsonError(404, "not_found", res.status.message()));
      case StatusCode::kAlreadyExists:
        return reply(JsonError(409, duplicate, res.status.message()));
      case StatusCode::kFailedPrecondition:
        return reply(JsonError(409, precondition, res.status.message()));
      default:
        return reply(JsonError(400, "bad_request", res.status.message()));
    }
    ApiResponse r;
    r.body = "{\"logIndex\":" + std::to_string(res.message_seq) + extra_json + "}";
    reply(std::move(r));
  };
}

}  // namespace

void Api::PostStockCommand(const ApiRequest& req, bool write_off,
                           std::function<void(ApiResponse)> reply) {
  // Goods-in: {"emsNo": "...", "itemRecordNo": "...", "qty": "120",
  // "entryNo": "..."} — an operator's administrative goods-in for a bonded
  // account (1210). Write-off: the same and "reason" (required) — stock taken
  // off a line (damaged goods, a count short, a goods-in keyed too large).
  // entryNo (optional) makes a retry safe: a second command with it is 409.
  // Authorization of the operator will be checked here (req.caller) when
  // authentication lands.
  if (!node_->rules()) {
    return reply(JsonError(404, "not_found", "clearance is off on this node: no bonded accounts"));
  }
  if (std::string why = internal::WhyNotCommandJson(req.body); !why.empty()) {
    return reply(JsonError(400, "bad_request", why));
  }
  simdjson::ondemand::parser parser;
  simdjson::padded_string ps(req.body);
  simdjson::ondemand::document doc;
  std::string ems, item, qty_text, entry_no, reason;
  std::string_view v;
  auto field = [&](const char* name, std::string* out) {
    return !doc[name].get_string().get(v) && (*out = std::string(v), true);
  };
  if (parser.iterate(ps).get(doc) || !field("emsNo", &ems) || !field("itemRecordNo", &item) ||
      !field("qty", &qty_text) || (write_off && !field("reason", &reason))) {
    return reply(JsonError(
        400, "bad_request",
        std::string("expected {\"emsNo\":\"...\",\"itemRecordNo\":\"...\",\"qty\":\"...\"") +
            (write_off ? ",\"reason\":\"...\"" : "") + "} (strings)"));
  }
  // Numbers as the lists spell them: printable ASCII, no spaces (a stray
  // space or control character would load an account line no list names).
  auto number = [](const std::string& t) {
    if (t.empty() || t.size() > 30) return false;
    for (char c : t) {
      if (c <= ' ' || c > '~') return false;
    }
    return true;
  };
  // A plain decimal: digits, then optionally '.' and 1-5 digits (no sign,
  // no bare point).
  auto plain = [](const std::string& t) {
    const size_t dot = t.find('.');
    const std::string_view whole = std::string_view(t).substr(0, dot);
    const std::string_view frac =
        dot == std::string::npos ? std::string_view() : std::string_view(t).substr(dot + 1);
    auto digits = [](std::string_view d) {
      return !d.empty() && d.find_first_not_of("0123456789") == std::string_view::npos;
    };
    return digits(whole) && (dot == std::string::npos || (digits(frac) && frac.size() <= 5));
  };
  Result<Decimal> qty =
      plain(qty_text) ? Decimal::Parse(qty_text) : Result<Decimal>(Status::InvalidArgument(""));
  if (!number(ems) || !number(item) || !qty.ok() || qty->units() <= 0) {
    return reply(JsonError(400, "bad_request",
                           "emsNo and itemRecordNo: 1-30 printable characters, no spaces; qty: a "
                           "positive decimal such as 120 or 1.5 (at most 5 decimals, no sign)"));
  }
  if (write_off) {
    const int n = internal::IsBlank(reason) ? 0 : ceb::Utf8Length(reason);
    std::string why = n < 0 ? ceb::WhyNotText(reason) : ceb::WhyNotPlainText(reason);
    if (n < 1 || n > 500 || !why.empty()) {
      return reply(JsonError(400, "bad_request",
                             "reason: why the stock is taken off, 1-500 characters of text" +
                                 (why.empty() ? std::string() : " (" + why + ")")));
    }
  }
  // Optional; read after the required fields (on-demand lookups go forward
  // and wrap around, so any member order works).
  if (auto entry = doc["entryNo"]; entry.error() != simdjson::NO_SUCH_FIELD) {
    if (entry.get_string().get(v) || !number(std::string(v))) {
      return reply(JsonError(400, "bad_request",
                             std::string("entryNo: the ") + (write_off ? "write-off" : "goods-in") +
                                 "'s document number, 1-30 printable characters, no spaces "
                                 "(optional)"));
    }
    entry_no = std::string(v);
  }
  node::Submission s;
  s.caller = req.caller.enterprise;
  engine::AdminRecord a;
  a.kind = write_off ? engine::AdminRecord::kWriteOff : engine::AdminRecord::kGoodsIn;
  a.operator_id = req.caller.enterprise;
  a.ems_no = ems;
  a.item_record_no = item;
  a.qty = *qty;
  a.entry_no = entry_no;
  a.note = reason;
  s.admin = std::move(a);
  node_->Submit(std::move(s), AdminAnswer(std::move(reply), "",
                                          write_off ? "duplicate_write_off" : "duplicate_goods_in",
                                          "insufficient_stock"));
}

namespace {

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
  if (std::string why = internal::WhyNotCommandJson(req.body); !why.empty()) {
    return reply(JsonError(400, "bad_request", why));
  }
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
      ceb::Utf8Length(note) > 500 || !ceb::WhyNotPlainText(note).empty()) {
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
  auto parsed = clearance::ParseRules(req.body, "(POST /v1/admin/rules)");
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
  // A resident ID number (the only kind the annual limit is kept for): 17
  // digits and a check character, a digit or X. Anything else is no buyer.
  bool id_card = id_number.size() == 18;
  for (size_t i = 0; id_card && i < 18; ++i) {
    const char c = id_number[i];
    id_card = (c >= '0' && c <= '9') || (i == 17 && (c == 'X' || c == 'x'));
  }
  if (!id_card) {
    return JsonError(400, "bad_request",
                     "not an ID number: expected /v1/quota/{buyerIdNumber}[?year=YYYY] with 18 "
                     "characters, 17 digits and a digit or X");
  }
  const UnixMillis now = WallNow();
  int64_t year = CstYear(now);
  if (!year_text.empty() && (!ParseInt(year_text, &year) || year < 2000 || year > 9999)) {
    return JsonError(400, "bad_request", "year must be a calendar year such as 2026");
  }
  auto row = node_->read_model().FindQuota(store::BuyerKey(id_number), static_cast<int32_t>(year));
  if (!row.ok()) return ServerFault("read_model", "the quota index", row.status());
  const std::shared_ptr<const clearance::RuleBook> book = node_->rules();
  const clearance::Rules* rules = book ? book->InForceAt(now) : nullptr;
  const Decimal used = Decimal::FromUnits(row->used_units);
  ApiResponse r;
  r.body = "{\"buyer\":";
  char canonical[18];  // the buyer as counted: "…x" is shown "…X"
  AppendJsonString(&r.body, clearance::MaskId(CanonicalBuyerId(id_number, canonical)));
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

ApiResponse Api::GetStock(const std::string& ems_no, const Caller& caller) {
  (void)caller;  // per-enterprise authorization (the account's holder, customs) goes here
  if (ems_no.empty() || ems_no.find('/') != std::string::npos) {
    return JsonError(400, "bad_request", "expected /v1/bonded/{emsNo}/stock");
  }
  // Read first: the rows read next reflect at least the records before it.
  const uint64_t applied = node_->read_model().applied_seq();
  auto rows = node_->read_model().StockOf(ems_no);
  if (!rows.ok()) return ServerFault("read_model", "the stock index", rows.status());
  if (rows->empty()) {
    return JsonError(404, "not_found", "no goods-in ever loaded bonded account " + ems_no);
  }
  ApiResponse r;
  r.body = "{\"emsNo\":";
  AppendJsonString(&r.body, ems_no);
  r.body += ",\"lines\":[";
  for (size_t i = 0; i < rows->size(); ++i) {
    const store::StockRow& row = (*rows)[i];
    r.body += i == 0 ? "{\"itemRecordNo\":" : ",{\"itemRecordNo\":";
    AppendJsonString(&r.body, row.item_record_no);
    r.body += ",\"qty\":";
    AppendJsonString(&r.body, Decimal::FromUnits(row.qty_units).ToString());
    r.body += "}";
  }
  // The last record reflected, as the goods-in's own answer names its
  // record.
  r.body += "],\"logIndex\":" + std::to_string(applied > 0 ? applied - 1 : 0) + "}";
  return r;
}

}  // namespace ftz::server
