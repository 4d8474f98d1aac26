#pragma once

#include <cstdint>

namespace vit::kernels {

// y = (x - mean) / sqrt(var + eps) * gamma + beta over each row of `cols` (biased variance, as torch).
// x and y may alias.
void LayerNorm(const float* x, int64_t rows, int64_t cols, const float* gamma, const float* beta, float eps,
               float* y);

}  // namespace vit::kernels
