#include "adapt/dense_matrix.h"

#include <algorithm>

namespace vit::adapt {

DenseMatrix SelectRows(const DenseMatrix& m, const std::vector<int64_t>& indices) {
  DenseMatrix out(static_cast<int64_t>(indices.size()), m.cols);
  for (size_t i = 0; i < indices.size(); ++i)
    std::copy_n(m.row(indices[i]), m.cols, out.row(static_cast<int64_t>(i)));
  return out;
}

}  // namespace vit::adapt
