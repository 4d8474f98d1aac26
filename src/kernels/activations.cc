// GELU (erf), tanh and row softmax: elementwise Highway kernels, one dispatch per call, split across
// the OpenMP pool in cache-sized chunks when the input is large.
#include "kernels/activations.h"

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/activations.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"
#include "kernels/simd_math-inl.h"

HWY_BEFORE_NAMESPACE();
namespace vit::kernels::HWY_NAMESPACE {

void GeluErfSpan(float* x, int64_t n) {
  TransformInPlace(x, n, [](auto d, auto v) { return GeluErf(d, v); });
}

void QuickGeluSpan(float* x, int64_t n) {
  TransformInPlace(x, n, [](auto d, auto v) { return QuickGelu(d, v); });
}

void GeluTanhSpan(float* x, int64_t n) {
  TransformInPlace(x, n, [](auto d, auto v) { return GeluTanh(d, v); });
}

void TanhSpan(float* x, int64_t n) {
  TransformInPlace(x, n, [](auto d, auto v) { return hn::Tanh(d, v); });
}

void SoftmaxRowsImpl(float* x, int64_t begin, int64_t end, int64_t cols, int64_t ld) {
  for (int64_t r = begin; r < end; ++r) SoftmaxRow(x + r * ld, cols, 1.0f);
}

}  // namespace vit::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
#include <string>

#include "kernels/simd_dispatch.h"
#include "kernels/work_split.h"
#include "vit/error.h"
#include "core/threads.h"

namespace vit::kernels {

HWY_EXPORT(GeluErfSpan);
HWY_EXPORT(TanhSpan);
HWY_EXPORT(QuickGeluSpan);
HWY_EXPORT(GeluTanhSpan);
HWY_EXPORT(SoftmaxRowsImpl);

namespace {

// Below this many floats a parallel region costs more than it saves.
constexpr int64_t kChunk = 16 * 1024;

template <typename Fn>
void ForEachChunk(float* x, int64_t n, Fn fn) {
  const WorkSplit split = SplitWork(n, kChunk, 64);
  if (split.pieces <= 1) {
    fn(x, n);
    return;
  }
  core::ParallelFor(split.pieces, [&](int64_t c) {
    const int64_t begin = c * split.size;
    fn(x + begin, std::min(split.size, n - begin));
  });
}

}  // namespace

void GeluErf(float* x, int64_t n) { ForEachChunk(x, n, VIT_DISPATCH(GeluErfSpan)); }

void Tanh(float* x, int64_t n) { ForEachChunk(x, n, VIT_DISPATCH(TanhSpan)); }

void QuickGelu(float* x, int64_t n) { ForEachChunk(x, n, VIT_DISPATCH(QuickGeluSpan)); }

void GeluTanh(float* x, int64_t n) { ForEachChunk(x, n, VIT_DISPATCH(GeluTanhSpan)); }

void Activate(Epilogue epilogue, float* x, int64_t n) {
  switch (epilogue) {
    case Epilogue::kBiasGelu:
      return GeluErf(x, n);
    case Epilogue::kBiasQuickGelu:
      return QuickGelu(x, n);
    case Epilogue::kBiasGeluTanh:
      return GeluTanh(x, n);
    case Epilogue::kBiasTanh:
      return Tanh(x, n);
    case Epilogue::kBias:
    case Epilogue::kBiasResidual:
      return;
  }
}

void SoftmaxRows(float* x, int64_t rows, int64_t cols, int64_t ld) {
  if (rows <= 0 || cols <= 0) return;
  if (ld < cols) {
    throw Error("softmax: rows of " + std::to_string(cols) + " values cannot be " + std::to_string(ld) +
                    " floats apart",
                ErrorKind::kInvalidArgument);
  }
  const auto impl = VIT_DISPATCH(SoftmaxRowsImpl);
  const WorkSplit split = SplitWork(rows, std::max<int64_t>(1, kChunk / cols), 1);
  if (split.pieces <= 1) {
    impl(x, 0, rows, cols, ld);
    return;
  }
  core::ParallelFor(split.pieces, [&](int64_t c) {
    const int64_t begin = c * split.size;
    impl(x, begin, std::min(rows, begin + split.size), cols, ld);
  });
}

}  // namespace vit::kernels
#endif  // HWY_ONCE
