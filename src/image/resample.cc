// Pillow 9.4's resize, step for step. The weights are computed in double exactly as Resample.c does
// (same expressions, same order, same libm), then quantised to 22-bit fixed point; the passes that use
// them live in resample_passes.cc. NEAREST is not a convolution in Pillow: _resize sends it through
// ImagingTransform's affine scaling (Geometry.c ImagingScaleAffine), reproduced in ResizeNearest.
#include "image/resample.h"

#include <algorithm>
#include <climits>
#include <cmath>
#include <cstring>

#include "image/resample_passes.h"
#include "vit/error.h"

namespace vit::image {
namespace {

// The filters of Resample.c. `support` is the radius at scale 1.
struct FilterDef {
  double (*weight)(double x);
  double support;
};

double BoxWeight(double x) { return (x > -0.5 && x <= 0.5) ? 1.0 : 0.0; }

double BilinearWeight(double x) {
  if (x < 0.0) x = -x;
  return x < 1.0 ? 1.0 - x : 0.0;
}

double HammingWeight(double x) {
  if (x < 0.0) x = -x;
  if (x == 0.0) return 1.0;
  if (x >= 1.0) return 0.0;
  x = x * M_PI;
  // The float literals are Pillow's: 0.54f and 0.46f widened to double, not 0.54 and 0.46.
  return std::sin(x) / x * (static_cast<double>(0.54f) + static_cast<double>(0.46f) * std::cos(x));
}

double BicubicWeight(double x) {
  constexpr double a = -0.5;
  if (x < 0.0) x = -x;
  if (x < 1.0) return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
  if (x < 2.0) return (((x - 5) * x + 8) * x - 4) * a;
  return 0.0;
}

double Sinc(double x) {
  if (x == 0.0) return 1.0;
  x = x * M_PI;
  return std::sin(x) / x;
}

double LanczosWeight(double x) {
  if (-3.0 <= x && x < 3.0) return Sinc(x) * Sinc(x / 3);
  return 0.0;
}

FilterDef DefinitionOf(Resample filter) {
  switch (filter) {
    case Resample::kBox:
      return {BoxWeight, 0.5};
    case Resample::kBilinear:
      return {BilinearWeight, 1.0};
    case Resample::kHamming:
      return {HammingWeight, 1.0};
    case Resample::kBicubic:
      return {BicubicWeight, 2.0};
    case Resample::kLanczos:
      return {LanczosWeight, 3.0};
    case Resample::kNearest:
      break;
  }
  throw Error("resample filter " + std::to_string(static_cast<int>(filter)) + " has no convolution kernel",
              ErrorKind::kInternal);
}

// COORD() of Geometry.c: truncation, with everything left of the image mapped to -1.
int Coord(double v) { return v < 0.0 ? -1 : static_cast<int>(v); }

// _resize's NEAREST branch: ImagingTransform(AFFINE, a = [w_in/w_out, 0, 0, 0, h_in/h_out, 0], fill=1),
// which lands in ImagingScaleAffine. The positions are accumulated by repeated addition as Pillow
// does, since that rounding differs from x * scale.
void ResizeNearest(const uint8_t* src, int src_w, int src_h, uint8_t* dst, int dst_w, int dst_h) {
  // The box is a float[4] in Pillow: (0, 0, w, h) narrowed to float, subtracted in float.
  const double ax = static_cast<double>(static_cast<float>(src_w) - 0.0f) / dst_w;
  const double ay = static_cast<double>(static_cast<float>(src_h) - 0.0f) / dst_h;
  std::vector<int> xin_of(static_cast<size_t>(dst_w), 0);
  int xmin = dst_w, xmax = 0;
  double xo = 0.0 + ax * 0.5;
  for (int x = 0; x < dst_w; ++x) {
    const int xin = Coord(xo);
    if (xin >= 0 && xin < src_w) {
      xmax = x + 1;
      if (x < xmin) xmin = x;
      xin_of[static_cast<size_t>(x)] = xin;
    }
    xo += ax;
  }
  double yo = 0.0 + ay * 0.5;
  const size_t src_stride = static_cast<size_t>(src_w) * 3;
  const size_t dst_stride = static_cast<size_t>(dst_w) * 3;
  for (int y = 0; y < dst_h; ++y) {
    const int yi = Coord(yo);
    uint8_t* out = dst + static_cast<size_t>(y) * dst_stride;
    std::memset(out, 0, dst_stride);
    if (yi >= 0 && yi < src_h) {
      const uint8_t* in = src + static_cast<size_t>(yi) * src_stride;
      for (int x = xmin; x < xmax; ++x) {
        const uint8_t* p = in + static_cast<size_t>(xin_of[static_cast<size_t>(x)]) * 3;
        out[3 * x + 0] = p[0];
        out[3 * x + 1] = p[1];
        out[3 * x + 2] = p[2];
      }
    }
    yo += ay;
  }
}

}  // namespace

bool IsValidResample(int value) { return value >= 0 && value <= 5; }

std::string ResampleName(Resample filter) {
  switch (filter) {
    case Resample::kNearest:
      return "NEAREST";
    case Resample::kLanczos:
      return "LANCZOS";
    case Resample::kBilinear:
      return "BILINEAR";
    case Resample::kBicubic:
      return "BICUBIC";
    case Resample::kBox:
      return "BOX";
    case Resample::kHamming:
      return "HAMMING";
  }
  return "resample " + std::to_string(static_cast<int>(filter));
}

FilterTaps ComputeFilterTaps(int in_size, float in0, float in1, int out_size, Resample filter) {
  const FilterDef def = DefinitionOf(filter);
  if (in_size <= 0 || out_size <= 0) {
    throw Error("resize from " + std::to_string(in_size) + " to " + std::to_string(out_size) + " samples",
                ErrorKind::kInternal);
  }
  // precompute_coeffs: the support widens with the downscale factor.
  const double scale = static_cast<double>(in1 - in0) / out_size;
  const double filterscale = scale < 1.0 ? 1.0 : scale;
  const double support = def.support * filterscale;
  const int ksize = static_cast<int>(std::ceil(support)) * 2 + 1;
  if (out_size > INT_MAX / (ksize * static_cast<int>(sizeof(double)))) {
    throw Error("resize to " + std::to_string(out_size) + " samples needs more memory than Pillow allows",
                ErrorKind::kInvalidArgument);
  }
  FilterTaps taps;
  taps.ksize = ksize;
  taps.first.resize(static_cast<size_t>(out_size));
  taps.count.resize(static_cast<size_t>(out_size));
  taps.weights.assign(static_cast<size_t>(out_size) * static_cast<size_t>(ksize), 0);
  std::vector<double> k(static_cast<size_t>(ksize));
  for (int xx = 0; xx < out_size; ++xx) {
    const double center = in0 + (xx + 0.5) * scale;
    double ww = 0.0;
    const double ss = 1.0 / filterscale;
    int xmin = static_cast<int>(center - support + 0.5);
    if (xmin < 0) xmin = 0;
    int xmax = static_cast<int>(center + support + 0.5);
    if (xmax > in_size) xmax = in_size;
    xmax -= xmin;
    for (int x = 0; x < xmax; ++x) {
      const double w = def.weight((x + xmin - center + 0.5) * ss);
      k[static_cast<size_t>(x)] = w;
      ww += w;
    }
    for (int x = 0; x < xmax; ++x) {
      if (ww != 0.0) k[static_cast<size_t>(x)] /= ww;
    }
    // normalize_coeffs_8bpc: round half away from zero into fixed point.
    int32_t* q = taps.weights.data() + static_cast<size_t>(xx) * static_cast<size_t>(ksize);
    for (int x = 0; x < xmax; ++x) {
      const double v = k[static_cast<size_t>(x)];
      constexpr double kOne = static_cast<double>(1 << FilterTaps::kPrecisionBits);
      q[x] = v < 0 ? static_cast<int32_t>(-0.5 + v * kOne) : static_cast<int32_t>(0.5 + v * kOne);
    }
    taps.first[static_cast<size_t>(xx)] = xmin;
    taps.count[static_cast<size_t>(xx)] = std::max(xmax, 0);
  }
  return taps;
}

void ResizeRgb(const uint8_t* src, int src_w, int src_h, uint8_t* dst, int dst_w, int dst_h, Resample filter) {
  if (src_w <= 0 || src_h <= 0 || dst_w <= 0 || dst_h <= 0) {
    throw Error("resize from " + std::to_string(src_w) + "x" + std::to_string(src_h) + " to " +
                    std::to_string(dst_w) + "x" + std::to_string(dst_h) + ": sizes must be positive",
                ErrorKind::kInvalidArgument);
  }
  const size_t dst_bytes = static_cast<size_t>(dst_w) * static_cast<size_t>(dst_h) * 3;
  // Image.resize returns a copy when the size does not change, whatever the filter.
  if (src_w == dst_w && src_h == dst_h) {
    std::memcpy(dst, src, dst_bytes);
    return;
  }
  if (filter == Resample::kNearest) {
    ResizeNearest(src, src_w, src_h, dst, dst_w, dst_h);
    return;
  }
  // ImagingResampleInner: the vertical weights first, to know which source rows the horizontal pass
  // must produce; each pass only when its dimension changes (box is the whole image).
  const bool need_horizontal = dst_w != src_w;
  const bool need_vertical = dst_h != src_h;
  FilterTaps vertical = ComputeFilterTaps(src_h, 0.0f, static_cast<float>(src_h), dst_h, filter);
  const int row_first = vertical.first.front();
  const int row_last = vertical.first.back() + vertical.count.back();

  std::vector<uint8_t> temp;
  const uint8_t* pass_input = src;
  int pass_width = src_w;
  if (need_horizontal) {
    const HorizontalPlan plan =
        MakeHorizontalPlan(src_w, ComputeFilterTaps(src_w, 0.0f, static_cast<float>(src_w), dst_w, filter));
    const int rows = need_vertical ? row_last - row_first : src_h;
    uint8_t* out = dst;
    if (need_vertical) {
      temp.resize(static_cast<size_t>(dst_w) * static_cast<size_t>(rows) * 3);
      out = temp.data();
    }
    const int first = need_vertical ? row_first : 0;
    ResampleRowsHorizontal(src + static_cast<size_t>(first) * static_cast<size_t>(src_w) * 3, rows, plan, out);
    if (!need_vertical) return;
    for (auto& f : vertical.first) f -= row_first;
    pass_input = temp.data();
    pass_width = dst_w;
  }
  ResampleColumnsVertical(pass_input, pass_width, vertical, dst);
}

}  // namespace vit::image
