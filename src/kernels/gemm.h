// Linear layers: y[M,N] = epilogue(x[M,K] · W[N,K]^T + b), W in PyTorch nn.Linear layout.
// Weights are packed once (oneDNN's preferred layout, optionally bf16 or int8); Forward reuses
// primitives cached by row count, so the steady state allocates nothing.
#pragma once

#include <cstdint>
#include <memory>

namespace vit::kernels {

enum class GemmPrecision { kF32, kBF16, kInt8 };

enum class Epilogue {
  kBias,          // y = xW^T + b
  kBiasGelu,      // y = gelu_erf(xW^T + b)
  kBiasResidual,  // y = xW^T + b + y   (y holds the residual on entry)
  kBiasTanh,      // y = tanh(xW^T + b)
};

class PackedLinear {
 public:
  PackedLinear();
  ~PackedLinear();
  PackedLinear(PackedLinear&&) noexcept;
  PackedLinear& operator=(PackedLinear&&) noexcept;

  // weight [out_features, in_features] row-major; bias [out_features] or nullptr (zeros).
  static PackedLinear Pack(const float* weight, const float* bias, int64_t out_features, int64_t in_features,
                           GemmPrecision precision);

  // x [rows, in_features] and y [rows, out_features], both contiguous. Thread-safe.
  void Forward(const float* x, int64_t rows, float* y, Epilogue epilogue) const;

  int64_t in_features() const;
  int64_t out_features() const;
  size_t packed_bytes() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace vit::kernels
