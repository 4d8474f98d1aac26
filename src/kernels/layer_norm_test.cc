#include "kernels/layer_norm.h"

#include <gtest/gtest.h>

#include <cmath>

#include "kernels/bf16.h"
#include "kernels/kernels_testing.h"
#include "kernels/reference.h"

namespace vit::kernels {
namespace {

using testing::ForEachTarget;
using testing::RandomFloats;

TEST(LayerNorm, MatchesDoublePrecisionOnEveryTarget) {
  ForEachTarget([] {
    for (int64_t rows : {1, 7, 197}) {
      for (int64_t cols : {1, 7, 197, 1023, 1024, 4096}) {
        for (float eps : {1e-12f, 1e-6f}) {
          const uint32_t seed = static_cast<uint32_t>(rows * 131 + cols);
          // An offset mean makes a one-pass variance lose digits; a two-pass one must not.
          std::vector<float> x = RandomFloats(static_cast<size_t>(rows * cols), 2.f, 6.f, seed);
          const std::vector<float> gamma = RandomFloats(static_cast<size_t>(cols), -2.f, 2.f, seed + 1);
          const std::vector<float> beta = RandomFloats(static_cast<size_t>(cols), -1.f, 1.f, seed + 2);
          const std::vector<double> want = reference::LayerNorm(x.data(), rows, cols, gamma.data(), beta.data(), eps);

          std::vector<float> y(x.size());
          LayerNorm(x.data(), rows, cols, gamma.data(), beta.data(), eps, y.data());
          for (size_t i = 0; i < y.size(); ++i) {
            // y = n * gamma + beta: a few ulps of the larger of the two terms.
            const double beta_i = beta[i % static_cast<size_t>(cols)];
            const double terms = std::fabs(want[i] - beta_i) + std::fabs(beta_i);
            ASSERT_NEAR(y[i], want[i], 4e-7 * terms + 1e-7)
                << rows << "x" << cols << " eps=" << eps << " at " << i;
          }
          // In place gives the same bits.
          LayerNorm(x.data(), rows, cols, gamma.data(), beta.data(), eps, x.data());
          ASSERT_EQ(x, y);
        }
      }
    }
  });
}

TEST(LayerNorm, Bf16OutputIsTheFloatOutputRounded) {
  ForEachTarget([] {
    for (int64_t cols : {1, 7, 1024, 1031}) {
      const int64_t rows = 37;
      const auto seed = static_cast<uint32_t>(cols);
      const std::vector<float> x = RandomFloats(static_cast<size_t>(rows * cols), -4.f, 6.f, seed);
      const std::vector<float> gamma = RandomFloats(static_cast<size_t>(cols), -2.f, 2.f, seed + 1);
      const std::vector<float> beta = RandomFloats(static_cast<size_t>(cols), -1.f, 1.f, seed + 2);
      std::vector<float> y(x.size());
      LayerNorm(x.data(), rows, cols, gamma.data(), beta.data(), 1e-12f, y.data());
      std::vector<uint16_t> y16(x.size(), 0xdead);
      LayerNormToBf16(x.data(), rows, cols, gamma.data(), beta.data(), 1e-12f, y16.data());
      for (size_t i = 0; i < y.size(); ++i) ASSERT_EQ(y16[i], FloatToBf16(y[i])) << cols << " cols, at " << i;
    }
  });
}

TEST(LayerNorm, ConstantRowGivesBeta) {
  ForEachTarget([] {
    std::vector<float> x(1024, 3.25f), gamma(1024, 2.f), beta = RandomFloats(1024, -1.f, 1.f, 5), y(1024);
    LayerNorm(x.data(), 1, 1024, gamma.data(), beta.data(), 1e-12f, y.data());
    EXPECT_EQ(y, beta);
  });
}

}  // namespace
}  // namespace vit::kernels
