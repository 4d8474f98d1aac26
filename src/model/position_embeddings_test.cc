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

}  // namespace
}  // namespace vit::model
