#include "adapt/softmax_regression.h"

#include <cblas.h>

#include <algorithm>
#include <cmath>
#include <string>

#include "adapt/blas_threads.h"
#include "vit/error.h"

namespace vit::adapt {
namespace {

// x [n, d] times W^T [d, k] into out [n, k], then + b on every row.
void Logits(const DenseMatrix& x, const double* weight, const double* bias, int64_t k, double* out) {
  const int64_t n = x.rows, d = x.cols;
  if (n == 0) return;
  KeepBlasOnCallingThread();
  cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<int>(n), static_cast<int>(k), static_cast<int>(d),
              1.0, x.values.data(), static_cast<int>(d), weight, static_cast<int>(d), 0.0, out, static_cast<int>(k));
  for (int64_t i = 0; i < n; ++i)
    for (int64_t c = 0; c < k; ++c) out[i * k + c] += bias[c];
}

}  // namespace

SoftmaxObjective::SoftmaxObjective(const DenseMatrix& x, std::span<const int> labels, int64_t num_classes, double C)
    : x_(x), labels_(labels), num_classes_(num_classes), inverse_c_(1.0 / C) {
  if (static_cast<int64_t>(labels.size()) != x.rows)
    throw Error("softmax regression: " + std::to_string(labels.size()) + " labels for " + std::to_string(x.rows) +
                    " feature rows",
                ErrorKind::kInvalidArgument);
  if (x.rows == 0) throw Error("softmax regression: no training rows", ErrorKind::kInvalidArgument);
  if (!(C > 0.0) || !std::isfinite(C))
    throw Error("softmax regression: C must be a positive number, got " + std::to_string(C),
                ErrorKind::kInvalidArgument);
  for (int y : labels)
    if (y < 0 || y >= num_classes)
      throw Error("softmax regression: label " + std::to_string(y) + " outside [0, " + std::to_string(num_classes) +
                      ")",
                  ErrorKind::kInvalidArgument);
  logits_.resize(static_cast<size_t>(x.rows * num_classes));
}

double SoftmaxObjective::operator()(std::span<const double> params, std::span<double> grad) {
  const int64_t n = x_.rows, d = x_.cols, k = num_classes_;
  const double* weight = params.data();
  const double* bias = params.data() + k * d;
  Logits(x_, weight, bias, k, logits_.data());

  // Turn logits into dLoss/dz = (softmax(z) - onehot(y)) / n, summing the loss on the way.
  double loss = 0.0;
  const double inv_n = 1.0 / static_cast<double>(n);
  for (int64_t i = 0; i < n; ++i) {
    double* z = logits_.data() + i * k;
    const double max = *std::max_element(z, z + k);
    double sum = 0.0;
    for (int64_t c = 0; c < k; ++c) sum += std::exp(z[c] - max);
    const double log_sum = max + std::log(sum);
    loss += log_sum - z[labels_[static_cast<size_t>(i)]];
    for (int64_t c = 0; c < k; ++c) z[c] = std::exp(z[c] - log_sum) * inv_n;
    z[labels_[static_cast<size_t>(i)]] -= inv_n;
  }

  // dW = G^T x + W / (C n); db = column sums of G.
  double* grad_w = grad.data();
  double* grad_b = grad.data() + k * d;
  const double penalty_scale = inverse_c_ * inv_n;
  std::copy_n(weight, k * d, grad_w);
  KeepBlasOnCallingThread();
  cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, static_cast<int>(k), static_cast<int>(d), static_cast<int>(n),
              1.0, logits_.data(), static_cast<int>(k), x_.values.data(), static_cast<int>(d), penalty_scale, grad_w,
              static_cast<int>(d));
  std::fill_n(grad_b, k, 0.0);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t c = 0; c < k; ++c) grad_b[c] += logits_[static_cast<size_t>(i * k + c)];

  double squared_norm = 0.0;
  for (int64_t j = 0; j < k * d; ++j) squared_norm += weight[j] * weight[j];
  return loss * inv_n + 0.5 * penalty_scale * squared_norm;
}

LbfgsResult FitSoftmaxRegression(const DenseMatrix& x, std::span<const int> labels, double C, SoftmaxWeights& model,
                                 const LbfgsOptions& options) {
  if (model.num_features != x.cols)
    throw Error("softmax regression: weights for " + std::to_string(model.num_features) + " features, data has " +
                    std::to_string(x.cols),
                ErrorKind::kInvalidArgument);
  SoftmaxObjective objective(x, labels, model.num_classes, C);
  const int64_t k = model.num_classes, d = model.num_features;
  std::vector<double> params(static_cast<size_t>(objective.num_params()));
  std::copy(model.weight.begin(), model.weight.end(), params.begin());
  std::copy(model.bias.begin(), model.bias.end(), params.begin() + k * d);
  const LbfgsResult result = MinimizeLbfgs(
      [&](std::span<const double> p, std::span<double> g) { return objective(p, g); }, params, options);
  std::copy_n(params.begin(), k * d, model.weight.begin());
  std::copy_n(params.begin() + k * d, k, model.bias.begin());
  return result;
}

DenseMatrix SoftmaxLogits(const DenseMatrix& x, const SoftmaxWeights& model) {
  DenseMatrix out(x.rows, model.num_classes);
  Logits(x, model.weight.data(), model.bias.data(), model.num_classes, out.values.data());
  return out;
}

void SoftmaxRowsInPlace(DenseMatrix& logits) {
  for (int64_t i = 0; i < logits.rows; ++i) {
    double* z = logits.row(i);
    const double max = *std::max_element(z, z + logits.cols);
    double sum = 0.0;
    for (int64_t c = 0; c < logits.cols; ++c) sum += (z[c] = std::exp(z[c] - max));
    for (int64_t c = 0; c < logits.cols; ++c) z[c] /= sum;
  }
}

}  // namespace vit::adapt
