// The int8 back end on our AVX512-VNNI kernel (gemm_vnni.h): panels of 64 output columns, k in fours,
// one activation scale per row.
#pragma once

#include <memory>

#include "kernels/linear_backend.h"

namespace vit::kernels {

class Int8VnniLinear final : public LinearBackend {
 public:
  // The shapes it takes: vnni::Supports.
  static bool Supports(int64_t out_features, int64_t in_features);
  // Needs the CPU's AVX512-VNNI (the table's GemmKernel::kInt8Vnni).
  static std::unique_ptr<LinearBackend> Pack(QuantizedWeights weights, const float* bias, int64_t out_features,
                                             int64_t in_features);
  // Views form.weights (owned by `owner`); throws kInvalidInput unless its layout and size are this one's,
  // or an offset term does not fit its weight scale.
  static std::unique_ptr<LinearBackend> FromPacked(const PackedForm& form, int64_t out_features, int64_t in_features,
                                                   std::shared_ptr<const void> owner);

  // rows_per_scale is not needed: every row has its own scale.
  void Forward(const float* x, int64_t rows, float* y, Epilogue epilogue, int64_t rows_per_scale) const override;
  std::string kernel() const override { return "vit avx512_vnni"; }
  std::string layout() const override;
  std::span<const std::byte> packed_weights() const override;

 private:
  Int8VnniLinear(int64_t out_features, int64_t in_features, const float* bias)
      : LinearBackend(out_features, in_features, Precision::kInt8, bias) {}
  size_t PackedBytes() const;
  const int8_t* packed_ = nullptr;
  std::vector<int32_t> offset_sums_;  // 128 * sum_k q[n][k]
};

}  // namespace vit::kernels
