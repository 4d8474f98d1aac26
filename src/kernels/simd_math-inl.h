// Per-target vector math shared by the Highway kernels: erf and the exact GELU built on it, and the
// rounding of floats to bfloat16.
// Included once per target by foreach_target (hence the toggle guard instead of #pragma once).
#if defined(VIT_KERNELS_SIMD_MATH_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef VIT_KERNELS_SIMD_MATH_INL_H_
#undef VIT_KERNELS_SIMD_MATH_INL_H_
#else
#define VIT_KERNELS_SIMD_MATH_INL_H_
#endif

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "hwy/contrib/math/math-inl.h"
#include "hwy/highway.h"

HWY_BEFORE_NAMESPACE();
namespace vit::kernels::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// erf(x) in float with an absolute error of about 1.3e-7 (two ulps of 1.0) over all x.
//  |x| <= 1:        x * P(x^2), P a degree-6 fit of erf(x)/x (relative error 1.2e-9);
//  1 < |x| < 3.92:  1 - exp(-x^2) * Q(1/|x|) / |x|, Q a degree-9 fit of x e^{x^2} erfc(x) (4.7e-9);
//  beyond:          +-1, which is what erf rounds to in float.
// The fits are weighted least-squares (Lawson) on Chebyshev nodes, computed in double precision.
template <class D, class V>
HWY_INLINE V Erf(D d, V x) {
  const V one = hn::Set(d, 1.0f);
  const V ax = hn::Abs(x);

  const V x2 = hn::Mul(x, x);
  V p = hn::Set(d, 7.853892471e-05f);
  p = hn::MulAdd(p, x2, hn::Set(d, -8.010203818e-04f));
  p = hn::MulAdd(p, x2, hn::Set(d, 5.188328972e-03f));
  p = hn::MulAdd(p, x2, hn::Set(d, -2.685381272e-02f));
  p = hn::MulAdd(p, x2, hn::Set(d, 1.128358517e-01f));
  p = hn::MulAdd(p, x2, hn::Set(d, -3.761262583e-01f));
  p = hn::MulAdd(p, x2, hn::Set(d, 1.128379166e+00f));
  const V small = hn::Mul(x, p);

  const V axc = hn::Min(hn::Max(ax, one), hn::Set(d, 3.92f));
  const V u = hn::Div(one, axc);
  V q = hn::Set(d, -4.610287188e-02f);
  q = hn::MulAdd(q, u, hn::Set(d, 3.140286053e-01f));
  q = hn::MulAdd(q, u, hn::Set(d, -9.469398293e-01f));
  q = hn::MulAdd(q, u, hn::Set(d, 1.642467614e+00f));
  q = hn::MulAdd(q, u, hn::Set(d, -1.748707210e+00f));
  q = hn::MulAdd(q, u, hn::Set(d, 1.054213625e+00f));
  q = hn::MulAdd(q, u, hn::Set(d, -1.414698353e-01f));
  q = hn::MulAdd(q, u, hn::Set(d, -2.626693278e-01f));
  q = hn::MulAdd(q, u, hn::Set(d, -1.472275387e-03f));
  q = hn::MulAdd(q, u, hn::Set(d, 5.642350799e-01f));
  const V erfc = hn::Mul(hn::Mul(hn::Exp(d, hn::Neg(hn::Mul(axc, axc))), q), u);
  const V large = hn::CopySign(hn::Sub(one, erfc), x);

  V result = hn::IfThenElse(hn::Le(ax, one), small, large);
  result = hn::IfThenElse(hn::Ge(ax, hn::Set(d, 3.92f)), hn::CopySign(one, x), result);
  return hn::IfThenElse(hn::Eq(x, x), result, x);  // NaN in, NaN out
}

// Exact GELU, as torch.nn.functional.gelu(approximate="none"): x/2 * (1 + erf(x/sqrt(2))).
template <class D, class V>
HWY_INLINE V GeluErf(D d, V x) {
  const V erf = Erf(d, hn::Mul(x, hn::Set(d, 0.70710678118654752f)));
  return hn::Mul(hn::Mul(x, hn::Set(d, 0.5f)), hn::Add(hn::Set(d, 1.0f), erf));
}

// quick_gelu (CLIP's): x * sigmoid(1.702 x), written as x / (1 + exp(-1.702 x)). hn::Exp is defined up to
// an argument of 104 only: clamped at 88 (exp 1.6e38), the quotient is still x's tiny negative limit.
template <class D, class V>
HWY_INLINE V QuickGelu(D d, V x) {
  const V e = hn::Exp(d, hn::Min(hn::Mul(hn::Set(d, -1.702f), x), hn::Set(d, 88.0f)));
  return hn::Div(x, hn::Add(hn::Set(d, 1.0f), e));
}

// gelu_pytorch_tanh (SigLIP's): 0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3))), PyTorch's
// F.gelu(approximate="tanh").
template <class D, class V>
HWY_INLINE V GeluTanh(D d, V x) {
  const V cubic = hn::MulAdd(hn::Mul(hn::Set(d, 0.044715f), x), hn::Mul(x, x), x);
  const V inner = hn::Mul(hn::Set(d, 0.7978845608028654f), cubic);
  return hn::Mul(hn::Mul(hn::Set(d, 0.5f), x), hn::Add(hn::Set(d, 1.0f), hn::Tanh(d, inner)));
}

// Stores the lanes of float vector x as bfloat16 at out, rounded as FloatToBf16 in kernels/bf16.h.
template <class D, class V>
HWY_INLINE void StoreBf16(D /* float lanes */, V x, uint16_t* HWY_RESTRICT out) {
  const hn::RebindToUnsigned<D> du;
  const hn::RebindToSigned<D> di;
  const hn::Rebind<uint16_t, D> d16;
  const auto bits = hn::BitCast(du, x);
  const auto rounded = hn::Add(bits, hn::Add(hn::Set(du, 0x7fffu), hn::And(hn::ShiftRight<16>(bits), hn::Set(du, 1u))));
  const auto is_nan =
      hn::Gt(hn::BitCast(di, hn::And(bits, hn::Set(du, 0x7fffffffu))), hn::BitCast(di, hn::Set(du, 0x7f800000u)));
  const auto quieted = hn::Or(bits, hn::Set(du, 0x00400000u));
  const auto upper = hn::ShiftRight<16>(hn::IfThenElse(hn::RebindMask(du, is_nan), quieted, rounded));
  hn::StoreU(hn::DemoteTo(d16, hn::BitCast(di, upper)), d16, out);
}

// Applies fn(d, v) to n floats in place: whole vectors, then the tail one lane at a time.
template <class Fn>
HWY_INLINE void TransformInPlace(float* HWY_RESTRICT x, int64_t n, Fn fn) {
  const hn::ScalableTag<float> d;
  const int64_t lanes = static_cast<int64_t>(hn::Lanes(d));
  int64_t i = 0;
  for (; i + lanes <= n; i += lanes) hn::StoreU(fn(d, hn::LoadU(d, x + i)), d, x + i);
  const hn::CappedTag<float, 1> d1;
  for (; i < n; ++i) hn::StoreU(fn(d1, hn::LoadU(d1, x + i)), d1, x + i);
}

// softmax(scale * x) over n contiguous floats, in place, max-subtracted as torch.softmax.
HWY_INLINE void SoftmaxRow(float* HWY_RESTRICT x, int64_t n, float scale) {
  const hn::ScalableTag<float> d;
  const hn::CappedTag<float, 1> d1;
  const int64_t lanes = static_cast<int64_t>(hn::Lanes(d));
  const auto vscale = hn::Set(d, scale);

  auto vmax = hn::Set(d, -HUGE_VALF);
  int64_t i = 0;
  for (; i + lanes <= n; i += lanes) vmax = hn::Max(vmax, hn::Mul(hn::LoadU(d, x + i), vscale));
  float max = hn::GetLane(hn::MaxOfLanes(d, vmax));
  for (; i < n; ++i) max = std::max(max, x[i] * scale);

  // exp in place; the sum runs in float vectors over blocks of 256 and then in double, so its error
  // does not grow with the row length or shrink with the vector width.
  const auto vmaxb = hn::Set(d, max);
  double sum = 0;
  const int64_t whole = n - n % lanes;
  for (int64_t b0 = 0; b0 < whole; b0 += 256) {
    const int64_t b1 = std::min(whole, b0 + 256);
    auto vsum = hn::Zero(d);
    for (i = b0; i < b1; i += lanes) {
      const auto e = hn::Exp(d, hn::Sub(hn::Mul(hn::LoadU(d, x + i), vscale), vmaxb));
      hn::StoreU(e, d, x + i);
      vsum = hn::Add(vsum, e);
    }
    sum += hn::GetLane(hn::SumOfLanes(d, vsum));
  }
  for (i = whole; i < n; ++i) {
    x[i] = hn::GetLane(hn::Exp(d1, hn::Set(d1, x[i] * scale - max)));
    sum += x[i];
  }

  const float inverse = static_cast<float>(1.0 / sum);
  TransformInPlace(x, n, [inverse](auto dd, auto v) { return hn::Mul(v, hn::Set(dd, inverse)); });
}

}  // namespace vit::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // VIT_KERNELS_SIMD_MATH_INL_H_
