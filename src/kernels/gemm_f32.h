// fp32 linear layers on AVX-512 FMA, written for ViT's shapes (a few hundred rows per image, K and N of 768
// to 5120), with the work split dynamically between the threads (core::WorkRuns) instead of oneDNN's
// static split, which makes the faster core of a virtual machine wait for the slower one.
//
// The weights are packed in panels of 64 output columns, each [K][64]: one row of a panel is four vectors
// of the 16 columns each. The activations stay row-major and are broadcast one float at a time.
#pragma once

#include <cstddef>
#include <cstdint>

#include "kernels/linear_types.h"

namespace vit::kernels::f32 {

inline constexpr int64_t kPanelColumns = 64;

// Floats of the packed weights: out_features rounded up to whole panels, times in_features.
size_t PackedFloats(int64_t out_features, int64_t in_features);

// w [out_features, in_features] row-major into panels (the last zero-padded); on the OpenMP pool. Needs
// AVX-512F and -DQ, as Forward does: the table of kernels (dispatch.h) says where it runs.
void PackWeights(const float* w, int64_t out_features, int64_t in_features, float* packed);

struct Weights {
  const float* packed = nullptr;  // PackWeights' layout
  const float* bias = nullptr;    // per output channel
  int64_t out_features = 0;
  int64_t in_features = 0;
};

// y[r, n] = epilogue(x[r] . w[n] + bias[n]) for r in [0, rows); y is [rows, out_features], holding the
// residual on entry for kBiasResidual. Each output is one sum over k in order, so a row's result does not
// depend on the other rows. Thread-safe.
void Forward(const Weights& w, const float* x, int64_t rows, float* y, Epilogue epilogue);

}  // namespace vit::kernels::f32
