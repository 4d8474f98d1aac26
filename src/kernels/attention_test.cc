#include "kernels/attention.h"

#include <gtest/gtest.h>

#include <cmath>

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

TEST(MultiHeadAttention, MatchesDoublePrecisionOnEveryTarget) {
  ForEachTarget([] {
    for (const Case& c : {Case{2, 197, 3, 64}, Case{1, 50, 2, 24}, Case{3, 5, 2, 80}, Case{1, 1, 1, 1},
                          Case{2, 17, 4, 3}, Case{1, 40, 2, 48}}) {
      const int64_t width = c.heads * c.head_dim;
      const int64_t ld = 3 * width;  // q, k, v are slices of one fused QKV output
      const int64_t rows = c.batch * c.tokens;
      std::vector<float> qkv = RandomFloats(static_cast<size_t>(rows * ld), -2.f, 2.f,
                                            static_cast<uint32_t>(c.tokens * 7 + c.head_dim));
      const float* q = qkv.data();
      const float* k = q + width;
      const float* v = k + width;
      const double scale = 1.0 / std::sqrt(static_cast<double>(c.head_dim));
      const auto want = reference::MultiHeadAttention(q, k, v, ld, c.batch, c.tokens, c.heads, c.head_dim, scale);

      const AttentionShape shape{c.batch, c.tokens, c.heads, c.head_dim};
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

TEST(MultiHeadAttention, RejectsBadShapes) {
  float x[16] = {};
  EXPECT_THROW(MultiHeadAttention(x, x, x, 4, AttentionShape{1, 0, 1, 4}, 1.f, x, nullptr), Error);
  EXPECT_THROW(MultiHeadAttention(x, x, x, 3, AttentionShape{1, 1, 1, 4}, 1.f, x, nullptr), Error);
}

}  // namespace
}  // namespace vit::kernels
