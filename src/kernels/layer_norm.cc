// LayerNorm over rows: two passes per row (mean, then centred sums), as accurate as torch's and
// free of the cancellation of E[x^2] - E[x]^2; rows are split across the OpenMP pool.
#include "kernels/layer_norm.h"

#include <algorithm>
#include <cmath>
#include <cstdint>

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/layer_norm.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"
#include "kernels/bf16.h"
#include "kernels/simd_math-inl.h"

HWY_BEFORE_NAMESPACE();
namespace vit::kernels::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// Floats summed in float vectors before the partial sum joins a double: the rounding error stays that
// of a short sum whatever the row length or the vector width of the target.
constexpr int64_t kBlock = 256;

HWY_INLINE void Store(hn::ScalableTag<float> d, hn::Vec<hn::ScalableTag<float>> v, float* out) { hn::StoreU(v, d, out); }
HWY_INLINE void Store(hn::ScalableTag<float> d, hn::Vec<hn::ScalableTag<float>> v, uint16_t* out) { StoreBf16(d, v, out); }
inline float Round(float v, float*) { return v; }
inline uint16_t Round(float v, uint16_t*) { return FloatToBf16(v); }

template <typename Out>
void LayerNormRowsTo(const float* x, int64_t begin, int64_t end, int64_t cols, const float* gamma, const float* beta,
                     float eps, Out* y) {
  const hn::ScalableTag<float> d;
  const int64_t lanes = static_cast<int64_t>(hn::Lanes(d));
  const int64_t whole = cols - cols % lanes;
  const double n = static_cast<double>(cols);
  for (int64_t r = begin; r < end; ++r) {
    const float* in = x + r * cols;
    Out* out = y + r * cols;  // a float y may alias `in`: each element is read before it is written

    // First pass: the mean, in blocks.
    double sum = 0;
    for (int64_t b0 = 0; b0 < whole; b0 += kBlock) {
      const int64_t b1 = std::min(whole, b0 + kBlock);
      auto s = hn::Zero(d);
      for (int64_t i = b0; i < b1; i += lanes) s = hn::Add(s, hn::LoadU(d, in + i));
      sum += hn::GetLane(hn::SumOfLanes(d, s));
    }
    for (int64_t i = whole; i < cols; ++i) sum += in[i];
    const float mean = static_cast<float>(sum / n);

    // Second pass: centred sums. The sum of the float deviations is the rounding error of the float
    // mean; taking it out (the corrected two-pass algorithm) leaves the mean good to an ulp.
    const auto vmean = hn::Set(d, mean);
    double deviations = 0, squares = 0;
    for (int64_t b0 = 0; b0 < whole; b0 += kBlock) {
      const int64_t b1 = std::min(whole, b0 + kBlock);
      auto e = hn::Zero(d), q = hn::Zero(d);
      for (int64_t i = b0; i < b1; i += lanes) {
        const auto a = hn::Sub(hn::LoadU(d, in + i), vmean);
        e = hn::Add(e, a);
        q = hn::MulAdd(a, a, q);
      }
      deviations += hn::GetLane(hn::SumOfLanes(d, e));
      squares += hn::GetLane(hn::SumOfLanes(d, q));
    }
    for (int64_t i = whole; i < cols; ++i) {
      const float a = in[i] - mean;
      deviations += a;
      squares += static_cast<double>(a) * a;
    }
    const double correction = deviations / n;
    const double variance = std::max(0.0, squares / n - correction * correction);
    const float rstd = static_cast<float>(1.0 / std::sqrt(variance + static_cast<double>(eps)));
    const float shift = static_cast<float>(correction);

    const auto vshift = hn::Set(d, shift);
    const auto vrstd = hn::Set(d, rstd);
    for (int64_t i = 0; i < whole; i += lanes) {
      const auto centred = hn::Sub(hn::Sub(hn::LoadU(d, in + i), vmean), vshift);
      const auto normalized = hn::Mul(centred, vrstd);
      Store(d, hn::MulAdd(normalized, hn::LoadU(d, gamma + i), hn::LoadU(d, beta + i)), out + i);
    }
    for (int64_t i = whole; i < cols; ++i) out[i] = Round((in[i] - mean - shift) * rstd * gamma[i] + beta[i], y);
  }
}

void LayerNormRows(const float* x, int64_t begin, int64_t end, int64_t cols, const float* gamma, const float* beta,
                   float eps, float* y) {
  LayerNormRowsTo(x, begin, end, cols, gamma, beta, eps, y);
}

void LayerNormRowsBf16(const float* x, int64_t begin, int64_t end, int64_t cols, const float* gamma,
                       const float* beta, float eps, uint16_t* y) {
  LayerNormRowsTo(x, begin, end, cols, gamma, beta, eps, y);
}

}  // namespace vit::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
#include "kernels/simd_dispatch.h"
#include "kernels/work_split.h"
#include <algorithm>

#include "core/threads.h"

namespace vit::kernels {

HWY_EXPORT(LayerNormRows);
HWY_EXPORT(LayerNormRowsBf16);

namespace {

template <typename Out, typename Impl>
void SplitRows(Impl impl, const float* x, int64_t rows, int64_t cols, const float* gamma, const float* beta, float eps,
               Out* y) {
  if (rows <= 0 || cols <= 0) return;
  // Enough rows per task that a task is worth a scheduling step (~16K floats).
  const WorkSplit split = SplitWork(rows, std::max<int64_t>(1, 16 * 1024 / cols), 1);
  if (split.pieces <= 1) {
    impl(x, 0, rows, cols, gamma, beta, eps, y);
    return;
  }
  core::ParallelFor(split.pieces, [&](int64_t t) {
    const int64_t begin = t * split.size;
    impl(x, begin, std::min(rows, begin + split.size), cols, gamma, beta, eps, y);
  });
}

}  // namespace

void LayerNorm(const float* x, int64_t rows, int64_t cols, const float* gamma, const float* beta, float eps,
               float* y) {
  SplitRows(VIT_DISPATCH(LayerNormRows), x, rows, cols, gamma, beta, eps, y);
}

void LayerNormToBf16(const float* x, int64_t rows, int64_t cols, const float* gamma, const float* beta, float eps,
                     uint16_t* y) {
  SplitRows(VIT_DISPATCH(LayerNormRowsBf16), x, rows, cols, gamma, beta, eps, y);
}

}  // namespace vit::kernels
#endif  // HWY_ONCE
