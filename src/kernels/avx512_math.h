// Elementwise math on AVX-512 registers for kernels that already hold their values there (the bf16
// softmax, the int8 GEMM's epilogue). Callers are compiled for AVX-512 (a target pragma or attribute
// that includes these functions' own) and only run after a CPU check.
#pragma once

#include <immintrin.h>

namespace vit::kernels::avx512 {

#define VIT_AVX512_MATH inline __attribute__((target("avx512f,avx512dq"), always_inline))

// e^x for x <= 0 (a score minus its row's maximum), to about 2e-7 relative: x log2(e) = n + f with n an
// integer and |f| <= 1/2, 2^f from a degree-6 polynomial (Taylor in f ln 2), and VSCALEFPS for the
// 2^n, which also flushes what underflows to zero. A third of the instructions of a general exp, which
// must also guard overflow and build 2^n from integer bits.
VIT_AVX512_MATH __m512 ExpNonPositive(__m512 x) {
  const __m512 t = _mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f));
  const __m512 n = _mm512_maskz_roundscale_ps(0xffff, t, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  const __m512 f = _mm512_sub_ps(t, n);
  __m512 p = _mm512_set1_ps(1.5403530393381609e-4f);
  p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(1.3333558146428443e-3f));
  p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(9.6181291076284772e-3f));
  p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(5.5504108664821580e-2f));
  p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(2.4022650695910071e-1f));
  p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(6.9314718055994531e-1f));
  p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(1.0f));
  return _mm512_maskz_scalef_ps(0xffff, p, n);
}

// Exact (erf) GELU, x * Phi(x), to an absolute error of 1.5e-7 |x| plus the result's rounding: Phi(x) is
// erfc(|x|/sqrt 2)/2 for x < 0 and one minus that for x >= 0, with erfc(z) = t P(t) e^{-z^2},
// t = 1 / (1 + 0.3275911 z), the degree-5 P of Abramowitz and Stegun 7.1.26 (|error| <= 1.5e-7). One
// exponential and a reciprocal (RCP14 and a Newton step) instead of the two branches of the general erf in
// simd_math-inl.h: under half its instructions, for the int8 GEMM's epilogue, whose quantization error is
// far larger.
VIT_AVX512_MATH __m512 GeluErf(__m512 x) {
  const __m512 one = _mm512_set1_ps(1.0f);
  // Clamped: Phi is 0 or 1 in float long before, and t stays finite for infinite x.
  const __m512 z = _mm512_maskz_min_ps(0xffff, _mm512_mul_ps(_mm512_abs_ps(x), _mm512_set1_ps(0.70710678118654752f)),
                                 _mm512_set1_ps(10.0f));
  const __m512 d = _mm512_fmadd_ps(z, _mm512_set1_ps(0.3275911f), one);
  __m512 t = _mm512_maskz_rcp14_ps(0xffff, d);  // maskz: GCC 12 warns on the plain forms
  t = _mm512_mul_ps(t, _mm512_fnmadd_ps(d, t, _mm512_set1_ps(2.0f)));
  __m512 p = _mm512_set1_ps(1.061405429f);
  p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(-1.453152027f));
  p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(1.421413741f));
  p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(-0.284496736f));
  p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(0.254829592f));
  p = _mm512_mul_ps(p, t);
  const __m512 minus_z2 = _mm512_mul_ps(z, _mm512_sub_ps(_mm512_setzero_ps(), z));
  const __m512 half_erfc = _mm512_mul_ps(_mm512_mul_ps(p, _mm512_set1_ps(0.5f)), ExpNonPositive(minus_z2));
  const __mmask16 non_negative = _mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_GE_OQ);
  const __m512 phi = _mm512_mask_blend_ps(non_negative, half_erfc, _mm512_sub_ps(one, half_erfc));
  return _mm512_mul_ps(x, phi);
}

#undef VIT_AVX512_MATH

}  // namespace vit::kernels::avx512
