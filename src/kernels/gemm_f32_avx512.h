// A hand-written fp32 GEMM for AVX-512 CPUs: y[M,N] = epilogue(x[M,K] W[N,K]^T + b).
// The weights are packed once into panels of 48 columns (K rows of 48 floats each, zero padded past
// N); the activations are packed per call into tiles of 8 rows. Each output is one fp32 fused
// multiply-add chain over K in order, whatever the row count or the thread split, so a row's result
// never depends on the batch. Compiled for AVX-512 only inside its .cc; call it only where
// Avx512F32GemmAvailable() says yes.
// PackedLinear does not route through it: at the ViT-L/16 shapes it measures 0-25% below oneDNN 2.6's
// f32 matmul on a 2-core Sapphire Rapids (bench/kernels/gemm_f32_avx512_bench.cc compares the two).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

#include "kernels/gemm.h"

namespace vit::kernels {

// True when the CPU (and OS) run AVX-512 F/DQ/BW/VL code.
bool Avx512F32GemmAvailable();

class Avx512F32Weights {
 public:
  Avx512F32Weights() = default;
  // weight [out_features, in_features] row-major; bias [out_features] or nullptr (zeros).
  Avx512F32Weights(const float* weight, const float* bias, int64_t out_features, int64_t in_features);

  // x [rows, in_features], y [rows, out_features], contiguous; kBiasResidual reads y's old value.
  // Splits the columns across the OpenMP pool.
  void Forward(const float* x, int64_t rows, float* y, Epilogue epilogue) const;

  int64_t out_features() const { return out_features_; }
  int64_t in_features() const { return in_features_; }
  size_t packed_bytes() const { return bytes_; }

 private:
  struct FreeAligned {
    void operator()(float* p) const;
  };
  int64_t out_features_ = 0;
  int64_t in_features_ = 0;
  size_t bytes_ = 0;
  std::unique_ptr<float[], FreeAligned> panels_;  // [panel][k][32]
  std::unique_ptr<float[], FreeAligned> bias_;    // padded to whole panels
};

}  // namespace vit::kernels
