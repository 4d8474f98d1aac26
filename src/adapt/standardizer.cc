#include "adapt/standardizer.h"

#include <cmath>

namespace vit::adapt {

Standardizer Standardizer::Fit(const DenseMatrix& x) {
  Standardizer s;
  s.mean.assign(static_cast<size_t>(x.cols), 0.0);
  s.scale.assign(static_cast<size_t>(x.cols), 0.0);
  for (int64_t i = 0; i < x.rows; ++i)
    for (int64_t j = 0; j < x.cols; ++j) s.mean[static_cast<size_t>(j)] += x.at(i, j);
  for (double& m : s.mean) m /= static_cast<double>(x.rows > 0 ? x.rows : 1);
  // Two passes, not E[x^2] - E[x]^2, which cancels catastrophically for features far from zero.
  for (int64_t i = 0; i < x.rows; ++i)
    for (int64_t j = 0; j < x.cols; ++j) {
      const double c = x.at(i, j) - s.mean[static_cast<size_t>(j)];
      s.scale[static_cast<size_t>(j)] += c * c;
    }
  for (double& v : s.scale) {
    v = std::sqrt(v / static_cast<double>(x.rows > 0 ? x.rows : 1));
    // StandardScaler's rule: a (near) constant feature keeps scale 1 instead of dividing by ~0.
    if (v < 10.0 * 2.220446049250313e-16) v = 1.0;
  }
  return s;
}

Standardizer Standardizer::Identity(int64_t num_features) {
  Standardizer s;
  s.mean.assign(static_cast<size_t>(num_features), 0.0);
  s.scale.assign(static_cast<size_t>(num_features), 1.0);
  return s;
}

void Standardizer::TransformInPlace(DenseMatrix& x) const {
  for (int64_t i = 0; i < x.rows; ++i) {
    double* r = x.row(i);
    for (int64_t j = 0; j < x.cols; ++j) r[j] = (r[j] - mean[static_cast<size_t>(j)]) / scale[static_cast<size_t>(j)];
  }
}

SoftmaxWeights Standardizer::FoldInto(const SoftmaxWeights& standardized) const {
  SoftmaxWeights raw = standardized;
  const int64_t d = standardized.num_features;
  for (int64_t c = 0; c < standardized.num_classes; ++c) {
    double shift = 0.0;
    for (int64_t j = 0; j < d; ++j) {
      double& w = raw.weight[static_cast<size_t>(c * d + j)];
      w /= scale[static_cast<size_t>(j)];
      shift += w * mean[static_cast<size_t>(j)];
    }
    raw.bias[static_cast<size_t>(c)] -= shift;
  }
  return raw;
}

}  // namespace vit::adapt
