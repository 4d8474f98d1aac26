// Convolution passes of the resampler. The loops are plain C++ written so that the compiler vectorises
// them; Highway compiles this file once per CPU target (SSE4, AVX2, AVX-512, ...) and picks the best at
// run time. Sums are exact int32 (Pillow's ImagingResampleHorizontal_8bpc / Vertical_8bpc), so the
// order of the additions does not change a single output byte.
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

constexpr int kShift = FilterTaps::kPrecisionBits;
constexpr int32_t kHalf = int32_t{1} << (kShift - 1);

// Pillow's clip8: the sum shifted down to 8 bits, clamped to [0, 255].
inline uint8_t Clip8(int32_t sum) {
  const int32_t v = sum >> kShift;
  return static_cast<uint8_t>(v < 0 ? 0 : (v > 255 ? 255 : v));
}

void HorizontalRows(const uint8_t* in, int rows, const HorizontalPlan& plan, uint8_t* out) {
  constexpr int kBytes = HorizontalPlan::kBlockBytes;
  const size_t in_stride = static_cast<size_t>(plan.in_width) * 3;
  const size_t out_stride = static_cast<size_t>(plan.out_width) * 3;
  const FilterTaps& taps = plan.taps;
  for (int y = 0; y < rows; ++y) {
    const uint8_t* row = in + static_cast<size_t>(y) * in_stride;
    uint8_t* dst = out + static_cast<size_t>(y) * out_stride;
    for (int x = 0; x < plan.out_width; ++x) {
      int32_t s0 = kHalf, s1 = kHalf, s2 = kHalf;
      const int32_t start = plan.start_byte[static_cast<size_t>(x)];
      if (start >= 0) {
        const uint8_t* p = row + start;
        const int32_t* w = plan.expanded.data() + plan.weight_offset[static_cast<size_t>(x)];
        int32_t acc[kBytes] = {};
        for (int b = plan.blocks[static_cast<size_t>(x)]; b > 0; --b, p += kBytes, w += kBytes) {
          for (int j = 0; j < kBytes; ++j) acc[j] += static_cast<int32_t>(p[j]) * w[j];
        }
        for (int j = 0; j < kBytes; j += 3) {
          s0 += acc[j];
          s1 += acc[j + 1];
          s2 += acc[j + 2];
        }
      } else {
        const int32_t* k = taps.weights.data() + static_cast<size_t>(x) * static_cast<size_t>(taps.ksize);
        const uint8_t* p = row + static_cast<size_t>(taps.first[static_cast<size_t>(x)]) * 3;
        for (int t = 0; t < taps.count[static_cast<size_t>(x)]; ++t, p += 3) {
          s0 += p[0] * k[t];
          s1 += p[1] * k[t];
          s2 += p[2] * k[t];
        }
      }
      dst[3 * x + 0] = Clip8(s0);
      dst[3 * x + 1] = Clip8(s1);
      dst[3 * x + 2] = Clip8(s2);
    }
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

HorizontalPlan MakeHorizontalPlan(int in_width, FilterTaps taps) {
  constexpr int kBlock = HorizontalPlan::kBlockPixels;
  HorizontalPlan plan;
  plan.in_width = in_width;
  plan.out_width = static_cast<int>(taps.first.size());
  const auto out_width = static_cast<size_t>(plan.out_width);
  plan.start_byte.resize(out_width);
  plan.blocks.resize(out_width);
  plan.weight_offset.resize(out_width);
  int64_t total = 0;
  for (size_t x = 0; x < out_width; ++x) {
    const int blocks = std::max(1, (taps.count[x] + kBlock - 1) / kBlock);
    const int span = blocks * kBlock;
    plan.blocks[x] = blocks;
    plan.weight_offset[x] = total;
    if (span > in_width) {
      plan.start_byte[x] = -1;
      continue;
    }
    plan.start_byte[x] = std::min(taps.first[x], in_width - span) * 3;
    total += static_cast<int64_t>(blocks) * HorizontalPlan::kBlockBytes;
  }
  plan.expanded.assign(static_cast<size_t>(total), 0);
  for (size_t x = 0; x < out_width; ++x) {
    if (plan.start_byte[x] < 0) continue;
    const int shift = taps.first[x] - plan.start_byte[x] / 3;  // taps sit this many pixels into the window
    int32_t* w = plan.expanded.data() + plan.weight_offset[x];
    const int32_t* k = taps.weights.data() + x * static_cast<size_t>(taps.ksize);
    for (int t = 0; t < taps.count[x]; ++t) {
      for (int c = 0; c < 3; ++c) w[3 * (shift + t) + c] = k[t];
    }
  }
  plan.taps = std::move(taps);
  return plan;
}

void ResampleRowsHorizontal(const uint8_t* in, int rows, const HorizontalPlan& plan, uint8_t* out) {
  HWY_DYNAMIC_DISPATCH(HorizontalRows)(in, rows, plan, out);
}

void ResampleColumnsVertical(const uint8_t* in, int width, const FilterTaps& taps, uint8_t* out) {
  HWY_DYNAMIC_DISPATCH(VerticalColumns)(in, width, taps, out);
}

}  // namespace vit::image
#endif  // HWY_ONCE
