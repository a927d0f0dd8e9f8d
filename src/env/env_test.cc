#include "env/env.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>

#include "env/fault_injection_env.h"

namespace ftz {
namespace {

class EnvTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("ftz-env-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string Path(const std::string& name) const { return dir_ + "/" + name; }

  std::string dir_;
};

// A page-aligned buffer of `n` bytes of `c` (what O_DIRECT asks for).
std::unique_ptr<char, decltype(&std::free)> Aligned(size_t n, char c) {
  std::unique_ptr<char, decltype(&std::free)> p(static_cast<char*>(std::aligned_alloc(4096, n)),
                                                &std::free);
  std::memset(p.get(), c, n);
  return p;
}

void ExpectUncachedFileHoldsWhatWasAppended(Env* env, const std::string& path) {
  auto f = env->NewUncachedFile(path);
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  auto a = Aligned(8192, 'a');
  ASSERT_TRUE((*f)->Append(std::string_view(a.get(), 8192)).ok());  // direct where it can
  ASSERT_TRUE((*f)->Append("tail").ok());                           // through the page cache
  ASSERT_TRUE((*f)->Append(std::string_view(a.get(), 4096)).ok());  // after an unaligned end
  ASSERT_TRUE((*f)->Sync().ok());
  EXPECT_EQ((*f)->Size(), 8192u + 4 + 4096);
  ASSERT_TRUE((*f)->Close().ok());
  auto data = env->ReadFile(path);
  ASSERT_TRUE(data.ok());
  EXPECT_EQ(*data, std::string(8192, 'a') + "tail" + std::string(4096, 'a'));
}

TEST_F(EnvTest, AnUncachedFileHoldsAlignedAndUnalignedAppendsInOrder) {
  ExpectUncachedFileHoldsWhatWasAppended(Env::Default(), Path("uncached"));
}

TEST_F(EnvTest, AnUncachedFileWorksOnTmpfsToo) {
  // tmpfs refused O_DIRECT before Linux 6.6 (the file is then written through
  // the page cache) and accepts it since; either way every byte is there.
  if (!std::filesystem::is_directory("/dev/shm")) GTEST_SKIP() << "no /dev/shm here";
  const std::string path = "/dev/shm/ftz-env-test-" + std::to_string(::getpid());
  ExpectUncachedFileHoldsWhatWasAppended(Env::Default(), path);
  std::filesystem::remove(path);
}

TEST_F(EnvTest, PaddingInPlaceWritesZerosThatTheNextAppendWritesOver) {
  Env* env = Env::Default();
  const std::string path = Path("segment");
  {
    auto f = env->NewAppendableFile(path);
    ASSERT_TRUE(f.ok());
    ASSERT_TRUE((*f)->Append(std::string(8192, 'z')).ok());
    ASSERT_TRUE((*f)->Close().ok());
  }
  auto f = env->ReopenWritableFile(path, 10);
  ASSERT_TRUE(f.ok());
  ASSERT_TRUE((*f)->AppendPadded("first", 4096 - 15).ok());
  EXPECT_EQ((*f)->Size(), 15u) << "the zeros are not counted";
  auto data = env->ReadFile(path);
  ASSERT_TRUE(data.ok());
  EXPECT_EQ(*data,
            std::string(10, 'z') + "first" + std::string(4096 - 15, '\0') + std::string(4096, 'z'));
  ASSERT_TRUE((*f)->AppendPadded("second", 0).ok());
  EXPECT_EQ((*f)->Size(), 21u);
  ASSERT_TRUE((*f)->Close().ok());
  data = env->ReadFile(path);
  ASSERT_TRUE(data.ok());
  EXPECT_EQ(data->size(), 8192u) << "written over in place, never extended";
  EXPECT_EQ(data->substr(0, 4096),
            std::string(10, 'z') + "firstsecond" + std::string(4096 - 21, '\0'));
}

TEST_F(EnvTest, AnAppendedFileIgnoresPadding) {
  Env* env = Env::Default();
  const std::string path = Path("appended");
  auto f = env->NewAppendableFile(path);
  ASSERT_TRUE(f.ok());
  ASSERT_TRUE((*f)->AppendPadded("abc", 100).ok());
  ASSERT_TRUE((*f)->AppendPadded("def", 100).ok());
  ASSERT_TRUE((*f)->Close().ok());
  auto data = env->ReadFile(path);
  ASSERT_TRUE(data.ok());
  EXPECT_EQ(*data, "abcdef");
}

TEST_F(EnvTest, ACrashAfterPaddingLeavesZerosFromTheSyncedLengthOn) {
  FaultInjectionEnv env(Env::Default());
  const std::string path = Path("segment");
  {
    auto f = env.NewUncachedFile(path);
    ASSERT_TRUE(f.ok());
    auto zeros = Aligned(8192, '\0');
    ASSERT_TRUE((*f)->Append(std::string_view(zeros.get(), 8192)).ok());
    ASSERT_TRUE((*f)->Sync().ok());
    ASSERT_TRUE((*f)->Close().ok());
  }
  auto f = env.ReopenWritableFile(path, 0);
  ASSERT_TRUE(f.ok());
  ASSERT_TRUE((*f)->AppendPadded("durable", 4096 - 7).ok());
  ASSERT_TRUE((*f)->Sync().ok());
  ASSERT_TRUE((*f)->AppendPadded("lost", 4096 - 11).ok());
  ASSERT_TRUE(env.DropUnsyncedData().ok());
  auto data = env.ReadFile(path);
  ASSERT_TRUE(data.ok());
  EXPECT_EQ(*data, "durable" + std::string(8192 - 7, '\0'));
}

}  // namespace
}  // namespace ftz
