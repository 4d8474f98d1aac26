#include "adapt/softmax_regression.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "adapt/standardizer.h"
#include "vit/error.h"

namespace vit::adapt {
namespace {

// k Gaussian blobs in d dimensions, centres `spread` apart on average, with an offset and uneven
// scales so that standardisation matters.
void Blobs(int64_t n, int64_t d, int k, double spread, uint64_t seed, DenseMatrix& x, std::vector<int>& y) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal;
  std::vector<double> centres(static_cast<size_t>(k * d));
  for (double& c : centres) c = spread * normal(rng);
  x = DenseMatrix(n, d);
  y.assign(static_cast<size_t>(n), 0);
  for (int64_t i = 0; i < n; ++i) {
    y[static_cast<size_t>(i)] = static_cast<int>(i % k);
    for (int64_t j = 0; j < d; ++j)
      x.at(i, j) = 5.0 + (1.0 + j % 3) * (centres[static_cast<size_t>(y[static_cast<size_t>(i)] * d + j)] + normal(rng));
  }
}

TEST(SoftmaxObjective, GradientMatchesFiniteDifferences) {
  DenseMatrix x;
  std::vector<int> y;
  Blobs(30, 4, 3, 1.0, 1, x, y);
  SoftmaxObjective objective(x, y, 3, 0.7);
  std::mt19937_64 rng(2);
  std::normal_distribution<double> normal;
  std::vector<double> p(static_cast<size_t>(objective.num_params())), g(p.size()), scratch(p.size());
  for (double& v : p) v = 0.3 * normal(rng);
  objective(p, g);
  for (size_t i = 0; i < p.size(); ++i) {
    const double h = 1e-6, saved = p[i];
    p[i] = saved + h;
    const double up = objective(p, scratch);
    p[i] = saved - h;
    const double down = objective(p, scratch);
    p[i] = saved;
    EXPECT_NEAR(g[i], (up - down) / (2 * h), 1e-7) << "parameter " << i;
  }
}

TEST(SoftmaxRegression, SeparatesBlobsAndConverges) {
  DenseMatrix x;
  std::vector<int> y;
  Blobs(300, 8, 4, 3.0, 3, x, y);
  Standardizer::Fit(x).TransformInPlace(x);
  SoftmaxWeights w(4, 8);
  LbfgsOptions options;
  options.gradient_tolerance = 1e-8;
  const LbfgsResult r = FitSoftmaxRegression(x, y, 1.0, w, options);
  EXPECT_TRUE(r.converged) << r.stop_reason;
  DenseMatrix probs = SoftmaxLogits(x, w);
  SoftmaxRowsInPlace(probs);
  int correct = 0;
  for (int64_t i = 0; i < probs.rows; ++i) {
    int best = 0;
    for (int c = 1; c < 4; ++c)
      if (probs.at(i, c) > probs.at(i, best)) best = c;
    correct += best == y[static_cast<size_t>(i)];
  }
  EXPECT_GT(correct, 270);
  // Stationarity: the unpenalised bias makes the predicted class totals equal the true ones.
  for (int c = 0; c < 4; ++c) {
    double total = 0.0;
    for (int64_t i = 0; i < probs.rows; ++i) total += probs.at(i, c);
    EXPECT_NEAR(total, 75.0, 1e-4);
  }
}

TEST(SoftmaxRegression, StrongerRegularisationShrinksTheWeights) {
  DenseMatrix x;
  std::vector<int> y;
  Blobs(200, 5, 3, 2.0, 4, x, y);
  auto norm = [&](double C) {
    SoftmaxWeights w(3, 5);
    FitSoftmaxRegression(x, y, C, w, {});
    double s = 0.0;
    for (double v : w.weight) s += v * v;
    return s;
  };
  EXPECT_LT(norm(0.001), norm(0.1));
  EXPECT_LT(norm(0.1), norm(10.0));
}

TEST(Standardizer, FoldedWeightsGiveTheSameLogitsOnRawFeatures) {
  DenseMatrix raw;
  std::vector<int> y;
  Blobs(50, 6, 3, 1.0, 5, raw, y);
  for (int64_t i = 0; i < raw.rows; ++i) raw.at(i, 2) = 7.0;  // a constant feature keeps scale 1
  const Standardizer s = Standardizer::Fit(raw);
  EXPECT_EQ(s.scale[2], 1.0);
  DenseMatrix standardized = raw;
  s.TransformInPlace(standardized);
  SoftmaxWeights w(3, 6);
  FitSoftmaxRegression(standardized, y, 1.0, w, {});
  const DenseMatrix a = SoftmaxLogits(standardized, w);
  const DenseMatrix b = SoftmaxLogits(raw, s.FoldInto(w));
  for (size_t i = 0; i < a.values.size(); ++i) EXPECT_NEAR(a.values[i], b.values[i], 1e-9);
}

TEST(SoftmaxObjective, RejectsBadLabelsAndC) {
  DenseMatrix x(2, 2);
  const std::vector<int> bad = {0, 3};
  EXPECT_THROW(SoftmaxObjective(x, bad, 2, 1.0), Error);
  const std::vector<int> good = {0, 1};
  EXPECT_THROW(SoftmaxObjective(x, good, 2, 0.0), Error);
  EXPECT_THROW(SoftmaxObjective(x, std::vector<int>{0}, 2, 1.0), Error);
}

}  // namespace
}  // namespace vit::adapt
