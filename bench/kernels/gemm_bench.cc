// PackedLinear at the ViT GEMM shapes, per precision and batch: Gemm/<precision>/<model>.<layer>/batch,
// with the same weights every call (in cache). GemmStreamed/... cycles through one copy per ViT-L layer
// (24), so each call reads its weights from memory as it does in the model. Counters: GFLOP/s
// (2*M*N*K per call).
#include <benchmark/benchmark.h>

#include <random>
#include <vector>

#include "kernels/gemm.h"
#include "vit_shapes.h"

namespace {

using vit::kernels::Epilogue;
using vit::kernels::Precision;
using vit::kernels::PackedLinear;

std::vector<float> Random(size_t n, float scale) {
  std::mt19937 rng(42);
  std::normal_distribution<float> dist(0.f, scale);
  std::vector<float> v(n);
  for (float& x : v) x = dist(rng);
  return v;
}

void BM_Gemm(benchmark::State& state, Precision precision, vit::bench::GemmShape shape, Epilogue epilogue,
             int copies) {
  const int64_t rows = shape.tokens * state.range(0);
  const auto w = Random(static_cast<size_t>(shape.n * shape.k), 0.02f);
  const auto b = Random(static_cast<size_t>(shape.n), 0.02f);
  const auto x = Random(static_cast<size_t>(rows * shape.k), 1.f);
  std::vector<float> y(static_cast<size_t>(rows * shape.n), 0.f);
  std::vector<PackedLinear> linears;
  for (int c = 0; c < copies; ++c) {
    linears.push_back(PackedLinear::Pack(w.data(), b.data(), shape.n, shape.k, precision));
    linears.back().Forward(x.data(), rows, y.data(), epilogue);  // creates and caches the primitive
  }
  size_t next = 0;
  for (auto _ : state) {
    linears[next].Forward(x.data(), rows, y.data(), epilogue);
    next = (next + 1) % linears.size();
    benchmark::DoNotOptimize(y.data());
  }
  state.counters["GFLOP/s"] = benchmark::Counter(2.0 * rows * shape.n * shape.k * 1e-9,
                                                 benchmark::Counter::kIsIterationInvariantRate);
}

Epilogue EpilogueOf(const std::string& name) {
  if (name.ends_with(".fc1")) return Epilogue::kBiasGelu;
  if (name.ends_with(".fc2") || name.ends_with(".attn_out")) return Epilogue::kBiasResidual;
  return Epilogue::kBias;
}

const bool registered = [] {
  const std::pair<const char*, Precision> precisions[] = {
      {"f32", Precision::kF32}, {"bf16", Precision::kBF16}, {"s8", Precision::kInt8}};
  for (const auto& [pname, precision] : precisions) {
    for (const auto& shape : vit::bench::VitGemmShapes()) {
      auto add = [&](const std::string& family, int copies) {
        benchmark::RegisterBenchmark((family + "/" + pname + "/" + shape.name).c_str(), BM_Gemm, precision, shape,
                                     EpilogueOf(shape.name), copies)
            ->Arg(1)
            ->Arg(8)
            ->ArgName("batch")
            ->Unit(benchmark::kMillisecond)
            ->UseRealTime()
            ->MinTime(0.3);
      };
      add("Gemm", 1);
      if (shape.name.starts_with("L16.")) add("GemmStreamed", 24);
    }
  }
  return true;
}();

}  // namespace

BENCHMARK_MAIN();
