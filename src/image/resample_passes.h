// The two convolution passes of Pillow's resampler on interleaved 8-bit RGB, vectorised per CPU
// target. Integer arithmetic only, so every target gives Pillow's bytes exactly.
#pragma once

#include <cstdint>
#include <vector>

#include "image/resample.h"

namespace vit::image {

// The horizontal weights re-laid for a fixed-width inner loop: each output pixel reads a window of
// whole 8-pixel blocks (24 bytes, the period where RGB channels and 8 int32 lanes line up again), its
// weights repeated per channel and zero outside the taps. Windows are shifted left at the right edge so
// that no read leaves the row.
struct HorizontalPlan {
  static constexpr int kBlockPixels = 8;
  static constexpr int kBlockBytes = 3 * kBlockPixels;
  int in_width = 0;
  int out_width = 0;
  std::vector<int32_t> start_byte;    // per output pixel; -1: the row is too narrow, use `taps`
  std::vector<int32_t> blocks;        // per output pixel
  std::vector<int64_t> weight_offset; // per output pixel, into expanded
  std::vector<int32_t> expanded;
  FilterTaps taps;
};

HorizontalPlan MakeHorizontalPlan(int in_width, FilterTaps taps);

// Rows [0, rows) of `in` (stride in_width * 3) into `out` (stride out_width * 3).
void ResampleRowsHorizontal(const uint8_t* in, int rows, const HorizontalPlan& plan, uint8_t* out);

// Output rows [0, taps.first.size()) from `in` (width pixels per row, row r at in + r * width * 3).
void ResampleColumnsVertical(const uint8_t* in, int width, const FilterTaps& taps, uint8_t* out);

}  // namespace vit::image
