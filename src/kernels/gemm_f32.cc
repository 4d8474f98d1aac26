// The fp32 AVX-512 GEMM: a 6-row x 64-column register tile (24 accumulators, four weight vectors and a
// broadcast row fill 29 of the 32 vector registers). K goes in chunks of at most 256, so that a panel's
// chunk (64 KiB) stays in L2 while every tile of a block of rows passes over it; between chunks a tile's
// sums wait in a per-thread buffer, and after the last the epilogue runs on them while they are in L1.
// Each thread walks its run of (panels, block of rows) items in order and prefetches the next chunk it
// will read while it multiplies the current one.
#include "kernels/gemm_f32.h"

#include <immintrin.h>
#include <omp.h>

#include <algorithm>
#include <cstring>

#include "core/aligned.h"
#include "core/threads.h"
#include "kernels/avx512_math.h"
#include "kernels/panel_tile.h"

namespace vit::kernels::f32 {
namespace {

constexpr int kTileRows = 6;
// k-values summed from zero in registers before they join the tile's sum (see Tile).
constexpr int64_t kPart = 128;
// k-values per chunk: 64 KiB of a panel, so that the chunk and its rows' activations stay in L2 together;
// larger chunks spill, smaller ones pay more partial sums. Chosen by interleaved rounds of `vit bench -p f32
// -b 1 --stages` over 64 to 1024 (bench/RESULTS.md).
constexpr int64_t kMaxChunk = 256;
// Rows per block, in tiles: 252 rows, one image's tokens for ViT at 224 (197) and 384 (577 in three blocks).
constexpr int64_t kMaxBlockTiles = 42;  // bounds the per-thread buffer of partial sums
// Panels per item where the rows take several blocks (a batch of images): the block's activations, read
// from L3, then serve two panels instead of one; four gained nothing more. Measured by interleaved rounds
// of `vit bench -p f32 -b 8 --stages` (bench/RESULTS.md).
constexpr int64_t kGroup = 2;
constexpr int64_t kLineBytes = 64;

struct Job {
  Weights w;
  const float* x;
  float* y;
  Epilogue epilogue;
  int64_t chunk;   // k-values per chunk
  int64_t chunks;  // chunks per panel
};

// One chunk of a tile: which part of K, whether it starts or ends the sum, and where the partial sums of
// the tile's rows wait between chunks ([kRows][64]; null where K is a single chunk).
struct ChunkStep {
  int64_t k_begin, k_end;
  bool first, last;
  float* partial;
};

// Lines of memory a tile asks for while it multiplies: the next chunk's, spread over the tiles.
struct Prefetch {
  const char* at;
  int64_t lines;
};

#define VIT_F32_TARGET __attribute__((target("avx512f,avx512dq")))
#define VIT_TILE_ROWS(X) X(0) X(1) X(2) X(3) X(4) X(5)

template <int kRows>
VIT_F32_TARGET __attribute__((always_inline)) inline void Tile(const Job& job, const float* panel, int64_t row,
                                                              int64_t n0, const ChunkStep& step,
                                                              const __mmask16 (&masks)[4], Prefetch prefetch) {
  const int64_t k_total = job.w.in_features;
  const float* a = job.x + row * k_total + step.k_begin;
  // Where the tile's sums gather: the thread's partial sums where K has several chunks (and for the
  // epilogue of the last), else a buffer in L1. Through memory either way, since accumulators left live
  // across the epilogue would make GCC 12 spill them on every step of the products.
  alignas(64) float sums[kRows][kPanelColumns];
  float* gathered = step.partial != nullptr ? step.partial : &sums[0][0];
  if (step.last) panel_tile::PrefetchOutputs(job.y, job.w.out_features, row, kRows, n0);
#define VIT_ROW(i, kk)                                       \
  if constexpr (i < kRows) {                                 \
    const __m512 ai = _mm512_set1_ps(a[i * k_total + (kk)]); \
    acc##i##0 = _mm512_fmadd_ps(ai, b0, acc##i##0);          \
    acc##i##1 = _mm512_fmadd_ps(ai, b1, acc##i##1);          \
    acc##i##2 = _mm512_fmadd_ps(ai, b2, acc##i##2);          \
    acc##i##3 = _mm512_fmadd_ps(ai, b3, acc##i##3);          \
  }
#define VIT_STEP(kk, bb)                                                                                \
  {                                                                                                     \
    const __m512 b0 = _mm512_load_ps(bb), b1 = _mm512_load_ps((bb) + 16), b2 = _mm512_load_ps((bb) + 32), \
                 b3 = _mm512_load_ps((bb) + 48);                                                        \
    VIT_ROW(0, kk) VIT_ROW(1, kk) VIT_ROW(2, kk) VIT_ROW(3, kk) VIT_ROW(4, kk) VIT_ROW(5, kk)           \
  }
#define VIT_DECLARE(i)                                                                                   \
  __m512 acc##i##0 = _mm512_setzero_ps(), acc##i##1 = _mm512_setzero_ps(), acc##i##2 = _mm512_setzero_ps(), \
         acc##i##3 = _mm512_setzero_ps();
#define VIT_GATHER(i)                                                                                    \
  if constexpr (i < kRows) {                                                                             \
    float* g = gathered + i * kPanelColumns;                                                             \
    if (holds_sum) {                                                                                     \
      acc##i##0 = _mm512_add_ps(acc##i##0, _mm512_load_ps(g));                                           \
      acc##i##1 = _mm512_add_ps(acc##i##1, _mm512_load_ps(g + 16));                                      \
      acc##i##2 = _mm512_add_ps(acc##i##2, _mm512_load_ps(g + 32));                                      \
      acc##i##3 = _mm512_add_ps(acc##i##3, _mm512_load_ps(g + 48));                                      \
    }                                                                                                    \
    _mm512_store_ps(g, acc##i##0), _mm512_store_ps(g + 16, acc##i##1), _mm512_store_ps(g + 32, acc##i##2); \
    _mm512_store_ps(g + 48, acc##i##3);                                                                  \
  }
  // K in parts of kPart, each summed from zero in registers and then added to the tile's sum: blocked
  // summation, whose rounding error grows as sqrt(K kPart) rather than K. Against float64, ViT-L's
  // last_hidden_state at batch 4 (tests/parity) is off by rms 5.4e-7 with parts of 128, 6.8e-7 with 256,
  // and 1.3e-6 with 1024; PyTorch's fp32 by 7.4e-7; one running sum over all of K, 1.8e-6. No speed
  // difference showed between them.
  // Four k-values per iteration (16 lines of the panel), the first iterations asking for two lines of the
  // next chunk each, without a test in every step.
  constexpr int64_t kUnroll = 4;
  const int64_t k_count = step.k_end - step.k_begin;
  const float* b = panel + step.k_begin * kPanelColumns;
  bool holds_sum = !step.first;  // whether `gathered` holds a sum already
  int64_t line = 0;              // lines of the next chunk asked for so far
  for (int64_t part = 0; part < k_count; part += kPart) {
    const int64_t part_end = std::min(k_count, part + kPart);
    VIT_TILE_ROWS(VIT_DECLARE)
    int64_t k = part;
    for (; line < prefetch.lines && k + kUnroll <= part_end; line += 2, k += kUnroll, b += kUnroll * kPanelColumns) {
      _mm_prefetch(prefetch.at + line * kLineBytes, _MM_HINT_T0);
      _mm_prefetch(prefetch.at + (line + 1) * kLineBytes, _MM_HINT_T0);
      VIT_STEP(k, b) VIT_STEP(k + 1, b + 64) VIT_STEP(k + 2, b + 128) VIT_STEP(k + 3, b + 192)
    }
    for (; k + kUnroll <= part_end; k += kUnroll, b += kUnroll * kPanelColumns) {
      VIT_STEP(k, b) VIT_STEP(k + 1, b + 64) VIT_STEP(k + 2, b + 128) VIT_STEP(k + 3, b + 192)
    }
    for (; k < part_end; ++k, b += kPanelColumns) VIT_STEP(k, b)
    VIT_TILE_ROWS(VIT_GATHER)
    holds_sum = true;
  }
#undef VIT_GATHER
#undef VIT_DECLARE
#undef VIT_STEP
#undef VIT_ROW
  if (!step.last) return;

  const int64_t n_total = job.w.out_features;
  const bool residual = job.epilogue == Epilogue::kBiasResidual, gelu = job.epilogue == Epilogue::kBiasGelu;
  const avx512::GeluExactTable gelu_table = gelu ? avx512::LoadGeluExactTable() : avx512::GeluExactTable{};
  for (int v = 0; v < 4; ++v) {
    const int64_t n = n0 + 16 * v;
    const __m512 bias = _mm512_maskz_loadu_ps(masks[v], job.w.bias + n);
    for (int i = 0; i < kRows; ++i) {
      float* out = job.y + (row + i) * n_total + n;
      __m512 f = _mm512_add_ps(_mm512_load_ps(gathered + i * kPanelColumns + 16 * v), bias);
      if (gelu) f = avx512::GeluErfExact(f, gelu_table);
      if (residual) f = _mm512_add_ps(f, _mm512_maskz_loadu_ps(masks[v], out));
      _mm512_mask_storeu_ps(out, masks[v], f);
    }
  }
  panel_tile::ActivateOutputs(job.epilogue, job.y, n_total, row, kRows, n0);
}
#undef VIT_TILE_ROWS

// The last rows of a block, fewer than a tile: Tile<rows>, chosen at run time.
template <int kRows>
VIT_F32_TARGET void TailTile(int64_t rows, const Job& job, const float* panel, int64_t row, int64_t n0,
                             const ChunkStep& step, const __mmask16 (&masks)[4], Prefetch prefetch) {
  if (rows == kRows) {
    Tile<kRows>(job, panel, row, n0, step, masks, prefetch);
  } else if constexpr (kRows > 1) {
    TailTile<kRows - 1>(rows, job, panel, row, n0, step, masks, prefetch);
  }
}

// A buffer per thread for the partial sums of a block of rows in up to kGroup panels, allocated on its first
// chunked GEMM.
float* ThreadPartials() {
  thread_local core::AlignedPtr<float> partials =
      core::AllocateArray<float>(kGroup * kMaxBlockTiles * kTileRows * kPanelColumns);
  return partials.get();
}

// Rows [row_begin, row_end) of panels [panel_begin, panel_end), chunk after chunk, each chunk panel after
// panel: whole tiles, then one of the remaining rows. next_item_panel: the first panel of the thread's
// next item, whose first chunk the last chunk's tiles ask for (-1: none).
VIT_F32_TARGET void PanelRows(const Job& job, int64_t panel_begin, int64_t panel_end, int64_t row_begin,
                              int64_t row_end, int64_t next_item_panel) {
  const int64_t k_total = job.w.in_features;
  const int64_t panel_floats = k_total * kPanelColumns;
  float* partials = job.chunks > 1 ? ThreadPartials() : nullptr;
  const int64_t tiles = (row_end - row_begin + kTileRows - 1) / kTileRows;
  for (int64_t c = 0; c < job.chunks; ++c) {
    for (int64_t p = panel_begin; p < panel_end; ++p) {
      const float* panel = job.w.packed + p * panel_floats;
      const int64_t n0 = p * kPanelColumns;
      __mmask16 masks[4];
      panel_tile::ColumnMasks(job.w.out_features, n0, masks);
      ChunkStep step{c * job.chunk, std::min(k_total, (c + 1) * job.chunk), c == 0, c + 1 == job.chunks, nullptr};
      // What this thread reads next: this chunk of the next panel, the next chunk of the first, or the next
      // item's first.
      const float* next = nullptr;
      int64_t next_k = 0;
      if (p + 1 < panel_end) {
        next = panel + panel_floats + step.k_begin * kPanelColumns;
        next_k = step.k_end - step.k_begin;
      } else if (!step.last) {
        next = job.w.packed + panel_begin * panel_floats + step.k_end * kPanelColumns;
        next_k = std::min(k_total, step.k_end + job.chunk) - step.k_end;
      } else if (next_item_panel >= 0) {
        next = job.w.packed + next_item_panel * panel_floats;
        next_k = std::min(k_total, job.chunk);
      }
      const int64_t next_lines = next_k * kPanelColumns * static_cast<int64_t>(sizeof(float)) / kLineBytes;
      const int64_t lines_per_tile = (next_lines + tiles - 1) / tiles;
      int64_t asked = 0;
      auto prefetch_for_tile = [&] {
        const int64_t lines = std::clamp<int64_t>(next_lines - asked, 0, lines_per_tile);
        const Prefetch prefetch{reinterpret_cast<const char*>(next) + asked * kLineBytes, lines};
        asked += lines;
        return prefetch;
      };
      auto partials_at = [&](int64_t r) {
        if (partials == nullptr) return partials;
        return partials + ((p - panel_begin) * kMaxBlockTiles * kTileRows + (r - row_begin)) * kPanelColumns;
      };
      int64_t r = row_begin;
      for (; r + kTileRows <= row_end; r += kTileRows) {
        step.partial = partials_at(r);
        Tile<kTileRows>(job, panel, r, n0, step, masks, prefetch_for_tile());
      }
      step.partial = partials_at(r);
      TailTile<kTileRows - 1>(row_end - r, job, panel, r, n0, step, masks, prefetch_for_tile());
    }
  }
}

// A 16 x 16 block of the weights (16 output columns' rows of 16 k-values, `rows` and `k_count` of them
// real, the rest zeros) transposed into a panel: out[k * 64 + c] = w[c * stride + k]. Loading the rows
// whole and shuffling them in registers replaces a copy of one float at a time, which dominated an fp32
// load's CPU time (`vit bench -p f32` reports the load's seconds).
VIT_F32_TARGET void PackBlock(const float* w, int64_t stride, int64_t rows, int64_t k_count, float* out) {
  const __mmask16 k_mask = static_cast<__mmask16>((uint32_t{1} << k_count) - 1);
  __m512 r[16];
  for (int i = 0; i < 16; ++i) r[i] = i < rows ? _mm512_maskz_loadu_ps(k_mask, w + i * stride) : _mm512_setzero_ps();
  // Pairs of rows interleaved, then fours within each 128-bit lane: u[4 j + m] holds, in lane l, rows
  // 4j..4j+3 of k-value 4 l + m.
  __m512 t[16], u[16];
  for (int i = 0; i < 16; i += 2) {
    t[i] = _mm512_maskz_unpacklo_ps(0xffff, r[i], r[i + 1]);
    t[i + 1] = _mm512_maskz_unpackhi_ps(0xffff, r[i], r[i + 1]);
  }
  for (int j = 0; j < 4; ++j) {
    const __m512 lo01 = t[4 * j], hi01 = t[4 * j + 1], lo23 = t[4 * j + 2], hi23 = t[4 * j + 3];
    u[4 * j + 0] = _mm512_maskz_shuffle_ps(0xffff, lo01, lo23, 0x44);
    u[4 * j + 1] = _mm512_maskz_shuffle_ps(0xffff, lo01, lo23, 0xEE);
    u[4 * j + 2] = _mm512_maskz_shuffle_ps(0xffff, hi01, hi23, 0x44);
    u[4 * j + 3] = _mm512_maskz_shuffle_ps(0xffff, hi01, hi23, 0xEE);
  }
  // Then the lanes: k-value 4 l + m is lanes l of u[m], u[4 + m], u[8 + m], u[12 + m].
#define VIT_EVEN_LANES(x, y) _mm512_maskz_shuffle_f32x4(0xffff, x, y, 0x88)  // lanes 0 and 2 of each
#define VIT_ODD_LANES(x, y) _mm512_maskz_shuffle_f32x4(0xffff, x, y, 0xDD)   // lanes 1 and 3
  for (int m = 0; m < 4; ++m) {
    const __m512 v0 = VIT_EVEN_LANES(u[m], u[4 + m]), v1 = VIT_ODD_LANES(u[m], u[4 + m]);
    const __m512 w0 = VIT_EVEN_LANES(u[8 + m], u[12 + m]), w1 = VIT_ODD_LANES(u[8 + m], u[12 + m]);
    const __m512 columns[4] = {VIT_EVEN_LANES(v0, w0), VIT_EVEN_LANES(v1, w1), VIT_ODD_LANES(v0, w0),
                               VIT_ODD_LANES(v1, w1)};
    for (int l = 0; l < 4; ++l) {
      const int64_t k = 4 * l + m;
      if (k < k_count) _mm512_storeu_ps(out + k * kPanelColumns, columns[l]);
    }
  }
#undef VIT_ODD_LANES
#undef VIT_EVEN_LANES
}
#undef VIT_F32_TARGET

}  // namespace

size_t PackedFloats(int64_t out_features, int64_t in_features) {
  const int64_t panels = (out_features + kPanelColumns - 1) / kPanelColumns;
  return static_cast<size_t>(panels * kPanelColumns * in_features);
}

void PackWeights(const float* w, int64_t out_features, int64_t in_features, float* packed) {
  const int64_t panels = (out_features + kPanelColumns - 1) / kPanelColumns;
  core::ParallelFor(panels, [&](int64_t p) {
    float* out = packed + p * kPanelColumns * in_features;
    for (int64_t c0 = 0; c0 < kPanelColumns; c0 += 16) {
      const int64_t n0 = p * kPanelColumns + c0;
      const int64_t live_rows = std::clamp<int64_t>(out_features - n0, 0, 16);
      for (int64_t k0 = 0; k0 < in_features; k0 += 16) {
        const int64_t live_k = std::min<int64_t>(16, in_features - k0);
        PackBlock(w + n0 * in_features + k0, in_features, live_rows, live_k, out + k0 * kPanelColumns + c0);
      }
    }
  });
}

void Forward(const Weights& w, const float* x, int64_t rows, float* y, Epilogue epilogue) {
  if (rows <= 0) return;
  const int64_t k_total = w.in_features;
  const int64_t chunks = (k_total + kMaxChunk - 1) / kMaxChunk;
  const int64_t chunk = (k_total + chunks - 1) / chunks;
  const Job job{w, x, y, epilogue, chunk, chunks};
  const int64_t panels = (w.out_features + kPanelColumns - 1) / kPanelColumns;
  const int64_t threads = std::max(1, omp_get_max_threads());
  // Items are (panels, block of rows), panel by panel: each thread's run covers whole panels where it can,
  // so a panel's weights come from memory once, into the L2 of the thread that multiplies them, and stay
  // there while all its rows pass. (Blocks of rows kept in L2 while the panels pass, as int8's kernel
  // does, were no faster here, and neither were ViT-L's rows split between the threads: fp32 activations
  // are four times int8's.) Blocks bound the partial sums a thread keeps and split panels between threads
  // where there are too few.
  const int64_t tiles = (rows + kTileRows - 1) / kTileRows;
  int64_t blocks = (tiles + kMaxBlockTiles - 1) / kMaxBlockTiles;
  if (blocks * panels < 2 * threads) blocks = std::min(tiles, (2 * threads + panels - 1) / panels);
  const int64_t block_rows = (tiles + blocks - 1) / blocks * kTileRows;
  blocks = (rows + block_rows - 1) / block_rows;
  const int64_t group = blocks > 1 ? kGroup : 1;
  const int64_t groups = (panels + group - 1) / group;
  const int64_t items = blocks * groups;
  core::WorkRuns runs;
  core::ParallelRegion([&](int64_t t, int64_t team) {
    runs.Init(items, t, team);
    core::Barrier();  // every thread's run of items
    runs.Drain(items, t, team, [&](int64_t item, bool next_is_mine) {
      const int64_t g = item / blocks, block = item % blocks;
      const int64_t row_begin = block * block_rows, row_end = std::min(rows, row_begin + block_rows);
      PanelRows(job, g * group, std::min(panels, (g + 1) * group), row_begin, row_end,
                next_is_mine ? (item + 1) / blocks * group : -1);
    });
  });
}

}  // namespace vit::kernels::f32
