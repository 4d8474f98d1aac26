#include "io/zip_reader.h"

#include <gtest/gtest.h>

#include "io/io_testing.h"
#include "vit/error.h"

namespace vit::io {
namespace {

ZipArchive Open(const std::string& bytes) { return ZipArchive(std::as_bytes(std::span(bytes.data(), bytes.size())), "t.zip"); }

std::string Text(const ZipEntry& e) { return std::string(reinterpret_cast<const char*>(e.data.data()), e.data.size()); }

TEST(ZipReader, ListsStoredEntriesPlainAndZip64) {
  for (bool zip64 : {false, true}) {
    const std::string bytes = testing::StoredZip({{"a/data.pkl", "pickle"}, {"a/data/0", std::string(100, 'x')},
                                                  {"empty", ""}}, zip64);
    ZipArchive zip = Open(bytes);
    ASSERT_EQ(zip.entries().size(), 3u);
    ASSERT_NE(zip.Find("a/data.pkl"), nullptr);
    EXPECT_EQ(Text(*zip.Find("a/data.pkl")), "pickle");
    EXPECT_EQ(zip.Find("a/data/0")->data.size(), 100u);
    EXPECT_TRUE(zip.Find("empty")->data.empty());
    EXPECT_EQ(zip.Find("a/data/1"), nullptr);
    EXPECT_NO_THROW(zip.VerifyCrc(*zip.Find("a/data/0")));
  }
}

TEST(ZipReader, FindsTheEndRecordBehindAComment) {
  std::string bytes = testing::StoredZip({{"x", "1"}});
  bytes[bytes.size() - 2] = 5;  // comment length
  bytes += "hello";
  EXPECT_EQ(Text(*Open(bytes).Find("x")), "1");
}

TEST(ZipReader, RefusesLiesAboutSizesAndOffsets) {
  const std::string good = testing::StoredZip({{"x", "12345678"}});
  auto expect_error = [](const std::string& bytes, const std::string& text) {
    try {
      Open(bytes);
      ADD_FAILURE() << "opened";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(text), std::string::npos) << e.what();
    }
  };
  const size_t central = good.find(std::string("PK\x01\x02", 4));
  const size_t end = good.find(std::string("PK\x05\x06", 4));
  std::string bytes = good;
  bytes[central + 24] = 100;  // uncompressed size 100 > file
  bytes[central + 20] = 100;
  expect_error(bytes, "entry data");
  bytes = good;
  bytes[central + 42] = 50;  // local header offset
  expect_error(bytes, "local header");
  bytes = good;
  bytes[end + 10] = 9;  // 9 entries in a one-entry directory
  expect_error(bytes, "claims 9 entries");
  bytes = good;
  bytes[end + 16] = 1;  // directory offset
  expect_error(bytes, "malformed");
  bytes = good;
  bytes[end + 12] = 127;  // directory size runs past the file
  expect_error(bytes, "central directory");
  bytes = good;
  bytes[end + 4] = 1;  // disk number
  expect_error(bytes, "multi-disk");
  expect_error("PK\x05\x06", "too short");
  expect_error(std::string(100, 'z'), "no zip end-of-central-directory");
  bytes = good;
  bytes[central + 30] = 8;  // extra field length points into the next record
  expect_error(bytes, "runs past the directory");
  bytes = good;
  bytes[good.find("12345678")] = '0';
  ZipArchive zip = Open(bytes);
  EXPECT_THROW(zip.VerifyCrc(*zip.Find("x")), Error);
}

}  // namespace
}  // namespace vit::io
