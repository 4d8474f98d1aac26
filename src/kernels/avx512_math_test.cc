#include "kernels/avx512_math.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "core/cpu.h"
#include "kernels/reference.h"

namespace vit::kernels::avx512 {
namespace {

bool HasAvx512() { return core::Cpu().avx512f && core::Cpu().avx512dq; }

__attribute__((target("avx512f,avx512dq"))) void Gelu16(const float* in, float* out) {
  _mm512_storeu_ps(out, GeluErf(_mm512_loadu_ps(in), LoadGeluTable()));
}

TEST(Avx512Math, GeluErfIsWithinItsBoundEverywhere) {
  if (!HasAvx512()) GTEST_SKIP() << "no AVX-512";
  double worst = 0;  // in units of the bound: the pieces' 1.4e-5 on Phi times |x|, and float rounding
  for (double start = -12.0; start < 12.0; start += 16 * 1e-3) {
    float in[16], out[16];
    for (int i = 0; i < 16; ++i) in[i] = static_cast<float>(start + i * 1e-3);
    Gelu16(in, out);
    for (int i = 0; i < 16; ++i) {
      const double want = reference::GeluErf(in[i]);
      const double bound = 1.4e-5 * std::fabs(in[i]) + 2.4e-7 * std::fabs(want) + 1e-30;
      worst = std::max(worst, std::fabs(out[i] - want) / bound);
      ASSERT_LE(std::fabs(out[i] - want), bound) << "x = " << in[i];
    }
  }
  EXPECT_GT(worst, 0.05) << "the bound is far looser than the error: it would not catch a small regression";
}

TEST(Avx512Math, GeluErfIsContinuousAcrossThePieces) {
  if (!HasAvx512()) GTEST_SKIP() << "no AVX-512";
  // Either side of every knot, and of both ends of the pieces: no step larger than the slope explains.
  for (int k = 0; k <= kGeluPieces; ++k) {
    const float knot = kGeluPiecesBegin + static_cast<float>(k) * (kGeluPiecesEnd - kGeluPiecesBegin) / kGeluPieces;
    float in[16], out[16];
    for (int i = 0; i < 16; ++i) in[i] = i < 8 ? std::nextafter(knot, -100.f) : knot;
    Gelu16(in, out);
    EXPECT_NEAR(out[0], out[8], 4e-5 * (1 + std::fabs(knot))) << "knot " << knot;
  }
}

TEST(Avx512Math, GeluErfKeepsSpecialValues) {
  if (!HasAvx512()) GTEST_SKIP() << "no AVX-512";
  const float inf = std::numeric_limits<float>::infinity(), nan = std::numeric_limits<float>::quiet_NaN();
  float in[16] = {inf, -inf, nan, 0.f, -0.f, 1e-30f, -1e-30f, 40.f, -40.f, 3.f, -3.f, 1.f, -1.f, 0.5f, -0.5f, 5.f};
  float out[16];
  Gelu16(in, out);
  EXPECT_EQ(out[0], inf);
  EXPECT_EQ(out[1], 0.f);  // below the pieces: 0
  EXPECT_TRUE(std::isnan(out[2]));
  EXPECT_EQ(out[3], 0.f);
  EXPECT_EQ(out[7], 40.f);
  EXPECT_LT(std::fabs(out[8]), 1e-30f);
  for (int i = 9; i < 16; ++i) EXPECT_NEAR(out[i], reference::GeluErf(in[i]), 1.4e-5 * std::fabs(in[i])) << in[i];
}

__attribute__((target("avx512f,avx512dq"))) void GeluExact16(const float* in, float* out) {
  _mm512_storeu_ps(out, GeluErfExact(_mm512_loadu_ps(in), LoadGeluExactTable()));
}

TEST(Avx512Math, GeluErfExactIsWithinFloatRoundingOfTheExactGelu) {
  if (!HasAvx512()) GTEST_SKIP() << "no AVX-512";
  // Phi's 6e-8 times |x|, and a few roundings of the result; across every piece and far into both tails.
  double worst = 0;
  for (double start = -14.0; start < 14.0; start += 16 * 7e-4) {
    float in[16], out[16];
    for (int i = 0; i < 16; ++i) in[i] = static_cast<float>(start + i * 7e-4);
    GeluExact16(in, out);
    for (int i = 0; i < 16; ++i) {
      const double want = reference::GeluErf(in[i]);
      const double bound = 7e-8 * std::fabs(in[i]) + 1.2e-7 * std::fabs(want) + 1e-30;
      worst = std::max(worst, std::fabs(out[i] - want) / bound);
      ASSERT_LE(std::fabs(out[i] - want), bound) << "x = " << in[i];
    }
  }
  EXPECT_GT(worst, 0.05) << "the bound is far looser than the error: it would not catch a small regression";
}

TEST(Avx512Math, GeluErfExactKeepsSpecialValues) {
  if (!HasAvx512()) GTEST_SKIP() << "no AVX-512";
  const float inf = std::numeric_limits<float>::infinity(), nan = std::numeric_limits<float>::quiet_NaN();
  float in[16] = {inf, nan, 0.f, -0.f, 1e-30f, -1e-30f, 40.f, -40.f, 3.f, -3.f, 1.f, -1.f, 0.5f, -0.5f, 6.f, -inf};
  float out[16];
  GeluExact16(in, out);
  EXPECT_EQ(out[0], inf);
  EXPECT_EQ(out[15], 0.f);
  EXPECT_TRUE(std::isnan(out[1]));
  EXPECT_EQ(out[2], 0.f);
  EXPECT_EQ(out[3], 0.f);
  EXPECT_FLOAT_EQ(out[4], 0.5e-30f);
  EXPECT_EQ(out[6], 40.f);
  EXPECT_EQ(out[7], 0.f);
  for (int i = 8; i < 15; ++i) EXPECT_NEAR(out[i], reference::GeluErf(in[i]), 1e-6 * std::fabs(in[i])) << in[i];
}

}  // namespace
}  // namespace vit::kernels::avx512
