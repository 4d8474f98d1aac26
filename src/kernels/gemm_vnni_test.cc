#include "kernels/gemm_vnni.h"

#include <gtest/gtest.h>
#include <omp.h>

#include <cmath>
#include <vector>

#include "core/aligned.h"
#include "core/cpu.h"
#include "kernels/gemm_quantize.h"
#include "kernels/kernels_testing.h"
#include "kernels/reference.h"

namespace vit::kernels::vnni {
namespace {

// The kernel itself needs these, whatever the table would choose.
bool CpuRuns() { return core::Cpu().avx512f && core::Cpu().avx512bw && core::Cpu().avx512_vnni; }

using testing::RandomFloats;

struct Case {
  int64_t rows, out_features, in_features;
};

// The layer's result from the same quantized operands in double precision: what is left between the
// two is the kernel's float epilogue.
std::vector<double> Expected(const std::vector<float>& x, const std::vector<int8_t>& w,
                             const std::vector<float>& w_scales, const std::vector<float>& bias, const Case& c,
                             Epilogue epilogue, const std::vector<float>& residual) {
  std::vector<double> out(static_cast<size_t>(c.rows * c.out_features));
  std::vector<uint8_t> q(static_cast<size_t>(c.in_features));
  for (int64_t r = 0; r < c.rows; ++r) {
    const float s = QuantizeActivationRow(x.data() + r * c.in_features, c.in_features, q.data());
    for (int64_t n = 0; n < c.out_features; ++n) {
      int64_t sum = 0;
      for (int64_t k = 0; k < c.in_features; ++k)
        sum += (static_cast<int64_t>(q[k]) - 128) * w[static_cast<size_t>(n * c.in_features + k)];
      double v = static_cast<double>(sum) * s * w_scales[n] + bias[n];
      if (epilogue == Epilogue::kBiasGelu) v = reference::GeluErf(v);
      if (epilogue == Epilogue::kBiasTanh) v = std::tanh(v);
      if (epilogue == Epilogue::kBiasQuickGelu) v = reference::QuickGelu(v);
      if (epilogue == Epilogue::kBiasGeluTanh) v = reference::GeluTanh(v);
      if (epilogue == Epilogue::kBiasResidual) v += residual[static_cast<size_t>(r * c.out_features + n)];
      out[static_cast<size_t>(r * c.out_features + n)] = v;
    }
  }
  return out;
}

TEST(VnniGemm, MatchesTheExactProductOfItsQuantizedOperands) {
  if (!CpuRuns()) GTEST_SKIP() << "no AVX512-VNNI on this CPU";
  // Tile-row tails (1-5 rows), panels cut short (N not a multiple of 64, or of 16), one panel split
  // over threads, many panels, and K from one group of four up.
  const Case cases[] = {{1, 1, 4}, {5, 17, 12}, {7, 64, 260}, {13, 100, 64}, {197, 130, 1024}, {31, 1024, 96}};
  for (const Case& c : cases) {
    const auto weights = RandomFloats(static_cast<size_t>(c.out_features * c.in_features), -0.2f, 0.2f, 5);
    std::vector<int8_t> w(weights.size());
    std::vector<float> w_scales(static_cast<size_t>(c.out_features));
    QuantizeWeightsPerRow(weights.data(), c.out_features, c.in_features, w.data(), w_scales.data());
    std::vector<int32_t> offsets(static_cast<size_t>(c.out_features));
    for (int64_t n = 0; n < c.out_features; ++n) {
      int32_t sum = 0;
      for (int64_t k = 0; k < c.in_features; ++k) sum += w[static_cast<size_t>(n * c.in_features + k)];
      offsets[static_cast<size_t>(n)] = 128 * sum;
    }
    core::AlignedPtr<int8_t> packed = core::AllocateArray<int8_t>(PackedBytes(c.out_features, c.in_features));
    PackWeights(w.data(), c.out_features, c.in_features, packed.get());
    const auto bias = RandomFloats(static_cast<size_t>(c.out_features), -1.f, 1.f, 6);
    const Int8Weights layer{packed.get(), offsets.data(), w_scales.data(), bias.data(), c.out_features, c.in_features};

    auto x = RandomFloats(static_cast<size_t>(c.rows * c.in_features), -3.f, 3.f, 7);
    for (int64_t k = 0; k < c.in_features; ++k) x[static_cast<size_t>(k)] *= 50.f;  // row 0 on its own scale
    const auto residual = RandomFloats(static_cast<size_t>(c.rows * c.out_features), -2.f, 2.f, 8);
    std::vector<uint8_t> quantized(x.size());
    std::vector<float> scales(static_cast<size_t>(c.rows));
    for (Epilogue e : {Epilogue::kBias, Epilogue::kBiasGelu, Epilogue::kBiasResidual, Epilogue::kBiasTanh,
                       Epilogue::kBiasQuickGelu, Epilogue::kBiasGeluTanh}) {
      std::vector<float> y = residual;
      Forward(layer, x.data(), c.rows, quantized.data(), scales.data(), y.data(), e);
      const auto want = Expected(x, w, w_scales, bias, c, e, residual);
      for (size_t i = 0; i < y.size(); ++i) {
        // Float rounding of the converted sum and the scaling, plus GELU's pieces (1.4e-5 |x|, where |x| is
        // at most 2 |GELU(x)| for x >= 0 and 5 below, GELU being 0 under -5).
        const double gelu = e == Epilogue::kBiasGelu ? 1.4e-5 * (2 * std::fabs(want[i]) + 5) : 0.0;
        ASSERT_NEAR(y[i], want[i], 2e-6 * (std::fabs(want[i]) + 1.0) + gelu)
            << c.rows << "x" << c.in_features << "->" << c.out_features << " epilogue " << static_cast<int>(e)
            << " at row " << i / c.out_features << " column " << i % c.out_features;
      }
    }
  }
}

TEST(VnniGemm, AnyThreadCountGivesTheSameBits) {
  if (!CpuRuns()) GTEST_SKIP() << "no AVX512-VNNI on this CPU";
  const Case c{50, 200, 128};
  const auto weights = RandomFloats(static_cast<size_t>(c.out_features * c.in_features), -0.2f, 0.2f, 9);
  std::vector<int8_t> w(weights.size());
  std::vector<float> w_scales(static_cast<size_t>(c.out_features));
  QuantizeWeightsPerRow(weights.data(), c.out_features, c.in_features, w.data(), w_scales.data());
  const std::vector<int32_t> offsets(static_cast<size_t>(c.out_features), 0);
  core::AlignedPtr<int8_t> packed = core::AllocateArray<int8_t>(PackedBytes(c.out_features, c.in_features));
  PackWeights(w.data(), c.out_features, c.in_features, packed.get());
  const std::vector<float> bias(static_cast<size_t>(c.out_features), 0.5f);
  const Int8Weights layer{packed.get(), offsets.data(), w_scales.data(), bias.data(), c.out_features, c.in_features};
  const auto x = RandomFloats(static_cast<size_t>(c.rows * c.in_features), -1.f, 1.f, 10);
  std::vector<uint8_t> quantized(x.size());
  std::vector<float> scales(static_cast<size_t>(c.rows));
  std::vector<float> first;
  const int saved = omp_get_max_threads();
  for (int threads : {1, 2, 3, 7}) {
    omp_set_num_threads(threads);
    std::vector<float> y(static_cast<size_t>(c.rows * c.out_features));
    Forward(layer, x.data(), c.rows, quantized.data(), scales.data(), y.data(), Epilogue::kBiasGelu);
    if (first.empty()) {
      first = y;
    } else {
      EXPECT_EQ(y, first) << threads << " threads";
    }
  }
  omp_set_num_threads(saved);
}

}  // namespace
}  // namespace vit::kernels::vnni
