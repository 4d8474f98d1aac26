#include "io/mapped_file.h"

#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <string>

#include "io/io_testing.h"
#include "vit/error.h"

namespace vit::io {
namespace {

TEST(MappedFile, MapsContentsAndSize) {
  testing::TempDir dir;
  testing::WriteFile(dir / "a.bin", "hello");
  MappedFile file(dir / "a.bin");
  ASSERT_EQ(file.size(), 5u);
  EXPECT_EQ(std::memcmp(file.data(), "hello", 5), 0);
  file.ReleasePages();
  EXPECT_EQ(std::memcmp(file.data(), "hello", 5), 0);  // faulted back in from the file

  MappedFile moved(std::move(file));
  EXPECT_EQ(moved.size(), 5u);
  EXPECT_EQ(file.size(), 0u);  // NOLINT(bugprone-use-after-move): moved-from state is specified
}

TEST(MappedFile, ReleasedRangesStayReadable) {
  testing::TempDir dir;
  std::string text(3 * 4096 + 100, 'a');
  for (size_t i = 0; i < text.size(); ++i) text[i] = static_cast<char>('a' + i % 26);
  testing::WriteFile(dir / "pages.bin", text);
  MappedFile file(dir / "pages.bin");
  file.ReleaseRange(file.data() + 10, 2 * 4096);  // the one whole page inside is dropped
  file.ReleaseRange(file.data() + 4000, 1);       // no whole page: nothing to do
  file.ReleaseRange(file.data() + file.size() - 10, 100);  // runs past the end: ignored
  const std::byte outside[8] = {};
  file.ReleaseRange(outside, sizeof outside);  // not in the mapping: ignored
  EXPECT_EQ(std::memcmp(file.data(), text.data(), text.size()), 0);
}

TEST(MappedFile, CopyOutReadsTheFileAndRefusesOneThatShrank) {
  testing::TempDir dir;
  std::string text(2 * 4096 + 300, 'a');
  for (size_t i = 0; i < text.size(); ++i) text[i] = static_cast<char>('a' + i * 7 % 26);
  testing::WriteFile(dir / "w.bin", text);
  MappedFile file(dir / "w.bin");
  std::string out(4400, '?');
  file.CopyOut(file.data() + 4000, 4400, reinterpret_cast<std::byte*>(out.data()));  // across a page boundary
  EXPECT_EQ(out, text.substr(4000, 4400));
  EXPECT_THROW(file.CopyOut(file.data() + 4000, 4493, reinterpret_cast<std::byte*>(out.data())), Error);
  const char outside[] = "not in the file";
  file.CopyOut(reinterpret_cast<const std::byte*>(outside), 6, reinterpret_cast<std::byte*>(out.data()));
  EXPECT_EQ(out.substr(0, 6), "not in");

  MappedFile moved(std::move(file));  // the descriptor moves with the mapping
  moved.CopyOut(moved.data(), 3, reinterpret_cast<std::byte*>(out.data()));
  EXPECT_EQ(out.substr(0, 3), text.substr(0, 3));

  std::filesystem::resize_file(dir / "w.bin", 4096);  // replaced or truncated while loading
  try {
    moved.CopyOut(moved.data() + 4000, 200, reinterpret_cast<std::byte*>(out.data()));
    FAIL() << "read past the file's new end";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kIo);
    EXPECT_NE(std::string(e.what()).find("shorter than when it was opened"), std::string::npos) << e.what();
  }
}

TEST(MappedFile, EmptyFileHasNoBytes) {
  testing::TempDir dir;
  testing::WriteFile(dir / "empty", "");
  MappedFile file(dir / "empty");
  EXPECT_EQ(file.size(), 0u);
  EXPECT_EQ(file.data(), nullptr);
  EXPECT_TRUE(file.bytes().empty());
}

TEST(MappedFile, MissingFileAndFolderAreErrors) {
  testing::TempDir dir;
  try {
    MappedFile file(dir / "nope");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kNotFound);
    EXPECT_NE(std::string(e.what()).find("nope"), std::string::npos);
  }
  try {
    MappedFile file(dir.path());
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kIo);
  }
}

}  // namespace
}  // namespace vit::io
