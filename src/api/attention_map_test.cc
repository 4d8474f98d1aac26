#include "vit/attention_map.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

#include "api/draw.h"
#include "vit/error.h"

namespace vit {
namespace {

// [batch, heads, T, T] whose every row is uniform except the [CLS] row of each head, which puts
// `focus` on token `hot` and spreads the rest evenly.
Tensor Attention(int64_t batch, int64_t heads, int64_t tokens, int64_t hot, double focus) {
  Tensor a({batch, heads, tokens, tokens});
  for (int64_t bh = 0; bh < batch * heads; ++bh)
    for (int64_t r = 0; r < tokens; ++r)
      for (int64_t c = 0; c < tokens; ++c) {
        double v = 1.0 / static_cast<double>(tokens);
        if (r == 0) v = c == hot ? focus : (1.0 - focus) / static_cast<double>(tokens - 1);
        a.data()[(bh * tokens + r) * tokens + c] = static_cast<float>(v);
      }
  return a;
}

int64_t ArgMax(const float* v, int64_t n) { return std::max_element(v, v + n) - v; }

TEST(AttentionMaps, LastLayerFollowsTheClsRow) {
  const std::vector<Tensor> layers = {Attention(2, 3, 7, 1, 0.5), Attention(2, 3, 7, 5, 0.7)};
  AttentionMapOptions options;
  options.method = AttentionMethod::kLayer;
  const Tensor map = AttentionMaps(layers, {2, 3}, options);
  ASSERT_EQ(map.shape(), (std::vector<int64_t>{2, 2, 3}));
  for (int64_t b = 0; b < 2; ++b) {
    EXPECT_EQ(ArgMax(map.data() + b * 6, 6), 4);  // token 5 is patch 4: row 1, column 1
    EXPECT_FLOAT_EQ(map.data()[b * 6 + 4], 1.0f);
    EXPECT_NEAR(map.data()[b * 6], 0.05 / 0.7, 1e-6);
  }
  options.layer = 0;
  EXPECT_EQ(ArgMax(AttentionMaps(layers, {2, 3}, options).data(), 6), 0);
}

TEST(AttentionMaps, RolloutOfUniformAttentionIsFlat) {
  const std::vector<Tensor> layers = {Attention(1, 2, 5, 0, 0.2), Attention(1, 2, 5, 0, 0.2)};
  const Tensor map = AttentionMaps(layers, {2, 2});
  for (float v : map.values()) EXPECT_NEAR(v, 1.0f, 1e-6);
}

TEST(AttentionMaps, RolloutMatchesTheMatrixProduct) {
  // Two layers, one head, T = 3 (a 1x2 grid), written out by hand: A' = rownorm((A + I) / 2).
  Tensor a0({1, 1, 3, 3}), a1({1, 1, 3, 3});
  const float m0[9] = {0.2f, 0.5f, 0.3f, 0.1f, 0.6f, 0.3f, 0.4f, 0.4f, 0.2f};
  const float m1[9] = {0.6f, 0.1f, 0.3f, 0.3f, 0.3f, 0.4f, 0.2f, 0.7f, 0.1f};
  std::copy_n(m0, 9, a0.data());
  std::copy_n(m1, 9, a1.data());
  double r0[9], r1[9];
  for (int i = 0; i < 9; ++i) {
    r0[i] = (m0[i] + (i % 4 == 0)) / 2;  // rows already sum to 1, so (A + I) / 2 does too
    r1[i] = (m1[i] + (i % 4 == 0)) / 2;
  }
  // [CLS] row of r1 * r0.
  double row[3];
  for (int c = 0; c < 3; ++c) row[c] = r1[0] * r0[c] + r1[1] * r0[3 + c] + r1[2] * r0[6 + c];
  const std::vector<Tensor> layers = {a0, a1};
  const Tensor map = AttentionMaps(layers, {1, 2});
  const double top = std::max(row[1], row[2]);
  EXPECT_NEAR(map.data()[0], row[1] / top, 1e-6);
  EXPECT_NEAR(map.data()[1], row[2] / top, 1e-6);
}

TEST(AttentionMaps, DiscardKeepsTheClsColumn) {
  // Discarding nearly everything leaves the [CLS] column and the largest weight of the rest.
  const std::vector<Tensor> layers = {Attention(1, 1, 5, 3, 0.9)};
  AttentionMapOptions options;
  options.method = AttentionMethod::kLayer;
  options.discard_ratio = 0.95;
  const Tensor map = AttentionMaps(layers, {2, 2}, options);
  EXPECT_FLOAT_EQ(map.data()[2], 1.0f);
  EXPECT_FLOAT_EQ(map.data()[0], 0.0f);
}

TEST(AttentionMaps, RejectsWhatDoesNotFit) {
  const std::vector<Tensor> layers = {Attention(1, 1, 5, 1, 0.5)};
  EXPECT_THROW(AttentionMaps(layers, {2, 3}), Error);           // 5 tokens are not 1 + 6
  EXPECT_THROW(AttentionMaps({}, {2, 2}), Error);               // no layers
  AttentionMapOptions options;
  options.layer = 1;
  EXPECT_THROW(AttentionMaps(layers, {2, 2}, options), Error);  // one layer only
  options.layer = -1;
  options.discard_ratio = 1.0;
  EXPECT_THROW(AttentionMaps(layers, {2, 2}, options), Error);
  EXPECT_THROW(ParseHeadFusion("median"), Error);
  EXPECT_THROW(ParseAttentionMethod("grad-cam"), Error);
}

TEST(HeadAttentionMaps, EachHeadScaledOnItsOwn) {
  Tensor a = Attention(1, 2, 5, 2, 0.4);
  // Head 1's [CLS] row looks at token 4 instead.
  float* head1 = a.data() + 25;
  std::fill(head1, head1 + 5, 0.15f);
  head1[4] = 0.4f;
  const std::vector<Tensor> layers = {a};
  const Tensor maps = HeadAttentionMaps(layers, {2, 2});
  ASSERT_EQ(maps.shape(), (std::vector<int64_t>{1, 2, 2, 2}));
  EXPECT_EQ(ArgMax(maps.data(), 4), 1);
  EXPECT_EQ(ArgMax(maps.data() + 4, 4), 3);
  EXPECT_FLOAT_EQ(maps.data()[4 + 3], 1.0f);
}

TEST(AttentionOverlay, HotRegionFollowsTheMap) {
  // A grey image; the map is hot on patch (1, 2) of a 2x3 grid of 8-pixel patches.
  Tensor pixels = Tensor::Zeros({1, 3, 16, 24});
  Tensor map = Tensor::Zeros({2, 3});
  map.data()[5] = 1.0f;
  const Image overlay = AttentionOverlay(pixels, map, ImageProcessorConfig{});
  ASSERT_EQ(overlay.width, 24);
  ASSERT_EQ(overlay.height, 16);
  int best = -1, best_x = 0, best_y = 0;
  for (int y = 0; y < 16; ++y)
    for (int x = 0; x < 24; ++x) {
      const uint8_t* p = &overlay.rgb[(static_cast<size_t>(y) * 24 + static_cast<size_t>(x)) * 3];
      const int light = p[0] + p[1] + p[2];
      if (light > best) best = light, best_x = x, best_y = y;
    }
  EXPECT_GE(best_x, 16);
  EXPECT_GE(best_y, 8);
  // Zero pixel_values under mean = std = 0.5 are mid grey.
  EXPECT_EQ(ImageFromPixelValues(pixels, ImageProcessorConfig{}).rgb[0], 128);
}

TEST(Png, EncodesWhatDecodes) {
  Image image;
  image.width = 5;
  image.height = 3;
  for (int i = 0; i < 45; ++i) image.rgb.push_back(static_cast<uint8_t>(i * 5));
  const std::vector<uint8_t> png = EncodePng(image);
  const Image back = DecodeImage(png, "encoded.png");
  EXPECT_EQ(back.width, 5);
  EXPECT_EQ(back.height, 3);
  EXPECT_EQ(back.rgb, image.rgb);
  EXPECT_THROW(EncodePng(Image{}), Error);
}

TEST(Draw, TextHasWidthWithAFont) {
  if (!draw::HasFont()) GTEST_SKIP() << "no font (fonts-dejavu-core)";
  EXPECT_GT(draw::TextWidth("head 10", 14), draw::TextWidth("head 1", 14));
  Image canvas = draw::Blank(60, 20);
  draw::Text(canvas, "Hi", 2, 15, 14, {0, 0, 0});
  EXPECT_TRUE(std::any_of(canvas.rgb.begin(), canvas.rgb.end(), [](uint8_t v) { return v < 128; }));
}

}  // namespace
}  // namespace vit
