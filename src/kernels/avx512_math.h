// Elementwise math on AVX-512 registers for kernels that already hold their values there (the bf16
// softmax, the int8 GEMM's epilogue). Callers are compiled for AVX-512 (a target pragma or attribute
// that includes these functions' own) and only run after a CPU check.
#pragma once

#include <immintrin.h>

#include <cmath>

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

// Functions in 32 pieces, each piece's coefficients picked by VPERMT2PS from two registers: lo[c] holds
// coefficient c of pieces 0-15, hi[c] of pieces 16-31. Load once per batch of calls.
template <int kCoefficients>
struct PieceTable {
  __m512 lo[kCoefficients], hi[kCoefficients];
};
template <int kCoefficients>
VIT_AVX512_MATH PieceTable<kCoefficients> LoadPieces(const float (&coefficients)[kCoefficients][32]) {
  PieceTable<kCoefficients> t;
  for (int c = 0; c < kCoefficients; ++c) {
    t.lo[c] = _mm512_load_ps(coefficients[c]);
    t.hi[c] = _mm512_load_ps(coefficients[c] + 16);
  }
  return t;
}
template <int kCoefficients>
VIT_AVX512_MATH __m512 Coefficient(const PieceTable<kCoefficients>& t, int c, __m512i piece) {
  return _mm512_permutex2var_ps(t.lo[c], piece, t.hi[c]);
}

// Which of 32 pieces of width h from `begin` holds x: u = (x - begin) / h clamped to [0, 32) and its
// integer part. A NaN becomes piece 0 here; callers let it through by their own means.
struct Piece {
  __m512 u;
  __m512i index;
};
VIT_AVX512_MATH Piece PieceOf(__m512 x, float begin, float h) {
  const __m512 scaled = _mm512_fmadd_ps(x, _mm512_set1_ps(1.f / h), _mm512_set1_ps(-begin / h));
  const __m512 u = _mm512_maskz_min_ps(0xffff, _mm512_maskz_max_ps(0xffff, scaled, _mm512_setzero_ps()),
                                       _mm512_set1_ps(31.999998f));  // the last float below 32
  return {u, _mm512_maskz_cvttps_epi32(0xffff, u)};
}

// x * Phi(x) given Phi on [begin, end) from pieces: x itself from `end` on, 0 below `begin` (NaN is neither,
// and stays NaN through the product).
VIT_AVX512_MATH __m512 GeluFromPhi(__m512 x, __m512 phi, float begin, float end) {
  const __m512 gelu = _mm512_mul_ps(x, phi);
  const __mmask16 above = _mm512_cmp_ps_mask(x, _mm512_set1_ps(end), _CMP_GE_OQ);
  const __mmask16 below = _mm512_cmp_ps_mask(x, _mm512_set1_ps(begin), _CMP_LT_OQ);
  return _mm512_mask_blend_ps(above, _mm512_maskz_mov_ps(static_cast<__mmask16>(~below), gelu), x);
}

// GELU in its erf form, x * Phi(x), for the int8 GEMM's epilogue, whose output is quantized to 8 bits next:
// Phi on [-5, 5) as 32 cubic Hermite pieces (value and slope exact at each knot), each piece's four
// coefficients picked by VPERMT2PS from two registers. A cubic Hermite piece of width h is off by at most
// h^4/384 max|Phi''''| = 1.4e-5 here, so GELU is off by at most 1.4e-5 |x| plus rounding: far below an
// 8-bit step, in half the instructions of an erf through an exponential (whose share of the int8 GEMM's
// time `perf record` on `vit bench -p int8` shows). Beyond the pieces GELU is x (x >= 5, where 1 - Phi < 2.9e-7) or 0 (x < -5).
struct GeluPieces {
  alignas(64) float coefficients[4][32];  // Phi(knot + t h) = c0 + t (c1 + t (c2 + t c3)), t in [0, 1)
};
inline constexpr float kGeluPiecesBegin = -5.f, kGeluPiecesEnd = 5.f;
inline constexpr int kGeluPieces = 32;  // VPERMT2PS picks from 32 floats; GeluErf relies on it

inline GeluPieces MakeGeluPieces() {
  GeluPieces pieces{};
  const double h = (kGeluPiecesEnd - kGeluPiecesBegin) / kGeluPieces;
  auto phi = [](double x) { return 0.5 * std::erfc(-x / std::sqrt(2.0)); };
  auto density = [](double x) { return std::exp(-0.5 * x * x) / std::sqrt(2.0 * 3.14159265358979323846); };
  for (int i = 0; i < kGeluPieces; ++i) {
    const double a = kGeluPiecesBegin + i * h, b = a + h;
    const double p0 = phi(a), p1 = phi(b), m0 = h * density(a), m1 = h * density(b);
    pieces.coefficients[0][i] = static_cast<float>(p0);
    pieces.coefficients[1][i] = static_cast<float>(m0);
    pieces.coefficients[2][i] = static_cast<float>(3 * (p1 - p0) - 2 * m0 - m1);
    pieces.coefficients[3][i] = static_cast<float>(2 * (p0 - p1) + m0 + m1);
  }
  return pieces;
}
// Computed on first use, so that programs that never run the int8 GEMM do not pay for it at start-up.
inline const GeluPieces& GeluPiecesTable() {
  static const GeluPieces pieces = MakeGeluPieces();
  return pieces;
}

using GeluTable = PieceTable<4>;
VIT_AVX512_MATH GeluTable LoadGeluTable() { return LoadPieces(GeluPiecesTable().coefficients); }

VIT_AVX512_MATH __m512 GeluErf(__m512 x, const GeluTable& table) {
  static_assert(kGeluPieces == 32, "one VPERMT2PS per coefficient assumes 32 pieces");
  const Piece piece = PieceOf(x, kGeluPiecesBegin, (kGeluPiecesEnd - kGeluPiecesBegin) / kGeluPieces);
  const __m512 t = _mm512_sub_ps(piece.u, _mm512_maskz_cvtepi32_ps(0xffff, piece.index));
  __m512 phi = Coefficient(table, 3, piece.index);
  for (int c = 2; c >= 0; --c) phi = _mm512_fmadd_ps(phi, t, Coefficient(table, c, piece.index));
  return GeluFromPhi(x, phi, kGeluPiecesBegin, kGeluPiecesEnd);
}

// GELU in its erf form to float rounding, for the fp32 GEMM's epilogue, whose output must match PyTorch's
// (unlike int8's GeluErf above): x * Phi(x) with Phi on [-6, 6) as 32 Taylor polynomials of degree 6 about
// the pieces' centres, each coefficient picked by VPERMT2PS from two registers. Over a half-width of
// 0.1875 the Taylor remainder is below 9e-9, so the float evaluation's rounding (6e-8 near Phi = 1) is
// what is left: the error of simd_math-inl.h's erf-based GeluErf, in half its instructions and without its
// division and exponential. (What either GELU adds to ViT-L's fc1 over bias alone: gemm_bench's
// Gemm/f32/L16.fc1 on 1 thread, bench/RESULTS.md.) Beyond the pieces GELU is x (x >= 6, where 1 - Phi < 1e-9) or 0
// (x < -6, where |GELU| < 6e-9).
struct GeluTaylorPieces {
  alignas(64) float coefficients[7][32];  // Phi(centre + d) = sum_n c_n d^n, |d| <= h/2
};
inline constexpr float kGeluTaylorBegin = -6.f, kGeluTaylorEnd = 6.f;
inline constexpr int kGeluTaylorPieces = 32;

inline GeluTaylorPieces MakeGeluTaylorPieces() {
  GeluTaylorPieces pieces{};
  const double h = (kGeluTaylorEnd - kGeluTaylorBegin) / kGeluTaylorPieces;
  for (int i = 0; i < kGeluTaylorPieces; ++i) {
    const double c = kGeluTaylorBegin + (i + 0.5) * h;
    const double density = std::exp(-0.5 * c * c) / std::sqrt(2.0 * 3.14159265358979323846);
    pieces.coefficients[0][i] = static_cast<float>(0.5 * std::erfc(-c / std::sqrt(2.0)));
    // Phi's n-th derivative is (-1)^(n-1) He_(n-1)(c) density(c), He the probabilists' Hermite polynomials
    // (He_0 = 1, He_1 = c, He_(k+1) = c He_k - k He_(k-1)).
    double he_previous = 0.0, he = 1.0, factorial = 1.0;
    for (int n = 1; n <= 6; ++n) {
      factorial *= n;
      const double sign = (n - 1) % 2 == 0 ? 1.0 : -1.0;
      pieces.coefficients[n][i] = static_cast<float>(sign * he * density / factorial);
      const double he_next = c * he - (n - 1) * he_previous;
      he_previous = he;
      he = he_next;
    }
  }
  return pieces;
}
// Computed on first use, so that programs that never run the fp32 GEMM do not pay for it at start-up.
inline const GeluTaylorPieces& GeluTaylorPiecesTable() {
  static const GeluTaylorPieces pieces = MakeGeluTaylorPieces();
  return pieces;
}

using GeluExactTable = PieceTable<7>;
VIT_AVX512_MATH GeluExactTable LoadGeluExactTable() { return LoadPieces(GeluTaylorPiecesTable().coefficients); }

VIT_AVX512_MATH __m512 GeluErfExact(__m512 x, const GeluExactTable& table) {
  static_assert(kGeluTaylorPieces == 32, "one VPERMT2PS per coefficient assumes 32 pieces");
  constexpr float kWidth = (kGeluTaylorEnd - kGeluTaylorBegin) / kGeluTaylorPieces;
  // d from the piece's centre, which is exact in float (a multiple of h/2 = 3/16), so d is x's own distance
  // and not u's rounding scaled back.
  const Piece piece = PieceOf(x, kGeluTaylorBegin, kWidth);
  const __m512 centre = _mm512_fmadd_ps(_mm512_maskz_cvtepi32_ps(0xffff, piece.index), _mm512_set1_ps(kWidth),
                                        _mm512_set1_ps(kGeluTaylorBegin + 0.5f * kWidth));
  const __m512 d = _mm512_sub_ps(x, centre);
  __m512 phi = Coefficient(table, 6, piece.index);
  for (int c = 5; c >= 0; --c) phi = _mm512_fmadd_ps(phi, d, Coefficient(table, c, piece.index));
  return GeluFromPhi(x, phi, kGeluTaylorBegin, kGeluTaylorEnd);
}

#undef VIT_AVX512_MATH

}  // namespace vit::kernels::avx512
