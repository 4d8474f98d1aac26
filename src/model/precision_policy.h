// The precision policy: what the one user-facing precision (vit::Precision) means for each kernel. The
// only place it is decided; the table of kernels (kernels/dispatch.h) then says which code runs each
// choice on this CPU.
#pragma once

#include "kernels/attention.h"
#include "vit/precision.h"

namespace vit::model {

struct KernelPrecisions {
  Precision linear = Precision::kF32;  // the linear layers' weights and products (PackedLinear::Pack)
  // LayerNorm writes bf16 for the GEMM after it, and fc1 writes bf16 for fc2: no conversion pass.
  bool bf16_activations = false;
  // Attention's two products: bf16-rounded inputs in models whose GEMMs are already bf16 or coarser.
  kernels::AttentionProducts attention = kernels::AttentionProducts::kF32;
};

constexpr KernelPrecisions KernelPrecisionsFor(Precision precision) {
  switch (precision) {
    case Precision::kF32:
      return {Precision::kF32, false, kernels::AttentionProducts::kF32};
    case Precision::kBF16:
      return {Precision::kBF16, true, kernels::AttentionProducts::kBF16};
    case Precision::kInt8:
      // int8 quantizes its own f32 input per token, so LayerNorm's output stays f32.
      return {Precision::kInt8, false, kernels::AttentionProducts::kBF16};
  }
  return {};
}

}  // namespace vit::model
