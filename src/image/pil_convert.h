// Pillow's Image.convert("RGB") one row at a time, from the samples a decoder produces for each of
// Pillow's modes (Convert.c and the Unpack.c raw modes it relies on). Decoders call these so that every
// picture reaches the processor as the RGB bytes Pillow would hold.
#pragma once

#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>

namespace vit::image {

// A "P" image's palette as Pillow holds it: 256 RGB entries, those the file does not define left at
// ImagingPaletteNew's grey ramp (i, i, i), so out-of-range indices come out grey as in Pillow.
class Palette {
 public:
  Palette();
  void Set(int index, uint8_t r, uint8_t g, uint8_t b);
  const uint8_t* Entry(int index) const { return &rgb_[static_cast<size_t>(index) * 3]; }

 private:
  std::array<uint8_t, 256 * 3> rgb_;
};

// "L" (also "1" once expanded to 0/255): grey replicated.
void GrayRowToRgb(const uint8_t* gray, size_t n, uint8_t* rgb);
// "LA" (and "La"): alpha dropped.
void GrayAlphaRowToRgb(const uint8_t* ga, size_t n, uint8_t* rgb);
// "P": palette lookup, transparency ignored.
void PaletteRowToRgb(const uint8_t* index, size_t n, const Palette& palette, uint8_t* rgb);
// "RGBA"/"RGBX": the fourth byte dropped.
void RgbaRowToRgb(const uint8_t* rgba, size_t n, uint8_t* rgb);
// "CMYK": cmyk2rgb, r = clip(255 - k - MULDIV255(c, 255 - k)).
void CmykRowToRgb(const uint8_t* cmyk, size_t n, uint8_t* rgb);
// "YCbCr" (3 bytes a pixel) to RGB as ConvertYCbCr.c does it: Y plus chroma terms in fixed point with 6
// fraction bits, each term C(c) = (int)(k * (c - 128) * 64 + 0.5) (truncated toward zero, as Pillow's tables
// hold them), shifted right arithmetically, then clipped. Equal to Pillow on all 2^24 inputs (see the
// test's comment for the check).
void YcbcrRowToRgb(const uint8_t* ycbcr, size_t n, uint8_t* rgb);
// Adobe's inverted CMYK as Pillow reads every 4-channel JPEG ("CMYK;I"), then cmyk2rgb.
void InvertedCmykRowToRgb(const uint8_t* inverted_cmyk, size_t n, uint8_t* rgb);
// Big-endian 16-bit grey opened as mode "I" (PNG) and converted: values over 255 clip to 255.
void Gray16BigEndianRowToRgb(const uint8_t* be16, size_t n, uint8_t* rgb);
// Big-endian 16-bit samples, `channels` per pixel, Pillow's ";16B" raw modes: the high byte of the
// first three (or of the grey sample, replicated, when channels < 3).
void Samples16BigEndianRowToRgb(const uint8_t* be16, size_t n, int channels, uint8_t* rgb);
// "LAB" (4 bytes a pixel: L, a and b offset by 128, one unused), w x h of them: Image.convert("RGB")
// through ImageCms.buildTransform(createProfile("LAB"), createProfile("sRGB"), "LAB", "RGB") applied
// row by row, with _imagingcms's pixel formats (Lab in 4-byte pixels, RGBA out). False when
// LittleCMS cannot build the transform.
bool LabToRgb(const uint8_t* lab, size_t w, size_t h, uint8_t* rgb);

// "F" to "L" (Convert.c's f2l, the step convert("RGB") takes from "F"): 0 at or below 0, 255 at or
// above 255, else truncated; NaN comes out as 0, as the x86 conversion gives.
inline uint8_t FloatToL(float v) {
  if (std::isnan(v) || v <= 0.0f) return 0;
  return v >= 255.0f ? 255 : static_cast<uint8_t>(v);
}

}  // namespace vit::image
