#include "model/position_embeddings.h"

#include <gtest/gtest.h>

#include <cmath>

namespace vit::model {
namespace {

TEST(PositionEmbeddings, SameSizeIsIdentityAndClsKept) {
  const int64_t side = 3, dim = 2;
  std::vector<float> pos((side * side + 1) * dim);
  for (size_t i = 0; i < pos.size(); ++i) pos[i] = static_cast<float>(std::sin(0.7 * static_cast<double>(i)));
  const auto out = InterpolatePositionEmbeddings(pos.data(), side, dim, side, side);
  ASSERT_EQ(out.size(), pos.size());
  for (size_t i = 0; i < pos.size(); ++i) EXPECT_FLOAT_EQ(out[i], pos[i]);
}

TEST(PositionEmbeddings, ConstantGridStaysConstantAndLinearRampIsInterior) {
  // Cubic convolution weights sum to one: a constant grid stays constant at any size.
  const int64_t side = 4, dim = 1;
  std::vector<float> pos(side * side + 1, 2.5f);
  pos[0] = -1.0f;
  const auto out = InterpolatePositionEmbeddings(pos.data(), side, dim, 7, 5);
  ASSERT_EQ(out.size(), 36u);
  EXPECT_EQ(out[0], -1.0f);
  for (size_t i = 1; i < out.size(); ++i) EXPECT_NEAR(out[i], 2.5f, 1e-6);
}

TEST(PositionEmbeddings, MatchesTorchBicubicOnAKnownCase) {
  // torch.nn.functional.interpolate(torch.arange(4.).view(1,1,2,2), size=(1,1), mode="bicubic",
  // align_corners=False) == 1.5: the centre of the grid.
  std::vector<float> pos = {9.0f, 0.0f, 1.0f, 2.0f, 3.0f};
  const auto out = InterpolatePositionEmbeddings(pos.data(), 2, 1, 1, 1);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_NEAR(out[1], 1.5f, 1e-6);
}

TEST(PositionEmbeddings, AntialiasedMatchesTorchShrinkingAndGrowing) {
  // torch.nn.functional.interpolate(torch.arange(16.).view(1, 1, 4, 4) ** 1.5, size=..., mode="bicubic",
  // align_corners=False, antialias=True) in float64, as Dinov2WithRegistersEmbeddings resizes (no leading token
  // here).
  std::vector<float> pos(16);
  for (size_t i = 0; i < pos.size(); ++i) pos[i] = static_cast<float>(std::pow(static_cast<double>(i), 1.5));
  const auto shrunk = InterpolatePositionEmbeddings(pos.data(), 4, 1, 2, 3, /*leading=*/0, /*antialias=*/true);
  const double want_shrunk[] = {5.229418457872146,  8.445549754941101,  12.456533932654281,
                                31.299902143705342, 37.67150941155904, 44.403057419688906};
  ASSERT_EQ(shrunk.size(), 6u);
  for (size_t i = 0; i < 6; ++i) EXPECT_NEAR(shrunk[i], want_shrunk[i], 2e-5) << i;
  const auto grown = InterpolatePositionEmbeddings(pos.data(), 4, 1, 6, 5, 0, true);
  const double want_grown[] = {-0.5633783340753137, -0.03253121279200612, 1.1004595379104314, 2.8076227436670482};
  ASSERT_EQ(grown.size(), 30u);
  for (size_t i = 0; i < 4; ++i) EXPECT_NEAR(grown[i], want_grown[i], 2e-5) << i;
}

}  // namespace
}  // namespace vit::model
