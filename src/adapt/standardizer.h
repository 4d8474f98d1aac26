// Per-feature standardisation (scikit-learn's StandardScaler: mean and population standard
// deviation, constant features left unscaled). The solver converges far faster on standardised
// features; the fitted head is folded back so that it applies to the raw features.
#pragma once

#include <vector>

#include "adapt/dense_matrix.h"
#include "adapt/softmax_regression.h"

namespace vit::adapt {

struct Standardizer {
  std::vector<double> mean;
  std::vector<double> scale;  // 1 for constant features

  static Standardizer Fit(const DenseMatrix& x);
  static Standardizer Identity(int64_t num_features);
  void TransformInPlace(DenseMatrix& x) const;
  // Weights for raw features from weights for standardised ones: W' = W / scale,
  // b' = b - W' mean, so that W' x + b' = W ((x - mean) / scale) + b.
  SoftmaxWeights FoldInto(const SoftmaxWeights& standardized) const;
};

}  // namespace vit::adapt
