// Blocking, for one core of a Sapphire-Rapids-class CPU (48 KiB L1d, 2 MiB L2, two 512-bit FMA ports):
//  - the activations are packed once per call into tiles of kMr rows, [k][row] within a tile, so the
//    micro-kernel broadcasts consecutive floats;
//  - a micro-tile of kMr rows x kNr columns lives in zmm registers over a block of kKc inputs;
//  - one kMr x kKc activation tile (L1) meets every panel of a kNcPanels block of weights (L2, streamed
//    into L1 with prefetches);
//  - the columns are split across the threads in whole panels; the rows are never split, and a row's
//    K sum runs in the same order for any row count, so batches never change a row's bits.
// Bias (and the residual, the sum's starting value) are applied in registers; GELU / tanh right after
// a tile row's column block is final, while it is still in cache.
#include "kernels/gemm_f32_avx512.h"

#include <immintrin.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>
#include <utility>
#include <vector>

#include "core/threads.h"
#include "kernels/activations.h"
#include "vit/error.h"

namespace vit::kernels {
namespace {

constexpr int kNv = 3;             // vectors per micro-tile row
constexpr int64_t kNr = 16 * kNv;  // columns per weight panel
constexpr int kMr = 8;             // rows per micro-tile: 8 x 3 accumulators, 8 broadcasts + 3 loads per input
constexpr int64_t kKc = 256;       // inputs per K block: the 8 x 256 activation tile (8 KiB) stays in L1
constexpr int64_t kNcPanels = 12;  // 576 columns: the 256 x 576 weight block (576 KiB) stays in L2
constexpr int64_t kPrefetchSteps = 16;  // weights are streamed from L2 this many inputs ahead
// Rows per pass: bounds the packed-activation buffer (2048 x 4096 floats = 32 MiB at most).
constexpr int64_t kMaxChunkRows = 2048;

float* AllocateFloats(size_t count) {
  const size_t bytes = std::max<size_t>(64, (count * sizeof(float) + 63) / 64 * 64);
  void* p = std::aligned_alloc(64, bytes);
  if (p == nullptr) throw std::bad_alloc();
  std::memset(p, 0, bytes);
  return static_cast<float*>(p);
}

}  // namespace

void Avx512F32Weights::FreeAligned::operator()(float* p) const { std::free(p); }

bool Avx512F32GemmAvailable() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
         __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl");
}

Avx512F32Weights::Avx512F32Weights(const float* weight, const float* bias, int64_t out_features,
                                   int64_t in_features)
    : out_features_(out_features), in_features_(in_features) {
  if (weight == nullptr || out_features <= 0 || in_features <= 0) {
    throw Error("gemm_f32_avx512: weights need a pointer and positive sizes, got out_features=" +
                    std::to_string(out_features) + ", in_features=" + std::to_string(in_features),
                ErrorKind::kInvalidArgument);
  }
  const int64_t panels = (out_features + kNr - 1) / kNr;
  const size_t count = static_cast<size_t>(panels * in_features * kNr);
  panels_.reset(AllocateFloats(count));
  bias_.reset(AllocateFloats(static_cast<size_t>(panels * kNr)));
  bytes_ = count * sizeof(float) + static_cast<size_t>(panels * kNr) * sizeof(float);
  for (int64_t p = 0; p < panels; ++p) {
    float* panel = panels_.get() + p * in_features * kNr;
    const int64_t cols = std::min(kNr, out_features - p * kNr);
    for (int64_t j = 0; j < cols; ++j) {
      const float* w = weight + (p * kNr + j) * in_features;
      for (int64_t k = 0; k < in_features; ++k) panel[k * kNr + j] = w[k];
    }
  }
  if (bias != nullptr) std::memcpy(bias_.get(), bias, static_cast<size_t>(out_features) * sizeof(float));
}

#pragma GCC push_options
#pragma GCC target("avx512f,avx512dq,avx512bw,avx512vl")

namespace {

struct Tile {
  const float* a;      // packed activations [kc][MR]
  const float* b;      // weight panel block [kc][kNr]
  int64_t kc;
  float* c;            // output tile, rows ldc apart
  int64_t ldc;
  __mmask16 mask[kNv];  // valid columns of each vector
  bool first, last;
  const float* bias;   // kNr floats, zero padded
  Epilogue epilogue;
};

template <int MR>
void MicroKernel(const Tile& t) {
  __m512 acc[MR][kNv];
  // The residual epilogue starts its sum from y (the residual); the others from zero.
  if (!t.first || t.epilogue == Epilogue::kBiasResidual) {
#pragma GCC unroll 16
    for (int r = 0; r < MR; ++r)
#pragma GCC unroll 4
      for (int v = 0; v < kNv; ++v) acc[r][v] = _mm512_maskz_loadu_ps(t.mask[v], t.c + r * t.ldc + 16 * v);
  } else {
#pragma GCC unroll 16
    for (int r = 0; r < MR; ++r)
#pragma GCC unroll 4
      for (int v = 0; v < kNv; ++v) acc[r][v] = _mm512_setzero_ps();
  }
  const float* a = t.a;
  const float* b = t.b;
  for (int64_t k = 0; k < t.kc; ++k) {
    __m512 bv[kNv];
#pragma GCC unroll 4
    for (int v = 0; v < kNv; ++v) {
      _mm_prefetch(reinterpret_cast<const char*>(b + kPrefetchSteps * kNr + 16 * v), _MM_HINT_T0);
      bv[v] = _mm512_load_ps(b + 16 * v);
    }
#pragma GCC unroll 16
    for (int r = 0; r < MR; ++r) {
      const __m512 av = _mm512_set1_ps(a[r]);
#pragma GCC unroll 4
      for (int v = 0; v < kNv; ++v) acc[r][v] = _mm512_fmadd_ps(av, bv[v], acc[r][v]);
    }
    a += MR;
    b += kNr;
  }
  if (t.last) {
#pragma GCC unroll 4
    for (int v = 0; v < kNv; ++v) {
      const __m512 bias = _mm512_load_ps(t.bias + 16 * v);
#pragma GCC unroll 16
      for (int r = 0; r < MR; ++r) acc[r][v] = _mm512_add_ps(acc[r][v], bias);
    }
  }
#pragma GCC unroll 16
  for (int r = 0; r < MR; ++r)
#pragma GCC unroll 4
    for (int v = 0; v < kNv; ++v) _mm512_mask_storeu_ps(t.c + r * t.ldc + 16 * v, t.mask[v], acc[r][v]);
}

using MicroKernelFn = void (*)(const Tile&);

template <int... R>
constexpr auto MakeKernelTable(std::integer_sequence<int, R...>) {
  return std::array<MicroKernelFn, sizeof...(R)>{&MicroKernel<R + 1>...};
}

constexpr auto kKernels = MakeKernelTable(std::make_integer_sequence<int, kMr>{});

// Copies x's rows into tiles of kMr rows (the last may be shorter), each tile [k][rows of the tile]:
// the micro-kernel then broadcasts consecutive floats. Done once per call, before any tile is used.
void PackActivations(const float* x, int64_t rows, int64_t k, int64_t tile_begin, int64_t tile_end, float* out) {
  for (int64_t tile = tile_begin; tile < tile_end; ++tile) {
    const int64_t m0 = tile * kMr;
    const int mr = static_cast<int>(std::min<int64_t>(kMr, rows - m0));
    float* dst = out + m0 * k;
    const float* src = x + m0 * k;
    for (int64_t k0 = 0; k0 < k; k0 += 16) {
      const int64_t kn = std::min<int64_t>(16, k - k0);
      const __mmask16 mask = static_cast<__mmask16>(kn >= 16 ? 0xffff : (1u << kn) - 1);
      // A 16-input slice of each row, scattered to stride mr: one gather-free transpose per row.
      const __m512i index = _mm512_mullo_epi32(_mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0),
                                               _mm512_set1_epi32(mr));
      for (int r = 0; r < mr; ++r) {
        const __m512 v = _mm512_maskz_loadu_ps(mask, src + r * k + k0);
        _mm512_mask_i32scatter_ps(dst + k0 * mr + r, mask, index, v, 4);
      }
    }
  }
}

void ForwardPanels(const float* packed_x, int64_t rows, int64_t n, int64_t k, const float* panels,
                   const float* bias, float* y, Epilogue epilogue, int64_t panel_begin, int64_t panel_end) {
  const bool activation = epilogue == Epilogue::kBiasGelu || epilogue == Epilogue::kBiasTanh;
  for (int64_t nb = panel_begin; nb < panel_end; nb += kNcPanels) {
    const int64_t nb_end = std::min(panel_end, nb + kNcPanels);
    for (int64_t kb = 0; kb < k; kb += kKc) {
      const int64_t kc = std::min(kKc, k - kb);
      const bool last = kb + kc >= k;
      for (int64_t m0 = 0; m0 < rows; m0 += kMr) {
        const int mr = static_cast<int>(std::min<int64_t>(kMr, rows - m0));
        const MicroKernelFn kernel = kKernels[static_cast<size_t>(mr - 1)];
        Tile t;
        t.a = packed_x + m0 * k + kb * mr;
        t.kc = kc;
        t.ldc = n;
        t.first = kb == 0;
        t.last = last;
        t.epilogue = epilogue;
        for (int64_t p = nb; p < nb_end; ++p) {
          const int64_t cols = std::min(kNr, n - p * kNr);
          for (int v = 0; v < kNv; ++v) {
            const int64_t in_vector = std::clamp<int64_t>(cols - 16 * v, 0, 16);
            t.mask[v] = static_cast<__mmask16>((1u << in_vector) - 1);
          }
          t.b = panels + (p * k + kb) * kNr;
          t.c = y + m0 * n + p * kNr;
          t.bias = bias + p * kNr;
          kernel(t);
        }
        // The activation runs on the tile's rows across the whole column block, still in L1/L2, in
        // spans long enough to amortise each call.
        if (last && activation) {
          const int64_t col_begin = nb * kNr;
          const int64_t span = std::min(n, nb_end * kNr) - col_begin;
          for (int64_t m = m0; m < m0 + mr; ++m) {
            float* row = y + m * n + col_begin;
            if (epilogue == Epilogue::kBiasGelu) {
              GeluErf(row, span);
            } else {
              Tanh(row, span);
            }
          }
        }
      }
    }
  }
}

}  // namespace

void Avx512F32Weights::Forward(const float* x, int64_t rows, float* y, Epilogue epilogue) const {
  if (!panels_) throw Error("gemm_f32_avx512: Forward on empty weights", ErrorKind::kInternal);
  if (rows <= 0) return;
  const int64_t panels = (out_features_ + kNr - 1) / kNr;
  const int64_t k = in_features_;
  // The packed activations of one call; kept per calling thread, so the steady state allocates nothing.
  thread_local std::vector<float> packed;
  const int64_t chunk_rows = std::min<int64_t>(rows, kMaxChunkRows);
  if (packed.size() < static_cast<size_t>(chunk_rows * k)) packed.resize(static_cast<size_t>(chunk_rows * k));
  float* const buffer = packed.data();  // the caller's, not each pool thread's thread_local
  const int64_t threads = std::max(1, core::NumThreads());
  for (int64_t m = 0; m < rows; m += chunk_rows) {
    const int64_t chunk = std::min(chunk_rows, rows - m);
    const float* xm = x + m * k;
    float* ym = y + m * out_features_;
    const int64_t tiles = (chunk + kMr - 1) / kMr;
    // Below a few million FMAs a parallel region costs more than it saves.
    const bool parallel = chunk * out_features_ * k >= (int64_t{1} << 21);
    const int64_t pack_pieces = parallel ? std::min(threads, tiles) : 1;
    core::ParallelFor(pack_pieces, [&](int64_t i) {
      PackActivations(xm, chunk, k, tiles * i / pack_pieces, tiles * (i + 1) / pack_pieces, buffer);
    });
    const int64_t pieces = parallel ? std::min(threads, panels) : 1;
    core::ParallelFor(pieces, [&](int64_t i) {
      ForwardPanels(buffer, chunk, out_features_, k, panels_.get(), bias_.get(), ym, epilogue,
                    panels * i / pieces, panels * (i + 1) / pieces);
    });
  }
}

#pragma GCC pop_options

}  // namespace vit::kernels
