// The clearance rules as data: one versioned, immutable rule set.
//
// Every number the decisions depend on lives here, not in code — the limits
// of 财关税〔2018〕49号, the tax-rate table, the positive list, the risk
// profiles and lane rates, the waiting deadline, the return window — so that
// a policy change is a new rules file with a new version and effective date,
// and a replay uses the rules that were in force (RuleBook::InForceAt).
//
// Loading: `ParseRules(toml_text, name, read_table)` parses the TOML text of a
// rules file (format in docs/clearance.md and data/rules/default.toml). This
// module does no I/O: the edge reads the file; if the rules file names CSV
// tables (`[tables]`, the operator's copy of the official positive list and
// rate table), they are read through the `read_table` callback the caller
// supplies. Any error is a Status naming the key (and line), e.g.
// `rules default.toml: limits.single (line 12): expected a decimal string`.
//
// Rates are integers in parts per million (13% = 130000), money is Decimal;
// no binary floating point is accepted anywhere in the file (a TOML float is
// an error), so a rate reads exactly as written.
//
// Thread safety: a Rules value is immutable after Finalize(); share it freely
// between threads by const reference.
#pragma once

#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/decimal.h"
#include "core/status.h"
#include "core/time.h"

namespace ftz::clearance {

// A rate in parts per million: 13% = 130'000, 9.1% = 91'000.
using Ppm = int32_t;
inline constexpr Ppm kPpmOne = 1'000'000;

inline constexpr UnixMillis kBeginningOfTime = std::numeric_limits<UnixMillis>::min();
inline constexpr UnixMillis kEndOfTime = std::numeric_limits<UnixMillis>::max();

// Risk channels (WCO Revised Kyoto Convention, General Annex ch. 6; ASYCUDA).
// Declared in increasing severity: when several apply, the largest wins.
enum class Lane : uint8_t {
  kGreen = 0,   // release (800)
  kBlue = 1,    // release (800), post-clearance audit
  kYellow = 2,  // documentary check by an officer (300 人工审核)
  kRed = 3,     // physical inspection (500 查验)
};
std::string_view LaneName(Lane lane);
bool ParseLane(std::string_view text, Lane* out);

// One row of the tax-rate table, keyed by a prefix (2-8 digits) of the 8-digit
// tariff line; the longest matching prefix applies.
struct TaxRate {
  std::string prefix;
  Ppm vat = 0;          // import VAT (增值税)
  Ppm consumption = 0;  // ad valorem consumption tax (消费税); 0 if none
  // MFN import tariff (最惠国税率). Needed only on the full-tax path (one
  // indivisible item over the single limit); absent: such a list is refused
  // rather than taxed at a guessed tariff.
  std::optional<Ppm> mfn;
  // Consumption tax applies only at or above this unit price (e.g. 高档手表:
  // 10,000 CNY per piece, 财税〔2006〕33号). Zero: always.
  Decimal consumption_min_unit_price;
  std::string name;
  std::string source;
};

// One entry of the positive list (跨境电子商务零售进口商品清单).
struct PositiveListEntry {
  uint32_t tariff_line = 0;  // the 8-digit 税则号列 as a number
  std::string name;
  std::string remarks;
  // Per-person annual quantity limit (e.g. "每人每年不超过 2 千克"), counted in
  // `annual_qty_unit` (a unit code, e.g. 035 kg).
  std::optional<Decimal> annual_qty;
  std::string annual_qty_unit;
  UnixMillis from = kBeginningOfTime;  // in force from (inclusive)
  UnixMillis until = kEndOfTime;       // in force until (exclusive)
  // Empty: everywhere. Otherwise a pilot entry (试点, e.g. OTC drugs in the
  // Hangzhou pilot of the construction plan, task 1), limited to these zone
  // names of Rules::zones.
  std::vector<std::string> zones;
};

// A risk profile: all of its set conditions must hold for it to match; a
// match routes the list to `lane` (at `rate`, a reproducible sample).
struct RiskProfile {
  std::string name;
  Lane lane = Lane::kYellow;
  std::vector<std::string> hs_prefixes;  // any line's gcode starts with one of them
  std::vector<std::string> origins;      // any line's country (origin) is one of them
  std::vector<std::string> ebp_codes, ebc_codes, agent_codes, trade_modes;
  std::optional<Decimal> min_value, max_value;  // customs value of the list (inclusive)
  std::optional<Decimal> min_buyer_used;        // buyer's annual amount used before this list
  std::optional<uint32_t> min_buyer_lists;      // buyer's lists counted this year before this one
  bool consignee_differs = false;  // order consignee is not the buyer (代购 indicator)
  Ppm rate = kPpmOne;              // share of matching lists routed (100% by default)
};

// Per lane: the share the monitoring aims at (target) and the floor of purely
// random selection applied to every list, whatever the profiles say.
struct LaneRates {
  Ppm target = 0;
  Ppm min_random = 0;
};

struct Rules {
  std::string version;  // e.g. "cn-2019.1-partial"; printed in every decision
  std::string title;
  UnixMillis effective_from = kBeginningOfTime;  // CST midnight of the date

  // 财关税〔2018〕49号 (from 2019-01-01).
  Decimal single_limit;        // per transaction, customs value
  Decimal annual_limit;        // per buyer ID number and CST calendar year
  Ppm reduced_rate = 700'000;  // VAT and CT charged at 70% within limits
  bool indivisible_item_full_tax = true;

  int64_t list_wait_ms = 0;             // how long a list waits for its documents
  int64_t return_window_ms = 0;         // 海关总署公告2020年第45号: 30 days from release
  int64_t cancel_after_release_ms = 0;  // 0: a released list cannot be cancelled
  bool cancel_requires_reason = true;   // -623012 撤单原因为空

  bool match_freight = true;  // list freight/insuredFee = waybill's = order freight

  std::string selectivity_salt;
  LaneRates red, yellow, blue;
  std::vector<RiskProfile> profiles;

  std::map<std::string, std::vector<std::string>> zones;  // name -> customs-code prefixes
  std::vector<TaxRate> tax_rates;
  std::vector<PositiveListEntry> positive_list;

  // Validates cross-field invariants and builds the lookup indexes; called by
  // ParseRules, and by a test that builds Rules by hand.
  Status Finalize();

  // The rate for a gcode (its first 8 digits), longest prefix; nullptr if none.
  const TaxRate* FindTaxRate(std::string_view gcode) const;
  // Every positive-list entry for a tariff line (all editions and zones).
  std::span<const PositiveListEntry> ListingsFor(uint32_t tariff_line) const;
  // Whether a customs code (the list's customsCode) lies in a named zone.
  bool InZone(std::string_view zone, std::string_view customs_code) const;

 private:
  std::unordered_map<uint64_t, size_t> rate_index_;  // (len << 32 | prefix) -> row
  uint32_t rate_prefix_lengths_ = 0;                 // bit k: some prefix has k digits
};

// Reads a CSV table named in `[tables]`; returns its text. Supplied by the
// edge (a file read) or a test (a map).
using TableReader = std::function<Result<std::string>(std::string_view path)>;

// Parses and validates a rules file. `name` is used in error messages.
// `read_table` may be empty when the file has no `[tables]` section.
Result<Rules> ParseRules(std::string_view toml_text, std::string_view name = "rules",
                         const TableReader& read_table = {});

// The CSV forms of the official tables (docs/clearance.md, "Loading the
// official tables"). Header names in English or Chinese; UTF-8, optional BOM.
// Rows are appended to `rules`; call Finalize() afterwards.
Status AppendPositiveListCsv(std::string_view csv, std::string_view name, Rules* rules);
Status AppendTaxRatesCsv(std::string_view csv, std::string_view name, Rules* rules);

// Small exact parsers shared with the tests and the case driver.
// "13%" / "0.5%" / "9.1%" -> ppm (at most 4 fraction digits of a percent).
Result<Ppm> ParsePercent(std::string_view text);
// "24h", "30d", "90m", "15s", "250ms", "0s", "23h59m" -> milliseconds; at
// most 100 years (a window added to a record's time never overflows).
Result<int64_t> ParseDuration(std::string_view text);
// "2019-01-01" or "20190101" -> CST midnight.
Result<UnixMillis> ParseCstDate(std::string_view text);
// First 8 digits of a gcode as a number; false unless they are 8 digits.
bool TariffLineOf(std::string_view gcode, uint32_t* out);
// The 8-digit spelling of a tariff line number: 4021000 -> "04021000".
std::string TariffLineText(uint32_t line);

// All versions of the rules a deployment has had, for replay: the version in
// force at a moment is the one with the latest effective_from <= that moment.
class RuleBook {
 public:
  // AlreadyExists for a duplicate version or effective date.
  Status Add(Rules rules);
  // nullptr before the first version takes effect.
  const Rules* InForceAt(UnixMillis t) const;
  // When the first version after `t` takes effect (0: none is scheduled).
  UnixMillis NextEffectiveAfter(UnixMillis t) const;
  const Rules* Find(std::string_view version) const;
  size_t size() const { return versions_.size(); }
  // Version i, in order of effective date (i < size()).
  const Rules& At(size_t i) const { return *versions_[i]; }

 private:
  std::vector<std::shared_ptr<const Rules>> versions_;  // sorted by effective_from
};

}  // namespace ftz::clearance
