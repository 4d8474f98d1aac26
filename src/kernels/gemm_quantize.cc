// Highway kernels for the GEMM input conversions; the hot ones (per Forward call) are split across the
// OpenMP pool in chunks.
#include "kernels/gemm_quantize.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <type_traits>

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/gemm_quantize.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"
#include "kernels/bf16.h"
#include "kernels/simd_math-inl.h"

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

// out = clamp(round_half_even(x * inverse_scale), -127, 127), plus 128 when T is uint8_t.
template <typename T>
void QuantizeSpanAs(const float* x, int64_t n, float inverse_scale, T* out) {
  constexpr bool kOffset = std::is_same_v<T, uint8_t>;
  const hn::ScalableTag<float> d;
  const hn::Rebind<int16_t, decltype(d)> d16;
  const hn::Rebind<int8_t, decltype(d)> d8;
  const hn::Rebind<uint8_t, decltype(d)> du8;
  const int64_t lanes = static_cast<int64_t>(hn::Lanes(d));
  const auto vscale = hn::Set(d, inverse_scale);
  const auto lo = hn::Set(d, -127.f), hi = hn::Set(d, 127.f);
  int64_t i = 0;
#if HWY_TARGET == HWY_AVX3 || HWY_TARGET == HWY_AVX3_DL
  // Half the instructions of the portable loop below, with the same results: the values are clamped to
  // +-127 first, so CVTPS2DQ (round half to even) cannot overflow and needs none of NearestInt's fix-up,
  // and VPMOVSDB narrows 32 to 8 bits in one step instead of two packs and two permutes. (The int8
  // GEMM quantizes every activation it reads here, tens of millions of values per ViT-L image;
  // bench/kernels/quantize_bench.cc measures both loops.)
  for (; i + 16 <= n; i += 16) {
    const __m512 product = _mm512_mul_ps(_mm512_loadu_ps(x + i), vscale.raw);
    const __m512 scaled = _mm512_min_ps(hi.raw, _mm512_max_ps(lo.raw, product));
    __m128i q = _mm512_cvtsepi32_epi8(_mm512_cvtps_epi32(scaled));
    if constexpr (kOffset) q = _mm_xor_si128(q, _mm_set1_epi8(static_cast<char>(0x80)));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out + i), q);
  }
#endif
  for (; i + lanes <= n; i += lanes) {
    const auto scaled = hn::Min(hi, hn::Max(lo, hn::Mul(hn::LoadU(d, x + i), vscale)));
    const auto q = hn::DemoteTo(d8, hn::DemoteTo(d16, hn::NearestInt(scaled)));
    if constexpr (kOffset) {  // q + 128 is q with its sign bit flipped
      hn::StoreU(hn::Xor(hn::BitCast(du8, q), hn::Set(du8, uint8_t{0x80})), du8, reinterpret_cast<uint8_t*>(out + i));
    } else {
      hn::StoreU(q, d8, reinterpret_cast<int8_t*>(out + i));
    }
  }
  for (; i < n; ++i) {
    const int q = static_cast<int>(std::nearbyint(std::min(127.f, std::max(-127.f, x[i] * inverse_scale))));
    out[i] = static_cast<T>(kOffset ? q + 128 : q);
  }
}

void QuantizeSpan(const float* x, int64_t n, float inverse_scale, int8_t* out) {
  QuantizeSpanAs(x, n, inverse_scale, out);
}
void QuantizeSpanU8(const float* x, int64_t n, float inverse_scale, uint8_t* out) {
  QuantizeSpanAs(x, n, inverse_scale, out);
}

// As FloatToBf16 (kernels/bf16.h), a vector at a time.
void ConvertToBF16Span(const float* x, int64_t n, uint16_t* out) {
  const hn::ScalableTag<float> d;
  const int64_t lanes = static_cast<int64_t>(hn::Lanes(d));
  int64_t i = 0;
  for (; i + lanes <= n; i += lanes) StoreBf16(d, hn::LoadU(d, x + i), out + i);
  for (; i < n; ++i) out[i] = FloatToBf16(x[i]);
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
HWY_EXPORT(QuantizeSpanU8);
HWY_EXPORT(ConvertToBF16Span);

namespace {

constexpr int64_t kChunk = 32 * 1024;

// The symmetric int8 scale of values whose largest magnitude is m (1 for all zeros).
float ScaleForMaxAbs(float m) { return m > 0.f ? m / 127.f : 1.f; }

// fn(piece) for every piece, on the pool unless there is only one (a parallel region costs more than
// a small conversion).
template <typename Fn>
void ForEachPiece(int64_t pieces, Fn fn) {
  if (pieces == 1) {
    fn(int64_t{0});
  } else {
    core::ParallelFor(pieces, fn);
  }
}

template <typename Fn>
void ForEachChunk(int64_t n, Fn fn) {
  const WorkSplit split = SplitWork(n, kChunk, 64);
  ForEachPiece(split.pieces, [&](int64_t c) { fn(c * split.size, std::min(split.size, n - c * split.size)); });
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
    const float scale = ScaleForMaxAbs(max_abs(w + r * cols, cols));
    scales[r] = scale;
    quantize(w + r * cols, cols, 1.f / scale, out + r * cols);
  });
}

float QuantizeActivationsPerTensor(const float* x, int64_t n, uint8_t* out) {
  float scale = 1.f;
  QuantizeActivationsInGroups(x, n, n, out, &scale);
  return scale;
}

float QuantizeActivationRow(const float* x, int64_t n, uint8_t* out) {
  const float scale = ScaleForMaxAbs(VIT_DISPATCH(MaxAbsSpan)(x, n));
  VIT_DISPATCH(QuantizeSpanU8)(x, n, 1.f / scale, out);
  return scale;
}

void QuantizeActivationsInGroups(const float* x, int64_t n, int64_t group_size, uint8_t* out, float* scales) {
  if (n <= 0) return;
  if (group_size <= 0 || group_size > n) group_size = n;
  const auto max_abs = VIT_DISPATCH(MaxAbsSpan);
  const auto quantize = VIT_DISPATCH(QuantizeSpanU8);
  const int64_t groups = (n + group_size - 1) / group_size;
  // Every group cut alike, so piece p is piece p % per_group of group p / per_group.
  const WorkSplit split = SplitWork(group_size, kChunk, 64);
  const int64_t per_group = split.pieces;
  auto piece = [&](int64_t p, auto fn) {
    const int64_t g = p / per_group, begin = g * group_size + (p % per_group) * split.size;
    const int64_t end = std::min({begin + split.size, (g + 1) * group_size, n});
    if (begin < end) fn(g, begin, end - begin);
  };
  thread_local std::vector<float> partial;  // grow-only: the steady state allocates nothing
  partial.assign(static_cast<size_t>(groups * per_group), 0.f);  // a piece past n keeps 0
  float* maxima = partial.data();
  ForEachPiece(groups * per_group, [&](int64_t p) {
    piece(p, [&](int64_t, int64_t begin, int64_t count) { maxima[p] = max_abs(x + begin, count); });
  });
  for (int64_t g = 0; g < groups; ++g) {
    scales[g] = ScaleForMaxAbs(*std::max_element(maxima + g * per_group, maxima + (g + 1) * per_group));
  }
  ForEachPiece(groups * per_group, [&](int64_t p) {
    piece(p, [&](int64_t g, int64_t begin, int64_t count) { quantize(x + begin, count, 1.f / scales[g], out + begin); });
  });
}

}  // namespace vit::kernels
#endif  // HWY_ONCE
