// TrainLinearProbe: standardise, choose C by stratified cross-validation along a warm-started path
// of increasing C (as LogisticRegressionCV does), refit on all training rows, fold the scaling back.
//
// Why an own solver and not liblinear: liblinear's logistic regression (-s 0/6/7) is one-vs-rest for
// more than two classes; its probabilities are normalised binary scores, not a softmax, so its head
// would not be a ViTForImageClassification classifier and would not match scikit-learn's
// multinomial LogisticRegression. Softmax regression with L-BFGS is small (see softmax_regression.cc).
#include <chrono>
#include <cmath>
#include <set>
#include <string>

#include "adapt/dense_matrix.h"
#include "adapt/softmax_regression.h"
#include "adapt/standardizer.h"
#include "adapt/stratified_folds.h"
#include "vit/error.h"
#include "vit/probe.h"

namespace vit {
namespace {

using adapt::DenseMatrix;
using adapt::SoftmaxWeights;

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

DenseMatrix ToDense(const Tensor& features) {
  DenseMatrix x(features.dim(0), features.dim(1));
  const float* src = features.data();
  for (size_t i = 0; i < x.values.size(); ++i) {
    if (!std::isfinite(src[i]))
      throw Error("probe features: row " + std::to_string(i / static_cast<size_t>(x.cols)) +
                      " holds a non-finite value",
                  ErrorKind::kInvalidInput);
    x.values[i] = src[i];
  }
  return x;
}

std::vector<double> DefaultCs() {
  // numpy.logspace(-4, 4, 10), LogisticRegressionCV(Cs=10)'s grid.
  std::vector<double> cs;
  for (int i = 0; i < 10; ++i) cs.push_back(std::pow(10.0, -4.0 + 8.0 * i / 9.0));
  return cs;
}

double Accuracy(const DenseMatrix& x, std::span<const int> labels, const SoftmaxWeights& w) {
  const DenseMatrix logits = adapt::SoftmaxLogits(x, w);
  int64_t correct = 0;
  for (int64_t i = 0; i < logits.rows; ++i) {
    const double* z = logits.row(i);
    int64_t best = 0;
    for (int64_t c = 1; c < logits.cols; ++c)
      if (z[c] > z[best]) best = c;
    correct += best == labels[static_cast<size_t>(i)];
  }
  return logits.rows ? static_cast<double>(correct) / static_cast<double>(logits.rows) : 0.0;
}

// Mean held-out accuracy for each C. Each fold walks the Cs in increasing order, starting from the
// previous C's solution: weak regularisation is where L-BFGS is slow, and the path gets it close.
std::vector<double> CrossValidate(const DenseMatrix& x, std::span<const int> labels, int64_t num_classes,
                                  const std::vector<double>& cs, int folds, const ProbeTrainingOptions& options) {
  const std::vector<int> fold_of = adapt::AssignStratifiedFolds(labels, folds, options.seed);
  std::vector<double> accuracy(cs.size(), 0.0);
  adapt::LbfgsOptions lbfgs;
  lbfgs.max_iterations = options.max_iterations;
  lbfgs.gradient_tolerance = options.cv_tolerance;
  for (int f = 0; f < folds; ++f) {
    std::vector<int64_t> train_rows, test_rows;
    std::vector<int> train_labels, test_labels;
    for (size_t i = 0; i < labels.size(); ++i) {
      auto& rows = fold_of[i] == f ? test_rows : train_rows;
      auto& ys = fold_of[i] == f ? test_labels : train_labels;
      rows.push_back(static_cast<int64_t>(i));
      ys.push_back(labels[i]);
    }
    const DenseMatrix x_train = adapt::SelectRows(x, train_rows);
    const DenseMatrix x_test = adapt::SelectRows(x, test_rows);
    SoftmaxWeights w(num_classes, x.cols);
    for (size_t c = 0; c < cs.size(); ++c) {
      adapt::FitSoftmaxRegression(x_train, train_labels, cs[c], w, lbfgs);
      accuracy[c] += Accuracy(x_test, test_labels, w) / folds;
    }
  }
  return accuracy;
}

}  // namespace

ProbeTrainingResult TrainLinearProbe(const Tensor& features, std::span<const int> labels,
                                     std::vector<std::string> id2label, const ProbeTrainingOptions& options) {
  if (features.rank() != 2)
    throw Error("probe features must be [N, D], got " + features.ShapeString(), ErrorKind::kInvalidArgument);
  if (features.dim(0) != static_cast<int64_t>(labels.size()))
    throw Error("probe: " + std::to_string(labels.size()) + " labels for " + std::to_string(features.dim(0)) +
                    " feature rows",
                ErrorKind::kInvalidArgument);
  const auto num_classes = static_cast<int64_t>(id2label.size());
  std::set<int> present;
  for (int y : labels) {
    if (y < 0 || y >= num_classes)
      throw Error("probe: label " + std::to_string(y) + " outside the " + std::to_string(num_classes) + " classes",
                  ErrorKind::kInvalidArgument);
    present.insert(y);
  }
  if (present.size() < 2)
    throw Error("probe: the training data has " + std::to_string(present.size()) +
                    " class(es); a classifier needs at least 2",
                ErrorKind::kInvalidInput);
  // A class without a training example would push its unpenalised bias towards minus infinity.
  for (int c = 0; c < static_cast<int>(num_classes); ++c)
    if (!present.count(c))
      throw Error("probe: class \"" + id2label[static_cast<size_t>(c)] + "\" has no training example",
                  ErrorKind::kInvalidInput);
  std::vector<double> cs = options.Cs.empty() ? DefaultCs() : options.Cs;
  for (double c : cs)
    if (!(c > 0.0) || !std::isfinite(c))
      throw Error("probe: every C must be a positive number, got " + std::to_string(c), ErrorKind::kInvalidArgument);
  std::sort(cs.begin(), cs.end());

  DenseMatrix x = ToDense(features);
  const adapt::Standardizer scaler =
      options.standardize ? adapt::Standardizer::Fit(x) : adapt::Standardizer::Identity(x.cols);
  scaler.TransformInPlace(x);

  ProbeTrainingResult result;
  result.Cs = cs;
  double best_c = cs.size() == 1 ? cs[0] : 1.0;  // LogisticRegression's default when CV is impossible
  const auto cv_start = std::chrono::steady_clock::now();
  if (cs.size() > 1) {
    result.cv_folds = adapt::UsableFolds(labels, options.cv_folds);
    if (result.cv_folds >= 2) {
      result.cv_accuracy = CrossValidate(x, labels, num_classes, cs, result.cv_folds, options);
      size_t best = 0;  // first maximum: ties go to the stronger regularisation, as in scikit-learn
      for (size_t c = 1; c < cs.size(); ++c)
        if (result.cv_accuracy[c] > result.cv_accuracy[best]) best = c;
      best_c = cs[best];
    }
  }
  result.cv_seconds = SecondsSince(cv_start);

  const auto fit_start = std::chrono::steady_clock::now();
  SoftmaxWeights w(num_classes, x.cols);
  adapt::LbfgsOptions lbfgs;
  lbfgs.max_iterations = options.max_iterations;
  lbfgs.gradient_tolerance = options.tolerance;
  const adapt::LbfgsResult fit = adapt::FitSoftmaxRegression(x, labels, best_c, w, lbfgs);
  result.fit_seconds = SecondsSince(fit_start);
  result.iterations = fit.iterations;
  result.converged = fit.converged;

  const SoftmaxWeights raw = scaler.FoldInto(w);
  LinearHead& head = result.head;
  head.id2label = std::move(id2label);
  head.C = best_c;
  head.weight = Tensor({num_classes, x.cols});
  head.bias = Tensor({num_classes});
  for (size_t i = 0; i < raw.weight.size(); ++i) head.weight.data()[i] = static_cast<float>(raw.weight[i]);
  for (size_t i = 0; i < raw.bias.size(); ++i) head.bias.data()[i] = static_cast<float>(raw.bias[i]);
  return result;
}

}  // namespace vit
