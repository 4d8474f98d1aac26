// What the fp32 and int8 panel GEMMs (gemm_f32.cc, gemm_vnni.cc) share around their register tiles of
// 64 output columns: the masks of a panel's live columns, the outputs asked for before the products,
// and the activations applied after the epilogue.
#pragma once

#include <immintrin.h>

#include <algorithm>
#include <cstdint>

#include "kernels/activations.h"

namespace vit::kernels::panel_tile {

inline constexpr int64_t kColumns = 64;

// masks[v]: the columns of vector v (16 columns) of the panel starting at n0 that are below out_features.
inline void ColumnMasks(int64_t out_features, int64_t n0, __mmask16 (&masks)[4]) {
  for (int v = 0; v < 4; ++v) {
    const int64_t live = std::clamp<int64_t>(out_features - n0 - 16 * v, 0, 16);
    masks[v] = static_cast<__mmask16>((uint32_t{1} << live) - 1);
  }
}

// The tile's outputs, rows [row, row + rows) of y [*, n_total] in the panel's columns, which the epilogue
// reads (the residual) or writes: asked for before the products, they arrive during them instead of
// stalling the epilogue (as `perf record` on `vit bench -p int8` showed it doing).
inline void PrefetchOutputs(const float* y, int64_t n_total, int64_t row, int rows, int64_t n0) {
  for (int i = 0; i < rows; ++i) {
    const float* out_row = y + (row + i) * n_total + n0;
    for (int64_t c = 0; c < std::min(kColumns, n_total - n0); c += 16)
      _mm_prefetch(reinterpret_cast<const char*>(out_row + c), _MM_HINT_T0);
  }
}

// The activations the tile's registers do not apply (the pooler's tanh, quick_gelu, tanh-GELU) on its
// outputs: while the tile is in L1, on this thread (a tile's row is far below the activations' parallel
// threshold). GELU (erf) is applied in the registers and is not repeated here.
inline void ActivateOutputs(Epilogue epilogue, float* y, int64_t n_total, int64_t row, int rows, int64_t n0) {
  if (epilogue != Epilogue::kBiasTanh && epilogue != Epilogue::kBiasQuickGelu && epilogue != Epilogue::kBiasGeluTanh)
    return;
  const int64_t columns = std::min(kColumns, n_total - n0);
  for (int i = 0; i < rows; ++i) Activate(epilogue, y + (row + i) * n_total + n0, columns);
}

}  // namespace vit::kernels::panel_tile
