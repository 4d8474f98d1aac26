#include <gtest/gtest.h>
#include <png.h>

#include <cstdio>

#include "adapt/adapt_testing.h"
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

TEST(ConfusionMatrixPng, ShadesCellsByRowRate) {
  const std::vector<int> truth = {0, 0, 0, 0, 1, 1};
  const std::vector<int> predicted = {0, 0, 0, 0, 0, 1};
  const ClassificationReport r = EvaluateClassifier(OneHotLogits(predicted, 2), truth, {"a", "b"});
  const auto path = adapt::testing_util::FreshDir("png") / "confusion.png";
  WriteConfusionMatrixPng(r, path);
  int w = 0, h = 0;
  const std::vector<unsigned char> rgb = ReadRgb(path, w, h);
  ASSERT_EQ(w, h);
  ASSERT_GT(w, 2 * 28);
  // Cell (row 0, col 1) has rate 0: white near its corner. Cell (0, 0) has rate 1: dark blue.
  const int cell = 28, margin = w - 1 - 2 * cell;
  auto pixel = [&](int x, int y) { return &rgb[(static_cast<size_t>(y) * w + x) * 3]; };
  const unsigned char* empty = pixel(margin + cell + 3, margin + 3);
  EXPECT_EQ(empty[0], 255);
  EXPECT_EQ(empty[2], 255);
  const unsigned char* full = pixel(margin + 3, margin + 3);
  EXPECT_LT(full[0], 20);
  EXPECT_GT(full[2], 90);
  const unsigned char* half = pixel(margin + 3, margin + cell + 3);  // row 1 col 0: rate 0.5
  EXPECT_GT(half[0], 100);
  EXPECT_LT(half[0], 160);
}

TEST(ConfusionMatrixPng, ManyClassesStayWithinBounds) {
  ClassificationReport r;
  r.labels.resize(1000);
  r.confusion.assign(1000, std::vector<int64_t>(1000, 1));
  const auto path = adapt::testing_util::FreshDir("big") / "confusion.png";
  WriteConfusionMatrixPng(r, path);
  int w = 0, h = 0;
  ReadRgb(path, w, h);
  EXPECT_LE(w, 4096);
  EXPECT_THROW(WriteConfusionMatrixPng(r, "/nonexistent-folder/x.png"), Error);
}

}  // namespace
}  // namespace vit
