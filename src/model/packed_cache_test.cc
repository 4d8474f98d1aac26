#include "model/packed_cache.h"

#include <gtest/gtest.h>

#include <algorithm>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <vector>

#include "io/safetensors.h"

namespace vit::model {
namespace {

namespace fs = std::filesystem;
using kernels::Epilogue;
using kernels::PackedLinear;

constexpr int64_t kOut = 48, kIn = 40, kRows = 5;

std::vector<float> Random(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.f, 1.f);
  std::vector<float> v(n);
  for (float& x : v) x = dist(rng);
  return v;
}

class PackedCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("vit_packed_cache_test_" + std::to_string(::getpid()));
    fs::remove_all(root_);
    fs::create_directories(root_);
    weights_file_ = root_ / "model.safetensors";
    const std::vector<float> w = Random(kOut * kIn, 1);
    io::TensorRecord r{"w", io::DType::kF32, {kOut, kIn}, reinterpret_cast<const std::byte*>(w.data()),
                       w.size() * sizeof(float)};
    io::WriteSafetensors(weights_file_, {r});
    source_ = io::OpenCheckpoint(weights_file_);
  }
  void TearDown() override { fs::remove_all(root_); }

  fs::path Dir() const { return root_ / "cache"; }

  // y = x W^T + b through `linear`, on fixed inputs.
  static std::vector<float> Apply(const PackedLinear& linear) {
    const std::vector<float> x = Random(kRows * kIn, 3);
    std::vector<float> y(kRows * kOut);
    linear.Forward(x.data(), kRows, y.data(), Epilogue::kBias);
    return y;
  }

  static PackedLinear PackFresh(Precision precision, uint32_t seed = 1) {
    const std::vector<float> w = Random(kOut * kIn, seed), b = Random(kOut, 2);
    return PackedLinear::Pack(w.data(), b.data(), kOut, kIn, precision);
  }

  // Saves `layer` as the only entry of the f32 cache of `source`; returns the file.
  fs::path SaveOne(const PackedLinear& layer, const io::TensorSource& source) const {
    PackedCache cache(Dir(), source, Precision::kF32);
    cache.Add("layer", layer);
    cache.Save();
    return cache.file();
  }

  fs::path root_, weights_file_;
  std::unique_ptr<io::TensorSource> source_;
};

TEST_F(PackedCacheTest, ASavedLayerComesBackBitIdenticalInEveryPrecision) {
  for (Precision precision : {Precision::kF32, Precision::kBF16, Precision::kInt8}) {
    const PackedLinear fresh = PackFresh(precision);
    {
      PackedCache cache(Dir(), *source_, precision);
      EXPECT_FALSE(cache.Find("layer", kOut, kIn).has_value()) << "an empty folder has nothing";
      cache.Add("layer", fresh);
      EXPECT_EQ(cache.Save().rfind("wrote ", 0), 0u);
      EXPECT_TRUE(fs::exists(cache.file()));
    }
    PackedCache again(Dir(), *source_, precision);
    std::optional<PackedLinear> found = again.Find("layer", kOut, kIn);
    ASSERT_TRUE(found.has_value());
    EXPECT_EQ(again.hits(), 1);
    EXPECT_EQ(Apply(*found), Apply(fresh));
    EXPECT_EQ(found->weight_scales().size(), precision == Precision::kInt8 ? size_t{kOut} : 0u);
    EXPECT_TRUE(std::ranges::equal(found->offset_terms(), fresh.offset_terms()));
    EXPECT_EQ(found->offset_terms().size(), precision == Precision::kInt8 ? size_t{kOut} : 0u);
    again.Add("layer", *found);
    EXPECT_EQ(again.Save(), "used " + again.file().string()) << "nothing new: the file is left alone";
  }
}

TEST_F(PackedCacheTest, AnotherShapeOrNameIsAMiss) {
  const PackedLinear fresh = PackFresh(Precision::kF32);
  SaveOne(fresh, *source_);
  PackedCache again(Dir(), *source_, Precision::kF32);
  EXPECT_FALSE(again.Find("layer", kOut + 16, kIn).has_value());
  EXPECT_FALSE(again.Find("layer", kOut, kIn + 8).has_value());
  EXPECT_FALSE(again.Find("other", kOut, kIn).has_value());
  EXPECT_TRUE(again.Find("layer", kOut, kIn).has_value());
}

TEST_F(PackedCacheTest, ChangedWeightsFileGetsAnotherFile) {
  const PackedLinear fresh = PackFresh(Precision::kF32);
  const fs::path first = SaveOne(fresh, *source_);
  fs::last_write_time(weights_file_, fs::last_write_time(weights_file_) + std::chrono::seconds(5));
  PackedCache again(Dir(), *source_, Precision::kF32);
  EXPECT_NE(again.file(), first);
  EXPECT_FALSE(again.Find("layer", kOut, kIn).has_value());
}

TEST_F(PackedCacheTest, ACorruptFileIsIgnoredAndReplaced) {
  const PackedLinear fresh = PackFresh(Precision::kF32);
  const fs::path file = SaveOne(fresh, *source_);
  for (const uintmax_t keep : {uintmax_t{0}, uintmax_t{7}, uintmax_t{100}, fs::file_size(file) - 64}) {
    fs::resize_file(file, keep);
    PackedCache broken(Dir(), *source_, Precision::kF32);
    EXPECT_FALSE(broken.Find("layer", kOut, kIn).has_value()) << "truncated to " << keep;
    broken.Add("layer", fresh);
    const std::string saved = broken.Save();
    EXPECT_NE(saved.find("replacing a file not used"), std::string::npos) << saved;
    PackedCache repaired(Dir(), *source_, Precision::kF32);
    std::optional<PackedLinear> found = repaired.Find("layer", kOut, kIn);
    ASSERT_TRUE(found.has_value());
    EXPECT_EQ(Apply(*found), Apply(fresh));
  }
}

TEST_F(PackedCacheTest, AFileOfOtherWeightsUnderTheSameNameIsNotUsed) {
  const PackedLinear fresh = PackFresh(Precision::kF32);
  const fs::path file = SaveOne(fresh, *source_);
  // Another model's cache file copied over this one's name: its recorded key gives it away.
  const fs::path other_weights = root_ / "other.safetensors";
  fs::copy_file(weights_file_, other_weights);
  auto other_source = io::OpenCheckpoint(other_weights);
  const PackedLinear other_layer = PackFresh(Precision::kF32, 9);
  fs::copy_file(SaveOne(other_layer, *other_source), file, fs::copy_options::overwrite_existing);
  PackedCache cache(Dir(), *source_, Precision::kF32);
  EXPECT_FALSE(cache.Find("layer", kOut, kIn).has_value());
}

TEST_F(PackedCacheTest, AnUnwritableFolderIsReportedNotThrown) {
  const fs::path blocker = root_ / "not-a-folder";
  std::ofstream(blocker) << "x";
  PackedCache cache(blocker / "cache", *source_, Precision::kF32);
  const PackedLinear fresh = PackFresh(Precision::kF32);
  cache.Add("layer", fresh);
  EXPECT_EQ(cache.Save().rfind("not written: ", 0), 0u);
}

}  // namespace
}  // namespace vit::model
