#include "clearance/rules.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

namespace ftz::clearance {
namespace {

std::string DefaultRulesText() {
  std::filesystem::path root = std::getenv("FTZ_SOURCE_DIR") ? std::getenv("FTZ_SOURCE_DIR") : ".";
  std::ifstream in(root / "data" / "rules" / "default.toml");
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A minimal valid file; tests append or replace pieces of it.
constexpr std::string_view kMinimal = R"(
version = "t1"
effective_from = 2019-01-01
[limits]
single = "5000"
annual = "26000"
reduced_rate = "70%"
[deadline]
list_wait = "24h"
[return]
window = "30d"
)";

Status ParseError(std::string_view text) {
  Result<Rules> r = ParseRules(text, "t.toml");
  return r.ok() ? Status::Ok() : r.status();
}

TEST(Rules, DefaultFileLoadsWithThePublishedNumbers) {
  std::string text = DefaultRulesText();
  ASSERT_FALSE(text.empty()) << "data/rules/default.toml not found (FTZ_SOURCE_DIR)";
  Result<Rules> r = ParseRules(text, "default.toml");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->single_limit, Decimal::FromInt(5000));
  EXPECT_EQ(r->annual_limit, Decimal::FromInt(26000));
  EXPECT_EQ(r->reduced_rate, 700'000);
  EXPECT_EQ(r->return_window_ms, 30LL * 86'400'000);
  EXPECT_TRUE(r->indivisible_item_full_tax);
  const TaxRate* lipstick = r->FindTaxRate("3304100000");
  ASSERT_NE(lipstick, nullptr);
  EXPECT_EQ(lipstick->vat, 130'000);
  EXPECT_EQ(lipstick->consumption, 150'000);
  const TaxRate* milk = r->FindTaxRate("1901101000");
  ASSERT_NE(milk, nullptr);
  EXPECT_EQ(milk->consumption, 0);
  EXPECT_EQ(r->FindTaxRate("0101210010"), nullptr);  // live horses: not in the table
  uint32_t line = 0;
  ASSERT_TRUE(TariffLineOf("3304100000", &line));
  EXPECT_EQ(r->ListingsFor(line).size(), 1u);
}

TEST(Rules, LongestPrefixWins) {
  Rules r;
  r.version = "t";
  r.single_limit = Decimal::FromInt(5000);
  r.annual_limit = Decimal::FromInt(26000);
  r.list_wait_ms = 1;
  r.return_window_ms = 1;
  r.tax_rates = {{"33", 130'000, 0, {}, {}, "", ""},
                 {"3304", 130'000, 150'000, {}, {}, "", ""},
                 {"33041000", 90'000, 0, {}, {}, "", ""}};
  ASSERT_TRUE(r.Finalize().ok());
  EXPECT_EQ(r.FindTaxRate("3304100000")->prefix, "33041000");
  EXPECT_EQ(r.FindTaxRate("3304990000")->prefix, "3304");
  EXPECT_EQ(r.FindTaxRate("3307100000")->prefix, "33");
  EXPECT_EQ(r.FindTaxRate("3401100000"), nullptr);
  EXPECT_EQ(r.FindTaxRate("33x4"), r.FindTaxRate("33"));  // non-digits stop the match
  r.tax_rates.push_back({"3304", 1, 0, {}, {}, "", ""});
  EXPECT_EQ(r.Finalize().code(), StatusCode::kAlreadyExists);
}

TEST(Rules, PercentsAreExact) {
  EXPECT_EQ(*ParsePercent("13%"), 130'000);
  EXPECT_EQ(*ParsePercent("9.1%"), 91'000);
  EXPECT_EQ(*ParsePercent("0.5%"), 5'000);
  EXPECT_EQ(*ParsePercent("23.0588%"), 230'588);
  EXPECT_EQ(*ParsePercent("100%"), 1'000'000);
  EXPECT_EQ(*ParsePercent("0%"), 0);
  EXPECT_FALSE(ParsePercent("13").ok());
  EXPECT_FALSE(ParsePercent("101%").ok());
  EXPECT_FALSE(ParsePercent("1.23456%").ok());
  EXPECT_FALSE(ParsePercent("-1%").ok());
  EXPECT_FALSE(ParsePercent("%").ok());
  EXPECT_FALSE(ParsePercent("1e2%").ok());
}

TEST(Rules, Durations) {
  EXPECT_EQ(*ParseDuration("24h"), 86'400'000);
  EXPECT_EQ(*ParseDuration("30d"), 30LL * 86'400'000);
  EXPECT_EQ(*ParseDuration("15m"), 900'000);
  EXPECT_EQ(*ParseDuration("250ms"), 250);
  EXPECT_EQ(*ParseDuration("0s"), 0);
  EXPECT_EQ(*ParseDuration("23h59m"), 86'340'000);
  EXPECT_EQ(*ParseDuration("1m1ms"), 60'001);
  EXPECT_FALSE(ParseDuration("24").ok());
  EXPECT_FALSE(ParseDuration("1w").ok());
  EXPECT_FALSE(ParseDuration("").ok());
  EXPECT_FALSE(ParseDuration("h").ok());
  EXPECT_FALSE(ParseDuration("-1h").ok());
  // Bounded: 100 years at most, however many parts (found by rules_fuzz: the
  // sum of 107 parts of 999999999d overflowed, and one crafted sum wrapped
  // round to 1 h).
  EXPECT_EQ(*ParseDuration("36500d"), 36500LL * 86'400'000);
  EXPECT_FALSE(ParseDuration("36501d").ok());
  std::string many;
  for (int i = 0; i < 107; ++i) many += "999999999d";
  Result<int64_t> r = ParseDuration(many);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("longer than 100 years"), std::string::npos);
}

TEST(Rules, ErrorsNameTheKeyAndLine) {
  std::string text(kMinimal);
  // A float would go through binary floating point: refused.
  std::string bad = text;
  bad.replace(bad.find("single = \"5000\""), 15, "single = 5000.0");
  Status st = ParseError(bad);
  EXPECT_NE(st.message().find("limits.single (line 5)"), std::string::npos) << st.message();

  st = ParseError(text + "[match]\ncompare_fright = true\n");
  EXPECT_NE(st.message().find("match.compare_fright (line 13): unknown key"), std::string::npos)
      << st.message();

  bad = text;
  bad.erase(bad.find("[return]"));
  st = ParseError(bad);
  EXPECT_NE(st.message().find("return.window"), std::string::npos) << st.message();

  st = ParseError(text + "[[profile]]\nname = \"p\"\nlane = \"purple\"\norigin = [\"502\"]\n");
  EXPECT_NE(st.message().find("profile[0].lane"), std::string::npos) << st.message();

  st = ParseError(text + "[[profile]]\nname = \"p\"\nlane = \"red\"\n");
  EXPECT_NE(st.message().find("at least one condition"), std::string::npos) << st.message();

  st = ParseError(text + "[[positive]]\ntariff_line = \"3004909\"\n");
  EXPECT_NE(st.message().find("positive[0].tariff_line"), std::string::npos) << st.message();

  st = ParseError(text + "[[positive]]\ntariff_line = \"30049090\"\nzones = [\"mars\"]\n");
  EXPECT_NE(st.message().find("zone \"mars\""), std::string::npos) << st.message();

  st = ParseError(text + "[[tax_rate]]\nprefix = \"3304\"\nvat = 0.13\n");
  EXPECT_NE(st.message().find("tax_rate[0].vat"), std::string::npos) << st.message();

  st =
      ParseError(text + "[[tax_rate]]\nprefix = \"3304\"\nvat = \"13%\"\nconsumption = \"100%\"\n");
  EXPECT_NE(st.message().find("tax_rate[0].consumption"), std::string::npos) << st.message();

  st = ParseError(text +
                  "[selectivity]\nsalt = \"s\"\nred = { target = \"1%\", min_random = \"2%\" }\n");
  EXPECT_NE(st.message().find("selectivity.red.min_random"), std::string::npos) << st.message();

  st = ParseError(text + "[limits2\n");
  EXPECT_NE(st.message().find("(line 12)"), std::string::npos) << st.message();

  bad = text;
  bad.replace(bad.find("annual = \"26000\""), 16, "annual = \"4000\"");
  st = ParseError(bad);
  EXPECT_NE(st.message().find("limits.annual"), std::string::npos) << st.message();
}

TEST(Rules, OfficialTablesLoadFromCsvThroughTheReader) {
  std::map<std::string, std::string> files = {
      {"positive.csv",
       "\xEF\xBB\xBF税则号列,货品名称,备注,年度限量,限量单位,生效日期,失效日期,试点区域\n"
       "04021000,\"脂肪含量≤1.5%的固状乳, 奶油\",,,,2019-01-01,,\n"
       "17019910,砂糖,每人每年限量2千克,2,035,20190101,,\n"
       "30049090,非处方药,试点,,,2019-01-01,2030-01-01,hangzhou\n"},
      {"rates.csv",
       "prefix,vat,consumption,mfn,consumption_min_unit_price,name,source\n"
       "0402,13%,,,,奶粉,test\n"
       "9102,13%,20%,10%,10000,手表,test\n"},
  };
  TableReader reader = [&files](std::string_view path) -> Result<std::string> {
    auto it = files.find(std::string(path));
    if (it == files.end()) return Status::NotFound("no file");
    return it->second;
  };
  std::string text =
      std::string(kMinimal) +
      "[zones]\nhangzhou = [\"29\"]\n"
      "[tables]\npositive_list_csv = \"positive.csv\"\ntax_rates_csv = \"rates.csv\"\n";
  Result<Rules> r = ParseRules(text, "t.toml", reader);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->positive_list.size(), 3u);
  EXPECT_EQ(r->positive_list[0].name, "脂肪含量≤1.5%的固状乳, 奶油");
  EXPECT_EQ(r->positive_list[1].annual_qty, Decimal::FromInt(2));
  EXPECT_EQ(r->positive_list[2].zones, std::vector<std::string>{"hangzhou"});
  EXPECT_EQ(r->positive_list[2].until, *ParseCstDate("2030-01-01"));
  const TaxRate* watch = r->FindTaxRate("9102110000");
  ASSERT_NE(watch, nullptr);
  EXPECT_EQ(watch->mfn, 100'000);
  EXPECT_EQ(watch->consumption_min_unit_price, Decimal::FromInt(10000));

  // No reader: the key that needs one is named.
  Result<Rules> no_reader = ParseRules(text, "t.toml");
  EXPECT_NE(no_reader.status().message().find("tables.positive_list_csv"), std::string::npos);

  // A bad row names the table, row and column.
  files["rates.csv"] = "prefix,vat\n0402,13%\n3304,13\n";
  Result<Rules> bad = ParseRules(text, "t.toml", reader);
  EXPECT_NE(bad.status().message().find("table rates.csv row 3 column vat"), std::string::npos)
      << bad.status().message();
}

TEST(Rules, RuleBookPicksTheVersionInForce) {
  auto make = [](std::string version, const char* date) {
    Rules r;
    r.version = std::move(version);
    r.effective_from = *ParseCstDate(date);
    return r;
  };
  RuleBook book;
  ASSERT_TRUE(book.Add(make("2022", "2022-03-01")).ok());
  ASSERT_TRUE(book.Add(make("2019", "2019-01-01")).ok());
  EXPECT_EQ(book.Add(make("2019", "2020-01-01")).code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(book.InForceAt(*ParseCstDate("2018-12-31")), nullptr);
  EXPECT_EQ(book.InForceAt(*ParseCstDate("2019-01-01"))->version, "2019");
  EXPECT_EQ(book.InForceAt(*ParseCstDate("2022-02-28"))->version, "2019");
  EXPECT_EQ(book.InForceAt(*ParseCstDate("2022-03-01"))->version, "2022");
  EXPECT_EQ(book.Find("2022")->version, "2022");
  // CST midnight: 2022-03-01 00:00 CST is 2022-02-28 16:00 UTC.
  EXPECT_EQ(*ParseCstDate("2022-03-01"), int64_t{1646092800000} - 8 * 3600 * 1000);
}

}  // namespace
}  // namespace ftz::clearance
