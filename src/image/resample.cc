// Pillow 9.4's resize, step for step. The weights are computed in double exactly as Resample.c does
// (same expressions, same order, same libm), then quantised to 22-bit fixed point; the passes that use
// them live in resample_passes.cc and the order of the passes in streaming_resize.cc.
#include "image/resample.h"

#include <algorithm>
#include <climits>
#include <cmath>
#include <cstring>

#include "image/streaming_resize.h"
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
  StreamingResizer resizer(src_w, src_h, dst_w, dst_h, filter);
  resizer.Rows(0, src_h, src, static_cast<size_t>(src_w) * 3);
  resizer.Finish(dst);
}

}  // namespace vit::image
