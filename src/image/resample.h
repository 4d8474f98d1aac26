// Pillow's Image.resize((width, height), resample) on 8-bit RGB, bit for bit (Pillow 9.4,
// src/libImaging/Resample.c and Geometry.c), which is what ViTImageProcessor runs through PIL.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace vit::image {

// PIL.Image.Resampling values, as preprocessor_config.json spells "resample".
enum class Resample : int {
  kNearest = 0,
  kLanczos = 1,
  kBilinear = 2,
  kBicubic = 3,
  kBox = 4,
  kHamming = 5,
};

bool IsValidResample(int value);
std::string ResampleName(Resample filter);  // "BILINEAR", ...

// One output sample of a separable pass: the input span [first, first + count) and its weights
// quantised to Pillow's fixed point (weights[i] / 2^kPrecisionBits).
struct FilterTaps {
  static constexpr int kPrecisionBits = 32 - 8 - 2;
  int ksize = 0;                // weights stored per output sample (Pillow's ksize)
  std::vector<int32_t> first;   // per output sample
  std::vector<int32_t> count;   // per output sample
  std::vector<int32_t> weights; // out_size * ksize, zero past count
};

// precompute_coeffs + normalize_coeffs_8bpc: in_size input samples, the box [in0, in1) (floats, as
// Pillow passes them), out_size outputs. `filter` must not be kNearest.
FilterTaps ComputeFilterTaps(int in_size, float in0, float in1, int out_size, Resample filter);

// Resizes src (src_w x src_h, RGB interleaved, rows packed) into dst (dst_w x dst_h, same layout).
// Equal sizes copy, as Pillow does. Single-threaded: callers parallelise over images.
void ResizeRgb(const uint8_t* src, int src_w, int src_h, uint8_t* dst, int dst_w, int dst_h, Resample filter);

}  // namespace vit::image
