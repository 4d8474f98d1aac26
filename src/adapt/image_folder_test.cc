#include <gtest/gtest.h>

#include <fstream>

#include "adapt/adapt_testing.h"
#include "vit/error.h"
#include "vit/probe.h"

namespace vit {
namespace {
namespace fs = std::filesystem;

void Touch(const fs::path& p) {
  fs::create_directories(p.parent_path());
  std::ofstream(p) << "x";
}

TEST(ScanImageFolder, OrdersClassesAndFilesAsTorchvision) {
  const fs::path root = adapt::testing_util::FreshDir("data");
  Touch(root / "dog" / "b.png");
  Touch(root / "dog" / "a.JPG");  // extensions match case-insensitively
  Touch(root / "dog" / "sub" / "c.webp");
  Touch(root / "dog" / "notes.txt");
  Touch(root / "Cat" / "z.jpeg");  // "C" < "d": byte order, as Python's sorted()
  Touch(root / "stray.png");       // files at the top are not classes
  const ImageFolder f = ScanImageFolder(root);
  EXPECT_EQ(f.classes, (std::vector<std::string>{"Cat", "dog"}));
  ASSERT_EQ(f.files.size(), 4u);
  EXPECT_EQ(f.files[0], root / "Cat" / "z.jpeg");
  EXPECT_EQ(f.files[1], root / "dog" / "a.JPG");
  EXPECT_EQ(f.files[2], root / "dog" / "b.png");
  EXPECT_EQ(f.files[3], root / "dog" / "sub" / "c.webp");
  EXPECT_EQ(f.labels, (std::vector<int>{0, 1, 1, 1}));
}

TEST(ScanImageFolder, RefusesEmptyClassesAndMissingFolders) {
  const fs::path root = adapt::testing_util::FreshDir("data");
  Touch(root / "a" / "1.png");
  fs::create_directories(root / "empty");
  Touch(root / "texts" / "readme.txt");
  try {
    ScanImageFolder(root);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("empty, texts"), std::string::npos) << e.what();
  }
  EXPECT_THROW(ScanImageFolder(root / "nope"), Error);
  const fs::path flat = adapt::testing_util::FreshDir("flat");
  Touch(flat / "1.png");
  EXPECT_THROW(ScanImageFolder(flat), Error);
}

TEST(ScanImageFolder, ValidationUsesTrainingIds) {
  const fs::path root = adapt::testing_util::FreshDir("val");
  Touch(root / "c" / "1.png");
  const ImageFolder f = ScanImageFolder(root, {"a", "b", "c"});
  EXPECT_EQ(f.labels, (std::vector<int>{2}));
  Touch(root / "zebra" / "1.png");
  EXPECT_THROW(ScanImageFolder(root, {"a", "b", "c"}), Error);
}

TEST(ListImageFiles, ExpandsFoldersAndKeepsFiles) {
  const fs::path root = adapt::testing_util::FreshDir("inputs");
  Touch(root / "d" / "2.gif");
  Touch(root / "d" / "1.png");
  Touch(root / "d" / "x.txt");
  Touch(root / "single.bin");
  const std::vector<std::string> inputs = {(root / "single.bin").string(), (root / "d").string()};
  const auto files = ListImageFiles(inputs);
  ASSERT_EQ(files.size(), 3u);
  EXPECT_EQ(files[0], root / "single.bin");
  EXPECT_EQ(files[1], root / "d" / "1.png");
  EXPECT_EQ(files[2], root / "d" / "2.gif");
  const std::vector<std::string> missing = {(root / "missing.png").string()};
  EXPECT_THROW(ListImageFiles(missing), Error);
}

}  // namespace
}  // namespace vit
