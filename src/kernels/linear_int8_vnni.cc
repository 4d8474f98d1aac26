#include "kernels/linear_int8_vnni.h"

#include <cmath>

#include "core/aligned.h"
#include "kernels/dnnl_context.h"
#include "kernels/gemm_vnni.h"
#include "vit/error.h"

namespace vit::kernels {

bool Int8VnniLinear::Supports(int64_t out_features, int64_t in_features) {
  return vnni::Supports(out_features, in_features);
}

std::unique_ptr<LinearBackend> Int8VnniLinear::Pack(QuantizedWeights weights, const float* bias,
                                                    int64_t out_features, int64_t in_features) {
  std::unique_ptr<Int8VnniLinear> linear(new Int8VnniLinear(out_features, in_features, bias));
  linear->weight_scales_ = std::move(weights.scales);
  linear->offset_terms_ = std::move(weights.offset_terms);
  linear->offset_sums_ = std::move(weights.offset_sums);
  void* packed = core::AlignedAlloc(linear->PackedBytes());
  linear->weights_owner_ = std::shared_ptr<const void>(packed, core::AlignedFree);
  vnni::PackWeights(weights.values, out_features, in_features, static_cast<int8_t*>(packed));
  linear->packed_ = static_cast<const int8_t*>(packed);
  return linear;
}

std::unique_ptr<LinearBackend> Int8VnniLinear::FromPacked(const PackedForm& form, int64_t out_features,
                                                          int64_t in_features, std::shared_ptr<const void> owner) {
  std::unique_ptr<Int8VnniLinear> linear(new Int8VnniLinear(out_features, in_features, form.bias.data()));
  CheckPackedForm(form, linear->layout(), linear->PackedBytes());
  linear->weight_scales_.assign(form.weight_scales.begin(), form.weight_scales.end());
  linear->offset_terms_.assign(form.offset_terms.begin(), form.offset_terms.end());
  // The integer sums come back from the float offset terms, 128 * scale * sum rounded once to float:
  // |sum| <= 127 * 65536 < 2^23, so the relative error of 2^-24 leaves it within 0.5 of the integer.
  const auto n = static_cast<size_t>(out_features);
  linear->offset_sums_.resize(n);
  const double max_sum = 127.0 * static_cast<double>(in_features);
  for (size_t i = 0; i < n; ++i) {
    const double unit = 128.0 * static_cast<double>(form.weight_scales[i]);
    const double sum = unit > 0 ? static_cast<double>(form.offset_terms[i]) / unit : 0.0;
    if (!(std::fabs(sum) <= max_sum))  // also NaN: a damaged file, never trusted
      throw Error("gemm: packed offset term " + std::to_string(i) + " does not fit its weight scale",
                  ErrorKind::kInvalidInput);
    linear->offset_sums_[i] = 128 * static_cast<int32_t>(std::llround(sum));
  }
  linear->packed_ = reinterpret_cast<const int8_t*>(form.weights.data());
  linear->weights_owner_ = std::move(owner);
  return linear;
}

size_t Int8VnniLinear::PackedBytes() const { return vnni::PackedBytes(out_features_, in_features_); }

std::string Int8VnniLinear::layout() const {
  return "vit vnni int8 panels of " + std::to_string(vnni::kPanelColumns) + " columns, k in fours dims " +
         std::to_string(in_features_) + " " + std::to_string(out_features_) + " bytes " +
         std::to_string(PackedBytes());
}

std::span<const std::byte> Int8VnniLinear::packed_weights() const {
  return {reinterpret_cast<const std::byte*>(packed_), PackedBytes()};
}

void Int8VnniLinear::Forward(const float* x, int64_t rows, float* y, Epilogue epilogue, int64_t) const {
  ThreadScratchBuffers& scratch = ThreadScratch();
  const vnni::Int8Weights w{packed_, offset_sums_.data(), weight_scales_.data(), bias_.data(), out_features_,
                            in_features_};
  vnni::Forward(w, x, rows, scratch.Int8(static_cast<size_t>(rows * in_features_)),
                scratch.XScales(static_cast<size_t>(rows)), y, epilogue);
}

}  // namespace vit::kernels
