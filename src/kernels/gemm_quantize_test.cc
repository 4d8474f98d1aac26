#include "kernels/gemm_quantize.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <utility>

#include <cmath>
#include <cstring>
#include <limits>

#include "kernels/kernels_testing.h"

namespace vit::kernels {
namespace {

using testing::ForEachTarget;
using testing::RandomFloats;

float FromBits(uint32_t bits) {
  float f;
  std::memcpy(&f, &bits, sizeof(f));
  return f;
}

// bf16 by way of double arithmetic: the float nearest to x among those with 16 zero low bits, ties to even.
uint16_t ReferenceBF16(float x) {
  if (std::isnan(x)) return 0x7fc0;
  uint32_t bits;
  std::memcpy(&bits, &x, sizeof(bits));
  if (std::isinf(x)) return static_cast<uint16_t>(bits >> 16);
  const uint32_t down = bits & 0xffff0000u, up = down + 0x10000u;
  const double dd = std::fabs(static_cast<double>(x) - FromBits(down));
  const double du = std::isinf(FromBits(up)) && !std::isinf(x)
                        ? std::fabs(static_cast<double>(x) - std::ldexp(1.0, 128) * (x < 0 ? -1 : 1))
                        : std::fabs(static_cast<double>(x) - FromBits(up));
  if (dd < du || (dd == du && ((down >> 16) & 1u) == 0)) return static_cast<uint16_t>(down >> 16);
  return static_cast<uint16_t>(up >> 16);
}

TEST(ConvertToBF16, RoundsToNearestEvenOnEveryTarget) {
  std::vector<float> x = RandomFloats(5000, -1e4f, 1e4f, 3);
  // Denormals included, some of which round to a nonzero bf16.
  for (uint32_t bits : {0x3f808000u, 0x3f818000u, 0x3f80ffffu, 0x7f7fffffu, 0xff7fffffu, 0x00000001u, 0x80008000u,
                        0x00018000u, 0x007fffffu, 0x80400000u})
    x.push_back(FromBits(bits));
  x.push_back(std::numeric_limits<float>::infinity());
  x.push_back(-std::numeric_limits<float>::infinity());
  x.push_back(0.f);
  x.push_back(-0.f);
  ForEachTarget([&] {
    std::vector<uint16_t> out(x.size());
    ConvertToBF16(x.data(), static_cast<int64_t>(x.size()), out.data());
    for (size_t i = 0; i < x.size(); ++i) ASSERT_EQ(out[i], ReferenceBF16(x[i])) << "x=" << x[i] << " at " << i;

    const float nan = std::numeric_limits<float>::quiet_NaN();
    std::vector<float> nans(33, nan);
    std::vector<uint16_t> nan_out(nans.size());
    ConvertToBF16(nans.data(), 33, nan_out.data());
    for (uint16_t h : nan_out) EXPECT_TRUE(std::isnan(FromBits(static_cast<uint32_t>(h) << 16)));
  });
}

TEST(QuantizeActivationsPerTensor, UsesTheLargestMagnitudeOnEveryTarget) {
  ForEachTarget([] {
    for (int64_t n : {1, 7, 1023, 197 * 1024}) {
      std::vector<float> x = RandomFloats(static_cast<size_t>(n), -3.f, 3.f, static_cast<uint32_t>(n));
      x[static_cast<size_t>(n / 2)] = -5.f;  // the extreme value, negative
      std::vector<uint8_t> q(x.size());
      const float scale = QuantizeActivationsPerTensor(x.data(), n, q.data());
      ASSERT_FLOAT_EQ(scale, 5.f / 127.f);
      for (int64_t i = 0; i < n; ++i) {
        ASSERT_EQ(q[i], static_cast<int>(std::nearbyint(x[i] * (1.f / scale))) + 128) << i;
      }
      EXPECT_EQ(q[static_cast<size_t>(n / 2)], -127 + 128);
    }
    std::vector<float> zeros(40, 0.f);
    std::vector<uint8_t> q(40, 1);
    EXPECT_EQ(QuantizeActivationsPerTensor(zeros.data(), 40, q.data()), 1.f);
    for (uint8_t v : q) EXPECT_EQ(v, 128);
  });
}

TEST(QuantizeActivationsInGroups, EachGroupAsIfQuantizedAlone) {
  ForEachTarget([] {
    // Whole groups, a short last group, one group larger than the input, and groups split across pieces.
    for (auto [n, group] : {std::pair<int64_t, int64_t>{21, 7}, {23, 7}, {5, 40}, {3 * 197 * 1024, 197 * 1024},
                            {197 * 1024 + 5, 65536}}) {
      std::vector<float> x = RandomFloats(static_cast<size_t>(n), -1.f, 1.f, static_cast<uint32_t>(n));
      const int64_t groups = (n + group - 1) / group;
      for (int64_t g = 0; g < groups; ++g) x[static_cast<size_t>(g * group)] *= static_cast<float>(1 + 10 * g);
      std::vector<uint8_t> q(x.size());
      std::vector<float> scales(static_cast<size_t>(groups) + 1, -1.f);
      QuantizeActivationsInGroups(x.data(), n, group, q.data(), scales.data());
      EXPECT_EQ(scales[static_cast<size_t>(groups)], -1.f) << "wrote past the last group's scale";
      for (int64_t g = 0; g < groups; ++g) {
        const int64_t begin = g * group, count = std::min(group, n - begin);
        std::vector<uint8_t> alone(static_cast<size_t>(count));
        const float scale = QuantizeActivationsPerTensor(x.data() + begin, count, alone.data());
        ASSERT_EQ(scales[static_cast<size_t>(g)], scale) << n << "/" << group << " group " << g;
        ASSERT_TRUE(std::equal(alone.begin(), alone.end(), q.begin() + begin)) << n << "/" << group << " group " << g;
      }
    }
  });
}

TEST(QuantizeActivationsInGroups, OffsetsTheSignedRoundingBy128) {
  ForEachTarget([] {
    const int64_t n = 197 * 64 + 11, group = 197 * 32;  // a tail past the whole vectors, a short last group
    std::vector<float> x = RandomFloats(static_cast<size_t>(n), -3.f, 3.f, 21);
    x[5] = -1000.f;  // the extremes map to 1 and 255
    x[group + 3] = 1000.f;
    std::vector<uint8_t> u(x.size());
    std::vector<float> scales(3);
    QuantizeActivationsInGroups(x.data(), n, group, u.data(), scales.data());
    float last_max = 0.f;  // the short last group holds neither extreme
    for (int64_t i = 2 * group; i < n; ++i) last_max = std::max(last_max, std::fabs(x[static_cast<size_t>(i)]));
    EXPECT_EQ(scales, (std::vector<float>{1000.f / 127.f, 1000.f / 127.f, last_max / 127.f}));
    for (size_t i = 0; i < x.size(); ++i) {
      const float s = scales[i / static_cast<size_t>(group)];
      ASSERT_EQ(static_cast<int>(u[i]), static_cast<int>(std::nearbyint(x[i] * (1.f / s))) + 128) << i;
    }
    EXPECT_EQ(u[5], 1);
    EXPECT_EQ(u[static_cast<size_t>(group + 3)], 255);
  });
}

TEST(QuantizeWeightsPerRow, ScalesEachRowByItsMaximum) {
  ForEachTarget([] {
    const int64_t rows = 5, cols = 37;
    std::vector<float> w = RandomFloats(static_cast<size_t>(rows * cols), -1.f, 1.f, 9);
    for (int64_t c = 0; c < cols; ++c) w[static_cast<size_t>(2 * cols + c)] *= 0.01f;  // a small row keeps precision
    std::vector<int8_t> q(w.size());
    std::vector<float> scales(static_cast<size_t>(rows));
    QuantizeWeightsPerRow(w.data(), rows, cols, q.data(), scales.data());
    for (int64_t r = 0; r < rows; ++r) {
      float m = 0;
      for (int64_t c = 0; c < cols; ++c) m = std::fmax(m, std::fabs(w[r * cols + c]));
      ASSERT_FLOAT_EQ(scales[r], m / 127.f);
      for (int64_t c = 0; c < cols; ++c) {
        ASSERT_NEAR(q[r * cols + c] * scales[r], w[r * cols + c], scales[r] / 2 * 1.0001f);
      }
    }
  });
}

}  // namespace
}  // namespace vit::kernels
