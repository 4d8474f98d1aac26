// Multi-head attention, one (sequence, head) pair per task. Each task owns a grow-only scratch with
// K^T and V of its head packed (zero-padded to whole vectors), one T x T score tile and one T x d
// output tile, so nothing of size heads x T x T is ever materialised unless probs are asked for.
#include "kernels/attention.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>

#include "core/aligned.h"
#include "kernels/attention_bf16.h"
#include "kernels/avx512_math.h"
#include "kernels/blocks.h"
#include "kernels/dispatch.h"

namespace vit::kernels {
// Scratch of the calling thread, at least `floats` long; defined once below.
float* AttentionScratch(size_t floats);
}  // namespace vit::kernels

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/attention.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"
#include "kernels/simd_math-inl.h"

HWY_BEFORE_NAMESPACE();
namespace vit::kernels::HWY_NAMESPACE {

// Widest column block of the register tile: AVX-512 has 32 vector registers, room for 6 x 4
// accumulators plus the b loads and a broadcast; other targets (16 registers on AVX2) take 6 x 2.
#if HWY_TARGET == HWY_AVX3 || HWY_TARGET == HWY_AVX3_DL
constexpr int kMaxVectors = 4;
#else
constexpr int kMaxVectors = 2;
#endif

// c[rows x (vectors * lanes)] = a[rows x depth] * b[depth x (vectors * lanes)], rows <= 6,
// vectors <= 4, each result row r multiplied by scale (and by row_scale[r] when given) as it is
// stored. Register tile: each a element is broadcast once and multiplied into `vectors` columns of
// b; 12 or 24 independent accumulators hide the FMA latency of two pipes.
template <int kRows, int kVectors>
HWY_INLINE void Tile(const float* HWY_RESTRICT a, int64_t lda, const float* HWY_RESTRICT b, int64_t ldb,
                     int64_t depth, float* HWY_RESTRICT c, int64_t ldc, float scale, const float* row_scale) {
  static_assert(kRows >= 1 && kRows <= 6 && kVectors >= 1 && kVectors <= 4);
  const hn::ScalableTag<float> d;
  const size_t lanes = hn::Lanes(d);
#define VIT_DECLARE(r) auto c##r##0 = hn::Zero(d), c##r##1 = c##r##0, c##r##2 = c##r##0, c##r##3 = c##r##0;
  VIT_DECLARE(0)
  VIT_DECLARE(1)
  VIT_DECLARE(2)
  VIT_DECLARE(3)
  VIT_DECLARE(4)
  VIT_DECLARE(5)
#undef VIT_DECLARE
#define VIT_ROW(r)                                                     \
  if constexpr (kRows > r) {                                           \
    const auto ar = hn::Set(d, a[r * lda + k]);                        \
    c##r##0 = hn::MulAdd(ar, b0, c##r##0);                             \
    if constexpr (kVectors > 1) c##r##1 = hn::MulAdd(ar, b1, c##r##1); \
    if constexpr (kVectors > 2) c##r##2 = hn::MulAdd(ar, b2, c##r##2); \
    if constexpr (kVectors > 3) c##r##3 = hn::MulAdd(ar, b3, c##r##3); \
  }
  for (int64_t k = 0; k < depth; ++k) {
    const float* bk = b + k * ldb;
    const auto b0 = hn::LoadU(d, bk);
    const auto b1 = kVectors > 1 ? hn::LoadU(d, bk + lanes) : b0;
    const auto b2 = kVectors > 2 ? hn::LoadU(d, bk + 2 * lanes) : b0;
    const auto b3 = kVectors > 3 ? hn::LoadU(d, bk + 3 * lanes) : b0;
    VIT_ROW(0)
    VIT_ROW(1)
    VIT_ROW(2)
    VIT_ROW(3)
    VIT_ROW(4)
    VIT_ROW(5)
  }
#undef VIT_ROW
#define VIT_STORE(r)                                                                          \
  if constexpr (kRows > r) {                                                                  \
    const auto s = hn::Set(d, row_scale != nullptr ? scale * row_scale[r] : scale);           \
    hn::StoreU(hn::Mul(c##r##0, s), d, c + r * ldc);                                          \
    if constexpr (kVectors > 1) hn::StoreU(hn::Mul(c##r##1, s), d, c + r * ldc + lanes);     \
    if constexpr (kVectors > 2) hn::StoreU(hn::Mul(c##r##2, s), d, c + r * ldc + 2 * lanes); \
    if constexpr (kVectors > 3) hn::StoreU(hn::Mul(c##r##3, s), d, c + r * ldc + 3 * lanes); \
  }
  VIT_STORE(0)
  VIT_STORE(1)
  VIT_STORE(2)
  VIT_STORE(3)
  VIT_STORE(4)
  VIT_STORE(5)
#undef VIT_STORE
}

template <int kVectors>
HWY_INLINE void ColumnBlock(const float* a, int64_t lda, const float* b, int64_t ldb, int64_t rows, int64_t depth,
                            float* c, int64_t ldc, float scale, const float* row_scale) {
  ForEachBlock<6>(rows, [&](auto tile_rows, int64_t r) {
    Tile<decltype(tile_rows)::value, kVectors>(a + r * lda, lda, b, ldb, depth, c + r * ldc, ldc, scale,
                                               row_scale != nullptr ? row_scale + r : nullptr);
  });
}

// c[rows x vectors*lanes] = a[rows x depth] * b[depth x vectors*lanes], scaled as Tile's. Column
// blocks outside, so the depth x block slice of b stays in L1 while every row block passes over it.
void MatMul(const float* a, int64_t lda, const float* b, int64_t ldb, int64_t rows, int64_t depth, int64_t vectors,
            float* c, int64_t ldc, float scale, const float* row_scale) {
  const int64_t lanes = static_cast<int64_t>(hn::Lanes(hn::ScalableTag<float>()));
  ForEachEvenBlock<kMaxVectors>(vectors, [&](auto block, int64_t v) {
    ColumnBlock<decltype(block)::value>(a, lda, b + v * lanes, ldb, rows, depth, c + v * lanes, ldc, scale,
                                        row_scale);
  });
}

// dst[c * ld_dst + j] = src[j * ld_src + c] for j < rows, c < cols; columns rows..ld_dst stay zero.
// 4 x 4 blocks go through registers (4 loads, 8 shuffles, 4 stores for 16 floats); the rows of src are
// often a multiple of 4 KiB apart, so a plain strided walk would also keep hitting one L1 set.
void TransposeHead(const float* src, int64_t ld_src, int64_t rows, int64_t cols, float* dst, int64_t ld_dst) {
  int64_t j = 0;
#if HWY_TARGET != HWY_SCALAR
  const hn::Full128<float> d4;
  for (; j + 4 <= rows; j += 4) {
    const float* r0 = src + j * ld_src;
    const float* r1 = r0 + ld_src;
    const float* r2 = r1 + ld_src;
    const float* r3 = r2 + ld_src;
    int64_t c = 0;
    for (; c + 4 <= cols; c += 4) {
      const auto v0 = hn::LoadU(d4, r0 + c), v1 = hn::LoadU(d4, r1 + c);
      const auto v2 = hn::LoadU(d4, r2 + c), v3 = hn::LoadU(d4, r3 + c);
      const auto t0 = hn::InterleaveLower(d4, v0, v1), t1 = hn::InterleaveLower(d4, v2, v3);
      const auto t2 = hn::InterleaveUpper(d4, v0, v1), t3 = hn::InterleaveUpper(d4, v2, v3);
      float* out = dst + c * ld_dst + j;
      hn::StoreU(hn::ConcatLowerLower(d4, t1, t0), d4, out);
      hn::StoreU(hn::ConcatUpperUpper(d4, t1, t0), d4, out + ld_dst);
      hn::StoreU(hn::ConcatLowerLower(d4, t3, t2), d4, out + 2 * ld_dst);
      hn::StoreU(hn::ConcatUpperUpper(d4, t3, t2), d4, out + 3 * ld_dst);
    }
    for (; c < cols; ++c) {
      float* out = dst + c * ld_dst + j;
      out[0] = r0[c];
      out[1] = r1[c];
      out[2] = r2[c];
      out[3] = r3[c];
    }
  }
#endif
  for (; j < rows; ++j) {
    for (int64_t c = 0; c < cols; ++c) dst[c * ld_dst + j] = src[j * ld_src + c];
  }
  for (int64_t c = 0; c < cols; ++c) std::fill(dst + c * ld_dst + rows, dst + (c + 1) * ld_dst, 0.f);
}

// e^x for x <= 0. On AVX-512, avx512::ExpNonPositive: 2e-7 relative, in a third of the instructions of
// Highway's general Exp, which made the softmax a large share of fp32 attention's time (attention_bench).
HWY_INLINE hn::Vec<hn::ScalableTag<float>> ExpNonPositive(hn::ScalableTag<float> d,
                                                          hn::Vec<hn::ScalableTag<float>> x) {
#if HWY_TARGET == HWY_AVX3 || HWY_TARGET == HWY_AVX3_DL
  (void)d;
  return {avx512::ExpNonPositive(x.raw)};
#else
  return hn::Exp(d, x);
#endif
}

// exp(row - max) in place for kRows rows `ld` apart, each allocated to a whole number of vectors: the last,
// partial vector is masked instead of finished lane by lane, and the padding ends up zero. The rows go
// through each step together, so that one row's chain (maximum, reduction, exponentials, sum, reduction)
// overlaps the other's: two rows beat one, four gained nothing over two (attention_bench on ViT-L's
// shape, bench/RESULTS.md).
// inverse[r] = 1 / row r's sum; with `normalize` the row is multiplied by it (softmax), else the caller
// applies it later.
template <int kRows>
HWY_INLINE void SoftmaxPaddedRows(float* HWY_RESTRICT rows, int64_t ld, int64_t n, bool normalize,
                                  float* HWY_RESTRICT inverse) {
  const hn::ScalableTag<float> d;
  using V = hn::Vec<decltype(d)>;
  const int64_t lanes = static_cast<int64_t>(hn::Lanes(d));
  const int64_t whole = n - n % lanes;
  const auto tail = hn::FirstN(d, static_cast<size_t>(n - whole));
  const auto minus_inf = hn::Set(d, -HUGE_VALF);

  V max[kRows], vsum[kRows];
  for (int r = 0; r < kRows; ++r) max[r] = minus_inf;
  for (int64_t i = 0; i < whole; i += lanes) {
    for (int r = 0; r < kRows; ++r) max[r] = hn::Max(max[r], hn::LoadU(d, rows + r * ld + i));
  }
  for (int r = 0; r < kRows; ++r) {
    if (whole < n) max[r] = hn::Max(max[r], hn::IfThenElse(tail, hn::LoadU(d, rows + r * ld + whole), minus_inf));
    max[r] = hn::Set(d, hn::GetLane(hn::MaxOfLanes(d, max[r])));
    vsum[r] = hn::Zero(d);
  }

  // The sums go through double every 256 floats, as SoftmaxRow's.
  double sum[kRows] = {};
  for (int64_t b0 = 0; b0 < whole; b0 += 256) {
    const int64_t b1 = std::min(whole, b0 + 256);
    for (int64_t i = b0; i < b1; i += lanes) {
      for (int r = 0; r < kRows; ++r) {
        float* x = rows + r * ld + i;
        const V e = ExpNonPositive(d, hn::Sub(hn::LoadU(d, x), max[r]));
        hn::StoreU(e, d, x);
        vsum[r] = hn::Add(vsum[r], e);
      }
    }
    if (b1 < whole) {
      for (int r = 0; r < kRows; ++r) {
        sum[r] += hn::GetLane(hn::SumOfLanes(d, vsum[r]));
        vsum[r] = hn::Zero(d);
      }
    }
  }
  for (int r = 0; r < kRows; ++r) {
    float* x = rows + r * ld + whole;
    if (whole < n) {
      const V e = hn::IfThenElseZero(tail, ExpNonPositive(d, hn::Sub(hn::LoadU(d, x), max[r])));
      hn::StoreU(e, d, x);
      vsum[r] = hn::Add(vsum[r], e);
    }
    sum[r] += hn::GetLane(hn::SumOfLanes(d, vsum[r]));
    inverse[r] = static_cast<float>(1.0 / sum[r]);
  }

  if (normalize) {
    const int64_t padded = whole < n ? whole + lanes : whole;
    for (int r = 0; r < kRows; ++r) {
      const auto vinverse = hn::Set(d, inverse[r]);
      float* x = rows + r * ld;
      for (int64_t i = 0; i < padded; i += lanes) hn::StoreU(hn::Mul(hn::LoadU(d, x + i), vinverse), d, x + i);
    }
  }
}

// Softmax of each row of head (b, h)'s scores (rows `ld` apart, zero-padded), two rows at a time. With probs
// to return, the rows are normalised and copied there; without, the 1/sum of each row goes to
// inverse_sums, to be applied to the head_dim outputs instead of the tokens probabilities.
void SoftmaxScores(float* scores, int64_t ld, const AttentionShape& shape, int64_t b, int64_t h, float* probs,
                   float* inverse_sums) {
  const int64_t tokens = shape.tokens;
  const bool normalize = probs != nullptr;
  int64_t i = 0;
  for (; i + 2 <= tokens; i += 2) SoftmaxPaddedRows<2>(scores + i * ld, ld, tokens, normalize, inverse_sums + i);
  if (i < tokens) SoftmaxPaddedRows<1>(scores + i * ld, ld, tokens, normalize, inverse_sums + i);
  if (normalize) {
    for (int64_t r = 0; r < tokens; ++r) {
      std::memcpy(probs + ((b * shape.heads + h) * tokens + r) * tokens, scores + r * ld, sizeof(float) * tokens);
    }
  }
}

// AttentionHead with both products in bf16 (fp32 sums), on AMX tiles where the CPU has them, else on
// AVX512-BF16 dot products; the softmax stays fp32. head_dim is a multiple of 16, so the context goes
// straight into the output.
void AttentionHeadBf16(const float* q, const float* k, const float* v, int64_t ld_qkv, const AttentionShape& shape,
                       float scale, int64_t b, int64_t h, float* out, float* probs) {
  const bool amx = Kernels().attention_bf16 == AttentionKernel::kBf16Amx;
  const auto matmul = amx ? MatMulBf16PairsAmx : MatMulBf16Pairs;
  const int64_t tokens = shape.tokens;
  const int64_t head_dim = shape.head_dim;
  const int64_t pairs = head_dim / 2;
  // Products are 16 columns wide whatever the Highway target; AMX also takes its depth 16 pairs at a
  // time and its rows 16 at a time, so it gets zero padding to those.
  const int64_t padded = amx ? (tokens + 31) / 32 * 32 : (tokens + 15) / 16 * 16;
  const int64_t pairs_padded = amx ? (pairs + 15) / 16 * 16 : pairs;
  const int64_t rows = amx ? (tokens + 15) / 16 * 16 : tokens;
  static_assert(sizeof(float) == sizeof(uint32_t));
  float* scratch = AttentionScratch(static_cast<size_t>(rows * pairs_padded + pairs_padded * padded +
                                                        tokens * padded + rows * padded / 2 +
                                                        padded / 2 * head_dim + tokens));
  auto* q_pairs = reinterpret_cast<uint32_t*>(scratch);                   // [rows, pairs_padded]
  uint32_t* k_pairs = q_pairs + rows * pairs_padded;                      // [pairs_padded, padded]
  float* scores = reinterpret_cast<float*>(k_pairs + pairs_padded * padded);  // [tokens, padded]
  auto* p_pairs = reinterpret_cast<uint32_t*>(scores + tokens * padded);  // [rows, padded / 2]
  uint32_t* v_pairs = p_pairs + rows * padded / 2;                        // [padded / 2, head_dim]
  float* inverse_sums = reinterpret_cast<float*>(v_pairs + padded / 2 * head_dim);

  const int64_t row0 = b * tokens;
  const int64_t in0 = row0 * ld_qkv + h * shape.stride(), col0 = h * head_dim;
  // transformers scales q k^T by 1/sqrt(head_dim); folded into q as it is rounded to bf16.
  ToBf16Rows(q + in0, ld_qkv, tokens, head_dim, scale, reinterpret_cast<uint16_t*>(q_pairs), 2 * pairs_padded);
  PackPairsTransposed(k + in0, ld_qkv, tokens, head_dim, k_pairs, padded);
  std::fill(k_pairs + pairs * padded, k_pairs + pairs_padded * padded, 0u);
  PackPairsInterleaved(v + in0, ld_qkv, tokens, head_dim, padded, v_pairs);

  matmul(q_pairs, pairs_padded, k_pairs, padded, tokens, pairs_padded, padded / 16, scores, padded, 1.f, nullptr);
  const bool normalize = probs != nullptr;
  if (normalize) {  // the probabilities are returned: normalised in fp32, then rounded for the product
    SoftmaxScores(scores, padded, shape, b, h, probs, inverse_sums);
    ToBf16Rows(scores, padded, tokens, tokens, 1.f, reinterpret_cast<uint16_t*>(p_pairs), padded);
  } else {  // one pass: the exponentials go straight to bf16, their sums to the product's row scales
    ExpRowsToBf16(scores, padded, tokens, tokens, reinterpret_cast<uint16_t*>(p_pairs), padded, inverse_sums);
  }

  const int64_t ld_out = shape.heads * head_dim;
  matmul(p_pairs, padded / 2, v_pairs, head_dim, tokens, padded / 2, head_dim / 16, out + row0 * ld_out + col0,
         ld_out, 1.f, normalize ? nullptr : inverse_sums);
}

void AttentionHead(const float* q, const float* k, const float* v, int64_t ld_qkv, const AttentionShape& shape,
                   float scale, int64_t b, int64_t h, float* out, float* probs) {
  const int64_t lanes = static_cast<int64_t>(hn::Lanes(hn::ScalableTag<float>()));
  const int64_t tokens = shape.tokens;
  const int64_t head_dim = shape.head_dim;
  const int64_t tokens_padded = (tokens + lanes - 1) / lanes * lanes;
  const int64_t dim_padded = (head_dim + lanes - 1) / lanes * lanes;

  float* scratch = AttentionScratch(static_cast<size_t>(head_dim * tokens_padded + tokens * tokens_padded +
                                                        2 * tokens * dim_padded + tokens));
  float* k_t = scratch;                                 // [head_dim, tokens_padded]
  float* scores = k_t + head_dim * tokens_padded;       // [tokens, tokens_padded]
  float* v_packed = scores + tokens * tokens_padded;    // [tokens, dim_padded]
  float* context = v_packed + tokens * dim_padded;      // [tokens, dim_padded]
  float* inverse_sums = context + tokens * dim_padded;  // [tokens]

  const int64_t row0 = b * tokens;
  const int64_t in0 = row0 * ld_qkv + h * shape.stride(), col0 = h * head_dim;
  TransposeHead(k + in0, ld_qkv, tokens, head_dim, k_t, tokens_padded);
  for (int64_t j = 0; j < tokens; ++j) {
    std::memcpy(v_packed + j * dim_padded, v + in0 + j * ld_qkv, sizeof(float) * head_dim);
    std::fill(v_packed + j * dim_padded + head_dim, v_packed + (j + 1) * dim_padded, 0.f);
  }

  // scores = q k^T * scale (transformers divides by sqrt(head_dim) before the softmax).
  MatMul(q + in0, ld_qkv, k_t, tokens_padded, tokens, head_dim, tokens_padded / lanes, scores,
         tokens_padded, scale, nullptr);
  const bool normalize = probs != nullptr;
  SoftmaxScores(scores, tokens_padded, shape, b, h, probs, inverse_sums);

  // context = probs v, written into this head's columns of the concatenated output: directly when the
  // head is whole vectors wide, else through a padded tile (a wider store would hit the next head).
  const int64_t ld_out = shape.heads * head_dim;
  const bool direct = dim_padded == head_dim;
  float* dst = direct ? out + row0 * ld_out + col0 : context;
  const int64_t ld_dst = direct ? ld_out : dim_padded;
  MatMul(scores, tokens_padded, v_packed, dim_padded, tokens, tokens, dim_padded / lanes, dst, ld_dst, 1.f,
         normalize ? nullptr : inverse_sums);
  if (!direct) {
    for (int64_t i = 0; i < tokens; ++i) {
      std::memcpy(out + (row0 + i) * ld_out + col0, dst + i * ld_dst, sizeof(float) * head_dim);
    }
  }
}

}  // namespace vit::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
#include "kernels/simd_dispatch.h"
#include <string>

#include "core/threads.h"
#include "vit/error.h"

namespace vit::kernels {

HWY_EXPORT(AttentionHead);
HWY_EXPORT(AttentionHeadBf16);

float* AttentionScratch(size_t floats) {
  thread_local core::FloatBuffer buffer;
  return buffer.Reserve(floats);
}

void MultiHeadAttention(const float* q, const float* k, const float* v, int64_t ld_qkv, const AttentionShape& shape,
                        float scale, float* out, float* probs, AttentionProducts precision) {
  if (shape.batch <= 0 || shape.tokens <= 0 || shape.heads <= 0 || shape.head_dim <= 0 ||
      shape.head_stride < 0 || (shape.head_stride > 0 && shape.head_stride < shape.head_dim) ||
      ld_qkv < (shape.heads - 1) * shape.stride() + shape.head_dim) {
    throw Error("attention: invalid shape batch=" + std::to_string(shape.batch) +
                    " tokens=" + std::to_string(shape.tokens) + " heads=" + std::to_string(shape.heads) +
                    " head_dim=" + std::to_string(shape.head_dim) +
                    " head_stride=" + std::to_string(shape.head_stride) +
                    " ld_qkv=" + std::to_string(ld_qkv),
                ErrorKind::kInvalidArgument);
  }
  // The table (dispatch.h) says which bf16 products this CPU runs, if any; it is filled before the pool's
  // threads could use a tile, and asks Linux for the tile state then.
  const bool bf16 = precision == AttentionProducts::kBF16 && shape.head_dim % 16 == 0 &&
                    Kernels().attention_bf16 != AttentionKernel::kF32;
  const auto head = bf16 ? VIT_DISPATCH(AttentionHeadBf16) : VIT_DISPATCH(AttentionHead);
  core::BalancedFor(shape.batch * shape.heads, [&](int64_t task) {
    head(q, k, v, ld_qkv, shape, scale, task / shape.heads, task % shape.heads, out, probs);
  });
}

}  // namespace vit::kernels
#endif  // HWY_ONCE
