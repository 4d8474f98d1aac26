// Convolution passes of the resampler, compiled by Highway once per CPU target (SSE4, AVX2, AVX-512,
// ...) and dispatched at run time. Sums are exact int32 as in Pillow's ImagingResampleHorizontal_8bpc /
// ImagingResampleVertical_8bpc, so the order of the additions changes no output byte.
//
// Horizontal: a group of 16 rows is transposed (byte j of row r goes to t[j * 16 + r]); then for each
// output pixel and each tap, vector multiply-adds for R, G and B serve all 16 rows, one row per lane
// (one vector of 16 lanes with AVX-512, two of 8 with AVX2, four of 4 with SSE4).
// Vertical: rows are already the vector direction; each tap is one multiply-add per 4..16 bytes.
#include "image/resample_passes.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "image/resample_passes.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"

HWY_BEFORE_NAMESPACE();
namespace vit::image::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

constexpr int kShift = FilterTaps::kPrecisionBits;
constexpr int32_t kHalf = int32_t{1} << (kShift - 1);

// Pillow's clip8: the sum shifted down to 8 bits, clamped to [0, 255].
inline uint8_t Clip8(int32_t sum) {
  const int32_t v = sum >> kShift;
  return static_cast<uint8_t>(v < 0 ? 0 : (v > 255 ? 255 : v));
}

// out[j * 16 + r] = rows[r][j] for j < bytes: four rounds of interleaves (bytes, pairs, quads, eights)
// per 16 columns, the classic 16x16 byte transpose.
void TransposeRows(const uint8_t* const rows[kRowGroup], size_t bytes, uint8_t* out) {
  static_assert(kRowGroup == 16, "the interleave rounds below transpose 16 rows");
  size_t j = 0;
#if HWY_TARGET != HWY_SCALAR  // the scalar target has no 16-byte vectors
  const hn::Full128<uint8_t> d8;
  const hn::Full128<uint16_t> d16;
  const hn::Full128<uint32_t> d32;
  const hn::Full128<uint64_t> d64;
  using V16 = hn::Vec<decltype(d16)>;
  using V32 = hn::Vec<decltype(d32)>;
  using V64 = hn::Vec<decltype(d64)>;
  for (; j + 16 <= bytes; j += 16) {
    // Round 1, rows in pairs: a_lo[k] holds columns 0-7 of rows 2k and 2k+1, a_hi[k] columns 8-15.
    V16 a_lo[8], a_hi[8];
    for (int k = 0; k < 8; ++k) {
      const auto even = hn::LoadU(d8, rows[2 * k] + j);
      const auto odd = hn::LoadU(d8, rows[2 * k + 1] + j);
      a_lo[k] = hn::BitCast(d16, hn::InterleaveLower(d8, even, odd));
      a_hi[k] = hn::BitCast(d16, hn::InterleaveUpper(d8, even, odd));
    }
    // Round 2, rows in fours: b[m][q] holds columns 4q..4q+3 of rows 4m..4m+3.
    V32 b[4][4];
    for (int m = 0; m < 4; ++m) {
      b[m][0] = hn::BitCast(d32, hn::InterleaveLower(d16, a_lo[2 * m], a_lo[2 * m + 1]));
      b[m][1] = hn::BitCast(d32, hn::InterleaveUpper(d16, a_lo[2 * m], a_lo[2 * m + 1]));
      b[m][2] = hn::BitCast(d32, hn::InterleaveLower(d16, a_hi[2 * m], a_hi[2 * m + 1]));
      b[m][3] = hn::BitCast(d32, hn::InterleaveUpper(d16, a_hi[2 * m], a_hi[2 * m + 1]));
    }
    // Rounds 3 and 4, rows in eights then all sixteen: one column per vector.
    uint8_t* o = out + j * kRowGroup;
    for (int q = 0; q < 4; ++q) {
      const V64 top_lo = hn::BitCast(d64, hn::InterleaveLower(d32, b[0][q], b[1][q]));
      const V64 top_hi = hn::BitCast(d64, hn::InterleaveUpper(d32, b[0][q], b[1][q]));
      const V64 bottom_lo = hn::BitCast(d64, hn::InterleaveLower(d32, b[2][q], b[3][q]));
      const V64 bottom_hi = hn::BitCast(d64, hn::InterleaveUpper(d32, b[2][q], b[3][q]));
      hn::StoreU(hn::BitCast(d8, hn::InterleaveLower(d64, top_lo, bottom_lo)), d8, o + (4 * q + 0) * kRowGroup);
      hn::StoreU(hn::BitCast(d8, hn::InterleaveUpper(d64, top_lo, bottom_lo)), d8, o + (4 * q + 1) * kRowGroup);
      hn::StoreU(hn::BitCast(d8, hn::InterleaveLower(d64, top_hi, bottom_hi)), d8, o + (4 * q + 2) * kRowGroup);
      hn::StoreU(hn::BitCast(d8, hn::InterleaveUpper(d64, top_hi, bottom_hi)), d8, o + (4 * q + 3) * kRowGroup);
    }
  }
#endif
  for (; j < bytes; ++j) {
    for (int r = 0; r < kRowGroup; ++r) out[j * kRowGroup + static_cast<size_t>(r)] = rows[r][j];
  }
}

// One group of transposed rows through the horizontal taps; rows [0, group_rows) are written.
void HorizontalGroup(const uint8_t* t, int group_rows, const FilterTaps& taps, uint8_t* const out[kRowGroup]) {
  const hn::CappedTag<int32_t, kRowGroup> d;  // up to 16 lanes
  const hn::Rebind<uint8_t, decltype(d)> d8;
  const size_t lanes = hn::Lanes(d);
  constexpr size_t kPixel = 3 * kRowGroup;  // transposed bytes per source pixel
  const auto half = hn::Set(d, kHalf);
  const auto zero = hn::Zero(d);
  const auto max = hn::Set(d, 255);
  alignas(64) int32_t sums[3][kRowGroup];
  const size_t out_width = taps.first.size();
  for (size_t x = 0; x < out_width; ++x) {
    const int32_t* k = taps.weights.data() + x * static_cast<size_t>(taps.ksize);
    const int n = taps.count[x];
    const uint8_t* base = t + static_cast<size_t>(taps.first[x]) * kPixel;
    for (size_t r0 = 0; r0 < kRowGroup; r0 += lanes) {
      auto r = half, g = half, b = half;
      const uint8_t* p = base + r0;
      for (int i = 0; i < n; ++i, p += kPixel) {
        const auto w = hn::Set(d, k[i]);
        r = hn::Add(r, hn::Mul(hn::PromoteTo(d, hn::LoadU(d8, p)), w));
        g = hn::Add(g, hn::Mul(hn::PromoteTo(d, hn::LoadU(d8, p + kRowGroup)), w));
        b = hn::Add(b, hn::Mul(hn::PromoteTo(d, hn::LoadU(d8, p + 2 * kRowGroup)), w));
      }
      hn::Store(hn::Min(hn::Max(hn::ShiftRight<kShift>(r), zero), max), d, sums[0] + r0);
      hn::Store(hn::Min(hn::Max(hn::ShiftRight<kShift>(g), zero), max), d, sums[1] + r0);
      hn::Store(hn::Min(hn::Max(hn::ShiftRight<kShift>(b), zero), max), d, sums[2] + r0);
    }
    for (int row = 0; row < group_rows; ++row) {
      uint8_t* o = out[row] + 3 * x;
      o[0] = static_cast<uint8_t>(sums[0][row]);
      o[1] = static_cast<uint8_t>(sums[1][row]);
      o[2] = static_cast<uint8_t>(sums[2][row]);
    }
  }
}

void HorizontalRows(const uint8_t* in, size_t in_stride, int rows, int in_width, const FilterTaps& taps, uint8_t* out,
                    uint8_t* scratch) {
  const size_t out_stride = taps.first.size() * 3;
  const size_t bytes = static_cast<size_t>(in_width) * 3;
  for (int r0 = 0; r0 < rows; r0 += kRowGroup) {
    const int group = std::min(kRowGroup, rows - r0);
    const uint8_t* src[kRowGroup];
    uint8_t* dst[kRowGroup];
    for (int r = 0; r < kRowGroup; ++r) {
      // A short last group repeats its last row; only real rows are written.
      src[r] = in + static_cast<size_t>(r0 + std::min(r, group - 1)) * in_stride;
      dst[r] = out + static_cast<size_t>(r0 + r) * out_stride;
    }
    TransposeRows(src, bytes, scratch);
    HorizontalGroup(scratch, group, taps, dst);
  }
}

void VerticalColumns(const uint8_t* in, int width, const FilterTaps& taps, uint8_t* out) {
  // Columns in chunks whose accumulators stay in L1 while every tap row streams past them.
  constexpr size_t kChunk = 1024;
  const size_t stride = static_cast<size_t>(width) * 3;
  const size_t out_rows = taps.first.size();
  alignas(64) int32_t acc[kChunk];
  for (size_t yy = 0; yy < out_rows; ++yy) {
    const int32_t* k = taps.weights.data() + yy * static_cast<size_t>(taps.ksize);
    const uint8_t* top = in + static_cast<size_t>(taps.first[yy]) * stride;
    const int count = taps.count[yy];
    uint8_t* dst = out + yy * stride;
    for (size_t c0 = 0; c0 < stride; c0 += kChunk) {
      const size_t n = std::min(kChunk, stride - c0);
      for (size_t i = 0; i < n; ++i) acc[i] = kHalf;
      for (int t = 0; t < count; ++t) {
        const uint8_t* src = top + static_cast<size_t>(t) * stride + c0;
        const int32_t w = k[t];
        for (size_t i = 0; i < n; ++i) acc[i] += static_cast<int32_t>(src[i]) * w;
      }
      for (size_t i = 0; i < n; ++i) dst[c0 + i] = Clip8(acc[i]);
    }
  }
}

}  // namespace vit::image::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace vit::image {

HWY_EXPORT(HorizontalRows);
HWY_EXPORT(VerticalColumns);

size_t HorizontalScratchBytes(int in_width) { return static_cast<size_t>(in_width) * 3 * kRowGroup; }

void ResampleRowsHorizontal(const uint8_t* in, size_t in_stride, int rows, int in_width, const FilterTaps& taps,
                            uint8_t* out, uint8_t* scratch) {
  HWY_DYNAMIC_DISPATCH(HorizontalRows)(in, in_stride, rows, in_width, taps, out, scratch);
}

void ResampleColumnsVertical(const uint8_t* in, int width, const FilterTaps& taps, uint8_t* out) {
  HWY_DYNAMIC_DISPATCH(VerticalColumns)(in, width, taps, out);
}

}  // namespace vit::image
#endif  // HWY_ONCE
