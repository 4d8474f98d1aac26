// MultiHeadAttention (fp32 and bf16 products) and LayerNorm at ViT sizes: Attention/<model>/batch,
// AttentionBf16/<model>/batch, LayerNorm/<model>/batch.
#include <benchmark/benchmark.h>

#include <cmath>
#include <random>
#include <vector>

#include "kernels/attention.h"
#include "kernels/layer_norm.h"
#include "vit_shapes.h"

namespace {

std::vector<float> Random(size_t n) {
  std::mt19937 rng(7);
  std::normal_distribution<float> dist(0.f, 1.f);
  std::vector<float> v(n);
  for (float& x : v) x = dist(rng);
  return v;
}

void BM_Attention(benchmark::State& state, vit::bench::VitSize s, bool with_probs,
                  vit::kernels::AttentionProducts precision) {
  const int64_t batch = state.range(0);
  const int64_t rows = batch * s.tokens;
  const int64_t head_dim = s.hidden / s.heads;
  const auto qkv = Random(static_cast<size_t>(rows * 3 * s.hidden));
  std::vector<float> out(static_cast<size_t>(rows * s.hidden));
  std::vector<float> probs(with_probs ? static_cast<size_t>(batch * s.heads * s.tokens * s.tokens) : 0);
  // The model's layout: the fused QKV output ordered by head, each head's q, k and v side by side.
  const vit::kernels::AttentionShape shape{batch, s.tokens, s.heads, head_dim, 3 * head_dim};
  const float scale = 1.f / std::sqrt(static_cast<float>(head_dim));
  for (auto _ : state) {
    vit::kernels::MultiHeadAttention(qkv.data(), qkv.data() + head_dim, qkv.data() + 2 * head_dim, 3 * s.hidden,
                                     shape, scale, out.data(), with_probs ? probs.data() : nullptr, precision);
    benchmark::DoNotOptimize(out.data());
  }
  state.counters["GFLOP/s"] = benchmark::Counter(4.0 * batch * s.heads * s.tokens * s.tokens * head_dim * 1e-9,
                                                 benchmark::Counter::kIsIterationInvariantRate);
}

void BM_LayerNorm(benchmark::State& state, vit::bench::VitSize s) {
  const int64_t rows = state.range(0) * s.tokens;
  const auto x = Random(static_cast<size_t>(rows * s.hidden));
  const auto gamma = Random(static_cast<size_t>(s.hidden));
  const auto beta = Random(static_cast<size_t>(s.hidden));
  std::vector<float> y(x.size());
  for (auto _ : state) {
    vit::kernels::LayerNorm(x.data(), rows, s.hidden, gamma.data(), beta.data(), 1e-12f, y.data());
    benchmark::DoNotOptimize(y.data());
  }
  state.counters["GB/s"] = benchmark::Counter(8.0 * rows * s.hidden * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
}

const bool registered = [] {
  for (const auto& s : vit::bench::VitSizes()) {
    using vit::kernels::AttentionProducts;
    benchmark::RegisterBenchmark((std::string("Attention/") + s.name).c_str(), BM_Attention, s, false,
                                 AttentionProducts::kF32)
        ->Arg(1)->Arg(8)->ArgName("batch")->Unit(benchmark::kMillisecond)->UseRealTime();
    benchmark::RegisterBenchmark((std::string("AttentionBf16/") + s.name).c_str(), BM_Attention, s, false,
                                 AttentionProducts::kBF16)
        ->Arg(1)->Arg(8)->ArgName("batch")->Unit(benchmark::kMillisecond)->UseRealTime();
    benchmark::RegisterBenchmark((std::string("AttentionWithProbs/") + s.name).c_str(), BM_Attention, s, true,
                                 AttentionProducts::kF32)
        ->Arg(1)->ArgName("batch")->Unit(benchmark::kMillisecond)->UseRealTime();
    benchmark::RegisterBenchmark((std::string("LayerNorm/") + s.name).c_str(), BM_LayerNorm, s)
        ->Arg(1)->Arg(8)->ArgName("batch")->Unit(benchmark::kMicrosecond)->UseRealTime();
  }
  return true;
}();

}  // namespace

BENCHMARK_MAIN();
