#include "kernels/activations.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "kernels/kernels_testing.h"
#include "kernels/reference.h"
#include "vit/error.h"

namespace vit::kernels {
namespace {

using testing::ForEachTarget;
using testing::RandomFloats;

std::vector<float> GeluInputs() {
  // A dense sweep over where erf changes (plus the odd sizes that exercise vector tails).
  std::vector<float> x;
  for (float v = -12.f; v <= 12.f; v += 0.000731f) x.push_back(v);
  for (float v : {0.f, -0.f, 1e-30f, -1e-30f, 1.f, -1.f, 1.4142135f, -1.4142135f, 5.5437f, -5.5437f, 100.f, -100.f,
                  3e38f, -3e38f})
    x.push_back(v);
  return x;
}

TEST(GeluErf, MatchesDoublePrecisionOnEveryTarget) {
  const std::vector<float> input = GeluInputs();
  ForEachTarget([&] {
    for (int64_t n : {int64_t{1}, int64_t{7}, int64_t{1023}, static_cast<int64_t>(input.size())}) {
      std::vector<float> x(input.begin(), input.begin() + n);
      GeluErf(x.data(), n);
      for (int64_t i = 0; i < n; ++i) {
        const double want = reference::GeluErf(input[i]);
        // erf is good to ~1.3e-7 absolute; x/2 scales that, float rounding adds an ulp of the result.
        const double tolerance = 1e-7 * std::fabs(input[i]) + 2e-7 * std::fabs(want) + 1e-30;
        ASSERT_NEAR(x[i], want, tolerance) << "x=" << input[i];
      }
    }
  });
}

TEST(GeluErf, PropagatesNaN) {
  ForEachTarget([] {
    std::vector<float> x(19, std::numeric_limits<float>::quiet_NaN());
    x[3] = 1.f;
    GeluErf(x.data(), static_cast<int64_t>(x.size()));
    for (size_t i = 0; i < x.size(); ++i) EXPECT_EQ(std::isnan(x[i]), i != 3) << i;
  });
}

TEST(Tanh, MatchesDoublePrecisionOnEveryTarget) {
  const std::vector<float> input = GeluInputs();
  ForEachTarget([&] {
    std::vector<float> x = input;
    Tanh(x.data(), static_cast<int64_t>(x.size()));
    for (size_t i = 0; i < x.size(); ++i) {
      ASSERT_NEAR(x[i], std::tanh(static_cast<double>(input[i])), 3e-7 * std::fabs(std::tanh(input[i])) + 1e-37)
          << "x=" << input[i];
    }
  });
}

// quick_gelu and tanh-GELU on every Highway target (the panel GEMMs apply them to their tiles with these).
TEST(QuickGeluAndGeluTanh, MatchDoublePrecisionOnEveryTarget) {
  std::vector<float> input = GeluInputs();
  input.erase(std::remove_if(input.begin(), input.end(), [](float v) { return std::fabs(v) > 1e30f; }), input.end());
  ForEachTarget([&] {
    std::vector<float> q = input, t = input;
    QuickGelu(q.data(), static_cast<int64_t>(q.size()));
    GeluTanh(t.data(), static_cast<int64_t>(t.size()));
    for (size_t i = 0; i < input.size(); ++i) {
      const double x = input[i];
      // exp and tanh are good to a few ulp; the product with x scales that by |x|.
      ASSERT_NEAR(q[i], reference::QuickGelu(x), 4e-7 * std::fabs(x) + 1e-30) << "quick_gelu x=" << x;
      ASSERT_NEAR(t[i], reference::GeluTanh(x), 4e-7 * std::fabs(x) + 1e-30) << "gelu_tanh x=" << x;
    }
  });
}

TEST(SoftmaxRows, MatchesDoublePrecisionOnEveryTarget) {
  ForEachTarget([] {
    for (int64_t rows : {1, 7, 197}) {
      for (int64_t cols : {1, 7, 197, 1023, 1024, 4096}) {
        const int64_t ld = cols + 3;  // rows are not contiguous: padding must stay untouched
        std::vector<float> x = RandomFloats(static_cast<size_t>(rows * ld), -30.f, 30.f, 7 + rows * 31 + cols);
        const std::vector<float> input = x;
        const std::vector<double> want = reference::SoftmaxRows(input.data(), rows, cols, ld);
        SoftmaxRows(x.data(), rows, cols, ld);
        for (int64_t r = 0; r < rows; ++r) {
          for (int64_t c = 0; c < ld; ++c) {
            if (c >= cols) {
              ASSERT_EQ(x[r * ld + c], input[r * ld + c]);
              continue;
            }
            const double w = want[r * cols + c];
            // x - max is rounded to float before exp: half an ulp of it becomes relative error.
            const double tolerance = w * (4e-7 + 6e-8 * std::fabs(std::log(w))) + 1e-38;
            ASSERT_NEAR(x[r * ld + c], w, tolerance) << rows << "x" << cols << " at " << r << "," << c;
          }
        }
      }
    }
  });
}

TEST(SoftmaxRows, RejectsOverlappingRows) {
  float x[8] = {};
  EXPECT_THROW(SoftmaxRows(x, 2, 4, 3), Error);
}

}  // namespace
}  // namespace vit::kernels
