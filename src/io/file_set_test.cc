#include "io/file_set.h"

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <sys/stat.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "io/io_testing.h"
#include "vit/error.h"

namespace vit::io {
namespace {

namespace fs = std::filesystem;

// Everything in `dir` but the lock, by name.
std::vector<std::string> Names(const fs::path& dir) {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.path().filename() != ".vit-lock") names.push_back(e.path().filename().string());
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
  EXPECT_EQ(Names(tmp / "out"), (std::vector<std::string>{"a", "data"})) << "no journal left";
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

// --- a set with a manifest, committed in place (the journal) ---------------------------------------------

void Put(const fs::path& path, std::string_view text) {
  fs::create_directories(path.parent_path());
  testing::WriteFile(path, text);
}

FileSetOptions WithManifest(bool in_place = true) {
  return {.manifest = "set.json", .earlier_names = {"a", "b", "c"}, .earlier_marker = "a", .in_place = in_place};
}

// Writes a set {name: text} as one run would, streaming each file to its staged path.
void WriteSet(const fs::path& dir, const std::vector<std::pair<std::string, std::string>>& files, bool in_place = true) {
  FileSet set(dir, WithManifest(in_place));
  for (const auto& [name, text] : files) Put(set.Stage(name), text);
  set.Commit({{"rows", files.size()}});
}

nlohmann::json Manifest(const fs::path& dir) { return nlohmann::json::parse(testing::ReadFile(dir / "set.json")); }

TEST(FileSet, ANewSetWithAManifestReplacesTheEarlierOneWhole) {
  for (const bool in_place : {true, false}) {
    testing::TempDir tmp;
    const fs::path dir = tmp / "out";
    WriteSet(dir, {{"a", "1"}, {"b", "1"}}, in_place);
    EXPECT_EQ(FileSet::Generation(dir, "set.json"), 1);
    WriteSet(dir, {{"a", "2"}}, in_place);
    EXPECT_EQ(testing::ReadFile(dir / "a"), "2");
    EXPECT_FALSE(fs::exists(dir / "b")) << "a file of the earlier set that the new one lacks goes";
    const nlohmann::json m = Manifest(dir);
    EXPECT_EQ(m["generation"], 2);
    EXPECT_EQ(m["rows"], 1);
    EXPECT_EQ(m["files"], nlohmann::json::array({"a"}));
    EXPECT_EQ(m["removed"], nlohmann::json::array({"b"}));
    EXPECT_EQ(Names(dir), (std::vector<std::string>{"a", "set.json"})) << "in_place " << in_place;
    EXPECT_EQ(Names(tmp.path()), std::vector<std::string>{"out"});
  }
}

TEST(FileSet, InPlaceTheFolderItselfStays) {
  testing::TempDir tmp;
  const fs::path dir = tmp / "out";
  WriteSet(dir, {{"a", "1"}});
  struct stat before{}, after{};
  ASSERT_EQ(::stat(dir.c_str(), &before), 0);
  WriteSet(dir, {{"a", "2"}});
  ASSERT_EQ(::stat(dir.c_str(), &after), 0);
  EXPECT_EQ(before.st_ino, after.st_ino);
  EXPECT_EQ(testing::ReadFile(dir / "a"), "2");
}

TEST(FileSet, FilesOfAnEarlierWriterWithoutAManifestGoOnlyBesideItsMarker) {
  testing::TempDir tmp;
  Put(tmp / "ours" / "a", "old");
  Put(tmp / "ours" / "b", "old");
  Put(tmp / "ours" / "mine", "keep");
  Put(tmp / "theirs" / "b", "keep");
  WriteSet(tmp / "ours", {{"a", "new"}});
  WriteSet(tmp / "theirs", {{"c", "new"}});
  EXPECT_FALSE(fs::exists(tmp / "ours" / "b"));
  EXPECT_EQ(testing::ReadFile(tmp / "ours" / "mine"), "keep");
  EXPECT_EQ(testing::ReadFile(tmp / "theirs" / "b"), "keep") << "no marker: the folder never held the set";
}

TEST(FileSet, WithoutCommitTheEarlierSetStaysAndNothingIsLeft) {
  testing::TempDir tmp;
  const fs::path dir = tmp / "out";
  WriteSet(dir, {{"a", "1"}});
  {
    FileSet set(dir, WithManifest());
    Put(set.Stage("a"), "partial");
  }
  EXPECT_EQ(testing::ReadFile(dir / "a"), "1");
  EXPECT_EQ(Names(dir), (std::vector<std::string>{"a", "set.json"}));
}

TEST(FileSet, AKilledWritersStagingGoesAndItsCommitIsCompleted) {
  testing::TempDir tmp;
  const fs::path dir = tmp / "out";
  WriteSet(dir, {{"a", "1"}, {"b", "1"}});
  // Killed while staging: the next writer removes the folder.
  Put(dir / ".vit-staging-999999" / "a", "junk");
  // Killed after the commit point, with "a" already moved: the next writer completes the moves and removals.
  Put(dir / "a", "3");
  Put(dir / ".vit-commit" / "c", "3");
  Put(dir / ".vit-commit" / "set.json", R"({"generation": 2, "files": ["a", "c"]})");
  Put(dir / ".vit-commit" / ".vit-journal",
                     R"({"files": ["a", "c", "set.json"], "removed": ["b", "../outside"]})");
  Put(tmp / "outside", "keep");
  { FileSet set(dir, WithManifest()); }  // recovers, then abandons its own set
  EXPECT_EQ(testing::ReadFile(dir / "a"), "3");
  EXPECT_EQ(testing::ReadFile(dir / "c"), "3");
  EXPECT_FALSE(fs::exists(dir / "b"));
  EXPECT_TRUE(fs::exists(tmp / "outside")) << "a journal never reaches outside the folder";
  EXPECT_EQ(FileSet::Generation(dir, "set.json"), 2);
  EXPECT_EQ(Names(dir), (std::vector<std::string>{"a", "c", "set.json"}));
}

// A commit left by a writer that kept no journal: its manifest lists the set and the removals.
TEST(FileSet, ACommitWithoutAJournalIsCompletedFromItsManifest) {
  testing::TempDir tmp;
  const fs::path dir = tmp / "out";
  WriteSet(dir, {{"a", "1"}, {"b", "1"}});
  Put(dir / ".vit-commit" / "c", "3");
  Put(dir / ".vit-commit" / "set.json", R"({"generation": 2, "files": ["c"], "removed": ["a", "b"]})");
  RecoverFileSet(dir, "set.json");
  EXPECT_EQ(Names(dir), (std::vector<std::string>{"c", "set.json"}));
  EXPECT_EQ(FileSet::Generation(dir, "set.json"), 2);
}

TEST(FileSet, TwoWritersOfOneFolderAreRefused) {
  testing::TempDir tmp;
  FileSet first(tmp / "out");
  try {
    FileSet second(tmp / "out");
    ADD_FAILURE() << "a second writer was let in";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("another run is writing this folder"), std::string::npos) << e.what();
  }
  first.Write("a", "1");
  first.Commit();
  EXPECT_EQ(testing::ReadFile(tmp / "out" / "a"), "1");
}

TEST(FileSet, NamesOutsideTheFolderOrOfItsOwnFilesAreRefused) {
  testing::TempDir tmp;
  FileSet set(tmp / "out", WithManifest());
  for (const std::string name : {"../a", "", ".", "x/y", ".vit-lock", ".vit-journal", "set.json"})
    EXPECT_THROW(set.Stage(name), Error) << name;
}

TEST(FileSet, AManifestThatIsNotJsonNamesItself) {
  testing::TempDir tmp;
  Put(tmp / "out" / "set.json", "garbage");
  FileSet set(tmp / "out", WithManifest());
  set.Write("a", "1");
  try {
    set.Commit();
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("set.json: not a JSON object"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace vit::io
