#include <gtest/gtest.h>
#include <png.h>

#include <cstdio>

#include "adapt/adapt_testing.h"
#include "api/draw.h"
#include "vit/error.h"
#include "vit/probe.h"

namespace vit {
namespace {

Tensor OneHotLogits(const std::vector<int>& predicted, int k) {
  Tensor t = Tensor::Zeros({static_cast<int64_t>(predicted.size()), k});
  for (size_t i = 0; i < predicted.size(); ++i) t.data()[i * static_cast<size_t>(k) + predicted[i]] = 1.0f;
  return t;
}

TEST(EvaluateClassifier, CountsPrecisionRecallAndConfusion) {
  const std::vector<int> truth = {0, 0, 0, 1, 1, 2};
  const std::vector<int> predicted = {0, 0, 1, 1, 0, 0};
  const ClassificationReport r = EvaluateClassifier(OneHotLogits(predicted, 3), truth, {"a", "b", "c"});
  EXPECT_EQ(r.total, 6);
  EXPECT_DOUBLE_EQ(r.accuracy, 3.0 / 6.0);
  EXPECT_EQ(r.confusion[0], (std::vector<int64_t>{2, 1, 0}));
  EXPECT_EQ(r.confusion[1], (std::vector<int64_t>{1, 1, 0}));
  EXPECT_EQ(r.confusion[2], (std::vector<int64_t>{1, 0, 0}));
  EXPECT_DOUBLE_EQ(r.precision[0], 2.0 / 4.0);
  EXPECT_DOUBLE_EQ(r.recall[0], 2.0 / 3.0);
  EXPECT_DOUBLE_EQ(r.precision[1], 1.0 / 2.0);
  EXPECT_DOUBLE_EQ(r.recall[1], 1.0 / 2.0);
  EXPECT_DOUBLE_EQ(r.precision[2], 0.0);  // never predicted
  EXPECT_DOUBLE_EQ(r.recall[2], 0.0);
  EXPECT_EQ(r.support, (std::vector<int64_t>{3, 2, 1}));
  const std::string text = r.ToText();
  EXPECT_NE(text.find("accuracy 0.5000 (6 images)"), std::string::npos) << text;
  EXPECT_NE(text.find("confusion matrix"), std::string::npos) << text;
}

TEST(EvaluateClassifier, RejectsMismatchedShapes) {
  EXPECT_THROW(EvaluateClassifier(Tensor::Zeros({2, 3}), std::vector<int>{0}, {"a", "b", "c"}), Error);
  EXPECT_THROW(EvaluateClassifier(Tensor::Zeros({1, 3}), std::vector<int>{0}, {"a", "b"}), Error);
  EXPECT_THROW(EvaluateClassifier(Tensor::Zeros({1, 2}), std::vector<int>{4}, {"a", "b"}), Error);
}

// Reads a PNG back as 8-bit RGB.
std::vector<unsigned char> ReadRgb(const std::filesystem::path& path, int& width, int& height) {
  png_image image{};
  image.version = PNG_IMAGE_VERSION;
  EXPECT_TRUE(png_image_begin_read_from_file(&image, path.c_str())) << image.message;
  image.format = PNG_FORMAT_RGB;
  std::vector<unsigned char> rgb(PNG_IMAGE_SIZE(image));
  EXPECT_TRUE(png_image_finish_read(&image, nullptr, rgb.data(), 0, nullptr)) << image.message;
  width = static_cast<int>(image.width);
  height = static_cast<int>(image.height);
  return rgb;
}

// Pixels of exactly this colour.
int64_t CountColor(const std::vector<unsigned char>& rgb, unsigned char r, unsigned char g, unsigned char b) {
  int64_t count = 0;
  for (size_t i = 0; i + 2 < rgb.size(); i += 3) count += rgb[i] == r && rgb[i + 1] == g && rgb[i + 2] == b;
  return count;
}

TEST(ConfusionMatrixPng, ShadesCellsByRowRateAndWritesNames) {
  const std::vector<int> truth = {0, 0, 0, 0, 1, 1};
  const std::vector<int> predicted = {0, 0, 0, 0, 0, 1};
  const ClassificationReport r = EvaluateClassifier(OneHotLogits(predicted, 2), truth, {"cat", "dog"});
  const auto path = adapt::testing_util::FreshDir("png") / "confusion.png";
  WriteConfusionMatrixPng(r, path);
  int w = 0, h = 0;
  const std::vector<unsigned char> rgb = ReadRgb(path, w, h);
  // Two classes: 56-pixel cells. Row 0 is all "cat" (rate 1: dark blue, minus its count's pixels);
  // row 1 splits in half (rate 0.5, twice); (0, 1) is empty (white, like the background).
  const int64_t cell_area = 55 * 55;
  const int64_t dark = CountColor(rgb, 8, 48, 107), half = CountColor(rgb, 131, 151, 181);
  EXPECT_GT(dark, cell_area / 2);
  EXPECT_LE(dark, cell_area);
  EXPECT_GT(half, cell_area);
  EXPECT_LE(half, 2 * cell_area);
  // The title and the names are drawn in ink when a font is there.
  if (draw::HasFont()) {
    EXPECT_GT(CountColor(rgb, 30, 30, 34), 200);
    EXPECT_GT(w, 2 * 56 + draw::TextWidth("dog", 15));
  }
}

TEST(ConfusionMatrixPng, AHundredClassesAllShownLargerOnlyTheMostConfused) {
  for (int k : {100, 1000}) {
    ClassificationReport r;
    for (int i = 0; i < k; ++i) r.labels.push_back("class number " + std::to_string(i));
    r.confusion.assign(static_cast<size_t>(k), std::vector<int64_t>(static_cast<size_t>(k), 0));
    for (int i = 0; i < k; ++i) r.confusion[static_cast<size_t>(i)][static_cast<size_t>(i)] = 12345;
    r.confusion[7][3] = 500;  // the one confusion
    const auto path = adapt::testing_util::FreshDir("big" + std::to_string(k)) / "confusion.png";
    WriteConfusionMatrixPng(r, path);
    int w = 0, h = 0;
    const std::vector<unsigned char> rgb = ReadRgb(path, w, h);
    EXPECT_LE(w, 4096);
    EXPECT_LE(h, 4096);
    // Cells of at least 22 pixels: 100 classes need more than 2200, 1000 are cut to the most confused.
    EXPECT_TRUE(k == 100 ? w > 2200 : w < 2200) << k << " classes: " << w << " pixels wide";
  }
  ClassificationReport empty;
  EXPECT_THROW(WriteConfusionMatrixPng(empty, "x.png"), Error);
  ClassificationReport one;
  one.confusion = {{1}};
  EXPECT_THROW(WriteConfusionMatrixPng(one, "/nonexistent-folder/x.png"), Error);
}

}  // namespace
}  // namespace vit
