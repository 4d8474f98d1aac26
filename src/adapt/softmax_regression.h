// Multinomial logistic (softmax) regression with an L2 penalty on the weights, the objective of
// scikit-learn's LogisticRegression(multi_class="multinomial", solver="lbfgs"):
//   minimise  sum_i [logsumexp(z_i) - z_i[y_i]] + ||W||^2 / (2 C),   z_i = W x_i + b,
// the bias not penalised. It is solved divided by n (the same minimiser, gradients of order one, so
// one tolerance serves every data-set size).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "adapt/dense_matrix.h"
#include "adapt/lbfgs.h"

namespace vit::adapt {

struct SoftmaxWeights {
  int64_t num_classes = 0;
  int64_t num_features = 0;
  std::vector<double> weight;  // [num_classes, num_features], nn.Linear layout
  std::vector<double> bias;    // [num_classes]

  SoftmaxWeights() = default;
  SoftmaxWeights(int64_t k, int64_t d)
      : num_classes(k), num_features(d), weight(static_cast<size_t>(k * d), 0.0), bias(static_cast<size_t>(k), 0.0) {}
};

// The scaled objective and its gradient at params = [W row-major, b], for gradient checks and the solver.
class SoftmaxObjective {
 public:
  // labels in [0, num_classes); x and labels must outlive the objective.
  SoftmaxObjective(const DenseMatrix& x, std::span<const int> labels, int64_t num_classes, double C);
  double operator()(std::span<const double> params, std::span<double> grad);
  int64_t num_params() const { return num_classes_ * (x_.cols + 1); }

 private:
  const DenseMatrix& x_;
  std::span<const int> labels_;
  int64_t num_classes_;
  double inverse_c_;
  std::vector<double> logits_;  // [n, k], reused between evaluations
};

// Fits from the weights already in `model` (zeros, or a warm start from a nearby C).
LbfgsResult FitSoftmaxRegression(const DenseMatrix& x, std::span<const int> labels, double C, SoftmaxWeights& model,
                                 const LbfgsOptions& options);

// Logits [n, k] = x W^T + b.
DenseMatrix SoftmaxLogits(const DenseMatrix& x, const SoftmaxWeights& model);
// Row-wise softmax of logits, in place, computed stably.
void SoftmaxRowsInPlace(DenseMatrix& logits);

}  // namespace vit::adapt
