// One back end of PackedLinear (gemm.h): a type per kernel family (linear_onednn.h, linear_f32_avx512.h,
// linear_int8_vnni.h) that owns its packing, its forward pass and its serialised layout. The front end
// chooses one at Pack from the table of kernels (dispatch.h) and never branches on it again.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "kernels/linear_types.h"

namespace vit::kernels {

// int8 weights in nn.Linear layout with what every int8 back end derives from them.
struct QuantizedWeights {
  const int8_t* values = nullptr;  // [out_features, in_features], round(w / scale)
  std::vector<float> scales;       // per output channel: max|w[n]| / 127
  // 128 * scale[n] * sum_k q[n][k]: what the activations' offset of 128 adds to output n per unit of
  // activation scale, subtracted with the bias.
  std::vector<float> offset_terms;
  std::vector<int32_t> offset_sums;  // 128 * sum_k q[n][k], exact, for kernels that subtract in integers
};

// The stored form of a packed layer, as the packed-weights cache keeps it.
struct PackedForm {
  std::span<const std::byte> weights;  // 64-byte aligned
  std::string layout;
  std::span<const float> bias;           // out_features
  std::span<const float> weight_scales;  // int8: out_features; else empty
  std::span<const float> offset_terms;   // int8: out_features; else empty
};

// Throws kInvalidInput unless form.layout is `layout` and form.weights is `bytes` long at a 64-byte
// boundary: the bytes are meaningful only under the blocking they were packed for.
void CheckPackedForm(const PackedForm& form, const std::string& layout, size_t bytes);

class LinearBackend {
 public:
  LinearBackend(int64_t out_features, int64_t in_features, Precision precision, const float* bias);
  virtual ~LinearBackend() = default;
  LinearBackend(const LinearBackend&) = delete;
  LinearBackend& operator=(const LinearBackend&) = delete;

  // As PackedLinear::Forward: x [rows, in_features] f32, y [rows, out_features] f32, rows > 0.
  virtual void Forward(const float* x, int64_t rows, float* y, Epilogue epilogue, int64_t rows_per_scale) const = 0;
  // x already bf16; y f32, or bf16 when y_bf16. Only bf16 back ends take it (the front end checks).
  virtual void ForwardBf16(const uint16_t* x, int64_t rows, void* y, bool y_bf16, Epilogue epilogue) const;

  // For reports: "vit avx512 f32", "vit avx512_vnni", or oneDNN's name for its implementation.
  virtual std::string kernel() const = 0;
  // What the packed bytes mean (blocking, ISA, version): bytes are restored only under the same layout.
  virtual std::string layout() const = 0;
  virtual std::span<const std::byte> packed_weights() const = 0;

  std::span<const float> bias() const { return bias_; }
  std::span<const float> weight_scales() const { return weight_scales_; }
  std::span<const float> offset_terms() const { return offset_terms_; }
  int64_t out_features() const { return out_features_; }
  int64_t in_features() const { return in_features_; }
  Precision precision() const { return precision_; }

 protected:
  const int64_t out_features_;
  const int64_t in_features_;
  const Precision precision_;
  std::vector<float> bias_;            // out_features (zeros when the layer has none)
  std::vector<float> weight_scales_;   // int8
  std::vector<float> offset_terms_;    // int8
  std::shared_ptr<const void> weights_owner_;  // the packed weights' memory: ours, or a cache file's mapping
};

}  // namespace vit::kernels
