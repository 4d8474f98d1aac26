// Conversions that feed the reduced-precision GEMMs: fp32 -> bf16 (round to nearest even, as
// torch's .to(bfloat16)) and symmetric int8 quantization (per output channel for weights, one scale
// per call for activations, chosen at run time from the data).
#pragma once

#include <cstdint>

namespace vit::kernels {

void ConvertToBF16(const float* x, int64_t n, uint16_t* out);

// Row r of w[rows, cols] becomes round(w / scale[r]) with scale[r] = max|w[r, :]| / 127.
void QuantizeWeightsPerRow(const float* w, int64_t rows, int64_t cols, int8_t* out, float* scales);

// Activations go in as uint8 offset by 128, the unsigned operand of VPDPBUSD (signed activations would make
// the GEMM add 128 inside its kernel and subtract a compensation after):
// out = round(x * (1 / s)) + 128, in 1..255, with s = max|x| / 127; returns s (1 when x is all zeros).
float QuantizeActivationsPerTensor(const float* x, int64_t n, uint8_t* out);
// The same on this thread alone, for a kernel that quantizes its own share of rows.
float QuantizeActivationRow(const float* x, int64_t n, uint8_t* out);
// The same for each run of `group_size` values (the last may be shorter) with its own scale, written to
// scales[ceil(n / group_size)]; two passes over the pool for all groups together.
void QuantizeActivationsInGroups(const float* x, int64_t n, int64_t group_size, uint8_t* out, float* scales);

}  // namespace vit::kernels
