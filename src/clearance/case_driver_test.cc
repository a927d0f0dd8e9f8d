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

// The driver's own checks can fail: a wrong value, a prefix of a number, a
// part of a mismatch, and expectations that would check nothing are each
// reported, never passed.
TEST(CaseDriver, ExpectationsThatMustNotPass) {
  const std::string story = R"(rules default +norandom
time 2026-03-04T10:00:00
purchase w5 lines=0402210000*1@100 freight=10
order w5
payment w5
waybill w5
list w5 freight=8
)";
  auto failures = [&](const std::string& expect) {
    CaseRun run("driver");
    run.Run(story + expect + "\n");
    return run.failures();
  };
  // The story as it is: this passes.
  EXPECT_TRUE(failures("expect list w5 mismatch=\"list.freight 8 != waybill.freight 10\"").empty());
  const char* must_fail[] = {
      "expect list w5 mismatch=\"list.freight 8 != waybill.freight 1\"",  // a prefix
      "expect list w5 mismatch=\"list.freight 8\"",                       // a part
      "expect list w5 info~=\"-62100\"",                                  // inside -621001
      "expect list w5 info~=\"621001\"",                                  // signed: -621001
      "expect list w5 info~=\"\"",                                        // matches anything
      "expect list w5 status=800",
      "expect quota 330106199001011234 2026",                // checks nothing
      "expect quota 330106199001011234 2026 kind=04022100",  // checks nothing
      "expect lanes w gren=0..0",                            // no such lane
      "expect lanes w reason=random",                        // no list outside green
  };
  for (const char* e : must_fail) EXPECT_FALSE(failures(e).empty()) << e;
}

TEST(CaseFiles, Found) { EXPECT_GE(CaseFiles().size(), 10u) << testing::SourceDir(); }

}  // namespace
}  // namespace ftz::clearance
