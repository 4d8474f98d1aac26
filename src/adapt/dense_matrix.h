// A row-major float64 matrix: the solver works in double precision, as scikit-learn does, so that
// probabilities agree with it to many digits whatever the conditioning of the features.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace vit::adapt {

struct DenseMatrix {
  int64_t rows = 0;
  int64_t cols = 0;
  std::vector<double> values;

  DenseMatrix() = default;
  DenseMatrix(int64_t r, int64_t c) : rows(r), cols(c), values(static_cast<size_t>(r * c), 0.0) {}

  double* row(int64_t i) { return values.data() + i * cols; }
  const double* row(int64_t i) const { return values.data() + i * cols; }
  double& at(int64_t i, int64_t j) { return values[static_cast<size_t>(i * cols + j)]; }
  double at(int64_t i, int64_t j) const { return values[static_cast<size_t>(i * cols + j)]; }
};

// The rows `indices` of m, in that order.
DenseMatrix SelectRows(const DenseMatrix& m, const std::vector<int64_t>& indices);

}  // namespace vit::adapt
