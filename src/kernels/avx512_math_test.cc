#include "kernels/avx512_math.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "kernels/reference.h"

namespace vit::kernels::avx512 {
namespace {

bool HasAvx512() { return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq"); }

__attribute__((target("avx512f,avx512dq"))) void Gelu16(const float* in, float* out) {
  _mm512_storeu_ps(out, GeluErf(_mm512_loadu_ps(in)));
}

TEST(Avx512Math, GeluErfIsWithinItsBoundEverywhere) {
  if (!HasAvx512()) GTEST_SKIP() << "no AVX-512";
  double worst = 0;  // in units of the bound: A&S's 1.5e-7 on erf times |x|, and float rounding of the result
  for (double start = -12.0; start < 12.0; start += 16 * 1e-3) {
    float in[16], out[16];
    for (int i = 0; i < 16; ++i) in[i] = static_cast<float>(start + i * 1e-3);
    Gelu16(in, out);
    for (int i = 0; i < 16; ++i) {
      const double want = reference::GeluErf(in[i]);
      const double bound = 1.5e-7 * std::fabs(in[i]) + 2.4e-7 * std::fabs(want) + 1e-30;
      worst = std::max(worst, std::fabs(out[i] - want) / bound);
      ASSERT_LE(std::fabs(out[i] - want), bound) << "x = " << in[i];
    }
  }
  EXPECT_GT(worst, 0.05) << "the bound is far looser than the error: it would not catch a small regression";
}

TEST(Avx512Math, GeluErfKeepsSpecialValues) {
  if (!HasAvx512()) GTEST_SKIP() << "no AVX-512";
  const float inf = std::numeric_limits<float>::infinity(), nan = std::numeric_limits<float>::quiet_NaN();
  float in[16] = {inf, -inf, nan, 0.f, -0.f, 1e-30f, -1e-30f, 40.f, -40.f, 3.f, -3.f, 1.f, -1.f, 0.5f, -0.5f, 5.f};
  float out[16];
  Gelu16(in, out);
  EXPECT_EQ(out[0], inf);
  EXPECT_TRUE(std::isnan(out[2]));
  EXPECT_EQ(out[3], 0.f);
  EXPECT_EQ(out[7], 40.f);
  EXPECT_LT(std::fabs(out[8]), 1e-30f);
  for (int i = 9; i < 16; ++i) EXPECT_NEAR(out[i], reference::GeluErf(in[i]), 1e-6) << in[i];
}

}  // namespace
}  // namespace vit::kernels::avx512
