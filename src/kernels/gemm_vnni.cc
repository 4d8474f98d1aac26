// The VNNI int8 GEMM: a 6-row x 64-column register tile (24 accumulators, four weight vectors and a
// broadcast row fill 29 of the 32 vector registers), the whole K in one pass so the epilogue runs on the
// accumulators, and each thread walking panels in order while it prefetches the next one into L2: the
// first tile of a panel would otherwise wait on memory for every weight line.
#include "kernels/gemm_vnni.h"

#include <immintrin.h>
#include <omp.h>

#include <algorithm>
#include <cstring>

#include "core/threads.h"
#include "kernels/avx512_math.h"
#include "kernels/panel_tile.h"
#include "kernels/gemm_quantize.h"

namespace vit::kernels::vnni {
namespace {

constexpr int kTileRows = 6;
constexpr int64_t kGroup = 4;  // k-values per VPDPBUSD lane
// Activation bytes per block of rows: half an L2 of 1 MiB (Zen 4/5, Ice Lake and later servers), the
// rest for the weight panel streaming through.
constexpr int64_t kBlockBytes = 512 * 1024;

struct Job {
  Int8Weights w;
  const uint8_t* x;
  const float* row_scales;
  float* y;
  Epilogue epilogue;
};

#define VIT_VNNI_TARGET __attribute__((target("avx512f,avx512bw,avx512dq,avx512vnni")))
#define VIT_TILE_ROWS(X) X(0) X(1) X(2) X(3) X(4) X(5)

// kRows rows from `row` of the panel starting at output column n0 (columns past out_features are masked
// off). `prefetch` points at `prefetch_lines` cache lines of the next panel for this tile to bring in.
template <int kRows>
VIT_VNNI_TARGET __attribute__((always_inline)) inline void Tile(const Job& job, const int8_t* panel, int64_t row,
                                                               int64_t n0, const __mmask16 (&masks)[4],
                                                               const int8_t* prefetch, int64_t prefetch_lines) {
  const int64_t k_total = job.w.in_features;
  const uint8_t* a = job.x + row * k_total;
#define VIT_DECLARE(i)                                                           \
  __m512i acc##i##0 = _mm512_setzero_si512(), acc##i##1 = _mm512_setzero_si512(), \
          acc##i##2 = _mm512_setzero_si512(), acc##i##3 = _mm512_setzero_si512();
  VIT_TILE_ROWS(VIT_DECLARE)
#undef VIT_DECLARE
  panel_tile::PrefetchOutputs(job.y, job.w.out_features, row, kRows, n0);
  // One step: four k-values of every row into the 4 x kRows accumulators.
#define VIT_ROW(i, kk)                                             \
  if constexpr (i < kRows) {                                       \
    int32_t quad;                                                  \
    std::memcpy(&quad, a + i * k_total + (kk), sizeof(quad));      \
    const __m512i ai = _mm512_set1_epi32(quad);                    \
    acc##i##0 = _mm512_dpbusd_epi32(acc##i##0, ai, b0);            \
    acc##i##1 = _mm512_dpbusd_epi32(acc##i##1, ai, b1);            \
    acc##i##2 = _mm512_dpbusd_epi32(acc##i##2, ai, b2);            \
    acc##i##3 = _mm512_dpbusd_epi32(acc##i##3, ai, b3);            \
  }
#define VIT_STEP(kk, bb)                                                                                  \
  {                                                                                                       \
    const __m512i b0 = _mm512_load_si512(bb), b1 = _mm512_load_si512((bb) + 64),                          \
                  b2 = _mm512_load_si512((bb) + 128), b3 = _mm512_load_si512((bb) + 192);                 \
    VIT_ROW(0, kk) VIT_ROW(1, kk) VIT_ROW(2, kk) VIT_ROW(3, kk) VIT_ROW(4, kk) VIT_ROW(5, kk)             \
  }
  // Sixteen k-values per iteration, the first prefetch_lines (<= K/16) iterations asking for one line of
  // the next panel each: the next panel's K lines over 16 tiles, without a test in every step. Into L1
  // (T0), not L2 only: the next panel's first products then wait on nothing (interleaved rounds of
  // `vit bench -p int8`, bench/RESULTS.md).
  constexpr int64_t kUnroll = 4 * kGroup, kStride = kPanelColumns * kGroup;
  const int8_t* b = panel;
  int64_t k = 0;
  for (int64_t line = 0; line < prefetch_lines; ++line, k += kUnroll, b += 4 * kStride) {
    _mm_prefetch(prefetch + line * 64, _MM_HINT_T0);
    VIT_STEP(k, b) VIT_STEP(k + 4, b + kStride) VIT_STEP(k + 8, b + 2 * kStride) VIT_STEP(k + 12, b + 3 * kStride)
  }
  for (; k + kUnroll <= k_total; k += kUnroll, b += 4 * kStride) {
    VIT_STEP(k, b) VIT_STEP(k + 4, b + kStride) VIT_STEP(k + 8, b + 2 * kStride) VIT_STEP(k + 12, b + 3 * kStride)
  }
  for (; k < k_total; k += kGroup, b += kStride) VIT_STEP(k, b)
#undef VIT_STEP
#undef VIT_ROW

  // Through memory (L1) rather than registers: left live across the epilogue, the accumulators made
  // GCC 12 spill them on every step of the loop above.
  alignas(64) int32_t sums[kRows][kPanelColumns];
#define VIT_SAVE(i)                                                   \
  if constexpr (i < kRows) {                                          \
    _mm512_store_si512(sums[i], acc##i##0);                           \
    _mm512_store_si512(sums[i] + 16, acc##i##1);                      \
    _mm512_store_si512(sums[i] + 32, acc##i##2);                      \
    _mm512_store_si512(sums[i] + 48, acc##i##3);                      \
  }
  VIT_TILE_ROWS(VIT_SAVE)
#undef VIT_SAVE

  const int64_t n_total = job.w.out_features;
  const bool residual = job.epilogue == Epilogue::kBiasResidual, gelu = job.epilogue == Epilogue::kBiasGelu;
  const avx512::GeluTable gelu_table = gelu ? avx512::LoadGeluTable() : avx512::GeluTable{};
  for (int v = 0; v < 4; ++v) {
    const int64_t n = n0 + 16 * v;
    // The integer offset comes off exactly, before anything is rounded to float.
    const __m512i offsets = _mm512_maskz_loadu_epi32(masks[v], job.w.offset_sums + n);
    const __m512 scales = _mm512_maskz_loadu_ps(masks[v], job.w.scales + n);
    const __m512 bias = _mm512_maskz_loadu_ps(masks[v], job.w.bias + n);
    for (int i = 0; i < kRows; ++i) {
      const __m512 x_scale = _mm512_set1_ps(job.row_scales[row + i]);
      float* out = job.y + (row + i) * n_total + n;
      // (maskz: GCC 12 warns on the undefined pass-through operand of the plain conversion)
      __m512 f = _mm512_maskz_cvtepi32_ps(0xffff, _mm512_sub_epi32(_mm512_load_si512(sums[i] + 16 * v), offsets));
      f = _mm512_fmadd_ps(f, _mm512_mul_ps(scales, x_scale), bias);
      if (gelu) f = avx512::GeluErf(f, gelu_table);
      if (residual) f = _mm512_add_ps(f, _mm512_maskz_loadu_ps(masks[v], out));
      _mm512_mask_storeu_ps(out, masks[v], f);
    }
  }
  panel_tile::ActivateOutputs(job.epilogue, job.y, n_total, row, kRows, n0);
}
#undef VIT_TILE_ROWS

// The last rows of a panel, fewer than a tile: Tile<rows>, chosen at run time.
template <int kRows>
VIT_VNNI_TARGET void TailTile(int64_t rows, const Job& job, const int8_t* panel, int64_t row, int64_t n0,
                              const __mmask16 (&masks)[4], const int8_t* prefetch, int64_t prefetch_lines) {
  if (rows == kRows) {
    Tile<kRows>(job, panel, row, n0, masks, prefetch, prefetch_lines);
  } else if constexpr (kRows > 1) {
    TailTile<kRows - 1>(rows, job, panel, row, n0, masks, prefetch, prefetch_lines);
  }
}

// Rows [row_begin, row_end) of one panel: whole tiles, then one of the remaining rows.
VIT_VNNI_TARGET void PanelRows(const Job& job, int64_t panel_index, int64_t row_begin, int64_t row_end,
                               bool prefetch_next) {
  const int64_t k_total = job.w.in_features;
  const int64_t panel_bytes = k_total * kPanelColumns;
  const int8_t* panel = job.w.packed + panel_index * panel_bytes;
  const int64_t n0 = panel_index * kPanelColumns;
  __mmask16 masks[4];
  panel_tile::ColumnMasks(job.w.out_features, n0, masks);
  const int8_t* next = panel + panel_bytes;
  const int64_t lines_per_tile = prefetch_next ? k_total / 16 : 0;
  int64_t prefetched = 0;  // lines of the next panel asked for so far
  auto lines_for_tile = [&] {
    const int64_t lines = std::clamp<int64_t>(k_total - prefetched, 0, lines_per_tile);
    const int8_t* at = next + prefetched * 64;
    prefetched += lines;
    return std::make_pair(at, lines);
  };
  int64_t r = row_begin;
  for (; r + kTileRows <= row_end; r += kTileRows) {
    const auto [at, lines] = lines_for_tile();
    Tile<kTileRows>(job, panel, r, n0, masks, at, lines);
  }
  const auto [at, lines] = lines_for_tile();
  TailTile<kTileRows - 1>(row_end - r, job, panel, r, n0, masks, at, lines);
}
#undef VIT_VNNI_TARGET

}  // namespace

bool Supports(int64_t out_features, int64_t in_features) {
  return out_features > 0 && in_features > 0 && in_features % kGroup == 0 && in_features <= 65536;
}

size_t PackedBytes(int64_t out_features, int64_t in_features) {
  const int64_t panels = (out_features + kPanelColumns - 1) / kPanelColumns;
  return static_cast<size_t>(panels * kPanelColumns * in_features);
}

void PackWeights(const int8_t* w, int64_t out_features, int64_t in_features, int8_t* packed) {
  const int64_t panels = (out_features + kPanelColumns - 1) / kPanelColumns;
  core::ParallelFor(panels, [&](int64_t p) {
    int8_t* out = packed + p * kPanelColumns * in_features;
    for (int64_t k = 0; k < in_features; k += kGroup) {
      for (int64_t c = 0; c < kPanelColumns; ++c, out += kGroup) {
        const int64_t n = p * kPanelColumns + c;
        if (n < out_features) {
          std::memcpy(out, w + n * in_features + k, kGroup);
        } else {
          std::memset(out, 0, kGroup);
        }
      }
    }
  });
}

void Forward(const Int8Weights& w, const float* x, int64_t rows, uint8_t* quantized, float* row_scales, float* y,
             Epilogue epilogue) {
  if (rows <= 0) return;
  const Job job{w, quantized, row_scales, y, epilogue};
  const int64_t k_total = w.in_features;
  const int64_t panels = (w.out_features + kPanelColumns - 1) / kPanelColumns;
  const int64_t threads = std::max(1, omp_get_max_threads());
  // Rows go in blocks whose activations stay in L2 while every panel passes over them, cut smaller where
  // there would be too few (block, panel) items for the threads.
  const int64_t tiles = (rows + kTileRows - 1) / kTileRows;
  int64_t blocks = std::clamp<int64_t>((rows * k_total + kBlockBytes - 1) / kBlockBytes, 1, tiles);
  if (blocks * panels < 2 * threads) blocks = std::min(tiles, (2 * threads + panels - 1) / panels);
  const int64_t block_rows = (tiles + blocks - 1) / blocks * kTileRows;
  blocks = (rows + block_rows - 1) / block_rows;
  const int64_t items = blocks * panels;
  core::WorkRuns runs;
  core::ParallelRegion([&](int64_t t, int64_t team) {
    runs.Init(items, t, team);
    for (int64_t r = rows * t / team; r < rows * (t + 1) / team; ++r)
      row_scales[r] = QuantizeActivationRow(x + r * k_total, k_total, quantized + r * k_total);
    core::Barrier();  // the quantized rows, and every thread's run of items
    runs.Drain(items, t, team, [&](int64_t item, bool next_is_mine) {
      const int64_t block = item / panels, panel = item % panels;
      const int64_t row_begin = block * block_rows, row_end = std::min(rows, row_begin + block_rows);
      PanelRows(job, panel, row_begin, row_end, next_is_mine && panel + 1 < panels);
    });
  });
}

}  // namespace vit::kernels::vnni
