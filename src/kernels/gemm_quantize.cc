// Highway kernels for the GEMM input conversions; the hot ones (per Forward call) are split across the
// OpenMP pool in chunks.
#include "kernels/gemm_quantize.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/gemm_quantize.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"

HWY_BEFORE_NAMESPACE();
namespace vit::kernels::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

float MaxAbsSpan(const float* x, int64_t n) {
  const hn::ScalableTag<float> d;
  const int64_t lanes = static_cast<int64_t>(hn::Lanes(d));
  auto m0 = hn::Zero(d), m1 = hn::Zero(d);
  int64_t i = 0;
  for (; i + 2 * lanes <= n; i += 2 * lanes) {
    m0 = hn::Max(m0, hn::Abs(hn::LoadU(d, x + i)));
    m1 = hn::Max(m1, hn::Abs(hn::LoadU(d, x + i + lanes)));
  }
  for (; i + lanes <= n; i += lanes) m0 = hn::Max(m0, hn::Abs(hn::LoadU(d, x + i)));
  float m = hn::GetLane(hn::MaxOfLanes(d, hn::Max(m0, m1)));
  for (; i < n; ++i) m = std::max(m, std::fabs(x[i]));
  return m;
}

// out = clamp(round_half_even(x * inverse_scale), -127, 127).
void QuantizeSpan(const float* x, int64_t n, float inverse_scale, int8_t* out) {
  const hn::ScalableTag<float> d;
  const hn::Rebind<int16_t, decltype(d)> d16;
  const hn::Rebind<int8_t, decltype(d)> d8;
  const int64_t lanes = static_cast<int64_t>(hn::Lanes(d));
  const auto vscale = hn::Set(d, inverse_scale);
  const auto lo = hn::Set(d, -127.f), hi = hn::Set(d, 127.f);
  int64_t i = 0;
  for (; i + lanes <= n; i += lanes) {
    const auto scaled = hn::Min(hi, hn::Max(lo, hn::Mul(hn::LoadU(d, x + i), vscale)));
    const auto q = hn::NearestInt(scaled);
    hn::StoreU(hn::DemoteTo(d8, hn::DemoteTo(d16, q)), d8, out + i);
  }
  for (; i < n; ++i) {
    const float q = std::nearbyint(std::min(127.f, std::max(-127.f, x[i] * inverse_scale)));
    out[i] = static_cast<int8_t>(q);
  }
}

// Round to nearest even on the upper 16 bits, as torch's .to(torch.bfloat16); NaN stays a quiet NaN.
void ConvertToBF16Span(const float* x, int64_t n, uint16_t* out) {
  const hn::ScalableTag<uint32_t> du;
  const hn::Rebind<uint16_t, decltype(du)> d16;
  const hn::Rebind<int32_t, decltype(du)> di;
  const int64_t lanes = static_cast<int64_t>(hn::Lanes(du));
  const auto bias = hn::Set(du, 0x7fffu), one = hn::Set(du, 1u), abs_mask = hn::Set(du, 0x7fffffffu);
  const auto inf = hn::Set(du, 0x7f800000u), quiet = hn::Set(du, 0x00400000u);
  int64_t i = 0;
  for (; i + lanes <= n; i += lanes) {
    const auto bits = hn::LoadU(du, reinterpret_cast<const uint32_t*>(x + i));
    const auto rounded = hn::Add(bits, hn::Add(bias, hn::And(hn::ShiftRight<16>(bits), one)));
    const auto is_nan = hn::Gt(hn::BitCast(di, hn::And(bits, abs_mask)), hn::BitCast(di, inf));
    const auto result = hn::ShiftRight<16>(hn::IfThenElse(hn::RebindMask(du, is_nan), hn::Or(bits, quiet), rounded));
    hn::StoreU(hn::DemoteTo(d16, hn::BitCast(di, result)), d16, out + i);
  }
  for (; i < n; ++i) {
    uint32_t bits;
    std::memcpy(&bits, &x[i], sizeof(bits));
    if ((bits & 0x7fffffffu) > 0x7f800000u) {
      out[i] = static_cast<uint16_t>((bits | 0x00400000u) >> 16);
    } else {
      out[i] = static_cast<uint16_t>((bits + 0x7fffu + ((bits >> 16) & 1u)) >> 16);
    }
  }
}

}  // namespace vit::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
#include "kernels/simd_dispatch.h"
#include "kernels/work_split.h"
#include <vector>

#include "core/threads.h"

namespace vit::kernels {

HWY_EXPORT(MaxAbsSpan);
HWY_EXPORT(QuantizeSpan);
HWY_EXPORT(ConvertToBF16Span);

namespace {

constexpr int64_t kChunk = 32 * 1024;

template <typename Fn>
void ForEachChunk(int64_t n, Fn fn) {
  const WorkSplit split = SplitWork(n, kChunk, 64);
  if (split.pieces <= 1) {
    fn(int64_t{0}, n);
    return;
  }
  core::ParallelFor(split.pieces, [&](int64_t c) { fn(c * split.size, std::min(split.size, n - c * split.size)); });
}

float MaxAbs(const float* x, int64_t n) {
  const auto span = VIT_DISPATCH(MaxAbsSpan);
  // The partial maxima live on the caller's stack: at most kMaxPieces of them.
  constexpr int64_t kMaxPieces = 4096;
  const WorkSplit split = SplitWork(n, std::max(kChunk, (n + kMaxPieces / 2 - 1) / (kMaxPieces / 2)), 64);
  if (split.pieces <= 1) return span(x, n);
  float partial[kMaxPieces];
  core::ParallelFor(split.pieces,
                    [&](int64_t c) { partial[c] = span(x + c * split.size, std::min(split.size, n - c * split.size)); });
  return *std::max_element(partial, partial + split.pieces);
}

}  // namespace

void ConvertToBF16(const float* x, int64_t n, uint16_t* out) {
  const auto span = VIT_DISPATCH(ConvertToBF16Span);
  ForEachChunk(n, [&](int64_t begin, int64_t count) { span(x + begin, count, out + begin); });
}

void QuantizeWeightsPerRow(const float* w, int64_t rows, int64_t cols, int8_t* out, float* scales) {
  const auto max_abs = VIT_DISPATCH(MaxAbsSpan);
  const auto quantize = VIT_DISPATCH(QuantizeSpan);
  core::ParallelFor(rows, [&](int64_t r) {
    const float m = max_abs(w + r * cols, cols);
    const float scale = m > 0.f ? m / 127.f : 1.f;
    scales[r] = scale;
    quantize(w + r * cols, cols, 1.f / scale, out + r * cols);
  });
}

float QuantizeActivationsPerTensor(const float* x, int64_t n, int8_t* out) {
  const float m = MaxAbs(x, n);
  const float scale = m > 0.f ? m / 127.f : 1.f;
  const float inverse = 1.f / scale;
  const auto quantize = VIT_DISPATCH(QuantizeSpan);
  ForEachChunk(n, [&](int64_t begin, int64_t count) { quantize(x + begin, count, inverse, out + begin); });
  return scale;
}

}  // namespace vit::kernels
#endif  // HWY_ONCE
