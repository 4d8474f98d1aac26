#include "kernels/gemm.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <thread>

#include "kernels/bf16.h"
#include "kernels/dispatch.h"
#include "kernels/gemm_f32.h"
#include "kernels/gemm_quantize.h"
#include "kernels/kernels_testing.h"
#include "kernels/reference.h"
#include "vit/error.h"

namespace vit::kernels {
namespace {

using testing::RandomFloats;

struct Shape {
  int64_t out_features, in_features;
};

// Packs; where this CPU has no kernel for the precision, says why in `unsupported` (the test then skips)
// and returns an empty layer. Any other error fails the test.
PackedLinear PackOrExplain(const std::vector<float>& w, const std::vector<float>& bias, int64_t n_out, int64_t k_in,
                           Precision precision, std::string& unsupported) {
  try {
    return PackedLinear::Pack(w.data(), bias.data(), n_out, k_in, precision);
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kUnsupported) << e.what();
    unsupported = e.what();
    return {};
  }
}

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
    case Epilogue::kBiasQuickGelu:
      return reference::Epilogue::kBiasQuickGelu;
    case Epilogue::kBiasGeluTanh:
      return reference::Epilogue::kBiasGeluTanh;
  }
  return reference::Epilogue::kBias;
}

// Error scale of a float dot product: |x| |w| summed, as in the classic bound, but with sqrt(K)
// growth (blocked sums) rather than K.
std::vector<double> MagnitudeOf(const float* x, int64_t rows, const float* w, int64_t n_out, int64_t k_in) {
  std::vector<double> m(static_cast<size_t>(rows * n_out));
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t n = 0; n < n_out; ++n) {
      double s = 0;
      for (int64_t k = 0; k < k_in; ++k) s += std::fabs(static_cast<double>(x[r * k_in + k]) * w[n * k_in + k]);
      m[r * n_out + n] = s;
    }
  return m;
}

constexpr Epilogue kEpilogues[] = {Epilogue::kBias,         Epilogue::kBiasGelu,      Epilogue::kBiasResidual,
                                   Epilogue::kBiasTanh,     Epilogue::kBiasQuickGelu, Epilogue::kBiasGeluTanh};

TEST(PackedLinear, Float32MatchesDoublePrecision) {
  for (const Shape& s : {Shape{5, 3}, Shape{96, 64}, Shape{384, 1024}, Shape{1024, 384}, Shape{7, 4096}}) {
    const auto w = RandomFloats(static_cast<size_t>(s.out_features * s.in_features), -0.1f, 0.1f,
                                static_cast<uint32_t>(s.in_features));
    const auto bias = RandomFloats(static_cast<size_t>(s.out_features), -1.f, 1.f, 3);
    const PackedLinear linear = PackedLinear::Pack(w.data(), bias.data(), s.out_features, s.in_features,
                                                   Precision::kF32);
    ASSERT_EQ(linear.out_features(), s.out_features);
    ASSERT_EQ(linear.in_features(), s.in_features);
    ASSERT_GE(linear.packed_bytes(), static_cast<size_t>(s.out_features * s.in_features) * sizeof(float));
    for (int64_t rows : {1, 7, 197, 1024}) {
      if (rows * s.out_features * s.in_features > 200'000'000) continue;  // keep the double reference quick
      const auto x = RandomFloats(static_cast<size_t>(rows * s.in_features), -2.f, 2.f, static_cast<uint32_t>(rows));
      const auto residual = RandomFloats(static_cast<size_t>(rows * s.out_features), -3.f, 3.f, 11);
      const auto magnitude = MagnitudeOf(x.data(), rows, w.data(), s.out_features, s.in_features);
      for (Epilogue e : kEpilogues) {
        std::vector<float> y = residual;
        linear.Forward(x.data(), rows, y.data(), e);
        const auto want = reference::Linear(x.data(), rows, w.data(), bias.data(), s.out_features, s.in_features,
                                            ToReference(e), residual.data());
        for (size_t i = 0; i < y.size(); ++i) {
          // fp32 accumulation only: a bf16 or tf32 shortcut would be ~1e3 times further off.
          const double tolerance = 1e-6 * magnitude[i] + 4e-7 * (1 + std::fabs(want[i]));
          ASSERT_NEAR(y[i], want[i], tolerance) << rows << "x" << s.in_features << "->" << s.out_features
                                                 << " epilogue " << static_cast<int>(e) << " at " << i;
        }
      }
    }
  }
}

TEST(PackedLinear, NullBiasMeansZero) {
  const auto w = RandomFloats(6 * 4, -1.f, 1.f, 1);
  const auto x = RandomFloats(2 * 4, -1.f, 1.f, 2);
  const PackedLinear linear = PackedLinear::Pack(w.data(), nullptr, 6, 4, Precision::kF32);
  std::vector<float> y(12);
  linear.Forward(x.data(), 2, y.data(), Epilogue::kBias);
  const auto want = reference::Linear(x.data(), 2, w.data(), nullptr, 6, 4, reference::Epilogue::kBias);
  for (size_t i = 0; i < y.size(); ++i) EXPECT_NEAR(y[i], want[i], 1e-6);
}

TEST(PackedLinear, BFloat16AccumulatesInFloat) {
  const int64_t n_out = 256, k_in = 1024, rows = 197;
  auto w = RandomFloats(static_cast<size_t>(n_out * k_in), -0.1f, 0.1f, 21);
  auto x = RandomFloats(static_cast<size_t>(rows * k_in), -2.f, 2.f, 22);
  const auto bias = RandomFloats(static_cast<size_t>(n_out), -1.f, 1.f, 23);
  std::string unsupported;
  const PackedLinear linear = PackOrExplain(w, bias, n_out, k_in, Precision::kBF16, unsupported);
  if (!unsupported.empty()) GTEST_SKIP() << unsupported;
  std::vector<float> y(static_cast<size_t>(rows * n_out));
  linear.Forward(x.data(), rows, y.data(), Epilogue::kBias);

  // The exact result on bf16-rounded inputs: what remains is fp32 accumulation error only.
  auto round_to_bf16 = [](std::vector<float>& v) {
    std::vector<uint16_t> h(v.size());
    ConvertToBF16(v.data(), static_cast<int64_t>(v.size()), h.data());
    for (size_t i = 0; i < v.size(); ++i) {
      const uint32_t bits = static_cast<uint32_t>(h[i]) << 16;
      std::memcpy(&v[i], &bits, sizeof(float));
    }
  };
  round_to_bf16(w);
  round_to_bf16(x);
  const auto want = reference::Linear(x.data(), rows, w.data(), bias.data(), n_out, k_in, reference::Epilogue::kBias);
  const auto magnitude = MagnitudeOf(x.data(), rows, w.data(), n_out, k_in);
  for (size_t i = 0; i < y.size(); ++i) ASSERT_NEAR(y[i], want[i], 1e-6 * magnitude[i] + 1e-6) << i;
}

TEST(PackedLinear, Int8StaysWithinQuantizationError) {
  for (const Shape& s : {Shape{256, 1024}, Shape{5, 3}, Shape{64, 192}}) {
    const int64_t n_out = s.out_features, k_in = s.in_features;
    const auto w = RandomFloats(static_cast<size_t>(n_out * k_in), -0.1f, 0.1f, 31);
    const auto bias = RandomFloats(static_cast<size_t>(n_out), -1.f, 1.f, 33);
    std::string unsupported;
    const PackedLinear linear = PackOrExplain(w, bias, n_out, k_in, Precision::kInt8, unsupported);
    if (!unsupported.empty()) GTEST_SKIP() << unsupported;
    for (int64_t rows : {1, 17, 197}) {
      const auto x = RandomFloats(static_cast<size_t>(rows * k_in), -2.f, 2.f, static_cast<uint32_t>(32 + rows));
      const auto residual = RandomFloats(static_cast<size_t>(rows * n_out), -3.f, 3.f, 34);
      // Rounding moves each x by at most s_x/2 and each w by at most s_w/2; the epilogues are at most
      // 1.13-Lipschitz (GELU's steepest slope).
      float x_max = 0;
      for (float v : x) x_max = std::fmax(x_max, std::fabs(v));
      const double s_x = x_max / 127.0;
      std::vector<double> bound(static_cast<size_t>(rows * n_out));
      for (int64_t n = 0; n < n_out; ++n) {
        float w_max = 0;
        for (int64_t k = 0; k < k_in; ++k) w_max = std::fmax(w_max, std::fabs(w[n * k_in + k]));
        const double s_w = w_max / 127.0;
        for (int64_t r = 0; r < rows; ++r) {
          double b = 0;
          for (int64_t k = 0; k < k_in; ++k)
            b += std::fabs(x[r * k_in + k]) * s_w / 2 + std::fabs(w[n * k_in + k]) * s_x / 2 + s_x * s_w / 4;
          bound[r * n_out + n] = 1.13 * b + 1e-4;
        }
      }
      for (Epilogue e : kEpilogues) {
        std::vector<float> y = residual;
        linear.Forward(x.data(), rows, y.data(), e);
        const auto want = reference::Linear(x.data(), rows, w.data(), bias.data(), n_out, k_in, ToReference(e),
                                            residual.data());
        for (size_t i = 0; i < y.size(); ++i) {
          ASSERT_NEAR(y[i], want[i], bound[i]) << rows << "x" << k_in << "->" << n_out << " epilogue "
                                               << static_cast<int>(e) << " at " << i;
        }
      }
    }
  }
}

// Every precision, so that both kernels are covered: oneDNN's cached primitives (bf16; f32 without
// AVX-512) and our own (f32 on AVX-512, int8 on VNNI).
TEST(PackedLinear, ConcurrentCallersAndFreshBuffersGetTheirOwnResults) {
  const int64_t n_out = 48, k_in = 40, rows = 9;
  const auto w = RandomFloats(static_cast<size_t>(n_out * k_in), -1.f, 1.f, 41);
  const auto bias = RandomFloats(static_cast<size_t>(n_out), -1.f, 1.f, 42);
  for (Precision precision : {Precision::kF32, Precision::kBF16, Precision::kInt8}) {
    std::string unsupported;
    const PackedLinear linear = PackOrExplain(w, bias, n_out, k_in, precision, unsupported);
    if (!unsupported.empty()) continue;
    SCOPED_TRACE(linear.kernel());
    constexpr int kThreads = 4, kCalls = 20;
    std::vector<std::vector<float>> inputs, expected;
    for (int t = 0; t < kThreads; ++t) {
      inputs.push_back(RandomFloats(static_cast<size_t>(rows * k_in), -1.f, 1.f, static_cast<uint32_t>(100 + t)));
      expected.emplace_back(static_cast<size_t>(rows * n_out));
      linear.Forward(inputs[t].data(), rows, expected[t].data(), Epilogue::kBiasGelu);
    }
    std::vector<int> mismatches(kThreads, 0);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        for (int call = 0; call < kCalls; ++call) {
          // A fresh copy each call: the input and output addresses change under the cached primitive.
          std::vector<float> x = inputs[(t + call) % kThreads];
          std::vector<float> y(static_cast<size_t>(rows * n_out));
          linear.Forward(x.data(), rows, y.data(), Epilogue::kBiasGelu);
          if (y != expected[(t + call) % kThreads]) ++mismatches[t];
        }
      });
    }
    for (auto& th : threads) th.join();
    for (int t = 0; t < kThreads; ++t) EXPECT_EQ(mismatches[t], 0) << "thread " << t;
  }
}

TEST(PackedLinear, Int8GroupsDoNotDependOnTheirBatchMates) {
  const int64_t n_out = 64, k_in = 96, group = 7;
  const auto w = RandomFloats(static_cast<size_t>(n_out * k_in), -0.1f, 0.1f, 61);
  const auto bias = RandomFloats(static_cast<size_t>(n_out), -1.f, 1.f, 62);
  std::string unsupported;
  const PackedLinear linear = PackOrExplain(w, bias, n_out, k_in, Precision::kInt8, unsupported);
  if (!unsupported.empty()) GTEST_SKIP() << unsupported;
  // Three groups of very different magnitudes: one shared scale would crush the small ones.
  auto x = RandomFloats(static_cast<size_t>(3 * group * k_in), -1.f, 1.f, 63);
  for (int64_t i = 0; i < group * k_in; ++i) x[static_cast<size_t>(group * k_in + i)] *= 100.f;
  for (Epilogue e : kEpilogues) {
    const auto residual = RandomFloats(static_cast<size_t>(3 * group * n_out), -1.f, 1.f, 64);
    std::vector<float> batched = residual;
    linear.Forward(x.data(), 3 * group, batched.data(), e, group);
    for (int64_t g = 0; g < 3; ++g) {
      std::vector<float> alone(residual.begin() + g * group * n_out, residual.begin() + (g + 1) * group * n_out);
      linear.Forward(x.data() + g * group * k_in, group, alone.data(), e);
      for (int64_t i = 0; i < group * n_out; ++i)
        ASSERT_EQ(batched[static_cast<size_t>(g * group * n_out + i)], alone[static_cast<size_t>(i)])
            << "group " << g << " at " << i;
    }
    std::vector<float> shared = residual;
    linear.Forward(x.data(), 3 * group, shared.data(), e);
    if (linear.layout().rfind("vit vnni", 0) == 0) {
      EXPECT_EQ(shared, batched) << "the VNNI kernel scales each row on its own: grouping should change nothing";
    } else {
      EXPECT_NE(shared, batched) << "one scale for the whole batch should differ: the test would not see a mix-up";
    }
  }
}

TEST(PackedLinear, Bf16ActivationsInAndOutAreTheFloatPathWithoutItsConversions) {
  const int64_t n_out = 96, k_in = 64;
  const auto w = RandomFloats(static_cast<size_t>(n_out * k_in), -0.1f, 0.1f, 71);
  const auto bias = RandomFloats(static_cast<size_t>(n_out), -1.f, 1.f, 72);
  std::string unsupported;
  const PackedLinear linear = PackOrExplain(w, bias, n_out, k_in, Precision::kBF16, unsupported);
  if (!unsupported.empty()) GTEST_SKIP() << unsupported;
  for (int64_t rows : {1, 13, 197}) {
    const auto x = RandomFloats(static_cast<size_t>(rows * k_in), -2.f, 2.f, static_cast<uint32_t>(rows));
    std::vector<uint16_t> x16(x.size());
    ConvertToBF16(x.data(), rows * k_in, x16.data());
    const auto residual = RandomFloats(static_cast<size_t>(rows * n_out), -3.f, 3.f, 73);
    for (Epilogue e : kEpilogues) {
      std::vector<float> from_float = residual, from_bf16 = residual;
      linear.Forward(x.data(), rows, from_float.data(), e);
      linear.Forward(x16.data(), rows, from_bf16.data(), e);
      ASSERT_EQ(from_bf16, from_float) << rows << " rows, epilogue " << static_cast<int>(e);
      if (e == Epilogue::kBiasResidual) {
        std::vector<uint16_t> y16(static_cast<size_t>(rows * n_out));
        EXPECT_THROW(linear.Forward(x16.data(), rows, y16.data(), e), Error);
        continue;
      }
      std::vector<uint16_t> y16(static_cast<size_t>(rows * n_out), 0xdead);
      linear.Forward(x16.data(), rows, y16.data(), e);
      for (size_t i = 0; i < y16.size(); ++i)
        ASSERT_EQ(y16[i], FloatToBf16(from_float[i])) << rows << " rows, epilogue " << static_cast<int>(e) << " at " << i;
    }
  }
  const PackedLinear f32 = PackedLinear::Pack(w.data(), bias.data(), n_out, k_in, Precision::kF32);
  std::vector<uint16_t> x16(static_cast<size_t>(k_in));
  std::vector<float> y(static_cast<size_t>(n_out));
  EXPECT_THROW(f32.Forward(x16.data(), 1, y.data(), Epilogue::kBias), Error);
}

TEST(PackedLinear, ManyRowCountsStayCorrectPastTheCacheBound) {
  const int64_t n_out = 8, k_in = 16;
  const auto w = RandomFloats(static_cast<size_t>(n_out * k_in), -1.f, 1.f, 51);
  const PackedLinear linear = PackedLinear::Pack(w.data(), nullptr, n_out, k_in, Precision::kF32);
  for (int pass = 0; pass < 2; ++pass) {
    for (int64_t rows = 1; rows <= 80; ++rows) {
      const auto x = RandomFloats(static_cast<size_t>(rows * k_in), -1.f, 1.f, static_cast<uint32_t>(rows));
      std::vector<float> y(static_cast<size_t>(rows * n_out));
      linear.Forward(x.data(), rows, y.data(), Epilogue::kBias);
      const auto want = reference::Linear(x.data(), rows, w.data(), nullptr, n_out, k_in, reference::Epilogue::kBias);
      for (size_t i = 0; i < y.size(); ++i) ASSERT_NEAR(y[i], want[i], 1e-5) << rows << " rows, pass " << pass;
    }
  }
}

TEST(PackedLinear, Float32RunsOnTheKernelItReports) {
  const auto w = RandomFloats(15, -1.f, 1.f, 91);
  const PackedLinear linear = PackedLinear::Pack(w.data(), nullptr, 3, 5, Precision::kF32);
  const char* choice = std::getenv("VIT_F32_GEMM");
  if (choice != nullptr && std::string(choice) == "onednn") {
    EXPECT_EQ(Kernels().linear_f32, GemmKernel::kOneDnn) << "the override reaches the table";
  }
  if (Kernels().linear_f32 == GemmKernel::kF32Avx512) {
    EXPECT_EQ(linear.kernel(), "vit avx512 f32");
    EXPECT_EQ(linear.layout().rfind("vit avx512 f32 panels", 0), 0u) << linear.layout();
  } else {
    EXPECT_EQ(linear.kernel().rfind("oneDNN ", 0), 0u) << linear.kernel();
    EXPECT_EQ(linear.layout().rfind("dnnl ", 0), 0u) << linear.layout();
  }
}

TEST(PackedLinear, RejectsBadArguments) {
  float w[4] = {};
  EXPECT_THROW(PackedLinear::Pack(nullptr, nullptr, 2, 2, Precision::kF32), Error);
  EXPECT_THROW(PackedLinear::Pack(w, nullptr, 0, 2, Precision::kF32), Error);
  PackedLinear empty;
  EXPECT_THROW(empty.Forward(w, 1, w, Epilogue::kBias), Error);
}

TEST(PackedLinear, Int8FromItsPackedFormGivesTheSameBitsAndRefusesDamagedOffsets) {
  const int64_t n_out = 70, k_in = 132, rows = 9;
  const auto w = RandomFloats(static_cast<size_t>(n_out * k_in), -0.1f, 0.1f, 81);
  const auto bias = RandomFloats(static_cast<size_t>(n_out), -1.f, 1.f, 82);
  std::string unsupported;
  const PackedLinear linear = PackOrExplain(w, bias, n_out, k_in, Precision::kInt8, unsupported);
  if (!unsupported.empty()) GTEST_SKIP() << unsupported;
  const auto x = RandomFloats(static_cast<size_t>(rows * k_in), -1.f, 1.f, 83);
  std::vector<float> want(static_cast<size_t>(rows * n_out)), got(want.size());
  linear.Forward(x.data(), rows, want.data(), Epilogue::kBiasGelu);
  EXPECT_EQ(linear.kernel().rfind(linear.layout().rfind("vit vnni", 0) == 0 ? "vit avx512_vnni" : "oneDNN ", 0), 0u)
      << linear.kernel();

  // The packed bytes at a 64-byte boundary, as a cache file maps them.
  const auto bytes = linear.packed_weights();
  const size_t padded = (bytes.size() + 63) / 64 * 64;
  auto copy = std::shared_ptr<std::byte[]>(static_cast<std::byte*>(std::aligned_alloc(64, padded)),
                                           [](std::byte* p) { std::free(p); });
  std::memcpy(copy.get(), bytes.data(), bytes.size());
  const std::vector<float> scales(linear.weight_scales().begin(), linear.weight_scales().end());
  std::vector<float> offsets(linear.offset_terms().begin(), linear.offset_terms().end());
  const PackedLinear restored =
      PackedLinear::FromPacked({copy.get(), bytes.size()}, linear.layout(), linear.bias(), scales, offsets, n_out,
                               k_in, Precision::kInt8, copy);
  restored.Forward(x.data(), rows, got.data(), Epilogue::kBiasGelu);
  EXPECT_EQ(got, want);

  if (linear.layout().rfind("vit vnni", 0) == 0) {  // its integer offsets come back from the float terms
    for (float damage : {std::nanf(""), 1e30f}) {
      offsets[3] = damage;
      try {
        PackedLinear::FromPacked({copy.get(), bytes.size()}, linear.layout(), linear.bias(), scales, offsets, n_out,
                                 k_in, Precision::kInt8, copy);
        ADD_FAILURE() << "a damaged offset term was accepted: " << damage;
      } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::kInvalidInput) << e.what();
      }
    }
  }
}

}  // namespace
}  // namespace vit::kernels
