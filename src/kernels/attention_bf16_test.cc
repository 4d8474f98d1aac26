#include "kernels/attention_bf16.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <vector>

#include "kernels/bf16.h"
#include "core/cpu.h"
#include "kernels/dispatch.h"
#include "kernels/kernels_testing.h"

namespace vit::kernels {
namespace {

using testing::RandomFloats;

bool HasAvx512Bf16() {
  const core::CpuFeatures& cpu = core::Cpu();
  return cpu.avx512f && cpu.avx512bw && cpu.avx512vl && cpu.avx512_bf16;
}

float Low(uint32_t pair) { return Bf16ToFloat(static_cast<uint16_t>(pair & 0xffff)); }
float High(uint32_t pair) { return Bf16ToFloat(static_cast<uint16_t>(pair >> 16)); }

TEST(AttentionBf16, ExpRowsAreTheUnnormalisedSoftmaxInBf16) {
  if (!HasAvx512Bf16()) GTEST_SKIP() << "no AVX512-BF16 on this CPU";
  // 197 columns (ViT's tokens: 12 whole vectors and a partial one), 48 of padding; wide score ranges so
  // that some exponentials underflow to zero.
  const int64_t rows = 5, cols = 197, ld = 200, ld_dst = 224;
  std::vector<float> scores = RandomFloats(static_cast<size_t>(rows * ld), -40.f, 12.f, 9);
  scores[3 * ld + 196] = 30.f;  // the maximum in the partial vector
  std::vector<uint16_t> e(static_cast<size_t>(rows * ld_dst), 0xdead);
  std::vector<float> inverse_sums(rows);
  ExpRowsToBf16(scores.data(), ld, rows, cols, e.data(), ld_dst, inverse_sums.data());
  for (int64_t r = 0; r < rows; ++r) {
    double max = -INFINITY, sum = 0;
    for (int64_t c = 0; c < cols; ++c) max = std::max(max, static_cast<double>(scores[r * ld + c]));
    for (int64_t c = 0; c < ld_dst; ++c) {
      const float got = Bf16ToFloat(e[r * ld_dst + c]);
      if (c >= cols) {
        ASSERT_EQ(e[r * ld_dst + c], 0) << r << "," << c;
        continue;
      }
      const double want = std::exp(static_cast<double>(scores[r * ld + c]) - max);
      sum += want;
      // One rounding to bf16 (half an ulp of an 8-bit significand: 2^-8 relative) of an exponential good
      // to ~2e-7.
      ASSERT_NEAR(got, want, want * (1.0 / 256 + 1e-6) + 1e-37) << r << "," << c;
    }
    EXPECT_NEAR(inverse_sums[r], 1.0 / sum, 1e-6 / sum) << r;
  }
}

TEST(AttentionBf16, PackingKeepsEveryValueInItsPair) {
  if (!HasAvx512Bf16()) GTEST_SKIP() << "no AVX512-BF16 on this CPU";
  const int64_t rows = 7, cols = 38, ld = 41;
  const std::vector<float> src = RandomFloats(static_cast<size_t>(rows * ld), -3.f, 3.f, 5);

  std::vector<uint16_t> rounded(static_cast<size_t>(rows * 40), 0xdead);
  ToBf16Rows(src.data(), ld, rows, cols, 0.5f, rounded.data(), 40);
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t c = 0; c < 40; ++c) {
      const uint16_t want = c < cols ? FloatToBf16(src[r * ld + c] * 0.5f) : 0;
      ASSERT_EQ(rounded[r * 40 + c], want) << r << "," << c;
    }
  }

  // Row blocks of 16 with the last one partial, padding past a block, and pairs past a block of 16.
  for (const auto& [n, padded] : {std::pair<int64_t, int64_t>{rows, 16}, {37, 48}, {33, 40}, {16, 16}}) {
    const std::vector<float> k = RandomFloats(static_cast<size_t>(n * ld), -3.f, 3.f, 9);
    std::vector<uint32_t> transposed(static_cast<size_t>(cols / 2 * padded), 0xdeadbeef);
    PackPairsTransposed(k.data(), ld, n, cols, transposed.data(), padded);
    for (int64_t p = 0; p < cols / 2; ++p) {
      for (int64_t r = 0; r < padded; ++r) {
        const uint32_t pair = transposed[p * padded + r];
        if (r >= n) {
          ASSERT_EQ(pair, 0u) << p << "," << r;
          continue;
        }
        ASSERT_EQ(Low(pair), Bf16ToFloat(FloatToBf16(k[r * ld + 2 * p]))) << p << "," << r << " of " << n;
        ASSERT_EQ(High(pair), Bf16ToFloat(FloatToBf16(k[r * ld + 2 * p + 1]))) << p << "," << r << " of " << n;
      }
    }
  }

  const int64_t padded_rows = 10;
  std::vector<uint32_t> interleaved(static_cast<size_t>(padded_rows / 2 * cols), 0xdeadbeef);
  PackPairsInterleaved(src.data(), ld, rows, cols, padded_rows, interleaved.data());
  for (int64_t j = 0; j < padded_rows; ++j) {
    for (int64_t c = 0; c < cols; ++c) {
      const uint32_t pair = interleaved[(j / 2) * cols + c];
      const float got = j % 2 == 0 ? Low(pair) : High(pair);
      const float want = j < rows ? Bf16ToFloat(FloatToBf16(src[j * ld + c])) : 0.f;
      ASSERT_EQ(got, want) << j << "," << c;
    }
  }
}

// Both product kernels against a double-precision sum of the same bf16 values: only fp32 summation
// error remains, so the tolerance is tight.
void ExpectProductMatches(bool amx) {
  for (const auto& [rows, depth, vectors] : {std::tuple{197, 32, 14}, std::tuple{5, 16, 1}, std::tuple{33, 112, 4},
                                             std::tuple{16, 48, 5}, std::tuple{1, 16, 3}}) {
    const int64_t rows_padded = (rows + 15) / 16 * 16;
    const int64_t lda = depth + 3, ldb = 16 * vectors + 16, ldc = 16 * vectors + 5;
    std::vector<uint32_t> a(static_cast<size_t>(rows_padded * lda)), b(static_cast<size_t>(depth * ldb));
    const auto fa = RandomFloats(a.size() * 2, -2.f, 2.f, static_cast<uint32_t>(rows + depth));
    const auto fb = RandomFloats(b.size() * 2, -2.f, 2.f, static_cast<uint32_t>(vectors));
    for (size_t i = 0; i < a.size(); ++i) a[i] = FloatToBf16(fa[2 * i]) | uint32_t{FloatToBf16(fa[2 * i + 1])} << 16;
    for (size_t i = 0; i < b.size(); ++i) b[i] = FloatToBf16(fb[2 * i]) | uint32_t{FloatToBf16(fb[2 * i + 1])} << 16;
    std::vector<float> row_scale(static_cast<size_t>(rows));
    for (int64_t r = 0; r < rows; ++r) row_scale[static_cast<size_t>(r)] = 1.f / static_cast<float>(r + 1);

    std::vector<float> c(static_cast<size_t>(rows * ldc), -7.f);
    (amx ? MatMulBf16PairsAmx : MatMulBf16Pairs)(a.data(), lda, b.data(), ldb, rows, depth, vectors, c.data(), ldc,
                                                 0.5f, row_scale.data());
    for (int64_t r = 0; r < rows; ++r) {
      for (int64_t n = 0; n < 16 * vectors; ++n) {
        double want = 0;
        for (int64_t k = 0; k < depth; ++k) {
          const uint32_t x = a[r * lda + k], y = b[k * ldb + n];
          want += static_cast<double>(Low(x)) * Low(y) + static_cast<double>(High(x)) * High(y);
        }
        want *= 0.5 * row_scale[static_cast<size_t>(r)];
        ASSERT_NEAR(c[r * ldc + n], want, 1e-5 * (1 + std::fabs(want)) * depth)
            << (amx ? "amx " : "avx512_bf16 ") << rows << "x" << depth << "x" << vectors << " at " << r << "," << n;
      }
      for (int64_t n = 16 * vectors; n < ldc; ++n) ASSERT_EQ(c[r * ldc + n], -7.f) << "wrote past the columns";
    }
  }
}

TEST(AttentionBf16, DotProductKernelMatchesDoublePrecision) {
  if (!HasAvx512Bf16()) GTEST_SKIP() << "no AVX512-BF16 on this CPU";
  ExpectProductMatches(false);
}

TEST(AttentionBf16, AmxKernelMatchesDoublePrecision) {
  if (Kernels().attention_bf16 != AttentionKernel::kBf16Amx) GTEST_SKIP() << "no AMX-BF16 on this CPU (or Linux refused the tile state)";
  ExpectProductMatches(true);
}

}  // namespace
}  // namespace vit::kernels
