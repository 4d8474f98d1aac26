#include "adapt/feature_cache.h"

#include <gtest/gtest.h>

#include <fstream>

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
