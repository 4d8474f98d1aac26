// bfloat16 as the bf16 GEMMs take it: the upper half of a float, rounded to nearest even (as torch's
// .to(torch.bfloat16) and VCVTNEPS2BF16), NaN kept a quiet NaN. Scalar forms; the vector form is
// StoreBf16 in simd_math-inl.h.
#pragma once

#include <cstdint>
#include <cstring>

namespace vit::kernels {

inline uint16_t FloatToBf16(float x) {
  uint32_t bits;
  std::memcpy(&bits, &x, sizeof(bits));
  if ((bits & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((bits | 0x00400000u) >> 16);
  return static_cast<uint16_t>((bits + 0x7fffu + ((bits >> 16) & 1u)) >> 16);
}

inline float Bf16ToFloat(uint16_t h) {
  const uint32_t bits = static_cast<uint32_t>(h) << 16;
  float x;
  std::memcpy(&x, &bits, sizeof(x));
  return x;
}

}  // namespace vit::kernels
