#include "image/pil_convert.h"

#include <lcms2.h>

#include <vector>

namespace vit::image {
namespace {

// Pillow's MULDIV255: a * b / 255 rounded, with integer shifts only.
inline int MulDiv255(int a, int b) {
  const int tmp = a * b + 128;
  return ((tmp >> 8) + tmp) >> 8;
}

inline uint8_t Clip8(int v) { return static_cast<uint8_t>(v < 0 ? 0 : (v > 255 ? 255 : v)); }

inline void CmykToRgb(int c, int m, int y, int k, uint8_t* rgb) {
  const int nk = 255 - k;
  rgb[0] = Clip8(nk - MulDiv255(c, nk));
  rgb[1] = Clip8(nk - MulDiv255(m, nk));
  rgb[2] = Clip8(nk - MulDiv255(y, nk));
}

}  // namespace

Palette::Palette() {
  for (int i = 0; i < 256; ++i) Set(i, static_cast<uint8_t>(i), static_cast<uint8_t>(i), static_cast<uint8_t>(i));
}

void Palette::Set(int index, uint8_t r, uint8_t g, uint8_t b) {
  uint8_t* e = &rgb_[static_cast<size_t>(index) * 3];
  e[0] = r;
  e[1] = g;
  e[2] = b;
}

void GrayRowToRgb(const uint8_t* gray, size_t n, uint8_t* rgb) {
  for (size_t i = 0; i < n; ++i) rgb[3 * i] = rgb[3 * i + 1] = rgb[3 * i + 2] = gray[i];
}

void GrayAlphaRowToRgb(const uint8_t* ga, size_t n, uint8_t* rgb) {
  for (size_t i = 0; i < n; ++i) rgb[3 * i] = rgb[3 * i + 1] = rgb[3 * i + 2] = ga[2 * i];
}

void PaletteRowToRgb(const uint8_t* index, size_t n, const Palette& palette, uint8_t* rgb) {
  for (size_t i = 0; i < n; ++i) {
    const uint8_t* e = palette.Entry(index[i]);
    rgb[3 * i] = e[0];
    rgb[3 * i + 1] = e[1];
    rgb[3 * i + 2] = e[2];
  }
}

void RgbaRowToRgb(const uint8_t* rgba, size_t n, uint8_t* rgb) {
  for (size_t i = 0; i < n; ++i) {
    rgb[3 * i] = rgba[4 * i];
    rgb[3 * i + 1] = rgba[4 * i + 1];
    rgb[3 * i + 2] = rgba[4 * i + 2];
  }
}

void CmykRowToRgb(const uint8_t* cmyk, size_t n, uint8_t* rgb) {
  for (size_t i = 0; i < n; ++i) {
    const uint8_t* p = cmyk + 4 * i;
    CmykToRgb(p[0], p[1], p[2], p[3], rgb + 3 * i);
  }
}

namespace {

// One chroma term of ConvertYCbCr.c for each sample value.
struct ChromaTable {
  int16_t v[256];
  explicit ChromaTable(double k) {
    for (int c = 0; c < 256; ++c) v[c] = static_cast<int16_t>(k * (c - 128) * 64 + 0.5);
  }
};

uint8_t ClipSample(int v) { return v <= 0 ? 0 : v >= 255 ? 255 : static_cast<uint8_t>(v); }

}  // namespace

void YcbcrRowToRgb(const uint8_t* ycbcr, size_t n, uint8_t* rgb) {
  static const ChromaTable r_cr(1.40200), g_cb(-0.34414), g_cr(-0.71414), b_cb(1.77200);
  for (size_t i = 0; i < n; ++i) {
    const int y = ycbcr[3 * i], cb = ycbcr[3 * i + 1], cr = ycbcr[3 * i + 2];
    rgb[3 * i] = ClipSample(y + (r_cr.v[cr] >> 6));
    rgb[3 * i + 1] = ClipSample(y + ((g_cb.v[cb] + g_cr.v[cr]) >> 6));
    rgb[3 * i + 2] = ClipSample(y + (b_cb.v[cb] >> 6));
  }
}

void InvertedCmykRowToRgb(const uint8_t* inverted_cmyk, size_t n, uint8_t* rgb) {
  for (size_t i = 0; i < n; ++i) {
    const uint8_t* p = inverted_cmyk + 4 * i;
    CmykToRgb(255 - p[0], 255 - p[1], 255 - p[2], 255 - p[3], rgb + 3 * i);
  }
}

void Gray16BigEndianRowToRgb(const uint8_t* be16, size_t n, uint8_t* rgb) {
  for (size_t i = 0; i < n; ++i) {
    const uint8_t v = be16[2 * i] != 0 ? uint8_t{255} : be16[2 * i + 1];
    rgb[3 * i] = rgb[3 * i + 1] = rgb[3 * i + 2] = v;
  }
}

void Samples16BigEndianRowToRgb(const uint8_t* be16, size_t n, int channels, uint8_t* rgb) {
  const size_t step = static_cast<size_t>(channels) * 2;
  for (size_t i = 0; i < n; ++i) {
    const uint8_t* p = be16 + i * step;
    if (channels >= 3) {
      rgb[3 * i] = p[0];
      rgb[3 * i + 1] = p[2];
      rgb[3 * i + 2] = p[4];
    } else {
      rgb[3 * i] = rgb[3 * i + 1] = rgb[3 * i + 2] = p[0];
    }
  }
}

bool LabToRgb(const uint8_t* lab, size_t w, size_t h, uint8_t* rgb) {
  const cmsHPROFILE lab_profile = cmsCreateLab2Profile(nullptr);
  const cmsHPROFILE srgb = cmsCreate_sRGBProfile();
  const cmsUInt32Number lab_format = COLORSPACE_SH(PT_LabV2) | CHANNELS_SH(3) | BYTES_SH(1) | EXTRA_SH(1);
  const cmsHTRANSFORM transform =
      lab_profile != nullptr && srgb != nullptr
          ? cmsCreateTransform(lab_profile, lab_format, srgb, TYPE_RGBA_8, INTENT_PERCEPTUAL, 0)
          : nullptr;
  if (lab_profile != nullptr) cmsCloseProfile(lab_profile);
  if (srgb != nullptr) cmsCloseProfile(srgb);
  if (transform == nullptr) return false;
  std::vector<uint8_t> row(w * 4);
  for (size_t y = 0; y < h; ++y) {
    cmsDoTransform(transform, lab + y * w * 4, row.data(), static_cast<cmsUInt32Number>(w));
    RgbaRowToRgb(row.data(), w, rgb + y * w * 3);
  }
  cmsDeleteTransform(transform);
  return true;
}

}  // namespace vit::image
