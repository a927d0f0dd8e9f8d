// The case driver: runs every case file in src/clearance/testdata/*.case
// through the pure rule core (the core run). The format and the player are in
// clearance/testing/case_file.h; engine/engine_cases_test.cc runs the same
// stories through the engine and compares the receipts.
//
// Each case file runs twice from scratch and the two transcripts of
// decisions must be identical (the determinism check).
#include <gtest/gtest.h>

#include <string>

#include "clearance/testing/case_file.h"

namespace ftz::clearance {
namespace {

using testing::CaseFiles;
using testing::CaseRun;

class CaseFileTest : public ::testing::TestWithParam<std::string> {};

TEST_P(CaseFileTest, Run) {
  std::filesystem::path path = testing::SourceDir() / "src" / "clearance" / "testdata" / GetParam();
  Result<std::string> text = testing::ReadFile(path);
  ASSERT_TRUE(text.ok()) << text.status().ToString();
  CaseRun first(GetParam());
  first.Run(*text);
  for (const std::string& f : first.failures()) ADD_FAILURE() << f;
  EXPECT_GT(first.expectations(), 0) << "a case without expectations cannot fail";
  // Determinism: a second run from scratch decides everything identically.
  CaseRun second(GetParam());
  second.Run(*text);
  ASSERT_EQ(first.transcript().size(), second.transcript().size());
  for (size_t i = 0; i < first.transcript().size(); ++i) {
    EXPECT_EQ(first.transcript()[i], second.transcript()[i]);
  }
}

INSTANTIATE_TEST_SUITE_P(Cases, CaseFileTest, ::testing::ValuesIn(CaseFiles()),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           return testing::CaseTestName(info.param);
                         });

TEST(CaseFiles, Found) { EXPECT_GE(CaseFiles().size(), 10u) << testing::SourceDir(); }

}  // namespace
}  // namespace ftz::clearance
