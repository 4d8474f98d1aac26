#include "kernels/attention_bf16.h"

#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "kernels/amx.h"
#include "kernels/avx512_math.h"
#include "kernels/blocks.h"

namespace vit::kernels {

#pragma GCC push_options
#pragma GCC target("avx512f,avx512bw,avx512vl,avx512dq,avx512bf16")

namespace {

__mmask16 FirstN(int64_t n) { return n >= 16 ? __mmask16(0xffff) : __mmask16((1u << n) - 1); }

// 16 floats (masked, missing lanes zero) -> 16 bf16 in the low half of each 32-bit lane.
__m512i Bf16InLanes(const float* src, __mmask16 mask) {
  const __m256bh h = _mm512_cvtneps_pbh(_mm512_maskz_loadu_ps(mask, src));
  return _mm512_maskz_cvtepu16_epi32(0xffff, reinterpret_cast<__m256i>(h));  // maskz: GCC 12 warns on the undefined source of the plain form
}

// c[R x 16 NV] over `depth` pairs: each a pair is broadcast once and multiplied into NV vectors of b;
// R x NV independent accumulators (up to 24) hide the dot product's latency on two pipes.
template <int R, int NV>
inline void Tile(const uint32_t* a, int64_t lda, const uint32_t* b, int64_t ldb, int64_t depth, float* c,
                 int64_t ldc, float scale, const float* row_scale) {
  __m512 acc[R][NV];
#pragma GCC unroll 6
  for (int r = 0; r < R; ++r)
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) acc[r][v] = _mm512_setzero_ps();
  for (int64_t k = 0; k < depth; ++k) {
    __m512bh bv[NV];
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) bv[v] = reinterpret_cast<__m512bh>(_mm512_loadu_si512(b + k * ldb + 16 * v));
#pragma GCC unroll 6
    for (int r = 0; r < R; ++r) {
      const __m512bh av = reinterpret_cast<__m512bh>(_mm512_set1_epi32(static_cast<int>(a[r * lda + k])));
#pragma GCC unroll 4
      for (int v = 0; v < NV; ++v) acc[r][v] = _mm512_dpbf16_ps(acc[r][v], av, bv[v]);
    }
  }
#pragma GCC unroll 6
  for (int r = 0; r < R; ++r) {
    const __m512 s = _mm512_set1_ps(row_scale != nullptr ? scale * row_scale[r] : scale);
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) _mm512_storeu_ps(c + r * ldc + 16 * v, _mm512_mul_ps(acc[r][v], s));
  }
}

template <int NV>
void ColumnBlock(const uint32_t* a, int64_t lda, const uint32_t* b, int64_t ldb, int64_t rows, int64_t depth,
                 float* c, int64_t ldc, float scale, const float* row_scale) {
  ForEachBlock<6>(rows, [&](auto tile_rows, int64_t r) {
    Tile<decltype(tile_rows)::value, NV>(a + r * lda, lda, b, ldb, depth, c + r * ldc, ldc, scale,
                                         row_scale != nullptr ? row_scale + r : nullptr);
  });
}

}  // namespace

void ToBf16Rows(const float* src, int64_t ld_src, int64_t rows, int64_t cols, float scale, uint16_t* dst,
                int64_t ld_dst) {
  const __m512 s = _mm512_set1_ps(scale);
  for (int64_t r = 0; r < rows; ++r) {
    const float* in = src + r * ld_src;
    uint16_t* out = dst + r * ld_dst;
    for (int64_t c = 0; c < ld_dst; c += 16) {
      const __mmask16 mask = FirstN(std::max<int64_t>(0, cols - c));
      const __m256bh h = _mm512_cvtneps_pbh(_mm512_mul_ps(_mm512_maskz_loadu_ps(mask, in + c), s));
      _mm256_mask_storeu_epi16(out + c, FirstN(ld_dst - c), reinterpret_cast<__m256i>(h));
    }
  }
}

namespace {

// The 16 lanes of v folded by max (kMax) or by addition, halving the width each step. (The maskz forms
// throughout: GCC 12 warns on the undefined pass-through operand of the plain ones.)
template <bool kMax>
float Reduce(__m512 v) {
  const __m256 lo = _mm512_maskz_extractf32x8_ps(0xff, v, 0), hi = _mm512_maskz_extractf32x8_ps(0xff, v, 1);
  const __m256 m = kMax ? _mm256_max_ps(lo, hi) : _mm256_add_ps(lo, hi);
  auto fold = [](__m128 a, __m128 b) { return kMax ? _mm_max_ps(a, b) : _mm_add_ps(a, b); };
  __m128 x = fold(_mm256_castps256_ps128(m), _mm256_extractf128_ps(m, 1));
  x = fold(x, _mm_movehl_ps(x, x));
  return _mm_cvtss_f32(fold(x, _mm_movehdup_ps(x)));
}

float HorizontalMax(__m512 v) { return Reduce<true>(v); }
float HorizontalSum(__m512 v) { return Reduce<false>(v); }

}  // namespace

void ExpRowsToBf16(const float* scores, int64_t ld, int64_t rows, int64_t cols, uint16_t* dst, int64_t ld_dst,
                   float* inverse_sums) {
  const int64_t whole = cols - cols % 16;
  const __mmask16 tail = FirstN(cols - whole);
  for (int64_t r = 0; r < rows; ++r) {
    const float* in = scores + r * ld;
    uint16_t* out = dst + r * ld_dst;
    __m512 vmax = _mm512_set1_ps(-HUGE_VALF);
    for (int64_t c = 0; c < whole; c += 16) vmax = _mm512_maskz_max_ps(0xffff, vmax, _mm512_loadu_ps(in + c));
    if (whole < cols) vmax = _mm512_mask_max_ps(vmax, tail, vmax, _mm512_maskz_loadu_ps(tail, in + whole));
    const __m512 max = _mm512_set1_ps(HorizontalMax(vmax));
    __m512 sum0 = _mm512_setzero_ps(), sum1 = _mm512_setzero_ps();
    auto exp_to_bf16 = [&](int64_t c) {
      const __m512 e = avx512::ExpNonPositive(_mm512_sub_ps(_mm512_loadu_ps(in + c), max));
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + c), reinterpret_cast<__m256i>(_mm512_cvtneps_pbh(e)));
      return e;
    };
    int64_t c = 0;
    for (; c + 32 <= whole; c += 32) {  // two sums, so that consecutive adds do not wait for each other
      sum0 = _mm512_add_ps(sum0, exp_to_bf16(c));
      sum1 = _mm512_add_ps(sum1, exp_to_bf16(c + 16));
    }
    if (c < whole) {
      sum0 = _mm512_add_ps(sum0, exp_to_bf16(c));
      c += 16;
    }
    for (; c < ld_dst; c += 16) {  // the partial vector, then zeros up to the row's padding
      const __mmask16 valid = FirstN(std::max<int64_t>(0, cols - c));
      const __m512 x = _mm512_sub_ps(_mm512_maskz_loadu_ps(valid, in + c), max);
      const __m512 e = _mm512_maskz_mov_ps(valid, avx512::ExpNonPositive(x));
      sum0 = _mm512_add_ps(sum0, e);
      _mm256_mask_storeu_epi16(out + c, FirstN(ld_dst - c), reinterpret_cast<__m256i>(_mm512_cvtneps_pbh(e)));
    }
    inverse_sums[r] = 1.f / HorizontalSum(_mm512_add_ps(sum0, sum1));
  }
}

namespace {

// Lane j of r[i] holds element j of row i; afterwards lane i of r[j] does: 32-bit elements of a 16 x 16
// block, transposed in three rounds of shuffles (within 128-bit lanes by 32 and by 64 bits, then across
// lanes). (maskz forms: GCC 12 warns on the undefined pass-through operand of the plain ones.)
inline void Transpose16x16(__m512i (&r)[16]) {
  __m512i t[16];
  for (int i = 0; i < 16; i += 2) {
    t[i] = _mm512_maskz_unpacklo_epi32(0xffff, r[i], r[i + 1]);
    t[i + 1] = _mm512_maskz_unpackhi_epi32(0xffff, r[i], r[i + 1]);
  }
  // u[4 g + c], lane j: column 4 j + c of rows 4 g .. 4 g + 3.
  __m512i u[16];
  for (int g = 0; g < 16; g += 4) {
    u[g] = _mm512_maskz_unpacklo_epi64(0xff, t[g], t[g + 2]);
    u[g + 1] = _mm512_maskz_unpackhi_epi64(0xff, t[g], t[g + 2]);
    u[g + 2] = _mm512_maskz_unpacklo_epi64(0xff, t[g + 1], t[g + 3]);
    u[g + 3] = _mm512_maskz_unpackhi_epi64(0xff, t[g + 1], t[g + 3]);
  }
  for (int c = 0; c < 4; ++c) {
    const __m512i v0 = _mm512_maskz_shuffle_i32x4(0xffff, u[c], u[4 + c], 0x44);
    const __m512i v1 = _mm512_maskz_shuffle_i32x4(0xffff, u[c], u[4 + c], 0xee);
    const __m512i v2 = _mm512_maskz_shuffle_i32x4(0xffff, u[8 + c], u[12 + c], 0x44);
    const __m512i v3 = _mm512_maskz_shuffle_i32x4(0xffff, u[8 + c], u[12 + c], 0xee);
    r[c] = _mm512_maskz_shuffle_i32x4(0xffff, v0, v2, 0x88);
    r[4 + c] = _mm512_maskz_shuffle_i32x4(0xffff, v0, v2, 0xdd);
    r[8 + c] = _mm512_maskz_shuffle_i32x4(0xffff, v1, v3, 0x88);
    r[12 + c] = _mm512_maskz_shuffle_i32x4(0xffff, v1, v3, 0xdd);
  }
}

}  // namespace

void PackPairsTransposed(const float* src, int64_t ld_src, int64_t rows, int64_t cols, uint32_t* dst,
                         int64_t ld_dst) {
  // Blocks of 16 rows x 16 pairs, transposed in registers: sixteen full-width stores per block instead
  // of a scattered 4-byte store per pair.
  const int64_t pairs = cols / 2;
  for (int64_t p0 = 0; p0 < pairs; p0 += 16) {
    const int64_t floats = 2 * std::min<int64_t>(16, pairs - p0);
    for (int64_t n0 = 0; n0 < ld_dst; n0 += 16) {
      __m512i block[16];
      for (int i = 0; i < 16; ++i) {
        if (n0 + i >= rows) {
          block[i] = _mm512_setzero_si512();
          continue;
        }
        const float* in = src + (n0 + i) * ld_src + 2 * p0;
        const __m512 x0 = _mm512_maskz_loadu_ps(FirstN(floats), in);
        const __m512 x1 = _mm512_maskz_loadu_ps(FirstN(std::max<int64_t>(0, floats - 16)), in + 16);
        // 32 floats -> 32 bf16 in order (the first 16 in the low half): 16 pairs.
        block[i] = reinterpret_cast<__m512i>(_mm512_cvtne2ps_pbh(x1, x0));
      }
      Transpose16x16(block);
      const __mmask16 columns = FirstN(ld_dst - n0);
      for (int64_t m = 0; m < std::min<int64_t>(16, pairs - p0); ++m)
        _mm512_mask_storeu_epi32(dst + (p0 + m) * ld_dst + n0, columns, block[m]);
    }
  }
}

void PackPairsInterleaved(const float* src, int64_t ld_src, int64_t rows, int64_t cols, int64_t padded_rows,
                          uint32_t* dst) {
  for (int64_t j = 0; j < padded_rows; j += 2) {
    uint32_t* out = dst + (j / 2) * cols;
    const float* even = src + j * ld_src;
    const float* odd = even + ld_src;
    for (int64_t c = 0; c < cols; c += 16) {
      const __mmask16 mask = FirstN(cols - c);
      const __m512i lo = j < rows ? Bf16InLanes(even + c, mask) : _mm512_setzero_si512();
      const __m512i hi = j + 1 < rows ? Bf16InLanes(odd + c, mask) : _mm512_setzero_si512();
      _mm512_mask_storeu_epi32(out + c, mask, _mm512_or_si512(lo, _mm512_maskz_slli_epi32(0xffff, hi, 16)));
    }
  }
}

void MatMulBf16Pairs(const uint32_t* a, int64_t lda, const uint32_t* b, int64_t ldb, int64_t rows, int64_t depth,
                     int64_t vectors, float* c, int64_t ldc, float scale, const float* row_scale) {
  ForEachBlock<4>(vectors, [&](auto block, int64_t v) {
    ColumnBlock<decltype(block)::value>(a, lda, b + 16 * v, ldb, rows, depth, c + 16 * v, ldc, scale, row_scale);
  });
}

#pragma GCC push_options
#pragma GCC target("amx-tile,amx-bf16")

// Tiles 0-3: four 16 x 16 fp32 accumulators side by side (64 columns); 4: 16 rows x 16 pairs of a;
// 5, 6: 16 pairs x 16 columns of b, alternating so a load overlaps the previous product.
void MatMulBf16PairsAmx(const uint32_t* a, int64_t lda, const uint32_t* b, int64_t ldb, int64_t rows, int64_t depth,
                        int64_t vectors, float* c, int64_t ldc, float scale, const float* row_scale) {
  AmxTileConfig config;
  for (int t = 0; t < 7; ++t) {
    config.bytes_per_row[t] = 64;
    config.rows[t] = 16;
  }
  _tile_loadconfig(&config);
  alignas(64) float block[4][16 * 16];
  const int64_t stride_a = lda * 4, stride_b = ldb * 4;
  for (int64_t m0 = 0; m0 < rows; m0 += 16) {
    const int64_t m_count = std::min<int64_t>(16, rows - m0);
    for (int64_t n0 = 0; n0 < vectors; n0 += 4) {
      const int64_t tiles = std::min<int64_t>(4, vectors - n0);
      _tile_zero(0);
      _tile_zero(1);
      _tile_zero(2);
      _tile_zero(3);
      for (int64_t k0 = 0; k0 < depth; k0 += 16) {
        _tile_loadd(4, a + m0 * lda + k0, stride_a);
        const uint32_t* bk = b + k0 * ldb + n0 * 16;
        _tile_loadd(5, bk, stride_b);
        _tile_dpbf16ps(0, 4, 5);
        if (tiles > 1) {
          _tile_loadd(6, bk + 16, stride_b);
          _tile_dpbf16ps(1, 4, 6);
        }
        if (tiles > 2) {
          _tile_loadd(5, bk + 32, stride_b);
          _tile_dpbf16ps(2, 4, 5);
        }
        if (tiles > 3) {
          _tile_loadd(6, bk + 48, stride_b);
          _tile_dpbf16ps(3, 4, 6);
        }
      }
      _tile_stored(0, block[0], 64);
      if (tiles > 1) _tile_stored(1, block[1], 64);
      if (tiles > 2) _tile_stored(2, block[2], 64);
      if (tiles > 3) _tile_stored(3, block[3], 64);
      for (int64_t r = 0; r < m_count; ++r) {
        const __m512 s = _mm512_set1_ps(row_scale != nullptr ? scale * row_scale[m0 + r] : scale);
        float* out = c + (m0 + r) * ldc + n0 * 16;
        for (int64_t t = 0; t < tiles; ++t) _mm512_storeu_ps(out + 16 * t, _mm512_mul_ps(_mm512_load_ps(block[t] + 16 * r), s));
      }
    }
  }
  _tile_release();
}

#pragma GCC pop_options
#pragma GCC pop_options

}  // namespace vit::kernels
