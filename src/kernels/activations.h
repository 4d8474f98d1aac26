#pragma once

#include <cstdint>

#include "kernels/linear_types.h"

namespace vit::kernels {

// Exact GELU: x * 0.5 * (1 + erf(x / sqrt(2))), in place.
void GeluErf(float* x, int64_t n);
// In place.
void Tanh(float* x, int64_t n);
// quick_gelu: x * sigmoid(1.702 x), in place.
void QuickGelu(float* x, int64_t n);
// gelu_pytorch_tanh: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))), in place.
void GeluTanh(float* x, int64_t n);
// The activation of an epilogue (none for kBias and kBiasResidual), in place.
void Activate(Epilogue epilogue, float* x, int64_t n);
// Softmax over each row of `cols` values (rows `ld` apart), in place, max-subtracted.
void SoftmaxRows(float* x, int64_t rows, int64_t cols, int64_t ld);

}  // namespace vit::kernels
