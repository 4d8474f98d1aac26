// Linear layers: y[M,N] = epilogue(x[M,K] · W[N,K]^T + b), W in PyTorch nn.Linear layout.
// The front end of the linear back ends (linear_backend.h): Pack converts the weights to the precision
// (bf16, or int8 with per-channel scales) and hands them to the back end the table of kernels
// (dispatch.h) names for the precision on this CPU: oneDNN's matmul (linear_onednn.h), our AVX-512 fp32
// panels (linear_f32_avx512.h) or our AVX512-VNNI int8 panels (linear_int8_vnni.h). The steady state
// allocates nothing.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "core/aligned.h"
#include "kernels/linear_types.h"

namespace vit::kernels {

class LinearBackend;

class PackedLinear {
 public:
  PackedLinear();
  ~PackedLinear();
  PackedLinear(PackedLinear&&) noexcept;
  PackedLinear& operator=(PackedLinear&&) noexcept;

  // weight [out_features, in_features] row-major; bias [out_features] or nullptr (zeros). bf16 and int8
  // convert the weight first; given `scratch`, into it, so that a loader packing layer after layer reuses
  // the same pages (fresh ones cost a first touch each, which dominated packing).
  static PackedLinear Pack(const float* weight, const float* bias, int64_t out_features, int64_t in_features,
                           Precision precision, core::FloatBuffer* scratch = nullptr);

  // x [rows, in_features] and y [rows, out_features], both contiguous. Thread-safe.
  // int8 quantizes the activations with a scale chosen from the data: on the VNNI kernel one per row;
  // on oneDNN's (AMX, or in_features not a multiple of 4) one per `rows_per_scale` rows (0: one for all
  // rows), since its kernels take a single scale per call. Either way a group's results do not depend on
  // the rest of the batch (the model passes one image's tokens). f32 and bf16 rows never depend on other rows.
  void Forward(const float* x, int64_t rows, float* y, Epilogue epilogue, int64_t rows_per_scale = 0) const;
  // kBF16 only, with x already bf16 (as LayerNormToBf16 writes it): no conversion pass. y is f32, or bf16
  // for the input of the next bf16 GEMM (rounded as FloatToBf16; not with kBiasResidual, whose residual
  // stream stays f32). Throws kInvalidArgument for other precisions.
  void Forward(const uint16_t* x, int64_t rows, float* y, Epilogue epilogue) const;
  void Forward(const uint16_t* x, int64_t rows, uint16_t* y, Epilogue epilogue) const;

  // The kernel that runs this layer, for reports: "vit avx512_vnni" (gemm_vnni.h), "vit avx512 f32"
  // (gemm_f32.h) or oneDNN's name for its implementation, e.g. "oneDNN brg:avx512_core".
  std::string kernel() const;

  int64_t in_features() const;
  int64_t out_features() const;
  size_t packed_bytes() const;

  // Saving and restoring the packed form (a cache of it spares the next load the conversion). The bytes
  // are only meaningful under the blocking they were packed for: layout() describes it (oneDNN version,
  // CPU ISA, blocking), and FromPacked accepts bytes only with the layout this process would pack.
  std::string layout() const;
  std::span<const std::byte> packed_weights() const;
  std::span<const float> bias() const;           // out_features
  std::span<const float> weight_scales() const;  // out_features for int8, else empty
  // int8: what the activations' offset of 128 adds to each output per unit of activation scale
  // (128 * weight_scale[n] * sum_k w[n][k], subtracted from each call's bias); else empty.
  std::span<const float> offset_terms() const;
  // Views `weights` (64-byte aligned) without copying; `owner` keeps the memory alive. Throws kInvalidInput
  // when `layout` is not the one this process would pack, or a size does not match.
  static PackedLinear FromPacked(std::span<const std::byte> weights, const std::string& layout,
                                 std::span<const float> bias, std::span<const float> weight_scales,
                                 std::span<const float> offset_terms, int64_t out_features, int64_t in_features,
                                 Precision precision, std::shared_ptr<const void> owner);

 private:
  void CheckBf16Input(bool y_bf16, Epilogue epilogue) const;
  std::unique_ptr<LinearBackend> backend_;
};

}  // namespace vit::kernels
