#include "kernels/gemm_quantize.h"

#include <cmath>
#include <cstring>

namespace vit::kernels {
namespace {

float MaxAbs(const float* x, int64_t n) {
  float m = 0.f;
  for (int64_t i = 0; i < n; ++i) m = std::fmax(m, std::fabs(x[i]));
  return m;
}

void Quantize(const float* x, int64_t n, float inverse_scale, int8_t* out) {
  for (int64_t i = 0; i < n; ++i) {
    const float q = std::nearbyint(x[i] * inverse_scale);
    out[i] = static_cast<int8_t>(std::fmin(127.f, std::fmax(-127.f, q)));
  }
}

}  // namespace

void ConvertToBF16(const float* x, int64_t n, uint16_t* out) {
  for (int64_t i = 0; i < n; ++i) {
    uint32_t bits;
    std::memcpy(&bits, &x[i], sizeof(bits));
    if ((bits & 0x7fffffffu) > 0x7f800000u) {
      out[i] = static_cast<uint16_t>((bits >> 16) | 0x40u);  // NaN stays a quiet NaN
    } else {
      bits += 0x7fffu + ((bits >> 16) & 1u);
      out[i] = static_cast<uint16_t>(bits >> 16);
    }
  }
}

void QuantizeWeightsPerRow(const float* w, int64_t rows, int64_t cols, int8_t* out, float* scales) {
  for (int64_t r = 0; r < rows; ++r) {
    const float max_abs = MaxAbs(w + r * cols, cols);
    const float scale = max_abs > 0.f ? max_abs / 127.f : 1.f;
    scales[r] = scale;
    Quantize(w + r * cols, cols, 1.f / scale, out + r * cols);
  }
}

float QuantizeActivationsPerTensor(const float* x, int64_t n, int8_t* out) {
  const float max_abs = MaxAbs(x, n);
  const float scale = max_abs > 0.f ? max_abs / 127.f : 1.f;
  Quantize(x, n, 1.f / scale, out);
  return scale;
}

}  // namespace vit::kernels
