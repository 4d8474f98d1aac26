// The one precision a user chooses; the kernels' own choices (GEMM operand types, bf16 activations,
// attention's products) follow from it in model/precision_policy.h.
#pragma once

namespace vit {

// kF32: as PyTorch's float32. kBF16: bf16 weights and activations, fp32 sums. kInt8: int8 weights (one
// scale per output channel) and activations (one scale per token), int32 sums.
enum class Precision { kF32, kBF16, kInt8 };

// "f32" | "bf16" | "int8".
inline const char* PrecisionName(Precision precision) {
  switch (precision) {
    case Precision::kF32: return "f32";
    case Precision::kBF16: return "bf16";
    case Precision::kInt8: return "int8";
  }
  return "?";
}

}  // namespace vit
