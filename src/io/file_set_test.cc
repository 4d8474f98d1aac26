#include "io/file_set.h"

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>

#include "io/io_testing.h"
#include "vit/error.h"

namespace vit::io {
namespace {

namespace fs = std::filesystem;

// Everything in `dir` but the set's own files, by name.
std::vector<std::string> Names(const fs::path& dir) {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

TEST(FileSet, CreatesThenReplacesTheSetKeepingOtherFiles) {
  testing::TempDir tmp;
  const fs::path dir = tmp / "head";
  {
    FileSet set(dir);
    set.Write("a", "old a");
    set.Write("b", "old b");
    set.Commit();
  }
  EXPECT_EQ(testing::ReadFile(dir / "a"), "old a");
  testing::WriteFile(dir / "notes.txt", "mine");
  {
    FileSet set(dir);
    set.Write("a", "new a");
    set.Write("b", "new b");
    EXPECT_EQ(testing::ReadFile(dir / "a"), "old a") << "nothing changes before Commit";
    set.Commit();
  }
  EXPECT_EQ(testing::ReadFile(dir / "a"), "new a");
  EXPECT_EQ(testing::ReadFile(dir / "b"), "new b");
  EXPECT_EQ(testing::ReadFile(dir / "notes.txt"), "mine");
  EXPECT_EQ(Names(tmp.path()), std::vector<std::string>{"head"}) << "no staging folder left";
}

TEST(FileSet, AnAbandonedSetLeavesTheOldOneAndNoTemporaryFiles) {
  testing::TempDir tmp;
  const fs::path dir = tmp / "index";
  {
    FileSet set(dir);
    set.Write("x", "old");
    set.Commit();
  }
  {
    FileSet set(dir);
    set.Write("x", "new");
  }  // no Commit: an error in between
  EXPECT_EQ(testing::ReadFile(dir / "x"), "old");
  EXPECT_EQ(Names(tmp.path()), std::vector<std::string>{"index"});
}

// A full disk (here a file-size limit, which fails write() the same way) names the file and the reason.
TEST(FileSet, AFailedWriteNamesTheFileAndTheReason) {
  testing::TempDir tmp;
  const fs::path dir = tmp / "index";
  auto* previous = std::signal(SIGXFSZ, SIG_IGN);
  rlimit old_limit{};
  ::getrlimit(RLIMIT_FSIZE, &old_limit);
  rlimit small = old_limit;
  small.rlim_cur = 1000;
  ::setrlimit(RLIMIT_FSIZE, &small);
  std::string error;
  try {
    FileSet set(dir);
    set.Write("index.faiss", std::string(5000, 'x'));
    set.Commit();
  } catch (const Error& e) {
    error = e.what();
  }
  ::setrlimit(RLIMIT_FSIZE, &old_limit);
  std::signal(SIGXFSZ, previous);
  EXPECT_EQ(error, "cannot write " + (dir / "index.faiss").string() + ": File too large");
  EXPECT_TRUE(Names(tmp.path()).empty()) << "no staging folder left";
}

TEST(FileSet, AFolderHoldingFoldersHasItsFilesReplacedOneByOne) {
  testing::TempDir tmp;
  fs::create_directories(tmp / "out" / "data");
  testing::WriteFile(tmp / "out" / "data" / "x.png", "picture");
  testing::WriteFile(tmp / "out" / "a", "old");
  {
    FileSet set(tmp / "out");
    set.Write("a", "new");
    set.Commit();
  }
  EXPECT_EQ(testing::ReadFile(tmp / "out" / "a"), "new");
  EXPECT_EQ(testing::ReadFile(tmp / "out" / "data" / "x.png"), "picture");
  EXPECT_EQ(Names(tmp.path()), std::vector<std::string>{"out"});
}

// A writer killed with SIGKILL leaves its staging folder; the next writer of the folder removes it, but
// not one whose process still runs (another writer's set in progress).
TEST(FileSet, TheNextWriterRemovesStagingFoldersOfDeadProcesses) {
  testing::TempDir tmp;
  const pid_t child = ::fork();
  if (child == 0) ::_exit(0);
  ASSERT_GT(child, 0);
  ::waitpid(child, nullptr, 0);  // a pid that no longer runs
  const std::string dead = ".head.staging-" + std::to_string(child) + "-0";
  const std::string dead_old = ".head.staging-" + std::to_string(child) + "-1.old";
  const std::string alive = ".head.staging-1-0";  // init: always running
  const std::string other = ".tail.staging-" + std::to_string(child) + "-0";
  for (const auto& name : {dead, dead_old, alive, other}) {
    fs::create_directories(tmp / name);
    testing::WriteFile(tmp / name / "a", "partial");
  }
  {
    FileSet set(tmp / "head");
    set.Write("a", "new");
    set.Commit();
  }
  std::vector<std::string> expected{alive, other, "head"};
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(Names(tmp.path()), expected);
}

}  // namespace
}  // namespace vit::io
