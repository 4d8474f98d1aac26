#include "kernels/gemm_f32.h"

#include <gtest/gtest.h>
#include <omp.h>

#include <cmath>
#include <vector>

#include "core/aligned.h"
#include "core/cpu.h"
#include "kernels/kernels_testing.h"
#include "kernels/reference.h"

namespace vit::kernels::f32 {
namespace {

// The kernel itself needs these, whatever the table would choose.
bool CpuRuns() { return core::Cpu().avx512f && core::Cpu().avx512dq; }

using testing::RandomFloats;

struct Case {
  int64_t rows, out_features, in_features;
};

struct Layer {
  std::vector<float> w, bias;
  core::AlignedPtr<float> packed;
  Weights weights;
};

Layer MakeLayer(const Case& c, uint32_t seed) {
  Layer layer;
  layer.w = RandomFloats(static_cast<size_t>(c.out_features * c.in_features), -0.2f, 0.2f, seed);
  layer.bias = RandomFloats(static_cast<size_t>(c.out_features), -1.f, 1.f, seed + 1);
  layer.packed = core::AllocateArray<float>(PackedFloats(c.out_features, c.in_features));
  PackWeights(layer.w.data(), c.out_features, c.in_features, layer.packed.get());
  layer.weights = {layer.packed.get(), layer.bias.data(), c.out_features, c.in_features};
  return layer;
}

TEST(F32Gemm, MatchesADoublePrecisionProductToFloatRounding) {
  if (!CpuRuns()) GTEST_SKIP() << "no AVX-512 on this CPU";
  // Tile-row tails (1-5 rows), panels cut short (N not a multiple of 64, or of 16), K with a remainder past
  // the unrolled steps, K in several chunks (2500: ten of 250), and rows in several blocks (600).
  const Case cases[] = {{1, 1, 1},      {5, 17, 12},    {7, 64, 37},     {13, 100, 64},
                        {197, 130, 1024}, {31, 200, 2500}, {600, 80, 1100}, {3, 1030, 8}};
  for (const Case& c : cases) {
    const Layer layer = MakeLayer(c, 5);
    const auto x = RandomFloats(static_cast<size_t>(c.rows * c.in_features), -3.f, 3.f, 7);
    const auto residual = RandomFloats(static_cast<size_t>(c.rows * c.out_features), -2.f, 2.f, 8);
    for (Epilogue e : {Epilogue::kBias, Epilogue::kBiasGelu, Epilogue::kBiasResidual, Epilogue::kBiasTanh,
                       Epilogue::kBiasQuickGelu, Epilogue::kBiasGeluTanh}) {
      std::vector<float> y = residual;
      Forward(layer.weights, x.data(), c.rows, y.data(), e);
      for (int64_t r = 0; r < c.rows; ++r) {
        for (int64_t n = 0; n < c.out_features; ++n) {
          double sum = layer.bias[n], magnitude = std::fabs(layer.bias[n]);
          for (int64_t k = 0; k < c.in_features; ++k) {
            const double product = static_cast<double>(x[r * c.in_features + k]) * layer.w[n * c.in_features + k];
            sum += product;
            magnitude += std::fabs(product);
          }
          double want = sum;
          if (e == Epilogue::kBiasGelu) want = reference::GeluErf(sum);
          if (e == Epilogue::kBiasTanh) want = std::tanh(sum);
          if (e == Epilogue::kBiasQuickGelu) want = reference::QuickGelu(sum);
          if (e == Epilogue::kBiasGeluTanh) want = reference::GeluTanh(sum);
          const size_t at = static_cast<size_t>(r * c.out_features + n);
          if (e == Epilogue::kBiasResidual) want += residual[at];
          // Float sums over K in order: about sqrt(K) roundings of the running sum (a dropped or doubled term
          // is K / sqrt(K) times larger), plus the epilogue's own rounding.
          const double bound = 2e-7 * std::sqrt(static_cast<double>(c.in_features)) * magnitude +
                               3e-7 * (std::fabs(want) + std::fabs(sum)) + 1e-30;
          ASSERT_NEAR(y[at], want, bound) << c.rows << "x" << c.in_features << "->" << c.out_features
                                          << " epilogue " << static_cast<int>(e) << " at row " << r << " column " << n;
        }
      }
    }
  }
}

TEST(F32Gemm, ARowsResultDependsNeitherOnTheOtherRowsNorOnTheThreads) {
  if (!CpuRuns()) GTEST_SKIP() << "no AVX-512 on this CPU";
  const Case c{200, 150, 2100};
  const Layer layer = MakeLayer(c, 9);
  const auto x = RandomFloats(static_cast<size_t>(c.rows * c.in_features), -1.f, 1.f, 10);
  std::vector<float> first;
  const int saved = omp_get_max_threads();
  for (int threads : {1, 2, 3, 7}) {
    omp_set_num_threads(threads);
    std::vector<float> y(static_cast<size_t>(c.rows * c.out_features));
    Forward(layer.weights, x.data(), c.rows, y.data(), Epilogue::kBiasGelu);
    if (first.empty()) {
      first = y;
    } else {
      EXPECT_EQ(y, first) << threads << " threads";
    }
  }
  omp_set_num_threads(saved);
  // The last 7 rows alone, in another tile and block position: the same bits.
  std::vector<float> tail(static_cast<size_t>(7 * c.out_features));
  Forward(layer.weights, x.data() + (c.rows - 7) * c.in_features, 7, tail.data(), Epilogue::kBiasGelu);
  EXPECT_EQ(tail, std::vector<float>(first.end() - static_cast<int64_t>(tail.size()), first.end()));
}

TEST(F32Gemm, PackedPanelsHoldEachColumnsWeightsInKOrder) {
  if (!CpuRuns()) GTEST_SKIP() << "no AVX-512 on this CPU";
  // Two whole blocks of 16 k-values and a part one; a panel cut short after 6 columns.
  const Case c{1, 70, 37};
  const Layer layer = MakeLayer(c, 11);
  ASSERT_EQ(PackedFloats(c.out_features, c.in_features), size_t{128 * 37});
  for (int64_t n = 0; n < 128; ++n) {
    for (int64_t k = 0; k < c.in_features; ++k) {
      const float packed = layer.packed[(n / kPanelColumns) * kPanelColumns * c.in_features + k * kPanelColumns +
                                        n % kPanelColumns];
      EXPECT_EQ(packed, n < c.out_features ? layer.w[n * c.in_features + k] : 0.f) << n << " " << k;
    }
  }
}

}  // namespace
}  // namespace vit::kernels::f32
