#include "adapt/feature_cache.h"

#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <thread>

#include "adapt/adapt_testing.h"

namespace vit::adapt {
namespace {

TEST(FeatureCache, RemembersAcrossInstancesAndRespectsStamps) {
  const auto dir = testing_util::FreshDir("cache");
  const float a[3] = {1, 2, 3}, b[3] = {4, 5, 6};
  {
    FeatureCache cache(dir, "model A", 3);
    EXPECT_EQ(cache.size(), 0u);
    cache.Append("/x.png", {10, 100}, a);
    cache.Append("/y.png", {20, 200}, b);
  }
  FeatureCache again(dir, "model A", 3);
  EXPECT_EQ(again.size(), 2u);
  const float* hit = again.Find("/x.png", {10, 100});
  ASSERT_NE(hit, nullptr);
  EXPECT_EQ(hit[2], 3.0f);
  EXPECT_EQ(again.Find("/x.png", {10, 101}), nullptr) << "a newer mtime is a miss";
  EXPECT_EQ(again.Find("/x.png", {11, 100}), nullptr) << "another size is a miss";
  again.Append("/x.png", {10, 101}, b);
  FeatureCache third(dir, "model A", 3);
  ASSERT_NE(third.Find("/x.png", {10, 101}), nullptr);
  EXPECT_EQ(third.Find("/x.png", {10, 101})[0], 4.0f) << "the later record wins";
  EXPECT_EQ(third.dropped_bytes(), 0u);
}

TEST(FeatureCache, OtherModelsDoNotShareVectors) {
  const auto dir = testing_util::FreshDir("cache");
  const float a[2] = {1, 2};
  FeatureCache(dir, "model A", 2).Append("/x.png", {1, 1}, a);
  FeatureCache other(dir, "model B", 2);
  EXPECT_EQ(other.Find("/x.png", {1, 1}), nullptr);
  EXPECT_NE(FeatureCache(dir, "model A", 2).Find("/x.png", {1, 1}), nullptr);
}

TEST(FeatureCache, DropsATornTailAndKeepsWorking) {
  const auto dir = testing_util::FreshDir("cache");
  const float a[4] = {1, 2, 3, 4};
  std::filesystem::path file;
  {
    FeatureCache cache(dir, "m", 4);
    cache.Append("/1.png", {1, 1}, a);
    cache.Append("/2.png", {2, 2}, a);
    file = cache.file();
  }
  // An interrupted run: the last record cut in half.
  const auto size = std::filesystem::file_size(file);
  std::filesystem::resize_file(file, size - 10);
  {
    FeatureCache cache(dir, "m", 4);
    EXPECT_EQ(cache.size(), 1u);
    EXPECT_GT(cache.dropped_bytes(), 0u);
    EXPECT_NE(cache.Find("/1.png", {1, 1}), nullptr);
    cache.Append("/3.png", {3, 3}, a);
  }
  // Flipped bits in a record's vector: the CRC stops the reader there.
  FeatureCache reread(dir, "m", 4);
  EXPECT_EQ(reread.size(), 2u);
  EXPECT_EQ(reread.dropped_bytes(), 0u);
  {
    std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(-6, std::ios::end);
    f.put('\x55');
  }
  FeatureCache damaged(dir, "m", 4);
  EXPECT_EQ(damaged.size(), 1u);
  EXPECT_EQ(damaged.Find("/3.png", {3, 3}), nullptr);
}

void WriteBytes(const std::filesystem::path& file, const std::string& bytes) {
  std::ofstream(file, std::ios::binary | std::ios::trunc) << bytes;
}

// An image replaced by other bytes of the same size, its mtime then set back, kept its old vector.
TEST(FeatureCache, OtherContentUnderTheSameSizeAndMtimeIsAMiss) {
  const auto dir = testing_util::FreshDir("cache");
  const auto image = dir / "cat.png";
  WriteBytes(image, std::string(1000, 'a'));
  const float a[2] = {1, 2};
  const FileStamp first = StampOf(image);
  FeatureCache(dir / "c", "m", 2).Append(image.string(), first, a);
  ASSERT_NE(FeatureCache(dir / "c", "m", 2).Find(image.string(), StampOf(image)), nullptr);

  // Timestamps tick at the kernel's clock granularity: let one tick pass before rewriting.
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  const auto mtime = std::filesystem::last_write_time(image);
  WriteBytes(image, std::string(1000, 'b'));
  std::filesystem::last_write_time(image, mtime);
  const FileStamp replaced = StampOf(image);
  ASSERT_EQ(replaced.size, first.size);
  ASSERT_EQ(replaced.mtime_ns, first.mtime_ns);
  EXPECT_EQ(FeatureCache(dir / "c", "m", 2).Find(image.string(), replaced), nullptr);

  // The same bytes under another stat (copied back in place: new inode and ctime) are still a hit.
  WriteBytes(dir / "copy.png", std::string(1000, 'a'));
  std::filesystem::rename(dir / "copy.png", image);
  std::filesystem::last_write_time(image, mtime);
  const FileStamp copied = StampOf(image);
  EXPECT_NE(copied.inode, first.inode);
  const FeatureCache reopened(dir / "c", "m", 2);
  const float* hit = reopened.Find(image.string(), copied);
  ASSERT_NE(hit, nullptr);
  EXPECT_EQ(hit[1], 2.0f);
}

TEST(FeatureCache, AGarbageFileIsStartedAfresh) {
  const auto dir = testing_util::FreshDir("cache");
  std::filesystem::path file;
  { file = FeatureCache(dir, "m", 2).file(); }
  { std::ofstream(file, std::ios::trunc) << "not a cache at all"; }
  FeatureCache cache(dir, "m", 2);
  EXPECT_EQ(cache.size(), 0u);
  EXPECT_GT(cache.dropped_bytes(), 0u);
}

}  // namespace
}  // namespace vit::adapt
