// Each vector probe keeps 12 independent accumulator chains in registers, enough to cover the 4-5 cycle
// latency of two vector pipes, so the loop is bound by issue throughput alone. Where the CPU has AMX,
// the bf16 and int8 peaks are those of its tile unit, since oneDNN's kernels run there. The
// instructions are compiled for their ISA with target attributes and only called after a CPU check.
#include "kernels/peak.h"

#include <immintrin.h>
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cstdint>

#include "core/cpu.h"
#include "kernels/amx.h"

namespace vit::kernels {
namespace {

constexpr int64_t kInnerIterations = 1 << 16;

// Returns the number of floating-point (or integer) operations done; `sink` defeats dead-code removal.
using Probe = double (*)(int64_t rounds, float* sink);

#define VIT_CHAINS(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11)
constexpr int kChains = 12;

__attribute__((target("avx512f"))) double FmaAvx512(int64_t rounds, float* sink) {
  const __m512 a = _mm512_set1_ps(0.999999f), b = _mm512_set1_ps(1e-7f);
#define DECL(i) __m512 c##i = _mm512_set1_ps(static_cast<float>(i));
  VIT_CHAINS(DECL)
#undef DECL
  for (int64_t r = 0; r < rounds * kInnerIterations; ++r) {
#define STEP(i) c##i = _mm512_fmadd_ps(c##i, a, b);
    VIT_CHAINS(STEP)
#undef STEP
  }
  __m512 s = _mm512_setzero_ps();
#define SUM(i) s = _mm512_add_ps(s, c##i);
  VIT_CHAINS(SUM)
#undef SUM
  alignas(64) float lanes[16];
  _mm512_store_ps(lanes, s);
  for (float v : lanes) *sink += v;
  return static_cast<double>(rounds) * kInnerIterations * kChains * 16 * 2;
}

__attribute__((target("avx2,fma"))) double FmaAvx2(int64_t rounds, float* sink) {
  const __m256 a = _mm256_set1_ps(0.999999f), b = _mm256_set1_ps(1e-7f);
#define DECL(i) __m256 c##i = _mm256_set1_ps(static_cast<float>(i));
  VIT_CHAINS(DECL)
#undef DECL
  for (int64_t r = 0; r < rounds * kInnerIterations; ++r) {
#define STEP(i) c##i = _mm256_fmadd_ps(c##i, a, b);
    VIT_CHAINS(STEP)
#undef STEP
  }
  __m256 s = _mm256_setzero_ps();
#define SUM(i) s = _mm256_add_ps(s, c##i);
  VIT_CHAINS(SUM)
#undef SUM
  alignas(32) float lanes[8];
  _mm256_store_ps(lanes, s);
  for (float v : lanes) *sink += v;
  return static_cast<double>(rounds) * kInnerIterations * kChains * 8 * 2;
}

// VDPBF16PS: per fp32 lane, two bf16 products added to the accumulator = 4 flops.
__attribute__((target("avx512f,avx512bf16"))) double Bf16Avx512(int64_t rounds, float* sink) {
  const __m512bh a = (__m512bh)_mm512_set1_epi16(0x3f80);  // bf16 1.0
  const __m512bh b = (__m512bh)_mm512_set1_epi16(0x3380);  // bf16 ~6e-8
#define DECL(i) __m512 c##i = _mm512_set1_ps(static_cast<float>(i));
  VIT_CHAINS(DECL)
#undef DECL
  for (int64_t r = 0; r < rounds * kInnerIterations; ++r) {
#define STEP(i) c##i = _mm512_dpbf16_ps(c##i, a, b);
    VIT_CHAINS(STEP)
#undef STEP
  }
  __m512 s = _mm512_setzero_ps();
#define SUM(i) s = _mm512_add_ps(s, c##i);
  VIT_CHAINS(SUM)
#undef SUM
  alignas(64) float lanes[16];
  _mm512_store_ps(lanes, s);
  for (float v : lanes) *sink += v;
  return static_cast<double>(rounds) * kInnerIterations * kChains * 16 * 4;
}

// VPDPBUSD: per s32 lane, four u8 x s8 products added = 8 ops.
__attribute__((target("avx512f,avx512vnni"))) double VnniAvx512(int64_t rounds, float* sink) {
  const __m512i a = _mm512_set1_epi8(1), b = _mm512_set1_epi8(1);
#define DECL(i) __m512i c##i = _mm512_set1_epi32(i);
  VIT_CHAINS(DECL)
#undef DECL
  for (int64_t r = 0; r < rounds * kInnerIterations; ++r) {
#define STEP(i) c##i = _mm512_dpbusd_epi32(c##i, a, b);
    VIT_CHAINS(STEP)
#undef STEP
  }
  __m512i s = _mm512_setzero_si512();
#define SUM(i) s = _mm512_add_epi32(s, c##i);
  VIT_CHAINS(SUM)
#undef SUM
  alignas(64) int32_t lanes[16];
  _mm512_store_si512(lanes, s);
  for (int32_t v : lanes) *sink += static_cast<float>(v);
  return static_cast<double>(rounds) * kInnerIterations * kChains * 16 * 8;
}

__attribute__((target("avx2,avxvnni"))) double VnniAvx256(int64_t rounds, float* sink) {
  const __m256i a = _mm256_set1_epi8(1), b = _mm256_set1_epi8(1);
#define DECL(i) __m256i c##i = _mm256_set1_epi32(i);
  VIT_CHAINS(DECL)
#undef DECL
  for (int64_t r = 0; r < rounds * kInnerIterations; ++r) {
#define STEP(i) c##i = _mm256_dpbusd_avx_epi32(c##i, a, b);
    VIT_CHAINS(STEP)
#undef STEP
  }
  __m256i s = _mm256_setzero_si256();
#define SUM(i) s = _mm256_add_epi32(s, c##i);
  VIT_CHAINS(SUM)
#undef SUM
  alignas(32) int32_t lanes[8];
  _mm256_store_si256(reinterpret_cast<__m256i*>(lanes), s);
  for (int32_t v : lanes) *sink += static_cast<float>(v);
  return static_cast<double>(rounds) * kInnerIterations * kChains * 8 * 8;
}
#undef VIT_CHAINS

// AMX: four independent 16x16 fp32 (or s32) accumulator tiles, each TDP* adding a 16 x 32 (bf16) or
// 16 x 64 (int8) by 32 x 16 / 64 x 16 product: 16384 flops or 32768 integer ops per instruction.

template <bool kBf16>
__attribute__((target("amx-tile,amx-bf16,amx-int8"))) double Amx(int64_t rounds, float* sink) {
  AmxTileConfig config;
  for (int t = 0; t < 8; ++t) {
    config.bytes_per_row[t] = 64;
    config.rows[t] = 16;
  }
  _tile_loadconfig(&config);
  alignas(64) uint8_t operand[16 * 64];
  for (int i = 0; i < 16 * 64; ++i) operand[i] = static_cast<uint8_t>(i % 3);
  _tile_zero(0);
  _tile_zero(1);
  _tile_zero(2);
  _tile_zero(3);
  _tile_loadd(4, operand, 64);
  _tile_loadd(5, operand, 64);
  _tile_loadd(6, operand, 64);
  _tile_loadd(7, operand, 64);
  for (int64_t r = 0; r < rounds * kInnerIterations / 16; ++r) {
    if constexpr (kBf16) {
      _tile_dpbf16ps(0, 4, 6);
      _tile_dpbf16ps(1, 4, 7);
      _tile_dpbf16ps(2, 5, 6);
      _tile_dpbf16ps(3, 5, 7);
    } else {
      _tile_dpbusd(0, 4, 6);
      _tile_dpbusd(1, 4, 7);
      _tile_dpbusd(2, 5, 6);
      _tile_dpbusd(3, 5, 7);
    }
  }
  alignas(64) float result[16 * 16];
  _tile_stored(0, result, 64);
  _tile_release();
  *sink += result[0];
  return static_cast<double>(rounds) * (kInnerIterations / 16) * 4 * (kBf16 ? 16384.0 : 32768.0);
}

struct Choice {
  Probe probe = nullptr;
  const char* isa = "";
};

Choice Choose(PeakKind kind) {
  const core::CpuFeatures& cpu = core::Cpu();
  switch (kind) {
    case PeakKind::kF32Fma:
      if (cpu.avx512f) return {FmaAvx512, "avx512f"};
      if (cpu.avx2 && cpu.fma) return {FmaAvx2, "avx2+fma"};
      return {};
    case PeakKind::kBF16Dot:
      if (cpu.amx_bf16 && AmxTileStateGranted()) return {Amx<true>, "amx_bf16"};
      if (cpu.avx512_bf16) return {Bf16Avx512, "avx512_bf16"};
      return {};
    case PeakKind::kInt8Dot:
      if (cpu.amx_int8 && AmxTileStateGranted()) return {Amx<false>, "amx_int8"};
      if (cpu.avx512_vnni) return {VnniAvx512, "avx512_vnni"};
      if (cpu.avx_vnni) return {VnniAvx256, "avx_vnni"};
      return {};
    case PeakKind::kBF16Vector:
      if (cpu.avx512_bf16) return {Bf16Avx512, "avx512_bf16"};
      return {};
    case PeakKind::kInt8Vector:
      if (cpu.avx512_vnni) return {VnniAvx512, "avx512_vnni"};
      if (cpu.avx_vnni) return {VnniAvx256, "avx_vnni"};
      return {};
  }
  return {};
}

}  // namespace

const char* PeakKindName(PeakKind kind) {
  switch (kind) {
    case PeakKind::kF32Fma:
      return "f32";
    case PeakKind::kBF16Dot:
      return "bf16";
    case PeakKind::kInt8Dot:
      return "int8";
    case PeakKind::kBF16Vector:
      return "bf16 (vector)";
    case PeakKind::kInt8Vector:
      return "int8 (vector)";
  }
  return "?";
}

PeakResult MeasurePeak(PeakKind kind, int threads, double seconds) {
  PeakResult result;
  const Choice choice = Choose(kind);
  if (choice.probe == nullptr) return result;
  result.available = true;
  result.isa = choice.isa;
  if (threads <= 0) threads = omp_get_max_threads();

  // Calibrate the rounds so one repetition takes about seconds / 4.
  float sink = 0;
  auto time_rounds = [&](int64_t rounds) {
    double ops = 0;
    const auto start = std::chrono::steady_clock::now();
#pragma omp parallel num_threads(threads) reduction(+ : ops)
    {
      float local = 0;
      ops += choice.probe(rounds, &local);
#pragma omp critical
      sink += local;
    }
    const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return std::make_pair(ops, elapsed);
  };
  int64_t rounds = 1;
  for (;;) {
    const auto [ops, elapsed] = time_rounds(rounds);
    if (elapsed >= seconds / 16 || rounds >= (int64_t{1} << 20)) break;
    rounds *= 2;
  }
  rounds = std::max<int64_t>(1, rounds * 4);
  for (int rep = 0; rep < 4; ++rep) {
    const auto [ops, elapsed] = time_rounds(rounds);
    result.gflops = std::max(result.gflops, ops / elapsed * 1e-9);
  }
  if (sink == 1.2345f) result.isa += " ";  // keeps `sink` alive; practically never true
  return result;
}

}  // namespace vit::kernels
