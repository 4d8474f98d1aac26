#pragma once

#include <cstdint>

namespace vit::kernels {

// Exact GELU: x * 0.5 * (1 + erf(x / sqrt(2))), in place.
void GeluErf(float* x, int64_t n);
// In place.
void Tanh(float* x, int64_t n);
// Softmax over each row of `cols` values (rows `ld` apart), in place, max-subtracted.
void SoftmaxRows(float* x, int64_t rows, int64_t cols, int64_t ld);

}  // namespace vit::kernels
