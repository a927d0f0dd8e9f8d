#include "clearance/testing/case_file.h"

#include <toml++/toml.h>
#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <sstream>

#include "clearance/digest.h"

namespace ftz::clearance::testing {

namespace fs = std::filesystem;

fs::path SourceDir() {
  if (const char* env = std::getenv("FTZ_SOURCE_DIR"); env && *env) return env;
  fs::path p = fs::current_path();
  for (int i = 0; i < 8; ++i) {
    if (fs::exists(p / "data" / "rules" / "default.toml")) return p;
    p = p.parent_path();
  }
  return fs::current_path();
}

Result<std::string> ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound("cannot open " + path.string());
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<std::string> CaseFiles() {
  std::vector<std::string> out;
  fs::path dir = SourceDir() / "src" / "clearance" / "testdata";
  if (!fs::exists(dir)) return out;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.path().extension() == ".case") out.push_back(e.path().filename().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string CaseTestName(const std::string& file) {
  std::string n = file.substr(0, file.rfind('.'));
  for (char& c : n) {
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  return n;
}

namespace {

// ---------------------------------------------------------------------------
// Field setters by CEB field name (generated from core/documents_gen.h).

template <class T>
using FieldTable = std::map<std::string, std::function<Status(T&, std::string_view)>, std::less<>>;

#define FTZ_STR(S, f)                                                           \
  {                                                                             \
#f, [](S& x, std::string_view v) { x.f = std::string(v); return Status::Ok(); } \
  }
#define FTZ_DEC(S, f)                             \
  {                                               \
#f, [](S& x, std::string_view v) {              \
     Result<Decimal> d = Decimal::Parse(v);        \
     if (!d.ok()) return d.status();               \
     x.f = *d;                                     \
     return Status::Ok();                          \
   } \
  }
#define FTZ_INT(S, f)                                                                 \
  {                                                                                   \
#f, [](S& x, std::string_view v) {                                                  \
     int64_t n = 0;                                                                    \
     if (!ParseInt(v, &n)) return Status::InvalidArgument("not an integer: " + std::string(v)); \
     x.f = n;                                                                          \
     return Status::Ok();                                                              \
   } \
  }

const FieldTable<OrderHead>& Fields(const OrderHead*) {
  static const FieldTable<OrderHead> t = {FTZ_STR(OrderHead, guid),
                                          FTZ_STR(OrderHead, appType),
                                          FTZ_STR(OrderHead, appTime),
                                          FTZ_STR(OrderHead, appStatus),
                                          FTZ_STR(OrderHead, orderType),
                                          FTZ_STR(OrderHead, orderNo),
                                          FTZ_STR(OrderHead, ebpCode),
                                          FTZ_STR(OrderHead, ebpName),
                                          FTZ_STR(OrderHead, ebcCode),
                                          FTZ_STR(OrderHead, ebcName),
                                          FTZ_DEC(OrderHead, goodsValue),
                                          FTZ_DEC(OrderHead, freight),
                                          FTZ_DEC(OrderHead, discount),
                                          FTZ_DEC(OrderHead, taxTotal),
                                          FTZ_DEC(OrderHead, acturalPaid),
                                          FTZ_STR(OrderHead, currency),
                                          FTZ_STR(OrderHead, buyerRegNo),
                                          FTZ_STR(OrderHead, buyerName),
                                          FTZ_STR(OrderHead, buyerTelephone),
                                          FTZ_STR(OrderHead, buyerIdType),
                                          FTZ_STR(OrderHead, buyerIdNumber),
                                          FTZ_STR(OrderHead, payCode),
                                          FTZ_STR(OrderHead, payName),
                                          FTZ_STR(OrderHead, payTransactionId),
                                          FTZ_STR(OrderHead, batchNumbers),
                                          FTZ_STR(OrderHead, consignee),
                                          FTZ_STR(OrderHead, consigneeTelephone),
                                          FTZ_STR(OrderHead, consigneeAddress),
                                          FTZ_STR(OrderHead, consigneeDistrict),
                                          FTZ_STR(OrderHead, note)};
  return t;
}
const FieldTable<OrderItem>& Fields(const OrderItem*) {
  static const FieldTable<OrderItem> t = {
      FTZ_INT(OrderItem, gnum),         FTZ_STR(OrderItem, itemNo),
      FTZ_STR(OrderItem, itemName),     FTZ_STR(OrderItem, gmodel),
      FTZ_STR(OrderItem, itemDescribe), FTZ_STR(OrderItem, barCode),
      FTZ_STR(OrderItem, unit),         FTZ_DEC(OrderItem, qty),
      FTZ_DEC(OrderItem, price),        FTZ_DEC(OrderItem, totalPrice),
      FTZ_STR(OrderItem, currency),     FTZ_STR(OrderItem, country),
      FTZ_STR(OrderItem, note)};
  return t;
}
const FieldTable<PaymentHead>& Fields(const PaymentHead*) {
  static const FieldTable<PaymentHead> t = {FTZ_STR(PaymentHead, guid),
                                            FTZ_STR(PaymentHead, appType),
                                            FTZ_STR(PaymentHead, appTime),
                                            FTZ_STR(PaymentHead, appStatus),
                                            FTZ_STR(PaymentHead, payCode),
                                            FTZ_STR(PaymentHead, payName),
                                            FTZ_STR(PaymentHead, payTransactionId),
                                            FTZ_STR(PaymentHead, orderNo),
                                            FTZ_STR(PaymentHead, ebpCode),
                                            FTZ_STR(PaymentHead, ebpName),
                                            FTZ_STR(PaymentHead, payerIdType),
                                            FTZ_STR(PaymentHead, payerIdNumber),
                                            FTZ_STR(PaymentHead, payerName),
                                            FTZ_STR(PaymentHead, telephone),
                                            FTZ_DEC(PaymentHead, amountPaid),
                                            FTZ_STR(PaymentHead, currency),
                                            FTZ_STR(PaymentHead, payTime),
                                            FTZ_STR(PaymentHead, note)};
  return t;
}
const FieldTable<WaybillHead>& Fields(const WaybillHead*) {
  static const FieldTable<WaybillHead> t = {FTZ_STR(WaybillHead, guid),
                                            FTZ_STR(WaybillHead, appType),
                                            FTZ_STR(WaybillHead, appTime),
                                            FTZ_STR(WaybillHead, appStatus),
                                            FTZ_STR(WaybillHead, logisticsCode),
                                            FTZ_STR(WaybillHead, logisticsName),
                                            FTZ_STR(WaybillHead, logisticsNo),
                                            FTZ_STR(WaybillHead, billNo),
                                            FTZ_STR(WaybillHead, orderNo),
                                            FTZ_DEC(WaybillHead, freight),
                                            FTZ_DEC(WaybillHead, insuredFee),
                                            FTZ_STR(WaybillHead, currency),
                                            FTZ_DEC(WaybillHead, weight),
                                            FTZ_INT(WaybillHead, packNo),
                                            FTZ_STR(WaybillHead, goodsInfo),
                                            FTZ_STR(WaybillHead, consignee),
                                            FTZ_STR(WaybillHead, consigneeAddress),
                                            FTZ_STR(WaybillHead, consigneeTelephone),
                                            FTZ_STR(WaybillHead, note)};
  return t;
}
const FieldTable<InventoryHead>& Fields(const InventoryHead*) {
  static const FieldTable<InventoryHead> t = {FTZ_STR(InventoryHead, guid),
                                              FTZ_STR(InventoryHead, appType),
                                              FTZ_STR(InventoryHead, appTime),
                                              FTZ_STR(InventoryHead, appStatus),
                                              FTZ_STR(InventoryHead, orderNo),
                                              FTZ_STR(InventoryHead, ebpCode),
                                              FTZ_STR(InventoryHead, ebpName),
                                              FTZ_STR(InventoryHead, ebcCode),
                                              FTZ_STR(InventoryHead, ebcName),
                                              FTZ_STR(InventoryHead, logisticsNo),
                                              FTZ_STR(InventoryHead, logisticsCode),
                                              FTZ_STR(InventoryHead, logisticsName),
                                              FTZ_STR(InventoryHead, copNo),
                                              FTZ_STR(InventoryHead, preNo),
                                              FTZ_STR(InventoryHead, assureCode),
                                              FTZ_STR(InventoryHead, emsNo),
                                              FTZ_STR(InventoryHead, invtNo),
                                              FTZ_STR(InventoryHead, ieFlag),
                                              FTZ_STR(InventoryHead, declTime),
                                              FTZ_STR(InventoryHead, customsCode),
                                              FTZ_STR(InventoryHead, portCode),
                                              FTZ_STR(InventoryHead, ieDate),
                                              FTZ_STR(InventoryHead, buyerIdType),
                                              FTZ_STR(InventoryHead, buyerIdNumber),
                                              FTZ_STR(InventoryHead, buyerName),
                                              FTZ_STR(InventoryHead, buyerTelephone),
                                              FTZ_STR(InventoryHead, consigneeAddress),
                                              FTZ_STR(InventoryHead, agentCode),
                                              FTZ_STR(InventoryHead, agentName),
                                              FTZ_STR(InventoryHead, areaCode),
                                              FTZ_STR(InventoryHead, areaName),
                                              FTZ_STR(InventoryHead, tradeMode),
                                              FTZ_STR(InventoryHead, trafMode),
                                              FTZ_STR(InventoryHead, trafNo),
                                              FTZ_STR(InventoryHead, voyageNo),
                                              FTZ_STR(InventoryHead, billNo),
                                              FTZ_STR(InventoryHead, loctNo),
                                              FTZ_STR(InventoryHead, licenseNo),
                                              FTZ_STR(InventoryHead, country),
                                              FTZ_DEC(InventoryHead, freight),
                                              FTZ_DEC(InventoryHead, insuredFee),
                                              FTZ_STR(InventoryHead, currency),
                                              FTZ_STR(InventoryHead, wrapType),
                                              FTZ_INT(InventoryHead, packNo),
                                              FTZ_DEC(InventoryHead, grossWeight),
                                              FTZ_DEC(InventoryHead, netWeight),
                                              FTZ_STR(InventoryHead, note)};
  return t;
}
const FieldTable<InventoryItem>& Fields(const InventoryItem*) {
  static const FieldTable<InventoryItem> t = {
      FTZ_INT(InventoryItem, gnum),       FTZ_STR(InventoryItem, itemRecordNo),
      FTZ_STR(InventoryItem, itemNo),     FTZ_STR(InventoryItem, itemName),
      FTZ_STR(InventoryItem, gcode),      FTZ_STR(InventoryItem, gname),
      FTZ_STR(InventoryItem, gmodel),     FTZ_STR(InventoryItem, barCode),
      FTZ_STR(InventoryItem, country),    FTZ_STR(InventoryItem, tradeCountry),
      FTZ_STR(InventoryItem, currency),   FTZ_DEC(InventoryItem, qty),
      FTZ_STR(InventoryItem, unit),       FTZ_DEC(InventoryItem, qty1),
      FTZ_STR(InventoryItem, unit1),      FTZ_DEC(InventoryItem, qty2),
      FTZ_STR(InventoryItem, unit2),      FTZ_DEC(InventoryItem, price),
      FTZ_DEC(InventoryItem, totalPrice), FTZ_STR(InventoryItem, note)};
  return t;
}
const FieldTable<CancellationHead>& Fields(const CancellationHead*) {
  static const FieldTable<CancellationHead> t = {
      FTZ_STR(CancellationHead, guid),          FTZ_STR(CancellationHead, appType),
      FTZ_STR(CancellationHead, appTime),       FTZ_STR(CancellationHead, appStatus),
      FTZ_STR(CancellationHead, customsCode),   FTZ_STR(CancellationHead, orderNo),
      FTZ_STR(CancellationHead, ebpCode),       FTZ_STR(CancellationHead, ebpName),
      FTZ_STR(CancellationHead, ebcCode),       FTZ_STR(CancellationHead, ebcName),
      FTZ_STR(CancellationHead, logisticsNo),   FTZ_STR(CancellationHead, logisticsCode),
      FTZ_STR(CancellationHead, logisticsName), FTZ_STR(CancellationHead, copNo),
      FTZ_STR(CancellationHead, preNo),         FTZ_STR(CancellationHead, invtNo),
      FTZ_STR(CancellationHead, buyerIdType),   FTZ_STR(CancellationHead, buyerIdNumber),
      FTZ_STR(CancellationHead, buyerName),     FTZ_STR(CancellationHead, buyerTelephone),
      FTZ_STR(CancellationHead, agentCode),     FTZ_STR(CancellationHead, agentName),
      FTZ_STR(CancellationHead, reason),        FTZ_STR(CancellationHead, note)};
  return t;
}
const FieldTable<ReturnHead>& Fields(const ReturnHead*) {
  static const FieldTable<ReturnHead> t = {
      FTZ_STR(ReturnHead, guid),          FTZ_STR(ReturnHead, appType),
      FTZ_STR(ReturnHead, appTime),       FTZ_STR(ReturnHead, appStatus),
      FTZ_STR(ReturnHead, customsCode),   FTZ_STR(ReturnHead, orderNo),
      FTZ_STR(ReturnHead, ebpCode),       FTZ_STR(ReturnHead, ebpName),
      FTZ_STR(ReturnHead, ebcCode),       FTZ_STR(ReturnHead, ebcName),
      FTZ_STR(ReturnHead, logisticsNo),   FTZ_STR(ReturnHead, logisticsCode),
      FTZ_STR(ReturnHead, logisticsName), FTZ_STR(ReturnHead, copNo),
      FTZ_STR(ReturnHead, preNo),         FTZ_STR(ReturnHead, invtNo),
      FTZ_STR(ReturnHead, buyerIdType),   FTZ_STR(ReturnHead, buyerIdNumber),
      FTZ_STR(ReturnHead, buyerName),     FTZ_STR(ReturnHead, buyerTelephone),
      FTZ_STR(ReturnHead, agentCode),     FTZ_STR(ReturnHead, agentName),
      FTZ_STR(ReturnHead, reason),        FTZ_STR(ReturnHead, note)};
  return t;
}
const FieldTable<ReturnItem>& Fields(const ReturnItem*) {
  static const FieldTable<ReturnItem> t = {FTZ_INT(ReturnItem, gnum),  FTZ_STR(ReturnItem, gcode),
                                           FTZ_STR(ReturnItem, gname), FTZ_DEC(ReturnItem, qty),
                                           FTZ_STR(ReturnItem, unit),  FTZ_STR(ReturnItem, note)};
  return t;
}

#undef FTZ_STR
#undef FTZ_DEC
#undef FTZ_INT

template <class T>
Status SetField(T& x, std::string_view field, std::string_view value) {
  const FieldTable<T>& t = Fields(static_cast<const T*>(nullptr));
  auto it = t.find(field);
  if (it == t.end()) return Status::InvalidArgument("unknown field " + std::string(field));
  Status st = it->second(x, value);
  if (!st.ok()) return Status::InvalidArgument(std::string(field) + ": " + st.message());
  return st;
}

// "field=value" on the head, "N.field=value" on the line with gnum N.
template <class Head, class Item>
Status ApplyOverrides(const std::vector<std::pair<std::string, std::string>>& kv, Head* head,
                      std::vector<Item>* items) {
  for (const auto& [k, v] : kv) {
    size_t dot = k.find('.');
    int64_t gnum = 0;
    if (dot != std::string::npos && ParseInt(std::string_view(k).substr(0, dot), &gnum)) {
      if (!items) return Status::InvalidArgument("this document has no lines: " + k);
      Item* target = nullptr;
      for (Item& it : *items) {
        if (it.gnum == gnum) target = &it;
      }
      if (!target) return Status::InvalidArgument("no line with gnum " + std::to_string(gnum));
      FTZ_RETURN_IF_ERROR(SetField(*target, std::string_view(k).substr(dot + 1), v));
    } else {
      FTZ_RETURN_IF_ERROR(SetField(*head, k, v));
    }
  }
  return Status::Ok();
}

std::vector<std::pair<std::string, std::string>> Overrides(const std::vector<std::string>& t,
                                                           size_t from) {
  std::vector<std::pair<std::string, std::string>> kv;
  for (size_t i = from; i < t.size(); ++i) kv.push_back(SplitKv(t[i]));
  return kv;
}

}  // namespace

// ---------------------------------------------------------------------------
// Tokens.

Result<std::vector<std::string>> Tokenize(std::string_view line) {
  std::vector<std::string> out;
  std::string cur;
  bool in_token = false, quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    if (quoted) {
      if (c == '\\' && i + 1 < line.size()) {
        cur.push_back(line[++i]);
      } else if (c == '"') {
        quoted = false;
      } else {
        cur.push_back(c);
      }
    } else if (c == '"') {
      quoted = in_token = true;
    } else if (c == '#' && !in_token) {
      break;
    } else if (c == ' ' || c == '\t' || c == '\r') {
      if (in_token) out.push_back(std::move(cur));
      cur.clear();
      in_token = false;
    } else {
      cur.push_back(c);
      in_token = true;
    }
  }
  if (quoted) return Status::InvalidArgument("unterminated quote");
  if (in_token) out.push_back(std::move(cur));
  return out;
}

Result<UnixMillis> ParseClock(std::string_view s) {
  // 2026-03-01T10:00:00, 2026-03-01T10:00 or 2026-03-01
  std::string digits;
  for (char c : s) {
    if (c >= '0' && c <= '9') digits.push_back(c);
  }
  if (digits.size() == 8) digits += "000000";
  if (digits.size() == 12) digits += "00";
  CivilTime t;
  if (!ParseDateTime14(digits, &t)) {
    return Status::InvalidArgument("bad time " + std::string(s));
  }
  return ToUnixMillisCst(t);
}

// ---------------------------------------------------------------------------
// Rules.

namespace {
void MergeToml(toml::table& base, const toml::table& over) {
  for (const auto& [k, v] : over) {
    toml::node* b = base.get(k.str());
    if (b && b->is_table() && v.is_table()) {
      MergeToml(*b->as_table(), *v.as_table());
    } else if (b && b->is_array() && v.is_array() && b->as_array()->is_array_of_tables() &&
               v.as_array()->is_array_of_tables()) {
      for (const toml::node& el : *v.as_array()) b->as_array()->push_back(*el.as_table());
    } else {
      v.visit([&](const auto& n) { base.insert_or_assign(k.str(), n); });
    }
  }
}
}  // namespace

Result<CaseRules> LoadCaseRules(const std::vector<std::string>& t) {
  if (t.size() < 2) return Status::InvalidArgument("rules NAME [+OVERLAY] [key=value]");
  fs::path root = SourceDir();
  fs::path main = root / "data" / "rules" / (t[1] + ".toml");
  Result<std::string> text = ReadFile(main);
  if (!text.ok()) return text.status();
  toml::table base;
  try {
    base = toml::parse(*text, main.string());
    for (size_t i = 2; i < t.size(); ++i) {
      if (t[i][0] == '+') {
        fs::path over = root / "src" / "clearance" / "testdata" / (t[i].substr(1) + ".toml");
        Result<std::string> otext = ReadFile(over);
        if (!otext.ok()) return otext.status();
        toml::table o = toml::parse(*otext, over.string());
        // Table paths in an overlay are relative to the overlay.
        if (toml::table* tables = o["tables"].as_table()) {
          for (auto& [k, v] : *tables) {
            if (v.is_string()) {
              v.as_string()->get() = (over.parent_path() / v.as_string()->get()).string();
            }
          }
        }
        MergeToml(base, o);
      } else {
        auto [key, value] = SplitKv(t[i]);
        toml::table one = toml::parse("x = " + value);
        toml::table* at = &base;
        size_t start = 0;
        while (true) {
          size_t dot = key.find('.', start);
          std::string part = key.substr(start, dot == std::string::npos ? dot : dot - start);
          if (dot == std::string::npos) {
            one["x"].node()->visit([&](const auto& n) { at->insert_or_assign(part, n); });
            break;
          }
          if (!at->get(part)) at->insert_or_assign(part, toml::table{});
          at = at->get(part)->as_table();
          if (!at) return Status::InvalidArgument(key + ": not a table path");
          start = dot + 1;
        }
      }
    }
  } catch (const toml::parse_error& e) {
    return Status::InvalidArgument(std::string("toml: ") + std::string(e.description()));
  }
  std::ostringstream merged;
  merged << base;
  fs::path rules_dir = main.parent_path();
  TableReader reader = [rules_dir](std::string_view path) -> Result<std::string> {
    fs::path p(path);
    return ReadFile(p.is_absolute() ? p : rules_dir / p);
  };
  CaseRules out;
  out.toml = merged.str();
  out.uses_tables = base.contains("tables");
  Result<Rules> r = ParseRules(out.toml, t[1], reader);
  if (!r.ok()) return r.status();
  out.rules = std::move(*r);
  return out;
}

// ---------------------------------------------------------------------------
// The core run.

void CaseRun::Run(std::string_view text) {
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    ++line_no_;
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    Result<std::vector<std::string>> tokens = Tokenize(line);
    if (!tokens.ok()) {
      Fail(tokens.status().message());
      continue;
    }
    if (tokens->empty()) continue;
    Status st = Command(*tokens);
    if (!st.ok()) Fail(st.message());
    if (end == text.size()) break;
  }
}

void CaseRun::Fail(std::string_view msg) {
  failures_.push_back(file_ + ":" + std::to_string(line_no_) + ": " + std::string(msg));
}

Status CaseRun::Command(const std::vector<std::string>& t) {
  const std::string& cmd = t[0];
  if (cmd == "rules") return LoadRules(t);
  if (!rules_) return Status::InvalidArgument("the first command must be 'rules'");
  if (cmd == "time") {
    if (t.size() != 2) return Status::InvalidArgument("time WHEN");
    Result<UnixMillis> when = ParseClock(t[1]);
    if (!when.ok()) return when.status();
    if (clock_set_ && *when < now_) return Status::InvalidArgument("time only moves forward");
    MoveClock(*when);
    clock_set_ = true;
    return Status::Ok();
  }
  if (cmd == "advance") {
    if (t.size() != 2) return Status::InvalidArgument("advance DURATION");
    Result<int64_t> d = ParseDuration(t[1]);
    if (!d.ok()) return d.status();
    MoveClock(now_ + *d);
    return Status::Ok();
  }
  if (cmd == "stock") {
    if (t.size() != 4) return Status::InvalidArgument("stock EMS RECORDNO QTY");
    Result<Decimal> q = Dec(t[3]);
    if (!q.ok()) return q.status();
    FTZ_RETURN_IF_ERROR(stock_.GoodsIn(t[1], t[2], *q));
    if (observer_) observer_->OnStock(line_no_, t[1], t[2], *q);
    return Status::Ok();
  }
  if (cmd == "writeoff") {
    if (t.size() != 4) return Status::InvalidArgument("writeoff EMS RECORDNO QTY");
    Result<Decimal> q = Dec(t[3]);
    if (!q.ok()) return q.status();
    // The engine's rule (engine.h): never below zero, only a line loaded.
    const bonded::StockMove move{t[1], t[2], -*q};
    if (q->units() <= 0 || !stock_.Loaded(t[1], t[2]) || !stock_.Apply({&move, 1}).ok()) {
      return Status::InvalidArgument("writeoff: " + t[3] + " is not on hand in " + t[1] + " " +
                                     t[2]);
    }
    if (observer_) observer_->OnWriteOff(line_no_, t[1], t[2], *q);
    return Status::Ok();
  }
  if (cmd == "quota") return SeedQuota(t);
  if (cmd == "purchase") return DefinePurchase(t);
  if (cmd == "order" || cmd == "payment" || cmd == "waybill" || cmd == "list") {
    return SendOne(t);
  }
  if (cmd == "send") {
    if (t.size() < 2) return Status::InvalidArgument("send NAME");
    for (const char* doc : {"order", "payment", "waybill"}) {
      FTZ_RETURN_IF_ERROR(SendOne({doc, t[1]}));
    }
    std::vector<std::string> list_cmd = t;
    list_cmd[0] = "list";
    return SendOne(list_cmd);
  }
  if (cmd == "conclude") return DoConclude(t);
  if (cmd == "cancel") return DoCancel(t);
  if (cmd == "return") return DoReturn(t);
  if (cmd == "batch") return DoBatch(t);
  if (cmd == "expect") {
    ++expectations_;
    return Expect(t);
  }
  return Status::InvalidArgument("unknown command " + cmd);
}

// --- rules -------------------------------------------------------------

Status CaseRun::LoadRules(const std::vector<std::string>& t) {
  Result<CaseRules> r = LoadCaseRules(t);
  if (!r.ok()) return r.status();
  if (observer_) observer_->OnRules(line_no_, *r);
  rules_ = std::move(r->rules);
  return Status::Ok();
}

// --- clock and deadlines -------------------------------------------------

void CaseRun::MoveClock(UnixMillis to) {
  // The engine's deadline timer: every waiting list whose deadline is due
  // is decided at its deadline, earliest first.
  std::vector<std::pair<UnixMillis, std::string>> due;
  for (auto& [name, ps] : purchases_) {
    if (ps.list && ps.record && ps.record->phase == ListPhase::kWaiting) {
      UnixMillis deadline = ListDeadline(ps.list_at, *rules_);
      if (deadline <= to) due.push_back({deadline, name});
    }
  }
  std::sort(due.begin(), due.end());
  for (const auto& [deadline, name] : due) TryDecide(purchases_[name], deadline);
  now_ = to;
  if (observer_) observer_->OnClock(line_no_, to);
}

// --- documents -----------------------------------------------------------

Status CaseRun::SeedQuota(const std::vector<std::string>& t) {
  if (t.size() < 4) return Status::InvalidArgument("quota BUYERID YEAR AMOUNT [lists=N]");
  int64_t year = 0, lists = 0;
  if (!ParseInt(t[2], &year)) return Status::InvalidArgument("bad year");
  Result<Decimal> amount = Dec(t[3]);
  if (!amount.ok()) return amount.status();
  for (size_t i = 4; i < t.size(); ++i) {
    auto [k, v] = SplitKv(t[i]);
    if (k != "lists" || !ParseInt(v, &lists)) return Status::InvalidArgument("bad " + t[i]);
  }
  QuotaDelta seed{t[1], static_cast<int32_t>(year), kMoneyCounter, *amount,
                  static_cast<int32_t>(lists)};
  FTZ_RETURN_IF_ERROR(quota_.Add(seed));
  if (observer_) observer_->OnQuota(line_no_, seed);
  return Status::Ok();
}

Status CaseRun::DefinePurchase(const std::vector<std::string>& t) {
  if (t.size() < 2) return Status::InvalidArgument("purchase NAME key=value...");
  Purchase p;
  p.name = t[1];
  for (size_t i = 2; i < t.size(); ++i) {
    auto [k, v] = SplitKv(t[i]);
    FTZ_RETURN_IF_ERROR(SetPurchase(&p, k, v));
  }
  if (p.lines.empty()) return Status::InvalidArgument("purchase " + p.name + " has no lines");
  PurchaseState& ps = purchases_[p.name];
  ps = PurchaseState{};
  ps.spec = std::move(p);
  return Status::Ok();
}

Result<PurchaseState*> CaseRun::Find(const std::string& name) {
  auto it = purchases_.find(name);
  if (it == purchases_.end()) return Status::NotFound("no purchase " + name);
  return &it->second;
}

Status CaseRun::SendOne(const std::vector<std::string>& t) {
  if (t.size() < 2) return Status::InvalidArgument(t[0] + " NAME [overrides]");
  Result<PurchaseState*> found = Find(t[1]);
  if (!found.ok()) return found.status();
  PurchaseState& ps = **found;
  auto kv = Overrides(t, 2);
  const std::string& doc = t[0];
  if (doc == "order") {
    Order o = BuildOrder(ps.spec, now_);
    FTZ_RETURN_IF_ERROR(ApplyOverrides(kv, &o.head, &o.items));
    ps.order = std::move(o);
    if (observer_) observer_->OnOrder(line_no_, ps, *ps.order);
  } else if (doc == "payment") {
    Payment p = BuildPayment(ps.spec, now_);
    FTZ_RETURN_IF_ERROR((ApplyOverrides<PaymentHead, InventoryItem>(kv, &p.head, nullptr)));
    ps.payment = std::move(p);
    if (observer_) observer_->OnPayment(line_no_, ps, *ps.payment);
  } else if (doc == "waybill") {
    Waybill w = BuildWaybill(ps.spec, now_);
    FTZ_RETURN_IF_ERROR((ApplyOverrides<WaybillHead, InventoryItem>(kv, &w.head, nullptr)));
    ps.waybill = std::move(w);
    if (observer_) observer_->OnWaybill(line_no_, ps, *ps.waybill);
  } else {
    // Sent again, a list the rules refused is declared again, corrected: it
    // keeps its invtNo, waits from now, and is decided afresh.
    const bool again = ps.list.has_value();
    if (again && !ps.correctable) {
      return Status::InvalidArgument("list " + t[1] +
                                     " already sent (only one the rules refused is sent again)");
    }
    InventoryList l = BuildList(ps.spec, now_);
    FTZ_RETURN_IF_ERROR(ApplyOverrides(kv, &l.head, &l.items));
    ps.list = std::move(l);
    ps.list_at = now_;
    if (again) {
      ps.record.reset();
      ps.correctable = false;
    } else {
      ps.invt_no = MakeInvtNo(ps.list->head.customsCode, CstYear(now_), ++invt_seq_);
    }
    if (observer_) observer_->OnList(line_no_, ps, *ps.list);
  }
  TryDecide(ps, now_);
  return Status::Ok();
}

void CaseRun::TryDecide(PurchaseState& ps, UnixMillis at) {
  if (!ps.list) return;
  if (ps.record && ps.record->phase != ListPhase::kWaiting) return;
  ClearanceInput in;
  in.list = &*ps.list;
  // The rules read the documents as the engine keeps them.
  const auto order = ps.order ? std::optional(OrderFacts::Of(*ps.order)) : std::nullopt;
  const auto payment = ps.payment ? std::optional(PaymentFacts::Of(*ps.payment)) : std::nullopt;
  const auto waybill = ps.waybill ? std::optional(WaybillFacts::Of(*ps.waybill)) : std::nullopt;
  in.order = order ? &*order : nullptr;
  in.payment = payment ? &*payment : nullptr;
  in.waybill = waybill ? &*waybill : nullptr;
  in.received_at = ps.list_at;
  in.invt_no = ps.invt_no;
  Keep(ps, Decide(in, quota_, stock_, *rules_, at), &ps.list_decision,
       CaseObserver::DecisionKind::kList);
}

void CaseRun::Keep(PurchaseState& ps, Decision d, std::optional<Decision>* slot,
                   CaseObserver::DecisionKind kind) {
  Status st = ApplyDecision(d, &quota_, &stock_);
  if (!st.ok()) Fail("ApplyDecision: " + st.message());
  ps.record = d.record;
  // A refused cancellation or return leaves the list as it was.
  if (d.outcome != Outcome::kRejected) {
    ps.correctable = false;
  } else if (kind == CaseObserver::DecisionKind::kList) {
    ps.correctable = true;
  } else if (kind == CaseObserver::DecisionKind::kConclude && d.return_status != 0) {
    ps.correctable = false;  // an officer's refusal is final
  }
  static constexpr const char* kKindNames[] = {"list", "conclude", "cancel", "return"};
  transcript_.push_back(ps.spec.name + " " + kKindNames[static_cast<int>(kind)] + " " +
                        d.ToString());
  if (observer_) observer_->OnDecision(line_no_, ps, kind, d);
  *slot = std::move(d);
}

Status CaseRun::DoConclude(const std::vector<std::string>& t) {
  if (t.size() < 3 || (t[2] != "release" && t[2] != "reject")) {
    return Status::InvalidArgument("conclude NAME release|reject [note=TEXT]");
  }
  Result<PurchaseState*> found = Find(t[1]);
  if (!found.ok()) return found.status();
  PurchaseState& ps = **found;
  if (!ps.record) return Status::InvalidArgument("list " + t[1] + " not decided");
  std::string note;
  for (size_t i = 3; i < t.size(); ++i) {
    auto [k, v] = SplitKv(t[i]);
    if (k != "note") return Status::InvalidArgument("unknown " + k);
    note = v;
  }
  if (observer_) observer_->OnConclude(line_no_, ps, t[2] == "release", note);
  Keep(ps, Conclude(*ps.record, t[2] == "release", note, stock_, *rules_, now_), &ps.list_decision,
       CaseObserver::DecisionKind::kConclude);
  return Status::Ok();
}

Status CaseRun::DoCancel(const std::vector<std::string>& t) {
  if (t.size() < 2) return Status::InvalidArgument("cancel NAME [overrides]");
  Result<PurchaseState*> found = Find(t[1]);
  if (!found.ok()) return found.status();
  PurchaseState& ps = **found;
  Cancellation c;
  if (ps.record) FillFromRecord(*ps.record, ps.spec, now_, &c.head);
  c.head.reason = "买家取消订单";
  FTZ_RETURN_IF_ERROR(
      (ApplyOverrides<CancellationHead, InventoryItem>(Overrides(t, 2), &c.head, nullptr)));
  const ListRecord* record =
      ps.record && ps.record->invt_no == c.head.invtNo ? &*ps.record : nullptr;
  if (observer_) observer_->OnCancel(line_no_, ps, c);
  Keep(ps, DecideCancellation(c, record, *rules_, now_), &ps.cancel_decision,
       CaseObserver::DecisionKind::kCancel);
  if (!record) ps.record.reset();  // an unknown list stays unknown
  return Status::Ok();
}

Status CaseRun::DoReturn(const std::vector<std::string>& t) {
  if (t.size() < 2) return Status::InvalidArgument("return NAME [lines=GNUM*QTY,...]");
  Result<PurchaseState*> found = Find(t[1]);
  if (!found.ok()) return found.status();
  PurchaseState& ps = **found;
  ReturnRequest r;
  if (ps.record) FillFromRecord(*ps.record, ps.spec, now_, &r.head);
  r.head.reason = "七天无理由退货";
  std::vector<std::pair<std::string, std::string>> kv;
  std::string lines;
  for (size_t i = 2; i < t.size(); ++i) {
    auto p = SplitKv(t[i]);
    if (p.first == "lines")
      lines = p.second;
    else
      kv.push_back(p);
  }
  if (ps.record) {
    for (const RecordLine& l : ps.record->lines) {
      ReturnItem it;
      it.gnum = l.gnum;
      it.gcode = l.gcode;
      it.gname = "商品" + std::to_string(l.gnum);
      it.qty = l.qty - l.returned_qty;
      it.unit = "011";
      if (lines.empty() && it.qty > Decimal()) r.items.push_back(it);
    }
  }
  if (!lines.empty() && lines != "none") {
    size_t start = 0;
    while (start < lines.size()) {
      size_t end = lines.find(',', start);
      if (end == std::string::npos) end = lines.size();
      std::string one = lines.substr(start, end - start);
      start = end + 1;
      size_t star = one.find('*');
      int64_t gnum = 0;
      if (star == std::string::npos || !ParseInt(one.substr(0, star), &gnum)) {
        return Status::InvalidArgument("return lines GNUM*QTY, got " + one);
      }
      Result<Decimal> q = Dec(one.substr(star + 1));
      if (!q.ok()) return q.status();
      ReturnItem it;
      it.gnum = gnum;
      for (const RecordLine& l : ps.record ? ps.record->lines : std::vector<RecordLine>{}) {
        if (l.gnum == gnum) it.gcode = l.gcode;
      }
      it.qty = *q;
      it.unit = "011";
      r.items.push_back(it);
    }
  }
  FTZ_RETURN_IF_ERROR(ApplyOverrides(kv, &r.head, &r.items));
  const ListRecord* record =
      ps.record && ps.record->invt_no == r.head.invtNo ? &*ps.record : nullptr;
  std::optional<ListRecord> keep = ps.record;
  if (observer_) observer_->OnReturn(line_no_, ps, r);
  Keep(ps, DecideReturn(r, record, *rules_, now_), &ps.return_decision,
       CaseObserver::DecisionKind::kReturn);
  if (!record) ps.record = keep;
  return Status::Ok();
}

Status CaseRun::DoBatch(const std::vector<std::string>& t) {
  int64_t count = 0;
  if (t.size() != 4 || !ParseInt(t[2], &count) || count <= 0 || !t[3].starts_with("from=")) {
    return Status::InvalidArgument("batch PREFIX COUNT from=NAME");
  }
  Result<PurchaseState*> found = Find(t[3].substr(5));
  if (!found.ok()) return found.status();
  Purchase tmpl = (*found)->spec;
  for (int64_t i = 0; i < count; ++i) {
    Purchase p = tmpl;
    p.name = t[1] + std::to_string(i);
    p.order_no.clear();
    p.logistics_no.clear();
    p.cop_no.clear();
    char id[32];
    std::snprintf(id, sizeof id, "9%017lld", static_cast<long long>(i));
    p.buyer_id = id;
    purchases_[p.name] = PurchaseState{};
    purchases_[p.name].spec = std::move(p);
    for (const char* doc : {"order", "payment", "waybill", "list"}) {
      FTZ_RETURN_IF_ERROR(SendOne({doc, t[1] + std::to_string(i)}));
    }
  }
  return Status::Ok();
}

// --- expectations ---------------------------------------------------------

Status CaseRun::Expect(const std::vector<std::string>& t) {
  if (t.size() < 2) return Status::InvalidArgument("expect WHAT ...");
  const std::string& what = t[1];
  if (what == "quota") return ExpectQuota(t);
  if (what == "stock") return ExpectStock(t);
  if (what == "lanes") return ExpectLanes(t);
  if (what != "list" && what != "cancel" && what != "return") {
    return Status::InvalidArgument("expect list|cancel|return|quota|stock|lanes");
  }
  if (t.size() < 4) return Status::InvalidArgument("expect " + what + " NAME key=value ...");
  Result<PurchaseState*> found = Find(t[2]);
  if (!found.ok()) return found.status();
  PurchaseState& ps = **found;
  const std::optional<Decision>& d = what == "list"     ? ps.list_decision
                                     : what == "cancel" ? ps.cancel_decision
                                                        : ps.return_decision;
  if (!d) return Status::FailedPrecondition("no " + what + " decision for " + t[2]);
  for (size_t i = 3; i < t.size(); ++i) {
    auto [k, v] = SplitKv(t[i]);
    std::string why;
    Status st = CheckDecision(*d, k, v, &why);
    if (!st.ok()) return st;
    if (!why.empty()) Fail(t[i] + ": " + why + "\n  decision: " + d->ToString());
  }
  return Status::Ok();
}

Status CaseRun::CheckDecision(const Decision& d, const std::string& key, const std::string& want,
                              std::string* why) {
  auto eq = [&](const std::string& got) {
    if (got != want) *why = "got " + got;
    return Status::Ok();
  };
  // `want` somewhere in `got`, but not as part of a longer number: "freight
  // 10" is not found in "freight 100" or "freight 10.5", nor "2" in "12",
  // "-2" or "0.2".
  auto contains = [&](const std::string& got) -> Status {
    if (want.empty()) return Status::InvalidArgument(key + "=\"\" would match any text");
    auto digit = [](char c) { return c >= '0' && c <= '9'; };
    for (size_t at = got.find(want); at != std::string::npos; at = got.find(want, at + 1)) {
      const size_t end = at + want.size();
      // Before: a digit, a sign, or a decimal point after a digit ("5" is
      // not in "15", "-5" or "0.5").
      const bool joined_before = digit(want.front()) && at > 0 &&
                                 (digit(got[at - 1]) || got[at - 1] == '-' ||
                                  (got[at - 1] == '.' && at > 1 && digit(got[at - 2])));
      const bool joined_after =
          digit(want.back()) && end < got.size() &&
          (digit(got[end]) || (got[end] == '.' && end + 1 < got.size() && digit(got[end + 1])));
      if (!joined_before && !joined_after) return Status::Ok();
    }
    *why = "not in \"" + got + "\"";
    return Status::Ok();
  };
  auto money = [&](Decimal got) -> Status {
    Result<Decimal> w = Dec(want);
    if (!w.ok()) return Status::InvalidArgument("bad amount " + want);
    if (got != *w) *why = "got " + FormatYuan(got);
    return Status::Ok();
  };
  if (key == "status") return eq(std::to_string(d.return_status));
  if (key == "outcome") return eq(std::string(OutcomeName(d.outcome)));
  if (key == "code") return eq(std::to_string(d.error_code));
  if (key == "rule") return eq(d.rule);
  if (key == "lane") return eq(std::string(LaneName(d.lane.lane)));
  if (key == "reason") return eq(d.lane.reason);
  if (key == "phase") return eq(std::string(ListPhaseName(d.record.phase)));
  if (key == "missing") return eq(d.missing.Names());
  if (key == "info") return eq(d.return_info);
  if (key == "info~") return contains(d.return_info);
  if (key == "detail~") return contains(d.detail);
  if (key == "mismatches") return eq(std::to_string(d.mismatches.size()));
  if (key == "mismatch") {
    // One of the mismatches, whole ("list.freight 8 != waybill.freight 10").
    for (const Mismatch& m : d.mismatches) {
      if (m.ToString() == want) return Status::Ok();
    }
    *why = "not one of \"" + JoinMismatches(d.mismatches) + "\"";
    return Status::Ok();
  }
  if (key == "stock") return eq(std::to_string(d.stock.size()));
  if (key == "quota") {
    Decimal sum;
    for (const QuotaDelta& q : d.quota) {
      if (q.kind == kMoneyCounter) sum += q.amount;
    }
    return money(sum);
  }
  if (key == "same_draw_as") {
    Result<PurchaseState*> other = Find(want);
    if (!other.ok()) return other.status();
    if (!(*other)->list_decision) return Status::FailedPrecondition("no decision for " + want);
    const LaneDecision& o = (*other)->list_decision->lane;
    if (o.lane != d.lane.lane || o.draw_ppm != d.lane.draw_ppm) {
      *why = "lane " + std::string(LaneName(d.lane.lane)) + "/" + std::to_string(d.lane.draw_ppm) +
             " vs " + std::string(LaneName(o.lane)) + "/" + std::to_string(o.draw_ppm);
    }
    return Status::Ok();
  }
  if (key == "tax") {
    if (want != "none") return Status::InvalidArgument("tax=none");
    if (d.tax_bill()) *why = "a tax bill was issued";
    return Status::Ok();
  }
  if (key.starts_with("tax.")) {
    if (!d.tax_bill()) {
      *why = "no tax bill";
      return Status::Ok();
    }
    const TaxHead& h = d.tax_bill()->head;
    std::string f = key.substr(4);
    if (f == "duty") return money(h.customsTax);
    if (f == "ct") return money(h.consumptionTax);
    if (f == "vat") return money(h.valueAddedTax);
    if (f == "total") return money(h.customsTax + h.consumptionTax + h.valueAddedTax);
    if (f == "status") return eq(h.status);
    return Status::InvalidArgument("unknown " + key);
  }
  if (key.starts_with("line")) {
    size_t dot = key.find('.');
    int64_t gnum = 0;
    if (dot == std::string::npos || !ParseInt(key.substr(4, dot - 4), &gnum)) {
      return Status::InvalidArgument("lineN.field, got " + key);
    }
    if (!d.tax_bill()) {
      *why = "no tax bill";
      return Status::Ok();
    }
    for (const TaxItem& it : d.tax_bill()->items) {
      if (it.gnum != gnum) continue;
      std::string f = key.substr(dot + 1);
      if (f == "value") return money(it.taxPrice);
      if (f == "duty") return money(it.customsTax);
      if (f == "ct") return money(it.consumptionTax);
      if (f == "vat") return money(it.valueAddedTax);
      return Status::InvalidArgument("unknown " + key);
    }
    *why = "no line " + std::to_string(gnum) + " on the tax bill";
    return Status::Ok();
  }
  return Status::InvalidArgument("unknown expectation key " + key);
}

Status CaseRun::ExpectQuota(const std::vector<std::string>& t) {
  if (t.size() < 5) return Status::InvalidArgument("expect quota BUYERID YEAR used=AMOUNT");
  int64_t year = 0;
  if (!ParseInt(t[3], &year)) return Status::InvalidArgument("bad year");
  uint32_t kind = kMoneyCounter;
  std::optional<Decimal> used;
  std::optional<int64_t> lists;
  for (size_t i = 4; i < t.size(); ++i) {
    auto [k, v] = SplitKv(t[i]);
    if (k == "used") {
      Result<Decimal> d = Dec(v);
      if (!d.ok()) return d.status();
      used = *d;
    } else if (k == "lists") {
      int64_t n = 0;
      if (!ParseInt(v, &n)) return Status::InvalidArgument("bad lists");
      lists = n;
    } else if (k == "kind") {
      if (!TariffLineOf(v, &kind)) return Status::InvalidArgument("kind=8-digit tariff line");
    } else {
      return Status::InvalidArgument("unknown " + k);
    }
  }
  if (!used && !lists) return Status::InvalidArgument("expect quota needs used= or lists=");
  QuotaCounter c = quota_.Get(t[2], static_cast<int32_t>(year), kind);
  if (used && c.amount != *used) Fail("quota used: got " + FormatYuan(c.amount));
  if (lists && c.lists != *lists) Fail("quota lists: got " + std::to_string(c.lists));
  return Status::Ok();
}

Status CaseRun::ExpectStock(const std::vector<std::string>& t) {
  if (t.size() != 5) return Status::InvalidArgument("expect stock EMS RECORDNO QTY");
  Result<Decimal> want = Dec(t[4]);
  if (!want.ok()) return want.status();
  Decimal got = stock_.Stock(t[2], t[3]);
  if (got != *want) Fail("stock: got " + got.ToString());
  return Status::Ok();
}

Status CaseRun::ExpectLanes(const std::vector<std::string>& t) {
  if (t.size() < 4) return Status::InvalidArgument("expect lanes PREFIX lane=LO..HI ...");
  const std::string& prefix = t[2];
  std::map<std::string, int64_t> count;
  int64_t total = 0;
  for (const auto& [name, ps] : purchases_) {
    if (!name.starts_with(prefix) || name.size() == prefix.size()) continue;
    int64_t idx = 0;
    if (!ParseInt(name.substr(prefix.size()), &idx) || !ps.list_decision) continue;
    ++count[std::string(LaneName(ps.list_decision->lane.lane))];
    ++total;
  }
  std::string summary = "total " + std::to_string(total);
  for (const auto& [lane, n] : count) summary += " " + lane + "=" + std::to_string(n);
  for (size_t i = 3; i < t.size(); ++i) {
    auto [lane, range] = SplitKv(t[i]);
    if (lane != "reason" && lane != "total" && lane != "green" && lane != "blue" &&
        lane != "yellow" && lane != "red") {
      return Status::InvalidArgument("expect lanes: unknown lane " + lane +
                                     " (green, blue, yellow, red, total or reason)");
    }
    if (lane == "reason") {
      // Every list not in the green lane was sent there for this reason (and
      // there is at least one: else the line checks nothing).
      int64_t checked = 0;
      for (const auto& [name, ps] : purchases_) {
        int64_t idx = 0;
        if (!name.starts_with(prefix) || !ParseInt(name.substr(prefix.size()), &idx) ||
            !ps.list_decision || ps.list_decision->lane.lane == Lane::kGreen) {
          continue;
        }
        ++checked;
        if (ps.list_decision->lane.reason != range) {
          Fail(name + " reason " + ps.list_decision->lane.reason + ", expected " + range);
        }
      }
      if (checked == 0) Fail("reason=" + range + ": no list of " + prefix + " outside green");
      continue;
    }
    size_t dots = range.find("..");
    int64_t lo = 0, hi = 0;
    if (dots == std::string::npos || !ParseInt(range.substr(0, dots), &lo) ||
        !ParseInt(range.substr(dots + 2), &hi)) {
      return Status::InvalidArgument("lane=LO..HI, got " + t[i]);
    }
    int64_t n = lane == "total" ? total : count[lane];
    if (n < lo || n > hi) {
      Fail(lane + " " + std::to_string(n) + " outside " + range + " (" + summary + ")");
    }
  }
  return Status::Ok();
}

}  // namespace ftz::clearance::testing
