#include "kernels/gemm_f32_avx512.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

#include "core/threads.h"
#include "kernels/reference.h"
#include "kernels/test_util.h"
#include "vit/error.h"

namespace vit::kernels {
namespace {

using testing::RandomFloats;

reference::Epilogue ToReference(Epilogue e) {
  switch (e) {
    case Epilogue::kBias:
      return reference::Epilogue::kBias;
    case Epilogue::kBiasGelu:
      return reference::Epilogue::kBiasGelu;
    case Epilogue::kBiasResidual:
      return reference::Epilogue::kBiasResidual;
    case Epilogue::kBiasTanh:
      return reference::Epilogue::kBiasTanh;
  }
  return reference::Epilogue::kBias;
}

constexpr Epilogue kEpilogues[] = {Epilogue::kBias, Epilogue::kBiasGelu, Epilogue::kBiasResidual, Epilogue::kBiasTanh};

struct Shape {
  int64_t out_features, in_features;
};

// sum_k |x w|: the scale of a float dot product's rounding error.
double Magnitude(const float* x, const float* w, int64_t k_in) {
  double s = 0;
  for (int64_t k = 0; k < k_in; ++k) s += std::fabs(static_cast<double>(x[k]) * w[k]);
  return s;
}

class Avx512F32Gemm : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!Avx512F32GemmAvailable()) GTEST_SKIP() << "no AVX-512 on this CPU";
  }
};

TEST_F(Avx512F32Gemm, MatchesDoublePrecision) {
  // ViT shapes (cut in rows where the double reference would be slow) and sizes off every block edge.
  for (const Shape& s : {Shape{3072, 1024}, Shape{1024, 4096}, Shape{1024, 768}, Shape{33, 17}, Shape{5, 3},
                         Shape{100, 257}, Shape{47, 530}, Shape{1000, 1}}) {
    const auto w = RandomFloats(static_cast<size_t>(s.out_features * s.in_features), -0.1f, 0.1f,
                                static_cast<uint32_t>(s.in_features));
    const auto bias = RandomFloats(static_cast<size_t>(s.out_features), -1.f, 1.f, 3);
    const Avx512F32Weights weights(w.data(), bias.data(), s.out_features, s.in_features);
    ASSERT_GE(weights.packed_bytes(), static_cast<size_t>(s.out_features * s.in_features) * sizeof(float));
    for (int64_t rows : {1, 7, 15, 197}) {
      if (rows * s.out_features * s.in_features > 300'000'000) continue;
      const auto x = RandomFloats(static_cast<size_t>(rows * s.in_features), -2.f, 2.f, static_cast<uint32_t>(rows));
      const auto residual = RandomFloats(static_cast<size_t>(rows * s.out_features), -3.f, 3.f, 11);
      for (Epilogue e : kEpilogues) {
        std::vector<float> y = residual;
        weights.Forward(x.data(), rows, y.data(), e);
        const auto want = reference::Linear(x.data(), rows, w.data(), bias.data(), s.out_features, s.in_features,
                                            ToReference(e), residual.data());
        for (int64_t m = 0; m < rows; ++m) {
          for (int64_t n = 0; n < s.out_features; ++n) {
            const size_t i = static_cast<size_t>(m * s.out_features + n);
            const double magnitude =
                Magnitude(x.data() + m * s.in_features, w.data() + n * s.in_features, s.in_features);
            const double tolerance = 1e-6 * magnitude + 4e-7 * (1 + std::fabs(want[i]));
            ASSERT_NEAR(y[i], want[i], tolerance) << rows << "x" << s.in_features << "->" << s.out_features
                                                   << " epilogue " << static_cast<int>(e) << " at " << m << "," << n;
          }
        }
      }
    }
  }
}

TEST_F(Avx512F32Gemm, NullBiasMeansZero) {
  const auto w = RandomFloats(6 * 4, -1.f, 1.f, 1);
  const auto x = RandomFloats(2 * 4, -1.f, 1.f, 2);
  const Avx512F32Weights weights(w.data(), nullptr, 6, 4);
  std::vector<float> y(12);
  weights.Forward(x.data(), 2, y.data(), Epilogue::kBias);
  const auto want = reference::Linear(x.data(), 2, w.data(), nullptr, 6, 4, reference::Epilogue::kBias);
  for (size_t i = 0; i < y.size(); ++i) EXPECT_NEAR(y[i], want[i], 1e-6);
}

// A row's bits must not depend on how many rows come with it, nor on the thread count.
TEST_F(Avx512F32Gemm, RowsDoNotDependOnBatchOrThreads) {
  const int64_t n_out = 1000, k_in = 1100, rows = 61;
  const auto w = RandomFloats(static_cast<size_t>(n_out * k_in), -0.1f, 0.1f, 5);
  const auto bias = RandomFloats(static_cast<size_t>(n_out), -1.f, 1.f, 6);
  const auto x = RandomFloats(static_cast<size_t>(rows * k_in), -2.f, 2.f, 7);
  const Avx512F32Weights weights(w.data(), bias.data(), n_out, k_in);
  for (Epilogue e : kEpilogues) {
    std::vector<float> all(static_cast<size_t>(rows * n_out), 0.5f);
    weights.Forward(x.data(), rows, all.data(), e);
    const int saved = core::NumThreads();
    for (int threads : {1, 2, 3}) {
      core::SetNumThreads(threads);
      for (int64_t begin : {int64_t{0}, int64_t{13}, int64_t{60}}) {
        for (int64_t count : {int64_t{1}, rows - begin}) {
          std::vector<float> part(static_cast<size_t>(count * n_out), 0.5f);
          weights.Forward(x.data() + begin * k_in, count, part.data(), e);
          ASSERT_EQ(0, std::memcmp(part.data(), all.data() + begin * n_out, part.size() * sizeof(float)))
              << "row " << begin << " epilogue " << static_cast<int>(e) << " threads " << threads;
        }
      }
    }
    core::SetNumThreads(saved);
  }
}

TEST_F(Avx512F32Gemm, RejectsEmptyWeights) {
  const float w = 1.f;
  EXPECT_THROW(Avx512F32Weights(nullptr, nullptr, 1, 1), Error);
  EXPECT_THROW(Avx512F32Weights(&w, nullptr, 0, 1), Error);
  EXPECT_THROW(Avx512F32Weights(&w, nullptr, 1, 0), Error);
  const Avx512F32Weights empty;
  float y = 0;
  EXPECT_THROW(empty.Forward(&w, 1, &y, Epilogue::kBias), Error);
}

}  // namespace
}  // namespace vit::kernels
