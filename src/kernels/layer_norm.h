#pragma once

#include <cstdint>

namespace vit::kernels {

// y = (x - mean) / sqrt(var + eps) * gamma + beta over each row of `cols` (biased variance, as torch).
// x and y may alias.
void LayerNorm(const float* x, int64_t rows, int64_t cols, const float* gamma, const float* beta, float eps,
               float* y);
// The same, each output rounded to bfloat16 as it is stored (FloatToBf16): the input of a bf16 GEMM
// without a second pass to convert it. y must not overlap x.
void LayerNormToBf16(const float* x, int64_t rows, int64_t cols, const float* gamma, const float* beta, float eps,
                     uint16_t* y);

}  // namespace vit::kernels
