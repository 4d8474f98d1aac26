#include "output_set.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <fstream>
#include <sstream>

namespace vit::tool {
namespace {

namespace fs = std::filesystem;

class OutputSetTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "vit_output_set_XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { fs::remove_all(dir_); }

  static void Write(const fs::path& path, const std::string& text) { std::ofstream(path) << text; }
  static std::string Read(const fs::path& path) {
    std::ifstream in(path);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }
  // Writes a set {name: text} as one run would.
  void Run(const std::vector<std::pair<std::string, std::string>>& files) {
    OutputSet set(dir_, "set.json", {"a", "b", "c"}, "a");
    for (const auto& [name, text] : files) Write(set.Stage(name), text);
    set.Commit({{"rows", files.size()}});
  }
  std::vector<std::string> Hidden() const {
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(dir_)) {
      const std::string n = e.path().filename().string();
      if (n.starts_with(".vit-staging") || n.starts_with(".vit-commit")) names.push_back(n);
    }
    return names;
  }

  fs::path dir_;
};

TEST_F(OutputSetTest, ANewSetReplacesTheEarlierOneWhole) {
  Run({{"a", "1"}, {"b", "1"}});
  EXPECT_EQ(OutputSet::Generation(dir_, "set.json"), 1);
  Run({{"a", "2"}});
  EXPECT_EQ(Read(dir_ / "a"), "2");
  EXPECT_FALSE(fs::exists(dir_ / "b"));
  EXPECT_EQ(OutputSet::Generation(dir_, "set.json"), 2);
  EXPECT_TRUE(Hidden().empty());
}

TEST_F(OutputSetTest, WithoutCommitTheEarlierSetStaysAndNothingIsLeft) {
  Run({{"a", "1"}});
  {
    OutputSet set(dir_, "set.json", {}, "a");
    Write(set.Stage("a"), "partial");
  }
  EXPECT_EQ(Read(dir_ / "a"), "1");
  EXPECT_TRUE(Hidden().empty());
}

TEST_F(OutputSetTest, AKilledRunsStagingGoesAndItsCommitIsCompleted) {
  Run({{"a", "1"}, {"b", "1"}});
  // Killed while staging: the next run removes the folder.
  fs::create_directory(dir_ / ".vit-staging-999999");
  Write(dir_ / ".vit-staging-999999" / "a", "junk");
  // Killed after the commit point, with "a" already moved: the next run completes the move and the removals.
  fs::create_directory(dir_ / ".vit-commit");
  Write(dir_ / "a", "3");
  Write(dir_ / ".vit-commit" / "c", "3");
  Write(dir_ / ".vit-commit" / "set.json",
        R"({"generation": 2, "files": ["a", "c"], "removed": ["b", "../outside"]})");
  Write(dir_.parent_path() / "outside", "keep");
  RecoverOutputSet(dir_, "set.json");
  EXPECT_EQ(Read(dir_ / "a"), "3");
  EXPECT_EQ(Read(dir_ / "c"), "3");
  EXPECT_FALSE(fs::exists(dir_ / "b"));
  EXPECT_TRUE(fs::exists(dir_.parent_path() / "outside")) << "a manifest never reaches outside the folder";
  fs::remove(dir_.parent_path() / "outside");
  EXPECT_EQ(OutputSet::Generation(dir_, "set.json"), 2);
  EXPECT_TRUE(Hidden().empty());
}

TEST_F(OutputSetTest, TwoRunsOnOneFolderAreRefused) {
  OutputSet first(dir_, "set.json", {}, "a");
  EXPECT_THROW(OutputSet(dir_, "set.json", {}, "a"), std::exception);
}

}  // namespace
}  // namespace vit::tool
