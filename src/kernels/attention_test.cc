#include "kernels/attention.h"

#include <gtest/gtest.h>

#include <cmath>

#include "kernels/attention_bf16.h"
#include "kernels/dispatch.h"
#include "kernels/kernels_testing.h"
#include "kernels/reference.h"
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
  if (Kernels().attention_bf16 == AttentionKernel::kF32) GTEST_SKIP() << "no bf16 products on this CPU; kBF16 computes as kF32 here";
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
                           with_probs ? probs.data() : nullptr, AttentionProducts::kBF16);
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
                     AttentionProducts::kBF16);
  EXPECT_EQ(f32, bf16);
}

TEST(MultiHeadAttention, HeadMajorQkvGivesTheSameBitsAsSideBySide) {
  for (const AttentionProducts precision : {AttentionProducts::kF32, AttentionProducts::kBF16}) {
    const Case c{2, 37, 3, 32};
    const Problem p(c, 5);
    // The same values with each head's q, k and v together: head h at columns [3 h, 3 h + 3) * head_dim.
    std::vector<float> by_head(p.qkv.size());
    for (int64_t r = 0; r < p.rows; ++r) {
      for (int64_t part = 0; part < 3; ++part) {
        for (int64_t h = 0; h < c.heads; ++h) {
          const float* from = p.qkv.data() + r * p.ld + part * p.width + h * c.head_dim;
          std::copy(from, from + c.head_dim, by_head.begin() + r * p.ld + (3 * h + part) * c.head_dim);
        }
      }
    }
    AttentionShape head_major = p.shape;
    head_major.head_stride = 3 * c.head_dim;
    std::vector<float> want(static_cast<size_t>(p.rows * p.width)), got(want.size());
    std::vector<float> want_probs(static_cast<size_t>(c.batch * c.heads * c.tokens * c.tokens)), got_probs(want_probs);
    MultiHeadAttention(p.q(), p.k(), p.v(), p.ld, p.shape, 0.2f, want.data(), want_probs.data(), precision);
    const float* q = by_head.data();
    MultiHeadAttention(q, q + c.head_dim, q + 2 * c.head_dim, p.ld, head_major, 0.2f, got.data(), got_probs.data(),
                       precision);
    EXPECT_EQ(got, want);
    EXPECT_EQ(got_probs, want_probs);
    // Without probabilities the bf16 path takes its one-pass softmax: the layouts must agree there too.
    MultiHeadAttention(p.q(), p.k(), p.v(), p.ld, p.shape, 0.2f, want.data(), nullptr, precision);
    MultiHeadAttention(q, q + c.head_dim, q + 2 * c.head_dim, p.ld, head_major, 0.2f, got.data(), nullptr, precision);
    EXPECT_EQ(got, want);
  }
}

TEST(MultiHeadAttention, RejectsBadShapes) {
  float x[16] = {};
  EXPECT_THROW(MultiHeadAttention(x, x, x, 4, AttentionShape{1, 0, 1, 4}, 1.f, x, nullptr), Error);
  EXPECT_THROW(MultiHeadAttention(x, x, x, 3, AttentionShape{1, 1, 1, 4}, 1.f, x, nullptr), Error);
  // Heads overlapping (a stride under head_dim), or the last head running past the row.
  EXPECT_THROW(MultiHeadAttention(x, x, x, 16, AttentionShape{1, 1, 2, 4, 3}, 1.f, x, nullptr), Error);
  EXPECT_THROW(MultiHeadAttention(x, x, x, 15, AttentionShape{1, 1, 2, 4, 12}, 1.f, x, nullptr), Error);
}

}  // namespace
}  // namespace vit::kernels
