#include "kernels/attention.h"

#include <gtest/gtest.h>

#include <cmath>

#include "kernels/attention_bf16.h"
#include "kernels/reference.h"
#include "kernels/test_util.h"
#include "vit/error.h"

namespace vit::kernels {
namespace {

using testing::ForEachTarget;
using testing::RandomFloats;

struct Case {
  int64_t batch, tokens, heads, head_dim;
};

// Random q, k, v as slices of one fused QKV output, and the float64 reference attention over them.
struct Problem {
  Problem(const Case& c, uint32_t seed)
      : width(c.heads * c.head_dim),
        ld(3 * width),
        rows(c.batch * c.tokens),
        qkv(RandomFloats(static_cast<size_t>(rows * ld), -2.f, 2.f, seed)),
        scale(1.0 / std::sqrt(static_cast<double>(c.head_dim))),
        shape{c.batch, c.tokens, c.heads, c.head_dim},
        want(reference::MultiHeadAttention(q(), k(), v(), ld, c.batch, c.tokens, c.heads, c.head_dim, scale)) {}
  const float* q() const { return qkv.data(); }
  const float* k() const { return qkv.data() + width; }
  const float* v() const { return qkv.data() + 2 * width; }

  int64_t width, ld, rows;
  std::vector<float> qkv;
  double scale;
  AttentionShape shape;
  reference::AttentionResult want;
};

TEST(MultiHeadAttention, MatchesDoublePrecisionOnEveryTarget) {
  ForEachTarget([] {
    for (const Case& c : {Case{2, 197, 3, 64}, Case{1, 50, 2, 24}, Case{3, 5, 2, 80}, Case{1, 1, 1, 1},
                          Case{2, 17, 4, 3}, Case{1, 40, 2, 48}}) {
      const Problem p(c, static_cast<uint32_t>(c.tokens * 7 + c.head_dim));
      const auto& [width, ld, rows, qkv, scale, shape, want] = p;
      const float *q = p.q(), *k = p.k(), *v = p.v();
      std::vector<float> out(static_cast<size_t>(rows * width), -1.f);
      std::vector<float> probs(static_cast<size_t>(c.batch * c.heads * c.tokens * c.tokens), -1.f);
      MultiHeadAttention(q, k, v, ld, shape, static_cast<float>(scale), out.data(), probs.data());
      for (size_t i = 0; i < out.size(); ++i) {
        ASSERT_NEAR(out[i], want.out[i], 2e-6 * (1.0 + std::fabs(want.out[i])))
            << c.tokens << " tokens, head_dim " << c.head_dim << " at " << i;
      }
      for (size_t i = 0; i < probs.size(); ++i) {
        ASSERT_NEAR(probs[i], want.probs[i], 3e-6 * want.probs[i] + 1e-9) << c.tokens << " tokens at " << i;
      }

      // Without probs (normalised after the product instead of before) the output is as close.
      std::vector<float> out_only(out.size(), -1.f);
      MultiHeadAttention(q, k, v, ld, shape, static_cast<float>(scale), out_only.data(), nullptr);
      for (size_t i = 0; i < out_only.size(); ++i) {
        ASSERT_NEAR(out_only[i], want.out[i], 2e-6 * (1.0 + std::fabs(want.out[i])))
            << c.tokens << " tokens, head_dim " << c.head_dim << " at " << i << " without probs";
      }
    }
  });
}

// bf16 products: each input rounded to 8 significant bits, sums in fp32. The error is that of the
// roundings (a few 1e-3 of the values here), far above fp32's and far below a wrong packing's (order 1).
TEST(MultiHeadAttention, Bf16ProductsStayWithinBf16RoundingOfDoublePrecision) {
  if (!HasAvx512Bf16()) GTEST_SKIP() << "this CPU has no AVX512-BF16; kBF16 computes as kF32 here";
  ForEachTarget([] {
    for (const Case& c : {Case{2, 197, 3, 64}, Case{1, 50, 2, 80}, Case{1, 1, 1, 16}, Case{3, 17, 2, 32},
                          Case{1, 257, 1, 64}}) {
      const Problem p(c, static_cast<uint32_t>(c.tokens * 5 + c.head_dim));
      const auto& [width, ld, rows, qkv, scale, shape, want] = p;
      const float *q = p.q(), *k = p.k(), *v = p.v();
      for (const bool with_probs : {false, true}) {
        std::vector<float> out(static_cast<size_t>(rows * width), -1.f);
        std::vector<float> probs(static_cast<size_t>(c.batch * c.heads * c.tokens * c.tokens), -1.f);
        MultiHeadAttention(q, k, v, ld, shape, static_cast<float>(scale), out.data(),
                           with_probs ? probs.data() : nullptr, AttentionPrecision::kBF16);
        double max_error = 0;
        for (size_t i = 0; i < out.size(); ++i) {
          ASSERT_NEAR(out[i], want.out[i], 3e-2) << c.tokens << " tokens, head_dim " << c.head_dim << " at " << i;
          max_error = std::max(max_error, std::fabs(out[i] - want.out[i]));
        }
        if (c.tokens > 1) {
          EXPECT_GT(max_error, 1e-5) << "bf16 products should not be as exact as fp32's";
        }
        if (!with_probs) continue;
        for (size_t i = 0; i < probs.size(); ++i) {
          ASSERT_NEAR(probs[i], want.probs[i], 2e-2 * want.probs[i] + 1e-6) << c.tokens << " tokens at " << i;
        }
      }
    }
  });
}

TEST(MultiHeadAttention, Bf16FallsBackToF32WhereHeadDimIsNotWholeVectors) {
  const Case c{2, 33, 2, 24};
  const int64_t width = c.heads * c.head_dim, ld = 3 * width, rows = c.batch * c.tokens;
  std::vector<float> qkv = RandomFloats(static_cast<size_t>(rows * ld), -2.f, 2.f, 11);
  const AttentionShape shape{c.batch, c.tokens, c.heads, c.head_dim};
  std::vector<float> f32(static_cast<size_t>(rows * width)), bf16(f32.size());
  MultiHeadAttention(qkv.data(), qkv.data() + width, qkv.data() + 2 * width, ld, shape, 0.2f, f32.data(), nullptr);
  MultiHeadAttention(qkv.data(), qkv.data() + width, qkv.data() + 2 * width, ld, shape, 0.2f, bf16.data(), nullptr,
                     AttentionPrecision::kBF16);
  EXPECT_EQ(f32, bf16);
}

TEST(MultiHeadAttention, RejectsBadShapes) {
  float x[16] = {};
  EXPECT_THROW(MultiHeadAttention(x, x, x, 4, AttentionShape{1, 0, 1, 4}, 1.f, x, nullptr), Error);
  EXPECT_THROW(MultiHeadAttention(x, x, x, 3, AttentionShape{1, 1, 1, 4}, 1.f, x, nullptr), Error);
}

}  // namespace
}  // namespace vit::kernels
