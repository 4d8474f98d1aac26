// The int8 GEMM's activation quantization, one token row at a time as vnni::Forward does it, on ViT-L's
// GEMM inputs of one image (197 rows of 1024 or 4096), from cache, on one thread. Counters: GB/s of
// floats read.
#include <benchmark/benchmark.h>

#include <random>
#include <vector>

#include "kernels/gemm_quantize.h"

namespace {

void BM_QuantizeRows(benchmark::State& state) {
  const int64_t rows = 197, cols = state.range(0);
  std::vector<float> x(static_cast<size_t>(rows * cols));
  std::mt19937 rng(3);
  std::normal_distribution<float> normal(0.f, 1.f);
  for (float& v : x) v = normal(rng);
  std::vector<uint8_t> q(x.size());
  std::vector<float> scales(static_cast<size_t>(rows));
  for (auto _ : state) {
    for (int64_t r = 0; r < rows; ++r)
      scales[r] = vit::kernels::QuantizeActivationRow(x.data() + r * cols, cols, q.data() + r * cols);
    benchmark::DoNotOptimize(q.data());
  }
  state.counters["GB/s"] = benchmark::Counter(static_cast<double>(x.size() * sizeof(float)) * 1e-9,
                                              benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_QuantizeRows)->Arg(1024)->Arg(4096)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
