#include "clearance/rules.h"

#include <toml++/toml.h>
#include <algorithm>
#include <cstdio>
#include <initializer_list>

namespace ftz::clearance {

std::string_view LaneName(Lane lane) {
  switch (lane) {
    case Lane::kGreen:
      return "green";
    case Lane::kBlue:
      return "blue";
    case Lane::kYellow:
      return "yellow";
    case Lane::kRed:
      return "red";
  }
  return "?";
}

bool ParseLane(std::string_view text, Lane* out) {
  for (Lane l : {Lane::kGreen, Lane::kBlue, Lane::kYellow, Lane::kRed}) {
    if (text == LaneName(l)) {
      *out = l;
      return true;
    }
  }
  return false;
}

namespace {

bool AllDigits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

uint32_t DigitsValue(std::string_view s) {
  uint32_t v = 0;
  for (char c : s) v = v * 10 + static_cast<uint32_t>(c - '0');
  return v;
}

uint64_t PrefixKey(std::string_view digits) {
  return static_cast<uint64_t>(digits.size()) << 32 | DigitsValue(digits);
}

}  // namespace

bool TariffLineOf(std::string_view gcode, uint32_t* out) {
  if (gcode.size() < 8 || !AllDigits(gcode.substr(0, 8))) return false;
  *out = DigitsValue(gcode.substr(0, 8));
  return true;
}

std::string TariffLineText(uint32_t line) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%08u", line);
  return buf;
}

Result<Ppm> ParsePercent(std::string_view text) {
  if (text.size() < 2 || text.back() != '%') {
    return Status::InvalidArgument("expected a percentage such as \"13%\", got \"" +
                                   std::string(text) + "\"");
  }
  text.remove_suffix(1);
  size_t point = text.find('.');
  std::string_view whole = text.substr(0, point);
  std::string_view frac = point == std::string_view::npos ? "" : text.substr(point + 1);
  if (!AllDigits(whole) || (point != std::string_view::npos && !AllDigits(frac)) ||
      frac.size() > 4 || whole.size() > 3) {
    return Status::InvalidArgument("expected a percentage with at most 4 decimals, got \"" +
                                   std::string(text) + "%\"");
  }
  int64_t ppm = static_cast<int64_t>(DigitsValue(whole)) * 10'000;
  int64_t scale = 1000;
  for (char c : frac) {
    ppm += (c - '0') * scale;
    scale /= 10;
  }
  if (ppm > kPpmOne) return Status::InvalidArgument("percentage above 100%");
  return static_cast<Ppm>(ppm);
}

namespace {
constexpr int64_t kMaxDurationMs = 100LL * 365 * 86'400'000;  // 100 years
}  // namespace

Result<int64_t> ParseDuration(std::string_view text) {
  // One or more <digits><unit> parts, added: "24h", "30d", "23h59m".
  auto bad = [&text]() {
    return Status::InvalidArgument(
        "expected a duration such as \"24h\", \"30d\" or \"1h30m\", got \"" + std::string(text) +
        "\"");
  };
  if (text.empty()) return bad();
  int64_t total = 0;
  std::string_view rest = text;
  while (!rest.empty()) {
    size_t n = 0;
    while (n < rest.size() && rest[n] >= '0' && rest[n] <= '9') ++n;
    if (n == 0 || n > 9) return bad();
    int64_t v = DigitsValue(rest.substr(0, n));
    rest.remove_prefix(n);
    int64_t unit = 0;
    if (rest.starts_with("ms")) {
      unit = 1;
      rest.remove_prefix(2);
    } else if (!rest.empty()) {
      switch (rest[0]) {
        case 's':
          unit = 1000;
          break;
        case 'm':
          unit = 60'000;
          break;
        case 'h':
          unit = 3'600'000;
          break;
        case 'd':
          unit = 86'400'000;
          break;
        default:
          return bad();
      }
      rest.remove_prefix(1);
    } else {
      return bad();
    }
    // v * unit is below 2^57 (9 digits, days); the sum is bounded part by
    // part, so that it never overflows however many parts there are, and a
    // window added to a record's time cannot either.
    total += v * unit;
    if (total > kMaxDurationMs) {
      return Status::InvalidArgument("duration \"" + std::string(text.substr(0, 60)) +
                                     (text.size() > 60 ? "…" : "") + "\" is longer than 100 years");
    }
  }
  return total;
}

Result<UnixMillis> ParseCstDate(std::string_view text) {
  std::string compact;
  if (text.size() == 10 && text[4] == '-' && text[7] == '-') {
    compact = std::string(text.substr(0, 4)) + std::string(text.substr(5, 2)) +
              std::string(text.substr(8, 2));
  } else {
    compact = std::string(text);
  }
  CivilTime t;
  if (!ParseDate8(compact, &t)) {
    return Status::InvalidArgument("expected a date YYYY-MM-DD, got \"" + std::string(text) + "\"");
  }
  return ToUnixMillisCst(t);
}

// ---------------------------------------------------------------------------
// Rules: indexes and lookups.

Status Rules::Finalize() {
  if (version.empty()) return Status::InvalidArgument("version: must not be empty");
  if (single_limit <= Decimal()) return Status::InvalidArgument("limits.single: must be positive");
  if (annual_limit < single_limit) {
    return Status::InvalidArgument("limits.annual: must be at least limits.single");
  }
  if (reduced_rate < 0 || reduced_rate > kPpmOne) {
    return Status::InvalidArgument("limits.reduced_rate: must be within 0%..100%");
  }
  if (list_wait_ms <= 0) return Status::InvalidArgument("deadline.list_wait: must be positive");
  if (return_window_ms <= 0) return Status::InvalidArgument("return.window: must be positive");
  if (cancel_after_release_ms < 0) {
    return Status::InvalidArgument("cancellation.after_release: must not be negative");
  }
  int64_t random_sum = int64_t{red.min_random} + yellow.min_random + blue.min_random;
  if (random_sum > kPpmOne) {
    return Status::InvalidArgument("selectivity: min_random rates add up to more than 100%");
  }
  for (const auto* lr : {&red, &yellow, &blue}) {
    if (lr->min_random > lr->target) {
      return Status::InvalidArgument("selectivity: a lane's min_random exceeds its target");
    }
  }
  rate_index_.clear();
  rate_prefix_lengths_ = 0;
  for (size_t i = 0; i < tax_rates.size(); ++i) {
    const TaxRate& r = tax_rates[i];
    if (r.prefix.size() < 2 || r.prefix.size() > 8 || !AllDigits(r.prefix)) {
      return Status::InvalidArgument("tax_rate prefix \"" + r.prefix + "\": 2 to 8 digits");
    }
    if (r.consumption >= kPpmOne) {
      return Status::InvalidArgument("tax_rate " + r.prefix + ": consumption tax must be < 100%");
    }
    if (!rate_index_.emplace(PrefixKey(r.prefix), i).second) {
      return Status::AlreadyExists("tax_rate prefix " + r.prefix + " appears twice");
    }
    rate_prefix_lengths_ |= 1u << r.prefix.size();
  }
  std::stable_sort(positive_list.begin(), positive_list.end(),
                   [](const PositiveListEntry& a, const PositiveListEntry& b) {
                     return a.tariff_line < b.tariff_line;
                   });
  for (const PositiveListEntry& e : positive_list) {
    if (e.tariff_line > 99'999'999) {
      return Status::InvalidArgument("positive list: tariff line above 8 digits");
    }
    if (e.from >= e.until) {
      return Status::InvalidArgument("positive list " + TariffLineText(e.tariff_line) +
                                     ": until must be after from");
    }
    if (e.annual_qty && (*e.annual_qty <= Decimal() || e.annual_qty_unit.empty())) {
      return Status::InvalidArgument("positive list " + TariffLineText(e.tariff_line) +
                                     ": annual_qty needs a positive amount and a unit");
    }
    for (const std::string& z : e.zones) {
      if (!zones.contains(z)) {
        return Status::InvalidArgument("positive list " + TariffLineText(e.tariff_line) +
                                       ": zone \"" + z + "\" is not defined in [zones]");
      }
    }
  }
  for (const RiskProfile& p : profiles) {
    if (p.name.empty()) return Status::InvalidArgument("profile: name must not be empty");
    if (p.lane == Lane::kGreen) {
      return Status::InvalidArgument("profile " + p.name + ": lane green selects nothing");
    }
  }
  return Status::Ok();
}

const TaxRate* Rules::FindTaxRate(std::string_view gcode) const {
  size_t n = std::min<size_t>(gcode.size(), 8);
  for (size_t len = n; len >= 2; --len) {
    if (!(rate_prefix_lengths_ & (1u << len))) continue;
    std::string_view prefix = gcode.substr(0, len);
    if (!AllDigits(prefix)) continue;
    auto it = rate_index_.find(PrefixKey(prefix));
    if (it != rate_index_.end()) return &tax_rates[it->second];
  }
  return nullptr;
}

std::span<const PositiveListEntry> Rules::ListingsFor(uint32_t tariff_line) const {
  auto lo = std::lower_bound(
      positive_list.begin(), positive_list.end(), tariff_line,
      [](const PositiveListEntry& e, uint32_t line) { return e.tariff_line < line; });
  auto hi = lo;
  while (hi != positive_list.end() && hi->tariff_line == tariff_line) ++hi;
  return {lo, hi};
}

bool Rules::InZone(std::string_view zone, std::string_view customs_code) const {
  auto it = zones.find(std::string(zone));
  if (it == zones.end()) return false;
  for (const std::string& prefix : it->second) {
    if (customs_code.starts_with(prefix)) return true;
  }
  return false;
}

// ---------------------------------------------------------------------------
// TOML reading.

namespace {

class TomlReader {
 public:
  explicit TomlReader(std::string_view name) : name_(name) {}

  Status Error(std::string_view path, const toml::node* node, std::string_view msg) const {
    std::string out = "rules " + name_ + ": " + std::string(path);
    if (node && node->source().begin.line != 0) {
      out += " (line " + std::to_string(node->source().begin.line) + ")";
    }
    out += ": ";
    out.append(msg);
    return Status::InvalidArgument(std::move(out));
  }

  Status CheckKeys(const toml::table& t, std::string_view path,
                   std::initializer_list<std::string_view> allowed) const {
    for (const auto& [k, v] : t) {
      if (std::find(allowed.begin(), allowed.end(), k.str()) == allowed.end()) {
        std::string full =
            path.empty() ? std::string(k.str()) : std::string(path) + "." + std::string(k.str());
        return Error(full, &v, "unknown key");
      }
    }
    return Status::Ok();
  }

  static std::string Join(std::string_view path, std::string_view key) {
    return path.empty() ? std::string(key) : std::string(path) + "." + std::string(key);
  }

  // Each getter: absent and not required -> Ok, *out untouched.
  Status String(const toml::table& t, std::string_view path, std::string_view key, std::string* out,
                bool required) const {
    const toml::node* n = t.get(key);
    if (!n) return required ? Error(Join(path, key), nullptr, "missing") : Status::Ok();
    if (!n->is_string()) return Error(Join(path, key), n, "expected a string");
    *out = n->as_string()->get();
    return Status::Ok();
  }

  Status Bool(const toml::table& t, std::string_view path, std::string_view key, bool* out) const {
    const toml::node* n = t.get(key);
    if (!n) return Status::Ok();
    if (!n->is_boolean()) return Error(Join(path, key), n, "expected true or false");
    *out = n->as_boolean()->get();
    return Status::Ok();
  }

  // Money: a decimal string ("5000.00") or a TOML integer of whole yuan.
  Status Money(const toml::table& t, std::string_view path, std::string_view key,
               std::optional<Decimal>* out, bool required) const {
    const toml::node* n = t.get(key);
    if (!n) return required ? Error(Join(path, key), nullptr, "missing") : Status::Ok();
    if (n->is_integer()) {
      int64_t v = n->as_integer()->get();
      if (v < 0 || v > 100'000'000'000) return Error(Join(path, key), n, "out of range");
      *out = Decimal::FromInt(v);
      return Status::Ok();
    }
    if (!n->is_string()) {
      return Error(Join(path, key), n,
                   "expected a decimal string like \"5000.00\" (a TOML float would pass "
                   "through binary floating point)");
    }
    Result<Decimal> d = Decimal::Parse(n->as_string()->get());
    if (!d.ok()) return Error(Join(path, key), n, d.status().message());
    if (*d < Decimal()) return Error(Join(path, key), n, "must not be negative");
    *out = *d;
    return Status::Ok();
  }

  Status Percent(const toml::table& t, std::string_view path, std::string_view key,
                 std::optional<Ppm>* out, bool required) const {
    const toml::node* n = t.get(key);
    if (!n) return required ? Error(Join(path, key), nullptr, "missing") : Status::Ok();
    if (!n->is_string()) {
      return Error(Join(path, key), n, "expected a percentage string like \"13%\"");
    }
    Result<Ppm> p = ParsePercent(n->as_string()->get());
    if (!p.ok()) return Error(Join(path, key), n, p.status().message());
    *out = *p;
    return Status::Ok();
  }

  Status Duration(const toml::table& t, std::string_view path, std::string_view key,
                  int64_t* out) const {
    const toml::node* n = t.get(key);
    if (!n) return Status::Ok();
    if (!n->is_string()) return Error(Join(path, key), n, "expected a duration like \"24h\"");
    Result<int64_t> d = ParseDuration(n->as_string()->get());
    if (!d.ok()) return Error(Join(path, key), n, d.status().message());
    *out = *d;
    return Status::Ok();
  }

  // A TOML local date (2019-01-01) or a string "2019-01-01" / "20190101".
  Status Date(const toml::table& t, std::string_view path, std::string_view key,
              UnixMillis* out) const {
    const toml::node* n = t.get(key);
    if (!n) return Status::Ok();
    if (n->is_date()) {
      toml::date d = n->as_date()->get();
      CivilTime c;
      c.year = d.year;
      c.month = d.month;
      c.day = d.day;
      char buf[16];
      std::snprintf(buf, sizeof buf, "%04d%02d%02d", c.year, c.month, c.day);
      if (!ParseDate8(buf, &c)) return Error(Join(path, key), n, "not a calendar date");
      *out = ToUnixMillisCst(c);
      return Status::Ok();
    }
    if (!n->is_string()) return Error(Join(path, key), n, "expected a date YYYY-MM-DD");
    Result<UnixMillis> d = ParseCstDate(n->as_string()->get());
    if (!d.ok()) return Error(Join(path, key), n, d.status().message());
    *out = *d;
    return Status::Ok();
  }

  Status StringArray(const toml::table& t, std::string_view path, std::string_view key,
                     std::vector<std::string>* out) const {
    const toml::node* n = t.get(key);
    if (!n) return Status::Ok();
    if (n->is_string()) {  // a single value is accepted as a one-element list
      out->push_back(n->as_string()->get());
      return Status::Ok();
    }
    const toml::array* a = n->as_array();
    if (!a) return Error(Join(path, key), n, "expected an array of strings");
    for (const toml::node& el : *a) {
      if (!el.is_string()) return Error(Join(path, key), &el, "expected an array of strings");
      out->push_back(el.as_string()->get());
    }
    return Status::Ok();
  }

  Status Uint(const toml::table& t, std::string_view path, std::string_view key,
              std::optional<uint32_t>* out) const {
    const toml::node* n = t.get(key);
    if (!n) return Status::Ok();
    if (!n->is_integer() || n->as_integer()->get() < 0 || n->as_integer()->get() > 1'000'000'000) {
      return Error(Join(path, key), n, "expected a non-negative integer");
    }
    *out = static_cast<uint32_t>(n->as_integer()->get());
    return Status::Ok();
  }

  const toml::table* Table(const toml::table& t, std::string_view key, Status* st) const {
    const toml::node* n = t.get(key);
    if (!n) return nullptr;
    if (!n->is_table()) {
      *st = Error(key, n, "expected a table");
      return nullptr;
    }
    return n->as_table();
  }

  const std::string& name() const { return name_; }

 private:
  std::string name_;
};

Status ReadTaxRate(const TomlReader& r, const toml::table& t, const std::string& path,
                   TaxRate* out) {
  FTZ_RETURN_IF_ERROR(r.CheckKeys(
      t, path,
      {"prefix", "vat", "consumption", "mfn", "consumption_min_unit_price", "name", "source"}));
  FTZ_RETURN_IF_ERROR(r.String(t, path, "prefix", &out->prefix, true));
  if (out->prefix.size() < 2 || out->prefix.size() > 8 || !AllDigits(out->prefix)) {
    return r.Error(path + ".prefix", t.get("prefix"), "expected 2 to 8 digits");
  }
  std::optional<Ppm> vat, ct;
  FTZ_RETURN_IF_ERROR(r.Percent(t, path, "vat", &vat, true));
  FTZ_RETURN_IF_ERROR(r.Percent(t, path, "consumption", &ct, false));
  FTZ_RETURN_IF_ERROR(r.Percent(t, path, "mfn", &out->mfn, false));
  out->vat = *vat;
  out->consumption = ct.value_or(0);
  if (out->consumption >= kPpmOne) {
    return r.Error(path + ".consumption", t.get("consumption"), "must be below 100%");
  }
  std::optional<Decimal> min_price;
  FTZ_RETURN_IF_ERROR(r.Money(t, path, "consumption_min_unit_price", &min_price, false));
  out->consumption_min_unit_price = min_price.value_or(Decimal());
  FTZ_RETURN_IF_ERROR(r.String(t, path, "name", &out->name, false));
  FTZ_RETURN_IF_ERROR(r.String(t, path, "source", &out->source, false));
  return Status::Ok();
}

Status ReadPositive(const TomlReader& r, const toml::table& t, const std::string& path,
                    PositiveListEntry* out) {
  FTZ_RETURN_IF_ERROR(r.CheckKeys(t, path,
                                  {"tariff_line", "name", "remarks", "annual_qty",
                                   "annual_qty_unit", "from", "until", "zones"}));
  std::string line;
  FTZ_RETURN_IF_ERROR(r.String(t, path, "tariff_line", &line, true));
  if (line.size() != 8 || !AllDigits(line)) {
    return r.Error(path + ".tariff_line", t.get("tariff_line"), "expected 8 digits");
  }
  out->tariff_line = DigitsValue(line);
  FTZ_RETURN_IF_ERROR(r.String(t, path, "name", &out->name, false));
  FTZ_RETURN_IF_ERROR(r.String(t, path, "remarks", &out->remarks, false));
  FTZ_RETURN_IF_ERROR(r.Money(t, path, "annual_qty", &out->annual_qty, false));
  FTZ_RETURN_IF_ERROR(r.String(t, path, "annual_qty_unit", &out->annual_qty_unit, false));
  if (out->annual_qty.has_value() != !out->annual_qty_unit.empty()) {
    return r.Error(path + ".annual_qty", &t, "annual_qty and annual_qty_unit go together");
  }
  if (out->annual_qty && *out->annual_qty <= Decimal()) {
    return r.Error(path + ".annual_qty", t.get("annual_qty"), "must be positive");
  }
  FTZ_RETURN_IF_ERROR(r.Date(t, path, "from", &out->from));
  FTZ_RETURN_IF_ERROR(r.Date(t, path, "until", &out->until));
  if (out->from >= out->until) return r.Error(path + ".until", t.get("until"), "not after from");
  FTZ_RETURN_IF_ERROR(r.StringArray(t, path, "zones", &out->zones));
  return Status::Ok();
}

Status ReadProfile(const TomlReader& r, const toml::table& t, const std::string& path,
                   RiskProfile* out) {
  FTZ_RETURN_IF_ERROR(
      r.CheckKeys(t, path,
                  {"name", "lane", "hs_prefix", "origin", "ebp_code", "ebc_code", "agent_code",
                   "trade_mode", "min_value", "max_value", "min_buyer_used", "min_buyer_lists",
                   "consignee_differs", "rate"}));
  FTZ_RETURN_IF_ERROR(r.String(t, path, "name", &out->name, true));
  std::string lane;
  FTZ_RETURN_IF_ERROR(r.String(t, path, "lane", &lane, true));
  if (!ParseLane(lane, &out->lane) || out->lane == Lane::kGreen) {
    return r.Error(path + ".lane", t.get("lane"), "expected \"blue\", \"yellow\" or \"red\"");
  }
  FTZ_RETURN_IF_ERROR(r.StringArray(t, path, "hs_prefix", &out->hs_prefixes));
  for (const std::string& p : out->hs_prefixes) {
    if (!AllDigits(p) || p.size() > 10) {
      return r.Error(path + ".hs_prefix", t.get("hs_prefix"), "expected digit prefixes");
    }
  }
  FTZ_RETURN_IF_ERROR(r.StringArray(t, path, "origin", &out->origins));
  FTZ_RETURN_IF_ERROR(r.StringArray(t, path, "ebp_code", &out->ebp_codes));
  FTZ_RETURN_IF_ERROR(r.StringArray(t, path, "ebc_code", &out->ebc_codes));
  FTZ_RETURN_IF_ERROR(r.StringArray(t, path, "agent_code", &out->agent_codes));
  FTZ_RETURN_IF_ERROR(r.StringArray(t, path, "trade_mode", &out->trade_modes));
  FTZ_RETURN_IF_ERROR(r.Money(t, path, "min_value", &out->min_value, false));
  FTZ_RETURN_IF_ERROR(r.Money(t, path, "max_value", &out->max_value, false));
  FTZ_RETURN_IF_ERROR(r.Money(t, path, "min_buyer_used", &out->min_buyer_used, false));
  FTZ_RETURN_IF_ERROR(r.Uint(t, path, "min_buyer_lists", &out->min_buyer_lists));
  FTZ_RETURN_IF_ERROR(r.Bool(t, path, "consignee_differs", &out->consignee_differs));
  std::optional<Ppm> rate;
  FTZ_RETURN_IF_ERROR(r.Percent(t, path, "rate", &rate, false));
  out->rate = rate.value_or(kPpmOne);
  bool any = !out->hs_prefixes.empty() || !out->origins.empty() || !out->ebp_codes.empty() ||
             !out->ebc_codes.empty() || !out->agent_codes.empty() || !out->trade_modes.empty() ||
             out->min_value || out->max_value || out->min_buyer_used || out->min_buyer_lists ||
             out->consignee_differs;
  if (!any) return r.Error(path, &t, "a profile needs at least one condition");
  return Status::Ok();
}

template <class T, class Fn>
Status ReadArrayOfTables(const TomlReader& r, const toml::table& root, std::string_view key,
                         std::vector<T>* out, Fn read_one) {
  const toml::node* n = root.get(key);
  if (!n) return Status::Ok();
  const toml::array* a = n->as_array();
  if (!a) return r.Error(key, n, "expected [[" + std::string(key) + "]] tables");
  size_t i = 0;
  for (const toml::node& el : *a) {
    std::string path = std::string(key) + "[" + std::to_string(i++) + "]";
    const toml::table* t = el.as_table();
    if (!t) return r.Error(path, &el, "expected a table");
    T value;
    FTZ_RETURN_IF_ERROR(read_one(r, *t, path, &value));
    out->push_back(std::move(value));
  }
  return Status::Ok();
}

Status ReadLaneRates(const TomlReader& r, const toml::table& sel, std::string_view key,
                     LaneRates* out) {
  std::string path = "selectivity." + std::string(key);
  const toml::node* n = sel.get(key);
  if (!n) return Status::Ok();
  const toml::table* t = n->as_table();
  if (!t) return r.Error(path, n, "expected a table { target = \"1%\", min_random = \"0.5%\" }");
  FTZ_RETURN_IF_ERROR(r.CheckKeys(*t, path, {"target", "min_random"}));
  std::optional<Ppm> target, min_random;
  FTZ_RETURN_IF_ERROR(r.Percent(*t, path, "target", &target, true));
  FTZ_RETURN_IF_ERROR(r.Percent(*t, path, "min_random", &min_random, false));
  out->target = *target;
  out->min_random = min_random.value_or(0);
  if (out->min_random > out->target) {
    return r.Error(path + ".min_random", t->get("min_random"), "exceeds the lane's target");
  }
  return Status::Ok();
}

}  // namespace

Result<Rules> ParseRules(std::string_view toml_text, std::string_view name,
                         const TableReader& read_table) {
  TomlReader r(name);
  toml::table root;
  try {
    root = toml::parse(toml_text, std::string_view(name));
  } catch (const toml::parse_error& e) {
    return Status::InvalidArgument("rules " + std::string(name) + " (line " +
                                   std::to_string(e.source().begin.line) +
                                   "): " + std::string(e.description()));
  }
  FTZ_RETURN_IF_ERROR(r.CheckKeys(
      root, "",
      {"version", "title", "effective_from", "limits", "deadline", "return", "cancellation",
       "match", "selectivity", "zones", "profile", "tax_rate", "positive", "tables"}));
  Rules rules;
  FTZ_RETURN_IF_ERROR(r.String(root, "", "version", &rules.version, true));
  if (rules.version.empty()) return r.Error("version", root.get("version"), "must not be empty");
  FTZ_RETURN_IF_ERROR(r.String(root, "", "title", &rules.title, false));
  if (!root.get("effective_from")) return r.Error("effective_from", nullptr, "missing");
  FTZ_RETURN_IF_ERROR(r.Date(root, "", "effective_from", &rules.effective_from));

  Status st;
  const toml::table* limits = r.Table(root, "limits", &st);
  FTZ_RETURN_IF_ERROR(st);
  if (!limits) return r.Error("limits", nullptr, "missing");
  FTZ_RETURN_IF_ERROR(r.CheckKeys(
      *limits, "limits", {"single", "annual", "reduced_rate", "indivisible_item_full_tax"}));
  std::optional<Decimal> single, annual;
  FTZ_RETURN_IF_ERROR(r.Money(*limits, "limits", "single", &single, true));
  FTZ_RETURN_IF_ERROR(r.Money(*limits, "limits", "annual", &annual, true));
  rules.single_limit = *single;
  rules.annual_limit = *annual;
  std::optional<Ppm> reduced;
  FTZ_RETURN_IF_ERROR(r.Percent(*limits, "limits", "reduced_rate", &reduced, true));
  rules.reduced_rate = *reduced;
  FTZ_RETURN_IF_ERROR(
      r.Bool(*limits, "limits", "indivisible_item_full_tax", &rules.indivisible_item_full_tax));
  if (rules.single_limit <= Decimal()) {
    return r.Error("limits.single", limits->get("single"), "must be positive");
  }
  if (rules.annual_limit < rules.single_limit) {
    return r.Error("limits.annual", limits->get("annual"), "must be at least limits.single");
  }

  const toml::table* deadline = r.Table(root, "deadline", &st);
  FTZ_RETURN_IF_ERROR(st);
  if (!deadline || !deadline->get("list_wait")) {
    return r.Error("deadline.list_wait", deadline, "missing");
  }
  FTZ_RETURN_IF_ERROR(r.CheckKeys(*deadline, "deadline", {"list_wait"}));
  FTZ_RETURN_IF_ERROR(r.Duration(*deadline, "deadline", "list_wait", &rules.list_wait_ms));
  if (rules.list_wait_ms <= 0) {
    return r.Error("deadline.list_wait", deadline->get("list_wait"), "must be positive");
  }

  const toml::table* ret = r.Table(root, "return", &st);
  FTZ_RETURN_IF_ERROR(st);
  if (!ret || !ret->get("window")) return r.Error("return.window", ret, "missing");
  FTZ_RETURN_IF_ERROR(r.CheckKeys(*ret, "return", {"window"}));
  FTZ_RETURN_IF_ERROR(r.Duration(*ret, "return", "window", &rules.return_window_ms));
  if (rules.return_window_ms <= 0) {
    return r.Error("return.window", ret->get("window"), "must be positive");
  }

  if (const toml::table* c = r.Table(root, "cancellation", &st)) {
    FTZ_RETURN_IF_ERROR(r.CheckKeys(*c, "cancellation", {"after_release", "require_reason"}));
    FTZ_RETURN_IF_ERROR(
        r.Duration(*c, "cancellation", "after_release", &rules.cancel_after_release_ms));
    FTZ_RETURN_IF_ERROR(
        r.Bool(*c, "cancellation", "require_reason", &rules.cancel_requires_reason));
  }
  FTZ_RETURN_IF_ERROR(st);

  if (const toml::table* m = r.Table(root, "match", &st)) {
    FTZ_RETURN_IF_ERROR(r.CheckKeys(*m, "match", {"compare_freight"}));
    FTZ_RETURN_IF_ERROR(r.Bool(*m, "match", "compare_freight", &rules.match_freight));
  }
  FTZ_RETURN_IF_ERROR(st);

  if (const toml::table* s = r.Table(root, "selectivity", &st)) {
    FTZ_RETURN_IF_ERROR(r.CheckKeys(*s, "selectivity", {"salt", "red", "yellow", "blue"}));
    FTZ_RETURN_IF_ERROR(r.String(*s, "selectivity", "salt", &rules.selectivity_salt, true));
    FTZ_RETURN_IF_ERROR(ReadLaneRates(r, *s, "red", &rules.red));
    FTZ_RETURN_IF_ERROR(ReadLaneRates(r, *s, "yellow", &rules.yellow));
    FTZ_RETURN_IF_ERROR(ReadLaneRates(r, *s, "blue", &rules.blue));
  }
  FTZ_RETURN_IF_ERROR(st);

  if (const toml::table* z = r.Table(root, "zones", &st)) {
    for (const auto& [k, v] : *z) {
      std::vector<std::string> prefixes;
      FTZ_RETURN_IF_ERROR(r.StringArray(*z, "zones", k.str(), &prefixes));
      if (prefixes.empty()) return r.Error("zones." + std::string(k.str()), &v, "empty zone");
      rules.zones[std::string(k.str())] = std::move(prefixes);
    }
  }
  FTZ_RETURN_IF_ERROR(st);

  FTZ_RETURN_IF_ERROR(ReadArrayOfTables(r, root, "profile", &rules.profiles, ReadProfile));
  FTZ_RETURN_IF_ERROR(ReadArrayOfTables(r, root, "tax_rate", &rules.tax_rates, ReadTaxRate));
  FTZ_RETURN_IF_ERROR(ReadArrayOfTables(r, root, "positive", &rules.positive_list, ReadPositive));

  if (const toml::table* t = r.Table(root, "tables", &st)) {
    FTZ_RETURN_IF_ERROR(r.CheckKeys(*t, "tables", {"positive_list_csv", "tax_rates_csv"}));
    for (std::string_view key : {"positive_list_csv", "tax_rates_csv"}) {
      std::string path;
      FTZ_RETURN_IF_ERROR(r.String(*t, "tables", key, &path, false));
      if (path.empty()) continue;
      if (!read_table) {
        return r.Error("tables." + std::string(key), t->get(key),
                       "names a table file but no table reader was given");
      }
      Result<std::string> text = read_table(path);
      if (!text.ok()) {
        return r.Error("tables." + std::string(key), t->get(key),
                       "cannot read " + path + ": " + text.status().message());
      }
      Status loaded = key == "positive_list_csv" ? AppendPositiveListCsv(*text, path, &rules)
                                                 : AppendTaxRatesCsv(*text, path, &rules);
      FTZ_RETURN_IF_ERROR(loaded);
    }
  }
  FTZ_RETURN_IF_ERROR(st);

  Status fin = rules.Finalize();
  if (!fin.ok()) return Status(fin.code(), "rules " + std::string(name) + ": " + fin.message());
  return rules;
}

// ---------------------------------------------------------------------------
// CSV tables.

namespace {

// RFC 4180 records: quoted fields may hold commas, quotes ("") and newlines.
Result<std::vector<std::vector<std::string>>> ParseCsv(std::string_view text,
                                                       std::string_view name) {
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> row;
  std::string field;
  bool quoted = false, field_started = false;
  size_t line = 1;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (quoted) {
      if (c == '"') {
        if (i + 1 < text.size() && text[i + 1] == '"') {
          field.push_back('"');
          ++i;
        } else {
          quoted = false;
        }
      } else {
        if (c == '\n') ++line;
        field.push_back(c);
      }
      continue;
    }
    if (c == '"' && !field_started) {
      quoted = field_started = true;
    } else if (c == ',') {
      row.push_back(std::move(field));
      field.clear();
      field_started = false;
    } else if (c == '\n' || c == '\r') {
      if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
      row.push_back(std::move(field));
      field.clear();
      field_started = false;
      if (!(row.size() == 1 && row[0].empty())) rows.push_back(std::move(row));
      row.clear();
      ++line;
    } else {
      field.push_back(c);
      field_started = true;
    }
  }
  if (quoted) {
    return Status::InvalidArgument("table " + std::string(name) + ": unterminated quote (line " +
                                   std::to_string(line) + ")");
  }
  if (field_started || !row.empty()) {
    row.push_back(std::move(field));
    rows.push_back(std::move(row));
  }
  return rows;
}

std::string Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return std::string(s);
}

// Column lookup by any of several header spellings (English id or Chinese).
class CsvColumns {
 public:
  CsvColumns(const std::vector<std::string>& header) {
    for (size_t i = 0; i < header.size(); ++i) index_[Trim(header[i])] = i;
  }
  std::optional<size_t> Find(std::initializer_list<std::string_view> names) const {
    for (std::string_view n : names) {
      auto it = index_.find(std::string(n));
      if (it != index_.end()) return it->second;
    }
    return std::nullopt;
  }

 private:
  std::map<std::string, size_t> index_;
};

std::string Cell(const std::vector<std::string>& row, std::optional<size_t> col) {
  if (!col || *col >= row.size()) return {};
  return Trim(row[*col]);
}

Status CsvError(std::string_view name, size_t row, std::string_view column, std::string_view msg) {
  return Status::InvalidArgument("table " + std::string(name) + " row " + std::to_string(row) +
                                 " column " + std::string(column) + ": " + std::string(msg));
}

}  // namespace

Status AppendPositiveListCsv(std::string_view csv, std::string_view name, Rules* rules) {
  Result<std::vector<std::vector<std::string>>> rows = ParseCsv(csv, name);
  if (!rows.ok()) return rows.status();
  if (rows->empty()) return Status::InvalidArgument("table " + std::string(name) + ": empty");
  CsvColumns cols((*rows)[0]);
  auto c_line = cols.Find({"tariff_line", "税则号列"});
  auto c_name = cols.Find({"name", "货品名称", "商品名称"});
  auto c_remarks = cols.Find({"remarks", "备注"});
  auto c_qty = cols.Find({"annual_qty", "年度限量"});
  auto c_unit = cols.Find({"annual_qty_unit", "限量单位"});
  auto c_from = cols.Find({"from", "生效日期"});
  auto c_until = cols.Find({"until", "失效日期"});
  auto c_zones = cols.Find({"zones", "试点区域"});
  if (!c_line) {
    return Status::InvalidArgument("table " + std::string(name) +
                                   ": no tariff_line (税则号列) column in the header");
  }
  for (size_t i = 1; i < rows->size(); ++i) {
    const std::vector<std::string>& row = (*rows)[i];
    size_t rn = i + 1;  // 1-based, header is row 1
    PositiveListEntry e;
    std::string line = Cell(row, c_line);
    if (line.size() != 8 || !AllDigits(line)) {
      return CsvError(name, rn, "tariff_line", "expected 8 digits, got \"" + line + "\"");
    }
    e.tariff_line = DigitsValue(line);
    e.name = Cell(row, c_name);
    e.remarks = Cell(row, c_remarks);
    if (std::string q = Cell(row, c_qty); !q.empty()) {
      Result<Decimal> d = Decimal::Parse(q);
      if (!d.ok() || *d <= Decimal())
        return CsvError(name, rn, "annual_qty", "not a positive number");
      e.annual_qty = *d;
      e.annual_qty_unit = Cell(row, c_unit);
      if (e.annual_qty_unit.empty()) return CsvError(name, rn, "annual_qty_unit", "missing");
    }
    if (std::string f = Cell(row, c_from); !f.empty()) {
      Result<UnixMillis> d = ParseCstDate(f);
      if (!d.ok()) return CsvError(name, rn, "from", d.status().message());
      e.from = *d;
    }
    if (std::string u = Cell(row, c_until); !u.empty()) {
      Result<UnixMillis> d = ParseCstDate(u);
      if (!d.ok()) return CsvError(name, rn, "until", d.status().message());
      e.until = *d;
    }
    if (std::string z = Cell(row, c_zones); !z.empty()) {
      size_t start = 0;
      while (start <= z.size()) {
        size_t end = z.find(';', start);
        if (end == std::string::npos) end = z.size();
        std::string zone = Trim(std::string_view(z).substr(start, end - start));
        if (!zone.empty()) e.zones.push_back(zone);
        start = end + 1;
      }
    }
    rules->positive_list.push_back(std::move(e));
  }
  return Status::Ok();
}

Status AppendTaxRatesCsv(std::string_view csv, std::string_view name, Rules* rules) {
  Result<std::vector<std::vector<std::string>>> rows = ParseCsv(csv, name);
  if (!rows.ok()) return rows.status();
  if (rows->empty()) return Status::InvalidArgument("table " + std::string(name) + ": empty");
  CsvColumns cols((*rows)[0]);
  auto c_prefix = cols.Find({"prefix", "税则号列"});
  auto c_vat = cols.Find({"vat", "增值税率"});
  auto c_ct = cols.Find({"consumption", "消费税率"});
  auto c_mfn = cols.Find({"mfn", "最惠国税率"});
  auto c_min = cols.Find({"consumption_min_unit_price", "消费税起征单价"});
  auto c_name = cols.Find({"name", "货品名称", "商品名称"});
  auto c_source = cols.Find({"source", "来源"});
  if (!c_prefix || !c_vat) {
    return Status::InvalidArgument("table " + std::string(name) +
                                   ": header needs prefix (税则号列) and vat (增值税率)");
  }
  for (size_t i = 1; i < rows->size(); ++i) {
    const std::vector<std::string>& row = (*rows)[i];
    size_t rn = i + 1;
    TaxRate t;
    t.prefix = Cell(row, c_prefix);
    if (t.prefix.size() < 2 || t.prefix.size() > 8 || !AllDigits(t.prefix)) {
      return CsvError(name, rn, "prefix", "expected 2 to 8 digits, got \"" + t.prefix + "\"");
    }
    Result<Ppm> vat = ParsePercent(Cell(row, c_vat));
    if (!vat.ok()) return CsvError(name, rn, "vat", vat.status().message());
    t.vat = *vat;
    if (std::string ct = Cell(row, c_ct); !ct.empty()) {
      Result<Ppm> p = ParsePercent(ct);
      if (!p.ok()) return CsvError(name, rn, "consumption", p.status().message());
      t.consumption = *p;
    }
    if (std::string mfn = Cell(row, c_mfn); !mfn.empty()) {
      Result<Ppm> p = ParsePercent(mfn);
      if (!p.ok()) return CsvError(name, rn, "mfn", p.status().message());
      t.mfn = *p;
    }
    if (std::string m = Cell(row, c_min); !m.empty()) {
      Result<Decimal> d = Decimal::Parse(m);
      if (!d.ok()) return CsvError(name, rn, "consumption_min_unit_price", d.status().message());
      t.consumption_min_unit_price = *d;
    }
    t.name = Cell(row, c_name);
    t.source = Cell(row, c_source);
    rules->tax_rates.push_back(std::move(t));
  }
  return Status::Ok();
}

// ---------------------------------------------------------------------------
// RuleBook.

Status RuleBook::Add(Rules rules) {
  for (const auto& v : versions_) {
    if (v->version == rules.version) {
      return Status::AlreadyExists("rules version " + rules.version + " already loaded");
    }
    if (v->effective_from == rules.effective_from) {
      return Status::AlreadyExists("rules " + rules.version + " and " + v->version +
                                   " take effect at the same moment");
    }
  }
  auto p = std::make_shared<const Rules>(std::move(rules));
  auto pos = std::upper_bound(
      versions_.begin(), versions_.end(), p->effective_from,
      [](UnixMillis t, const std::shared_ptr<const Rules>& r) { return t < r->effective_from; });
  versions_.insert(pos, std::move(p));
  return Status::Ok();
}

const Rules* RuleBook::InForceAt(UnixMillis t) const {
  const Rules* found = nullptr;
  for (const auto& v : versions_) {
    if (v->effective_from <= t) found = v.get();
  }
  return found;
}

UnixMillis RuleBook::NextEffectiveAfter(UnixMillis t) const {
  for (const auto& v : versions_) {
    if (v->effective_from > t) return v->effective_from;  // sorted
  }
  return 0;
}

const Rules* RuleBook::Find(std::string_view version) const {
  for (const auto& v : versions_) {
    if (v->version == version) return v.get();
  }
  return nullptr;
}

}  // namespace ftz::clearance
