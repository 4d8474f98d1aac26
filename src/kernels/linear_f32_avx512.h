// The fp32 back end on our AVX-512 kernel (gemm_f32.h): panels of 64 output columns.
#pragma once

#include <memory>

#include "kernels/linear_backend.h"

namespace vit::kernels {

class F32Avx512Linear final : public LinearBackend {
 public:
  // weight [out_features, in_features] row-major; bias or nullptr. Needs the CPU's AVX-512F (the table's
  // GemmKernel::kF32Avx512).
  static std::unique_ptr<LinearBackend> Pack(const float* weight, const float* bias, int64_t out_features,
                                             int64_t in_features);
  // Views form.weights (owned by `owner`); throws kInvalidInput unless its layout and size are this one's.
  static std::unique_ptr<LinearBackend> FromPacked(const PackedForm& form, int64_t out_features, int64_t in_features,
                                                   std::shared_ptr<const void> owner);

  void Forward(const float* x, int64_t rows, float* y, Epilogue epilogue, int64_t rows_per_scale) const override;
  std::string kernel() const override { return "vit avx512 f32"; }
  std::string layout() const override;
  std::span<const std::byte> packed_weights() const override;

 private:
  F32Avx512Linear(int64_t out_features, int64_t in_features, const float* bias)
      : LinearBackend(out_features, in_features, Precision::kF32, bias) {}
  size_t PackedBytes() const;
  const float* packed_ = nullptr;
};

}  // namespace vit::kernels
