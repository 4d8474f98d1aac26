// Convolution passes of the resampler, compiled by Highway once per CPU target (SSE4, AVX2, AVX-512,
// ...) and dispatched at run time. Sums are exact int32 as in Pillow's ImagingResampleHorizontal_8bpc /
// ImagingResampleVertical_8bpc, so the order of the additions changes no output byte.
//
// Horizontal: a group of 8 rows is transposed (byte j of row r goes to t[j * 8 + r]); then for each
// output pixel and each tap, three vector multiply-adds (R, G, B) serve all 8 rows, one row per lane.
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

// out[j * 8 + r] = rows[r][j] for j < bytes: three rounds of interleaves (bytes, pairs, quads) per
// 16 columns, the classic 8x16 byte transpose.
void TransposeRows(const uint8_t* const rows[kRowGroup], size_t bytes, uint8_t* out) {
  size_t j = 0;
#if HWY_TARGET != HWY_SCALAR  // the scalar target has no 16-byte vectors
  const hn::Full128<uint8_t> d8;
  const hn::Full128<uint16_t> d16;
  const hn::Full128<uint32_t> d32;
  for (; j + 16 <= bytes; j += 16) {
    const auto r0 = hn::LoadU(d8, rows[0] + j), r1 = hn::LoadU(d8, rows[1] + j);
    const auto r2 = hn::LoadU(d8, rows[2] + j), r3 = hn::LoadU(d8, rows[3] + j);
    const auto r4 = hn::LoadU(d8, rows[4] + j), r5 = hn::LoadU(d8, rows[5] + j);
    const auto r6 = hn::LoadU(d8, rows[6] + j), r7 = hn::LoadU(d8, rows[7] + j);
    // Pairs of rows, column by column.
    const auto a0 = hn::BitCast(d16, hn::InterleaveLower(d8, r0, r1));
    const auto a1 = hn::BitCast(d16, hn::InterleaveUpper(d8, r0, r1));
    const auto b0 = hn::BitCast(d16, hn::InterleaveLower(d8, r2, r3));
    const auto b1 = hn::BitCast(d16, hn::InterleaveUpper(d8, r2, r3));
    const auto c0 = hn::BitCast(d16, hn::InterleaveLower(d8, r4, r5));
    const auto c1 = hn::BitCast(d16, hn::InterleaveUpper(d8, r4, r5));
    const auto e0 = hn::BitCast(d16, hn::InterleaveLower(d8, r6, r7));
    const auto e1 = hn::BitCast(d16, hn::InterleaveUpper(d8, r6, r7));
    // Quads of rows: columns 0-3, 4-7, 8-11, 12-15.
    const auto f0 = hn::BitCast(d32, hn::InterleaveLower(d16, a0, b0));
    const auto f1 = hn::BitCast(d32, hn::InterleaveUpper(d16, a0, b0));
    const auto f2 = hn::BitCast(d32, hn::InterleaveLower(d16, a1, b1));
    const auto f3 = hn::BitCast(d32, hn::InterleaveUpper(d16, a1, b1));
    const auto g0 = hn::BitCast(d32, hn::InterleaveLower(d16, c0, e0));
    const auto g1 = hn::BitCast(d32, hn::InterleaveUpper(d16, c0, e0));
    const auto g2 = hn::BitCast(d32, hn::InterleaveLower(d16, c1, e1));
    const auto g3 = hn::BitCast(d32, hn::InterleaveUpper(d16, c1, e1));
    // All eight rows, two columns per vector.
    uint8_t* o = out + j * kRowGroup;
    hn::StoreU(hn::BitCast(d8, hn::InterleaveLower(d32, f0, g0)), d8, o + 0);
    hn::StoreU(hn::BitCast(d8, hn::InterleaveUpper(d32, f0, g0)), d8, o + 16);
    hn::StoreU(hn::BitCast(d8, hn::InterleaveLower(d32, f1, g1)), d8, o + 32);
    hn::StoreU(hn::BitCast(d8, hn::InterleaveUpper(d32, f1, g1)), d8, o + 48);
    hn::StoreU(hn::BitCast(d8, hn::InterleaveLower(d32, f2, g2)), d8, o + 64);
    hn::StoreU(hn::BitCast(d8, hn::InterleaveUpper(d32, f2, g2)), d8, o + 80);
    hn::StoreU(hn::BitCast(d8, hn::InterleaveLower(d32, f3, g3)), d8, o + 96);
    hn::StoreU(hn::BitCast(d8, hn::InterleaveUpper(d32, f3, g3)), d8, o + 112);
  }
#endif
  for (; j < bytes; ++j) {
    for (int r = 0; r < kRowGroup; ++r) out[j * kRowGroup + static_cast<size_t>(r)] = rows[r][j];
  }
}

// One group of transposed rows through the horizontal taps; rows [0, group_rows) are written.
void HorizontalGroup(const uint8_t* t, int group_rows, const FilterTaps& taps, uint8_t* const out[kRowGroup]) {
  const hn::CappedTag<int32_t, kRowGroup> d;
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
