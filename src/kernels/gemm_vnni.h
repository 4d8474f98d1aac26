// int8 linear layers on AVX512-VNNI, written for ViT's shapes (a few hundred rows, K and N of 768 to
// 5120): one activation scale per row at no cost, and ahead of oneDNN 2.6's brgemm on ViT-L's four GEMMs
// per layer, activation quantization included (gemm_bench's GemmStreamed/s8 family, weights streamed from
// memory; VIT_INT8_GEMM=onednn runs oneDNN's for comparison; figures in bench/RESULTS.md).
//
// The weights are packed in panels of 64 output columns, each [K/4][64][4]: one 64-byte load gives
// VPDPBUSD the four k-values of 16 columns. The activations stay row-major uint8 offset by 128 (as
// QuantizeActivationRow writes them) and are broadcast four bytes at a time.
#pragma once

#include <cstddef>
#include <cstdint>

#include "kernels/linear_types.h"

namespace vit::kernels::vnni {

inline constexpr int64_t kPanelColumns = 64;

// Shapes it takes: in_features a multiple of 4 (rows are read four bytes at a time) and at most 65536
// (the int32 sums of 255 * 127 products cannot overflow).
bool Supports(int64_t out_features, int64_t in_features);
// Bytes of the packed weights: out_features rounded up to whole panels.
size_t PackedBytes(int64_t out_features, int64_t in_features);

// w [out_features, in_features] row-major into panels (the last zero-padded); on the OpenMP pool.
void PackWeights(const int8_t* w, int64_t out_features, int64_t in_features, int8_t* packed);

struct Int8Weights {
  const int8_t* packed = nullptr;      // PackWeights' layout
  const int32_t* offset_sums = nullptr;  // 128 * sum_k w[n][k]: what the activations' offset adds to output n
  const float* scales = nullptr;       // per output channel
  const float* bias = nullptr;         // per output channel
  int64_t out_features = 0;
  int64_t in_features = 0;
};

// y[r, n] = epilogue((q[r] . w[n] - offset_sums[n]) * s[r] * scales[n] + bias[n]) for r in [0, rows), with
// each row of x [rows, in_features] quantized on its own: q[r] = round(x[r] / s[r]) + 128 (uint8), s[r] =
// max|x[r]| / 127, written to quantized [rows, in_features] and row_scales [rows]. y is f32 [rows,
// out_features] (holding the residual on entry for kBiasResidual). Per-row scales cost nothing here
// (oneDNN 2.6's kernels take one per call), follow each token's own range, and leave every row's result
// independent of the others'. One parallel region: the rows are quantized, then multiplied. Thread-safe.
void Forward(const Int8Weights& w, const float* x, int64_t rows, uint8_t* quantized, float* row_scales, float* y,
             Epilogue epilogue);

}  // namespace vit::kernels::vnni
