// The two convolution passes of Pillow's resampler on interleaved 8-bit RGB, vectorised per CPU
// target. Integer arithmetic only, so every target gives Pillow's bytes exactly.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "image/resample.h"

namespace vit::image {

// The horizontal pass works on groups of kRowGroup rows: it transposes their bytes so that one vector
// lane holds one row, then every multiply-add serves up to kRowGroup rows and no lanes need summing.
constexpr int kRowGroup = 16;

// Bytes of scratch ResampleRowsHorizontal needs for rows in_width pixels wide.
size_t HorizontalScratchBytes(int in_width);

// Rows [0, rows) of `in` (in_width pixels, rows in_stride bytes apart) through `taps` into `out`
// (taps.first.size() pixels per row, rows packed).
void ResampleRowsHorizontal(const uint8_t* in, size_t in_stride, int rows, int in_width, const FilterTaps& taps,
                            uint8_t* out, uint8_t* scratch);

// Output rows [0, taps.first.size()) from `in` (width pixels per row, row r at in + r * width * 3).
void ResampleColumnsVertical(const uint8_t* in, int width, const FilterTaps& taps, uint8_t* out);

}  // namespace vit::image
