#include "model/position_embeddings.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <vector>

namespace vit::model {
namespace {

// PyTorch's cubic convolution coefficients (upsample_bicubic2d, A = -0.75) for a fractional offset t.
std::array<double, 4> CubicCoefficients(double t) {
  constexpr double A = -0.75;
  auto near = [](double x) { return ((A + 2) * x - (A + 3)) * x * x + 1; };             // |x| <= 1
  auto far = [](double x) { return ((A * x - 5 * A) * x + 8 * A) * x - 4 * A; };        // 1 < |x| < 2
  return {far(t + 1), near(t), near(1 - t), far(2 - t)};
}

// One output's source positions along an axis and their weights.
struct Taps {
  std::vector<int64_t> index;
  std::vector<double> weight;
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
    const auto w = CubicCoefficients(real - base);
    tap.weight.assign(w.begin(), w.end());
    for (int k = 0; k < 4; ++k)
      tap.index.push_back(std::clamp<int64_t>(static_cast<int64_t>(base) - 1 + k, 0, in - 1));
  }
  return taps;
}

// antialias=True (PyTorch's _upsample_bicubic2d_aa, Pillow's algorithm): the cubic filter with A = -0.5,
// widened by the scale when shrinking, over the source pixels it covers, its weights normalised to sum 1.
std::vector<Taps> AntialiasedAxisTaps(int64_t in, int64_t out) {
  constexpr double A = -0.5;
  auto filter = [](double x) {
    x = std::fabs(x);
    if (x < 1) return ((A + 2) * x - (A + 3)) * x * x + 1;
    if (x < 2) return (((x - 5) * x + 8) * x - 4) * A;
    return 0.0;
  };
  std::vector<Taps> taps(static_cast<size_t>(out));
  const double scale = static_cast<double>(in) / static_cast<double>(out);
  const double support = scale >= 1.0 ? 2.0 * scale : 2.0;
  const double inverse = scale >= 1.0 ? 1.0 / scale : 1.0;
  for (int64_t o = 0; o < out; ++o) {
    const double center = scale * (static_cast<double>(o) + 0.5);
    const int64_t first = std::max<int64_t>(static_cast<int64_t>(center - support + 0.5), 0);
    const int64_t last = std::min<int64_t>(static_cast<int64_t>(center + support + 0.5), in);
    auto& tap = taps[static_cast<size_t>(o)];
    double total = 0;
    for (int64_t i = first; i < last; ++i) {
      const double w = filter((static_cast<double>(i) - center + 0.5) * inverse);
      tap.index.push_back(i);
      tap.weight.push_back(w);
      total += w;
    }
    if (total != 0)
      for (double& w : tap.weight) w /= total;
  }
  return taps;
}

}  // namespace

std::vector<float> InterpolatePositionEmbeddings(const float* pos, int64_t side, int64_t dim, int64_t new_height,
                                                 int64_t new_width, int64_t leading, bool antialias) {
  std::vector<float> out(static_cast<size_t>((new_height * new_width + leading) * dim));
  std::copy(pos, pos + leading * dim, out.begin());  // class_pos_embed
  const float* grid = pos + leading * dim;            // [side, side, dim]
  const auto rows = antialias ? AntialiasedAxisTaps(side, new_height) : AxisTaps(side, new_height);
  const auto cols = antialias ? AntialiasedAxisTaps(side, new_width) : AxisTaps(side, new_width);
  // Accumulated in double and rounded once: within an ulp of PyTorch's float32 resize (DINOv2's, whatever
  // the model's dtype) and of the float64 one (ViT's reference).
  std::vector<double> acc(static_cast<size_t>(dim));
  for (int64_t y = 0; y < new_height; ++y) {
    const Taps& row = rows[static_cast<size_t>(y)];
    for (int64_t x = 0; x < new_width; ++x) {
      const Taps& col = cols[static_cast<size_t>(x)];
      std::fill(acc.begin(), acc.end(), 0.0);
      for (size_t i = 0; i < row.index.size(); ++i) {
        for (size_t j = 0; j < col.index.size(); ++j) {
          const double w = row.weight[i] * col.weight[j];
          const float* src = grid + (row.index[i] * side + col.index[j]) * dim;
          for (int64_t k = 0; k < dim; ++k) acc[static_cast<size_t>(k)] += w * src[k];
        }
      }
      float* dst = out.data() + (leading + y * new_width + x) * dim;
      for (int64_t k = 0; k < dim; ++k) dst[k] = static_cast<float>(acc[static_cast<size_t>(k)]);
    }
  }
  return out;
}

}  // namespace vit::model
