#include "kernels/linear_f32_avx512.h"

#include "core/aligned.h"
#include "kernels/gemm_f32.h"

namespace vit::kernels {

std::unique_ptr<LinearBackend> F32Avx512Linear::Pack(const float* weight, const float* bias, int64_t out_features,
                                                     int64_t in_features) {
  std::unique_ptr<F32Avx512Linear> linear(new F32Avx512Linear(out_features, in_features, bias));
  void* packed = core::AlignedAlloc(linear->PackedBytes());
  linear->weights_owner_ = std::shared_ptr<const void>(packed, core::AlignedFree);
  f32::PackWeights(weight, out_features, in_features, static_cast<float*>(packed));
  linear->packed_ = static_cast<const float*>(packed);
  return linear;
}

std::unique_ptr<LinearBackend> F32Avx512Linear::FromPacked(const PackedForm& form, int64_t out_features,
                                                           int64_t in_features, std::shared_ptr<const void> owner) {
  std::unique_ptr<F32Avx512Linear> linear(new F32Avx512Linear(out_features, in_features, form.bias.data()));
  CheckPackedForm(form, linear->layout(), linear->PackedBytes());
  linear->packed_ = reinterpret_cast<const float*>(form.weights.data());
  linear->weights_owner_ = std::move(owner);
  return linear;
}

size_t F32Avx512Linear::PackedBytes() const { return f32::PackedFloats(out_features_, in_features_) * sizeof(float); }

std::string F32Avx512Linear::layout() const {
  return "vit avx512 f32 panels of " + std::to_string(f32::kPanelColumns) + " columns dims " +
         std::to_string(in_features_) + " " + std::to_string(out_features_) + " bytes " +
         std::to_string(PackedBytes());
}

std::span<const std::byte> F32Avx512Linear::packed_weights() const {
  return {reinterpret_cast<const std::byte*>(packed_), PackedBytes()};
}

void F32Avx512Linear::Forward(const float* x, int64_t rows, float* y, Epilogue epilogue, int64_t) const {
  f32::Forward({packed_, bias_.data(), out_features_, in_features_}, x, rows, y, epilogue);
}

}  // namespace vit::kernels
