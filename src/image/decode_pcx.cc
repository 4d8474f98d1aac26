// PCX by hand, following Pillow 9.4's PcxImagePlugin and PcxDecode.c: 1-bit, 1-bit planes (2 or 4,
// palette in the header), 8-bit grey or palette (version 5, palette in the last 769 bytes), and 24-bit
// as three 8-bit planes per row.
//
// Pillow's reading decides the pixels: a row is as long as the header's stride when that equals the
// computed one, else the computed stride rounded up to even; a row of several bands whose length is not
// a multiple of the width has its bands moved together before unpacking (PcxDecode.c), and the bit
// planes are read as if each were (width + 7) / 8 bytes long. An RLE run may not run past its row. An
// 8-bit single-plane file needs 769 bytes at least: Pillow seeks back that far from the end of the file
// for the palette, and the operating system refuses a seek before the start.
#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "image/decoders.h"
#include "image/pil_convert.h"

namespace vit::image {
namespace {

uint32_t U16(const uint8_t* p) { return uint32_t{p[0]} | (uint32_t{p[1]} << 8); }

enum class RawMode { kBilevel, kPlanes, kGray, kPalette, kPlanarRgb };

}  // namespace

bool LooksLikePcx(std::span<const uint8_t> bytes) {
  if (bytes.size() < 68 || bytes[0] != 10) return false;
  if (bytes[1] != 0 && bytes[1] != 2 && bytes[1] != 3 && bytes[1] != 5) return false;
  const uint8_t* s = bytes.data();
  return U16(s + 8) + 1 > U16(s + 4) && U16(s + 10) + 1 > U16(s + 6);
}

Decoded DecodePcx(const DecodeContext& ctx) { return DecodePcxAt(ctx, 0); }

Decoded DecodePcxAt(const DecodeContext& ctx, size_t header_at) {
  const auto bytes = ctx.bytes();
  if (header_at > bytes.size() || !LooksLikePcx(bytes.subspan(header_at))) ctx.Fail("not a PCX file");
  const uint8_t* s = bytes.data() + header_at;
  const int version = s[1], bits = s[3], planes = s[65];
  const int64_t width = int64_t{U16(s + 8)} + 1 - U16(s + 4);
  const int64_t height = int64_t{U16(s + 10)} + 1 - U16(s + 6);
  const uint32_t provided_stride = U16(s + 66);

  RawMode mode;
  Palette palette;
  if (bits == 1 && planes == 1) {
    mode = RawMode::kBilevel;
  } else if (bits == 1 && (planes == 2 || planes == 4)) {
    mode = RawMode::kPlanes;
    for (int i = 0; i < 16; ++i) palette.Set(i, s[16 + 3 * i], s[17 + 3 * i], s[18 + 3 * i]);
  } else if (version == 5 && bits == 8 && planes == 1) {
    mode = RawMode::kGray;
    if (bytes.size() < 769) ctx.Fail("PCX file shorter than the 769 bytes of palette Pillow seeks back for");
    const uint8_t* p = bytes.data() + bytes.size() - 769;
    if (p[0] == 12) {
      for (int i = 0; i < 256; ++i) {
        if (p[1 + 3 * i] != i || p[2 + 3 * i] != i || p[3 + 3 * i] != i) mode = RawMode::kPalette;
      }
      for (int i = 0; i < 256; ++i) palette.Set(i, p[1 + 3 * i], p[2 + 3 * i], p[3 + 3 * i]);
    }
  } else if (version == 5 && bits == 8 && planes == 3) {
    mode = RawMode::kPlanarRgb;
  } else {
    ctx.Fail("unknown PCX mode (" + std::to_string(bits) + " bits, " + std::to_string(planes) + " planes)",
             ErrorKind::kUnsupported);
  }
  ctx.CheckSize(width, height);

  const auto w = static_cast<size_t>(width);
  const auto h = static_cast<size_t>(height);
  size_t stride = (w * static_cast<size_t>(bits) + 7) / 8;
  if (provided_stride != stride) stride += stride % 2;
  const size_t row_bytes = static_cast<size_t>(planes) * stride;
  // The data follow the header, except in 8-bit single-plane files: Pillow seeks back to offset 128
  // of the file after reading their palette, wherever the header was.
  const bool seeks_back = mode == RawMode::kGray || mode == RawMode::kPalette;
  size_t at = std::min<size_t>(seeks_back ? 128 : header_at + 128, bytes.size());
  // Every two bytes of RLE data give at most 63 bytes of rows: a file too short for its picture is
  // refused before anything is allocated.
  if ((bytes.size() - at) * 63 / 2 + 1 < row_bytes * h) {
    ctx.Fail("truncated PCX: the RLE data ends before the last row");
  }

  Decoded decoded;
  decoded.image = AllocateImage(ctx, width, height);
  std::vector<uint8_t> line(row_bytes);
  std::vector<uint8_t> index(w);
  for (size_t y = 0; y < h; ++y) {
    size_t x = 0;
    while (x < row_bytes) {
      if (at >= bytes.size()) ctx.Fail("truncated PCX: the RLE data ends before the last row");
      const uint8_t b = bytes[at];
      if ((b & 0xC0) == 0xC0) {
        if (bytes.size() - at < 2) ctx.Fail("truncated PCX: the RLE data ends before the last row");
        const size_t n = b & 0x3F;
        if (x + n > row_bytes) ctx.Fail("PCX RLE run runs past the end of its row");
        std::memset(line.data() + x, bytes[at + 1], n);
        x += n;
        at += 2;
      } else {
        line[x++] = b;
        ++at;
      }
    }
    // PcxDecode.c: bands whose length is not a multiple of the width are moved together.
    if (row_bytes % w != 0 && row_bytes > w) {
      const size_t bands = row_bytes / w;
      const size_t band_stride = row_bytes / bands;
      for (size_t i = 1; i < bands; ++i) std::memmove(&line[i * w], &line[i * band_stride], w);
    }
    uint8_t* out = decoded.image.rgb.data() + y * w * 3;
    switch (mode) {
      case RawMode::kBilevel:
        for (size_t i = 0; i < w; ++i) {
          out[3 * i] = out[3 * i + 1] = out[3 * i + 2] = ((line[i >> 3] >> (7 - (i & 7))) & 1) != 0 ? 255 : 0;
        }
        break;
      case RawMode::kPlanes: {
        const size_t plane = (w + 7) / 8;  // Unpack.c's P;2L/P;4L, whatever the row's stride
        for (size_t i = 0; i < w; ++i) {
          const int bit = 7 - static_cast<int>(i & 7);
          int v = 0;
          for (int p = 0; p < planes; ++p) {
            const size_t k = (i >> 3) + static_cast<size_t>(p) * plane;
            if (k < row_bytes && ((line[k] >> bit) & 1) != 0) v |= 1 << p;
          }
          index[i] = static_cast<uint8_t>(v);
        }
        PaletteRowToRgb(index.data(), w, palette, out);
        break;
      }
      case RawMode::kGray:
        GrayRowToRgb(line.data(), w, out);
        break;
      case RawMode::kPalette:
        PaletteRowToRgb(line.data(), w, palette, out);
        break;
      case RawMode::kPlanarRgb:
        for (size_t i = 0; i < w; ++i) {
          out[3 * i] = line[i];
          out[3 * i + 1] = line[w + i];
          out[3 * i + 2] = line[2 * w + i];
        }
        break;
    }
  }
  return decoded;
}

}  // namespace vit::image
