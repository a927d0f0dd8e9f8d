// Fuzz target: any bytes as the clearance rules TOML an operator posts
// (POST /v1/admin/rules -> clearance::ParseRules(body, "rules"), no table
// reader), and, when the input has a line "#@csv", the part before it as a
// rules file whose [tables] are read through a table reader that returns the
// part after it (what `serve` does with the operator's CSV copies of the
// official tables): "<A>\n#@csv\n<B>" serves A for a path containing
// "positive" and B for any other ("missing.csv" is NotFound); the tables are
// also fed to AppendPositiveListCsv and AppendTaxRatesCsv directly.
//
// Properties (besides no crash, no exception escaping, no sanitizer report):
//  * errors are Status values (InvalidArgument, or AlreadyExists for a
//    duplicate tax-rate prefix), never a crash;
//  * accepted rules satisfy what the engine relies on: Finalize() holds
//    again, limits, durations and rates in range, each lane's min_random
//    within its target, the positive list sorted and every zone defined;
//  * the lookups agree with the tables: FindTaxRate on a rate's own prefix
//    finds a rate at least that specific, ListingsFor finds each entry;
//  * parsing is deterministic and the version can be added to a RuleBook.
//
// libFuzzer (clang, -DFTZ_FUZZ=ON):  build/fuzz/fuzz/rules_fuzz fuzz/corpus/rules
// CI replays the committed corpus with any compiler: ctest -R rules_fuzz_replay
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "clearance/rules.h"

namespace {

using ftz::Result;
using ftz::Status;
using ftz::StatusCode;
namespace clearance = ftz::clearance;

void Check(bool ok, const char* what) {
  if (!ok) __builtin_trap();
  (void)what;
}

constexpr std::string_view kCsvMarker = "\n#@csv\n";

bool ErrorKindOk(const Status& s) {
  return s.code() == StatusCode::kInvalidArgument || s.code() == StatusCode::kAlreadyExists;
}

void CheckRules(const clearance::Rules& r) {
  clearance::Rules copy = r;
  Check(copy.Finalize().ok(), "accepted rules finalize again");
  Check(!r.version.empty(), "a version");
  Check(r.single_limit > ftz::Decimal() && r.annual_limit >= r.single_limit, "limits");
  Check(r.reduced_rate >= 0 && r.reduced_rate <= clearance::kPpmOne, "reduced rate");
  Check(r.list_wait_ms > 0 && r.return_window_ms > 0 && r.cancel_after_release_ms >= 0,
        "durations");
  int64_t random_sum = 0;
  for (const clearance::LaneRates* l : {&r.red, &r.yellow, &r.blue}) {
    Check(l->min_random >= 0 && l->min_random <= l->target && l->target <= clearance::kPpmOne,
          "lane rates");
    random_sum += l->min_random;
  }
  Check(random_sum <= clearance::kPpmOne, "random floors add up to at most 100%");
  for (const clearance::RiskProfile& p : r.profiles) {
    Check(!p.name.empty() && p.lane != clearance::Lane::kGreen, "profile name and lane");
    Check(p.rate >= 0 && p.rate <= clearance::kPpmOne, "profile rate");
  }
  for (const clearance::TaxRate& t : r.tax_rates) {
    Check(t.prefix.size() >= 2 && t.prefix.size() <= 8, "prefix length");
    Check(t.vat >= 0 && t.vat <= clearance::kPpmOne, "vat");
    Check(t.consumption >= 0 && t.consumption < clearance::kPpmOne, "consumption");
    Check(!t.mfn || (*t.mfn >= 0 && *t.mfn <= clearance::kPpmOne), "mfn");
    std::string gcode = t.prefix;
    gcode.resize(10, '0');
    const clearance::TaxRate* found = r.FindTaxRate(gcode);
    Check(found != nullptr && found->prefix.size() >= t.prefix.size() &&
              gcode.starts_with(found->prefix),
          "FindTaxRate finds the longest matching prefix");
  }
  Check(std::is_sorted(r.positive_list.begin(), r.positive_list.end(),
                       [](const auto& a, const auto& b) { return a.tariff_line < b.tariff_line; }),
        "positive list sorted");
  for (const clearance::PositiveListEntry& e : r.positive_list) {
    Check(e.tariff_line <= 99'999'999 && e.from < e.until, "entry line and dates");
    for (const std::string& z : e.zones) Check(r.zones.contains(z), "entry zones defined");
    auto listings = r.ListingsFor(e.tariff_line);
    Check(std::any_of(listings.begin(), listings.end(),
                      [&](const clearance::PositiveListEntry& x) { return &x == &e; }),
          "ListingsFor finds the entry");
    uint32_t line = 0;
    Check(clearance::TariffLineOf(clearance::TariffLineText(e.tariff_line), &line) &&
              line == e.tariff_line,
          "tariff line text round trip");
  }
  clearance::RuleBook book;
  Check(book.Add(r).ok() && book.Find(r.version) != nullptr, "a RuleBook takes the version");
}

void Parse(std::string_view toml, const clearance::TableReader& reader) {
  Result<clearance::Rules> r = clearance::ParseRules(toml, "rules", reader);
  if (!r.ok()) {
    Check(ErrorKindOk(r.status()), "errors are InvalidArgument or AlreadyExists");
    return;
  }
  CheckRules(*r);
  Result<clearance::Rules> again = clearance::ParseRules(toml, "rules", reader);
  Check(again.ok() && again->version == r->version && again->effective_from == r->effective_from &&
            again->tax_rates.size() == r->tax_rates.size() &&
            again->positive_list.size() == r->positive_list.size() &&
            again->profiles.size() == r->profiles.size(),
        "parsing is deterministic");
}

void Csv(std::string_view csv) {
  clearance::Rules rules;
  Status a = clearance::AppendPositiveListCsv(csv, "positive.csv", &rules);
  Check(a.ok() || a.code() == StatusCode::kInvalidArgument, "CSV errors are InvalidArgument");
  Status b = clearance::AppendTaxRatesCsv(csv, "rates.csv", &rules);
  Check(b.ok() || b.code() == StatusCode::kInvalidArgument, "CSV errors are InvalidArgument");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  Parse(in, {});  // the operator's POST: no table reader
  const size_t marker = in.find(kCsvMarker);
  if (marker != std::string_view::npos) {
    // One table, or two: "<positive list>\n#@csv\n<rate table>".
    const std::string_view csv = in.substr(marker + kCsvMarker.size());
    const size_t second = csv.find(kCsvMarker);
    const std::string_view first_table = csv.substr(0, second);
    const std::string_view second_table =
        second == std::string_view::npos ? csv : csv.substr(second + kCsvMarker.size());
    Parse(in.substr(0, marker + 1), [=](std::string_view path) -> Result<std::string> {
      if (path == "missing.csv") return Status::NotFound("no such file");
      return std::string(path.find("positive") != std::string_view::npos ? first_table
                                                                         : second_table);
    });
    Csv(first_table);
    if (second != std::string_view::npos) Csv(second_table);
  }
  return 0;
}
