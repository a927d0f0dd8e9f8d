#include "ceb/code_lists.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace ftz::ceb {
namespace {

TEST(CodeListsTest, EachListKnowsItsCodesAndNothingNearThem) {
  EXPECT_TRUE(IsValidCode(CodeList::kCurrency, "142"));  // CNY
  EXPECT_TRUE(IsValidCode(CodeList::kCountry, "502"));   // USA
  EXPECT_TRUE(IsValidCode(CodeList::kUnit, "011"));      // 件
  EXPECT_TRUE(IsValidCode(CodeList::kTradeMode, "9610"));
  EXPECT_TRUE(IsValidCode(CodeList::kTradeMode, "1210"));
  const std::string_view nears[] = {"14", "1420", "142 ", " 142", "", std::string_view("142\0", 4)};
  for (std::string_view near : nears) {
    EXPECT_FALSE(IsValidCode(CodeList::kCurrency, near)) << "'" << near << "'";
  }
  EXPECT_FALSE(IsValidCode(CodeList::kCurrency, "999"));
  EXPECT_FALSE(IsValidCode(CodeList::kTradeMode, "961"));
  EXPECT_FALSE(IsValidCode(CodeList::kTradeMode, "96100"));
  EXPECT_FALSE(IsValidCode(CodeList::kCountry, "a-code-far-longer-than-any-in-the-table"));
}

TEST(CodeListsTest, AnOperatorsTablesReplaceTheDefaultsLongCodesIncluded) {
  const std::string dir = std::filesystem::temp_directory_path() /
                          ("ftz-code-lists-test-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::ofstream(dir + "/currencies-numeric.csv") << "curr_code,name\n142,CNY\nLONGCODE12,test\n";
  ASSERT_TRUE(LoadCodeTables(dir).ok());
  EXPECT_TRUE(IsValidCode(CodeList::kCurrency, "142"));
  EXPECT_TRUE(IsValidCode(CodeList::kCurrency, "LONGCODE12"));
  EXPECT_FALSE(IsValidCode(CodeList::kCurrency, "LONGCODE1"));
  EXPECT_FALSE(IsValidCode(CodeList::kCurrency, "502")) << "USD is gone from this table";
  EXPECT_TRUE(IsValidCode(CodeList::kCountry, "502")) << "a missing file keeps its default";
  std::filesystem::remove_all(dir);
  // Back to the compiled-in tables for the tests after this one.
  ASSERT_TRUE(LoadCodeTables("/nonexistent").ok());
  EXPECT_TRUE(IsValidCode(CodeList::kCurrency, "502"));
}

}  // namespace
}  // namespace ftz::ceb
