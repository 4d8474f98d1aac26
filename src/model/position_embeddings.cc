#include "model/position_embeddings.h"

#include <algorithm>
#include <array>
#include <cmath>

namespace vit::model {
namespace {

// PyTorch's cubic convolution coefficients (upsample_bicubic2d, A = -0.75) for a fractional offset t.
std::array<double, 4> CubicCoefficients(double t) {
  constexpr double A = -0.75;
  auto near = [](double x) { return ((A + 2) * x - (A + 3)) * x * x + 1; };             // |x| <= 1
  auto far = [](double x) { return ((A * x - 5 * A) * x + 8 * A) * x - 4 * A; };        // 1 < |x| < 2
  return {far(t + 1), near(t), near(1 - t), far(2 - t)};
}

struct Taps {
  std::array<int64_t, 4> index;
  std::array<double, 4> weight;
};

// align_corners=False with an explicit output size: source = (dst + 0.5) * in/out - 0.5, neighbours
// clamped to the border (PyTorch's upsample_get_value_bounded).
std::vector<Taps> AxisTaps(int64_t in, int64_t out) {
  std::vector<Taps> taps(static_cast<size_t>(out));
  const double scale = static_cast<double>(in) / static_cast<double>(out);
  for (int64_t o = 0; o < out; ++o) {
    const double real = scale * (static_cast<double>(o) + 0.5) - 0.5;
    const double base = std::floor(real);
    auto& tap = taps[static_cast<size_t>(o)];
    tap.weight = CubicCoefficients(real - base);
    for (int k = 0; k < 4; ++k)
      tap.index[static_cast<size_t>(k)] = std::clamp<int64_t>(static_cast<int64_t>(base) - 1 + k, 0, in - 1);
  }
  return taps;
}

}  // namespace

std::vector<float> InterpolatePositionEmbeddings(const float* pos, int64_t side, int64_t dim, int64_t new_height,
                                                 int64_t new_width) {
  std::vector<float> out(static_cast<size_t>((new_height * new_width + 1) * dim));
  std::copy(pos, pos + dim, out.begin());  // class_pos_embed
  const float* grid = pos + dim;            // [side, side, dim]
  const auto rows = AxisTaps(side, new_height);
  const auto cols = AxisTaps(side, new_width);
  // Accumulated in double: the reference it must match is float64.
  std::vector<double> acc(static_cast<size_t>(dim));
  for (int64_t y = 0; y < new_height; ++y) {
    for (int64_t x = 0; x < new_width; ++x) {
      std::fill(acc.begin(), acc.end(), 0.0);
      for (int i = 0; i < 4; ++i) {
        for (int j = 0; j < 4; ++j) {
          const double w = rows[static_cast<size_t>(y)].weight[static_cast<size_t>(i)] *
                           cols[static_cast<size_t>(x)].weight[static_cast<size_t>(j)];
          const float* src = grid + (rows[static_cast<size_t>(y)].index[static_cast<size_t>(i)] * side +
                                     cols[static_cast<size_t>(x)].index[static_cast<size_t>(j)]) *
                                        dim;
          for (int64_t k = 0; k < dim; ++k) acc[static_cast<size_t>(k)] += w * src[k];
        }
      }
      float* dst = out.data() + (1 + y * new_width + x) * dim;
      for (int64_t k = 0; k < dim; ++k) dst[k] = static_cast<float>(acc[static_cast<size_t>(k)]);
    }
  }
  return out;
}

}  // namespace vit::model
