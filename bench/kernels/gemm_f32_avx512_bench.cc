// The AVX-512 fp32 GEMM against oneDNN's (PackedLinear kF32) at the ViT-L/16 shapes, same data and
// epilogue: GemmF32/<avx512|onednn>/<layer>/batch. Counters: GFLOP/s (2*M*N*K per call).
#include <benchmark/benchmark.h>

#include <random>
#include <string>
#include <vector>

#include "kernels/gemm.h"
#include "kernels/gemm_f32_avx512.h"
#include "vit_shapes.h"

namespace {

using vit::kernels::Avx512F32Weights;
using vit::kernels::Epilogue;
using vit::kernels::GemmPrecision;
using vit::kernels::PackedLinear;

std::vector<float> Random(size_t n, float scale) {
  std::mt19937 rng(42);
  std::normal_distribution<float> dist(0.f, scale);
  std::vector<float> v(n);
  for (float& x : v) x = dist(rng);
  return v;
}

template <typename Linear>
void Run(benchmark::State& state, const Linear& linear, int64_t rows, int64_t n, int64_t k, Epilogue epilogue) {
  const auto x = Random(static_cast<size_t>(rows * k), 1.f);
  std::vector<float> y(static_cast<size_t>(rows * n), 0.f);
  linear.Forward(x.data(), rows, y.data(), epilogue);
  for (auto _ : state) {
    linear.Forward(x.data(), rows, y.data(), epilogue);
    benchmark::DoNotOptimize(y.data());
  }
  state.counters["GFLOP/s"] =
      benchmark::Counter(2.0 * rows * n * k * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
}

void BM_Avx512(benchmark::State& state, vit::bench::GemmShape shape, Epilogue epilogue) {
  if (!vit::kernels::Avx512F32GemmAvailable()) {
    state.SkipWithError("no AVX-512 on this CPU");
    return;
  }
  const auto w = Random(static_cast<size_t>(shape.n * shape.k), 0.02f);
  const auto b = Random(static_cast<size_t>(shape.n), 0.02f);
  const Avx512F32Weights weights(w.data(), b.data(), shape.n, shape.k);
  Run(state, weights, shape.tokens * state.range(0), shape.n, shape.k, epilogue);
}

void BM_OneDnn(benchmark::State& state, vit::bench::GemmShape shape, Epilogue epilogue) {
  const auto w = Random(static_cast<size_t>(shape.n * shape.k), 0.02f);
  const auto b = Random(static_cast<size_t>(shape.n), 0.02f);
  const PackedLinear linear = PackedLinear::Pack(w.data(), b.data(), shape.n, shape.k, GemmPrecision::kF32);
  Run(state, linear, shape.tokens * state.range(0), shape.n, shape.k, epilogue);
}

Epilogue EpilogueOf(const std::string& name) {
  if (name.ends_with(".fc1")) return Epilogue::kBiasGelu;
  if (name.ends_with(".fc2") || name.ends_with(".attn_out")) return Epilogue::kBiasResidual;
  return Epilogue::kBias;
}

const bool registered = [] {
  std::vector<vit::bench::GemmShape> shapes;
  for (const auto& shape : vit::bench::VitGemmShapes()) {
    if (shape.name.starts_with("L16.")) shapes.push_back(shape);
  }
  shapes.push_back({"L16.patch_embed", 1024, 3 * 16 * 16, 196});
  for (const auto& shape : shapes) {
    const Epilogue epilogue = EpilogueOf(shape.name);
    for (const auto& [name, fn] : {std::pair{"avx512", &BM_Avx512}, std::pair{"onednn", &BM_OneDnn}}) {
      benchmark::RegisterBenchmark(("GemmF32/" + std::string(name) + "/" + shape.name).c_str(), fn, shape, epilogue)
          ->Arg(1)
          ->Arg(8)
          ->ArgName("batch")
          ->Unit(benchmark::kMillisecond)
          ->UseRealTime()
          ->MinTime(0.2);
    }
  }
  return true;
}();

}  // namespace

BENCHMARK_MAIN();
