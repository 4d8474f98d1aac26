#include "adapt/lbfgs.h"

#include <gtest/gtest.h>

#include <cmath>

namespace vit::adapt {
namespace {

TEST(Lbfgs, MinimisesAnIllConditionedQuadratic) {
  // f = sum_i c_i (x_i - i)^2 with c spanning four orders of magnitude.
  const int n = 20;
  auto f = [&](std::span<const double> x, std::span<double> g) {
    double v = 0.0;
    for (int i = 0; i < n; ++i) {
      const double c = std::pow(10.0, 4.0 * i / (n - 1));
      v += c * (x[i] - i) * (x[i] - i);
      g[i] = 2.0 * c * (x[i] - i);
    }
    return v;
  };
  std::vector<double> x(n, 0.0);
  LbfgsOptions options;
  options.gradient_tolerance = 1e-8;
  options.function_tolerance = 0.0;
  const LbfgsResult r = MinimizeLbfgs(f, x, options);
  EXPECT_TRUE(r.converged) << r.stop_reason;
  for (int i = 0; i < n; ++i) EXPECT_NEAR(x[i], i, 1e-6);
}

TEST(Lbfgs, MinimisesRosenbrock) {
  auto f = [](std::span<const double> x, std::span<double> g) {
    const double a = 1.0 - x[0], b = x[1] - x[0] * x[0];
    g[0] = -2.0 * a - 400.0 * x[0] * b;
    g[1] = 200.0 * b;
    return a * a + 100.0 * b * b;
  };
  std::vector<double> x = {-1.2, 1.0};
  LbfgsOptions options;
  options.gradient_tolerance = 1e-9;
  options.function_tolerance = 0.0;
  const LbfgsResult r = MinimizeLbfgs(f, x, options);
  EXPECT_TRUE(r.converged) << r.stop_reason;
  EXPECT_NEAR(x[0], 1.0, 1e-5);
  EXPECT_NEAR(x[1], 1.0, 1e-5);
}

TEST(Lbfgs, StopsAtTheIterationLimit) {
  auto f = [](std::span<const double> x, std::span<double> g) {
    const double a = 1.0 - x[0], b = x[1] - x[0] * x[0];
    g[0] = -2.0 * a - 400.0 * x[0] * b;
    g[1] = 200.0 * b;
    return a * a + 100.0 * b * b;
  };
  std::vector<double> x = {-1.2, 1.0};
  LbfgsOptions options;
  options.max_iterations = 3;
  const LbfgsResult r = MinimizeLbfgs(f, x, options);
  EXPECT_FALSE(r.converged);
  EXPECT_EQ(r.iterations, 3);
  EXPECT_EQ(r.stop_reason, "iteration limit");
}

}  // namespace
}  // namespace vit::adapt
